/* The admin commands: create-tenant and create-token. They run through the
 * same transaction runner as requests (db_run: the serving role koop_app, the
 * tenant and actor context, retries), acting as the caller a request would
 * have: a platform admin, or the user whose token is made. The SQL functions
 * are the API's own (koop.tenant_create, koop.user_create, koop.token_create)
 * and koop.user_find (sql/functions/accounts.sql). */
#include "cli.h"

#include "../api/api.h"
#include "../server/config.h"
#include "../server/db.h"
#include "../server/problem.h"
#include "../server/scope.h"
#include "../server/spec.h"
#include "../server/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_admin_init(void)
{
    db_register("cli_tenant_create", "SELECT koop.tenant_create(NULL, $1::uuid, $2::jsonb)::text");
    db_register("cli_user_find", "SELECT koop.user_find($1::uuid, $2, $3, $4)::text");
    db_register("cli_user_create", "SELECT koop.user_create($1::uuid, $2::uuid, $3::jsonb)::text");
    db_register("cli_token_create",
                "SELECT koop.token_create($1::uuid, $2::uuid, $3, $4::jsonb)::text");
}

/* A request as the CLI's caller: role, and tenant and user when given. */
static void cli_request(struct kreq *req, enum koop_role role, const char *tenant, const char *user)
{
    memset(req, 0, sizeof *req);
    req->method = "POST"; /* not idempotent: a broken connection is not resent */
    req->path = "(cli)";
    snprintf(req->request_id, sizeof req->request_id, "cli");
    req->auth.role = role;
    if (tenant)
        snprintf(req->auth.tenant_id, sizeof req->auth.tenant_id, "%s", tenant);
    if (user)
        snprintf(req->auth.user_id, sizeof req->auth.user_id, "%s", user);
}

/* Prints the problem in res (stderr) and frees it. Returns 1. */
static int print_problem(struct kres *res)
{
    char *txt = res->json ? json_dumps(res->json, JSON_COMPACT) : NULL;
    fprintf(stderr, "kooperd: %s\n", txt ? txt : "the database refused the command");
    free(txt);
    json_decref(res->json);
    res->json = NULL;
    return 1;
}

static int print_errors(json_t *errors)
{
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        fprintf(stderr, "kooperd: --%s %s\n", json_string_value(json_object_get(e, "field")),
                json_string_value(json_object_get(e, "message")));
    }
    json_decref(errors);
    return 2;
}

/* Copies the "id" of the JSON object text in r's first cell into out[37].
 * Returns 0, or -1 after filling res. */
static int id_of(const PGresult *r, struct kres *res, char *out)
{
    json_t *j = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
                    ? json_loads(PQgetvalue(r, 0, 0), 0, NULL)
                    : NULL;
    const char *id = json_string_value(json_object_get(j, "id"));
    if (id && fs_is_uuid(id))
        snprintf(out, 37, "%s", id);
    json_decref(j);
    if (!id)
        return koop_fail(res, P_INTERNAL, "the database returned no id"), -1;
    return 0;
}

/* One statement returning a record with an id, committed in the same round
 * trip. It may run again on a retry: it only overwrites out. */
struct create_arg {
    const char *stmt;
    int n;
    const char *const *vals;
    char out[37];
};

static int create_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct create_arg *a = p;
    PGresult *r = db_exec(tx, res, DB_LAST, a->stmt, a->n, a->vals);
    return r ? id_of(r, res, a->out) : -1;
}

static bool have_database(void)
{
    if (koop_cfg.database_url[0])
        return true;
    fprintf(stderr, "kooperd: DATABASE_URL is not set\n");
    return false;
}

int cli_create_tenant(const struct cli_args *a)
{
    json_t *body = json_object();
    if (a->name)
        json_object_set_new(body, "name", json_string(a->name));
    if (a->teryt)
        json_object_set_new(body, "teryt", json_string(a->teryt));
    if (a->kind)
        json_object_set_new(body, "kind", json_string(a->kind));
    if (a->voivodeship)
        json_object_set_new(body, "voivodeship", json_string(a->voivodeship));
    json_t *errors = json_array();
    if (!fs_validate(tenant_resource.fields, body, FS_CREATE, "", errors)) {
        json_decref(body);
        return print_errors(errors);
    }
    json_decref(errors);
    char *txt = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!txt || !have_database()) {
        free(txt);
        return 1;
    }
    char id[37];
    koop_uuid7(id);
    const char *v[] = {id, txt};
    struct create_arg c = {"cli_tenant_create", 2, v, ""};
    struct kreq req;
    struct kres res = {0};
    cli_request(&req, ROLE_PLATFORM_ADMIN, NULL, NULL);
    int rc = db_run(&req, &res, create_fn, &c);
    free(txt);
    if (rc != 0)
        return print_problem(&res);
    printf("%s\n", c.out);
    return 0;
}

/* The user a token is made for: found by e-mail when given, else by name and
 * role; created from body when there is none. Runs as a platform admin. */
struct user_arg {
    const char *tenant, *email, *name, *role; /* the lookup */
    const char *new_id, *body;                /* the user to create */
    char out[37];
};

static int user_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    struct user_arg *a = p;
    const char *fv[] = {a->tenant, a->email, a->name, a->role};
    PGresult *r = db_exec(tx, res, 0, "cli_user_find", 4, fv);
    if (!r)
        return -1;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        snprintf(a->out, sizeof a->out, "%s", PQgetvalue(r, 0, 0));
        return 0;
    }
    const char *cv[] = {a->tenant, a->new_id, a->body};
    r = db_exec(tx, res, DB_LAST, "cli_user_create", 3, cv);
    return r ? id_of(r, res, a->out) : -1;
}

