/* server/router.c: matching, parameters, 404/405/422, and the real route
 * table of api/routes.c. */
#include "unit.h"

#include "api.h"
#include "router.h"
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_list(struct kreq *q, struct kres *s)
{
    (void)q;
    (void)s;
    return 1;
}
static int h_other(struct kreq *q, struct kres *s)
{
    (void)q;
    (void)s;
    return 2;
}

#define RT(m, p)                                                                                   \
    {                                                                                              \
        m, p, h_list, 0, 0, NULL, OP_NONE                                                          \
    }
static const struct koop_route table[] = {
    RT("GET", "/"),                                          /* 0 */
    RT("GET", "/items"),                                     /* 1 */
    RT("POST", "/items"),                                    /* 2 */
    RT("GET", "/items/export"),                              /* 3: literal before the param */
    RT("GET", "/items/{item_id}"),                           /* 4 */
    RT("PATCH", "/items/{item_id}"),                         /* 5 */
    RT("DELETE", "/items/{item_id}"),                        /* 6 */
    RT("GET", "/items/{item_id}/parts/{part_id}"),           /* 7 */
    RT("PUT", "/items/{item_id}/parts/{part_id}"),           /* 8 */
    RT("POST", "/items/{item_id}/parts"),                    /* 9 */
    {"GET", "/other", h_other, 0, RT_NOAUTH, NULL, OP_NONE}, /* 10 */
    RT("GET", "/items/recent"),                              /* 11: literal after the param */
    {NULL, NULL, NULL, 0, 0, NULL, OP_NONE},
};

#define U1 "0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2b"
#define U2 "0190f6e0-aaaa-7bbb-8ccc-dddddddddddd"
#define UU "0190F6E0-1C2D-7A3B-8C4D-5E6F70819A2B"

struct row {
    const char *method, *path;
    enum koop_match want;
    int route;          /* index into table on MATCH_OK */
    const char *allow;  /* on MATCH_METHOD */
    const char *params; /* on MATCH_OK: "name=value name=value"; on 422: the bad name */
};

