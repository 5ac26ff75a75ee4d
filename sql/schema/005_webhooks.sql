-- 005: webhooks (issue 13 point 3): a tenant's subscriptions to the change feed, delivered as
-- signed POSTs (Standard Webhooks) by a delivery thread of the daemon; the delivery state lives
-- here so that it survives restarts and is shared by several daemons.

CREATE TABLE webhooks (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    types text[] NOT NULL CHECK (cardinality(types) BETWEEN 1 AND 50),
    description text CHECK (length(description) <= 500),
    secret text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    active boolean NOT NULL DEFAULT true,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_reason text,
    paused_at timestamptz,
    cursor bigint NOT NULL DEFAULT 0,
    attempts int NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    next_attempt_at timestamptz,
    lease_until timestamptz,
    lease_token uuid,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE webhooks IS 'Webhook subscriptions. cursor is the id of the last event delivered or '
    'given up (the next matching event after it is the head, retried until delivered or the '
    'retry window ends, then status paused); attempts/first_attempt_at/next_attempt_at are the '
    'head''s; lease_* mark the daemon delivering it now. secret is never shown after creation.';
CREATE INDEX webhooks_created ON webhooks (tenant_id, created_at, id);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE active AND status = 'active';
COMMENT ON INDEX webhooks_due IS 'koop.webhook_claim';

CREATE TABLE webhook_deliveries (
    tenant_id uuid NOT NULL,
    webhook_id uuid NOT NULL,
    event_id bigint NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    last_status int,
    last_error text CHECK (length(last_error) <= 300),
    first_attempt_at timestamptz,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    delivered_at timestamptz,
    redeliver boolean NOT NULL DEFAULT false,
    lease_until timestamptz,
    lease_token uuid,
    PRIMARY KEY (tenant_id, webhook_id, event_id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE webhook_deliveries IS 'The delivery log: one row per subscription and event tried.';
CREATE INDEX webhook_redeliver ON webhook_deliveries (webhook_id) WHERE redeliver;
COMMENT ON INDEX webhook_redeliver IS 'koop.webhook_claim';

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY webhooks_scope ON webhooks USING (koop.tenant_ok(tenant_id));
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_scope ON webhook_deliveries USING (koop.tenant_ok(tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks, webhook_deliveries TO koop_app;
