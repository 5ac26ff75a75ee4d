/* Projects and families: linking, listing and unlinking families, and the
 * indicators computed from their teams and referrals (SPEC §5 Projects). */
#include "partnership.h"

/* ---- linking families to projects ---- */

START_TEST(project_families_link_list_unlink)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    char f1[37], f2[37], fb[37], proj[37];
    make_family(p.coord, "Centrum", NULL, f1);
    make_family(p.coord, "Zawodzie", NULL, f2);
    make_family(w->admin_b, "Obca gmina", NULL, fb);
    CREATE(p.admin, "/v1/projects", json_pack("{s:s}", "name", "Projekt rodzinny"), proj);
    LOCALF(pp, "/v1/projects/%s", proj);
    LOCALF(lp, "/v1/projects/%s/families", proj);

    struct resp *r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    ck_assert_str_eq(resp_header(r, "Location"), fmt("%s/%s", lp, f1));
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    ck_assert_str_eq(jstr(r->json, "family_id"), f1);
    ck_assert_ptr_nonnull(jstr(r->json, "linked_at"));
    resp_free(r);
    /* twice: conflict */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    /* another tenant's family, an unknown one, a bad body: 422 naming family_id */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", fb));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "not_found", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{\"family_id\":\"0190aaaa-0000-7000-8000-000000000002\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "not_found", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{\"family_id\":\"nope\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", NULL, "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "required", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\",\"note\":\"x\"}", f2));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "note", "unknown_field", "body");
    resp_free(r);
    /* an unknown project */
    r = api("POST", "/v1/projects/0190aaaa-0000-7000-8000-000000000003/families", p.admin,
            fmt("{\"family_id\":\"%s\"}", f2));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the coordinator links too */
    r = api("POST", lp, p.coord, fmt("{\"family_id\":\"%s\"}", f2));
    EXPECT(r, 201);
    resp_free(r);

    r = api("GET", lp, p.admin, NULL);
    EXPECT(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    const char *got[] = {jstr(json_array_get(items, 0), "family_id"),
                         jstr(json_array_get(items, 1), "family_id")};
    char *gs = sorted_ids(got, 2);
    const char *want[] = {f1, f2};
    char *ws = sorted_ids(want, 2);
    ck_assert_str_eq(gs, ws);
    free(gs);
    free(ws);
    resp_free(r);
    r = api("GET", pp, p.sw, NULL);
    ck_assert_int_eq(jint(r->json, "families_count"), 2);
    resp_free(r);

    /* roles: the links are family data for admins and coordinators only */
    const char *others[] = {p.sw, p.staff, p.auditor};
    for (int i = 0; i < 3; i++) {
        r = api("GET", lp, others[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api("POST", lp, others[i], fmt("{\"family_id\":\"%s\"}", f1));
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api("DELETE", fmt("%s/%s", lp, f1), others[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    /* another tenant's admin: no such project */
    r = api("GET", lp, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", lp, w->admin_b, fmt("{\"family_id\":\"%s\"}", fb));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("DELETE", fmt("%s/%s", lp, f1), w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);

    /* unlinking */
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    EXPECT(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", lp, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "family_id"), f2);
    resp_free(r);
    r = api("GET", pp, p.admin, NULL);
    ck_assert_int_eq(jint(r->json, "families_count"), 1);
    long long v = jint(r->json, "version");
    resp_free(r);
    /* the family may be linked again; the project can be deleted with its links */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api_if("DELETE", pp, p.admin, NULL, etag(v));
    EXPECT(r, 204);
    resp_free(r);
    r = api("GET", lp, p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the families themselves are untouched */
    ck_assert_int_eq(get_status(p.admin, fmt("/v1/families/%s", f1)), 200);
}
END_TEST

/* ---- indicators computed from the data ---- */

static const json_t *indicator(const json_t *doc, const char *name)
{
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(doc, "items"), i, it)
    {
        if (jstr(it, "name") && !strcmp(jstr(it, "name"), name))
            return it;
    }
    return NULL;
}

START_TEST(project_indicators_are_computed_from_the_data)
{
    struct pw p;
    setup(&p);
    /* partners: p1 (declared, in the project, has staff), p2 (no declaration, in),
     * leader (declared), outsider (declared, not in), gone (declared, in, withdrawn) */
    char leader[37], outsider[37], gone[37];
    LOCALF(signed_on, "%s", utc_date(-20));
    json_t *pt = json_pack("{s:{s:s}}", "declaration", "signed_on", signed_on);
    char *pb = jdump(pt);
    json_decref(pt);
    struct resp *r = api_if("PATCH", fmt("/v1/partners/%s", p.p1), p.admin, pb, "\"1\"");
    free(pb);
    EXPECT(r, 200);
    resp_free(r);
    create_partner(p.admin, "Miejski Ośrodek Pomocy Rodzinie", "social_assistance", signed_on,
                   leader);
    create_partner(p.admin, "Szkoła Podstawowa nr 1", "education", signed_on, outsider);
    create_partner(p.admin, "Klub Sportowy", "culture_sport", signed_on, gone);
    MOVED(p.admin, fmt("/v1/partners/%s/transitions", gone), "withdrawn", "rezygnacja", NULL);

    char svc[37];
    make_service(p.admin, p.p1, "vocational_activation", 5, true, svc);
    char surname[64], rep[64];
    make_surname("Wskaznikowa", surname);
    make_surname("Reprezentant", rep);

    /* f1: linked; active team; one completed referral, one only referred, one
     * completed action without a service */
    char f1[37], f2[37], f3[37], a1[37], a3[37];
    make_family(p.coord, "Centrum", NULL, f1);
    make_family(p.coord, "Centrum", NULL, f2);
    make_family(p.coord, "Centrum", NULL, f3);
    make_adult(p.coord, f1, surname, NULL, a1);
    make_adult(p.coord, f3, surname, NULL, a3);
    char t1[37], t2[37], t3[37], g1[37], g3[37], x1[37], x2[37], x3[37], x4[37];
    make_team(p.coord, f1, p.sw_id, t1);
    activate_team(p.sw, t1, f1, a1, p.p1, p.staff_id, rep);
    make_goal(p.sw, t1, g1);
    make_action(p.sw, t1, g1, svc, x1);
    complete_referral(p.sw, p.staff, t1, x1);
    make_action(p.sw, t1, g1, svc, x2);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x2), "referred", NULL, NULL);
    make_action(p.sw, t1, g1, NULL, x3);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x3), "in_progress", NULL, NULL);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x3), "completed", NULL,
          "zrobione");
    /* f2: linked; a team still forming */
    make_team(p.coord, f2, p.sw_id, t2);
    /* f3: not linked; an active team and a completed referral that must not count */
    make_team(p.coord, f3, p.sw_id, t3);
    activate_team(p.sw, t3, f3, a3, p.p1, p.staff_id, rep);
    make_goal(p.sw, t3, g3);
    make_action(p.sw, t3, g3, svc, x4);
    complete_referral(p.sw, p.staff, t3, x4);

    /* the project runs around today */
    json_t *doc = json_pack(
        "{s:s, s:s, s:[s, s, s], s:s, s:s, s:["
        "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s},"
        "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:n}]}",
        "name", "Fachowa siła przyszłością dla rodziny", "leader_partner_id", leader, "partner_ids",
        p.p1, p.p2, gone, "starts_on", utc_date(-30), "ends_on", utc_date(30), "indicators", "name",
        "Rodziny objęte wsparciem", "unit", "rodziny", "target", 30, "source", "families_supported",
        "name", "Zespoły zadaniowe utworzone", "unit", "zespoły", "target", 30, "source",
        "task_teams_formed", "name", "Skierowania zrealizowane", "unit", "skierowania", "target",
        60, "source", "referrals_completed", "name", "Partnerzy z podpisaną deklaracją", "unit",
        "instytucje", "target", 10, "source", "partners_declared", "name",
        "Opracowany model pracy socjalnej", "unit", "model", "target", 1, "source");
    json_t *indicators = json_incref(json_object_get(doc, "indicators"));
    char proj[37];
    CREATE(p.admin, "/v1/projects", doc, proj);
    LOCALF(ip, "/v1/projects/%s/indicators", proj);
    LOCALF(lp, "/v1/projects/%s/families", proj);

    /* nothing linked yet */
    r = api("GET", ip, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 0);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją", 2);
    ACTUAL(r->json, "Opracowany model pracy socjalnej", -1);
    resp_free(r);

    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f2));
    EXPECT(r, 201);
    resp_free(r);

    r = api("GET", ip, p.sw, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    const json_t *period = json_object_get(r->json, "period");
    ck_assert_str_eq(jstr(period, "from"), utc_date(-30));
    ck_assert_str_eq(jstr(period, "to"), utc_date(30));
    /* every indicator, in order, with its definition and actual value */
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    for (size_t i = 0; i < 5; i++) {
        const json_t *got = json_array_get(items, i), *sent = json_array_get(indicators, i);
        ck_assert_str_eq(jstr(got, "name"), jstr(sent, "name"));
        ck_assert_str_eq(jstr(got, "unit"), jstr(sent, "unit"));
        ck_assert_int_eq(jint(got, "target"), jint(sent, "target"));
        ck_assert(json_equal(json_object_get(got, "source"), json_object_get(sent, "source")));
    }
    ACTUAL(r->json, "Rodziny objęte wsparciem", 2);    /* f1, f2 */
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 1); /* t1 (t2 forming, t3 unlinked) */
    ACTUAL(r->json, "Skierowania zrealizowane", 1); /* x1 (x2 open, x3 no service, x4 unlinked) */
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją",
           2); /* p1, leader (p2 unsigned, gone withdrawn) */
    ACTUAL(r->json, "Opracowany model pracy socjalnej", -1); /* no source: null */
    resp_free(r);
    /* partner staff and auditors read indicators too (no personal data in them) */
    r = api("GET", ip, p.staff, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, surname));
    ck_assert_ptr_null(strstr(r->body, f1));
    resp_free(r);
    ck_assert_int_eq(get_status(p.auditor, ip), 200);

    /* unlinking f1 takes its team and referral out */
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    EXPECT(r, 204);
    resp_free(r);
    r = api("GET", ip, p.admin, NULL);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 1);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    resp_free(r);

    /* a project whose period is over counts nothing formed or completed today */
    doc = json_pack("{s:s, s:s, s:s, s:O}", "name", "Projekt archiwalny", "starts_on", "2017-03-01",
                    "ends_on", "2018-12-31", "indicators", indicators);
    char old[37];
    CREATE(p.admin, "/v1/projects", doc, old);
    LOCALF(olp, "/v1/projects/%s/families", old);
    r = api("POST", olp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api("GET", fmt("/v1/projects/%s/indicators", old), p.admin, NULL);
    EXPECT(r, 200);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 1);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją", 0); /* no partners named */
    resp_free(r);
    json_decref(indicators);
    r = api("GET", "/v1/projects/0190aaaa-0000-7000-8000-000000000004/indicators", p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

TCase *tcase_partnership_project_families(void)
{
    TCase *tc = tcase_create("project_families");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, project_families_link_list_unlink);
    tcase_add_test(tc, project_indicators_are_computed_from_the_data);
    return tc;
}
