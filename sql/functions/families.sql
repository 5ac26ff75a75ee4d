-- sql/functions/families.sql — families, members, consents, GDPR export and anonymisation (/v1/families).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- ---------------------------------------------------------------------------
-- Helpers

-- "Today" is judged in Europe/Warsaw (SPEC §9).
CREATE OR REPLACE FUNCTION koop.today() RETURNS date LANGUAGE sql STABLE AS
$$ SELECT (now() AT TIME ZONE 'Europe/Warsaw')::date $$;

-- The birth date a PESEL encodes (century in the month: +80 for 1800s, +0
-- 1900s, +20 2000s, +40 2100s, +60 2200s), NULL when it encodes none.
CREATE OR REPLACE FUNCTION koop.pesel_birth_date(p text) RETURNS date LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    yy int := substr(p, 1, 2)::int;
    mm int := substr(p, 3, 2)::int;
    dd int := substr(p, 5, 2)::int;
    century int;
BEGIN
    century := CASE mm / 20 WHEN 4 THEN 1800 WHEN 0 THEN 1900 WHEN 1 THEN 2000
                            WHEN 2 THEN 2100 WHEN 3 THEN 2200 END;
    RETURN make_date(century + yy, mm % 20, dd);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION koop.pesel_sex(p text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN substr(p, 10, 1)::int % 2 = 0 THEN 'female' ELSE 'male' END $$;

-- Who may see a family (SPEC §7): coordinators and admins all of the
-- tenant's; a social worker those assigned to them; partner staff only
-- through a task team with consent (task teams arrive with their own
-- migration, which replaces this function). Auditors and platform roles: none.
-- Never NULL: callers use it in plpgsql IFs. plpgsql rather than sql: PostgreSQL 15
-- plans a non-inlined sql function on every call, plpgsql keeps its plans.
CREATE OR REPLACE FUNCTION koop.family_visible(p_family uuid, p_assigned uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (CASE koop.role()
        WHEN 'admin' THEN true
        WHEN 'coordinator' THEN true
        WHEN 'social_worker' THEN coalesce(p_assigned = koop.user_id(), false)
                                  OR koop.user_on_family_team(p_family)
        WHEN 'partner_staff' THEN koop.partner() IS NOT NULL
                                  AND koop.partner_on_open_team(p_family, koop.partner())
                                  AND koop.consent_covers(p_family, koop.partner())
        ELSE false END);
END $$;

-- Whether the caller sees identifying details (PESEL, address). Partner
-- staff never do.
CREATE OR REPLACE FUNCTION koop.sees_identity() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT koop.role() IN ('admin', 'coordinator', 'social_worker') $$;

-- The problem codes without their notes (what partner staff see, and what
-- anonymisation keeps).
CREATE OR REPLACE FUNCTION koop.problem_codes(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object('code', x -> 'code', 'notes', NULL) ORDER BY n)
                     FROM jsonb_array_elements(coalesce(p, '[]')) WITH ORDINALITY e(x, n)), '[]')
$$;

-- Partner staff see the problem codes without notes, no address and no
-- external_ref (koop.sees_identity).
CREATE OR REPLACE FUNCTION koop.family_json(f families) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', f.id, 'reference_number', f.reference_number,
        'district', f.district,
        'address', CASE WHEN koop.sees_identity() THEN f.address END,
        'status', f.status, 'assigned_worker_id', f.assigned_worker_id,
        'external_ref', CASE WHEN koop.sees_identity() THEN f.external_ref END,
        'problems', CASE WHEN koop.sees_identity() THEN f.problems
                         ELSE koop.problem_codes(f.problems) END,
        'generations', f.generations,
        'closure_reason', f.closure_reason, 'closed_on', f.closed_on,
        'members_count', (SELECT count(*) FROM family_members m
                          WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id),
        'anonymized', f.anonymized_at IS NOT NULL,
        'version', f.version, 'created_at', koop.ts(f.created_at),
        'updated_at', koop.ts(f.updated_at))
