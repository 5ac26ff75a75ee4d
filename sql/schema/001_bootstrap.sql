-- 001: extensions, the serving role and the koop schema (the functions' home).
-- Numbered schema files are applied once each, in order, in one transaction each, and recorded
-- with their SHA-256 in schema_migrations; once on main a file is never edited again.


CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- The daemon serves as koop_app: it owns nothing and cannot bypass row-level
-- security, whatever user DATABASE_URL names (SET ROLE after connecting).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'koop_app') THEN
        CREATE ROLE koop_app NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT pg_has_role(current_user, 'koop_app', 'MEMBER') THEN
        EXECUTE format('GRANT koop_app TO %I', current_user);
    END IF;
END $$;

CREATE SCHEMA koop;
COMMENT ON SCHEMA koop IS 'The API''s SQL functions; tables live in public.';
GRANT USAGE ON SCHEMA koop TO koop_app;
