/* Task teams (ZZK), support plans and closed-loop referrals (SPEC §5 Task
 * teams, Referrals; §6 Task team, Goal, Action/referral; §7; §9 Transitions,
 * Consent coverage). Black box: everything is set up through the API, each
 * test in a tenant of its own (fresh_tenant) so that lists, events and PESELs
 * do not meet other suites' data. */
#include "client.h"
#include "steps.h"
#include "fixtures.h"
#include "pii.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* paths are built from 36-character ids into 1 KiB buffers (LOCALF) */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ---- small helpers ---- */

/* GET through Prism; the parsed body (new reference) when 200, else NULL. */
static json_t *get_json(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    json_t *j = r->status == 200 ? json_incref(r->json) : NULL;
    resp_free(r);
    return j;
}

/* The string field of GET path (copied into a rotating buffer); "" when absent/null,
 * "(status N)" when the GET is not 200. */
static const char *field_of(const char *tok, const char *path, const char *key)
{
    struct resp *r = api("GET", path, tok, NULL);
    const char *out = r->status == 200 ? fmt("%s", jstr(r->json, key) ? jstr(r->json, key) : "")
                                       : fmt("(status %ld)", r->status);
    resp_free(r);
    return out;
}

/* Whether a list (all pages) visible to tok at path holds id. */
static bool list_has(const char *tok, const char *path, const char *id)
{
    char cursor[512] = "";
    for (int page = 0; page < 100; page++) {
        const char *p =
            cursor[0] ? fmt("%s%scursor=%s", path, strchr(path, '?') ? "&" : "?", cursor) : path;
        struct resp *r = api("GET", p, tok, NULL);
        ck_assert_msg(r->status == 200, "list %s: %ld %s", p, r->status, r->body);
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            if (jstr(it, "id") && !strcmp(jstr(it, "id"), id)) {
                resp_free(r);
                return true;
            }
        }
        const char *next = jstr(r->json, "next_cursor");
        if (!next) {
            resp_free(r);
            return false;
        }
        char *enc = url_encode(next);
        snprintf(cursor, sizeof cursor, "%s", enc);
        free(enc);
        resp_free(r);
    }
    return false;
}

static size_t list_count(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", path, r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

static bool arr_has(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), s))
            return true;
    }
    return false;
}

/* The record as coordinator/admin sees it, to compare before/after a refused write. */
#define UNCHANGED(before, tok, path)                                                               \
    do {                                                                                           \
        char *after_ = record_of((path), (tok));                                                   \
        ck_assert_msg(after_ && (before) && !strcmp((before), after_),                             \
                      "line %d: a refused write changed %s:\n before %s\n after  %s", __LINE__,    \
                      (path), (before) ? (before) : "(null)", after_ ? after_ : "(null)");         \
        free(after_);                                                                              \
    } while (0)

/* ---- the world of one test: a tenant of its own (built by fixtures.h) ---- */

struct tt {
    char tenant[37], admin[80], admin_id[37];
    char coord[80], coord_id[37];
    char sw[80], sw_id[37];   /* the moderator */
    char sw2[80], sw2_id[37]; /* another social worker */
    char partner[37], partner2[37];
    char staff[80], staff_id[37];         /* staff of partner (the one on the team) */
    char staff2[80], staff2_id[37];       /* staff of partner2 (not on the team) */
    char svc[37], svc_full[37], svc2[37]; /* active: partner (3 of 5), partner (0 of 5), partner2 */
    char family[37], adult[37], child[37];
    char adult_pesel[12], child_pesel[12];
    char surname[64], rep_surname[64];
    char street[96];
};

/* The steps below are macros over the fixtures so that a failure names the test's line. */
#define make_service(t, partner, available, activate, out)                                         \
    FX_SERVICE((t)->admin, (partner), uniq("Wsparcie psychologiczne"), "psychological_support",    \
               (available), (activate), (out))
#define make_member(t, family, first, pesel, relation, out)                                        \
    FX_MEMBER((t)->coord, (family), (first), (t)->surname, NULL, (pesel), (relation), (out))
#define make_family(t, out)                                                                        \
    FX_FAMILY((t)->coord,                                                                          \
              json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "district", "Centrum", "address",         \
                        "street", (t)->street, "building", "7", "postal_code", "40-001", "city",   \
                        "Katowice"),                                                               \
              (out))
