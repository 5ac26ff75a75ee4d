-- bench/seed_big.sql — one big tenant for bench/run.sh's reports case, run by psql as the database
-- owner after the tenant exists (kooperd create-tenant) and after the other seeds. Variables:
--   tenant    the tenant's id
--   families  how many families (1,000,000)
-- In the tenant, as bulk INSERT ... SELECT: 300 partners with two active services each; the
-- families, created over the current calendar year, with statuses, districts and 1-3 problems
-- each (a closed one has its closure); a task team for every 10th family, with one goal and one or
-- two referrals in a spread of statuses (referred, accepted, declined, in progress, completed,
-- failed, cancelled) with their referral, acceptance and completion times. Then ANALYZE.
-- Builds bench_big (tenant_id).
\set ON_ERROR_STOP on
SET maintenance_work_mem = '256MB';

CREATE TABLE bench_big AS SELECT :'tenant'::uuid AS tenant_id;

BEGIN;
INSERT INTO partners (tenant_id, id, name, short_name, sector, address, website, contacts,
                      competences, status, created_at, updated_at)
SELECT :'tenant', gen_random_uuid(),
       (ARRAY['Stowarzyszenie', 'Fundacja', 'Poradnia', 'Ośrodek', 'Centrum', 'Klub'])[1 + g % 6]
           || ' ' || (ARRAY['Pomocy Rodzinie', 'Wsparcia „Razem”', 'Zdrowia Psychicznego',
                            'Integracji Społecznej', 'Terapii Uzależnień', 'Aktywności Lokalnej',
                            'Interwencji Kryzysowej', 'Edukacji i Rozwoju'])[1 + g % 8] || ' nr ' || g,
       'BIG' || g,
       (ARRAY['social_assistance', 'family_support', 'labour', 'education', 'health', 'addiction',
              'crisis_intervention', 'police', 'municipal_guard', 'justice', 'housing', 'ngo',
              'culture_sport', 'local_government', 'other'])[1 + g % 15],
       jsonb_build_object('street', 'ul. Marszałkowska', 'building', g::text,
                          'postal_code', '00-001', 'city', 'Warszawa'),
       'https://example.org/big/' || g,
       jsonb_build_array(jsonb_build_object('name', 'Ewa Nowak', 'role', 'koordynatorka',
                                            'email', format('big%s@example.org', g),
                                            'phone', '+48 22 000 00 00')),
       'Wsparcie rodzin; terapia; doradztwo.', 'active', now(), now()
FROM generate_series(1, 300) AS g;

INSERT INTO services (tenant_id, id, partner_id, name, description, category, status,
                      capacity_available, capacity_maximum, capacity_unit, search, created_at,
                      updated_at)
SELECT p.tenant_id, gen_random_uuid(), p.id, 'Usługa ' || k || ' — ' || p.name,
       'Wsparcie świadczone przez ' || p.name || '.',
       (ARRAY['addiction_therapy', 'psychological_support', 'vocational_activation',
              'legal_advice', 'family_assistant', 'material_aid'])[1 + (k + p.rn) % 6],
       'active', 20, 30, 'miejsc', koop.norm('Usługa ' || k || ' ' || p.name), now(), now()
FROM (SELECT *, row_number() OVER (ORDER BY id) AS rn FROM partners WHERE tenant_id = :'tenant') p
CROSS JOIN generate_series(1, 2) AS k;

CREATE TEMP TABLE big_f AS
SELECT gen_random_uuid() AS id, g AS n,
       date_trunc('year', now())
           + (now() - date_trunc('year', now())) * (((g::bigint * 7919) % 1000003) / 1000003.0) AS at
FROM generate_series(1, :families) AS g;
ANALYZE big_f;

INSERT INTO families (tenant_id, id, reference_number, district, address, status, external_ref,
                      problems, generations, closure_reason, closed_on, created_at, updated_at)
