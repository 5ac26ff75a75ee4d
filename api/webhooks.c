/* Webhook subscriptions (issue 13 point 3), admins of a tenant:
 *   GET|POST /v1/webhooks                       list; register (201 shows the secret, once)
 *   GET|PATCH|DELETE /v1/webhooks/{webhook_id}  one (never the secret); url, types, active
 *   POST /v1/webhooks/{webhook_id}/resume       a paused subscription goes on where it stopped
 *   GET /v1/webhooks/{webhook_id}/deliveries    the delivery log, newest event first
 *   POST /v1/webhooks/{webhook_id}/deliveries/{event}/redeliver   send one event again
 * Delivery itself is server/webhooks.c (a thread of the daemon). SQL:
 * sql/functions/webhooks.sql (koop.webhook_create, _get, _patch, _delete, _resume, _redeliver). */
#include "api.h"
#include "vocab.h"

#include "../server/db.h"
#include "../server/problem.h"
#include "../server/util.h"
#include "../server/webhooks.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fs_field type_item = {.type = FS_STRING, .min = 1, .max = 64};

static const struct fs_field webhook_fields[] = {
    {.name = "url", .type = FS_STRING, .flags = FS_REQUIRED, .min = 8, .max = 2000},
    {.name = "types",
     .type = FS_ARRAY,
     .flags = FS_REQUIRED,
     .min = 1,
     .max = 50,
     .item = &type_item},
    {.name = "description", .type = FS_STRING, .flags = FS_NULLABLE, .max = 500},
    {.name = "active", .type = FS_BOOL},
    {.name = "id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "status", .type = FS_ENUM, .flags = FS_READONLY, .values = koop_webhook_statuses},
    {.name = "secret", .type = FS_STRING, .flags = FS_READONLY},
    {.name = NULL}};

static const struct koop_sort webhook_sorts[] = {KOOP_SORT_CREATED_AT, {0}};
static const struct koop_list webhook_list = {.from = "webhooks", .json = "koop.webhook_json(t)"};

/* SQL (sql/functions/webhooks.sql): koop.webhook_get, koop.webhook_patch, koop.webhook_delete;
 * creation is webhooks_create below (koop.webhook_create) */
const struct koop_resource webhook_resource = {
    .name = "webhook",
    .fields = webhook_fields,
    .sorts = webhook_sorts,
    .list = &webhook_list,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) | OP_BIT(OP_DELETE),
};

static const struct koop_sort delivery_sorts[] = {
    KOOP_SORT_DESC_FIRST("event_id", "t.event_id", "bigint"), {0}};
/* t.id is the webhook's id: the event id is the key, unique within one webhook */
static const struct koop_list delivery_list = {
    .from =
        "(SELECT d AS d, d.tenant_id, d.webhook_id AS id, d.event_id FROM webhook_deliveries d)",
    .json = "koop.webhook_delivery_json(t.d)",
    .where = "t.id = $4",
    .check = "koop.webhook_must_see($4)",
};
const struct koop_resource webhook_delivery_resource = {
    .name = "webhook_delivery",
    .sorts = delivery_sorts,
    .list = &delivery_list,
    .ops = OP_BIT(OP_LIST),
};

/* Event types as the feed has them (resource.verb), or resource.* or *. */
static bool pattern_ok(const char *t)
{
    if (!strcmp(t, "*"))
        return true;
    const char *dot = strchr(t, '.');
    if (!dot || dot == t || !dot[1] || strchr(dot + 1, '.'))
        return false;
    if (!strcmp(dot + 1, "*"))
        return strspn(t, "abcdefghijklmnopqrstuvwxyz_") == (size_t)(dot - t);
    return strspn(t, "abcdefghijklmnopqrstuvwxyz_.") == strlen(t);
}

/* The checks a spec cannot make: the target (server/webhooks.c) and the types. */
static void check_body(const json_t *body, json_t *errors)
{
    const char *url = json_string_value(json_object_get(body, "url"));
    char why[160];
    if (url && koop_webhook_url_check(url, why, sizeof why) != 0)
        koop_error_add(errors, "body", "url", "format", why);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(body, "types"), i, t)
    {
        if (json_is_string(t) && !pattern_ok(json_string_value(t))) {
            char field[32];
            snprintf(field, sizeof field, "types[%zu]", i);
            koop_error_add(errors, "body", field, "format",
                           "an event type (partner.created), resource.* or *");
        }
    }
}

struct create_arg {
    const char *id, *body, *secret;
};

static int create_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct create_arg *a = p;
    const char *v[] = {a->id, a->body, a->secret};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_webhook_create", 3, v);
    if (!r)
        return -1;
    char *body = strdup(PQgetvalue(r, 0, 1));
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory"), 0;
    koop_res_record(res, 201, body, PQgetvalue(r, 0, 0));
    koop_res_header(res, "Location", "/v1/webhooks/%s", a->id);
    return 0;
}

int webhooks_create(struct kreq *req, struct kres *res)
{
    if (req->idempotency_key)
        return koop_fail_field(res, "header", "Idempotency-Key", "unknown_field",
                               "is not accepted here: a webhook's secret is shown only once");
    if (!json_is_object(req->json))
        return koop_fail_field(res, "body", "", "type", "must be a JSON object");
    json_t *errors = json_array();
    if (fs_validate(webhook_fields, req->json, FS_CREATE, "", errors))
        check_body(req->json, errors);
    if (json_array_size(errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    /* whsec_ + base64 of 32 random bytes (Standard Webhooks' secret format) */
    unsigned char key[32];
    char secret[64] = "whsec_";
    if (koop_random(key, sizeof key) != 0)
        return koop_fail(res, P_INTERNAL, "no randomness available");
    EVP_EncodeBlock((unsigned char *)secret + 6, key, sizeof key);
    char id[37];
    koop_uuid7(id);
    char *body = json_dumps(req->json, JSON_COMPACT);
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory");
    struct create_arg a = {id, body, secret};
    db_run(req, res, create_fn, &a);
    free(body);
    return 0;
}

int webhooks_patch(struct kreq *req, struct kres *res)
{
    if (json_is_object(req->json)) {
        json_t *errors = json_array();
        check_body(req->json, errors);
        if (json_array_size(errors))
            return koop_fail_errors(res, errors);
        json_decref(errors);
    }
    return koop_res_patch(&webhook_resource, req, res);
}

int webhooks_resume(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "webhook_id")};
    return koop_res_one(req, res, "koop_webhook_resume", 1, v, 200);
}

int webhooks_redeliver(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *ev = koop_param(req, "event");
    char *end;
    long long n = strtoll(ev, &end, 10);
    if (!*ev || *end || n <= 0 || strlen(ev) > 18)
        return koop_fail_field(res, "path", "event", "format", "is an event id (1, 2, ...)");
    const char *v[] = {koop_param(req, "webhook_id"), ev};
    return koop_res_one(req, res, "koop_webhook_redeliver", 2, v, 202);
}

void webhooks_init(void)
{
    koop_resource_register(&webhook_resource);
    koop_resource_register(&webhook_delivery_resource);
    db_register(
        "koop_webhook_create",
        "SELECT r->>'version', r::text FROM koop.webhook_create($1::uuid, $2::jsonb, $3) r");
    db_register("koop_webhook_resume",
                "SELECT r->>'version', r::text FROM koop.webhook_resume($1::uuid) r");
    db_register("koop_webhook_redeliver",
                "SELECT NULL, r::text FROM koop.webhook_redeliver($1::uuid, $2::bigint) r");
}
