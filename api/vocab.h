/* The closed vocabularies of the API, each declared once: sectors, categories,
 * statuses, roles and the like. Field and filter specs in api/ point at
 * these arrays; the registry koop_vocabs[] names, for each, the SQL CHECK
 * constraint and the openapi.yaml schema it must equal, and tests compare the
 * three (tests/http/vocab.c against the database, tests/unit/vocab_spec.c
 * against openapi.yaml). Add a value here, in a new sql/schema/NNN_*.sql that
 * replaces the CHECK, and in openapi.yaml — the tests say which one is missing.
 * Every array is NULL-terminated and lives for the program's lifetime. */
#ifndef KOOP_VOCAB_H
#define KOOP_VOCAB_H

/* accounts */
extern const char *const koop_tenant_kinds[];
extern const char *const koop_voivodeships[];
extern const char *const koop_roles[];
extern const char *const koop_audit_actions[];
/* partners */
extern const char *const koop_sectors[];
extern const char *const koop_partner_statuses[];
/* the basket of services */
extern const char *const koop_service_categories[];
extern const char *const koop_target_groups[];
extern const char *const koop_service_statuses[];
extern const char *const koop_weekdays[];
/* families */
extern const char *const koop_family_statuses[];
extern const char *const koop_closure_reasons[];
extern const char *const koop_problem_codes[];
extern const char *const koop_member_relations[];
extern const char *const koop_sexes[];
extern const char *const koop_consent_scopes[];
extern const char *const koop_consent_statuses[];
/* task teams and the plan */
extern const char *const koop_task_team_statuses[];
extern const char *const koop_team_member_kinds[];
extern const char *const koop_team_member_roles[];
extern const char *const koop_goal_statuses[];
extern const char *const koop_action_statuses[];
extern const char *const koop_held_from_statuses[];
extern const char *const koop_referral_reasons[];
/* partnership */
extern const char *const koop_meeting_kinds[];
extern const char *const koop_currencies[];
extern const char *const koop_indicator_sources[];
/* reports */
extern const char *const koop_report_names[];
/* webhooks */
extern const char *const koop_webhook_statuses[];

struct koop_vocab {
    const char *name;          /* NULL terminates koop_vocabs[] */
    const char *const *values; /* one of the arrays above */
    /* "table.column" whose CHECK (column IN (...)) holds exactly these values,
     * or NULL where the schema has none (arrays, JSON, computed values) */
    const char *check;
    /* openapi.yaml components.schemas name with this enum ("Schema.property"
     * for an enum inline in a property), or NULL when the spec has none */
    const char *openapi;
};

extern const struct koop_vocab koop_vocabs[];

#endif