static const struct row rows[] = {
    {"GET", "/", MATCH_OK, 0, NULL, ""},
    {"GET", "/items", MATCH_OK, 1, NULL, ""},
    {"POST", "/items", MATCH_OK, 2, NULL, ""},
    {"HEAD", "/items", MATCH_OK, 1, NULL, ""},
    {"GET", "/items/export", MATCH_OK, 3, NULL, ""},
    {"GET", "/items/" U1, MATCH_OK, 4, NULL, "item_id=" U1},
    {"GET", "/items/" UU, MATCH_OK, 4, NULL, "item_id=" UU},
    {"HEAD", "/items/" U1, MATCH_OK, 4, NULL, "item_id=" U1},
    {"PATCH", "/items/" U1, MATCH_OK, 5, NULL, "item_id=" U1},
    {"DELETE", "/items/" U1, MATCH_OK, 6, NULL, "item_id=" U1},
    {"GET", "/items/" U1 "/parts/" U2, MATCH_OK, 7, NULL, "item_id=" U1 " part_id=" U2},
    {"PUT", "/items/" U1 "/parts/" U2, MATCH_OK, 8, NULL, "item_id=" U1 " part_id=" U2},
    {"HEAD", "/items/" U1 "/parts/" U2, MATCH_OK, 7, NULL, "item_id=" U1 " part_id=" U2},
    {"POST", "/items/" U1 "/parts", MATCH_OK, 9, NULL, "item_id=" U1},
    {"GET", "/other", MATCH_OK, 10, NULL, ""},
    /* 405 with the Allow list in table order, OPTIONS last */
    {"DELETE", "/items", MATCH_METHOD, 0, "GET, POST, OPTIONS", NULL},
    {"PUT", "/items", MATCH_METHOD, 0, "GET, POST, OPTIONS", NULL},
    {"get", "/items", MATCH_METHOD, 0, "GET, POST, OPTIONS", NULL},
    {"POST", "/items/" U1, MATCH_METHOD, 0, "GET, PATCH, DELETE, OPTIONS", NULL},
    {"PUT", "/items/" U1, MATCH_METHOD, 0, "GET, PATCH, DELETE, OPTIONS", NULL},
    {"HEAD", "/items/" U1 "/parts", MATCH_METHOD, 0, "POST, OPTIONS", NULL},
    {"GET", "/items/" U1 "/parts", MATCH_METHOD, 0, "POST, OPTIONS", NULL},
    {"DELETE", "/items/" U1 "/parts/" U2, MATCH_METHOD, 0, "GET, PUT, OPTIONS", NULL},
    {"POST", "/other", MATCH_METHOD, 0, "GET, OPTIONS", NULL},
    /* a path matching a literal and a {param} pattern belongs to the more
     * literal one, wherever it is in the table */
    {"POST", "/items/export", MATCH_METHOD, 0, "GET, OPTIONS", NULL},
    {"DELETE", "/items/export", MATCH_METHOD, 0, "GET, OPTIONS", NULL},
    {"GET", "/items/recent", MATCH_OK, 11, NULL, ""},
    {"HEAD", "/items/recent", MATCH_OK, 11, NULL, ""},
    {"PATCH", "/items/recent", MATCH_METHOD, 0, "GET, OPTIONS", NULL},
    /* 404: no pattern matches the path */
    {"GET", "/items/", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/items/" U1 "/", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/items/" U1 "/parts/", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/itemsx", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/item", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/Items", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "//items", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/items//parts/" U2, MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/items/" U1 "/parts/" U2 "/x", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "items", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "", MATCH_NOT_FOUND, 0, "", NULL},
    {"GET", "/nope", MATCH_NOT_FOUND, 0, "", NULL},
    {"DELETE", "/nope", MATCH_NOT_FOUND, 0, "", NULL},
    /* 422: the route matches but a {param} is not a UUID; it is named */
    {"GET", "/items/abc", MATCH_BAD_PARAM, 4, NULL, "item_id"},
    {"GET", "/items/" U1 "x", MATCH_BAD_PARAM, 4, NULL, "item_id"},
    {"GET", "/items/" U1 "/parts/zzz", MATCH_BAD_PARAM, 7, NULL, "part_id"},
    {"GET", "/items/zzz/parts/" U2, MATCH_BAD_PARAM, 7, NULL, "item_id"},
    {"GET", "/items/zzz/parts/yyy", MATCH_BAD_PARAM, 7, NULL, "item_id"},
    {"POST", "/items/%20/parts", MATCH_BAD_PARAM, 9, NULL, "item_id"},
};

static const char *match_name(enum koop_match m)
{
    switch (m) {
    case MATCH_OK:
        return "OK";
    case MATCH_NOT_FOUND:
        return "404";
    case MATCH_METHOD:
        return "405";
    case MATCH_BAD_PARAM:
        return "422";
    }
    return "?";
}

START_TEST(route_table)
{
    const struct row *r = &rows[_i];
    struct kreq req;
    memset(&req, 0, sizeof req);
    const struct koop_route *out = NULL;
    char allow[128];
    memset(allow, 'Z', sizeof allow);
    enum koop_match m = koop_route_find(table, r->method, r->path, &req, &out, allow, sizeof allow);
    ck_assert_msg(m == r->want, "row %d %s %s: got %s, want %s", _i, r->method, r->path,
                  match_name(m), match_name(r->want));
    switch (r->want) {
    case MATCH_OK: {
        ck_assert_ptr_eq(out, &table[r->route]);
        ck_assert_str_eq(req.route, table[r->route].pattern);
        char got[512] = "";
        for (int i = 0; i < req.nparams; i++) {
            char kv[200];
            snprintf(kv, sizeof kv, "%s%s=%s", i ? " " : "", req.param_names[i], req.params[i]);
            strcat(got, kv);
        }
        ck_assert_msg(strcmp(got, r->params) == 0, "row %d: params [%s], want [%s]", _i, got,
                      r->params);
        for (int i = 0; i < req.nparams; i++)
            ck_assert_str_eq(koop_param(&req, req.param_names[i]), req.params[i]);
        break;
    }
    case MATCH_METHOD:
    case MATCH_NOT_FOUND:
        ck_assert_msg(strcmp(allow, r->allow) == 0, "row %d %s %s: Allow [%s], want [%s]", _i,
                      r->method, r->path, allow, r->allow);
        break;
    case MATCH_BAD_PARAM:
        ck_assert_ptr_eq(out, &table[r->route]);
        ck_assert_str_eq(req.param_names[0], r->params);
        break;
    }
}
END_TEST

START_TEST(allow_buffer_small)
{
    struct kreq req = {0};
    const struct koop_route *out = NULL;
    char allow[8];
    memset(allow, 'Z', sizeof allow);
    ck_assert_int_eq(koop_route_find(table, "PUT", "/items/" U1, &req, &out, allow, sizeof allow),
                     MATCH_METHOD);
    ck_assert_uint_lt(strlen(allow), sizeof allow);
    ck_assert_str_eq(allow, "GET");
}
END_TEST

START_TEST(long_param)
{
    /* a segment longer than the parameter buffer is never a match (and does
     * not overflow it) */
    char path[1100] = "/items/";
    memset(path + 7, 'a', 1000);
    path[1007] = 0;
    struct kreq req = {0};
    const struct koop_route *out = NULL;
    char allow[64];
    enum koop_match m = koop_route_find(table, "GET", path, &req, &out, allow, sizeof allow);
    ck_assert_int_ne(m, MATCH_OK);
}
END_TEST

START_TEST(ok_leaves_params_from_winning_route_only)
{
    /* probing other routes must not leave stale params behind */
    struct kreq req = {0};
    const struct koop_route *out = NULL;
    char allow[64];
    ck_assert_int_eq(
        koop_route_find(table, "GET", "/items/export", &req, &out, allow, sizeof allow), MATCH_OK);
    ck_assert_int_eq(req.nparams, 0);
    ck_assert_ptr_eq(out, &table[3]);
}
END_TEST

/* ---- the real table ----------------------------------------------------------------- */

struct real_row {
    const char *method, *path;
    enum koop_match want;
    const char *pattern; /* MATCH_OK: the template; 405: the Allow list; 422: param name */
    enum koop_op op;
};

static const struct real_row real_rows[] = {
    {"GET", "/healthz", MATCH_OK, "/healthz", OP_NONE},
    {"HEAD", "/healthz", MATCH_OK, "/healthz", OP_NONE},
    {"GET", "/openapi.yaml", MATCH_OK, "/openapi.yaml", OP_NONE},
    {"GET", "/v1/me", MATCH_OK, "/v1/me", OP_NONE},
    {"GET", "/v1/partners", MATCH_OK, "/v1/partners", OP_LIST},
    {"POST", "/v1/partners", MATCH_OK, "/v1/partners", OP_CREATE},
    {"GET", "/v1/partners/" U1, MATCH_OK, "/v1/partners/{partner_id}", OP_GET},
    {"PATCH", "/v1/partners/" U1, MATCH_OK, "/v1/partners/{partner_id}", OP_PATCH},
    {"DELETE", "/v1/partners/" U1, MATCH_OK, "/v1/partners/{partner_id}", OP_DELETE},
    {"POST", "/v1/partners/" U1 "/transitions", MATCH_OK, "/v1/partners/{partner_id}/transitions",
     OP_TRANSITION},
    {"GET", "/v1/partners/" U1 "/agreements/" U2, MATCH_OK,
     "/v1/partners/{partner_id}/agreements/{agreement_id}", OP_GET},
    {"DELETE", "/v1/partners/" U1 "/benefits/" U2, MATCH_OK,
     "/v1/partners/{partner_id}/benefits/{benefit_id}", OP_DELETE},
    {"POST", "/v1/tenants/" U1 "/users", MATCH_OK, "/v1/tenants/{tenant_id}/users", OP_NONE},
    {"DELETE", "/v1/users/" U1 "/tokens/" U2, MATCH_OK, "/v1/users/{user_id}/tokens/{token_id}",
     OP_NONE},
    {"GET", "/v1/audit-events", MATCH_OK, "/v1/audit-events", OP_NONE},
    {"GET", "/v1/services/export/hsds", MATCH_OK, "/v1/services/export/hsds", OP_NONE},
    {"POST", "/v1/services/import", MATCH_OK, "/v1/services/import", OP_NONE},
    {"GET", "/v1/services/" U1, MATCH_OK, "/v1/services/{service_id}", OP_GET},
    {"GET", "/v1/services/import", MATCH_METHOD, "POST, OPTIONS", OP_NONE},
    {"DELETE", "/v1/services/import", MATCH_METHOD, "POST, OPTIONS", OP_NONE},
    {"GET", "/v1/services/abc", MATCH_BAD_PARAM, "service_id", OP_NONE},
    {"DELETE", "/v1/partners", MATCH_METHOD, "GET, POST, OPTIONS", OP_NONE},
    {"PUT", "/v1/partners/" U1, MATCH_METHOD, "GET, PATCH, DELETE, OPTIONS", OP_NONE},
    {"GET", "/v1/users/" U1 "/tokens/" U2, MATCH_METHOD, "DELETE, OPTIONS", OP_NONE},
    {"POST", "/healthz", MATCH_METHOD, "GET, OPTIONS", OP_NONE},
    {"GET", "/v1/partners/" U1 "/transitions", MATCH_METHOD, "POST, OPTIONS", OP_NONE},
    {"GET", "/v1/nothing", MATCH_NOT_FOUND, "", OP_NONE},
    {"GET", "/v1/partners/", MATCH_NOT_FOUND, "", OP_NONE},
    {"GET", "/v2/partners", MATCH_NOT_FOUND, "", OP_NONE},
    {"GET", "/v1/partners/abc", MATCH_BAD_PARAM, "partner_id", OP_NONE},
    {"GET", "/v1/partners/" U1 "/agreements/1", MATCH_BAD_PARAM, "agreement_id", OP_NONE},
    {"DELETE", "/v1/users/me/tokens/" U2, MATCH_BAD_PARAM, "user_id", OP_NONE},
};

START_TEST(real_routes)
{
    const struct real_row *r = &real_rows[_i];
    struct kreq req = {0};
    const struct koop_route *out = NULL;
    char allow[128];
    enum koop_match m =
        koop_route_find(koop_api_routes, r->method, r->path, &req, &out, allow, sizeof allow);
    ck_assert_msg(m == r->want, "%s %s: got %s, want %s", r->method, r->path, match_name(m),
                  match_name(r->want));
    if (m == MATCH_OK) {
        ck_assert_str_eq(out->pattern, r->pattern);
        ck_assert_int_eq(out->op, r->op);
        ck_assert_msg(out->handler || out->resource, "%s %s has neither handler nor resource",
                      r->method, r->path);
    } else if (m == MATCH_METHOD || m == MATCH_NOT_FOUND) {
        ck_assert_str_eq(allow, r->pattern);
    } else {
        ck_assert_str_eq(req.param_names[0], r->pattern);
    }
}
END_TEST

/* Every route of the table is reachable: substituting a UUID for each
 * {param} finds exactly that route (no shadowing, no duplicates). */
START_TEST(real_routes_reachable)
{
    int n = 0;
    for (const struct koop_route *r = koop_api_routes; r->method; r++, n++) {
        ck_assert_msg(r->pattern[0] == '/', "pattern %s", r->pattern);
        ck_assert_msg(strcmp(r->pattern, "/") == 0 || r->pattern[strlen(r->pattern) - 1] != '/',
                      "pattern %s ends with /", r->pattern);
        ck_assert_msg(r->handler || r->resource, "%s %s has neither handler nor resource",
                      r->method, r->pattern);
        if (r->resource)
            ck_assert_msg(r->op != OP_NONE, "%s %s: resource without op", r->method, r->pattern);
        char path[512] = "", names[256] = "";
        for (const char *p = r->pattern; *p;) {
            if (*p == '{') {
                const char *e = strchr(p, '}');
                ck_assert_ptr_nonnull(e);
                strcat(path, U1);
                strncat(names, p + 1, (size_t)(e - p - 1));
                strcat(names, " ");
                p = e + 1;
            } else {
                strncat(path, p, 1);
                p++;
            }
        }
        struct kreq req = {0};
        const struct koop_route *out = NULL;
        char allow[128];
        enum koop_match m =
            koop_route_find(koop_api_routes, r->method, path, &req, &out, allow, sizeof allow);
        ck_assert_msg(m == MATCH_OK, "%s %s: %s", r->method, path, match_name(m));
        ck_assert_msg(out == r, "%s %s resolves to %s %s", r->method, r->pattern, out->method,
                      out->pattern);
        char got[256] = "";
        for (int i = 0; i < req.nparams; i++) {
            strcat(got, req.param_names[i]);
            strcat(got, " ");
            ck_assert_str_eq(req.params[i], U1);
        }
        ck_assert_str_eq(got, names);
        for (const struct koop_route *o = koop_api_routes; o < r; o++)
            ck_assert_msg(strcmp(o->method, r->method) || strcmp(o->pattern, r->pattern),
                          "duplicate route %s %s", r->method, r->pattern);
    }
    ck_assert_int_gt(n, 30);
}
END_TEST

Suite *suite_router(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("local");
    tcase_add_loop_test(tc, route_table, 0, (int)(sizeof rows / sizeof rows[0]));
    tcase_add_test(tc, allow_buffer_small);
    tcase_add_test(tc, long_param);
    tcase_add_test(tc, ok_leaves_params_from_winning_route_only);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    tcase_add_loop_test(tc, real_routes, 0, (int)(sizeof real_rows / sizeof real_rows[0]));
    tcase_add_test(tc, real_routes_reachable);
    suite_add_tcase(s, tc);
    return s;
}
