-- 002: the schema of version 0.1.0 (tables, constraints, indexes, row-level security, grants),
-- taken from its ten migration files without their functions, which now live in sql/functions/.
-- A database that 0.1.0 migrated carries the same schema: `kooperd migrate` recognises it by the
-- checksums 0.1.0 recorded (server/migrate.c) and records it as 001 + 002 without running them.

-- ===========================================================================
-- from 0.1.0's 001_core.sql

-- ---------------------------------------------------------------------------
-- Tenants: municipalities and counties. Platform level: no tenant_id of
-- their own beyond id.

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    teryt text NOT NULL UNIQUE CHECK (teryt ~ '^([0-9]{4}|[0-9]{7})$'),
    kind text NOT NULL CHECK (kind IN ('gmina_miejska', 'gmina_wiejska', 'gmina_miejsko_wiejska',
                                       'powiat', 'miasto_na_prawach_powiatu')),
    voivodeship text NOT NULL,
    active boolean NOT NULL DEFAULT true,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenants IS 'Municipalities (gmina) and counties (powiat) running a cooperation.';

-- ---------------------------------------------------------------------------
-- Users and tokens.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role text NOT NULL CHECK (role IN ('platform_admin', 'admin', 'coordinator', 'social_worker',
                                       'partner_staff', 'auditor', 'regional_analyst')),
    partner_id uuid,
    active boolean NOT NULL DEFAULT true,
    granted_tenant_ids uuid[] NOT NULL DEFAULT '{}',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- platform roles have no tenant; every other role has one
    CHECK ((role IN ('platform_admin', 'regional_analyst')) = (tenant_id IS NULL)),
    CHECK ((role = 'partner_staff') = (partner_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email)) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX users_platform_email ON users (lower(email)) WHERE tenant_id IS NULL;
CREATE INDEX users_tenant_created ON users (tenant_id, created_at, id);
COMMENT ON INDEX users_tenant_created IS 'user_list keyset pages';

CREATE TABLE tokens (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    user_id uuid NOT NULL REFERENCES users (id),
    name text CHECK (length(name) BETWEEN 1 AND 100),
    hash text NOT NULL UNIQUE CHECK (length(hash) = 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
COMMENT ON TABLE tokens IS 'Bearer tokens, stored as SHA-256 of the secret; the secret is shown once.';
CREATE INDEX tokens_user ON tokens (user_id, created_at);

-- ---------------------------------------------------------------------------
-- Events (the change feed) and audit.

CREATE TABLE events (
    id bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    type text NOT NULL,
    resource text NOT NULL,
    resource_id uuid NOT NULL,
    version int,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tenant_id ON events (tenant_id, id);
COMMENT ON TABLE events IS 'Committed changes, no personal data. Within a tenant ids are assigned '
    'under a per-tenant transaction lock held to commit, so id order is commit order and a '
    'reader following ids never skips an event.';

CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id),
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id uuid,
    token_id uuid,
    action text NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete', 'transition',
                                           'export', 'anonymize', 'login_failed')),
    resource text NOT NULL,
    resource_id uuid,
    ip text,
    request_id text,
    status int NOT NULL
);
CREATE INDEX audit_tenant_id ON audit_events (tenant_id, id);
CREATE INDEX audit_tenant_resource ON audit_events (tenant_id, resource, resource_id, id);
COMMENT ON TABLE audit_events IS 'Append-only record of access and changes; UPDATE, DELETE and '
    'TRUNCATE are refused by triggers, for every role.';

-- ---------------------------------------------------------------------------
-- Idempotency keys: scoped to user + method + path, kept 24 hours.

CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id),
    method text NOT NULL,
    path text NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    tenant_id uuid REFERENCES tenants (id),
    body_hash text NOT NULL,
    status int,
    body text,
    version text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, method, path, key)
);
COMMENT ON TABLE idempotency_keys IS 'Responses to POSTs sent with Idempotency-Key, replayed on retry.';

