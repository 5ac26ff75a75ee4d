/* Partners: agreements and benefits, and another tenant's 404 on every route
 * (SPEC §5 Partners). */
#include "partners.h"

/* ---- agreements and benefits ---- */

START_TEST(agreements_crud)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Porozumienia"), "labour", id);
    char coll[128];
    snprintf(coll, sizeof coll, "/v1/partners/%s/agreements", id);
    struct resp *r =
        api("POST", coll, w->coord_a,
            "{\"title\":\"Porozumienie o współpracy w ramach PZK\",\"scope\":\"Staże\","
            "\"signed_on\":\"2026-01-15\",\"valid_from\":\"2026-02-01\","
            "\"valid_until\":\"2027-12-31\",\"document_ref\":\"DOK/2026/1\"}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char ag[37];
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    char one[200];
    snprintf(one, sizeof one, "%s/%s", coll, ag);
    ck_assert_str_eq(resp_header(r, "Location"), one);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "partner_id"), id);
    ck_assert_str_eq(jstr(r->json, "valid_until"), "2027-12-31");
    json_t *created = json_incref(r->json);
    resp_free(r);
    r = api("GET", one, w->social_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert(json_equal(r->json, created));
    resp_free(r);
    json_decref(created);
    /* lists, with valid_on */
    struct {
        const char *q;
        size_t n;
    } lists[] = {{"", 1},
                 {"?valid_on=2026-06-01", 1},
                 {"?valid_on=2028-01-01", 0},
                 {"?valid_on=2026-01-20", 0},
                 {"?sort=-signed_on", 1},
                 {"?updated_since=2000-01-01T00:00:00Z", 1}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        r = api("GET", fmt("%s%s", coll, lists[i].q), w->auditor_a, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", lists[i].q, r->status, r->body);
        ck_assert_msg(json_array_size(json_object_get(r->json, "items")) == lists[i].n, "%s: %s",
                      lists[i].q, r->body);
        resp_free(r);
    }
    /* validation */
    struct {
        const char *body, *field, *code;
    } bad[] = {{"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"valid_from\":\"2026-03-01\","
                "\"valid_until\":\"2026-02-28\"}",
                "valid_until", NULL},
               {"{\"scope\":\"X\"}", "title", "required"},
               {"{\"title\":\"X\"}", "signed_on", "required"},
               {"{\"title\":\"X\",\"signed_on\":\"2026-02-30\"}", "signed_on", "format"},
               {"{\"title\":\"X\",\"signed_on\":\"15.01.2026\"}", "signed_on", "format"},
               {"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"partner_id\":\"0190aaaa-bbbb-7ccc-"
                "8ddd-eeeeffff0000\"}",
                "partner_id", NULL},
               {"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"status\":\"active\"}", "status",
                "read_only"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("POST", coll, w->admin_a, bad[i].body);
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad[i].body, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "body");
        resp_free(r);
    }
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    /* patch */
    r = api("PATCH", one, w->admin_a, "{\"scope\":\"Szkolenia\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"valid_until\":\"2026-01-31\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "valid_until", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"valid_from\":\"2028-01-01\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 1);
    r = api_if("PATCH", one, w->admin_a,
               "{\"valid_from\":null,\"valid_until\":\"2026-01-31\",\"scope\":null}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert(json_is_null(json_object_get(r->json, "valid_from")));
    ck_assert(json_is_null(json_object_get(r->json, "scope")));
    ck_assert_str_eq(jstr(r->json, "valid_until"), "2026-01-31");
    ck_assert_str_eq(jstr(r->json, "title"), "Porozumienie o współpracy w ramach PZK");
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"signed_on\":null}", "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "signed_on", NULL, "body");
    resp_free(r);
    /* only through its own partner */
    r = api("GET", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a,
               "{\"scope\":\"x\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a, NULL,
               "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 2);
    /* a partner that does not exist has no agreements */
    r = api("GET", fmt("/v1/partners/%s/agreements", NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", fmt("/v1/partners/%s/agreements", NOWHERE), w->admin_a,
            "{\"title\":\"X\",\"signed_on\":\"2026-01-15\"}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* delete */
    r = api_if("DELETE", one, w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api("DELETE", one, w->admin_a, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", one, w->coord_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", one, w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
}
END_TEST

START_TEST(benefits_crud)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Korzyści"), "culture_sport", id);
    char coll[128];
    snprintf(coll, sizeof coll, "/v1/partners/%s/benefits", id);
    struct resp *r = api("POST", coll, w->admin_a,
                         fmt("{\"description\":\"Udostępnienie sali na zajęcia\",\"recorded_on\":"
                             "\"2026-03-01\",\"beneficiary_partner_id\":\"%s\"}",
                             w->partner_a));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char be[37];
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    char one[200];
    snprintf(one, sizeof one, "%s/%s", coll, be);
    ck_assert_str_eq(resp_header(r, "Location"), one);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "beneficiary_partner_id"), w->partner_a);
    ck_assert_str_eq(jstr(r->json, "partner_id"), id);
    resp_free(r);
    r = api("POST", coll, w->coord_a,
            "{\"description\":\"Dla wszystkich partnerów\",\"recorded_on\":\"2026-01-01\","
            "\"beneficiary_partner_id\":null}");
    ck_assert_int_eq(r->status, 201);
    ck_assert(json_is_null(json_object_get(r->json, "beneficiary_partner_id")));
    resp_free(r);
    /* another tenant's partner, an unknown one, not a uuid */
    const char *bad_ben[] = {w->partner_b, NOWHERE};
    for (int i = 0; i < 2; i++) {
        r = api("POST", coll, w->admin_a,
                fmt("{\"description\":\"X\",\"recorded_on\":\"2026-01-01\","
                    "\"beneficiary_partner_id\":\"%s\"}",
                    bad_ben[i]));
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "beneficiary_partner_id", NULL, "body");
        ck_assert_ptr_null(strstr(r->body, "Partner B"));
        resp_free(r);
    }
    r = api(
        "POST", coll, w->admin_a,
        "{\"description\":\"X\",\"recorded_on\":\"2026-01-01\",\"beneficiary_partner_id\":\"B\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "beneficiary_partner_id", "format", "body");
    resp_free(r);
    r = api("POST", coll, w->admin_a, "{\"description\":\"\",\"recorded_on\":\"2026-13-01\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "description", "min_length", "body");
    ck_error(r, "recorded_on", "format", "body");
    resp_free(r);
    /* list and sort */
    r = api("GET", fmt("%s?sort=recorded_on", coll), w->staff_a, NULL);
    ck_assert_int_eq(r->status, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "recorded_on"), "2026-01-01");
    resp_free(r);
    /* patch */
    r = api_if("PATCH", one, w->admin_a, fmt("{\"beneficiary_partner_id\":\"%s\"}", w->partner_b),
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "beneficiary_partner_id", NULL, "body");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 1);
    r = api_if("PATCH", one, w->admin_a,
               "{\"description\":\"Sala i sprzęt\",\"beneficiary_partner_id\":null}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "description"), "Sala i sprzęt");
    ck_assert(json_is_null(json_object_get(r->json, "beneficiary_partner_id")));
    ck_assert_str_eq(jstr(r->json, "recorded_on"), "2026-03-01");
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    r = api("GET", fmt("/v1/partners/%s/benefits/%s", w->partner_a, be), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* delete */
    r = api_if("DELETE", one, w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", one, w->admin_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", one, w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
}
END_TEST

/* ---- tenant isolation ---- */

START_TEST(other_tenant_gets_404_on_every_route)
{
    const struct world *w = world();
    char p[37], ag[37], be[37];
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Tajny partner gminy A"));
    create_raw(w->admin_a,
               fmt("{\"name\":\"%s\",\"sector\":\"health\",\"declaration\":{\"signed_on\":\"2026-"
                   "01-01\"}}",
                   name),
               p);
    struct resp *r = api("POST", fmt("/v1/partners/%s/agreements", p), w->admin_a,
                         "{\"title\":\"Porozumienie A\",\"signed_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api("POST", fmt("/v1/partners/%s/benefits", p), w->admin_a,
            "{\"description\":\"Korzyść A\",\"recorded_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    resp_free(r);
    char pp[80], agp[160], bep[160], agc[120], bec[120];
    snprintf(pp, sizeof pp, "/v1/partners/%s", p);
    snprintf(agc, sizeof agc, "%s/agreements", pp);
    snprintf(bec, sizeof bec, "%s/benefits", pp);
    snprintf(agp, sizeof agp, "%s/%s", agc, ag);
    snprintf(bep, sizeof bep, "%s/%s", bec, be);
    const char *paths[] = {pp, agp, bep};
    char *before[3];
    for (int i = 0; i < 3; i++)
        before[i] = record_of(paths[i], w->admin_a);
    char *ag_list = record_of(agc, w->admin_a), *be_list = record_of(bec, w->admin_a);
    long long base_b = last_event_id(w->admin_b);

    LOCALF(tr, "%s/transitions", pp);
    LOCALF(agq, "%s?limit=1&sort=-signed_on", agc);
    LOCALF(bag, "/v1/partners/%s/agreements/%s", w->partner_b, ag);
    LOCALF(bbe, "/v1/partners/%s/benefits/%s", w->partner_b, be);
    struct {
        const char *method, *path, *body, *if_match;
    } reqs[] = {
        {"GET", pp, NULL, NULL},
        {"PATCH", pp, "{\"competences\":\"przejęte\"}", "\"1\""},
        {"DELETE", pp, NULL, "\"1\""},
        {"POST", tr, "{\"to\":\"declared\"}", NULL},
        {"POST", tr, "{\"to\":\"withdrawn\",\"reason\":\"x\"}", "\"1\""},
        {"GET", agc, NULL, NULL},
        {"GET", agq, NULL, NULL},
        {"POST", agc, "{\"title\":\"Wrogie\",\"signed_on\":\"2026-01-15\"}", NULL},
        {"GET", agp, NULL, NULL},
        {"PATCH", agp, "{\"title\":\"Wrogie\"}", "\"1\""},
        {"DELETE", agp, NULL, "\"1\""},
        {"GET", bec, NULL, NULL},
        {"POST", bec, "{\"description\":\"Wroga\",\"recorded_on\":\"2026-01-15\"}", NULL},
        {"GET", bep, NULL, NULL},
        {"PATCH", bep, "{\"description\":\"Wroga\"}", "\"1\""},
        {"DELETE", bep, NULL, "\"1\""},
        /* A's sub-records through B's own partner */
        {"GET", bag, NULL, NULL},
        {"PATCH", bag, "{\"title\":\"W\"}", "\"1\""},
        {"DELETE", bag, NULL, "\"1\""},
        {"GET", bbe, NULL, NULL},
        {"PATCH", bbe, "{\"description\":\"W\"}", "\"1\""},
        {"DELETE", bbe, NULL, "\"1\""},
    };
    const char *who[] = {w->admin_b, w->staff_b};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
            /* partner staff may read, and PATCH a partner; any other route is
             * refused by role before any lookup (403), the rest is 404 */
            bool staff_may = !strcmp(reqs[i].method, "GET") ||
                             (!strcmp(reqs[i].method, "PATCH") && !strcmp(reqs[i].path, pp));
            long want = k == 1 && !staff_may ? 403 : 404;
            r = api_if(reqs[i].method, reqs[i].path, who[k], reqs[i].body, reqs[i].if_match);
            ck_assert_msg(r->status == want, "%s %s as %s: want %ld, got %ld %s", reqs[i].method,
                          reqs[i].path, k ? "staff_b" : "admin_b", want, r->status, r->body);
            ck_problem(r, want, want == 403 ? "forbidden" : "not_found");
            ck_assert_ptr_null(strstr(r->body, name));
            resp_free(r);
        }
    }
    /* staff_b's PATCH is a PATCH staff may use: it must be 404, never 403 */
    r = api_if("PATCH", pp, w->staff_b, "{\"competences\":\"x\"}", "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* B's lists and feed never show A's records */
    r = api("GET", "/v1/partners?limit=200&q=tajny", w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    r = api("GET", fmt("/v1/events?after=%lld&limit=200", base_b), w->admin_b, NULL);
    ck_assert_ptr_null(strstr(r->body, p));
    ck_assert_ptr_null(strstr(r->body, ag));
    ck_assert_ptr_null(strstr(r->body, be));
    resp_free(r);
    r = api("GET", fmt("/v1/audit-events?resource_id=%s", p), w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    /* and nothing changed in A */
    for (int i = 0; i < 3; i++) {
        char *after = record_of(paths[i], w->admin_a);
        ck_assert_msg(after && !strcmp(after, before[i]), "%s changed: %s -> %s", paths[i],
                      before[i], after ? after : "(gone)");
        free(after);
        free(before[i]);
    }
    char *ag_list2 = record_of(agc, w->admin_a), *be_list2 = record_of(bec, w->admin_a);
    ck_assert_str_eq(ag_list2, ag_list);
    ck_assert_str_eq(be_list2, be_list);
    free(ag_list);
    free(be_list);
    free(ag_list2);
    free(be_list2);
}
END_TEST

TCase *tcase_partners_children(void)
{
    TCase *tc = tcase_create("children");
    tcase_add_test(tc, agreements_crud);
    tcase_add_test(tc, benefits_crud);
    return tc;
}

TCase *tcase_partners_isolation(void)
{
    TCase *tc = tcase_create("isolation");
    tcase_add_test(tc, other_tenant_gets_404_on_every_route);
    return tc;
}
