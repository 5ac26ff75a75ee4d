-- sql/functions/documents.sql — the data of printable documents (api/documents.c renders them
-- as PDF, or answers them as JSON): the partner's certificate of accession, the family's support
-- plan for signature, the protocol of a task-team meeting, the minutes of a partnership meeting.
-- Each returns NULL when the record does not exist or the caller may not see it (404).
-- Family documents are audited as an export of family data, and never carry PESEL.
--
-- The live definition of each function here, and nowhere else (see sql/functions/core.sql).

-- What heads every document: the tenant and when it was generated.
CREATE OR REPLACE FUNCTION koop.doc_head(p_kind text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('document', p_kind,
        'tenant', (SELECT t.name FROM tenants t WHERE t.id = koop.tenant()),
        'generated_at', koop.ts(now()))
$$;

-- A member as documents name them: first and last name, never PESEL or the birth date.
CREATE OR REPLACE FUNCTION koop.doc_person(m family_members) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(concat_ws(' ', m.first_name, m.last_name), '')
$$;

-- The certificate of accession: the partner, its declaration (signed on, certificate number and
-- date of issue, today when none is recorded) and the partnership's leader. 409 while the partner has no certificate number.
CREATE OR REPLACE FUNCTION koop.partner_certificate(p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    p partners;
    leader partners;
BEGIN
    SELECT * INTO p FROM partners WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR (koop.role() = 'partner_staff' AND p.id IS DISTINCT FROM koop.partner()) THEN
        RETURN NULL;
    END IF;
    IF p.declaration ->> 'certificate_number' IS NULL OR p.declaration ->> 'signed_on' IS NULL THEN
        PERFORM koop.fail(409, 'conflict', 'the partner has no signed declaration with a '
            'certificate number yet (declaration.signed_on, declaration.certificate_number)');
    END IF;
    SELECT * INTO leader FROM partners WHERE tenant_id = koop.tenant() AND is_leader
        ORDER BY created_at, id LIMIT 1;
    RETURN koop.doc_head('certificate') || jsonb_build_object(
        'partner', jsonb_build_object('id', p.id, 'name', p.name, 'short_name', p.short_name,
            'sector', p.sector, 'address', p.address),
        'signed_on', p.declaration ->> 'signed_on',
        'certificate_number', p.declaration ->> 'certificate_number',
        -- not yet issued: the certificate is being issued now
        'certificate_issued_on', coalesce(p.declaration ->> 'certificate_issued_on',
                                          koop.today()::text),
        'leader', CASE WHEN leader.id IS NULL THEN NULL
                       ELSE jsonb_build_object('id', leader.id, 'name', leader.name) END);
END $$;

-- The support plan for signature: goals, actions with partner, service, members concerned and
-- dates, and who signs (the adult family members on the team, and the moderator).
CREATE OR REPLACE FUNCTION koop.task_team_plan(p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
    f families;
    doc jsonb;
BEGIN
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.team_visible(t) THEN
        RETURN NULL;
    END IF;
    SELECT * INTO f FROM families WHERE tenant_id = t.tenant_id AND id = t.family_id;
    doc := koop.doc_head('plan') || jsonb_build_object(
        'team', jsonb_build_object('id', t.id, 'name', t.name, 'status', t.status,
            'formed_on', t.formed_on, 'plan_version', t.plan_version,
            'plan_agreed_on', t.plan_agreed_on, 'review_on', t.review_on),
        'family', jsonb_build_object('id', f.id, 'reference_number', f.reference_number),
        'moderator', (SELECT u.name FROM users u WHERE u.id = t.moderator_id),
        'goals', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', g.id, 'description', g.description, 'measure', g.measure,
            'target_date', g.target_date, 'status', g.status,
            'actions', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'id', a.id, 'description', a.description, 'status', a.status, 'due_on', a.due_on,
                'partner', (SELECT p.name FROM partners p
                            WHERE p.tenant_id = a.tenant_id AND p.id = a.partner_id),
                'service', (SELECT s.name FROM services s
                            WHERE s.tenant_id = a.tenant_id AND s.id = a.service_id),
                'members', coalesce((SELECT jsonb_agg(koop.doc_person(m) ORDER BY m.generation, m.birth_year, m.id)
                    FROM family_members m WHERE m.tenant_id = a.tenant_id
                     AND m.id = ANY (a.member_ids)), '[]'::jsonb))
                ORDER BY a.due_on NULLS LAST, a.created_at, a.id)
                FROM plan_actions a WHERE a.tenant_id = g.tenant_id AND a.goal_id = g.id
                 AND a.status <> 'cancelled'), '[]'::jsonb))
            ORDER BY g.created_at, g.id)
            FROM plan_goals g WHERE g.tenant_id = t.tenant_id AND g.team_id = t.id), '[]'::jsonb),
        -- adults sign: members on the team who are 18 or older (by birth year where the date is gone)
        'signatories', coalesce((SELECT jsonb_agg(koop.doc_person(m) ORDER BY m.generation, m.birth_year, m.id)
            FROM team_members tm JOIN family_members m
              ON m.tenant_id = tm.tenant_id AND m.id = tm.member_id
            WHERE tm.tenant_id = t.tenant_id AND tm.team_id = t.id AND tm.kind = 'family_member'
              AND tm.left_on IS NULL
              AND coalesce(extract(year FROM age(koop.today(), m.birth_date)),
                           extract(year FROM koop.today()) - m.birth_year, 18) >= 18), '[]'::jsonb));
    PERFORM koop.audit('export', 'task_team', t.id, 200);
    RETURN doc;
