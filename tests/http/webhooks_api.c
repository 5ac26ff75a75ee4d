/* Subscriptions as an API resource: created by admins only with the secret
 * shown once and never again, targets into private ranges refused, merge
 * patch with If-Match, delete. */
#include "webhooks.h"

#include <string.h>

static const char *const TARGET = "https://hooks.example.org/kooperacje";

START_TEST(secret_shown_once)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char id[37], secret[80];
    long long last;
    HOOK_CREATE(t.admin, TARGET, "[\"partner.*\", \"action.referred\"]", id, secret, &last);
    ck_assert_int_ge(last, 0);
    const char *paths[] = {fmt("/v1/webhooks/%s", id), "/v1/webhooks"};
    for (int i = 0; i < 2; i++) {
        struct resp *r = api("GET", paths[i], t.admin, NULL);
        EXPECT(r, 200);
        ck_assert_msg(!strstr(r->body, secret) && !strstr(r->body, "\"secret\""),
                      "%s shows the secret: %s", paths[i], r->body);
        resp_free(r);
    }
    struct resp *r = api("GET", fmt("/v1/webhooks/%s", id), t.admin, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_str_eq(jstr(r->json, "url"), TARGET);
    ck_assert(json_is_true(json_object_get(r->json, "active")));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "types")), 2);
    resp_free(r);
    /* a secret is never replayed */
    const char *idem[] = {"Idempotency-Key: hook-1", NULL};
    r = direct("POST", "/v1/webhooks", t.admin,
               fmt("{\"url\": \"%s\", \"types\": [\"partner.created\"]}", TARGET), idem);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "Idempotency-Key", "unknown_field", "header");
    resp_free(r);
}
END_TEST

START_TEST(private_targets_refused)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    /* KOOP_WEBHOOK_ALLOW is 127.0.0.1 in the test daemon: nothing else private passes */
    const char *urls[] = {"https://10.1.2.3/hook",          "https://192.168.0.10/hook",
                          "https://169.254.169.254/latest", "https://[::1]:8443/hook",
                          "https://localhost/hook",         "https://[fd00::1]/hook",
                          "https://100.64.0.1/hook",        "http://hooks.example.org/hook",
                          "https://172.16.5.4:8443/x",      "https://[::ffff:10.0.0.1]/hook"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct resp *r = api("POST", "/v1/webhooks", t.admin,
                             fmt("{\"url\": \"%s\", \"types\": [\"partner.created\"]}", urls[i]));
        ck_assert_msg(r->status == 422, "%s: %ld %s", urls[i], r->status, r->body);
        ck_error(r, "url", "format", "body");
        resp_free(r);
    }
    /* not a URL, not http(s), bad types: straight to the daemon (Prism would refuse them) */
    struct resp *r =
        direct("POST", "/v1/webhooks", t.admin,
               "{\"url\": \"ftp://hooks.example.org/x\", \"types\": [\"partner\"]}", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "url", "format", "body");
    ck_error(r, "types[0]", "format", "body");
    resp_free(r);
    r = direct("POST", "/v1/webhooks", t.admin, "{\"url\": \"https://hooks.example.org/x\"}", NULL);
    ck_error(r, "types", "required", "body");
    resp_free(r);
    /* a patch is judged the same way */
    char id[37], secret[80];
    HOOK_CREATE(t.admin, TARGET, "[\"*\"]", id, secret, NULL);
    r = api_if("PATCH", fmt("/v1/webhooks/%s", id), t.admin, "{\"url\": \"https://10.0.0.8/\"}",
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "url", "format", "body");
    resp_free(r);
}
END_TEST

START_TEST(patch_and_delete)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char id[37], secret[80];
    HOOK_CREATE(t.admin, TARGET, "[\"partner.created\"]", id, secret, NULL);
    const char *path = fmt("/v1/webhooks/%s", id);
    LOCALF(p, "%s", path);
    struct resp *r = api_if("PATCH", p, t.admin, "{\"active\": false}", NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", p, t.admin,
               "{\"active\": false, \"types\": [\"service.*\", \"partner.created\"], "
               "\"url\": \"https://other.example.org/in\"}",
               "\"1\"");
    EXPECT(r, 200);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_str_eq(jstr(r->json, "url"), "https://other.example.org/in");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    r = api_if("PATCH", p, t.admin, "{\"active\": true}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", p, t.admin, NULL, "\"2\"");
    EXPECT(r, 204);
    resp_free(r);
    r = api("GET", p, t.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(only_admins)
{
    const struct world *w = world();
    char id[37], secret[80];
    HOOK_CREATE(w->admin_a, TARGET, "[\"partner.created\"]", id, secret, NULL);
    LOCALF(one, "/v1/webhooks/%s", id);
    LOCALF(log, "/v1/webhooks/%s/deliveries", id);
    LOCALF(resume, "/v1/webhooks/%s/resume", id);
    LOCALF(again, "/v1/webhooks/%s/deliveries/1/redeliver", id);
    const char *body =
        "{\"url\": \"https://hooks.example.org/x\", \"types\": [\"partner.created\"]}";
    const struct refusal rows[] = {
        {"coordinator", w->coord_a, "GET", "/v1/webhooks", NULL, NULL, 403, "forbidden"},
        {"coordinator", w->coord_a, "POST", "/v1/webhooks", body, NULL, 403, "forbidden"},
        {"social worker", w->social_a, "GET", one, NULL, NULL, 403, "forbidden"},
        {"partner staff", w->staff_a, "POST", "/v1/webhooks", body, NULL, 403, "forbidden"},
        {"auditor", w->auditor_a, "GET", log, NULL, NULL, 403, "forbidden"},
        {"auditor", w->auditor_a, "POST", resume, NULL, NULL, 403, "forbidden"},
        {"coordinator", w->coord_a, "POST", again, NULL, NULL, 403, "forbidden"},
        {"coordinator", w->coord_a, "DELETE", one, NULL, "\"1\"", 403, "forbidden"},
        {"platform admin", w->platform, "GET", "/v1/webhooks", NULL, NULL, 403, "forbidden"},
        {"no token", NULL, "GET", "/v1/webhooks", NULL, NULL, 401, "unauthorized"},
        {"another tenant's admin", w->admin_b, "GET", one, NULL, NULL, 404, "not_found"},
        {"another tenant's admin", w->admin_b, "GET", log, NULL, NULL, 404, "not_found"},
        {"another tenant's admin", w->admin_b, "POST", resume, NULL, NULL, 404, "not_found"},
        {"another tenant's admin", w->admin_b, "PATCH", one, "{\"active\": false}", "\"1\"", 404,
         "not_found"},
        {NULL}};
    CHECK_REFUSALS(rows);
    struct resp *r = api_if("DELETE", one, w->admin_a, NULL, "\"1\"");
    EXPECT(r, 204);
    resp_free(r);
}
END_TEST

TCase *tcase_webhooks_api(void)
{
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, secret_shown_once);
    tcase_add_test(tc, private_targets_refused);
    tcase_add_test(tc, patch_and_delete);
    tcase_add_test(tc, only_admins);
    return tc;
}
