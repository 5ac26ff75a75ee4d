/* Task teams: the closed loop from a team to a completed referral, and what
 * each role sees of it (SPEC §5 Task teams, Referrals; §9). */
#include "task_teams.h"

static long long capacity_available(const struct tt *t, const char *svc)
{
    json_t *s = get_json(t->admin, fmt("/v1/services/%s", svc));
    ck_assert_ptr_nonnull(s);
    long long v = json_integer_value(json_object_get(json_object_get(s, "capacity"), "available"));
    json_decref(s);
    return v;
}

/* ---- 1. the closed loop ---- */

START_TEST(closed_loop_from_team_to_completed_referral)
{
    struct tt t;
    setup(&t);

    /* the team is formed (by the coordinator, no moderator yet) */
    char team[37];
    CREATE(t.coord, "/v1/task-teams",
           json_pack("{s:s, s:s}", "family_id", t.family, "name", "ZZK rodziny"), team);
    LOCALF(tp, "/v1/task-teams/%s", team);
    LOCALF(ttr, "%s/transitions", tp);
    ck_assert_str_eq(field_of(t.coord, tp, "status"), "forming");
    ck_assert_str_eq(field_of(t.coord, tp, "moderator_id"), "");

    /* activation refused: everything missing; nothing changes */
    char *before = record_of(tp, t.coord);
    struct resp *r = move_to(t.coord, ttr, "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    const json_t *missing = json_object_get(r->json, "missing");
    ck_assert_msg(arr_has(missing, "moderator_id") && arr_has(missing, "partner_representative") &&
                      arr_has(missing, "sharing_consent") && json_array_size(missing) == 3,
                  "missing: %s", r->body);
    resp_free(r);
    UNCHANGED(before, t.coord, tp);
    free(before);

    /* a social worker becomes the moderator */
    r = api_if("PATCH", tp, t.coord, fmt("{\"moderator_id\":\"%s\"}", t.sw_id),
               etag(version_of(tp, t.coord)));
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "moderator_id"), t.sw_id);
    resp_free(r);
    r = move_to(t.sw, ttr, "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    missing = json_object_get(r->json, "missing");
    ck_assert_msg(!arr_has(missing, "moderator_id") && arr_has(missing, "partner_representative") &&
                      arr_has(missing, "sharing_consent"),
                  "missing: %s", r->body);
    resp_free(r);

    /* a partner representative joins (with the partner staff user) */
    char rep[37];
    add_rep(&t, team, t.partner, t.staff_id, rep);
    r = move_to(t.sw, ttr, "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    missing = json_object_get(r->json, "missing");
    ck_assert_msg(arr_has(missing, "sharing_consent") && json_array_size(missing) == 1,
                  "missing: %s", r->body);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, tp, "status"), "forming");

    /* the family consents to sharing with the partner: the team starts */
    char c1[37];
    consent(&t, t.sw, "sharing_with_partner", t.partner, c1);
    r = move_to(t.sw, ttr, "active", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_ptr_nonnull(jstr(r->json, "formed_on"));
    resp_free(r);

    /* the plan: a goal, an action with an active service, one with a full service */
    char goal[37], a1[37], a2[37];
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, a1);
    make_action(&t, team, goal, t.svc_full, a2);
    LOCALF(a1p, "%s/actions/%s", tp, a1);
    LOCALF(a1t, "%s/actions/%s/transitions", tp, a1);
    LOCALF(a2t, "%s/actions/%s/transitions", tp, a2);
    ck_assert_str_eq(field_of(t.sw, a1p, "status"), "planned");
    ck_assert_str_eq(field_of(t.sw, a1p, "partner_id"), t.partner);

    /* the family agrees to the plan: a child cannot, an adult can */
    before = record_of(tp, t.coord);
    r = post_doc(t.sw, fmt("%s/plan/agree", tp), json_pack("{s:s}", "member_id", t.child));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "member_id", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, tp);
    free(before);
    char f2[37], stranger[37], spesel[12];
    make_family(&t, f2);
    make_pesel(1970, 1, 9, 0, spesel);
    make_member(&t, f2, "Obcy", spesel, "head", stranger);
    r = post_doc(t.sw, fmt("%s/plan/agree", tp), json_pack("{s:s}", "member_id", stranger));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "member_id", NULL, NULL);
    resp_free(r);
    r = post_doc(t.staff, fmt("%s/plan/agree", tp), json_pack("{s:s}", "member_id", t.adult));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = post_doc(t.sw, fmt("%s/plan/agree", tp), json_pack("{s:s}", "member_id", t.adult));
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "agreed_by_member_id"), t.adult);
    ck_assert_ptr_nonnull(jstr(r->json, "plan_agreed_on"));
    ck_assert_int_gt(jint(r->json, "plan_version"), 0);
    ck_assert_int_eq(jint(r->json, "agreed_plan_version"), jint(r->json, "plan_version"));
    resp_free(r);

    /* the moderator refers: capacity_warning only for the full service */
    r = move_to(t.sw, a1t, "referred", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert(json_is_false(json_object_get(r->json, "capacity_warning")));
    ck_assert_ptr_nonnull(jstr(r->json, "referred_at"));
    resp_free(r);
    r = move_to(t.sw, a2t, "referred", NULL, NULL);
    EXPECT(r, 200);
    ck_assert(json_is_true(json_object_get(r->json, "capacity_warning")));
    resp_free(r);

    /* the partner's staff see it among their referrals, accept and start */
    ck_assert(list_has(t.staff, "/v1/referrals", a1));
    ck_assert(list_has(t.staff, "/v1/referrals?status=referred", a1));
    ck_assert(!list_has(t.staff, "/v1/referrals?status=accepted", a1));
    LOCALF(ref1, "/v1/referrals/%s", a1);
    LOCALF(ref1t, "/v1/referrals/%s/transitions", a1);
    ck_assert_str_eq(field_of(t.staff, ref1, "status"), "referred");
    long long cap = capacity_available(&t, t.svc);
    ck_assert_int_eq(cap, 3);
    r = move_to(t.staff, ref1t, "accepted", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_nonnull(jstr(r->json, "accepted_at"));
    resp_free(r);
    ck_assert_int_eq(capacity_available(&t, t.svc), cap - 1);
    MOVED(t.staff, ref1t, "in_progress", NULL, NULL);
    ck_assert_int_eq(capacity_available(&t, t.svc), cap - 1);
    LOCALF(fam, "/v1/families/%s", t.family);
    LOCALF(mems, "/v1/families/%s/members", t.family);
    LOCALF(mem, "/v1/families/%s/members/%s", t.family, t.adult);
    ck_assert_int_eq(get_status(t.staff, fam), 200);
    ck_assert_int_eq(get_status(t.staff, mem), 200);

    /* the family withdraws its consent: the referrals are held, the partner is cut off */
    r = post_doc(t.sw, fmt("/v1/families/%s/consents/%s/withdraw", t.family, c1),
                 json_pack("{s:s}", "reason", "rodzina rezygnuje"));
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    resp_free(r);
    json_t *a = get_json(t.sw, a1p);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(jstr(a, "status"), "on_hold");
    ck_assert_str_eq(jstr(a, "status_reason"), "consent_withdrawn");
    ck_assert_str_eq(jstr(a, "held_from"), "in_progress");
    json_decref(a);
    ck_assert_str_eq(field_of(t.sw, fmt("%s/actions/%s", tp, a2), "held_from"), "referred");
    ck_assert_int_eq(get_status(t.staff, ref1), 404);
    ck_assert_int_eq(get_status(t.staff, fam), 404);
    ck_assert_int_eq(get_status(t.staff, mems), 404);
    ck_assert_int_eq(get_status(t.staff, mem), 404);
    ck_assert_int_eq(get_status(t.staff, tp), 404);
    ck_assert(!list_has(t.staff, "/v1/referrals", a1));
    ck_assert(!list_has(t.staff, "/v1/referrals", a2));
    ck_assert(!list_has(t.staff, "/v1/families", t.family));

    /* nobody resumes without a covering consent */
    before = record_of(a1p, t.coord);
    r = move_to(t.staff, ref1t, "in_progress", NULL, NULL);
    ck_assert_msg(r->status == 404 || r->status == 409, "partner resumed: %ld %s", r->status,
                  r->body);
    resp_free(r);
    r = move_to(t.sw, a1t, "in_progress", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert_msg(arr_has(json_object_get(r->json, "missing"), "consent"), "%s", r->body);
    resp_free(r);
    UNCHANGED(before, t.coord, a1p);
    free(before);

    /* a new consent: the moderator resumes where it was held */
    char c2[37];
    consent(&t, t.sw, "sharing_with_partner", t.partner, c2);
    r = move_to(t.sw, a1t, "in_progress", NULL, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "in_progress");
    ck_assert(json_is_null(json_object_get(r->json, "held_from")));
    resp_free(r);
    ck_assert_int_eq(get_status(t.staff, ref1), 200);
    ck_assert(list_has(t.staff, "/v1/referrals", a1));

    /* the partner completes with an outcome */
    before = record_of(a1p, t.coord);
    r = move_to(t.staff, ref1t, "completed", NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "outcome", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, a1p);
    free(before);
    r = move_to(t.staff, ref1t, "completed", NULL, "10 konsultacji odbytych");
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "completed");
    ck_assert_str_eq(jstr(r->json, "outcome"), "10 konsultacji odbytych");
    ck_assert_ptr_nonnull(jstr(r->json, "completed_at"));
    resp_free(r);
    ck_assert_int_eq(capacity_available(&t, t.svc), cap - 1);

    /* the timeline tells the story in order */
    r = api("GET", fmt("%s/timeline", tp), t.sw, NULL);
    EXPECT(r, 200);
    const struct {
        const char *type, *id;
    } want[] = {
        {"task_team.created", team}, {"team_member.created", rep}, {"task_team.active", team},
        {"goal.created", goal},      {"action.created", a1},       {"task_team.plan_agreed", team},
        {"action.referred", a1},     {"action.accepted", a1},      {"action.in_progress", a1},
        {"action.on_hold", a1},      {"action.in_progress", a1},   {"action.completed", a1}};
    size_t k = 0, i;
    long long prev = 0;
    const json_t *ev;
    json_array_foreach(json_object_get(r->json, "items"), i, ev)
    {
        ck_assert_msg(jint(ev, "event_id") > prev, "timeline out of order: %s", r->body);
        prev = jint(ev, "event_id");
        if (k < sizeof want / sizeof want[0] && jstr(ev, "type") &&
            !strcmp(jstr(ev, "type"), want[k].type) && jstr(ev, "resource_id") &&
            !strcmp(jstr(ev, "resource_id"), want[k].id))
            k++;
    }
    ck_assert_msg(k == sizeof want / sizeof want[0], "timeline lacks %s of %s: %s",
                  k < sizeof want / sizeof want[0] ? want[k].type : "-", want[k < 11 ? k : 11].id,
                  r->body);
    ck_assert_ptr_null(strstr(r->body, t.surname));
    resp_free(r);
}
END_TEST

/* ---- 2. who sees what ---- */

START_TEST(each_role_sees_exactly_its_part)
{
    const struct world *w = world();
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], act[37], swm[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, act);
    MOVED(t.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", team, act), "referred", NULL, NULL);
    LOCALF(tp, "/v1/task-teams/%s", team);
    LOCALF(acts, "%s/actions", tp);
    LOCALF(ap, "%s/actions/%s", tp, act);
    LOCALF(tl, "%s/timeline", tp);
    LOCALF(mbs, "%s/members", tp);
    LOCALF(ref, "/v1/referrals/%s", act);
    LOCALF(fam, "/v1/families/%s", t.family);
    LOCALF(mems, "/v1/families/%s/members", t.family);

    /* partner staff of a partner not on the team: nothing */
    const char *invisible[] = {tp, acts, ap, tl, mbs, ref, fam, mems};
    for (size_t i = 0; i < sizeof invisible / sizeof *invisible; i++) {
        struct resp *r = api("GET", invisible[i], t.staff2, NULL);
        ck_assert_msg(r->status == 404, "staff of another partner on %s: %ld %s", invisible[i],
                      r->status, r->body);
        if (r->status == 404)
            ck_problem(r, 404, "not_found");
        resp_free(r);
    }
    ck_assert(!list_has(t.staff2, "/v1/task-teams", team));
    ck_assert(!list_has(t.staff2, "/v1/referrals", act));
    ck_assert(!list_has(t.staff2, "/v1/families", t.family));

    /* partner staff on the team with consent: the team and the family, no PESEL, no address */
    const char *visible[] = {tp, acts, ap, tl, mbs, ref, fam, mems};
    for (size_t i = 0; i < sizeof visible / sizeof *visible; i++)
        ck_assert_msg(get_status(t.staff, visible[i]) == 200, "staff on the team: %s -> %ld",
                      visible[i], get_status(t.staff, visible[i]));
    ck_assert(list_has(t.staff, "/v1/task-teams", team));
    ck_assert(list_has(t.staff, "/v1/referrals", act));
    json_t *f = get_json(t.staff, fam);
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(json_is_null(json_object_get(f, "address")), "address shown to partner staff");
    json_decref(f);
    struct resp *r = api("GET", mems, t.staff, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 2);
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(r->json, "items"), i, m)
        ck_assert_msg(json_is_null(json_object_get(m, "pesel")), "PESEL shown: %s", r->body);
    ck_assert_ptr_null(strstr(r->body, t.adult_pesel));
    ck_assert_ptr_null(strstr(r->body, t.child_pesel));
    resp_free(r);
    r = api("GET", fmt("%s/%s", mems, t.adult), t.staff, NULL);
    EXPECT(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "pesel")));
    resp_free(r);
    r = api("GET", fmt("/v1/families/%s/export", t.family), t.staff, NULL);
    ck_assert_msg(r->status == 403 || r->status == 404, "export to partner staff: %ld", r->status);
    resp_free(r);

    /* a social worker with no link to the family: nothing */
    const char *all[] = {tp, acts, ap, tl, mbs, ref, fam, mems};
    for (i = 0; i < sizeof all / sizeof *all; i++)
        ck_assert_msg(get_status(t.sw2, all[i]) == 404, "unrelated social worker: %s -> %ld",
                      all[i], get_status(t.sw2, all[i]));
    ck_assert(!list_has(t.sw2, "/v1/task-teams", team));
    ck_assert(!list_has(t.sw2, "/v1/referrals", act));
    ck_assert(!list_has(t.sw2, "/v1/families", t.family));

    /* ... until they join the team as a social worker member */
    CREATE(t.sw, mbs, json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    for (i = 0; i < sizeof all / sizeof *all; i++)
        ck_assert_msg(get_status(t.sw2, all[i]) == 200, "team member social worker: %s -> %ld",
                      all[i], get_status(t.sw2, all[i]));
    ck_assert(list_has(t.sw2, "/v1/task-teams", team));
    ck_assert(list_has(t.sw2, "/v1/families", t.family));
    f = get_json(t.sw2, fam);
    ck_assert_ptr_nonnull(f);
    ck_assert(json_is_object(json_object_get(f, "address")));
    json_decref(f);

    /* the moderator and the coordinator see everything, with PESEL */
    for (i = 0; i < sizeof all / sizeof *all; i++) {
        ck_assert_int_eq(get_status(t.sw, all[i]), 200);
        ck_assert_int_eq(get_status(t.coord, all[i]), 200);
        ck_assert_int_eq(get_status(t.admin, all[i]), 200);
    }
    ck_assert(list_has(t.coord, "/v1/task-teams", team));
    ck_assert(list_has(t.coord, "/v1/referrals", act));
    r = api("GET", mems, t.coord, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_nonnull(strstr(r->body, t.adult_pesel));
    resp_free(r);

    /* auditor and platform admin: the routes are not theirs */
    char auditor[80];
    make_user(t.admin, "auditor", NULL, auditor, NULL);
    const char *never[] = {auditor, w->platform, w->analyst};
    const char *reads[] = {"/v1/task-teams", tp, acts, ap, tl, "/v1/referrals", ref};
    for (size_t k = 0; k < 3; k++) {
        for (i = 0; i < sizeof reads / sizeof *reads; i++) {
            r = api("GET", reads[i], never[k], NULL);
            ck_assert_msg(r->status == 403, "role %zu on %s: %ld %s", k, reads[i], r->status,
                          r->body);
            ck_problem(r, 403, "forbidden");
            resp_free(r);
        }
        r = post_doc(never[k], "/v1/task-teams",
                     json_pack("{s:s, s:s}", "family_id", t.family, "name", "ZZK obcy"));
        EXPECT(r, 403);
        resp_free(r);
    }

    /* another tenant: 404 everywhere, its lists do not hold them */
    const char *others[] = {w->admin_b, w->staff_b};
    for (size_t k = 0; k < 2; k++) {
        for (i = 0; i < sizeof all / sizeof *all; i++) {
            r = api("GET", all[i], others[k], NULL);
            ck_assert_msg(r->status == 404, "other tenant on %s: %ld %s", all[i], r->status,
                          r->body);
            resp_free(r);
        }
        ck_assert(!list_has(others[k], "/v1/task-teams", team));
        ck_assert(!list_has(others[k], "/v1/referrals", act));
    }
    char *before = record_of(tp, t.coord);
    r = api_if("PATCH", tp, w->admin_b, "{\"name\":\"Przejety\"}", etag(version_of(tp, t.coord)));
    EXPECT(r, 404);
    resp_free(r);
    r = post_doc(w->admin_b, fmt("%s/goals", tp), json_pack("{s:s}", "description", "obcy cel"));
    EXPECT(r, 404);
    resp_free(r);
    r = move_to(w->staff_b, fmt("%s/transitions", ref), "accepted", NULL, NULL);
    EXPECT(r, 404);
    resp_free(r);
    r = move_to(t.staff2, fmt("%s/transitions", ref), "accepted", NULL, NULL);
    EXPECT(r, 404);
    resp_free(r);
    UNCHANGED(before, t.coord, tp);
    free(before);
    ck_assert_str_eq(field_of(t.coord, ap, "status"), "referred");
}
END_TEST

TCase *tcase_task_teams_closed_loop(void)
{
    TCase *tc = tcase_create("closed_loop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, closed_loop_from_team_to_completed_referral);
    return tc;
}

TCase *tcase_task_teams_roles(void)
{
    TCase *tc = tcase_create("roles");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, each_role_sees_exactly_its_part);
    return tc;
}