/* The adult's consent of scope (to partner, may be NULL), given by tok. */
#define consent(t, tok, scope, partner, out)                                                       \
    FX_CONSENT((tok), (t)->family, (t)->adult, (scope), (partner), NULL, "wspolpraca w ZZK", (out))
/* A team for the family, moderated by sw, as the coordinator. */
#define make_team(t, family, out) FX_TEAM((t)->coord, (family), (t)->sw_id, (out))
#define add_rep(t, team, partner, user, out)                                                       \
    FX_REP((t)->sw, (team), (partner), fmt("Jan %s", (t)->rep_surname), (user), (out))
#define make_goal(t, team, out)                                                                    \
    FX_GOAL((t)->sw, (team), "Cel: stabilizacja rodziny", "regularne wizyty", (out))
#define make_action(t, team, goal, svc, out)                                                       \
    FX_ACTION((t)->sw, (team), (goal), "Dzialanie: konsultacje", (t)->adult, (svc), (out))

/* Two partners with staff and three active services, a family (address,
 * adult head, child) and the staff roles. */
#define setup(t) setup_at((t), __LINE__)
static void setup_at(struct tt *t, int line)
{
    memset(t, 0, sizeof *t);
    struct fx_tenant x;
    fx_tenant_at(&x, FX_COORD | FX_SW | FX_SW2, line);
    memcpy(t->tenant, x.id, 37);
    memcpy(t->admin, x.admin, 80);
    memcpy(t->admin_id, x.admin_id, 37);
    memcpy(t->coord, x.coord, 80);
    memcpy(t->coord_id, x.coord_id, 37);
    memcpy(t->sw, x.sw, 80);
    memcpy(t->sw_id, x.sw_id, 37);
    memcpy(t->sw2, x.sw2, 80);
    memcpy(t->sw2_id, x.sw2_id, 37);
    make_partner(t->admin, "Poradnia Psychologiczna", t->partner);
    make_partner(t->admin, "Fundacja Obok", t->partner2);
    fx_staff_at(t->admin, t->partner, t->staff, t->staff_id, line);
    fx_staff_at(t->admin, t->partner2, t->staff2, t->staff2_id, line);
    const char *psy = "psychological_support";
    fx_service_at(t->admin, t->partner, uniq("Wsparcie psychologiczne"), psy, 3, true, t->svc,
                  line);
    fx_service_at(t->admin, t->partner, uniq("Wsparcie psychologiczne"), psy, 0, true, t->svc_full,
                  line);
    fx_service_at(t->admin, t->partner2, uniq("Wsparcie psychologiczne"), psy, 2, true, t->svc2,
                  line);
    fx_surname("Zzkowska", 'q', t->surname);
    fx_surname("Przedstawicielski", 'q', t->rep_surname);
    snprintf(t->street, sizeof t->street, "ul. Ukryta %d", (int)getpid());
    note_pii(t->street);
    fx_family_at(t->coord,
                 json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "district", "Centrum", "address",
                           "street", t->street, "building", "7", "postal_code", "40-001", "city",
                           "Katowice"),
                 t->family, line);
    make_pesel(1981, 3, 14, 1, t->adult_pesel);
    make_pesel(2016, 6, 2, 0, t->child_pesel);
    fx_member_at(t->coord, t->family, "Anna", t->surname, NULL, t->adult_pesel, "head", t->adult,
                 line);
    fx_member_at(t->coord, t->family, "Kuba", t->surname, NULL, t->child_pesel, "child", t->child,
                 line);
}

