-- sql/functions/feed.sql — the change feed (/v1/events) and the audit log (/v1/audit-events).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- Whether the caller's role could see the event's resource. Institution
-- data (partners, services, users' accounts) are the tenant's; family data
-- follow koop.family_visible / koop.team_visible. A deleted resource's
-- events stay visible to admins and coordinators only.
CREATE OR REPLACE FUNCTION koop.event_visible(e events) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (CASE
        WHEN koop.role() IN ('admin', 'coordinator') THEN true
        WHEN e.resource IN ('partner', 'agreement', 'benefit', 'service', 'meeting', 'project')
            THEN true
        WHEN e.resource = 'user' THEN false
        WHEN koop.role() = 'auditor' THEN false
        WHEN e.resource = 'family' THEN EXISTS (SELECT 1 FROM families f
            WHERE f.tenant_id = e.tenant_id AND f.id = e.resource_id
              AND koop.family_visible(f.id, f.assigned_worker_id))
        WHEN e.resource = 'member' THEN EXISTS (SELECT 1 FROM family_members m JOIN families f
            ON f.tenant_id = m.tenant_id AND f.id = m.family_id
            WHERE m.tenant_id = e.tenant_id AND m.id = e.resource_id
              AND koop.family_visible(f.id, f.assigned_worker_id))
        WHEN e.resource = 'consent' THEN EXISTS (SELECT 1 FROM consents c JOIN families f
            ON f.tenant_id = c.tenant_id AND f.id = c.family_id
            WHERE c.tenant_id = e.tenant_id AND c.id = e.resource_id
              AND koop.family_visible(f.id, f.assigned_worker_id))
        WHEN e.resource = 'task_team' THEN EXISTS (SELECT 1 FROM task_teams t
            WHERE t.tenant_id = e.tenant_id AND t.id = e.resource_id AND koop.team_visible(t))
        WHEN e.resource = 'action' AND koop.role() = 'partner_staff' THEN EXISTS (
            SELECT 1 FROM plan_actions a JOIN task_teams t ON t.tenant_id = a.tenant_id AND t.id = a.team_id
            WHERE a.tenant_id = e.tenant_id AND a.id = e.resource_id AND koop.action_seen(a)
              AND koop.team_visible(t))
        WHEN e.resource = 'team_meeting' AND koop.role() = 'partner_staff' THEN EXISTS (
            SELECT 1 FROM team_meetings m JOIN task_teams t ON t.tenant_id = m.tenant_id AND t.id = m.team_id
            WHERE m.tenant_id = e.tenant_id AND m.id = e.resource_id AND koop.meeting_seen(m)
              AND koop.team_visible(t))
        WHEN e.resource IN ('team_member', 'team_meeting', 'goal', 'action') THEN EXISTS (
            SELECT 1 FROM task_teams t WHERE t.tenant_id = e.tenant_id AND koop.team_visible(t)
              AND t.id = (SELECT x.team_id FROM (
                    SELECT team_id FROM team_members WHERE tenant_id = e.tenant_id AND id = e.resource_id
                    UNION ALL SELECT team_id FROM team_meetings WHERE tenant_id = e.tenant_id AND id = e.resource_id
                    UNION ALL SELECT team_id FROM plan_goals WHERE tenant_id = e.tenant_id AND id = e.resource_id
                    UNION ALL SELECT team_id FROM plan_actions WHERE tenant_id = e.tenant_id AND id = e.resource_id
                  ) x LIMIT 1))
        ELSE false END);
END $$;

CREATE OR REPLACE FUNCTION koop.event_list(p_after bigint, p_types text[], p_limit int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH scanned AS (
        SELECT e.* FROM events e
        WHERE e.tenant_id = koop.tenant() AND e.id > p_after
        ORDER BY e.id LIMIT 1000),
    page AS (
        SELECT s.* FROM scanned s
        WHERE (p_types IS NULL OR s.type = ANY (p_types)) AND koop.event_visible(s::events)
        ORDER BY s.id LIMIT p_limit)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'type', type,
            'resource', resource, 'resource_id', resource_id, 'version', version,
            'occurred_at', koop.ts(occurred_at)) ORDER BY id) FROM page), '[]'::jsonb),
        'next_after', CASE WHEN (SELECT count(*) FROM page) = p_limit
                           THEN (SELECT max(id) FROM page)
                           ELSE coalesce((SELECT max(id) FROM scanned), p_after) END)
$$;


CREATE OR REPLACE FUNCTION koop.audit_list(p_filters jsonb, p_before bigint, p_limit int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT a.* FROM audit_events a
        -- a platform admin (no tenant) reads the platform-level rows: failed logins and its own
        WHERE (a.tenant_id = koop.tenant() OR (koop.role() = 'platform_admin' AND a.tenant_id IS NULL))
          AND (p_before IS NULL OR a.id < p_before)
          AND (NOT p_filters ? 'resource' OR a.resource = p_filters ->> 'resource')
          AND (NOT p_filters ? 'resource_id' OR a.resource_id = (p_filters ->> 'resource_id')::uuid)
          AND (NOT p_filters ? 'actor_id' OR a.actor_id = (p_filters ->> 'actor_id')::uuid)
          AND (NOT p_filters ? 'action' OR a.action = p_filters ->> 'action')
          AND (NOT p_filters ? 'from' OR a.occurred_at >= (p_filters ->> 'from')::timestamptz)
          AND (NOT p_filters ? 'to' OR a.occurred_at < (p_filters ->> 'to')::timestamptz)
        ORDER BY a.id DESC LIMIT p_limit + 1)
    SELECT jsonb_build_object(
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id,
            'occurred_at', koop.ts(occurred_at), 'actor_id', actor_id, 'token_id', token_id,
            'action', action, 'resource', resource, 'resource_id', resource_id, 'ip', ip,
            'request_id', request_id, 'status', status, 'scope', scope) ORDER BY id DESC)
            FROM (SELECT * FROM page ORDER BY id DESC LIMIT p_limit) x), '[]'::jsonb),
        'next', CASE WHEN (SELECT count(*) FROM page) > p_limit
                     THEN (SELECT min(id) FROM (SELECT id FROM page ORDER BY id DESC LIMIT p_limit) y)
                END)
$$;
