/* PostgreSQL access: one connection per HTTP worker thread (lazily opened,
 * reopened after failure), always in pipeline mode, serving as the
 * unprivileged role koop_app so that row-level security applies. */
#ifndef KOOP_DB_H
#define KOOP_DB_H

#include "req.h"

#include <libpq-fe.h>
#include <stdbool.h>

/* Registers a prepared statement; call before the first connection opens
 * (at start-up). name and sql must outlive the process (string literals). */
void db_register(const char *name, const char *sql);

/* Registers the statements server/ itself runs: the transaction context and
 * timeout (db_exec), the token lookup (auth.c), idempotency claims
 * (resource.c), readiness (db_ready) and denied-access audit (http.c). Call
 * once at start-up, before any other db_register. */
void db_register_server(void);

/* Returns this thread's serving connection, opening it if needed; NULL when
 * the database is unreachable (callers answer 503). */
PGconn *db_thread_conn(void);
/* Closes this thread's connection (after it broke). */
void db_thread_reset(void);

/* Opens a serving connection to url set up as db_thread_conn's are (role
 * koop_app, pipeline mode, every registered statement prepared): a read
 * replica's (server/replica.c). NULL when it cannot. */
PGconn *db_serving_connect(const char *url);
/* Runs one registered statement without parameters on c, outside any
 * transaction. Returns the result (caller PQclears) or NULL when the
 * connection failed. */
PGresult *db_exec_on(PGconn *c, const char *stmt);

/* Checks, before serving, that DATABASE_URL's user is fit to serve: no superuser, no
 * BYPASSRLS, not the owner of the schema nor a member of it (what a RESET ROLE would give
 * back), and a member of koop_app. Returns 0, or -1 with the reason in why. */
int db_check_serving_login(char *why, size_t whylen);

/* Opens an administrative connection (CLI, migrations) as the DATABASE_URL
 * user, not in pipeline mode. NULL with a message on stderr on failure. */
PGconn *db_admin_connect(const char *url);
/* Same without the message (for background reconnect loops). */
PGconn *db_admin_connect_quiet(const char *url);

struct db_tx;

/* The unit of work of one request. It may run more than once (the runner
 * retries on serialization failures and deadlocks), so it must not keep
 * state between runs. Returns 0 to commit, nonzero after filling res with a
 * problem (the transaction is rolled back). */
typedef int (*db_fn)(struct db_tx *tx, struct kreq *req, struct kres *res, void *arg);

/* Runs fn in one transaction whose first round trip also sets the tenant and
 * actor context from req->auth. Returns 0 when fn's work committed, else -1
 * with res holding the problem (503 with Retry-After when the database is
 * unavailable). */
int db_run(struct kreq *req, struct kres *res, db_fn fn, void *arg);

enum { DB_LAST = 1 }; /* db_exec flag: commit in the same round trip */

/* Executes a registered statement inside fn. Returns the result (owned by tx,
 * freed when db_run ends) or NULL after mapping the error into res (fn should
 * then return -1). With DB_LAST the transaction commits in the same pipeline;
 * no further db_exec may follow. */
PGresult *db_exec(struct db_tx *tx, struct kres *res, unsigned flags, const char *stmt, int n,
                  const char *const *vals);

/* Runs one registered statement outside any explicit transaction (e.g. the
 * token lookup). Returns the result (caller PQclears) or NULL after filling
 * res with a problem. */
PGresult *db_exec_once(struct kres *res, const char *stmt, int n, const char *const *vals);

/* Maps a failed result to a problem in res. Returns true when the failure is
 * a serialization failure or deadlock (the caller may retry). */
bool db_map_error(const PGresult *r, struct kres *res);

/* Pool figures for /metrics. */
void db_stats(long *open, long *busy, long *errors, long *connects);

/* True when the database answers and the schema is at the latest migration. */
bool db_ready(char *why, size_t whylen);

#endif
