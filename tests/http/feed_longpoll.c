/* The event feed's long-poll: woken by a commit, empty at the deadline, not
 * by another tenant, 200 waiters, and no event skipped under concurrency
 * (SPEC §8 Events). */
#include "feed.h"

#include <libpq-fe.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A token of admin's tenant for long-poll waiter i: one user per 50 waiters, as one token may
 * have at most KOOP_LONGPOLL_PER_TOKEN (100 in tests/run.sh, 8 by default) long-polls waiting. The
 * strings stay valid until the next call with another admin. */
static const char *waiter_token(const char *admin, int i)
{
    static char owner[80], toks[64][80];
    static bool made[64];
    if (strcmp(owner, admin) != 0) {
        snprintf(owner, sizeof owner, "%s", admin);
        memset(made, 0, sizeof made);
    }
    int g = (i / 50) % 64;
    if (!made[g]) {
        make_user(admin, "admin", NULL, toks[g], NULL);
        made[g] = true;
    }
    return toks[g];
}

/* The latest event id visible to token once it has stopped moving: events just committed
 * become visible only when older transactions have ended (the feed never skips one). */
static long long settled_event_id(const char *token)
{
    long long prev = -2, id = last_event_id(token);
    for (int i = 0; i < 50 && id != prev; i++) {
        sleep_s(0.2);
        prev = id;
        id = last_event_id(token);
    }
    return id;
}

/* The value of a gauge in /metrics, or -1. */
static long metric(const char *name)
{
    struct resp *r = direct("GET", "/metrics", world()->platform, NULL, NULL);
    long v = -1;
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = r->status == 200 ? strstr(r->body, key) : NULL;
    if (p)
        v = atol(p + strlen(key));
    resp_free(r);
    return v;
}

/* Waits (up to timeout_s) until the gauge reaches at least want; returns its last value. */
static long metric_at_least(const char *name, long want, double timeout_s)
{
    double end = mono() + timeout_s;
    long v;
    while ((v = metric(name)) < want && mono() < end)
        sleep_s(0.05);
    return v;
}

static void *lp_main(void *arg)
{
    struct lp *l = arg;
    l->t0 = mono();
    l->r = l->via_prism ? api("GET", l->path, l->tok, NULL)
                        : direct("GET", l->path, l->tok, NULL, NULL);
    l->t1 = mono();
    return NULL;
}

static void lp_start(struct lp *l, const char *tok, const char *path, bool via_prism)
{
    memset(l, 0, sizeof *l);
    l->tok = tok;
    snprintf(l->path, sizeof l->path, "%s", path);
    l->via_prism = via_prism;
    l->t0 = mono();
    ck_assert_int_eq(pthread_create(&l->th, NULL, lp_main, l), 0);
}

static double lp_join(struct lp *l)
{
    pthread_join(l->th, NULL);
    return l->t1 - l->t0;
}

START_TEST(longpoll_returns_as_soon_as_an_event_commits)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long latest = last_event_id(admin);
    long before = metric("koop_longpoll_waiting");
    struct lp l;
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=5", latest), false);
    /* it is parked (no thread, no connection), not answered */
    ck_assert_int_ge(metric_at_least("koop_longpoll_waiting", before + 1, 3), before + 1);
    sleep_s(0.3);
    double t_commit = mono();
    char id[37];
    ck_assert_int_eq(new_partner(admin, "Partner budzący", id), 0);
    double committed = mono();
    double took = lp_join(&l);
    double after_commit = l.t1 - committed;
    struct resp *r = l.r;
    EXPECT(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_msg(json_array_size(items) == 1, "%s", r->body);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "type"), "partner.created");
    ck_assert_str_eq(jstr(json_array_get(items, 0), "resource_id"), id);
    ck_assert_int_eq(jint(r->json, "next_after"), jint(json_array_get(items, 0), "id"));
    ck_assert_msg(l.t1 >= t_commit, "answered before the commit (%.3f s)", took);
    ck_assert_msg(after_commit < 1.0, "answered %.3f s after the commit (wait=5)", after_commit);
    ck_assert_msg(took < 3.0, "took %.3f s of wait=5", took);
    resp_free(r);
    ck_assert_int_le(metric_at_least("koop_longpoll_waiting", 0, 0), before);

    /* an event already there: no waiting at all */
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=5", latest), false);
    took = lp_join(&l);
    EXPECT(l.r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(l.r->json, "items")), 1);
    ck_assert_msg(took < 1.0, "took %.3f s with an event waiting", took);
    resp_free(l.r);
}
END_TEST

