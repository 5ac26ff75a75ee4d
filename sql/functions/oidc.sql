-- OIDC logins (server/oidc.c): the daemon has verified the JWT (signature, iss, aud, exp, nbf)
-- and mapped its claims; this finds the tenant by TERYT and the user by iss + sub.
--
-- Returns one row. status 200: user_id, tenant_id, role, partner_id of the caller. Otherwise
-- status is 401 (unknown or inactive tenant; the subject belongs to another tenant; the user is
-- deactivated; an e-mail match that must not be linked) or 403 (the partner is not one of the
-- tenant's), with reason naming it (tenant, other_tenant, deactivated,
-- linked_elsewhere, partner); every refusal is an audit row (login_failed, resource 'oidc',
-- subject). p_new_id is the id a created user gets (the daemon makes ids, UUIDv7).
--
-- Linking rules for a subject seen for the first time:
--   * the provider says email_verified = true and an ACTIVE user of the same tenant has that
--     e-mail (case-insensitive) and no OIDC identity yet → that user is linked (audit: update);
--   * such a user exists but is deactivated, or already bound to another subject → refused (401):
--     a deactivated person does not come back through a new account;
--   * otherwise a new user is created (audit: create) with the verified e-mail when it is free,
--     else a placeholder address oidc-<hash>@oidc.invalid (an unverified e-mail is never stored,
--     so nobody can take over an address by typing it at the provider).
-- The role and partner come from the token on every login (the provider is their source); the
-- user's active flag stays ours: an admin deactivates an OIDC user here like any other.
CREATE OR REPLACE FUNCTION koop.oidc_login(p_iss text, p_sub text, p_teryt text, p_role text,
                                           p_partner text, p_email text, p_email_verified boolean,
                                           p_name text, p_ip text, p_request text,
                                           p_new_id uuid)
