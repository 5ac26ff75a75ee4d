-- bench/seed_referrals.sql — per tenant a task team with referrals to one partner, and a
-- partner_staff token for that partner, for bench/run.sh (cases referrals and accept); run by psql
-- as the database owner after seed.sql, seed_services.sql and seed_families.sql. Variables:
--   walk     referrals per tenant for each wrk accept run (one run per BENCH_THREADS value)
--   slices   how many wrk accept runs
--   pg       referrals per tenant that only pgbench updates
-- Per tenant, in one transaction and through the API's own SQL functions with koop.ctx set (as
-- the tenant's admin): the partner is that of the tenant's first active addiction-therapy service
-- with reported capacity; a consent sharing_with_partner from the head of the tenant's first open
-- family; a task team moderated by the social worker, with a partner representative (the
-- partner_staff user); the team is activated; one goal; one action on the service, referred
-- (koop.action_create, koop.action_transition). The remaining referrals are bulk copies of that
-- referred action (same columns, new ids and times), as many as walk * slices + pg.
-- Builds bench_ref_tenants (n, tenant_id, partner_id, service_id, team_id) and
-- bench_referrals (n, tenant_n, k, tenant_id, id, slice: 0.. for wrk runs, -1 for pgbench).
\set ON_ERROR_STOP on

\ir seed_lib.sql

CREATE TABLE bench_ref_tenants (n int PRIMARY KEY, tenant_id uuid, partner_id uuid, service_id uuid,
                                team_id uuid, goal_id uuid, first_action uuid);

BEGIN;
INSERT INTO bench_ref_tenants (n, tenant_id, partner_id, service_id)
SELECT b.n, b.tenant_id, s.partner_id, s.id
FROM bench_tenants b
CROSS JOIN LATERAL (SELECT id, partner_id FROM services s
                    WHERE s.tenant_id = b.tenant_id AND s.status = 'active'
                      AND s.category = 'addiction_therapy' AND s.capacity_available IS NOT NULL
                    ORDER BY s.created_at, s.id LIMIT 1) s;
DO $$
BEGIN
    IF (SELECT count(*) FROM bench_ref_tenants) <> (SELECT count(*) FROM bench_tenants) THEN
        RAISE EXCEPTION 'bench: a tenant has no active addiction-therapy service with capacity';
    END IF;
END $$;
-- plenty of places, so that every accept takes one (capacity is counted down on accept)
UPDATE services s SET capacity_available = 1000000, capacity_maximum = 1000000
FROM bench_ref_tenants r WHERE s.tenant_id = r.tenant_id AND s.id = r.service_id;
SELECT count(pg_temp.bench_user(r.tenant_id, 'partner_staff', 'Anna Wiśniewska (terapeutka) ' || r.n,
                                format('terapeutka.%s@example.org', r.n), r.partner_id))
FROM bench_ref_tenants r;

DO $$
DECLARE
    r bench_ref_tenants;
    admin uuid;
    sw uuid;
    ps uuid;
    fam families;
    head uuid;
    team uuid;
    goal uuid;
    act uuid;
