-- 001: the platform core: serving role, context, tenants, users, tokens,
-- events, audit and idempotency. Applied once, in one transaction, by
-- `kooperd migrate` (see server/migrate.c).

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

-- ---------------------------------------------------------------------------
-- Request context: set once per transaction (set_config(..., true)) by the
-- daemon in the same round trip as the work, read by policies and functions.

CREATE FUNCTION koop.ctx(p_tenant text, p_user text, p_role text, p_partner text, p_token text,
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

CREATE FUNCTION koop.tenant() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.tenant_id', true), '')::uuid $$;
CREATE FUNCTION koop.user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.user_id', true), '')::uuid $$;
CREATE FUNCTION koop.role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('koop.role', true), '') $$;
CREATE FUNCTION koop.partner() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('koop.partner_id', true), '')::uuid $$;

-- Row-level security's test: the serving role sees its tenant's rows only;
-- other roles (the owner running migrations, SECURITY DEFINER functions) are
-- not restricted by it.
CREATE FUNCTION koop.tenant_ok(p_tenant uuid) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT p_tenant = koop.tenant() OR current_user <> 'koop_app' $$;

-- Timestamps as the API shows them: UTC, microseconds, "Z".
CREATE FUNCTION koop.ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- Text as search compares it: lower case, without diacritics (IMMUTABLE
-- wrapper so that it can be indexed; unaccent() itself is STABLE).
CREATE FUNCTION koop.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
$$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

