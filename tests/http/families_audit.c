/* Families: every read and write of personal data is audited; events carry
 * none of it (SPEC §7). */
#include "families.h"

/* ======================================================================================== 6 ====
 */

static int audit_count(const char *tok, const char *query)
{
    json_t *rows = audit_rows(tok, query);
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return n;
}

START_TEST(audit_records_family_reads_and_writes)
{
    char tenant[37], adm[80], adm_id[37], aud[80], aud_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "auditor", NULL, aud, aud_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char fam[37], m[37], c[37];
    json_decref(family_new(adm, NULL, fam));
    LOCALF(fp, "/v1/families/%s", fam);

    /* create, get, patch, transition */
    json_t *rows = audit_rows(aud, fmt("resource=family&resource_id=%s", fam));
    AUDIT_HAS(rows, "create", "family", fam, 201, adm_id);
    json_decref(rows);
    const char *rid = uniq("audit-get");
    char rid1[64];
    snprintf(rid1, sizeof rid1, "%s", rid);
    for (char *p = rid1; *p; p++)
        if (*p == ' ')
            *p = '-';
    struct resp *r = AR("GET", fp, adm, NULL, rid1);
    ck_status(r, 200);
    resp_free(r);
    rows = audit_rows(adm, fmt("resource=family&resource_id=%s", fam));
    const json_t *row = audit_find(rows, "read", "family", fam, 200, adm_id, rid1);
    ck_assert_msg(row, "no audit row for the GET: %s", js(json_incref(rows)));
    ck_assert_ptr_nonnull(jstr(row, "occurred_at"));
    ck_assert_ptr_nonnull(jstr(row, "token_id"));
    json_decref(rows);
    r = AI("PATCH", fp, adm, "{\"district\":\"Ochota\"}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", fam));
    AUDIT_HAS(rows, "update", "family", fam, 200, adm_id);
    AUDIT_HAS(rows, "transition", "family", fam, 200, adm_id);
    json_decref(rows);

    /* a list read writes exactly one row, without a resource_id */
    for (int i = 0; i < 3; i++) {
        int before = audit_count(aud, "resource=family");
        char lrid[64];
        snprintf(lrid, sizeof lrid, "audit-list-%d-%d", (int)getpid(), i);
        r = AR("GET", i == 2 ? "/v1/families?status=diagnosed" : "/v1/families", adm, NULL, lrid);
        ck_status(r, 200);
        resp_free(r);
        ck_assert_int_eq(audit_count(aud, "resource=family"), before + 1);
        rows = audit_rows(aud, "resource=family");
        row = json_array_get(rows, 0);
        ck_assert_str_eq(jstr(row, "action"), "read");
        ck_assert_msg(json_is_null(json_object_get(row, "resource_id")), "%s",
                      js(json_incref((json_t *)row)));
        ck_assert_int_eq(jint(row, "status"), 200);
        ck_assert_str_eq(jstr(row, "request_id"), lrid);
        ck_assert_str_eq(jstr(row, "actor_id"), adm_id);
        json_decref(rows);
    }

    /* denied accesses: 404 for an unassigned social worker, 403 for the auditor */
    r = D("GET", fp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("PATCH", fp, sw, "{\"district\":\"X\"}", etag(version_of(fp, adm)));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", fp, aud, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("GET", "/v1/families", aud, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    rows = audit_rows(adm, fmt("resource_id=%s", fam));
    AUDIT_HAS(rows, "read", "family", fam, 404, sw_id);
    AUDIT_HAS(rows, "update", "family", fam, 404, sw_id);
    AUDIT_HAS(rows, "read", "family", fam, 403, aud_id);
    json_decref(rows);
    rows = audit_rows(adm, fmt("actor_id=%s", aud_id));
    AUDIT_HAS(rows, "read", "family", NULL, 403, aud_id);
    json_decref(rows);

    /* members */
    json_decref(
        member_new(adm, fam, "Halina", surname("Dąbrowska"), "1960-03-03", NULL, "head", m));
    LOCALF(mp, "/v1/families/%s/members/%s", fam, m);
    r = A("GET", mp, adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    r = AI("PATCH", mp, adm, "{\"generation\":1}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = D("GET", mp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", m));
    AUDIT_HAS(rows, "create", "member", m, 201, adm_id);
    AUDIT_HAS(rows, "read", "member", m, 200, adm_id);
    AUDIT_HAS(rows, "update", "member", m, 200, adm_id);
    AUDIT_HAS(rows, "read", "member", m, 404, sw_id);
    json_decref(rows);
    int before = audit_count(aud, "resource=member");
    r = A("GET", fmt("%s/members", fp), adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    ck_assert_int_eq(audit_count(aud, "resource=member"), before + 1);
    rows = audit_rows(aud, "resource=member");
    AUDIT_HAS(rows, "read", "member", NULL, 200, adm_id);
    json_decref(rows);
    r = D("GET", fmt("%s/members", fp), sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("actor_id=%s", sw_id));
    ck_assert_msg(audit_find(rows, "read", "member", "*", 404, sw_id, NULL), "denied member list");
    json_decref(rows);

    /* consents */
    json_decref(consent_new(adm, fam, m, "processing", NULL, today(), NULL, c));
    LOCALF(cp, "/v1/families/%s/consents/%s", fam, c);
    r = A("GET", cp, adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("%s/withdraw", cp), adm, "{}");
    ck_status(r, 200);
    resp_free(r);
    r = D("GET", cp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", c));
    AUDIT_HAS(rows, "create", "consent", c, 201, adm_id);
    AUDIT_HAS(rows, "read", "consent", c, 200, adm_id);
    AUDIT_HAS(rows, "update", "consent", c, 200, adm_id);
    AUDIT_HAS(rows, "read", "consent", c, 404, sw_id);
    json_decref(rows);
    before = audit_count(aud, "resource=consent");
    r = A("GET", fmt("%s/consents", fp), adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    ck_assert_int_eq(audit_count(aud, "resource=consent"), before + 1);

    /* a member's deletion */
    char m2[37];
    json_decref(member_new(adm, fam, "Kasia", surname("Dąbrowska"), NULL, NULL, "child", m2));
    r = AI("DELETE", fmt("%s/members/%s", fp, m2), adm, NULL, "\"1\"");
    ck_status(r, 204);
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", m2));
    AUDIT_HAS(rows, "delete", "member", m2, 204, adm_id);
    json_decref(rows);

    /* nobody changes the audit log, and others may not read it */
    r = D("GET", "/v1/audit-events", sw, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("DELETE", "/v1/audit-events", adm, NULL);
    ck_assert_int_eq(r->status, 405);
    resp_free(r);
}
END_TEST

START_TEST(events_carry_no_personal_data)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37], sw2[80], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    make_user(adm, "social_worker", NULL, sw2, NULL);
    make_user(adm, "auditor", NULL, aud, NULL);
    long long after = last_event_id(adm);
    ck_assert_int_ge(after, 0);
    const char *street = surname("ul. Sekretna ");
    LOCALF(st, "%s", street);
    const char *ext = surname("POMOST-");
    char fam[37], m[37], c[37];
    json_decref(family_new(adm,
                           js(json_pack("{s:{s:s}, s:s, s:s, s:[{s:s, s:s}]}", "address", "street",
                                        st, "external_ref", ext, "assigned_worker_id", sw_id,
                                        "problems", "code", "addiction", "notes", "alkohol")),
                           fam));
    const char *last = surname("Grabowski");
    const char *p = pesel(1958, 11, 30, 0);
    json_decref(member_new(adm, fam, "Zenon", last, NULL, p, "head", m));
    struct resp *r = AI("PATCH", fmt("/v1/families/%s/members/%s", fam, m), adm,
                        js(json_pack("{s:s}", "last_name", surname("Grabowski-Nowy"))), "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    json_decref(consent_new(adm, fam, m, "processing", NULL, today(), NULL, c));
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, c), adm, "{}");
    ck_status(r, 200);
    resp_free(r);
    r = AI("PATCH", fmt("/v1/families/%s", fam), adm, "{\"district\":\"Bielany\"}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("/v1/families/%s/transitions", fam), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    r = AI("POST", fmt("/v1/families/%s/anonymize", fam), adm, NULL, "\"3\"");
    ck_status(r, 200);
    resp_free(r);

    r = A("GET", fmt("/v1/events?after=%lld&limit=200", after), adm, NULL);
    ck_status(r, 200);
    const char *leak = pii_in(r->body);
    ck_assert_msg(!leak, "the event feed holds personal data: %s", r->body);
    ck_assert_ptr_null(strstr(r->body, "alkohol"));
    static const char *const want[][2] = {
        {"family.created", "family"},     {"member.created", "member"},
        {"member.updated", "member"},     {"consent.created", "consent"},
        {"consent.withdrawn", "consent"}, {"family.updated", "family"},
        {"family.diagnosed", "family"},   {"family.anonymized", "family"}};
    const json_t *items = json_object_get(r->json, "items");
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        bool found = false;
        size_t i;
        const json_t *e;
        json_array_foreach(items, i, e)
        {
            if (!strcmp(jstr(e, "type"), want[k][0])) {
                found = true;
                ck_assert_str_eq(jstr(e, "resource"), want[k][1]);
                const char *id = !strcmp(want[k][1], "family")   ? fam
                                 : !strcmp(want[k][1], "member") ? m
                                                                 : c;
                ck_assert_str_eq(jstr(e, "resource_id"), id);
            }
        }
        ck_assert_msg(found, "no %s event: %s", want[k][0], r->body);
    }
    size_t i;
    const json_t *e;
    json_array_foreach(items, i, e)
    {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)e, key, val)
        {
            static const char *const ok[] = {"id",      "type",        "resource", "resource_id",
                                             "version", "occurred_at", NULL};
            bool known = false;
            for (const char *const *k = ok; *k; k++)
                known |= !strcmp(*k, key);
            ck_assert_msg(known, "an event carries %s: %s", key, r->body);
        }
        ck_assert(json_is_integer(json_object_get(e, "version")));
    }
    resp_free(r);
    /* the feed shows family events only to whoever sees the family */
    const char *path = fmt("/v1/events?after=%lld&limit=200", after);
    LOCALF(evp, "%s", path);
    r = A("GET", evp, sw, NULL);
    ck_status(r, 200);
    ck_assert_msg(strstr(r->body, fam) && strstr(r->body, m) && strstr(r->body, c),
                  "the assigned social worker misses events: %s", r->body);
    resp_free(r);
    const char *blind[] = {sw2, aud};
    for (int k = 0; k < 2; k++) {
        r = A("GET", evp, blind[k], NULL);
        ck_status(r, 200);
        ck_assert_msg(!strstr(r->body, fam) && !strstr(r->body, m) && !strstr(r->body, c),
                      "%s sees events of an invisible family: %s", k ? "auditor" : "social worker",
                      r->body);
        resp_free(r);
    }
}
END_TEST

TCase *tcase_families_audit(void)
{
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, audit_records_family_reads_and_writes);
    tcase_add_test(tc, events_carry_no_personal_data);
    return tc;
}
