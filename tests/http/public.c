/* The keyless public basket (/public/v1/{teryt}/...): only active, currently valid services of
 * the municipality named, only public fields, search with and without Polish letters, filters,
 * pages, ETag/304, caching and CORS headers, 404 for anything not on it, the HSDS 3.1 export
 * validated against the official schemas, and the per-address rate limit. */
#include "client.h"
#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pub {
    char tenant[37], admin[80], admin_id[37], teryt[16];
    char partner[37], svc[37], draft[37], expired[37], future[37], suspended[37], other[37];
};

static void service(const char *tok, const char *partner, const char *name, const char *category,
                    const char *valid_from, const char *valid_until, const char *to, char out[37])
{
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:[s, s], s:{s:s, s:s, s:s}, s:{s:i, s:i, s:s}}", "partner_id", partner,
        "name", name, "category", category, "target_groups", "youth", "families", "contact", "name",
        "Anna Kontaktowa", "phone", "+48 32 111 22 33", "email", "poradnia@example.org", "capacity",
        "available", 3, "maximum", 10, "unit", "miejsca");
    json_object_set_new(doc, "locations",
                        json_pack("[{s:s, s:{s:s, s:s, s:s, s:s}, s:[{s:[s, s], s:s, s:s}]}]",
                                  "name", "Siedziba", "address", "street", "ul. Główna", "building",
                                  "1", "postal_code", "44-300", "city", "Wodzisław Śląski",
                                  "opening_hours", "days", "mon", "wed", "opens", "08:00", "closes",
                                  "16:00"));
    if (valid_from)
        json_object_set_new(doc, "valid_from", json_string(valid_from));
    if (valid_until)
        json_object_set_new(doc, "valid_until", json_string(valid_until));
    CREATE(tok, "/v1/services", doc, out);
    if (to)
        MOVED(tok, fmt("/v1/services/%s/transitions", out), "active", NULL, NULL);
    if (to && strcmp(to, "active") != 0)
        MOVED(tok, fmt("/v1/services/%s/transitions", out), to, "przerwa", NULL);
}

/* invited → declared → active (only an active partner's services are published) */
static void activate_partner(const char *tok, const char *id)
{
    struct resp *r = api_if("PATCH", fmt("/v1/partners/%s", id), tok,
                            "{\"declaration\": {\"signed_on\": \"2026-01-15\"}}", etag(1));
    EXPECT(r, 200);
    resp_free(r);
    MOVED(tok, fmt("/v1/partners/%s/transitions", id), "declared", NULL, NULL);
    MOVED(tok, fmt("/v1/partners/%s/transitions", id), "active", NULL, NULL);
}

static void setup(struct pub *p)
{
    memset(p, 0, sizeof *p);
    fresh_tenant(p->tenant, p->admin, p->admin_id);
    struct resp *r = direct("GET", fmt("/v1/tenants/%s", p->tenant), world()->platform, NULL, NULL);
    EXPECT(r, 200);
    snprintf(p->teryt, sizeof p->teryt, "%s", jstr(r->json, "teryt"));
    resp_free(r);
    make_partner(p->admin, "Poradnia Młodzieżowa", p->partner);
    activate_partner(p->admin, p->partner);
    service(p->admin, p->partner, "Terapia uzależnień dla młodzieży", "addiction_therapy", NULL,
            NULL, "active", p->svc);
    service(p->admin, p->partner, "Terapia uzależnień (szkic)", "addiction_therapy", NULL, NULL,
            NULL, p->draft);
    service(p->admin, p->partner, "Terapia uzależnień (zakończona)", "addiction_therapy",
            "2020-01-01", utc_date(-2), "active", p->expired);
    service(p->admin, p->partner, "Terapia uzależnień (od przyszłego roku)", "addiction_therapy",
            "2099-01-01", NULL, "active", p->future);
    service(p->admin, p->partner, "Terapia uzależnień (zawieszona)", "addiction_therapy", NULL,
            NULL, "suspended", p->suspended);
    char other_partner[37];
    make_partner(world()->admin_b, "Poradnia Obca", other_partner);
    activate_partner(world()->admin_b, other_partner);
    service(world()->admin_b, other_partner, "Terapia uzależnień gdzie indziej",
            "addiction_therapy", NULL, NULL, "active", p->other);
}

