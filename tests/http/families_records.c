/* Families: create, read, list, search, patch, idempotent replays, the state
 * machine and gapless reference numbers (SPEC §6 Family; §9). */
#include "families.h"

/* ======================================================================================== 1 ====
 */

START_TEST(family_create_get_and_validation)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *street = surname("ul. Kwiatowa ");
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:[{s:s, s:s}, {s:s}], s:i}", "district",
                  "Śródmieście", "address", "street", street, "building", "12/3", "postal_code",
                  "00-950", "city", "Warszawa", "external_ref", "POMOST/2024/77", "problems",
                  "code", "unemployment", "notes", "od 2 lat", "code", "housing", "generations", 3);
    const char *body = js(doc);
    struct resp *r = A("POST", "/v1/families", adm, body);
    ck_status(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s", id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    char want_ref[32];
    snprintf(want_ref, sizeof want_ref, "%d/0001", this_year());
    ck_assert_str_eq(jstr(r->json, "reference_number"), want_ref);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert_str_eq(jstr(r->json, "district"), "Śródmieście");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "street"), street);
    ck_assert_str_eq(jstr(r->json, "external_ref"), "POMOST/2024/77");
    ck_assert_int_eq(jint(r->json, "generations"), 3);
    ck_assert_int_eq(jint(r->json, "members_count"), 0);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    ck_assert(json_is_null(json_object_get(r->json, "closure_reason")));
    ck_assert(json_is_null(json_object_get(r->json, "assigned_worker_id")));
    const json_t *probs = json_object_get(r->json, "problems");
    ck_assert_int_eq(json_array_size(probs), 2);
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "code"), "unemployment");
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "notes"), "od 2 lat");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "created_at"), "Z"));
    char *created = strdup(r->body);
    resp_free(r);

    r = A("GET", fmt("/v1/families/%s", id), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(r->body, created);
    resp_free(r);
    free(created);

    /* rejected creations: read-only, unknown, bad values; none takes a number */
    static const char *const bad[][3] = {
        {"{\"reference_number\":\"2020/0001\"}", "reference_number", "read_only"},
        {"{\"status\":\"closed\"}", "status", "read_only"},
        {"{\"closure_reason\":\"other\"}", "closure_reason", "read_only"},
        {"{\"members_count\":4}", "members_count", "read_only"},
        {"{\"id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "id", "read_only"},
        /* (tenant_id: read_only or unknown_field, either way refused) */
        {"{\"tenant_id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "tenant_id", NULL},
        {"{\"anonymized\":true}", "anonymized", "read_only"},
        {"{\"surname\":\"x\"}", "surname", "unknown_field"},
        {"{\"problems\":[{\"code\":\"laziness\"}]}", "problems[0].code", "enum"},
        {"{\"generations\":9}", "generations", "max"},
        {"{\"assigned_worker_id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "assigned_worker_id",
         "not_found"},
        {"{\"address\":{\"postal_code\":\"00950\"}}", "address.postal_code", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = D("POST", "/v1/families", adm, bad[i][0]);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, bad[i][1], bad[i][2], "body"), "%s: %s", bad[i][0], r->body);
        resp_free(r);
    }
    r = D("POST", "/v1/families", adm,
          "{\"problems\":[{\"code\":\"debt\"},{\"code\":\"debt\",\"notes\":\"x\"}]}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "problems", NULL, "body");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 1, id);

    /* gapless: the next number is 0002 */
    char id2[37];
    json_t *f2 = family_new(adm, NULL, id2);
    snprintf(want_ref, sizeof want_ref, "%d/0002", this_year());
    ck_assert_str_eq(jstr(f2, "reference_number"), want_ref);
    json_decref(f2);

    /* no DELETE on a family; unknown id 404; bad id 422 */
    r = D("DELETE", fmt("/v1/families/%s", id), adm, NULL);
    ck_assert_int_eq(r->status, 405);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Allow"), "PATCH"));
    resp_free(r);
    r = D("GET", "/v1/families/0190a7d2-0000-7000-8000-00000000abcd", adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", "/v1/families/not-a-uuid", adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

START_TEST(family_list_filters_and_search)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char f1[37], f2[37], f3[37];
    json_decref(
        family_new(adm,
                   js(json_pack("{s:s, s:s, s:[{s:s}]}", "district", "Śródmieście",
                                "assigned_worker_id", sw_id, "problems", "code", "unemployment")),
                   f1));
    json_t *j2 = family_new(
        adm,
        js(json_pack("{s:s, s:s, s:[{s:s},{s:s}]}", "district", "Nowe Miasto", "external_ref",
                     "POMOST/55", "problems", "code", "addiction", "code", "debt")),
        f2);
    char ref2[32];
    snprintf(ref2, sizeof ref2, "%s", jstr(j2, "reference_number"));
    json_decref(j2);
    json_t *j3 = family_new(
        adm,
        js(json_pack("{s:s, s:[{s:s}]}", "district", "Śródmieście", "problems", "code", "debt")),
        f3);
    char since[64];
    snprintf(since, sizeof since, "%s", jstr(j3, "updated_at"));
    json_decref(j3);
    /* a member with diacritics in the name, in f1 */
    const char *name = surname("Żółkiewska");
    json_decref(member_new(adm, f1, "Łucja", name, "1984-02-11", NULL, "head", NULL));
    /* f2 moves on (updated after f3 was created) */
    struct resp *r =
        A("POST", fmt("/v1/families/%s/transitions", f2), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);

    LIST_IS(adm, "/v1/families", 3, f1, f2, f3);
    LIST_IS(adm, "/v1/families?status=referred", 2, f1, f3);
    LIST_IS(adm, "/v1/families?status=diagnosed", 1, f2);
    LIST_IS(adm, "/v1/families?status=closed", 0);
    LIST_IS(adm, fmt("/v1/families?district=%s", enc("Śródmieście")), 2, f1, f3);
    LIST_IS(adm, "/v1/families?district=Nowe%20Miasto", 1, f2);
    LIST_IS(adm, "/v1/families?problem=debt", 2, f2, f3);
    LIST_IS(adm, "/v1/families?problem=unemployment", 1, f1);
    LIST_IS(adm, "/v1/families?problem=homelessness", 0);
    LIST_IS(adm, fmt("/v1/families?assigned_worker_id=%s", sw_id), 1, f1);
    LIST_IS(adm, fmt("/v1/families?updated_since=%s", enc(since)), 2, f2, f3);
    LIST_IS(adm, fmt("/v1/families?status=referred&district=%s&problem=debt", enc("Śródmieście")),
            1, f3);
    /* q: the reference number, the external case number, members' names */
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(ref2)), 1, f2);
    LIST_IS(adm, "/v1/families?q=POMOST%2F55", 1, f2);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(name)), 1, f1);
    char folded[128];
    snprintf(folded, sizeof folded, "zolkiewska%s", name + strlen("Żółkiewska"));
    pii(folded);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(folded)), 1, f1);
    char upper[128];
    snprintf(upper, sizeof upper, "ZOLKIEWSKA%s", name + strlen("Żółkiewska"));
    pii(upper);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(upper)), 1, f1);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc("Łucja")), 1, f1);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc("lucja")), 1, f1);
    LIST_IS(adm, "/v1/families?q=Kowalczykowa", 0);
    /* LIKE wildcards in q are literal */
    LIST_IS(adm, "/v1/families?q=%25%25", 0);
    LIST_IS(adm, "/v1/families?q=__", 0);
    /* the social worker sees only the family assigned to them, filters included */
    LIST_IS(sw, "/v1/families", 1, f1);
    LIST_IS(sw, "/v1/families?problem=debt", 0);
    LIST_IS(sw, fmt("/v1/families?q=%s", enc(folded)), 1, f1);

    /* sort and pages */
    r = A("GET", "/v1/families?sort=-reference_number&limit=2", adm, NULL);
    ck_status(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), f3);
    ck_assert_str_eq(jstr(json_array_get(items, 1), "id"), f2);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Link"), "rel=\"next\""));
    char *cur = url_encode(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = A("GET", fmt("/v1/families?sort=-reference_number&limit=2&cursor=%s", cur), adm, NULL);
    free(cur);
    ck_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), f1);
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);

    /* bad parameters are 422 */
    static const char *const badq[][2] = {
        {"status=bogus", "status"},
        {"problem=laziness", "problem"},
        {"q=a", "q"},
        {"assigned_worker_id=nope", "assigned_worker_id"},
        {"updated_since=yesterday", "updated_since"},
        {"limit=0", "limit"},
        {"sort=district", "sort"},
        {"surname=x", "surname"},
    };
    for (size_t i = 0; i < sizeof badq / sizeof badq[0]; i++) {
        r = D("GET", fmt("/v1/families?%s", badq[i][0]), adm, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, badq[i][1], NULL, "query"), "%s: %s", badq[i][0], r->body);
        resp_free(r);
    }
}
END_TEST

