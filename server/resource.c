#include "resource.h"

#include "db.h"
#include "log.h"
#include "problem.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fs_field reason_field = {
    .name = "reason", .type = FS_STRING, .min = 1, .max = 500};

void koop_resource_register(const struct koop_resource *r)
{
    static const struct {
        enum koop_op op;
        const char *suffix, *fmt;
    } shapes[] = {
        {OP_GET, "get", "SELECT r->>'version', r::text FROM koop.%s_get($1::uuid, $2::uuid) r"},
        {OP_LIST, "list",
         "SELECT (r->'items')::text, (r->'next')::text FROM "
         "koop.%s_list($1::uuid, $2::jsonb, $3, $4::jsonb, $5::int) r"},
        {OP_CREATE, "create",
         "SELECT r->>'version', r::text FROM "
         "koop.%s_create($1::uuid, $2::uuid, $3::jsonb) r"},
        {OP_CREATE, "create_idem",
         "SELECT r->>'version', r::text FROM koop.idem_save($4, $5, $6, 201, "
         "koop.%s_create($1::uuid, $2::uuid, $3::jsonb)) r"},
        {OP_PATCH, "patch",
         "SELECT r->>'version', r::text FROM "
         "koop.%s_patch($1::uuid, $2::uuid, $3::int, $4::jsonb) r"},
        {OP_DELETE, "delete", "SELECT koop.%s_delete($1::uuid, $2::uuid, $3::int)"},
        {OP_TRANSITION, "transition",
         "SELECT r->>'version', r::text FROM "
         "koop.%s_transition($1::uuid, $2::uuid, $3::int, $4, $5) r"},
    };
    static const char outcome_fmt[] =
        "SELECT r->>'version', r::text FROM "
        "koop.%s_transition($1::uuid, $2::uuid, $3::int, $4, $5, $6) r";
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (!(r->ops & OP_BIT(shapes[i].op)))
            continue;
        if (shapes[i].op == OP_LIST && r->list)
            continue; /* one of the generic statements above */
        char *name = NULL, *sql = NULL;
        /* kept for the process lifetime: the statement registry borrows them */
        const char *fmt =
            shapes[i].op == OP_TRANSITION && r->transition_outcome ? outcome_fmt : shapes[i].fmt;
        if (asprintf(&name, "%s_%s", r->name, shapes[i].suffix) < 0)
            abort();
        if (shapes[i].op == OP_TRANSITION && r->transition_fields) {
            char extra[64] = "";
            for (int k = 0; r->transition_fields[k].name && k < KOOP_TRANSITION_EXTRA; k++)
                snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", $%d", 7 + k);
            if (asprintf(&sql,
                         "SELECT r->>'version', r::text FROM "
                         "koop.%s_transition($1::uuid, $2::uuid, $3::int, $4, $5, $6%s) r",
                         r->name, extra) < 0)
                abort();
        } else if (asprintf(&sql, fmt, r->name) < 0) {
            abort();
        }
        db_register(name, sql);
    }
}

static const char *stmt_name(char *buf, size_t n, const struct koop_resource *r, const char *op)
{
    snprintf(buf, n, "%s_%s", r->name, op);
    return buf;
}

static const char *parent_id(const struct kreq *req)
{
    return req->nparams >= 2 ? req->params[0] : NULL;
}

static const char *own_id(const struct kreq *req)
{
    return req->nparams ? req->params[req->nparams - 1] : NULL;
}

void koop_res_record(struct kres *res, int status, char *body, const char *version)
{
    res->status = status;
    res->raw = body;
    res->raw_len = strlen(body);
    res->content_type = "application/json";
    if (version && *version)
        koop_res_header(res, "ETag", "\"%s\"", version);
}

long koop_if_match(const struct kreq *req, struct kres *res, bool required)
{
    const char *im = req->if_match;
    if (!im || !*im) {
        if (!required)
            return -2;
        koop_fail(res, P_PRECONDITION_REQUIRED,
                  "this request needs If-Match with the record's current ETag");
        return -1;
    }
    /* strong ETag "<digits>"; a weak one (W/) never satisfies If-Match */
    size_t n = strlen(im);
    if (n < 3 || n > 12 || im[0] != '"' || im[n - 1] != '"') {
        koop_fail(res, P_PRECONDITION_FAILED, "If-Match must be a strong ETag of this record");
        return -1;
    }
    long v = 0;
    for (size_t i = 1; i < n - 1; i++) {
        if (im[i] < '0' || im[i] > '9') {
            koop_fail(res, P_PRECONDITION_FAILED, "If-Match does not match the record's ETag");
            return -1;
        }
        v = v * 10 + (im[i] - '0');
    }
    if (v > 2147483647L) { /* no record reaches this version */
        koop_fail(res, P_PRECONDITION_FAILED, "If-Match does not match the record's ETag");
        return -1;
    }
    return v;
}

