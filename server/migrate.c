#include "migrate.h"

#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK "41, 1"

/* Version 0.1.0 kept tables and functions together in ten files, 001_core.sql … 010_reports.sql,
 * and recorded these checksums. Their schema is what 001_bootstrap + 002_baseline create (their
 * functions are in sql/functions/), so a database holding exactly these rows is recorded anew as
 * being at version BASELINE_0_1_0, and upgrades from there. */
static const struct {
    int version;
    const char *name, *sum;
} release_0_1_0[] = {
    {1, "001_core.sql", "be179e5f6f92100a631c494a333d7587d5b3954a7ae5db592b1e23a01acd067d"},
    {2, "002_accounts.sql", "b8961dc986698e07df7e5339d78e27d377a3ff294c9e6776ee5127fb82a250c7"},
    {3, "003_partners.sql", "6f4a8044a06c8e42061ee76d7e89caba89813961ef965f05a4ee47afe7beb98a"},
    {4, "004_services.sql", "1851394885087fa1e9b4984dac5c8f5100799a8a125c4826428b62b1f1bdfcdc"},
    {5, "005_services_exchange.sql",
     "4288dd941410a7cd3197eca269c5063e3c6061474fe91788f410a215a2fae539"},
    {6, "006_families.sql", "3a928a805faab27c1e200d7c315b9d00886c6fc8bf3b1a0ee394977f48ad029b"},
    {7, "007_task_teams.sql", "cefccb810df3f9604cc588cc5d58faae661d25b8e05cd0732d903b148b161fcc"},
    {8, "008_feed.sql", "dac4ecf451d218ac62937933c9653a28c316c8b964d7757136472942f0cac397"},
    {9, "009_partnership.sql", "5ad4671201d1512ddcad5d467dbaea2d089f19c085422b4c66bae2dfdeb5a250"},
    {10, "010_reports.sql", "02420b454fe074eeb6c9780c8636a8effb49869d5acb49e27990ed01e5103296"},
};
#define RELEASE_0_1_0_FILES ((int)(sizeof release_0_1_0 / sizeof release_0_1_0[0]))
#define BASELINE_0_1_0 2

int koop_schema_version(void)
{
    return koop_migration_count ? koop_migrations[koop_migration_count - 1].version : 0;
}