START_TEST(family_patch_needs_if_match_and_respects_read_only)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    const char *street = surname("ul. Lipowa ");
    char id[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:{s:s, s:s}, s:s, s:[{s:s, s:s}]}", "district", "Stare Miasto",
                     "address", "street", street, "city", "Kraków", "external_ref", "EXT-1",
                     "problems", "code", "poverty", "notes", "zasiłek")),
        id));
    const char *path = fmt("/v1/families/%s", id);
    LOCALF(p, "%s", path);
    char *before = fam_text(adm, id);

    struct resp *r = D("PATCH", p, adm, "{\"district\":\"Podgórze\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"district\":\"Podgórze\"}", "\"7\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"district\":\"Podgórze\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    static const char *const ro[][2] = {
        {"{\"reference_number\":\"1999/0001\"}", "reference_number"},
        {"{\"status\":\"closed\"}", "status"},
        {"{\"closure_reason\":\"other\"}", "closure_reason"},
        {"{\"members_count\":0}", "members_count"},
        {"{\"closed_on\":\"2024-01-01\"}", "closed_on"},
        {"{\"anonymized\":true}", "anonymized"},
        {"{\"version\":5}", "version"},
        {"{\"id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "id"},
    };
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        r = DI("PATCH", p, adm, ro[i][0], "\"1\"");
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, ro[i][1], "read_only", "body"), "%s: %s", ro[i][0], r->body);
        resp_free(r);
    }
    r = DI("PATCH", p, adm, "{\"flat\":\"3\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "flat", "unknown_field", "body");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"assigned_worker_id\":\"0190a7d2-0000-7000-8000-000000000001\"}",
           "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "assigned_worker_id", "not_found", NULL);
    resp_free(r);
    /* only a social worker, coordinator or admin of this tenant can be assigned */
    char aud_id[37], staff_id[37], partner[37];
    make_user(adm, "auditor", NULL, NULL, aud_id);
    make_partner(adm, "Ośrodek Interwencji Kryzysowej", partner);
    make_user(adm, "partner_staff", partner, NULL, staff_id);
    const char *not_workers[] = {aud_id, staff_id, world()->admin_a_id};
    for (int i = 0; i < 3; i++) {
        r = DI("PATCH", p, adm, js(json_pack("{s:s}", "assigned_worker_id", not_workers[i])),
               "\"1\"");
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "assigned_worker_id", "not_found", NULL);
        resp_free(r);
    }
    FAM_UNCHANGED(adm, id, before);

    /* a merge patch: nested address merges, null removes, the rest stays */
    r = AI("PATCH", p, adm,
           js(json_pack("{s:s, s:{s:s}, s:n, s:s}", "district", "Podgórze", "address", "city",
                        "Wieliczka", "external_ref", "assigned_worker_id", sw_id)),
           "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(jstr(r->json, "district"), "Podgórze");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "city"), "Wieliczka");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "street"), street);
    ck_assert(json_is_null(json_object_get(r->json, "external_ref")));
    ck_assert_str_eq(jstr(r->json, "assigned_worker_id"), sw_id);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "problems"), 0), "notes"),
                     "zasiłek");
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    resp_free(r);
    /* the old ETag is stale now */
    free(before);
    before = fam_text(adm, id);
    r = DI("PATCH", p, adm, "{\"district\":\"Nowa Huta\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
}
END_TEST

