/* Funded projects: a seed that round-trips exactly (money in grosze),
 * validation, roles, filters and tenancy (SPEC §5 Projects). */
#include "partnership.h"

/* ---- projects ---- */

/* The project of the seed article, with leader and partners of this tenant. */
static json_t *seed_project(const char *leader, const char *partner1, const char *partner2)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:s, s:I, s:I, s:s, s:["
                     "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s},"
                     "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:n}]}",
                     "name", "Fachowa siła przyszłością dla rodziny", "programme",
                     "PO WER 2014–2020, Działanie 4.1 Innowacje społeczne", "call_number",
                     "POWR.04.01.00-IZ.00-00-004/16", "leader_partner_id", leader, "partner_ids",
                     partner1, partner2, "starts_on", "2017-03-01", "ends_on", "2027-12-31",
                     "total_value", (json_int_t)90415000, "eu_cofinancing", (json_int_t)87615000,
                     "currency", "PLN", "indicators", "name", "Rodziny objęte wsparciem", "unit",
                     "rodziny", "target", 30, "source", "families_supported", "name",
                     "Zespoły zadaniowe utworzone", "unit", "zespoły", "target", 30, "source",
                     "task_teams_formed", "name", "Skierowania zrealizowane", "unit", "skierowania",
                     "target", 60, "source", "referrals_completed", "name",
                     "Partnerzy z podpisaną deklaracją", "unit", "instytucje", "target", 10,
                     "source", "partners_declared", "name", "Opracowany model pracy socjalnej",
                     "unit", "model", "target", 1, "source");
}

static void check_seed_project(const json_t *pj, const json_t *sent)
{
    char *s = jdump(pj);
    ck_assert_msg(!strcmp(jstr(pj, "name"), "Fachowa siła przyszłością dla rodziny"), "%s", s);
    ck_assert_str_eq(jstr(pj, "programme"), "PO WER 2014–2020, Działanie 4.1 Innowacje społeczne");
    ck_assert_str_eq(jstr(pj, "call_number"), "POWR.04.01.00-IZ.00-00-004/16");
    /* money: exact integers of grosze, never floats */
    ck_assert_msg(json_is_integer(json_object_get(pj, "total_value")), "total_value: %s", s);
    ck_assert_msg(json_is_integer(json_object_get(pj, "eu_cofinancing")), "eu_cofinancing: %s", s);
    ck_assert_int_eq(jint(pj, "total_value"), 90415000);
    ck_assert_int_eq(jint(pj, "eu_cofinancing"), 87615000);
    ck_assert_str_eq(jstr(pj, "currency"), "PLN");
    ck_assert_str_eq(jstr(pj, "starts_on"), "2017-03-01");
    ck_assert_str_eq(jstr(pj, "ends_on"), "2027-12-31");
    ck_assert_str_eq(jstr(pj, "leader_partner_id"), jstr(sent, "leader_partner_id"));
    ck_assert_msg(
        json_equal(json_object_get(pj, "indicators"), json_object_get(sent, "indicators")),
        "indicators changed: %s", s);
    ck_assert_uint_eq(json_array_size(json_object_get(pj, "partner_ids")), 2);
    free(s);
}

