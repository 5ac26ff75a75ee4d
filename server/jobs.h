/* Periodic jobs: one background thread with a database connection of its own (as the serving
 * role koop_app) runs each job's SQL every KOOP_JOB_INTERVAL seconds, in a transaction that
 * first takes a transaction-scoped advisory lock named after the job, so that of several
 * daemons sharing a database only one runs a job at a time (the others skip that round). A
 * job's SQL must therefore be idempotent: it decides itself what is due (e.g. an event emitted
 * once, remembered in a column). Jobs are declared in api/ and wired in by cli/main.c. */
#ifndef KOOP_JOBS_H
#define KOOP_JOBS_H

struct koop_job {
    const char *name; /* NULL terminates an array; names the advisory lock and log lines */
    const char *sql;  /* one statement, e.g. "SELECT koop.casework_tick()" */
};

/* Starts the thread over jobs (borrowed: must live as long as the process). The thread blocks
 * every signal (the HTTP server waits for SIGTERM itself) and runs the jobs once at start,
 * then every interval. Returns 0 or -1. */
int koop_jobs_start(const struct koop_job *jobs);

#endif