START_TEST(family_idempotency_key_replays)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *key = uniq("fam-key");
    const char *body =
        js(json_pack("{s:s, s:[{s:s}]}", "district", "Zabłocie", "problems", "code", "debt"));
    LOCALF(b, "%s", body);
    struct resp *r = AK("POST", "/v1/families", adm, b, key);
    ck_status(r, 201);
    char *first = strdup(r->body);
    char loc[256];
    snprintf(loc, sizeof loc, "%s", resp_header(r, "Location"));
    ck_assert_ptr_null(resp_header(r, "Idempotent-Replayed"));
    resp_free(r);
    r = AK("POST", "/v1/families", adm, b, key);
    ck_status(r, 201);
    ck_assert_str_eq(r->body, first);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    ck_assert_str_eq(resp_header(r, "Location"), loc);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *fj = json_loads(first, 0, NULL);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(fj, "id"));
    json_decref(fj);
    resp_free(r);
    /* the same key with another body */
    r = call(false, "POST", "/v1/families", adm, "{\"district\":\"Inny\"}",
             (struct opt){.idem = key}, __LINE__);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "Idempotency-Key", NULL, "header");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 1, id);
    /* another key: another family, the next number */
    r = AK("POST", "/v1/families", adm, b, uniq("fam-key"));
    ck_status(r, 201);
    ck_assert_str_ne(jstr(r->json, "id"), id);
    ck_assert_str_eq(jstr(r->json, "reference_number"), fmt("%d/0002", this_year()));
    resp_free(r);
    free(first);
}
END_TEST

