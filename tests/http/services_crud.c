/* The basket of services: create, read, patch, delete, validation,
 * idempotent create, roles, the state machine, a withdrawn partner's
 * services and tenancy (SPEC §5 Services). */
#include "services.h"

static char *doc_text(json_t *doc)
{
    char *s = jdump(doc);
    json_decref(doc);
    return s;
}

/* ---- create, read, update, delete ---------------------------------------------------------------
 */

START_TEST(admin_create_get_patch_delete)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Ośrodek Interwencji Kryzysowej"), "OIK", "crisis_intervention",
               pid);
    json_t *doc = svc_doc(pid, "Interwencja kryzysowa całodobowa", "crisis_intervention");
    json_object_set_new(doc, "description", json_string("Wsparcie w sytuacji kryzysu."));
    json_object_set_new(doc, "target_groups", json_pack("[s,s]", "adults", "violence_affected"));
    json_object_set_new(doc, "eligibility", json_string("Mieszkańcy gminy"));
    json_object_set_new(doc, "how_to_access", json_string("Telefonicznie"));
    json_object_set_new(doc, "requires_referral", json_false());
    json_object_set_new(doc, "cost", json_pack("{s:b, s:s}", "free", 0, "description", "10 zł"));
    json_object_set_new(
        doc, "capacity",
        json_pack("{s:i, s:i, s:s}", "available", 2, "maximum", 5, "unit", "miejsca"));
    json_object_set_new(doc, "locations",
                        json_pack("[{s:s, s:{s:s, s:s, s:s, s:s}, s:[{s:[s,s], s:s, s:s}]}]",
                                  "name", "Siedziba", "address", "street", "ul. Wałowa", "building",
                                  "30", "postal_code", "44-300", "city", "Wodzisław Śląski",
                                  "opening_hours", "days", "mon", "fri", "opens", "08:00", "closes",
                                  "16:00"));
    json_object_set_new(
        doc, "contact",
        json_pack("{s:s, s:s}", "phone", "+48 32 000 00 00", "website", "https://oik.example.pl"));
    json_object_set_new(doc, "valid_from", json_string("2026-01-01"));
    char *body = doc_text(doc);
    struct resp *r = api("POST", "/v1/services", w->admin_a, body);
    free(body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/services/%s", id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *s = r->json;
    ck_assert_str_eq(jstr(s, "status"), "draft");
    ck_assert_int_eq(jint(s, "version"), 1);
    ck_assert_str_eq(jstr(s, "partner_id"), pid);
    ck_assert_str_eq(jstr(json_object_get(s, "partner"), "id"), pid);
    ck_assert_str_eq(jstr(json_object_get(s, "partner"), "sector"), "crisis_intervention");
    ck_assert_ptr_nonnull(
        strstr(jstr(json_object_get(s, "partner"), "name"), "Ośrodek Interwencji Kryzysowej"));
    json_t *cap = json_object_get(s, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 2);
    ck_assert_int_eq(jint(cap, "maximum"), 5);
    ck_assert_ptr_nonnull(jstr(cap, "updated_at"));
    ck_assert_str_eq(jstr(cap, "updated_by"), w->admin_a_id);
    ck_assert(json_is_false(json_object_get(json_object_get(s, "cost"), "free")));
    json_t *loc = json_array_get(json_object_get(s, "locations"), 0);
    ck_assert_str_eq(jstr(json_object_get(loc, "address"), "city"), "Wodzisław Śląski");
    json_t *oh = json_array_get(json_object_get(loc, "opening_hours"), 0);
    ck_assert(json_is_null(json_object_get(oh, "note")));
    ck_assert(json_is_null(json_object_get(json_object_get(s, "contact"), "email")));
    ck_assert(json_is_null(json_object_get(s, "valid_until")));
    resp_free(r);

    /* read it back, with its ETag */
    r = api("GET", fmt("/v1/services/%s", id), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "name"), "Interwencja kryzysowa całodobowa");
    resp_free(r);

    /* merge patch: null removes, arrays are replaced whole, objects merge */
    r = api_if("PATCH", fmt("/v1/services/%s", id), w->admin_a,
               "{\"eligibility\":null,\"target_groups\":[\"families\"],"
               "\"contact\":{\"email\":\"oik@example.pl\"},\"verified_on\":\"2026-03-01\"}",
               "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert(json_is_null(json_object_get(r->json, "eligibility")));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "target_groups")), 1);
    ck_assert_str_eq(jstr(json_object_get(r->json, "contact"), "email"), "oik@example.pl");
    ck_assert_str_eq(jstr(json_object_get(r->json, "contact"), "phone"), "+48 32 000 00 00");
    ck_assert_str_eq(jstr(r->json, "verified_on"), "2026-03-01");
    ck_assert_str_eq(jstr(r->json, "how_to_access"), "Telefonicznie");
    resp_free(r);

    /* stale If-Match: 412, nothing changes; no If-Match: 428 */
    char *before = svc_text(id);
    r = api_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":\"Zmiana\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = direct("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":\"Zmiana\"}", NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    /* status is read-only in a patch; an unknown field is refused */
    r = direct_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"status\":\"active\"}",
                  "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "body");
    resp_free(r);
    r = direct_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":null}", "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", NULL, "body");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);

    /* delete: stale 412, then 204, then 404 */
    r = api_if("DELETE", fmt("/v1/services/%s", id), w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);
    r = api_if("DELETE", fmt("/v1/services/%s", id), w->admin_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", fmt("/v1/services/%s", id), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(create_validation_changes_nothing)
{
    const struct world *w = world();
    char pid[37];
    mk_partner(w->admin_a, uniq("Poradnia Walidacji"), NULL, "education", pid);
    char filter[64];
    snprintf(filter, sizeof filter, "partner_id=%s", pid);
    struct {
        const char *body, *field, *code;
    } cases[] = {
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"bogus\"}", pid), "category",
         "enum"},
        {fmt("{\"partner_id\":\"%s\",\"category\":\"training\"}", pid), "name", "required"},
        {"{\"name\":\"X\",\"category\":\"training\"}", "partner_id", "required"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"status\":"
             "\"active\"}",
             pid),
         "status", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"tenant_id\":"
             "\"%s\"}",
             pid, w->tenant_b),
         "tenant_id", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"target_groups\":"
             "[\"aliens\"]}",
             pid),
         "target_groups[0]", "enum"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"capacity\":{"
             "\"available\":-1}}",
             pid),
         "capacity.available", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"capacity\":{"
             "\"available\":6,\"maximum\":5}}",
             pid),
         "capacity.available", "max"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"valid_from\":"
             "\"2026-05-01\",\"valid_until\":\"2026-04-30\"}",
             pid),
         "valid_until", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"city\":\"Rydułtowy\"},\"opening_hours\":[{\"days\":[\"mon\"],"
             "\"opens\":\"16:00\",\"closes\":\"08:00\"}]}]}",
             pid),
         "locations[0].opening_hours[0].closes", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"city\":\"Rydułtowy\"},\"opening_hours\":[{\"days\":[\"mon\"],"
             "\"opens\":\"25:00\",\"closes\":\"26:00\"}]}]}",
             pid),
         "locations[0].opening_hours[0].opens", "format"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"postal_code\":\"44300\"}}]}",
             pid),
         "locations[0].address.postal_code", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"name\":\"bez adresu\"}]}",
             pid),
         "locations[0].address", "required"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"contact\":{"
             "\"email\":\"not-an-email\"}}",
             pid),
         "contact.email", "format"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"cost\":{"
             "\"description\":\"bez free\"}}",
             pid),
         "cost.free", "required"},
        /* another tenant's partner does not exist here */
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\"}", w->partner_b),
         "partner_id", "not_found"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resp *r = direct("POST", "/v1/services", w->admin_a, cases[i].body, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, cases[i].field, cases[i].code, "body"),
                      "case %zu: no %s/%s in %s", i, cases[i].field,
                      cases[i].code ? cases[i].code : "*", r->body);
        resp_free(r);
    }
    expect_set(w->admin_a, filter, 0);
    struct ids b;
    svc_list_all(w->admin_b, "", &b);
    for (int i = 0; i < b.n; i++) {
        json_t *s = get_svc(w->admin_b, b.id[i]);
        ck_assert_str_ne(jstr(s, "name"), "X");
        json_decref(s);
    }
    /* malformed JSON is 400 */
    struct resp *r = direct("POST", "/v1/services", w->admin_a, "{\"name\":", NULL);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    expect_set(w->admin_a, filter, 0);
}
END_TEST

