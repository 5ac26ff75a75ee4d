/* The change feed (SPEC §5 Events; §9 Audit, events, logs): paging with
 * after/limit/next_after, the types filter, what each role may see, long-poll
 * (wait=N) woken by a commit of the same tenant only, 200 clients waiting at
 * once, and no event ever skipped while writers commit concurrently. Each
 * test works in tenants of its own (fresh_tenant). Timing-sensitive requests
 * go straight to the daemon (direct), the rest through Prism. */
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

#pragma GCC diagnostic ignored "-Wformat-truncation"

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

/* A partner created straight at the daemon (thread-safe: no Check asserts);
 * returns 0 and the id, or the status. */
static long new_partner(const char *tok, const char *name, char out[37])
{
    char *body = partner_body(name, "ngo");
    struct resp *r = direct("POST", "/v1/partners", tok, body, NULL);
    free(body);
    long st = r->status;
    if (st == 201 && jstr(r->json, "id"))
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    return st == 201 ? 0 : (st ? st : -1);
}

/* The value of a gauge in /metrics, or -1. */
static long metric(const char *name)
{
    struct resp *r = direct("GET", "/metrics", NULL, NULL, NULL);
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

/* Every event visible to tok after `after`, following next_after (through Prism). */
static json_t *all_events(const char *tok, long long after, const char *types)
{
    json_t *out = json_array();
    for (int guard = 0; guard < 1000; guard++) {
        struct resp *r = api("GET",
                             fmt("/v1/events?after=%lld&limit=200%s%s", after,
                                 types ? "&types=" : "", types ? types : ""),
                             tok, NULL);
        ck_assert_msg(r->status == 200, "events: %ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        json_array_extend(out, (json_t *)items);
        long long next = jint(r->json, "next_after");
        ck_assert_msg(next >= after, "next_after went back: %s", r->body);
        size_t n = json_array_size(items);
        resp_free(r);
        if (n == 0)
            break;
        after = next;
    }
    return out;
}

static size_t count_events(const json_t *ev, const char *resource, const char *resource_id)
{
    size_t i, n = 0;
    const json_t *e;
    json_array_foreach(ev, i, e)
    {
        if (resource && strcmp(jstr(e, "resource"), resource))
            continue;
        if (resource_id && strcmp(jstr(e, "resource_id"), resource_id))
            continue;
        n++;
    }
    return n;
}

/* ---- paging, filters, shape ---- */

static void check_event(const json_t *e, const char *type, const char *id, long long version)
{
    char *s = jdump(e);
    ck_assert_msg(json_object_size(e) == 6,
                  "an event has exactly id, type, resource, resource_id, "
                  "version, occurred_at: %s",
                  s);
    ck_assert_msg(json_is_integer(json_object_get(e, "id")), "%s", s);
    ck_assert_msg(!strcmp(jstr(e, "type"), type), "want %s: %s", type, s);
    ck_assert_msg(!strcmp(jstr(e, "resource"), "partner"), "%s", s);
    ck_assert_msg(!strcmp(jstr(e, "resource_id"), id), "want %s: %s", id, s);
    ck_assert_msg(jint(e, "version") == version, "want version %lld: %s", version, s);
    const char *at = jstr(e, "occurred_at");
    ck_assert_msg(at && strlen(at) >= 20 && at[strlen(at) - 1] == 'Z', "occurred_at: %s", s);
    free(s);
}

START_TEST(feed_pages_types_and_next_after)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long base = last_event_id(admin);
    ck_assert_int_ge(base, 0);
    const char *secret = "Fundacja Nazwisko Prezesa Kowalskiego";
    char a[37], b[37], c[37];
    ck_assert_int_eq(new_partner(admin, secret, a), 0);
    ck_assert_int_eq(new_partner(admin, "Partner B", b), 0);
    ck_assert_int_eq(new_partner(admin, "Partner C", c), 0);
    struct resp *r =
        api_if("PATCH", fmt("/v1/partners/%s", a), admin, "{\"short_name\":\"FNP\"}", "\"1\"");
    EXPECT(r, 200);
    resp_free(r);
    MOVED(admin, fmt("/v1/partners/%s/transitions", b), "withdrawn", "rezygnacja", NULL);
    MOVED(admin, fmt("/v1/partners/%s/transitions", c), "withdrawn", NULL, NULL);
    /* a refused write is no event */
    r = api_if("PATCH", fmt("/v1/partners/%s", a), admin, "{\"short_name\":\"X\"}", "\"1\"");
    EXPECT(r, 412);
    resp_free(r);

    /* everything after base, one event per write, in id order */
    r = api("GET", fmt("/v1/events?after=%lld", base), admin, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, "Kowalskiego"));
    ck_assert_ptr_null(strstr(r->body, "FNP"));
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 6);
    check_event(json_array_get(items, 0), "partner.created", a, 1);
    check_event(json_array_get(items, 1), "partner.created", b, 1);
    check_event(json_array_get(items, 2), "partner.created", c, 1);
    check_event(json_array_get(items, 3), "partner.updated", a, 2);
    check_event(json_array_get(items, 4), "partner.withdrawn", b, 2);
    check_event(json_array_get(items, 5), "partner.withdrawn", c, 2);
    long long id[6];
    for (int i = 0; i < 6; i++) {
        id[i] = jint(json_array_get(items, i), "id");
        ck_assert_int_gt(id[i], i ? id[i - 1] : base);
    }
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    ck_assert_uint_eq(json_object_size(r->json), 2); /* items, next_after */
    resp_free(r);

    /* pages of two: next_after is the last id of a full page */
    long long after = base;
    for (int page = 0; page < 3; page++) {
        r = api("GET", fmt("/v1/events?after=%lld&limit=2", after), admin, NULL);
        EXPECT(r, 200);
        items = json_object_get(r->json, "items");
        ck_assert_uint_eq(json_array_size(items), 2);
        ck_assert_int_eq(jint(json_array_get(items, 0), "id"), id[2 * page]);
        ck_assert_int_eq(jint(json_array_get(items, 1), "id"), id[2 * page + 1]);
        ck_assert_int_eq(jint(r->json, "next_after"), id[2 * page + 1]);
        after = jint(r->json, "next_after");
        resp_free(r);
    }
    r = api("GET", fmt("/v1/events?after=%lld&limit=2", after), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);

    /* types: only those, in order; next_after moves past what was looked at */
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.created,partner.withdrawn", base),
            admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    const int want[] = {0, 1, 2, 4, 5};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(jint(json_array_get(items, i), "id"), id[want[i]]);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* the same by pages of two, following next_after: nothing lost or repeated */
    after = base;
    int seen = 0;
    for (int guard = 0; guard < 10; guard++) {
        r = api("GET",
                fmt("/v1/events?after=%lld&limit=2&types=partner.created,partner.withdrawn", after),
                admin, NULL);
        EXPECT(r, 200);
        items = json_object_get(r->json, "items");
        size_t n = json_array_size(items);
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_lt(seen, 5);
            ck_assert_int_eq(jint(json_array_get(items, i), "id"), id[want[seen]]);
            seen++;
        }
        long long next = jint(r->json, "next_after");
        ck_assert_int_ge(next, after);
        after = next;
        resp_free(r);
        if (n == 0)
            break;
    }
    ck_assert_int_eq(seen, 5);
    ck_assert_int_eq(after, id[5]);
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.updated", base), admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 1);
    check_event(json_array_get(items, 0), "partner.updated", a, 2);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* a stretch with no match is skipped, never re-read */
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.deleted", base), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* past the end: empty, next_after stays where the client is */
    r = api("GET", fmt("/v1/events?after=%lld", id[5] + 1000), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5] + 1000);
    resp_free(r);
    /* another tenant's feed holds none of it */
    json_t *other = all_events(world()->admin_b, base, NULL);
    char *os = jdump(other);
    ck_assert_msg(!strstr(os, a) && !strstr(os, b) && !strstr(os, c), "leak: %s", os);
    free(os);
    json_decref(other);

    /* bad parameters are 422 naming the parameter */
    const struct {
        const char *q, *field;
    } bad[] = {
        {"limit=0", "limit"},       {"limit=201", "limit"},      {"limit=abc", "limit"},
        {"after=-1", "after"},      {"after=abc", "after"},      {"types=Partner.Created", "types"},
        {"types=partner", "types"}, {"types=", "types"},         {"types=a.b.c", "types"},
        {"wait=61", "wait"},        {"wait=-1", "wait"},         {"wait=soon", "wait"},
        {"since=1", "since"},       {"after=1&after=2", "after"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/events?%s", bad[i].q), admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, NULL, "query");
        resp_free(r);
    }
}
END_TEST

