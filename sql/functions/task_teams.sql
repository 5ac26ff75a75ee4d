-- sql/functions/task_teams.sql — task teams (ZZK), their members, meetings, plan goals and actions, referrals.
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- ---------------------------------------------------------------------------
-- Visibility

-- The partner has a current representative on the family's open team.
CREATE OR REPLACE FUNCTION koop.partner_on_open_team(p_family uuid, p_partner uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (EXISTS (SELECT 1 FROM task_teams t JOIN team_members m
        ON m.tenant_id = t.tenant_id AND m.team_id = t.id
        WHERE t.tenant_id = koop.tenant() AND t.family_id = p_family AND t.status <> 'closed'
          AND m.kind = 'partner_representative' AND m.partner_id = p_partner AND m.left_on IS NULL));
END $$;

-- A consent of the family covers sharing with the partner now (active: not
-- withdrawn, not past valid_until in Europe/Warsaw): one naming the partner,
-- or one for the team while the partner sits on the family's open team.
CREATE OR REPLACE FUNCTION koop.consent_covers(p_family uuid, p_partner uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = koop.tenant()
        AND c.family_id = p_family AND c.withdrawn_on IS NULL
        AND (c.valid_until IS NULL OR c.valid_until >= koop.today())
        AND ((c.scope = 'sharing_with_partner' AND c.partner_id = p_partner)
             OR (c.scope = 'sharing_with_team' AND koop.partner_on_open_team(p_family, p_partner)))));
END $$;

-- The caller moderates or belongs to (currently) a team of the family.
CREATE OR REPLACE FUNCTION koop.user_on_family_team(p_family uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (EXISTS (SELECT 1 FROM task_teams t WHERE t.tenant_id = koop.tenant()
        AND t.family_id = p_family
        AND (t.moderator_id = koop.user_id()
             OR (t.status <> 'closed' AND EXISTS (SELECT 1 FROM team_members m
                        WHERE m.tenant_id = t.tenant_id AND m.team_id = t.id
                          AND m.user_id = koop.user_id() AND m.left_on IS NULL)))));
END $$;

-- A team is visible with its family, except that partner staff see only the
-- open team they sit on (with consent) and social workers only teams they
-- moderate or belong to, or of families assigned to them.
CREATE OR REPLACE FUNCTION koop.team_visible(t task_teams) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (CASE koop.role()
        WHEN 'admin' THEN true
        WHEN 'coordinator' THEN true
        WHEN 'social_worker' THEN coalesce(t.moderator_id = koop.user_id(), false)
            OR (t.status <> 'closed' AND EXISTS (SELECT 1 FROM team_members m
                       WHERE m.tenant_id = t.tenant_id AND m.team_id = t.id
                         AND m.user_id = koop.user_id() AND m.left_on IS NULL))
            OR EXISTS (SELECT 1 FROM families f WHERE f.tenant_id = t.tenant_id
                       AND f.id = t.family_id AND f.assigned_worker_id = koop.user_id())
        WHEN 'partner_staff' THEN t.status <> 'closed' AND koop.partner() IS NOT NULL
            AND EXISTS (SELECT 1 FROM team_members m WHERE m.tenant_id = t.tenant_id
                        AND m.team_id = t.id AND m.kind = 'partner_representative'
                        AND m.partner_id = koop.partner() AND m.left_on IS NULL)
            AND koop.consent_covers(t.family_id, koop.partner())
        ELSE false END);
END $$;

-- Within a visible team, partner staff see their own partner's actions only,
-- and the meetings a representative of their partner attended.
CREATE OR REPLACE FUNCTION koop.action_seen(a plan_actions) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT koop.role() <> 'partner_staff' OR coalesce(a.partner_id = koop.partner(), false)
$$;

CREATE OR REPLACE FUNCTION koop.meeting_seen(m team_meetings) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (koop.role() <> 'partner_staff' OR EXISTS (SELECT 1 FROM team_members r
        WHERE r.tenant_id = m.tenant_id AND r.team_id = m.team_id AND r.id = ANY (m.attendee_ids)
          AND r.kind = 'partner_representative' AND r.partner_id = koop.partner()));
END $$;

-- May change the team and its plan: admin, coordinator, the moderator.
CREATE OR REPLACE FUNCTION koop.team_moderates(t task_teams) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT koop.role() IN ('admin', 'coordinator') OR coalesce(t.moderator_id = koop.user_id(), false)
$$;

-- Locks a visible team; 404 when invisible; 403 when visible but the caller
-- may not change it (p_change); 409 when closed and p_open is asked.
CREATE OR REPLACE FUNCTION koop.team_lock(p_id uuid, p_change boolean, p_open boolean) RETURNS task_teams
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
BEGIN
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND OR NOT koop.team_visible(t) THEN
        PERFORM koop.not_found('task team');
    END IF;
    IF p_change AND NOT koop.team_moderates(t) THEN
        PERFORM koop.fail(403, 'forbidden', 'only the moderator, a coordinator or an admin changes the team');
    END IF;
    IF p_open AND t.status = 'closed' THEN
        PERFORM koop.fail(409, 'conflict', 'the task team is closed');
    END IF;
    RETURN t;
END $$;

CREATE OR REPLACE FUNCTION koop.team_must_see(p_id uuid) RETURNS task_teams LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
BEGIN
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.team_visible(t) THEN
        PERFORM koop.not_found('task team');
    END IF;
    RETURN t;
END $$;

-- The plan changed: its version moves on (an agreement names the version).
CREATE OR REPLACE FUNCTION koop.plan_changed(p_team uuid) RETURNS void LANGUAGE sql AS $$
    UPDATE task_teams SET plan_version = plan_version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_team
$$;

-- ---------------------------------------------------------------------------
-- Task teams
CREATE OR REPLACE FUNCTION koop.task_team_json(t task_teams) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', t.id, 'family_id', t.family_id, 'name', t.name,
        'status', t.status, 'moderator_id', t.moderator_id, 'formed_on', t.formed_on,
        'closed_on', t.closed_on, 'plan_version', t.plan_version,
        'plan_agreed_on', t.plan_agreed_on, 'agreed_by_member_id', t.agreed_by_member_id,
        'agreed_plan_version', t.agreed_plan_version, 'review_on', t.review_on,
        'version', t.version,
        'created_at', koop.ts(t.created_at), 'updated_at', koop.ts(t.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.moderator_check(p_user uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = koop.tenant()
        AND id = p_user AND active AND role IN ('social_worker', 'coordinator', 'admin')) THEN
        PERFORM koop.fail_field('moderator_id', 'not_found',
            'no active social worker, coordinator or admin with this id');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.task_team_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families;
    t task_teams;
    moderator uuid := (p_body ->> 'moderator_id')::uuid;
BEGIN
    SELECT * INTO f FROM families WHERE tenant_id = koop.tenant()
        AND id = (p_body ->> 'family_id')::uuid FOR UPDATE;
    IF NOT FOUND OR NOT koop.family_visible(f.id, f.assigned_worker_id) THEN
        PERFORM koop.fail_field('family_id', 'not_found', 'no such family');
    END IF;
    IF f.status = 'closed' OR f.anonymized_at IS NOT NULL THEN
        PERFORM koop.fail(409, 'conflict', 'the family is closed');
    END IF;
    IF EXISTS (SELECT 1 FROM task_teams WHERE tenant_id = koop.tenant() AND family_id = f.id
               AND status <> 'closed') THEN
        PERFORM koop.fail(409, 'conflict', 'the family already has an open task team');
    END IF;
    IF moderator IS NULL AND koop.role() = 'social_worker' THEN
        moderator := koop.user_id();
    END IF;
    PERFORM koop.moderator_check(moderator);
    -- historic data: a team formed before it was recorded here (never in the future)
    IF (p_body ->> 'formed_on')::date > koop.today() THEN
        PERFORM koop.fail_field('formed_on', 'max', 'must not be in the future (Europe/Warsaw)');
    END IF;
    INSERT INTO task_teams (tenant_id, id, family_id, name, moderator_id, formed_on, review_on)
    VALUES (koop.tenant(), p_id, f.id, p_body ->> 'name', moderator,
            (p_body ->> 'formed_on')::date, (p_body ->> 'review_on')::date)
    RETURNING * INTO t;
    PERFORM koop.emit('task_team.created', 'task_team', t.id, t.version);
    PERFORM koop.audit('create', 'task_team', t.id, 201);
    RETURN koop.task_team_json(t);
END $$;

CREATE OR REPLACE FUNCTION koop.task_team_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
BEGIN
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.team_visible(t) THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'task_team', t.id, 200);
    RETURN koop.task_team_json(t);
END $$;

CREATE OR REPLACE FUNCTION koop.task_team_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_id, true, true);
BEGIN
    PERFORM koop.check_version(t.version, p_version);
    IF p_patch ? 'moderator_id' THEN
        IF p_patch ->> 'moderator_id' IS NULL THEN
            PERFORM koop.fail_field('moderator_id', 'required', 'a team keeps a moderator');
        END IF;
        PERFORM koop.moderator_check((p_patch ->> 'moderator_id')::uuid);
    END IF;
    UPDATE task_teams SET name = coalesce(p_patch ->> 'name', name),
        moderator_id = coalesce((p_patch ->> 'moderator_id')::uuid, moderator_id),
        review_on = CASE WHEN p_patch ? 'review_on' THEN (p_patch ->> 'review_on')::date
                         ELSE review_on END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO t;
    PERFORM koop.emit('task_team.updated', 'task_team', t.id, t.version);
    PERFORM koop.audit('update', 'task_team', t.id, 200);
    RETURN koop.task_team_json(t);