$$;

-- Locks a visible family for a change; 404 when invisible, 409 once anonymised.
CREATE OR REPLACE FUNCTION koop.family_lock(p_id uuid, p_for_change boolean) RETURNS families
LANGUAGE plpgsql AS $$
DECLARE
    f families;
BEGIN
    SELECT * INTO f FROM families WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND OR NOT koop.family_visible(f.id, f.assigned_worker_id) THEN
        PERFORM koop.not_found('family');
    END IF;
    IF p_for_change AND koop.role() = 'partner_staff' THEN
        PERFORM koop.fail(403, 'forbidden', 'partner staff cannot change family records');
    END IF;
    IF p_for_change AND f.anonymized_at IS NOT NULL THEN
        PERFORM koop.fail(409, 'conflict', 'the family was anonymised; its record is closed');
    END IF;
    RETURN f;
END $$;

CREATE OR REPLACE FUNCTION koop.family_check(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d ->> 'assigned_worker_id' IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM users WHERE tenant_id = koop.tenant() AND active
          AND id = (d ->> 'assigned_worker_id')::uuid
          AND role IN ('social_worker', 'coordinator', 'admin')) THEN
        PERFORM koop.fail_field('assigned_worker_id', 'not_found',
            'no active social worker, coordinator or admin with this id');
    END IF;
    IF (SELECT count(DISTINCT x ->> 'code') <> count(*)
        FROM jsonb_array_elements(coalesce(d -> 'problems', '[]')) x) THEN
        PERFORM koop.fail_field('problems', 'invalid', 'lists a problem code twice');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.problems_norm(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object('code', x -> 'code', 'notes', x -> 'notes')
                                      ORDER BY n)
                     FROM jsonb_array_elements(coalesce(p, '[]')) WITH ORDINALITY e(x, n)), '[]')
$$;

-- ---------------------------------------------------------------------------
-- Families
CREATE OR REPLACE FUNCTION koop.family_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families;
    y int := extract(year FROM koop.today());
    n int;
BEGIN
    PERFORM koop.family_check(p_body);
    -- a social worker's new family is theirs unless they name someone else
    IF koop.role() = 'social_worker' AND NOT p_body ? 'assigned_worker_id' THEN
        p_body := p_body || jsonb_build_object('assigned_worker_id', koop.user_id());
    END IF;
    INSERT INTO family_counters (tenant_id, year, last) VALUES (koop.tenant(), y, 1)
    ON CONFLICT (tenant_id, year) DO UPDATE SET last = family_counters.last + 1
    RETURNING last INTO n;
    INSERT INTO families (tenant_id, id, reference_number, district, address, assigned_worker_id,
                          external_ref, problems, generations)
    VALUES (koop.tenant(), p_id, format('%s/%s', y, lpad(n::text, greatest(4, length(n::text)), '0')), p_body ->> 'district',
            koop.address_norm(p_body -> 'address'), (p_body ->> 'assigned_worker_id')::uuid,
            p_body ->> 'external_ref', koop.problems_norm(p_body -> 'problems'),
            (p_body ->> 'generations')::int)
    RETURNING * INTO f;
    PERFORM koop.emit('family.created', 'family', f.id, f.version);
    PERFORM koop.audit('create', 'family', f.id, 201);
    RETURN koop.family_json(f);
END $$;

CREATE OR REPLACE FUNCTION koop.family_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families;
BEGIN
    SELECT * INTO f FROM families WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.family_visible(f.id, f.assigned_worker_id) THEN
        RETURN NULL; -- 404; the daemon records the denied access separately
    END IF;
    PERFORM koop.audit('read', 'family', f.id, 200);
    RETURN koop.family_json(f);
END $$;

CREATE OR REPLACE FUNCTION koop.family_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_id, true);
    d jsonb;
