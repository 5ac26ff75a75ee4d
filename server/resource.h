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

struct koop_resource {
    const char *name;                    /* statement/function prefix, e.g. "partner" */
    const struct fs_field *fields;       /* body fields for create (and patch) */
    const struct fs_field *patch_fields; /* body fields for patch, when they differ */
    const char *location;                /* Location prefix when not the request path */
    const struct fs_field *filters;      /* list query parameters (limit/cursor/sort are added) */
    const char *const *sorts;  /* allowed ?sort= values, NULL-terminated; [0] is default */
    const char *q_sort;        /* default sort when ?q= is given (e.g. "relevance") */
    const char *const *states; /* transition targets, NULL-terminated, or NULL */
    unsigned ops;              /* OPS(...) of the operations the schema provides */
    bool transition_outcome;   /* transitions take "outcome" (koop.N_transition has 6 args) */
};
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
