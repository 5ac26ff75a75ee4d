/* Families: consents, their rules, withdrawal, expiry and filters (SPEC §6
 * Consent). */
#include "families.h"

/* ======================================================================================== 4 ====
 */

static void consent_rejected(const char *tok, const char *fam, json_t *doc, const char *field,
                             const char *code, int line)
{
    struct resp *r = call(false, "POST", fmt("/v1/families/%s/consents", fam), tok, js(doc),
                          (struct opt){0}, line);
    check_problem(r, 422, "validation_failed", __FILE__, line);
    ck_assert_msg(problem_error(r, field, code, NULL), "line %d: want %s/%s: %s", line, field,
                  code ? code : "*", r->body);
    resp_free(r);
}

START_TEST(consent_rules)
{
    char tenant[37], adm[80], adm_id[37], partner[37];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Poradnia Rodzinna", partner);
    char fam[37], other[37], adult[37], child[37], unknown[37], stranger[37];
    json_decref(family_new(adm, NULL, fam));
    json_decref(family_new(adm, NULL, other));
    const char *last = surname("Wójcik");
    json_decref(member_new(adm, fam, "Beata", last, "1980-04-04", NULL, "head", adult));
    json_decref(member_new(adm, fam, "Kuba", last, NULL, pesel(2015, 6, 1, 0), "child", child));
    json_decref(member_new(adm, fam, "Zofia", last, NULL, NULL, "grandparent", unknown));
    json_decref(
        member_new(adm, other, "Olga", surname("Mazur"), "1970-01-01", NULL, "head", stranger));
    const char *t = today();
    LOCALF(now, "%s", t);

    consent_rejected(adm, fam, consent_doc(child, "processing", NULL, now, NULL), "member_id", NULL,
                     __LINE__);
    consent_rejected(adm, fam, consent_doc(unknown, "processing", NULL, now, NULL), "member_id",
                     NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(stranger, "processing", NULL, now, NULL), "member_id",
                     NULL, __LINE__);
    /* adult on given_on: the adult was a child in 1990 */
    consent_rejected(adm, fam, consent_doc(adult, "processing", NULL, "1990-01-01", NULL),
                     "member_id", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "sharing_with_partner", NULL, now, NULL),
                     "partner_id", "required", __LINE__);
    consent_rejected(adm, fam,
                     consent_doc(adult, "sharing_with_partner", world()->partner_b, now, NULL),
                     "partner_id", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "processing", partner, now, NULL), "partner_id",
                     NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "processing", NULL, "2024-05-10", "2024-05-09"),
                     "valid_until", NULL, __LINE__);
    consent_rejected(adm, fam,
                     consent_doc(adult, "processing", NULL, fmt("%d-01-01", this_year() + 1), NULL),
                     "given_on", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "everything", NULL, now, NULL), "scope", "enum",
                     __LINE__);
    json_t *d = consent_doc(adult, "processing", NULL, now, NULL);
    json_object_set_new(d, "status", json_string("withdrawn"));
    consent_rejected(adm, fam, d, "status", "read_only", __LINE__);
    d = consent_doc(adult, "processing", NULL, now, NULL);
    json_object_set_new(d, "withdrawn_on", json_string(now));
    consent_rejected(adm, fam, d, "withdrawn_on", "read_only", __LINE__);
    consent_rejected(adm, fam, json_pack("{s:s, s:s}", "member_id", adult, "scope", "processing"),
                     "given_on", "required", __LINE__);
    LIST_IS(adm, fmt("/v1/families/%s/consents", fam), 0);

    struct resp *r = A("POST", fmt("/v1/families/%s/consents", fam), adm,
                       js(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "member_id", adult, "scope",
                                    "processing", "given_on", now, "valid_until", "2099-12-31",
                                    "purpose", "praca socjalna", "document_ref", "ZG/1/2024")));
    ck_status(r, 201);
    char c1[37];
    snprintf(c1, sizeof c1, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s/consents/%s", fam, c1));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_str_eq(jstr(r->json, "family_id"), fam);
    ck_assert_str_eq(jstr(r->json, "member_id"), adult);
    ck_assert_str_eq(jstr(r->json, "given_on"), now);
    ck_assert(json_is_null(json_object_get(r->json, "withdrawn_on")));
    resp_free(r);
    json_t *c2 = consent_new(adm, fam, adult, "sharing_with_partner", partner, now, NULL, NULL);
    ck_assert_str_eq(jstr(c2, "partner_id"), partner);
    ck_assert_str_eq(jstr(c2, "status"), "active");
    json_decref(c2);
    /* the same consent under another family is 404 */
    r = D("GET", fmt("/v1/families/%s/consents/%s", other, c1), adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = A("GET", fmt("/v1/families/%s/consents/%s", fam, c1), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "purpose"), "praca socjalna");
    resp_free(r);
    /* consents are not patched or deleted */
    r = D("DELETE", fmt("/v1/families/%s/consents/%s", fam, c1), adm, NULL);
    ck_assert_int_eq(r->status, 405);
    resp_free(r);
}
END_TEST

