-- sql/functions/services.sql — the basket of services (/v1/services): cards, search, capacity, transitions.
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

CREATE OR REPLACE FUNCTION koop.service_search(s services) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT koop.norm(concat_ws(' ', s.name, s.description, s.eligibility,
        (SELECT p.name || ' ' || coalesce(p.short_name, '') FROM partners p
         WHERE p.tenant_id = s.tenant_id AND p.id = s.partner_id)))
$$;

CREATE OR REPLACE FUNCTION koop.service_json(s services) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', s.id, 'partner_id', s.partner_id,
        'partner', (SELECT jsonb_build_object('id', p.id, 'name', p.name, 'sector', p.sector)
                    FROM partners p WHERE p.tenant_id = s.tenant_id AND p.id = s.partner_id),
        'name', s.name, 'description', s.description, 'category', s.category,
        'target_groups', to_jsonb(s.target_groups), 'eligibility', s.eligibility,
        'how_to_access', s.how_to_access, 'requires_referral', s.requires_referral,
        'cost', jsonb_build_object('free', (s.cost ->> 'free')::boolean,
                                   'description', s.cost -> 'description'),
        'capacity', jsonb_build_object('available', s.capacity_available,
            'maximum', s.capacity_maximum, 'unit', s.capacity_unit,
            'updated_at', koop.ts(s.capacity_updated_at), 'updated_by', s.capacity_updated_by),
        'locations', s.locations, 'contact', s.contact, 'status', s.status,
        'valid_from', s.valid_from, 'valid_until', s.valid_until, 'verified_on', s.verified_on,
        'version', s.version, 'created_at', koop.ts(s.created_at),
        'updated_at', koop.ts(s.updated_at))
$$;

-- Stored shapes: every key present, nulls where absent.
CREATE OR REPLACE FUNCTION koop.locations_norm(l jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', x -> 'name', 'address', koop.address_norm(x -> 'address'),
        'opening_hours', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'days', h -> 'days', 'opens', h -> 'opens', 'closes', h -> 'closes',
                'note', h -> 'note') ORDER BY hn)
            FROM jsonb_array_elements(coalesce(x -> 'opening_hours', '[]')) WITH ORDINALITY
                 AS oh(h, hn)), '[]'::jsonb)) ORDER BY n)
        FROM jsonb_array_elements(coalesce(l, '[]')) WITH ORDINALITY AS e(x, n)), '[]'::jsonb)
$$;