-- ---------------------------------------------------------------------------
-- Row-level security, forced, on every table.

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants
    USING (koop.tenant_ok(id) OR koop.role() = 'platform_admin');

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_scope ON users
    USING (koop.tenant_ok(tenant_id) OR koop.role() = 'platform_admin' OR id = koop.user_id());

ALTER TABLE tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tokens_scope ON tokens
    USING (koop.tenant_ok(tenant_id) OR koop.role() = 'platform_admin'
           OR user_id = koop.user_id());

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_scope ON events USING (koop.tenant_ok(tenant_id));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit_events FOR SELECT USING (koop.tenant_ok(tenant_id));
-- platform-level callers (no tenant) write platform-level rows
CREATE POLICY audit_write ON audit_events FOR INSERT
    WITH CHECK (koop.tenant_ok(tenant_id) OR (tenant_id IS NULL AND koop.tenant() IS NULL));

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idem_scope ON idempotency_keys
    USING (user_id = koop.user_id() OR current_user <> 'koop_app');

GRANT SELECT, INSERT, UPDATE ON tenants, users, tokens TO koop_app;
GRANT SELECT, INSERT ON events, audit_events TO koop_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO koop_app;
GRANT USAGE ON SEQUENCE events_id_seq, audit_events_id_seq TO koop_app;
-- ===========================================================================
-- from 0.1.0's 003_partners.sql
-- 003: partners of the partnership team (PZK), their cooperation agreements
-- and the register of mutual benefits.

CREATE TABLE partners (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    short_name text CHECK (length(short_name) <= 60),
    sector text NOT NULL CHECK (sector IN ('social_assistance', 'family_support', 'labour',
        'education', 'health', 'addiction', 'crisis_intervention', 'police', 'municipal_guard',
        'justice', 'housing', 'ngo', 'culture_sport', 'local_government', 'other')),
    is_leader boolean NOT NULL DEFAULT false,
    nip text CHECK (nip ~ '^[0-9]{10}$'),
    regon text CHECK (regon ~ '^([0-9]{9}|[0-9]{14})$'),
    krs text CHECK (krs ~ '^[0-9]{10}$'),
    address jsonb,
    website text CHECK (length(website) <= 2000),
    contacts jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contacts) = 'array'),
    competences text CHECK (length(competences) <= 4000),
    status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'declared', 'active',
        'suspended', 'withdrawn')),
    declaration jsonb NOT NULL DEFAULT '{}',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE partners IS 'Institutions and organisations of a tenant''s partnership team.';
CREATE UNIQUE INDEX partners_nip ON partners (tenant_id, nip) WHERE nip IS NOT NULL;
CREATE UNIQUE INDEX partners_one_leader ON partners (tenant_id) WHERE is_leader;
CREATE INDEX partners_created ON partners (tenant_id, created_at, id);
COMMENT ON INDEX partners_created IS 'partner_list default sort';
CREATE INDEX partners_name ON partners (tenant_id, lower(name), id);
COMMENT ON INDEX partners_name IS 'partner_list sort=name';
CREATE INDEX partners_updated ON partners (tenant_id, updated_at, id);
COMMENT ON INDEX partners_updated IS 'partner_list sort=updated_at and updated_since';
CREATE INDEX partners_search ON partners USING gin (koop.norm(name || ' ' || coalesce(short_name, '')) gin_trgm_ops);
COMMENT ON INDEX partners_search IS 'partner_list ?q=';

ALTER TABLE users ADD FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id);

CREATE TABLE partner_agreements (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    partner_id uuid NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    scope text CHECK (length(scope) <= 4000),
    signed_on date NOT NULL,
    valid_from date,
    valid_until date,
    document_ref text CHECK (length(document_ref) <= 500),
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from)
);
COMMENT ON TABLE partner_agreements IS 'Cooperation agreements (porozumienia) with a partner.';
CREATE INDEX agreements_partner ON partner_agreements (tenant_id, partner_id, created_at, id);

