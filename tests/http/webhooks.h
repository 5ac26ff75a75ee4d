/* Shared by the webhooks suite's files (webhooks_*.c): a local receiver the
 * daemon delivers to, signature checks and waiting; the suite itself is in
 * webhooks.c. */
#ifndef KOOP_TEST_WEBHOOKS_H
#define KOOP_TEST_WEBHOOKS_H

#include "client.h"
#include "fixtures.h"
#include "pii.h"
#include "steps.h"

#include <pthread.h>
#include <stdbool.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

/* One request the receiver got. */
struct hook_req {
    char id[64], ts[32], sig[512];
    char *body;   /* owned by the receiver */
    int answered; /* status it answered */
};

#define RCV_MAX 256

/* A small HTTP server (libmicrohttpd, its own thread) on 127.0.0.1, any
 * free port: records every POST and answers 503 to the first fail_first
 * requests and while down is set, 200 otherwise. */
struct receiver {
    void *mhd;
    int port;
    pthread_mutex_t mu;
    struct hook_req reqs[RCV_MAX];
    int n;
    int fail_first;
    bool down;
};

void rcv_start(struct receiver *r);
void rcv_stop(struct receiver *r);
/* http://127.0.0.1:<port>/hook (a rotating buffer) */
const char *rcv_url(const struct receiver *r);
void rcv_set_down(struct receiver *r, bool down);
/* Requests so far, and those answered 2xx. */
int rcv_count(struct receiver *r);
int rcv_ok(struct receiver *r);
/* Waits up to timeout_s for at least n requests answered 2xx; returns the
 * count reached. */
int rcv_wait_ok(struct receiver *r, int n, int timeout_s);
/* A copy of request i (body malloc'd; free with free()). */
struct hook_req rcv_get(struct receiver *r, int i);

/* Whether sig (a webhook-signature header) holds a v1 signature of
 * id.ts.body under secret (whsec_...), computed here with libcrypto. */
bool signature_ok(const char *secret, const char *id, const char *ts, const char *body,
                  const char *sig);

/* POST /v1/webhooks {url, types (a JSON array text)} through Prism as
 * token; asserts 201 and copies id, secret (noted as a secret never to be
 * logged) and last_event_id. */
#define HOOK_CREATE(tok, url, types, id, secret, last)                                             \
    hook_create_at((tok), (url), (types), (id), (secret), (last), __LINE__)
void hook_create_at(const char *tok, const char *url, const char *types, char id[37],
                    char secret[80], long long *last, int line);

/* Polls GET path (as tok, direct) up to timeout_s until field equals want;
 * returns true when it did. */
bool wait_field(const char *tok, const char *path, const char *field, const char *want,
                int timeout_s);

/* The ids of the tenant's events after `after` whose type is `type` or
 * starts with `prefix` (either may be NULL), in order; returns their count. */
int events_of(const char *tok, long long after, const char *type, const char *prefix,
              long long *ids, int max);

TCase *tcase_webhooks_api(void);
TCase *tcase_webhooks_delivery(void);

#endif