END $$;

-- Cancels a team's open actions (closing the team).
CREATE OR REPLACE FUNCTION koop.team_cancel_actions(p_team uuid, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    FOR a IN UPDATE plan_actions SET status = 'cancelled', status_reason = p_reason,
                 reason_code = NULL, held_from = NULL, version = version + 1, updated_at = now()
             WHERE tenant_id = koop.tenant() AND team_id = p_team
               AND status IN ('planned', 'referred', 'accepted', 'in_progress', 'on_hold')
             RETURNING id, version LOOP
        PERFORM koop.emit('action.cancelled', 'action', a.id, a.version);
        PERFORM koop.audit('transition', 'action', a.id, 200);
    END LOOP;
END $$;

-- forming → active (needs a moderator, a partner representative and a
-- sharing consent); forming|active → closed (cancels open actions).
CREATE OR REPLACE FUNCTION koop.task_team_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                          p_reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_id, true, false);
    allowed text[];
    missing text[] := '{}';
BEGIN
    PERFORM koop.check_version(t.version, p_version);
    allowed := CASE t.status WHEN 'forming' THEN ARRAY['active', 'closed']
                             WHEN 'active' THEN ARRAY['closed'] ELSE ARRAY[]::text[] END;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('a task team cannot go from %s to %s', t.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    IF p_to = 'active' THEN
        IF t.moderator_id IS NULL THEN
            missing := array_append(missing, 'moderator_id');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM team_members WHERE tenant_id = koop.tenant()
                       AND team_id = t.id AND kind = 'partner_representative' AND left_on IS NULL) THEN
            missing := array_append(missing, 'partner_representative');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = koop.tenant()
                       AND c.family_id = t.family_id AND c.withdrawn_on IS NULL
                       AND (c.valid_until IS NULL OR c.valid_until >= koop.today())
                       AND c.scope IN ('sharing_with_team', 'sharing_with_partner')) THEN
            missing := array_append(missing, 'sharing_consent');
        END IF;
        IF cardinality(missing) > 0 THEN
            PERFORM koop.fail(409, 'invalid_transition',
                'the team cannot start: ' || array_to_string(missing, ', ') || ' missing',
                jsonb_build_object('allowed', to_jsonb(allowed), 'missing', to_jsonb(missing)));
        END IF;
    END IF;
    IF p_to = 'closed' THEN
        PERFORM koop.team_cancel_actions(t.id, 'team_closed');
    END IF;
    UPDATE task_teams SET status = p_to,
        formed_on = CASE WHEN p_to = 'active' THEN coalesce(formed_on, koop.today())
                         ELSE formed_on END,
        closed_on = CASE WHEN p_to = 'closed' THEN koop.today() ELSE closed_on END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO t;
    PERFORM koop.emit('task_team.' || p_to, 'task_team', t.id, t.version);
    PERFORM koop.audit('transition', 'task_team', t.id, 200);
    RETURN koop.task_team_json(t);
END $$;

-- Closing a family closes its open team first (and so cancels its actions).
CREATE OR REPLACE FUNCTION koop.families_closed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
BEGIN
    FOR t IN UPDATE task_teams SET status = 'closed', closed_on = koop.today(),
                 version = version + 1, updated_at = now()
             WHERE tenant_id = NEW.tenant_id AND family_id = NEW.id AND status <> 'closed'
             RETURNING * LOOP
        PERFORM koop.team_cancel_actions(t.id, 'team_closed');
        PERFORM koop.emit('task_team.closed', 'task_team', t.id, t.version);
        PERFORM koop.audit('transition', 'task_team', t.id, 200);
    END LOOP;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER families_closed AFTER UPDATE OF status ON families
    FOR EACH ROW WHEN (NEW.status = 'closed' AND OLD.status <> 'closed')
    EXECUTE FUNCTION koop.families_closed();

