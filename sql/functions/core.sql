-- sql/functions/core.sql — platform helpers: timestamps, problems raised from SQL, merge patch, If-Match versions, events,
-- audit, idempotency keys, keyset pages, authentication.
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- Timestamps as the API shows them: UTC, microseconds, "Z". STABLE, as to_char is: declared
-- IMMUTABLE it could not be inlined (its body would be more volatile than it), and a SQL
-- function that is not inlined is parsed and planned again in every statement that calls it.
CREATE OR REPLACE FUNCTION koop.ts(t timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- LIKE pattern that matches q anywhere, with q's wildcards escaped.
CREATE OR REPLACE FUNCTION koop.contains_pattern(q text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT '%' || replace(replace(replace(koop.norm(q), '\', '\\'), '%', '\%'), '_', '\_') || '%' $$;

-- Problems raised by SQL reach the client as problem+json: SQLSTATE KP<status>,
-- HINT the problem code, MESSAGE the detail, DETAIL a JSON object of
-- extension members (errors, allowed, missing). Never put personal data here.
CREATE OR REPLACE FUNCTION koop.fail(p_status int, p_code text, p_detail text, p_ext jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'KP' || p_status::text, MESSAGE = p_detail, HINT = p_code,
        DETAIL = coalesce(p_ext, '{}'::jsonb)::text;
END $$;

CREATE OR REPLACE FUNCTION koop.fail_field(p_field text, p_code text, p_message text) RETURNS void
LANGUAGE sql AS $$
    SELECT koop.fail(422, 'validation_failed', '1 invalid field',
        jsonb_build_object('errors', jsonb_build_array(jsonb_build_object(
            'field', p_field, 'code', p_code, 'message', p_message, 'in', 'body'))))
$$;

-- RFC 7396 JSON merge patch.
CREATE OR REPLACE FUNCTION koop.merge_patch(target jsonb, patch jsonb) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION koop.check_version(p_current int, p_expected int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_expected IS NOT NULL AND p_current <> p_expected THEN
        PERFORM koop.fail(412, 'precondition_failed',
            format('the record is at version %s; If-Match named %s', p_current, p_expected));
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.not_found(p_what text) RETURNS void LANGUAGE sql AS
$$ SELECT koop.fail(404, 'not_found', 'no such ' || p_what) $$;

-- 008: the change feed grows long-poll and visibility.
-- Events notify listeners at commit (NOTIFY koop_events, payload: the tenant
-- id; identical notifications of one transaction are folded into one), and
-- callers see only events about resources their role could see.
-- 009 (SPEC §9): no per-tenant lock. The event's id is (this transaction's id << 16) + its number
-- within the transaction, so ids sort by writing transaction; readers hand out only ids below
-- koop.event_horizon(), which no running or later transaction can write under.
CREATE OR REPLACE FUNCTION koop.emit(p_type text, p_resource text, p_id uuid, p_version int)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(nullif(current_setting('koop.event_n', true), '')::int, 0) + 1;
BEGIN
    IF n > 65535 THEN
        RAISE EXCEPTION 'more than 65535 events in one transaction' USING ERRCODE = '54000';
    END IF;
    PERFORM set_config('koop.event_n', n::text, true);
    INSERT INTO events (id, tenant_id, type, resource, resource_id, version)
    VALUES ((pg_current_xact_id()::text::bigint << 16) + n, koop.tenant(), p_type, p_resource,
            p_id, p_version);
    PERFORM pg_notify('koop_events', koop.tenant()::text);
END $$;

-- The feed's horizon: events with a lower id are committed or never will be, and no transaction
-- still running (or yet to start) can add one below it.
CREATE OR REPLACE FUNCTION koop.event_horizon() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16 $$;

CREATE OR REPLACE FUNCTION koop.audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
END $$;
CREATE OR REPLACE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION koop.audit_refuse();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION koop.audit_refuse();

CREATE OR REPLACE FUNCTION koop.audit(p_action text, p_resource text, p_id uuid, p_status int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_events (tenant_id, actor_id, token_id, action, resource, resource_id, ip,
                              request_id, status)
    VALUES (koop.tenant(), koop.user_id(), nullif(current_setting('koop.token_id', true), '')::uuid,
            p_action, p_resource, p_id, nullif(current_setting('koop.ip', true), ''),
            nullif(current_setting('koop.request_id', true), ''), p_status)
$$;

-- Stored responses live 24 h whatever the traffic: every claim purges expired
-- ones of all users (a bounded batch), and the periodic job (server/jobs.c,
-- api/task_teams.c koop_api_jobs) calls it too. SECURITY DEFINER: the rows
-- belong to whichever user made them. Returns how many went.
CREATE OR REPLACE FUNCTION koop.idem_expire() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM idempotency_keys k WHERE (k.user_id, k.method, k.path, k.key) IN (
        SELECT x.user_id, x.method, x.path, x.key FROM idempotency_keys x
        WHERE x.created_at < now() - interval '24 hours' LIMIT 1000);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION koop.idem_expire() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.idem_expire() TO koop_app;

-- Claims a key for this request (returns no stored response), or returns the
-- stored response of an earlier request with the same key. A concurrent
-- request with the same key waits here until the first one commits.
CREATE OR REPLACE FUNCTION koop.idem_claim(p_key text, p_method text, p_path text, p_hash text)
RETURNS TABLE (status int, body text, version text) LANGUAGE plpgsql AS $$
DECLARE
    k idempotency_keys;
BEGIN
    PERFORM koop.idem_expire();
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

CREATE OR REPLACE FUNCTION koop.idem_save(p_key text, p_method text, p_path text, p_status int, p_body jsonb)
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
-- The fragments are constants of koop.service_list and koop.public_service_list (the
-- daemon's declared lists, struct koop_list, build the same statement in C and keep it
-- prepared: server/resource.c list_sql); p_check,
-- when not NULL, is an expression evaluated first with the same parameters
-- (e.g. koop.team_must_see($4): 404 when the parent is not visible).
CREATE OR REPLACE FUNCTION koop.page(p_from text, p_json text, p_where text, p_key text, p_keytype text,
                          p_desc boolean, p_filters jsonb, p_after jsonb, p_limit int,
                          p_parent uuid, p_check text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    dir text := CASE WHEN p_desc THEN 'DESC' ELSE 'ASC' END;
    cmp text := CASE WHEN p_desc THEN '<' ELSE '>' END;
    sql text;
    result jsonb;
BEGIN
    IF p_check IS NOT NULL THEN
        EXECUTE 'SELECT ' || p_check USING p_filters, p_after, p_limit, p_parent;
    END IF;
    PERFORM koop.cursor_check(p_after, p_keytype); -- a forged cursor is the client's error
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
CREATE OR REPLACE FUNCTION koop.sort_key(p_sort text, p_keys jsonb, OUT key text, OUT keytype text,
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
-- scopes: the token's, space-separated (007), NULL for none.
DROP FUNCTION IF EXISTS koop.auth(text, text, text);
CREATE FUNCTION koop.auth(p_hash text, p_ip text, p_request text)
RETURNS TABLE (token_id uuid, user_id uuid, tenant_id uuid, role text, partner_id uuid,
               expires_epoch bigint, scopes text)
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
        extract(epoch FROM t.expires_at)::bigint, array_to_string(t.scopes, ' ');
END $$;

-- Daemons cache successful token lookups; any change that could end a
-- token's validity tells them to forget (NOTIFY at commit).
CREATE OR REPLACE FUNCTION koop.auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koop_auth', '');
    RETURN NULL;
END $$;
-- (not on last_used_at, which koop.auth itself moves)
CREATE OR REPLACE TRIGGER tokens_auth_changed AFTER UPDATE OF revoked_at, expires_at, user_id OR DELETE
    ON tokens FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();
CREATE OR REPLACE TRIGGER users_auth_changed AFTER UPDATE OF active, role, partner_id, tenant_id OR DELETE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();
CREATE OR REPLACE TRIGGER tenants_auth_changed AFTER UPDATE OF active OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION koop.auth_changed();

REVOKE ALL ON FUNCTION koop.auth(text, text, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION koop.auth(text, text, text) TO koop_app;


-- Writes one audit row for a list read, naming the ids returned.
CREATE OR REPLACE FUNCTION koop.audit_list(p_resource text, p_page jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_events (tenant_id, actor_id, token_id, action, resource, resource_id, ip,
                              request_id, status, resource_ids)
    VALUES (koop.tenant(), koop.user_id(), nullif(current_setting('koop.token_id', true), '')::uuid,
            'read', p_resource, NULL, nullif(current_setting('koop.ip', true), ''),
            nullif(current_setting('koop.request_id', true), ''), 200,
            ARRAY(SELECT (x ->> 'id')::uuid FROM jsonb_array_elements(p_page -> 'items') x));
    RETURN p_page;
END $$;


-- A denied access to family data (404/403), recorded by the daemon in its own
-- transaction after the request's transaction rolled back.
CREATE OR REPLACE FUNCTION koop.audit_denied(p_action text, p_resource text, p_id uuid, p_status int)
RETURNS void LANGUAGE sql AS $$
    SELECT koop.audit(p_action, p_resource, p_id, p_status)
$$;

-- A scoped token refused for want of p_scope (403 insufficient_scope), on any route, recorded
-- by the daemon in a transaction of its own (server/http.c).
CREATE OR REPLACE FUNCTION koop.audit_scope_denied(p_action text, p_resource text, p_id uuid,
                                                   p_scope text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO audit_events (tenant_id, actor_id, token_id, action, resource, resource_id, ip,
                              request_id, status, scope)
    VALUES (koop.tenant(), koop.user_id(), nullif(current_setting('koop.token_id', true), '')::uuid,
            p_action, p_resource, p_id, nullif(current_setting('koop.ip', true), ''),
            nullif(current_setting('koop.request_id', true), ''), 403, p_scope)
$$;

-- A list cursor's key must be of the sort's type (a forged one is the client's error): the
-- daemon's list statements (server/resource.c list_sql) gate on it before reading a row.
CREATE OR REPLACE FUNCTION koop.cursor_check(p_after jsonb, p_keytype text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_after IS NOT NULL THEN
        BEGIN
            EXECUTE format('SELECT ($1->>''k'')::%s', p_keytype) USING p_after;
        EXCEPTION WHEN data_exception THEN
            PERFORM koop.fail(422, 'validation_failed', 'the cursor is not valid',
                jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'cursor',
                    'code', 'invalid', 'message', 'is not a cursor of this list', 'in', 'query'))));
        END;
    END IF;
    RETURN true;
END $$;
