-- sql/functions/partners.sql — partners, agreements and benefits (/v1/partners).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- ---------------------------------------------------------------------------
-- Partners
CREATE OR REPLACE FUNCTION koop.partner_json(p partners) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', p.id, 'name', p.name, 'short_name', p.short_name,
        'sector', p.sector, 'is_leader', p.is_leader,
        'identifiers', jsonb_build_object('nip', p.nip, 'regon', p.regon, 'krs', p.krs),
        'address', p.address, 'website', p.website, 'contacts', p.contacts,
        'competences', p.competences, 'status', p.status,
        'declaration', jsonb_build_object('signed_on', p.declaration -> 'signed_on',
            'certificate_number', p.declaration -> 'certificate_number',
            'certificate_issued_on', p.declaration -> 'certificate_issued_on'),
        'version', p.version, 'created_at', koop.ts(p.created_at),
        'updated_at', koop.ts(p.updated_at))
$$;

-- Normalised stored shapes: every key present, nulls where absent.
CREATE OR REPLACE FUNCTION koop.address_norm(a jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a IS NULL OR jsonb_typeof(a) = 'null' THEN NULL
        ELSE jsonb_build_object('street', a -> 'street', 'building', a -> 'building',
                                'postal_code', a -> 'postal_code', 'city', a -> 'city') END
$$;

CREATE OR REPLACE FUNCTION koop.contacts_norm(c jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object('name', x -> 'name', 'role', x -> 'role',
                        'email', x -> 'email', 'phone', x -> 'phone') ORDER BY n)
                     FROM jsonb_array_elements(c) WITH ORDINALITY AS e(x, n)), '[]'::jsonb)
$$;

-- Rules that need the database; d is the whole partner document after the
-- change (create body, or current record merged with the patch).
CREATE OR REPLACE FUNCTION koop.partner_check(d jsonb, p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d -> 'identifiers' ->> 'nip' IS NOT NULL AND EXISTS (
        SELECT 1 FROM partners WHERE tenant_id = koop.tenant()
            AND nip = d -> 'identifiers' ->> 'nip' AND id <> p_id) THEN
        PERFORM koop.fail(409, 'conflict', 'another partner has this NIP');
    END IF;
    IF coalesce((d ->> 'is_leader')::boolean, false) AND EXISTS (
        SELECT 1 FROM partners WHERE tenant_id = koop.tenant() AND is_leader AND id <> p_id) THEN
        PERFORM koop.fail(409, 'conflict', 'the partnership already has a leader');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.partner_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    p partners;
BEGIN
    PERFORM koop.partner_check(p_body, p_id);
    INSERT INTO partners (tenant_id, id, name, short_name, sector, is_leader, nip, regon, krs,
                          address, website, contacts, competences, declaration)
    VALUES (koop.tenant(), p_id, p_body ->> 'name', p_body ->> 'short_name', p_body ->> 'sector',
            coalesce((p_body ->> 'is_leader')::boolean, false),
            p_body -> 'identifiers' ->> 'nip', p_body -> 'identifiers' ->> 'regon',
            p_body -> 'identifiers' ->> 'krs', koop.address_norm(p_body -> 'address'),
            p_body ->> 'website', koop.contacts_norm(coalesce(p_body -> 'contacts', '[]')),
            p_body ->> 'competences', coalesce(p_body -> 'declaration', '{}'))
    RETURNING * INTO p;
    PERFORM koop.emit('partner.created', 'partner', p.id, p.version);
    PERFORM koop.audit('create', 'partner', p.id, 201);
    RETURN koop.partner_json(p);
END $$;

-- A set-returning SQL function (no row: not visible): the planner inlines it into the daemon's
-- prepared statement, whose plan is kept (a scalar SQL function with a FROM would be planned on
-- every call, and PL/pgSQL costs a call and an SPI query per GET).
DROP FUNCTION IF EXISTS koop.partner_get(uuid, uuid);
CREATE FUNCTION koop.partner_get(p_parent uuid, p_id uuid) RETURNS SETOF jsonb LANGUAGE sql STABLE AS $$
    -- OFFSET 0: kept a subquery when inlined, so the caller's two uses of the result (its
    -- version and its text) do not build the JSON twice
    SELECT koop.partner_json(p) FROM partners p WHERE p.tenant_id = koop.tenant() AND p.id = p_id
    OFFSET 0
$$;

CREATE OR REPLACE FUNCTION koop.partner_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p partners;
    d jsonb;
