/* Periodic jobs (see jobs.h for the contract). */
#include "jobs.h"

#include "config.h"
#include "db.h"
#include "log.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static const struct koop_job *g_jobs;
static pthread_t g_thread;

/* Opens the job connection as koop_app; NULL when the database is not there (retried later). */
static PGconn *job_conn(void)
{
    PGconn *c = db_admin_connect_quiet(koop_cfg.database_url);
    if (!c)
        return NULL;
    char sql[160];
    snprintf(sql, sizeof sql, "SET ROLE koop_app; SET statement_timeout = %d",
             koop_cfg.statement_timeout_ms);
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Runs one job in its own transaction under its advisory lock. Returns false when the
 * connection broke (the caller reconnects). */
static bool run_one(PGconn *c, const struct koop_job *j)
{
    PGresult *r = PQexec(c, "BEGIN");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return PQstatus(c) == CONNECTION_OK;
    const char *v[] = {j->name};
    r = PQexecParams(c, "SELECT pg_try_advisory_xact_lock(4243, hashtext($1))", 1, NULL, v, NULL,
                     NULL, 0);
    bool mine =
        PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (mine) {
        r = PQexec(c, j->sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
            /* the primary message and SQLSTATE only: DETAIL may quote row values (family data) */
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            koop_log_error("job %s failed: %s (SQLSTATE %s)", j->name, msg ? msg : "?",
                           state ? state : "?");
            mine = false;
        }
        PQclear(r);
    }
    r = PQexec(c, mine ? "COMMIT" : "ROLLBACK");
    PQclear(r);
    return PQstatus(c) == CONNECTION_OK;
}

static void *jobs_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    PGconn *c = NULL;
    for (;;) {
        if (!c)
            c = job_conn();
        for (const struct koop_job *j = g_jobs; c && j->name; j++) {
            if (!run_one(c, j)) {
                koop_log_warn("job %s lost its database connection", j->name);
                PQfinish(c);
                c = NULL;
            }
        }
        struct timespec ts = {koop_cfg.job_interval_s, 0};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int koop_jobs_start(const struct koop_job *jobs)
{
    g_jobs = jobs;
    if (pthread_create(&g_thread, NULL, jobs_main, NULL) != 0)
        return -1;
    pthread_detach(g_thread);
    return 0;
}
