/* kooperd: the Kooperacje API daemon and its admin commands (SPEC §8).
 *   kooperd [serve] [--listen HOST:PORT] [--flag value ...]
 *   kooperd migrate                       (as the owner: DATABASE_OWNER_URL)
 *   kooperd routes
 *   kooperd create-tenant --name N --teryt T --kind K --voivodeship V
 *   kooperd create-token --role R --name N [--tenant ID] [--partner ID] [--email E]
 *                        [--expires-in-days D] [--scope S ...]
 * Ids and tokens are printed alone on stdout; everything else goes to stderr.
 * This is the composition root: the only place that joins api/ (the
 * resources and their route table) to server/ (the machinery). */
#include "cli.h"

#include "../api/api.h"
#include "../server/config.h"
#include "../server/db.h"
#include "../server/http.h"
#include "../server/jobs.h"
#include "../server/migrate.h"
#include "../server/oidc.h"
#include "../server/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KOOP_VERSION
#define KOOP_VERSION "0.2.0-dev"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "kooperd %s — Kooperacje: multisectoral cooperation for families (REST API)\n\n"
            "Usage:\n"
            "  kooperd [serve] [--listen HOST:PORT] [options]   run the HTTP API (default);\n"
            "                                                   port 0: any free port (logged)\n"
            "  kooperd migrate                                  apply database migrations\n"
            "  kooperd routes                                   print the route table\n"
            "  kooperd create-tenant --name N --teryt T --kind K --voivodeship V\n"
            "                                                   print the new tenant's id\n"
            "  kooperd create-token --role R --name N [--tenant ID] [--partner ID] [--email E]\n"
            "                       [--expires-in-days D] [--scope S ...]\n"
            "                                                   print a new bearer token, limited\n"
            "                                                   to the scopes S when given\n"
            "  kooperd --help | --version\n\n"
            "serve and the admin commands connect with DATABASE_URL (the serving login,\n"
            "koop_serve); migrate, and serve's start-up migrations, with DATABASE_OWNER_URL\n"
            "(migrate falls back to DATABASE_URL; serve without it does not migrate).\n\n",
            KOOP_VERSION);
}

/* Collects the admin commands' --name value pairs and the configuration
 * flags from argv[start..]. serve: whether serve-only flags are accepted.
 * Returns 0, or -1 with err filled. */
static int parse_args(int argc, char **argv, int start, bool serve, struct cli_args *a, char *err,
                      size_t errlen)
{
    static const struct {
        const char *flag;
        size_t off;
    } own[] = {
        {"--name", offsetof(struct cli_args, name)},
        {"--teryt", offsetof(struct cli_args, teryt)},
        {"--kind", offsetof(struct cli_args, kind)},
        {"--voivodeship", offsetof(struct cli_args, voivodeship)},
        {"--role", offsetof(struct cli_args, role)},
        {"--tenant", offsetof(struct cli_args, tenant)},
        {"--partner", offsetof(struct cli_args, partner)},
        {"--email", offsetof(struct cli_args, email)},
        {"--expires-in-days", offsetof(struct cli_args, days)},
    };
    for (int i = start; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(f, "--scope")) { /* may be given more than once */
            if (!v || a->nscopes == (int)(sizeof a->scopes / sizeof a->scopes[0])) {
                snprintf(err, errlen, "%s",
                         v ? "too many --scope options" : "--scope needs a value");
                return -1;
            }
            a->scopes[a->nscopes++] = v;
            i++;
            continue;
        }
        const char **slot = NULL;
        for (size_t k = 0; k < sizeof own / sizeof own[0] && !slot; k++)
            if (!strcmp(f, own[k].flag))
                slot = (const char **)((char *)a + own[k].off);
        if (slot) {
            if (!v) {
                snprintf(err, errlen, "%s needs a value", f);
                return -1;
            }
            *slot = v;
            i++;
            continue;
        }
        int rc = koop_config_flag_for(&koop_cfg, serve, f, v, err, errlen);
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

/* Migrations connect as the owner: DATABASE_OWNER_URL, or DATABASE_URL when that is unset
 * (`kooperd migrate` with the owner's URL alone, as version 0.1.0 took it). */
static int cmd_migrate(void)
{
    const char *url = koop_cfg.owner_url[0] ? koop_cfg.owner_url : koop_cfg.database_url;
    if (!url[0]) {
        fprintf(stderr, "kooperd: neither DATABASE_OWNER_URL nor DATABASE_URL is set\n");
        return 1;
    }
    PGconn *c = db_admin_connect(url);
    if (!c)
        return 1;
    int rc = koop_migrate(c);
    if (rc == 0 && koop_cfg.serve_password[0])
        rc = koop_serve_login(c, koop_cfg.serve_password);
    PQfinish(c);
    return rc == 0 ? 0 : 1;
}

/* serve: start-up migrations when the owner's URL is given, then the serving login's check. */
static int serve_prepare(void)
{
    if (!koop_cfg.database_url[0]) {
        fprintf(stderr, "kooperd: DATABASE_URL is not set\n");
        return 1;
    }
    if (koop_cfg.owner_url[0] && cmd_migrate() != 0)
        return 1;
    char why[512];
    if (db_check_serving_login(why, sizeof why) != 0) {
        fprintf(stderr, "kooperd: %s\n", why);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* --help and --version need no configuration: they work whatever it says */
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
    const char *cmd = "serve";
    int first = 1;
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        first = 2;
    }
    static const char *const cmds[] = {"serve", "migrate", "routes", "create-tenant",
                                       "create-token"};
    bool known = false;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        known = known || !strcmp(cmd, cmds[i]);
    if (!known) {
        fprintf(stderr, "kooperd: unknown command '%s' (see --help)\n", cmd);
        return 2;
    }
    if (!strcmp(cmd, "routes")) {
        if (argc > first) {
            fprintf(stderr, "kooperd: routes takes no options\n");
            return 2;
        }
        koop_route_print(stdout, koop_api_routes);
        return 0;
    }
    /* serve-only settings are read, and judged, only when serving */
    bool serve = !strcmp(cmd, "serve");
    char err[256];
    struct cli_args a = {0};
    if (koop_config_env_for(&koop_cfg, serve, err, sizeof err) != 0 ||
        parse_args(argc, argv, first, serve, &a, err, sizeof err) != 0) {
        fprintf(stderr, "kooperd: %s\n", err);
        return 2;
    }
    db_register_server();
    if (!strcmp(cmd, "migrate"))
        return cmd_migrate();
    if (!strcmp(cmd, "create-tenant") || !strcmp(cmd, "create-token")) {
        cli_admin_init();
        return !strcmp(cmd, "create-tenant") ? cli_create_tenant(&a) : cli_create_token(&a);
    }
    koop_api_init();
    if (serve_prepare() != 0)
        return 1;
    if (koop_jobs_start(koop_api_jobs) != 0)
        fprintf(stderr, "kooperd: cannot start the periodic jobs\n");
    /* webhook delivery runs beside the HTTP threads and stops after they drained */
    if (koop_webhooks_start() != 0) {
        fprintf(stderr, "kooperd: cannot start webhook delivery\n");
        return 1;
    }
    if (koop_oidc_start(err, sizeof err) != 0) {
        fprintf(stderr, "kooperd: %s\n", err);
        koop_webhooks_stop();
        return 2;
    }
    int rc = koop_http_serve(koop_api_routes);
    koop_webhooks_stop();
    koop_oidc_stop();
    return rc;
}
