-- 010: reports that stay fast at scale (issue 12, point 2).
--
-- The families, task-teams and referrals reports read these instead of the record tables. They
-- are kept in the writing transaction by triggers (sql/functions/reports.sql), so a report is
-- exact as of its snapshot. No row is shared by a tenant's writers: the three counter tables
-- take delta rows (inserted, never updated: no hot row, no lock), which the
-- periodic job (koop.report_fold, server/jobs.c) folds into one row per cell; a reader sums the
-- cells and the deltas not yet folded. The referral table holds one narrow row per referral
-- (updated only with its referral), and referral counts by day (deltas, like the families').
-- Backfilled below from the records a database already holds.

-- Families by cell (dimension, key) and by the days that decide whether a family counts in a
-- period [from, to] (created on or before `to`, closed on or after `from`, or open):
--   kind 'a' (day = its creation day): counted when day <= to, for a family open or closed on
--       or after its creation day;
--   kind 'c' (day = its closing day): taken off again when day < from (such a family closed
--       before the period, having been created before it too);
--   kind 'j' (day = creation day, day2 = closing day): a family closed before the day it was
--       created (a closing date set back), counted when day <= to and day2 >= from.
-- day2 = day for 'a' and 'c'. n: a delta of families (rows with the same cell are summed).
CREATE TABLE report_family_counts (
    tenant_id uuid NOT NULL,
    dim text NOT NULL,
    key text,
    kind "char" NOT NULL, -- 'a', 'c' or 'j' (internal: written by the triggers only)
    day date NOT NULL,
    day2 date NOT NULL,
    n bigint NOT NULL,
    folded boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE report_family_counts IS 'Families report: deltas per tenant, cell and day '
    '(sql/schema/010); folded by koop.report_fold. No personal data.';
CREATE INDEX report_family_counts_day ON report_family_counts (tenant_id, day);
CREATE INDEX report_family_counts_unfolded ON report_family_counts (tenant_id, day) WHERE NOT folded;

-- Task teams: key 'formed' (day = formed_on), 'closed' (closed_on), 'agreed' (plan_agreed_on),
-- and for open_at_end (created on or before `to`, not closed by `to`): 'open_a' (creation day,
-- for a team open or closed on or after it) less 'open_c' (its closing day), both up to `to`.
CREATE TABLE report_team_counts (
    tenant_id uuid NOT NULL,
    key text NOT NULL, -- formed, closed, agreed, open_a, open_c
    day date NOT NULL,
    n bigint NOT NULL,
    folded boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE report_team_counts IS 'Task-teams report: deltas per tenant, key and day '
    '(sql/schema/010); folded by koop.report_fold. No personal data.';
CREATE INDEX report_team_counts_day ON report_team_counts (tenant_id, day);
CREATE INDEX report_team_counts_unfolded ON report_team_counts (tenant_id, day) WHERE NOT folded;

-- Referrals (plan actions with a service, once referred, with a partner): what the referrals
-- report needs of each, by the day it was referred (Europe/Warsaw). accept_days and
-- complete_days are the report's own expressions (days from referral, as double precision).
CREATE TABLE report_referrals (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    day date NOT NULL,
    status text NOT NULL,
    partner_id uuid NOT NULL,
    reason_code text,
    family_id uuid NOT NULL,
    accepted boolean NOT NULL,
    accept_days double precision,
    complete_days double precision,
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE report_referrals IS 'Referrals report: one narrow row per referral '
    '(sql/schema/010), kept by a trigger on plan_actions. Ids only, no personal data.';
CREATE INDEX report_referrals_day ON report_referrals (tenant_id, day);

-- Referral counts by the day referred: 'status' (key: the status), 'partner' (key: the
-- partner's id; its name and sector are read at report time), 'reason' (key:
-- status.reason_code for the declined, failed and cancelled), 'rate' (key 'accepted', and
-- 'decided': accepted or declined). Deltas, kept by triggers on report_referrals, folded.
CREATE TABLE report_referral_counts (
    tenant_id uuid NOT NULL,
    day date NOT NULL,
    dim text NOT NULL, -- status, partner, reason, rate
    key text NOT NULL,
    n bigint NOT NULL,
    folded boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE report_referral_counts IS 'Referrals report: deltas per tenant, day and cell '
    '(sql/schema/010); folded by koop.report_fold. No personal data.';
CREATE INDEX report_referral_counts_day ON report_referral_counts (tenant_id, day);
CREATE INDEX report_referral_counts_unfolded ON report_referral_counts (tenant_id, day) WHERE NOT folded;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_family_counts', 'report_team_counts', 'report_referrals',
                             'report_referral_counts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (koop.tenant_ok(tenant_id))', t || '_scope', t);
    END LOOP;
END $$;
-- koop_app reads its tenant's rows; only the triggers (SECURITY DEFINER) and koop.report_fold
-- write them, so the serving login cannot forge a report's counts.
GRANT SELECT ON report_family_counts, report_team_counts, report_referrals,
    report_referral_counts TO koop_app;

-- Backfill from what the database holds (the same cells as the triggers', folded).
INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, day2, n, folded)
SELECT f.tenant_id, k.dim, k.key, s.kind, s.day, s.day2, count(*), true
FROM (SELECT f.*, (f.created_at AT TIME ZONE 'Europe/Warsaw')::date AS a FROM families f) f
CROSS JOIN LATERAL (
    SELECT 'total' AS dim, 'families' AS key
    UNION ALL SELECT 'status', f.status
    UNION ALL SELECT 'problem', x ->> 'code' FROM jsonb_array_elements(f.problems) x
    UNION ALL SELECT 'district', coalesce(f.district, '(none)')) k
CROSS JOIN LATERAL (
    SELECT 'a'::"char" AS kind, f.a AS day, f.a AS day2 WHERE f.closed_on IS NULL OR f.closed_on >= f.a
    UNION ALL SELECT 'c', f.closed_on, f.closed_on WHERE f.closed_on >= f.a
    UNION ALL SELECT 'j', f.a, f.closed_on WHERE f.closed_on < f.a) s
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO report_team_counts (tenant_id, key, day, n, folded)
SELECT t.tenant_id, s.key, s.day, count(*), true
FROM (SELECT t.*, (t.created_at AT TIME ZONE 'Europe/Warsaw')::date AS a FROM task_teams t) t
CROSS JOIN LATERAL (
    SELECT 'formed' AS key, t.formed_on AS day WHERE t.formed_on IS NOT NULL
    UNION ALL SELECT 'closed', t.closed_on WHERE t.closed_on IS NOT NULL
    UNION ALL SELECT 'agreed', t.plan_agreed_on WHERE t.plan_agreed_on IS NOT NULL
    UNION ALL SELECT 'open_a', t.a WHERE t.closed_on IS NULL OR t.closed_on >= t.a
    UNION ALL SELECT 'open_c', t.closed_on WHERE t.closed_on >= t.a) s
GROUP BY 1, 2, 3;

INSERT INTO report_referrals (tenant_id, id, day, status, partner_id, reason_code, family_id,
                              accepted, accept_days, complete_days)
SELECT a.tenant_id, a.id, (a.referred_at AT TIME ZONE 'Europe/Warsaw')::date, a.status,
       a.partner_id, a.reason_code, tt.family_id, a.accepted_at IS NOT NULL,
       extract(epoch FROM a.accepted_at - a.referred_at) / 86400,
       extract(epoch FROM a.completed_at - a.referred_at) / 86400
FROM plan_actions a
JOIN task_teams tt ON tt.tenant_id = a.tenant_id AND tt.id = a.team_id
WHERE a.service_id IS NOT NULL AND a.referred_at IS NOT NULL AND a.partner_id IS NOT NULL;

INSERT INTO report_referral_counts (tenant_id, day, dim, key, n, folded)
SELECT r.tenant_id, r.day, c.dim, c.key, count(*), true
FROM report_referrals r
CROSS JOIN LATERAL (
    SELECT 'status' AS dim, r.status AS key
    UNION ALL SELECT 'partner', r.partner_id::text
    UNION ALL SELECT 'reason', r.status || '.' || coalesce(r.reason_code, 'unspecified')
        WHERE r.status IN ('declined', 'failed', 'cancelled')
    UNION ALL SELECT 'rate', 'accepted' WHERE r.accepted
    UNION ALL SELECT 'rate', 'decided' WHERE r.accepted OR r.status = 'declined') c
GROUP BY 1, 2, 3, 4;
