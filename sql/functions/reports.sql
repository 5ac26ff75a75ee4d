-- sql/functions/reports.sql — reports (/v1/reports/...).
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.

-- 010: reports (SPEC §5 Reports): computed in SQL, no personal data, counts
-- of family data under 3 shown as "<3" (small-cell disclosure), for one
-- tenant, or for a regional analyst across the tenants granted to it — per
-- tenant and summed. SECURITY DEFINER: a regional analyst has no tenant, so
-- these functions decide the tenant set themselves (koop.report_tenants) and
-- every query filters by it.

-- The tenants a report may cover for the caller; p_tenant narrows it. NULL
-- when p_tenant is not the caller's to see (the daemon answers 404).
CREATE OR REPLACE FUNCTION koop.report_tenants(p_tenant uuid) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    granted uuid[];
BEGIN
    IF koop.role() = 'regional_analyst' THEN
        SELECT u.granted_tenant_ids INTO granted FROM users u
        WHERE u.id = koop.user_id() AND u.active AND u.role = 'regional_analyst';
        granted := coalesce(granted, '{}');
    ELSIF koop.role() IN ('admin', 'coordinator', 'auditor') AND koop.tenant() IS NOT NULL THEN
        granted := ARRAY[koop.tenant()];
    ELSE
        granted := '{}';
    END IF;
    IF p_tenant IS NOT NULL THEN
        RETURN CASE WHEN p_tenant = ANY (granted) THEN ARRAY[p_tenant] END;
    END IF;
    RETURN granted;
END $$;

CREATE OR REPLACE FUNCTION koop.cell(n bigint, p_suppress boolean) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_suppress AND n BETWEEN 1 AND 2 THEN to_jsonb('<3'::text) ELSE to_jsonb(n) END
$$;

-- Shapes raw rows {t: tenant|null (sum), d: dimension, k: key, n: count, v: value}
-- into the report document; sum rows only when several tenants are covered.
CREATE OR REPLACE FUNCTION koop.report_doc(p_name text, p_from date, p_to date, p_tenants uuid[],
                                p_suppress boolean, p_rows jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object('report', p_name, 'from', p_from, 'to', p_to,
        'generated_at', koop.ts(now()), 'tenant_ids', to_jsonb(p_tenants),
        'small_cells_suppressed', p_suppress,
        'columns', jsonb_build_array('tenant_id', 'tenant_name', 'dimension', 'key', 'count', 'value'),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'tenant_id', r ->> 't',
                'tenant_name', coalesce((SELECT name FROM tenants WHERE id = (r ->> 't')::uuid), 'all'),
                'dimension', r ->> 'd', 'key', r ->> 'k',
                'count', CASE WHEN r ? 'n' AND r ->> 'n' IS NOT NULL
                              THEN koop.cell((r ->> 'n')::bigint, p_suppress) END,
                'value', r -> 'v')
                ORDER BY r ->> 't' NULLS LAST, r ->> 'd', r ->> 'k')
            FROM jsonb_array_elements(p_rows) r
            WHERE r ->> 't' IS NOT NULL OR cardinality(p_tenants) > 1), '[]'))
$$;

