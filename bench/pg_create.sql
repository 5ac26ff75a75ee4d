-- bench/pg_create.sql — pgbench: the database's own cost of POST /v1/partners: one INSERT of the
-- same document (committed on its own), returning the record as the API's JSON.
-- Variables: ntenants (rows in bench_tenants).
\set t random(1, :ntenants)
INSERT INTO partners (tenant_id, id, name, short_name, sector, address, contacts)
SELECT tenant_id, gen_random_uuid(), 'pgbench partner ' || :client_id || '-' || random(), 'PGB', 'ngo',
       '{"street": "ul. Testowa", "building": "1", "postal_code": "40-001", "city": "Katowice"}',
       '[{"name": "Jan Kowalski", "role": "koordynator", "email": "pgbench@example.org", "phone": null}]'
FROM bench_tenants WHERE n = :t
RETURNING koop.partner_json(partners)::text;
