/* Delivery to a receiver in this process: order, types, signatures, retries
 * with a stable webhook-id, the delivery log, pause and resume, the cursor
 * in the database, a dead daemon's lease, redelivery. */
#include "webhooks.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The event id a receiver's request carries in its body. */
static long long body_id(const struct hook_req *q)
{
    json_t *j = json_loads(q->body, 0, NULL);
    long long id = j ? jint(j, "id") : -1;
    json_decref(j);
    return id;
}

/* The ids of the requests answered 2xx, in arrival order. */
static int delivered(struct receiver *rc, long long *ids, int max)
{
    int n = 0, total = rcv_count(rc);
    for (int i = 0; i < total && n < max; i++) {
        struct hook_req q = rcv_get(rc, i);
        if (q.answered / 100 == 2)
            ids[n++] = body_id(&q);
        free(q.body);
    }
    return n;
}

static void agreement(const char *tok, const char *partner)
{
    struct resp *r =
        api("POST", fmt("/v1/partners/%s/agreements", partner), tok,
            "{\"title\": \"Porozumienie o współpracy\", \"signed_on\": \"2026-01-15\"}");
    EXPECT(r, 201);
    resp_free(r);
}

START_TEST(in_order_signed_retried)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    struct receiver rc;
    rcv_start(&rc);
    rc.fail_first = 3; /* down for the first three attempts */
    char id[37], secret[80];
    long long last;
    HOOK_CREATE(t.admin, rcv_url(&rc), "[\"partner.created\", \"agreement.*\"]", id, secret, &last);
    char p1[37], p2[37], p3[37], s1[37];
    FX_PARTNER(t.admin, "Poradnia Webhook 1", NULL, NULL, p1);
    FX_SERVICE(t.admin, p1, NULL, NULL, -1, false, s1); /* service.created: not subscribed */
    FX_PARTNER(t.admin, "Poradnia Webhook 2", NULL, NULL, p2);
    agreement(t.admin, p2);
    FX_PARTNER(t.admin, "Poradnia Webhook 3", NULL, NULL, p3);
    long long want[16], got[64];
    int nwant = events_of(t.admin, last, "partner.created", "agreement.", want, 16);
    ck_assert_int_eq(nwant, 4);
    ck_assert_int_eq(rcv_wait_ok(&rc, nwant, 30), nwant);
    usleep(300000); /* nothing more may come */
    int ngot = delivered(&rc, got, 64);
    ck_assert_int_eq(ngot, nwant);
    for (int i = 0; i < nwant; i++)
        ck_assert_msg(got[i] == want[i], "delivery %d is event %lld, want %lld", i, got[i],
                      want[i]);
    /* every request (the 503s too) is signed, recent, and the retries of the first event kept
     * its webhook-id */
    int total = rcv_count(&rc);
    ck_assert_int_eq(total, nwant + 3);
    LOCALF(first_id, "evt_%lld", want[0]);
    for (int i = 0; i < total; i++) {
        struct hook_req q = rcv_get(&rc, i);
        ck_assert_msg(signature_ok(secret, q.id, q.ts, q.body, q.sig),
                      "request %d: bad signature %s", i, q.sig);
        ck_assert_int_lt(llabs((long long)time(NULL) - atoll(q.ts)), 300);
        LOCALF(want_id, "evt_%lld", body_id(&q));
        ck_assert_str_eq(q.id, want_id);
        if (i <= 3)
            ck_assert_str_eq(q.id, first_id);
        /* exactly what the feed carries */
        json_t *j = json_loads(q.body, 0, NULL);
        ck_assert_int_eq(json_object_size(j), 6);
        ck_assert_str_eq(jstr(j, "resource"), i <= 3 ? "partner" : jstr(j, "resource"));
        ck_assert_ptr_nonnull(jstr(j, "resource_id"));
        ck_assert_ptr_nonnull(jstr(j, "occurred_at"));
        json_decref(j);
        free(q.body);
    }
    /* the log, newest first, two per page */
    struct resp *r = api("GET", fmt("/v1/webhooks/%s/deliveries?limit=2", id), t.admin, NULL);
    EXPECT(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(jint(json_array_get(items, 0), "event_id"), want[3]);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    char *cur = url_encode(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = api("GET", fmt("/v1/webhooks/%s/deliveries?limit=2&cursor=%s", id, cur), t.admin, NULL);
    free(cur);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    const json_t *oldest = json_array_get(items, 1);
    ck_assert_int_eq(jint(oldest, "event_id"), want[0]);
    ck_assert_int_eq(jint(oldest, "attempts"), 4);
    ck_assert_int_eq(jint(oldest, "last_status"), 200);
    ck_assert_ptr_nonnull(jstr(oldest, "delivered_at"));
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);
    r = api("GET", fmt("/v1/webhooks/%s", id), t.admin, NULL);
    ck_assert_int_ge(jint(r->json, "last_event_id"), want[3]);
    ck_assert_int_eq(jint(r->json, "attempts"), 0);
    resp_free(r);
    r = direct("GET", "/metrics", world()->platform, NULL, NULL);
    ck_assert_ptr_nonnull(strstr(r->body, "koop_webhook_deliveries_total{outcome=\"ok\"}"));
    ck_assert_ptr_nonnull(strstr(r->body, "koop_webhook_lag_seconds"));
    resp_free(r);
    rcv_stop(&rc);
}
END_TEST

