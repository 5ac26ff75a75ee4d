/* Families: GDPR export (with task team and plan) and anonymisation, which
 * also purges stored idempotent answers (SPEC §7 GDPR). */
#include "families.h"

/* ======================================================================================== 7 ====
 */

START_TEST(gdpr_export)
{
    const struct world *w = world();
    char tenant[37], adm[80], adm_id[37], coord[80], coord_id[37], sw[80], sw_id[37], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "coordinator", NULL, coord, coord_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    make_user(adm, "auditor", NULL, aud, NULL);
    char fam[37], m1[37], m2[37], c1[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:{s:s}, s:[{s:s}]}", "assigned_worker_id", sw_id, "address", "street",
                     surname("ul. Eksportowa "), "problems", "code", "disability")),
        fam));
    const char *last = surname("Pawłowska");
    const char *p = pesel(1988, 7, 17, 1);
    json_decref(member_new(adm, fam, "Marta", last, NULL, p, "head", m1));
    json_decref(member_new(adm, fam, "Staś", last, "2019-01-01", NULL, "child", m2));
    json_decref(consent_new(adm, fam, m1, "processing", NULL, today(), NULL, c1));
    struct resp *r = A("GET", "/v1/families", adm, NULL); /* a list read naming the family */
    ck_status(r, 200);
    resp_free(r);

    LOCALF(ep, "/v1/families/%s/export", fam);
    r = A("GET", ep, adm, NULL);
    ck_status(r, 200);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Content-Type"), "application/json"));
    json_t *x = r->json;
    ck_assert_str_eq(jstr(json_object_get(x, "family"), "id"), fam);
    static const char *const arrays[] = {"members", "consents",  "task_teams",
                                         "plans",   "referrals", "access_log"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(json_is_array(json_object_get(x, arrays[i])), "export lacks %s: %s",
                      arrays[i], r->body);
    const json_t *members = json_object_get(x, "members");
    ck_assert_int_eq(json_array_size(members), 2);
    ck_assert(has_id(members, m1) && has_id(members, m2));
    ck_assert_ptr_nonnull(strstr(r->body, p));
    ck_assert_int_eq(json_array_size(json_object_get(x, "consents")), 1);
    ck_assert(has_id(json_object_get(x, "consents"), c1));
    const json_t *log = json_object_get(x, "access_log");
    /* the export itself, the creations, the list read naming the family */
    ck_assert_msg(audit_find(log, "export", "family", fam, 200, adm_id, NULL),
                  "access_log lacks the export: %s", r->body);
    ck_assert_msg(audit_find(log, "create", "family", fam, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "create", "member", m1, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "create", "consent", c1, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "read", "family", NULL, 200, adm_id, NULL),
                  "access_log lacks the list read: %s", r->body);
    resp_free(r);
    json_t *rows = audit_rows(adm, fmt("resource_id=%s&action=export", fam));
    AUDIT_HAS(rows, "export", "family", fam, 200, adm_id);
    json_decref(rows);

    /* the coordinator may export too; its own export is in its log */
    r = A("GET", ep, coord, NULL);
    ck_status(r, 200);
    ck_assert_msg(audit_find(json_object_get(r->json, "access_log"), "export", "family", fam, 200,
                             coord_id, NULL),
                  "%s", r->body);
    resp_free(r);
    /* nobody else */
    const char *no[] = {sw, aud, w->platform, w->analyst};
    for (size_t i = 0; i < 4; i++) {
        r = D("GET", ep, no[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    r = D("GET", ep, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", "/v1/families/0190a7d2-0000-7000-8000-00000000abcd/export", adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", fmt("%s?format=pdf", ep), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    rows = audit_rows(adm, fmt("resource_id=%s", fam));
    /* (the router records a refused role under the route's action: export) */
    ck_assert_msg(audit_find(rows, NULL, "family", fam, 403, sw_id, NULL), "denied export");
    json_decref(rows);
}
END_TEST

/* Everything held about the family includes its task team and plan. */
START_TEST(gdpr_export_includes_task_team_and_plan)
{
    struct fx_tenant x;
    FX_TENANT(&x, 0);
    const char *adm = x.admin, *adm_id = x.admin_id;
    /* a whole family (head, spouse, child, a processing consent) */
    struct fx_family f;
    FX_FAMILY_WORLD(adm, NULL, &f);
    const char *fam = f.id;
    char team[37], goal[37];
    FX_TEAM(adm, fam, adm_id, team);
    FX_GOAL(adm, team, "Podjęcie pracy", NULL, goal);
    struct resp *r = A("GET", fmt("/v1/families/%s/export", fam), adm, NULL);
    ck_status(r, 200);
    ck_assert_msg(has_id(json_object_get(r->json, "task_teams"), team),
                  "the export omits the family's task team %s: task_teams=%s", team,
                  js(json_incref(json_object_get(r->json, "task_teams"))));
    ck_assert_msg(strstr(js(json_incref(json_object_get(r->json, "plans"))), goal),
                  "the export omits the plan's goal %s: plans=%s", goal,
                  js(json_incref(json_object_get(r->json, "plans"))));
    const json_t *members = json_object_get(r->json, "members");
    ck_assert_msg(json_array_size(members) == 3 && has_id(members, f.head) &&
                      has_id(members, f.spouse) && has_id(members, f.child),
                  "the export's members: %s", js(json_incref((json_t *)members)));
    ck_assert(has_id(json_object_get(r->json, "consents"), f.consent));
    resp_free(r);
}
END_TEST

START_TEST(gdpr_anonymize)
{
    char tenant[37], adm[80], adm_id[37], coord[80], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "coordinator", NULL, coord, NULL);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    const char *street = surname("ul. Zapomniana ");
    LOCALF(st, "%s", street);
    const char *ext = surname("OPS-");
    LOCALF(ex, "%s", ext);
    char fam[37], m1[37], m2[37], c1[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:[{s:s, s:s}, {s:s}], s:i}", "district",
                     "Wola", "assigned_worker_id", sw_id, "address", "street", st, "city", "Łódź",
                     "external_ref", ex, "problems", "code", "addiction", "notes",
                     "terapia odwykowa", "code", "debt", "generations", 2)),
        fam));
    LOCALF(fp, "/v1/families/%s", fam);
    const char *last = surname("Jabłońska");
    LOCALF(ln, "%s", last);
    const char *p = pesel(1983, 5, 20, 1);
    char pes[12];
    snprintf(pes, sizeof pes, "%s", p);
    json_decref(member_new(adm, fam, "Renata", ln, NULL, pes, "head", m1));
    json_decref(member_new(adm, fam, "Igor", ln, "2012-09-09", NULL, "child", m2));
    struct resp *r = A("POST", fmt("%s/consents", fp), adm,
                       js(json_pack("{s:s, s:s, s:s, s:s, s:s}", "member_id", m1, "scope",
                                    "processing", "given_on", today(), "purpose",
                                    "wsparcie asystenta", "document_ref", "ZG/7")));
    ck_status(r, 201);
    snprintf(c1, sizeof c1, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = A("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    long long v = version_of(fp, adm);
    LOCALF(ap, "/v1/families/%s/anonymize", fam);

    /* who and how */
    char *before = fam_text(adm, fam);
    r = DI("POST", ap, coord, NULL, etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = DI("POST", ap, sw, NULL, etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("POST", ap, adm, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("POST", ap, adm, NULL, etag(v - 1));
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("POST", ap, adm, "{\"keep\":true}", etag(v));
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, fam, before);
    free(before);
    json_t *ml = list_all(adm, fmt("%s/members", fp));
    ck_assert_str_eq(jstr(json_array_get(ml, 0), "pesel"), pes);
    json_decref(ml);

    r = AI("POST", ap, adm, NULL, etag(v));
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), fmt("\"%lld\"", v + 1));
    ck_assert(json_is_true(json_object_get(r->json, "anonymized")));
    ck_assert(json_is_null(json_object_get(r->json, "address")));
    ck_assert(json_is_null(json_object_get(r->json, "external_ref")));
    ck_assert_str_eq(jstr(r->json, "status"), "diagnosed");
    ck_assert_str_eq(jstr(r->json, "district"), "Wola");
    ck_assert_int_eq(jint(r->json, "generations"), 2);
    ck_assert_int_eq(jint(r->json, "members_count"), 2);
    const json_t *probs = json_object_get(r->json, "problems");
    ck_assert_int_eq(json_array_size(probs), 2);
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "code"), "addiction");
    ck_assert(json_is_null(json_object_get(json_array_get(probs, 0), "notes")));
    ck_assert_str_eq(jstr(json_array_get(probs, 1), "code"), "debt");
    resp_free(r);

    /* members: no names, PESEL or birth date; birth year, sex, relation stay */
    r = A("GET", fmt("%s/members/%s", fp, m1), adm, NULL);
    ck_status(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "first_name")));
    ck_assert(json_is_null(json_object_get(r->json, "last_name")));
    ck_assert(json_is_null(json_object_get(r->json, "pesel")));
    ck_assert(json_is_null(json_object_get(r->json, "birth_date")));
    ck_assert_int_eq(jint(r->json, "birth_year"), 1983);
    ck_assert_str_eq(jstr(r->json, "sex"), "female");
    ck_assert_str_eq(jstr(r->json, "relation"), "head");
    resp_free(r);
    r = A("GET", fmt("%s/members/%s", fp, m2), adm, NULL);
    ck_assert_int_eq(jint(r->json, "birth_year"), 2012);
    ck_assert(json_is_null(json_object_get(r->json, "last_name")));
    resp_free(r);
    r = A("GET", fmt("%s/consents/%s", fp, c1), adm, NULL);
    ck_status(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "purpose")));
    ck_assert(json_is_null(json_object_get(r->json, "document_ref")));
    ck_assert_str_eq(jstr(r->json, "scope"), "processing");
    resp_free(r);
    /* nothing personal remains anywhere the admin can read */
    r = A("GET", fmt("%s/export", fp), adm, NULL);
    ck_status(r, 200);
    ck_assert_msg(!strstr(r->body, ln) && !strstr(r->body, pes) && !strstr(r->body, st) &&
                      !strstr(r->body, ex) && !strstr(r->body, "terapia") &&
                      !strstr(r->body, "Renata") && !strstr(r->body, "wsparcie asystenta"),
                  "the export after anonymisation holds personal data: %s", r->body);
    resp_free(r);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(ln)), 0);
    LIST_IS(adm, "/v1/families?status=diagnosed&problem=addiction", 1, fam);

    /* the record is closed to changes */
    before = fam_text(adm, fam);
    char *mbefore = list_text(adm, fmt("%s/members", fp));
    char *cbefore = list_text(adm, fmt("%s/consents", fp));
    long long v2 = version_of(fp, adm);
    r = DI("PATCH", fp, adm, "{\"district\":\"Mokotów\"}", etag(v2));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/members", fp), adm,
          js(member_doc("Nowa", surname("Osoba"), NULL, NULL, "other")));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = DI("PATCH", fmt("%s/members/%s", fp, m1), adm, "{\"first_name\":\"Renata\"}", "\"2\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"in_support\"}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/consents", fp), adm,
          js(consent_doc(m1, "processing", NULL, today(), NULL)));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = DI("POST", ap, adm, NULL, etag(v2));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    FAM_UNCHANGED(adm, fam, before);
    LIST_UNCHANGED(adm, fmt("%s/members", fp), mbefore);
    LIST_UNCHANGED(adm, fmt("%s/consents", fp), cbefore);
    free(before);
    json_t *rows = audit_rows(adm, fmt("resource_id=%s&action=anonymize", fam));
    AUDIT_HAS(rows, "anonymize", "family", fam, 200, adm_id);
    json_decref(rows);

    /* the PESEL is free again in the tenant */
    char fam2[37];
    json_decref(family_new(adm, NULL, fam2));
    json_t *mm = member_new(adm, fam2, "Renata", ln, NULL, pes, "head", NULL);
    ck_assert_str_eq(jstr(mm, "pesel"), pes);
    json_decref(mm);
}
END_TEST

