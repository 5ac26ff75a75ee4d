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

-- (0.1.0's koop.cell: the cells are report_suppress's now)
DROP FUNCTION IF EXISTS koop.cell(bigint, boolean);

-- Suppression for the roles that get it (auditor, regional analyst; admins
-- and coordinators read their own tenant's exact counts). p_rows are
-- report_doc's raw rows; each gets "c", the count shown. Counts 1 and 2 are
-- "<3"; then, until nothing changes, every relation a reader could subtract
-- along — a dimension's cells against the total of the same tenant (or of
-- the sum), and the tenants' cells of a key against its sum across tenants —
-- that hides exactly one value gets a second hidden one (the smallest other
-- cell, else the relation's total), shown as "suppressed". A metric over
-- fewer than 3 families ("f"), and the acceptance rate of a tenant (or sum)
-- with a hidden status cell, loses its value ("c": "<3"). This defeats every
-- subtraction along one relation; it is not a full linear-programming audit.
CREATE OR REPLACE FUNCTION koop.report_suppress(p_rows jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n int := jsonb_array_length(p_rows);
    t text[];
    d text[];
    k text[];
    c bigint[];
    s boolean[];
    eqs jsonb;
    e jsonb;
    m int[];
    tot int;
    hidden int;
    pick int;
    changed boolean := true;
    i int;
    out jsonb := '[]';
    x jsonb;
BEGIN
    FOR i IN 1 .. n LOOP
        x := p_rows -> (i - 1);
        t[i] := coalesce(x ->> 't', '');
        d[i] := x ->> 'd';
        k[i] := x ->> 'k';
        c[i] := (x ->> 'n')::bigint;
        s[i] := coalesce(c[i] BETWEEN 1 AND 2, false);
    END LOOP;
    -- the relations: {"m": [cells], "t": the total they add up to (or null)}
    WITH r AS (SELECT g.ix, t[g.ix] AS rt, d[g.ix] AS rd, k[g.ix] AS rk
               FROM generate_series(1, n) g(ix)
               WHERE c[g.ix] IS NOT NULL AND d[g.ix] <> 'metric')
    SELECT coalesce(jsonb_agg(y.q), '[]') INTO eqs FROM (
        SELECT jsonb_build_object('m', jsonb_agg(r.ix), 't',
                   (SELECT min(z.ix) FROM r z WHERE z.rt = r.rt AND z.rd = 'total')) AS q
        FROM r WHERE r.rd NOT IN ('total', 'problem', 'reason') -- (not partitions of the total)
        GROUP BY r.rt, r.rd
        UNION ALL
        SELECT jsonb_build_object('m', coalesce(jsonb_agg(r.ix) FILTER (WHERE r.rt <> ''), '[]'),
                   't', min(r.ix) FILTER (WHERE r.rt = ''))
        FROM r GROUP BY r.rd, r.rk HAVING count(*) FILTER (WHERE r.rt = '') > 0) y;
    WHILE changed LOOP
        changed := false;
        FOR e IN SELECT value FROM jsonb_array_elements(eqs) LOOP
            m := ARRAY(SELECT jsonb_array_elements_text(coalesce(e -> 'm', '[]'))::int);
            tot := (e ->> 't')::int;
            IF tot IS NULL THEN
                CONTINUE; -- cells that add up to nothing shown
            END IF;
            hidden := (SELECT count(*) FROM unnest(m) u(j) WHERE s[u.j])
                + CASE WHEN s[tot] THEN 1 ELSE 0 END;
            IF hidden = 1 THEN
                pick := (SELECT u.j FROM unnest(m) u(j) WHERE NOT s[u.j] ORDER BY c[u.j], u.j LIMIT 1);
                IF pick IS NULL AND NOT s[tot] THEN
                    pick := tot;
                END IF;
                IF pick IS NOT NULL THEN
                    s[pick] := true;
                    changed := true;
                END IF;
            END IF;
        END LOOP;
    END LOOP;
    FOR i IN 1 .. n LOOP
        x := p_rows -> (i - 1);
        IF d[i] = 'metric' THEN
            IF coalesce((x ->> 'f')::int, 0) < 3 OR (k[i] = 'acceptance_rate' AND EXISTS (
                    SELECT 1 FROM generate_series(1, n) g(j)
                    WHERE t[g.j] = t[i] AND d[g.j] = 'status' AND s[g.j])) THEN
                x := x || jsonb_build_object('v', NULL, 'c', '<3');
            END IF;
        ELSIF s[i] THEN
            x := x || jsonb_build_object('c', CASE WHEN c[i] BETWEEN 1 AND 2 THEN '<3' ELSE 'suppressed' END);
        END IF;
        out := out || jsonb_build_array(x);
    END LOOP;
    RETURN out;
END $$;

-- Shapes raw rows {t: tenant|null (sum), d: dimension, k: key, n: count, v: value}
-- into the report document; sum rows only when several tenants are covered. The rows go to
-- report_suppress in (tenant, dimension, key) order, so that which of equal cells gets the
-- second suppression does not depend on how the rows were aggregated. as_of: the snapshot the
-- report reads (every change committed before it is counted: the aggregates are kept in the
-- writing transaction, no summary lags behind the records), fresh: true — on a read replica
-- (reports are RT_REPLICA routes) as_of is its last replayed commit and fresh says whether it
-- has applied everything it received.
CREATE OR REPLACE FUNCTION koop.report_doc(p_name text, p_from date, p_to date, p_tenants uuid[],
                                p_suppress boolean, p_rows jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH o AS (SELECT p_suppress AND koop.role() IN ('auditor', 'regional_analyst') AS suppress)
    SELECT jsonb_build_object('report', p_name, 'from', p_from, 'to', p_to,
        'generated_at', koop.ts(now()),
        -- on a read replica: up to the last transaction it replayed, and fresh only when it has
        -- applied all it received from the primary
        'as_of', koop.ts(CASE WHEN pg_is_in_recovery()
                              THEN coalesce(least(pg_last_xact_replay_timestamp(), now()), now())
                              ELSE now() END),
        'fresh', NOT pg_is_in_recovery()
                 OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
        'tenant_ids', to_jsonb(p_tenants),
        'small_cells_suppressed', o.suppress,
        'columns', jsonb_build_array('tenant_id', 'tenant_name', 'dimension', 'key', 'count', 'value'),
        'rows', coalesce((SELECT jsonb_agg(jsonb_build_object(
                'tenant_id', r ->> 't',
                'tenant_name', coalesce((SELECT name FROM tenants WHERE id = (r ->> 't')::uuid), 'all'),
                'dimension', r ->> 'd', 'key', r ->> 'k',
                'count', CASE WHEN r ? 'c' THEN r -> 'c'
                              WHEN r ? 'n' AND r ->> 'n' IS NOT NULL THEN r -> 'n' END,
                'value', r -> 'v')
                ORDER BY r ->> 't' NULLS LAST, r ->> 'd', r ->> 'k')
            FROM jsonb_array_elements(CASE WHEN o.suppress THEN koop.report_suppress(
                    (SELECT coalesce(jsonb_agg(x ORDER BY x ->> 't' NULLS LAST, x ->> 'd', x ->> 'k'), '[]')
                     FROM jsonb_array_elements(p_rows) x
                     WHERE x ->> 't' IS NOT NULL OR cardinality(p_tenants) > 1))
                ELSE p_rows END) r
            WHERE r ->> 't' IS NOT NULL OR cardinality(p_tenants) > 1), '[]'))
    FROM o
$$;

CREATE OR REPLACE FUNCTION koop.report_families_direct(ts uuid[], p_from date, p_to date) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION koop.report_task_teams_direct(ts uuid[], p_from date, p_to date) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION koop.report_referrals_direct(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH r AS (
        SELECT a.*, p.sector, p.name AS partner_name, tt.family_id FROM plan_actions a
        JOIN partners p ON p.tenant_id = a.tenant_id AND p.id = a.partner_id
        JOIN task_teams tt ON tt.tenant_id = a.tenant_id AND tt.id = a.team_id
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
                FILTER (WHERE status = 'completed'))::numeric, 1) AS days_to_complete,
            -- how many families each metric is computed over (suppressed under 3)
            count(DISTINCT family_id) FILTER (WHERE accepted_at IS NOT NULL OR status = 'declined')
                AS f_decided,
            count(DISTINCT family_id) FILTER (WHERE accepted_at IS NOT NULL) AS f_accepted,
            count(DISTINCT family_id) FILTER (WHERE status = 'completed') AS f_completed
        FROM r GROUP BY GROUPING SETS ((tenant_id), ()))
    SELECT koop.report_doc('referrals', p_from, p_to, ts, true,
        coalesce((SELECT jsonb_agg(jsonb_build_object('t', tenant_id, 'd', dim, 'k', key, 'n', n))
                  FROM counts), '[]')
        || coalesce((SELECT jsonb_agg(x) FROM metrics m, LATERAL (VALUES
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'acceptance_rate', 'v', m.acceptance_rate, 'f', m.f_decided)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_accept', 'v', m.days_to_accept, 'f', m.f_accepted)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_complete', 'v', m.days_to_complete, 'f', m.f_completed))
            ) AS v(x)), '[]'))