BEGIN
    PERFORM koop.check_version(f.version, p_version);
    d := koop.merge_patch(koop.family_json(f), p_patch);
    PERFORM koop.family_check(d);
    UPDATE families SET district = d ->> 'district', address = koop.address_norm(d -> 'address'),
        assigned_worker_id = (d ->> 'assigned_worker_id')::uuid,
        external_ref = d ->> 'external_ref', problems = koop.problems_norm(d -> 'problems'),
        generations = (d ->> 'generations')::int, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO f;
    PERFORM koop.emit('family.updated', 'family', f.id, f.version);
    PERFORM koop.audit('update', 'family', f.id, 200);
    RETURN koop.family_json(f);
END $$;

-- referred → diagnosed → in_support ⇄ monitoring; any open → closed (reason:
-- a closure code); closed → referred (reopen).
CREATE OR REPLACE FUNCTION koop.family_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                       p_reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_id, true);
    allowed text[];
BEGIN
    PERFORM koop.check_version(f.version, p_version);
    allowed := CASE f.status
        WHEN 'referred' THEN ARRAY['diagnosed', 'closed']
        WHEN 'diagnosed' THEN ARRAY['in_support', 'closed']
        WHEN 'in_support' THEN ARRAY['monitoring', 'closed']
        WHEN 'monitoring' THEN ARRAY['in_support', 'closed']
        WHEN 'closed' THEN ARRAY['referred'] END;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('a family cannot go from %s to %s', f.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    IF p_to = 'closed' AND (p_reason IS NULL OR p_reason NOT IN ('goals_achieved',
            'partially_achieved', 'resigned', 'moved_out', 'other')) THEN
        PERFORM koop.fail(422, 'validation_failed', 'closing needs a closure reason',
            jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'reason',
                'code', CASE WHEN p_reason IS NULL THEN 'required' ELSE 'enum' END, 'in', 'body',
                'message', 'must be one of: goals_achieved, partially_achieved, resigned, moved_out, other'))));
    END IF;
    UPDATE families SET status = p_to,
        closure_reason = CASE WHEN p_to = 'closed' THEN p_reason END,
        closed_on = CASE WHEN p_to = 'closed' THEN koop.today() END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO f;
    PERFORM koop.emit('family.' || p_to, 'family', f.id, f.version);
    PERFORM koop.audit('transition', 'family', f.id, 200);
    RETURN koop.family_json(f);
END $$;

-- ---------------------------------------------------------------------------
-- Members
CREATE OR REPLACE FUNCTION koop.member_json(m family_members) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', m.id, 'family_id', m.family_id,
        'first_name', m.first_name, 'last_name', m.last_name,
        'birth_date', m.birth_date, 'birth_year', m.birth_year,
        'pesel', CASE WHEN koop.sees_identity() THEN m.pesel END,
        'sex', m.sex, 'relation', m.relation, 'generation', m.generation,
        'adult', CASE WHEN m.birth_date IS NOT NULL
                      THEN m.birth_date <= koop.today() - interval '18 years' END,
        'version', m.version, 'created_at', koop.ts(m.created_at),
        'updated_at', koop.ts(m.updated_at))
$$;

