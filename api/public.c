/* The public basket, for municipal portals and residents — no token:
 *   GET /public/v1/{teryt}/services                 active, currently valid services (?q=,
 *                                                   ?category=, ?target_group=, keyset pages)
 *   GET /public/v1/{teryt}/services/{service_id}    one of them
 *   GET /public/v1/{teryt}/hsds                     the same as Open Referral HSDS 3.1
 * {teryt} is the municipality's TERC code (7 or 4 digits). Answers carry a strong ETag of their
 * body (If-None-Match → 304), Cache-Control: public, and Access-Control-Allow-Origin: * (the
 * HSDS UK profile's keyless GET); each client address has a budget of KOOP_PUBLIC_RATE_LIMIT
 * requests per minute (a token bucket, server/trust.c; 429 with Retry-After). What a resident may
 * read is decided in SQL: sql/functions/public.sql (koop.public_service_list,
 * koop.public_service_get, koop.public_hsds). */
#include "api.h"
#include "vocab.h"

#include "../server/config.h"
#include "../server/db.h"
#include "../server/problem.h"
#include "../server/trust.h"
#include "../server/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLIC_MAX_AGE 300 /* seconds a portal or a cache may keep an answer */

/* The headers every public answer carries, errors included (a portal's script must be able to
 * read a 404 or a 429 too). */
static void public_headers(struct kres *res)
{
    koop_res_header(res, "Access-Control-Allow-Origin", "*");
    koop_res_header(res, "Access-Control-Expose-Headers", "ETag, Link, Retry-After, X-Request-Id");
}

/* 0 to go on; -1 after answering (a bad TERYT is 404: no such municipality, whatever it is). */
static int enter(struct kreq *req, struct kres *res)
{
    public_headers(res);
    char key[80];
    long retry = 0;
    snprintf(key, sizeof key, "public:%s", req->ip);
    if (!koop_rate_take(key, koop_cfg.public_rate_limit, koop_now_us(), &retry)) {
        koop_fail(res, P_TOO_MANY_REQUESTS, "too many requests from this address; try again later");
        koop_res_header(res, "Retry-After", "%ld", retry > 0 ? retry : 1);
        return -1;
    }
    const char *t = koop_param(req, "teryt");
    size_t n = t ? strlen(t) : 0;
    bool digits = n == 7 || n == 4;
    for (size_t i = 0; digits && i < n; i++)
        digits = t[i] >= '0' && t[i] <= '9';
    if (!digits) {
        koop_fail(res, P_NOT_FOUND, "no municipality with this TERYT code");
        return -1;
    }
    return 0;
}

/* Strong ETag of the body, Cache-Control, and 304 when If-None-Match names it. */
static void cacheable(struct kreq *req, struct kres *res)
{
    if (res->status != 200 || !res->raw)
        return;
    char sum[65], tag[40];
    koop_sha256_hex(res->raw, res->raw_len, sum);
    snprintf(tag, sizeof tag, "\"%.32s\"", sum);
    koop_res_header(res, "ETag", "%s", tag);
    koop_res_header(res, "Cache-Control", "public, max-age=%d", PUBLIC_MAX_AGE);
    koop_res_header(res, "Vary", "Accept-Encoding");
    const char *inm = koop_header(req, "If-None-Match");
    if (!inm)
        return;
    /* weak comparison (RFC 9110 §13.1.2): W/"x" matches "x"; "*" matches any */
    bool match = strstr(inm, tag + 0) != NULL || strcmp(inm, "*") == 0;
    if (match) {
        free(res->raw);
        res->raw = NULL;
        res->raw_len = 0;
        res->content_type = NULL;
        res->status = 304;
    }
}

static const struct fs_field public_filters[] = {
    {.name = "q", .type = FS_STRING, .min = 1, .max = 200},
    {.name = "category", .type = FS_ENUM, .values = koop_service_categories},
    {.name = "target_group", .type = FS_ENUM, .values = koop_target_groups},
    {.name = NULL}};
static const char *const public_sorts[] = {"name", "-name", NULL};

struct list_arg {
    const char *teryt, *filters, *sort, *after, *limit;
};

static int list_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    struct list_arg *a = p;
    const char *v[] = {a->teryt, a->filters, a->sort, a->after, a->limit};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_public_service_list", 5, v);
    if (!r)
        return -1;
    json_t *page = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    char *items = page ? json_dumps(json_object_get(page, "items"), JSON_COMPACT) : NULL;
    json_t *next = json_object_get(page, "next");
    char *nx = next && !json_is_null(next) ? json_dumps(next, JSON_COMPACT) : NULL;
    int rc = items ? koop_list_reply(req, res, a->sort, items, nx)
                   : koop_fail(res, P_INTERNAL, "the list could not be read");
    free(items);
    free(nx);
    json_decref(page);
    return rc;
}

int public_services_list(struct kreq *req, struct kres *res)
{
    if (enter(req, res) != 0)
        return 0;
    const char *sort;
    json_t *after;
    long limit;
    json_t *q =
        koop_list_params(public_filters, public_sorts, NULL, req, res, &sort, &after, &limit);
    if (!q)
        return 0;
    char lim[16];
    snprintf(lim, sizeof lim, "%ld", limit);
    char *qs = json_dumps(q, JSON_COMPACT);
    char *as = after ? json_dumps(after, JSON_COMPACT) : NULL;
    struct list_arg a = {koop_param(req, "teryt"), qs, sort, as, lim};
    db_run(req, res, list_fn, &a);
    free(qs);
    free(as);
    json_decref(q);
    json_decref(after);
    cacheable(req, res);
    return 0;
}

int public_services_get(struct kreq *req, struct kres *res)
{
    if (enter(req, res) != 0 || koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "teryt"), koop_param(req, "service_id")};
    koop_res_one(req, res, "koop_public_service_get", 2, v, 200);
    cacheable(req, res);
    return 0;
}

int public_hsds(struct kreq *req, struct kres *res)
{
    if (enter(req, res) != 0 || koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "teryt")};
    koop_res_one(req, res, "koop_public_hsds", 1, v, 200);
    cacheable(req, res);
    return 0;
}

void public_init(void)
{
    db_register("koop_public_service_list",
                "SELECT koop.public_service_list($1, $2::jsonb, $3, $4::jsonb, $5::int)::text");
    db_register("koop_public_service_get",
                "SELECT NULL, koop.public_service_get($1, $2::uuid)::text");
    db_register("koop_public_hsds", "SELECT NULL, koop.public_hsds($1)::text");
}
