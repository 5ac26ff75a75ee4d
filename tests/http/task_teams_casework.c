/* Case work as a social assistance centre does it (issue 14): historic formed_on, voivodeship
 * names, overdue referrals (tenant setting, filter, flag, event from the periodic job), reason
 * codes of declined/failed/cancelled referrals in the report, plan reviews (review_on, filter,
 * event, the plan document). The daemon's job runs every KOOP_JOB_INTERVAL seconds (1 in
 * tests/run.sh). */
#include "task_teams.h"

/* Waits (long-polling, up to ~20 s) for an event of type about id; returns how many there are. */
static int events_of(const char *tok, const char *type, const char *id, bool wait)
{
    int found = 0;
    for (int round = 0; round < (wait ? 20 : 1); round++) {
        found = 0;
        long long after = 0;
        for (int page = 0; page < 100; page++) {
            struct resp *r = api("GET", fmt("/v1/events?after=%lld&limit=200", after), tok, NULL);
            ck_assert_int_eq(r->status, 200);
            size_t i, n = json_array_size(json_object_get(r->json, "items"));
            const json_t *e;
            json_array_foreach(json_object_get(r->json, "items"), i, e)
            {
                if (!strcmp(jstr(e, "type"), type) && !strcmp(jstr(e, "resource_id"), id))
                    found++;
            }
            after = jint(r->json, "next_after");
            resp_free(r);
            if (n < 200)
                break;
        }
        if (found)
            return found;
        struct resp *r = api("GET", fmt("/v1/events?after=%lld&wait=1", after), tok, NULL);
        resp_free(r);
    }
    return found;
}

START_TEST(formed_on_may_be_historic)
{
    struct tt t;
    setup(&t);
    struct resp *r = post_doc(t.coord, "/v1/task-teams",
                              json_pack("{s:s, s:s, s:s}", "family_id", t.family, "name", "ZZK",
                                        "formed_on", utc_date(3)));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "formed_on", "max", "body");
    resp_free(r);
    char team[37];
    CREATE(t.coord, "/v1/task-teams",
           json_pack("{s:s, s:s, s:s, s:s}", "family_id", t.family, "name", "ZZK historyczny",
                     "formed_on", "2019-05-06", "moderator_id", t.sw_id),
           team);
    LOCALF(tp, "/v1/task-teams/%s", team);
    ck_assert_str_eq(field_of(t.coord, tp, "formed_on"), "2019-05-06");
    char rep[37], c1[37];
    add_rep(&t, team, t.partner, t.staff_id, rep);
    consent(&t, t.coord, "sharing_with_partner", t.partner, c1);
    FX_TEAM_ACTIVE(t.sw, team);
    ck_assert_str_eq(field_of(t.coord, tp, "formed_on"), "2019-05-06"); /* kept on activation */
    r = api_if("PATCH", tp, t.coord, "{\"formed_on\":\"2018-01-01\"}",
               etag(version_of(tp, t.coord)));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "formed_on", "read_only", "body");
    resp_free(r);
}
END_TEST

START_TEST(voivodeship_by_code_or_name)
{
    const char *platform = world()->platform;
    int p = (int)getpid() % 90 + 10;
    const char *given[] = {"ŚLĄSKIE", "24", "slaskie", NULL};
    for (int i = 0; i < 4; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "name", uniq("Gmina Śląska"), "teryt",
                              fmt("24%02d%02d1", p, (int)(getpid() / 90 + i) % 100), "kind",
                              "gmina_miejska");
        if (given[i])
            json_object_set_new(o, "voivodeship", json_string(given[i]));
        struct resp *r = post_doc(platform, "/v1/tenants", o);
        ck_assert_msg(r->status == 201, "%s: %ld %s", given[i] ? given[i] : "(none)", r->status,
                      r->body);
        ck_assert_str_eq(jstr(r->json, "voivodeship"), "śląskie");
        ck_assert_int_eq(jint(r->json, "referral_overdue_days"), 14);
        resp_free(r);
    }
    struct resp *r =
        post_doc(platform, "/v1/tenants",
                 json_pack("{s:s, s:s, s:s, s:s}", "name", "Gmina Zła", "teryt", "2461011", "kind",
                           "gmina_miejska", "voivodeship", "małopolskie"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "voivodeship", "invalid", "body");
    resp_free(r);
}
END_TEST