-- PESEL uniqueness is no oracle: each attempt at a PESEL the tenant already
-- holds is audited by the daemon (api/families.c, in a transaction of its own:
-- the request's rolls back), and once a user made koop.pesel_duplicate_limit
-- of them in the last hour (KOOP_PESEL_DUPLICATE_LIMIT, default 10) any new
-- PESEL of theirs gets 429 until the oldest leaves the hour.
CREATE OR REPLACE FUNCTION koop.pesel_budget() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    lim int := coalesce(nullif(current_setting('koop.pesel_duplicate_limit', true), '')::int, 10);
    n int;
    oldest timestamptz;
BEGIN
    SELECT count(*), min(x.occurred_at) INTO n, oldest FROM (
        SELECT occurred_at FROM audit_events WHERE tenant_id = koop.tenant()
          AND actor_id = koop.user_id() AND resource = 'member' AND status IN (409, 429) -- (the partial index)
          AND status = 409 AND occurred_at > now() - interval '1 hour'
        ORDER BY occurred_at DESC LIMIT lim) x;
    IF n >= lim THEN
        PERFORM koop.fail(429, 'too_many_requests',
            'too many attempts at PESELs this municipality already holds; try again later',
            jsonb_build_object('field', 'pesel', 'retry_after',
                greatest(1, ceil(extract(epoch FROM oldest + interval '1 hour' - now())))::int));
    END IF;
END $$;

-- PESEL against birth date and sex; uniqueness in the tenant (409 naming the
-- family only to whoever may see it; "field": "pesel" tells the daemon to
-- audit the attempt).
CREATE OR REPLACE FUNCTION koop.member_check(d jsonb, p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    pesel text := d ->> 'pesel';
    other family_members;
    of families;
BEGIN
    IF (d ->> 'birth_date')::date > koop.today() THEN
        PERFORM koop.fail_field('birth_date', 'max', 'must not be in the future');
    END IF;
    IF pesel IS NULL THEN
        RETURN;
    END IF;
    IF koop.pesel_birth_date(pesel) IS NULL THEN
        PERFORM koop.fail_field('pesel', 'invalid', 'does not encode a valid birth date');
    END IF;
    IF koop.pesel_birth_date(pesel) > koop.today() THEN
        PERFORM koop.fail_field('pesel', 'invalid', 'encodes a birth date in the future');
    END IF;
    IF d ->> 'birth_date' IS NOT NULL AND koop.pesel_birth_date(pesel) <> (d ->> 'birth_date')::date THEN
        PERFORM koop.fail_field('pesel', 'invalid', 'does not match birth_date');
    END IF;
    IF d ->> 'sex' IS NOT NULL AND koop.pesel_sex(pesel) <> d ->> 'sex' THEN
        PERFORM koop.fail_field('pesel', 'invalid', 'does not match sex');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM family_members WHERE tenant_id = koop.tenant() AND id = p_id
                   AND family_members.pesel = d ->> 'pesel') THEN
        PERFORM koop.pesel_budget();
    END IF;
    SELECT * INTO other FROM family_members
    WHERE tenant_id = koop.tenant() AND family_members.pesel = d ->> 'pesel' AND id <> p_id;
    IF FOUND THEN
        SELECT * INTO of FROM families WHERE tenant_id = koop.tenant() AND id = other.family_id;
        PERFORM koop.fail(409, 'conflict',
            'a person with this PESEL is already a member of a family in this municipality',
            jsonb_build_object('field', 'pesel')
            || CASE WHEN koop.family_visible(of.id, of.assigned_worker_id)
                    THEN jsonb_build_object('existing_family_id', of.id) ELSE '{}' END);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.member_store(p_family uuid, p_id uuid, d jsonb, p_new boolean)
RETURNS family_members LANGUAGE plpgsql AS $$
DECLARE
    m family_members;
    bd date := coalesce((d ->> 'birth_date')::date, koop.pesel_birth_date(d ->> 'pesel'));
BEGIN
    IF p_new THEN
        INSERT INTO family_members (tenant_id, id, family_id, relation)
        VALUES (koop.tenant(), p_id, p_family, d ->> 'relation');
    END IF;
    UPDATE family_members SET first_name = d ->> 'first_name', last_name = d ->> 'last_name',
        birth_date = bd, birth_year = extract(year FROM bd)::int, pesel = d ->> 'pesel',
        sex = coalesce(d ->> 'sex', CASE WHEN d ->> 'pesel' IS NOT NULL
                                         THEN koop.pesel_sex(d ->> 'pesel') END),
        relation = d ->> 'relation', generation = (d ->> 'generation')::int,
        search = koop.norm(concat_ws(' ', d ->> 'first_name', d ->> 'last_name')),
        version = CASE WHEN p_new THEN 1 ELSE version + 1 END, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO m;
    RETURN m;
END $$;

CREATE OR REPLACE FUNCTION koop.member_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_parent, true);
    m family_members;
