/* Tenants: TERYT rules, patch and deactivation, their users as seen by the
 * platform admin, updated_since. */
#include "auth.h"

/* ---- tenants ---- */

static char *tenant_json(const char *name, const char *teryt, const char *kind, const char *voiv)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "teryt", teryt, "kind", kind,
                          "voivodeship", voiv);
    char *s = jdump(o);
    json_decref(o);
    return s;
}

static size_t tenant_count(void)
{
    size_t n = 0;
    char cursor[512] = "";
    for (int i = 0; i < 100; i++) {
        struct resp *r =
            direct("GET", fmt("/v1/tenants?limit=200%s%s", *cursor ? "&cursor=" : "", cursor),
                   world()->platform, NULL, NULL);
        ck_assert_int_eq(r->status, 200);
        n += json_array_size(json_object_get(r->json, "items"));
        const char *c = jstr(r->json, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", c ? c : "");
        resp_free(r);
        if (!*cursor)
            break;
    }
    return n;
}

START_TEST(tenant_teryt_rules)
{
    const struct world *w = world();
    int p = (int)getpid() % 90 + 10;
    const char *gm = "gmina_miejska";
    struct {
        const char *teryt, *kind, *voiv, *field, *code;
    } bad[] = {
        {"0112011", gm, "dolnoslaskie", "teryt", "invalid"},       /* odd voivodeship part */
        {"3412011", gm, "zachodniopomorskie", "teryt", "invalid"}, /* beyond 32 */
        {"0012011", gm, "dolnoslaskie", "teryt", "invalid"},       /* 00 */
        {"1200011", gm, "malopolskie", "teryt", "invalid"},        /* powiat 00 */
        {"1261019", gm, "malopolskie", "teryt", "invalid"},        /* gmina kind digit 9 */
        {"12a1011", gm, "malopolskie", "teryt", "format"},
        {"126101", gm, "malopolskie", "teryt", "format"},
        {"12610111", gm, "malopolskie", "teryt", "format"},
        {"1261", gm, "malopolskie", "kind", NULL},          /* 4 digits: a powiat */
        {"1261011", "powiat", "malopolskie", "kind", NULL}, /* 7 digits: not a powiat */
        {"1261011", gm, "slaskie", "voivodeship", NULL},    /* 12 is malopolskie */
        {"1261011", gm, "mazovia", "voivodeship", "enum"},
        {"1261011", "metropolia", "malopolskie", "kind", "enum"},
    };
    size_t before = tenant_count();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = tenant_json("Gmina Zła", bad[i].teryt, bad[i].kind, bad[i].voiv);
        struct resp *r = api("POST", "/v1/tenants", w->platform, body);
        ck_assert_msg(r->status == 422, "teryt %s kind %s voiv %s: %ld %s", bad[i].teryt,
                      bad[i].kind, bad[i].voiv, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "body");
        resp_free(r);
        free(body);
    }
    ck_assert_uint_eq(tenant_count(), before);

    /* a good gmina and a good powiat; then the same teryt again is a conflict */
    char teryt[16], powiat[16];
    snprintf(teryt, sizeof teryt, "06%02d%02d2", p, (int)(getpid() / 90) % 100);
    snprintf(powiat, sizeof powiat, "08%02d", p);
    char *body = tenant_json("Gmina Wiejska Testowa", teryt, "gmina_wiejska", "lubelskie");
    struct resp *r = api("POST", "/v1/tenants", w->platform, body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/tenants/%s", jstr(r->json, "id")));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "teryt"), teryt);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    resp_free(r);
    r = api("POST", "/v1/tenants", w->platform, body);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    free(body);
    body = tenant_json("Powiat Testowy", powiat, "powiat", "lubuskie");
    r = api("POST", "/v1/tenants", w->platform, body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    resp_free(r);
    free(body);
    ck_assert_uint_eq(tenant_count(), before + 2);
}
END_TEST

START_TEST(tenant_patch_and_deactivation)
{
    const struct world *w = world();
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    LOCALF(t, "/v1/tenants/%s", tenant);
    struct resp *r = api("GET", t, w->platform, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    resp_free(r);
    /* teryt and voivodeship are fixed */
    r = api_if("PATCH", t, w->platform, "{\"teryt\":\"1261011\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "teryt", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", t, w->platform, "{\"kind\":\"powiat\"}", "\"1\""); /* 7-digit teryt */
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", NULL, "body");
    resp_free(r);
    ck_assert_int_eq(version_of(t, w->platform), 1);
    r = api("GET", "/v1/me", admin, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api_if("PATCH", t, w->platform, "{\"active\":false}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    /* its users' tokens stop working at once */
    r = api("GET", "/v1/partners", admin, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
    /* platform admin only: an admin of the tenant cannot reach /v1/tenants */
    r = api("GET", fmt("/v1/tenants/%s", w->tenant_a), w->admin_a, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api_if("PATCH", fmt("/v1/tenants/%s", w->tenant_a), w->admin_a, "{\"active\":false}",
               "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("GET", fmt("/v1/tenants/%s", NOWHERE), w->platform, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(tenant_users_by_platform_admin)
{
    const struct world *w = world();
    struct resp *r = api("POST", fmt("/v1/tenants/%s/users", NOWHERE), w->platform,
                         "{\"name\":\"X\",\"email\":\"x@nowhere.example\",\"role\":\"admin\"}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", fmt("/v1/tenants/%s/users", w->tenant_b), w->platform,
            fmt("{\"name\":\"X\",\"email\":\"pa%d@b.example\",\"role\":\"platform_admin\"}",
                (int)getpid()));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "role", NULL, "body");
    resp_free(r);
    /* a tenant with its admin: the admin makes the other users (auth_platform.c) */
    r = api(
        "POST", fmt("/v1/tenants/%s/users", w->tenant_b), w->platform,
        fmt("{\"name\":\"Koordynator B\",\"email\":\"kb%d@b.example\",\"role\":\"coordinator\"}",
            (int)getpid()));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "role", NULL, "body");
    resp_free(r);
    r = api("POST", fmt("/v1/tenants/%s/users", w->tenant_b), w->platform,
            fmt("{\"name\":\"Admin B2\",\"email\":\"ab%d@b.example\",\"role\":\"admin\"}",
                (int)getpid()));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    /* platform-level users at /v1/users: only platform roles */
    r = api("POST", "/v1/users", w->platform,
            fmt("{\"name\":\"X\",\"email\":\"co%d@p.example\",\"role\":\"coordinator\"}",
                (int)getpid()));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "role", NULL, "body");
    resp_free(r);
    r = api("POST", "/v1/users", w->platform,
            fmt("{\"name\":\"Analityk\",\"email\":\"an%d@p.example\",\"role\":\"regional_analyst\","
                "\"granted_tenant_ids\":[\"%s\"]}",
                (int)getpid(), w->tenant_a));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert(json_is_null(json_object_get(r->json, "tenant_id")));
    const json_t *granted = json_object_get(r->json, "granted_tenant_ids");
    ck_assert_uint_eq(json_array_size(granted), 1);
    ck_assert_str_eq(json_string_value(json_array_get(granted, 0)), w->tenant_a);
    resp_free(r);
}
END_TEST

START_TEST(tenant_list_accepts_updated_since)
{
    /* SPEC §4: ?updated_since= everywhere; openapi lists it for /v1/tenants */
    const struct world *w = world();
    struct resp *r =
        api("GET", "/v1/tenants?updated_since=2020-01-01T00:00:00Z", w->platform, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 2);
    resp_free(r);
}
END_TEST

TCase *tcase_auth_tenants(void)
{
    TCase *tc = tcase_create("tenants");
    tcase_add_test(tc, tenant_teryt_rules);
    tcase_add_test(tc, tenant_patch_and_deactivation);
    tcase_add_test(tc, tenant_users_by_platform_admin);
    tcase_add_test(tc, tenant_list_accepts_updated_since);
    return tc;
}
