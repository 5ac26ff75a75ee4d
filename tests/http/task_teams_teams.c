/* Task teams: one open team per family, who may change a team, its members
 * and its meetings (SPEC §6 Task team). */
#include "task_teams.h"

/* ---- 3. rules ---- */

START_TEST(one_open_team_per_family_and_none_for_a_closed_family)
{
    struct tt t;
    setup(&t);
    char t1[37], t2[37];
    make_team(&t, t.family, t1);
    struct resp *r = post_doc(t.coord, "/v1/task-teams",
                              json_pack("{s:s, s:s}", "family_id", t.family, "name", "ZZK drugi"));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = post_doc(t.sw, "/v1/task-teams",
                 json_pack("{s:s, s:s}", "family_id", t.family, "name", "ZZK trzeci"));
    ck_assert_msg(r->status == 409, "%ld %s", r->status, r->body);
    resp_free(r);
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams?family_id=%s", t.family)), 1);

    /* once closed (forming → closed is allowed), a new team may form */
    MOVED(t.coord, fmt("/v1/task-teams/%s/transitions", t1), "closed", NULL, NULL);
    ck_assert_ptr_nonnull(jstr(get_json(t.coord, fmt("/v1/task-teams/%s", t1)), "closed_on"));
    make_team(&t, t.family, t2);
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams?family_id=%s", t.family)), 2);
    ck_assert_uint_eq(
        list_count(t.coord, fmt("/v1/task-teams?family_id=%s&status=forming", t.family)), 1);
    /* a closed team stays closed */
    r = move_to(t.coord, fmt("/v1/task-teams/%s/transitions", t1), "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "allowed")), 0);
    resp_free(r);

    /* a closed family gets no team */
    char f2[37];
    make_family(&t, f2);
    MOVED(t.coord, fmt("/v1/families/%s/transitions", f2), "closed", "moved_out", NULL);
    r = post_doc(t.coord, "/v1/task-teams",
                 json_pack("{s:s, s:s}", "family_id", f2, "name", "ZZK"));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams?family_id=%s", f2)), 0);

    /* a family nobody can see, and bad bodies */
    r = post_doc(
        t.coord, "/v1/task-teams",
        json_pack("{s:s, s:s}", "family_id", "00000000-0000-4000-8000-000000000000", "name", "x"));
    EXPECT(r, 422);
    ck_error(r, "family_id", NULL, NULL);
    resp_free(r);
    r = post_doc(t.coord, "/v1/task-teams",
                 json_pack("{s:s, s:s, s:s}", "family_id", f2, "name", "x", "status", "active"));
    EXPECT(r, 422);
    resp_free(r);
    char f3[37];
    make_family(&t, f3);
    const char *bad_mod[] = {t.staff_id, "00000000-0000-4000-8000-000000000004"};
    for (int k = 0; k < 2; k++) {
        r = post_doc(
            t.coord, "/v1/task-teams",
            json_pack("{s:s, s:s, s:s}", "family_id", f3, "name", "x", "moderator_id", bad_mod[k]));
        EXPECT(r, 422);
        ck_error(r, "moderator_id", NULL, NULL);
        resp_free(r);
    }
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams?family_id=%s", f3)), 0);
}
END_TEST

START_TEST(only_the_moderator_coordinator_or_admin_change_the_team)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], swm[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    LOCALF(tp, "/v1/task-teams/%s", team);
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    ck_assert_int_eq(get_status(t.sw2, tp), 200);

    char *before = record_of(tp, t.coord);
    size_t nmembers = list_count(t.coord, fmt("%s/members", tp));
    size_t ngoals = list_count(t.coord, fmt("%s/goals", tp));
    /* another social worker on the team does not moderate it; partner staff
     * (even on the team) never write to it */
    LOCALF(v, "%s", etag(version_of(tp, t.coord)));
    LOCALF(goals, "%s/goals", tp);
    LOCALF(members, "%s/members", tp);
    LOCALF(trans, "%s/transitions", tp);
    LOCALF(agree, "%s/plan/agree", tp);
    LOCALF(goal_trans, "%s/goals/%s/transitions", tp, goal);
    LOCALF(sw2_member, "{\"kind\":\"social_worker\",\"user_id\":\"%s\"}", t.sw2_id);
    LOCALF(agree_body, "{\"member_id\":\"%s\"}", t.adult);
    const struct refusal refused[] = {
        {"sw2", t.sw2, "PATCH", tp, "{\"name\":\"Przejety\"}", v, 403, "forbidden"},
        {"sw2", t.sw2, "POST", goals, "{\"description\":\"cudzy cel\"}", NULL, 403, "forbidden"},
        {"sw2", t.sw2, "POST", members, sw2_member, NULL, 403, "forbidden"},
        {"sw2", t.sw2, "POST", trans, "{\"to\":\"closed\"}", NULL, 403, "forbidden"},
        {"sw2", t.sw2, "POST", agree, agree_body, NULL, 403, "forbidden"},
        {"sw2", t.sw2, "POST", goal_trans, "{\"to\":\"achieved\"}", NULL, 403, "forbidden"},
        {"partner staff", t.staff, "POST", goals, "{\"description\":\"cel partnera\"}", NULL, 403,
         "forbidden"},
        {NULL}};
    CHECK_REFUSALS(refused);
    UNCHANGED(before, t.coord, tp);
    free(before);
    ck_assert_uint_eq(list_count(t.coord, fmt("%s/members", tp)), nmembers);
    ck_assert_uint_eq(list_count(t.coord, fmt("%s/goals", tp)), ngoals);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/goals/%s", tp, goal), "status"), "open");

    /* the moderator must be a social worker, coordinator or admin */
    before = record_of(tp, t.coord);
    struct resp *r = api_if("PATCH", tp, t.sw, fmt("{\"moderator_id\":\"%s\"}", t.staff_id),
                            etag(version_of(tp, t.coord)));
    EXPECT(r, 422);
    ck_error(r, "moderator_id", NULL, NULL);
    resp_free(r);
    r = api_if("PATCH", tp, t.sw, "{\"moderator_id\":null}", etag(version_of(tp, t.coord)));
    EXPECT(r, 422);
    resp_free(r);
    r = api_if("PATCH", tp, t.sw, "{\"name\":\"x\"}", "\"999\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", tp, t.sw, "{\"name\":\"x\"}", NULL);
    EXPECT(r, 428);
    resp_free(r);
    UNCHANGED(before, t.coord, tp);
    free(before);

    /* moderator, coordinator, admin may */
    const char *may[] = {t.sw, t.coord, t.admin};
    for (int k = 0; k < 3; k++) {
        r = api_if("PATCH", tp, may[k], fmt("{\"name\":\"ZZK %d\"}", k),
                   etag(version_of(tp, t.coord)));
        EXPECT(r, 200);
        ck_assert_str_eq(jstr(r->json, "name"), fmt("ZZK %d", k));
        resp_free(r);
    }
    /* handing over moderation moves the right to change with it */
    r = api_if("PATCH", tp, t.coord, fmt("{\"moderator_id\":\"%s\"}", t.sw2_id),
               etag(version_of(tp, t.coord)));
    EXPECT(r, 200);
    resp_free(r);
    CREATE(t.sw2, fmt("%s/goals", tp), json_pack("{s:s}", "description", "nowy cel"), NULL);
    r = post_doc(t.sw, fmt("%s/goals", tp), json_pack("{s:s}", "description", "stary moderator"));
    ck_assert_msg(r->status == 403 || r->status == 404, "former moderator: %ld %s", r->status,
                  r->body);
    resp_free(r);
}
END_TEST