START_TEST(overdue_referrals)
{
    struct tt t;
    setup(&t);
    /* the setting: admins change it, coordinators read it */
    struct resp *r = api("GET", "/v1/settings", t.coord, NULL);
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "referral_overdue_days"), 14);
    ck_assert_str_eq(jstr(r->json, "tenant_id"), t.tenant);
    long long v = jint(r->json, "version");
    resp_free(r);
    const struct refusal rows[] = {
        {"coordinator", t.coord, "PATCH", "/v1/settings", "{\"referral_overdue_days\":3}", etag(v),
         403, "forbidden"},
        {"social worker", t.sw, "GET", "/v1/settings", NULL, NULL, 403, "forbidden"},
        {"partner staff", t.staff, "GET", "/v1/settings", NULL, NULL, 403, "forbidden"},
        {"no If-Match", t.admin, "PATCH", "/v1/settings", "{\"referral_overdue_days\":3}", NULL,
         428, "precondition_required"},
        {"too many days", t.admin, "PATCH", "/v1/settings", "{\"referral_overdue_days\":400}",
         etag(v), 422, "validation_failed"},
        {NULL}};
    CHECK_REFUSALS(rows);

    char team[37], c1[37], goal[37], a[37], b[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, a);
    make_action(&t, team, goal, t.svc, b);
    FX_REFERRAL_TO(t.sw, t.staff, team, a, "referred", NULL);
    FX_REFERRAL_TO(t.sw, t.staff, team, b, "accepted", NULL);
    LOCALF(ap, "/v1/referrals/%s", a);
    ck_assert(!list_has(t.staff, "/v1/referrals?overdue=true", a));
    ck_assert(list_has(t.staff, "/v1/referrals?overdue=false", a));

    r = api_if("PATCH", "/v1/settings", t.admin, "{\"referral_overdue_days\":0}", etag(v));
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "referral_overdue_days"), 0);
    resp_free(r);
    /* still referred: overdue at once; the accepted one is not */
    json_t *j = get_json(t.staff, ap);
    ck_assert(json_is_true(json_object_get(j, "overdue")));
    json_decref(j);
    ck_assert(list_has(t.staff, "/v1/referrals?overdue=true", a));
    ck_assert(!list_has(t.staff, "/v1/referrals?overdue=true", b));
    /* the moderator's view: the team's actions */
    LOCALF(acts, "/v1/task-teams/%s/actions", team);
    ck_assert(list_has(t.sw, fmt("%s?overdue=true", acts), a));
    ck_assert(!list_has(t.sw, fmt("%s?overdue=true", acts), b));
    /* the job emits referral.overdue once */
    ck_assert_int_eq(events_of(t.admin, "referral.overdue", a, true), 1);
    ck_assert_int_eq(events_of(t.admin, "referral.overdue", b, false), 0);
    sleep(2); /* the job runs again: still one */
    ck_assert_int_eq(events_of(t.admin, "referral.overdue", a, false), 1);
    /* answered, it is no longer overdue */
    MOVED(t.staff, fmt("%s/transitions", ap), "accepted", NULL, NULL);
    j = get_json(t.staff, ap);
    ck_assert(json_is_false(json_object_get(j, "overdue")));
    json_decref(j);
}
END_TEST

START_TEST(reason_codes_in_the_report)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], a[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, a);
    FX_REFERRAL_TO(t.sw, t.staff, team, a, "declined", NULL); /* no_capacity */
    ck_assert_str_eq(field_of(t.staff, fmt("/v1/referrals/%s", a), "reason_code"), "no_capacity");
    struct resp *r = api("GET", "/v1/reports/referrals", t.admin, NULL);
    EXPECT(r, 200);
    ck_assert_msg(strstr(r->body, "\"declined.no_capacity\"") != NULL, "%s", r->body);
    resp_free(r);
}
END_TEST

START_TEST(plan_reviews)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    LOCALF(tp, "/v1/task-teams/%s", team);
    ck_assert(!list_has(t.coord, fmt("/v1/task-teams?review_due_before=%s", utc_date(400)), team));
    /* agreeing the plan sets the review date */
    struct resp *r =
        post_doc(t.sw, fmt("%s/plan/agree", tp),
                 json_pack("{s:s, s:s}", "member_id", t.adult, "review_on", utc_date(90)));
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "review_on"), utc_date(90));
    resp_free(r);
    ck_assert(list_has(t.coord, fmt("/v1/task-teams?review_due_before=%s", utc_date(91)), team));
    ck_assert(!list_has(t.coord, fmt("/v1/task-teams?review_due_before=%s", utc_date(89)), team));
    ck_assert_int_eq(events_of(t.admin, "plan.review_due", team, false), 0);
    /* the plan document shows it */
    r = api("GET", fmt("%s/plan", tp), t.sw, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(json_object_get(r->json, "team"), "review_on"), utc_date(90));
    resp_free(r);
    /* moved to yesterday by PATCH: the job emits plan.review_due */
    r = api_if("PATCH", tp, t.sw, fmt("{\"review_on\":\"%s\"}", utc_date(-1)),
               etag(version_of(tp, t.coord)));
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_int_eq(events_of(t.admin, "plan.review_due", team, true), 1);
    r = api_if("PATCH", tp, t.sw, "{\"review_on\":null}", etag(version_of(tp, t.coord)));
    EXPECT(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "review_on")));
    resp_free(r);
}
END_TEST

TCase *tcase_task_teams_casework(void)
{
    TCase *tc = tcase_create("casework");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, formed_on_may_be_historic);
    tcase_add_test(tc, voivodeship_by_code_or_name);
    tcase_add_test(tc, overdue_referrals);
    tcase_add_test(tc, reason_codes_in_the_report);
    tcase_add_test(tc, plan_reviews);
    return tc;
}
