/* Roles (the route table role by role, forbidden writes change nothing) and
 * users (made by a tenant's admin, other tenants' users, patch rules). */
#include "auth.h"

static const char *const role_names[NROLES] = {"platform_admin",  "admin",         "coordinator",
                                               "social_worker",   "partner_staff", "auditor",
                                               "regional_analyst"};

/* {T} tenant A, {P} partner A, {U} admin A's user id, {X} an id nobody has */
static void expand(const char *tpl, char *out, size_t n)
{
    const struct world *w = world();
    size_t o = 0;
    for (const char *p = tpl; *p && o + 40 < n; p++) {
        const char *sub = NULL;
        if (p[0] == '{' && p[1] && p[2] == '}') {
            switch (p[1]) {
            case 'T':
                sub = w->tenant_a;
                break;
            case 'P':
                sub = w->partner_a;
                break;
            case 'U':
                sub = w->admin_a_id;
                break;
            case 'X':
                sub = NOWHERE;
                break;
            }
        }
        if (sub) {
            o += (size_t)snprintf(out + o, n - o, "%s", sub);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = 0;
}

START_TEST(role_table)
{
    const struct world *w = world();
    const char *tok[NROLES] = {w->platform, w->admin_a,   w->coord_a, w->social_a,
                               w->staff_a,  w->auditor_a, w->analyst};
#define F 403
    static const struct route_case cases[] = {
        /*                                                        plat adm coord soc staff aud ana
         */
        {"GET", "/v1/me", NULL, {200, 200, 200, 200, 200, 200, 200}},
        {"GET", "/v1/tenants", NULL, {200, F, F, F, F, F, F}},
        {"POST", "/v1/tenants", "{}", {422, F, F, F, F, F, F}},
        {"GET", "/v1/tenants/{T}", NULL, {200, F, F, F, F, F, F}},
        {"PATCH", "/v1/tenants/{T}", "{}", {428, F, F, F, F, F, F}},
        {"POST", "/v1/tenants/{T}/users", "{}", {422, F, F, F, F, F, F}},
        {"GET", "/v1/users", NULL, {200, 200, F, F, F, F, F}},
        {"POST", "/v1/users", "{}", {422, 422, F, F, F, F, F}},
        {"GET", "/v1/users/{U}", NULL, {200, 200, F, F, F, F, F}},
        {"PATCH", "/v1/users/{U}", "{}", {428, 428, F, F, F, F, F}},
        {"GET", "/v1/users/{U}/tokens", NULL, {200, 200, 404, 404, 404, 404, 404}},
        {"GET", "/v1/partners", NULL, {F, 200, 200, 200, 200, 200, F}},
        {"POST", "/v1/partners", "{}", {F, 422, 422, F, F, F, F}},
        {"GET", "/v1/partners/{P}", NULL, {F, 200, 200, 200, 200, 200, F}},
        {"PATCH", "/v1/partners/{P}", "{}", {F, 428, 428, F, 428, F, F}},
        {"DELETE", "/v1/partners/{P}", NULL, {F, 428, 428, F, F, F, F}},
        {"POST", "/v1/partners/{P}/transitions", "{}", {F, 422, 422, F, F, F, F}},
        {"GET", "/v1/partners/{P}/agreements", NULL, {F, 200, 200, 200, 200, 200, F}},
        {"POST", "/v1/partners/{P}/agreements", "{}", {F, 422, 422, F, F, F, F}},
        {"GET", "/v1/partners/{P}/agreements/{X}", NULL, {F, 404, 404, 404, 404, 404, F}},
        {"PATCH", "/v1/partners/{P}/agreements/{X}", "{}", {F, 428, 428, F, F, F, F}},
        {"DELETE", "/v1/partners/{P}/agreements/{X}", NULL, {F, 428, 428, F, F, F, F}},
        {"GET", "/v1/partners/{P}/benefits", NULL, {F, 200, 200, 200, 200, 200, F}},
        {"POST", "/v1/partners/{P}/benefits", "{}", {F, 422, 422, F, F, F, F}},
        {"GET", "/v1/partners/{P}/benefits/{X}", NULL, {F, 404, 404, 404, 404, 404, F}},
        {"PATCH", "/v1/partners/{P}/benefits/{X}", "{}", {F, 428, 428, F, F, F, F}},
        {"DELETE", "/v1/partners/{P}/benefits/{X}", NULL, {F, 428, 428, F, F, F, F}},
        {"GET", "/v1/events", NULL, {F, 200, 200, 200, 200, 200, F}},
        {"GET", "/v1/audit-events", NULL, {200, 200, F, F, F, 200, F}},
    };
#undef F
    long long pa_version = version_of(fmt("/v1/partners/%s", w->partner_a), w->admin_a);
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        expand(cases[i].path, path, sizeof path);
        for (int role = 0; role < NROLES; role++) {
            struct resp *r = api(cases[i].method, path, tok[role], cases[i].body);
            int want = cases[i].want[role];
            bool ok = r->status == want;
            if (ok && want == 403)
                ok = r->json && jstr(r->json, "type") &&
                     !strcmp(jstr(r->json, "type"), "/problems/forbidden");
            if (!ok) {
                fprintf(stderr, "role_table: %s %s as %s: want %d, got %ld: %s\n", cases[i].method,
                        cases[i].path, role_names[role], want, r->status, r->body);
                failures++;
            }
            resp_free(r);
        }
    }
    ck_assert_msg(failures == 0, "%d role/route combinations answered wrongly (see stderr)",
                  failures);
    /* nothing above changed partner A */
    ck_assert_int_eq(version_of(fmt("/v1/partners/%s", w->partner_a), w->admin_a), pa_version);
}
END_TEST

START_TEST(forbidden_writes_change_nothing)
{
    const struct world *w = world();
    /* social worker, auditor, partner staff cannot create partners */
    const char *who[] = {w->social_a, w->auditor_a, w->staff_a};
    const char *name = uniq("Zakazany partner");
    char *body = partner_body(name, "ngo");
    for (size_t i = 0; i < 3; i++) {
        struct resp *r = api("POST", "/v1/partners", who[i], body);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    free(body);
    struct resp *r = api("GET", fmt("/v1/partners?q=%s", "Zakazany"), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    /* an auditor's transition attempt does not move the partner */
    LOCALF(pa, "/v1/partners/%s", w->partner_a);
    char *before = record_of(pa, w->admin_a);
    r = api("POST", fmt("%s/transitions", pa), w->auditor_a, "{\"to\":\"withdrawn\"}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api_if("DELETE", pa, w->social_a, NULL, "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    char *after = record_of(pa, w->admin_a);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
}
END_TEST

/* ---- users ---- */

START_TEST(admin_creates_users_in_own_tenant)
{
    const struct world *w = world();
    char email[96];
    snprintf(email, sizeof email, "Anna.Nowak-%d@MOPS.example.pl", (int)getpid());
    note_pii(email);
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "name", "Anna Nowak", "email", email, "role", "coordinator");
    char *body = jdump(o);
    json_decref(o);
    struct resp *r = api("POST", "/v1/users", w->admin_a, body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/users/%s", id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "tenant_id"), w->tenant_a);
    ck_assert_str_eq(jstr(r->json, "role"), "coordinator");
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    ck_assert(json_is_null(json_object_get(r->json, "partner_id")));
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "granted_tenant_ids")), 0);
    resp_free(r);
    r = api("GET", fmt("/v1/users/%s", id), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "email"), email);
    resp_free(r);

    /* the same e-mail, in any case, is a duplicate within the tenant ... */
    for (char *p = body; *p; p++)
        if (*p >= 'A' && *p <= 'Z' && strstr(body, "\"email\"") < p && p < strstr(body, "\"role\""))
            *p = (char)(*p + 32);
    r = api("POST", "/v1/users", w->admin_a, body);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    /* ... but not across tenants */
    r = api("POST", "/v1/users", w->admin_b, body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "tenant_id"), w->tenant_b);
    resp_free(r);
    free(body);

    /* partner staff need a partner of this tenant */
    r = api("POST", "/v1/users", w->admin_a,
            fmt("{\"name\":\"P\",\"email\":\"ps%d@x.example\",\"role\":\"partner_staff\"}",
                (int)getpid()));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", "required", "body");
    resp_free(r);
    r = api("POST", "/v1/users", w->admin_a,
            fmt("{\"name\":\"P\",\"email\":\"ps%d@x.example\",\"role\":\"partner_staff\","
                "\"partner_id\":\"%s\"}",
                (int)getpid(), w->partner_b));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", NULL, "body");
    resp_free(r);
    r = api("POST", "/v1/users", w->admin_a,
            fmt("{\"name\":\"P\",\"email\":\"ps%d@x.example\",\"role\":\"partner_staff\","
                "\"partner_id\":\"%s\"}",
                (int)getpid(), w->partner_a));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "partner_id"), w->partner_a);
    resp_free(r);
    /* other roles must not name a partner */
    r = api("POST", "/v1/users", w->admin_a,
            fmt("{\"name\":\"C\",\"email\":\"cp%d@x.example\",\"role\":\"coordinator\","
                "\"partner_id\":\"%s\"}",
                (int)getpid(), w->partner_a));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", NULL, "body");
    resp_free(r);
    /* an admin cannot create platform-level users */
    const char *platform_roles[] = {"platform_admin", "regional_analyst"};
    for (int i = 0; i < 2; i++) {
        r = api("POST", "/v1/users", w->admin_a,
                fmt("{\"name\":\"X\",\"email\":\"pl%d-%d@x.example\",\"role\":\"%s\"}",
                    (int)getpid(), i, platform_roles[i]));
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "role", NULL, "body");
        resp_free(r);
    }
    /* field-level validation names every bad field */
    r = api("POST", "/v1/users", w->admin_a,
            "{\"name\":\"\",\"email\":\"not-an-email\",\"role\":\"superuser\","
            "\"tenant_id\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\",\"nickname\":\"x\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", "min_length", "body");
    ck_error(r, "email", "format", "body");
    ck_error(r, "role", "enum", "body");
    ck_error(r, "tenant_id", "read_only", "body");
    ck_error(r, "nickname", "unknown_field", "body");
    resp_free(r);
    r = api("POST", "/v1/users", w->admin_a, "{\"name\":\"No Mail\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "email", "required", "body");
    ck_error(r, "role", "required", "body");
    resp_free(r);
    /* the admin's list holds only its own tenant */
    r = api("GET", "/v1/users?limit=200", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    size_t i;
    const json_t *u;
    json_array_foreach(json_object_get(r->json, "items"), i, u)
        ck_assert_str_eq(jstr(u, "tenant_id"), w->tenant_a);
    resp_free(r);
    r = api("GET", fmt("/v1/users?role=partner_staff&partner_id=%s", w->partner_a), w->admin_a,
            NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 2);
    json_array_foreach(json_object_get(r->json, "items"), i, u)
        ck_assert_str_eq(jstr(u, "partner_id"), w->partner_a);
    resp_free(r);
}
END_TEST

START_TEST(users_of_other_tenants_are_404)
{
    const struct world *w = world();
    LOCALF(admin_a, "/v1/users/%s", w->admin_a_id);
    char *before = record_of(admin_a, w->admin_a);
    ck_assert_ptr_nonnull(before);
    struct resp *r = api("GET", admin_a, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    long long v = version_of(admin_a, w->admin_a);
    r = api_if("PATCH", admin_a, w->admin_b, "{\"name\":\"Przejęty\"}", etag(v));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", admin_a, w->admin_b, "{\"active\":false}", etag(v));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    char *after = record_of(admin_a, w->admin_a);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    /* a tenant user other than an admin is invisible to a platform admin */
    r = api("GET", fmt("/v1/users/%s", w->staff_a_id), w->platform, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", fmt("/v1/users/%s", NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* and B's list never shows A's users */
    r = api("GET", "/v1/users?limit=200", w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_null(strstr(r->body, w->admin_a_id));
    ck_assert_ptr_null(strstr(r->body, w->staff_a_id));
    resp_free(r);
}
END_TEST

START_TEST(user_patch_rules)
{
    const struct world *w = world();
    char uid[37];
    make_user(w->admin_a, "coordinator", NULL, NULL, uid);
    LOCALF(user, "/v1/users/%s", uid);
    struct resp *r = api_if("PATCH", user, w->admin_a, "{\"role\":\"partner_staff\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", "required", "body");
    resp_free(r);
    r = api_if("PATCH", user, w->admin_a,
               "{\"id\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\",\"version\":7}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "id", "read_only", "body");
    ck_error(r, "version", "read_only", "body");
    resp_free(r);
    ck_assert_int_eq(version_of(user, w->admin_a), 1);
    r = api_if("PATCH", user, w->admin_a,
               fmt("{\"role\":\"partner_staff\",\"partner_id\":\"%s\",\"name\":\"Zmieniony\"}",
                   w->partner_a),
               "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "role"), "partner_staff");
    ck_assert_str_eq(jstr(r->json, "name"), "Zmieniony");
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    /* taking another user's e-mail is a conflict */
    struct resp *a = direct("GET", fmt("/v1/users/%s", w->admin_a_id), w->admin_a, NULL, NULL);
    r = api_if("PATCH", user, w->admin_a, fmt("{\"email\":\"%s\"}", jstr(a->json, "email")),
               "\"2\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    resp_free(a);
    ck_assert_int_eq(version_of(user, w->admin_a), 2);
}
END_TEST

TCase *tcase_auth_roles(void)
{
    TCase *tc = tcase_create("roles");
    tcase_add_test(tc, role_table);
    tcase_add_test(tc, forbidden_writes_change_nothing);
    return tc;
}

TCase *tcase_auth_users(void)
{
    TCase *tc = tcase_create("users");
    tcase_add_test(tc, admin_creates_users_in_own_tenant);
    tcase_add_test(tc, users_of_other_tenants_are_404);
    tcase_add_test(tc, user_patch_rules);
    return tc;
}