START_TEST(longpoll_times_out_empty_with_next_after_unchanged)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long latest = last_event_id(admin);
    const int waits[] = {1, 2};
    for (int i = 0; i < 2; i++) {
        int n = waits[i];
        struct lp l;
        /* through Prism once (the contract of the empty answer), directly once */
        lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=%d", latest, n), i == 1);
        double took = lp_join(&l);
        EXPECT(l.r, 200);
        ck_assert_msg(json_array_size(json_object_get(l.r->json, "items")) == 0, "%s", l.r->body);
        ck_assert_int_eq(jint(l.r->json, "next_after"), latest);
        ck_assert_msg(took >= n - 0.2 && took < n + 2, "wait=%d took %.3f s", n, took);
        resp_free(l.r);
    }
    /* wait=0 answers at once */
    struct lp l;
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=0", latest), false);
    double took = lp_join(&l);
    EXPECT(l.r, 200);
    ck_assert_msg(took < 0.5, "wait=0 took %.3f s", took);
    resp_free(l.r);
    /* at most 60 s */
    struct resp *r = api("GET", fmt("/v1/events?after=%lld&wait=61", latest), admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "wait", NULL, "query");
    resp_free(r);
}
END_TEST

START_TEST(longpoll_is_not_woken_by_another_tenant)
{
    char tenant[37], admin[80], other[37], admin2[80];
    fresh_tenant(tenant, admin, NULL);
    fresh_tenant(other, admin2, NULL);
    long long latest = last_event_id(admin);
    struct lp l;
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=3", latest), false);
    sleep_s(0.5);
    char id[37];
    ck_assert_int_eq(new_partner(admin2, "Partner innej gminy", id), 0);
    ck_assert_int_eq(new_partner(world()->admin_b, "Partner gminy B", id), 0);
    double took = lp_join(&l);
    EXPECT(l.r, 200);
    ck_assert_msg(json_array_size(json_object_get(l.r->json, "items")) == 0, "%s", l.r->body);
    ck_assert_int_eq(jint(l.r->json, "next_after"), latest);
    ck_assert_msg(took >= 2.8 && took < 5, "wait=3 took %.3f s", took);
    resp_free(l.r);
}
END_TEST

static void *noise_main(void *arg)
{
    struct noise *z = arg;
    char id[37];
    while (!*z->stop) {
        long e = new_partner(z->tok, uniq("Szum innej gminy"), id);
        if (e && !z->err)
            z->err = e;
        z->n++;
    }
    return NULL;
}

START_TEST(longpoll_holds_while_another_tenant_is_busy)
{
    char tenant[37], admin[80], other[37], admin2[80];
    fresh_tenant(tenant, admin, NULL);
    fresh_tenant(other, admin2, NULL);
    long long latest = last_event_id(admin);
    volatile bool stop = false;
    struct noise z[8];
    for (int i = 0; i < 8; i++) {
        memset(&z[i], 0, sizeof z[i]);
        z[i].tok = admin2;
        z[i].stop = &stop;
        ck_assert_int_eq(pthread_create(&z[i].th, NULL, noise_main, &z[i]), 0);
    }
    sleep_s(0.3);
    static struct lp l[LOADED_WAITERS];
    for (int i = 0; i < LOADED_WAITERS; i++) {
        memset(&l[i], 0, sizeof l[i]);
        l[i].tok = admin; /* LOADED_WAITERS <= KOOP_LONGPOLL_PER_TOKEN of tests/run.sh */
        snprintf(l[i].path, sizeof l[i].path, "/v1/events?after=%lld&wait=2", latest);
        ck_assert_int_eq(pthread_create(&l[i].th, NULL, lp_main, &l[i]), 0);
        sleep_s(0.005);
    }
    int early = 0, bad = 0;
    double shortest = 99;
    for (int i = 0; i < LOADED_WAITERS; i++) {
        double took = lp_join(&l[i]);
        if (!l[i].r || l[i].r->status != 200 ||
            json_array_size(json_object_get(l[i].r->json, "items")) != 0 ||
            jint(l[i].r->json, "next_after") != latest)
            bad++;
        if (took < 1.8)
            early++;
        if (took < shortest)
            shortest = took;
        resp_free(l[i].r);
    }
    stop = true;
    int writes = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(z[i].th, NULL);
        writes += z[i].n;
        ck_assert_msg(z[i].err == 0, "noise writer %d: %ld", i, z[i].err);
    }
    ck_assert_msg(bad == 0, "%d waiters got something other than an empty 200", bad);
    ck_assert_msg(early == 0,
                  "%d of %d long-polls (wait=2) answered early, the shortest after %.3f s, while "
                  "another tenant committed %d events",
                  early, LOADED_WAITERS, shortest, writes);
}
END_TEST

