/* /v1/partners — members of the partnership team (PZK), SPEC §5 and §6:
 *   GET    /v1/partners                     list (status, sector, q, is_leader, updated_since)
 *   POST   /v1/partners                     create (Idempotency-Key)
 *   GET    /v1/partners/{partner_id}        one partner, with ETag
 *   PATCH  /v1/partners/{partner_id}        merge patch (If-Match)
 *   DELETE /v1/partners/{partner_id}        delete (If-Match; 409 while referenced)
 *   POST   /v1/partners/{partner_id}/transitions   invited → declared → active ⇄ suspended; →
 * withdrawn
 *   .../agreements[/{agreement_id}]         cooperation agreements (porozumienia)
 *   .../benefits[/{benefit_id}]             register of mutual benefits
 * The SQL behind them is in sql/functions/partners.sql (koop.partner_*). */
#include "api.h"
#include "vocab.h"
#include "identifiers.h"

#include "../server/resource.h"

static const struct fs_field identifiers[] = {
    {.name = "nip", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_nip},
    {.name = "regon", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_regon},
    {.name = "krs", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_krs},
    {.name = NULL}};

static const struct fs_field contact[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "role", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "email", .type = FS_EMAIL, .flags = FS_NULLABLE},
    {.name = "phone", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 30},
    {.name = NULL}};
static const struct fs_field contact_item = {.type = FS_OBJECT, .sub = contact};

static const struct fs_field declaration[] = {
    {.name = "signed_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "certificate_number", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 100},
    {.name = "certificate_issued_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = NULL}};

static const struct fs_field partner_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "short_name", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 60},
    {.name = "sector", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_sectors},
    {.name = "is_leader", .type = FS_BOOL},
    {.name = "identifiers", .type = FS_OBJECT, .sub = identifiers},
    {.name = "address", .type = FS_OBJECT, .flags = FS_NULLABLE, .sub = koop_address_fields},
    {.name = "website", .type = FS_URL, .flags = FS_NULLABLE, .max = 500},
    {.name = "contacts", .type = FS_ARRAY, .max = 20, .item = &contact_item},
    {.name = "competences", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 4000},
    {.name = "declaration", .type = FS_OBJECT, .sub = declaration},
    {.name = NULL}};

static const struct koop_filter partner_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_partner_statuses},
     "t.status = $1->>'status'"},
    {{.name = "sector", .type = FS_ENUM, .values = koop_sectors}, "t.sector = $1->>'sector'"},
    {{.name = "q", .type = FS_STRING, .min = 1, .max = 200},
     "koop.norm(t.name || ' ' || coalesce(t.short_name, '')) LIKE koop.contains_pattern($1->>'q')"},
    {{.name = "is_leader", .type = FS_BOOL}, "t.is_leader = ($1->>'is_leader')::boolean"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};

static const struct koop_sort partner_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("name", "lower(t.name)", "text"), KOOP_SORT_UPDATED_AT, {0}};
static const struct koop_list partner_list = {.from = "partners", .json = "koop.partner_json(t)"};

/* SQL (sql/functions/partners.sql): koop.partner_create, koop.partner_get, koop.partner_patch,
 * koop.partner_delete, koop.partner_transition */
const struct koop_resource partner_resource = {
    .name = "partner",
    .fields = partner_fields,
    .filters = partner_filters,
    .sorts = partner_sorts,
    .list = &partner_list,
    .states = koop_partner_statuses,
    .ops = OPS_CRUD | OP_BIT(OP_TRANSITION),
};

/* ---- agreements ---- */

static const struct fs_field agreement_fields[] = {
    {.name = "title", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "scope", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 4000},
    {.name = "signed_on", .type = FS_DATE, .flags = FS_REQUIRED},
    {.name = "valid_from", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "valid_until", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "document_ref", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 500},
    {.name = NULL}};
static const struct koop_filter agreement_filters[] = {
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = "valid_on", .type = FS_DATE},
     "coalesce(t.valid_from, t.signed_on) <= ($1->>'valid_on')::date"
     " AND (t.valid_until IS NULL OR t.valid_until >= ($1->>'valid_on')::date)"},
    {{.name = NULL}}};
static const struct koop_sort agreement_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("signed_on", "t.signed_on", "date"), KOOP_SORT_UPDATED_AT, {0}};
static const struct koop_list agreement_list = {.from = "partner_agreements",
                                                .json = "koop.agreement_json(t)",
                                                .where = "t.partner_id = $4",
                                                .check = "koop.partner_must_exist($4)"};
/* SQL (sql/functions/partners.sql): koop.agreement_create, koop.agreement_get,
 * koop.agreement_patch, koop.agreement_delete */
const struct koop_resource agreement_resource = {
    .name = "agreement",
    .fields = agreement_fields,
    .filters = agreement_filters,
    .sorts = agreement_sorts,
    .list = &agreement_list,
    .ops = OPS_CRUD,
};

/* ---- benefits ---- */

static const struct fs_field benefit_fields[] = {
    {.name = "description", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 2000},
    {.name = "beneficiary_partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "recorded_on", .type = FS_DATE, .flags = FS_REQUIRED},
    {.name = NULL}};
static const struct koop_filter benefit_filters[] = {KOOP_FILTER_UPDATED_SINCE, {{.name = NULL}}};
static const struct koop_sort benefit_sorts[] = {KOOP_SORT_CREATED_AT,
                                                 KOOP_SORT("recorded_on", "t.recorded_on", "date"),
                                                 KOOP_SORT_UPDATED_AT,
                                                 {0}};
static const struct koop_list benefit_list = {.from = "partner_benefits",
                                              .json = "koop.benefit_json(t)",
                                              .where = "t.partner_id = $4",
                                              .check = "koop.partner_must_exist($4)"};
/* SQL (sql/functions/partners.sql): koop.benefit_create, koop.benefit_get, koop.benefit_patch,
 * koop.benefit_delete */
const struct koop_resource benefit_resource = {
    .name = "benefit",
    .fields = benefit_fields,
    .filters = benefit_filters,
    .sorts = benefit_sorts,
    .list = &benefit_list,
    .ops = OPS_CRUD,
};

void partners_init(void)
{
    koop_resource_register(&partner_resource);
    koop_resource_register(&agreement_resource);
    koop_resource_register(&benefit_resource);
}
