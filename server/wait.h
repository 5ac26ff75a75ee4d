/* Long-poll waits without a thread or a database connection each: a waiting
 * request's connection is suspended (libmicrohttpd) and registered here; one
 * listener thread holds one PostgreSQL connection doing LISTEN koop_events
 * and resumes the waiters of a tenant when an event of that tenant commits
 * (NOTIFY is delivered at commit), or at their deadline. A resumed request
 * runs its handler again. */
#ifndef KOOP_WAIT_H
#define KOOP_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/* Starts the listener thread. Returns 0 or -1. */
int koop_wait_start(void);
/* Resumes every waiter and stops the listener (SIGTERM). */
void koop_wait_stop(void);

/* A counter that moves whenever a notification for tenant arrives; read it
 * before the query whose emptiness makes the request wait. */
uint64_t koop_wait_generation(const char *tenant);

/* Suspends conn (an MHD connection inside its access handler) until an event
 * of tenant commits or deadline_us (koop_now_us clock) passes, and returns 1.
 * Returns 0, without suspending, when a notification arrived since
 * generation `seen` (the caller should run its query again) or when shutting
 * down; -1, without suspending, when token already has per_token waiters
 * (the caller answers 429). */
int koop_wait_suspend(void *conn, const char *tenant, const char *token, int per_token,
                      uint64_t deadline_us, uint64_t seen);

/* True while the listener holds a working connection, so that cached
 * authentication is invalidated by NOTIFY koop_auth at once. */
bool koop_wait_listening(void);

/* True once koop_wait_stop began: waiting requests must answer now. */
bool koop_wait_stopping(void);

/* Number of requests waiting now (for /metrics). */
long koop_wait_count(void);

#endif