START_TEST(longpoll_answers_only_what_matches)
{
    char tenant[37], admin[80], coord[80], staff[80], p[37];
    fresh_tenant(tenant, admin, NULL);
    make_user(admin, "coordinator", NULL, coord, NULL);
    make_partner(admin, "Poradnia", p);
    make_user(admin, "partner_staff", p, staff, NULL);
    long long latest = last_event_id(admin);

    /* types=partner.withdrawn: a partner.created commits first and must not end the wait */
    struct lp l;
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=5&types=partner.withdrawn", latest), false);
    sleep_s(0.5);
    char id[37];
    ck_assert_int_eq(new_partner(admin, "Partner do wycofania", id), 0);
    sleep_s(1.0);
    double t_withdraw = mono();
    MOVED(admin, fmt("/v1/partners/%s/transitions", id), "withdrawn", "rezygnacja", NULL);
    double took = lp_join(&l);
    EXPECT(l.r, 200);
    const json_t *items = json_object_get(l.r->json, "items");
    ck_assert_msg(json_array_size(items) == 1, "%s", l.r->body);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "type"), "partner.withdrawn");
    ck_assert_str_eq(jstr(json_array_get(items, 0), "resource_id"), id);
    ck_assert_msg(l.t1 >= t_withdraw, "answered at %.3f s, before the matching event", took);
    ck_assert_msg(took < 4.0, "took %.3f s of wait=5", took);
    resp_free(l.r);

    /* nothing matching at all: empty at the deadline */
    long long latest2 = last_event_id(admin);
    lp_start(&l, admin, fmt("/v1/events?after=%lld&wait=2&types=partner.deleted", latest2), false);
    sleep_s(0.5);
    ck_assert_int_eq(new_partner(admin, "Partner nie pasuje", id), 0);
    took = lp_join(&l);
    EXPECT(l.r, 200);
    ck_assert_msg(json_array_size(json_object_get(l.r->json, "items")) == 0, "%s", l.r->body);
    ck_assert_int_ge(jint(l.r->json, "next_after"), latest2);
    ck_assert_msg(took >= 1.8 && took < 4, "wait=2 took %.3f s", took);
    resp_free(l.r);

    /* an event the caller may not see does not end its wait either */
    long long latest3 = last_event_id(staff);
    lp_start(&l, staff, fmt("/v1/events?after=%lld&wait=2", latest3), false);
    sleep_s(0.5);
    CREATE(coord, "/v1/families", json_pack("{s:s}", "district", "Centrum"), id);
    took = lp_join(&l);
    EXPECT(l.r, 200);
    ck_assert_msg(json_array_size(json_object_get(l.r->json, "items")) == 0,
                  "partner staff got another family's event: %s", l.r->body);
    ck_assert_msg(took >= 1.8 && took < 4, "wait=2 took %.3f s", took);
    resp_free(l.r);
}
END_TEST

