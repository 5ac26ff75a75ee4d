-- 006: privacy that holds under a determined look (issue 10).
--
-- Attempts at a PESEL the tenant already holds are audit rows (resource
-- 'member', status 409, or 429 past the budget); koop.pesel_budget counts a
-- user's last hour of them on every new PESEL.
CREATE INDEX audit_pesel_attempts ON audit_events (tenant_id, actor_id, occurred_at)
    WHERE resource = 'member' AND status IN (409, 429);
COMMENT ON INDEX audit_pesel_attempts IS 'koop.pesel_budget: a user''s duplicate-PESEL attempts in the last hour';

-- Retention: a closed family is anonymised automatically retention_years after it closed
-- (koop.retention_tick, the periodic job). 10 by default, also for the tenants of earlier
-- versions; NULL only when the tenant's admin switches it off (PATCH /v1/settings).
ALTER TABLE tenants ADD COLUMN retention_years int DEFAULT 10
    CHECK (retention_years BETWEEN 1 AND 100);
COMMENT ON COLUMN tenants.retention_years IS
    'Years after closing that a family is anonymised automatically; NULL: switched off (explicitly).';