$$;

-- ---------------------------------------------------------------------------
-- The aggregates the families, task-teams and referrals reports read (sql/schema/010): kept by
-- the triggers below in the writing transaction, so a report equals the _direct computation
-- above over the same snapshot (tests/http/partnership_reports_fast.c compares them).

-- The cells a family counts in (see report_family_counts): its creation day a, closing day c.
CREATE OR REPLACE FUNCTION koop.report_family_cells(p_created timestamptz, p_closed date,
        p_status text, p_problems jsonb, p_district text)
RETURNS TABLE (dim text, key text, kind "char", day date, day2 date)
LANGUAGE sql STABLE AS $$
    SELECT k.dim, k.key, s.kind, s.day, s.day2
    FROM (SELECT (p_created AT TIME ZONE 'Europe/Warsaw')::date AS a, p_closed AS c) d
    CROSS JOIN LATERAL (
        SELECT 'total' AS dim, 'families' AS key
        UNION ALL SELECT 'status', p_status
        UNION ALL SELECT 'problem', x ->> 'code' FROM jsonb_array_elements(p_problems) x
        UNION ALL SELECT 'district', coalesce(p_district, '(none)')) k
    CROSS JOIN LATERAL (
        SELECT 'a'::"char" AS kind, d.a AS day, d.a AS day2 WHERE d.c IS NULL OR d.c >= d.a
        UNION ALL SELECT 'c', d.c, d.c WHERE d.c >= d.a
        UNION ALL SELECT 'j', d.a, d.c WHERE d.c < d.a) s