START_TEST(pauses_then_resumes)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    struct receiver rc;
    rcv_start(&rc);
    rcv_set_down(&rc, true);
    char id[37], secret[80], p1[37], p2[37];
    long long last;
    HOOK_CREATE(t.admin, rcv_url(&rc), "[\"partner.*\"]", id, secret, &last);
    FX_PARTNER(t.admin, "Klub Pauza 1", NULL, NULL, p1);
    LOCALF(path, "/v1/webhooks/%s", id);
    /* KOOP_WEBHOOK_MAX_AGE is a few seconds in the test daemon */
    ck_assert_msg(wait_field(t.admin, path, "status", "paused", 30), "never paused");
    struct resp *r = api("GET", path, t.admin, NULL);
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "paused_reason"), "not delivered"));
    ck_assert_ptr_nonnull(jstr(r->json, "paused_at"));
    resp_free(r);
    int tried = rcv_count(&rc);
    ck_assert_int_ge(tried, 3);
    /* paused: a new event waits, nothing is sent */
    FX_PARTNER(t.admin, "Klub Pauza 2", NULL, NULL, p2);
    usleep(800000);
    ck_assert_int_eq(rcv_count(&rc), tried);
    rcv_set_down(&rc, false);
    r = api("POST", fmt("/v1/webhooks/%s/resume", id), t.admin, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert(json_is_null(json_object_get(r->json, "paused_reason")));
    resp_free(r);
    long long want[8], got[8];
    int nwant = events_of(t.admin, last, NULL, "partner.", want, 8);
    ck_assert_int_eq(nwant, 2);
    ck_assert_int_eq(rcv_wait_ok(&rc, 2, 20), 2);
    ck_assert_int_eq(delivered(&rc, got, 8), 2);
    ck_assert(got[0] == want[0] && got[1] == want[1]);
    rcv_stop(&rc);
}
END_TEST

static PGconn *db(void)
{
    /* the owner: the serving login has no privileges of its own */
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "database: %s", PQerrorMessage(c));
    return c;
}

