-- bench/pg_family_get.sql — pgbench: the database's own cost of GET /v1/families/{id}: one family
-- by (tenant, id) as the API's JSON and, in the same transaction (one statement), its audit row.
-- Variables: nfamilies (rows in bench_families).
\set n random(1, :nfamilies)
WITH f AS (SELECT f FROM bench_families b JOIN families f ON f.tenant_id = b.tenant_id AND f.id = b.id
           WHERE b.n = :n),
audit AS (INSERT INTO audit_events (tenant_id, actor_id, action, resource, resource_id, request_id,
                                    status)
          SELECT (f).tenant_id, (f).assigned_worker_id, 'read', 'family', (f).id, 'pgbench', 200
          FROM f)
SELECT koop.family_json(f)::text FROM f;