-- ---------------------------------------------------------------------------
-- Team members (leaving keeps history: PATCH left_on, never a delete)
CREATE OR REPLACE FUNCTION koop.team_member_json(m team_members) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'team_id', m.team_id, 'kind', m.kind,
        'partner_id', m.partner_id, 'person_name', m.person_name, 'user_id', m.user_id,
        'member_id', m.member_id, 'role', m.role, 'joined_on', m.joined_on,
        'left_on', m.left_on, 'version', m.version, 'created_at', koop.ts(m.created_at),
        'updated_at', koop.ts(m.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.team_member_check(t task_teams, d jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k text := d ->> 'kind';
BEGIN
    IF k = 'partner_representative' THEN
        IF d ->> 'partner_id' IS NULL THEN
            PERFORM koop.fail_field('partner_id', 'required', 'is required for a partner representative');
        END IF;
        IF d ->> 'person_name' IS NULL THEN
            PERFORM koop.fail_field('person_name', 'required', 'is required for a partner representative');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM partners WHERE tenant_id = koop.tenant()
                       AND id = (d ->> 'partner_id')::uuid AND status <> 'withdrawn') THEN
            PERFORM koop.fail_field('partner_id', 'not_found', 'no such partner (or it has withdrawn)');
        END IF;
        IF d ->> 'member_id' IS NOT NULL THEN
            PERFORM koop.fail_field('member_id', 'invalid', 'is for family members');
        END IF;
        IF d ->> 'user_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE
            tenant_id = koop.tenant() AND id = (d ->> 'user_id')::uuid
            AND partner_id = (d ->> 'partner_id')::uuid) THEN
            PERFORM koop.fail_field('user_id', 'invalid', 'is not a user of that partner');
        END IF;
    ELSIF k = 'social_worker' THEN
        IF d ->> 'user_id' IS NULL OR NOT EXISTS (SELECT 1 FROM users WHERE
            tenant_id = koop.tenant() AND id = (d ->> 'user_id')::uuid
            AND role IN ('social_worker', 'coordinator', 'admin')) THEN
            PERFORM koop.fail_field('user_id', CASE WHEN d ->> 'user_id' IS NULL THEN 'required'
                                                    ELSE 'not_found' END,
                'a social worker member names a social worker, coordinator or admin user');
        END IF;
        IF d ->> 'partner_id' IS NOT NULL OR d ->> 'member_id' IS NOT NULL THEN
            PERFORM koop.fail_field('partner_id', 'invalid', 'partner_id and member_id are for other kinds');
        END IF;
    ELSE
        IF d ->> 'member_id' IS NULL OR NOT EXISTS (SELECT 1 FROM family_members WHERE
            tenant_id = koop.tenant() AND family_id = t.family_id
            AND id = (d ->> 'member_id')::uuid) THEN
            PERFORM koop.fail_field('member_id', CASE WHEN d ->> 'member_id' IS NULL THEN 'required'
                                                      ELSE 'not_found' END,
                'a family member of this team''s family');
        END IF;
        IF d ->> 'partner_id' IS NOT NULL OR d ->> 'user_id' IS NOT NULL THEN
            PERFORM koop.fail_field('partner_id', 'invalid', 'partner_id and user_id are for other kinds');
        END IF;
    END IF;
    IF (d ->> 'left_on')::date < (d ->> 'joined_on')::date THEN
        PERFORM koop.fail_field('left_on', 'min', 'must not be before joined_on');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.team_member_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    m team_members;
    d jsonb := p_body || jsonb_build_object('joined_on', coalesce(p_body ->> 'joined_on',
                                                                  koop.today()::text));
BEGIN
    PERFORM koop.team_member_check(t, d);
    INSERT INTO team_members (tenant_id, id, team_id, kind, partner_id, person_name, user_id,
                              member_id, role, joined_on)
    VALUES (koop.tenant(), p_id, t.id, d ->> 'kind', (d ->> 'partner_id')::uuid,
            d ->> 'person_name', (d ->> 'user_id')::uuid, (d ->> 'member_id')::uuid,
            coalesce(d ->> 'role', 'member'), (d ->> 'joined_on')::date)
    RETURNING * INTO m;
    PERFORM koop.emit('team_member.created', 'team_member', m.id, m.version);
    PERFORM koop.audit('create', 'team_member', m.id, 201);
    RETURN koop.team_member_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.team_member_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    m team_members;
BEGIN
    PERFORM koop.team_must_see(p_parent);
    SELECT * INTO m FROM team_members WHERE tenant_id = koop.tenant() AND team_id = p_parent AND id = p_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'team_member', m.id, 200);
    RETURN koop.team_member_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.team_member_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, false);
    m team_members;
    d jsonb;
BEGIN
    SELECT * INTO m FROM team_members WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('team member');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    IF m.left_on IS NOT NULL THEN
        PERFORM koop.fail(409, 'conflict', 'the member has left the team; add them again instead');
    END IF;
    d := koop.merge_patch(koop.team_member_json(m), p_patch);
    PERFORM koop.team_member_check(t, d);
    UPDATE team_members SET person_name = d ->> 'person_name', role = d ->> 'role',
        left_on = (d ->> 'left_on')::date, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO m;
    PERFORM koop.emit(CASE WHEN m.left_on IS NOT NULL THEN 'team_member.left'
                           ELSE 'team_member.updated' END, 'team_member', m.id, m.version);
    PERFORM koop.audit('update', 'team_member', m.id, 200);
    RETURN koop.team_member_json(m);
END $$;

-- ---------------------------------------------------------------------------
-- Team meetings
CREATE OR REPLACE FUNCTION koop.team_meeting_json(m team_meetings) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'team_id', m.team_id, 'held_on', m.held_on,
        'place', m.place, 'attendee_ids', to_jsonb(m.attendee_ids), 'agenda', m.agenda,
        'decisions', m.decisions, 'next_meeting_on', m.next_meeting_on, 'version', m.version,
        'created_at', koop.ts(m.created_at), 'updated_at', koop.ts(m.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.team_meeting_check(t task_teams, d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(d -> 'attendee_ids', '[]')) a
               WHERE NOT EXISTS (SELECT 1 FROM team_members m WHERE m.tenant_id = koop.tenant()
                                 AND m.team_id = t.id AND m.id = a::uuid)) THEN
        PERFORM koop.fail_field('attendee_ids', 'not_found', 'names someone who is not a member of the team');
    END IF;
    IF (d ->> 'next_meeting_on')::date < (d ->> 'held_on')::date THEN
        PERFORM koop.fail_field('next_meeting_on', 'min', 'must not be before held_on');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.team_meeting_store(p_team uuid, p_id uuid, d jsonb, p_new boolean)
