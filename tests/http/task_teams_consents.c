/* Task teams: consent coverage decides what a partner sees; reads are
 * audited, automatic moves are events, and events carry no personal data
 * (SPEC §9 Consent coverage; §7). */
#include "task_teams.h"

START_TEST(consent_coverage_decides_what_a_partner_sees)
{
    struct tt t;
    setup(&t);
    char team[37], rep[37], c_other[37], c_old[37], c_team[37], c_p[37], goal[37], act[37];
    make_team(&t, t.family, team);
    add_rep(&t, team, t.partner, t.staff_id, rep);
    LOCALF(tp, "/v1/task-teams/%s", team);
    LOCALF(fam, "/v1/families/%s", t.family);

    /* an expired consent counts for nothing */
    CREATE(t.coord, fmt("/v1/families/%s/consents", t.family),
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "member_id", t.adult, "scope",
                     "sharing_with_partner", "partner_id", t.partner, "given_on", "2020-01-10",
                     "valid_until", "2020-06-30"),
           c_old);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/consents/%s", fam, c_old), "status"), "expired");
    struct resp *r = move_to(t.sw, fmt("%s/transitions", tp), "active", NULL, NULL);
    ck_problem(r, 409, "invalid_transition");
    ck_assert(arr_has(json_object_get(r->json, "missing"), "sharing_consent"));
    resp_free(r);
    ck_assert_int_eq(get_status(t.staff, fam), 404);

    /* a consent naming another partner: the team may start, this partner sees nothing */
    consent(&t, t.coord, "sharing_with_partner", t.partner2, c_other);
    MOVED(t.sw, fmt("%s/transitions", tp), "active", NULL, NULL);
    ck_assert_int_eq(get_status(t.staff, fam), 404);
    ck_assert_int_eq(get_status(t.staff, tp), 404);
    ck_assert_int_eq(get_status(t.staff2, fam), 404); /* named, but not on the team */
    ck_assert_int_eq(get_status(t.staff2, tp), 404);

    /* sharing with the team covers the representative's partner only */
    consent(&t, t.coord, "sharing_with_team", NULL, c_team);
    ck_assert_int_eq(get_status(t.staff, fam), 200);
    ck_assert_int_eq(get_status(t.staff, tp), 200);
    ck_assert_int_eq(get_status(t.staff2, fam), 404);
    ck_assert_int_eq(get_status(t.staff2, tp), 404);

    /* a referral in progress under two consents survives losing one of them */
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, act);
    FX_REFERRAL_TO(t.sw, t.staff, team, act, "in_progress", NULL);
    consent(&t, t.coord, "sharing_with_partner", t.partner, c_p);
    r = post_doc(t.coord, fmt("%s/consents/%s/withdraw", fam, c_team), json_pack("{}"));
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/actions/%s", tp, act), "status"), "in_progress");
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", act)), 200);
    /* withdrawing the consent for another partner changes nothing for this one */
    r = post_doc(t.coord, fmt("%s/consents/%s/withdraw", fam, c_other), NULL);
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/actions/%s", tp, act), "status"), "in_progress");
    /* a consent is withdrawn once */
    r = post_doc(t.coord, fmt("%s/consents/%s/withdraw", fam, c_other), NULL);
    EXPECT(r, 409);
    resp_free(r);
    /* the last covering one goes: on hold, and the partner is cut off */
    r = post_doc(t.coord, fmt("%s/consents/%s/withdraw", fam, c_p), NULL);
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/actions/%s", tp, act), "status_reason"),
                     "consent_withdrawn");
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", act)), 404);
    ck_assert_int_eq(get_status(t.staff, fam), 404);
    ck_assert(list_has(t.coord, "/v1/referrals?status=on_hold", act));
    /* partner staff never withdraw or give consents */
    r = post_doc(t.staff, fmt("%s/consents", fam),
                 json_pack("{s:s, s:s, s:s, s:s}", "member_id", t.adult, "scope",
                           "sharing_with_team", "given_on", utc_date(-1), "purpose", "x"));
    ck_assert_msg(r->status == 403, "%ld %s", r->status, r->body);
    resp_free(r);
}
END_TEST