static int exec_ok(PGconn *c, const char *sql, ExecStatusType want, const char *what)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == want ||
             (want == PGRES_COMMAND_OK && PQresultStatus(r) == PGRES_TUPLES_OK);
    if (!ok)
        fprintf(stderr, "kooperd: %s failed: %s", what, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int rollback(PGconn *c)
{
    exec_ok(c, "ROLLBACK", PGRES_COMMAND_OK, "rollback");
    return -1;
}

static int record(PGconn *c, int version, const char *name, const char *sum)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%d", version);
    const char *vals[] = {ver, name, sum};
    PGresult *r = PQexecParams(
        c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3, NULL,
        vals, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "kooperd: recording migration %s failed: %s", name, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

/* The early function files, inside the caller's transaction. Their bodies are checked when the
 * whole set is applied after the schema files. */
static int apply_early(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT to_regnamespace('koop') IS NOT NULL");
    bool have = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!have) /* before 001 has made the schema: nothing can call them yet */
        return 0;
    if (exec_ok(c, "SET LOCAL check_function_bodies = off", PGRES_COMMAND_OK, "setting") != 0)
        return -1;
    for (int i = 0; i < koop_function_file_count; i++) {
        const struct koop_sqlfile *f = &koop_function_files[i];
        if (f->early && exec_ok(c, f->sql, PGRES_COMMAND_OK, f->name) != 0)
            return -1;
    }
    return exec_ok(c, "SET LOCAL check_function_bodies = on", PGRES_COMMAND_OK, "setting");
}

static int apply_schema(PGconn *c, const struct koop_migration *m, const char *sum)
{
    if (exec_ok(c, "BEGIN", PGRES_COMMAND_OK, "BEGIN") != 0)
        return -1;
    if (apply_early(c) != 0 || exec_ok(c, m->sql, PGRES_COMMAND_OK, m->name) != 0 ||
        record(c, m->version, m->name, sum) != 0)
        return rollback(c);
    if (exec_ok(c, "COMMIT", PGRES_COMMAND_OK, "COMMIT") != 0)
        return -1;
    fprintf(stderr, "kooperd: applied schema %s\n", m->name);
    return 0;
}

/* A database that 0.1.0 migrated: its ten rows become the rows of 001 and 002. Returns 0 (done,
 * or not such a database) or -1 (rows of 0.1.0's files that are not 0.1.0's). */
static int adopt_release_0_1_0(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "kooperd: reading schema_migrations failed: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r), rc = 0;
    if (n == 0 || strcmp(PQgetvalue(r, 0, 1), release_0_1_0[0].name) != 0) {
        PQclear(r); /* a fresh database, or one already in the layout of sql/schema */
        return 0;
    }
    bool same = n == RELEASE_0_1_0_FILES;
    for (int i = 0; same && i < n; i++)
        same = atoi(PQgetvalue(r, i, 0)) == release_0_1_0[i].version &&
               !strcmp(PQgetvalue(r, i, 1), release_0_1_0[i].name) &&
               !strcmp(PQgetvalue(r, i, 2), release_0_1_0[i].sum);
    PQclear(r);
    if (!same) {
        fprintf(stderr, "kooperd: schema_migrations holds files named like version 0.1.0's but "
                        "not exactly its ten (a development build?); this database cannot be "
                        "upgraded automatically\n");
        return -1;
    }
    if (exec_ok(c, "BEGIN", PGRES_COMMAND_OK, "BEGIN") != 0)
        return -1;
    rc = exec_ok(c, "DELETE FROM schema_migrations", PGRES_COMMAND_OK, "adopting 0.1.0");
    for (int i = 0; rc == 0 && i < koop_migration_count; i++) {
        const struct koop_migration *m = &koop_migrations[i];
        if (m->version > BASELINE_0_1_0)
            break;
        char sum[65];
        koop_sha256_hex(m->sql, strlen(m->sql), sum);
        rc = record(c, m->version, m->name, sum);
    }
    if (rc != 0)
        return rollback(c);
    if (exec_ok(c, "COMMIT", PGRES_COMMAND_OK, "COMMIT") != 0)
        return -1;
    fprintf(stderr, "kooperd: recognised a version 0.1.0 database; recorded as schema %03d\n",
            BASELINE_0_1_0);
    return 0;
}

/* Functions in schema koop, and triggers calling them, that this transaction did not (re)create:
 * no file defines them any more. */
static const char STALE_SQL[] =
    "SELECT 'TRIGGER', format('%I ON %s', t.tgname, t.tgrelid::regclass) FROM pg_trigger t "
    "  JOIN pg_proc p ON p.oid = t.tgfoid "
    " WHERE NOT t.tgisinternal AND p.pronamespace = 'koop'::regnamespace "
    "   AND t.xmin <> pg_current_xact_id()::xid "
    "UNION ALL "
    "SELECT 'FUNCTION', p.oid::regprocedure::text FROM pg_proc p "
    " WHERE p.pronamespace = 'koop'::regnamespace AND p.xmin <> pg_current_xact_id()::xid "
    "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
    "                   AND d.objid = p.oid AND d.deptype = 'e') "
    "ORDER BY 1 DESC, 2";

static int drop_stale(PGconn *c)
{
    PGresult *r = PQexec(c, STALE_SQL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "kooperd: finding stale functions failed: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, "DROP %s %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        rc = exec_ok(c, sql, PGRES_COMMAND_OK, sql);
        if (rc == 0)
            fprintf(stderr, "kooperd: dropped %s %s (no file defines it)\n", PQgetvalue(r, i, 0),
                    PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return rc;
}

/* SQL-language bodies are checked against the final set of functions and tables, so that the
 * order of files matters only to the early ones: each is redefined from its own stored text. */
static const char CHECK_SQL[] =
    "DO $$ DECLARE f oid; BEGIN "
    "  SET LOCAL check_function_bodies = on; "
    "  FOR f IN SELECT p.oid FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
    "           WHERE p.pronamespace = 'koop'::regnamespace AND l.lanname = 'sql' LOOP "
    "    EXECUTE pg_get_functiondef(f); "
    "  END LOOP; "
    "END $$";

static int apply_functions(PGconn *c)
{
    if (exec_ok(c, "BEGIN", PGRES_COMMAND_OK, "BEGIN") != 0 ||
        exec_ok(c, "SET LOCAL check_function_bodies = off", PGRES_COMMAND_OK, "setting") != 0)
        return -1;
    for (int i = 0; i < koop_function_file_count; i++) {
        const struct koop_sqlfile *f = &koop_function_files[i];
        if (exec_ok(c, f->sql, PGRES_COMMAND_OK, f->name) != 0)
            return rollback(c);
    }
    if (exec_ok(c, CHECK_SQL, PGRES_COMMAND_OK, "checking the functions' bodies") != 0 ||
        drop_stale(c) != 0)
        return rollback(c);
    if (exec_ok(c, "COMMIT", PGRES_COMMAND_OK, "COMMIT") != 0)
        return -1;
    fprintf(stderr, "kooperd: applied the functions of %d files\n", koop_function_file_count);
    return 0;
}

/* Checks the recorded checksum of m, or applies it when unrecorded. */
static int schema_step(PGconn *c, const struct koop_migration *m)
{
    char sum[65], ver[16];
    koop_sha256_hex(m->sql, strlen(m->sql), sum);
    snprintf(ver, sizeof ver, "%d", m->version);
    const char *vals[] = {ver};
    PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1", 1,
                               NULL, vals, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "kooperd: reading schema_migrations failed: %s", PQerrorMessage(c));
        rc = -1;
    } else if (PQntuples(r) == 1) {
        if (strcmp(PQgetvalue(r, 0, 0), sum) != 0) {
            fprintf(stderr,
                    "kooperd: schema file %s was changed after it was applied (checksum "
                    "%.12s… recorded, %.12s… now); write a new file instead\n",
                    m->name, PQgetvalue(r, 0, 0), sum);
            rc = -1;
        }
    } else {
        rc = apply_schema(c, m, sum);
    }
    PQclear(r);
    return rc;
}

int koop_migrate(PGconn *c)
{
    if (exec_ok(c, "SET client_min_messages = warning", PGRES_COMMAND_OK, "setting") != 0 ||
        exec_ok(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", PGRES_TUPLES_OK, "locking") != 0)
        return -1;
    int rc = exec_ok(c,
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
                     "name text NOT NULL, checksum text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())",
                     PGRES_COMMAND_OK, "creating schema_migrations");
    if (rc == 0)
        rc = adopt_release_0_1_0(c);
    for (int i = 0; rc == 0 && i < koop_migration_count; i++)
        rc = schema_step(c, &koop_migrations[i]);
    if (rc == 0)
        rc = apply_functions(c);
    if (rc == 0)
        rc = exec_ok(c, "GRANT SELECT ON schema_migrations TO koop_app", PGRES_COMMAND_OK,
                     "granting");
    exec_ok(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", PGRES_TUPLES_OK, "unlocking");
    return rc;
}

int koop_serve_login(PGconn *c, const char *password)
{
    char *lit = PQescapeLiteral(c, password, strlen(password));
    if (!lit) {
        fprintf(stderr, "kooperd: cannot quote KOOP_SERVE_PASSWORD: %s", PQerrorMessage(c));
        return -1;
    }
    size_t n = strlen(lit) + 64;
    char *sql = malloc(n);
    if (!sql) {
        PQfreemem(lit);
        return -1;
    }
    snprintf(sql, n, "ALTER ROLE koop_serve LOGIN PASSWORD %s", lit);
    PQfreemem(lit);
    int rc = exec_ok(c, sql, PGRES_COMMAND_OK, "letting koop_serve log in");
    free(sql);
    if (rc == 0)
        fprintf(stderr, "kooperd: koop_serve may log in with KOOP_SERVE_PASSWORD\n");
    return rc;
}