RETURNS team_meetings LANGUAGE plpgsql AS $$
DECLARE
    m team_meetings;
BEGIN
    IF p_new THEN
        INSERT INTO team_meetings (tenant_id, id, team_id, held_on)
        VALUES (koop.tenant(), p_id, p_team, (d ->> 'held_on')::date);
    END IF;
    UPDATE team_meetings SET held_on = (d ->> 'held_on')::date, place = d ->> 'place',
        attendee_ids = coalesce(ARRAY(SELECT jsonb_array_elements_text(d -> 'attendee_ids')::uuid), '{}'),
        agenda = d ->> 'agenda', decisions = d ->> 'decisions',
        next_meeting_on = (d ->> 'next_meeting_on')::date,
        version = CASE WHEN p_new THEN 1 ELSE version + 1 END, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO m;
    RETURN m;
END $$;

CREATE OR REPLACE FUNCTION koop.team_meeting_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, false);
    m team_meetings;
BEGIN
    PERFORM koop.team_meeting_check(t, p_body);
    m := koop.team_meeting_store(t.id, p_id, p_body, true);
    PERFORM koop.emit('team_meeting.created', 'team_meeting', m.id, m.version);
    PERFORM koop.audit('create', 'team_meeting', m.id, 201);
    RETURN koop.team_meeting_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.team_meeting_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    m team_meetings;
BEGIN
    PERFORM koop.team_must_see(p_parent);
    SELECT * INTO m FROM team_meetings WHERE tenant_id = koop.tenant() AND team_id = p_parent AND id = p_id;
    IF NOT FOUND OR NOT koop.meeting_seen(m) THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'team_meeting', m.id, 200);
    RETURN koop.team_meeting_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.team_meeting_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, false);
    m team_meetings;
    d jsonb;
BEGIN
    SELECT * INTO m FROM team_meetings WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('meeting');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    d := koop.merge_patch(koop.team_meeting_json(m), p_patch);
    PERFORM koop.team_meeting_check(t, d);
    m := koop.team_meeting_store(t.id, p_id, d, false);
    PERFORM koop.emit('team_meeting.updated', 'team_meeting', m.id, m.version);
    PERFORM koop.audit('update', 'team_meeting', m.id, 200);
    RETURN koop.team_meeting_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.team_meeting_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, false);
    m team_meetings;
BEGIN
    SELECT * INTO m FROM team_meetings WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('meeting');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    DELETE FROM team_meetings WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('team_meeting.deleted', 'team_meeting', p_id, m.version);
    PERFORM koop.audit('delete', 'team_meeting', p_id, 204);
END $$;

-- ---------------------------------------------------------------------------
-- The plan: goals
CREATE OR REPLACE FUNCTION koop.goal_json(g plan_goals) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', g.id, 'team_id', g.team_id, 'description', g.description,
        'measure', g.measure, 'target_date', g.target_date, 'status', g.status,
        'version', g.version, 'created_at', koop.ts(g.created_at),
        'updated_at', koop.ts(g.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.goal_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    g plan_goals;
BEGIN
    INSERT INTO plan_goals (tenant_id, id, team_id, description, measure, target_date)
    VALUES (koop.tenant(), p_id, t.id, p_body ->> 'description', p_body ->> 'measure',
            (p_body ->> 'target_date')::date)
    RETURNING * INTO g;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('goal.created', 'goal', g.id, g.version);
    PERFORM koop.audit('create', 'goal', g.id, 201);
    RETURN koop.goal_json(g);
END $$;

CREATE OR REPLACE FUNCTION koop.goal_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    g plan_goals;
BEGIN
    PERFORM koop.team_must_see(p_parent);
    SELECT * INTO g FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = p_parent AND id = p_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'goal', g.id, 200);
    RETURN koop.goal_json(g);
END $$;

CREATE OR REPLACE FUNCTION koop.goal_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    g plan_goals;
    d jsonb;
BEGIN
    SELECT * INTO g FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('goal');
    END IF;
    PERFORM koop.check_version(g.version, p_version);
    d := koop.merge_patch(koop.goal_json(g), p_patch);
    UPDATE plan_goals SET description = d ->> 'description', measure = d ->> 'measure',
        target_date = (d ->> 'target_date')::date, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO g;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('goal.updated', 'goal', g.id, g.version);
    PERFORM koop.audit('update', 'goal', g.id, 200);
    RETURN koop.goal_json(g);
END $$;

-- open → achieved | partially_achieved | not_achieved
CREATE OR REPLACE FUNCTION koop.goal_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                     p_reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    g plan_goals;
    allowed text[];
BEGIN
    SELECT * INTO g FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('goal');
    END IF;
    PERFORM koop.check_version(g.version, p_version);
    allowed := CASE g.status WHEN 'open' THEN ARRAY['achieved', 'partially_achieved', 'not_achieved']
                             ELSE ARRAY[]::text[] END;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('a goal cannot go from %s to %s', g.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    UPDATE plan_goals SET status = p_to, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO g;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('goal.' || p_to, 'goal', g.id, g.version);
    PERFORM koop.audit('transition', 'goal', g.id, 200);
    RETURN koop.goal_json(g);
END $$;

-- ---------------------------------------------------------------------------
-- The plan: actions, and referrals (actions with a service, once referred)

-- A referral still waiting for the partner's answer longer than its tenant's
-- referral_overdue_days (GET/PATCH /v1/settings) allows.
CREATE OR REPLACE FUNCTION koop.referral_overdue(a plan_actions) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT a.status = 'referred' AND a.referred_at IS NOT NULL
        AND a.referred_at + make_interval(days => (SELECT tn.referral_overdue_days FROM tenants tn
                                                   WHERE tn.id = a.tenant_id)) <= now()
$$;
CREATE OR REPLACE FUNCTION koop.action_json(a plan_actions) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'team_id', a.team_id,
        'family_id', (SELECT family_id FROM task_teams t WHERE t.tenant_id = a.tenant_id
                      AND t.id = a.team_id),
        'goal_id', a.goal_id, 'description', a.description, 'service_id', a.service_id,
        'partner_id', a.partner_id, 'member_ids', to_jsonb(a.member_ids), 'due_on', a.due_on,
        'status', a.status, 'held_from', a.held_from, 'status_reason', a.status_reason,
        'reason_code', a.reason_code, 'overdue', koop.referral_overdue(a),
        'outcome', a.outcome, 'capacity_warning', a.capacity_warning,
        'referred_at', koop.ts(a.referred_at), 'accepted_at', koop.ts(a.accepted_at),
        'completed_at', koop.ts(a.completed_at), 'version', a.version,
        'created_at', koop.ts(a.created_at), 'updated_at', koop.ts(a.updated_at))
