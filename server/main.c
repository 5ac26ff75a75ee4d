/* kooperd: the Kooperacje API daemon and its admin commands (SPEC §8).
 *   kooperd [serve] [--listen HOST:PORT] [--flag value ...]
 *   kooperd migrate
 *   kooperd create-tenant --name N --teryt T --kind K --voivodeship V
 *   kooperd create-token --role R --name N [--tenant ID] [--partner ID] [--email E]
 *                        [--expires-in-days D]
 * Ids and tokens are printed alone on stdout; everything else goes to stderr. */
#include "../api/api.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "migrate.h"
#include "problem.h"
#include "spec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KOOP_VERSION
#define KOOP_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "kooperd %s — Kooperacje: multisectoral cooperation for families (REST API)\n\n"
            "Usage:\n"
            "  kooperd [serve] [--listen HOST:PORT] [options]   run the HTTP API (default)\n"
            "  kooperd migrate                                  apply database migrations\n"
            "  kooperd create-tenant --name N --teryt T --kind K --voivodeship V\n"
            "                                                   print the new tenant's id\n"
            "  kooperd create-token --role R --name N [--tenant ID] [--partner ID] [--email E]\n"
            "                       [--expires-in-days D]       print a new bearer token\n"
            "  kooperd --help | --version\n\n"
            "All commands read DATABASE_URL (or --database-url).\n\n",
            KOOP_VERSION);
}

/* Command options: --name value pairs collected from argv. */
struct args {
    const char *name, *teryt, *kind, *voivodeship, *role, *tenant, *partner, *email, *days;
};

static int parse_args(int argc, char **argv, int start, struct args *a, char *err, size_t errlen)
{
    for (int i = start; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = NULL;
        if (!strcmp(f, "--name"))
            slot = &a->name;
        else if (!strcmp(f, "--teryt"))
            slot = &a->teryt;
        else if (!strcmp(f, "--kind"))
            slot = &a->kind;
        else if (!strcmp(f, "--voivodeship"))
            slot = &a->voivodeship;
        else if (!strcmp(f, "--role"))
            slot = &a->role;
        else if (!strcmp(f, "--tenant"))
            slot = &a->tenant;
        else if (!strcmp(f, "--partner"))
            slot = &a->partner;
        else if (!strcmp(f, "--email"))
            slot = &a->email;
        else if (!strcmp(f, "--expires-in-days"))
            slot = &a->days;
        if (slot) {
            if (!v) {
                snprintf(err, errlen, "%s needs a value", f);
                return -1;
            }
            *slot = v;
            i++;
            continue;
        }
        int rc = koop_config_flag(&koop_cfg, f, v, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            snprintf(err, errlen, "unknown option %s (see --help)", f);
            return -1;
        }
        i++;
    }
    return 0;
}

static PGconn *admin_conn(void)
{
    if (!koop_cfg.database_url[0]) {
        fprintf(stderr, "kooperd: DATABASE_URL is not set\n");
        return NULL;
    }
    return db_admin_connect(koop_cfg.database_url);
}

/* Runs `SELECT fn(...)::text` as the owner with a context, in a transaction;
 * prints the problem on failure. Returns the JSON result or NULL. */
static json_t *admin_call(PGconn *c, const char *role, const char *tenant, const char *user,
                          const char *sql, int n, const char *const *vals)
{
    const char *cv[] = {tenant, user, role};
    PGresult *r = PQexec(c, "BEGIN");
    PQclear(r);
    r = PQexecParams(c, "SELECT koop.ctx($1, $2, $3, NULL, NULL, 'cli', NULL)", 3, NULL, cv, NULL,
                     NULL, 0);
    PQclear(r);
    r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    json_t *out = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        out = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    } else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        struct kres res = {0};
        db_map_error(r, &res);
        char *txt = res.json ? json_dumps(res.json, JSON_COMPACT) : NULL;
        fprintf(stderr, "kooperd: %s\n", txt ? txt : PQerrorMessage(c));
        free(txt);
        json_decref(res.json);
    }
    PQclear(r);
    r = PQexec(c, out ? "COMMIT" : "ROLLBACK");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        json_decref(out);
        out = NULL;
    }
    PQclear(r);
    return out;
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

static int cmd_create_tenant(const struct args *a)
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
    PGconn *c = admin_conn();
    if (!c) {
        json_decref(body);
        return 1;
    }
    char id[37];
    koop_uuid7(id);
    char *txt = json_dumps(body, JSON_COMPACT);
    const char *v[] = {id, txt};
    json_t *t = admin_call(c, "platform_admin", NULL, NULL,
                           "SELECT koop.tenant_create(NULL, $1::uuid, $2::jsonb)::text", 2, v);
    free(txt);
    json_decref(body);
    PQfinish(c);
    if (!t)
        return 1;
    printf("%s\n", json_string_value(json_object_get(t, "id")));
    json_decref(t);
    return 0;
}