/* Checks the options of create-token. Returns 0, or 2 after a message. */
static int token_options(const struct cli_args *a, enum koop_role role, long *days,
                         koop_scopes *scopes)
{
    *scopes = 0;
    for (int i = 0; i < a->nscopes; i++) {
        koop_scopes one;
        char bad[80];
        if (koop_scopes_parse(a->scopes[i], &one, bad, sizeof bad) != 0) {
            fprintf(stderr, "kooperd: --scope: %s is not a scope a token can be given\n", bad);
            return 2;
        }
        if (!one) {
            fprintf(stderr, "kooperd: --scope needs a scope name\n");
            return 2;
        }
        *scopes |= one;
    }
    if (!a->role || role == ROLE_NONE) {
        fprintf(stderr, "kooperd: --role must be one of platform_admin, admin, coordinator, "
                        "social_worker, partner_staff, auditor, regional_analyst\n");
        return 2;
    }
    bool platform = role == ROLE_PLATFORM_ADMIN || role == ROLE_REGIONAL_ANALYST;
    if (!a->name || !*a->name) {
        fprintf(stderr, "kooperd: --name is required\n");
        return 2;
    }
    if (platform == (a->tenant != NULL)) {
        fprintf(stderr, "kooperd: %s\n",
                platform ? "--tenant is not used for platform roles"
                         : "--tenant is required for this role");
        return 2;
    }
    if ((a->tenant && !fs_is_uuid(a->tenant)) || (a->partner && !fs_is_uuid(a->partner))) {
        fprintf(stderr, "kooperd: --tenant and --partner take UUIDs\n");
        return 2;
    }
    if (a->email && !fs_is_email(a->email)) {
        fprintf(stderr, "kooperd: --email is not an e-mail address\n");
        return 2;
    }
    *days = a->days ? strtol(a->days, NULL, 10) : 90;
    if (*days < 1 || *days > 730) {
        fprintf(stderr, "kooperd: --expires-in-days must be 1..730\n");
        return 2;
    }
    return 0;
}

/* The body of a user to create: without --email, a clearly non-deliverable
 * address. Returns the JSON text (caller frees), or NULL after printing the
 * invalid fields (*rc = 2). */
static char *user_body(const struct cli_args *a, int *rc)
{
    char email[300];
    if (a->email) {
        snprintf(email, sizeof email, "%s", a->email);
    } else {
        unsigned char rnd[4];
        koop_random(rnd, sizeof rnd);
        snprintf(email, sizeof email, "%s-%02x%02x%02x%02x@kooperd.invalid", a->role, rnd[0],
                 rnd[1], rnd[2], rnd[3]);
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "name", a->name, "email", email, "role", a->role);
    if (a->partner)
        json_object_set_new(body, "partner_id", json_string(a->partner));
    json_t *errors = json_array();
    bool ok = fs_validate(user_resource.fields, body, FS_CREATE, "", errors);
    char *txt = ok ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!ok) {
        *rc = print_errors(errors);
        return NULL;
    }
    json_decref(errors);
    if (!txt)
        *rc = 1;
    return txt;
}

int cli_create_token(const struct cli_args *a)
{
    enum koop_role role = koop_role_parse(a->role);
    long days;
    koop_scopes scopes;
    int rc = token_options(a, role, &days, &scopes);
    if (rc != 0)
        return rc;
    char *body = user_body(a, &rc);
    if (!body)
        return rc;
    if (!have_database()) {
        free(body);
        return 1;
    }
    char uid[37];
    koop_uuid7(uid);
    struct user_arg u = {a->tenant, a->email, a->name, a->role, uid, body, ""};
    struct kreq req;
    struct kres res = {0};
    cli_request(&req, ROLE_PLATFORM_ADMIN, NULL, NULL);
    rc = db_run(&req, &res, user_fn, &u);
    free(body);
    if (rc != 0)
        return print_problem(&res);

    /* the token, made by its owner as POST /v1/users/{id}/tokens would be */
    char secret[64], tid[37], hash[65];
    if (koop_new_token(secret) != 0)
        return 1;
    koop_uuid7(tid);
    koop_sha256_hex(secret, strlen(secret), hash);
    json_t *tb = json_pack("{s:s, s:I}", "name", "cli", "expires_in_days", (json_int_t)days);
    if (scopes) { /* in the registry's order, as the API stores them */
        json_t *list = json_array();
        size_t n;
        const struct koop_scope_def *reg = koop_scope_registry(&n);
        for (size_t i = 0; i < n; i++)
            if (scopes & ((koop_scopes)1 << i))
                json_array_append_new(list, json_string(reg[i].name));
        json_object_set_new(tb, "scopes", list);
    }
    char *tbody = json_dumps(tb, JSON_COMPACT);
    json_decref(tb);
    if (!tbody)
        return 1;
    const char *v[] = {u.out, tid, hash, tbody};
    struct create_arg c = {"cli_token_create", 4, v, ""};
    cli_request(&req, role, a->tenant, u.out);
    rc = db_run(&req, &res, create_fn, &c);
    free(tbody);
    if (rc != 0)
        return print_problem(&res);
    printf("%s\n", secret);
    return 0;
}
