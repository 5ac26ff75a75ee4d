-- The admin CLI (cli/admin.c), run through the same transaction runner as
-- requests: the serving role, with a platform admin's context.

-- create-token's user: by e-mail (any case) when given, else by name and role;
-- the oldest when several match. NULL when none (the CLI then creates it).
-- Row-level security decides what the caller sees: a platform admin, every user.
CREATE OR REPLACE FUNCTION koop.user_find(p_tenant uuid, p_email text, p_name text, p_role text)
RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT id FROM users
    WHERE tenant_id IS NOT DISTINCT FROM p_tenant
      AND CASE WHEN p_email IS NOT NULL THEN lower(email) = lower(p_email)
               ELSE name = p_name AND role = p_role END
    ORDER BY created_at, id LIMIT 1
$$;
COMMENT ON FUNCTION koop.user_find(uuid, text, text, text) IS
    'kooperd create-token: the user a token is made for (by e-mail, else by name and role).';