BEGIN
    PERFORM koop.member_check(p_body, p_id);
    m := koop.member_store(f.id, p_id, p_body, true);
    PERFORM koop.emit('member.created', 'member', m.id, m.version);
    PERFORM koop.audit('create', 'member', m.id, 201);
    RETURN koop.member_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.member_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    m family_members;
BEGIN
    SELECT m2.* INTO m FROM family_members m2 JOIN families f
        ON f.tenant_id = m2.tenant_id AND f.id = m2.family_id
    WHERE m2.tenant_id = koop.tenant() AND m2.family_id = p_parent AND m2.id = p_id
      AND koop.family_visible(f.id, f.assigned_worker_id);
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'member', m.id, 200);
    RETURN koop.member_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.family_must_see(p_family uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM families f WHERE f.tenant_id = koop.tenant() AND f.id = p_family
                   AND koop.family_visible(f.id, f.assigned_worker_id)) THEN
        PERFORM koop.not_found('family');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.member_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_parent, true);
    m family_members;
    d jsonb;
BEGIN
    SELECT * INTO m FROM family_members WHERE tenant_id = koop.tenant() AND family_id = f.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('member');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    d := koop.merge_patch(koop.member_json(m) - 'birth_year' - 'adult', p_patch);
    PERFORM koop.member_check(d, p_id);
    m := koop.member_store(f.id, p_id, d, false);
    PERFORM koop.emit('member.updated', 'member', m.id, m.version);
    PERFORM koop.audit('update', 'member', m.id, 200);
    RETURN koop.member_json(m);
END $$;

CREATE OR REPLACE FUNCTION koop.member_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_parent, true);
    m family_members;
BEGIN
    SELECT * INTO m FROM family_members WHERE tenant_id = koop.tenant() AND family_id = f.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('member');
    END IF;
    PERFORM koop.check_version(m.version, p_version);
    IF EXISTS (SELECT 1 FROM consents WHERE tenant_id = koop.tenant() AND member_id = p_id) THEN
        PERFORM koop.fail(409, 'conflict', 'the member gave consents, which must stay on record');
    END IF;
    DELETE FROM family_members WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('member.deleted', 'member', p_id, m.version);
    PERFORM koop.audit('delete', 'member', p_id, 204);
END $$;

-- ---------------------------------------------------------------------------
-- Consents
CREATE OR REPLACE FUNCTION koop.consent_status(c consents) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.withdrawn_on IS NOT NULL THEN 'withdrawn'
                WHEN c.valid_until IS NOT NULL AND c.valid_until < koop.today() THEN 'expired'
                ELSE 'active' END
$$;

CREATE OR REPLACE FUNCTION koop.consent_json(c consents) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', c.id, 'family_id', c.family_id, 'member_id', c.member_id,
        'scope', c.scope, 'partner_id', c.partner_id, 'purpose', c.purpose,
        'given_on', c.given_on, 'valid_until', c.valid_until, 'withdrawn_on', c.withdrawn_on,
        'withdrawal_reason', c.withdrawal_reason,
        'document_ref', CASE WHEN koop.sees_identity() THEN c.document_ref END,
        'status', koop.consent_status(c), 'version', c.version,
        'created_at', koop.ts(c.created_at), 'updated_at', koop.ts(c.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.consent_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_parent, true);
    m family_members;
    c consents;