$$;

-- Resolves and checks an action document; returns it with partner_id set
-- from the service (the service's partner is the responsible one).
CREATE OR REPLACE FUNCTION koop.action_check(t task_teams, d jsonb, p_service_changed boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s services;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = t.id
                   AND id = (d ->> 'goal_id')::uuid) THEN
        PERFORM koop.fail_field('goal_id', 'not_found', 'no such goal in this team''s plan');
    END IF;
    IF d ->> 'service_id' IS NOT NULL THEN
        SELECT * INTO s FROM services WHERE tenant_id = koop.tenant()
            AND id = (d ->> 'service_id')::uuid;
        IF NOT FOUND THEN
            PERFORM koop.fail_field('service_id', 'not_found', 'no such service in the basket');
        END IF;
        IF p_service_changed AND s.status <> 'active' THEN
            PERFORM koop.fail_field('service_id', 'invalid', 'only active services can be chosen');
        END IF;
        IF d ->> 'partner_id' IS NOT NULL AND (d ->> 'partner_id')::uuid <> s.partner_id THEN
            PERFORM koop.fail_field('partner_id', 'invalid',
                'an action with a service is the service''s partner''s; leave partner_id out');
        END IF;
        d := d || jsonb_build_object('partner_id', s.partner_id);
    ELSIF d ->> 'partner_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM partners
          WHERE tenant_id = koop.tenant() AND id = (d ->> 'partner_id')::uuid) THEN
        PERFORM koop.fail_field('partner_id', 'not_found', 'no such partner');
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(d -> 'member_ids', '[]')) x
               WHERE NOT EXISTS (SELECT 1 FROM family_members m WHERE m.tenant_id = koop.tenant()
                                 AND m.family_id = t.family_id AND m.id = x::uuid)) THEN
        PERFORM koop.fail_field('member_ids', 'not_found', 'names someone outside the family');
    END IF;
    RETURN d;
END $$;

CREATE OR REPLACE FUNCTION koop.action_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    a plan_actions;
    d jsonb := koop.action_check(t, p_body, true);
BEGIN
    INSERT INTO plan_actions (tenant_id, id, team_id, goal_id, description, service_id,
                              partner_id, member_ids, due_on)
    VALUES (koop.tenant(), p_id, t.id, (d ->> 'goal_id')::uuid, d ->> 'description',
            (d ->> 'service_id')::uuid, (d ->> 'partner_id')::uuid,
            coalesce(ARRAY(SELECT jsonb_array_elements_text(d -> 'member_ids')::uuid), '{}'),
            (d ->> 'due_on')::date)
    RETURNING * INTO a;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('action.created', 'action', a.id, a.version);
    PERFORM koop.audit('create', 'action', a.id, 201);
    RETURN koop.action_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.action_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a plan_actions;
BEGIN
    PERFORM koop.team_must_see(p_parent);
    SELECT * INTO a FROM plan_actions WHERE tenant_id = koop.tenant() AND team_id = p_parent AND id = p_id;
    IF NOT FOUND OR NOT koop.action_seen(a) THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'action', a.id, 200);
    RETURN koop.action_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.action_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    a plan_actions;
    d jsonb;
BEGIN
    SELECT * INTO a FROM plan_actions WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('action');
    END IF;
    PERFORM koop.check_version(a.version, p_version);
    IF a.status <> 'planned' AND (p_patch ? 'service_id' OR p_patch ? 'partner_id' OR p_patch ? 'goal_id') THEN
        PERFORM koop.fail(409, 'conflict', 'service, partner and goal change only while the action is planned');
    END IF;
    d := koop.merge_patch(koop.action_json(a) - 'partner_id', p_patch);
    IF NOT p_patch ? 'service_id' AND d ->> 'service_id' IS NULL AND NOT p_patch ? 'partner_id' THEN
        d := d || jsonb_build_object('partner_id', a.partner_id);
    END IF;
    d := koop.action_check(t, d, p_patch ? 'service_id');
    UPDATE plan_actions SET goal_id = (d ->> 'goal_id')::uuid, description = d ->> 'description',
        service_id = (d ->> 'service_id')::uuid, partner_id = (d ->> 'partner_id')::uuid,
        member_ids = coalesce(ARRAY(SELECT jsonb_array_elements_text(d -> 'member_ids')::uuid), '{}'),
        due_on = (d ->> 'due_on')::date, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO a;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('action.updated', 'action', a.id, a.version);
    PERFORM koop.audit('update', 'action', a.id, 200);
    RETURN koop.action_json(a);
END $$;

