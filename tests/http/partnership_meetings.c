/* Partnership meetings: CRUD with If-Match, validation, filters, roles and
 * tenancy, and survival of a deleted partner (SPEC §5 Meetings). */
#include "partnership.h"

/* ---- meetings ---- */

static json_t *meeting_doc(const char *kind, const char *held_on, const char *title)
{
    return json_pack("{s:s, s:s, s:s}", "kind", kind, "held_on", held_on, "title", title);
}

START_TEST(meeting_crud_round_trip_and_if_match)
{
    struct pw p;
    setup(&p);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:s, s:s}", "kind", "partnership_team", "held_on",
        "2026-03-12", "place", "Urząd Miasta, sala sesyjna", "title",
        "Posiedzenie Partnerskiego Zespołu Kooperacyjnego", "partner_ids", p.p1, p.p2, "agenda",
        "Aktualizacja koszyka usług", "minutes", "Omówiono stan koszyka usług i wolne miejsca.",
        "decisions", "MOPS przygotuje porozumienia.");
    struct resp *r = post_doc(p.admin, "/v1/meetings", doc);
    EXPECT(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    LOCALF(mp, "/v1/meetings/%s", id);
    ck_assert_str_eq(resp_header(r, "Location"), mp);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    ck_assert_str_eq(jstr(r->json, "kind"), "partnership_team");
    ck_assert_str_eq(jstr(r->json, "held_on"), "2026-03-12");
    ck_assert_str_eq(jstr(r->json, "place"), "Urząd Miasta, sala sesyjna");
    ck_assert_str_eq(jstr(r->json, "title"), "Posiedzenie Partnerskiego Zespołu Kooperacyjnego");
    ck_assert_str_eq(jstr(r->json, "agenda"), "Aktualizacja koszyka usług");
    ck_assert_str_eq(jstr(r->json, "minutes"), "Omówiono stan koszyka usług i wolne miejsca.");
    ck_assert_str_eq(jstr(r->json, "decisions"), "MOPS przygotuje porozumienia.");
    const json_t *pids = json_object_get(r->json, "partner_ids");
    ck_assert_uint_eq(json_array_size(pids), 2);
    const char *pid_list[] = {json_string_value(json_array_get(pids, 0)),
                              json_string_value(json_array_get(pids, 1))};
    char *got = sorted_ids(pid_list, 2);
    const char *want_list[] = {p.p1, p.p2};
    char *want = sorted_ids(want_list, 2);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    ck_assert_ptr_nonnull(jstr(r->json, "created_at"));
    ck_assert_ptr_nonnull(jstr(r->json, "updated_at"));
    char *created = strdup(r->body);
    resp_free(r);

    /* GET answers the same record with its ETag */
    r = api("GET", mp, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *c = json_loads(created, 0, NULL);
    ck_assert_msg(json_equal(c, r->json), "GET differs from POST:\n%s\n%s", created, r->body);
    json_decref(c);
    free(created);
    resp_free(r);

    /* PATCH: If-Match required, strong and current; a refused one changes nothing */
    char *before = record_of(mp, p.admin);
    r = api("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}", "\"2\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"kind\":\"party\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "enum", "body");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, fmt("{\"partner_ids\":[\"%s\"]}", world()->partner_b),
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"id\":\"00000000-0000-0000-0000-000000000000\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    UNCHANGED(before, p.admin, mp);
    free(before);

    /* a merge patch: changed fields change, null clears, the rest stays */
    r = api_if(
        "PATCH", mp, p.admin,
        fmt("{\"title\":\"Posiedzenie PZK nr 2\",\"place\":null,\"partner_ids\":[\"%s\"]}", p.p2),
        "\"1\"");
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(jstr(r->json, "title"), "Posiedzenie PZK nr 2");
    ck_assert(json_is_null(json_object_get(r->json, "place")));
    ck_assert_str_eq(jstr(r->json, "agenda"), "Aktualizacja koszyka usług");
    ck_assert_str_eq(jstr(r->json, "kind"), "partnership_team");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "partner_ids")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "partner_ids"), 0)),
                     p.p2);
    resp_free(r);

    /* DELETE: If-Match required and current */
    r = api("DELETE", mp, p.admin, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", mp, p.admin, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, mp), 200);
    r = api_if("DELETE", mp, p.admin, NULL, "\"2\"");
    EXPECT(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("GET", mp, p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", mp, p.admin, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"x\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(meeting_validation)
{
    struct pw p;
    setup(&p);
    /* every documented kind */
    const char *kinds[] = {"partnership_team", "working_group", "educational", "ceremony", "other"};
    for (int i = 0; i < 5; i++) {
        struct resp *r =
            post_doc(p.admin, "/v1/meetings", meeting_doc(kinds[i], "2026-01-15", "Spotkanie"));
        EXPECT(r, 201);
        ck_assert_str_eq(jstr(r->json, "kind"), kinds[i]);
        /* optional fields come back as null / empty */
        ck_assert(json_is_null(json_object_get(r->json, "place")));
        ck_assert(json_is_null(json_object_get(r->json, "minutes")));
        ck_assert_uint_eq(json_array_size(json_object_get(r->json, "partner_ids")), 0);
        resp_free(r);
    }
    struct resp *r = post_doc(p.admin, "/v1/meetings", meeting_doc("party", "2026-01-15", "x"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "enum", "body");
    resp_free(r);
    /* every missing required field is named */
    r = api("POST", "/v1/meetings", p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "required", "body");
    ck_error(r, "held_on", "required", "body");
    ck_error(r, "title", "required", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/meetings", meeting_doc("other", "2026-02-30", "x"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "held_on", NULL, "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/meetings", meeting_doc("other", "2026-02-01", ""));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "title", NULL, "body");
    resp_free(r);
    /* partner_ids must name partners of this tenant */
    json_t *d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, world()->partner_b));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    ck_assert_ptr_null(strstr(r->body, world()->partner_b));
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s]", "0190aaaa-0000-7000-8000-000000000001"));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s]", "not-a-uuid"));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_string(p.p1));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "type", "body");
    resp_free(r);
    /* mass assignment */
    d = meeting_doc("other", "2026-02-01", "x");
    json_object_set_new(d, "tenant_id", json_string(world()->tenant_b));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "tenant_id", "unknown_field", "body");
    resp_free(r);
    d = meeting_doc("other", "2026-02-01", "x");
    json_object_set_new(d, "version", json_integer(7));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    /* nothing refused was stored */
    r = api("GET", "/v1/meetings?limit=200", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 5);
    resp_free(r);
}
END_TEST

