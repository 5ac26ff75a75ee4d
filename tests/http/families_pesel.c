/* Families: PESEL uniqueness without an oracle (issue 10, point 4). Each
 * attempt to add a PESEL the tenant already holds is audited in a
 * transaction of its own; after KOOP_PESEL_DUPLICATE_LIMIT (10) of them in
 * an hour a user gets 429 for any PESEL, so counting answers tells nothing;
 * the 409 names the existing family only to whoever may see it. */
#include "families.h"

START_TEST(duplicate_pesel_attempts_are_audited_and_limited)
{
    struct fx_tenant x;
    FX_TENANT(&x, FX_SW | FX_SW2);
    /* a family the second social worker cannot see, holding the PESEL */
    char hidden[37], own[37], held[37];
    FX_FAMILY(x.admin,
              json_pack("{s:s, s:s}", "district", "Centrum", "assigned_worker_id", x.sw_id),
              hidden);
    char pes[12];
    snprintf(pes, sizeof pes, "%s", pesel(1977, 2, 11, 0));
    FX_MEMBER(x.admin, hidden, "Piotr", surname("Ukryty"), NULL, pes, "head", held);
    FX_FAMILY(x.sw2, NULL, own);
    LOCALF(mp, "/v1/families/%s/members", own);
    const char *body = js(member_doc("Piotr", surname("Ciekawski"), NULL, pes, "head"));
    char b[512];
    snprintf(b, sizeof b, "%s", body);

    /* the admin sees the family: named */
    struct resp *r = D("POST", mp, x.admin, b);
    ck_problem(r, 409, "conflict");
    ck_assert_str_eq(jstr(r->json, "existing_family_id"), hidden);
    resp_free(r);
    /* the social worker does not: not named; and each attempt is on record */
    for (int i = 0; i < 9; i++) {
        r = D("POST", mp, x.sw2, b);
        ck_problem(r, 409, "conflict");
        ck_assert_ptr_null(json_object_get(r->json, "existing_family_id"));
        ck_assert_ptr_null(strstr(r->body, hidden));
        resp_free(r);
    }
    /* a PATCH to the held PESEL counts as well (the tenth) */
    char mine[37];
    FX_MEMBER(x.sw2, own, "Adam", surname("Swojski"), NULL, NULL, "head", mine);
    r = DI("PATCH", fmt("%s/%s", mp, mine), x.sw2, fmt("{\"pesel\":\"%s\"}", pes), "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    json_t *rows = audit_rows(x.admin, fmt("actor_id=%s&resource=member", x.sw2_id));
    size_t dup = 0, i;
    const json_t *a;
    json_array_foreach(rows, i, a)
    {
        if (jint(a, "status") == 409)
            dup++;
    }
    ck_assert_msg(dup == 10, "%zu duplicate attempts audited: %s", dup, js(json_incref(rows)));
    json_decref(rows);
    rows = audit_rows(x.admin, fmt("actor_id=%s", x.admin_id));
    AUDIT_HAS(rows, "create", "member", own, 409, x.admin_id);
    json_decref(rows);

    /* the budget is spent: 429 for any PESEL, held or not, so answers tell nothing */
    r = D("POST", mp, x.sw2, b);
    ck_problem(r, 429, "too_many_requests");
    ck_assert_ptr_nonnull(resp_header(r, "Retry-After"));
    ck_assert_ptr_null(strstr(r->body, hidden));
    resp_free(r);
    r = D("POST", mp, x.sw2,
          js(member_doc("Nowa", surname("Osoba"), NULL, pesel(1990, 3, 3, 1), "spouse")));
    ck_problem(r, 429, "too_many_requests");
    resp_free(r);
    /* a member without a PESEL is still fine, and other users keep their budget */
    json_decref(
        member_new(x.sw2, own, "Ola", surname("Bezpesel"), "2010-01-01", NULL, "child", NULL));
    r = D("POST", mp, x.admin, b);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    rows = audit_rows(x.admin, fmt("actor_id=%s&resource=member", x.sw2_id));
    size_t limited = 0;
    json_array_foreach(rows, i, a)
    {
        if (jint(a, "status") == 429)
            limited++;
    }
    ck_assert_uint_eq(limited, 2);
    json_decref(rows);
}
END_TEST

TCase *tcase_families_pesel(void)
{
    TCase *tc = tcase_create("pesel");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, duplicate_pesel_attempts_are_audited_and_limited);
    return tc;
}