BEGIN
    FOR r IN SELECT * FROM bench_ref_tenants ORDER BY n LOOP
        SELECT id INTO admin FROM users WHERE tenant_id = r.tenant_id AND role = 'admin'
            ORDER BY created_at LIMIT 1;
        SELECT user_id INTO sw FROM bench_tokens WHERE tenant_id = r.tenant_id AND role = 'social_worker';
        SELECT user_id INTO ps FROM bench_tokens WHERE tenant_id = r.tenant_id AND role = 'partner_staff';
        SELECT * INTO fam FROM families WHERE tenant_id = r.tenant_id AND status <> 'closed'
            ORDER BY reference_number LIMIT 1;
        SELECT id INTO head FROM family_members WHERE tenant_id = r.tenant_id AND family_id = fam.id
            AND relation = 'head';
        PERFORM koop.ctx(r.tenant_id::text, admin::text, 'admin', NULL, NULL, 'bench-seed', NULL);
        PERFORM koop.consent_create(fam.id, gen_random_uuid(), jsonb_build_object(
            'member_id', head, 'scope', 'sharing_with_partner', 'partner_id', r.partner_id,
            'purpose', 'Realizacja planu pomocy zespołu kooperacyjnego; przekazanie danych terapeucie.',
            'given_on', koop.today(), 'document_ref', 'Zgoda nr ' || fam.reference_number));
        team := gen_random_uuid();
        PERFORM koop.task_team_create(NULL, team, jsonb_build_object('family_id', fam.id,
            'name', 'ZZK — rodzina ' || fam.reference_number, 'moderator_id', sw));
        PERFORM koop.team_member_create(team, gen_random_uuid(), jsonb_build_object(
            'kind', 'partner_representative', 'partner_id', r.partner_id,
            'person_name', 'Anna Wiśniewska', 'user_id', ps));
        PERFORM koop.task_team_transition(NULL, team, NULL, 'active', NULL);
        goal := gen_random_uuid();
        PERFORM koop.goal_create(team, goal, jsonb_build_object(
            'description', 'Utrzymanie abstynencji i powrót ojca do pracy',
            'measure', 'Ukończony program terapii podstawowej; zatrudnienie',
            'target_date', koop.today() + 180));
        act := gen_random_uuid();
        PERFORM koop.action_create(team, act, jsonb_build_object('goal_id', goal,
            'description', 'Skierowanie na terapię uzależnień od alkoholu', 'service_id', r.service_id,
            'member_ids', jsonb_build_array(head), 'due_on', koop.today() + 30));
        PERFORM koop.action_transition(team, act, NULL, 'referred', NULL, NULL);
        UPDATE bench_ref_tenants SET team_id = team, goal_id = goal, first_action = act WHERE n = r.n;
    END LOOP;
END $$;

-- the copies: same shape as the referred action, spread back in time
INSERT INTO plan_actions (tenant_id, id, team_id, goal_id, description, service_id, partner_id,
                          member_ids, due_on, status, capacity_warning, referred_at, version,
                          created_at, updated_at)
SELECT a.tenant_id, gen_random_uuid(), a.team_id, a.goal_id, a.description || ' (' || g || ')',
       a.service_id, a.partner_id, a.member_ids, a.due_on, a.status, a.capacity_warning,
       a.referred_at - make_interval(secs => g * 60.0), a.version,
       a.created_at - make_interval(secs => g * 60.0), a.updated_at - make_interval(secs => g * 60.0)
FROM bench_ref_tenants r
JOIN plan_actions a ON a.tenant_id = r.tenant_id AND a.id = r.first_action
CROSS JOIN generate_series(1, :walk * :slices + :pg) AS g;
COMMIT;

-- every referral but the first of each tenant: k 1.. in the order created above
CREATE TABLE bench_referrals AS
SELECT r.n AS tenant_n, row_number() OVER (PARTITION BY a.tenant_id ORDER BY a.created_at DESC, a.id) AS k,
       a.tenant_id, a.id
FROM bench_ref_tenants r
JOIN plan_actions a ON a.tenant_id = r.tenant_id AND a.team_id = r.team_id AND a.id <> r.first_action;
ALTER TABLE bench_referrals ADD COLUMN slice int;
UPDATE bench_referrals SET slice = CASE WHEN k > :walk * :slices THEN -1 ELSE (k - 1) / :walk END;
-- pgbench draws n 1..npg from the slice -1 rows
ALTER TABLE bench_referrals ADD COLUMN n int;
UPDATE bench_referrals b SET n = x.n FROM (
    SELECT id, row_number() OVER (ORDER BY random()) AS n FROM bench_referrals WHERE slice = -1) x
WHERE b.id = x.id;
CREATE INDEX ON bench_referrals (n);

VACUUM ANALYZE plan_actions;
ANALYZE bench_referrals;
ANALYZE bench_ref_tenants;
