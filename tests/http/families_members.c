/* Families: members, their PESEL rules (check digit, birth date, sex, one per
 * tenant, also under concurrency), patch and delete (SPEC §6 Member). */
#include "families.h"

/* ======================================================================================== 3 ====
 */

static void member_rejected(const char *tok, const char *fam, json_t *doc, const char *field,
                            const char *code, int line)
{
    struct resp *r = call(false, "POST", fmt("/v1/families/%s/members", fam), tok, js(doc),
                          (struct opt){0}, line);
    check_problem(r, 422, "validation_failed", __FILE__, line);
    ck_assert_msg(problem_error(r, field, code, "body"), "line %d: want %s/%s: %s", line, field,
                  code ? code : "*", r->body);
    resp_free(r);
}

START_TEST(member_pesel_rules)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char fam[37];
    json_decref(family_new(adm, NULL, fam));
    const char *last = surname("Wiśniewski");

    /* check digit */
    const char *good = pesel(1985, 3, 14, 0);
    char badsum[12];
    snprintf(badsum, sizeof badsum, "%s", good);
    badsum[10] = (char)('0' + (badsum[10] - '0' + 1) % 10);
    pii(badsum);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, badsum, "head"), "pesel", "checksum",
                    __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, "8503141234", "head"), "pesel",
                    "format", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, "8503141234a", "head"), "pesel",
                    "format", __LINE__);
    /* a valid check digit over an impossible date: 30 February, month 13 */
    member_rejected(adm, fam, member_doc("Jan", last, NULL, pesel(1990, 2, 30, 0), "head"), "pesel",
                    "invalid", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, pesel(1990, 13, 1, 0), "head"), "pesel",
                    "invalid", __LINE__);
    /* PESEL against birth_date (also the century) and sex */
    member_rejected(adm, fam, member_doc("Jan", last, "1985-03-15", good, "head"), "pesel", NULL,
                    __LINE__);
    const char *kid = pesel(2010, 5, 3, 1);
    member_rejected(adm, fam, member_doc("Ola", last, "1910-05-03", kid, "child"), "pesel", NULL,
                    __LINE__);
    json_t *d = member_doc("Jan", last, NULL, good, "head");
    json_object_set_new(d, "sex", json_string("female"));
    member_rejected(adm, fam, d, "pesel", NULL, __LINE__);
    /* birth date in the future */
    member_rejected(adm, fam,
                    member_doc("Jan", last, fmt("%d-01-01", this_year() + 1), NULL, "head"),
                    "birth_date", NULL, __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, "1985-02-30", NULL, "head"), "birth_date",
                    NULL, __LINE__);
    /* required and enumerated fields; read-only ones */
    member_rejected(adm, fam, json_pack("{s:s, s:s}", "first_name", "Jan", "relation", "head"),
                    "last_name", "required", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, NULL, "cousin"), "relation", "enum",
                    __LINE__);
    d = member_doc("Jan", last, NULL, NULL, "head");
    json_object_set_new(d, "birth_year", json_integer(1985));
    member_rejected(adm, fam, d, "birth_year", "read_only", __LINE__);
    d = member_doc("Jan", last, NULL, NULL, "head");
    json_object_set_new(d, "family_id", json_string(fam));
    member_rejected(adm, fam, d, "family_id", "read_only", __LINE__);
    LIST_IS(adm, fmt("/v1/families/%s/members", fam), 0);
    struct resp *r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 0);
    resp_free(r);

    /* valid: birth date and sex come from the PESEL, with the century encoded in the month */
    ck_assert_int_eq((kid[2] - '0') * 10 + (kid[3] - '0'), 25);
    json_t *m = member_new(adm, fam, "Ola", last, NULL, kid, "child", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "2010-05-03");
    ck_assert_int_eq(jint(m, "birth_year"), 2010);
    ck_assert_str_eq(jstr(m, "sex"), "female");
    ck_assert_str_eq(jstr(m, "pesel"), kid);
    ck_assert(json_is_false(json_object_get(m, "adult")));
    json_decref(m);
    const char *girl = pesel(2005, 12, 31, 1);
    ck_assert_int_eq((girl[2] - '0') * 10 + (girl[3] - '0'), 32);
    m = member_new(adm, fam, "Ada", last, "2005-12-31", girl, "child", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "2005-12-31");
    json_decref(m);
    const char *old = pesel(1899, 7, 1, 0);
    ck_assert_int_eq((old[2] - '0') * 10 + (old[3] - '0'), 87);
    m = member_new(adm, fam, "Józef", last, NULL, old, "grandparent", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "1899-07-01");
    json_decref(m);
    m = member_new(adm, fam, "Jan", last, "1985-03-14", good, "head", NULL);
    ck_assert_str_eq(jstr(m, "sex"), "male");
    ck_assert(json_is_true(json_object_get(m, "adult")));
    json_decref(m);
    r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 4);
    resp_free(r);
    /* a PESEL whose encoded birth date lies in the future (no birth_date sent): the same rule
     * as for birth_date */
    member_rejected(adm, fam,
                    member_doc("Jan", last, NULL, pesel(this_year() + 1, 1, 15, 0), "child"),
                    "pesel", NULL, __LINE__);
    r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 4);
    resp_free(r);
}
END_TEST