/* types: up to 50 names of up to 64 characters each are valid; every list
 * within those limits is answered. 2046 characters once filled a 2 KiB
 * buffer for the SQL array literal to the byte (422), and longer lists
 * overflowed it on the stack (the daemon died): 2046 characters, then the
 * documented maximum (50 names of 64). */
START_TEST(feed_types_filter_long_list_within_limits)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long base = last_event_id(admin);
    char id[37];
    ck_assert_int_eq(new_partner(admin, "Partner z filtrem", id), 0);
    char types[4096] = "";
    for (int i = 0; i < 31; i++) { /* 31 names of 64 characters */
        char t[80];
        size_t o = 0;
        if (i)
            t[o++] = ',';
        memset(t + o, 'a' + i % 26, 31);
        o += 31;
        t[o++] = '.';
        memset(t + o, 'z', 32);
        o += 32;
        t[o] = 0;
        strcat(types, t);
    }
    strcat(types, ",ab_cd.efgh_ijkl,partner.created"); /* and two of 15 */
    ck_assert_uint_eq(strlen(types), 2046);
    /* with partner.created at the end: the event is found */
    static char path[4096];
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    struct resp *r = direct("GET", path, admin, NULL, NULL);
    ck_assert_msg(r->status == 200, "%zu characters of types (33 valid names of <= 64): %ld %s",
                  strlen(types), r->status, r->body);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);

    /* 49 names of 64 characters, and partner.created: 3200 characters */
    types[0] = 0;
    for (int i = 0; i < 49; i++) {
        char t[80];
        size_t o = 0;
        if (i)
            t[o++] = ',';
        memset(t + o, 'a' + i % 26, 31);
        o += 31;
        t[o++] = '.';
        memset(t + o, 'a' + (i / 26) % 26, 32);
        o += 32;
        t[o] = 0;
        strcat(types, t);
    }
    strcat(types, ",partner.created");
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    r = direct("GET", path, admin, NULL, NULL);
    ck_assert_msg(r->status == 200, "50 types of <= 64 characters: %ld %s", r->status, r->body);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    /* 51 names are too many (422), and the daemon is still there */
    strcat(types, ",partner.deleted");
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    r = direct("GET", path, admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "types", "max", "query");
    resp_free(r);
    r = direct("GET", "/healthz", NULL, NULL, NULL);
    EXPECT(r, 200);
    resp_free(r);
}
END_TEST