START_TEST(meeting_list_filters)
{
    struct pw p;
    setup(&p);
    char m1[37], m2[37], m3[37], m4[37];
    json_t *d = meeting_doc("partnership_team", "2026-01-10", "PZK styczeń");
    json_object_set_new(d, "partner_ids", json_pack("[s]", p.p1));
    CREATE(p.admin, "/v1/meetings", d, m1);
    d = meeting_doc("working_group", "2026-02-15", "Grupa robocza luty");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, p.p2));
    CREATE(p.admin, "/v1/meetings", d, m2);
    d = meeting_doc("educational", "2026-03-20", "Szkolenie marzec");
    CREATE(p.coord, "/v1/meetings", d, m3);
    d = meeting_doc("working_group", "2026-04-25", "Grupa robocza kwiecień");
    json_object_set_new(d, "partner_ids", json_pack("[s]", p.p2));
    CREATE(p.coord, "/v1/meetings", d, m4);

    LIST_IS(p.admin, "/v1/meetings", m1, m2, m3, m4);
    LIST_IS(p.admin, "/v1/meetings?kind=working_group", m2, m4);
    LIST_IS(p.admin, "/v1/meetings?kind=ceremony", NULL);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s", p.p1), m1, m2);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s&kind=working_group", p.p2), m2, m4);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s", world()->partner_b), NULL);
    /* from and to are inclusive dates of held_on */
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-15", m2, m3, m4);
    LIST_IS(p.admin, "/v1/meetings?to=2026-03-20", m1, m2, m3);
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-01&to=2026-03-31", m2, m3);
    LIST_IS(p.admin, "/v1/meetings?from=2026-05-01", NULL);
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-01&to=2026-03-31&kind=educational", m3);

    /* sorting by held_on both ways */
    struct resp *r = api("GET", "/v1/meetings?sort=held_on", p.admin, NULL);
    EXPECT(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 4);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), m1);
    ck_assert_str_eq(jstr(json_array_get(items, 3), "id"), m4);
    resp_free(r);
    r = api("GET", "/v1/meetings?sort=-held_on", p.admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), m4);
    ck_assert_str_eq(jstr(json_array_get(items, 3), "id"), m1);
    resp_free(r);
    /* pagination keeps the filter */
    r = api("GET", "/v1/meetings?kind=working_group&limit=1&sort=held_on", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), m2);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    char *cur = url_encode(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = api("GET", fmt("/v1/meetings?kind=working_group&limit=1&sort=held_on&cursor=%s", cur),
            p.admin, NULL);
    free(cur);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), m4);
    resp_free(r);

    /* bad filter values are 422 naming the parameter */
    const struct {
        const char *q, *field;
    } bad[] = {{"kind=party", "kind"},      {"partner_id=abc", "partner_id"},
               {"from=2026-13-01", "from"}, {"to=yesterday", "to"},
               {"sort=title", "sort"},      {"held_on=2026-01-10", "held_on"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/meetings?%s", bad[i].q), p.admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, NULL, "query");
        resp_free(r);
    }
}
END_TEST

