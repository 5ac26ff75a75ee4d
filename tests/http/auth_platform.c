/* Auth: platform scope ends at the tenant's door (issue 10, point 2). A
 * platform admin creates tenants and a tenant's first admin, whose token is
 * shown once in that answer; it never mints tokens for an existing tenant
 * user, never reads family data, and what it does to a tenant's users is in
 * that tenant's audit log, for its admin and auditor to see. */
#include "auth.h"

/* (families.c) */
json_t *audit_rows(const char *tok, const char *query);
const json_t *audit_find(const json_t *rows, const char *action, const char *resource,
                         const char *resource_id, long status, const char *actor,
                         const char *request_id);

static void new_tenant(char out[37])
{
    static int n;
    long k = (long)getpid() * 16 + ++n;
    struct resp *r = api("POST", "/v1/tenants", world()->platform,
                         fmt("{\"name\":\"Gmina Progowa %ld\",\"teryt\":\"06%02ld%02ld2\",\"kind\":"
                             "\"gmina_wiejska\",\"voivodeship\":\"lubelskie\"}",
                             k, k % 99 + 1, (k / 99) % 100));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

START_TEST(platform_admin_creates_the_first_admin_with_its_token_once)
{
    const struct world *w = world();
    char tenant[37], admin_id[37], admin[80];
    new_tenant(tenant);
    LOCALF(tu, "/v1/tenants/%s/users", tenant);
    /* the first user is the tenant's admin */
    struct resp *r = api("POST", tu, w->platform,
                         fmt("{\"name\":\"Koordynator\",\"email\":\"k%d@first.example\","
                             "\"role\":\"coordinator\"}",
                             (int)getpid()));
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    const char *const idem[] = {"Idempotency-Key: first-admin", NULL};
    r = direct(
        "POST", tu, w->platform,
        fmt("{\"name\":\"Anna Pierwsza\",\"email\":\"a%d@first.example\",\"role\":\"admin\"}",
            (int)getpid()),
        idem);
    ck_problem(r, 422, "validation_failed"); /* a secret is never replayed */
    resp_free(r);
    r = api("POST", tu, w->platform,
            fmt("{\"name\":\"Anna Pierwsza\",\"email\":\"a%d@first.example\",\"role\":\"admin\"}",
                (int)getpid()));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "role"), "admin");
    ck_assert_str_eq(jstr(r->json, "tenant_id"), tenant);
    snprintf(admin_id, sizeof admin_id, "%s", jstr(r->json, "id"));
    const json_t *tok = json_object_get(r->json, "token");
    ck_assert_msg(json_is_object(tok) && jstr(tok, "token") && jstr(tok, "id"), "%s", r->body);
    snprintf(admin, sizeof admin, "%s", jstr(tok, "token"));
    resp_free(r);
    r = api("GET", "/v1/me", admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "id"), admin_id);
    resp_free(r);
    /* once the tenant has its admin, its users are the admin's to make */
    r = api("POST", tu, w->platform,
            fmt("{\"name\":\"Drugi\",\"email\":\"b%d@first.example\",\"role\":\"admin\"}",
                (int)getpid()));
    ck_problem(r, 409, "conflict");
    resp_free(r);

    /* no token for an existing tenant user, the admin included */
    char sw[80], sw_id[37], adm2[80], adm2_id[37];
    make_user(admin, "social_worker", NULL, sw, sw_id);
    make_user(admin, "admin", NULL, adm2, adm2_id);
    const char *users[] = {admin_id, sw_id, adm2_id};
    for (int i = 0; i < 3; i++) {
        r = api("POST", fmt("/v1/users/%s/tokens", users[i]), w->platform, "{\"name\":\"x\"}");
        ck_assert_msg(r->status == 403 || r->status == 404, "user %d: %ld %s", i, r->status,
                      r->body);
        ck_assert_ptr_null(strstr(r->body, "koop_"));
        resp_free(r);
    }
    /* nor family data */
    r = api("GET", "/v1/families", w->platform, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);

    /* what it does to the tenant's users is in the tenant's audit log */
    char me_id[37];
    r = api("GET", "/v1/me", w->platform, NULL);
    snprintf(me_id, sizeof me_id, "%s", jstr(json_object_get(r->json, "user"), "id"));
    resp_free(r);
    r = api("GET", fmt("/v1/users/%s/tokens", adm2_id), w->platform, NULL);
    ck_assert_int_eq(r->status, 200);
    char tid[37];
    snprintf(tid, sizeof tid, "%s",
             jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    r = api("DELETE", fmt("/v1/users/%s/tokens/%s", adm2_id, tid), w->platform, NULL);
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    long long v = version_of(fmt("/v1/users/%s", adm2_id), admin);
    r = api_if("PATCH", fmt("/v1/users/%s", adm2_id), w->platform, "{\"active\":false}", etag(v));
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    char aud[80];
    make_user(admin, "auditor", NULL, aud, NULL);
    const char *readers[] = {admin, aud};
    for (int i = 0; i < 2; i++) {
        json_t *rows = audit_rows(readers[i], fmt("actor_id=%s", me_id));
        ck_assert_msg(audit_find(rows, "create", "user", admin_id, 201, me_id, NULL),
                      "the first admin's creation");
        ck_assert_msg(audit_find(rows, "create", "token", "*", 201, me_id, NULL),
                      "the first admin's token");
        ck_assert_msg(audit_find(rows, "delete", "token", tid, 204, me_id, NULL),
                      "the platform's revocation");
        ck_assert_msg(audit_find(rows, "update", "user", adm2_id, 200, me_id, NULL),
                      "the platform's deactivation");
        json_decref(rows);
    }
}
END_TEST

TCase *tcase_auth_platform(void)
{
    TCase *tc = tcase_create("platform");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, platform_admin_creates_the_first_admin_with_its_token_once);
    return tc;
}
