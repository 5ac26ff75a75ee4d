-- sql/functions/services_exchange.sql — the basket in and out: HSDS export and CSV import (/v1/services/export/hsds, /import).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- 005: exchanging the basket with the outside world: the Open Referral HSDS
-- 3.0 export and the all-or-nothing CSV import.

-- Polish names of the taxonomy (the codes are the API's; labels are what
-- directories and portals show).
CREATE OR REPLACE FUNCTION koop.category_label(c text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE c
        WHEN 'vocational_activation' THEN 'Aktywizacja zawodowa'
        WHEN 'job_placement' THEN 'Pośrednictwo pracy'
        WHEN 'training' THEN 'Szkolenia i kursy'
        WHEN 'psychological_support' THEN 'Wsparcie psychologiczne'
        WHEN 'addiction_therapy' THEN 'Terapia uzależnień'
        WHEN 'family_assistant' THEN 'Asystent rodziny'
        WHEN 'legal_advice' THEN 'Poradnictwo prawne'
        WHEN 'debt_advice' THEN 'Poradnictwo w sprawie zadłużenia'
        WHEN 'health_care' THEN 'Opieka zdrowotna'
        WHEN 'rehabilitation' THEN 'Rehabilitacja'
        WHEN 'day_support_children' THEN 'Wsparcie dzienne dla dzieci'
        WHEN 'education_support' THEN 'Wsparcie edukacyjne'
        WHEN 'housing' THEN 'Mieszkalnictwo'
        WHEN 'material_aid' THEN 'Pomoc finansowa i rzeczowa'
        WHEN 'crisis_intervention' THEN 'Interwencja kryzysowa'
        WHEN 'leisure_sport' THEN 'Sport i czas wolny'
        ELSE 'Inne' END
$$;

CREATE OR REPLACE FUNCTION koop.target_group_label(g text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE g
        WHEN 'children' THEN 'Dzieci' WHEN 'youth' THEN 'Młodzież' WHEN 'adults' THEN 'Dorośli'
        WHEN 'seniors' THEN 'Seniorzy' WHEN 'families' THEN 'Rodziny'
        WHEN 'persons_with_disabilities' THEN 'Osoby z niepełnosprawnościami'
        WHEN 'unemployed' THEN 'Osoby bezrobotne'
        WHEN 'persons_with_addiction' THEN 'Osoby uzależnione i współuzależnione'
        WHEN 'violence_affected' THEN 'Osoby doznające przemocy'
        WHEN 'homeless' THEN 'Osoby w kryzysie bezdomności'
        WHEN 'carers' THEN 'Opiekunowie' ELSE g END
$$;

-- Stable ids for HSDS records derived from ours (same export, same ids).
CREATE OR REPLACE FUNCTION koop.derived_id(p_base uuid, p_kind text, p_n int) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT md5(p_base::text || '/' || p_kind || '/' || p_n)::uuid
$$;

CREATE OR REPLACE FUNCTION koop.hsds_day(d text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT upper(left(d, 2))
$$;

-- The tenant's active basket as Open Referral HSDS 3.0 tables (the names and
-- fields of HSDS: organization, service, location, address,
-- service_at_location, schedule, phone, taxonomy, taxonomy_term, attribute).
CREATE OR REPLACE FUNCTION koop.services_hsds() RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT * FROM services WHERE tenant_id = koop.tenant() AND status = 'active'),
    o AS (
        SELECT * FROM partners p WHERE p.tenant_id = koop.tenant()
          AND EXISTS (SELECT 1 FROM s WHERE s.partner_id = p.id)),
    loc AS (
        SELECT s.id AS service_id, l.n::int AS n, l.x,
               koop.derived_id(s.id, 'location', l.n::int) AS location_id
        FROM s, jsonb_array_elements(s.locations) WITH ORDINALITY AS l(x, n)),
    hours AS (
        SELECT loc.*, h.n::int AS hn, h.h
        FROM loc, jsonb_array_elements(loc.x -> 'opening_hours') WITH ORDINALITY AS h(h, n)),
    terms AS (
        SELECT DISTINCT 'category' AS kind, category AS code FROM s
        UNION SELECT DISTINCT 'target_group', unnest(target_groups) FROM s),
    tax AS (
        SELECT koop.derived_id(koop.tenant(), 'taxonomy', 1) AS category_id,
               koop.derived_id(koop.tenant(), 'taxonomy', 2) AS group_id)
    SELECT jsonb_build_object(
        'hsds_version', '3.0',
        'generated_at', koop.ts(now()),
        'organization', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', o.id, 'name', o.name, 'alternate_name', o.short_name,
            'description', coalesce(o.competences, o.name), 'email', o.contacts -> 0 ->> 'email',
            'website', o.website, 'tax_status', NULL, 'tax_id', o.nip, 'year_incorporated', NULL,
            'legal_status', NULL, 'logo', NULL, 'uri', NULL, 'parent_organization_id', NULL)
            ORDER BY o.name, o.id) FROM o), '[]'::jsonb),
        'service', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', s.id, 'organization_id', s.partner_id, 'program_id', NULL, 'name', s.name,
            'alternate_name', NULL, 'description', s.description,
            'url', s.contact ->> 'website', 'email', s.contact ->> 'email', 'status', 'active',
            'interpretation_services', NULL, 'application_process', s.how_to_access,
            'fees_description', CASE WHEN (s.cost ->> 'free')::boolean THEN 'Bezpłatnie'
                                     ELSE s.cost ->> 'description' END,
            'wait_time', NULL, 'fees', NULL, 'accreditations', NULL,
            'eligibility_description', s.eligibility, 'minimum_age', NULL, 'maximum_age', NULL,
            'assured_date', s.verified_on, 'assurer_email', NULL, 'licenses', NULL,
            'alert', CASE WHEN s.requires_referral THEN 'Wymagane skierowanie' END,
            'last_modified', koop.ts(s.updated_at))
            ORDER BY s.name, s.id) FROM s), '[]'::jsonb),
        'location', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', loc.location_id, 'location_type', 'physical', 'url', NULL,
            'organization_id', (SELECT partner_id FROM s WHERE s.id = loc.service_id),
            'name', loc.x ->> 'name', 'alternate_name', NULL, 'description', NULL,
            'transportation', NULL, 'latitude', NULL, 'longitude', NULL,
            'external_identifier', NULL, 'external_identifier_type', NULL)
            ORDER BY loc.service_id, loc.n) FROM loc), '[]'::jsonb),
        'address', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(loc.location_id, 'address', 1), 'location_id', loc.location_id,
            'attention', NULL,
            'address_1', concat_ws(' ', loc.x -> 'address' ->> 'street',
                                   loc.x -> 'address' ->> 'building'),
            'address_2', NULL, 'city', loc.x -> 'address' ->> 'city', 'region', NULL,
            'state_province', (SELECT voivodeship FROM tenants WHERE id = koop.tenant()),
            'postal_code', loc.x -> 'address' ->> 'postal_code', 'country', 'PL',
            'address_type', 'physical')
            ORDER BY loc.service_id, loc.n) FROM loc), '[]'::jsonb),
        'service_at_location', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(loc.location_id, 'service_at_location', 1),
            'service_id', loc.service_id, 'location_id', loc.location_id, 'description', NULL)
            ORDER BY loc.service_id, loc.n) FROM loc), '[]'::jsonb),
        'schedule', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(hours.location_id, 'schedule', hours.hn),
            'service_id', NULL, 'location_id', NULL,
            'service_at_location_id', koop.derived_id(hours.location_id, 'service_at_location', 1),
            'valid_from', NULL, 'valid_to', NULL, 'dtstart', NULL, 'timezone', NULL,
            'until', NULL, 'count', NULL, 'wkst', 'MO', 'freq', 'WEEKLY', 'interval', 1,
            'byday', (SELECT string_agg(koop.hsds_day(d), ',')
                      FROM jsonb_array_elements_text(hours.h -> 'days') d),
            'byweekno', NULL, 'bymonthday', NULL, 'byyearday', NULL,
            'description', hours.h ->> 'note', 'opens_at', hours.h ->> 'opens',
            'closes_at', hours.h ->> 'closes', 'schedule_link', NULL, 'attending_type', 'in_person',
            'notes', NULL)
            ORDER BY hours.service_id, hours.n, hours.hn) FROM hours), '[]'::jsonb),
        'phone', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(s.id, 'phone', 1), 'location_id', NULL, 'service_id', s.id,
            'organization_id', NULL, 'contact_id', NULL, 'service_at_location_id', NULL,
            'number', s.contact ->> 'phone', 'extension', NULL, 'type', 'voice',
            'description', s.contact ->> 'name')
            ORDER BY s.name, s.id) FROM s WHERE s.contact ->> 'phone' IS NOT NULL), '[]'::jsonb),
        'taxonomy', (SELECT jsonb_build_array(
            jsonb_build_object('id', tax.category_id, 'name', 'Kooperacje: kategorie usług',
                'description', 'Kategorie lokalnego koszyka usług', 'uri', NULL, 'version', '1'),
            jsonb_build_object('id', tax.group_id, 'name', 'Kooperacje: grupy docelowe',
                'description', 'Grupy odbiorców usług', 'uri', NULL, 'version', '1')) FROM tax),
        'taxonomy_term', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(koop.tenant(), t.kind, hashtext(t.code)), 'code', t.code,
            'name', CASE t.kind WHEN 'category' THEN koop.category_label(t.code)
                                ELSE koop.target_group_label(t.code) END,
            'description', NULL, 'parent_id', NULL,
            'taxonomy', CASE t.kind WHEN 'category' THEN 'Kooperacje: kategorie usług'
                                    ELSE 'Kooperacje: grupy docelowe' END,
            'language', 'pl',
            'taxonomy_id', CASE t.kind WHEN 'category' THEN tax.category_id ELSE tax.group_id END,
            'term_uri', NULL)
            ORDER BY t.kind, t.code) FROM terms t, tax), '[]'::jsonb),
        'attribute', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', koop.derived_id(a.service_id, a.kind || ':' || a.code, 1),
            'link_id', a.service_id, 'link_type', 'service', 'link_entity', 'service',
            'taxonomy_term_id', koop.derived_id(koop.tenant(), a.kind, hashtext(a.code)),
            'value', NULL, 'label', NULL)
            ORDER BY a.service_id, a.kind, a.code)
            FROM (SELECT s.id AS service_id, 'category' AS kind, s.category AS code FROM s
                  UNION ALL
                  SELECT s.id, 'target_group', unnest(s.target_groups) FROM s) a), '[]'::jsonb))
