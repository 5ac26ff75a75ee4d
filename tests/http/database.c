/* The database itself (libpq against DATABASE_OWNER_URL, as its owner) and the
 * daemon's behaviour when PostgreSQL goes away: migrations are recorded with
 * checksums and not re-applied, row-level security stops the serving role
 * from reading another tenant's rows, the audit log refuses changes, and a
 * stopped PostgreSQL gives 503 with Retry-After until it is back — then the
 * same daemon serves again without a restart. */
#include "client.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static PGconn *owner(void)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    return c;
}

static char *scalar(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

START_TEST(migrations_recorded_once_with_checksums)
{
    PGconn *c = owner();
    char *n = scalar(c, "SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64");
    char *m = scalar(c, "SELECT max(version) FROM schema_migrations");
    ck_assert_str_eq(n, m); /* every migration recorded exactly once, each with a SHA-256 */
    free(n);
    free(m);
    /* running migrate again applies nothing and succeeds */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/kooperd migrate 2>&1", env_or("KOOP_TEST_BUILD", "build"));
    FILE *p = popen(cmd, "r");
    char line[256] = "";
    bool applied = false;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "applied schema"))
            applied = true;
    ck_assert_int_eq(pclose(p), 0);
    ck_assert(!applied);
    PQfinish(c);
}
END_TEST

START_TEST(changed_migration_stops_startup)
{
    PGconn *c = owner();
    char *saved = scalar(c, "SELECT checksum FROM schema_migrations WHERE version = 1");
    PGresult *r = PQexec(c, "UPDATE schema_migrations SET checksum = repeat('0', 64) "
                            "WHERE version = 1");
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/kooperd migrate 2>&1", env_or("KOOP_TEST_BUILD", "build"));
    FILE *p = popen(cmd, "r");
    char line[512];
    bool said = false;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "was changed after it was applied"))
            said = true;
    int rc = pclose(p);
    /* restore the recorded checksum before asserting, so the run goes on */
    const char *vals[] = {saved};
    r = PQexecParams(c, "UPDATE schema_migrations SET checksum = $1 WHERE version = 1", 1, NULL,
                     vals, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    free(saved);
    PQfinish(c);
    ck_assert(said);
    ck_assert_int_ne(rc, 0);
}
END_TEST

/* Runs `kooperd migrate`; returns its exit status and whether its output held want. */
static int run_migrate(const char *want, bool *said)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/kooperd migrate 2>&1", env_or("KOOP_TEST_BUILD", "build"));
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[512];
    *said = false;
    while (fgets(line, sizeof line, p))
        if (strstr(line, want))
            *said = true;
    return pclose(p);
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* A function's live definition is its file's: a body changed behind migrate's back is put
 * back by the next migrate, with no new schema file. */
START_TEST(migrate_reapplies_function_files)
{
    PGconn *c = owner();
    exec_ok(c, "CREATE OR REPLACE FUNCTION koop.ts(t timestamptz) RETURNS text LANGUAGE sql "
               "IMMUTABLE PARALLEL SAFE AS $$ SELECT 'tampered' $$");
    char *v = scalar(c, "SELECT koop.ts('2026-01-02 03:04:05.123456+00')");
    ck_assert_str_eq(v, "tampered");
    free(v);
    bool said;
    ck_assert_int_eq(run_migrate("applied the functions", &said), 0);
    ck_assert(said);
    v = scalar(c, "SELECT koop.ts('2026-01-02 03:04:05.123456+00')");
    ck_assert_str_eq(v, "2026-01-02T03:04:05.123456Z");
    free(v);
    PQfinish(c);
}
END_TEST

/* A function, or a trigger calling one, that no file defines any more is dropped. */
START_TEST(migrate_drops_what_no_file_defines)
{
    PGconn *c = owner();
    exec_ok(c, "CREATE FUNCTION koop.zz_removed_rule() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN RETURN NULL; END $$");
    exec_ok(c, "CREATE TRIGGER zz_removed_rule AFTER UPDATE ON tenants "
               "FOR EACH STATEMENT EXECUTE FUNCTION koop.zz_removed_rule()");
    bool said;
    ck_assert_int_eq(run_migrate("dropped FUNCTION koop.zz_removed_rule()", &said), 0);
    ck_assert(said);
    char *n = scalar(c, "SELECT count(*) FROM pg_proc WHERE proname = 'zz_removed_rule'");
    char *t = scalar(c, "SELECT count(*) FROM pg_trigger WHERE tgname = 'zz_removed_rule'");
    ck_assert_str_eq(n, "0");
    ck_assert_str_eq(t, "0");
    free(n);
    free(t);
    /* and what the files define is all still there: a request works */
    char *ok = scalar(c, "SELECT count(*) > 0 FROM pg_proc WHERE proname = 'partner_create'");
    ck_assert_str_eq(ok, "t");
    free(ok);
    PQfinish(c);
}
END_TEST