/* SPEC §9: anonymising a family purges stored responses that held its data.
 * Actual behaviour asserted: a retry of the family's creation with the same
 * key and body is no replay; it creates a new family. A retry of a member's
 * creation meets the closed (anonymised) family: 409 without personal data. */
START_TEST(gdpr_anonymize_purges_idempotent_responses)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *street = surname("ul. Pamiętna ");
    LOCALF(st, "%s", street);
    char body[1024];
    snprintf(body, sizeof body, "%s",
             js(json_pack("{s:{s:s, s:s}, s:s}", "address", "street", st, "city", "Gdańsk",
                          "district", "Oliwa")));
    char key[64], mkey[64];
    snprintf(key, sizeof key, "anon-fam-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(mkey, sizeof mkey, "anon-mem-%d-%ld", (int)getpid(), (long)time(NULL));
    struct resp *r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    char fam[37];
    snprintf(fam, sizeof fam, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    ck_assert_str_eq(jstr(r->json, "id"), fam);
    resp_free(r);
    const char *last = surname("Kowalewska");
    LOCALF(ln, "%s", last);
    const char *p = pesel(1990, 10, 10, 1);
    char pes[12];
    snprintf(pes, sizeof pes, "%s", p);
    char mbody[512];
    snprintf(mbody, sizeof mbody, "%s", js(member_doc("Irena", ln, NULL, pes, "head")));
    LOCALF(mp, "/v1/families/%s/members", fam);
    r = AK("POST", mp, adm, mbody, mkey);
    ck_status(r, 201);
    resp_free(r);
    r = AK("POST", mp, adm, mbody, mkey);
    ck_status(r, 201);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);

    r = AI("POST", fmt("/v1/families/%s/anonymize", fam), adm, NULL, "\"1\"");
    ck_status(r, 200);
    resp_free(r);

    /* the family's creation: no replay of the old personal data */
    r = AK("POST", "/v1/families", adm, body, key);
    ck_assert_msg(!(strstr(r->body, fam) && strstr(r->body, st)),
                  "the purged response was replayed with the old address: %s", r->body);
    ck_assert_msg(r->status == 201, "retry after anonymisation: %ld %s", r->status, r->body);
    ck_assert_msg(!resp_header(r, "Idempotent-Replayed"), "a replay after anonymisation: %s",
                  r->body);
    ck_assert_str_ne(jstr(r->json, "id"), fam);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    char fresh[37];
    snprintf(fresh, sizeof fresh, "%s", jstr(r->json, "id"));
    resp_free(r);
    /* and from now on that key replays the new family */
    r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    ck_assert_str_eq(jstr(r->json, "id"), fresh);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);
    /* the member's creation: not replayed (names, PESEL); the family is closed */
    r = call(true, "POST", mp, adm, mbody, (struct opt){.idem = mkey}, __LINE__);
    ck_assert_msg(!strstr(r->body, pes) && !strstr(r->body, ln),
                  "the member's purged response was replayed: %s", r->body);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 2, fam, fresh);
}
END_TEST

TCase *tcase_families_gdpr(void)
{
    TCase *tc = tcase_create("gdpr");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gdpr_export);
    tcase_add_test(tc, gdpr_export_includes_task_team_and_plan);
    tcase_add_test(tc, gdpr_anonymize);
    tcase_add_test(tc, gdpr_anonymize_purges_idempotent_responses);
    return tc;
}
