/* Service endpoints, routing (404/405), request ids, CORS. */
#include "client.h"

#include <stdlib.h>
#include <string.h>

START_TEST(healthz_and_readyz)
{
    struct resp *r = api("GET", "/healthz", NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "ok");
    ck_assert_ptr_nonnull(resp_header(r, "X-Request-Id"));
    resp_free(r);
    r = api("GET", "/readyz", NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "ready");
    resp_free(r);
}
END_TEST

START_TEST(metrics_count_routes_by_template)
{
    const struct world *w = world();
    struct resp *r = api("GET", "/v1/partners", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", "/metrics", w->platform, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Content-Type"), "text/plain"));
    ck_assert_ptr_nonnull(strstr(
        r->body, "koop_http_requests_total{method=\"GET\",route=\"/v1/partners\",status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(r->body, "koop_http_request_duration_seconds_bucket"));
    ck_assert_ptr_nonnull(strstr(r->body, "koop_db_connections_open"));
    resp_free(r);
}
END_TEST

START_TEST(openapi_and_docs_are_served)
{
    struct resp *r = api("GET", "/openapi.yaml", NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "openapi: 3.1"));
    resp_free(r);
    r = api("GET", "/docs", NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "/docs/redoc.standalone.js"));
    resp_free(r);
    r = api("GET", "/docs/redoc.standalone.js", NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_gt(r->len, 100000);
    resp_free(r);
}
END_TEST

START_TEST(unknown_path_is_404_problem)
{
    struct resp *r = direct("GET", "/v1/nothing-here", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 404);
    ck_assert_str_eq(resp_header(r, "Content-Type"), "application/problem+json");
    ck_assert_str_eq(jstr(r->json, "type"), "/problems/not_found");
    ck_assert_int_eq(jint(r->json, "status"), 404);
    resp_free(r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    const struct world *w = world();
    struct resp *r = direct("PUT", "/v1/partners", w->admin_a, "{}", NULL);
    ck_assert_int_eq(r->status, 405);
    ck_assert_str_eq(jstr(r->json, "type"), "/problems/method_not_allowed");
    const char *allow = resp_header(r, "Allow");
    ck_assert_ptr_nonnull(allow);
    ck_assert_ptr_nonnull(strstr(allow, "GET"));
    ck_assert_ptr_nonnull(strstr(allow, "POST"));
    resp_free(r);
}
END_TEST

START_TEST(request_id_is_echoed_or_generated)
{
    const char *h[] = {"X-Request-Id: test-req.42", NULL};
    struct resp *r = direct("GET", "/healthz", NULL, NULL, h);
    ck_assert_str_eq(resp_header(r, "X-Request-Id"), "test-req.42");
    resp_free(r);
    const char *bad[] = {"X-Request-Id: has spaces and <html>", NULL};
    r = direct("GET", "/healthz", NULL, NULL, bad);
    const char *id = resp_header(r, "X-Request-Id");
    ck_assert_ptr_nonnull(id);
    ck_assert_str_ne(id, "has spaces and <html>");
    ck_assert_int_eq((int)strlen(id), 36);
    resp_free(r);
}
END_TEST

START_TEST(cors_preflight_and_exposed_headers)
{
    const char *pre[] = {"Origin: https://portal.example", "Access-Control-Request-Method: PATCH",
                         NULL};
    struct resp *r = direct("OPTIONS", "/v1/partners", NULL, NULL, pre);
    ck_assert_int_eq(r->status, 204);
    ck_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "https://portal.example");
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Access-Control-Allow-Headers"), "If-Match"));
    resp_free(r);
    const struct world *w = world();
    const char *get[] = {"Origin: https://portal.example", NULL};
    r = direct("GET", "/v1/partners", w->admin_a, NULL, get);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Access-Control-Expose-Headers"), "ETag"));
    resp_free(r);
    const char *evil[] = {"Origin: https://evil.example", NULL};
    r = direct("GET", "/v1/partners", w->admin_a, NULL, evil);
    ck_assert_ptr_null(resp_header(r, "Access-Control-Allow-Origin"));
    resp_free(r);
}
END_TEST

Suite *suite_basics(void)
{
    Suite *s = suite_create("basics");
    TCase *tc = tcase_create("service");
    tcase_add_test(tc, healthz_and_readyz);
    tcase_add_test(tc, metrics_count_routes_by_template);
    tcase_add_test(tc, openapi_and_docs_are_served);
    tcase_add_test(tc, unknown_path_is_404_problem);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, request_id_is_echoed_or_generated);
    tcase_add_test(tc, cors_preflight_and_exposed_headers);
    suite_add_tcase(s, tc);
    return s;
}
