/* Families, their members and consents — special-category personal data
 * (SPEC §5 Families, §6, §7, issue: privacy and audit built in):
 *   GET|POST /v1/families, GET|PATCH /v1/families/{family_id}
 *   POST /v1/families/{family_id}/transitions     referred → diagnosed → in_support ⇄
 *                                                 monitoring; → closed (closure reason); reopen
 *   GET|POST /v1/families/{family_id}/members, GET|PATCH|DELETE .../members/{member_id}
 *   GET|POST /v1/families/{family_id}/consents, GET .../consents/{consent_id}
 *   POST /v1/families/{family_id}/consents/{consent_id}/withdraw
 *   GET  /v1/families/{family_id}/export          GDPR: everything held, one document
 *   POST /v1/families/{family_id}/anonymize       admin, If-Match, irreversible
 * Visibility is decided in SQL (koop.family_visible); every read and write is
 * audited in the same transaction; a denied access is audited on its own.
 * SQL: sql/functions/families.sql. */
#include "api.h"
#include "vocab.h"
#include "identifiers.h"

#include "../server/db.h"
#include "../server/problem.h"

#include <stdlib.h>
#include <string.h>

static const struct fs_field problem_fields[] = {
    {.name = "code", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_problem_codes},
    {.name = "notes", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 2000},
    {.name = NULL}};
static const struct fs_field problem_item = {.type = FS_OBJECT, .sub = problem_fields};

static const struct fs_field family_fields[] = {
    {.name = "district", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 100},
    {.name = "address", .type = FS_OBJECT, .flags = FS_NULLABLE, .sub = koop_address_fields},
    {.name = "assigned_worker_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "external_ref", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 100},
    {.name = "problems", .type = FS_ARRAY, .max = 13, .item = &problem_item},
    {.name = "generations", .type = FS_INT, .flags = FS_NULLABLE, .min = 1, .max = 6},
    {.name = "reference_number", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "closure_reason", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "closed_on", .type = FS_DATE, .flags = FS_READONLY},
    {.name = "members_count", .type = FS_INT, .flags = FS_READONLY},
    {.name = "anonymized", .type = FS_BOOL, .flags = FS_READONLY},
    {.name = NULL}};

static const struct koop_filter family_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_family_statuses},
     "t.status = $1->>'status'"},
    {{.name = "district", .type = FS_STRING, .min = 1, .max = 100}, "t.district = $1->>'district'"},
    {{.name = "problem", .type = FS_ENUM, .values = koop_problem_codes},
     "t.problems @> jsonb_build_array(jsonb_build_object('code', $1->>'problem'))"},
    {{.name = "assigned_worker_id", .type = FS_UUID},
     "t.assigned_worker_id = ($1->>'assigned_worker_id')::uuid"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = "q", .type = FS_STRING, .min = 2, .max = 100},
     "t.reference_number = $1->>'q' OR t.external_ref = $1->>'q'"
     " OR EXISTS (SELECT 1 FROM family_members m WHERE m.tenant_id = t.tenant_id"
     " AND m.family_id = t.id AND m.search LIKE koop.contains_pattern($1->>'q'))"},
    {{.name = NULL}}};

static const struct koop_sort family_sorts[] = {
    KOOP_SORT_CREATED_AT,
    KOOP_SORT_UPDATED_AT,
    KOOP_SORT("reference_number", "t.reference_number", "text"),
    {0}};
static const struct koop_list family_list = {.from = "families",
                                             .json = "koop.family_json(t)",
                                             .where =
                                                 "koop.family_visible(t.id, t.assigned_worker_id)",
                                             .audit = "family"};

/* SQL (sql/functions/families.sql): koop.family_create, koop.family_get, koop.family_patch,
 * koop.family_transition */
const struct koop_resource family_resource = {
    .name = "family",
    .fields = family_fields,
    .filters = family_filters,
    .sorts = family_sorts,
    .list = &family_list,
    .states = koop_family_statuses,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) |
           OP_BIT(OP_TRANSITION),
};

/* ---- members ---- */