-- The state machine of actions and referrals (FHIR Task style), one place
-- for both sides. p_side: 'moderator' (task-team route) or 'partner'
-- (referral route). Checks who may move where, the rules of referring and
-- accepting, and records the outcome; returns the action.
CREATE OR REPLACE FUNCTION koop.action_move(a plan_actions, t task_teams, p_side text, p_version int,
                                 p_to text, p_reason text, p_outcome text,
                                 p_reason_code text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    allowed text[];
    missing text[] := '{}';
    s services;
    warn boolean := a.capacity_warning;
BEGIN
    PERFORM koop.check_version(a.version, p_version);
    IF p_side = 'moderator' AND a.service_id IS NOT NULL THEN
        allowed := CASE a.status
            WHEN 'planned' THEN ARRAY['referred', 'cancelled']
            WHEN 'referred' THEN ARRAY['cancelled']
            WHEN 'accepted' THEN ARRAY['cancelled']
            WHEN 'in_progress' THEN ARRAY['cancelled']
            WHEN 'on_hold' THEN CASE WHEN a.status_reason IN ('consent_withdrawn', 'consent_expired')
                                     THEN ARRAY[a.held_from, 'cancelled'] ELSE ARRAY['cancelled'] END
            ELSE ARRAY[]::text[] END;
    ELSIF p_side = 'moderator' THEN -- no service: no partner side
        allowed := CASE a.status
            WHEN 'planned' THEN ARRAY['in_progress', 'cancelled']
            WHEN 'in_progress' THEN ARRAY['completed', 'cancelled']
            ELSE ARRAY[]::text[] END;
    ELSE
        allowed := CASE a.status
            WHEN 'referred' THEN ARRAY['accepted', 'declined', 'on_hold']
            WHEN 'accepted' THEN ARRAY['in_progress', 'on_hold']
            WHEN 'in_progress' THEN ARRAY['on_hold', 'completed', 'failed']
            WHEN 'on_hold' THEN CASE WHEN a.status_reason IN ('consent_withdrawn', 'consent_expired')
                                     THEN ARRAY[]::text[] ELSE ARRAY[a.held_from] END
            ELSE ARRAY[]::text[] END;
    END IF;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('this action cannot go from %s to %s here', a.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    -- a referral declined, failed or cancelled names why with a code (api/vocab.c
    -- koop_referral_reasons), the text is optional; a hold and an action without a service
    -- need the text (or, for the latter, a code)
    IF p_to IN ('declined', 'failed', 'cancelled') AND a.service_id IS NOT NULL
       AND p_reason_code IS NULL THEN
        PERFORM koop.fail_field('reason_code', 'required', 'is required for ' || p_to);
    END IF;
    IF (p_to = 'on_hold' OR (p_to = 'cancelled' AND a.service_id IS NULL AND p_reason_code IS NULL))
       AND p_reason IS NULL THEN
        PERFORM koop.fail_field('reason', 'required', 'is required for ' || p_to);
    END IF;
    IF p_to = 'completed' AND p_outcome IS NULL AND a.service_id IS NOT NULL THEN
        PERFORM koop.fail_field('outcome', 'required', 'a completed referral reports its outcome');
    END IF;
    IF a.service_id IS NOT NULL THEN
        SELECT * INTO s FROM services WHERE tenant_id = koop.tenant() AND id = a.service_id;
    END IF;
    IF p_to = 'referred' AND a.status = 'planned' THEN
        IF NOT koop.partner_on_open_team(t.family_id, a.partner_id) THEN
            missing := array_append(missing, 'partner_representative');
        END IF;
        IF t.status <> 'active' THEN
            missing := array_append(missing, 'task_team.active');
        END IF;
        IF s.status IS DISTINCT FROM 'active' THEN
            missing := array_append(missing, 'service.active');
        END IF;
        IF NOT koop.consent_covers(t.family_id, a.partner_id) THEN
            missing := array_append(missing, 'consent');
        END IF;
        IF cardinality(missing) > 0 THEN
            PERFORM koop.fail(409, 'invalid_transition',
                'cannot refer: ' || array_to_string(missing, ', ') || ' missing',
                jsonb_build_object('allowed', to_jsonb(allowed), 'missing', to_jsonb(missing)));
        END IF;
        -- referring to a full service is allowed, but flagged
        warn := s.capacity_available IS NOT NULL AND s.capacity_available = 0;
    END IF;
    IF a.status = 'on_hold' AND p_to = a.held_from
       AND a.status_reason IN ('consent_withdrawn', 'consent_expired')
       AND NOT koop.consent_covers(t.family_id, a.partner_id) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            'the hold is for a withdrawn consent: a covering consent must be active again',
            jsonb_build_object('allowed', to_jsonb(allowed), 'missing', jsonb_build_array('consent')));
    END IF;
    IF p_to = 'accepted' AND a.status = 'referred' AND s.capacity_available IS NOT NULL THEN
        UPDATE services SET capacity_available = greatest(capacity_available - 1, 0),
            capacity_updated_at = now(), capacity_updated_by = koop.user_id(),
            version = version + 1, updated_at = now()
        WHERE tenant_id = koop.tenant() AND id = s.id RETURNING * INTO s;
        PERFORM koop.emit('service.capacity_updated', 'service', s.id, s.version);
    END IF;
    UPDATE plan_actions SET status = p_to,
        held_from = CASE WHEN p_to = 'on_hold' THEN a.status END,
        status_reason = CASE WHEN p_to IN ('declined', 'on_hold', 'failed', 'cancelled')
                             THEN p_reason END,
        reason_code = CASE WHEN p_to IN ('declined', 'failed', 'cancelled') THEN p_reason_code END,
        outcome = CASE WHEN p_to IN ('completed', 'failed') THEN p_outcome ELSE outcome END,
        capacity_warning = warn,
        referred_at = CASE WHEN p_to = 'referred' AND a.status = 'planned' THEN now()
                           ELSE referred_at END,
        accepted_at = CASE WHEN p_to = 'accepted' AND a.status = 'referred' THEN now()
                           ELSE accepted_at END,
        completed_at = CASE WHEN p_to IN ('completed', 'failed') THEN now() ELSE completed_at END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = a.id RETURNING * INTO a;
    PERFORM koop.plan_changed(t.id);
    PERFORM koop.emit('action.' || p_to, 'action', a.id, a.version);
    PERFORM koop.audit('transition', 'action', a.id, 200);
    RETURN koop.action_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.action_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                       p_reason text, p_outcome text,
                                       p_reason_code text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_parent, true, true);
    a plan_actions;
BEGIN
    SELECT * INTO a FROM plan_actions WHERE tenant_id = koop.tenant() AND team_id = t.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('action');
    END IF;
    RETURN koop.action_move(a, t, 'moderator', p_version, p_to, p_reason, p_outcome, p_reason_code);
END $$;

-- Referrals as the providing partner sees them (and coordinators, admins;
-- social workers those of teams they see).
CREATE OR REPLACE FUNCTION koop.referral_visible(a plan_actions) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (a.service_id IS NOT NULL AND a.referred_at IS NOT NULL AND CASE koop.role()
        WHEN 'admin' THEN true
        WHEN 'coordinator' THEN true
        WHEN 'partner_staff' THEN a.partner_id = koop.partner() AND EXISTS (
            SELECT 1 FROM task_teams t WHERE t.tenant_id = a.tenant_id AND t.id = a.team_id
              AND t.status <> 'closed' AND koop.partner_on_open_team(t.family_id, a.partner_id)
              AND koop.consent_covers(t.family_id, a.partner_id))
        WHEN 'social_worker' THEN EXISTS (SELECT 1 FROM task_teams t WHERE t.tenant_id = a.tenant_id
              AND t.id = a.team_id AND koop.team_visible(t))
        ELSE false END);
END $$;

