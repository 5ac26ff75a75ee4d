-- sql/functions/public.sql — the public basket for municipal portals (/public/v1/{teryt}/...,
-- api/public.c): no token, one municipality by its TERYT code, active and currently valid
-- services only, and only what a resident may read: the service card, its places and opening
-- hours, the service's own contact, free places, and the provider's name, sector, website and
-- address. Never partner staff contacts, never anything about families.
--
-- The live definition of each function here, and nowhere else (see sql/functions/core.sql).

-- The active tenant of a TERYT code. SECURITY DEFINER: before its context is set the serving role
-- sees no tenant at all (row-level security).
CREATE OR REPLACE FUNCTION koop.public_tenant(p_teryt text) RETURNS uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM tenants WHERE teryt = p_teryt AND active
$$;
REVOKE ALL ON FUNCTION koop.public_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.public_tenant(text) TO koop_app;

-- Enters the municipality of p_teryt for this transaction (its tenant, role "public"), or 404.
-- Row-level security then applies as for any request of that tenant.
CREATE OR REPLACE FUNCTION koop.public_enter(p_teryt text) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    t uuid := koop.public_tenant(p_teryt);
BEGIN
    IF t IS NULL THEN
        PERFORM koop.not_found('municipality');
    END IF;
    PERFORM set_config('koop.tenant_id', t::text, true), set_config('koop.role', 'public', true),
            set_config('koop.user_id', '', true), set_config('koop.partner_id', '', true);
    RETURN t;
END $$;

-- Whether a service is on the public basket today (judged in Europe/Warsaw).
-- Only an active partner's services: an invited, declared or suspended partner's are not published.
CREATE OR REPLACE FUNCTION koop.service_public(s services) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT s.status = 'active' AND (s.valid_from IS NULL OR s.valid_from <= koop.today())
       AND (s.valid_until IS NULL OR s.valid_until >= koop.today())
       AND EXISTS (SELECT 1 FROM partners p WHERE p.tenant_id = s.tenant_id
                   AND p.id = s.partner_id AND p.status = 'active')
$$;

-- A service as residents see it.
CREATE OR REPLACE FUNCTION koop.service_public_json(s services) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', s.id, 'name', s.name, 'description', s.description,
        'category', s.category, 'target_groups', to_jsonb(s.target_groups),
        'eligibility', s.eligibility, 'how_to_access', s.how_to_access,
        'requires_referral', s.requires_referral,
        'cost', jsonb_build_object('free', (s.cost ->> 'free')::boolean,
                                   'description', s.cost -> 'description'),
        'capacity', jsonb_build_object('available', s.capacity_available,
            'maximum', s.capacity_maximum, 'unit', s.capacity_unit,
            'updated_at', koop.ts(s.capacity_updated_at)),
        'locations', s.locations,
        -- the service's own contact point; a contact person's name is not published
        'contact', CASE WHEN s.contact IS NULL THEN NULL
                        ELSE jsonb_build_object('email', s.contact -> 'email',
                            'phone', s.contact -> 'phone', 'website', s.contact -> 'website') END,
        'provider', (SELECT jsonb_build_object('id', p.id, 'name', p.name, 'sector', p.sector,
                         'website', p.website, 'address', p.address)
                     FROM partners p WHERE p.tenant_id = s.tenant_id AND p.id = s.partner_id),
        'valid_from', s.valid_from, 'valid_until', s.valid_until, 'verified_on', s.verified_on,
        'updated_at', koop.ts(s.updated_at))
$$;

-- The words of a search (lower case, without diacritics), at most 8; 422 when there are none.
CREATE OR REPLACE FUNCTION koop.search_words(p_q text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    words text[] := ARRAY(SELECT x FROM regexp_split_to_table(koop.norm(p_q), '\s+') x
                          WHERE x <> '' LIMIT 8);
BEGIN
    IF cardinality(words) = 0 THEN
        PERFORM koop.fail(422, 'validation_failed', 'q has no words',
            jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'q',
                'code', 'invalid', 'message', 'must contain a word', 'in', 'query'))));
    END IF;
    RETURN words;
END $$;

