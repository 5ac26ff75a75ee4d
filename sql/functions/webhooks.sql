-- sql/functions/webhooks.sql — webhook subscriptions (/v1/webhooks) and their delivery state.
--
-- The live definition of each function here, and nowhere else. `kooperd migrate` reapplies every
-- file of sql/functions.list, in its order, in one transaction, on every run: change a body here
-- and migrate. CREATE OR REPLACE keeps grants and dependants; a function or trigger that no
-- file defines any more is dropped by migrate. Where a return type changes, put
-- `DROP FUNCTION IF EXISTS koop.name(old argument types);` above the new definition.
--
-- Requests (api/webhooks.c) work inside the tenant like every resource. The delivery thread
-- (server/webhooks.c) has no tenant: koop.webhook_claim and koop.webhook_record are SECURITY
-- DEFINER and work across tenants; they are its only way in.

-- A subscription as the API shows it: never the secret.
CREATE OR REPLACE FUNCTION koop.webhook_json(w webhooks) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', w.id, 'url', w.url, 'types', to_jsonb(w.types),
        'description', w.description, 'active', w.active, 'status', w.status,
        'paused_reason', w.paused_reason, 'paused_at', koop.ts(w.paused_at),
        'last_event_id', w.cursor, 'attempts', w.attempts,
        -- only a retry's: an idle subscription's next look is internal
        'next_attempt_at', CASE WHEN w.attempts > 0 THEN koop.ts(w.next_attempt_at) END,
        'version', w.version, 'created_at', koop.ts(w.created_at),
        'updated_at', koop.ts(w.updated_at))
$$;