static size_t count_items(const struct resp *r)
{
    return json_array_size(json_object_get(r->json, "items"));
}

START_TEST(only_what_is_on_the_basket_today)
{
    struct pub p;
    setup(&p);
    struct resp *r = api("GET", fmt("/public/v1/%s/services", p.teryt), NULL, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(count_items(r), 1);
    const json_t *s = json_array_get(json_object_get(r->json, "items"), 0);
    ck_assert_str_eq(jstr(s, "id"), p.svc);
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
    ck_assert_str_eq(resp_header(r, "Cache-Control"), "public, max-age=300");
    ck_assert_ptr_nonnull(resp_header(r, "ETag"));
    /* public fields only: the service's contact without the person, the provider without staff */
    const json_t *contact = json_object_get(s, "contact");
    ck_assert_str_eq(jstr(contact, "phone"), "+48 32 111 22 33");
    ck_assert_ptr_null(json_object_get(contact, "name"));
    ck_assert_ptr_null(strstr(r->body, "Anna Kontaktowa"));
    ck_assert_ptr_null(json_object_get(s, "status"));
    ck_assert_ptr_null(json_object_get(json_object_get(s, "provider"), "contacts"));
    ck_assert_ptr_null(json_object_get(json_object_get(s, "capacity"), "updated_by"));
    ck_assert_int_eq(jint(json_object_get(s, "capacity"), "available"), 3);
    resp_free(r);

    /* one record: on the basket → 200; draft, expired, not yet valid, suspended, another
     * municipality's → 404 */
    r = api("GET", fmt("/public/v1/%s/services/%s", p.teryt, p.svc), NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "name"), "Terapia uzależnień dla młodzieży");
    resp_free(r);
    const char *hidden[] = {p.draft, p.expired, p.future, p.suspended, p.other};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        r = api("GET", fmt("/public/v1/%s/services/%s", p.teryt, hidden[i]), NULL, NULL);
        ck_problem(r, 404, "not_found");
        ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
        resp_free(r);
    }
    /* no such municipality, or not a TERYT at all */
    r = api("GET", "/public/v1/3299999/services", NULL, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = direct("GET", "/public/v1/abc/services", NULL, NULL, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* a token is not needed, and a bad one is not even looked at */
    r = api("GET", fmt("/public/v1/%s/services", p.teryt), "koop_not-a-token", NULL);
    EXPECT(r, 200);
    resp_free(r);
}
END_TEST

START_TEST(search_filters_and_pages)
{
    struct pub p;
    setup(&p);
    const char *qs[] = {"uzale%C5%BCnie%C5%84", "uzaleznien", "UZALE%C5%BBNIE%C5%83",
                        "terapia%20M%C5%81ODZIE%C5%BBY"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        struct resp *r = api("GET", fmt("/public/v1/%s/services?q=%s", p.teryt, qs[i]), NULL, NULL);
        EXPECT(r, 200);
        ck_assert_msg(count_items(r) == 1, "q=%s found %zu", qs[i], count_items(r));
        resp_free(r);
    }
    struct resp *r = api("GET", fmt("/public/v1/%s/services?q=spawacz", p.teryt), NULL, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(count_items(r), 0);
    resp_free(r);
    r = api("GET",
            fmt("/public/v1/%s/services?category=addiction_therapy&target_group=youth", p.teryt),
            NULL, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(count_items(r), 1);
    resp_free(r);
    r = api("GET", fmt("/public/v1/%s/services?target_group=seniors", p.teryt), NULL, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(count_items(r), 0);
    resp_free(r);
    /* bad values and unknown parameters: 422 naming them */
    r = direct("GET", fmt("/public/v1/%s/services?category=pizza", p.teryt), NULL, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "category", "enum", "query");
    resp_free(r);
    r = direct("GET", fmt("/public/v1/%s/services?status=draft", p.teryt), NULL, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "query");
    resp_free(r);
    r = direct("GET", fmt("/public/v1/%s/services/%s?x=1", p.teryt, p.svc), NULL, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);

    /* pages: two more services on the basket, one per page, in name order */
    char a[37], b[37];
    service(p.admin, p.partner, "Asystent rodziny", "family_assistant", NULL, NULL, "active", a);
    service(p.admin, p.partner, "Zajęcia sportowe", "leisure_sport", NULL, NULL, "active", b);
    const char *want[] = {a, p.svc, b};
    char invited[37], invited_svc[37];
    make_partner(p.admin, "Fundacja jeszcze bez deklaracji", invited);
    service(p.admin, invited, "Zajęcia świetlicowe", "leisure_sport", NULL, NULL, "active",
            invited_svc);
    r = api("GET", fmt("/public/v1/%s/services/%s", p.teryt, invited_svc), NULL, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    char path[512];
    snprintf(path, sizeof path, "/public/v1/%s/services?limit=1", p.teryt);
    for (int i = 0; i < 3; i++) {
        r = api("GET", path, NULL, NULL);
        EXPECT(r, 200);
        ck_assert_uint_eq(count_items(r), 1);
        ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), want[i]);
        const char *next = jstr(r->json, "next_cursor");
        ck_assert_msg((i < 2) == (next != NULL), "page %d: next_cursor %s", i,
                      next ? next : "null");
        if (next)
            snprintf(path, sizeof path, "/public/v1/%s/services?limit=1&cursor=%s", p.teryt, next);
        resp_free(r);
    }
}
END_TEST

START_TEST(etag_gives_not_modified)
{
    struct pub p;
    setup(&p);
    const char *path = fmt("/public/v1/%s/services/%s", p.teryt, p.svc);
    struct resp *r = api("GET", path, NULL, NULL);
    EXPECT(r, 200);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", resp_header(r, "ETag"));
    resp_free(r);
    char inm[96];
    snprintf(inm, sizeof inm, "If-None-Match: %s", tag);
    const char *h[] = {inm, NULL};
    r = api_h("GET", path, NULL, NULL, h);
    EXPECT(r, 304);
    ck_assert_uint_eq(r->len, 0);
    ck_assert_str_eq(resp_header(r, "ETag"), tag);
    resp_free(r);
    /* the partner updates its free places: a new ETag, and the old one no longer matches */
    r = api("PATCH", fmt("/v1/services/%s/capacity", p.svc), p.admin, "{\"available\": 1}");
    EXPECT(r, 200);
    resp_free(r);
    r = api_h("GET", path, NULL, NULL, h);
    EXPECT(r, 200);
    ck_assert_str_ne(resp_header(r, "ETag"), tag);
    ck_assert_int_eq(jint(json_object_get(r->json, "capacity"), "available"), 1);
    resp_free(r);
}
END_TEST

/* Runs tests/hsds-validate.mjs on body; returns its exit status. */
static int hsds_validate(const char *body, size_t len)
{
    char path[] = "/tmp/koophsds.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, body, len), (ssize_t)len);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node tests/hsds-validate.mjs %s >/dev/null 2>&1", path);
    int rc = system(cmd);
    unlink(path);
    return rc;
}

START_TEST(hsds_3_1_valid_against_the_official_schemas)
{
    struct pub p;
    setup(&p);
    struct resp *r = api("GET", fmt("/public/v1/%s/hsds", p.teryt), NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
    const json_t *contents = json_object_get(r->json, "contents");
    ck_assert_uint_eq(json_array_size(contents), 1);
    ck_assert_int_eq(jint(r->json, "total_items"), 1);
    const json_t *s = json_array_get(contents, 0);
    ck_assert_str_eq(jstr(s, "id"), p.svc);
    ck_assert_str_eq(jstr(json_object_get(s, "organization"), "id"), p.partner);
    const json_t *cap = json_array_get(json_object_get(s, "capacities"), 0);
    ck_assert_int_eq(jint(cap, "available"), 3);
    ck_assert_str_eq(jstr(json_object_get(cap, "unit"), "name"), "miejsca");
    const json_t *loc =
        json_object_get(json_array_get(json_object_get(s, "service_at_locations"), 0), "location");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(loc, "addresses"), 0), "city"),
                     "Wodzisław Śląski");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(loc, "schedules"), 0), "byday"), "MO,WE");
    ck_assert_ptr_null(strstr(r->body, "Anna Kontaktowa"));
    ck_assert_int_eq(hsds_validate(r->body, r->len), 0);
    /* the validator can fail: the same document without a service's required name */
    json_object_del((json_t *)s, "name");
    char *broken = json_dumps(r->json, JSON_COMPACT);
    ck_assert_int_ne(hsds_validate(broken, strlen(broken)), 0);
    free(broken);
    resp_free(r);
}
END_TEST