CREATE OR REPLACE FUNCTION koop.contact_norm(c jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN c IS NULL OR jsonb_typeof(c) = 'null' THEN NULL
        ELSE jsonb_build_object('name', c -> 'name', 'email', c -> 'email',
                                'phone', c -> 'phone', 'website', c -> 'website') END
$$;

-- Rules needing the database or several fields; d is the whole document.
CREATE OR REPLACE FUNCTION koop.service_check(d jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i int;
    j int;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM partners WHERE tenant_id = koop.tenant()
                   AND id = (d ->> 'partner_id')::uuid) THEN
        PERFORM koop.fail_field('partner_id', 'not_found', 'no such partner in this tenant');
    END IF;
    IF koop.role() = 'partner_staff' AND (d ->> 'partner_id')::uuid IS DISTINCT FROM koop.partner() THEN
        PERFORM koop.fail(403, 'forbidden', 'partner staff manage only their own partner''s services');
    END IF;
    IF (d ->> 'valid_until')::date < (d ->> 'valid_from')::date THEN
        PERFORM koop.fail_field('valid_until', 'min', 'must not be before valid_from');
    END IF;
    IF (d -> 'capacity' ->> 'available')::int > (d -> 'capacity' ->> 'maximum')::int THEN
        PERFORM koop.fail_field('capacity.available', 'max', 'must not exceed capacity.maximum');
    END IF;
    FOR i IN 0 .. jsonb_array_length(coalesce(d -> 'locations', '[]')) - 1 LOOP
        FOR j IN 0 .. jsonb_array_length(coalesce(d -> 'locations' -> i -> 'opening_hours', '[]')) - 1 LOOP
            IF d -> 'locations' -> i -> 'opening_hours' -> j ->> 'closes'
               <= d -> 'locations' -> i -> 'opening_hours' -> j ->> 'opens' THEN
                PERFORM koop.fail_field(format('locations[%s].opening_hours[%s].closes', i, j),
                                        'min', 'must be later than opens');
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- Writes the columns of a service from its document (create and patch).
CREATE OR REPLACE FUNCTION koop.service_store(p_id uuid, d jsonb, p_new boolean) RETURNS services
LANGUAGE plpgsql AS $$
DECLARE
    s services;
    cap_changed boolean;
BEGIN
    IF p_new THEN
        INSERT INTO services (tenant_id, id, partner_id, name, category)
        VALUES (koop.tenant(), p_id, (d ->> 'partner_id')::uuid, d ->> 'name', d ->> 'category');
    END IF;
    SELECT * INTO s FROM services WHERE tenant_id = koop.tenant() AND id = p_id;
    cap_changed := p_new AND d ? 'capacity'
        OR (s.capacity_available IS DISTINCT FROM (d -> 'capacity' ->> 'available')::int
            OR s.capacity_maximum IS DISTINCT FROM (d -> 'capacity' ->> 'maximum')::int
            OR s.capacity_unit IS DISTINCT FROM d -> 'capacity' ->> 'unit');
    UPDATE services SET partner_id = (d ->> 'partner_id')::uuid, name = d ->> 'name',
        description = d ->> 'description', category = d ->> 'category',
        target_groups = coalesce(ARRAY(SELECT jsonb_array_elements_text(d -> 'target_groups')), '{}'),
        eligibility = d ->> 'eligibility', how_to_access = d ->> 'how_to_access',
        requires_referral = coalesce((d ->> 'requires_referral')::boolean, false),
        cost = jsonb_build_object('free', coalesce((d -> 'cost' ->> 'free')::boolean, true),
                                  'description', d -> 'cost' -> 'description'),
        capacity_available = (d -> 'capacity' ->> 'available')::int,
        capacity_maximum = (d -> 'capacity' ->> 'maximum')::int,
        capacity_unit = d -> 'capacity' ->> 'unit',
        capacity_updated_at = CASE WHEN cap_changed THEN now() ELSE capacity_updated_at END,
        capacity_updated_by = CASE WHEN cap_changed THEN koop.user_id() ELSE capacity_updated_by END,
        locations = koop.locations_norm(d -> 'locations'),
        contact = koop.contact_norm(d -> 'contact'),
        valid_from = (d ->> 'valid_from')::date, valid_until = (d ->> 'valid_until')::date,
        verified_on = (d ->> 'verified_on')::date,
        version = CASE WHEN p_new THEN 1 ELSE version + 1 END, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO s;
    UPDATE services SET search = koop.service_search(s)
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO s;
    RETURN s;
END $$;

CREATE OR REPLACE FUNCTION koop.service_create(p_parent uuid, p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s services;
BEGIN
    PERFORM koop.service_check(p_body);
    s := koop.service_store(p_id, p_body, true);
    PERFORM koop.emit('service.created', 'service', s.id, s.version);
    PERFORM koop.audit('create', 'service', s.id, 201);
    RETURN koop.service_json(s);
END $$;

CREATE OR REPLACE FUNCTION koop.service_get(p_parent uuid, p_id uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.service_json(s) FROM services s WHERE s.tenant_id = koop.tenant() AND s.id = p_id);
END $$;

-- Lists. With ?q= every word must occur (trigram-indexed LIKE on the
-- normalised text) and the default order is relevance (word similarity).
CREATE OR REPLACE FUNCTION koop.service_list(p_parent uuid, p_filters jsonb, p_sort text, p_after jsonb,
                                  p_limit int) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    s record;
    w text := 'true';
    words text[];
    i int;
BEGIN
    IF p_sort IN ('relevance', '-relevance') AND NOT p_filters ? 'q' THEN
        PERFORM koop.fail(422, 'validation_failed', 'sort=relevance needs q',
            jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'sort',
                'code', 'invalid', 'message', 'relevance needs q', 'in', 'query'))));
    END IF;
    s := koop.sort_key(p_sort, '{"name": ["lower(t.name)", "text"],
        "created_at": ["t.created_at", "timestamptz"],
        "updated_at": ["t.updated_at", "timestamptz"],
        "relevance": ["-word_similarity(koop.norm($1->>''q''), t.search)", "float8"]}');
    IF p_filters ? 'status' THEN w := w || ' AND t.status = $1->>''status'''; END IF;
    IF p_filters ? 'category' THEN w := w || ' AND t.category = $1->>''category'''; END IF;
    IF p_filters ? 'partner_id' THEN
        w := w || ' AND t.partner_id = ($1->>''partner_id'')::uuid';
    END IF;
    IF p_filters ? 'target_group' THEN
        w := w || ' AND $1->>''target_group'' = ANY (t.target_groups)';
    END IF;
    IF p_filters ? 'requires_referral' THEN
        w := w || ' AND t.requires_referral = ($1->>''requires_referral'')::boolean';
    END IF;
    IF p_filters ? 'has_capacity' THEN
        w := w || CASE WHEN (p_filters ->> 'has_capacity')::boolean
                       THEN ' AND t.capacity_available > 0'
                       ELSE ' AND coalesce(t.capacity_available, 0) = 0' END;
    END IF;
    IF p_filters ? 'sector' THEN
        w := w || ' AND EXISTS (SELECT 1 FROM partners p WHERE p.tenant_id = t.tenant_id'
                  ' AND p.id = t.partner_id AND p.sector = $1->>''sector'')';
    END IF;
    IF p_filters ? 'updated_since' THEN
        w := w || ' AND t.updated_at >= ($1->>''updated_since'')::timestamptz';
    END IF;
    IF p_filters ? 'q' THEN
        words := ARRAY(SELECT x FROM regexp_split_to_table(koop.norm(p_filters ->> 'q'), '\s+') x
                       WHERE x <> '' LIMIT 8);
        IF cardinality(words) = 0 THEN
            PERFORM koop.fail(422, 'validation_failed', 'q has no words',
                jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'q',
                    'code', 'invalid', 'message', 'must contain a word', 'in', 'query'))));
        END IF;
        p_filters := p_filters || jsonb_build_object('_words', to_jsonb(words));
        FOR i IN 0 .. cardinality(words) - 1 LOOP
            w := w || format(' AND t.search LIKE koop.contains_pattern($1->''_words''->>%s)', i);
        END LOOP;
    END IF;
    RETURN koop.page('services', 'koop.service_json(t)', w, s.key, s.keytype, s.descending,
                     p_filters, p_after, p_limit, p_parent, NULL);