/* An active team: representative of partner (user staff), sharing_with_partner consent. */
#define active_team(t, team, consent_id)                                                           \
    do {                                                                                           \
        char rep_[37];                                                                             \
        make_team((t), (t)->family, (team));                                                       \
        add_rep((t), (team), (t)->partner, (t)->staff_id, rep_);                                   \
        consent((t), (t)->coord, "sharing_with_partner", (t)->partner, (consent_id));              \
        FX_TEAM_ACTIVE((t)->sw, (team));                                                           \
    } while (0)

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
    struct resp *r =
        api_if("PATCH", tp, t.sw2, "{\"name\":\"Przejety\"}", etag(version_of(tp, t.coord)));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = post_doc(t.sw2, fmt("%s/goals", tp), json_pack("{s:s}", "description", "cudzy cel"));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = post_doc(t.sw2, fmt("%s/members", tp),
                 json_pack("{s:s, s:s}", "kind", "social_worker", "user_id", t.sw2_id));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = move_to(t.sw2, fmt("%s/transitions", tp), "closed", NULL, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = post_doc(t.sw2, fmt("%s/plan/agree", tp), json_pack("{s:s}", "member_id", t.adult));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = move_to(t.sw2, fmt("%s/goals/%s/transitions", tp, goal), "achieved", NULL, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    /* partner staff (even on the team) never write to it */
    r = post_doc(t.staff, fmt("%s/goals", tp), json_pack("{s:s}", "description", "cel partnera"));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    UNCHANGED(before, t.coord, tp);
    free(before);
    ck_assert_uint_eq(list_count(t.coord, fmt("%s/members", tp)), nmembers);
    ck_assert_uint_eq(list_count(t.coord, fmt("%s/goals", tp)), ngoals);
    ck_assert_str_eq(field_of(t.coord, fmt("%s/goals/%s", tp, goal), "status"), "open");

    /* the moderator must be a social worker, coordinator or admin */
    before = record_of(tp, t.coord);
    r = api_if("PATCH", tp, t.sw, fmt("{\"moderator_id\":\"%s\"}", t.staff_id),
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
    json_t *m = get_json(t.staff, fmt("%s/%s", mt, meeting));
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
    /* reasons: declined and on_hold need one */
    r = move_to(t.staff, apt, "declined", NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, NULL);
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
    r = move_to(t.staff, apt, "failed", NULL, "nie przyszli");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, ap);
    free(before);
    r = move_to(t.staff, apt, "failed", "rodzina nie przychodzi", "2 z 10 wizyt");
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "failed");
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
    r = move_to(t.staff, fmt("/v1/referrals/%s/transitions", b), "declined", "brak miejsc", NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "status_reason"), "brak miejsc");
    resp_free(r);

    /* the moderator cancels, with a reason */
    LOCALF(cp, "%s/%s", acts, c);
    before = record_of(cp, t.coord);
    r = move_to(t.sw, fmt("%s/transitions", cp), "cancelled", NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, NULL);
    resp_free(r);
    UNCHANGED(before, t.coord, cp);
    free(before);
    r = move_to(t.sw, fmt("%s/transitions", cp), "cancelled", "zmiana planu", NULL);
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
    MOVED(t.sw, fmt("%s/actions/%s/transitions", tp, referred), "referred", NULL, NULL);
    MOVED(t.sw, fmt("%s/actions/%s/transitions", tp, accepted), "referred", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", accepted), "accepted", NULL, NULL);
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
    MOVED(t.sw, fmt("%s/actions/%s/transitions", tp, act), "referred", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "accepted", NULL, NULL);
    MOVED(t.staff, fmt("/v1/referrals/%s/transitions", act), "in_progress", NULL, NULL);
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

Suite *suite_task_teams(void)
{
    Suite *s = suite_create("task_teams");
    TCase *tc = tcase_create("task_teams");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, closed_loop_from_team_to_completed_referral);
    tcase_add_test(tc, each_role_sees_exactly_its_part);
    tcase_add_test(tc, one_open_team_per_family_and_none_for_a_closed_family);
    tcase_add_test(tc, only_the_moderator_coordinator_or_admin_change_the_team);
    tcase_add_test(tc, team_member_kinds_are_validated);
    tcase_add_test(tc, members_leave_by_left_on_and_never_by_delete);
    tcase_add_test(tc, meeting_attendees_are_team_members);
    tcase_add_test(tc, goals_move_once_from_open);
    tcase_add_test(tc, actions_need_an_active_service_of_the_named_partner);
    tcase_add_test(tc, referral_moves_belong_to_their_side_and_need_reasons);
    tcase_add_test(tc, closing_the_team_cancels_its_open_actions);
    tcase_add_test(tc, closing_the_family_closes_its_open_team);
    tcase_add_test(tc, an_action_without_a_service_is_the_moderators_alone);
    tcase_add_test(tc, consent_coverage_decides_what_a_partner_sees);
    tcase_add_test(tc, a_team_consent_does_not_cover_a_partner_off_the_team);
    tcase_add_test(tc, a_hold_and_resume_keep_the_referral_history);
    tcase_add_test(tc, reads_are_audited_and_events_carry_no_personal_data);
    tcase_add_test(tc, automatic_transitions_are_events_and_audited);
    suite_add_tcase(s, tc);
    return s;
}