START_TEST(project_seed_round_trips_exactly)
{
    struct pw p;
    setup(&p);
    char leader[37];
    create_partner(p.admin, "Miejski Ośrodek Pomocy Rodzinie", "social_assistance", NULL, leader);
    json_t *sent = seed_project(leader, p.p1, p.p2);
    char *body = jdump(sent);
    struct resp *r = api("POST", "/v1/projects", p.admin, body);
    free(body);
    EXPECT(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    LOCALF(pp, "/v1/projects/%s", id);
    ck_assert_str_eq(resp_header(r, "Location"), pp);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    check_seed_project(r->json, sent);
    ck_assert_int_eq(jint(r->json, "families_count"), 0);
    /* the exact text of the amounts: integers, no exponent, no decimals */
    ck_assert_ptr_nonnull(strstr(r->body, "90415000"));
    ck_assert_ptr_null(strstr(r->body, "90415000."));
    ck_assert_ptr_null(strstr(r->body, "e+"));
    resp_free(r);
    r = api("GET", pp, p.sw, NULL);
    EXPECT(r, 200);
    check_seed_project(r->json, sent);
    resp_free(r);
    r = api("GET", "/v1/projects", p.staff, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    check_seed_project(json_array_get(json_object_get(r->json, "items"), 0), sent);
    resp_free(r);
    /* a PATCH of something else leaves the money exactly as it was */
    r = api_if("PATCH", pp, p.coord, "{\"programme\":\"POWER 2.5\"}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 90415000);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 87615000);
    resp_free(r);
    json_decref(sent);

    /* large amounts (above 2^31 and 2^32 grosze) are exact too, up to the documented maximum */
    json_t *big = json_pack("{s:s, s:I, s:I, s:s}", "name", "Duży projekt", "total_value",
                            (json_int_t)100000000000000LL, "eu_cofinancing",
                            (json_int_t)99999999999999LL, "currency", "EUR");
    r = post_doc(p.admin, "/v1/projects", big);
    EXPECT(r, 201);
    ck_assert_int_eq(jint(r->json, "total_value"), 100000000000000LL);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 99999999999999LL);
    ck_assert_str_eq(jstr(r->json, "currency"), "EUR");
    LOCALF(bigp, "/v1/projects/%s", jstr(r->json, "id"));
    resp_free(r);
    r = api("GET", bigp, p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 100000000000000LL);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 99999999999999LL);
    resp_free(r);
    /* the default currency is PLN */
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:I}", "name", "Bez waluty", "total_value", (json_int_t)2147483648LL));
    EXPECT(r, 201);
    ck_assert_str_eq(jstr(r->json, "currency"), "PLN");
    ck_assert_int_eq(jint(r->json, "total_value"), 2147483648LL);
    resp_free(r);

    /* money that is not whole grosze, negative, too large or a string is refused
     * (straight to the daemon: the proxy re-serialises 904150.00 as 904150) */
    const char *bad[] = {
        "{\"name\":\"x\",\"total_value\":904150.00}", "{\"name\":\"x\",\"total_value\":904150.5}",
        "{\"name\":\"x\",\"total_value\":-1}", "{\"name\":\"x\",\"total_value\":100000000000001}",
        "{\"name\":\"x\",\"total_value\":\"90415000\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("POST", "/v1/projects", p.admin, bad[i], NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "total_value", NULL, "body");
        resp_free(r);
    }
    r = direct("POST", "/v1/projects", p.admin, "{\"name\":\"x\",\"eu_cofinancing\":1.5}", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    r = api("POST", "/v1/projects", p.admin, "{\"name\":\"x\",\"currency\":\"USD\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "currency", "enum", "body");
    resp_free(r);
    r = api("GET", "/v1/projects?limit=200", p.admin, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
}
END_TEST

START_TEST(project_validation_rules)
{
    struct pw p;
    setup(&p);
    /* EU co-financing may equal, never exceed, the total value */
    struct resp *r =
        post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:I, s:I}", "name", "Za dużo UE", "total_value",
                           (json_int_t)90415000, "eu_cofinancing", (json_int_t)90415001));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    char id[37];
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", "Całość z UE", "total_value",
                     (json_int_t)90415000, "eu_cofinancing", (json_int_t)90415000, "starts_on",
                     "2026-01-01", "ends_on", "2026-01-01"),
           id);
    LOCALF(pp, "/v1/projects/%s", id);
    /* the period may be one day, never end before it starts */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:s, s:s}", "name", "Wstecz", "starts_on", "2026-06-01",
                           "ends_on", "2026-05-31"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "ends_on", NULL, "body");
    resp_free(r);
    /* indicators: names unique, target required, source from the documented set */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i}, {s:s, s:i}]}", "name", "Dwa razy", "indicators",
                           "name", "Rodziny objęte wsparciem", "target", 30, "name",
                           "Rodziny objęte wsparciem", "target", 40));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators", NULL, "body");
    resp_free(r);
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:[{s:s}]}", "name", "Bez celu", "indicators", "name", "Rodziny"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].target", "required", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i, s:s}]}", "name", "Zła miara", "indicators", "name",
                           "Rodziny", "target", 3, "source", "families_happy"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].source", "enum", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i, s:s}]}", "name", "Pole obce", "indicators", "name",
                           "Rodziny", "target", 3, "actual", "5"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].actual", "unknown_field", "body");
    resp_free(r);
    /* partners of another tenant */
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:[s]}", "name", "Obcy partner", "partner_ids", world()->partner_b));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    resp_free(r);
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:s}", "name", "Obcy lider", "leader_partner_id", world()->partner_b));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "leader_partner_id", "not_found", "body");
    resp_free(r);
    /* read-only and unknown fields */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:i}", "name", "x", "families_count", 3));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "families_count", "read_only", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects", json_pack("{s:s, s:s}", "name", "x", "leader", "MOPS"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "leader", "unknown_field", "body");
    resp_free(r);
    r = api("POST", "/v1/projects", p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", "required", "body");
    resp_free(r);

    /* the same rules hold for a merge patch; a refused patch changes nothing */
    char *before = record_of(pp, p.admin);
    r = api_if("PATCH", pp, p.admin, "{\"total_value\":90414999}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"ends_on\":\"2025-12-31\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "ends_on", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin,
               "{\"indicators\":[{\"name\":\"A\",\"target\":1},{\"name\":\"A\",\"target\":2}]}",
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"families_count\":1}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    UNCHANGED(before, p.admin, pp);
    free(before);
    /* lowering both together is fine */
    r = api_if("PATCH", pp, p.admin, "{\"total_value\":100,\"eu_cofinancing\":85}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 100);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 85);
    resp_free(r);
    r = api("GET", "/v1/projects?limit=200", p.admin, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
}
END_TEST

START_TEST(project_crud_roles_filters_and_tenancy)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    char a[37], b[37], c[37];
    CREATE(p.coord, "/v1/projects",
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "Projekt A", "programme", "POWER 2.5",
                     "leader_partner_id", p.p1, "starts_on", "2026-01-01", "ends_on", "2026-06-30"),
           a);
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:s, s:[s], s:s}", "name", "Projekt B", "programme", "RPO 9.1",
                     "partner_ids", p.p2, "starts_on", "2026-07-01"),
           b);
    CREATE(p.admin, "/v1/projects", json_pack("{s:s}", "name", "Projekt C"), c);
    LIST_IS(p.sw, "/v1/projects", a, b, c);
    LIST_IS(p.admin, "/v1/projects?programme=POWER%202.5", a);
    LIST_IS(p.admin, fmt("/v1/projects?partner_id=%s", p.p1), a); /* the leader counts */
    LIST_IS(p.admin, fmt("/v1/projects?partner_id=%s", p.p2), b);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-03-01", a, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-06-30", a, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-07-01", b, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2025-12-31", c);
    struct resp *r = api("GET", "/v1/projects?active_on=soon", p.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "active_on", NULL, "query");
    resp_free(r);
    r = api("GET", "/v1/projects?sort=name", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), a);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 2), "id"), c);
    resp_free(r);

    LOCALF(pa, "/v1/projects/%s", a);
    /* If-Match rules */
    r = api("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_str_eq(jstr(r->json, "programme"), "POWER 2.5");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A3\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);

    /* other roles read (with indicators), never write */
    const char *readers[] = {p.sw, p.staff, p.auditor};
    char *before = record_of(pa, p.admin);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(get_status(readers[i], pa), 200);
        ck_assert_int_eq(get_status(readers[i], fmt("%s/indicators", pa)), 200);
    }
    const char *no_post = "{\"name\":\"Nie wolno\"}";
    const struct refusal writers[] = {
        {"social worker", p.sw, "POST", "/v1/projects", no_post, NULL, 403, "forbidden"},
        {"social worker", p.sw, "PATCH", pa, no_post, "\"2\"", 403, "forbidden"},
        {"social worker", p.sw, "DELETE", pa, NULL, "\"2\"", 403, "forbidden"},
        {"partner staff", p.staff, "POST", "/v1/projects", no_post, NULL, 403, "forbidden"},
        {"partner staff", p.staff, "PATCH", pa, no_post, "\"2\"", 403, "forbidden"},
        {"partner staff", p.staff, "DELETE", pa, NULL, "\"2\"", 403, "forbidden"},
        {"auditor", p.auditor, "POST", "/v1/projects", no_post, NULL, 403, "forbidden"},
        {"auditor", p.auditor, "PATCH", pa, no_post, "\"2\"", 403, "forbidden"},
        {"auditor", p.auditor, "DELETE", pa, NULL, "\"2\"", 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(writers);
    UNCHANGED(before, p.admin, pa);
    free(before);

    /* another tenant: 404 for the project and its indicators; a regional
     * analyst has no projects */
    LOCALF(ind, "%s/indicators", pa);
    const struct refusal others[] = {
        {"other tenant's admin", w->admin_b, "GET", pa, NULL, NULL, 404, "not_found"},
        {"other tenant's admin", w->admin_b, "GET", ind, NULL, NULL, 404, "not_found"},
        {"other tenant's admin", w->admin_b, "PATCH", pa, "{\"name\":\"Obcy\"}", "\"2\"", 404,
         "not_found"},
        {"other tenant's admin", w->admin_b, "DELETE", pa, NULL, "\"2\"", 404, "not_found"},
        {"regional analyst", w->analyst, "GET", "/v1/projects", NULL, NULL, 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(others);
    r = api("GET", "/v1/projects?limit=200", w->admin_b, NULL);
    ck_assert_ptr_null(strstr(r->body, a));
    resp_free(r);

    /* DELETE */
    r = api("DELETE", pa, p.coord, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", pa, p.coord, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", pa, p.coord, NULL, "\"2\"");
    EXPECT(r, 204);
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, pa), 404);
    ck_assert_int_eq(get_status(p.admin, fmt("%s/indicators", pa)), 404);
    LIST_IS(p.admin, "/v1/projects", b, c);
}
END_TEST

TCase *tcase_partnership_projects(void)
{
    TCase *tc = tcase_create("projects");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, project_seed_round_trips_exactly);
    tcase_add_test(tc, project_validation_rules);
    tcase_add_test(tc, project_crud_roles_filters_and_tenancy);
    return tc;
}