/* ---- one-statement work ---- */

struct one_arg {
    const char *stmt;
    int n;
    const char *const *vals;
    int status;
    bool no_body; /* 204 */
};

static int one_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct one_arg *a = p;
    PGresult *r = db_exec(tx, res, DB_LAST, a->stmt, a->n, a->vals);
    if (!r)
        return -1;
    if (a->no_body) {
        res->status = 204;
        return 0;
    }
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 1)) {
        koop_fail(res, P_NOT_FOUND, "no such record");
        return 0; /* read-only: nothing to roll back */
    }
    char *body = strdup(PQgetvalue(r, 0, 1));
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory"), -1;
    koop_res_record(res, a->status, body, PQgetvalue(r, 0, 0));
    return 0;
}

int koop_res_one(struct kreq *req, struct kres *res, const char *stmt, int n,
                 const char *const *vals, int status)
{
    struct one_arg a = {stmt, n, vals, status, false};
    db_run(req, res, one_fn, &a);
    return 0;
}

int koop_res_exec(struct kreq *req, struct kres *res, const char *stmt, int n,
                  const char *const *vals)
{
    struct one_arg a = {stmt, n, vals, 204, true};
    db_run(req, res, one_fn, &a);
    return 0;
}

int koop_no_query(const struct kreq *req, struct kres *res)
{
    if (!req->nquery && !req->query_overflow)
        return 0;
    json_t *errors = json_array();
    static const struct fs_field none[] = {{.name = NULL}};
    json_decref(fs_parse_query(none, req, errors));
    koop_fail_errors(res, errors);
    return -1;
}

/* ---- create ---- */

struct create_arg {
    const struct koop_resource *r;
    const char *id, *body, *hash;
};

static int create_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    struct create_arg *a = p;
    char name[96];
    if (req->idempotency_key) {
        const char *cv[] = {req->idempotency_key, req->method, req->path, a->hash};
        PGresult *c = db_exec(tx, res, 0, "koop_idem_claim", 4, cv);
        if (!c)
            return -1;
        if (PQntuples(c) == 1 && !PQgetisnull(c, 0, 1)) {
            /* a replay: the original status and body, while the caller may still see the
             * record (its get answers; else 404, which http.c audits on family routes) */
            json_t *j = json_loads(PQgetvalue(c, 0, 1), 0, NULL);
            const char *id = json_string_value(json_object_get(j, "id"));
            if (id && (a->r->ops & OP_BIT(OP_GET))) {
                const char *gv[] = {req->nparams ? req->params[0] : NULL, id};
                PGresult *g = db_exec(tx, res, 0, stmt_name(name, sizeof name, a->r, "get"), 2, gv);
                bool gone = !g || PQntuples(g) != 1 || PQgetisnull(g, 0, 1);
                if (gone) {
                    json_decref(j);
                    if (g)
                        koop_fail(res, P_NOT_FOUND, "no such record");
                    return -1;
                }
            }
            char *body = strdup(PQgetvalue(c, 0, 1));
            if (!body) {
                json_decref(j);
                return -1;
            }
            koop_res_record(res, atoi(PQgetvalue(c, 0, 0)), body, PQgetvalue(c, 0, 2));
            koop_res_header(res, "Idempotent-Replayed", "true");
            if (id)
                koop_res_header(res, "Location", "%s/%s",
                                a->r->location ? a->r->location : req->path, id);
            json_decref(j);
            return 0;
        }
        const char *v[] = {req->nparams ? req->params[0] : NULL,
                           a->id,
                           a->body,
                           req->idempotency_key,
                           req->method,
                           req->path};
        PGresult *r =
            db_exec(tx, res, DB_LAST, stmt_name(name, sizeof name, a->r, "create_idem"), 6, v);
        if (!r)
            return -1;
        koop_res_record(res, 201, strdup(PQgetvalue(r, 0, 1)), PQgetvalue(r, 0, 0));
    } else {
        const char *v[] = {req->nparams ? req->params[0] : NULL, a->id, a->body};
        PGresult *r = db_exec(tx, res, DB_LAST, stmt_name(name, sizeof name, a->r, "create"), 3, v);
        if (!r)
            return -1;
        koop_res_record(res, 201, strdup(PQgetvalue(r, 0, 1)), PQgetvalue(r, 0, 0));
    }
    koop_res_header(res, "Location", "%s/%s", a->r->location ? a->r->location : req->path, a->id);
    return 0;
}

