/* Read replicas (server/replica.h), against a second daemon whose
 * DATABASE_READ_URL is a real streaming standby of the test cluster
 * (pg_basebackup -R, scripts/test-pg-fixture.sh standby). tests/run.sh starts
 * both and runs this suite alone with KOOP_TEST_REPLICA_URL (that daemon),
 * KOOP_STANDBY_OWNER_URL (the standby as its superuser) and
 * KOOP_PG_STANDBY_DIR (to stop and start it). */
#ifndef KOOP_TEST_REPLICA_H
#define KOOP_TEST_REPLICA_H

#include "client.h"

#include <libpq-fe.h>

Suite *suite_replica(void);
TCase *tcase_replica_routing(void);     /* replica_routing.c */
TCase *tcase_replica_consistency(void); /* replica_consistency.c */
TCase *tcase_replica_failover(void);    /* replica_failover.c */

/* A request to the daemon with read replicas; extra headers as http_req. */
struct resp *rep(const char *method, const char *path, const char *token, const char *body,
                 const char *const *headers);
/* A tenant of the test's own (a unique TERYT code) and its first admin's token. */
void rep_tenant(char tenant_id[37], char admin[80]);
/* A partner made through the replica daemon (a write: on the primary); its id, and the
 * response's Koop-Consistency in token (64 bytes) when token is not NULL. Returns the status. */
long rep_partner(const char *admin, const char *name, char id[37], char *token);
/* The value of one /metrics line of that daemon ("name{labels}"); -1 when absent. */
long rep_metric(const char *series);
/* The standby as its superuser (asserts the connection). */
PGconn *standby(void);
/* Runs scripts/pg.sh VERB on the standby ("stop", "start"); returns its exit status. */
int standby_ctl(const char *verb);
/* Waits (at most 10 s, asserted) until the standby has replayed past a Koop-Consistency token:
 * reads without a token may lag (the test cluster commits asynchronously, so its WAL reaches
 * the standby up to wal_writer_delay later). */
void standby_wait(const char *token);
/* Resumes WAL replay on the standby (a checked fixture's teardown, too). */
void standby_resume(void);

#endif
