-- 007: scoped integration tokens (issue 13, point 2).
--   * tokens.scopes: the scopes a token was minted with (names of the registry in server/scope.c,
--     in its order); NULL for none, the token's role's full access (every token made before this
--     file, and every token minted without scopes). Scopes only narrow what the role allows.
--   * audit_events.scope: on a refusal for want of a scope (403 insufficient_scope), the scope
--     the route needs; NULL on every other row.
ALTER TABLE tokens ADD COLUMN scopes text[]
    CHECK (scopes IS NULL OR (cardinality(scopes) BETWEEN 1 AND 64
                              AND array_position(scopes, NULL) IS NULL));
COMMENT ON COLUMN tokens.scopes IS 'scopes the token is limited to (server/scope.c); NULL: none, '
    'the role''s full access';

ALTER TABLE audit_events ADD COLUMN scope text;
COMMENT ON COLUMN audit_events.scope IS 'a refusal for want of a scope: the scope the route needs';