START_TEST(longpoll_200_waiting_clients)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    for (int i = 0; i < WAITERS; i += 50)
        waiter_token(admin, i);
    long long latest = settled_event_id(admin); /* their users' events come before it */
    long before = metric("koop_longpoll_waiting");
    ck_assert_int_ge(before, 0);
    static struct lp l[WAITERS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (int i = 0; i < WAITERS; i++) {
        memset(&l[i], 0, sizeof l[i]);
        l[i].tok = waiter_token(admin, i);
        snprintf(l[i].path, sizeof l[i].path, "/v1/events?after=%lld&wait=20", latest);
        ck_assert_int_eq(pthread_create(&l[i].th, &attr, lp_main, &l[i]), 0);
    }
    pthread_attr_destroy(&attr);
    long waiting = metric_at_least("koop_longpoll_waiting", before + WAITERS, 15);
    ck_assert_msg(waiting >= before + WAITERS, "koop_longpoll_waiting is %ld, want >= %d", waiting,
                  WAITERS);
    /* the daemon still answers other requests at once */
    double t = mono();
    struct resp *r = direct("GET", "/v1/partners", admin, NULL, NULL);
    double took = mono() - t;
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_msg(took < 1.0, "GET /v1/partners took %.3f s with %d waiting", took, WAITERS);
    /* none has answered yet */
    for (int i = 0; i < WAITERS; i++)
        ck_assert_msg(l[i].r == NULL, "waiter %d answered early", i);

    char id[37];
    ck_assert_int_eq(new_partner(admin, "Partner dla 200", id), 0);
    double committed = mono();
    double worst = 0;
    int bad = 0;
    char first_bad[512] = "";
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(l[i].th, NULL);
        struct resp *x = l[i].r;
        const json_t *items = x ? json_object_get(x->json, "items") : NULL;
        bool ok = x && x->status == 200 && json_array_size(items) == 1 &&
                  jstr(json_array_get(items, 0), "resource_id") &&
                  !strcmp(jstr(json_array_get(items, 0), "resource_id"), id);
        if (!ok && !bad++)
            snprintf(first_bad, sizeof first_bad, "waiter %d: %ld %s", i, x ? x->status : -1,
                     x ? x->body : "");
        if (l[i].t1 - committed > worst)
            worst = l[i].t1 - committed;
        resp_free(x);
    }
    ck_assert_msg(bad == 0, "%d of %d waiters did not get the event; first: %s", bad, WAITERS,
                  first_bad);
    ck_assert_msg(worst < 5.0, "the last waiter answered %.3f s after the commit", worst);
    ck_assert_int_le(metric_at_least("koop_longpoll_waiting", 0, 0), before);
}
END_TEST

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < w->n; i++) {
        long e = new_partner(w->tok, uniq("Partner współbieżny"), w->ids[i]);
        if (e && !w->err)
            w->err = e;
    }
    return NULL;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    double deadline = 0;
    long long last_id = rd->after;
    for (;;) {
        struct resp *r = direct("GET", fmt("/v1/events?after=%lld&%s", rd->after, rd->extra),
                                rd->tok, NULL, NULL);
        rd->last_status = r->status;
        if (r->status != 200) {
            if (!rd->errors++)
                snprintf(rd->err, sizeof rd->err, "%ld %s", r->status, r->body);
            resp_free(r);
            if (rd->errors > 20)
                break;
            sleep_s(0.1);
            continue;
        }
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(r->json, "items"), i, e)
        {
            long long eid = jint(e, "id");
            if (eid <= last_id)
                rd->disorder++;
            last_id = eid;
            if (strcmp(jstr(e, "type"), "partner.created"))
                continue;
            const char *rid = jstr(e, "resource_id");
            bool dup = false;
            for (int k = 0; k < rd->n; k++)
                dup |= !strcmp(rd->ids[k], rid);
            if (dup) {
                rd->dupes++;
            } else if (rd->n < rd->want + 50) {
                snprintf(rd->ids[rd->n++], 37, "%s", rid);
            }
        }
        long long next = jint(r->json, "next_after");
        if (next < rd->after)
            rd->disorder++;
        rd->after = next;
        resp_free(r);
        if (*rd->writers_done) {
            if (deadline == 0)
                deadline = mono() + 20;
            if (rd->n >= rd->want || mono() > deadline)
                break;
        }
    }
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

