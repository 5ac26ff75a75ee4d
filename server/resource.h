/* Generic resource handlers: create, get, list, merge-patch, delete and
 * transitions over a uniform set of SQL functions. A resource in api/ only
 * declares its fields, filters, sorts and states; the plumbing (validation,
 * If-Match, Idempotency-Key, ETag, Location, cursors, Link) lives here.
 *
 * For a resource named N the schema provides (p_parent is the enclosing
 * resource's id from the path, or NULL for a top-level collection):
 *   koop.N_create(p_parent uuid, p_id uuid, p_body jsonb) → jsonb
 *   koop.N_get(p_parent uuid, p_id uuid) → jsonb or NULL (not visible)
 *   koop.N_list(p_parent uuid, p_filters jsonb, p_sort text, p_after jsonb,
 *               p_limit int) → {"items": [...], "next": {"k":..,"i":..}|null}
 *     — only for a resource without .list; with .list the list is one statement
 *     built from the declarations below (the shape of koop.page, sql/functions/core.sql),
 *     prepared once per connection for each sort and set of filters.
 *   koop.N_patch(p_parent uuid, p_id uuid, p_version int, p_patch jsonb) → jsonb
 *   koop.N_delete(p_parent uuid, p_id uuid, p_version int) → void
 *   koop.N_transition(p_parent uuid, p_id uuid, p_version int, p_to text,
 *                     p_reason text) → jsonb
 * They raise SQLSTATE KPnnn for problems (see db_map_error). */
#ifndef KOOP_RESOURCE_H
#define KOOP_RESOURCE_H

#include "req.h"
#include "router.h"
#include "spec.h"

/* Lists are declared, not written: each filter names the SQL predicate it
 * adds, each sort its key, the list its rows. koop_res_list joins the
 * constant fragments of the filters given into one statement (db_exec_sql:
 * prepared once per connection, its plan kept); values reach SQL only inside
 * $1 (the filters as JSON), never in a fragment. In every fragment the row is
 * t, $1 the filters (jsonb), $4 the parent id from the path. */

/* A list query parameter and the predicate it adds when given. */
struct koop_filter {
    struct fs_field field; /* .field.name NULL terminates an array */
    const char *where;     /* e.g. "t.status = $1->>'status'"; NULL for a koop.N_list */
};

/* ?sort=name and ?sort=-name (descending) over one key. */
struct koop_sort {
    const char *name; /* NULL terminates an array; the first entry is the default */
    const char *desc; /* "-name", or NULL when the key sorts only one way */
    const char *key;  /* SQL key expression, e.g. "lower(t.name)"; NULL for a koop.N_list */
    const char *type; /* its SQL type: "text", "timestamptz", "date", ... */
    bool desc_first;  /* "-name" is listed (and, as the first entry, defaults) before "name" */
};
#define KOOP_SORT(n, k, t)                                                                         \
    {                                                                                              \
        .name = n, .desc = "-" n, .key = k, .type = t                                              \
    }
#define KOOP_SORT_DESC_FIRST(n, k, t)                                                              \
    {                                                                                              \
        .name = n, .desc = "-" n, .key = k, .type = t, .desc_first = true                          \
    }
#define KOOP_SORT_ASC(n, k, t)                                                                     \
    {                                                                                              \
        .name = n, .key = k, .type = t                                                             \
    }

/* The keys and filter almost every list has. */
#define KOOP_SORT_CREATED_AT KOOP_SORT("created_at", "t.created_at", "timestamptz")
#define KOOP_SORT_UPDATED_AT KOOP_SORT("updated_at", "t.updated_at", "timestamptz")
#define KOOP_FILTER_UPDATED_SINCE                                                                  \
    {                                                                                              \
        {.name = "updated_since", .type = FS_DATETIME},                                            \
            "t.updated_at >= ($1->>'updated_since')::timestamptz"                                  \
    }

