/* Least privilege in the database: the daemon's login (DATABASE_URL, koop_serve) is no superuser
 * and owns nothing, and even after a RESET ROLE — the way back from koop_app that an injected
 * statement could take — it can do nothing koop_app cannot: no changing or deleting audit rows,
 * no disabling their triggers, no TRUNCATE, no other tenant's rows, no becoming the owner. */
#include "client.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *serving_login(void)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_URL", ""));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

static char *one(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    char *v = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

static void ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* sql must fail, and change nothing (each attempt in a transaction of its own) */
static void refused(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR, "allowed: %s", sql);
    PQclear(r);
}

START_TEST(serving_login_is_not_privileged)
{
    PGconn *c = serving_login();
    char *who = one(c, "SELECT session_user || ' ' || (rolsuper OR rolbypassrls OR rolcreaterole "
                       "OR rolcreatedb) FROM pg_roles WHERE rolname = session_user");
    ck_assert_str_eq(who, "koop_serve false");
    free(who);
    /* it owns nothing in the database */
    char *n =
        one(c, "SELECT (SELECT count(*) FROM pg_class WHERE relowner = 'koop_serve'::regrole) "
               "+ (SELECT count(*) FROM pg_proc WHERE proowner = 'koop_serve'::regrole) "
               "+ (SELECT count(*) FROM pg_namespace WHERE nspowner = 'koop_serve'::regrole)");
    ck_assert_str_eq(n, "0");
    free(n);
    PQfinish(c);
}
END_TEST

START_TEST(reset_role_gives_back_nothing)
{
    const struct world *w = world();
    PGconn *c = serving_login();
    char sql[512];
    ok(c, "SET ROLE koop_app");
    ok(c, "RESET ROLE");
    char *cur = one(c, "SELECT current_user");
    ck_assert_str_eq(cur, "koop_serve");
    free(cur);
    snprintf(sql, sizeof sql, "SELECT set_config('koop.tenant_id', '%s', false)", w->tenant_a);
    ok(c, sql);
    refused(c, "UPDATE audit_events SET status = 200");
    refused(c, "DELETE FROM audit_events");
    refused(c, "TRUNCATE audit_events");
    refused(c, "ALTER TABLE audit_events DISABLE TRIGGER ALL");
    refused(c, "ALTER TABLE audit_events DISABLE ROW LEVEL SECURITY");
    refused(c, "ALTER TABLE partners NO FORCE ROW LEVEL SECURITY");
    refused(c, "DROP POLICY partners_scope ON partners");
    refused(c, "SET ROLE postgres");
    /* another tenant's rows: refused outright, or none visible */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM partners WHERE tenant_id = '%s'", w->tenant_b);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        ck_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    else
        ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
    PQclear(r);
    /* and as koop_app again, with tenant A's context, still none of B's */
    ok(c, "SET ROLE koop_app");
    r = PQexec(c, sql);
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    refused(c, "UPDATE audit_events SET status = 200");
    refused(c, "DELETE FROM audit_events");
    refused(c, "TRUNCATE audit_events");
    refused(c, "ALTER TABLE audit_events DISABLE TRIGGER ALL");
    PQfinish(c);
    /* the audit log is whole */
    c = serving_login();
    ok(c, "SET ROLE koop_app");
    snprintf(sql, sizeof sql, "SELECT set_config('koop.tenant_id', '%s', false)", w->tenant_a);
    ok(c, sql);
    char *n = one(c, "SELECT count(*) > 0 FROM audit_events");
    ck_assert_str_eq(n, "t");
    free(n);
    PQfinish(c);
}
END_TEST

TCase *tcase_database_least_privilege(void)
{
    TCase *tc = tcase_create("least_privilege");
    tcase_add_test(tc, serving_login_is_not_privileged);
    tcase_add_test(tc, reset_role_gives_back_nothing);
    return tc;
}
