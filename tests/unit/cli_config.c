/* What the command line relies on: serve-only settings are read (and judged)
 * only for serve (server/config.c), port 0 is accepted, and the route table
 * names what `kooperd routes` prints and what the dispatcher audits
 * (server/router.c, api/routes.c). */
#include "unit.h"

#include "api.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vars[] = {"DATABASE_URL",
                                   "KOOP_LISTEN",
                                   "KOOP_THREADS",
                                   "KOOP_MAX_BODY",
                                   "KOOP_STATEMENT_TIMEOUT_MS",
                                   "KOOP_CONNECT_TIMEOUT",
                                   "DATABASE_OWNER_URL",
                                   "KOOP_SERVE_PASSWORD",
                                   "KOOP_SELF_TOKEN_MAX_DAYS"};
#define NVARS (sizeof vars / sizeof vars[0])
static char *saved[NVARS];

static void env_setup(void)
{
    for (size_t i = 0; i < NVARS; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(vars[i]);
    }
}

static void env_teardown(void)
{
    for (size_t i = 0; i < NVARS; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
        saved[i] = NULL;
    }
}

START_TEST(config_serve_only_env_ignored_by_other_commands)
{
    setenv("KOOP_LISTEN", "127.0.0.1:x", 1);
    setenv("KOOP_THREADS", "0", 1);
    setenv("KOOP_MAX_BODY", "huge", 1);
    setenv("DATABASE_URL", "postgresql:///koop", 1);
    setenv("KOOP_CONNECT_TIMEOUT", "7", 1);
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env_for(&c, false, err, sizeof err), 0);
    /* the serve-only settings keep their defaults; the common ones are read */
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 8080);
    ck_assert_int_eq(c.threads, 4);
    ck_assert_uint_eq(c.max_body, 1048576);
    ck_assert_str_eq(c.database_url, "postgresql:///koop");
    ck_assert_int_eq(c.connect_timeout_s, 7);
    /* serve judges them, and names the first bad one */
    ck_assert_int_eq(koop_config_env_for(&c, true, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "KOOP_LISTEN"));
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), -1);
}
END_TEST

START_TEST(config_common_env_judged_for_every_command)
{
    setenv("KOOP_STATEMENT_TIMEOUT_MS", "abc", 1);
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env_for(&c, false, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "KOOP_STATEMENT_TIMEOUT_MS"));
    unsetenv("KOOP_STATEMENT_TIMEOUT_MS");
    setenv("KOOP_CONNECT_TIMEOUT", "0", 1);
    ck_assert_int_eq(koop_config_env_for(&c, false, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "KOOP_CONNECT_TIMEOUT"));
}
END_TEST

/* The owner's URL and the serving login's password are every command's (migrate needs them);
 * the self-minted token cap is serve's, 1..730, default 90. */
START_TEST(config_credentials_and_token_cap)
{
    setenv("DATABASE_OWNER_URL", "postgresql://owner@/koop", 1);
    setenv("KOOP_SERVE_PASSWORD", "s3cret", 1);
    setenv("KOOP_SELF_TOKEN_MAX_DAYS", "731", 1);
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env_for(&c, false, err, sizeof err), 0);
    ck_assert_str_eq(c.owner_url, "postgresql://owner@/koop");
    ck_assert_str_eq(c.serve_password, "s3cret");
    ck_assert_int_eq(c.self_token_max_days, 90);
    ck_assert_int_eq(koop_config_env_for(&c, true, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "KOOP_SELF_TOKEN_MAX_DAYS"));
    setenv("KOOP_SELF_TOKEN_MAX_DAYS", "30", 1);
    ck_assert_int_eq(koop_config_env_for(&c, true, err, sizeof err), 0);
    ck_assert_int_eq(c.self_token_max_days, 30);
    ck_assert_int_eq(
        koop_config_flag_for(&c, false, "--owner-url", "postgresql:///x", err, sizeof err), 1);
    ck_assert_str_eq(c.owner_url, "postgresql:///x");
}
END_TEST