CREATE TABLE partner_benefits (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    partner_id uuid NOT NULL,
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    beneficiary_partner_id uuid,
    recorded_on date NOT NULL,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    FOREIGN KEY (tenant_id, beneficiary_partner_id) REFERENCES partners (tenant_id, id)
);
COMMENT ON TABLE partner_benefits IS 'Register of mutual benefits (rejestr wzajemnych korzyści): '
    'what a partner gained from the cooperation; beneficiary NULL means all partners.';
CREATE INDEX benefits_partner ON partner_benefits (tenant_id, partner_id, created_at, id);

ALTER TABLE partners ENABLE ROW LEVEL SECURITY;
ALTER TABLE partners FORCE ROW LEVEL SECURITY;
CREATE POLICY partners_scope ON partners USING (koop.tenant_ok(tenant_id));
ALTER TABLE partner_agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_agreements FORCE ROW LEVEL SECURITY;
CREATE POLICY agreements_scope ON partner_agreements USING (koop.tenant_ok(tenant_id));
ALTER TABLE partner_benefits ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_benefits FORCE ROW LEVEL SECURITY;
CREATE POLICY benefits_scope ON partner_benefits USING (koop.tenant_ok(tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON partners, partner_agreements, partner_benefits TO koop_app;
-- ===========================================================================
-- from 0.1.0's 004_services.sql
-- 004: the local basket of services (lokalny koszyk usług), SPEC §5 Services.
-- A service belongs to a partner of the same tenant. Search works on a
-- normalised text (lower case, no diacritics) of the service's name,
-- description, eligibility and its partner's name, indexed by trigrams.

CREATE TABLE services (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    partner_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    description text CHECK (length(description) <= 8000),
    category text NOT NULL CHECK (category IN ('vocational_activation', 'job_placement',
        'training', 'psychological_support', 'addiction_therapy', 'family_assistant',
        'legal_advice', 'debt_advice', 'health_care', 'rehabilitation', 'day_support_children',
        'education_support', 'housing', 'material_aid', 'crisis_intervention', 'leisure_sport',
        'other')),
    target_groups text[] NOT NULL DEFAULT '{}',
    eligibility text CHECK (length(eligibility) <= 4000),
    how_to_access text CHECK (length(how_to_access) <= 4000),
    requires_referral boolean NOT NULL DEFAULT false,
    cost jsonb NOT NULL DEFAULT '{"free": true, "description": null}',
    capacity_available int CHECK (capacity_available >= 0),
    capacity_maximum int CHECK (capacity_maximum >= 0),
    capacity_unit text CHECK (length(capacity_unit) <= 60),
    capacity_updated_at timestamptz,
    capacity_updated_by uuid,
    locations jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(locations) = 'array'),
    contact jsonb,
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'suspended',
                                                           'retired')),
    valid_from date,
    valid_until date,
    verified_on date,
    search text NOT NULL DEFAULT '',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from),
    CHECK (capacity_maximum IS NULL OR capacity_available IS NULL
           OR capacity_available <= capacity_maximum)
);
COMMENT ON TABLE services IS 'The local basket of services: what partners offer to people and families.';
COMMENT ON COLUMN services.search IS 'koop.norm() of name, description, eligibility and the partner''s name; kept by koop.service_search() and the partners_rename trigger';
CREATE INDEX services_created ON services (tenant_id, created_at, id);
COMMENT ON INDEX services_created IS 'service_list default sort';
CREATE INDEX services_name ON services (tenant_id, lower(name), id);
CREATE INDEX services_updated ON services (tenant_id, updated_at, id);
CREATE INDEX services_partner ON services (tenant_id, partner_id);
CREATE INDEX services_search ON services USING gin (search gin_trgm_ops);
COMMENT ON INDEX services_search IS 'service_list ?q= (LIKE per word, word_similarity ranking)';

ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY services_scope ON services USING (koop.tenant_ok(tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON services TO koop_app;
-- ===========================================================================
-- from 0.1.0's 006_families.sql
-- 006: families, their members and consents (SPEC §5 Families, §6, §7).
-- Special-category personal data: every read and write is audited in the
-- same transaction, visibility is part of every query (koop.family_visible),
-- partner staff never see PESEL or address, events carry ids only.

ALTER TABLE audit_events ADD COLUMN resource_ids uuid[];
COMMENT ON COLUMN audit_events.resource_ids IS 'for list reads: the ids returned';

CREATE TABLE family_counters (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    year int NOT NULL,
    last int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, year)
);
COMMENT ON TABLE family_counters IS 'Reference numbers per tenant and year: the row is locked by '
    'the creating transaction, so numbers are gapless (a rollback returns the number) and unique.';

CREATE TABLE families (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    reference_number text NOT NULL,
    district text CHECK (length(district) <= 100),
    address jsonb,
    status text NOT NULL DEFAULT 'referred' CHECK (status IN ('referred', 'diagnosed',
        'in_support', 'monitoring', 'closed')),
    assigned_worker_id uuid REFERENCES users (id),
    external_ref text CHECK (length(external_ref) <= 100),
    problems jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(problems) = 'array'),
    generations int CHECK (generations BETWEEN 1 AND 6),
    closure_reason text CHECK (closure_reason IN ('goals_achieved', 'partially_achieved',
        'resigned', 'moved_out', 'other')),
    closed_on date,
    anonymized_at timestamptz,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, reference_number),
    CHECK ((status = 'closed') = (closure_reason IS NOT NULL))
);
COMMENT ON TABLE families IS 'Supported households (cases). Personal data: address, external_ref, problem notes.';
CREATE INDEX families_created ON families (tenant_id, created_at, id);
CREATE INDEX families_updated ON families (tenant_id, updated_at, id);
CREATE INDEX families_worker ON families (tenant_id, assigned_worker_id);
COMMENT ON INDEX families_worker IS 'social workers'' visibility and ?assigned_worker_id=';

