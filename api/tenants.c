/* /v1/tenants — municipalities and counties (platform_admin only), SPEC §5:
 *   GET /v1/tenants, POST /v1/tenants, GET|PATCH /v1/tenants/{tenant_id}
 * /v1/settings — the caller's own tenant's settings (GET: admin, coordinator; PATCH: admin):
 *   referral_overdue_days.
 * A tenant's users are created at POST /v1/tenants/{tenant_id}/users (users.c).
 * SQL: sql/functions/accounts.sql (koop.tenant_*). */
#include "api.h"
#include "vocab.h"
#include "identifiers.h"

#include "../server/db.h"
#include "../server/problem.h"

#include <stdio.h>
#include <stdlib.h>

static const struct fs_field tenant_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "teryt", .type = FS_STRING, .flags = FS_REQUIRED, .check = koop_check_teryt},
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_tenant_kinds},
    /* optional, derived from teryt; given, it is the TERC code ("24") or the name with or without
     * diacritics in any case, and must agree with teryt (koop.voivodeship_parse) */
    {.name = "voivodeship", .type = FS_STRING, .min = 2, .max = 40},
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

/* ---- /v1/settings ---- */

static const struct fs_field settings_fields[] = {
    {.name = "referral_overdue_days", .type = FS_INT, .flags = FS_REQUIRED, .min = 0, .max = 365},
    {.name = "tenant_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "name", .type = FS_STRING, .flags = FS_READONLY},
    {.name = NULL}};

int settings_get(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    koop_res_one(req, res, "koop_settings_get", 0, NULL, 200);
    return 0;
}

int settings_patch(struct kreq *req, struct kres *res)
{
    long version = koop_if_match(req, res, true);
    if (version < 0)
        return 0;
    if (!req->json || !json_is_object(req->json))
        return koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
    json_t *errors = json_array();
    if (!fs_validate(settings_fields, req->json, FS_PATCH, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    char ver[24];
    snprintf(ver, sizeof ver, "%ld", version);
    char *patch = json_dumps(req->json, JSON_COMPACT);
    if (!patch)
        return koop_fail(res, P_INTERNAL, "cannot encode the patch");
    const char *v[] = {ver, patch};
    koop_res_one(req, res, "koop_settings_patch", 2, v, 200);
    free(patch);
    return 0;
}

void tenants_init(void)
{
    koop_resource_register(&tenant_resource);
    db_register("koop_settings_get", "SELECT r->>'version', r::text FROM koop.settings_get() r");
    db_register("koop_settings_patch",
                "SELECT r->>'version', r::text FROM koop.settings_patch($1::int, $2::jsonb) r");
}