START_TEST(team_member_kinds_are_validated)
{
    struct tt t;
    setup(&t);
    char team[37], f2[37], other[37], ok1[37], ok2[37], ok3[37];
    make_team(&t, t.family, team);
    make_family(&t, f2);
    char pesel[12];
    make_pesel(1975, 11, 20, 0, pesel);
    make_member(&t, f2, "Obcy", pesel, "head", other);
    LOCALF(mbs, "/v1/task-teams/%s/members", team);
    const char *no_user = "00000000-0000-4000-8000-000000000001";
    struct {
        json_t *doc;
        const char *field;
    } bad[] = {
        {json_pack("{s:s, s:s}", "kind", "partner_representative", "person_name", "Jan Nowak"),
         "partner_id"},
        {json_pack("{s:s, s:s}", "kind", "partner_representative", "partner_id", t.partner),
         "person_name"},
        {json_pack("{s:s, s:s, s:s}", "kind", "partner_representative", "partner_id", no_user,
                   "person_name", "Jan"),
         "partner_id"},
        {json_pack("{s:s, s:s, s:s, s:s}", "kind", "partner_representative", "partner_id",
                   t.partner, "person_name", "Jan", "user_id", t.staff2_id),
         "user_id"},
        {json_pack("{s:s}", "kind", "social_worker"), "user_id"},
        {json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.staff_id), "user_id"},
        {json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", no_user), "user_id"},
        {json_pack("{s:s}", "kind", "family_member"), "member_id"},
        {json_pack("{s:s, s:s}", "kind", "family_member", "member_id", other), "member_id"},
        {json_pack("{s:s, s:s}", "kind", "family_member", "member_id", no_user), "member_id"},
        {json_pack("{s:s, s:s}", "kind", "volunteer", "person_name", "Ktos"), "kind"},
        {json_pack("{s:s, s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id, "role", "boss"),
         "role"},
        {json_pack("{s:s, s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id, "left_on",
                   "2020-01-01"),
         "left_on"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *body = jdump(bad[i].doc);
        struct resp *r = post_doc(t.sw, mbs, bad[i].doc);
        ck_assert_msg(r->status == 422, "case %zu %s: %ld %s", i, body, r->status, r->body);
        ck_assert_msg(problem_error(r, bad[i].field, NULL, NULL), "case %zu %s: no error on %s: %s",
                      i, body, bad[i].field, r->body);
        free(body);
        resp_free(r);
    }
    ck_assert_uint_eq(list_count(t.coord, mbs), 0);

    CREATE(t.sw, mbs,
           json_pack("{s:s, s:s, s:s}", "kind", "partner_representative", "partner_id", t.partner2,
                     "person_name", fmt("Ewa %s", t.rep_surname)),
           ok1);
    CREATE(t.sw, mbs, json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), ok2);
    CREATE(t.sw, mbs, json_pack("{s:s, s:s}", "kind", "family_member", "member_id", t.adult), ok3);
    ck_assert_uint_eq(list_count(t.coord, mbs), 3);
    json_t *m = get_json(t.sw, fmt("%s/%s", mbs, ok3));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(jstr(m, "kind"), "family_member");
    ck_assert_str_eq(jstr(m, "role"), "member");
    ck_assert_ptr_nonnull(jstr(m, "joined_on"));
    ck_assert(json_is_null(json_object_get(m, "left_on")));
    json_decref(m);
}
END_TEST

START_TEST(members_leave_by_left_on_and_never_by_delete)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], swm[37], rep[37];
    active_team(&t, team, c1);
    LOCALF(tp, "/v1/task-teams/%s", team);
    LOCALF(mbs, "%s/members", tp);
    /* the representative added by active_team */
    struct resp *r = api("GET", mbs, t.coord, NULL);
    EXPECT(r, 200);
    snprintf(rep, sizeof rep, "%s",
             jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    CREATE(t.sw, mbs, json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    LOCALF(swp, "%s/%s", mbs, swm);
    LOCALF(repp, "%s/%s", mbs, rep);

    /* no DELETE route */
    r = api_if("DELETE", swp, t.sw, NULL, etag(version_of(swp, t.sw)));
    ck_problem(r, 405, "method_not_allowed");
    ck_assert_ptr_nonnull(resp_header(r, "Allow"));
    ck_assert_ptr_null(strstr(resp_header(r, "Allow"), "DELETE"));
    resp_free(r);
    ck_assert_int_eq(get_status(t.sw, swp), 200);

    /* leaving needs If-Match, and not before joining */
    LOCALF(joined, "%s", field_of(t.sw, swp, "joined_on"));
    char *before = record_of(swp, t.coord);
    r = api_if("PATCH", swp, t.sw, fmt("{\"left_on\":\"%s\"}", joined), NULL);
    EXPECT(r, 428);
    resp_free(r);
    r = api_if("PATCH", swp, t.sw, "{\"left_on\":\"2000-01-01\"}", etag(version_of(swp, t.sw)));
    EXPECT(r, 422);
    ck_error(r, "left_on", NULL, NULL);
    resp_free(r);
    r = api_if("PATCH", swp, t.sw, "{\"kind\":\"family_member\"}", etag(version_of(swp, t.sw)));
    EXPECT(r, 422);
    resp_free(r);
    r = api_if("PATCH", swp, t.sw2, fmt("{\"left_on\":\"%s\"}", joined),
               etag(version_of(swp, t.sw)));
    EXPECT(r, 403); /* a member does not change the team, not even their own membership */
    resp_free(r);
    UNCHANGED(before, t.coord, swp);
    free(before);
    ck_assert_int_eq(get_status(t.sw2, tp), 200);

    r = api_if("PATCH", swp, t.sw, fmt("{\"left_on\":\"%s\"}", joined),
               etag(version_of(swp, t.sw)));
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "left_on"), joined);
    resp_free(r);
    /* the left member is history: no more changes, and no more access */
    before = record_of(swp, t.coord);
    r = api_if("PATCH", swp, t.sw, "{\"left_on\":null}", etag(version_of(swp, t.sw)));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = api_if("PATCH", swp, t.sw, "{\"role\":\"moderator\"}", etag(version_of(swp, t.sw)));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    UNCHANGED(before, t.coord, swp);
    free(before);
    ck_assert_int_eq(get_status(t.sw2, tp), 404);
    ck_assert_int_eq(get_status(t.sw2, fmt("/v1/families/%s", t.family)), 404);
    ck_assert(list_has(t.coord, fmt("%s?current=false", mbs), swm));
    ck_assert(!list_has(t.coord, fmt("%s?current=true", mbs), swm));

    /* the partner's only representative leaves: its staff lose the family */
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/families/%s", t.family)), 200);
    r = api_if("PATCH", repp, t.sw, fmt("{\"left_on\":\"%s\"}", joined),
               etag(version_of(repp, t.sw)));
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/families/%s", t.family)), 404);
    ck_assert_int_eq(get_status(t.staff, tp), 404);
}
END_TEST