static int need_body(struct kreq *req, struct kres *res)
{
    if (!req->json) {
        koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
        return -1;
    }
    return 0;
}

int koop_res_create(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    if (need_body(req, res) != 0)
        return 0;
    json_t *errors = json_array();
    if (req->idempotency_key) {
        size_t n = strlen(req->idempotency_key);
        if (n < 1 || n > 255)
            koop_error_add(errors, "header", "Idempotency-Key", "max_length",
                           "must be 1 to 255 characters");
    }
    if (!fs_validate(r->fields, req->json, FS_CREATE, "", errors) || json_array_size(errors)) {
        return koop_fail_errors(res, errors);
    }
    json_decref(errors);
    char id[37], hash[65];
    koop_uuid7(id);
    koop_sha256_hex(req->body, req->body_len, hash);
    /* the validated document goes to SQL as jsonb */
    char *body = json_dumps(req->json, JSON_COMPACT);
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory");
    struct create_arg a = {r, id, body, hash};
    db_run(req, res, create_fn, &a);
    free(body);
    return 0;
}

/* ---- get ---- */

int koop_res_get(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    char name[96];
    const char *v[] = {parent_id(req), own_id(req)};
    return koop_res_one(req, res, stmt_name(name, sizeof name, r, "get"), 2, v, 200);
}

/* ---- list ---- */

static const struct fs_field limit_field = {.name = "limit", .type = FS_INT, .min = 1, .max = 200};

json_t *koop_list_params(const struct fs_field *filters, const char *const *sorts,
                         const char *q_sort, struct kreq *req, struct kres *res, const char **sort,
                         json_t **after, long *limit)
{
    /* the route's filters plus limit, cursor and sort */
    struct fs_field spec[40];
    int n = 0;
    for (const struct fs_field *f = filters; f && f->name && n < 36; f++)
        spec[n++] = *f;
    spec[n++] = limit_field;
    spec[n++] = (struct fs_field){.name = "cursor", .type = FS_STRING, .min = 1, .max = 2048};
    spec[n++] = (struct fs_field){.name = "sort", .type = FS_ENUM, .values = sorts};
    spec[n] = (struct fs_field){.name = NULL};
    json_t *errors = json_array();
    json_t *q = fs_parse_query(spec, req, errors);
    *sort = sorts[0];
    *after = NULL;
    *limit = 50;
    const char *s = json_string_value(json_object_get(q, "sort"));
    if (!s && q_sort && json_object_get(q, "q"))
        s = q_sort;
    if (s) {
        for (const char *const *p = sorts; *p; p++)
            if (strcmp(*p, s) == 0)
                *sort = *p;
    }
    const json_t *l = json_object_get(q, "limit");
    if (l)
        *limit = (long)json_integer_value(l);
    const char *c = json_string_value(json_object_get(q, "cursor"));
    if (c) {
        json_t *key = NULL;
        char id[37];
        if (koop_cursor_decode(c, *sort, &key, id) != 0)
            koop_error_add(errors, "query", "cursor", "invalid",
                           "is not a cursor of this list and sort");
        else
            *after = json_pack("{s:o, s:s}", "k", key, "i", id);
    }
    json_object_del(q, "limit");
    json_object_del(q, "cursor");
    json_object_del(q, "sort");
    if (json_array_size(errors)) {
        koop_fail_errors(res, errors);
        json_decref(q);
        json_decref(*after);
        *after = NULL;
        return NULL;
    }
    json_decref(errors);
    return q;
}

