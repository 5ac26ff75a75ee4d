/* Users and their tokens, and /v1/me. SPEC §5 Users and tokens, §9:
 *   GET|POST /v1/users, GET|PATCH /v1/users/{user_id}     admin; platform_admin (platform users)
 *   POST /v1/tenants/{tenant_id}/users                    platform_admin: a tenant's users
 *   GET|POST /v1/users/{user_id}/tokens                   the user, its admin, platform_admin
 *   DELETE /v1/users/{user_id}/tokens/{token_id}          revokes at once
 *   GET /v1/me                                            whoever calls
 * Token secrets are made here and shown once; the database keeps only their
 * SHA-256. SQL: sql/functions/accounts.sql (koop.user_*, koop.token_*, koop.me). */
#include "api.h"
#include "vocab.h"

#include "../server/config.h"
#include "../server/db.h"
#include "../server/log.h"
#include "../server/problem.h"
#include "../server/scope.h"
#include "../server/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct fs_field uuid_item = {.type = FS_UUID};

static const struct fs_field user_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "email", .type = FS_EMAIL, .flags = FS_REQUIRED, .max = 254},
    {.name = "role", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_roles},
    {.name = "partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "active", .type = FS_BOOL},
    {.name = "granted_tenant_ids", .type = FS_ARRAY, .max = 1000, .item = &uuid_item},
    {.name = "tenant_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = NULL}};

static const struct koop_filter user_filters[] = {
    {{.name = "role", .type = FS_ENUM, .values = koop_roles}, "t.role = $1->>'role'"},
    {{.name = "active", .type = FS_BOOL}, "t.active = ($1->>'active')::boolean"},
    {{.name = "partner_id", .type = FS_UUID}, "t.partner_id = ($1->>'partner_id')::uuid"},
    {{.name = "q", .type = FS_STRING, .min = 1, .max = 200},
     "koop.norm(t.name) LIKE koop.contains_pattern($1->>'q') OR lower(t.email) = lower($1->>'q')"},
    {{.name = NULL}}};

static const struct koop_sort user_sorts[] = {KOOP_SORT_CREATED_AT,
                                              KOOP_SORT("name", "lower(t.name)", "text"),
                                              KOOP_SORT("email", "lower(t.email)", "text"),
                                              KOOP_SORT_UPDATED_AT,
                                              {0}};
static const struct koop_list user_list = {.from = "users", .json = "koop.user_json(t)"};

/* SQL (sql/functions/accounts.sql): koop.user_create, koop.user_get, koop.user_patch */
const struct koop_resource user_resource = {
    .name = "user",
    .fields = user_fields,
    .filters = user_filters,
    .sorts = user_sorts,
    .list = &user_list,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH),
    .location = "/v1/users",
};

/* The names of a set of scopes as a JSON array (registry order), or null for none. */
static json_t *scopes_json(koop_scopes set)
{
    if (!set)
        return json_null();
    json_t *a = json_array();
    size_t n;
    const struct koop_scope_def *reg = koop_scope_registry(&n);
    for (size_t i = 0; i < n; i++)
        if (set & ((koop_scopes)1 << i))
            json_array_append_new(a, json_string(reg[i].name));
    return a;
}

int me_get(struct kreq *req, struct kres *res)
{
    koop_res_one(req, res, "koop_me", 0, NULL, 200);
    if (res->status != 200 || !res->raw)
        return 0;
    /* the caller's scopes, from the request (an opaque token's, or a JWT's scope claim) */
    json_t *me = json_loadb(res->raw, res->raw_len, 0, NULL);
    free(res->raw);
    res->raw = NULL;
    res->raw_len = 0;
    res->content_type = NULL;
    if (!json_is_object(me)) {
        json_decref(me);
        return koop_fail(res, P_INTERNAL, "bad user record");
    }
    json_object_set_new(me, "scopes", scopes_json(req->auth.scopes));
    return koop_res_json(res, 200, me);
}

/* ---- tokens ---- */

static const struct fs_field scope_item = {.type = FS_STRING, .min = 1, .max = 64};

static const struct fs_field token_fields[] = {
    {.name = "name", .type = FS_STRING, .min = 1, .max = 100},
    {.name = "expires_in_days", .type = FS_INT, .min = 1, .max = 730},
    {.name = "scopes", .type = FS_ARRAY, .min = 1, .max = 64, .item = &scope_item},
    {.name = NULL}};

/* The body's "scopes" (already shaped by token_fields) as a set: every name
 * must be grantable (server/scope.h) and given once. Returns false after
 * adding one error per bad item. */
static bool token_scopes(const json_t *body, koop_scopes *out, json_t *errors)
{
    *out = 0;
    const json_t *list = json_object_get(body, "scopes");
    size_t i;
    const json_t *v;
    bool ok = true;
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);
        char path[32], text[160];
        snprintf(path, sizeof path, "scopes[%zu]", i);
        if (!koop_scope_grantable(name)) {
            const char *msg = "is not a scope a token can be given: %s";
            snprintf(text, sizeof text, msg, name);
            koop_error_add(errors, "body", path, "enum", text);
            ok = false;
            continue;
        }
        koop_scopes bit = (koop_scopes)1 << koop_scope_index(name);
        if (*out & bit) {
            koop_error_add(errors, "body", path, "duplicate", "is given twice");
            ok = false;
        }
        *out |= bit;
    }
    return ok;
}