$$;

-- The keys a task team counts under (see report_team_counts).
CREATE OR REPLACE FUNCTION koop.report_team_cells(p_created timestamptz, p_formed date,
        p_closed date, p_agreed date)
RETURNS TABLE (key text, day date)
LANGUAGE sql STABLE AS $$
    SELECT s.key, s.day
    FROM (SELECT (p_created AT TIME ZONE 'Europe/Warsaw')::date AS a) d
    CROSS JOIN LATERAL (
        SELECT 'formed' AS key, p_formed AS day WHERE p_formed IS NOT NULL
        UNION ALL SELECT 'closed', p_closed WHERE p_closed IS NOT NULL
        UNION ALL SELECT 'agreed', p_agreed WHERE p_agreed IS NOT NULL
        UNION ALL SELECT 'open_a', d.a WHERE p_closed IS NULL OR p_closed >= d.a
        UNION ALL SELECT 'open_c', p_closed WHERE p_closed >= d.a) s
$$;

-- Inserted or deleted families (statement level: a bulk insert adds one delta per cell).
CREATE OR REPLACE FUNCTION koop.report_families_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, day2, n)
        SELECT f.tenant_id, c.dim, c.key, c.kind, c.day, c.day2, count(*)
        FROM report_new f, koop.report_family_cells(f.created_at, f.closed_on, f.status,
                                                    f.problems, f.district) c
        GROUP BY 1, 2, 3, 4, 5, 6;
    ELSE
        INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, day2, n)
        SELECT f.tenant_id, c.dim, c.key, c.kind, c.day, c.day2, -count(*)
        FROM report_old f, koop.report_family_cells(f.created_at, f.closed_on, f.status,
                                                    f.problems, f.district) c
        GROUP BY 1, 2, 3, 4, 5, 6;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_families_insert AFTER INSERT ON families
    REFERENCING NEW TABLE AS report_new FOR EACH STATEMENT EXECUTE FUNCTION koop.report_families_rows();
CREATE OR REPLACE TRIGGER report_families_delete AFTER DELETE ON families
    REFERENCING OLD TABLE AS report_old FOR EACH STATEMENT EXECUTE FUNCTION koop.report_families_rows();

-- A family changed where a report looks (row level, only then): the old cells out, the new in.
-- (The row triggers' statements take OLD and NEW as parameters: a custom plan per call costs
-- ~0.6 ms, the generic plan they are forced to ~0.06 ms.)
CREATE OR REPLACE FUNCTION koop.report_families_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, day2, n)
    SELECT x.tenant_id, x.dim, x.key, x.kind, x.day, x.day2, sum(x.n)
    FROM (SELECT OLD.tenant_id AS tenant_id, c.*, -1 AS n
          FROM koop.report_family_cells(OLD.created_at, OLD.closed_on, OLD.status, OLD.problems,
                                        OLD.district) c
          UNION ALL
          SELECT NEW.tenant_id, c.*, 1
          FROM koop.report_family_cells(NEW.created_at, NEW.closed_on, NEW.status, NEW.problems,
                                        NEW.district) c) x
    GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(x.n) <> 0;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_families_update AFTER UPDATE ON families FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.problems IS DISTINCT FROM NEW.problems
          OR OLD.district IS DISTINCT FROM NEW.district OR OLD.closed_on IS DISTINCT FROM NEW.closed_on
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
    EXECUTE FUNCTION koop.report_families_update();