static int cmd_create_token(const struct args *a)
{
    enum koop_role role = koop_role_parse(a->role);
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
    char email[300];
    if (a->email) {
        if (!fs_is_email(a->email)) {
            fprintf(stderr, "kooperd: --email is not an e-mail address\n");
            return 2;
        }
        snprintf(email, sizeof email, "%s", a->email);
    }
    long days = a->days ? strtol(a->days, NULL, 10) : 90;
    if (days < 1 || days > 730) {
        fprintf(stderr, "kooperd: --expires-in-days must be 1..730\n");
        return 2;
    }
    PGconn *c = admin_conn();
    if (!c)
        return 1;
    /* find the user: by e-mail when given, else by name and role */
    const char *fv[] = {a->tenant, a->email, a->name, a->role};
    PGresult *r =
        PQexecParams(c,
                     "SELECT id FROM users WHERE tenant_id IS NOT DISTINCT FROM $1::uuid AND "
                     "CASE WHEN $2::text IS NOT NULL THEN lower(email) = lower($2) "
                     "ELSE name = $3 AND role = $4 END ORDER BY created_at LIMIT 1",
                     4, NULL, fv, NULL, NULL, 0);
    char user[37] = "";
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(user, sizeof user, "%s", PQgetvalue(r, 0, 0));
    bool lookup_ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!lookup_ok) {
        fprintf(stderr, "kooperd: %s", PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    if (!user[0]) {
        if (!a->email) {
            /* no e-mail given: a stable, clearly non-deliverable one */
            unsigned char rnd[4];
            koop_random(rnd, sizeof rnd);
            snprintf(email, sizeof email, "%s-%02x%02x%02x%02x@kooperd.invalid", a->role, rnd[0],
                     rnd[1], rnd[2], rnd[3]);
        }
        json_t *body =
            json_pack("{s:s, s:s, s:s}", "name", a->name, "email", email, "role", a->role);
        if (a->partner)
            json_object_set_new(body, "partner_id", json_string(a->partner));
        json_t *errors = json_array();
        if (!fs_validate(user_resource.fields, body, FS_CREATE, "", errors)) {
            json_decref(body);
            PQfinish(c);
            return print_errors(errors);
        }
        json_decref(errors);
        char id[37];
        koop_uuid7(id);
        char *txt = json_dumps(body, JSON_COMPACT);
        const char *v[] = {a->tenant, id, txt};
        json_t *u =
            admin_call(c, "platform_admin", NULL, NULL,
                       "SELECT koop.user_create($1::uuid, $2::uuid, $3::jsonb)::text", 3, v);
        free(txt);
        json_decref(body);
        if (!u) {
            PQfinish(c);
            return 1;
        }
        snprintf(user, sizeof user, "%s", json_string_value(json_object_get(u, "id")));
        json_decref(u);
    }
    char secret[64], tid[37], hash[65], tbody[64];
    if (koop_new_token(secret) != 0) {
        PQfinish(c);
        return 1;
    }
    koop_uuid7(tid);
    koop_sha256_hex(secret, strlen(secret), hash);
    snprintf(tbody, sizeof tbody, "{\"name\":\"cli\",\"expires_in_days\":%ld}", days);
    const char *v[] = {user, tid, hash, tbody};
    json_t *t =
        admin_call(c, a->role, a->tenant, user,
                   "SELECT koop.token_create($1::uuid, $2::uuid, $3, $4::jsonb)::text", 4, v);
    PQfinish(c);
    if (!t)
        return 1;
    json_decref(t);
    printf("%s\n", secret);
    return 0;
}

static int cmd_migrate(void)
{
    PGconn *c = admin_conn();
    if (!c)
        return 1;
    int rc = koop_migrate(c);
    PQfinish(c);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    char err[256];
    if (koop_config_env(&koop_cfg, err, sizeof err) != 0) {
        fprintf(stderr, "kooperd: %s\n", err);
        return 2;
    }
    const char *cmd = "serve";
    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        first = 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            koop_config_help();
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("kooperd %s\n", KOOP_VERSION);
            return 0;
        }
    }
    struct args a = {0};
    if (parse_args(argc, argv, first, &a, err, sizeof err) != 0) {
        fprintf(stderr, "kooperd: %s\n", err);
        return 2;
    }
    koop_api_init();
    db_register("koop_ctx", "SELECT koop.ctx($1, $2, $3, $4, $5, $6, $7)");
    db_register("koop_timeout", "SELECT set_config('statement_timeout', $1, true)");
    db_register("koop_auth", "SELECT * FROM koop.auth($1, $2, $3)");
    db_register("koop_idem_claim", "SELECT * FROM koop.idem_claim($1, $2, $3, $4)");
    db_register("koop_schema_version", "SELECT max(version) FROM schema_migrations");
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate();
    if (!strcmp(cmd, "create-tenant"))
        return cmd_create_tenant(&a);
    if (!strcmp(cmd, "create-token"))
        return cmd_create_token(&a);
    if (strcmp(cmd, "serve") != 0) {
        fprintf(stderr, "kooperd: unknown command '%s' (see --help)\n", cmd);
        return 2;
    }
    if (cmd_migrate() != 0)
        return 1;
    return koop_http_serve(koop_api_routes);
}
