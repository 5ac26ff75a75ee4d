#include "migrate.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK "41, 1"

static int exec_ok(PGconn *c, const char *sql, ExecStatusType want)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == want;
    if (!ok)
        fprintf(stderr, "kooperd: migration step failed: %s", PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int apply(PGconn *c, const struct koop_migration *m, const char *sum)
{
    if (exec_ok(c, "BEGIN", PGRES_COMMAND_OK) != 0)
        return -1;
    PGresult *r = PQexec(c, m->sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "kooperd: migration %s failed: %s", m->name, PQerrorMessage(c));
        PQclear(r);
        exec_ok(c, "ROLLBACK", PGRES_COMMAND_OK);
        return -1;
    }
    PQclear(r);
    char ver[16];
    snprintf(ver, sizeof ver, "%d", m->version);
    const char *vals[] = {ver, m->name, sum};
    r = PQexecParams(c,
                     "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     3, NULL, vals, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "kooperd: recording migration %s failed: %s", m->name, PQerrorMessage(c));
    PQclear(r);
    if (!ok) {
        exec_ok(c, "ROLLBACK", PGRES_COMMAND_OK);
        return -1;
    }
    return exec_ok(c, "COMMIT", PGRES_COMMAND_OK);
}

int koop_migrate(PGconn *c)
{
    if (exec_ok(c, "SET client_min_messages = warning", PGRES_COMMAND_OK) != 0 ||
        exec_ok(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", PGRES_TUPLES_OK) != 0)
        return -1;
    int rc = exec_ok(c,
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
                     "name text NOT NULL, checksum text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())",
                     PGRES_COMMAND_OK);
    for (int i = 0; rc == 0 && i < koop_migration_count; i++) {
        const struct koop_migration *m = &koop_migrations[i];
        char sum[65], ver[16];
        koop_sha256_hex(m->sql, strlen(m->sql), sum);
        snprintf(ver, sizeof ver, "%d", m->version);
        const char *vals[] = {ver};
        PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1",
                                   1, NULL, vals, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "kooperd: reading schema_migrations failed: %s", PQerrorMessage(c));
            rc = -1;
        } else if (PQntuples(r) == 1) {
            if (strcmp(PQgetvalue(r, 0, 0), sum) != 0) {
                fprintf(stderr,
                        "kooperd: migration %s was changed after it was applied (checksum "
                        "%.12s… recorded, %.12s… now); write a new migration instead\n",
                        m->name, PQgetvalue(r, 0, 0), sum);
                rc = -1;
            }
        } else {
            rc = apply(c, m, sum);
            if (rc == 0)
                fprintf(stderr, "kooperd: applied migration %s\n", m->name);
        }
        PQclear(r);
    }
    if (rc == 0)
        rc = exec_ok(c, "GRANT SELECT ON schema_migrations TO koop_app", PGRES_COMMAND_OK);
    exec_ok(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", PGRES_TUPLES_OK);
    return rc;
}