START_TEST(a_team_consent_does_not_cover_a_partner_off_the_team)
{
    struct tt t;
    setup(&t);
    char team[37], rep[37], c_team[37], goal[37], act[37];
    make_team(&t, t.family, team);
    add_rep(&t, team, t.partner, t.staff_id, rep);
    consent(&t, t.coord, "sharing_with_team", NULL, c_team);
    MOVED(t.sw, fmt("/v1/task-teams/%s/transitions", team), "active", NULL, NULL);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc2, act); /* partner2 has nobody on the team */
    LOCALF(ap, "/v1/task-teams/%s/actions/%s", team, act);
    ck_assert_int_eq(get_status(t.staff2, fmt("/v1/families/%s", t.family)), 404);
    /* SPEC §9: sharing_with_team covers the team; partner2 is not on it. Either the
     * referral is refused for want of a consent, or partner2 still sees nothing. */
    struct resp *r = move_to(t.sw, fmt("%s/transitions", ap), "referred", NULL, NULL);
    if (r->status == 409) {
        ck_problem(r, 409, "invalid_transition");
        ck_assert_msg(arr_has(json_object_get(r->json, "missing"), "consent"), "%s", r->body);
        ck_assert_str_eq(field_of(t.coord, ap, "status"), "planned");
    } else {
        EXPECT(r, 200);
    }
    resp_free(r);
    r = api("GET", fmt("/v1/referrals/%s", act), t.staff2, NULL);
    ck_assert_msg(r->status == 404,
                  "staff of a partner off the team read a referral (family_id, member_ids, "
                  "description) under a sharing_with_team consent: %ld %s",
                  r->status, r->body);
    resp_free(r);
    ck_assert(!list_has(t.staff2, "/v1/referrals", act));
}
END_TEST

START_TEST(automatic_transitions_are_events_and_audited)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], held[37], cancelled[37], f2[37], team2[37];
    active_team(&t, team, c1);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, held);
    make_action(&t, team, goal, NULL, cancelled);
    MOVED(t.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", team, held), "referred", NULL,
          NULL);
    long long ev0 = last_event_id(t.admin);
    /* consent withdrawn → the referral is held */
    struct resp *r =
        post_doc(t.coord, fmt("/v1/families/%s/consents/%s/withdraw", t.family, c1), NULL);
    EXPECT(r, 200);
    resp_free(r);
    /* the team closed → its open actions are cancelled */
    MOVED(t.sw, fmt("/v1/task-teams/%s/transitions", team), "closed", NULL, NULL);
    /* the family closed → its team is closed */
    make_family(&t, f2);
    make_team(&t, f2, team2);
    MOVED(t.coord, fmt("/v1/families/%s/transitions", f2), "closed", "resigned", NULL);

    r = api("GET", fmt("/v1/events?after=%lld&limit=200", ev0), t.admin, NULL);
    EXPECT(r, 200);
    struct {
        const char *type, *id;
        bool seen;
    } want[] = {{"action.on_hold", held, false},
                {"action.cancelled", held, false},
                {"action.cancelled", cancelled, false},
                {"task_team.closed", team, false},
                {"task_team.closed", team2, false}};
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r->json, "items"), i, e)
    {
        for (size_t k = 0; k < 5; k++)
            if (!strcmp(jstr(e, "type"), want[k].type) &&
                !strcmp(jstr(e, "resource_id"), want[k].id))
                want[k].seen = true;
    }
    for (size_t k = 0; k < 5; k++)
        ck_assert_msg(want[k].seen, "no event %s for %s: %s", want[k].type, want[k].id, r->body);
    resp_free(r);

    /* SPEC §6: each transition is an event and, for family data, audited */
    const struct {
        const char *resource, *id;
    } audit[] = {{"action", held}, {"action", cancelled}, {"task_team", team2}};
    for (size_t k = 0; k < 3; k++) {
        r = api("GET",
                fmt("/v1/audit-events?resource=%s&resource_id=%s&action=transition&from=%s",
                    audit[k].resource, audit[k].id, "2000-01-01T00:00:00Z"),
                t.admin, NULL);
        EXPECT(r, 200);
        size_t n = json_array_size(json_object_get(r->json, "items"));
        size_t want_n = k == 0 ? 3 : 1; /* referred, on_hold, cancelled | cancelled | closed */
        ck_assert_msg(n >= want_n, "%s %s: %zu transition rows, want %zu: %s", audit[k].resource,
                      audit[k].id, n, want_n, r->body);
        resp_free(r);
    }
}
END_TEST

