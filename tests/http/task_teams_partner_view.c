/* Task teams: what partner staff see is what the cooperation needs (issue 10,
 * point 3): the family's problem codes without notes, no external_ref, no
 * consent documents; the actions and referrals of their own partner only;
 * the meetings their partner's representative attended. A member who left,
 * or a team that closed, gives no access. */
#include "task_teams.h"

static bool item_listed(const char *tok, const char *path, const char *id)
{
    return list_has(tok, path, id);
}

/* Compact text of o (decref'd), in a static buffer: one at a time. */
static const char *js(json_t *o)
{
    static char buf[4096];
    char *s = jdump(o);
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    json_decref(o);
    return buf;
}

START_TEST(partner_staff_see_problem_codes_without_notes_nor_external_ref_nor_documents)
{
    struct tt t;
    setup(&t);
    char team[37], cons[37], cdoc[37];
    active_team(&t, team, cons);
    LOCALF(fp, "/v1/families/%s", t.family);
    long long v = version_of(fp, t.coord);
    struct resp *r = api_if(
        "PATCH", fp, t.coord,
        js(json_pack("{s:s, s:[{s:s, s:s}, {s:s}]}", "external_ref", "POMOST/77/2026", "problems",
                     "code", "addiction", "notes", "ojciec pije od lat", "code", "debt")),
        etag(v));
    EXPECT(r, 200);
    resp_free(r);
    CREATE(t.coord, fmt("%s/consents", fp),
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "member_id", t.adult, "scope",
                     "sharing_with_team", "given_on", utc_date(-1), "purpose", "ZZK",
                     "document_ref", "SKAN/2026/0042"),
           cdoc);

    /* the coordinator sees everything */
    json_t *f = get_json(t.coord, fp);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(jstr(f, "external_ref"), "POMOST/77/2026");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(f, "problems"), 0), "notes"),
                     "ojciec pije od lat");
    json_decref(f);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/consents/%s", fp, cdoc), "document_ref"),
                     "SKAN/2026/0042");

    /* partner staff: the codes, not the notes; no external_ref, address or PESEL */
    f = get_json(t.staff, fp);
    ck_assert_ptr_nonnull(f);
    char *text = jdump(f);
    ck_assert_msg(!strstr(text, "ojciec") && !strstr(text, "POMOST") && !strstr(text, t.street),
                  "partner staff see more than the codes: %s", text);
    free(text);
    const json_t *probs = json_object_get(f, "problems");
    ck_assert_int_eq(json_array_size(probs), 2);
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "code"), "addiction");
    ck_assert_str_eq(jstr(json_array_get(probs, 1), "code"), "debt");
    ck_assert(json_is_null(json_object_get(f, "external_ref")));
    json_decref(f);
    json_t *page = get_json(t.staff, "/v1/families");
    ck_assert_ptr_nonnull(page);
    text = jdump(page);
    ck_assert_msg(!strstr(text, "ojciec") && !strstr(text, "POMOST"), "the list: %s", text);
    free(text);
    json_decref(page);
    /* the consents, without their documents */
    ck_assert_str_eq(field_of(t.staff, fmt("%s/consents/%s", fp, cdoc), "document_ref"), "");
    page = get_json(t.staff, fmt("%s/consents", fp));
    ck_assert_ptr_nonnull(page);
    text = jdump(page);
    ck_assert_msg(!strstr(text, "SKAN/2026"), "the consents list: %s", text);
    free(text);
    json_decref(page);
}
END_TEST