START_TEST(feed_never_skips_a_committed_event_under_concurrency)
{
    char tenant[37], admin[80], other[37], admin2[80];
    fresh_tenant(tenant, admin, NULL);
    fresh_tenant(other, admin2, NULL);
    long long latest = last_event_id(admin);
    const int total = WRITERS * PER_WRITER;
    static char created[WRITERS * PER_WRITER][37], noise[2 * PER_WRITER][37];
    static char got[3][WRITERS * PER_WRITER + 50][37];
    volatile bool done = false;

    /* three readers: long-poll with small pages, long-poll filtered by type, tight polling */
    const char *extras[] = {"limit=5&wait=2", "limit=200&wait=2&types=partner.created", "limit=50"};
    struct reader rd[3];
    for (int i = 0; i < 3; i++) {
        memset(&rd[i], 0, sizeof rd[i]);
        rd[i].tok = admin;
        rd[i].after = latest;
        rd[i].extra = extras[i];
        rd[i].want = total;
        rd[i].writers_done = &done;
        rd[i].ids = got[i];
        ck_assert_int_eq(pthread_create(&rd[i].th, NULL, reader_main, &rd[i]), 0);
    }
    struct writer w[WRITERS + 2];
    for (int i = 0; i < WRITERS + 2; i++) {
        memset(&w[i], 0, sizeof w[i]);
        /* two writers of another tenant interleave their ids with ours */
        w[i].tok = i < WRITERS ? admin : admin2;
        w[i].n = PER_WRITER;
        w[i].ids = i < WRITERS ? &created[i * PER_WRITER] : &noise[(i - WRITERS) * PER_WRITER];
        ck_assert_int_eq(pthread_create(&w[i].th, NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS + 2; i++)
        pthread_join(w[i].th, NULL);
    done = true;
    for (int i = 0; i < 3; i++)
        pthread_join(rd[i].th, NULL);
    for (int i = 0; i < WRITERS + 2; i++)
        ck_assert_msg(w[i].err == 0, "writer %d failed: %ld", i, w[i].err);

    qsort(created, (size_t)total, 37, cmp_id);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(rd[i].errors == 0, "reader %s: %s", extras[i], rd[i].err);
        ck_assert_msg(rd[i].disorder == 0, "reader %s: ids not increasing (%d)", extras[i],
                      rd[i].disorder);
        ck_assert_msg(rd[i].dupes == 0, "reader %s saw %d events twice", extras[i], rd[i].dupes);
        qsort(got[i], (size_t)rd[i].n, 37, cmp_id);
        int missing = 0, extra = 0, a = 0, b = 0;
        char first_missing[37] = "";
        while (a < total || b < rd[i].n) {
            int c = a >= total ? 1 : b >= rd[i].n ? -1 : strcmp(created[a], got[i][b]);
            if (c == 0) {
                a++;
                b++;
            } else if (c < 0) {
                if (!missing++)
                    snprintf(first_missing, sizeof first_missing, "%s", created[a]);
                a++;
            } else {
                extra++;
                b++;
            }
        }
        ck_assert_msg(missing == 0 && extra == 0,
                      "reader %s: %d of %d partners missing (first %s), %d unknown", extras[i],
                      missing, total, first_missing, extra);
    }
}
END_TEST

/* ---- a writer held open: no per-tenant lock, and nothing skipped behind it ---- */

static PGresult *owner_q(PGconn *c, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
                  "%s: %s", sql, PQresultErrorMessage(r));
    return r;
}