CREATE OR REPLACE FUNCTION koop.report_teams_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_team_counts (tenant_id, key, day, n)
        SELECT t.tenant_id, c.key, c.day, count(*)
        FROM report_new t, koop.report_team_cells(t.created_at, t.formed_on, t.closed_on,
                                                  t.plan_agreed_on) c
        GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO report_team_counts (tenant_id, key, day, n)
        SELECT t.tenant_id, c.key, c.day, -count(*)
        FROM report_old t, koop.report_team_cells(t.created_at, t.formed_on, t.closed_on,
                                                  t.plan_agreed_on) c
        GROUP BY 1, 2, 3;
        DELETE FROM report_referrals r USING report_old t
        WHERE r.tenant_id = t.tenant_id AND r.id IN (
            SELECT a.id FROM plan_actions a WHERE a.tenant_id = t.tenant_id AND a.team_id = t.id);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_teams_insert AFTER INSERT ON task_teams
    REFERENCING NEW TABLE AS report_new FOR EACH STATEMENT EXECUTE FUNCTION koop.report_teams_rows();
CREATE OR REPLACE TRIGGER report_teams_delete AFTER DELETE ON task_teams
    REFERENCING OLD TABLE AS report_old FOR EACH STATEMENT EXECUTE FUNCTION koop.report_teams_rows();

