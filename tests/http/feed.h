/* Shared by the feed suite's files (feed_*.c): includes, types, macros and
 * helpers; the suite itself is in feed.c. */
#ifndef KOOP_TEST_FEED_H
#define KOOP_TEST_FEED_H

#include "client.h"
#include "steps.h"
#include "fixtures.h"
#include "pii.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

/* A partner created straight at the daemon (thread-safe: no Check asserts);
 * returns 0 and the id, or the status. */
long new_partner(const char *tok, const char *name, char out[37]);

/* ---- long-poll ---- */

struct lp {
    const char *tok;
    char path[512];
    bool via_prism;
    struct resp *r;
    double t0, t1;
    pthread_t th;
};

/* Steady writes in another tenant (hundreds of commits a second) must not
 * end a waiting long-poll early either: every waiter holds its empty answer
 * for the whole wait. */
struct noise {
    const char *tok;
    volatile bool *stop;
    int n;
    long err;
    pthread_t th;
};

#define LOADED_WAITERS 80

#define WAITERS 200

/* ---- no event skipped while writers commit concurrently ---- */

#define WRITERS 8

#define PER_WRITER 25

struct writer {
    const char *tok;
    int n;
    char (*ids)[37];
    long err;
    pthread_t th;
};

struct reader {
    const char *tok;
    long long after;
    const char *extra; /* query: limit, wait, types */
    int want;          /* partner.created events to collect */
    volatile bool *writers_done;
    /* results */
    char (*ids)[37];
    int n;
    int dupes, disorder, errors;
    long last_status;
    char err[256];
    pthread_t th;
};

/* The features (one TCase each), added to the suite in feed.c. */
TCase *tcase_feed_events(void);
TCase *tcase_feed_longpoll(void);

#endif