END $$;

CREATE OR REPLACE FUNCTION koop.service_lock(p_id uuid) RETURNS services LANGUAGE plpgsql AS $$
DECLARE
    s services;
BEGIN
    SELECT * INTO s FROM services WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('service');
    END IF;
    IF koop.role() = 'partner_staff' AND s.partner_id IS DISTINCT FROM koop.partner() THEN
        PERFORM koop.fail(403, 'forbidden', 'partner staff manage only their own partner''s services');
    END IF;
    RETURN s;
END $$;

CREATE OR REPLACE FUNCTION koop.service_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    s services := koop.service_lock(p_id);
    d jsonb;
BEGIN
    PERFORM koop.check_version(s.version, p_version);
    d := koop.merge_patch(koop.service_json(s) - 'partner', p_patch);
    PERFORM koop.service_check(d);
    s := koop.service_store(p_id, d, false);
    PERFORM koop.emit('service.updated', 'service', s.id, s.version);
    PERFORM koop.audit('update', 'service', s.id, 200);
    RETURN koop.service_json(s);
END $$;

CREATE OR REPLACE FUNCTION koop.service_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s services := koop.service_lock(p_id);
BEGIN
    PERFORM koop.check_version(s.version, p_version);
    DELETE FROM services WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.emit('service.deleted', 'service', p_id, s.version);
    PERFORM koop.audit('delete', 'service', p_id, 204);
END $$;