static void trans_ok(const char *tok, const char *id, const char *to, const char *reason, int line)
{
    struct resp *r = transition(tok, id, to, reason, NULL, line);
    ck_assert_msg(r->status == 200, "line %d: -> %s: %ld %s", line, to, r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), to);
    resp_free(r);
}

static void trans_refused(const char *tok, const char *id, const char *to, int nallowed,
                          const char *a1, const char *a2, int line)
{
    char *before = fam_text(tok, id);
    struct resp *r =
        transition(tok, id, to, to && !strcmp(to, "closed") ? "other" : NULL, NULL, line);
    check_problem(r, 409, "invalid_transition", __FILE__, line);
    const json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && (int)json_array_size(allowed) == nallowed,
                  "line %d: allowed: %s", line, r->body);
    bool s1 = false, s2 = !a2;
    size_t i;
    const json_t *v;
    json_array_foreach(allowed, i, v)
    {
        if (!strcmp(json_string_value(v), a1))
            s1 = true;
        if (a2 && !strcmp(json_string_value(v), a2))
            s2 = true;
    }
    ck_assert_msg(s1 && s2, "line %d: allowed: %s", line, r->body);
    resp_free(r);
    same_text(before, fam_text(tok, id), "family", line);
    free(before);
}

START_TEST(family_state_machine)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char id[37];
    json_decref(family_new(adm, NULL, id));
    trans_refused(adm, id, "in_support", 2, "diagnosed", "closed", __LINE__);
    trans_refused(adm, id, "monitoring", 2, "diagnosed", "closed", __LINE__);
    trans_refused(adm, id, "referred", 2, "diagnosed", "closed", __LINE__);
    TRANS_OK(adm, id, "diagnosed", NULL);
    trans_refused(adm, id, "monitoring", 2, "in_support", "closed", __LINE__);
    TRANS_OK(adm, id, "in_support", NULL);
    TRANS_OK(adm, id, "monitoring", NULL);
    TRANS_OK(adm, id, "in_support", NULL);
    trans_refused(adm, id, "diagnosed", 2, "monitoring", "closed", __LINE__);
    /* If-Match is optional on transitions, checked when sent */
    long long v = version_of(fmt("/v1/families/%s", id), adm);
    char *before = fam_text(adm, id);
    struct resp *r = transition(adm, id, "monitoring", NULL, etag(v - 1), __LINE__);
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
    r = transition(adm, id, "monitoring", NULL, etag(v), __LINE__);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), fmt("\"%lld\"", v + 1));
    resp_free(r);

    /* closing needs a closure code */
    before = fam_text(adm, id);
    r = TRANS(adm, id, "closed", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", "required", "body");
    resp_free(r);
    r = TRANS(adm, id, "closed", "the family felt better");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, "body");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
    /* bad bodies */
    static const char *const bad[] = {"{\"to\":\"bogus\"}", "{}",
                                      "{\"to\":\"closed\",\"status\":\"x\"}",
                                      "{\"to\":\"closed\",\"reason\":\"\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = D("POST", fmt("/v1/families/%s/transitions", id), adm, bad[i]);
        ck_problem(r, 422, "validation_failed");
        resp_free(r);
    }
    r = TRANS(adm, id, "closed", "moved_out");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "closure_reason"), "moved_out");
    ck_assert_str_eq(jstr(r->json, "closed_on"), today());
    resp_free(r);
    LIST_IS(adm, "/v1/families?status=closed", 1, id);
    trans_refused(adm, id, "diagnosed", 1, "referred", NULL, __LINE__);
    trans_refused(adm, id, "closed", 1, "referred", NULL, __LINE__);
    /* reopening clears the closure */
    r = TRANS(adm, id, "referred", NULL);
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert(json_is_null(json_object_get(r->json, "closure_reason")));
    ck_assert(json_is_null(json_object_get(r->json, "closed_on")));
    resp_free(r);
    /* closed straight from referred, with every closure code accepted */
    static const char *const codes[] = {"goals_achieved", "partially_achieved", "resigned",
                                        "other"};
    for (size_t i = 0; i < 4; i++) {
        TRANS_OK(adm, id, "closed", codes[i]);
        TRANS_OK(adm, id, "referred", NULL);
    }
}
END_TEST