int koop_list_reply(struct kreq *req, struct kres *res, const char *sort, const char *items,
                    const char *next)
{
    char *cursor = NULL;
    if (next && *next) {
        json_t *nx = json_loads(next, 0, NULL);
        const char *id = json_string_value(json_object_get(nx, "i"));
        if (id)
            cursor = koop_cursor_encode(sort, json_object_get(nx, "k"), id);
        json_decref(nx);
    }
    size_t n = strlen(items) + (cursor ? strlen(cursor) : 0) + 64;
    char *body = malloc(n);
    if (!body) {
        free(cursor);
        return koop_fail(res, P_INTERNAL, "out of memory");
    }
    if (cursor) {
        snprintf(body, n, "{\"items\":%s,\"next_cursor\":\"%s\"}", items, cursor);
        /* the next page keeps every parameter but cursor */
        char link[480];
        size_t used = (size_t)snprintf(link, sizeof link, "<%s?", req->path);
        for (int i = 0; i < req->nquery && used < sizeof link; i++) {
            if (strcmp(req->query[i].key, "cursor") == 0)
                continue;
            char *ek = NULL;
            /* values were validated; only re-escape the characters that matter */
            const char *v = req->query[i].value ? req->query[i].value : "";
            size_t vl = strlen(v) * 3 + 1;
            ek = malloc(vl);
            if (!ek)
                break;
            size_t o = 0;
            for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == ',')
                    ek[o++] = (char)*p;
                else
                    o += (size_t)snprintf(ek + o, vl - o, "%%%02X", *p);
            }
            ek[o] = 0;
            used +=
                (size_t)snprintf(link + used, sizeof link - used, "%s=%s&", req->query[i].key, ek);
            free(ek);
        }
        if (used + strlen(cursor) + 20 < sizeof link) {
            snprintf(link + used, sizeof link - used, "cursor=%s>; rel=\"next\"", cursor);
            koop_res_header(res, "Link", "%s", link);
        }
    } else {
        snprintf(body, n, "{\"items\":%s,\"next_cursor\":null}", items);
    }
    free(cursor);
    res->status = 200;
    res->raw = body;
    res->raw_len = strlen(body);
    res->content_type = "application/json";
    return 0;
}

struct list_arg {
    const char *stmt, *sort; /* sort: the ?sort= value, for the next cursor */
    int n;
    const char *const *vals;
    const char *sql; /* a generic list's page (instead of stmt) */
    const Oid *types;
};

static int list_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    struct list_arg *a = p;
    PGresult *r = a->sql ? db_exec_sql(tx, res, DB_LAST, a->sql, a->n, a->types, a->vals)
                         : db_exec(tx, res, DB_LAST, a->stmt, a->n, a->vals);
    if (!r)
        return -1;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        return koop_fail(res, P_NOT_FOUND, "no such collection"), 0;
    return koop_list_reply(req, res, a->sort, PQgetvalue(r, 0, 0),
                           PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
}

/* The WHERE of a generic list: the list's own condition, the caller's role
 * condition, and the fragment of each filter given in q — constants only,
 * joined by AND. Returns a new string (caller frees) or NULL when out of
 * memory. */
static char *list_where(const struct koop_resource *r, const struct kreq *req, const json_t *q)
{
    const struct koop_list *l = r->list;
    const char *parts[48];
    int n = 0;
    bool role = (req->auth.role & l->where_roles) != 0;
    parts[n++] = role && l->role_base ? l->role_base : l->where ? l->where : "true";
    if (l->role_where && role)
        parts[n++] = l->role_where;
    for (const struct koop_filter *f = r->filters; f && f->field.name && n < 48; f++)
        if (f->where && json_object_get(q, f->field.name))
            parts[n++] = f->where;
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(parts[i]) + 8;
    char *w = malloc(len), *o = w;
    if (!w)
        return NULL;
    o += sprintf(o, "%s", parts[0]);
    for (int i = 1; i < n; i++)
        o += sprintf(o, " AND (%s)", parts[i]);
    return w;
}

/* A generic list's page as one statement: what koop.page (sql/functions/core.sql) would
 * EXECUTE, built here instead so that its text depends only on the list, the sort, the filters
 * given, whether a cursor was, and whether the caller has a tenant; db_exec_sql then prepares
 * it once per connection and keeps its plan. $1 filters, $2 after, $3 limit, $4 parent, $5
 * the audit resource. The check and the cursor's type are gates evaluated before any row. */