/* ---- who sees what ---- */

START_TEST(feed_visibility_follows_family_access)
{
    struct fx_tenant x;
    FX_TENANT(&x, FX_COORD | FX_SW | FX_SW2 | FX_AUDITOR);
    const char *admin = x.admin, *coord = x.coord, *sw = x.sw, *sw2 = x.sw2, *auditor = x.auditor;
    char p[37], q[37], staff[80], staff_id[37], staff2[80];
    make_partner(admin, "Poradnia Rodzinna", p);
    make_partner(admin, "Klub Sportowy", q);
    FX_STAFF(admin, p, staff, staff_id);
    FX_STAFF(admin, q, staff2, NULL);
    long long base = last_event_id(admin);

    char surname[64], pesel[12];
    snprintf(surname, sizeof surname, "Feedowska%dv", (int)getpid());
    note_pii(surname);
    make_pesel(1979, 11, 2, 1, pesel);
    /* f: supported with a team where p takes part and a consent to share with p; g: no team */
    char f[37], g[37], fm[37], gm[37], team[37], consent[37], meeting[37];
    FX_FAMILY(coord, json_pack("{s:s}", "district", "Centrum"), f);
    FX_FAMILY(coord, json_pack("{s:s}", "district", "Ligota"), g);
    FX_MEMBER(coord, f, "Ewa", surname, "1979-11-02", pesel, "head", fm);
    FX_MEMBER(coord, g, "Jan", surname, "1975-01-01", NULL, "head", gm);
    FX_CONSENT(coord, g, gm, "processing", NULL, NULL, NULL, NULL);
    FX_TEAM(coord, f, x.sw_id, team);
    FX_REP(sw, team, p, "Przedstawiciel Poradni", staff_id, NULL);
    FX_CONSENT(sw, f, fm, "sharing_with_partner", p, NULL, NULL, consent);
    FX_TEAM_ACTIVE(sw, team);
    CREATE(admin, "/v1/meetings",
           json_pack("{s:s, s:s, s:s}", "kind", "partnership_team", "held_on", utc_date(0), "title",
                     "PZK"),
           meeting);

    /* admin (and coordinator): everything */
    json_t *ev = all_events(admin, base, NULL);
    char *s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) >= 1 && count_events(ev, "family", g) >= 1, "%s",
                  s);
    ck_assert_msg(count_events(ev, "member", fm) == 1 && count_events(ev, "member", gm) == 1, "%s",
                  s);
    ck_assert_msg(count_events(ev, "consent", consent) == 1 &&
                      count_events(ev, "consent", NULL) == 2,
                  "%s", s);
    ck_assert_msg(count_events(ev, "task_team", team) >= 2, "%s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    ck_assert_msg(!strstr(s, surname) && !strstr(s, pesel), "personal data in the feed: %s", s);
    size_t admin_total = json_array_size(ev);
    free(s);
    json_decref(ev);
    ev = all_events(coord, base, NULL);
    ck_assert_uint_eq(json_array_size(ev), admin_total);
    json_decref(ev);

    /* staff of p: f's events (team + consent), none of g's */
    ev = all_events(staff, base, NULL);
    s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) >= 1, "staff should see f: %s", s);
    ck_assert_msg(count_events(ev, "member", fm) == 1, "staff should see f's member: %s", s);
    ck_assert_msg(count_events(ev, "consent", consent) == 1, "staff should see f's consent: %s", s);
    ck_assert_msg(count_events(ev, "family", g) == 0 && count_events(ev, "member", gm) == 0,
                  "staff sees g: %s", s);
    ck_assert_msg(count_events(ev, "consent", NULL) == 1, "staff sees g's consent: %s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    free(s);
    json_decref(ev);

    /* staff of q (no team), the auditor, a social worker of neither family: no family data */
    const char *blind[] = {staff2, auditor, sw2};
    const char *bname[] = {"staff of another partner", "auditor", "another social worker"};
    for (int i = 0; i < 3; i++) {
        ev = all_events(blind[i], base, NULL);
        s = jdump(ev);
        const char *res[] = {"family", "member", "consent", "task_team", "team_member"};
        for (int k = 0; k < 5; k++)
            ck_assert_msg(count_events(ev, res[k], NULL) == 0, "%s sees %s events: %s", bname[i],
                          res[k], s);
        ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s: %s", bname[i], s);
        free(s);
        json_decref(ev);
    }
    /* the moderator: f, not g */
    ev = all_events(sw, base, NULL);
    ck_assert_uint_ge(count_events(ev, "family", f), 1);
    ck_assert_uint_eq(count_events(ev, "family", g), 0);
    json_decref(ev);
    /* with a types filter too */
    ev = all_events(staff2, base, "family.created,member.created,consent.created");
    ck_assert_uint_eq(json_array_size(ev), 0);
    json_decref(ev);
    ev = all_events(admin, base, "family.created,member.created,consent.created");
    ck_assert_uint_eq(json_array_size(ev), 2 + 2 + 2);
    json_decref(ev);

    /* the consent withdrawn: p's staff lose f's events at once, also the old ones */
    struct resp *r = api("POST", fmt("/v1/families/%s/consents/%s/withdraw", f, consent), sw, "{}");
    EXPECT(r, 200);
    resp_free(r);
    ev = all_events(staff, base, NULL);
    s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) == 0 && count_events(ev, "member", fm) == 0 &&
                      count_events(ev, "consent", NULL) == 0,
                  "staff still sees f after the withdrawal: %s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    free(s);
    json_decref(ev);
}
END_TEST