START_TEST(meeting_roles_and_tenancy)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    /* coordinators write too */
    char id[37];
    CREATE(p.coord, "/v1/meetings",
           meeting_doc("working_group", "2026-05-05", "Grupa koordynatora"), id);
    LOCALF(mp, "/v1/meetings/%s", id);
    struct resp *r = api_if("PATCH", mp, p.coord, "{\"minutes\":\"Protokół\"}", "\"1\"");
    EXPECT(r, 200);
    resp_free(r);

    /* the others read, and may not write */
    const char *readers[] = {p.sw, p.staff, p.auditor};
    char *before = record_of(mp, p.admin);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(get_status(readers[i], mp), 200);
        LIST_IS(readers[i], "/v1/meetings", id);
    }
    json_t *doc = meeting_doc("other", "2026-05-06", "Nie wolno");
    char *no = jdump(doc);
    json_decref(doc);
    const char *retitle = "{\"title\":\"Nie wolno\"}";
    const struct refusal writers[] = {
        {"social worker", p.sw, "POST", "/v1/meetings", no, NULL, 403, "forbidden"},
        {"social worker", p.sw, "PATCH", mp, retitle, "\"2\"", 403, "forbidden"},
        {"social worker", p.sw, "DELETE", mp, NULL, "\"2\"", 403, "forbidden"},
        {"partner staff", p.staff, "POST", "/v1/meetings", no, NULL, 403, "forbidden"},
        {"partner staff", p.staff, "PATCH", mp, retitle, "\"2\"", 403, "forbidden"},
        {"partner staff", p.staff, "DELETE", mp, NULL, "\"2\"", 403, "forbidden"},
        {"auditor", p.auditor, "POST", "/v1/meetings", no, NULL, 403, "forbidden"},
        {"auditor", p.auditor, "PATCH", mp, retitle, "\"2\"", 403, "forbidden"},
        {"auditor", p.auditor, "DELETE", mp, NULL, "\"2\"", 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(writers);
    free(no);
    UNCHANGED(before, p.admin, mp);
    free(before);
    LIST_IS(p.admin, "/v1/meetings", id);

    /* another tenant: absent (404), never revealed; platform-level roles
     * have no meetings; no token is 401 */
    const struct refusal others[] = {
        {"other tenant's admin", w->admin_b, "GET", mp, NULL, NULL, 404, "not_found"},
        {"other tenant's admin", w->admin_b, "PATCH", mp, "{\"title\":\"Obcy\"}", "\"2\"", 404,
         "not_found"},
        {"other tenant's admin", w->admin_b, "DELETE", mp, NULL, "\"2\"", 404, "not_found"},
        {"platform admin", w->platform, "GET", "/v1/meetings", NULL, NULL, 403, "forbidden"},
        {"regional analyst", w->analyst, "GET", "/v1/meetings", NULL, NULL, 403, "forbidden"},
        {"no token", NULL, "GET", "/v1/meetings", NULL, NULL, 401, "unauthorized"},
        {NULL}};
    CHECK_REFUSALS(others);
    r = api("GET", "/v1/meetings?limit=200", w->admin_b, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, id));
    resp_free(r);
    ck_assert_int_eq(get_status(w->staff_b, mp), 404);

    /* the coordinator deletes */
    r = api_if("DELETE", mp, p.coord, NULL, "\"2\"");
    EXPECT(r, 204);
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, mp), 404);
}
END_TEST