SELECT :'tenant', f.id, format('%s/%s', extract(year FROM koop.today()), lpad(f.n::text, 7, '0')),
       (ARRAY['Śródmieście', 'Mokotów', 'Praga-Północ', 'Praga-Południe', 'Wola', 'Żoliborz',
              'Bielany', 'Bemowo', 'Ursus', 'Włochy', 'Ochota', 'Targówek', 'Białołęka',
              'Rembertów', 'Wawer', 'Wilanów', 'Ursynów', 'Wesoła'])[1 + f.n % 18],
       jsonb_build_object('street', 'ul. Grochowska', 'building', (1 + f.n % 300)::text,
                          'postal_code', '04-' || lpad((f.n % 999)::text, 3, '0'), 'city', 'Warszawa'),
       CASE WHEN f.n % 17 = 0 THEN 'closed'
            ELSE (ARRAY['referred', 'diagnosed', 'in_support', 'in_support', 'monitoring'])[1 + f.n % 5] END,
       CASE WHEN f.n % 4 = 0 THEN 'OPS/' || f.n END,
       (SELECT jsonb_agg(jsonb_build_object('code', c, 'notes', NULL) ORDER BY o)
        FROM unnest((ARRAY[(ARRAY['unemployment', 'poverty', 'disability', 'long_term_illness',
                                 'care_and_upbringing', 'addiction', 'domestic_violence',
                                 'homelessness', 'housing', 'debt', 'education', 'justice',
                                 'other'])[1 + f.n % 13],
                          (ARRAY['unemployment', 'poverty', 'disability', 'long_term_illness',
                                 'care_and_upbringing', 'addiction', 'domestic_violence',
                                 'homelessness', 'housing', 'debt', 'education', 'justice',
                                 'other'])[1 + (f.n % 13 + 1 + f.n % 11) % 13],
                          (ARRAY['unemployment', 'poverty', 'disability', 'long_term_illness',
                                 'care_and_upbringing', 'addiction', 'domestic_violence',
                                 'homelessness', 'housing', 'debt', 'education', 'justice',
                                 'other'])[1 + (f.n % 13 + 12) % 13]])[1 : 1 + f.n % 3])
             WITH ORDINALITY AS x(c, o)),
       1 + f.n % 4,
       CASE WHEN f.n % 17 = 0 THEN (ARRAY['goals_achieved', 'partially_achieved', 'resigned',
                                          'moved_out', 'other'])[1 + f.n % 5] END,
       CASE WHEN f.n % 17 = 0 THEN (f.at AT TIME ZONE 'Europe/Warsaw')::date END,
       f.at, f.at
FROM big_f f;

INSERT INTO family_counters (tenant_id, year, last)
VALUES (:'tenant', extract(year FROM koop.today()), :families)
ON CONFLICT (tenant_id, year) DO UPDATE SET last = excluded.last;

-- teams for every 10th open family, one goal each
CREATE TEMP TABLE big_t AS
SELECT f.id AS family_id, f.n, f.at, gen_random_uuid() AS team_id, gen_random_uuid() AS goal_id
FROM big_f f WHERE f.n % 10 = 1 AND f.n % 17 <> 0;

INSERT INTO task_teams (tenant_id, id, family_id, name, status, formed_on, plan_version, version,
                        created_at, updated_at)
SELECT :'tenant', t.team_id, t.family_id, 'ZZK nr ' || t.n, 'active', (t.at AT TIME ZONE 'Europe/Warsaw')::date,
       2, 2, t.at, t.at
FROM big_t t;

INSERT INTO plan_goals (tenant_id, id, team_id, description, created_at, updated_at)
SELECT :'tenant', t.goal_id, t.team_id, 'Poprawa sytuacji rodziny nr ' || t.n, t.at, t.at
FROM big_t t;

CREATE TEMP TABLE big_s AS
SELECT row_number() OVER (ORDER BY id) AS rn, id, partner_id FROM services WHERE tenant_id = :'tenant';
ALTER TABLE big_s ADD PRIMARY KEY (rn);
ANALYZE big_s;
ANALYZE big_t;

INSERT INTO plan_actions (tenant_id, id, team_id, goal_id, description, service_id, partner_id,
                          status, status_reason, outcome, referred_at, accepted_at, completed_at,
                          version, created_at, updated_at)
SELECT :'tenant', gen_random_uuid(), t.team_id, t.goal_id, 'Skierowanie ' || k || ' rodziny ' || t.n,
       s.id, s.partner_id, st.status,
       CASE WHEN st.status IN ('declined', 'failed', 'cancelled') THEN 'brak miejsc / rezygnacja' END,
       CASE WHEN st.status IN ('completed', 'failed') THEN 'Program ukończony.' END,
       r.referred_at,
       CASE WHEN st.status IN ('accepted', 'in_progress', 'completed', 'failed')
            THEN r.referred_at + make_interval(hours => 6 + (t.n * k) % 300) END,
       CASE WHEN st.status IN ('completed', 'failed')
            THEN r.referred_at + make_interval(days => 20 + (t.n * k) % 90) END,
       3, t.at, t.at
FROM big_t t
CROSS JOIN (SELECT count(*) AS n FROM big_s) AS big_s_n
CROSS JOIN generate_series(1, 2) AS k
JOIN big_s s ON s.rn = 1 + (t.n * 3 + k) % big_s_n.n
CROSS JOIN LATERAL (SELECT (ARRAY['referred', 'accepted', 'declined', 'in_progress', 'in_progress',
                                  'completed', 'completed', 'completed', 'failed', 'cancelled'])
                           [1 + (t.n / 10 + k) % 10] AS status) st
CROSS JOIN LATERAL (SELECT least(t.at + make_interval(days => 1 + k), now()) AS referred_at) r
WHERE k = 1 OR t.n % 3 = 0;
COMMIT;

VACUUM ANALYZE families;
VACUUM ANALYZE task_teams;
VACUUM ANALYZE plan_goals;
VACUUM ANALYZE plan_actions;
-- the reports' aggregates the triggers filled (sql/schema/010)
VACUUM ANALYZE report_family_counts;
VACUUM ANALYZE report_team_counts;
VACUUM ANALYZE report_referrals;
VACUUM ANALYZE report_referral_counts;
ANALYZE partners;
ANALYZE services;