START_TEST(rls_hides_other_tenants_from_serving_role)
{
    const struct world *w = world();
    PGconn *c = owner();
    char sql[512];
    PQclear(PQexec(c, "BEGIN"));
    PQclear(PQexec(c, "SET LOCAL ROLE koop_app"));
    snprintf(sql, sizeof sql, "SELECT set_config('koop.tenant_id', '%s', true)", w->tenant_a);
    PQclear(PQexec(c, sql));
    /* a query that "forgets" the tenant filter still sees only tenant A */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM partners WHERE tenant_id = '%s'", w->tenant_b);
    char *n = scalar(c, sql);
    ck_assert_str_eq(n, "0");
    free(n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM partners WHERE id = '%s'", w->partner_a);
    n = scalar(c, sql);
    ck_assert_str_eq(n, "1");
    free(n);
    /* and cannot write into another tenant */
    snprintf(sql, sizeof sql,
             "INSERT INTO partners (tenant_id, id, name, sector) VALUES ('%s', gen_random_uuid(), "
             "'x', 'ngo')",
             w->tenant_b);
    PGresult *r = PQexec(c, sql);
    ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
    ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    PQclear(PQexec(c, "ROLLBACK"));
    /* without any tenant context the serving role sees nothing at all */
    PQclear(PQexec(c, "BEGIN"));
    PQclear(PQexec(c, "SET LOCAL ROLE koop_app"));
    n = scalar(c, "SELECT count(*) FROM partners");
    ck_assert_str_eq(n, "0");
    free(n);
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
}
END_TEST

START_TEST(audit_log_is_append_only)
{
    PGconn *c = owner();
    const char *attempts[] = {"UPDATE audit_events SET status = 200", "DELETE FROM audit_events",
                              "TRUNCATE audit_events"};
    for (size_t i = 0; i < 3; i++) {
        PGresult *r = PQexec(c, attempts[i]);
        ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR, "%s was allowed", attempts[i]);
        PQclear(r);
    }
    char *n = scalar(c, "SELECT count(*) > 0 FROM audit_events");
    ck_assert_str_eq(n, "t");
    free(n);
    PQfinish(c);
}
END_TEST

/* Another daemon (here: SQL) revokes a token this daemon has cached: the
 * NOTIFY at commit makes it refuse the token within moments. */
START_TEST(revocation_elsewhere_reaches_the_cache)
{
    const struct world *w = world();
    struct resp *r =
        direct("GET", fmt("/v1/users/%s/tokens", w->admin_a_id), w->admin_a, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = direct("POST", fmt("/v1/users/%s/tokens", w->admin_a_id), w->admin_a, "{}", NULL);
    ck_assert_int_eq(r->status, 201);
    char token[80], id[37];
    snprintf(token, sizeof token, "%s", jstr(r->json, "token"));
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    resp_free(r);
    for (int i = 0; i < 3; i++) { /* used, so cached */
        r = direct("GET", "/v1/partners", token, NULL, NULL);
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
    }
    PGconn *c = owner();
    const char *v[] = {id};
    PGresult *pr = PQexecParams(c, "UPDATE tokens SET revoked_at = now() WHERE id = $1", 1, NULL, v,
                                NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(pr), PGRES_COMMAND_OK);
    PQclear(pr);
    PQfinish(c);
    long status = 200;
    for (int i = 0; i < 20 && status == 200; i++) { /* NOTIFY travels in milliseconds */
        r = direct("GET", "/v1/partners", token, NULL, NULL);
        status = r->status;
        resp_free(r);
        if (status == 200)
            usleep(50 * 1000);
    }
    ck_assert_int_eq(status, 401);
}
END_TEST

static int pg_ctl(const char *what)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "KOOP_PG_FAST=1 scripts/pg.sh %s %s >/dev/null 2>&1", what,
             env_or("KOOP_PG_DIR", "/nonexistent"));
    return system(cmd);
}

START_TEST(database_outage_gives_503_then_recovers)
{
    const struct world *w = world();
    struct resp *r = direct("GET", "/v1/partners", w->admin_a, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    ck_assert_int_eq(pg_ctl("stop"), 0);
    for (int i = 0; i < 6; i++) { /* every thread's connection sees it */
        r = direct("GET", "/v1/partners", w->admin_a, NULL, NULL);
        ck_assert_int_eq(r->status, 503);
        ck_assert_str_eq(jstr(r->json, "type"), "/problems/service_unavailable");
        ck_assert_ptr_nonnull(resp_header(r, "Retry-After"));
        resp_free(r);
    }
    r = direct("GET", "/readyz", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 503);
    resp_free(r);
    r = direct("GET", "/healthz", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 200); /* the process itself is alive */
    resp_free(r);
    ck_assert_int_eq(pg_ctl("start"), 0);
    /* the same daemon serves again: poll (bounded) until it has reconnected */
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        r = direct("GET", "/v1/partners", w->admin_a, NULL, NULL);
        status = r->status;
        ck_assert_msg(status == 200 || status == 503, "got %ld during recovery", status);
        resp_free(r);
        if (status != 200)
            usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 200);
    for (int i = 0; i < 8; i++) { /* and keeps serving on every thread */
        r = direct("GET", "/v1/partners", w->admin_a, NULL, NULL);
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
    }
}
END_TEST

Suite *suite_database(void)
{
    Suite *s = suite_create("database");
    TCase *tc = tcase_create("schema");
    tcase_add_test(tc, migrations_recorded_once_with_checksums);
    tcase_add_test(tc, changed_migration_stops_startup);
    tcase_add_test(tc, migrate_reapplies_function_files);
    tcase_add_test(tc, migrate_drops_what_no_file_defines);
    tcase_add_test(tc, rls_hides_other_tenants_from_serving_role);
    tcase_add_test(tc, audit_log_is_append_only);
    tcase_add_test(tc, revocation_elsewhere_reaches_the_cache);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tcase_database_least_privilege());
    TCase *out = tcase_create("outage");
    tcase_set_timeout(out, 120);
    tcase_add_test(out, database_outage_gives_503_then_recovers);
    suite_add_tcase(s, out);
    return s;
}
