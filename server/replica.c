#include "replica.h"

#include "config.h"
#include "db.h"
#include "log.h"
#include "problem.h"
#include "router.h"
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPLICAS 8
#define RETRY_US 1000000 /* a replica that failed is left alone this long */

static char *urls[MAX_REPLICAS];
static int nurls;
static pthread_once_t parse_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t down_until[MAX_REPLICAS]; /* koop_now_us; 0: up */
static atomic_int next_home;
static atomic_long st_replica, st_primary, st_fb_down, st_fb_lag, st_fb_error, st_waits, st_open;

static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* this thread's replica connection */
static __thread PGconn *t_conn;
static __thread int t_idx = -1;      /* the replica t_conn is (or was last) connected to */
static __thread int t_home = -1;     /* the replica this thread tries first */
static __thread uint64_t t_replayed; /* the highest replay LSN seen on t_conn */
/* the request being served */
static __thread bool t_eligible;     /* its route may read from a replica */
static __thread bool t_primary_only; /* a replica failed it, or could not catch up */
static __thread bool t_asked, t_got; /* db_run asked for a connection / got a replica's */
static __thread uint64_t t_min;      /* its Koop-Consistency, or 0 */
static __thread uint64_t t_commit;   /* the highest commit LSN of its writes, or 0 */

static void conn_destroy(void *p)
{
    if (p) {
        PQfinish(p);
        atomic_fetch_sub(&st_open, 1);
    }
}

static void key_init(void)
{
    pthread_key_create(&conn_key, conn_destroy);
}

static bool is_uri(const char *s, size_t n)
{
    return (n > 13 && !strncmp(s, "postgresql://", 13)) ||
           (n > 11 && !strncmp(s, "postgres://", 11));
}

/* DATABASE_READ_URL: URIs separated by spaces (commas belong to libpq's
 * multi-host URIs), or one keyword=value connection string. */
static void parse_urls(void)
{
    const char *s = koop_cfg.read_url;
    bool all_uris = true;
    int words = 0;
    for (const char *p = s; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        all_uris = all_uris && is_uri(p, (size_t)(e - p));
        words++;
        p = e;
    }
    if (!words)
        return;
    if (!all_uris) {
        urls[nurls++] = strdup(s);
        return;
    }
    for (const char *p = s; *p && nurls < MAX_REPLICAS;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        urls[nurls++] = strndup(p, (size_t)(e - p));
        p = e;
    }
    if (words > MAX_REPLICAS)
        koop_log_warn("DATABASE_READ_URL names %d replicas; the first %d are used", words,
                      MAX_REPLICAS);
}

int replica_count(void)
{
    pthread_once(&parse_once, parse_urls);
    return nurls;
}

bool replica_lsn_parse(const char *s, uint64_t *out)
{
    uint64_t hi = 0, lo = 0;
    int nh = 0, nl = 0;
    const char *p = s;
    for (; isxdigit((unsigned char)*p) && nh < 8; p++, nh++)
        hi = hi * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' : (*p | 0x20) - 'a' + 10);
    if (!nh || *p++ != '/')
        return false;
    for (; isxdigit((unsigned char)*p) && nl < 8; p++, nl++)
        lo = lo * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' : (*p | 0x20) - 'a' + 10);
    if (!nl || *p)
        return false;
    *out = hi << 32 | lo;
    return true;
}