/* The rows of a generic list. */
struct koop_list {
    const char *from;  /* table, or a parenthesised subquery, read as t */
    const char *json;  /* a row's JSON, e.g. "koop.partner_json(t)" */
    const char *where; /* always applied: visibility, the parent ("t.team_id = $4"); NULL = true */
    const char *check; /* run first, raises 404 when the parent is not visible, e.g.
                          "koop.team_must_see($4)"; NULL = none */
    unsigned where_roles;   /* roles (bits of enum koop_role) for which role_where is added */
    const char *role_where; /* e.g. "t.partner_id = koop.partner()", where an index needs it */
    const char *role_base;  /* for where_roles: instead of where (the same rows, as joins the
                               planner can use rather than a visibility function per row) */
    const char *audit;      /* koop.audit_list resource name (reads of personal data), or NULL */
};

struct koop_resource {
    const char *name;                    /* statement/function prefix, e.g. "partner" */
    const struct fs_field *fields;       /* body fields for create (and patch) */
    const struct fs_field *patch_fields; /* body fields for patch, when they differ */
    const char *location;                /* Location prefix when not the request path */
    const struct koop_filter *filters;   /* list query parameters (limit/cursor/sort are added) */
    const struct koop_sort *sorts;       /* ?sort= keys, at least one */
    const struct koop_list *list;        /* the generic list, or NULL: koop.N_list */
    const char *q_sort;                  /* default sort when ?q= is given (e.g. "relevance") */
    const char *const *states;           /* transition targets, NULL-terminated, or NULL */
    unsigned ops;                        /* OPS(...) of the operations the schema provides */
    bool transition_outcome; /* transitions take "outcome" (koop.N_transition has 6 args) */
    /* further body fields of a transition (strings or enums), after "outcome": each value is
     * one more argument of koop.N_transition ($7, $8, ...), NULL when absent; at most
     * KOOP_TRANSITION_EXTRA. Needs transition_outcome. NULL = none. */
    const struct fs_field *transition_fields;
};
#define KOOP_TRANSITION_EXTRA 2
#define OP_BIT(op) (1u << (op))
#define OPS_CRUD                                                                                   \
    (OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) | OP_BIT(OP_DELETE))

/* Registers the resource's prepared statements (at start-up). */
void koop_resource_register(const struct koop_resource *r);

/* Runs the generic operation op on r. */
int koop_res_op(const struct koop_resource *r, enum koop_op op, struct kreq *req, struct kres *res);

int koop_res_create(const struct koop_resource *r, struct kreq *req, struct kres *res);
int koop_res_get(const struct koop_resource *r, struct kreq *req, struct kres *res);
int koop_res_list(const struct koop_resource *r, struct kreq *req, struct kres *res);
int koop_res_patch(const struct koop_resource *r, struct kreq *req, struct kres *res);
int koop_res_delete(const struct koop_resource *r, struct kreq *req, struct kres *res);
int koop_res_transition(const struct koop_resource *r, struct kreq *req, struct kres *res);

/* Shared pieces for handlers that are not plain CRUD. */

/* Parses If-Match. Returns the version (>= 0), or -1 after filling res (428
 * when required and absent, 412 when weak or malformed). When not required
 * and absent returns -2. */
long koop_if_match(const struct kreq *req, struct kres *res, bool required);
/* Sets res to 200/201 with a raw JSON body (stolen) and ETag from version. */
void koop_res_record(struct kres *res, int status, char *body, const char *version);
/* Runs one statement that returns (version, body) and answers with it; NULL
 * body → 404. vals/n are the statement's parameters. */
int koop_res_one(struct kreq *req, struct kres *res, const char *stmt, int n,
                 const char *const *vals, int status);

/* For routes that take no query parameters: 422 naming each one given.
 * Returns 0 when there are none, -1 after filling res. */
int koop_no_query(const struct kreq *req, struct kres *res);

/* Runs one statement without a result body and answers 204. */
int koop_res_exec(struct kreq *req, struct kres *res, const char *stmt, int n,
                  const char *const *vals);
/* Parses list parameters into filters (new reference), sort, after-key and
 * limit; on error fills res and returns NULL. */
json_t *koop_list_params(const struct fs_field *filters, const char *const *sorts,
                         const char *q_sort, struct kreq *req, struct kres *res, const char **sort,
                         json_t **after, long *limit);
/* Answers a list from the raw items array text and the next key (JSON text
 * of {"k":..,"i":..} or NULL): builds next_cursor and the Link header. */
int koop_list_reply(struct kreq *req, struct kres *res, const char *sort, const char *items,
                    const char *next);

#endif