CREATE TABLE family_members (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    family_id uuid NOT NULL,
    first_name text CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name text CHECK (length(last_name) BETWEEN 1 AND 100),
    birth_date date,
    birth_year int,
    pesel text CHECK (pesel ~ '^[0-9]{11}$'),
    sex text CHECK (sex IN ('female', 'male')),
    relation text NOT NULL CHECK (relation IN ('head', 'spouse', 'partner', 'child', 'grandchild',
        'parent', 'grandparent', 'sibling', 'other')),
    generation int CHECK (generation BETWEEN 1 AND 6),
    search text NOT NULL DEFAULT '',
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
COMMENT ON TABLE family_members IS 'People of a family. A PESEL is unique per tenant, so a person '
    'belongs to one family at a time. Anonymisation nulls names, PESEL and birth_date (birth_year stays).';
CREATE UNIQUE INDEX members_pesel ON family_members (tenant_id, pesel) WHERE pesel IS NOT NULL;
CREATE INDEX members_family ON family_members (tenant_id, family_id, created_at, id);
CREATE INDEX members_search ON family_members USING gin (search gin_trgm_ops);
COMMENT ON INDEX members_search IS 'family_list ?q= over members'' names';

CREATE TABLE consents (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    family_id uuid NOT NULL,
    member_id uuid NOT NULL,
    scope text NOT NULL CHECK (scope IN ('processing', 'sharing_with_team', 'sharing_with_partner')),
    partner_id uuid,
    purpose text CHECK (length(purpose) <= 1000),
    given_on date NOT NULL,
    valid_until date,
    withdrawn_on date,
    withdrawal_reason text CHECK (length(withdrawal_reason) <= 500),
    document_ref text CHECK (length(document_ref) <= 200),
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES family_members (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    CHECK ((scope = 'sharing_with_partner') = (partner_id IS NOT NULL)),
    CHECK (valid_until IS NULL OR valid_until >= given_on)
);
COMMENT ON TABLE consents IS 'A family''s consents to processing and sharing; status is computed '
    'from the dates (withdrawn, expired, active) in Europe/Warsaw.';
CREATE INDEX consents_family ON consents (tenant_id, family_id, created_at, id);

ALTER TABLE family_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY counters_scope ON family_counters USING (koop.tenant_ok(tenant_id));
ALTER TABLE families ENABLE ROW LEVEL SECURITY;
ALTER TABLE families FORCE ROW LEVEL SECURITY;
CREATE POLICY families_scope ON families USING (koop.tenant_ok(tenant_id));
ALTER TABLE family_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_scope ON family_members USING (koop.tenant_ok(tenant_id));
ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
CREATE POLICY consents_scope ON consents USING (koop.tenant_ok(tenant_id));
GRANT SELECT, INSERT, UPDATE ON family_counters, families, family_members, consents TO koop_app;
GRANT DELETE ON family_members TO koop_app;
-- ===========================================================================
-- from 0.1.0's 007_task_teams.sql
-- 007: task teams (ZZK), their members, meetings and plan (goals, actions),
-- and closed-loop referrals (SPEC §5 Task teams, Referrals; §6; §7; §9).
-- Replaces koop.family_visible so that social workers see families whose
-- team they moderate or belong to, and partner staff see families through an
-- open team with a current representative of their partner and a consent
-- that covers it.

CREATE TABLE task_teams (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    family_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'forming' CHECK (status IN ('forming', 'active', 'closed')),
    moderator_id uuid REFERENCES users (id),
    formed_on date,
    closed_on date,
    plan_version int NOT NULL DEFAULT 0,
    plan_agreed_on date,
    agreed_by_member_id uuid,
    agreed_plan_version int,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
COMMENT ON TABLE task_teams IS 'Zadaniowy Zespół Kooperacyjny: the team formed around one family.';
CREATE UNIQUE INDEX task_teams_one_open ON task_teams (tenant_id, family_id) WHERE status <> 'closed';
COMMENT ON INDEX task_teams_one_open IS 'at most one open team per family';
CREATE INDEX task_teams_created ON task_teams (tenant_id, created_at, id);

CREATE TABLE team_members (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('partner_representative', 'social_worker', 'family_member')),
    partner_id uuid,
    person_name text CHECK (length(person_name) BETWEEN 1 AND 200),
    user_id uuid REFERENCES users (id),
    member_id uuid,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('moderator', 'member')),
    joined_on date NOT NULL,
    left_on date,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES task_teams (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES family_members (tenant_id, id),
    CHECK (left_on IS NULL OR left_on >= joined_on)
);
CREATE INDEX team_members_team ON team_members (tenant_id, team_id, created_at, id);
CREATE INDEX team_members_partner ON team_members (tenant_id, partner_id) WHERE left_on IS NULL;
COMMENT ON INDEX team_members_partner IS 'partner staff visibility: current representatives';

CREATE TABLE team_meetings (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    held_on date NOT NULL,
    place text CHECK (length(place) <= 200),
    attendee_ids uuid[] NOT NULL DEFAULT '{}',
    agenda text CHECK (length(agenda) <= 4000),
    decisions text CHECK (length(decisions) <= 8000),
    next_meeting_on date,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES task_teams (tenant_id, id)
);
CREATE INDEX team_meetings_team ON team_meetings (tenant_id, team_id, created_at, id);

CREATE TABLE plan_goals (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    measure text CHECK (length(measure) <= 1000),
    target_date date,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'achieved',
        'partially_achieved', 'not_achieved')),
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES task_teams (tenant_id, id)
);
CREATE INDEX plan_goals_team ON plan_goals (tenant_id, team_id, created_at, id);