CREATE OR REPLACE FUNCTION koop.report_families(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH f AS (
        SELECT tenant_id, status, problems, district FROM families WHERE tenant_id = ANY (ts)
          AND (created_at AT TIME ZONE 'Europe/Warsaw')::date <= p_to
          AND (closed_on IS NULL OR closed_on >= p_from)),
    d AS (
        SELECT tenant_id, 'total' AS dim, 'families' AS key FROM f
        UNION ALL SELECT tenant_id, 'status', status FROM f
        UNION ALL SELECT tenant_id, 'problem', x ->> 'code' FROM f, jsonb_array_elements(f.problems) x
        UNION ALL SELECT tenant_id, 'district', coalesce(district, '(none)') FROM f),
    -- per tenant first (a hash aggregate into few groups), then the sums
    per_tenant AS (SELECT tenant_id, dim, key, count(*) AS n FROM d GROUP BY tenant_id, dim, key)
    SELECT koop.report_doc('families', p_from, p_to, ts, true, coalesce(jsonb_agg(jsonb_build_object(
        't', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

CREATE OR REPLACE FUNCTION koop.report_task_teams(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH d AS (
        SELECT tenant_id, 'teams' AS dim, 'formed' AS key FROM task_teams
            WHERE tenant_id = ANY (ts) AND formed_on BETWEEN p_from AND p_to
        UNION ALL SELECT tenant_id, 'teams', 'closed' FROM task_teams
            WHERE tenant_id = ANY (ts) AND closed_on BETWEEN p_from AND p_to
        UNION ALL SELECT tenant_id, 'teams', 'open_at_end' FROM task_teams
            WHERE tenant_id = ANY (ts) AND (created_at AT TIME ZONE 'Europe/Warsaw')::date <= p_to
              AND (closed_on IS NULL OR closed_on > p_to)
        UNION ALL SELECT tenant_id, 'plans', 'agreed' FROM task_teams
            WHERE tenant_id = ANY (ts) AND plan_agreed_on BETWEEN p_from AND p_to),
    -- per tenant first (a hash aggregate into few groups), then the sums
    per_tenant AS (SELECT tenant_id, dim, key, count(*) AS n FROM d GROUP BY tenant_id, dim, key)
    SELECT koop.report_doc('task-teams', p_from, p_to, ts, true, coalesce(jsonb_agg(
        jsonb_build_object('t', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

-- Referrals made in the period: by status, by the partner's sector, by
-- partner and, for those declined, failed or cancelled, by reason code; the acceptance rate (accepted of those decided) and the median
-- days from referral to acceptance and to completion.
CREATE OR REPLACE FUNCTION koop.report_referrals(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH r AS (
        SELECT a.*, p.sector, p.name AS partner_name FROM plan_actions a
        JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
        WHERE a.tenant_id = ANY (ts) AND a.service_id IS NOT NULL AND a.referred_at IS NOT NULL
          AND (a.referred_at AT TIME ZONE 'Europe/Warsaw')::date BETWEEN p_from AND p_to),
    per_tenant AS (
        SELECT tenant_id, dim, key, count(*) AS n FROM (
            SELECT tenant_id, 'total' AS dim, 'referrals' AS key FROM r
            UNION ALL SELECT tenant_id, 'status', status FROM r
            UNION ALL SELECT tenant_id, 'sector', sector FROM r
            UNION ALL SELECT tenant_id, 'partner', partner_name FROM r
            -- outcomes by reason code: declined.no_capacity, failed.client_refused, ...
            -- (unspecified: records before reason codes, and cancellations by closing the team)
            UNION ALL SELECT tenant_id, 'reason', status || '.' || coalesce(reason_code, 'unspecified')
                FROM r WHERE status IN ('declined', 'failed', 'cancelled')) x
        GROUP BY tenant_id, dim, key),
    counts AS (
        SELECT tenant_id, dim, key, n FROM per_tenant
        UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key),
    metrics AS (
        SELECT tenant_id,
            round(count(*) FILTER (WHERE accepted_at IS NOT NULL)::numeric
                  / nullif(count(*) FILTER (WHERE accepted_at IS NOT NULL OR status = 'declined'), 0), 3)
                AS acceptance_rate,
            round((percentile_cont(0.5) WITHIN GROUP (ORDER BY
                extract(epoch FROM accepted_at - referred_at) / 86400))::numeric, 1) AS days_to_accept,
            round((percentile_cont(0.5) WITHIN GROUP (ORDER BY
                extract(epoch FROM completed_at - referred_at) / 86400)
                FILTER (WHERE status = 'completed'))::numeric, 1) AS days_to_complete
        FROM r GROUP BY GROUPING SETS ((tenant_id), ()))
    SELECT koop.report_doc('referrals', p_from, p_to, ts, true,
        coalesce((SELECT jsonb_agg(jsonb_build_object('t', tenant_id, 'd', dim, 'k', key, 'n', n))
                  FROM counts), '[]')
        || coalesce((SELECT jsonb_agg(x) FROM metrics m, LATERAL (VALUES
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'acceptance_rate', 'v', m.acceptance_rate)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_accept', 'v', m.days_to_accept)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_complete', 'v', m.days_to_complete))
            ) AS v(x)), '[]'))
$$;

CREATE OR REPLACE FUNCTION koop.report_services(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH s AS (
        SELECT s.*, p.sector FROM services s JOIN partners p
            ON p.tenant_id = s.tenant_id AND p.id = s.partner_id
        WHERE s.tenant_id = ANY (ts) AND s.status = 'active'),
    d AS (
        SELECT tenant_id, 'total' AS dim, 'active_services' AS key FROM s
        UNION ALL SELECT tenant_id, 'category', category FROM s
        UNION ALL SELECT tenant_id, 'sector', sector FROM s
        UNION ALL SELECT tenant_id, 'capacity', CASE WHEN capacity_available > 0 THEN 'has_places'
                                                     WHEN capacity_available = 0 THEN 'full'
                                                     ELSE 'not_reported' END FROM s),
    -- per tenant first (a hash aggregate into few groups), then the sums
    per_tenant AS (SELECT tenant_id, dim, key, count(*) AS n FROM d GROUP BY tenant_id, dim, key)
    SELECT koop.report_doc('services', p_from, p_to, ts, false, coalesce(jsonb_agg(
        jsonb_build_object('t', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

CREATE OR REPLACE FUNCTION koop.report_partners(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH d AS (
        SELECT tenant_id, 'total' AS dim, 'partners' AS key FROM partners WHERE tenant_id = ANY (ts)
        UNION ALL SELECT tenant_id, 'sector', sector FROM partners WHERE tenant_id = ANY (ts)
        UNION ALL SELECT tenant_id, 'status', status FROM partners WHERE tenant_id = ANY (ts)
        UNION ALL SELECT tenant_id, 'declarations', 'signed_in_period' FROM partners
            WHERE tenant_id = ANY (ts) AND (declaration ->> 'signed_on')::date BETWEEN p_from AND p_to
        UNION ALL SELECT tenant_id, 'agreements', 'signed_in_period' FROM partner_agreements
            WHERE tenant_id = ANY (ts) AND signed_on BETWEEN p_from AND p_to),
    -- per tenant first (a hash aggregate into few groups), then the sums
    per_tenant AS (SELECT tenant_id, dim, key, count(*) AS n FROM d GROUP BY tenant_id, dim, key)
    SELECT koop.report_doc('partners', p_from, p_to, ts, false, coalesce(jsonb_agg(
        jsonb_build_object('t', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

-- The register of mutual benefits: entries recorded in the period, by the
-- partner that gained and by beneficiary.
CREATE OR REPLACE FUNCTION koop.report_benefits(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH b AS (
        SELECT b.tenant_id, p.name AS partner_name, p.sector,
               coalesce(q.name, '(all partners)') AS beneficiary
        FROM partner_benefits b
        JOIN partners p ON p.tenant_id = b.tenant_id AND p.id = b.partner_id
        LEFT JOIN partners q ON q.tenant_id = b.tenant_id AND q.id = b.beneficiary_partner_id
        WHERE b.tenant_id = ANY (ts) AND b.recorded_on BETWEEN p_from AND p_to),
    d AS (
        SELECT tenant_id, 'total' AS dim, 'benefits' AS key FROM b
        UNION ALL SELECT tenant_id, 'partner', partner_name FROM b
        UNION ALL SELECT tenant_id, 'sector', sector FROM b
        UNION ALL SELECT tenant_id, 'beneficiary', beneficiary FROM b),
    -- per tenant first (a hash aggregate into few groups), then the sums
    per_tenant AS (SELECT tenant_id, dim, key, count(*) AS n FROM d GROUP BY tenant_id, dim, key)
    SELECT koop.report_doc('benefits', p_from, p_to, ts, false, coalesce(jsonb_agg(
        jsonb_build_object('t', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

-- Entry point: NULL when the tenant asked for is not the caller's (404).
CREATE OR REPLACE FUNCTION koop.report(p_name text, p_tenant uuid, p_from date, p_to date) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ts uuid[] := koop.report_tenants(p_tenant);
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    -- the default period is the current calendar year in Europe/Warsaw
    p_from := coalesce(p_from, date_trunc('year', koop.today())::date);
    p_to := coalesce(p_to, (date_trunc('year', koop.today()) + interval '1 year - 1 day')::date);
    IF p_to < p_from THEN
        PERFORM koop.fail(422, 'validation_failed', 'to is before from',
            jsonb_build_object('errors', jsonb_build_array(jsonb_build_object('field', 'to',
                'code', 'min', 'message', 'must not be before from', 'in', 'query'))));
    END IF;
    RETURN CASE p_name
        WHEN 'families' THEN koop.report_families(ts, p_from, p_to)
        WHEN 'task-teams' THEN koop.report_task_teams(ts, p_from, p_to)
        WHEN 'referrals' THEN koop.report_referrals(ts, p_from, p_to)
        WHEN 'services' THEN koop.report_services(ts, p_from, p_to)
        WHEN 'partners' THEN koop.report_partners(ts, p_from, p_to)
        WHEN 'benefits' THEN koop.report_benefits(ts, p_from, p_to) END;
END $$;

REVOKE ALL ON FUNCTION koop.report_families(uuid[], date, date), koop.report_task_teams(uuid[], date, date),
    koop.report_referrals(uuid[], date, date), koop.report_services(uuid[], date, date),
    koop.report_partners(uuid[], date, date), koop.report_benefits(uuid[], date, date),
    koop.report_doc(text, date, date, uuid[], boolean, jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION koop.report(text, uuid, date, date), koop.report_tenants(uuid) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION koop.report(text, uuid, date, date) TO koop_app;
