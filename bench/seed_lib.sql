-- bench/seed_lib.sql — helpers for the bench seeds (\ir from them): session-local functions and
-- the table of bench tokens.
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS bench_tokens (tenant_id uuid, role text, user_id uuid, partner_id uuid,
                                         secret text NOT NULL, PRIMARY KEY (tenant_id, role));

-- One user with a token, per tenant and role (partner_staff: for p_partner).
CREATE OR REPLACE FUNCTION pg_temp.bench_user(p_tenant uuid, p_role text, p_name text, p_email text,
                                              p_partner uuid) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    uid uuid := gen_random_uuid();
    secret text := 'koop_bench_' || replace(gen_random_uuid()::text, '-', '')
                   || replace(gen_random_uuid()::text, '-', '');
BEGIN
    PERFORM koop.ctx(NULL, NULL, 'platform_admin', NULL, NULL, 'bench-seed', NULL);
    PERFORM koop.user_create(p_tenant, uid, jsonb_build_object('name', p_name, 'email', p_email,
                                                               'role', p_role, 'partner_id', p_partner));
    PERFORM koop.ctx(p_tenant::text, uid::text, p_role, p_partner::text, NULL, 'bench-seed', NULL);
    PERFORM koop.token_create(uid, gen_random_uuid(), encode(sha256(convert_to(secret, 'UTF8')), 'hex'),
                              '{"name": "bench", "expires_in_days": 30}');
    INSERT INTO bench_tokens VALUES (p_tenant, p_role, uid, p_partner, secret);
    RETURN uid;
END $$;