/* Emits one event in c's open transaction and returns its id. */
static void held_event(PGconn *c, const char *tenant, long long *held_id)
{
    PGresult *r = owner_q(c, "SELECT gen_random_uuid()::text", 0, NULL);
    char rid[37];
    snprintf(rid, sizeof rid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *v[] = {tenant, rid};
    PQclear(owner_q(c, "SELECT koop.emit('partner.updated', 'partner', $1::uuid, 1)", 1, v + 1));
    r = owner_q(c, "SELECT id FROM events WHERE tenant_id = $1::uuid AND resource_id = $2::uuid", 2,
                v);
    ck_assert_int_eq(PQntuples(r), 1);
    *held_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* An owner's transaction in tenant, held open; its event's id in held_id (when emit). */
static PGconn *open_writer(const char *tenant, bool emit, long long *held_id)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PQclear(owner_q(c, "BEGIN", 0, NULL));
    const char *v[] = {tenant};
    PQclear(owner_q(c, "SELECT koop.ctx($1, NULL, 'admin', NULL, NULL, 'test-held-writer', NULL)",
                    1, v));
    /* the transaction's id is taken now, before the daemon's write below */
    PQclear(owner_q(c, "SELECT pg_current_xact_id()", 0, NULL));
    if (emit)
        held_event(c, tenant, held_id);
    return c;
}

/* The events after `after` as ids (at most 200), and next_after. */
static int feed_ids(const char *tok, long long after, long long *ids, long long *next)
{
    struct resp *r = direct("GET", fmt("/v1/events?after=%lld&limit=200", after), tok, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    json_t *items = json_object_get(r->json, "items");
    int n = (int)json_array_size(items);
    for (int i = 0; i < n && i < 200; i++)
        ids[i] = jint(json_array_get(items, (size_t)i), "id");
    *next = jint(r->json, "next_after");
    resp_free(r);
    return n;
}

START_TEST(feed_never_skips_an_event_of_a_writer_held_open)
{
    char tenant[37], admin[80], pid[37];
    fresh_tenant(tenant, admin, NULL);
    long long latest = settled_event_id(admin), ids[200], next;

    /* 1. the owner's transaction has written an event and stays open; a write through the
     * daemon in the same tenant does not queue behind it */
    long long held;
    PGconn *c = open_writer(tenant, true, &held);
    double t0 = mono();
    ck_assert_int_eq(new_partner(admin, "Partner obok otwartej transakcji", pid), 0);
    ck_assert_msg(mono() - t0 < 2.0, "the write waited %.1f s for the open transaction",
                  mono() - t0);
    /* the daemon's event committed with a higher id; a reader must not get it before the
     * held one, which would move its cursor past the held id */
    int n = feed_ids(admin, latest, ids, &next);
    for (int i = 0; i < n; i++)
        ck_assert_msg(ids[i] < held, "event %lld handed out while %lld is not committed", ids[i],
                      held);
    ck_assert_msg(next < held, "next_after %lld passed the open transaction's %lld", next, held);

    /* a long-poll waiting now answers once the open transaction commits */
    struct lp l = {.tok = admin};
    snprintf(l.path, sizeof l.path, "/v1/events?after=%lld&wait=10", next);
    ck_assert_int_eq(pthread_create(&l.th, NULL, lp_main, &l), 0);
    sleep_s(0.5);
    PQclear(owner_q(c, "COMMIT", 0, NULL));
    PQfinish(c);
    pthread_join(l.th, NULL);
    ck_assert_int_eq(l.r->status, 200);
    ck_assert_msg(l.t1 - l.t0 < 5.0, "the long-poll answered after %.1f s", l.t1 - l.t0);
    json_t *items = json_object_get(l.r->json, "items");
    ck_assert_int_ge(json_array_size(items), 1);
    ck_assert_int_eq(jint(json_array_get(items, 0), "id"), held);
    resp_free(l.r);
    n = feed_ids(admin, next, ids, &next);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], held);
    ck_assert_int_gt(ids[1], held);

    /* 2. the other order: the open transaction took its id first, the daemon's write commits,
     * and only then does the open one write its event */
    long long after = next;
    c = open_writer(tenant, false, NULL);
    ck_assert_int_eq(new_partner(admin, "Partner przed zdarzeniem otwartej", pid), 0);
    held_event(c, tenant, &held);
    n = feed_ids(admin, after, ids, &next);
    for (int i = 0; i < n; i++)
        ck_assert_msg(ids[i] < held, "event %lld handed out while %lld is not committed", ids[i],
                      held);
    ck_assert_msg(next < held, "next_after %lld passed the open transaction's %lld", next, held);
    PQclear(owner_q(c, "COMMIT", 0, NULL));
    PQfinish(c);
    /* both now, in id order, the open transaction's first */
    n = feed_ids(admin, next, ids, &next);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], held);
    ck_assert_int_gt(ids[1], held);
}
END_TEST

TCase *tcase_feed_longpoll(void)
{
    TCase *tc = tcase_create("longpoll");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, longpoll_returns_as_soon_as_an_event_commits);
    tcase_add_test(tc, longpoll_times_out_empty_with_next_after_unchanged);
    tcase_add_test(tc, longpoll_is_not_woken_by_another_tenant);
    tcase_add_test(tc, longpoll_holds_while_another_tenant_is_busy);
    tcase_add_test(tc, longpoll_answers_only_what_matches);
    tcase_add_test(tc, longpoll_200_waiting_clients);
    tcase_add_test(tc, feed_never_skips_a_committed_event_under_concurrency);
    tcase_add_test(tc, feed_never_skips_an_event_of_a_writer_held_open);
    return tc;
}