static char *list_sql(const struct koop_list *l, const struct koop_sort *k, bool desc,
                      const char *where, bool after, bool tenant)
{
    const char *dir = desc ? "DESC" : "ASC";
    char *cond = NULL, *gate = NULL, *sql = NULL;
    if (after && asprintf(&cond, "AND (%s, t.id) %s ((($2->>'k')::%s), ($2->>'i')::uuid)", k->key,
                          desc ? "<" : ">", k->type) < 0)
        return NULL;
    if (l->check || after) {
        if (asprintf(&gate, "(SELECT num_nulls(%s%s%s%s%s) >= 0) AND ", l->check ? l->check : "",
                     l->check && after ? ", " : "", after ? "koop.cursor_check($2, '" : "",
                     after ? k->type : "", after ? "')" : "") < 0) {
            free(cond);
            return NULL;
        }
    }
    int rc = asprintf(
        &sql,
        "%s(WITH page AS (SELECT %s AS j, (%s)::text AS k, t.id AS i, "
        "row_number() OVER (ORDER BY %s %s, t.id %s) AS rn "
        "FROM %s t WHERE %s%s AND (%s) %s "
        "ORDER BY %s %s, t.id %s LIMIT $3 + 1) "
        "SELECT jsonb_build_object('items', "
        "coalesce((SELECT jsonb_agg(j ORDER BY rn) FROM page WHERE rn <= $3), '[]'::jsonb), "
        "'next', (SELECT jsonb_build_object('k', k, 'i', i) FROM page WHERE rn = $3 "
        "AND EXISTS (SELECT 1 FROM page WHERE rn = $3 + 1))) OFFSET 0)%s",
        l->audit ? "SELECT (r->'items')::text, (r->'next')::text FROM koop.audit_list($5, "
                 : "SELECT (r->'items')::text, (r->'next')::text FROM ",
        l->json, k->key, k->key, dir, dir, l->from, gate ? gate : "",
        tenant ? "t.tenant_id = koop.tenant()" : "t.tenant_id IS NULL", where, cond ? cond : "",
        k->key, dir, dir, l->audit ? ") r" : " r(r)");
    free(cond);
    free(gate);
    return rc < 0 ? NULL : sql;
}

/* The ?sort= entry named s ("name" or "-name"): its declaration, and whether
 * it is the descending one. */
static const struct koop_sort *sort_of(const struct koop_sort *sorts, const char *s, bool *desc)
{
    for (const struct koop_sort *k = sorts; k->name; k++) {
        if (strcmp(k->name, s) == 0 || (k->desc && strcmp(k->desc, s) == 0)) {
            *desc = k->desc && strcmp(k->desc, s) == 0;
            return k;
        }
    }
    return NULL;
}

int koop_res_list(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    /* the declared filters and sorts as a query spec and a ?sort= vocabulary */
    struct fs_field filters[37];
    const char *sorts[33];
    int nf = 0, ns = 0;
    for (const struct koop_filter *f = r->filters; f && f->field.name && nf < 36; f++)
        filters[nf++] = f->field;
    filters[nf] = (struct fs_field){.name = NULL};
    for (const struct koop_sort *k = r->sorts; k->name && ns < 31; k++) {
        if (k->desc && k->desc_first)
            sorts[ns++] = k->desc;
        sorts[ns++] = k->name;
        if (k->desc && !k->desc_first)
            sorts[ns++] = k->desc;
    }
    sorts[ns] = NULL;
    const char *sort;
    json_t *after;
    long limit;
    json_t *q = koop_list_params(filters, sorts, r->q_sort, req, res, &sort, &after, &limit);
    if (!q)
        return 0;
    char name[96], lim[16];
    snprintf(lim, sizeof lim, "%ld", limit);
    char *qs = json_dumps(q, JSON_COMPACT);
    char *as = after ? json_dumps(after, JSON_COMPACT) : NULL;
    const char *parent = req->nparams ? req->params[0] : NULL;
    char *where = NULL;
    if (r->list) {
        bool desc = false;
        const struct koop_sort *k = sort_of(r->sorts, sort, &desc);
        where = list_where(r, req, q);
        if (!k || !where || !qs) {
            koop_fail(res, P_INTERNAL, k ? "out of memory" : "undeclared sort");
        } else {
            const struct koop_list *l = r->list;
            /* jsonb, jsonb, int4, uuid, text */
            static const Oid types[] = {3802, 3802, 23, 2950, 25};
            const char *v[] = {qs, as, lim, parent, l->audit};
            char *sql = list_sql(l, k, desc, where, as != NULL, req->auth.tenant_id[0] != 0);
            struct list_arg a = {NULL, sort, l->audit ? 5 : 4, v, sql, types};
            if (!sql)
                koop_fail(res, P_INTERNAL, "out of memory");
            else
                db_run(req, res, list_fn, &a);
            free(sql);
        }
    } else {
        const char *v[] = {parent, qs, sort, as, lim};
        struct list_arg a = {stmt_name(name, sizeof name, r, "list"), sort, 5, v};
        db_run(req, res, list_fn, &a);
    }
    free(where);
    free(qs);
    free(as);
    json_decref(q);
    json_decref(after);
    return 0;
}