/* ---- 4. audit and events ---- */

/* The audit rows of the tenant for a resource (and id, when given) read by actor. */
static bool audited(const char *tok, const char *resource, const char *id, const char *actor,
                    const char *request_id, long status)
{
    const char *path =
        id ? fmt("/v1/audit-events?resource=%s&resource_id=%s&actor_id=%s&limit=200", resource, id,
                 actor)
           : fmt("/v1/audit-events?resource=%s&actor_id=%s&limit=200", resource, actor);
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == 200, "audit: %ld %s", r->status, r->body);
    bool found = false;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r->json, "items"), i, e)
    {
        if (jstr(e, "request_id") && !strcmp(jstr(e, "request_id"), request_id) &&
            jint(e, "status") == status && jstr(e, "action") && !strcmp(jstr(e, "action"), "read"))
            found = true;
    }
    resp_free(r);
    return found;
}

/* GET as tok; the X-Request-Id into out after asserting the status. */
static void read_rid(const char *tok, const char *path, long want, char out[128])
{
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == want, "GET %s: want %ld, got %ld: %s", path, want, r->status,
                  r->body);
    const char *rid = resp_header(r, "X-Request-Id");
    ck_assert_ptr_nonnull(rid);
    snprintf(out, 128, "%s", rid);
    resp_free(r);
}