$$;

-- All-or-nothing import of service documents from a CSV (p_docs: one per
-- data row, with "_row" — its spreadsheet row number —, "id", optional
-- "partner_name" instead of "partner_id", optional "status": draft|active,
-- and "_invalid" when the daemon already found an error in it, listed in
-- p_errors). Every row is checked (partner names always; the rest by trying
-- it); the errors of all rows are raised together, which rolls back
-- everything; with none, every row is imported.
CREATE OR REPLACE FUNCTION koop.services_import(p_docs jsonb, p_errors jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d jsonb;
    row_no int;
    pid uuid;
    matches int;
    errors jsonb := coalesce(p_errors, '[]');
    created jsonb := '[]';
    e_state text;
    e_detail text;
    e_msg text;
BEGIN
    FOR d IN SELECT x FROM jsonb_array_elements(p_docs) AS a(x) LOOP
        row_no := (d ->> '_row')::int;
        CONTINUE WHEN d ? '_short';
        IF d ? 'partner_name' AND NOT d ? 'partner_id' THEN
            SELECT count(*), min(id::text)::uuid INTO matches, pid FROM partners
            WHERE tenant_id = koop.tenant()
              AND (lower(name) = lower(d ->> 'partner_name')
                   OR lower(short_name) = lower(d ->> 'partner_name'));
            IF matches <> 1 THEN
                errors := errors || jsonb_build_object('field', 'partner', 'in', 'body',
                    'row', row_no, 'code', CASE WHEN matches = 0 THEN 'not_found' ELSE 'invalid' END,
                    'message', CASE WHEN matches = 0 THEN 'no partner has this name or short name'
                                    ELSE 'more than one partner has this name; use partner_id' END);
                CONTINUE;
            END IF;
            d := d || jsonb_build_object('partner_id', pid);
        END IF;
        CONTINUE WHEN d ? '_invalid';
        BEGIN
            PERFORM koop.service_create(NULL, (d ->> 'id')::uuid,
                                        d - 'id' - 'partner_name' - 'status' - '_row');
            IF d ->> 'status' = 'active' THEN
                PERFORM koop.service_transition(NULL, (d ->> 'id')::uuid, NULL, 'active', NULL);
            END IF;
            created := created || jsonb_build_object('row', row_no, 'id', d ->> 'id');
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_detail = PG_EXCEPTION_DETAIL,
                                    e_msg = MESSAGE_TEXT;
            IF e_state NOT LIKE 'KP4%' THEN
                RAISE; -- not the row's fault
            END IF;
            IF e_state = 'KP422' AND e_detail::jsonb ? 'errors' THEN
                errors := errors || (SELECT jsonb_agg(x || jsonb_build_object('row', row_no))
                                     FROM jsonb_array_elements(e_detail::jsonb -> 'errors') x);
            ELSE
                errors := errors || jsonb_build_object('field', 'row', 'in', 'body',
                    'row', row_no, 'code', 'invalid', 'message', e_msg);
            END IF;
        END;
    END LOOP;
    IF jsonb_array_length(errors) > 0 THEN
        PERFORM koop.fail(422, 'validation_failed',
            'the file has invalid rows; nothing was imported',
            jsonb_build_object('errors', (SELECT jsonb_agg(x ORDER BY (x ->> 'row')::int, n)
                                          FROM jsonb_array_elements(errors) WITH ORDINALITY e(x, n))));
    END IF;
    RETURN jsonb_build_object('imported', jsonb_array_length(created), 'items', created);
END $$;
