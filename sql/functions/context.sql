-- sql/functions/context.sql — the request context (koop.ctx and its readers) and koop.norm: row-level security policies and
-- search indexes call these, so they are also applied before pending schema files ("early" in
-- sql/functions.list) and may use only built-in types.
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- ---------------------------------------------------------------------------
-- Request context: set once per transaction (set_config(..., true)) by the
-- daemon in the same round trip as the work, read by policies and functions.
CREATE OR REPLACE FUNCTION koop.ctx(p_tenant text, p_user text, p_role text, p_partner text, p_token text,
                         p_request text, p_ip text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('koop.tenant_id', coalesce(p_tenant, ''), true),
            set_config('koop.user_id', coalesce(p_user, ''), true),
            set_config('koop.role', coalesce(p_role, ''), true),
            set_config('koop.partner_id', coalesce(p_partner, ''), true),
            set_config('koop.token_id', coalesce(p_token, ''), true),
            set_config('koop.request_id', coalesce(p_request, ''), true),
            set_config('koop.ip', coalesce(p_ip, ''), true);
END $$;

-- The same context as a boolean, for the daemon's one-statement requests: every prepared
-- statement also exists as `SELECT * FROM (<statement>) q WHERE (SELECT koop.ctx_ok(...))`
-- (server/db.c). The uncorrelated subquery is an initplan, and the qual on it a gating
-- "One-Time Filter" evaluated before any row of the statement is fetched, so the context is set
-- before the statement's functions and policies run; set_config(..., true) lasts until the end
-- of the statement's own (implicit) transaction. LANGUAGE sql without SET or SECURITY DEFINER:
-- inlined by the planner, no PL/pgSQL call per request.
CREATE OR REPLACE FUNCTION koop.ctx_ok(p_tenant text, p_user text, p_role text, p_partner text, p_token text,
                         p_request text, p_ip text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    SELECT num_nulls(set_config('koop.tenant_id', coalesce(p_tenant, ''), true),
                     set_config('koop.user_id', coalesce(p_user, ''), true),
                     set_config('koop.role', coalesce(p_role, ''), true),
                     set_config('koop.partner_id', coalesce(p_partner, ''), true),
                     set_config('koop.token_id', coalesce(p_token, ''), true),
                     set_config('koop.request_id', coalesce(p_request, ''), true),
                     set_config('koop.ip', coalesce(p_ip, ''), true)) = 0
$$;

CREATE OR REPLACE FUNCTION koop.tenant() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.tenant_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION koop.user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION koop.role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('koop.role', true), '') $$;

CREATE OR REPLACE FUNCTION koop.partner() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.partner_id', true), '')::uuid $$;

-- Whether the current role is the owner of the koop schema (the role that ran the migrations):
-- true in `kooperd migrate` and inside SECURITY DEFINER functions, false for koop_app and for
-- the login the daemon connects as (koop_serve), also after a RESET ROLE.
CREATE OR REPLACE FUNCTION koop.owner_session() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                  WHERE n.nspname = 'koop' AND pg_catalog.pg_get_userbyid(n.nspowner) = current_user) $$;

-- Row-level security's test: every role sees its tenant's rows only, but the owner (running
-- migrations, or SECURITY DEFINER functions) is not restricted by it.
CREATE OR REPLACE FUNCTION koop.tenant_ok(p_tenant uuid) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT p_tenant = koop.tenant() OR koop.owner_session() $$;

-- Text as search compares it: lower case, without diacritics (IMMUTABLE
-- wrapper so that it can be indexed; unaccent() itself is STABLE).
CREATE OR REPLACE FUNCTION koop.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;
