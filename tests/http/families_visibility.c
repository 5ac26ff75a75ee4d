/* Families: who sees and changes a family, route by route and role by role
 * (SPEC §7, §9 Consent coverage). */
#include "families.h"

static const char *const route_names[] = {
    "GET families",  "GET family",   "PATCH family",  "POST transitions", "GET members",
    "GET member",    "POST members", "GET consents",  "GET consent",      "POST consents",
    "POST withdraw", "GET export",   "POST anonymize"};

static struct resp *route_call(int route, const char *tok, const struct fam_ctx *c, int line)
{
    const char *f = c->fam;
    long long v = version_of(fmt("/v1/families/%s", f), c->admin);
    switch (route) {
    case R_LIST:
        return call(false, "GET", "/v1/families", tok, NULL, (struct opt){0}, line);
    case R_GET:
        return call(false, "GET", fmt("/v1/families/%s", f), tok, NULL, (struct opt){0}, line);
    case R_PATCH:
        return call(false, "PATCH", fmt("/v1/families/%s", f), tok, "{\"district\":\"Zmiana\"}",
                    (struct opt){.if_match = etag(v)}, line);
    case R_TRANS:
        return call(false, "POST", fmt("/v1/families/%s/transitions", f), tok,
                    "{\"to\":\"closed\",\"reason\":\"other\"}", (struct opt){0}, line);
    case R_MLIST:
        return call(false, "GET", fmt("/v1/families/%s/members", f), tok, NULL, (struct opt){0},
                    line);
    case R_MGET:
        return call(false, "GET", fmt("/v1/families/%s/members/%s", f, c->member), tok, NULL,
                    (struct opt){0}, line);
    case R_MCREATE:
        return call(false, "POST", fmt("/v1/families/%s/members", f), tok,
                    js(member_doc("Intruz", surname("Obcy"), NULL, pesel(1991, 1, 1, 0), "other")),
                    (struct opt){0}, line);
    case R_CLIST:
        return call(false, "GET", fmt("/v1/families/%s/consents", f), tok, NULL, (struct opt){0},
                    line);
    case R_CGET:
        return call(false, "GET", fmt("/v1/families/%s/consents/%s", f, c->consent), tok, NULL,
                    (struct opt){0}, line);
    case R_CCREATE:
        return call(false, "POST", fmt("/v1/families/%s/consents", f), tok,
                    js(consent_doc(c->member, "processing", NULL, today(), NULL)), (struct opt){0},
                    line);
    case R_CWITHDRAW:
        return call(false, "POST", fmt("/v1/families/%s/consents/%s/withdraw", f, c->consent), tok,
                    "{\"reason\":\"test\"}", (struct opt){0}, line);
    case R_EXPORT:
        return call(false, "GET", fmt("/v1/families/%s/export", f), tok, NULL, (struct opt){0},
                    line);
    case R_ANON:
        return call(false, "POST", fmt("/v1/families/%s/anonymize", f), tok, NULL,
                    (struct opt){.if_match = etag(v)}, line);
    }
    return NULL;
}

/* Calls every route as tok, expecting want[route] (0: skip), and that nothing changed. */
static void denied_everywhere(const char *who, const char *tok, const struct fam_ctx *c,
                              const int want[R_N], int line)
{
    char *fam = fam_text(c->admin, c->fam);
    char *members = list_text(c->admin, fmt("/v1/families/%s/members", c->fam));
    char *consents = list_text(c->admin, fmt("/v1/families/%s/consents", c->fam));
    for (int i = 0; i < R_N; i++) {
        if (!want[i])
            continue;
        struct resp *r = route_call(i, tok, c, line);
        ck_assert_msg(r->status == want[i], "line %d: %s, %s: want %d, got %ld: %s", line, who,
                      route_names[i], want[i], r->status, r->body);
        if (r->status >= 400) {
            check_problem(r, want[i], want[i] == 403 ? "forbidden" : "not_found", __FILE__, line);
        } else if (i == R_LIST) {
            ck_assert_msg(!has_id(json_object_get(r->json, "items"), c->fam),
                          "line %d: %s lists the family: %s", line, who, r->body);
        }
        resp_free(r);
    }
    same_text(fam, fam_text(c->admin, c->fam), "family", line);
    same_text(members, list_text(c->admin, fmt("/v1/families/%s/members", c->fam)), "members",
              line);
    same_text(consents, list_text(c->admin, fmt("/v1/families/%s/consents", c->fam)), "consents",
              line);
    free(fam);
    free(members);
    free(consents);
}

