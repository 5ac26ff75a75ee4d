-- bench/pg_referrals.sql — pgbench: the database's own cost of GET /v1/referrals for a partner's
-- staff: the first page of 50 of the partner's referrals (newest change first) as one jsonb_agg of
-- the API's JSON and, in the same statement, the audit row naming the ids returned.
-- Variables: ntenants (rows in bench_ref_tenants: per tenant its partner).
\set t random(1, :ntenants)
WITH page AS (
    SELECT a FROM bench_ref_tenants r
    JOIN plan_actions a ON a.tenant_id = r.tenant_id AND a.partner_id = r.partner_id
    WHERE r.n = :t AND a.service_id IS NOT NULL AND a.status <> 'planned'
    ORDER BY a.updated_at DESC, a.id DESC LIMIT 50),
audit AS (
    INSERT INTO audit_events (tenant_id, action, resource, request_id, status, resource_ids)
    SELECT tenant_id, 'read', 'referral', 'pgbench', 200, ARRAY(SELECT (a).id FROM page)
    FROM bench_ref_tenants WHERE n = :t)
SELECT jsonb_agg(koop.action_json(a) ORDER BY (a).updated_at DESC, (a).id DESC)::text FROM page;
