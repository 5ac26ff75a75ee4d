-- bench/pg_get.sql — pgbench: the database's own cost of GET /v1/partners/{id}: one partner, by
-- (tenant, id), as the API's JSON. Variables: nids (rows in bench_ids).
\set n random(1, :nids)
SELECT koop.partner_json(p)::text
FROM bench_ids b JOIN partners p ON p.tenant_id = b.tenant_id AND p.id = b.id
WHERE b.n = :n;
