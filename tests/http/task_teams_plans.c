/* Task teams: the support plan (goals, actions) and the referral's moves on
 * each side (SPEC §6 Goal, Action/referral; §9 Transitions). */
#include "task_teams.h"

START_TEST(goals_move_once_from_open)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], g2[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_goal(&t, team, g2);
    LOCALF(gp, "/v1/task-teams/%s/goals/%s", team, goal);
    LOCALF(gt, "%s/transitions", gp);
    ck_assert_str_eq(field_of(t.sw, gp, "status"), "open");
    struct resp *r = api("POST", gp, t.sw, "{\"status\":\"achieved\"}");
    ck_assert_msg(r->status == 405 || r->status == 422, "%ld", r->status);
    resp_free(r);
    r = api_if("PATCH", gp, t.sw, "{\"status\":\"achieved\"}", etag(version_of(gp, t.sw)));
    EXPECT(r, 422);
    resp_free(r);
    r = move_to(t.sw, gt, "open", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    MOVED(t.sw, gt, "achieved", NULL, NULL);
    char *before = record_of(gp, t.coord);
    const char *next[] = {"partially_achieved", "not_achieved", "open", "achieved"};
    for (int i = 0; i < 4; i++) {
        r = move_to(t.sw, gt, next[i], "zmiana oceny", NULL);
        ck_problem(r, 409, "invalid_transition");
        ck_assert(json_is_array(json_object_get(r->json, "allowed")));
        ck_assert_uint_eq(json_array_size(json_object_get(r->json, "allowed")), 0);
        resp_free(r);
    }
    r = move_to(t.sw, gt, "done", NULL, NULL);
    EXPECT(r, 422);
    resp_free(r);
    UNCHANGED(before, t.coord, gp);
    free(before);
    MOVED(t.coord, fmt("/v1/task-teams/%s/goals/%s/transitions", team, g2), "not_achieved", NULL,
          NULL);
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams/%s/goals?status=open", team)), 0);
    ck_assert_uint_eq(list_count(t.coord, fmt("/v1/task-teams/%s/goals?status=achieved", team)), 1);
}
END_TEST

START_TEST(actions_need_an_active_service_of_the_named_partner)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], draft[37], ok[37], a2[37];
    make_team(&t, t.family, team);
    make_goal(&t, team, goal);
    make_service(&t, t.partner, 2, false, draft);
    LOCALF(acts, "/v1/task-teams/%s/actions", team);

    struct resp *r = post_doc(
        t.sw, acts,
        json_pack("{s:s, s:s, s:s}", "goal_id", goal, "description", "x", "service_id", draft));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "service_id", NULL, NULL);
    resp_free(r);
    r = post_doc(t.sw, acts,
                 json_pack("{s:s, s:s, s:s, s:s}", "goal_id", goal, "description", "x",
                           "service_id", t.svc, "partner_id", t.partner2));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", NULL, NULL);
    resp_free(r);
    r = post_doc(t.sw, acts,
                 json_pack("{s:s, s:s, s:s}", "goal_id", "00000000-0000-4000-8000-000000000003",
                           "description", "x", "service_id", t.svc));
    EXPECT(r, 422);
    ck_error(r, "goal_id", NULL, NULL);
    resp_free(r);
    r = post_doc(t.sw, acts,
                 json_pack("{s:s, s:s, s:s, s:s}", "goal_id", goal, "description", "x",
                           "service_id", t.svc, "status", "referred"));
    EXPECT(r, 422);
    resp_free(r);
    ck_assert_uint_eq(list_count(t.coord, acts), 0);

    /* the same partner named explicitly is fine; the partner comes from the service */
    CREATE(t.sw, acts,
           json_pack("{s:s, s:s, s:s, s:s}", "goal_id", goal, "description", "x", "service_id",
                     t.svc, "partner_id", t.partner),
           ok);
    ck_assert_str_eq(field_of(t.sw, fmt("%s/%s", acts, ok), "partner_id"), t.partner);

    /* referring needs an active team, an active service and a consent for that partner */
    LOCALF(okt, "%s/%s/transitions", acts, ok);
    char *before = record_of(fmt("%s/%s", acts, ok), t.coord);
    r = move_to(t.sw, okt, "referred", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert(arr_has(json_object_get(r->json, "missing"), "task_team.active"));
    ck_assert(arr_has(json_object_get(r->json, "missing"), "consent"));
    resp_free(r);
    char rep[37];
    add_rep(&t, team, t.partner, t.staff_id, rep);
    consent(&t, t.coord, "sharing_with_partner", t.partner, c1);
    MOVED(t.sw, fmt("/v1/task-teams/%s/transitions", team), "active", NULL, NULL);
    make_action(&t, team, goal, t.svc2, a2); /* partner2: no consent covers it */
    r = move_to(t.sw, fmt("%s/%s/transitions", acts, a2), "referred", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert_msg(arr_has(json_object_get(r->json, "missing"), "consent"), "%s", r->body);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/%s", acts, a2), "status"), "planned");
    /* a service suspended after planning cannot be referred to */
    MOVED(t.admin, fmt("/v1/services/%s/transitions", t.svc), "suspended", NULL, NULL);
    r = move_to(t.sw, okt, "referred", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert_msg(arr_has(json_object_get(r->json, "missing"), "service.active"), "%s", r->body);
    resp_free(r);
    UNCHANGED(before, t.coord, fmt("%s/%s", acts, ok));
    free(before);
    MOVED(t.admin, fmt("/v1/services/%s/transitions", t.svc), "active", NULL, NULL);
    MOVED(t.sw, okt, "referred", NULL, NULL);
    /* once referred, service and partner are fixed */
    r = api_if("PATCH", fmt("%s/%s", acts, ok), t.sw, fmt("{\"service_id\":\"%s\"}", t.svc_full),
               etag(version_of(fmt("%s/%s", acts, ok), t.sw)));
    EXPECT(r, 409);
    resp_free(r);
}
END_TEST

START_TEST(referral_moves_belong_to_their_side_and_need_reasons)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], a[37], b[37], c[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, a);
    make_action(&t, team, goal, t.svc, b);
    make_action(&t, team, goal, t.svc, c);
    LOCALF(acts, "/v1/task-teams/%s/actions", team);
    LOCALF(ap, "%s/%s", acts, a);
    LOCALF(amt, "%s/%s/transitions", acts, a);
    LOCALF(apt, "/v1/referrals/%s/transitions", a);

    /* a planned action is no referral yet */
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", a)), 404);
    ck_assert(!list_has(t.staff, "/v1/referrals", a));
    struct resp *r = move_to(t.staff, apt, "accepted", NULL, NULL);
    EXPECT(r, 404);
    resp_free(r);
    /* the moderator may not jump ahead */
    r = move_to(t.sw, amt, "accepted", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    MOVED(t.sw, amt, "referred", NULL, NULL);

    char *before = record_of(ap, t.coord);
    /* only partner staff use the referral route */
    const char *not_partner[] = {t.admin, t.coord, t.sw};
    for (int k = 0; k < 3; k++) {
        r = move_to(not_partner[k], apt, "accepted", NULL, NULL);
        ck_assert_msg(r->status == 403, "role %d accepted on the referral route: %ld %s", k,
                      r->status, r->body);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    /* ... of the responsible partner */
    r = move_to(t.staff2, apt, "accepted", NULL, NULL);
    EXPECT(r, 404);
    resp_free(r);
    /* the moderator's route: only cancel from here */
    const char *partner_moves[] = {"accepted", "declined", "in_progress", "on_hold", "completed"};
    for (int k = 0; k < 5; k++) {
        r = move_to(t.sw, amt, partner_moves[k], "powod", "wynik");
        ck_problem(r, 409, "invalid_transition");
        const json_t *allowed = json_object_get(r->json, "allowed");
        ck_assert_msg(json_array_size(allowed) == 1 && arr_has(allowed, "cancelled"),
                      "allowed for the moderator: %s", r->body);
        resp_free(r);
    }
    /* reasons: declined needs a reason code, on_hold a reason */
    r = move_to(t.staff, apt, "declined", "brak miejsc", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason_code", NULL, NULL);
    resp_free(r);
    r = move_coded(t.staff, apt, "declined", "no_room", NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason_code", "enum", NULL);
    resp_free(r);
    r = move_to(t.staff, apt, "on_hold", NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, NULL);
    resp_free(r);
    r = move_to(t.staff, apt, "completed", NULL, "za wczesnie");
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    MOVED(t.staff, apt, "accepted", NULL, NULL);

    /* a hold that is not for consent: the partner resumes to held_from */
    before = record_of(ap, t.coord);
    r = move_to(t.staff, apt, "on_hold", "", NULL);
    EXPECT(r, 422);
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    r = move_to(t.staff, apt, "on_hold", "brak terapeuty", NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "held_from"), "accepted");
    ck_assert_str_eq(jstr(r->json, "status_reason"), "brak terapeuty");
    resp_free(r);
    r = move_to(t.staff, apt, "in_progress", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert_msg(arr_has(json_object_get(r->json, "allowed"), "accepted"), "%s", r->body);
    resp_free(r);
    /* the moderator does not resume a partner's hold */
    r = move_to(t.sw, amt, "accepted", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    MOVED(t.staff, apt, "accepted", NULL, NULL);
    before = record_of(ap, t.coord);
    r = api_if("POST", apt, t.staff, "{\"to\":\"in_progress\"}", etag(version_of(ap, t.coord) - 1));
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    r = api_if("POST", apt, t.staff, "{\"to\":\"in_progress\"}", etag(version_of(ap, t.coord)));
    EXPECT(r, 200);
    resp_free(r);
    before = record_of(ap, t.coord);
    r = move_to(t.staff, apt, "failed", "nie przyszli", "nie przyszli");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason_code", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    r = move_coded(t.staff, apt, "failed", "unable_to_contact", "rodzina nie przychodzi",
                   "2 z 10 wizyt");
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "failed");
    ck_assert_str_eq(jstr(r->json, "reason_code"), "unable_to_contact");
    ck_assert_str_eq(jstr(r->json, "status_reason"), "rodzina nie przychodzi");
    ck_assert_str_eq(jstr(r->json, "outcome"), "2 z 10 wizyt");
    resp_free(r);
    /* failed is final for everyone */
    r = move_to(t.staff, apt, "in_progress", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    r = move_to(t.sw, amt, "cancelled", "koniec", NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);

    /* decline with a reason */
    MOVED(t.sw, fmt("%s/%s/transitions", acts, b), "referred", NULL, NULL);
    r = move_coded(t.staff, fmt("/v1/referrals/%s/transitions", b), "declined", "no_capacity",
                   "brak miejsc", NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "reason_code"), "no_capacity");
    ck_assert_str_eq(jstr(r->json, "status_reason"), "brak miejsc");
    resp_free(r);

    /* the moderator cancels, with a reason */
    LOCALF(cp, "%s/%s", acts, c);
    before = record_of(cp, t.coord);
    r = move_to(t.sw, fmt("%s/transitions", cp), "cancelled", "zmiana planu", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason_code", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, cp);
    free(before);
    r = move_coded(t.sw, fmt("%s/transitions", cp), "cancelled", "other", "zmiana planu", NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status_reason"), "zmiana planu");
    resp_free(r);
    ck_assert(list_has(t.staff, "/v1/referrals?status=declined", b));
    ck_assert(list_has(t.staff, "/v1/referrals?status=failed", a));
    /* an action cancelled while planned was never sent: it is no referral */
    r = api("GET", fmt("/v1/referrals/%s", c), t.staff, NULL);
    ck_assert_msg(r->status == 404, "a never-referred action shows as a referral: %ld %s",
                  r->status, r->body);
    resp_free(r);
    ck_assert_msg(!list_has(t.staff, "/v1/referrals", c),
                  "a never-referred action is listed among the partner's referrals");
}
END_TEST

START_TEST(closing_the_team_cancels_its_open_actions)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], planned[37], referred[37], accepted[37], done[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, planned);
    make_action(&t, team, goal, t.svc, referred);
    make_action(&t, team, goal, t.svc, accepted);
    make_action(&t, team, goal, NULL, done);
    LOCALF(tp, "/v1/task-teams/%s", team);
    FX_REFERRAL_TO(t.sw, t.staff, team, referred, "referred", NULL);
    FX_REFERRAL_TO(t.sw, t.staff, team, accepted, "accepted", NULL);
    MOVED(t.sw, fmt("%s/actions/%s/transitions", tp, done), "in_progress", NULL, NULL);
    MOVED(t.sw, fmt("%s/actions/%s/transitions", tp, done), "completed", NULL, NULL);

    /* a team member may not close it */
    char swm[37];
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    struct resp *r = move_to(t.sw2, fmt("%s/transitions", tp), "closed", NULL, NULL);
    EXPECT(r, 403);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/actions/%s", tp, planned), "status"), "planned");

    r = move_to(t.sw, fmt("%s/transitions", tp), "closed", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "closed");
    ck_assert_ptr_nonnull(jstr(r->json, "closed_on"));
    resp_free(r);
    const char *open[] = {planned, referred, accepted};
    for (int i = 0; i < 3; i++) {
        json_t *a = get_json(t.coord, fmt("%s/actions/%s", tp, open[i]));
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(jstr(a, "status"), "cancelled");
        ck_assert_str_eq(jstr(a, "status_reason"), "team_closed");
        json_decref(a);
    }
    ck_assert_str_eq(field_of(t.coord, fmt("%s/actions/%s", tp, done), "status"), "completed");
    /* a closed team: no more plan, no partner access */
    r = post_doc(t.sw, fmt("%s/goals", tp), json_pack("{s:s}", "description", "po zamknieciu"));
    EXPECT(r, 409);
    resp_free(r);
    r = post_doc(t.sw, fmt("%s/actions", tp),
                 json_pack("{s:s, s:s}", "goal_id", goal, "description", "po zamknieciu"));
    EXPECT(r, 409);
    resp_free(r);
    r = move_to(t.sw, fmt("%s/transitions", tp), "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    ck_assert_int_eq(get_status(t.staff, tp), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", accepted)), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/families/%s", t.family)), 404);
    ck_assert_int_eq(get_status(t.sw, tp), 200); /* the moderator keeps the history */
}
END_TEST

START_TEST(closing_the_family_closes_its_open_team)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], act[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, act);
    MOVED(t.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", team, act), "referred", NULL, NULL);
    MOVED(t.coord, fmt("/v1/families/%s/transitions", t.family), "closed", "goals_achieved", NULL);
    json_t *tm = get_json(t.coord, fmt("/v1/task-teams/%s", team));
    ck_assert_ptr_nonnull(tm);
    ck_assert_str_eq(jstr(tm, "status"), "closed");
    ck_assert_ptr_nonnull(jstr(tm, "closed_on"));
    json_decref(tm);
    json_t *a = get_json(t.coord, fmt("/v1/task-teams/%s/actions/%s", team, act));
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(jstr(a, "status"), "cancelled");
    ck_assert_str_eq(jstr(a, "status_reason"), "team_closed");
    json_decref(a);
    ck_assert(!list_has(t.staff, "/v1/referrals", act));
    /* reopened, the family may get a new team */
    MOVED(t.coord, fmt("/v1/families/%s/transitions", t.family), "referred", NULL, NULL);
    char t2[37];
    make_team(&t, t.family, t2);
}
END_TEST

START_TEST(an_action_without_a_service_is_the_moderators_alone)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], act[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, NULL, act);
    LOCALF(ap, "/v1/task-teams/%s/actions/%s", team, act);
    LOCALF(at, "%s/transitions", ap);
    json_t *a = get_json(t.sw, ap);
    ck_assert_ptr_nonnull(a);
    ck_assert(json_is_null(json_object_get(a, "service_id")));
    json_decref(a);
    char *before = record_of(ap, t.coord);
    struct resp *r = move_to(t.sw, at, "referred", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    const json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(arr_has(allowed, "in_progress") && arr_has(allowed, "cancelled") &&
                      json_array_size(allowed) == 2,
                  "%s", r->body);
    resp_free(r);
    r = move_to(t.sw, at, "completed", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    r = move_to(t.staff, fmt("/v1/referrals/%s/transitions", act), "in_progress", NULL, NULL);
    EXPECT(r, 404);
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    MOVED(t.sw, at, "in_progress", NULL, NULL);
    r = move_to(t.sw, at, "on_hold", "choroba", NULL);
    ck_problem(r, 409, "invalid_transition");
    resp_free(r);
    r = move_to(t.sw, at, "completed", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "completed");
    ck_assert_ptr_nonnull(jstr(r->json, "completed_at"));
    resp_free(r);
    ck_assert_int_eq(get_status(t.coord, fmt("/v1/referrals/%s", act)), 404);
    ck_assert(!list_has(t.coord, "/v1/referrals", act));
    ck_assert(!list_has(t.staff, "/v1/referrals", act));
}
END_TEST

START_TEST(a_hold_and_resume_keep_the_referral_history)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], act[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, act);
    LOCALF(ap, "/v1/task-teams/%s/actions/%s", team, act);
    LOCALF(rt, "/v1/referrals/%s/transitions", act);
    MOVED(t.sw, fmt("%s/transitions", ap), "referred", NULL, NULL);
    LOCALF(referred_at, "%s", field_of(t.coord, ap, "referred_at"));
    ck_assert_uint_gt(strlen(referred_at), 10);
    usleep(20000);
    struct resp *r = move_to(t.staff, rt, "on_hold", "czekamy na dokumenty", NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "held_from"), "referred");
    resp_free(r);
    usleep(20000);
    r = move_to(t.staff, rt, "referred", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert(json_is_null(json_object_get(r->json, "held_from")));
    ck_assert_msg(!strcmp(jstr(r->json, "referred_at"), referred_at),
                  "resuming a hold moved referred_at from %s to %s", referred_at,
                  jstr(r->json, "referred_at"));
    resp_free(r);
}
END_TEST

TCase *tcase_task_teams_plans(void)
{
    TCase *tc = tcase_create("plans");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, goals_move_once_from_open);
    tcase_add_test(tc, actions_need_an_active_service_of_the_named_partner);
    return tc;
}

TCase *tcase_task_teams_referrals(void)
{
    TCase *tc = tcase_create("referrals");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, referral_moves_belong_to_their_side_and_need_reasons);
    tcase_add_test(tc, an_action_without_a_service_is_the_moderators_alone);
    tcase_add_test(tc, a_hold_and_resume_keep_the_referral_history);
    return tc;
}

TCase *tcase_task_teams_closing(void)
{
    TCase *tc = tcase_create("closing");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, closing_the_team_cancels_its_open_actions);
    tcase_add_test(tc, closing_the_family_closes_its_open_team);
    return tc;
}