BEGIN
    SELECT * INTO m FROM family_members WHERE tenant_id = koop.tenant() AND family_id = f.id
        AND id = (p_body ->> 'member_id')::uuid;
    IF NOT FOUND THEN
        PERFORM koop.fail_field('member_id', 'not_found', 'no such member of this family');
    END IF;
    IF m.birth_date IS NULL OR m.birth_date > (p_body ->> 'given_on')::date - interval '18 years' THEN
        PERFORM koop.fail_field('member_id', 'invalid',
            'consent is given by an adult member (18 or older on given_on, with a known birth date)');
    END IF;
    IF (p_body ->> 'given_on')::date > koop.today() THEN
        PERFORM koop.fail_field('given_on', 'max', 'must not be in the future');
    END IF;
    IF (p_body ->> 'scope' = 'sharing_with_partner') <> (p_body ->> 'partner_id' IS NOT NULL) THEN
        PERFORM koop.fail_field('partner_id', CASE WHEN p_body ->> 'partner_id' IS NULL
                                                   THEN 'required' ELSE 'invalid' END,
            'is required for sharing_with_partner and only for it');
    END IF;
    IF p_body ->> 'partner_id' IS NOT NULL AND NOT EXISTS (SELECT 1 FROM partners
        WHERE tenant_id = koop.tenant() AND id = (p_body ->> 'partner_id')::uuid) THEN
        PERFORM koop.fail_field('partner_id', 'not_found', 'no such partner in this tenant');
    END IF;
    IF (p_body ->> 'valid_until')::date < (p_body ->> 'given_on')::date THEN
        PERFORM koop.fail_field('valid_until', 'min', 'must not be before given_on');
    END IF;
    INSERT INTO consents (tenant_id, id, family_id, member_id, scope, partner_id, purpose,
                          given_on, valid_until, document_ref)
    VALUES (koop.tenant(), p_id, f.id, m.id, p_body ->> 'scope', (p_body ->> 'partner_id')::uuid,
            p_body ->> 'purpose', (p_body ->> 'given_on')::date,
            (p_body ->> 'valid_until')::date, p_body ->> 'document_ref')
    RETURNING * INTO c;
    PERFORM koop.emit('consent.created', 'consent', c.id, c.version);
    PERFORM koop.audit('create', 'consent', c.id, 201);
    RETURN koop.consent_json(c);
END $$;

CREATE OR REPLACE FUNCTION koop.consent_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c consents;
BEGIN
    SELECT c2.* INTO c FROM consents c2 JOIN families f
        ON f.tenant_id = c2.tenant_id AND f.id = c2.family_id
    WHERE c2.tenant_id = koop.tenant() AND c2.family_id = p_parent AND c2.id = p_id
      AND koop.family_visible(f.id, f.assigned_worker_id);
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('read', 'consent', c.id, 200);
    RETURN koop.consent_json(c);
END $$;

-- Withdrawal takes effect at once (today); what depends on the consent
-- (partner access, open referrals) follows from its status.
CREATE OR REPLACE FUNCTION koop.consent_withdraw(p_family uuid, p_id uuid, p_reason text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_family, true);
    c consents;
BEGIN
    SELECT * INTO c FROM consents WHERE tenant_id = koop.tenant() AND family_id = f.id
        AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('consent');
    END IF;
    IF c.withdrawn_on IS NOT NULL THEN
        PERFORM koop.fail(409, 'conflict', 'the consent is already withdrawn');
    END IF;
    UPDATE consents SET withdrawn_on = koop.today(), withdrawal_reason = p_reason,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO c;
    PERFORM koop.emit('consent.withdrawn', 'consent', c.id, c.version);
    PERFORM koop.audit('update', 'consent', c.id, 200);
    RETURN koop.consent_json(c);
END $$;