CREATE TABLE plan_actions (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    team_id uuid NOT NULL,
    goal_id uuid NOT NULL,
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    service_id uuid,
    partner_id uuid,
    member_ids uuid[] NOT NULL DEFAULT '{}',
    due_on date,
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'referred', 'accepted',
        'declined', 'in_progress', 'on_hold', 'completed', 'failed', 'cancelled')),
    held_from text CHECK (held_from IN ('referred', 'accepted', 'in_progress')),
    status_reason text CHECK (length(status_reason) <= 500),
    outcome text CHECK (length(outcome) <= 2000),
    capacity_warning boolean NOT NULL DEFAULT false,
    referred_at timestamptz,
    accepted_at timestamptz,
    completed_at timestamptz,
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES task_teams (tenant_id, id),
    FOREIGN KEY (tenant_id, goal_id) REFERENCES plan_goals (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id),
    CHECK ((status = 'on_hold') = (held_from IS NOT NULL))
);
COMMENT ON TABLE plan_actions IS 'Actions of a support plan; an action with a service, once '
    'referred, is a referral to the service''s partner (its id is the referral''s id).';
CREATE INDEX plan_actions_team ON plan_actions (tenant_id, team_id, created_at, id);
CREATE INDEX plan_actions_partner ON plan_actions (tenant_id, partner_id, updated_at, id)
    WHERE service_id IS NOT NULL AND referred_at IS NOT NULL;
