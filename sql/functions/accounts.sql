-- sql/functions/accounts.sql — tenants, users, tokens, regional grants (/v1/tenants, /v1/users, /v1/me).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- 002: the functions behind /v1/tenants, /v1/users and /v1/users/{id}/tokens.
-- Input arrives validated by the daemon's field specs (types, lengths,
-- enums); these functions add the rules that need the database.

-- ---------------------------------------------------------------------------
-- Tenants (platform_admin only; the route table enforces the role).
CREATE OR REPLACE FUNCTION koop.tenant_json(t tenants) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', t.id, 'name', t.name, 'teryt', t.teryt, 'kind', t.kind,
        'voivodeship', t.voivodeship, 'active', t.active,
        'referral_overdue_days', t.referral_overdue_days, 'version', t.version,
        'created_at', koop.ts(t.created_at), 'updated_at', koop.ts(t.updated_at))
$$;

-- TERC voivodeship codes (02..32, even) and their Polish names, as records show them.
CREATE OR REPLACE FUNCTION koop.voivodeship_of(p_teryt text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE left(p_teryt, 2)
        WHEN '02' THEN 'dolnośląskie' WHEN '04' THEN 'kujawsko-pomorskie'
        WHEN '06' THEN 'lubelskie' WHEN '08' THEN 'lubuskie' WHEN '10' THEN 'łódzkie'
        WHEN '12' THEN 'małopolskie' WHEN '14' THEN 'mazowieckie' WHEN '16' THEN 'opolskie'
        WHEN '18' THEN 'podkarpackie' WHEN '20' THEN 'podlaskie' WHEN '22' THEN 'pomorskie'
        WHEN '24' THEN 'śląskie' WHEN '26' THEN 'świętokrzyskie'
        WHEN '28' THEN 'warmińsko-mazurskie' WHEN '30' THEN 'wielkopolskie'
        WHEN '32' THEN 'zachodniopomorskie' END
$$;

-- A voivodeship as a client may give it: the TERC code ("24"), or the name with or without
-- diacritics, in any case, with "-" or "_" ("śląskie", "SLASKIE", "kujawsko_pomorskie").
-- Returns the Polish name, or NULL when it names none.
CREATE OR REPLACE FUNCTION koop.voivodeship_parse(p text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN btrim(p) ~ '^[0-9]{2}$' THEN koop.voivodeship_of(btrim(p))
        ELSE (SELECT v FROM unnest(ARRAY['02', '04', '06', '08', '10', '12', '14', '16', '18',
                                         '20', '22', '24', '26', '28', '30', '32']) c,
                            koop.voivodeship_of(c) v
              WHERE koop.norm(v) = replace(koop.norm(btrim(p)), '_', '-')) END
$$;

CREATE OR REPLACE FUNCTION koop.tenant_check(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d ->> 'voivodeship' IS NOT NULL AND koop.voivodeship_parse(d ->> 'voivodeship') IS NULL THEN
        PERFORM koop.fail_field('voivodeship', 'enum',
            'is not a voivodeship (its TERC code like "24" or its name like "śląskie")');
    END IF;
    IF d ->> 'voivodeship' IS NOT NULL
       AND koop.voivodeship_of(d ->> 'teryt') IS DISTINCT FROM koop.voivodeship_parse(d ->> 'voivodeship') THEN
        PERFORM koop.fail_field('voivodeship', 'invalid',
            'does not match the voivodeship part of teryt');
    END IF;
    IF (length(d ->> 'teryt') = 4) <> (d ->> 'kind' = 'powiat') THEN
        PERFORM koop.fail_field('kind', 'invalid',
            'a 4-digit teryt is a powiat; a 7-digit teryt is a gmina or city');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.tenant_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t tenants;
BEGIN
    PERFORM koop.tenant_check(p_body);
    IF EXISTS (SELECT 1 FROM tenants WHERE teryt = p_body ->> 'teryt') THEN
        PERFORM koop.fail(409, 'conflict', 'a tenant with this teryt already exists');
    END IF;
    INSERT INTO tenants (id, name, teryt, kind, voivodeship)
    VALUES (p_id, p_body ->> 'name', p_body ->> 'teryt', p_body ->> 'kind',
            koop.voivodeship_of(p_body ->> 'teryt'))
    RETURNING * INTO t;
    PERFORM koop.audit('create', 'tenant', t.id, 201);
    RETURN koop.tenant_json(t);
END $$;

CREATE OR REPLACE FUNCTION koop.tenant_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.tenant_json(t) FROM tenants t WHERE t.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.tenant_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t tenants;
BEGIN
    SELECT * INTO t FROM tenants WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('tenant');
    END IF;
    PERFORM koop.check_version(t.version, p_version);
    IF p_patch ? 'kind' THEN
        PERFORM koop.tenant_check(jsonb_build_object('teryt', t.teryt, 'kind', p_patch ->> 'kind',
                                                     'voivodeship', t.voivodeship));
    END IF;
    UPDATE tenants SET name = coalesce(p_patch ->> 'name', name),
        kind = coalesce(p_patch ->> 'kind', kind),
        active = coalesce((p_patch ->> 'active')::boolean, active),
        version = version + 1, updated_at = now()
    WHERE id = p_id RETURNING * INTO t;
    PERFORM koop.audit('update', 'tenant', t.id, 200);
    RETURN koop.tenant_json(t);
END $$;

-- The caller's tenant's settings (GET/PATCH /v1/settings: its admin changes them). The ETag is
-- the tenant's version.
CREATE OR REPLACE FUNCTION koop.settings_json(t tenants) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('tenant_id', t.id, 'name', t.name,
        'referral_overdue_days', t.referral_overdue_days, 'retention_years', t.retention_years,
        'version', t.version,
        'updated_at', koop.ts(t.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.settings_get() RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.settings_json(t) FROM tenants t WHERE t.id = koop.tenant());
END $$;

CREATE OR REPLACE FUNCTION koop.settings_patch(p_version int, p_patch jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t tenants;
BEGIN
    SELECT * INTO t FROM tenants WHERE id = koop.tenant() FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('tenant');
    END IF;
    PERFORM koop.check_version(t.version, p_version);
    UPDATE tenants SET referral_overdue_days = coalesce((p_patch ->> 'referral_overdue_days')::int,
                                                        referral_overdue_days),
        -- (null switches retention off: only when sent explicitly)
        retention_years = CASE WHEN p_patch ? 'retention_years' THEN (p_patch ->> 'retention_years')::int
                               ELSE retention_years END,
        version = version + 1, updated_at = now()
    WHERE id = t.id RETURNING * INTO t;
    PERFORM koop.audit('update', 'tenant', t.id, 200);
    RETURN koop.settings_json(t);
END $$;

-- ---------------------------------------------------------------------------
-- Users. An admin manages its tenant's users; a platform admin manages
-- platform users (platform_admin, regional_analyst) at /v1/users and a
-- tenant's users at /v1/tenants/{id}/users.
CREATE OR REPLACE FUNCTION koop.user_json(u users) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', u.id, 'tenant_id', u.tenant_id, 'name', u.name,
        'email', u.email, 'role', u.role, 'partner_id', u.partner_id, 'active', u.active,
        'granted_tenant_ids', to_jsonb(u.granted_tenant_ids), 'version', u.version,
        'created_at', koop.ts(u.created_at), 'updated_at', koop.ts(u.updated_at))
$$;

-- The tenant a user-management request acts on: the caller's own, or for a
-- platform admin the one in the path (NULL = platform level).
CREATE OR REPLACE FUNCTION koop.user_scope(p_parent uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN koop.role() = 'platform_admin' THEN p_parent ELSE koop.tenant() END
$$;

-- Checks role/partner/grants of a user document for the scope.
CREATE OR REPLACE FUNCTION koop.user_check(d jsonb, p_tenant uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r text := d ->> 'role';
    g uuid;
BEGIN
    IF p_tenant IS NULL AND r NOT IN ('platform_admin', 'regional_analyst') THEN
        PERFORM koop.fail_field('role', 'invalid',
            'platform-level users are platform_admin or regional_analyst; create tenant users at /v1/tenants/{tenant_id}/users');
    END IF;
    IF p_tenant IS NOT NULL AND r IN ('platform_admin', 'regional_analyst') THEN
        PERFORM koop.fail_field('role', 'invalid', 'this role has no tenant');
    END IF;
    IF r = 'partner_staff' AND d ->> 'partner_id' IS NULL THEN
        PERFORM koop.fail_field('partner_id', 'required', 'is required for partner_staff');
    END IF;
    IF r <> 'partner_staff' AND d ->> 'partner_id' IS NOT NULL THEN
        PERFORM koop.fail_field('partner_id', 'invalid', 'is only for partner_staff');
    END IF;
    IF d ->> 'partner_id' IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM partners WHERE tenant_id = p_tenant AND id = (d ->> 'partner_id')::uuid) THEN
        PERFORM koop.fail_field('partner_id', 'not_found', 'no such partner in this tenant');
    END IF;
    IF jsonb_array_length(coalesce(d -> 'granted_tenant_ids', '[]')) > 0 THEN
        IF r <> 'regional_analyst' THEN
            PERFORM koop.fail_field('granted_tenant_ids', 'invalid', 'is only for regional_analyst');
        END IF;
        FOR g IN SELECT jsonb_array_elements_text(d -> 'granted_tenant_ids')::uuid LOOP
            IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = g) THEN
                PERFORM koop.fail_field('granted_tenant_ids', 'not_found', 'names an unknown tenant');
            END IF;
        END LOOP;
    END IF;
    IF r = 'regional_analyst' AND koop.role() <> 'platform_admin'
       AND jsonb_array_length(coalesce(d -> 'granted_tenant_ids', '[]')) > 0 THEN
        PERFORM koop.fail(403, 'forbidden', 'only a platform admin grants tenants');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.user_email_taken(p_tenant uuid, p_email text, p_except uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id IS NOT DISTINCT FROM p_tenant
                   AND lower(email) = lower(p_email) AND id IS DISTINCT FROM p_except)
$$;

CREATE OR REPLACE FUNCTION koop.user_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    scope uuid := koop.user_scope(p_parent);
    u users;
BEGIN
    IF koop.role() = 'platform_admin' AND p_parent IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_parent) THEN
            PERFORM koop.not_found('tenant');
        END IF;
        -- a platform admin creating a tenant's user acts within that tenant
        PERFORM set_config('koop.tenant_id', p_parent::text, true);
    END IF;
    PERFORM koop.user_check(p_body, scope);
    IF koop.user_email_taken(scope, p_body ->> 'email', NULL) THEN
        PERFORM koop.fail(409, 'conflict', 'a user with this e-mail already exists here');
    END IF;
    INSERT INTO users (id, tenant_id, name, email, role, partner_id, granted_tenant_ids)
    VALUES (p_id, scope, p_body ->> 'name', p_body ->> 'email', p_body ->> 'role',
            (p_body ->> 'partner_id')::uuid,
            coalesce(ARRAY(SELECT jsonb_array_elements_text(p_body -> 'granted_tenant_ids')::uuid),
                     '{}'))
    RETURNING * INTO u;
    PERFORM koop.audit('create', 'user', u.id, 201);
    IF scope IS NOT NULL THEN
        PERFORM koop.emit('user.created', 'user', u.id, u.version);
    END IF;
    RETURN koop.user_json(u);
END $$;

-- A tenant's first admin, made by a platform admin with its first token
-- (p_token, p_hash: the daemon made the secret and shows it once). The only
-- way a platform admin ever holds a tenant user's token: once the tenant has
-- an admin, its users (and their tokens) are that admin's to make (409).
CREATE OR REPLACE FUNCTION koop.tenant_admin_create(p_tenant uuid, p_id uuid, p_body jsonb,
                                                    p_token uuid, p_hash text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    u jsonb;
    t tokens;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = p_tenant) THEN
        PERFORM koop.not_found('tenant');
    END IF;
    IF p_body ->> 'role' IS DISTINCT FROM 'admin' THEN
        PERFORM koop.fail_field('role', 'invalid',
            'a platform admin creates a tenant''s first admin; that admin creates the other users');
    END IF;
    IF EXISTS (SELECT 1 FROM users WHERE tenant_id = p_tenant AND role = 'admin') THEN
        PERFORM koop.fail(409, 'conflict', 'the tenant has its admin, who creates its users');
    END IF;
    u := koop.user_create(p_tenant, p_id, p_body); -- (acts within the tenant from here on)
    INSERT INTO tokens (id, tenant_id, user_id, name, hash, expires_at)
    VALUES (p_token, p_tenant, p_id, 'first admin', p_hash, now() + interval '90 days')
    RETURNING * INTO t;
    PERFORM koop.audit('create', 'token', t.id, 201);
    RETURN u || jsonb_build_object('token', koop.token_json(t));
END $$;

-- An audit row in p_tenant's log (NULL: the caller's): what a platform admin
-- does to a tenant's users is recorded where that tenant's admin and auditor
-- read it.
CREATE OR REPLACE FUNCTION koop.audit_in(p_tenant uuid, p_action text, p_resource text, p_id uuid,
                                         p_status int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    saved text := coalesce(current_setting('koop.tenant_id', true), '');
BEGIN
    PERFORM set_config('koop.tenant_id', coalesce(p_tenant::text, saved), true);
    PERFORM koop.audit(p_action, p_resource, p_id, p_status);
    PERFORM set_config('koop.tenant_id', saved, true);
END $$;

-- Users visible to the caller: its tenant's, or a platform admin's platform users.
CREATE OR REPLACE FUNCTION koop.user_visible(u users) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT u.tenant_id IS NOT DISTINCT FROM koop.tenant()
        OR (koop.role() = 'platform_admin' AND (u.tenant_id IS NULL OR u.role = 'admin'))
$$;

CREATE OR REPLACE FUNCTION koop.user_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.user_json(u) FROM users u WHERE u.id = p_id AND koop.user_visible(u));
END $$;

CREATE OR REPLACE FUNCTION koop.user_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    u users;
    d jsonb;
BEGIN
    SELECT * INTO u FROM users x WHERE x.id = p_id AND koop.user_visible(x) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('user');
    END IF;
    PERFORM koop.check_version(u.version, p_version);
    d := koop.merge_patch(koop.user_json(u) - ARRAY['id', 'tenant_id', 'version', 'created_at',
                                                      'updated_at'], p_patch);
    PERFORM koop.user_check(d, u.tenant_id);
    IF koop.user_email_taken(u.tenant_id, d ->> 'email', u.id) THEN
        PERFORM koop.fail(409, 'conflict', 'a user with this e-mail already exists here');
    END IF;
    IF u.id = koop.user_id() AND ((d ->> 'active')::boolean IS FALSE OR d ->> 'role' <> u.role) THEN
        PERFORM koop.fail(409, 'conflict', 'you cannot deactivate yourself or change your own role');
    END IF;
    UPDATE users SET name = d ->> 'name', email = d ->> 'email', role = d ->> 'role',
        partner_id = (d ->> 'partner_id')::uuid, active = (d ->> 'active')::boolean,
        granted_tenant_ids = coalesce(ARRAY(SELECT jsonb_array_elements_text(
            d -> 'granted_tenant_ids')::uuid), '{}'),
        version = version + 1, updated_at = now()
    WHERE id = p_id RETURNING * INTO u;
    IF NOT u.active THEN
        UPDATE tokens SET revoked_at = now() WHERE user_id = u.id AND revoked_at IS NULL;
    END IF;
    PERFORM koop.audit_in(u.tenant_id, 'update', 'user', u.id, 200);
    IF u.tenant_id IS NOT NULL AND koop.tenant() IS NOT NULL THEN
        PERFORM koop.emit('user.updated', 'user', u.id, u.version);
    END IF;
    RETURN koop.user_json(u);
END $$;

-- ---------------------------------------------------------------------------
-- Tokens of a user: the user itself, its tenant's admin, or a platform admin
-- (for platform users and tenant admins).
CREATE OR REPLACE FUNCTION koop.token_json(t tokens) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', t.id, 'user_id', t.user_id, 'name', t.name,
        'created_at', koop.ts(t.created_at), 'expires_at', koop.ts(t.expires_at),
        'last_used_at', koop.ts(t.last_used_at), 'revoked_at', koop.ts(t.revoked_at),
        'scopes', to_jsonb(t.scopes))
$$;

CREATE OR REPLACE FUNCTION koop.token_owner(p_user uuid) RETURNS users LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
BEGIN
    SELECT * INTO u FROM users x WHERE x.id = p_user
        AND (x.id = koop.user_id()
             OR (koop.role() = 'admin' AND x.tenant_id = koop.tenant())
             OR (koop.role() = 'platform_admin' AND (x.tenant_id IS NULL OR x.role = 'admin')));
    IF NOT FOUND THEN
        PERFORM koop.not_found('user');
    END IF;
    RETURN u;
END $$;

-- p_hash is the SHA-256 of the secret, which only the daemon ever sees. Tokens of other users are
-- minted by admins only (a tenant admin for its tenant's users, a platform admin); p_self_max
-- (KOOP_SELF_TOKEN_MAX_DAYS, passed by the daemon) caps the lifetime of a token users mint for
-- themselves, NULL for none (the CLI); the default lifetime is 90 days, or that cap if shorter.
DROP FUNCTION IF EXISTS koop.token_create(uuid, uuid, text, jsonb);
CREATE OR REPLACE FUNCTION koop.token_create(p_user uuid, p_id uuid, p_hash text, p_body jsonb,
                                             p_self_max int DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    self boolean := p_user = koop.user_id();
    days int := (p_body ->> 'expires_in_days')::int;
    u users;
    t tokens;
BEGIN
    IF NOT self AND koop.role() NOT IN ('admin', 'platform_admin') THEN
        PERFORM koop.fail(403, 'forbidden', 'only admins mint tokens for other users');
    END IF;
    u := koop.token_owner(p_user);
    IF NOT u.active THEN
        PERFORM koop.fail(409, 'conflict', 'the user is deactivated');
    END IF;
    IF koop.role() = 'platform_admin' AND u.tenant_id IS NOT NULL THEN -- (its first admin's came with it)
        PERFORM koop.fail(403, 'forbidden', 'a platform admin does not mint tokens for a tenant''s users');
    END IF;
    IF self AND p_self_max IS NOT NULL THEN
        IF days > p_self_max THEN
            PERFORM koop.fail_field('expires_in_days', 'max',
                format('a token of your own lives at most %s days', p_self_max));
        END IF;
        days := coalesce(days, least(90, p_self_max));
    END IF;
    -- scopes: validated by the daemon against its registry (api/users.c), in its order
    INSERT INTO tokens (id, tenant_id, user_id, name, hash, expires_at, scopes)
    VALUES (p_id, u.tenant_id, u.id, p_body ->> 'name', p_hash,
            now() + make_interval(days => coalesce(days, 90)),
            CASE WHEN jsonb_typeof(p_body -> 'scopes') = 'array'
                 THEN ARRAY(SELECT jsonb_array_elements_text(p_body -> 'scopes')) END)
    RETURNING * INTO t;
    PERFORM koop.audit('create', 'token', t.id, 201);
    RETURN koop.token_json(t);
END $$;

-- Newest first; p_after is {"k": created_at, "i": id} of the last row seen.
CREATE OR REPLACE FUNCTION koop.token_list(p_user uuid, p_after jsonb, p_limit int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users := koop.token_owner(p_user);
BEGIN
    RETURN (WITH page AS (
        SELECT t.*, row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS rn
        FROM tokens t WHERE t.user_id = u.id
          AND (p_after IS NULL OR (t.created_at, t.id) <
               ((p_after ->> 'k')::timestamptz, (p_after ->> 'i')::uuid))
        ORDER BY t.created_at DESC, t.id DESC LIMIT p_limit + 1)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(koop.token_json(ROW(p.id, p.tenant_id, p.user_id,
                               p.name, p.hash, p.created_at, p.expires_at, p.last_used_at,
                               p.revoked_at, p.scopes)::tokens) ORDER BY p.rn)
                           FROM page p WHERE p.rn <= p_limit), '[]'::jsonb),
        'next', (SELECT jsonb_build_object('k', created_at::text, 'i', id) FROM page
                 WHERE rn = p_limit AND EXISTS (SELECT 1 FROM page WHERE rn = p_limit + 1))));
END $$;

CREATE OR REPLACE FUNCTION koop.token_revoke(p_user uuid, p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    u users := koop.token_owner(p_user);
BEGIN
    UPDATE tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE id = p_id AND user_id = u.id;
    IF NOT FOUND THEN
        PERFORM koop.not_found('token');
    END IF;
    PERFORM koop.audit_in(u.tenant_id, 'delete', 'token', p_id, 204);
END $$;

-- /v1/me
CREATE OR REPLACE FUNCTION koop.me() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('user', koop.user_json(u),
        'tenant', (SELECT koop.tenant_json(tn) FROM tenants tn WHERE tn.id = u.tenant_id),
        'token', (SELECT jsonb_build_object('id', t.id, 'expires_at', koop.ts(t.expires_at))
                  FROM tokens t WHERE t.id = nullif(current_setting('koop.token_id', true), '')::uuid))
    FROM users u WHERE u.id = koop.user_id()
$$;

-- The admin CLI (cli/admin.c) runs through the same transaction runner as requests: the
-- serving role, with a platform admin's context.

-- create-token's user: by e-mail (any case) when given, else by name and role;
-- the oldest when several match. NULL when none (the CLI then creates it).
-- Row-level security decides what the caller sees: a platform admin, every user.
CREATE OR REPLACE FUNCTION koop.user_find(p_tenant uuid, p_email text, p_name text, p_role text)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users;
BEGIN
    SELECT * INTO u FROM users
    WHERE tenant_id IS NOT DISTINCT FROM p_tenant
      AND CASE WHEN p_email IS NOT NULL THEN lower(email) = lower(p_email)
               ELSE name = p_name AND role = p_role END
    ORDER BY created_at, id LIMIT 1;
    -- never a token of another role than asked for (an admin's, for a --role coordinator)
    IF FOUND AND u.role <> p_role THEN
        PERFORM koop.fail(409, 'conflict',
            format('the user with this e-mail has the role %s, not %s', u.role, p_role));
    END IF;
    RETURN u.id;
END $$;
COMMENT ON FUNCTION koop.user_find(uuid, text, text, text) IS
    'kooperd create-token: the user a token is made for (by e-mail, else by name and role).';