-- The family's teams, their plans and referrals in the GDPR export.
CREATE OR REPLACE FUNCTION koop.family_export_teams(f families) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'task_teams', coalesce((SELECT jsonb_agg(koop.task_team_json(t) || jsonb_build_object(
                'members', coalesce((SELECT jsonb_agg(koop.team_member_json(m) ORDER BY m.created_at, m.id)
                                     FROM team_members m WHERE m.tenant_id = t.tenant_id AND m.team_id = t.id), '[]'),
                'meetings', coalesce((SELECT jsonb_agg(koop.team_meeting_json(x) ORDER BY x.held_on, x.id)
                                      FROM team_meetings x WHERE x.tenant_id = t.tenant_id AND x.team_id = t.id), '[]'))
            ORDER BY t.created_at, t.id)
            FROM task_teams t WHERE t.tenant_id = f.tenant_id AND t.family_id = f.id), '[]'),
        'plans', coalesce((SELECT jsonb_agg(jsonb_build_object('team_id', t.id,
                'plan_version', t.plan_version, 'plan_agreed_on', t.plan_agreed_on,
                'agreed_by_member_id', t.agreed_by_member_id,
                'goals', coalesce((SELECT jsonb_agg(koop.goal_json(g) ORDER BY g.created_at, g.id)
                                   FROM plan_goals g WHERE g.tenant_id = t.tenant_id AND g.team_id = t.id), '[]'),
                'actions', coalesce((SELECT jsonb_agg(koop.action_json(a) ORDER BY a.created_at, a.id)
                                     FROM plan_actions a WHERE a.tenant_id = t.tenant_id AND a.team_id = t.id), '[]'))
            ORDER BY t.created_at, t.id)
            FROM task_teams t WHERE t.tenant_id = f.tenant_id AND t.family_id = f.id), '[]'),
        'referrals', coalesce((SELECT jsonb_agg(koop.action_json(a) ORDER BY a.referred_at, a.id)
            FROM plan_actions a JOIN task_teams t ON t.tenant_id = a.tenant_id AND t.id = a.team_id
            WHERE a.tenant_id = f.tenant_id AND t.family_id = f.id AND a.service_id IS NOT NULL
              AND a.referred_at IS NOT NULL), '[]'))
$$;

CREATE OR REPLACE FUNCTION koop.family_export(p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    f families;
    doc jsonb;
BEGIN
    SELECT * INTO f FROM families WHERE tenant_id = koop.tenant() AND id = p_id;
    IF NOT FOUND OR NOT koop.family_visible(f.id, f.assigned_worker_id) THEN
        RETURN NULL;
    END IF;
    PERFORM koop.audit('export', 'family', f.id, 200);
    doc := jsonb_build_object(
        'exported_at', koop.ts(now()),
        'family', koop.family_json(f),
        'members', coalesce((SELECT jsonb_agg(koop.member_json(m) ORDER BY m.created_at, m.id)
                             FROM family_members m
                             WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id), '[]'),
        'consents', coalesce((SELECT jsonb_agg(koop.consent_json(c) ORDER BY c.created_at, c.id)
                              FROM consents c
                              WHERE c.tenant_id = f.tenant_id AND c.family_id = f.id), '[]'),
        -- who accessed the family's data, this export included
        'access_log', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id,
                'occurred_at', koop.ts(a.occurred_at), 'actor_id', a.actor_id,
                'action', a.action, 'resource', a.resource, 'resource_id', a.resource_id,
                'status', a.status) ORDER BY a.id)
            FROM audit_events a WHERE a.tenant_id = f.tenant_id
              AND (a.resource_id = f.id OR a.resource_ids @> ARRAY[f.id]
                   OR a.resource_id IN (SELECT id FROM family_members m
                                        WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id)
                   OR a.resource_id IN (SELECT id FROM consents c
                                        WHERE c.tenant_id = f.tenant_id AND c.family_id = f.id))),
            '[]')) || koop.family_export_teams(f);
    RETURN doc;
END $$;

-- Retention (issue 10): a closed family whose tenant's retention_years have passed since it
-- closed is due for anonymisation (GET /v1/families?retention_due=true, admins).
CREATE OR REPLACE FUNCTION koop.family_retention_due(f families) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT f.status = 'closed' AND f.anonymized_at IS NULL AND f.closed_on IS NOT NULL
       AND EXISTS (SELECT 1 FROM tenants tn WHERE tn.id = f.tenant_id AND tn.retention_years IS NOT NULL
                   AND f.closed_on <= koop.today() - make_interval(years => tn.retention_years))
$$;

-- The periodic job anonymises what is due, as the system (no actor in the audit row), a
-- bounded batch per tenant and run. Returns how many families were anonymised.
CREATE OR REPLACE FUNCTION koop.retention_tick() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    ts uuid[];
    tid uuid;
    fid uuid;
    n int := 0;