START_TEST(member_pesel_unique_per_tenant)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char fa[37], fb[37], fw[37];
    json_decref(family_new(adm, NULL, fa));
    json_decref(family_new(adm, NULL, fb));
    json_decref(family_new(sw, NULL, fw)); /* the social worker's own */
    const char *last = surname("Kamińska");
    const char *p = pesel(1979, 9, 9, 1);
    char ma[37];
    json_decref(member_new(adm, fa, "Ewa", last, NULL, p, "head", ma));
    char *lb = list_text(adm, fmt("/v1/families/%s/members", fb));
    char *lw = list_text(adm, fmt("/v1/families/%s/members", fw));

    /* admin: 409 pointing at the family */
    struct resp *r = D("POST", fmt("/v1/families/%s/members", fb), adm,
                       js(member_doc("Ewa", last, NULL, p, "head")));
    ck_problem(r, 409, "conflict");
    ck_assert_str_eq(jstr(r->json, "existing_family_id"), fa);
    resp_free(r);
    /* a social worker who cannot see that family: 409 without it */
    r = D("POST", fmt("/v1/families/%s/members", fw), sw,
          js(member_doc("Ewa", last, NULL, p, "head")));
    ck_problem(r, 409, "conflict");
    ck_assert_msg(!json_object_get(r->json, "existing_family_id"), "leaks the family: %s", r->body);
    ck_assert_ptr_null(strstr(r->body, fa));
    resp_free(r);
    /* and the same through a PATCH of another member */
    char mw[37];
    json_decref(member_new(sw, fw, "Adam", surname("Nowicki"), NULL, NULL, "head", mw));
    free(lw);
    lw = list_text(adm, fmt("/v1/families/%s/members", fw));
    r = DI("PATCH", fmt("/v1/families/%s/members/%s", fw, mw), sw,
           js(json_pack("{s:s}", "pesel", p)), "\"1\"");
    ck_problem(r, 409, "conflict");
    ck_assert_ptr_null(json_object_get(r->json, "existing_family_id"));
    resp_free(r);
    /* a member cannot be moved by PATCH */
    r = DI("PATCH", fmt("/v1/families/%s/members/%s", fa, ma), adm,
           js(json_pack("{s:s}", "family_id", fb)), "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "read_only", "body");
    resp_free(r);
    LIST_UNCHANGED(adm, fmt("/v1/families/%s/members", fb), lb);
    LIST_UNCHANGED(adm, fmt("/v1/families/%s/members", fw), lw);
    LIST_IS(adm, fmt("/v1/families/%s/members", fa), 1, ma);

    /* the same PESEL in another tenant is fine */
    char other[37];
    const char *admb = world()->admin_b;
    json_decref(family_new(admb, NULL, other));
    json_decref(member_new(admb, other, "Ewa", last, NULL, p, "head", NULL));

    /* one family at a time: once removed from fa, the person may join fb */
    r = AI("DELETE", fmt("/v1/families/%s/members/%s", fa, ma), adm, NULL, "\"1\"");
    ck_status(r, 204);
    resp_free(r);
    r = A("POST", fmt("/v1/families/%s/members", fb), adm,
          js(member_doc("Ewa", last, NULL, p, "head")));
    ck_status(r, 201);
    char mb[37];
    snprintf(mb, sizeof mb, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s/members/%s", fb, mb));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    resp_free(r);
    /* a PATCH that keeps the member's own PESEL is no duplicate */
    r = AI("PATCH", fmt("/v1/families/%s/members/%s", fb, mb), adm,
           js(json_pack("{s:s, s:s}", "first_name", "Ewelina", "pesel", p)), "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "pesel"), p);
    resp_free(r);
}
END_TEST

static void *par_member_fn(void *p)
{
    struct par_member *a = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/families/%s/members", a->fam);
    pthread_barrier_wait(a->bar);
    struct resp *r = direct("POST", path, a->tok, a->body, NULL);
    a->status = r->status;
    resp_free(r);
    return NULL;
}

START_TEST(member_pesel_unique_under_concurrency)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    enum { N = 8 };
    char fams[N][37];
    for (int i = 0; i < N; i++)
        json_decref(family_new(adm, NULL, fams[i]));
    char body[512];
    snprintf(body, sizeof body, "%s",
             js(member_doc("Piotr", surname("Zieliński"), NULL, pesel(1970, 1, 20, 0), "head")));
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, N);
    struct par_member args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct par_member){.tok = adm, .fam = fams[i], .body = body, .bar = &bar};
        pthread_create(&th[i], NULL, par_member_fn, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    int created = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        if (args[i].status == 201)
            created++;
        else if (args[i].status == 409)
            conflicts++;
        else
            ck_abort_msg("member %d: status %ld", i, args[i].status);
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(conflicts, N - 1);
    int members = 0;
    for (int i = 0; i < N; i++) {
        json_t *l = list_all(adm, fmt("/v1/families/%s/members", fams[i]));
        members += (int)json_array_size(l);
        json_decref(l);
    }
    ck_assert_int_eq(members, 1);
}
END_TEST