COMMENT ON INDEX plan_actions_partner IS 'referral_list of a partner';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['task_teams', 'team_members', 'team_meetings', 'plan_goals',
                             'plan_actions'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (koop.tenant_ok(tenant_id))', t || '_scope', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO koop_app', t);
    END LOOP;
END $$;
GRANT DELETE ON team_meetings TO koop_app;
CREATE INDEX events_resource ON events (tenant_id, resource_id);
COMMENT ON INDEX events_resource IS 'team_timeline';
-- ===========================================================================
-- from 0.1.0's 008_feed.sql

-- A page of the feed: at most p_limit visible events after p_after, looking
-- at no more than 1000 events per call; next_after moves past what was
-- looked at, so a filtered or hidden stretch is skipped, never re-read.
-- Within a tenant ids are committed in order (koop.emit), so a reader
-- following next_after never misses an event that commits later.

-- ===========================================================================
-- from 0.1.0's 009_partnership.sql
-- 009: how the cooperation itself works: partnership meetings and funded
-- projects with their indicators (SPEC §5 Meetings, Projects).

CREATE TABLE meetings (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('partnership_team', 'working_group', 'educational',
                                       'ceremony', 'other')),
    held_on date NOT NULL,
    place text CHECK (length(place) <= 200),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    partner_ids uuid[] NOT NULL DEFAULT '{}',
    agenda text CHECK (length(agenda) <= 8000),
    minutes text CHECK (length(minutes) <= 20000),
    decisions text CHECK (length(decisions) <= 8000),
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE meetings IS 'Partnership-level meetings (PZK, working groups, educational meetings).';
CREATE INDEX meetings_held ON meetings (tenant_id, held_on, id);
CREATE INDEX meetings_created ON meetings (tenant_id, created_at, id);

CREATE TABLE projects (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    programme text CHECK (length(programme) <= 300),
    call_number text CHECK (length(call_number) <= 100),
    leader_partner_id uuid,
    partner_ids uuid[] NOT NULL DEFAULT '{}',
    starts_on date,
    ends_on date,
    total_value bigint CHECK (total_value >= 0),
    eu_cofinancing bigint CHECK (eu_cofinancing >= 0),
    currency text NOT NULL DEFAULT 'PLN' CHECK (currency IN ('PLN', 'EUR')),
    indicators jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(indicators) = 'array'),
    version int NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, leader_partner_id) REFERENCES partners (tenant_id, id),
    CHECK (eu_cofinancing IS NULL OR total_value IS NULL OR eu_cofinancing <= total_value),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
COMMENT ON TABLE projects IS 'Funded projects; money in grosze (integer) with currency.';
CREATE INDEX projects_created ON projects (tenant_id, created_at, id);

CREATE TABLE project_families (
    tenant_id uuid NOT NULL,
    project_id uuid NOT NULL,
    family_id uuid NOT NULL,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, project_id, family_id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
COMMENT ON TABLE project_families IS 'Families supported within a project (its indicators count them).';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['meetings', 'projects', 'project_families'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (koop.tenant_ok(tenant_id))', t || '_scope', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO koop_app', t);
    END LOOP;
END $$;
