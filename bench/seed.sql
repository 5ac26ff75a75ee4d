-- bench/seed.sql — bulk partners for bench/run.sh, run by psql as the database owner (not subject
-- to row-level security) after the tenants exist. Variables: per_tenant (partners per tenant).
-- Builds the lookup tables that pgbench's scripts draw from:
--   bench_tenants (n 1..tenants, tenant_id)   bench_ids (n 1..partners in random order, tenant_id, id)
\set ON_ERROR_STOP on

-- One INSERT ... SELECT for every tenant at once; the rows look like what the API stores
-- (normalised address and contacts, a spread of sectors and statuses, distinct created_at).
INSERT INTO partners (tenant_id, id, name, short_name, sector, address, website, contacts,
                      competences, status, created_at, updated_at)
SELECT t.id, gen_random_uuid(),
       format('Partner %s nr %s', t.teryt, g), format('P%s', g),
       (ARRAY['social_assistance', 'family_support', 'labour', 'education', 'health', 'addiction',
              'crisis_intervention', 'police', 'municipal_guard', 'justice', 'housing', 'ngo',
              'culture_sport', 'local_government', 'other'])[1 + g % 15],
       jsonb_build_object('street', 'ul. Przykładowa', 'building', g::text,
                          'postal_code', '40-001', 'city', 'Katowice'),
       'https://example.org/partner/' || g,
       jsonb_build_array(jsonb_build_object('name', 'Jan Kowalski', 'role', 'koordynator',
                                            'email', format('p%s@example.org', g),
                                            'phone', '+48 32 000 00 00')),
       'Wsparcie rodzin w kryzysie; konsultacje; szkolenia.',
       (ARRAY['invited', 'declared', 'active'])[1 + g % 3],
       ts.at, ts.at
FROM tenants t
CROSS JOIN generate_series(1, :per_tenant) AS g
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => (:per_tenant - g) * 60.0) AS at) AS ts;

CREATE TABLE bench_tenants AS
    SELECT (row_number() OVER (ORDER BY teryt))::int AS n, id AS tenant_id FROM tenants;
ALTER TABLE bench_tenants ADD PRIMARY KEY (n);

CREATE TABLE bench_ids AS
    SELECT (row_number() OVER (ORDER BY random()))::int AS n, tenant_id, id FROM partners;
ALTER TABLE bench_ids ADD PRIMARY KEY (n);

VACUUM ANALYZE partners;
ANALYZE bench_tenants;
ANALYZE bench_ids;