START_TEST(consent_withdrawal_expiry_and_filters)
{
    char tenant[37], adm[80], adm_id[37], partner[37];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Klub Sportowy", partner);
    char fam[37], adult[37];
    json_decref(family_new(adm, NULL, fam));
    json_decref(
        member_new(adm, fam, "Tomasz", surname("Kaczmarek"), "1966-10-10", NULL, "head", adult));
    LOCALF(now, "%s", today());
    char proc[37], team[37], part[37], exp[37];
    json_decref(consent_new(adm, fam, adult, "processing", NULL, now, NULL, proc));
    json_decref(consent_new(adm, fam, adult, "sharing_with_team", NULL, now, "2099-01-01", team));
    json_decref(
        consent_new(adm, fam, adult, "sharing_with_partner", partner, "2023-01-01", NULL, part));
    json_t *e = consent_new(adm, fam, adult, "processing", NULL, "2020-01-01", "2021-12-31", exp);
    ck_assert_str_eq(jstr(e, "status"), "expired");
    json_decref(e);
    /* valid_until is the last day of validity (today, in Europe/Warsaw) */
    char last_day[37];
    e = consent_new(adm, fam, adult, "sharing_with_team", NULL, "2022-02-02", now, last_day);
    ck_assert_str_eq(jstr(e, "status"), "active");
    json_decref(e);

    LOCALF(wp, "/v1/families/%s/consents/%s/withdraw", fam, team);
    struct resp *r = D("POST", wp, adm, "{\"reason\":\"x\",\"when\":\"now\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "when", "unknown_field", "body");
    resp_free(r);
    r = A("POST", wp, adm, "{\"reason\":\"rodzina rezygnuje\"}");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert_str_eq(jstr(r->json, "withdrawn_on"), now);
    ck_assert_str_eq(jstr(r->json, "withdrawal_reason"), "rodzina rezygnuje");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    char *before = record_of(fmt("/v1/families/%s/consents/%s", fam, team), adm);
    r = D("POST", wp, adm, "{}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    same_text(before, record_of(fmt("/v1/families/%s/consents/%s", fam, team), adm), "consent",
              __LINE__);
    free(before);
    /* without a body; an unknown consent */
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, part), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert(json_is_null(json_object_get(r->json, "withdrawal_reason")));
    resp_free(r);
    r = D("POST",
          fmt("/v1/families/%s/consents/0190a7d2-0000-7000-8000-00000000abcd/withdraw", fam), adm,
          "{}");
    ck_problem(r, 404, "not_found");
    resp_free(r);

    LOCALF(base, "/v1/families/%s/consents", fam);
    LIST_IS(adm, base, 5, proc, team, part, exp, last_day);
    LIST_IS(adm, fmt("%s?status=active", base), 2, proc, last_day);
    LIST_IS(adm, fmt("%s?status=withdrawn", base), 2, team, part);
    LIST_IS(adm, fmt("%s?status=expired", base), 1, exp);
    LIST_IS(adm, fmt("%s?scope=processing", base), 2, proc, exp);
    LIST_IS(adm, fmt("%s?scope=processing&status=expired", base), 1, exp);
    LIST_IS(adm, fmt("%s?scope=sharing_with_partner", base), 1, part);
    LIST_IS(adm, fmt("%s?scope=sharing_with_team&status=active", base), 1, last_day);
    LIST_IS(adm, fmt("%s?scope=sharing_with_team&status=withdrawn", base), 1, team);
    r = A("GET", fmt("/v1/families/%s/consents/%s", fam, exp), adm, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "expired");
    resp_free(r);
    r = D("GET", fmt("%s?status=revoked", base), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "query");
    resp_free(r);
    r = D("GET", fmt("%s?scope=all", base), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    /* an expired consent cannot be withdrawn twice either, but once it can */
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, exp), adm, "{}");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    resp_free(r);
}
END_TEST

TCase *tcase_families_consents(void)
{
    TCase *tc = tcase_create("consents");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, consent_rules);
    tcase_add_test(tc, consent_withdrawal_expiry_and_filters);
    return tc;
}
