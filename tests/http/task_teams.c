/* Task teams (ZZK), support plans and closed-loop referrals (SPEC §5 Task
 * teams, Referrals; §6 Task team, Goal, Action/referral; §7; §9 Transitions,
 * Consent coverage). Black box: everything is set up through the API, each
 * test in a tenant of its own (fresh_tenant) so that lists, events and PESELs
 * do not meet other suites' data. */
#include "task_teams.h"

/* ---- small helpers ---- */

/* GET through Prism; the parsed body (new reference) when 200, else NULL. */
json_t *get_json(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    json_t *j = r->status == 200 ? json_incref(r->json) : NULL;
    resp_free(r);
    return j;
}

/* The string field of GET path (copied into a rotating buffer); "" when absent/null,
 * "(status N)" when the GET is not 200. */
const char *field_of(const char *tok, const char *path, const char *key)
{
    struct resp *r = api("GET", path, tok, NULL);
    const char *out = r->status == 200 ? fmt("%s", jstr(r->json, key) ? jstr(r->json, key) : "")
                                       : fmt("(status %ld)", r->status);
    resp_free(r);
    return out;
}

/* Whether a list (all pages) visible to tok at path holds id. */
bool list_has(const char *tok, const char *path, const char *id)
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

size_t list_count(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", path, r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

bool arr_has(const json_t *arr, const char *s)
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

void tt_setup_at(struct tt *t, int line)
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

Suite *suite_task_teams(void)
{
    Suite *s = suite_create("task_teams");
    suite_add_tcase(s, tcase_task_teams_closed_loop());
    suite_add_tcase(s, tcase_task_teams_roles());
    suite_add_tcase(s, tcase_task_teams_teams());
    suite_add_tcase(s, tcase_task_teams_plans());
    suite_add_tcase(s, tcase_task_teams_referrals());
    suite_add_tcase(s, tcase_task_teams_closing());
    suite_add_tcase(s, tcase_task_teams_consent_coverage());
    suite_add_tcase(s, tcase_task_teams_audit());
    suite_add_tcase(s, tcase_task_teams_casework());
    return s;
}
