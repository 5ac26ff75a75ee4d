/* How the cooperation works (SPEC §5 Meetings, Projects):
 *   GET|POST /v1/meetings, GET|PATCH|DELETE /v1/meetings/{meeting_id}
 *   GET|POST /v1/projects, GET|PATCH|DELETE /v1/projects/{project_id}
 *   GET /v1/projects/{project_id}/indicators     actual values where countable
 *   GET|POST /v1/projects/{project_id}/families, DELETE .../families/{family_id}
 * SQL: sql/functions/partnership.sql. */
#include "api.h"
#include "vocab.h"

#include "../server/db.h"
#include "../server/problem.h"

#include <stdlib.h>

static const struct fs_field uuid_item = {.type = FS_UUID};

static const struct fs_field meeting_fields[] = {
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_meeting_kinds},
    {.name = "held_on", .type = FS_DATE, .flags = FS_REQUIRED},
    {.name = "place", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "title", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "partner_ids", .type = FS_ARRAY, .max = 200, .item = &uuid_item},
    {.name = "agenda", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 8000},
    {.name = "minutes", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 20000},
    {.name = "decisions", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 8000},
    {.name = NULL}};
static const struct koop_filter meeting_filters[] = {
    {{.name = "kind", .type = FS_ENUM, .values = koop_meeting_kinds}, "t.kind = $1->>'kind'"},
    {{.name = "partner_id", .type = FS_UUID}, "($1->>'partner_id')::uuid = ANY (t.partner_ids)"},
    {{.name = "from", .type = FS_DATE}, "t.held_on >= ($1->>'from')::date"},
    {{.name = "to", .type = FS_DATE}, "t.held_on <= ($1->>'to')::date"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};
static const struct koop_sort meeting_sorts[] = {
    KOOP_SORT_DESC_FIRST("held_on", "t.held_on", "date"),
    KOOP_SORT_CREATED_AT,
    KOOP_SORT_UPDATED_AT,
    {0}};
static const struct koop_list meeting_list = {.from = "meetings", .json = "koop.meeting_json(t)"};

/* SQL (sql/functions/partnership.sql): koop.meeting_create, koop.meeting_get, koop.meeting_patch,
 * koop.meeting_delete */
const struct koop_resource meeting_resource = {
    .name = "meeting",
    .fields = meeting_fields,
    .filters = meeting_filters,
    .sorts = meeting_sorts,
    .list = &meeting_list,
    .ops = OPS_CRUD,
};

static const struct fs_field indicator_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "unit", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 60},
    {.name = "target", .type = FS_INT, .flags = FS_REQUIRED, .min = 0, .max = 1000000000},
    {.name = "source", .type = FS_ENUM, .flags = FS_NULLABLE, .values = koop_indicator_sources},
    {.name = NULL}};
static const struct fs_field indicator_item = {.type = FS_OBJECT, .sub = indicator_fields};

/* Money is integer grosze: 904 150,00 zł is 90415000. */
static const struct fs_field project_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "programme", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 300},
    {.name = "call_number", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 100},
    {.name = "leader_partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "partner_ids", .type = FS_ARRAY, .max = 200, .item = &uuid_item},
    {.name = "starts_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "ends_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "total_value",
     .type = FS_INT,
     .flags = FS_NULLABLE,
     .min = 0,
     .max = 100000000000000LL},
    {.name = "eu_cofinancing",
     .type = FS_INT,
     .flags = FS_NULLABLE,
     .min = 0,
     .max = 100000000000000LL},
    {.name = "currency", .type = FS_ENUM, .values = koop_currencies},
    {.name = "indicators", .type = FS_ARRAY, .max = 50, .item = &indicator_item},
    {.name = "families_count", .type = FS_INT, .flags = FS_READONLY},
    {.name = NULL}};
static const struct koop_filter project_filters[] = {
    {{.name = "programme", .type = FS_STRING, .min = 1, .max = 300},
     "t.programme = $1->>'programme'"},
    {{.name = "partner_id", .type = FS_UUID},
     "($1->>'partner_id')::uuid = ANY (t.partner_ids)"
     " OR t.leader_partner_id = ($1->>'partner_id')::uuid"},
    {{.name = "active_on", .type = FS_DATE},
     "coalesce(t.starts_on, '-infinity') <= ($1->>'active_on')::date"
     " AND coalesce(t.ends_on, 'infinity') >= ($1->>'active_on')::date"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};
static const struct koop_sort project_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("name", "lower(t.name)", "text"), KOOP_SORT_UPDATED_AT, {0}};
static const struct koop_list project_list = {.from = "projects", .json = "koop.project_json(t)"};

/* SQL (sql/functions/partnership.sql): koop.project_create, koop.project_get, koop.project_patch,
 * koop.project_delete */
const struct koop_resource project_resource = {
    .name = "project",
    .fields = project_fields,
    .filters = project_filters,
    .sorts = project_sorts,
    .list = &project_list,
    .ops = OPS_CRUD,
};

int projects_indicators(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "project_id")};
    return koop_res_one(req, res, "koop_project_indicators", 1, v, 200);
}

int projects_families_list(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "project_id")};
    return koop_res_one(req, res, "koop_project_families", 1, v, 200);
}

static const struct fs_field link_fields[] = {
    {.name = "family_id", .type = FS_UUID, .flags = FS_REQUIRED}, {.name = NULL}};

int projects_families_link(struct kreq *req, struct kres *res)
{
    if (!req->json)
        return koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
    json_t *errors = json_array();
    if (!fs_validate(link_fields, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    const char *family = json_string_value(json_object_get(req->json, "family_id"));
    const char *v[] = {koop_param(req, "project_id"), family, "true"};
    koop_res_one(req, res, "koop_project_link", 3, v, 201);
    if (res->status == 201)
        koop_res_header(res, "Location", "%s/%s", req->path, family);
    return 0;
}

int projects_families_unlink(struct kreq *req, struct kres *res)
{
    const char *v[] = {koop_param(req, "project_id"), koop_param(req, "family_id"), "false"};
    koop_res_one(req, res, "koop_project_link", 3, v, 200);
    if (res->status == 200) { /* the link is gone: nothing to show */
        free(res->raw);
        res->raw = NULL;
        res->raw_len = 0;
        res->status = 204;
    }
    return 0;
}

void partnership_init(void)
{
    koop_resource_register(&meeting_resource);
    koop_resource_register(&project_resource);
    db_register("koop_project_indicators", "SELECT NULL, koop.project_indicators($1::uuid)::text");
    db_register("koop_project_families", "SELECT NULL, koop.project_families_list($1::uuid)::text");
    db_register("koop_project_link",
                "SELECT NULL, koop.project_link_family($1::uuid, $2::uuid, $3::boolean)::text");
}