START_TEST(idempotent_create)
{
    const struct world *w = world();
    char pid[37];
    mk_partner(w->admin_a, uniq("Fundacja Powtórek"), NULL, "ngo", pid);
    char *body = doc_text(svc_doc(pid, "Usługa raz", "other"));
    char key[160];
    snprintf(key, sizeof key, "Idempotency-Key: svc-%s", svc_enc(uniq("k")));
    const char *h[] = {key, NULL};
    struct resp *a = api_h("POST", "/v1/services", w->admin_a, body, h);
    ck_assert_int_eq(a->status, 201);
    struct resp *b = api_h("POST", "/v1/services", w->admin_a, body, h);
    ck_assert_int_eq(b->status, 201);
    ck_assert_str_eq(jstr(a->json, "id"), jstr(b->json, "id"));
    ck_assert_str_eq(resp_header(b, "Idempotent-Replayed"), "true");
    resp_free(a);
    resp_free(b);
    free(body);
    /* the same key with another body: 422, nothing created */
    body = doc_text(svc_doc(pid, "Usługa dwa", "other"));
    struct resp *c = direct("POST", "/v1/services", w->admin_a, body, h);
    ck_problem(c, 422, "validation_failed");
    resp_free(c);
    free(body);
    struct ids all;
    svc_list_all(w->admin_a, fmt("partner_id=%s", pid), &all);
    ck_assert_int_eq(all.n, 1);
}
END_TEST