RETURNS TABLE (status int, reason text, user_id uuid, tenant_id uuid, role text, partner_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    subj text := left(p_iss, 512) || '#' || left(p_sub, 255);
    tid uuid;
    pid uuid;
    u users;
    m users;
    mail text := lower(nullif(btrim(p_email), ''));
    nm text := left(coalesce(nullif(btrim(p_name), ''), 'OIDC user'), 200);
BEGIN
    SELECT t.id INTO tid FROM tenants t WHERE t.teryt = p_teryt AND t.active;
    IF tid IS NULL THEN
        INSERT INTO audit_events (tenant_id, action, resource, ip, request_id, status, subject)
        VALUES (NULL, 'login_failed', 'oidc', nullif(p_ip, ''), nullif(p_request, ''), 401, subj);
        RETURN QUERY SELECT 401, 'tenant', NULL::uuid,
            NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    IF p_role = 'partner_staff' THEN
        IF p_partner ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            SELECT p.id INTO pid FROM partners p WHERE p.tenant_id = tid AND p.id = p_partner::uuid;
        END IF;
        IF pid IS NULL THEN
            INSERT INTO audit_events (tenant_id, action, resource, ip, request_id, status, subject)
            VALUES (tid, 'login_failed', 'oidc', nullif(p_ip, ''), nullif(p_request, ''), 403, subj);
            RETURN QUERY SELECT 403, 'partner',
                NULL::uuid, NULL::uuid, NULL::text, NULL::uuid;
            RETURN;
        END IF;
    END IF;

    SELECT * INTO u FROM users x WHERE x.oidc_issuer = p_iss AND x.oidc_subject = p_sub;
    IF u.id IS NULL THEN
        IF mail IS NOT NULL AND p_email_verified THEN
            SELECT * INTO m FROM users x WHERE x.tenant_id = tid AND lower(x.email) = mail;
        END IF;
        IF m.id IS NOT NULL THEN
            IF NOT m.active OR m.oidc_issuer IS NOT NULL THEN
                INSERT INTO audit_events (tenant_id, actor_id, action, resource, resource_id, ip,
                                          request_id, status, subject)
                VALUES (tid, m.id, 'login_failed', 'oidc', m.id, nullif(p_ip, ''),
                        nullif(p_request, ''), 401, subj);
                RETURN QUERY SELECT 401, CASE WHEN m.active THEN 'linked_elsewhere'
                    ELSE 'deactivated' END, NULL::uuid, NULL::uuid, NULL::text,
                    NULL::uuid;
                RETURN;
            END IF;
            UPDATE users x SET oidc_issuer = p_iss, oidc_subject = p_sub, role = p_role,
                partner_id = pid, version = x.version + 1, updated_at = now()
            WHERE x.id = m.id RETURNING * INTO u;
            INSERT INTO audit_events (tenant_id, actor_id, action, resource, resource_id, ip,
                                      request_id, status, subject)
            VALUES (tid, u.id, 'update', 'user', u.id, nullif(p_ip, ''), nullif(p_request, ''),
                    200, subj);
        ELSE
            IF mail IS NULL OR NOT coalesce(p_email_verified, false) OR length(mail) > 254
               OR EXISTS (SELECT 1 FROM users x WHERE x.tenant_id = tid AND lower(x.email) = mail) THEN
                mail := 'oidc-' || left(encode(sha256(convert_to(subj, 'UTF8')), 'hex'), 24)
                    || '@oidc.invalid';
            END IF;
            INSERT INTO users (id, tenant_id, name, email, role, partner_id, oidc_issuer,
                               oidc_subject)
            VALUES (p_new_id, tid, nm, mail, p_role, pid, p_iss, p_sub)
            ON CONFLICT (oidc_issuer, oidc_subject) WHERE oidc_issuer IS NOT NULL DO NOTHING
            RETURNING * INTO u;
            IF u.id IS NULL THEN -- a concurrent first login of the same subject won
                SELECT * INTO u FROM users x WHERE x.oidc_issuer = p_iss AND x.oidc_subject = p_sub;
            ELSE
                INSERT INTO audit_events (tenant_id, actor_id, action, resource, resource_id, ip,
                                          request_id, status, subject)
                VALUES (tid, u.id, 'create', 'user', u.id, nullif(p_ip, ''),
                        nullif(p_request, ''), 201, subj);
            END IF;
        END IF;
    END IF;

    IF u.tenant_id IS DISTINCT FROM tid OR NOT u.active THEN
        INSERT INTO audit_events (tenant_id, actor_id, action, resource, resource_id, ip,
                                  request_id, status, subject)
        VALUES (u.tenant_id, u.id, 'login_failed', 'oidc', u.id, nullif(p_ip, ''),
                nullif(p_request, ''), 401, subj);
        RETURN QUERY SELECT 401, CASE WHEN u.active THEN 'other_tenant'
            ELSE 'deactivated' END, NULL::uuid, NULL::uuid, NULL::text, NULL::uuid;
        RETURN;
    END IF;
    IF u.role <> p_role OR u.partner_id IS DISTINCT FROM pid THEN
        UPDATE users x SET role = p_role, partner_id = pid, version = x.version + 1,
            updated_at = now() WHERE x.id = u.id RETURNING * INTO u;
    END IF;
    RETURN QUERY SELECT 200, NULL::text, u.id, u.tenant_id, u.role, u.partner_id;
END $$;

REVOKE ALL ON FUNCTION koop.oidc_login(text, text, text, text, text, text, boolean, text, text, text, uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.oidc_login(text, text, text, text, text, text, boolean, text, text, text, uuid)
    TO koop_app;

-- A verified token refused by the daemon before koop.oidc_login (no usable role or TERYT): an
-- audit row naming the subject, in the tenant of the TERYT when there is one.
CREATE OR REPLACE FUNCTION koop.oidc_refused(p_iss text, p_sub text, p_teryt text, p_status int,
                                             p_ip text, p_request text)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO audit_events (tenant_id, action, resource, ip, request_id, status, subject)
    VALUES ((SELECT id FROM tenants WHERE teryt = p_teryt), 'login_failed', 'oidc',
            nullif(p_ip, ''), nullif(p_request, ''), p_status,
            left(p_iss, 512) || '#' || left(p_sub, 255))
$$;

REVOKE ALL ON FUNCTION koop.oidc_refused(text, text, text, int, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.oidc_refused(text, text, text, int, text, text) TO koop_app;
