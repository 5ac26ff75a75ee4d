-- sql/functions/partnership.sql — partnership meetings and projects with indicators (/v1/meetings, /v1/projects).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- Every id names a partner of the tenant (422 naming the field otherwise).
CREATE OR REPLACE FUNCTION koop.partners_exist(p_field text, p_ids jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(p_ids, '[]')) x
               WHERE NOT EXISTS (SELECT 1 FROM partners p WHERE p.tenant_id = koop.tenant()
                                 AND p.id = x::uuid)) THEN
        PERFORM koop.fail_field(p_field, 'not_found', 'names a partner that is not in this partnership');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.uuids(j jsonb) RETURNS uuid[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(ARRAY(SELECT DISTINCT x::uuid FROM jsonb_array_elements_text(coalesce(j, '[]')) x), '{}')
$$;

-- ---------------------------------------------------------------------------
-- Meetings
CREATE OR REPLACE FUNCTION koop.meeting_json(m meetings) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'kind', m.kind, 'held_on', m.held_on,
        'place', m.place, 'title', m.title, 'partner_ids', to_jsonb(m.partner_ids),
        'agenda', m.agenda, 'minutes', m.minutes, 'decisions', m.decisions,
        'version', m.version, 'created_at', koop.ts(m.created_at),
        'updated_at', koop.ts(m.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.meeting_store(p_id uuid, d jsonb, p_new boolean) RETURNS meetings
LANGUAGE plpgsql AS $$
DECLARE
    m meetings;
BEGIN
    PERFORM koop.partners_exist('partner_ids', d -> 'partner_ids');
    IF p_new THEN
        INSERT INTO meetings (tenant_id, id, kind, held_on, title)
        VALUES (koop.tenant(), p_id, d ->> 'kind', (d ->> 'held_on')::date, d ->> 'title');
    END IF;
    UPDATE meetings SET kind = d ->> 'kind', held_on = (d ->> 'held_on')::date,
        place = d ->> 'place', title = d ->> 'title', partner_ids = koop.uuids(d -> 'partner_ids'),
        agenda = d ->> 'agenda', minutes = d ->> 'minutes', decisions = d ->> 'decisions',
        version = CASE WHEN p_new THEN 1 ELSE version + 1 END, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO m;
    RETURN m;
END $$;

CREATE OR REPLACE FUNCTION koop.meeting_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    m meetings := koop.meeting_store(p_id, p_body, true);
BEGIN
    PERFORM koop.emit('meeting.created', 'meeting', m.id, m.version);
    PERFORM koop.audit('create', 'meeting', m.id, 201);
    RETURN koop.meeting_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.meeting_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.meeting_json(m) FROM meetings m WHERE m.tenant_id = koop.tenant() AND m.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.meeting_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    m meetings;
BEGIN
    SELECT * INTO m FROM meetings WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('meeting');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    m := koop.meeting_store(p_id, koop.merge_patch(koop.meeting_json(m), p_patch), false);
    PERFORM koop.emit('meeting.updated', 'meeting', m.id, m.version);
    PERFORM koop.audit('update', 'meeting', m.id, 200);
    RETURN koop.meeting_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.meeting_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m meetings;
BEGIN
    SELECT * INTO m FROM meetings WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('meeting');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    DELETE FROM meetings WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('meeting.deleted', 'meeting', p_id, m.version);
    PERFORM koop.audit('delete', 'meeting', p_id, 204);
END $$;

-- ---------------------------------------------------------------------------
-- Projects
CREATE OR REPLACE FUNCTION koop.project_json(p projects) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', p.id, 'name', p.name, 'programme', p.programme,
        'call_number', p.call_number, 'leader_partner_id', p.leader_partner_id,
        'partner_ids', to_jsonb(p.partner_ids), 'starts_on', p.starts_on, 'ends_on', p.ends_on,
        'total_value', p.total_value, 'eu_cofinancing', p.eu_cofinancing,
        'currency', p.currency, 'indicators', p.indicators,
        'families_count', (SELECT count(*) FROM project_families f
                           WHERE f.tenant_id = p.tenant_id AND f.project_id = p.id),
        'version', p.version, 'created_at', koop.ts(p.created_at),
        'updated_at', koop.ts(p.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.project_store(p_id uuid, d jsonb, p_new boolean) RETURNS projects
LANGUAGE plpgsql AS $$
DECLARE
    p projects;
BEGIN
    PERFORM koop.partners_exist('partner_ids', d -> 'partner_ids');
    IF d ->> 'leader_partner_id' IS NOT NULL THEN
        PERFORM koop.partners_exist('leader_partner_id', jsonb_build_array(d -> 'leader_partner_id'));
    END IF;
    IF (d ->> 'eu_cofinancing')::bigint > (d ->> 'total_value')::bigint THEN
        PERFORM koop.fail_field('eu_cofinancing', 'max', 'must not exceed total_value');
    END IF;
    IF (d ->> 'ends_on')::date < (d ->> 'starts_on')::date THEN
        PERFORM koop.fail_field('ends_on', 'min', 'must not be before starts_on');
    END IF;
    IF (SELECT count(DISTINCT x ->> 'name') <> count(*)
        FROM jsonb_array_elements(coalesce(d -> 'indicators', '[]')) x) THEN
        PERFORM koop.fail_field('indicators', 'invalid', 'names an indicator twice');
    END IF;
    IF p_new THEN
        INSERT INTO projects (tenant_id, id, name) VALUES (koop.tenant(), p_id, d ->> 'name');
    END IF;
    UPDATE projects SET name = d ->> 'name', programme = d ->> 'programme',
        call_number = d ->> 'call_number', leader_partner_id = (d ->> 'leader_partner_id')::uuid,
        partner_ids = koop.uuids(d -> 'partner_ids'), starts_on = (d ->> 'starts_on')::date,
        ends_on = (d ->> 'ends_on')::date, total_value = (d ->> 'total_value')::bigint,
        eu_cofinancing = (d ->> 'eu_cofinancing')::bigint,
        currency = coalesce(d ->> 'currency', 'PLN'),
        indicators = coalesce((SELECT jsonb_agg(jsonb_build_object('name', x -> 'name',
                                   'unit', x -> 'unit', 'target', x -> 'target',
                                   'source', x -> 'source') ORDER BY n)
                               FROM jsonb_array_elements(coalesce(d -> 'indicators', '[]'))
                                    WITH ORDINALITY e(x, n)), '[]'),
        version = CASE WHEN p_new THEN 1 ELSE version + 1 END, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO p;
    RETURN p;
END $$;

CREATE OR REPLACE FUNCTION koop.project_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    p projects := koop.project_store(p_id, p_body, true);
BEGIN
    PERFORM koop.emit('project.created', 'project', p.id, p.version);
    PERFORM koop.audit('create', 'project', p.id, 201);
    RETURN koop.project_json(p);
END $$;

CREATE OR REPLACE FUNCTION koop.project_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.project_json(p) FROM projects p WHERE p.tenant_id = koop.tenant() AND p.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.project_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p projects;
BEGIN
    SELECT * INTO p FROM projects WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('project');
    END IF;
    PERFORM koop.check_version(p.version, p_version);
    p := koop.project_store(p_id, koop.merge_patch(koop.project_json(p), p_patch), false);
    PERFORM koop.emit('project.updated', 'project', p.id, p.version);
    PERFORM koop.audit('update', 'project', p.id, 200);
    RETURN koop.project_json(p);
END $$;

CREATE OR REPLACE FUNCTION koop.project_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p projects;
BEGIN
    SELECT * INTO p FROM projects WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('project');
    END IF;
    PERFORM koop.check_version(p.version, p_version);
    DELETE FROM project_families WHERE tenant_id = koop.tenant() AND project_id = p_id;
    DELETE FROM projects WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('project.deleted', 'project', p_id, p.version);
    PERFORM koop.audit('delete', 'project', p_id, 204);
END $$;

-- Linking families (family data: visible families only, audited).
CREATE OR REPLACE FUNCTION koop.project_link_family(p_project uuid, p_family uuid, p_link boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families;
BEGIN
    PERFORM 1 FROM projects WHERE tenant_id = koop.tenant() AND id = p_project FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('project');
    END IF;
    SELECT * INTO f FROM families WHERE tenant_id = koop.tenant() AND id = p_family;
    IF NOT FOUND OR NOT koop.family_visible(f.id, f.assigned_worker_id) THEN
        IF p_link THEN
            PERFORM koop.fail_field('family_id', 'not_found', 'no such family');
        END IF;
        PERFORM koop.not_found('family');
    END IF;
    IF p_link THEN
        INSERT INTO project_families (tenant_id, project_id, family_id)
        VALUES (koop.tenant(), p_project, p_family) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            PERFORM koop.fail(409, 'conflict', 'the family is already linked to the project');
        END IF;
    ELSE
        DELETE FROM project_families WHERE tenant_id = koop.tenant() AND project_id = p_project
            AND family_id = p_family;
        IF NOT FOUND THEN
            PERFORM koop.not_found('link');
        END IF;
    END IF;
    PERFORM koop.emit(CASE WHEN p_link THEN 'project.family_linked' ELSE 'project.family_unlinked' END,
                      'project', p_project, NULL);
    PERFORM koop.audit(CASE WHEN p_link THEN 'create' ELSE 'delete' END, 'family', p_family,
                       CASE WHEN p_link THEN 201 ELSE 204 END);
    RETURN jsonb_build_object('project_id', p_project, 'family_id', p_family,
        'linked_at', koop.ts(now()));
END $$;

CREATE OR REPLACE FUNCTION koop.project_families_list(p_project uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    items jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM projects WHERE tenant_id = koop.tenant() AND id = p_project) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object('project_id', l.project_id,
               'family_id', l.family_id, 'linked_at', koop.ts(l.linked_at)) ORDER BY l.linked_at, l.family_id), '[]')
    INTO items FROM project_families l JOIN families f ON f.tenant_id = l.tenant_id AND f.id = l.family_id
    WHERE l.tenant_id = koop.tenant() AND l.project_id = p_project
      AND koop.family_visible(f.id, f.assigned_worker_id);
    PERFORM koop.audit_list('family', jsonb_build_object('items',
        (SELECT coalesce(jsonb_agg(jsonb_build_object('id', x ->> 'family_id')), '[]')
         FROM jsonb_array_elements(items) x)));
    RETURN jsonb_build_object('items', items, 'next_cursor', NULL);
END $$;

-- Indicators: actual values where the system can count them, within the
-- project's period, over the families linked to it.
CREATE OR REPLACE FUNCTION koop.project_indicators(p_project uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    p projects;
    fams uuid[];
    period_from date;
    period_to date;
BEGIN
    SELECT * INTO p FROM projects WHERE tenant_id = koop.tenant() AND id = p_project;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    fams := ARRAY(SELECT family_id FROM project_families WHERE tenant_id = p.tenant_id
                  AND project_id = p.id);
    period_from := coalesce(p.starts_on, '-infinity');
    period_to := coalesce(p.ends_on, 'infinity');
    RETURN jsonb_build_object('project_id', p.id, 'period', jsonb_build_object(
            'from', p.starts_on, 'to', p.ends_on),
        'items', coalesce((SELECT jsonb_agg(jsonb_build_object('name', i ->> 'name',
            'unit', i -> 'unit', 'target', i -> 'target', 'source', i -> 'source',
            'actual', CASE i ->> 'source'
                WHEN 'families_supported' THEN cardinality(fams)
                WHEN 'task_teams_formed' THEN (SELECT count(*) FROM task_teams t
                    WHERE t.tenant_id = p.tenant_id AND t.family_id = ANY (fams)
                      AND t.formed_on BETWEEN period_from AND period_to)
                WHEN 'referrals_completed' THEN (SELECT count(*) FROM plan_actions a
                    JOIN task_teams t ON t.tenant_id = a.tenant_id AND t.id = a.team_id
                    WHERE a.tenant_id = p.tenant_id AND t.family_id = ANY (fams)
                      AND a.status = 'completed' AND a.service_id IS NOT NULL
                      AND (a.completed_at AT TIME ZONE 'Europe/Warsaw')::date BETWEEN period_from AND period_to)
                WHEN 'partners_declared' THEN (SELECT count(*) FROM partners pa
                    WHERE pa.tenant_id = p.tenant_id
                      AND (pa.id = ANY (p.partner_ids) OR pa.id = p.leader_partner_id)
                      AND pa.status <> 'withdrawn' AND pa.declaration ->> 'signed_on' IS NOT NULL)
                END) ORDER BY n)
            FROM jsonb_array_elements(p.indicators) WITH ORDINALITY e(i, n)), '[]'));
END $$;

-- A partner that took part in meetings or projects stays on record: it is
-- withdrawn, not deleted (as with users, agreements, benefits, services).
CREATE OR REPLACE FUNCTION koop.partner_in_partnership_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM meetings WHERE tenant_id = OLD.tenant_id AND OLD.id = ANY (partner_ids))
       OR EXISTS (SELECT 1 FROM projects WHERE tenant_id = OLD.tenant_id
                  AND (OLD.id = ANY (partner_ids) OR leader_partner_id = OLD.id)) THEN
        PERFORM koop.fail(409, 'conflict',
            'the partner appears in meetings or projects; withdraw it instead of deleting');
    END IF;
    RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER partners_partnership_guard BEFORE DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION koop.partner_in_partnership_records();