static void *par_create_fn(void *p)
{
    struct par_create *a = p;
    struct resp *r = direct("POST", "/v1/families", a->tok, "{\"district\":\"Równoległa\"}", NULL);
    a->status = r->status;
    if (r->status == 201 && jstr(r->json, "reference_number"))
        snprintf(a->ref, sizeof a->ref, "%s", jstr(r->json, "reference_number"));
    resp_free(r);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(reference_numbers_are_gapless_under_concurrency)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    enum { N = 20 };
    struct par_create args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct par_create){.tok = adm};
        ck_assert_int_eq(pthread_create(&th[i], NULL, par_create_fn, &args[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    const char *refs[N];
    for (int i = 0; i < N; i++) {
        ck_assert_msg(args[i].status == 201, "creation %d: %ld", i, args[i].status);
        refs[i] = args[i].ref;
    }
    qsort(refs, N, sizeof refs[0], cmp_str);
    int year = this_year();
    for (int i = 0; i < N; i++) {
        int y = 0, n = 0;
        ck_assert_msg(sscanf(refs[i], "%d/%d", &y, &n) == 2 && strlen(refs[i]) == 9,
                      "bad reference number %s", refs[i]);
        ck_assert_int_eq(y, year);
        /* a fresh tenant: exactly 0001..0020, no gap, no duplicate */
        ck_assert_msg(n == i + 1, "reference numbers not consecutive: #%d is %s", i, refs[i]);
    }
    json_t *all = list_all(adm, "/v1/families");
    ck_assert_int_eq(json_array_size(all), N);
    json_decref(all);
}
END_TEST

TCase *tcase_families_records(void)
{
    TCase *tc = tcase_create("records");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, family_create_get_and_validation);
    tcase_add_test(tc, family_list_filters_and_search);
    tcase_add_test(tc, family_patch_needs_if_match_and_respects_read_only);
    tcase_add_test(tc, family_idempotency_key_replays);
    return tc;
}

TCase *tcase_families_states(void)
{
    TCase *tc = tcase_create("states");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, family_state_machine);
    tcase_add_test(tc, reference_numbers_are_gapless_under_concurrency);
    return tc;
}
