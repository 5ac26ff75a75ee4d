/* Task teams: consent expiry acts like withdrawal (issue 10, point 7). When a
 * consent's valid_until passes (Europe/Warsaw), the periodic job puts the open
 * referrals it covered on hold (consent_expired) with their events; only a
 * moderator resumes them, and only under a covering consent again. */
#include "task_teams.h"

#include <libpq-fe.h>

START_TEST(an_expired_consent_puts_its_referrals_on_hold)
{
    struct tt t;
    setup(&t);
    char team[37], cons[37], goal[37], act[37];
    active_team(&t, team, cons);
    make_goal(&t, team, goal);
    make_action(&t, team, goal, t.svc, act);
    FX_REFERRAL_TO(t.sw, t.staff, team, act, "accepted", NULL);
    LOCALF(ap, "/v1/task-teams/%s/actions/%s", team, act);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", act)), 200);

    /* the consent ran until yesterday (set as the database's owner) */
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    const char *v[] = {cons};
    PGresult *r0 = PQexecParams(c,
                                "UPDATE consents SET given_on = current_date - 30, valid_until = "
                                "(now() AT TIME ZONE 'Europe/Warsaw')::date - 1 WHERE id = $1",
                                1, NULL, v, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r0), PGRES_COMMAND_OK);
    PQclear(r0);
    PQfinish(c);

    /* within the job's interval (1 s in the tests; a minute by default) */
    const char *st = "";
    for (int i = 0; i < 100 && strcmp(st, "on_hold"); i++) {
        st = field_of(t.coord, ap, "status");
        if (strcmp(st, "on_hold"))
            usleep(100 * 1000);
    }
    ck_assert_str_eq(st, "on_hold");
    ck_assert_str_eq(field_of(t.coord, ap, "status_reason"), "consent_expired");
    ck_assert_str_eq(field_of(t.coord, ap, "held_from"), "accepted");
    json_t *ev = get_json(t.coord, "/v1/events?after=0&limit=200&types=action.on_hold");
    char *evs = ev ? jdump(ev) : NULL;
    ck_assert_msg(evs && strstr(evs, act), "no action.on_hold event: %s", evs ? evs : "-");
    free(evs);
    json_decref(ev);
    ck_assert_int_eq(get_status(t.staff, fmt("/v1/referrals/%s", act)), 404);

    /* resuming follows the withdrawal rules: the moderator, under a covering consent */
    struct resp *r = move_to(t.sw, fmt("%s/transitions", ap), "accepted", NULL, NULL);
    ck_assert_msg(r->status == 409 && arr_has(json_object_get(r->json, "missing"), "consent"),
                  "%ld %s", r->status, r->body);
    resp_free(r);
    char again[37];
    consent(&t, t.coord, "sharing_with_partner", t.partner, again);
    MOVED(t.sw, fmt("%s/transitions", ap), "accepted", NULL, NULL);
    ck_assert_str_eq(field_of(t.coord, ap, "status"), "accepted");
}
END_TEST

TCase *tcase_task_teams_expiry(void)
{
    TCase *tc = tcase_create("expiry");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, an_expired_consent_puts_its_referrals_on_hold);
    return tc;
}