/* ---- roles
 * ---------------------------------------------------------------------------------------- */

START_TEST(roles_on_create)
{
    const struct world *w = world();
    char own[37], other[37], staff[80], staff_id[37];
    mk_partner(w->admin_a, uniq("Klub Sportowy Odra"), NULL, "culture_sport", own);
    mk_partner(w->admin_a, uniq("Parafialny Zespół Caritas"), NULL, "ngo", other);
    make_user(w->admin_a, "partner_staff", own, staff, staff_id);
    char own_q[64], other_q[64];
    snprintf(own_q, sizeof own_q, "partner_id=%s", own);
    snprintf(other_q, sizeof other_q, "partner_id=%s", other);

    /* roles that may never create: 403 before anything, nothing created;
     * partner staff: its own partner yes, another partner no */
    char *never = doc_text(svc_doc(own, "Nie powinno powstać", "leisure_sport"));
    char *foreign = doc_text(svc_doc(other, "Cudza usługa", "material_aid"));
    const struct refusal refused[] = {
        {"social worker", w->social_a, "POST", "/v1/services", never, NULL, 403, "forbidden"},
        {"auditor", w->auditor_a, "POST", "/v1/services", never, NULL, 403, "forbidden"},
        {"staff, another partner", staff, "POST", "/v1/services", foreign, NULL, 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(refused);
    free(never);
    free(foreign);
    expect_set(w->admin_a, own_q, 0);
    expect_set(w->admin_a, other_q, 0);

    char s1[37], s2[37], s3[37];
    create_svc(staff, svc_doc(own, "Zajęcia piłkarskie", "leisure_sport"), s1);
    create_svc(w->coord_a, svc_doc(own, "Zajęcia pływackie", "leisure_sport"), s2);
    create_svc(w->admin_a, svc_doc(other, "Paczki żywnościowe", "material_aid"), s3);
    expect_set(w->admin_a, own_q, 2, s1, s2);
    expect_set(w->admin_a, other_q, 1, s3);
    /* a platform admin has no tenant's services */
    const struct refusal platform[] = {
        {"platform admin", w->platform, "GET", "/v1/services", NULL, NULL, 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(platform);
}
END_TEST

START_TEST(roles_on_read_patch_delete)
{
    const struct world *w = world();
    char own[37], other[37], staff[80];
    mk_partner(w->admin_a, uniq("Poradnia Uzależnień Rola"), NULL, "addiction", own);
    mk_partner(w->admin_a, uniq("Powiatowy Urząd Pracy Rola"), NULL, "labour", other);
    make_user(w->admin_a, "partner_staff", own, staff, NULL);
    char mine[37], theirs[37];
    create_svc(w->admin_a, svc_doc(own, "Konsultacje", "addiction_therapy"), mine);
    create_svc(w->admin_a, svc_doc(other, "Staże", "vocational_activation"), theirs);

    /* every tenant role reads */
    const char *readers[] = {w->admin_a, w->coord_a, w->social_a, staff, w->auditor_a};
    for (size_t i = 0; i < 5; i++) {
        struct resp *r = api("GET", fmt("/v1/services/%s", theirs), readers[i], NULL);
        ck_assert_msg(r->status == 200, "reader %zu: %ld", i, r->status);
        resp_free(r);
        r = api("GET", fmt("/v1/services?partner_id=%s", other), readers[i], NULL);
        ck_assert_int_eq(r->status, 200);
        ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
        resp_free(r);
    }

    char *b_mine = svc_text(mine), *b_theirs = svc_text(theirs);
    /* social worker and auditor may not write; partner staff: another
     * partner's service is visible but not theirs to change, nor may it hand
     * its own service to another partner, nor delete, even its own */
    LOCALF(mp, "/v1/services/%s", mine);
    LOCALF(mt, "/v1/services/%s/transitions", mine);
    LOCALF(tp, "/v1/services/%s", theirs);
    LOCALF(tt, "/v1/services/%s/transitions", theirs);
    LOCALF(hand_over, "{\"partner_id\":\"%s\"}", other);
    const char *take = "{\"name\":\"Przejęte\"}", *activate = "{\"to\":\"active\"}";
    const struct refusal refused[] = {
        {"social worker", w->social_a, "PATCH", mp, take, "\"1\"", 403, "forbidden"},
        {"social worker", w->social_a, "DELETE", mp, NULL, "\"1\"", 403, "forbidden"},
        {"social worker", w->social_a, "POST", mt, activate, NULL, 403, "forbidden"},
        {"auditor", w->auditor_a, "PATCH", mp, take, "\"1\"", 403, "forbidden"},
        {"auditor", w->auditor_a, "DELETE", mp, NULL, "\"1\"", 403, "forbidden"},
        {"auditor", w->auditor_a, "POST", mt, activate, NULL, 403, "forbidden"},
        {"staff, another partner's", staff, "PATCH", tp, take, "\"1\"", 403, "forbidden"},
        {"staff, another partner's", staff, "POST", tt, activate, NULL, 403, "forbidden"},
        {"staff, handing over", staff, "PATCH", mp, hand_over, "\"1\"", 403, "forbidden"},
        {"staff, its own", staff, "DELETE", mp, NULL, "\"1\"", 403, "forbidden"},
        {NULL}};
    CHECK_REFUSALS(refused);
    ck_unchanged(w->admin_a, mine, b_mine);
    ck_unchanged(w->admin_a, theirs, b_theirs);
    free(b_mine);
    free(b_theirs);

    /* its own service it may patch and move */
    struct resp *r = api_if("PATCH", fmt("/v1/services/%s", mine), staff,
                            "{\"how_to_access\":\"Zapisy\"}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "how_to_access"), "Zapisy");
    resp_free(r);
    transition_ok(staff, mine, "active");
    /* coordinator deletes */
    long long v = version_of(fmt("/v1/services/%s", theirs), w->coord_a);
    r = api_if("DELETE", fmt("/v1/services/%s", theirs), w->coord_a, NULL, etag(v));
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    ck_assert_int_eq(version_of(fmt("/v1/services/%s", theirs), w->admin_a), -1);
}
END_TEST

/* ---- transitions
 * ------------------------------------------------------------------------------------ */

static void expect_409(const char *tok, const char *id, const char *to, int nallowed, ...)
{
    char *before = record_of(fmt("/v1/services/%s", id), tok);
    struct resp *r =
        api("POST", fmt("/v1/services/%s/transitions", id), tok, fmt("{\"to\":\"%s\"}", to));
    ck_problem(r, 409, "invalid_transition");
    json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && (int)json_array_size(allowed) == nallowed,
                  "to %s: allowed %s", to, r->body);
    va_list ap;
    va_start(ap, nallowed);
    for (int i = 0; i < nallowed; i++) {
        const char *want = va_arg(ap, const char *);
        bool found = false;
        size_t k;
        json_t *a;
        json_array_foreach(allowed, k, a) found |= strcmp(json_string_value(a), want) == 0;
        ck_assert_msg(found, "to %s: %s not allowed in %s", to, want, r->body);
    }
    va_end(ap);
    resp_free(r);
    ck_unchanged(tok, id, before);
    free(before);
}

START_TEST(transitions_follow_the_state_machine)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Centrum Integracji Społecznej"), "CIS", "labour", pid);
    create_svc(w->admin_a, svc_doc(pid, "Reintegracja zawodowa", "vocational_activation"), id);
    expect_409(w->admin_a, id, "suspended", 2, "active", "retired");
    expect_409(w->admin_a, id, "draft", 2, "active", "retired");

    struct resp *r = api_h("POST", fmt("/v1/services/%s/transitions", id), w->admin_a,
                           "{\"to\":\"active\",\"reason\":\"Karta zweryfikowana\"}",
                           (const char *[]){"If-Match: \"1\"", NULL});
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    expect_409(w->admin_a, id, "draft", 2, "suspended", "retired");
    expect_409(w->admin_a, id, "active", 2, "suspended", "retired");

    /* a stale If-Match is 412 and changes nothing */
    char *before = svc_text(id);
    r = api_h("POST", fmt("/v1/services/%s/transitions", id), w->admin_a, "{\"to\":\"suspended\"}",
              (const char *[]){"If-Match: \"1\"", NULL});
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);
    /* an unknown target is 422 */
    r = direct("POST", fmt("/v1/services/%s/transitions", id), w->admin_a, "{\"to\":\"paused\"}",
               NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "to", "enum", "body");
    resp_free(r);

    transition_ok(w->coord_a, id, "suspended");
    expect_409(w->admin_a, id, "suspended", 2, "active", "retired");
    transition_ok(w->admin_a, id, "active");
    transition_ok(w->admin_a, id, "retired");
    ck_assert_int_eq(version_of(fmt("/v1/services/%s", id), w->admin_a), 5);
    expect_409(w->admin_a, id, "active", 0);
    expect_409(w->admin_a, id, "retired", 0);
    expect_409(w->admin_a, id, "draft", 0);
}
END_TEST

START_TEST(withdrawn_partner_services)
{
    const struct world *w = world();
    char pid[37], active[37], draft[37], keep_pid[37], keep[37];
    mk_partner(w->admin_a, uniq("Stowarzyszenie Odchodzące"), NULL, "ngo", pid);
    mk_partner(w->admin_a, uniq("Stowarzyszenie Zostające"), NULL, "ngo", keep_pid);
    create_svc(w->admin_a, svc_doc(pid, "Świetlica środowiskowa", "day_support_children"), active);
    create_svc(w->admin_a, svc_doc(pid, "Korepetycje", "education_support"), draft);
    create_svc(w->admin_a, svc_doc(keep_pid, "Półkolonie", "leisure_sport"), keep);
    transition_ok(w->admin_a, active, "active");
    transition_ok(w->admin_a, keep, "active");

    struct resp *r = api("POST", fmt("/v1/partners/%s/transitions", pid), w->admin_a,
                         "{\"to\":\"withdrawn\",\"reason\":\"Rozwiązanie porozumienia\"}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);

    /* its active service is suspended (a new version); the draft stays; others are untouched */
    json_t *s = get_svc(w->admin_a, active);
    ck_assert_str_eq(jstr(s, "status"), "suspended");
    ck_assert_int_eq(jint(s, "version"), 3);
    json_decref(s);
    s = get_svc(w->admin_a, draft);
    ck_assert_str_eq(jstr(s, "status"), "draft");
    ck_assert_int_eq(jint(s, "version"), 1);
    json_decref(s);
    s = get_svc(w->admin_a, keep);
    ck_assert_str_eq(jstr(s, "status"), "active");
    json_decref(s);

    /* neither can be activated: 409, with what is missing, and nothing changes */
    const char *both[] = {active, draft};
    for (int i = 0; i < 2; i++) {
        char *before = svc_text(both[i]);
        r = api("POST", fmt("/v1/services/%s/transitions", both[i]), w->admin_a,
                "{\"to\":\"active\"}");
        ck_problem(r, 409, "invalid_transition");
        json_t *allowed = json_object_get(r->json, "allowed");
        ck_assert_int_eq(json_array_size(allowed), 1);
        ck_assert_str_eq(json_string_value(json_array_get(allowed, 0)), "retired");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "missing"), 0)),
                         "partner.status");
        resp_free(r);
        ck_unchanged(w->admin_a, both[i], before);
        free(before);
    }
    /* retiring them is still possible */
    transition_ok(w->admin_a, draft, "retired");
}
END_TEST