-- The teams whose referrals partner staff see (koop.referral_visible for partner staff, as a
-- set): open teams on which their partner sits as a current representative, whose family has an
-- active consent naming the partner or covering the team (a family has one open team at most,
-- task_teams_one_open). SQL and STABLE: the planner inlines it into the inbox as a semi-join.
CREATE OR REPLACE FUNCTION koop.partner_teams() RETURNS TABLE (team_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT t.id FROM team_members m
    JOIN task_teams t ON t.tenant_id = m.tenant_id AND t.id = m.team_id
    WHERE m.tenant_id = koop.tenant() AND m.partner_id = koop.partner() AND m.left_on IS NULL
      AND m.kind = 'partner_representative' AND t.status <> 'closed'
      AND EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = t.tenant_id
          AND c.family_id = t.family_id AND c.withdrawn_on IS NULL
          AND (c.valid_until IS NULL OR c.valid_until >= koop.today())
          AND ((c.scope = 'sharing_with_partner' AND c.partner_id = koop.partner())
               OR c.scope = 'sharing_with_team'))
$$;

CREATE OR REPLACE FUNCTION koop.referral_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a plan_actions;
BEGIN
    SELECT * INTO a FROM plan_actions WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.referral_visible(a) THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'referral', a.id, 200);
    RETURN koop.action_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.referral_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                         p_reason text, p_outcome text,
                                         p_reason_code text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    a plan_actions;
    t task_teams;
BEGIN
    SELECT * INTO a FROM plan_actions WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND OR NOT koop.referral_visible(a) THEN
        PERFORM koop.not_found('referral');
    END IF;
    IF koop.role() <> 'partner_staff' OR a.partner_id IS DISTINCT FROM koop.partner() THEN
        PERFORM koop.fail(403, 'forbidden', 'only the responsible partner''s staff move a referral here');
    END IF;
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = a.team_id FOR UPDATE;
    RETURN koop.action_move(a, t, 'partner', p_version, p_to, p_reason, p_outcome, p_reason_code);
END $$;

-- Withdrawing a consent puts the open referrals it no longer covers on hold
-- at once (reason consent_withdrawn); the partner loses sight of them too.
CREATE OR REPLACE FUNCTION koop.consents_withdrawn() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    FOR a IN UPDATE plan_actions p SET status = 'on_hold', held_from = p.status,
                 status_reason = 'consent_withdrawn', version = p.version + 1, updated_at = now()
             FROM task_teams t
             WHERE p.tenant_id = NEW.tenant_id AND t.tenant_id = p.tenant_id AND t.id = p.team_id
               AND t.family_id = NEW.family_id AND p.service_id IS NOT NULL
               AND p.status IN ('referred', 'accepted', 'in_progress')
               AND NOT koop.consent_covers(NEW.family_id, p.partner_id)
             RETURNING p.id, p.version LOOP
        PERFORM koop.emit('action.on_hold', 'action', a.id, a.version);
        PERFORM koop.audit('transition', 'action', a.id, 200);
    END LOOP;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER consents_withdrawn AFTER UPDATE OF withdrawn_on ON consents
    FOR EACH ROW WHEN (NEW.withdrawn_on IS NOT NULL AND OLD.withdrawn_on IS NULL)
    EXECUTE FUNCTION koop.consents_withdrawn();

-- ---------------------------------------------------------------------------
-- The family's agreement to the plan, and the team's timeline
-- p_review: when the plan is next reviewed (review_on; NULL keeps the date the team has).
CREATE OR REPLACE FUNCTION koop.plan_agree(p_team uuid, p_member uuid, p_review date DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_lock(p_team, true, true);
    m family_members;
BEGIN
    SELECT * INTO m FROM family_members WHERE tenant_id = koop.tenant() AND family_id = t.family_id
        AND id = p_member;
    IF NOT FOUND THEN
        PERFORM koop.fail_field('member_id', 'not_found', 'no such member of the family');
    END IF;
    IF m.birth_date IS NULL OR m.birth_date > koop.today() - interval '18 years' THEN
        PERFORM koop.fail_field('member_id', 'invalid', 'the plan is agreed by an adult member');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = t.id) THEN
        PERFORM koop.fail(409, 'conflict', 'the plan has no goals yet',
            jsonb_build_object('missing', jsonb_build_array('goals')));
    END IF;
    UPDATE task_teams SET plan_agreed_on = koop.today(), agreed_by_member_id = m.id,
        agreed_plan_version = plan_version, review_on = coalesce(p_review, review_on),
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = t.id RETURNING * INTO t;
    PERFORM koop.emit('task_team.plan_agreed', 'task_team', t.id, t.version);
    PERFORM koop.audit('update', 'task_team', t.id, 200);
    RETURN koop.task_team_json(t);
END $$;