int replica_begin(const struct koop_route *rt, struct kreq *req, struct kres *res)
{
    t_eligible = t_primary_only = t_asked = t_got = false;
    t_min = t_commit = 0;
    /* the token matters (and is judged) on the reads a replica may serve; the primary is
     * always current, so elsewhere it is ignored */
    if (!(rt->flags & RT_REPLICA) || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")))
        return 0;
    const char *h = koop_header(req, KOOP_CONSISTENCY_HEADER);
    if (h && !replica_lsn_parse(h, &t_min)) {
        koop_fail_field(res, "header", KOOP_CONSISTENCY_HEADER, "format",
                        "must be a log position as a write's Koop-Consistency gave it");
        return -1;
    }
    t_eligible = replica_count() > 0;
    return 0;
}

void replica_end(struct kres *res)
{
    if (t_commit)
        koop_res_header(res, KOOP_CONSISTENCY_HEADER, "%" PRIX64 "/%" PRIX64, t_commit >> 32,
                        t_commit & 0xffffffffu);
    if (t_eligible && t_asked)
        atomic_fetch_add(t_got && !t_primary_only ? &st_replica : &st_primary, 1);
    t_eligible = t_primary_only = t_asked = t_got = false;
    t_min = t_commit = 0;
}

void replica_drop(PGconn *c)
{
    if (c && c == t_conn) {
        pthread_setspecific(conn_key, NULL);
        PQfinish(t_conn);
        t_conn = NULL; /* t_idx stays: replica_failed marks that replica down */
        t_replayed = 0;
        atomic_fetch_sub(&st_open, 1);
    }
}

static void mark_down(int i)
{
    if (i >= 0) {
        atomic_store(&down_until[i], koop_now_us() + RETRY_US);
        koop_log_warn("read replica %d unavailable; reads go to the primary", i + 1);
    }
}

static void open_replica(uint64_t now)
{
    for (int k = 0; k < nurls; k++) {
        int i = (t_home + k) % nurls;
        uint_fast64_t d = atomic_load(&down_until[i]);
        if (now < d)
            continue;
        /* it was down: one thread tries it again, the others stay on the primary meanwhile */
        if (d && !atomic_compare_exchange_strong(&down_until[i], &d, now + RETRY_US))
            continue;
        PGconn *c = db_serving_connect(urls[i]);
        if (!c) {
            mark_down(i);
            continue;
        }
        if (d)
            koop_log_info("read replica %d is back", i + 1);
        atomic_store(&down_until[i], 0);
        pthread_once(&key_once, key_init);
        pthread_setspecific(conn_key, c);
        atomic_fetch_add(&st_open, 1);
        t_conn = c;
        t_idx = i;
        t_replayed = 0;
        return;
    }
}

/* Whether t_conn has replayed past t_min, waiting at most KOOP_REPLICA_WAIT_MS. */
static bool caught_up(void)
{
    uint64_t deadline = koop_now_us() + (uint64_t)koop_cfg.replica_wait_ms * 1000;
    bool waited = false;
    for (long pause_us = 500;; pause_us = pause_us < 8000 ? pause_us * 2 : pause_us) {
        PGresult *r = db_exec_on(t_conn, "koop_replay_lsn");
        uint64_t v = 0;
        bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                  !PQgetisnull(r, 0, 0) && replica_lsn_parse(PQgetvalue(r, 0, 0), &v);
        bool broken = !r || PQstatus(t_conn) != CONNECTION_OK;
        PQclear(r);
        if (broken) {
            mark_down(t_idx);
            replica_drop(t_conn);
            return false;
        }
        if (!ok)
            return false; /* not a standby (a promoted one answers NULL): no way to know */
        if (v > t_replayed)
            t_replayed = v;
        if (t_replayed >= t_min)
            return true;
        if (!waited) {
            waited = true;
            atomic_fetch_add(&st_waits, 1);
        }
        if (koop_now_us() + (uint64_t)pause_us > deadline)
            return false;
        struct timespec ts = {0, pause_us * 1000};
        nanosleep(&ts, NULL);
    }
}

PGconn *replica_conn(const struct kreq *req)
{
    (void)req;
    if (!t_eligible)
        return NULL;
    t_asked = true;
    if (t_primary_only)
        return NULL;
    if (t_home < 0)
        t_home = atomic_fetch_add(&next_home, 1) % nurls;
    uint64_t now = koop_now_us();
    /* another thread found this replica down: leave it too */
    if (t_conn && (PQstatus(t_conn) != CONNECTION_OK || now < atomic_load(&down_until[t_idx])))
        replica_drop(t_conn);
    if (!t_conn)
        open_replica(now);
    if (!t_conn) {
        atomic_fetch_add(&st_fb_down, 1);
        t_primary_only = true;
        return NULL;
    }
    if (t_min > t_replayed && !caught_up()) {
        atomic_fetch_add(t_conn ? &st_fb_lag : &st_fb_down, 1);
        t_primary_only = true;
        return NULL;
    }
    t_got = true;
    return t_conn;
}

bool replica_want_lsn(const struct kreq *req)
{
    return replica_count() > 0 && strcmp(req->method, "GET") != 0 &&
           strcmp(req->method, "HEAD") != 0;
}

void replica_note_commit(const char *lsn)
{
    uint64_t v;
    if (lsn && replica_lsn_parse(lsn, &v) && v > t_commit)
        t_commit = v;
}

bool replica_failed(PGconn *c, bool broken, const struct kres *res)
{
    (void)c;
    if (!broken && res->status < 500)
        return false; /* the client's mistake, or not found: the same on the primary */
    t_primary_only = true;
    if (broken) {
        atomic_fetch_add(&st_fb_down, 1);
        mark_down(t_idx);
        replica_drop(t_conn);
    } else {
        /* e.g. a statement that writes (SQLSTATE 25006) on a route flagged RT_REPLICA, or a
         * query cancelled by a conflict with recovery: answered by the primary */
        atomic_fetch_add(&st_fb_error, 1);
        koop_log_warn("a read failed on a replica (status %d); answered by the primary",
                      res->status);
    }
    return true;
}

char *replica_metrics(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    int n = replica_count();
    fprintf(f,
            "# HELP koop_replica_reads_total Requests on replica-eligible routes (RT_REPLICA) by "
            "where they were served.\n"
            "# TYPE koop_replica_reads_total counter\n"
            "koop_replica_reads_total{served_by=\"replica\"} %ld\n"
            "koop_replica_reads_total{served_by=\"primary\"} %ld\n"
            "# HELP koop_replica_fallbacks_total Reads a replica could not serve, answered by the "
            "primary: down, lag (not caught up with Koop-Consistency in time), error.\n"
            "# TYPE koop_replica_fallbacks_total counter\n"
            "koop_replica_fallbacks_total{reason=\"down\"} %ld\n"
            "koop_replica_fallbacks_total{reason=\"lag\"} %ld\n"
            "koop_replica_fallbacks_total{reason=\"error\"} %ld\n"
            "# HELP koop_replica_waits_total Reads that waited for a replica to replay past their "
            "Koop-Consistency.\n"
            "# TYPE koop_replica_waits_total counter\nkoop_replica_waits_total %ld\n"
            "# HELP koop_replica_connections_open Open connections to read replicas.\n"
            "# TYPE koop_replica_connections_open gauge\nkoop_replica_connections_open %ld\n"
            "# HELP koop_replica_up Whether each replica of DATABASE_READ_URL (1..N) is in use.\n"
            "# TYPE koop_replica_up gauge\n",
            atomic_load(&st_replica), atomic_load(&st_primary), atomic_load(&st_fb_down),
            atomic_load(&st_fb_lag), atomic_load(&st_fb_error), atomic_load(&st_waits),
            atomic_load(&st_open));
    uint64_t now = koop_now_us();
    for (int i = 0; i < n; i++)
        fprintf(f, "koop_replica_up{replica=\"%d\"} %d\n", i + 1,
                now >= atomic_load(&down_until[i]));
    fclose(f);
    return out;
}