BEGIN
    SELECT * INTO p FROM partners WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('partner');
    END IF;
    IF koop.role() = 'partner_staff' THEN
        IF p_id IS DISTINCT FROM koop.partner() THEN
            PERFORM koop.fail(403, 'forbidden', 'partner staff may change only their own partner');
        END IF;
        IF p_patch ? 'is_leader' OR p_patch ? 'sector' THEN
            PERFORM koop.fail(403, 'forbidden',
                'only an admin or coordinator changes is_leader and sector');
        END IF;
    END IF;
    PERFORM koop.check_version(p.version, p_version);
    d := koop.merge_patch(koop.partner_json(p), p_patch);
    PERFORM koop.partner_check(d, p_id);
    UPDATE partners SET name = d ->> 'name', short_name = d ->> 'short_name',
        sector = d ->> 'sector', is_leader = (d ->> 'is_leader')::boolean,
        nip = d -> 'identifiers' ->> 'nip', regon = d -> 'identifiers' ->> 'regon',
        krs = d -> 'identifiers' ->> 'krs', address = koop.address_norm(d -> 'address'),
        website = d ->> 'website', contacts = koop.contacts_norm(coalesce(d -> 'contacts', '[]')),
        competences = d ->> 'competences', declaration = coalesce(d -> 'declaration', '{}'),
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO p;
    PERFORM koop.emit('partner.updated', 'partner', p.id, p.version);
    PERFORM koop.audit('update', 'partner', p.id, 200);
    RETURN koop.partner_json(p);
END $$;

CREATE OR REPLACE FUNCTION koop.partner_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p partners;
BEGIN
    SELECT * INTO p FROM partners WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('partner');
    END IF;
    PERFORM koop.check_version(p.version, p_version);
    IF EXISTS (SELECT 1 FROM users WHERE tenant_id = koop.tenant() AND partner_id = p_id)
       OR EXISTS (SELECT 1 FROM partner_agreements WHERE tenant_id = koop.tenant() AND partner_id = p_id)
       OR EXISTS (SELECT 1 FROM partner_benefits WHERE tenant_id = koop.tenant()
                  AND (partner_id = p_id OR beneficiary_partner_id = p_id)) THEN
        PERFORM koop.fail(409, 'conflict',
            'the partner has users, agreements or benefits; withdraw it instead of deleting');
    END IF;
    DELETE FROM partners WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('partner.deleted', 'partner', p_id, p.version);
    PERFORM koop.audit('delete', 'partner', p_id, 204);
END $$;

-- invited → declared (needs declaration.signed_on) → active ⇄ suspended;
-- any → withdrawn.
CREATE OR REPLACE FUNCTION koop.partner_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                        p_reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p partners;
    allowed text[];