BEGIN
    PERFORM set_config('koop.role', 'platform_admin', true);
    ts := ARRAY(SELECT id FROM tenants WHERE active AND retention_years IS NOT NULL ORDER BY id);
    FOREACH tid IN ARRAY ts LOOP
        PERFORM set_config('koop.tenant_id', tid::text, true);
        PERFORM set_config('koop.role', 'admin', true);
        FOR fid IN SELECT f.id FROM families f WHERE f.tenant_id = tid AND f.status = 'closed'
                   AND f.anonymized_at IS NULL AND koop.family_retention_due(f)
                   ORDER BY f.closed_on, f.id LIMIT 100 LOOP
            PERFORM koop.family_anonymize(fid, NULL);
            n := n + 1;
        END LOOP;
    END LOOP;
    PERFORM set_config('koop.tenant_id', '', true);
    PERFORM set_config('koop.role', '', true);
    RETURN n;
END $$;

-- Stored idempotent responses may hold a family's personal data: purge them.
-- SECURITY DEFINER: they belong to whichever user made them.
CREATE OR REPLACE FUNCTION koop.idem_purge(p_tenant uuid, p_needles text[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    -- a caller in a tenant's context purges only that tenant's responses
    DELETE FROM idempotency_keys k WHERE k.tenant_id = p_tenant
        AND p_tenant = coalesce(koop.tenant(), p_tenant)
        AND EXISTS (SELECT 1 FROM unnest(p_needles) n WHERE position(n IN k.body) > 0)
$$;

-- Irreversibly removes personal data; keeps what statistics need (status,
-- problem codes, district, generations, members' sex, birth year, relation,
-- generation, the dates of status changes). In the same transaction the open
-- team is closed (its open actions cancelled) and the consents withdrawn; the
-- teams' free texts go (koop.family_anonymize_teams), and so do stored
-- idempotent responses naming any of the family's records.
CREATE OR REPLACE FUNCTION koop.family_anonymize(p_id uuid, p_version int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    f families := koop.family_lock(p_id, true);
    ids text[];
    c record;
BEGIN
    PERFORM koop.check_version(f.version, p_version);
    ids := ARRAY[f.id::text] || ARRAY(SELECT id::text FROM family_members
                                      WHERE tenant_id = f.tenant_id AND family_id = f.id)
        || ARRAY(SELECT id::text FROM consents WHERE tenant_id = f.tenant_id AND family_id = f.id)
        || koop.family_anonymize_teams(f.id);
    FOR c IN UPDATE consents SET withdrawn_on = koop.today(), version = version + 1,
                 updated_at = now()
             WHERE tenant_id = f.tenant_id AND family_id = f.id AND withdrawn_on IS NULL
             RETURNING id, version LOOP
        PERFORM koop.emit('consent.withdrawn', 'consent', c.id, c.version);
        PERFORM koop.audit('update', 'consent', c.id, 200);
    END LOOP;
    UPDATE family_members SET first_name = NULL, last_name = NULL, birth_date = NULL,
        pesel = NULL, search = '', version = version + 1, updated_at = now()
    WHERE tenant_id = f.tenant_id AND family_id = f.id;
    UPDATE consents SET purpose = NULL, document_ref = NULL, withdrawal_reason = NULL,
        version = version + 1, updated_at = now()
    WHERE tenant_id = f.tenant_id AND family_id = f.id;
    UPDATE families SET address = NULL, external_ref = NULL,
        problems = koop.problem_codes(problems),
        anonymized_at = now(), version = version + 1, updated_at = now()
    WHERE tenant_id = f.tenant_id AND id = f.id RETURNING * INTO f;
    PERFORM koop.idem_purge(f.tenant_id, ids);
    PERFORM koop.emit('family.anonymized', 'family', f.id, f.version);
    PERFORM koop.audit('anonymize', 'family', f.id, 200);
    RETURN koop.family_json(f);
END $$;

REVOKE ALL ON FUNCTION koop.idem_purge(uuid, text[]) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION koop.idem_purge(uuid, text[]) TO koop_app;