/* ---- patch, delete, transition ---- */

int koop_res_patch(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    long version = koop_if_match(req, res, true);
    if (version < 0)
        return 0;
    if (need_body(req, res) != 0)
        return 0;
    json_t *errors = json_array();
    if (!fs_validate(r->patch_fields ? r->patch_fields : r->fields, req->json, FS_PATCH, "",
                     errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    char name[96], ver[24];
    snprintf(ver, sizeof ver, "%ld", version);
    char *body = json_dumps(req->json, JSON_COMPACT);
    if (!body)
        return koop_fail(res, P_INTERNAL, "out of memory");
    const char *v[] = {parent_id(req), own_id(req), ver, body};
    struct one_arg a = {stmt_name(name, sizeof name, r, "patch"), 4, v, 200, false};
    db_run(req, res, one_fn, &a);
    free(body);
    return 0;
}

int koop_res_delete(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    long version = koop_if_match(req, res, true);
    if (version < 0)
        return 0;
    char name[96], ver[24];
    snprintf(ver, sizeof ver, "%ld", version);
    const char *v[] = {parent_id(req), own_id(req), ver};
    struct one_arg a = {stmt_name(name, sizeof name, r, "delete"), 3, v, 204, true};
    db_run(req, res, one_fn, &a);
    return 0;
}

int koop_res_transition(const struct koop_resource *r, struct kreq *req, struct kres *res)
{
    long version = koop_if_match(req, res, false);
    if (version == -1)
        return 0;
    if (need_body(req, res) != 0)
        return 0;
    struct fs_field spec[] = {
        {.name = "to", .type = FS_ENUM, .flags = FS_REQUIRED, .values = r->states},
        reason_field,
        {.name = r->transition_outcome ? "outcome" : NULL,
         .type = FS_STRING,
         .min = 1,
         .max = 2000},
        {.name = NULL},
        {.name = NULL},
        {.name = NULL},
    };
    int n = r->transition_outcome ? 6 : 5;
    const char *v[6 + KOOP_TRANSITION_EXTRA] = {
        parent_id(req),
        own_id(req),
        NULL,
        json_string_value(json_object_get(req->json, "to")),
        json_string_value(json_object_get(req->json, "reason")),
        json_string_value(json_object_get(req->json, "outcome"))};
    for (int k = 0;
         r->transition_fields && r->transition_fields[k].name && k < KOOP_TRANSITION_EXTRA; k++) {
        spec[3 + k] = r->transition_fields[k];
        v[n++] = json_string_value(json_object_get(req->json, r->transition_fields[k].name));
    }
    json_t *errors = json_array();
    if (!fs_validate(spec, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    char name[96], ver[24];
    snprintf(ver, sizeof ver, "%ld", version);
    v[2] = version >= 0 ? ver : NULL;
    struct one_arg a = {stmt_name(name, sizeof name, r, "transition"), n, v, 200, false};
    db_run(req, res, one_fn, &a);
    return 0;
}

int koop_res_op(const struct koop_resource *r, enum koop_op op, struct kreq *req, struct kres *res)
{
    switch (op) {
    case OP_LIST:
        koop_res_list(r, req, res);
        break;
    case OP_CREATE:
        koop_res_create(r, req, res);
        break;
    case OP_GET:
        koop_res_get(r, req, res);
        break;
    case OP_PATCH:
        koop_res_patch(r, req, res);
        break;
    case OP_DELETE:
        koop_res_delete(r, req, res);
        break;
    case OP_TRANSITION:
        koop_res_transition(r, req, res);
        break;
    case OP_NONE:
        return koop_fail(res, P_INTERNAL, "route has no handler");
    }
    return 0;
}