CREATE OR REPLACE FUNCTION koop.report_teams_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    INSERT INTO report_team_counts (tenant_id, key, day, n)
    SELECT x.tenant_id, x.key, x.day, sum(x.n)
    FROM (SELECT OLD.tenant_id AS tenant_id, c.*, -1 AS n
          FROM koop.report_team_cells(OLD.created_at, OLD.formed_on, OLD.closed_on,
                                      OLD.plan_agreed_on) c
          UNION ALL
          SELECT NEW.tenant_id, c.*, 1
          FROM koop.report_team_cells(NEW.created_at, NEW.formed_on, NEW.closed_on,
                                      NEW.plan_agreed_on) c) x
    GROUP BY 1, 2, 3 HAVING sum(x.n) <> 0;
    IF OLD.family_id IS DISTINCT FROM NEW.family_id THEN -- (no path does this; kept exact anyway)
        UPDATE report_referrals SET family_id = NEW.family_id
        WHERE tenant_id = NEW.tenant_id AND id IN (
            SELECT a.id FROM plan_actions a WHERE a.tenant_id = NEW.tenant_id AND a.team_id = NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_teams_update AFTER UPDATE ON task_teams FOR EACH ROW
    WHEN (OLD.formed_on IS DISTINCT FROM NEW.formed_on OR OLD.closed_on IS DISTINCT FROM NEW.closed_on
          OR OLD.plan_agreed_on IS DISTINCT FROM NEW.plan_agreed_on
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.family_id IS DISTINCT FROM NEW.family_id
          OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
    EXECUTE FUNCTION koop.report_teams_update();

-- Referrals: the narrow row of each plan action the referrals report counts.
CREATE OR REPLACE FUNCTION koop.report_referrals_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_referrals (tenant_id, id, day, status, partner_id, reason_code,
                                      family_id, accepted, accept_days, complete_days)
        SELECT a.tenant_id, a.id, (a.referred_at AT TIME ZONE 'Europe/Warsaw')::date, a.status,
               a.partner_id, a.reason_code, tt.family_id, a.accepted_at IS NOT NULL,
               extract(epoch FROM a.accepted_at - a.referred_at) / 86400,
               extract(epoch FROM a.completed_at - a.referred_at) / 86400
        FROM report_new a JOIN task_teams tt ON tt.tenant_id = a.tenant_id AND tt.id = a.team_id
        WHERE a.service_id IS NOT NULL AND a.referred_at IS NOT NULL AND a.partner_id IS NOT NULL;
    ELSE
        DELETE FROM report_referrals r USING report_old a
        WHERE r.tenant_id = a.tenant_id AND r.id = a.id;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_referrals_insert AFTER INSERT ON plan_actions
    REFERENCING NEW TABLE AS report_new FOR EACH STATEMENT EXECUTE FUNCTION koop.report_referrals_rows();
CREATE OR REPLACE TRIGGER report_referrals_delete AFTER DELETE ON plan_actions
    REFERENCING OLD TABLE AS report_old FOR EACH STATEMENT EXECUTE FUNCTION koop.report_referrals_rows();

CREATE OR REPLACE FUNCTION koop.report_referrals_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF NEW.service_id IS NOT NULL AND NEW.referred_at IS NOT NULL AND NEW.partner_id IS NOT NULL THEN
        INSERT INTO report_referrals AS r (tenant_id, id, day, status, partner_id, reason_code,
                                           family_id, accepted, accept_days, complete_days)
        SELECT NEW.tenant_id, NEW.id, (NEW.referred_at AT TIME ZONE 'Europe/Warsaw')::date,
               NEW.status, NEW.partner_id, NEW.reason_code, tt.family_id,
               NEW.accepted_at IS NOT NULL,
               extract(epoch FROM NEW.accepted_at - NEW.referred_at) / 86400,
               extract(epoch FROM NEW.completed_at - NEW.referred_at) / 86400
        FROM task_teams tt WHERE tt.tenant_id = NEW.tenant_id AND tt.id = NEW.team_id
        ON CONFLICT (tenant_id, id) DO UPDATE SET day = excluded.day, status = excluded.status,
            partner_id = excluded.partner_id, reason_code = excluded.reason_code,
            family_id = excluded.family_id, accepted = excluded.accepted,
            accept_days = excluded.accept_days, complete_days = excluded.complete_days;
    ELSE
        DELETE FROM report_referrals WHERE tenant_id = OLD.tenant_id AND id = OLD.id;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_referrals_update AFTER UPDATE ON plan_actions FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.referred_at IS DISTINCT FROM NEW.referred_at
          OR OLD.accepted_at IS DISTINCT FROM NEW.accepted_at
          OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
          OR OLD.service_id IS DISTINCT FROM NEW.service_id OR OLD.partner_id IS DISTINCT FROM NEW.partner_id
          OR OLD.reason_code IS DISTINCT FROM NEW.reason_code OR OLD.team_id IS DISTINCT FROM NEW.team_id
          OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION koop.report_referrals_update();

-- The counts of a referral row (see report_referral_counts).
CREATE OR REPLACE FUNCTION koop.report_referral_cells(p_status text, p_partner uuid,
        p_reason text, p_accepted boolean)
RETURNS TABLE (dim text, key text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'status', p_status
    UNION ALL SELECT 'partner', p_partner::text
    UNION ALL SELECT 'reason', p_status || '.' || coalesce(p_reason, 'unspecified')
        WHERE p_status IN ('declined', 'failed', 'cancelled')
    UNION ALL SELECT 'rate', 'accepted' WHERE p_accepted
    UNION ALL SELECT 'rate', 'decided' WHERE p_accepted OR p_status = 'declined'
$$;

CREATE OR REPLACE FUNCTION koop.report_referral_counts_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO report_referral_counts (tenant_id, day, dim, key, n)
        SELECT r.tenant_id, r.day, c.dim, c.key, count(*)
        FROM report_new r, koop.report_referral_cells(r.status, r.partner_id, r.reason_code,
                                                      r.accepted) c
        GROUP BY 1, 2, 3, 4;
    ELSE
        INSERT INTO report_referral_counts (tenant_id, day, dim, key, n)
        SELECT r.tenant_id, r.day, c.dim, c.key, -count(*)
        FROM report_old r, koop.report_referral_cells(r.status, r.partner_id, r.reason_code,
                                                      r.accepted) c
        GROUP BY 1, 2, 3, 4;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_referral_counts_insert AFTER INSERT ON report_referrals
    REFERENCING NEW TABLE AS report_new FOR EACH STATEMENT
    EXECUTE FUNCTION koop.report_referral_counts_rows();
CREATE OR REPLACE TRIGGER report_referral_counts_delete AFTER DELETE ON report_referrals
    REFERENCING OLD TABLE AS report_old FOR EACH STATEMENT
    EXECUTE FUNCTION koop.report_referral_counts_rows();

CREATE OR REPLACE FUNCTION koop.report_referral_counts_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    INSERT INTO report_referral_counts (tenant_id, day, dim, key, n)
    SELECT x.tenant_id, x.day, x.dim, x.key, sum(x.n)
    FROM (SELECT OLD.tenant_id AS tenant_id, OLD.day AS day, c.dim, c.key, -1 AS n
          FROM koop.report_referral_cells(OLD.status, OLD.partner_id, OLD.reason_code,
                                          OLD.accepted) c
          UNION ALL
          SELECT NEW.tenant_id, NEW.day, c.dim, c.key, 1
          FROM koop.report_referral_cells(NEW.status, NEW.partner_id, NEW.reason_code,
                                          NEW.accepted) c) x
    GROUP BY 1, 2, 3, 4 HAVING sum(x.n) <> 0;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER report_referral_counts_update AFTER UPDATE ON report_referrals
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.partner_id IS DISTINCT FROM NEW.partner_id
          OR OLD.reason_code IS DISTINCT FROM NEW.reason_code OR OLD.accepted IS DISTINCT FROM NEW.accepted
          OR OLD.day IS DISTINCT FROM NEW.day OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
    EXECUTE FUNCTION koop.report_referral_counts_update();

-- The periodic job (api/task_teams.c koop_api_jobs, "reports"): folds the deltas of up to 2000
-- (tenant, day) pairs per table and run into one row per cell, dropping cells that sum to 0.
-- Rows a writer has not committed yet are not seen, so they stay for the next run; a reader
-- sees the deltas or their sums, never both (one statement each).
CREATE OR REPLACE FUNCTION koop.report_fold() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a int;
    b int;
    c int;
BEGIN
    WITH g AS (SELECT DISTINCT tenant_id, day FROM report_family_counts WHERE NOT folded LIMIT 2000),
    d AS (DELETE FROM report_family_counts r USING g WHERE r.tenant_id = g.tenant_id AND r.day = g.day
          RETURNING r.*),
    i AS (INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, day2, n, folded)
          SELECT tenant_id, dim, key, kind, day, day2, sum(n), true FROM d
          GROUP BY tenant_id, dim, key, kind, day, day2 HAVING sum(n) <> 0 RETURNING 1)
    SELECT count(*) INTO a FROM i;
    WITH g AS (SELECT DISTINCT tenant_id, day FROM report_team_counts WHERE NOT folded LIMIT 2000),
    d AS (DELETE FROM report_team_counts r USING g WHERE r.tenant_id = g.tenant_id AND r.day = g.day
          RETURNING r.*),
    i AS (INSERT INTO report_team_counts (tenant_id, key, day, n, folded)
          SELECT tenant_id, key, day, sum(n), true FROM d GROUP BY tenant_id, key, day
          HAVING sum(n) <> 0 RETURNING 1)
    SELECT count(*) INTO b FROM i;
    WITH g AS (SELECT DISTINCT tenant_id, day FROM report_referral_counts WHERE NOT folded LIMIT 2000),
    d AS (DELETE FROM report_referral_counts r USING g WHERE r.tenant_id = g.tenant_id AND r.day = g.day
          RETURNING r.*),
    i AS (INSERT INTO report_referral_counts (tenant_id, day, dim, key, n, folded)
          SELECT tenant_id, day, dim, key, sum(n), true FROM d GROUP BY tenant_id, day, dim, key
          HAVING sum(n) <> 0 RETURNING 1)
    SELECT count(*) INTO c FROM i;
    RETURN a + b + c;
END $$;

CREATE OR REPLACE FUNCTION koop.report_families(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH per_tenant AS (
        SELECT tenant_id, dim, key, sum(CASE WHEN kind = 'c' THEN -n ELSE n END)::bigint AS n
        FROM report_family_counts
        WHERE tenant_id = ANY (ts) AND day <= p_to
          AND (kind = 'a' OR (kind = 'c' AND day < p_from) OR (kind = 'j' AND day2 >= p_from))
        GROUP BY tenant_id, dim, key HAVING sum(CASE WHEN kind = 'c' THEN -n ELSE n END) <> 0)
    SELECT koop.report_doc('families', p_from, p_to, ts, true, coalesce(jsonb_agg(jsonb_build_object(
        't', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

CREATE OR REPLACE FUNCTION koop.report_task_teams(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH s AS (
        SELECT tenant_id,
            sum(n) FILTER (WHERE key = 'formed' AND day >= p_from) AS formed,
            sum(n) FILTER (WHERE key = 'closed' AND day >= p_from) AS closed,
            coalesce(sum(n) FILTER (WHERE key = 'open_a'), 0)
                - coalesce(sum(n) FILTER (WHERE key = 'open_c'), 0) AS open_at_end,
            sum(n) FILTER (WHERE key = 'agreed' AND day >= p_from) AS agreed
        FROM report_team_counts WHERE tenant_id = ANY (ts) AND day <= p_to GROUP BY tenant_id),
    per_tenant AS (
        SELECT s.tenant_id, x.dim, x.key, x.n::bigint AS n FROM s
        CROSS JOIN LATERAL (VALUES ('teams', 'formed', s.formed), ('teams', 'closed', s.closed),
            ('teams', 'open_at_end', s.open_at_end), ('plans', 'agreed', s.agreed)) x(dim, key, n)
        WHERE x.n <> 0)
    SELECT koop.report_doc('task-teams', p_from, p_to, ts, true, coalesce(jsonb_agg(
        jsonb_build_object('t', g.tenant_id, 'd', g.dim, 'k', g.key, 'n', g.n)), '[]'))
    FROM (SELECT tenant_id, dim, key, n FROM per_tenant
          UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key) g
$$;

-- How many families the referrals of the period matching p_which ('decided', 'accepted',
-- 'completed') are over, counted up to 3 only: a metric over fewer than 3 families is
-- suppressed (report_suppress), and that is all the count is for. Stops at the third family.
CREATE OR REPLACE FUNCTION koop.report_referral_families(ts uuid[], p_from date, p_to date,
                                                         p_which text) RETURNS int
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seen uuid[] := '{}';
    f uuid;
BEGIN
    FOR f IN SELECT r.family_id FROM report_referrals r
             WHERE r.tenant_id = ANY (ts) AND r.day BETWEEN p_from AND p_to
               AND CASE p_which WHEN 'decided' THEN r.accepted OR r.status = 'declined'
                                WHEN 'accepted' THEN r.accepted
                                ELSE r.status = 'completed' END LOOP
        IF NOT f = ANY (seen) THEN
            seen := seen || f;
            EXIT WHEN cardinality(seen) >= 3;
        END IF;
    END LOOP;
    RETURN cardinality(seen);
END $$;

-- Counts from report_referral_counts, medians from report_referrals. (Planned on every call with
-- the period's bounds, EXECUTE: a generic plan guesses a few rows and walks the index over a
-- whole year's referrals.)
CREATE OR REPLACE FUNCTION koop.report_referrals(ts uuid[], p_from date, p_to date) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    doc jsonb;
BEGIN
    EXECUTE $q$
    WITH c AS (
        SELECT tenant_id, dim, key, sum(n) AS n FROM report_referral_counts
        WHERE tenant_id = ANY ($1) AND day BETWEEN $2 AND $3
        GROUP BY tenant_id, dim, key HAVING sum(n) <> 0),
    -- partners by id, then their names and sectors as they are now
    cp AS (
        SELECT c.tenant_id, p.sector, p.name, c.n FROM c
        JOIN partners p ON p.tenant_id = c.tenant_id AND p.id = c.key::uuid
        WHERE c.dim = 'partner'),
    per_tenant AS (
        SELECT tenant_id, 'total' AS dim, 'referrals' AS key, sum(n)::bigint AS n FROM c
            WHERE dim = 'status' GROUP BY tenant_id
        UNION ALL SELECT tenant_id, dim, key, n::bigint FROM c WHERE dim IN ('status', 'reason')
        UNION ALL SELECT tenant_id, 'sector', sector, sum(n)::bigint FROM cp GROUP BY 1, 3
        UNION ALL SELECT tenant_id, 'partner', name, sum(n)::bigint FROM cp GROUP BY 1, 3),
    counts AS (
        SELECT tenant_id, dim, key, n FROM per_tenant
        UNION ALL SELECT NULL, dim, key, sum(n)::bigint FROM per_tenant GROUP BY dim, key),
    -- a row per tenant with referrals in the period, and one for them all
    rates AS (
        SELECT tenant_id, sum(n) FILTER (WHERE dim = 'rate' AND key = 'accepted') AS accepted,
               sum(n) FILTER (WHERE dim = 'rate' AND key = 'decided') AS decided
        FROM c WHERE dim IN ('status', 'rate') GROUP BY GROUPING SETS ((tenant_id), ())),
    -- medians over the referral rows (the sum's only over several tenants; of one, its own)
    mt AS (
        SELECT r.tenant_id, r.accepted, r.decided, x.days_to_accept, x.days_to_complete
        FROM rates r CROSS JOIN LATERAL (
            SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY x.accept_days))::numeric, 1)
                       AS days_to_accept,
                   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY x.complete_days)
                       FILTER (WHERE x.status = 'completed'))::numeric, 1) AS days_to_complete
            FROM report_referrals x
            WHERE x.tenant_id = ANY (coalesce(ARRAY[r.tenant_id], $1)) AND x.day BETWEEN $2 AND $3
              AND (x.accept_days IS NOT NULL OR x.status = 'completed')) x
        WHERE r.tenant_id IS NOT NULL OR cardinality($1) > 1),
    m AS (
        SELECT * FROM mt
        UNION ALL
        SELECT NULL, r.accepted, r.decided, t.days_to_accept, t.days_to_complete
        FROM rates r LEFT JOIN mt t ON t.tenant_id IS NOT NULL
        WHERE r.tenant_id IS NULL AND cardinality($1) = 1),
    metrics AS (
        SELECT m.tenant_id,
            round(coalesce(m.accepted, 0) / nullif(coalesce(m.decided, 0), 0), 3) AS acceptance_rate,
            m.days_to_accept, m.days_to_complete,
            -- how many families each metric is computed over (suppressed under 3)
            koop.report_referral_families(coalesce(ARRAY[m.tenant_id], $1), $2, $3, 'decided')
                AS f_decided,
            koop.report_referral_families(coalesce(ARRAY[m.tenant_id], $1), $2, $3, 'accepted')
                AS f_accepted,
            koop.report_referral_families(coalesce(ARRAY[m.tenant_id], $1), $2, $3, 'completed')
                AS f_completed
        FROM m)
    SELECT koop.report_doc('referrals', $2, $3, $1, true,
        coalesce((SELECT jsonb_agg(jsonb_build_object('t', tenant_id, 'd', dim, 'k', key, 'n', n))
                  FROM counts), '[]')
        || coalesce((SELECT jsonb_agg(x) FROM metrics m, LATERAL (VALUES
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'acceptance_rate', 'v', m.acceptance_rate, 'f', m.f_decided)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_accept', 'v', m.days_to_accept, 'f', m.f_accepted)),
                (jsonb_build_object('t', m.tenant_id, 'd', 'metric', 'k', 'median_days_to_complete', 'v', m.days_to_complete, 'f', m.f_completed))
            ) AS v(x)), '[]'))
    $q$ INTO doc USING ts, p_from, p_to;
    RETURN doc;
END $$;

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

-- Entry point: NULL when the tenant asked for is not the caller's (404). p_direct: the
-- families, task-teams and referrals reports computed from the records (the _direct
-- functions), for tests and checks (koop.report_direct, the owner's only).
CREATE OR REPLACE FUNCTION koop.report_run(p_name text, p_tenant uuid, p_from date, p_to date,
                                           p_direct boolean) RETURNS jsonb
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
    IF p_direct THEN
        RETURN CASE p_name
            WHEN 'families' THEN koop.report_families_direct(ts, p_from, p_to)
            WHEN 'task-teams' THEN koop.report_task_teams_direct(ts, p_from, p_to)
            WHEN 'referrals' THEN koop.report_referrals_direct(ts, p_from, p_to) END;
    END IF;
    RETURN CASE p_name
        WHEN 'families' THEN koop.report_families(ts, p_from, p_to)
        WHEN 'task-teams' THEN koop.report_task_teams(ts, p_from, p_to)
        WHEN 'referrals' THEN koop.report_referrals(ts, p_from, p_to)
        WHEN 'services' THEN koop.report_services(ts, p_from, p_to)
        WHEN 'partners' THEN koop.report_partners(ts, p_from, p_to)
        WHEN 'benefits' THEN koop.report_benefits(ts, p_from, p_to) END;
END $$;

CREATE OR REPLACE FUNCTION koop.report(p_name text, p_tenant uuid, p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT koop.report_run(p_name, p_tenant, p_from, p_to, false)
$$;

CREATE OR REPLACE FUNCTION koop.report_direct(p_name text, p_tenant uuid, p_from date, p_to date) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT koop.report_run(p_name, p_tenant, p_from, p_to, true)
$$;

REVOKE ALL ON FUNCTION koop.report_run(text, uuid, date, date, boolean),
    koop.report_direct(text, uuid, date, date), koop.report_fold(),
    koop.report_families_direct(uuid[], date, date), koop.report_task_teams_direct(uuid[], date, date),
    koop.report_referrals_direct(uuid[], date, date),
    koop.report_family_cells(timestamptz, date, text, jsonb, text),
    koop.report_team_cells(timestamptz, date, date, date),
    koop.report_referral_families(uuid[], date, date, text),
    koop.report_referral_cells(text, uuid, text, boolean), koop.report_referral_counts_rows(),
    koop.report_referral_counts_update(),
    koop.report_families_rows(), koop.report_families_update(), koop.report_teams_rows(),
    koop.report_teams_update(), koop.report_referrals_rows(), koop.report_referrals_update() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.report_fold() TO koop_app;

REVOKE ALL ON FUNCTION koop.report_families(uuid[], date, date), koop.report_task_teams(uuid[], date, date),
    koop.report_referrals(uuid[], date, date), koop.report_services(uuid[], date, date),
    koop.report_partners(uuid[], date, date), koop.report_benefits(uuid[], date, date),
    koop.report_doc(text, date, date, uuid[], boolean, jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION koop.report(text, uuid, date, date), koop.report_tenants(uuid) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION koop.report(text, uuid, date, date) TO koop_app;