static long long db_cursor(PGconn *c, const char *id)
{
    const char *v[] = {id};
    PGresult *r = PQexecParams(c, "SELECT cursor FROM webhooks WHERE id = $1::uuid", 1, NULL, v,
                               NULL, NULL, 0);
    ck_assert_int_eq(PQntuples(r), 1);
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

START_TEST(state_in_the_database)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    struct receiver rc;
    rcv_start(&rc);
    char id[37], secret[80], p1[37], p2[37], p3[37];
    long long last, ev[8];
    HOOK_CREATE(t.admin, rcv_url(&rc), "[\"partner.created\"]", id, secret, &last);
    FX_PARTNER(t.admin, "Fundacja Kursor 1", NULL, NULL, p1);
    ck_assert_int_eq(rcv_wait_ok(&rc, 1, 20), 1);
    PGconn *c = db();
    ck_assert_int_eq(events_of(t.admin, last, "partner.created", NULL, ev, 8), 1);
    ck_assert_int_eq(db_cursor(c, id), ev[0]);
    /* a daemon that died while delivering holds a lease: the next event waits for it to expire,
     * then another daemon (here: this one) delivers it, once */
    const char *v[] = {id};
    PQclear(PQexecParams(c,
                         "UPDATE webhooks SET lease_token = gen_random_uuid(), "
                         "lease_until = now() + interval '1.5 seconds' WHERE id = $1::uuid",
                         1, NULL, v, NULL, NULL, 0));
    FX_PARTNER(t.admin, "Fundacja Kursor 2", NULL, NULL, p2);
    usleep(700000);
    ck_assert_int_eq(rcv_count(&rc), 1);
    ck_assert_int_eq(rcv_wait_ok(&rc, 2, 20), 2);
    /* switched off, nothing is sent; on again, it goes on from the cursor */
    struct resp *r =
        api_if("PATCH", fmt("/v1/webhooks/%s", id), t.admin, "{\"active\": false}", "\"1\"");
    EXPECT(r, 200);
    resp_free(r);
    FX_PARTNER(t.admin, "Fundacja Kursor 3", NULL, NULL, p3);
    usleep(700000);
    ck_assert_int_eq(rcv_count(&rc), 2);
    ck_assert_int_eq(events_of(t.admin, last, "partner.created", NULL, ev, 8), 3);
    ck_assert_int_eq(db_cursor(c, id), ev[1]);
    r = api_if("PATCH", fmt("/v1/webhooks/%s", id), t.admin, "{\"active\": true}", "\"2\"");
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_int_eq(rcv_wait_ok(&rc, 3, 20), 3);
    long long got[8];
    ck_assert_int_eq(delivered(&rc, got, 8), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(got[i], ev[i]);
    for (int i = 0; i < 20 && db_cursor(c, id) != ev[2]; i++)
        usleep(50000);
    ck_assert_int_eq(db_cursor(c, id), ev[2]);
    PQfinish(c);
    rcv_stop(&rc);
}
END_TEST

START_TEST(redelivers_one_event)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    struct receiver rc;
    rcv_start(&rc);
    char id[37], secret[80], p1[37];
    long long last, ev[4];
    HOOK_CREATE(t.admin, rcv_url(&rc), "[\"*\"]", id, secret, &last);
    FX_PARTNER(t.admin, "Stowarzyszenie Ponownie", NULL, NULL, p1);
    ck_assert_int_eq(rcv_wait_ok(&rc, 1, 20), 1);
    ck_assert_int_eq(events_of(t.admin, last, "partner.created", NULL, ev, 4), 1);
    struct resp *r =
        api("POST", fmt("/v1/webhooks/%s/deliveries/%lld/redeliver", id, ev[0]), t.admin, NULL);
    EXPECT(r, 202);
    ck_assert_int_eq(jint(r->json, "event_id"), ev[0]);
    ck_assert(json_is_true(json_object_get(r->json, "redeliver")));
    resp_free(r);
    ck_assert_int_eq(rcv_wait_ok(&rc, 2, 20), 2);
    struct hook_req a = rcv_get(&rc, 0), b = rcv_get(&rc, 1);
    ck_assert_str_eq(a.id, b.id);
    ck_assert_str_eq(a.body, b.body);
    ck_assert(signature_ok(secret, b.id, b.ts, b.body, b.sig));
    free(a.body);
    free(b.body);
    bool logged = false;
    for (int i = 0; i < 40 && !logged; i++) {
        r = api("GET", fmt("/v1/webhooks/%s/deliveries", id), t.admin, NULL);
        const json_t *d = json_array_get(json_object_get(r->json, "items"), 0);
        logged = jint(d, "attempts") == 2 && json_is_false(json_object_get(d, "redeliver"));
        resp_free(r);
        if (!logged)
            usleep(50000);
    }
    ck_assert_msg(logged, "the redelivery is not in the log");
    r = api("POST", fmt("/v1/webhooks/%s/deliveries/999999999/redeliver", id), t.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = direct("POST", fmt("/v1/webhooks/%s/deliveries/abc/redeliver", id), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    rcv_stop(&rc);
}
END_TEST

TCase *tcase_webhooks_delivery(void)
{
    TCase *tc = tcase_create("delivery");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, in_order_signed_retried);
    tcase_add_test(tc, pauses_then_resumes);
    tcase_add_test(tc, state_in_the_database);
    tcase_add_test(tc, redelivers_one_event);
    return tc;
}