START_TEST(config_serve_only_flags_refused_by_other_commands)
{
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env_for(&c, false, err, sizeof err), 0);
    ck_assert_int_eq(koop_config_flag_for(&c, false, "--listen", "127.0.0.1:9", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "--listen"));
    ck_assert_ptr_nonnull(strstr(err, "serve"));
    ck_assert_int_eq(c.listen_port, 8080); /* untouched */
    ck_assert_int_eq(koop_config_flag_for(&c, false, "--threads", "8", err, sizeof err), -1);
    ck_assert_int_eq(
        koop_config_flag_for(&c, false, "--database-url", "postgresql:///x", err, sizeof err), 1);
    ck_assert_str_eq(c.database_url, "postgresql:///x");
    ck_assert_int_eq(
        koop_config_flag_for(&c, false, "--statement-timeout-ms", "900", err, sizeof err), 1);
    ck_assert_int_eq(c.statement_timeout_ms, 900);
    ck_assert_int_eq(koop_config_flag_for(&c, false, "--no-such-flag", "1", err, sizeof err), 0);
    ck_assert_int_eq(koop_config_flag_for(&c, true, "--listen", "127.0.0.1:9", err, sizeof err), 1);
    ck_assert_int_eq(c.listen_port, 9);
}
END_TEST

START_TEST(config_listen_port_zero_is_any_free_port)
{
    struct koop_config c;
    char err[256] = "";
    setenv("KOOP_LISTEN", "127.0.0.1:0", 1);
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 0);
    ck_assert_int_eq(koop_config_flag(&c, "--listen", "[::1]:0", err, sizeof err), 1);
    ck_assert_int_eq(c.listen_port, 0);
    ck_assert_int_eq(koop_config_flag(&c, "--listen", "127.0.0.1:65536", err, sizeof err), -1);
}
END_TEST

/* ---- the route table as `kooperd routes` and the dispatcher read it ---- */

static bool family_path(const char *p)
{
    return !strncmp(p, "/v1/families", 12) || !strncmp(p, "/v1/task-teams", 14) ||
           !strncmp(p, "/v1/referrals", 13) || strstr(p, "}/families");
}

START_TEST(routes_personal_data_flagged_and_named)
{
    int personal = 0;
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        const char *action = NULL, *resource = NULL;
        bool flagged = r->flags & RT_PERSONAL;
        ck_assert_msg(flagged == family_path(r->pattern), "%s %s: RT_PERSONAL is %s", r->method,
                      r->pattern, flagged ? "set" : "missing");
        ck_assert_msg(koop_route_audit(r, &action, &resource) == flagged,
                      "%s %s: personal data without an audit action and resource", r->method,
                      r->pattern);
        ck_assert_msg(!r->handler || r->handler_name, "%s %s: handler without a name", r->method,
                      r->pattern);
        ck_assert_msg(r->handler || (r->resource && r->op != OP_NONE), "%s %s: nothing answers",
                      r->method, r->pattern);
        personal += flagged;
    }
    ck_assert_int_gt(personal, 40);
}
END_TEST

START_TEST(routes_print_one_line_per_route)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    koop_route_print(f, koop_api_routes);
    fclose(f);
    int lines = 0, routes = 0;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    for (const struct koop_route *r = koop_api_routes; r->method; r++)
        routes++;
    ck_assert_int_eq(lines, routes + 1); /* and the header */
    ck_assert_ptr_nonnull(strstr(buf, "METHOD"));
    const char *line = strstr(buf, "GET     /v1/projects/{project_id}/families ");
    ck_assert_ptr_nonnull(line);
    char one[400];
    snprintf(one, sizeof one, "%.*s", (int)strcspn(line, "\n"), line);
    ck_assert_ptr_nonnull(strstr(one, " personal-data=read:project "));
    ck_assert_ptr_nonnull(strstr(one, " projects_families_list "));
    ck_assert_ptr_nonnull(strstr(one, " projects:read "));
    ck_assert_ptr_nonnull(strstr(buf, " SCOPE "));
    ck_assert_ptr_nonnull(strstr(one, " admin,coordinator"));
    ck_assert_ptr_nonnull(strstr(buf, " get:koop.family_get "));
    ck_assert_ptr_nonnull(strstr(buf, " personal-data=export:family "));
    ck_assert_ptr_nonnull(strstr(buf, "/healthz"));
    free(buf);
}
END_TEST

Suite *suite_cli_config(void)
{
    Suite *s = suite_create("cli_config");
    TCase *t = tcase_create("config");
    tcase_add_checked_fixture(t, env_setup, env_teardown);
    tcase_add_test(t, config_serve_only_env_ignored_by_other_commands);
    tcase_add_test(t, config_common_env_judged_for_every_command);
    tcase_add_test(t, config_credentials_and_token_cap);
    tcase_add_test(t, config_serve_only_flags_refused_by_other_commands);
    tcase_add_test(t, config_listen_port_zero_is_any_free_port);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("routes");
    tcase_add_test(r, routes_personal_data_flagged_and_named);
    tcase_add_test(r, routes_print_one_line_per_route);
    suite_add_tcase(s, r);
    return s;
}