-- Meetings, plan changes and referral transitions in commit order, from the
-- change feed (types, ids and versions; who did what is in the audit log).
CREATE OR REPLACE FUNCTION koop.team_timeline(p_team uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams := koop.team_must_see(p_team);
    ids uuid[];
BEGIN
    ids := ARRAY[t.id]
        || ARRAY(SELECT id FROM team_members WHERE tenant_id = t.tenant_id AND team_id = t.id)
        || ARRAY(SELECT id FROM team_meetings x WHERE tenant_id = t.tenant_id AND team_id = t.id
                 AND koop.meeting_seen(x))
        || ARRAY(SELECT id FROM plan_goals WHERE tenant_id = t.tenant_id AND team_id = t.id)
        || ARRAY(SELECT id FROM plan_actions a WHERE tenant_id = t.tenant_id AND team_id = t.id
                 AND koop.action_seen(a));
    PERFORM koop.audit('read', 'task_team', t.id, 200);
    RETURN jsonb_build_object('team_id', t.id, 'items', coalesce((
        SELECT jsonb_agg(jsonb_build_object('event_id', e.id, 'occurred_at', koop.ts(e.occurred_at),
            'type', e.type, 'resource', e.resource, 'resource_id', e.resource_id,
            'version', e.version) ORDER BY e.id)
        FROM events e WHERE e.tenant_id = t.tenant_id AND e.resource_id = ANY (ids)), '[]'));
END $$;

-- ---------------------------------------------------------------------------
-- Anonymisation (koop.family_anonymize, in its transaction): closes the
-- family's open team (cancelling its open actions, as closing does) and
-- blanks every free text of all its teams: the team's name, family members'
-- entries, meetings' place, agenda and decisions, goals, actions' descriptions,
-- outcomes and free-text reasons (coded reasons stay). Dates, statuses, ids
-- and codes stay for statistics. Returns the ids whose stored idempotent
-- responses may hold any of it.
CREATE OR REPLACE FUNCTION koop.family_anonymize_teams(p_family uuid) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
    teams uuid[];
BEGIN
    FOR t IN UPDATE task_teams SET status = 'closed', closed_on = koop.today(),
                 version = version + 1, updated_at = now()
             WHERE tenant_id = koop.tenant() AND family_id = p_family AND status <> 'closed'
             RETURNING * LOOP
        PERFORM koop.team_cancel_actions(t.id, 'team_closed');
        PERFORM koop.emit('task_team.closed', 'task_team', t.id, t.version);
        PERFORM koop.audit('transition', 'task_team', t.id, 200);
    END LOOP;
    teams := ARRAY(SELECT id FROM task_teams WHERE tenant_id = koop.tenant() AND family_id = p_family);
    UPDATE task_teams SET name = 'ZZK', version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = ANY (teams);
    UPDATE team_members SET person_name = NULL, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND team_id = ANY (teams) AND kind = 'family_member';
    UPDATE team_meetings SET place = NULL, agenda = NULL, decisions = NULL,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND team_id = ANY (teams);
    UPDATE plan_goals SET description = '-', measure = NULL, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND team_id = ANY (teams);
    UPDATE plan_actions SET description = '-', outcome = NULL,
        status_reason = CASE WHEN status_reason IN ('team_closed', 'consent_withdrawn',
                                                    'consent_expired') THEN status_reason END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND team_id = ANY (teams);
    RETURN ARRAY(SELECT unnest(teams)::text)
        || ARRAY(SELECT id::text FROM plan_actions WHERE tenant_id = koop.tenant() AND team_id = ANY (teams))
        || ARRAY(SELECT id::text FROM plan_goals WHERE tenant_id = koop.tenant() AND team_id = ANY (teams))
        || ARRAY(SELECT id::text FROM team_meetings WHERE tenant_id = koop.tenant() AND team_id = ANY (teams))
        || ARRAY(SELECT id::text FROM team_members WHERE tenant_id = koop.tenant() AND team_id = ANY (teams));
END $$;

-- Consent expiry acts like withdrawal (the periodic job, every KOOP_JOB_INTERVAL seconds): in
-- every active tenant, the open referrals that an expired consent covered (valid_until passed
-- in Europe/Warsaw) and no consent covers any more go on hold with reason consent_expired, with
-- their events and audit rows (the system's: no actor). Resuming follows the withdrawal rules
-- (koop.action_move). Returns how many went on hold.
CREATE OR REPLACE FUNCTION koop.consent_expiry_tick() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    ts uuid[];
    tid uuid;
    a record;
    n int := 0;
BEGIN
    PERFORM set_config('koop.role', 'platform_admin', true);
    ts := ARRAY(SELECT id FROM tenants WHERE active ORDER BY id);
    PERFORM set_config('koop.role', '', true);
    FOREACH tid IN ARRAY ts LOOP
        PERFORM set_config('koop.tenant_id', tid::text, true);
        -- the referrals an expired consent covered first (OFFSET 0: a subquery of its own, so
        -- that koop.consent_covers runs for those few rows, not for every open referral)
        FOR a IN UPDATE plan_actions p SET status = 'on_hold', held_from = p.status,
                     status_reason = 'consent_expired', version = p.version + 1, updated_at = now()
                 FROM (SELECT q.id, t.family_id, q.partner_id FROM plan_actions q
                       JOIN task_teams t ON t.tenant_id = q.tenant_id AND t.id = q.team_id
                       WHERE q.tenant_id = tid AND q.service_id IS NOT NULL
                         AND q.status IN ('referred', 'accepted', 'in_progress')
                         AND EXISTS (SELECT 1 FROM consents c WHERE c.tenant_id = tid
                               AND c.family_id = t.family_id AND c.withdrawn_on IS NULL
                               AND c.valid_until < koop.today()
                               AND (c.scope = 'sharing_with_team'
                                    OR (c.scope = 'sharing_with_partner' AND c.partner_id = q.partner_id)))
                       OFFSET 0) x
                 WHERE p.tenant_id = tid AND p.id = x.id
                   AND p.status IN ('referred', 'accepted', 'in_progress')
                   AND NOT koop.consent_covers(x.family_id, x.partner_id)
                 RETURNING p.id, p.version LOOP
            PERFORM koop.emit('action.on_hold', 'action', a.id, a.version);
            PERFORM koop.audit('transition', 'action', a.id, 200);
            n := n + 1;
        END LOOP;
    END LOOP;
    PERFORM set_config('koop.tenant_id', '', true);
    RETURN n;
END $$;

-- The periodic case-work job (server/jobs.c runs it every KOOP_JOB_INTERVAL seconds, under an
-- advisory lock so that of several daemons one does it): in every active tenant, emits
-- referral.overdue once per referral that has waited longer than the tenant's
-- referral_overdue_days, and plan.review_due once per review date that has come (Europe/Warsaw).
-- Runs as the serving role without a request context: it sets the tenant itself. Returns the
-- number of events emitted.
CREATE OR REPLACE FUNCTION koop.casework_tick() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    ts uuid[];
    tid uuid;
    r record;
    n int := 0;
BEGIN
    PERFORM set_config('koop.role', 'platform_admin', true);
    ts := ARRAY(SELECT id FROM tenants WHERE active ORDER BY id);
    PERFORM set_config('koop.role', '', true);
    FOREACH tid IN ARRAY ts LOOP
        PERFORM set_config('koop.tenant_id', tid::text, true);
        -- koop.referral_overdue(p) written out with the tenant joined: the function (a SQL
        -- function with a subquery, not inlined) per referred row was most of the job's time
        FOR r IN UPDATE plan_actions p SET overdue_notified_at = now()
                 FROM tenants tn
                 WHERE tn.id = tid AND p.tenant_id = tid AND p.status = 'referred'
                   AND p.overdue_notified_at IS NULL AND p.referred_at IS NOT NULL
                   AND p.referred_at + make_interval(days => tn.referral_overdue_days) <= now()
                 RETURNING p.id, p.version LOOP
            PERFORM koop.emit('referral.overdue', 'referral', r.id, r.version);
            n := n + 1;
        END LOOP;
        FOR r IN UPDATE task_teams t SET review_notified_on = t.review_on
                 WHERE t.tenant_id = tid AND t.status <> 'closed' AND t.review_on <= koop.today()
                   AND t.review_notified_on IS DISTINCT FROM t.review_on
                 RETURNING t.id, t.version LOOP
            PERFORM koop.emit('plan.review_due', 'task_team', r.id, r.version);
            n := n + 1;
        END LOOP;
    END LOOP;
    PERFORM set_config('koop.tenant_id', '', true);
    RETURN n;
END $$;