struct token_arg {
    const char *user, *id, *hash, *body, *secret, *self_max;
};

static int token_create_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct token_arg *a = p;
    const char *v[] = {a->user, a->id, a->hash, a->body, a->self_max};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_token_create", 5, v);
    if (!r)
        return -1;
    json_t *t = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    if (!t)
        return koop_fail(res, P_INTERNAL, "bad token record"), 0;
    /* the only time the secret leaves the daemon */
    json_object_set_new(t, "token", json_string(a->secret));
    koop_res_json(res, 201, t);
    koop_res_header(res, "Location", "/v1/users/%s/tokens/%s", a->user, a->id);
    return 0;
}

static int scope_denied_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    return db_exec(tx, res, DB_LAST, "koop_audit_scope_denied", 4, p) ? 0 : -1;
}

int tokens_create(struct kreq *req, struct kres *res)
{
    if (req->idempotency_key)
        return koop_fail_field(res, "header", "Idempotency-Key", "unknown_field",
                               "is not accepted here: a token's secret is shown only once");
    /* tokens of other users are minted by admins only (403 before any lookup) */
    const char *user = koop_param(req, "user_id");
    bool self = user && !strcasecmp(user, req->auth.user_id);
    if (!self && req->auth.role != ROLE_ADMIN && req->auth.role != ROLE_PLATFORM_ADMIN)
        return koop_fail(res, P_FORBIDDEN, "only admins mint tokens for other users");
    json_t *body = req->json ? json_deep_copy(req->json) : json_object();
    json_t *errors = json_array();
    koop_scopes want = 0;
    if (!fs_validate(token_fields, body, FS_CREATE, "", errors) ||
        !token_scopes(body, &want, errors)) {
        json_decref(body);
        return koop_fail_errors(res, errors);
    }
    json_decref(errors);
    /* a scoped token mints only tokens within its own scopes, never a wider one */
    if (req->auth.scopes && (!want || !koop_scopes_within(want, req->auth.scopes))) {
        char have[512], asked[400];
        koop_scopes_format(req->auth.scopes, " ", have, sizeof have);
        koop_scopes_format(want, " ", asked, sizeof asked);
        json_decref(body);
        koop_fail(res, P_INSUFFICIENT_SCOPE,
                  "a token with scopes mints only tokens with scopes within its own (%s)", have);
        /* (the scopes asked for; none: the role's full access, beyond any scope) */
        koop_res_header(res, "WWW-Authenticate",
                        "Bearer realm=\"kooperacje\", error=\"insufficient_scope\", scope=\"%s\"",
                        want ? asked : "");
        /* audited as any refusal for want of a scope (its own transaction: nothing else ran) */
        const char *v[] = {"create", "token", user, want ? asked : "(full access)"};
        struct kres tmp = {0};
        if (db_run(req, &tmp, scope_denied_fn, (void *)v) != 0)
            koop_log_error("could not record a refused token mint");
        json_decref(tmp.json);
        free(tmp.raw);
        return 0;
    }
    /* stored in the registry's order */
    if (want)
        json_object_set_new(body, "scopes", scopes_json(want));
    char secret[64], id[37], hash[65];
    if (koop_new_token(secret) != 0) {
        json_decref(body);
        return koop_fail(res, P_INTERNAL, "no randomness available");
    }
    koop_uuid7(id);
    koop_sha256_hex(secret, strlen(secret), hash);
    char *txt = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    /* a token of one's own lives at most KOOP_SELF_TOKEN_MAX_DAYS (the SQL checks it) */
    char self_max[16];
    snprintf(self_max, sizeof self_max, "%d", koop_cfg.self_token_max_days);
    struct token_arg a = {user, id, hash, txt, secret, self ? self_max : NULL};
    db_run(req, res, token_create_fn, &a);
    free(txt);
    return 0;
}