-- Whether an event type is one of the patterns: an exact type, resource.* or *.
CREATE OR REPLACE FUNCTION koop.webhook_matches(p_types text[], p_type text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_type = ANY (p_types) OR '*' = ANY (p_types)
        OR split_part(p_type, '.', 1) || '.*' = ANY (p_types)
$$;

CREATE OR REPLACE FUNCTION koop.webhook_create(p_id uuid, p_body jsonb, p_secret text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    -- only events committed from now on: the latest id handed out (koop.event_horizon)
    INSERT INTO webhooks (tenant_id, id, url, types, description, secret, active, cursor)
    VALUES (koop.tenant(), p_id, p_body ->> 'url',
            ARRAY(SELECT jsonb_array_elements_text(p_body -> 'types')), p_body ->> 'description',
            p_secret, coalesce((p_body ->> 'active')::boolean, true),
            coalesce((SELECT max(id) FROM events WHERE tenant_id = koop.tenant()
                      AND id < koop.event_horizon()), 0))
    RETURNING * INTO w;
    PERFORM koop.audit('create', 'webhook', w.id, 201);
    RETURN koop.webhook_json(w) || jsonb_build_object('secret', p_secret);
END $$;

CREATE OR REPLACE FUNCTION koop.webhook_get(p_parent uuid, p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT koop.webhook_json(w) FROM webhooks w WHERE w.tenant_id = koop.tenant() AND w.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION koop.webhook_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    SELECT * INTO w FROM webhooks WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('webhook');
    END IF;
    PERFORM koop.check_version(w.version, p_version);
    UPDATE webhooks SET
        url = coalesce(p_patch ->> 'url', url),
        types = CASE WHEN p_patch ? 'types'
                     THEN ARRAY(SELECT jsonb_array_elements_text(p_patch -> 'types')) ELSE types END,
        description = CASE WHEN p_patch ? 'description' THEN p_patch ->> 'description'
                           ELSE description END,
        active = coalesce((p_patch ->> 'active')::boolean, active),
        -- a new target is tried at once, and an idle subscription looks for work again
        next_attempt_at = CASE WHEN p_patch ? 'url' OR attempts = 0 THEN NULL
                               ELSE next_attempt_at END,
        version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO w;
    PERFORM koop.audit('update', 'webhook', w.id, 200);
    RETURN koop.webhook_json(w);
END $$;

CREATE OR REPLACE FUNCTION koop.webhook_delete(p_parent uuid, p_id uuid, p_version int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    SELECT * INTO w FROM webhooks WHERE tenant_id = koop.tenant() AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM koop.not_found('webhook');
    END IF;
    PERFORM koop.check_version(w.version, p_version);
    DELETE FROM webhooks WHERE tenant_id = koop.tenant() AND id = p_id;
    PERFORM koop.audit('delete', 'webhook', p_id, 204);
END $$;

-- Resumes a paused subscription from where it stopped: the event it gave up on is tried again
-- at once, with a fresh retry window.
CREATE OR REPLACE FUNCTION koop.webhook_resume(p_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    w webhooks;
BEGIN
    UPDATE webhooks SET status = 'active', paused_reason = NULL, paused_at = NULL, attempts = 0,
        first_attempt_at = NULL, next_attempt_at = NULL, version = version + 1, updated_at = now()
    WHERE tenant_id = koop.tenant() AND id = p_id RETURNING * INTO w;
    IF NOT FOUND THEN
        PERFORM koop.not_found('webhook');
    END IF;
    PERFORM koop.audit('update', 'webhook', w.id, 200);
    RETURN koop.webhook_json(w);
END $$;

-- Asks for one event to be sent again (once, as soon as the delivery thread can).
CREATE OR REPLACE FUNCTION koop.webhook_redeliver(p_id uuid, p_event bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d webhook_deliveries;
BEGIN
    PERFORM koop.webhook_must_see(p_id);
    IF NOT EXISTS (SELECT 1 FROM events WHERE tenant_id = koop.tenant() AND id = p_event) THEN
        PERFORM koop.not_found('event');
    END IF;
    INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, redeliver, next_attempt_at)
    VALUES (koop.tenant(), p_id, p_event, true, now())
    ON CONFLICT (tenant_id, webhook_id, event_id)
        DO UPDATE SET redeliver = true, next_attempt_at = now()
    RETURNING * INTO d;
    PERFORM koop.audit('update', 'webhook', p_id, 202);
    RETURN koop.webhook_delivery_json(d);
END $$;

CREATE OR REPLACE FUNCTION koop.webhook_must_see(p_id uuid) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = koop.tenant() AND id = p_id) THEN
        PERFORM koop.not_found('webhook');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION koop.webhook_delivery_json(d webhook_deliveries) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('event_id', d.event_id, 'attempts', d.attempts,
        'last_status', d.last_status, 'last_error', d.last_error,
        'first_attempt_at', koop.ts(d.first_attempt_at),
        'last_attempt_at', koop.ts(d.last_attempt_at),
        'next_attempt_at', koop.ts(d.next_attempt_at),
        'delivered_at', koop.ts(d.delivered_at), 'redeliver', d.redeliver)
$$;

-- The payload of an event: what the feed carries, no personal data.
CREATE OR REPLACE FUNCTION koop.webhook_payload(e events) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', e.id, 'type', e.type, 'resource', e.resource,
        'resource_id', e.resource_id, 'version', e.version, 'occurred_at', koop.ts(e.occurred_at))
$$;

-- ---------------------------------------------------------------------------
-- The delivery thread's side (no tenant; SECURITY DEFINER, across tenants).

-- Claims one piece of due work for p_lease seconds under lease p_token: a redelivery asked for,
-- else the head event of a subscription (the first event after its cursor of a subscribed
-- type). Rows are taken with SKIP LOCKED and leased, so several daemons never send the same
-- event of a subscription at once, and a daemon that dies mid-delivery loses its lease when it
-- expires. A subscription with nothing after its cursor has the cursor moved past the events it
-- does not subscribe to (only up to koop.event_horizon(), so nothing earlier can appear).
-- No row: nothing is due.
CREATE OR REPLACE FUNCTION koop.webhook_claim(p_token uuid, p_lease int)
RETURNS TABLE (kind text, tenant_id uuid, webhook_id uuid, url text, secret text,
               event_id bigint, payload text, attempts int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    w webhooks;
    d webhook_deliveries;
    e events;
    top bigint;
    horizon bigint := koop.event_horizon(); -- events below it are in their final order
BEGIN
    SELECT x.* INTO d FROM webhook_deliveries x
    WHERE x.redeliver AND (x.lease_until IS NULL OR x.lease_until < now())
    ORDER BY x.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        SELECT * INTO w FROM webhooks x WHERE x.tenant_id = d.tenant_id AND x.id = d.webhook_id;
        SELECT * INTO e FROM events x WHERE x.tenant_id = d.tenant_id AND x.id = d.event_id;
        UPDATE webhook_deliveries x SET lease_until = now() + make_interval(secs => p_lease),
            lease_token = p_token
        WHERE x.tenant_id = d.tenant_id AND x.webhook_id = d.webhook_id AND x.event_id = d.event_id;
        RETURN QUERY SELECT 'redeliver'::text, w.tenant_id, w.id, w.url, w.secret, e.id,
            koop.webhook_payload(e)::text, d.attempts;
        RETURN;
    END IF;
    FOR w IN SELECT x.* FROM webhooks x
             WHERE x.active AND x.status = 'active'
               AND (x.next_attempt_at IS NULL OR x.next_attempt_at <= now())
               AND (x.lease_until IS NULL OR x.lease_until < now())
             ORDER BY x.next_attempt_at NULLS FIRST, x.updated_at
             LIMIT 20 FOR UPDATE SKIP LOCKED LOOP
        SELECT x.* INTO e FROM events x
        WHERE x.tenant_id = w.tenant_id AND x.id > w.cursor AND x.id < horizon
          AND koop.webhook_matches(w.types, x.type)
        ORDER BY x.id LIMIT 1;
        IF FOUND THEN
            UPDATE webhooks x SET lease_until = now() + make_interval(secs => p_lease),
                lease_token = p_token
            WHERE x.tenant_id = w.tenant_id AND x.id = w.id;
            RETURN QUERY SELECT 'next'::text, w.tenant_id, w.id, w.url, w.secret, e.id,
                koop.webhook_payload(e)::text, w.attempts;
            RETURN;
        END IF;
        -- nothing to send: skip what it does not subscribe to, and look again when an event
        -- of the tenant wakes it (koop.webhook_wake) or in 30 s at the latest
        -- (committed events above the horizon: an older transaction still runs; soon again)
        SELECT max(x.id) INTO top FROM events x
        WHERE x.tenant_id = w.tenant_id AND x.id > w.cursor AND x.id < horizon;
        UPDATE webhooks x SET cursor = coalesce(top, x.cursor),
            next_attempt_at = now() + CASE WHEN EXISTS (SELECT 1 FROM events y
                WHERE y.tenant_id = w.tenant_id AND y.id >= horizon) THEN interval '200 milliseconds'
                ELSE interval '30 seconds' END
        WHERE x.tenant_id = w.tenant_id AND x.id = w.id;
    END LOOP;
END $$;

-- An event committed in p_tenant (NULL: in any): its idle subscriptions (no head being
-- retried) are due again at once.
CREATE OR REPLACE FUNCTION koop.webhook_wake(p_tenant uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE webhooks SET next_attempt_at = NULL
    WHERE (p_tenant IS NULL OR tenant_id = p_tenant) AND attempts = 0
      AND next_attempt_at IS NOT NULL AND active AND status = 'active'
$$;

-- Records one attempt of a claimed event (p_kind and p_token as claimed): p_status is the HTTP
-- status (NULL when no answer came, with p_error saying why); 2xx is delivered. A delivered head
-- moves the cursor; a failed one is retried after p_base_ms doubling per attempt up to p_cap_ms,
-- until p_max_age seconds after its first attempt, when the subscription pauses. Returns
-- 'delivered', 'retry', 'paused' or 'lost' (the lease had expired and another took it).
CREATE OR REPLACE FUNCTION koop.webhook_record(p_kind text, p_token uuid, p_tenant uuid,
    p_webhook uuid, p_event bigint, p_status int, p_error text, p_base_ms bigint, p_cap_ms bigint,
    p_max_age int) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    w webhooks;
    ok boolean := p_status BETWEEN 200 AND 299;
    n int;
    delay interval;
    outcome text;
BEGIN
    IF p_kind = 'redeliver' THEN
        UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = p_status,
            last_error = left(p_error, 300), last_attempt_at = now(),
            first_attempt_at = coalesce(first_attempt_at, now()),
            delivered_at = CASE WHEN ok THEN now() ELSE delivered_at END,
            redeliver = false, next_attempt_at = NULL, lease_until = NULL, lease_token = NULL
        WHERE tenant_id = p_tenant AND webhook_id = p_webhook AND event_id = p_event
          AND lease_token = p_token;
        RETURN CASE WHEN NOT FOUND THEN 'lost' WHEN ok THEN 'delivered' ELSE 'failed' END;
    END IF;
    SELECT * INTO w FROM webhooks WHERE tenant_id = p_tenant AND id = p_webhook
        AND lease_token = p_token FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'lost';
    END IF;
    n := w.attempts + 1;
    delay := make_interval(secs => least(p_cap_ms::float8,
                 p_base_ms::float8 * power(2, least(n - 1, 40))) / 1000.0);
    IF ok THEN
        outcome := 'delivered';
        UPDATE webhooks SET cursor = p_event, attempts = 0, first_attempt_at = NULL,
            next_attempt_at = NULL, lease_until = NULL, lease_token = NULL
        WHERE tenant_id = p_tenant AND id = p_webhook;
    ELSIF now() - coalesce(w.first_attempt_at, now()) >= make_interval(secs => p_max_age) THEN
        outcome := 'paused';
        UPDATE webhooks SET status = 'paused', paused_at = now(), attempts = n,
            paused_reason = format('event %s was not delivered within %s s of its first attempt '
                                   '(%s attempts; last: %s)', p_event, p_max_age, n,
                                   coalesce(p_status::text, left(p_error, 200))),
            next_attempt_at = NULL, lease_until = NULL, lease_token = NULL,
            version = version + 1, updated_at = now()
        WHERE tenant_id = p_tenant AND id = p_webhook;
    ELSE
        outcome := 'retry';
        UPDATE webhooks SET attempts = n, first_attempt_at = coalesce(first_attempt_at, now()),
            next_attempt_at = now() + delay, lease_until = NULL, lease_token = NULL
        WHERE tenant_id = p_tenant AND id = p_webhook;
    END IF;
    INSERT INTO webhook_deliveries AS d (tenant_id, webhook_id, event_id, attempts, last_status,
        last_error, first_attempt_at, last_attempt_at, next_attempt_at, delivered_at)
    VALUES (p_tenant, p_webhook, p_event, 1, p_status, left(p_error, 300), now(), now(),
            CASE WHEN outcome = 'retry' THEN now() + delay END,
            CASE WHEN ok THEN now() END)
    ON CONFLICT (tenant_id, webhook_id, event_id) DO UPDATE SET attempts = d.attempts + 1,
        last_status = excluded.last_status, last_error = excluded.last_error,
        last_attempt_at = now(), next_attempt_at = excluded.next_attempt_at,
        delivered_at = coalesce(excluded.delivered_at, d.delivered_at);
    RETURN outcome;
END $$;

-- For /metrics: how far the subscriptions are behind (events not yet delivered, oldest first).
CREATE OR REPLACE FUNCTION koop.webhook_lag() RETURNS TABLE (pending bigint, oldest_s float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*), coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::float8
    FROM webhooks w JOIN LATERAL (
        SELECT x.occurred_at FROM events x
        WHERE x.tenant_id = w.tenant_id AND x.id > w.cursor AND koop.webhook_matches(w.types, x.type)
        ORDER BY x.id LIMIT 1) e ON true
    WHERE w.active AND w.status = 'active'
$$;

-- The delivery thread's entry points work across tenants (SECURITY DEFINER): not for PUBLIC.
REVOKE ALL ON FUNCTION koop.webhook_claim(uuid, int), koop.webhook_wake(uuid),
    koop.webhook_record(text, uuid, uuid, uuid, bigint, int, text, bigint, bigint, int),
    koop.webhook_lag() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION koop.webhook_claim(uuid, int), koop.webhook_wake(uuid),
    koop.webhook_record(text, uuid, uuid, uuid, bigint, int, text, bigint, bigint, int),
    koop.webhook_lag() TO koop_app;
