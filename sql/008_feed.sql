-- 008: the change feed grows long-poll and visibility.
-- Events notify listeners at commit (NOTIFY koop_events, payload: the tenant
-- id; identical notifications of one transaction are folded into one), and
-- callers see only events about resources their role could see.

CREATE OR REPLACE FUNCTION koop.emit(p_type text, p_resource text, p_id uuid, p_version int)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(4242, hashtext(koop.tenant()::text));
    INSERT INTO events (tenant_id, type, resource, resource_id, version)
    VALUES (koop.tenant(), p_type, p_resource, p_id, p_version);
    PERFORM pg_notify('koop_events', koop.tenant()::text);
END $$;

-- Whether the caller's role could see the event's resource. Institution
-- data (partners, services, users' accounts) are the tenant's; family data
-- follow koop.family_visible / koop.team_visible. A deleted resource's
-- events stay visible to admins and coordinators only.
CREATE FUNCTION koop.event_visible(e events) RETURNS boolean
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

-- A page of the feed: at most p_limit visible events after p_after, looking
-- at no more than 1000 events per call; next_after moves past what was
-- looked at, so a filtered or hidden stretch is skipped, never re-read.
-- Within a tenant ids are committed in order (koop.emit), so a reader
-- following next_after never misses an event that commits later.
DROP FUNCTION koop.event_list(bigint, text[], int);
CREATE FUNCTION koop.event_list(p_after bigint, p_types text[], p_limit int) RETURNS jsonb
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
