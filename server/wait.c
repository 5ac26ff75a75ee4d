#include "wait.h"

#include "auth.h"

#include "config.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct waiter {
    struct MHD_Connection *conn;
    char tenant[37];
    char token[37];
    uint64_t deadline;
    struct waiter *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;
static long nwaiters;
/* Generations per tenant (hashed into slots; a collision only costs a
 * spurious re-query) plus one for all, moved when the listener reconnects. */
#define GEN_SLOTS 1024
static atomic_uint_fast64_t generations[GEN_SLOTS];
static atomic_uint_fast64_t generation_all;

static unsigned gen_slot(const char *tenant)
{
    unsigned h = 2166136261u;
    for (const char *p = tenant ? tenant : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % GEN_SLOTS;
}
static atomic_bool stopping;
static atomic_bool listening; /* the listener holds a working connection */
static pthread_t listener;
static bool started;

bool koop_wait_listening(void)
{
    return atomic_load(&listening);
}

bool koop_wait_stopping(void)
{
    return atomic_load(&stopping);
}

uint64_t koop_wait_generation(const char *tenant)
{
    return atomic_load(&generations[gen_slot(tenant)]) + atomic_load(&generation_all);
}

long koop_wait_count(void)
{
    pthread_mutex_lock(&mu);
    long n = nwaiters;
    pthread_mutex_unlock(&mu);
    return n;
}

int koop_wait_suspend(void *conn, const char *tenant, const char *token, int per_token,
                      uint64_t deadline_us, uint64_t seen)
{
    if (atomic_load(&stopping) || !started)
        return 0;
    struct waiter *w = calloc(1, sizeof *w);
    if (!w)
        return 0;
    w->conn = conn;
    snprintf(w->tenant, sizeof w->tenant, "%s", tenant ? tenant : "");
    snprintf(w->token, sizeof w->token, "%s", token ? token : "");
    w->deadline = deadline_us;
    pthread_mutex_lock(&mu);
    /* a notification for this tenant between the caller's query and now: no sleeping */
    if (koop_wait_generation(tenant) != seen) {
        pthread_mutex_unlock(&mu);
        free(w);
        return 0;
    }
    int same = 0;
    for (struct waiter *o = waiters; o && w->token[0]; o = o->next)
        same += strcmp(o->token, w->token) == 0;
    if (w->token[0] && same >= per_token) {
        pthread_mutex_unlock(&mu);
        free(w);
        return -1;
    }
    /* suspend before publishing the waiter: a resume must follow the suspend */
    MHD_suspend_connection(conn);
    w->next = waiters;
    waiters = w;
    nwaiters++;
    pthread_mutex_unlock(&mu);
    return 1;
}

/* Resumes the waiters matching tenant (NULL: those past their deadline; ""
 * with all=true: every one). */
static void resume(const char *tenant, bool all)
{
    uint64_t now = koop_now_us();
    pthread_mutex_lock(&mu);
    struct waiter **pp = &waiters;
    while (*pp) {
        struct waiter *w = *pp;
        bool go = all || (tenant ? strcmp(w->tenant, tenant) == 0 : w->deadline <= now);
        if (go) {
            *pp = w->next;
            nwaiters--;
            MHD_resume_connection(w->conn);
            free(w);
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&mu);
}

static PGconn *listen_conn(void)
{
    PGconn *c = db_admin_connect_quiet(koop_cfg.database_url);
    if (!c)
        return NULL;
    PGresult *r = PQexec(c, "LISTEN koop_events; LISTEN koop_auth");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void *listen_main(void *arg)
{
    (void)arg;
    PGconn *c = NULL;
    uint64_t next_try = 0;
    while (!atomic_load(&stopping)) {
        if (!c && koop_now_us() >= next_try) {
            c = listen_conn();
            if (!c) {
                next_try = koop_now_us() + 1000000;
            } else {
                /* events may have committed, tokens been revoked, while we
                 * were not listening */
                koop_auth_flush();
                atomic_store(&listening, true);
                atomic_fetch_add(&generation_all, 1);
                resume(NULL, true);
            }
        }
        if (c) {
            struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
            int n = poll(&p, 1, 50); /* also the step of deadlines and rechecks */
            if (n > 0 && (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)) {
                atomic_store(&listening, false);
                koop_auth_flush();
                koop_log_warn("event listener lost its database connection");
                PQfinish(c);
                c = NULL;
                continue;
            }
            PGnotify *nf;
            while ((nf = PQnotifies(c)) != NULL) {
                if (strcmp(nf->relname, "koop_auth") == 0) {
                    koop_auth_flush();
                } else {
                    atomic_fetch_add(&generations[gen_slot(nf->extra)], 1);
                    resume(nf->extra, false);
                }
                PQfreemem(nf);
            }
        } else {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        resume(NULL, false); /* deadlines */
    }
    if (c)
        PQfinish(c);
    return NULL;
}

int koop_wait_start(void)
{
    if (pthread_create(&listener, NULL, listen_main, NULL) != 0)
        return -1;
    started = true;
    return 0;
}

void koop_wait_stop(void)
{
    atomic_store(&stopping, true);
    resume("", true);
    if (started)
        pthread_join(listener, NULL);
    started = false;
}