/* The budget is per client address: with the test daemon trusting 127.0.0.1 as a proxy
 * (tests/run.sh), each forwarded address is a client of its own, so this spends only the budget
 * of one invented address. */
START_TEST(rate_limited_per_address)
{
    int limit = atoi(env_or("KOOP_TEST_PUBLIC_RATE_LIMIT", "120"));
    char me[64];
    snprintf(me, sizeof me, "X-Forwarded-For: 198.51.100.%d", (int)(getpid() % 200) + 20);
    const char *h[] = {me, NULL};
    struct resp *r = NULL;
    int i;
    for (i = 0; i <= 2 * limit + 1; i++) {
        r = direct("GET", "/public/v1/3299999/services", NULL, NULL, h);
        if (r->status == 429)
            break;
        ck_assert_int_eq(r->status, 404);
        resp_free(r);
        r = NULL;
    }
    ck_assert_msg(r, "no 429 after %d requests (limit %d)", i, limit);
    ck_assert_msg(i >= limit / 2, "429 after only %d requests (limit %d)", i, limit);
    ck_problem(r, 429, "too_many_requests");
    int retry = atoi(resp_header(r, "Retry-After") ? resp_header(r, "Retry-After") : "0");
    ck_assert_int_ge(retry, 1);
    ck_assert_int_le(retry, 60);
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "*");
    resp_free(r);
    /* another client (forwarded, or the proxy's own address) still has its budget */
    const char *other[] = {"X-Forwarded-For: 203.0.113.9", NULL};
    r = direct("GET", "/public/v1/3299999/services", NULL, NULL, other);
    ck_assert_int_eq(r->status, 404);
    resp_free(r);
    r = direct("GET", "/public/v1/3299999/services", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 404);
    resp_free(r);
    /* and the API itself is not affected */
    r = direct("GET", "/v1/me", world()->admin_a, NULL, h);
    EXPECT(r, 200);
    resp_free(r);
}
END_TEST

Suite *suite_public(void)
{
    Suite *s = suite_create("public");
    TCase *c = tcase_create("basket");
    tcase_add_test(c, only_what_is_on_the_basket_today);
    tcase_add_test(c, search_filters_and_pages);
    tcase_add_test(c, etag_gives_not_modified);
    suite_add_tcase(s, c);
    c = tcase_create("hsds");
    tcase_add_test(c, hsds_3_1_valid_against_the_official_schemas);
    suite_add_tcase(s, c);
    c = tcase_create("rate_limit");
    tcase_add_test(c, rate_limited_per_address);
    suite_add_tcase(s, c);
    return s;
}
