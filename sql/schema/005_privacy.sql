-- 005: privacy that holds under a determined look (issue 10).
--
-- Attempts at a PESEL the tenant already holds are audit rows (resource
-- 'member', status 409, or 429 past the budget); koop.pesel_budget counts a
-- user's last hour of them on every new PESEL.
CREATE INDEX audit_pesel_attempts ON audit_events (tenant_id, actor_id, occurred_at)
    WHERE resource = 'member' AND status IN (409, 429);
COMMENT ON INDEX audit_pesel_attempts IS 'koop.pesel_budget: a user''s duplicate-PESEL attempts in the last hour';