/* ---- long-poll ---- */

struct lp {
    const char *tok;
    char path[512];
    bool via_prism;
    struct resp *r;
    double t0, t1;
    pthread_t th;
};

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

#define LOADED_WAITERS 80

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
        l[i].tok = admin;
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

#define WAITERS 200

START_TEST(longpoll_200_waiting_clients)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long latest = last_event_id(admin);
    long before = metric("koop_longpoll_waiting");
    ck_assert_int_ge(before, 0);
    static struct lp l[WAITERS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (int i = 0; i < WAITERS; i++) {
        memset(&l[i], 0, sizeof l[i]);
        l[i].tok = admin;
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

Suite *suite_feed(void)
{
    Suite *s = suite_create("feed");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, feed_pages_types_and_next_after);
    tcase_add_test(tc, feed_visibility_follows_family_access);
    tcase_add_test(tc, feed_types_filter_long_list_within_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("longpoll");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, longpoll_returns_as_soon_as_an_event_commits);
    tcase_add_test(tc, longpoll_times_out_empty_with_next_after_unchanged);
    tcase_add_test(tc, longpoll_is_not_woken_by_another_tenant);
    tcase_add_test(tc, longpoll_holds_while_another_tenant_is_busy);
    tcase_add_test(tc, longpoll_answers_only_what_matches);
    tcase_add_test(tc, longpoll_200_waiting_clients);
    tcase_add_test(tc, feed_never_skips_a_committed_event_under_concurrency);
    suite_add_tcase(s, tc);
    return s;
}
