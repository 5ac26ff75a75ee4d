/* /v1/tenants — municipalities and counties (platform_admin only), SPEC §5:
 *   GET /v1/tenants, POST /v1/tenants, GET|PATCH /v1/tenants/{tenant_id}
 * A tenant's users are created at POST /v1/tenants/{tenant_id}/users (users.c).
 * SQL: sql/functions/accounts.sql (koop.tenant_*). */
#include "api.h"
#include "vocab.h"
#include "identifiers.h"

static const struct fs_field tenant_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "teryt", .type = FS_STRING, .flags = FS_REQUIRED, .check = koop_check_teryt},
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_tenant_kinds},
    {.name = "voivodeship", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_voivodeships},
    {.name = NULL}};

/* teryt and voivodeship identify the tenant: they are fixed once created */
static const struct fs_field tenant_patch_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_tenant_kinds},
    {.name = "active", .type = FS_BOOL, .flags = FS_REQUIRED},
    {.name = NULL}};

static const struct koop_filter tenant_filters[] = {
    {{.name = "q", .type = FS_STRING, .min = 1, .max = 200},
     "koop.norm(t.name) LIKE koop.contains_pattern($1->>'q') OR t.teryt = $1->>'q'"},
    {{.name = "active", .type = FS_BOOL}, "t.active = ($1->>'active')::boolean"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};

static const struct koop_sort tenant_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("name", "lower(t.name)", "text"), KOOP_SORT_UPDATED_AT, {0}};
/* tenants are platform-level rows: page over them with a NULL tenant_id */
static const struct koop_list tenant_list = {
    .from = "(SELECT tn AS rec, tn.id, tn.name, tn.teryt, tn.active, tn.created_at, tn.updated_at, "
            "NULL::uuid AS tenant_id FROM tenants tn)",
    .json = "koop.tenant_json(t.rec)"};

/* SQL (sql/functions/accounts.sql): koop.tenant_create, koop.tenant_get, koop.tenant_patch */
const struct koop_resource tenant_resource = {
    .name = "tenant",
    .fields = tenant_fields,
    .patch_fields = tenant_patch_fields,
    .filters = tenant_filters,
    .sorts = tenant_sorts,
    .list = &tenant_list,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH),
};

void tenants_init(void)
{
    koop_resource_register(&tenant_resource);
}