-- LIKE pattern that matches q anywhere, with q's wildcards escaped.
CREATE FUNCTION koop.contains_pattern(q text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT '%' || replace(replace(replace(koop.norm(q), '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;

-- Problems raised by SQL reach the client as problem+json: SQLSTATE KP<status>,
-- HINT the problem code, MESSAGE the detail, DETAIL a JSON object of
-- extension members (errors, allowed, missing). Never put personal data here.
CREATE FUNCTION koop.fail(p_status int, p_code text, p_detail text, p_ext jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'KP' || p_status::text, MESSAGE = p_detail, HINT = p_code,
        DETAIL = coalesce(p_ext, '{}'::jsonb)::text;
END $$;

CREATE FUNCTION koop.fail_field(p_field text, p_code text, p_message text) RETURNS void
LANGUAGE sql AS $$
    SELECT koop.fail(422, 'validation_failed', '1 invalid field',
        jsonb_build_object('errors', jsonb_build_array(jsonb_build_object(
            'field', p_field, 'code', p_code, 'message', p_message, 'in', 'body'))))
$$;

-- RFC 7396 JSON merge patch.
CREATE FUNCTION koop.merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
    v jsonb;
    result jsonb;
BEGIN
    IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
        RETURN patch;
    END IF;
    result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
    FOR k, v IN SELECT * FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(v) = 'null' THEN
            result := result - k;
        ELSE
            result := jsonb_set(result, ARRAY[k], koop.merge_patch(result -> k, v), true);
        END IF;
    END LOOP;
    RETURN result;
END $$;

-- A row's version must equal If-Match's; 412 otherwise (NULL = not checked).
CREATE FUNCTION koop.check_version(p_current int, p_expected int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_expected IS NOT NULL AND p_current <> p_expected THEN
        PERFORM koop.fail(412, 'precondition_failed',
            format('the record is at version %s; If-Match named %s', p_current, p_expected));
    END IF;
END $$;

CREATE FUNCTION koop.not_found(p_what text) RETURNS void LANGUAGE sql AS
$$ SELECT koop.fail(404, 'not_found', 'no such ' || p_what) $$;

-- ---------------------------------------------------------------------------
-- Tenants: municipalities and counties. Platform level: no tenant_id of
-- their own beyond id.

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    teryt text NOT NULL UNIQUE CHECK (teryt ~ '^([0-9]{4}|[0-9]{7})$'),
    kind text NOT NULL CHECK (kind IN ('gmina_miejska', 'gmina_wiejska', 'gmina_miejsko_wiejska',
                                       'powiat', 'miasto_na_prawach_powiatu')),
    voivodeship text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenants IS 'Municipalities (gmina) and counties (powiat) running a cooperation.';

-- ---------------------------------------------------------------------------
-- Users and tokens.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role text NOT NULL CHECK (role IN ('platform_admin', 'admin', 'coordinator', 'social_worker',
                                       'partner_staff', 'auditor', 'regional_analyst')),
    partner_id uuid,
    active boolean NOT NULL DEFAULT true,
    granted_tenant_ids uuid[] NOT NULL DEFAULT '{}',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- platform roles have no tenant; every other role has one
    CHECK ((role IN ('platform_admin', 'regional_analyst')) = (tenant_id IS NULL)),
    CHECK ((role = 'partner_staff') = (partner_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email)) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_platform_email ON users (lower(email)) WHERE tenant_id IS NULL;
CREATE INDEX users_tenant_created ON users (tenant_id, created_at, id);
COMMENT ON INDEX users_tenant_created IS 'user_list keyset pages';

CREATE TABLE tokens (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    user_id uuid NOT NULL REFERENCES users (id),
    name text CHECK (length(name) BETWEEN 1 AND 100),
    hash text NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
COMMENT ON TABLE tokens IS 'Bearer tokens, stored as SHA-256 of the secret; the secret is shown once.';
CREATE INDEX tokens_user ON tokens (user_id, created_at);

-- ---------------------------------------------------------------------------
-- Events (the change feed) and audit.

CREATE TABLE events (
    id bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    type text NOT NULL,
    resource text NOT NULL,
    resource_id uuid NOT NULL,
    version int,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tenant_id ON events (tenant_id, id);
COMMENT ON TABLE events IS 'Committed changes, no personal data. Within a tenant ids are assigned '
    'under a per-tenant transaction lock held to commit, so id order is commit order and a '
    'reader following ids never skips an event.';

-- Appends an event for the current tenant.
CREATE FUNCTION koop.emit(p_type text, p_resource text, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4242, hashtext(koop.tenant()::text));
    INSERT INTO events (tenant_id, type, resource, resource_id, version)
    VALUES (koop.tenant(), p_type, p_resource, p_id, p_version);
END $$;

CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id uuid,
    token_id uuid,
    action text NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete', 'transition',
                                           'export', 'anonymize', 'login_failed')),
    resource text NOT NULL,
    resource_id uuid,
    ip text,
    request_id text,
    status int NOT NULL
);
CREATE INDEX audit_tenant_id ON audit_events (tenant_id, id);
CREATE INDEX audit_tenant_resource ON audit_events (tenant_id, resource, resource_id, id);
COMMENT ON TABLE audit_events IS 'Append-only record of access and changes; UPDATE, DELETE and '
    'TRUNCATE are refused by triggers, for every role.';

CREATE FUNCTION koop.audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION koop.audit_refuse();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION koop.audit_refuse();

CREATE FUNCTION koop.audit(p_action text, p_resource text, p_id uuid, p_status int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_events (tenant_id, actor_id, token_id, action, resource, resource_id, ip,
                              request_id, status)
    VALUES (koop.tenant(), koop.user_id(), nullif(current_setting('koop.token_id', true), '')::uuid,
            p_action, p_resource, p_id, nullif(current_setting('koop.ip', true), ''),
            nullif(current_setting('koop.request_id', true), ''), p_status)
$$;

-- ---------------------------------------------------------------------------
-- Idempotency keys: scoped to user + method + path, kept 24 hours.

CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id),
    method text NOT NULL,
    path text NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    tenant_id uuid REFERENCES tenants (id),
    body_hash text NOT NULL,
    status int,
    body text,
    version text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, method, path, key)
);
COMMENT ON TABLE idempotency_keys IS 'Responses to POSTs sent with Idempotency-Key, replayed on retry.';

-- Claims a key for this request (returns no stored response), or returns the
-- stored response of an earlier request with the same key. A concurrent
-- request with the same key waits here until the first one commits.
CREATE FUNCTION koop.idem_claim(p_key text, p_method text, p_path text, p_hash text)
RETURNS TABLE (status int, body text, version text) LANGUAGE plpgsql AS $$
DECLARE
    k idempotency_keys;
BEGIN
    DELETE FROM idempotency_keys i WHERE i.user_id = koop.user_id()
        AND i.created_at < now() - interval '24 hours';
    INSERT INTO idempotency_keys (user_id, method, path, key, tenant_id, body_hash)
    VALUES (koop.user_id(), p_method, p_path, p_key, koop.tenant(), p_hash)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO k FROM idempotency_keys i WHERE i.user_id = koop.user_id()
        AND i.method = p_method AND i.path = p_path AND i.key = p_key;
    IF k.body_hash <> p_hash THEN
        PERFORM koop.fail(422, 'validation_failed', 'the Idempotency-Key was used with another body',
            jsonb_build_object('errors', jsonb_build_array(jsonb_build_object(
                'field', 'Idempotency-Key', 'code', 'invalid', 'in', 'header',
                'message', 'was already used with a different body'))));
    END IF;
    RETURN QUERY SELECT k.status, k.body, k.version;
END $$;

CREATE FUNCTION koop.idem_save(p_key text, p_method text, p_path text, p_status int, p_body jsonb)
RETURNS jsonb LANGUAGE sql AS $$
    UPDATE idempotency_keys SET status = p_status, body = p_body::text,
        version = p_body ->> 'version'
    WHERE user_id = koop.user_id() AND method = p_method AND path = p_path AND key = p_key;
    SELECT p_body;
$$;

-- ---------------------------------------------------------------------------
-- Keyset pages for every list: builds one statement from fixed fragments
-- (values are always parameters: $1 filters, $2 after-key, $3 limit,
-- $4 parent id) and returns {"items": [...], "next": {"k", "i"} | null}.

CREATE FUNCTION koop.page(p_from text, p_json text, p_where text, p_key text, p_keytype text,
                          p_desc boolean, p_filters jsonb, p_after jsonb, p_limit int,
                          p_parent uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    dir text := CASE WHEN p_desc THEN 'DESC' ELSE 'ASC' END;
    cmp text := CASE WHEN p_desc THEN '<' ELSE '>' END;
    sql text;
    result jsonb;
BEGIN
    IF p_after IS NOT NULL THEN
        -- a cursor's key must be of the sort's type (a forged one is the client's error)
        BEGIN
            EXECUTE format('SELECT ($1->>''k'')::%s', p_keytype) USING p_after;
        EXCEPTION WHEN data_exception THEN
            PERFORM koop.fail(422, 'validation_failed', 'the cursor is not valid',
                jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'cursor',
                    'code', 'invalid', 'message', 'is not a cursor of this list', 'in', 'query'))));
        END;
    END IF;
    sql := format(
        'WITH page AS (SELECT %2$s AS j, (%4$s)::text AS k, t.id AS i, '
        '  row_number() OVER (ORDER BY %4$s %6$s, t.id %6$s) AS rn '
        '  FROM %1$s t WHERE %8$s AND (%3$s) %7$s '
        '  ORDER BY %4$s %6$s, t.id %6$s LIMIT $3 + 1) '
        'SELECT jsonb_build_object(''items'', '
        '  coalesce((SELECT jsonb_agg(j ORDER BY rn) FROM page WHERE rn <= $3), ''[]''::jsonb), '
        '  ''next'', (SELECT jsonb_build_object(''k'', k, ''i'', i) FROM page WHERE rn = $3 '
        '    AND EXISTS (SELECT 1 FROM page WHERE rn = $3 + 1)))',
        p_from, p_json, p_where, p_key, p_keytype, dir,
        CASE WHEN p_after IS NULL THEN ''
             ELSE format('AND (%s, t.id) %s ((($2->>''k'')::%s), ($2->>''i'')::uuid)',
                         p_key, cmp, p_keytype) END,
        -- the tenant filter is always part of the query; platform-level
        -- callers (no tenant) page over platform-level rows
        CASE WHEN koop.tenant() IS NULL THEN 't.tenant_id IS NULL'
             ELSE 't.tenant_id = koop.tenant()' END);
    EXECUTE sql INTO result USING p_filters, p_after, p_limit, p_parent;
    RETURN result;
END $$;

-- Sort name → (key expression, type, descending).
CREATE FUNCTION koop.sort_key(p_sort text, p_keys jsonb, OUT key text, OUT keytype text,
                              OUT descending boolean) LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    name text := ltrim(p_sort, '-');
BEGIN
    IF NOT p_keys ? name THEN
        PERFORM koop.fail(422, 'validation_failed', 'unknown sort');
    END IF;
    key := p_keys -> name ->> 0;
    keytype := p_keys -> name ->> 1;
    descending := left(p_sort, 1) = '-';
END $$;

-- ---------------------------------------------------------------------------
-- Authentication: token hash → caller. SECURITY DEFINER: it reads across
-- tenants (the caller's tenant is what it finds out). Records failed logins.

CREATE FUNCTION koop.auth(p_hash text, p_ip text, p_request text)
RETURNS TABLE (token_id uuid, user_id uuid, tenant_id uuid, role text, partner_id uuid,
               expires_epoch bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t tokens;
    u users;
BEGIN
    SELECT * INTO t FROM tokens WHERE hash = p_hash;
    IF FOUND THEN
        SELECT * INTO u FROM users WHERE id = t.user_id;
    END IF;
    IF t.id IS NULL OR t.revoked_at IS NOT NULL OR t.expires_at <= now() OR NOT u.active
       OR (u.tenant_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM tenants WHERE id = u.tenant_id AND active)) THEN
        INSERT INTO audit_events (tenant_id, action, resource, ip, request_id, status)
        VALUES (NULL, 'login_failed', 'token', nullif(p_ip, ''), nullif(p_request, ''), 401);
        RETURN;
    END IF;
    IF t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' THEN
        UPDATE tokens SET last_used_at = now() WHERE id = t.id;
    END IF;
    RETURN QUERY SELECT t.id, u.id, u.tenant_id, u.role, u.partner_id,
        extract(epoch FROM t.expires_at)::bigint;
END $$;
REVOKE ALL ON FUNCTION koop.auth(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.auth(text, text, text) TO koop_app;

-- Daemons cache successful token lookups; any change that could end a
-- token's validity tells them to forget (NOTIFY at commit).
CREATE FUNCTION koop.auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koop_auth', '');
    RETURN NULL;
END $$;
-- (not on last_used_at, which koop.auth itself moves)
CREATE TRIGGER tokens_auth_changed AFTER UPDATE OF revoked_at, expires_at, user_id OR DELETE
    ON tokens FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();
CREATE TRIGGER users_auth_changed AFTER UPDATE OF active, role, partner_id, tenant_id OR DELETE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();
CREATE TRIGGER tenants_auth_changed AFTER UPDATE OF active OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();

-- ---------------------------------------------------------------------------
-- Row-level security, forced, on every table.

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants
    USING (koop.tenant_ok(id) OR koop.role() = 'platform_admin');

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_scope ON users
    USING (koop.tenant_ok(tenant_id) OR koop.role() = 'platform_admin' OR id = koop.user_id());

ALTER TABLE tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tokens_scope ON tokens
    USING (koop.tenant_ok(tenant_id) OR koop.role() = 'platform_admin'
           OR user_id = koop.user_id());

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_scope ON events USING (koop.tenant_ok(tenant_id));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit_events FOR SELECT USING (koop.tenant_ok(tenant_id));
-- platform-level callers (no tenant) write platform-level rows
CREATE POLICY audit_write ON audit_events FOR INSERT
    WITH CHECK (koop.tenant_ok(tenant_id) OR (tenant_id IS NULL AND koop.tenant() IS NULL));

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idem_scope ON idempotency_keys
    USING (user_id = koop.user_id() OR current_user <> 'koop_app');

GRANT SELECT, INSERT, UPDATE ON tenants, users, tokens TO koop_app;
GRANT SELECT, INSERT ON events, audit_events TO koop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO koop_app;
GRANT USAGE ON SEQUENCE events_id_seq, audit_events_id_seq TO koop_app;