-- A page of the public basket: ?q= (every word, with or without diacritics), ?category=,
-- ?target_group=; by name.
CREATE OR REPLACE FUNCTION koop.public_service_list(p_teryt text, p_filters jsonb, p_sort text,
                                                    p_after jsonb, p_limit int) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    w text := 'koop.service_public(t)';
    words text[];
BEGIN
    PERFORM koop.public_enter(p_teryt);
    IF p_filters ? 'category' THEN w := w || ' AND t.category = $1->>''category'''; END IF;
    IF p_filters ? 'target_group' THEN
        w := w || ' AND $1->>''target_group'' = ANY (t.target_groups)';
    END IF;
    IF p_filters ? 'q' THEN
        words := koop.search_words(p_filters ->> 'q');
        p_filters := p_filters || jsonb_build_object('_words', to_jsonb(words));
        FOR i IN 0 .. cardinality(words) - 1 LOOP
            w := w || format(' AND t.search LIKE koop.contains_pattern($1->''_words''->>%s)', i);
        END LOOP;
    END IF;
    RETURN koop.page('services', 'koop.service_public_json(t)', w, 'lower(t.name)', 'text',
                     p_sort = '-name', p_filters, p_after, p_limit, NULL, NULL);
END $$;

-- One service of the public basket, or NULL (404) when it is not on it.
CREATE OR REPLACE FUNCTION koop.public_service_get(p_teryt text, p_id uuid) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM koop.public_enter(p_teryt);
    RETURN (SELECT koop.service_public_json(s) FROM services s
            WHERE s.tenant_id = koop.tenant() AND s.id = p_id AND koop.service_public(s));
END $$;

