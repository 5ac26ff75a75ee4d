/* Read replicas (DATABASE_READ_URL): routes flagged RT_REPLICA (reads that
 * write nothing and tolerate replication lag) run on a PostgreSQL streaming
 * standby, through a second connection per worker thread; everything else,
 * and every read a replica cannot serve, runs on the primary (DATABASE_URL).
 *
 * Read-your-writes: a write request that committed answers Koop-Consistency:
 * <LSN> (pg_current_wal_insert_lsn() read in the COMMIT's round trip); a read
 * that sends it back is served by a replica only once that replica has
 * replayed past it (pg_last_wal_replay_lsn(), waited for at most
 * KOOP_REPLICA_WAIT_MS), else by the primary. A replica that fails is left
 * alone for a second and the request is answered by the primary; it comes
 * back by itself. */
#ifndef KOOP_REPLICA_H
#define KOOP_REPLICA_H

#include "req.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct koop_route;

#define KOOP_CONSISTENCY_HEADER "Koop-Consistency"

/* How many replicas DATABASE_READ_URL names (0: none; every read on the primary). */
int replica_count(void);

/* Parses an LSN as PostgreSQL prints it ("16/B374D848"). Returns true and
 * sets *out, or false when s is not one. */
bool replica_lsn_parse(const char *s, uint64_t *out);

/* Around a route's handler (server/http.c). begin decides whether the
 * request may read from a replica and, on a GET or HEAD of an RT_REPLICA
 * route, reads its Koop-Consistency header (ignored elsewhere: the primary
 * is current); returns -1 with a 422 in res when that header is not an LSN. end adds
 * Koop-Consistency to the response of a request that committed on the
 * primary, counts where a read was served, and forgets the request. */
int replica_begin(const struct koop_route *rt, struct kreq *req, struct kres *res);
void replica_end(struct kres *res);

/* ---- hooks of server/db.c ---- */

/* The connection db_run should use for req: this thread's replica
 * connection (opened if needed, caught up to the request's token), or NULL
 * for the primary. */
PGconn *replica_conn(const struct kreq *req);
/* Whether db_run should read the commit LSN for the request's token. */
bool replica_want_lsn(const struct kreq *req);
/* db_run committed on the primary at lsn (text). */
void replica_note_commit(const char *lsn);
/* A transaction on replica connection c failed (broken: the connection;
 * else res holds the problem). Returns true when the request should run
 * again on the primary (every later db_run of the request goes there). */
bool replica_failed(PGconn *c, bool broken, const struct kres *res);
/* Closes this thread's replica connection c (after it broke). */
void replica_drop(PGconn *c);

/* Prometheus lines for /metrics (malloc'd; NULL when out of memory). */
char *replica_metrics(void);

#endif