/* ---- tenants
 * -------------------------------------------------------------------------------------------- */

START_TEST(other_tenant_sees_nothing)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Partner Tylko A"), NULL, "police", pid);
    json_t *d = svc_doc(pid, "Dzielnicowy", "crisis_intervention");
    json_object_set_new(d, "capacity", json_pack("{s:i}", "available", 1));
    create_svc(w->admin_a, d, id);
    transition_ok(w->admin_a, id, "active");
    char *before = svc_text(id);
    char one[96];
    snprintf(one, sizeof one, "/v1/services/%s", id);
    const char *b_tokens[] = {w->admin_b, w->staff_b};
    for (size_t k = 0; k < 2; k++) {
        const char *tok = b_tokens[k];
        struct resp *r = api("GET", one, tok, NULL);
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api_if("PATCH", one, tok, "{\"name\":\"Przejęta\"}", "\"2\"");
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("POST", fmt("%s/transitions", one), tok, "{\"to\":\"suspended\"}");
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("PATCH", fmt("%s/capacity", one), tok, "{\"available\":0}");
        ck_problem(r, 404, "not_found");
        resp_free(r);
    }
    struct resp *r = api_if("DELETE", one, w->admin_b, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);

    /* lists, filters, search and the export of B hold nothing of A */
    struct ids all;
    svc_list_all(w->admin_b, "", &all);
    ck_assert(!svc_has_id(&all, id));
    expect_set(w->admin_b, fmt("partner_id=%s", pid), 0);
    expect_set(w->admin_b, fmt("q=%s", svc_enc("Dzielnicowy")), 0);
    r = api("GET", "/v1/services/export/hsds", w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_null(strstr(r->body, id));
    ck_assert_ptr_null(strstr(r->body, pid));
    resp_free(r);

    /* B cannot attach a service to A's partner, by id or by import */
    char *body = doc_text(svc_doc(pid, "Podrzucona", "other"));
    r = direct("POST", "/v1/services", w->admin_b, body, NULL);
    free(body);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", "not_found", "body");
    resp_free(r);
    char csv[160];
    snprintf(csv, sizeof csv, "partner_id;name;category\n%s;Podrzucona;other\n", pid);
    r = import_csv(prism_url(), w->admin_b, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 2, "partner_id", "not_found");
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s", pid), 1, id);
}
END_TEST

TCase *tcase_services_crud(void)
{
    TCase *tc = tcase_create("crud");
    tcase_add_test(tc, admin_create_get_patch_delete);
    tcase_add_test(tc, create_validation_changes_nothing);
    tcase_add_test(tc, idempotent_create);
    tcase_add_test(tc, roles_on_create);
    tcase_add_test(tc, roles_on_read_patch_delete);
    return tc;
}

TCase *tcase_services_transitions(void)
{
    TCase *tc = tcase_create("transitions");
    tcase_add_test(tc, transitions_follow_the_state_machine);
    tcase_add_test(tc, withdrawn_partner_services);
    return tc;
}

TCase *tcase_services_tenants(void)
{
    TCase *tc = tcase_create("tenants");
    tcase_add_test(tc, other_tenant_sees_nothing);
    return tc;
}
