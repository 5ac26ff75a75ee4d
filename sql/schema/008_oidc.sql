-- 008: OIDC access tokens (issue 13, point 1).
--
-- A user who logs in with a JWT from the configured OpenID provider is bound to the provider's
-- issuer + subject (koop.oidc_login creates the user on first login, or links an existing one:
-- see the linking rules there and in the README). Opaque-token users keep both NULL.
ALTER TABLE users ADD COLUMN oidc_issuer text CHECK (length(oidc_issuer) BETWEEN 1 AND 512),
    ADD COLUMN oidc_subject text CHECK (length(oidc_subject) BETWEEN 1 AND 255),
    ADD CONSTRAINT users_oidc_both CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL));
CREATE UNIQUE INDEX users_oidc ON users (oidc_issuer, oidc_subject) WHERE oidc_issuer IS NOT NULL;
COMMENT ON COLUMN users.oidc_subject IS
    'The OpenID provider''s sub for this user (with oidc_issuer); NULL for opaque-token users.';

-- The audit names the provider's subject of OIDC logins: first login (create), linking (update)
-- and refusals (login_failed) of an OIDC identity.
ALTER TABLE audit_events ADD COLUMN subject text;
COMMENT ON COLUMN audit_events.subject IS
    'OIDC logins: the token''s iss and sub as "iss#sub"; NULL otherwise.';