START_TEST(member_patch_and_delete)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char fam[37], m[37], g[37];
    json_decref(family_new(adm, NULL, fam));
    const char *last = surname("Lewandowski");
    json_decref(member_new(adm, fam, "Marek", last, "1975-06-01", NULL, "head", m));
    json_decref(member_new(adm, fam, "Anna", last, "1977-02-02", NULL, "spouse", g));
    LOCALF(mp, "/v1/families/%s/members/%s", fam, m);
    LOCALF(gp, "/v1/families/%s/members/%s", fam, g);
    char *before = record_of(mp, adm);
    struct resp *r = D("PATCH", mp, adm, "{\"first_name\":\"Mariusz\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"first_name\":\"Mariusz\"}", "\"3\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"adult\":false}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "adult", "read_only", "body");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"last_name\":null}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    same_text(before, record_of(mp, adm), "member", __LINE__);
    free(before);
    r = AI("PATCH", mp, adm, "{\"first_name\":\"Mariusz\",\"generation\":2}", "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_str_eq(jstr(r->json, "first_name"), "Mariusz");
    ck_assert_str_eq(jstr(r->json, "last_name"), last);
    ck_assert_str_eq(jstr(r->json, "birth_date"), "1975-06-01");
    resp_free(r);

    /* DELETE needs a current If-Match */
    before = record_of(mp, adm);
    r = D("DELETE", mp, adm, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("DELETE", mp, adm, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    same_text(before, record_of(mp, adm), "member", __LINE__);
    free(before);
    r = AI("DELETE", mp, adm, NULL, "\"2\"");
    ck_status(r, 204);
    ck_assert_int_eq((int)r->len, 0);
    resp_free(r);
    r = D("GET", mp, adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("DELETE", mp, adm, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    LIST_IS(adm, fmt("/v1/families/%s/members", fam), 1, g);

    /* a member who gave a consent stays */
    json_decref(consent_new(adm, fam, g, "processing", NULL, today(), NULL, NULL));
    before = record_of(gp, adm);
    r = DI("DELETE", gp, adm, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    same_text(before, record_of(gp, adm), "member", __LINE__);
    free(before);
    /* a member of another family is not reachable under this one */
    char fam2[37];
    json_decref(family_new(adm, NULL, fam2));
    r = D("GET", fmt("/v1/families/%s/members/%s", fam2, g), adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("DELETE", fmt("/v1/families/%s/members/%s", fam2, g), adm, NULL, "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

TCase *tcase_families_members(void)
{
    TCase *tc = tcase_create("members");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, member_pesel_rules);
    tcase_add_test(tc, member_pesel_unique_per_tenant);
    tcase_add_test(tc, member_pesel_unique_under_concurrency);
    tcase_add_test(tc, member_patch_and_delete);
    return tc;
}