START_TEST(reads_are_audited_and_events_carry_no_personal_data)
{
    struct tt t;
    setup(&t);
    char team[37], c1[37], goal[37], act[37], meeting[37], auditor[80], fm[37];
    active_team(&t, team, c1);
    CREATE(t.sw, fmt("/v1/task-teams/%s/goals", team),
           json_pack("{s:s, s:s}", "description", fmt("Cel %s wyjdzie z dlugow", t.surname),
                     "measure", "splata"),
           goal);
    LOCALF(secret_desc, "Terapia dla %s po rozwodzie", t.surname);
    note_pii(secret_desc);
    CREATE(t.sw, fmt("/v1/task-teams/%s/actions", team),
           json_pack("{s:s, s:s, s:s}", "goal_id", goal, "description", secret_desc, "service_id",
                     t.svc),
           act);
    CREATE(t.sw, fmt("/v1/task-teams/%s/members", team),
           json_pack("{s:s, s:s}", "kind", "family_member", "member_id", t.adult), fm);
    CREATE(t.sw, fmt("/v1/task-teams/%s/meetings", team),
           json_pack("{s:s, s:s, s:s, s:[s]}", "held_on", utc_date(-1), "agenda",
                     fmt("Sprawa %s", t.surname), "decisions", fmt("Decyzja %s", t.surname),
                     "attendee_ids", fm),
           meeting);
    MOVED(t.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", team, act), "referred", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "accepted", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "on_hold",
          fmt("%s choruje", t.surname), NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "accepted", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "in_progress", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "completed", NULL,
          fmt("%s ukonczyla terapie", t.surname));
    make_user(t.admin, "auditor", NULL, auditor, NULL);

    /* reads of a team, an action, a referral, their lists, and a denied one */
    char r_team[128];
    read_rid(t.coord, fmt("/v1/task-teams/%s", team), 200, r_team);
    char r_act[128];
    read_rid(t.sw, fmt("/v1/task-teams/%s/actions/%s", team, act), 200, r_act);
    char r_ref[128];
    read_rid(t.staff, fmt("/v1/referrals/%s", act), 200, r_ref);
    char r_refs[128];
    read_rid(t.staff, "/v1/referrals", 200, r_refs);
    char r_teams[128];
    read_rid(t.staff, "/v1/task-teams", 200, r_teams);
    char r_acts[128];
    read_rid(t.coord, fmt("/v1/task-teams/%s/actions", team), 200, r_acts);
    char r_tl[128];
    read_rid(t.sw, fmt("/v1/task-teams/%s/timeline", team), 200, r_tl);
    char r_denied[128];
    read_rid(t.staff2, fmt("/v1/referrals/%s", act), 404, r_denied);
    char r_denied_team[128];
    read_rid(t.staff2, fmt("/v1/task-teams/%s", team), 404, r_denied_team);
    const char *readers[] = {t.admin, auditor};
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(audited(readers[k], "task_team", team, t.coord_id, r_team, 200),
                      "team read not audited");
        ck_assert_msg(audited(readers[k], "action", act, t.sw_id, r_act, 200),
                      "action read not audited");
        ck_assert_msg(audited(readers[k], "referral", act, t.staff_id, r_ref, 200),
                      "referral read not audited");
        ck_assert_msg(audited(readers[k], "referral", NULL, t.staff_id, r_refs, 200),
                      "referral list read not audited");
        ck_assert_msg(audited(readers[k], "task_team", NULL, t.staff_id, r_teams, 200),
                      "team list read not audited");
        ck_assert_msg(audited(readers[k], "action", NULL, t.coord_id, r_acts, 200),
                      "action list read not audited");
        ck_assert_msg(audited(readers[k], "task_team", team, t.sw_id, r_tl, 200),
                      "timeline read not audited");
        ck_assert_msg(audited(readers[k], "referral", act, t.staff2_id, r_denied, 404),
                      "denied referral read not audited");
        ck_assert_msg(audited(readers[k], "task_team", team, t.staff2_id, r_denied_team, 404),
                      "denied team read not audited");
    }
    /* writes too */
    struct resp *r =
        api("GET", fmt("/v1/audit-events?resource=action&resource_id=%s&action=transition", act),
            t.admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 6);
    ck_assert_ptr_null(strstr(r->body, t.surname));
    resp_free(r);
    /* not for the roles outside */
    r = api("GET", "/v1/audit-events?resource=task_team", t.sw, NULL);
    EXPECT(r, 403);
    resp_free(r);

    /* the change feed: ids and types, never names, PESELs or texts */
    long long after = 0;
    size_t n = 0;
    bool seen[6] = {false};
    const char *types[] = {"task_team.created", "task_team.active", "goal.created",
                           "action.created",    "action.completed", "team_meeting.created"};
    for (int page = 0; page < 100; page++) {
        r = api("GET", fmt("/v1/events?after=%lld&limit=200", after), t.admin, NULL);
        EXPECT(r, 200);
        const char *needles[] = {t.surname,      t.rep_surname, t.adult_pesel, t.child_pesel,
                                 t.street,       "Terapia dla", "choruje",     "ukonczyla",
                                 "stabilizacja", "Sprawa",      "Decyzja",     "wspolpraca",
                                 "Anna",         "Kuba"};
        for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
            ck_assert_msg(!strstr(r->body, needles[i]), "an event carries \"%s\": %s", needles[i],
                          r->body);
        size_t i;
        const json_t *e;
        json_array_foreach(json_object_get(r->json, "items"), i, e)
        {
            n++;
            for (int k = 0; k < 6; k++)
                if (jstr(e, "type") && !strcmp(jstr(e, "type"), types[k]))
                    seen[k] = true;
            const char *keys[] = {"id",          "type",    "resource",
                                  "resource_id", "version", "occurred_at"};
            ck_assert_uint_eq(json_object_size(e), 6);
            for (int k = 0; k < 6; k++)
                ck_assert_msg(json_object_get(e, keys[k]), "event without %s", keys[k]);
        }
        size_t got = json_array_size(json_object_get(r->json, "items"));
        after = jint(r->json, "next_after");
        resp_free(r);
        if (got == 0)
            break;
    }
    ck_assert_uint_gt(n, 20);
    for (int k = 0; k < 6; k++)
        ck_assert_msg(seen[k], "no %s event in the feed", types[k]);
    /* the timeline too */
    r = api("GET", fmt("/v1/task-teams/%s/timeline", team), t.coord, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, t.surname));
    ck_assert_ptr_null(strstr(r->body, "Terapia dla"));
    resp_free(r);
}
END_TEST

TCase *tcase_task_teams_consent_coverage(void)
{
    TCase *tc = tcase_create("consent_coverage");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, consent_coverage_decides_what_a_partner_sees);
    tcase_add_test(tc, a_team_consent_does_not_cover_a_partner_off_the_team);
    return tc;
}

TCase *tcase_task_teams_audit(void)
{
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reads_are_audited_and_events_carry_no_personal_data);
    tcase_add_test(tc, automatic_transitions_are_events_and_audited);
    return tc;
}
