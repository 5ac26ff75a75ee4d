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

static const struct fs_field tenant_filters[] = {
    {.name = "q", .type = FS_STRING, .min = 1, .max = 200},
    {.name = "active", .type = FS_BOOL},
    {.name = "updated_since", .type = FS_DATETIME},
    {.name = NULL}};

static const char *const tenant_sorts[] = {"created_at", "-created_at", "name", "-name",
                                           "updated_at", "-updated_at", NULL};

const struct koop_resource tenant_resource = {
    .name = "tenant",
    .fields = tenant_fields,
    .patch_fields = tenant_patch_fields,
    .filters = tenant_filters,
    .sorts = tenant_sorts,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH),
};

void tenants_init(void)
{
    koop_resource_register(&tenant_resource);
}