static const char *const token_sorts[] = {"-created_at", NULL};

struct list_arg {
    const char *user, *after, *limit;
};

static int tokens_list_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    struct list_arg *a = p;
    const char *v[] = {a->user, a->after, a->limit};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_token_list", 3, v);
    if (!r)
        return -1;
    return koop_list_reply(req, res, token_sorts[0], PQgetvalue(r, 0, 0),
                           PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
}

int tokens_list(struct kreq *req, struct kres *res)
{
    const char *sort;
    json_t *after;
    long limit;
    json_t *q = koop_list_params(NULL, token_sorts, NULL, req, res, &sort, &after, &limit);
    if (!q)
        return 0;
    char lim[16];
    snprintf(lim, sizeof lim, "%ld", limit);
    char *as = after ? json_dumps(after, JSON_COMPACT) : NULL;
    struct list_arg a = {koop_param(req, "user_id"), as, lim};
    db_run(req, res, tokens_list_fn, &a);
    free(as);
    json_decref(q);
    json_decref(after);
    return 0;
}

int tokens_delete(struct kreq *req, struct kres *res)
{
    const char *v[] = {koop_param(req, "user_id"), koop_param(req, "token_id")};
    return koop_res_exec(req, res, "koop_token_revoke", 2, v);
}

/* POST /v1/tenants/{tenant_id}/users (platform admin): the tenant's first
 * admin, with its first token in the answer ("token": the only time that
 * secret is shown; never replayed, so no Idempotency-Key). */
struct first_admin_arg {
    const char *tenant, *id, *body, *tid, *hash, *secret;
};

static int first_admin_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct first_admin_arg *a = p;
    const char *v[] = {a->tenant, a->id, a->body, a->tid, a->hash};
    PGresult *r = db_exec(tx, res, DB_LAST, "koop_tenant_admin_create", 5, v);
    if (!r)
        return -1;
    json_t *u = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    if (!u || !json_is_object(json_object_get(u, "token"))) {
        json_decref(u);
        return koop_fail(res, P_INTERNAL, "bad user record"), 0;
    }
    json_object_set_new(json_object_get(u, "token"), "token", json_string(a->secret));
    koop_res_header(res, "ETag", "\"%lld\"",
                    (long long)json_integer_value(json_object_get(u, "version")));
    koop_res_header(res, "Location", "/v1/users/%s", a->id);
    koop_res_json(res, 201, u);
    return 0;
}

int tenant_admin_create(struct kreq *req, struct kres *res)
{
    if (req->idempotency_key)
        return koop_fail_field(res, "header", "Idempotency-Key", "unknown_field",
                               "is not accepted here: a token's secret is shown only once");
    if (!req->json || !json_is_object(req->json))
        return koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
    json_t *errors = json_array();
    if (!fs_validate(user_fields, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    char secret[64], id[37], tid[37], hash[65];
    if (koop_new_token(secret) != 0)
        return koop_fail(res, P_INTERNAL, "no randomness available");
    koop_uuid7(id);
    koop_uuid7(tid);
    koop_sha256_hex(secret, strlen(secret), hash);
    char *txt = json_dumps(req->json, JSON_COMPACT);
    struct first_admin_arg a = {koop_param(req, "tenant_id"), id, txt, tid, hash, secret};
    db_run(req, res, first_admin_fn, &a);
    free(txt);
    return 0;
}

void users_init(void)
{
    koop_resource_register(&user_resource);
    db_register("koop_me", "SELECT NULL, koop.me()::text");
    db_register("koop_token_create",
                "SELECT koop.token_create($1::uuid, $2::uuid, $3, $4::jsonb, $5::int)::text");
    db_register("koop_token_list", "SELECT (r->'items')::text, (r->'next')::text "
                                   "FROM koop.token_list($1::uuid, $2::jsonb, $3::int) r");
    db_register("koop_token_revoke", "SELECT koop.token_revoke($1::uuid, $2::uuid)");
    db_register(
        "koop_tenant_admin_create",
        "SELECT koop.tenant_admin_create($1::uuid, $2::uuid, $3::jsonb, $4::uuid, $5)::text");
}