START_TEST(meeting_attendees_are_team_members)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], swm[37], fm[37], team2[37], f2[37], rep2[37], meeting[37];
    active_team(&t, team, c1);
    LOCALF(tp, "/v1/task-teams/%s", team);
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s}", "kind", "family_member", "member_id", t.adult), fm);
    make_family(&t, f2);
    make_team(&t, f2, team2);
    add_rep(&t, team2, t.partner, NULL, rep2);
    LOCALF(mt, "%s/meetings", tp);

    const char *strangers[] = {"00000000-0000-4000-8000-000000000002", rep2, t.sw2_id, t.adult};
    for (size_t i = 0; i < 4; i++) {
        struct resp *r =
            post_doc(t.sw, mt,
                     json_pack("{s:s, s:s, s:[s, s]}", "held_on", utc_date(-1), "place",
                               "MOPS, sala 2", "attendee_ids", swm, strangers[i]));
        ck_assert_msg(r->status == 422, "stranger %zu: %ld %s", i, r->status, r->body);
        ck_error(r, "attendee_ids", NULL, NULL);
        resp_free(r);
    }
    ck_assert_uint_eq(list_count(t.coord, mt), 0);
    CREATE(t.sw, mt,
           json_pack("{s:s, s:s, s:[s, s], s:s, s:s, s:s}", "held_on", utc_date(-1), "place",
                     "MOPS, sala 2", "attendee_ids", swm, fm, "agenda", "diagnoza", "decisions",
                     "plan do akceptacji", "next_meeting_on", utc_date(14)),
           meeting);
    ck_assert_uint_eq(list_count(t.coord, mt), 1);
    /* (partner staff do not see it: their representative did not attend) */
    ck_assert_int_eq(get_status(t.staff, fmt("%s/%s", mt, meeting)), 404);
    json_t *m = get_json(t.sw, fmt("%s/%s", mt, meeting));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(json_array_size(json_object_get(m, "attendee_ids")), 2);
    json_decref(m);
    /* a patch is checked the same way */
    LOCALF(mp, "%s/%s", mt, meeting);
    char *before = record_of(mp, t.coord);
    struct resp *r = api_if("PATCH", mp, t.sw, fmt("{\"attendee_ids\":[\"%s\"]}", rep2),
                            etag(version_of(mp, t.sw)));
    EXPECT(r, 422);
    resp_free(r);
    r = api_if("PATCH", mp, t.sw, fmt("{\"next_meeting_on\":\"%s\"}", utc_date(-30)),
               etag(version_of(mp, t.sw)));
    EXPECT(r, 422);
    resp_free(r);
    UNCHANGED(before, t.coord, mp);
    free(before);
}
END_TEST

TCase *tcase_task_teams_teams(void)
{
    TCase *tc = tcase_create("teams");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_open_team_per_family_and_none_for_a_closed_family);
    tcase_add_test(tc, only_the_moderator_coordinator_or_admin_change_the_team);
    tcase_add_test(tc, team_member_kinds_are_validated);
    tcase_add_test(tc, members_leave_by_left_on_and_never_by_delete);
    tcase_add_test(tc, meeting_attendees_are_team_members);
    return tc;
}