START_TEST(partner_staff_see_their_own_partners_actions_and_meetings_only)
{
    struct tt t;
    setup(&t);
    char team[37], cons[37], c2[37], rep2[37], goal[37], a_own[37], a_other[37], a_plain[37];
    active_team(&t, team, cons);
    LOCALF(tp, "/v1/task-teams/%s", team);
    add_rep(&t, team, t.partner2, t.staff2_id, rep2);
    consent(&t, t.coord, "sharing_with_partner", t.partner2, c2);
    ck_assert_int_eq(get_status(t.staff2, tp), 200);
    json_t *reps = get_json(t.coord, fmt("%s/members?current=true", tp));
    ck_assert_ptr_nonnull(reps);
    char rep1[37] = "";
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(reps, "items"), i, it)
    {
        if (jstr(it, "partner_id") && !strcmp(jstr(it, "partner_id"), t.partner))
            snprintf(rep1, sizeof rep1, "%s", jstr(it, "id"));
    }
    json_decref(reps);
    ck_assert(rep1[0]);

    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, a_own);
    make_action(&t, team, goal, t.svc2, a_other);
    make_action(&t, team, goal, NULL, a_plain);
    FX_REFERRAL_TO(t.sw, t.staff, team, a_own, "referred", NULL);
    FX_REFERRAL_TO(t.sw, t.staff2, team, a_other, "referred", NULL);
    char m_own[37], m_other[37], m_none[37];
    CREATE(t.sw, fmt("%s/meetings", tp),
           json_pack("{s:s, s:[s, s], s:s}", "held_on", utc_date(-3), "attendee_ids", rep1, rep2,
                     "agenda", "wspolne"),
           m_own);
    CREATE(t.sw, fmt("%s/meetings", tp),
           json_pack("{s:s, s:[s], s:s}", "held_on", utc_date(-2), "attendee_ids", rep2, "agenda",
                     "bez partnera 1"),
           m_other);
    CREATE(t.sw, fmt("%s/meetings", tp),
           json_pack("{s:s, s:s}", "held_on", utc_date(-1), "agenda", "tylko OPS"), m_none);

    /* the moderator and the coordinator see the whole plan */
    ck_assert_uint_eq(list_count(t.coord, fmt("%s/actions", tp)), 3);
    ck_assert_uint_eq(list_count(t.sw, fmt("%s/meetings", tp)), 3);

    /* partner staff: their partner's actions and referrals only */
    ck_assert(item_listed(t.staff, fmt("%s/actions", tp), a_own));
    ck_assert_uint_eq(list_count(t.staff, fmt("%s/actions", tp)), 1);
    ck_assert_int_eq(get_status(t.staff, fmt("%s/actions/%s", tp, a_other)), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("%s/actions/%s", tp, a_plain)), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("%s/actions/%s", tp, a_own)), 200);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", a_other)), 404);
    ck_assert_uint_eq(list_count(t.staff2, fmt("%s/actions", tp)), 1);
    ck_assert(item_listed(t.staff2, fmt("%s/actions", tp), a_other));
    /* the meetings their representative attended */
    ck_assert_uint_eq(list_count(t.staff, fmt("%s/meetings", tp)), 1);
    ck_assert(item_listed(t.staff, fmt("%s/meetings", tp), m_own));
    ck_assert_int_eq(get_status(t.staff, fmt("%s/meetings/%s", tp, m_other)), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("%s/meetings/%s", tp, m_none)), 404);
    ck_assert_int_eq(get_status(t.staff, fmt("%s/meetings/%s", tp, m_own)), 200);
    ck_assert_uint_eq(list_count(t.staff2, fmt("%s/meetings", tp)), 2);
    /* nor through the team's timeline or the change feed */
    json_t *tl = get_json(t.staff, fmt("%s/timeline", tp));
    ck_assert_ptr_nonnull(tl);
    char *text = jdump(tl);
    ck_assert_msg(strstr(text, a_own) && !strstr(text, a_other) && !strstr(text, a_plain) &&
                      strstr(text, m_own) && !strstr(text, m_other) && !strstr(text, m_none),
                  "the timeline shows partner staff other partners' work: %s", text);
    free(text);
    json_decref(tl);
    json_t *ev = get_json(
        t.staff, "/v1/events?after=0&limit=200&types=action.referred,team_meeting.created");
    ck_assert_ptr_nonnull(ev);
    text = jdump(ev);
    ck_assert_msg(strstr(text, a_own) && !strstr(text, a_other) && !strstr(text, m_other),
                  "the feed shows partner staff other partners' work");
    free(text);
    json_decref(ev);
}
END_TEST

START_TEST(a_member_who_left_or_a_closed_team_gives_no_access)
{
    struct tt t;
    setup(&t);
    char team[37], cons[37], c2[37], rep2[37], swm[37];
    active_team(&t, team, cons);
    LOCALF(tp, "/v1/task-teams/%s", team);
    LOCALF(fp, "/v1/families/%s", t.family);
    consent(&t, t.coord, "sharing_with_team", NULL, c2);
    /* a representative of partner2 who joined ten days ago */
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "partner_representative", "partner_id",
                     t.partner2, "person_name", "Ewa Odchodząca", "user_id", t.staff2_id,
                     "joined_on", utc_date(-10)),
           rep2);
    /* and a second social worker on the team */
    CREATE(t.sw, fmt("%s/members", tp),
           json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id), swm);
    ck_assert_int_eq(get_status(t.staff2, fp), 200);
    ck_assert_int_eq(get_status(t.staff2, tp), 200);
    ck_assert_int_eq(get_status(t.sw2, fp), 200);
    ck_assert_int_eq(get_status(t.sw2, tp), 200);

    /* she left yesterday: nothing any more */
    long long v = version_of(fmt("%s/members/%s", tp, rep2), t.sw);
    struct resp *r = api_if("PATCH", fmt("%s/members/%s", tp, rep2), t.sw,
                            js(json_pack("{s:s}", "left_on", utc_date(-1))), etag(v));
    EXPECT(r, 200);
    resp_free(r);
    ck_assert_int_eq(get_status(t.staff2, fp), 404);
    ck_assert_int_eq(get_status(t.staff2, tp), 404);
    ck_assert_int_eq(get_status(t.staff2, fmt("%s/members", tp)), 404);

    /* the team closes: its members (not the family's own worker) lose sight */
    MOVED(t.sw, fmt("%s/transitions", tp), "closed", NULL, NULL);
    ck_assert_int_eq(get_status(t.staff, fp), 404);
    ck_assert_int_eq(get_status(t.staff, tp), 404);
    ck_assert_int_eq(get_status(t.sw2, fp), 404);
    ck_assert_int_eq(get_status(t.sw2, tp), 404);
    ck_assert_int_eq(get_status(t.sw2, fmt("%s/actions", tp)), 404);
    ck_assert_int_eq(get_status(t.coord, tp), 200);
}
END_TEST

TCase *tcase_task_teams_partner_view(void)
{
    TCase *tc = tcase_create("partner_view");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   partner_staff_see_problem_codes_without_notes_nor_external_ref_nor_documents);
    tcase_add_test(tc, partner_staff_see_their_own_partners_actions_and_meetings_only);
    tcase_add_test(tc, a_member_who_left_or_a_closed_team_gives_no_access);
    return tc;
}
