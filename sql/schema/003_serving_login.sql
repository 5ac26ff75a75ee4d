-- 003: least privilege for the daemon. `kooperd serve` connects as a login role that owns nothing,
-- is no superuser and cannot bypass row-level security: koop_serve, a NOINHERIT member of the
-- serving role koop_app. It switches to koop_app after connecting (SET ROLE); were a session to
-- RESET ROLE, koop_serve itself has no privileges at all (NOINHERIT, no grants of its own), so it
-- can do nothing koop_app cannot. Only `kooperd migrate` connects as the owner
-- (DATABASE_OWNER_URL).
--
-- koop_serve is made NOLOGIN: the operator lets it log in, with a password
-- (`kooperd migrate` with KOOP_SERVE_PASSWORD does `ALTER ROLE koop_serve LOGIN PASSWORD ...`),
-- or scripts/pg.sh does for the private trust-over-socket cluster. A role that exists already
-- (made by the operator, e.g. with its password) is kept as it is and only made a member of
-- koop_app. Roles are cluster-wide: pg_dump of a database shows neither them nor memberships.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'koop_serve') THEN
        CREATE ROLE koop_serve NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_auth_members m
                   WHERE m.roleid = 'koop_app'::regrole AND m.member = 'koop_serve'::regrole) THEN
        GRANT koop_app TO koop_serve;
    END IF;
END $$;

-- 002's idempotency policy exempted every role but koop_app by name, the login role too: the
-- exemption is now the owner's only (koop.owner_session(), as koop.tenant_ok() uses).
DROP POLICY idem_scope ON idempotency_keys;
CREATE POLICY idem_scope ON idempotency_keys
    USING (user_id = koop.user_id() OR koop.owner_session());

-- Failed logins have no tenant: the platform admin reads them, and the other platform-level rows,
-- through GET /v1/audit-events; never a tenant's rows.
CREATE POLICY audit_read_platform ON audit_events FOR SELECT
    USING (tenant_id IS NULL AND koop.role() = 'platform_admin');
