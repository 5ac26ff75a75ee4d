/* The basket of services: Polish text search and its relevance order, every
 * filter, pagination, and the capacity route (SPEC §5 Services). */
#include "services.h"

/* The id of items[k] of a list answer. */
static const char *item_id(const struct resp *r, size_t k)
{
    return jstr(json_array_get(json_object_get(r->json, "items"), k), "id");
}

/* ---- search
 * -------------------------------------------------------------------------------------------- */

START_TEST(search_polish_text)
{
    struct tenant t;
    new_tenant(&t);
    char p1[37], p2[37];
    mk_partner(t.admin, "Miejski Ośrodek Pomocy Społecznej", "MOPS", "social_assistance", p1);
    mk_partner(t.admin, "Stowarzyszenie Przystań Żeglarzy", NULL, "ngo", p2);
    char therapy[37], group[37], harbour[37], other[37];
    json_t *d = svc_doc(p1, "Terapia uzależnień dla dorosłych", "addiction_therapy");
    json_object_set_new(d, "description", json_string("Spotkania indywidualne i grupowe."));
    create_svc(t.admin, d, therapy);
    d = svc_doc(p1, "Grupa wsparcia dla dzieci", "psychological_support");
    json_object_set_new(d, "eligibility", json_string("Dzieci z rodzin z problemem alkoholowym"));
    create_svc(t.admin, d, group);
    create_svc(t.admin, svc_doc(p2, "Rejsy integracyjne", "leisure_sport"), harbour);
    create_svc(t.admin, svc_doc(p1, "Zasiłek celowy", "material_aid"), other);

    /* with diacritics, without, in capitals: the same service */
    const char *spellings[] = {"uzależnień", "uzaleznien", "UZALEŻNIEŃ", "Uzależ"};
    for (size_t i = 0; i < 4; i++)
        expect_set(t.admin, fmt("q=%s", svc_enc(spellings[i])), 1, therapy);
    /* every word must occur, anywhere in name, description or eligibility */
    expect_set(t.admin, fmt("q=%s", svc_enc("terapia dorosłych")), 1, therapy);
    expect_set(t.admin, fmt("q=%s", svc_enc("terapia dzieci")), 0);
    expect_set(t.admin, fmt("q=%s", svc_enc("grupowe spotkania")), 1, therapy);
    expect_set(t.admin, fmt("q=%s", svc_enc("alkoholowym")), 1, group);
    /* the partner's name and short name are searched too */
    expect_set(t.admin, fmt("q=%s", svc_enc("zeglarzy")), 1, harbour);
    expect_set(t.admin, fmt("q=%s", svc_enc("przystań rejsy")), 1, harbour);
    expect_set(t.admin, "q=mops", 3, therapy, group, other);
    /* LIKE wildcards are plain characters */
    expect_set(t.admin, fmt("q=%s", svc_enc("%")), 0);
    expect_set(t.admin, fmt("q=%s", svc_enc("_")), 0);
    /* q combines with filters */
    expect_set(t.admin, fmt("q=mops&category=material_aid"), 1, other);

    /* q without a word, or too long, is 422 */
    struct resp *r = direct("GET", fmt("/v1/services?q=%s", svc_enc("   ")), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "q", NULL, "query");
    resp_free(r);
    char longq[260];
    memset(longq, 'a', 201);
    longq[201] = 0;
    r = direct("GET", fmt("/v1/services?q=%s", longq), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

START_TEST(search_relevance_order)
{
    struct tenant t;
    new_tenant(&t);
    char p[37];
    mk_partner(t.admin, "Centrum Aktywności Lokalnej", "CAL", "ngo", p);
    char far1[37], far2[37], exact[37];
    json_t *d = svc_doc(p, "Klub seniora", "leisure_sport");
    json_object_set_new(d, "description",
                        json_string("Spotkania dla osób po zakończeniu pracy zawodowej."));
    create_svc(t.admin, d, far1);
    d = svc_doc(p, "Pracownia rękodzieła", "training");
    json_object_set_new(d, "description",
                        json_string("Zajęcia w klubie osiedlowym dla osób szukających pracy."));
    create_svc(t.admin, d, far2);
    create_svc(t.admin, svc_doc(p, "Klub pracy", "job_placement"), exact); /* created last */

    /* relevance is the default with q: the closest name first */
    struct resp *r = api("GET", fmt("/v1/services?q=%s", svc_enc("klub pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_str_eq(item_id(r, 0), exact);
    resp_free(r);
    r = api("GET", fmt("/v1/services?q=%s&sort=relevance", svc_enc("Klub Pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), exact);
    resp_free(r);
    /* an explicit sort wins over relevance */
    r = api("GET", fmt("/v1/services?q=%s&sort=created_at", svc_enc("klub pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), far1);
    ck_assert_str_eq(item_id(r, 2), exact);
    resp_free(r);
    /* relevance without q is 422 */
    r = api("GET", "/v1/services?sort=relevance", t.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "sort", NULL, "query");
    resp_free(r);
}
END_TEST

/* ---- filters and pagination
 * ----------------------------------------------------------------------------- */

START_TEST(every_filter)
{
    struct tenant t;
    new_tenant(&t);
    char lab[37], hea[37];
    mk_partner(t.admin, "Powiatowy Urząd Pracy", "PUP", "labour", lab);
    mk_partner(t.admin, "Szpital Powiatowy", NULL, "health", hea);
    char s1[37], s2[37], s3[37];
    json_t *d = svc_doc(lab, "Pośrednictwo pracy", "job_placement");
    json_object_set_new(d, "target_groups", json_pack("[s,s]", "unemployed", "adults"));
    json_object_set_new(d, "requires_referral", json_true());
    json_object_set_new(d, "capacity", json_pack("{s:i}", "available", 3));
    create_svc(t.admin, d, s1);
    d = svc_doc(lab, "Kurs spawania", "training");
    json_object_set_new(d, "target_groups", json_pack("[s]", "youth"));
    json_object_set_new(d, "capacity", json_pack("{s:i, s:i}", "available", 0, "maximum", 12));
    create_svc(t.admin, d, s2);
    d = svc_doc(hea, "Rehabilitacja ambulatoryjna", "health_care");
    json_object_set_new(d, "target_groups", json_pack("[s,s]", "seniors", "adults"));
    create_svc(t.admin, d, s3);
    json_t *rec = get_svc(t.admin, s3);
    char since[40];
    snprintf(since, sizeof since, "%s", jstr(rec, "updated_at"));
    json_decref(rec);
    transition_ok(t.admin, s1, "active"); /* s1 changes after s3 was created */

    expect_set(t.admin, "category=job_placement", 1, s1);
    expect_set(t.admin, "category=training", 1, s2);
    expect_set(t.admin, "category=housing", 0);
    expect_set(t.admin, "target_group=youth", 1, s2);
    expect_set(t.admin, "target_group=adults", 2, s1, s3);
    expect_set(t.admin, fmt("partner_id=%s", hea), 1, s3);
    expect_set(t.admin, fmt("partner_id=%s", lab), 2, s1, s2);
    expect_set(t.admin, "sector=labour", 2, s1, s2);
    expect_set(t.admin, "sector=health", 1, s3);
    expect_set(t.admin, "sector=police", 0);
    expect_set(t.admin, "status=active", 1, s1);
    expect_set(t.admin, "status=draft", 2, s2, s3);
    expect_set(t.admin, "has_capacity=true", 1, s1);
    expect_set(t.admin, "has_capacity=false", 2, s2, s3);
    expect_set(t.admin, "requires_referral=true", 1, s1);
    expect_set(t.admin, "requires_referral=false", 2, s2, s3);
    expect_set(t.admin, fmt("updated_since=%s", svc_enc(since)), 2, s1, s3);
    expect_set(t.admin, "updated_since=2099-01-01T00:00:00Z", 0);
    expect_set(t.admin, "sector=labour&has_capacity=true&status=active", 1, s1);
    expect_set(t.admin, "sector=labour&target_group=seniors", 0);

    /* sorts */
    struct resp *r = api("GET", "/v1/services?sort=name", t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), s2); /* Kurs, Pośrednictwo, Rehabilitacja */
    ck_assert_str_eq(item_id(r, 1), s1);
    ck_assert_str_eq(item_id(r, 2), s3);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-name", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s3);
    ck_assert_str_eq(item_id(r, 2), s2);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-updated_at", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s1);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-created_at", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s3);
    ck_assert_str_eq(item_id(r, 2), s1);
    resp_free(r);

    /* bad values are 422 naming the parameter */
    const char *bad[][2] = {{"category=bogus", "category"},
                            {"target_group=martians", "target_group"},
                            {"sector=army", "sector"},
                            {"status=deleted", "status"},
                            {"has_capacity=maybe", "has_capacity"},
                            {"requires_referral=2", "requires_referral"},
                            {"partner_id=not-a-uuid", "partner_id"},
                            {"updated_since=yesterday", "updated_since"},
                            {"sort=price", "sort"},
                            {"limit=0", "limit"},
                            {"limit=201", "limit"},
                            {"cursor=garbage", "cursor"},
                            {"colour=red", "colour"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("GET", fmt("/v1/services?%s", bad[i][0]), t.admin, NULL, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, bad[i][1], NULL, "query"), "?%s: %s", bad[i][0], r->body);
        resp_free(r);
    }
}
END_TEST

START_TEST(pagination_over_pages)
{
    struct tenant t;
    new_tenant(&t);
    char p[37];
    mk_partner(t.admin, "Biblioteka Miejska", NULL, "culture_sport", p);
    enum { N = 7 };
    char ids[N][37];
    for (int i = 0; i < N; i++)
        create_svc(t.admin, svc_doc(p, fmt("Warsztaty %02d", N - i), "education_support"), ids[i]);

    /* created_at order, three per page, following Link */
    char path[1500];
    snprintf(path, sizeof path, "/v1/services?limit=3");
    int seen = 0, pages = 0;
    for (;;) {
        struct resp *r = api("GET", path, t.admin, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
        json_t *items = json_object_get(r->json, "items");
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            ck_assert_int_lt(seen, N);
            ck_assert_str_eq(jstr(it, "id"), ids[seen]);
            seen++;
        }
        pages++;
        const char *next = jstr(r->json, "next_cursor");
        const char *link = resp_header(r, "Link");
        if (!next) {
            ck_assert_ptr_null(link);
            ck_assert_int_eq(json_array_size(items), 1);
            resp_free(r);
            break;
        }
        ck_assert_int_eq(json_array_size(items), 3);
        ck_assert_msg(link && link[0] == '<' && strstr(link, ">; rel=\"next\"") &&
                          strstr(link, "limit=3"),
                      "Link: %s", link ? link : "(none)");
        const char *end = strchr(link, '>');
        snprintf(path, sizeof path, "%.*s", (int)(end - link - 1), link + 1);
        resp_free(r);
        ck_assert_int_lt(pages, 5);
    }
    ck_assert_int_eq(seen, N);
    ck_assert_int_eq(pages, 3);

    /* by name, a cursor keeps the sort and the filters */
    struct resp *r =
        api("GET", "/v1/services?limit=4&sort=name&category=education_support", t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), ids[N - 1]); /* Warsztaty 01 */
    ck_assert_str_eq(item_id(r, 3), ids[N - 4]);
    char cur[1200];
    snprintf(cur, sizeof cur, "%s", svc_enc(jstr(r->json, "next_cursor")));
    resp_free(r);
    r = api("GET", fmt("/v1/services?limit=4&sort=name&category=education_support&cursor=%s", cur),
            t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_str_eq(item_id(r, 0), ids[N - 5]);
    ck_assert_str_eq(item_id(r, 2), ids[0]);
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);
    /* a cursor of another sort is refused */
    r = direct("GET", fmt("/v1/services?limit=4&sort=-name&cursor=%s", cur), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "cursor", NULL, "query");
    resp_free(r);
}
END_TEST

/* ---- capacity
 * ------------------------------------------------------------------------------------------- */

START_TEST(capacity_route)
{
    const struct world *w = world();
    char own[37], other[37], staff[80], staff_id[37], other_staff[80];
    mk_partner(w->admin_a, uniq("Schronisko dla Bezdomnych"), NULL, "housing", own);
    mk_partner(w->admin_a, uniq("Noclegownia Inna"), NULL, "housing", other);
    make_user(w->admin_a, "partner_staff", own, staff, staff_id);
    make_user(w->admin_a, "partner_staff", other, other_staff, NULL);
    char id[37];
    json_t *d = svc_doc(own, "Miejsca noclegowe", "housing");
    json_object_set_new(
        d, "capacity",
        json_pack("{s:i, s:i, s:s}", "available", 1, "maximum", 10, "unit", "łóżka"));
    create_svc(w->admin_a, d, id);
    json_t *s0 = get_svc(w->admin_a, id);
    const char *t0 = jstr(json_object_get(s0, "capacity"), "updated_at");
    char path[96];
    snprintf(path, sizeof path, "/v1/services/%s/capacity", id);

    struct resp *r = api("PATCH", path, staff, "{\"available\":4}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    json_t *cap = json_object_get(r->json, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 4);
    ck_assert_int_eq(jint(cap, "maximum"), 10);
    ck_assert_str_eq(jstr(cap, "unit"), "łóżka");
    ck_assert_str_eq(jstr(cap, "updated_by"), staff_id);
    ck_assert_msg(strcmp(jstr(cap, "updated_at"), t0) > 0, "updated_at %s not after %s",
                  jstr(cap, "updated_at"), t0);
    ck_assert_int_eq(jint(r->json, "version"), jint(s0, "version") + 1);
    ck_assert_str_eq(resp_header(r, "ETag"), etag(jint(s0, "version") + 1));
    resp_free(r);
    json_decref(s0);

    /* more than the maximum, the current or the sent one: 422, nothing changes */
    char *before = svc_text(id);
    r = api("PATCH", path, staff, "{\"available\":11}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "available", "max", "body");
    resp_free(r);
    r = api("PATCH", path, staff, "{\"available\":6,\"maximum\":5}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "available", "max", "body");
    resp_free(r);
    /* available is required; values are checked */
    const char *bad[][2] = {{"{\"maximum\":5}", "available"},
                            {"{\"available\":-1}", "available"},
                            {"{\"available\":\"3\"}", "available"},
                            {"{\"available\":1,\"unit\":\"\"}", "unit"},
                            {"{\"available\":1,\"updated_by\":null}", "updated_by"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("PATCH", path, staff, bad[i][0], NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], NULL, "body");
        resp_free(r);
    }
    /* another partner's staff: 403; roles that may not write: 403; another tenant: 404 */
    r = api("PATCH", path, other_staff, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->social_a, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->auditor_a, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->admin_b, "{\"available\":0}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);

    /* a new maximum with it; null clears the unit; no If-Match needed */
    r = api("PATCH", path, w->coord_a, "{\"available\":11,\"maximum\":12,\"unit\":null}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    cap = json_object_get(r->json, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 11);
    ck_assert_int_eq(jint(cap, "maximum"), 12);
    ck_assert(json_is_null(json_object_get(cap, "unit")));
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s&has_capacity=true", own), 1, id);
    r = api("PATCH", path, staff, "{\"available\":0}");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s&has_capacity=true", own), 0);
    /* an unknown service: 404 */
    r = api("PATCH", "/v1/services/0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000/capacity", w->admin_a,
            "{\"available\":1}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

TCase *tcase_services_lists(void)
{
    TCase *tc = tcase_create("lists");
    tcase_add_test(tc, search_polish_text);
    tcase_add_test(tc, search_relevance_order);
    tcase_add_test(tc, every_filter);
    tcase_add_test(tc, pagination_over_pages);
    return tc;
}

TCase *tcase_services_capacity(void)
{
    TCase *tc = tcase_create("capacity");
    tcase_add_test(tc, capacity_route);
    return tc;
}