-- The public basket as Open Referral HSDS 3.1: services with their organization, locations
-- (addresses, opening hours as RRULE-like schedules), phones, capacities (service_capacity,
-- new in 3.1) and taxonomy attributes, in the HSDS API's page shape (one page: the whole basket
-- of one municipality).
CREATE OR REPLACE FUNCTION koop.public_hsds(p_teryt text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    items jsonb;
    tenant tenants;
BEGIN
    PERFORM koop.public_enter(p_teryt);
    SELECT * INTO tenant FROM tenants WHERE id = koop.tenant();
    SELECT coalesce(jsonb_agg(koop.hsds31_service(s, tenant) ORDER BY lower(s.name), s.id), '[]')
        INTO items FROM services s WHERE s.tenant_id = koop.tenant() AND koop.service_public(s);
    RETURN jsonb_build_object('total_items', jsonb_array_length(items), 'total_pages', 1,
        'page_number', 1, 'size', jsonb_array_length(items), 'first_page', true,
        'last_page', true, 'empty', jsonb_array_length(items) = 0, 'contents', items);
END $$;

CREATE OR REPLACE FUNCTION koop.hsds31_service(s services, tenant tenants) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', s.id, 'organization_id', s.partner_id, 'name', s.name,
        'description', s.description, 'url', s.contact ->> 'website',
        'email', s.contact ->> 'email', 'status', 'active',
        'application_process', s.how_to_access,
        'fees_description', CASE WHEN (s.cost ->> 'free')::boolean THEN 'Bezpłatnie'
                                 ELSE s.cost ->> 'description' END,
        'eligibility_description', s.eligibility, 'assured_date', s.verified_on,
        'alert', CASE WHEN s.requires_referral THEN 'Wymagane skierowanie' END,
        'last_modified', koop.ts(s.updated_at))) ||
    jsonb_build_object(
        'organization', (SELECT jsonb_strip_nulls(jsonb_build_object('id', p.id, 'name', p.name,
                'alternate_name', p.short_name, 'description', coalesce(p.competences, p.name),
                'website', p.website, 'tax_id', p.nip))
            FROM partners p WHERE p.tenant_id = s.tenant_id AND p.id = s.partner_id),
        'phones', CASE WHEN s.contact ->> 'phone' IS NULL THEN '[]'::jsonb
                       ELSE jsonb_build_array(jsonb_build_object(
                           'id', koop.derived_id(s.id, 'phone', 1), 'service_id', s.id,
                           'number', s.contact ->> 'phone', 'type', 'voice')) END,
        'capacities', CASE WHEN s.capacity_available IS NULL THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                'id', koop.derived_id(s.id, 'capacity', 1), 'service_id', s.id,
                'unit', jsonb_build_object('id', koop.derived_id(s.id, 'unit', 1),
                                           'name', coalesce(s.capacity_unit, 'miejsca')),
                'available', s.capacity_available, 'maximum', s.capacity_maximum,
                'updated', koop.ts(coalesce(s.capacity_updated_at, s.updated_at))))) END,
        'service_at_locations', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(koop.derived_id(s.id, 'location', l.n::int), 'service_at_location', 1),
            'service_id', s.id,
            'location', jsonb_strip_nulls(jsonb_build_object(
                'id', koop.derived_id(s.id, 'location', l.n::int), 'location_type', 'physical',
                'organization_id', s.partner_id, 'name', l.x ->> 'name')) ||
                jsonb_build_object(
                'addresses', CASE WHEN nullif(l.x -> 'address' ->> 'city', '') IS NULL
                                   OR nullif(l.x -> 'address' ->> 'postal_code', '') IS NULL
                                  THEN '[]'::jsonb
                    ELSE jsonb_build_array(jsonb_build_object(
                        'id', koop.derived_id(koop.derived_id(s.id, 'location', l.n::int), 'address', 1),
                        'location_id', koop.derived_id(s.id, 'location', l.n::int),
                        -- a place without a street is named by its city
                        'address_1', coalesce(nullif(concat_ws(' ', l.x -> 'address' ->> 'street',
                                                               l.x -> 'address' ->> 'building'), ''),
                                              l.x -> 'address' ->> 'city'),
                        'city', l.x -> 'address' ->> 'city',
                        'state_province', tenant.voivodeship,
                        'postal_code', l.x -> 'address' ->> 'postal_code', 'country', 'PL',
                        'address_type', 'physical')) END,
                'schedules', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                    'id', koop.derived_id(koop.derived_id(s.id, 'location', l.n::int), 'schedule', h.n::int),
                    'location_id', koop.derived_id(s.id, 'location', l.n::int),
                    'freq', 'WEEKLY', 'wkst', 'MO', 'interval', 1,
                    'byday', (SELECT string_agg(koop.hsds_day(d), ',')
                              FROM jsonb_array_elements_text(h.h -> 'days') d),
                    'opens_at', h.h ->> 'opens', 'closes_at', h.h ->> 'closes',
                    'description', h.h ->> 'note', 'attending_type', 'in_person')) ORDER BY h.n)
                    FROM jsonb_array_elements(coalesce(l.x -> 'opening_hours', '[]'))
                         WITH ORDINALITY AS h(h, n)), '[]'::jsonb)))
            ORDER BY l.n)
            FROM jsonb_array_elements(coalesce(s.locations, '[]')) WITH ORDINALITY AS l(x, n)),
            '[]'::jsonb),
        'attributes', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(s.id, a.kind || ':' || a.code, 1),
            'link_id', s.id, 'link_type', 'service', 'link_entity', 'service',
            'taxonomy_term_id', koop.derived_id(s.tenant_id, a.kind, hashtext(a.code)),
            'taxonomy_term', jsonb_build_object(
                'id', koop.derived_id(s.tenant_id, a.kind, hashtext(a.code)), 'code', a.code,
                'name', CASE a.kind WHEN 'category' THEN koop.category_label(a.code)
                                    ELSE koop.target_group_label(a.code) END,
                'description', CASE a.kind WHEN 'category' THEN 'Kategoria usługi'
                                           ELSE 'Grupa docelowa' END,
                'taxonomy', CASE a.kind WHEN 'category' THEN 'Kooperacje: kategorie usług'
                                        ELSE 'Kooperacje: grupy docelowe' END,
                'language', 'pl'))
            ORDER BY a.kind, a.code)
            FROM (SELECT 'category' AS kind, s.category AS code
                  UNION ALL SELECT 'target_group', unnest(s.target_groups)) a), '[]'::jsonb))
$$;