-- draft → active ⇄ suspended; any → retired. A withdrawn partner's services
-- cannot be activated.
CREATE OR REPLACE FUNCTION koop.service_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
                                        p_reason text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    s services := koop.service_lock(p_id);
    allowed text[];
BEGIN
    PERFORM koop.check_version(s.version, p_version);
    allowed := CASE s.status
        WHEN 'draft' THEN ARRAY['active', 'retired']
        WHEN 'active' THEN ARRAY['suspended', 'retired']
        WHEN 'suspended' THEN ARRAY['active', 'retired']
        ELSE ARRAY[]::text[] END;
    IF NOT p_to = ANY (allowed) THEN
        PERFORM koop.fail(409, 'invalid_transition',
            format('a service cannot go from %s to %s', s.status, p_to),
            jsonb_build_object('allowed', to_jsonb(allowed)));
    END IF;
    IF p_to = 'active' AND EXISTS (SELECT 1 FROM partners WHERE tenant_id = koop.tenant()
                                   AND id = s.partner_id AND status = 'withdrawn') THEN
        PERFORM koop.fail(409, 'invalid_transition',
            'the partner has withdrawn from the partnership; its services cannot be activated',
            jsonb_build_object('allowed', to_jsonb(array_remove(allowed, 'active')),
                               'missing', jsonb_build_array('partner.status')));
    END IF;
    UPDATE services SET status = p_to, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO s;
    PERFORM koop.emit('service.' || p_to, 'service', s.id, s.version);
    PERFORM koop.audit('transition', 'service', s.id, 200);
    RETURN koop.service_json(s);
END $$;

-- The small capacity route: free places, with time and author; no If-Match
-- (a partner updates it often; the latest figure wins).
CREATE OR REPLACE FUNCTION koop.service_capacity(p_id uuid, p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s services := koop.service_lock(p_id);
    maximum int := CASE WHEN p_body ? 'maximum' THEN (p_body ->> 'maximum')::int
                        ELSE s.capacity_maximum END;
BEGIN
    IF (p_body ->> 'available')::int > maximum THEN
        PERFORM koop.fail_field('available', 'max', 'must not exceed maximum');
    END IF;
    UPDATE services SET capacity_available = (p_body ->> 'available')::int,
        capacity_maximum = maximum,
        capacity_unit = CASE WHEN p_body ? 'unit' THEN p_body ->> 'unit' ELSE capacity_unit END,
        capacity_updated_at = now(), capacity_updated_by = koop.user_id(),
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO s;
    PERFORM koop.emit('service.capacity_updated', 'service', s.id, s.version);
    PERFORM koop.audit('update', 'service', s.id, 200);
    RETURN koop.service_json(s);
END $$;

-- A partner's rename reaches its services' search text; its withdrawal
-- suspends its active services (they cannot be activated again).
CREATE OR REPLACE FUNCTION koop.partners_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid uuid;
    v int;
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name OR NEW.short_name IS DISTINCT FROM OLD.short_name THEN
        UPDATE services s SET search = koop.service_search(s)
        WHERE s.tenant_id = NEW.tenant_id AND s.partner_id = NEW.id;
    END IF;
    IF NEW.status = 'withdrawn' AND OLD.status <> 'withdrawn' THEN
        FOR sid, v IN
            UPDATE services SET status = 'suspended', version = version + 1, updated_at = now()
            WHERE tenant_id = NEW.tenant_id AND partner_id = NEW.id AND status = 'active'
            RETURNING id, version
        LOOP
            PERFORM koop.emit('service.suspended', 'service', sid, v);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER partners_changed AFTER UPDATE ON partners
    FOR EACH ROW EXECUTE FUNCTION koop.partners_changed();

-- Deleting a partner that still offers services is refused like other references.
CREATE OR REPLACE FUNCTION koop.partner_has_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM services WHERE tenant_id = OLD.tenant_id AND partner_id = OLD.id) THEN
        PERFORM koop.fail(409, 'conflict',
            'the partner has services in the basket; retire them or withdraw the partner');
    END IF;
    RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER partners_services_guard BEFORE DELETE ON partners
    FOR EACH ROW EXECUTE FUNCTION koop.partner_has_services();
