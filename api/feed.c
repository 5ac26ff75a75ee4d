/* The change feed and the audit log:
 *   GET /v1/events?after=&types=&limit=     every committed change, in id order
 *   GET /v1/audit-events?resource=&resource_id=&actor_id=&action=&from=&to=
 *                                           admin, auditor; newest first
 * SQL: sql/functions/feed.sql (koop.event_list, koop.audit_list). */
#include "api.h"
#include "vocab.h"

#include "../server/db.h"
#include "../server/problem.h"
#include "../server/util.h"
#include "../server/wait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELD_RECHECK_US 50000

static const struct fs_field type_item = {.type = FS_STRING, .min = 3, .max = 64};

static const struct fs_field event_params[] = {
    {.name = "after", .type = FS_INT, .min = 0, .max = 9007199254740991LL},
    {.name = "limit", .type = FS_INT, .min = 1, .max = 200},
    {.name = "wait", .type = FS_INT, .min = 0, .max = 60},
    {.name = "types", .type = FS_ARRAY, .max = 50, .item = &type_item},
    {.name = NULL}};

/* Event types are resource.verb: lower-case letters and underscores. */
static bool type_ok(const char *t)
{
    const char *dot = strchr(t, '.');
    if (!dot || dot == t || !dot[1] || strchr(dot + 1, '.'))
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '.'))
            return false;
    return true;
}

struct events_arg {
    const char *const *vals;
    bool empty;
    bool held; /* committed events wait behind an older transaction still running */
};

static int events_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct events_arg *a = p;
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_events", 3, a->vals);
    if (!r)
        return -1;
    a->empty = atoi(PQgetvalue(r, 0, 0)) == 0;
    a->held = !strcmp(PQgetvalue(r, 0, 2), "true");
    char *body = strdup(PQgetvalue(r, 0, 1));
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory"), 0;
    koop_res_record(res, 200, body, NULL);
    return 0;
}

int events_list(struct kreq *req, struct kres *res)
{
    json_t *errors = json_array();
    json_t *q = fs_parse_query(event_params, req, errors);
    json_t *types = json_object_get(q, "types");
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
    {
        if (!type_ok(json_string_value(t))) {
            koop_error_add(errors, "query", "types", "format",
                           "each type is resource.verb, e.g. partner.created");
            break;
        }
    }
    /* the types go to SQL as a JSON array: a parameter, of any length */
    char *arr = types ? json_dumps(types, JSON_COMPACT) : NULL;
    if (json_array_size(errors)) {
        json_decref(q);
        free(arr);
        return koop_fail_errors(res, errors);
    }
    json_decref(errors);
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld",
             json_is_integer(json_object_get(q, "after"))
                 ? (long long)json_integer_value(json_object_get(q, "after"))
                 : 0LL);
    snprintf(limit, sizeof limit, "%lld",
             json_is_integer(json_object_get(q, "limit"))
                 ? (long long)json_integer_value(json_object_get(q, "limit"))
                 : 50LL);
    long long wait = json_is_integer(json_object_get(q, "wait"))
                         ? (long long)json_integer_value(json_object_get(q, "wait"))
                         : 0;
    json_decref(q);
    if (wait > 0 && req->wait_deadline_us == 0)
        req->wait_deadline_us = koop_now_us() + (uint64_t)wait * 1000000u;
    /* read before the query: a commit after it wakes us even if we sleep late */
    uint64_t generation = koop_wait_generation(req->auth.tenant_id);
    const char *v[] = {after, arr, limit};
    struct events_arg a = {v, false};
    db_run(req, res, events_fn, &a);
    free(arr);
    if (a.empty && res->status == 200 && req->wait_deadline_us > koop_now_us()) {
        res->wait = true;
        res->wait_generation = generation;
        /* held events come out when that transaction ends, which no notification tells */
        if (a.held)
            res->wait_recheck_us = koop_now_us() + HELD_RECHECK_US;
    }
    return 0;
}

/* ---- audit ---- */

static const struct fs_field audit_filters[] = {
    {.name = "resource", .type = FS_STRING, .min = 1, .max = 64},
    {.name = "resource_id", .type = FS_UUID},
    {.name = "actor_id", .type = FS_UUID},
    {.name = "action", .type = FS_ENUM, .values = koop_audit_actions},
    {.name = "from", .type = FS_DATETIME},
    {.name = "to", .type = FS_DATETIME},
    {.name = NULL}};

static const char *const audit_sorts[] = {"-id", NULL};

struct audit_arg {
    const char *filters, *before, *limit;
};

static int audit_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    struct audit_arg *a = p;
    const char *v[] = {a->filters, a->before, a->limit};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_audit_list", 3, v);
    if (!r)
        return -1;
    const char *next = PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1);
    return koop_list_reply(req, res, "-id", PQgetvalue(r, 0, 0), next);
}

int audit_list(struct kreq *req, struct kres *res)
{
    const char *sort;
    json_t *after;
    long limit;
    json_t *q = koop_list_params(audit_filters, audit_sorts, NULL, req, res, &sort, &after, &limit);
    if (!q)
        return 0;
    char before[24] = "", lim[16];
    if (after)
        snprintf(before, sizeof before, "%lld",
                 (long long)json_integer_value(json_object_get(after, "k")));
    snprintf(lim, sizeof lim, "%ld", limit);
    char *fs = json_dumps(q, JSON_COMPACT);
    struct audit_arg a = {fs, after ? before : NULL, lim};
    db_run(req, res, audit_fn, &a);
    free(fs);
    json_decref(q);
    json_decref(after);
    return 0;
}

void feed_init(void)
{
    db_register("koop_events",
                "SELECT jsonb_array_length(r->'items'), (r - 'held')::text, r->>'held' "
                "FROM koop.event_list($1::bigint, "
                "(SELECT array_agg(x) FROM jsonb_array_elements_text($2::jsonb) x), $3::int) r");
    /* next is {"k": <id>, "i": <nil uuid>} so that the shared cursor codec applies */
    db_register("koop_audit_list",
                "SELECT (r->'items')::text, CASE WHEN r->'next' IS NOT NULL AND "
                "r->'next' <> 'null' THEN jsonb_build_object('k', r->'next', 'i', "
                "'00000000-0000-0000-0000-000000000000')::text END "
                "FROM koop.audit_list($1::jsonb, $2::bigint, $3::int) r");
}