static const struct fs_field member_fields[] = {
    {.name = "first_name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 100},
    {.name = "last_name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 100},
    {.name = "birth_date", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "pesel", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_pesel},
    {.name = "sex", .type = FS_ENUM, .flags = FS_NULLABLE, .values = koop_sexes},
    {.name = "relation", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_member_relations},
    {.name = "generation", .type = FS_INT, .flags = FS_NULLABLE, .min = 1, .max = 6},
    {.name = "family_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "birth_year", .type = FS_INT, .flags = FS_READONLY},
    {.name = "adult", .type = FS_BOOL, .flags = FS_READONLY},
    {.name = NULL}};

static const struct koop_sort member_sorts[] = {KOOP_SORT_CREATED_AT, {0}};
static const struct koop_list member_list = {.from = "family_members",
                                             .json = "koop.member_json(t)",
                                             .where = "t.family_id = $4",
                                             .check = "koop.family_must_see($4)",
                                             .audit = "member"};

/* SQL (sql/functions/families.sql): koop.member_create, koop.member_get, koop.member_patch,
 * koop.member_delete */
const struct koop_resource member_resource = {
    .name = "member",
    .fields = member_fields,
    .sorts = member_sorts,
    .list = &member_list,
    .ops = OPS_CRUD,
};

/* ---- consents ---- */

static const struct fs_field consent_fields[] = {
    {.name = "member_id", .type = FS_UUID, .flags = FS_REQUIRED},
    {.name = "scope", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_consent_scopes},
    {.name = "partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "purpose", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 1000},
    {.name = "given_on", .type = FS_DATE, .flags = FS_REQUIRED},
    {.name = "valid_until", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "document_ref", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "family_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "withdrawn_on", .type = FS_DATE, .flags = FS_READONLY},
    {.name = "withdrawal_reason", .type = FS_STRING, .flags = FS_READONLY},
    {.name = NULL}};

static const struct koop_filter consent_filters[] = {
    {{.name = "scope", .type = FS_ENUM, .values = koop_consent_scopes}, "t.scope = $1->>'scope'"},
    {{.name = "status", .type = FS_ENUM, .values = koop_consent_statuses},
     "koop.consent_status(t) = $1->>'status'"},
    {{.name = NULL}}};

static const struct koop_sort consent_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("given_on", "t.given_on", "date"), {0}};
static const struct koop_list consent_list = {.from = "consents",
                                              .json = "koop.consent_json(t)",
                                              .where = "t.family_id = $4",
                                              .check = "koop.family_must_see($4)",
                                              .audit = "consent"};

/* SQL (sql/functions/families.sql): koop.consent_create, koop.consent_get */
const struct koop_resource consent_resource = {
    .name = "consent",
    .fields = consent_fields,
    .filters = consent_filters,
    .sorts = consent_sorts,
    .list = &consent_list,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET),
};

static const struct fs_field withdraw_fields[] = {
    {.name = "reason", .type = FS_STRING, .min = 1, .max = 500}, {.name = NULL}};

int consents_withdraw(struct kreq *req, struct kres *res)
{
    json_t *errors = json_array();
    if (req->json && !fs_validate(withdraw_fields, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    const char *v[] = {koop_param(req, "family_id"), koop_param(req, "consent_id"),
                       req->json ? json_string_value(json_object_get(req->json, "reason")) : NULL};
    koop_res_one(req, res, "koop_consent_withdraw", 3, v, 200);
    return 0;
}

/* ---- GDPR ---- */

int families_export(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "family_id")};
    koop_res_one(req, res, "koop_family_export", 1, v, 200);
    return 0;
}

int families_anonymize(struct kreq *req, struct kres *res)
{
    long version = koop_if_match(req, res, true);
    if (version < 0)
        return 0;
    if (req->json && json_object_size(req->json))
        return koop_fail_field(res, "body", "body", "invalid", "anonymize takes no body");
    char ver[24];
    snprintf(ver, sizeof ver, "%ld", version);
    const char *v[] = {koop_param(req, "family_id"), ver};
    koop_res_one(req, res, "koop_family_anonymize", 2, v, 200);
    return 0;
}

void families_init(void)
{
    koop_resource_register(&family_resource);
    koop_resource_register(&member_resource);
    koop_resource_register(&consent_resource);
    db_register("koop_consent_withdraw", "SELECT r->>'version', r::text FROM "
                                         "koop.consent_withdraw($1::uuid, $2::uuid, $3) r");
    db_register("koop_family_export", "SELECT NULL, koop.family_export($1::uuid)::text");
    db_register("koop_family_anonymize", "SELECT r->>'version', r::text FROM "
                                         "koop.family_anonymize($1::uuid, $2::int) r");
}