BEGIN
    SELECT * INTO p FROM partners WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('partner');
    END IF;
    PERFORM koop.check_version(p.version, p_version);
    allowed := CASE p.status
        WHEN 'invited' THEN ARRAY['declared', 'withdrawn']
        WHEN 'declared' THEN ARRAY['active', 'withdrawn']
        WHEN 'active' THEN ARRAY['suspended', 'withdrawn']
        WHEN 'suspended' THEN ARRAY['active', 'withdrawn']
        ELSE ARRAY[]::text[] END;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('a partner cannot go from %s to %s', p.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    IF p_to = 'declared' AND p.declaration ->> 'signed_on' IS NULL THEN
        PERFORM koop.fail(409, 'invalid_transition',
            'declaring needs declaration.signed_on (set it with PATCH first)',
            jsonb_build_object('allowed', to_jsonb(allowed),
                               'missing', jsonb_build_array('declaration.signed_on')));
    END IF;
    UPDATE partners SET status = p_to, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO p;
    PERFORM koop.emit('partner.' || p_to, 'partner', p.id, p.version);
    PERFORM koop.audit('transition', 'partner', p.id, 200);
    RETURN koop.partner_json(p);
END $$;

-- ---------------------------------------------------------------------------
-- Agreements and benefits: children of a partner (p_parent).
CREATE OR REPLACE FUNCTION koop.partner_must_exist(p_partner uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM partners WHERE tenant_id = koop.tenant() AND id = p_partner) THEN
        PERFORM koop.not_found('partner');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.agreement_json(a partner_agreements) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', a.id, 'partner_id', a.partner_id, 'title', a.title,
        'scope', a.scope, 'signed_on', a.signed_on, 'valid_from', a.valid_from,
        'valid_until', a.valid_until, 'document_ref', a.document_ref, 'version', a.version,
        'created_at', koop.ts(a.created_at), 'updated_at', koop.ts(a.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.agreement_check(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (d ->> 'valid_until')::date < (d ->> 'valid_from')::date THEN
        PERFORM koop.fail_field('valid_until', 'min', 'must not be before valid_from');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.agreement_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    a partner_agreements;
BEGIN
    PERFORM koop.partner_must_exist(p_parent);
    PERFORM koop.agreement_check(p_body);
    INSERT INTO partner_agreements (tenant_id, id, partner_id, title, scope, signed_on,
                                    valid_from, valid_until, document_ref)
    VALUES (koop.tenant(), p_id, p_parent, p_body ->> 'title', p_body ->> 'scope',
            (p_body ->> 'signed_on')::date, (p_body ->> 'valid_from')::date,
            (p_body ->> 'valid_until')::date, p_body ->> 'document_ref')
    RETURNING * INTO a;
    PERFORM koop.emit('agreement.created', 'agreement', a.id, a.version);
    PERFORM koop.audit('create', 'agreement', a.id, 201);
    RETURN koop.agreement_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.agreement_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.agreement_json(a) FROM partner_agreements a
    WHERE a.tenant_id = koop.tenant() AND a.partner_id = p_parent AND a.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.agreement_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a partner_agreements;
    d jsonb;
BEGIN
    SELECT * INTO a FROM partner_agreements WHERE tenant_id = koop.tenant()
        AND partner_id = p_parent AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('agreement');
    END IF;
    PERFORM koop.check_version(a.version, p_version);
    d := koop.merge_patch(koop.agreement_json(a), p_patch);
    PERFORM koop.agreement_check(d);
    UPDATE partner_agreements SET title = d ->> 'title', scope = d ->> 'scope',
        signed_on = (d ->> 'signed_on')::date, valid_from = (d ->> 'valid_from')::date,
        valid_until = (d ->> 'valid_until')::date, document_ref = d ->> 'document_ref',
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO a;
    PERFORM koop.emit('agreement.updated', 'agreement', a.id, a.version);
    PERFORM koop.audit('update', 'agreement', a.id, 200);
    RETURN koop.agreement_json(a);
END $$;

CREATE OR REPLACE FUNCTION koop.agreement_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    a partner_agreements;
BEGIN
    SELECT * INTO a FROM partner_agreements WHERE tenant_id = koop.tenant()
        AND partner_id = p_parent AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('agreement');
    END IF;
    PERFORM koop.check_version(a.version, p_version);
    DELETE FROM partner_agreements WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('agreement.deleted', 'agreement', p_id, a.version);
    PERFORM koop.audit('delete', 'agreement', p_id, 204);
END $$;

CREATE OR REPLACE FUNCTION koop.benefit_json(b partner_benefits) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', b.id, 'partner_id', b.partner_id,
        'description', b.description, 'beneficiary_partner_id', b.beneficiary_partner_id,
        'recorded_on', b.recorded_on, 'version', b.version,
        'created_at', koop.ts(b.created_at), 'updated_at', koop.ts(b.updated_at))
$$;

CREATE OR REPLACE FUNCTION koop.benefit_check(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d ->> 'beneficiary_partner_id' IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM partners WHERE tenant_id = koop.tenant()
            AND id = (d ->> 'beneficiary_partner_id')::uuid) THEN
        PERFORM koop.fail_field('beneficiary_partner_id', 'not_found', 'no such partner');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.benefit_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    b partner_benefits;
BEGIN
    PERFORM koop.partner_must_exist(p_parent);
    PERFORM koop.benefit_check(p_body);
    INSERT INTO partner_benefits (tenant_id, id, partner_id, description,
                                  beneficiary_partner_id, recorded_on)
    VALUES (koop.tenant(), p_id, p_parent, p_body ->> 'description',
            (p_body ->> 'beneficiary_partner_id')::uuid, (p_body ->> 'recorded_on')::date)
    RETURNING * INTO b;
    PERFORM koop.emit('benefit.created', 'benefit', b.id, b.version);
    PERFORM koop.audit('create', 'benefit', b.id, 201);
    RETURN koop.benefit_json(b);
END $$;

CREATE OR REPLACE FUNCTION koop.benefit_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.benefit_json(b) FROM partner_benefits b
    WHERE b.tenant_id = koop.tenant() AND b.partner_id = p_parent AND b.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.benefit_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b partner_benefits;
    d jsonb;
BEGIN
    SELECT * INTO b FROM partner_benefits WHERE tenant_id = koop.tenant()
        AND partner_id = p_parent AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('benefit');
    END IF;
    PERFORM koop.check_version(b.version, p_version);
    d := koop.merge_patch(koop.benefit_json(b), p_patch);
    PERFORM koop.benefit_check(d);
    UPDATE partner_benefits SET description = d ->> 'description',
        beneficiary_partner_id = (d ->> 'beneficiary_partner_id')::uuid,
        recorded_on = (d ->> 'recorded_on')::date, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO b;
    PERFORM koop.emit('benefit.updated', 'benefit', b.id, b.version);
    PERFORM koop.audit('update', 'benefit', b.id, 200);
    RETURN koop.benefit_json(b);
END $$;

CREATE OR REPLACE FUNCTION koop.benefit_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    b partner_benefits;
BEGIN
    SELECT * INTO b FROM partner_benefits WHERE tenant_id = koop.tenant()
        AND partner_id = p_parent AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('benefit');
    END IF;
    PERFORM koop.check_version(b.version, p_version);
    DELETE FROM partner_benefits WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('benefit.deleted', 'benefit', p_id, b.version);
    PERFORM koop.audit('delete', 'benefit', p_id, 204);
END $$;