/* Reads and writes as a role that sees the family. */
static void allowed_everywhere(const char *who, const char *tok, const struct fam_ctx *c,
                               const char *to, bool export_ok, int line)
{
    static const int reads[] = {R_GET, R_MLIST, R_MGET, R_CLIST, R_CGET};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        struct resp *r = route_call(reads[i], tok, c, line);
        ck_assert_msg(r->status == 200, "line %d: %s, %s: %ld %s", line, who, route_names[reads[i]],
                      r->status, r->body);
        resp_free(r);
    }
    struct resp *r = route_call(R_PATCH, tok, c, line);
    ck_assert_msg(r->status == 200, "line %d: %s PATCH: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/transitions", c->fam), tok,
             js(json_pack("{s:s}", "to", to)), (struct opt){0}, line);
    ck_assert_msg(r->status == 200, "line %d: %s -> %s: %ld %s", line, who, to, r->status, r->body);
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/members", c->fam), tok,
             js(member_doc("Nowy", surname("Członek"), NULL, NULL, "child")), (struct opt){0},
             line);
    ck_assert_msg(r->status == 201, "line %d: %s member: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = route_call(R_CCREATE, tok, c, line);
    ck_assert_msg(r->status == 201, "line %d: %s consent: %ld %s", line, who, r->status, r->body);
    char cid[37];
    snprintf(cid, sizeof cid, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/consents/%s/withdraw", c->fam, cid), tok, "{}",
             (struct opt){0}, line);
    ck_assert_msg(r->status == 200, "line %d: %s withdraw: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = route_call(R_EXPORT, tok, c, line);
    ck_assert_msg(r->status == (export_ok ? 200 : 403), "line %d: %s export: %ld %s", line, who,
                  r->status, r->body);
    resp_free(r);
}

START_TEST(visibility_matrix)
{
    const struct world *w = world();
    char tenant[37], adm[80], adm_id[37], partner[37];
    char coord[80], sw1[80], sw1_id[37], sw2[80], sw2_id[37], staff[80], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Szkoła Podstawowa nr 3", partner);
    make_user(adm, "coordinator", NULL, coord, NULL);
    make_user(adm, "social_worker", NULL, sw1, sw1_id);
    make_user(adm, "social_worker", NULL, sw2, sw2_id);
    make_user(adm, "partner_staff", partner, staff, NULL);
    make_user(adm, "auditor", NULL, aud, NULL);
    struct fam_ctx c = {.admin = adm};
    json_decref(family_new(adm,
                           js(json_pack("{s:s, s:{s:s}}", "assigned_worker_id", sw1_id, "address",
                                        "street", surname("ul. Ukryta "))),
                           c.fam));
    json_decref(member_new(adm, c.fam, "Irena", surname("Sikorska"), NULL, pesel(1972, 8, 8, 1),
                           "head", c.member));
    json_decref(consent_new(adm, c.fam, c.member, "sharing_with_partner", partner, today(), NULL,
                            c.consent));
    char f2[37];
    json_decref(family_new(adm, NULL, f2));

    /* lists show exactly the visible families */
    LIST_IS(adm, "/v1/families", 2, c.fam, f2);
    LIST_IS(coord, "/v1/families", 2, c.fam, f2);
    LIST_IS(sw1, "/v1/families", 1, c.fam);
    LIST_IS(sw2, "/v1/families", 0);
    LIST_IS(staff, "/v1/families", 0);

    /* roles that may never touch family data: 403 on every route */
    int forbidden[R_N];
    for (int i = 0; i < R_N; i++)
        forbidden[i] = 403;
    denied_everywhere("auditor", aud, &c, forbidden, __LINE__);
    denied_everywhere("platform_admin", w->platform, &c, forbidden, __LINE__);
    denied_everywhere("regional_analyst", w->analyst, &c, forbidden, __LINE__);
    /* another tenant's admin: 404 everywhere (the list answers without the family) */
    int other_tenant[R_N];
    for (int i = 0; i < R_N; i++)
        other_tenant[i] = 404;
    other_tenant[R_LIST] = 200;
    denied_everywhere("admin of another tenant", w->admin_b, &c, other_tenant, __LINE__);
    /* a social worker to whom the family is not assigned: 404; export/anonymize are not theirs */
    int sw_other[R_N];
    for (int i = 0; i < R_N; i++)
        sw_other[i] = 404;
    sw_other[R_LIST] = 200;
    sw_other[R_EXPORT] = sw_other[R_ANON] = 403;
    denied_everywhere("unassigned social worker", sw2, &c, sw_other, __LINE__);
    /* partner staff with no team: reads 404; writes are not a partner's (403, §9) */
    int ps[R_N];
    for (int i = 0; i < R_N; i++)
        ps[i] = 404;
    ps[R_LIST] = 200;
    ps[R_PATCH] = ps[R_TRANS] = ps[R_MCREATE] = ps[R_CCREATE] = ps[R_CWITHDRAW] = 403;
    ps[R_EXPORT] = ps[R_ANON] = 403;
    denied_everywhere("partner staff without a team", staff, &c, ps, __LINE__);
    /* the coordinator may not anonymise; nor may the assigned social worker */
    int only_anon[R_N] = {0};
    only_anon[R_ANON] = 403;
    denied_everywhere("coordinator", coord, &c, only_anon, __LINE__);
    denied_everywhere("assigned social worker", sw1, &c, only_anon, __LINE__);

    /* those who see it read and write it */
    allowed_everywhere("admin", adm, &c, "diagnosed", true, __LINE__);
    allowed_everywhere("coordinator", coord, &c, "in_support", true, __LINE__);
    allowed_everywhere("assigned social worker", sw1, &c, "monitoring", false, __LINE__);

    /* a social worker's new family is theirs */
    char f3[37];
    json_t *j = family_new(sw2, NULL, f3);
    ck_assert_str_eq(jstr(j, "assigned_worker_id"), sw2_id);
    json_decref(j);
    LIST_IS(sw2, "/v1/families", 1, f3);
    struct resp *r = D("GET", fmt("/v1/families/%s", f3), sw1, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* reassigning moves visibility at once */
    long long v = version_of(fmt("/v1/families/%s", c.fam), adm);
    r = AI("PATCH", fmt("/v1/families/%s", c.fam), adm,
           js(json_pack("{s:s}", "assigned_worker_id", sw2_id)), etag(v));
    ck_status(r, 200);
    resp_free(r);
    LIST_IS(sw2, "/v1/families", 2, c.fam, f3);
    LIST_IS(sw1, "/v1/families", 0);
    r = D("GET", fmt("/v1/families/%s/members/%s", c.fam, c.member), sw1, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);

    /* finally the admin anonymises */
    v = version_of(fmt("/v1/families/%s", c.fam), adm);
    r = AI("POST", fmt("/v1/families/%s/anonymize", c.fam), adm, NULL, etag(v));
    ck_status(r, 200);
    resp_free(r);
}
END_TEST

TCase *tcase_families_visibility(void)
{
    TCase *tc = tcase_create("visibility");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, visibility_matrix);
    return tc;
}
