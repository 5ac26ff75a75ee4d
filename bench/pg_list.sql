-- bench/pg_list.sql — pgbench: the database's own cost of GET /v1/partners?limit=50: the first
-- keyset page of 50 (default sort created_at, id) of a tenant as one jsonb_agg.
-- Variables: ntenants (rows in bench_tenants).
\set t random(1, :ntenants)
SELECT jsonb_agg(koop.partner_json(p) ORDER BY p.created_at, p.id)::text
FROM (SELECT * FROM partners
      WHERE tenant_id = (SELECT tenant_id FROM bench_tenants WHERE n = :t)
      ORDER BY created_at, id LIMIT 50) AS p;
