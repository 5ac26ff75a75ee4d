-- 004: case work as a social assistance centre does it (issue 14).
--   * tenants.voivodeship holds the Polish name ("śląskie"), derived from the TERC code; rows of
--     0.1.0 held ASCII codes ("slaskie") and are converted from their teryt here.
--   * tenants.referral_overdue_days: after how many days a referral still `referred` is overdue.
--   * plan_actions.reason_code: why a referral was declined, failed or cancelled (a code of
--     api/vocab.c koop_referral_reasons); old rows keep their free text with a NULL code.
--   * plan_actions.overdue_notified_at: when referral.overdue was emitted (once per referral).
--   * task_teams.review_on: when the support plan is next reviewed; review_notified_on: the
--     review date for which plan.review_due was emitted (a new date arms it again).

UPDATE tenants SET voivodeship = CASE left(teryt, 2)
    WHEN '02' THEN 'dolnośląskie' WHEN '04' THEN 'kujawsko-pomorskie' WHEN '06' THEN 'lubelskie'
    WHEN '08' THEN 'lubuskie' WHEN '10' THEN 'łódzkie' WHEN '12' THEN 'małopolskie'
    WHEN '14' THEN 'mazowieckie' WHEN '16' THEN 'opolskie' WHEN '18' THEN 'podkarpackie'
    WHEN '20' THEN 'podlaskie' WHEN '22' THEN 'pomorskie' WHEN '24' THEN 'śląskie'
    WHEN '26' THEN 'świętokrzyskie' WHEN '28' THEN 'warmińsko-mazurskie'
    WHEN '30' THEN 'wielkopolskie' WHEN '32' THEN 'zachodniopomorskie' END;
ALTER TABLE tenants ADD CONSTRAINT tenants_voivodeship_check CHECK (voivodeship IN (
    'dolnośląskie', 'kujawsko-pomorskie', 'lubelskie', 'lubuskie', 'łódzkie', 'małopolskie',
    'mazowieckie', 'opolskie', 'podkarpackie', 'podlaskie', 'pomorskie', 'śląskie',
    'świętokrzyskie', 'warmińsko-mazurskie', 'wielkopolskie', 'zachodniopomorskie'));

ALTER TABLE tenants ADD COLUMN referral_overdue_days int NOT NULL DEFAULT 14
    CHECK (referral_overdue_days BETWEEN 0 AND 365);
COMMENT ON COLUMN tenants.referral_overdue_days IS
    'Days after which a referral still referred is overdue (GET/PATCH /v1/settings).';

ALTER TABLE plan_actions ADD COLUMN reason_code text CHECK (reason_code IN (
    'client_refused', 'no_capacity', 'not_eligible', 'unable_to_contact', 'duplicate', 'other'));
ALTER TABLE plan_actions ADD COLUMN overdue_notified_at timestamptz;
-- the periodic job's scan (koop.casework_tick): referrals waiting for an answer
CREATE INDEX plan_actions_awaiting ON plan_actions (tenant_id, referred_at)
    WHERE status = 'referred' AND overdue_notified_at IS NULL;

ALTER TABLE task_teams ADD COLUMN review_on date;
ALTER TABLE task_teams ADD COLUMN review_notified_on date;
-- GET /v1/task-teams?review_due_before= and the job's scan
CREATE INDEX task_teams_review ON task_teams (tenant_id, review_on) WHERE review_on IS NOT NULL;