END $$;

-- The protocol of a task-team meeting: when and where, who attended (team members by name), the
-- agenda, the decisions and the next meeting.
CREATE OR REPLACE FUNCTION koop.team_meeting_protocol(p_team uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    t task_teams;
    m team_meetings;
BEGIN
    SELECT * INTO t FROM task_teams WHERE tenant_id = koop.tenant() AND id = p_team;
    IF NOT FOUND OR NOT koop.team_visible(t) THEN
        RETURN NULL;
    END IF;
    SELECT * INTO m FROM team_meetings WHERE tenant_id = t.tenant_id AND team_id = t.id AND id = p_id;
    IF NOT FOUND OR NOT koop.meeting_seen(m) THEN -- as koop.team_meeting_get
        RETURN NULL;
    END IF;
    PERFORM koop.audit('export', 'team_meeting', m.id, 200);
    RETURN koop.doc_head('team_meeting_protocol') || jsonb_build_object(
        'team', jsonb_build_object('id', t.id, 'name', t.name),
        'family', (SELECT jsonb_build_object('reference_number', f.reference_number)
                   FROM families f WHERE f.tenant_id = t.tenant_id AND f.id = t.family_id),
        'meeting', jsonb_build_object('id', m.id, 'held_on', m.held_on, 'place', m.place,
            'agenda', m.agenda, 'decisions', m.decisions, 'next_meeting_on', m.next_meeting_on),
        'attendees', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'name', coalesce(tm.person_name, koop.doc_person(fm), u.name),
                'kind', tm.kind,
                'partner', (SELECT p.name FROM partners p
                            WHERE p.tenant_id = tm.tenant_id AND p.id = tm.partner_id))
                ORDER BY tm.kind, tm.joined_on, tm.id)
            FROM team_members tm
            LEFT JOIN family_members fm ON fm.tenant_id = tm.tenant_id AND fm.id = tm.member_id
            LEFT JOIN users u ON u.id = tm.user_id
            WHERE tm.tenant_id = t.tenant_id AND tm.team_id = t.id
              AND tm.id = ANY (m.attendee_ids)), '[]'::jsonb));
END $$;

-- The minutes of a partnership meeting: kind, title, date and place, the partners present, the
-- agenda, minutes and decisions.
CREATE OR REPLACE FUNCTION koop.meeting_minutes(p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    m meetings;
BEGIN
    SELECT * INTO m FROM meetings WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN koop.doc_head('meeting_minutes') || jsonb_build_object(
        'meeting', jsonb_build_object('id', m.id, 'kind', m.kind, 'title', m.title,
            'held_on', m.held_on, 'place', m.place, 'agenda', m.agenda, 'minutes', m.minutes,
            'decisions', m.decisions),
        'partners', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name)
                ORDER BY p.name, p.id)
            FROM partners p WHERE p.tenant_id = m.tenant_id AND p.id = ANY (m.partner_ids)), '[]'::jsonb));
END $$;