/* A partner deleted after a meeting and a project named it: either the
 * deletion is refused (409, as for a project's leader), or the records stay
 * usable: a PATCH that does not touch partner_ids must not fail because of
 * the partner that is gone. */
START_TEST(meeting_and_project_survive_partner_deletion)
{
    struct pw p;
    setup(&p);
    char gone[37], leader[37], meeting[37], project[37];
    create_partner(p.admin, "Stowarzyszenie do usunięcia", "ngo", NULL, gone);
    create_partner(p.admin, "Lider projektu", "social_assistance", NULL, leader);
    json_t *d = meeting_doc("working_group", "2026-02-15", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, gone));
    CREATE(p.admin, "/v1/meetings", d, meeting);
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:s, s:[s, s]}", "name", "Projekt z partnerem", "leader_partner_id",
                     leader, "partner_ids", p.p1, gone),
           project);
    LOCALF(mp, "/v1/meetings/%s", meeting);
    LOCALF(pp, "/v1/projects/%s", project);

    /* the leader is referenced by a foreign key: refused */
    struct resp *r = api_if("DELETE", fmt("/v1/partners/%s", leader), p.admin, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);

    r = api_if("DELETE", fmt("/v1/partners/%s", gone), p.admin, NULL, "\"1\"");
    ck_assert_msg(r->status == 204 || r->status == 409, "delete partner: %ld %s", r->status,
                  r->body);
    bool deleted = r->status == 204;
    resp_free(r);
    if (!deleted)
        return;
    r = api_if("PATCH", mp, p.admin, "{\"minutes\":\"Protokół z posiedzenia\"}", "\"1\"");
    ck_assert_msg(r->status == 200,
                  "the meeting cannot be edited after one of its partners was deleted: %ld %s",
                  r->status, r->body);
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"programme\":\"POWER 2.5\"}", "\"1\"");
    ck_assert_msg(r->status == 200,
                  "the project cannot be edited after one of its partners was deleted: %ld %s",
                  r->status, r->body);
    resp_free(r);
}
END_TEST

TCase *tcase_partnership_meetings(void)
{
    TCase *tc = tcase_create("meetings");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, meeting_crud_round_trip_and_if_match);
    tcase_add_test(tc, meeting_validation);
    tcase_add_test(tc, meeting_list_filters);
    tcase_add_test(tc, meeting_roles_and_tenancy);
    tcase_add_test(tc, meeting_and_project_survive_partner_deletion);
    return tc;
}
