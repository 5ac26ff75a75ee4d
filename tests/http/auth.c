/* Authentication and authorisation: 401 with a Bearer challenge, /v1/me,
 * token lifecycle (secret shown once, revocation at once), deactivation,
 * the role table of every route (403 before any lookup, 404 for what is
 * invisible), users of a tenant and tenants themselves (TERYT rules). */
#include "client.h"
#include "pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const NOWHERE = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000";

static void check_401(struct resp *r, const char *error)
{
    ck_problem(r, 401, "unauthorized");
    const char *w = resp_header(r, "WWW-Authenticate");
    ck_assert_msg(w && strncmp(w, "Bearer", 6) == 0, "WWW-Authenticate: %s", w ? w : "(none)");
    if (error)
        ck_assert_msg(strstr(w, error) != NULL, "WWW-Authenticate %s lacks %s", w, error);
}

START_TEST(no_token_is_401_with_challenge)
{
    const struct world *w = world();
    const char *paths[] = {"/v1/me",      "/v1/partners", "/v1/users",
                           "/v1/tenants", "/v1/events",   "/v1/audit-events"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct resp *r = api("GET", paths[i], NULL, NULL);
        check_401(r, NULL);
        resp_free(r);
    }
    /* a write without a token changes nothing */
    long long before = version_of(fmt("/v1/partners/%s", w->partner_a), w->admin_a);
    struct resp *r = api_if("PATCH", fmt("/v1/partners/%s", w->partner_a), NULL,
                            "{\"competences\":\"x\"}", etag(before));
    check_401(r, NULL);
    resp_free(r);
    ck_assert_int_eq(version_of(fmt("/v1/partners/%s", w->partner_a), w->admin_a), before);
    r = api("POST", "/v1/partners", NULL, "{\"name\":\"Anonim\",\"sector\":\"ngo\"}");
    check_401(r, NULL);
    resp_free(r);
}
END_TEST

START_TEST(malformed_scheme_is_401)
{
    const struct world *w = world();
    char basic[160], raw[160];
    snprintf(basic, sizeof basic, "Authorization: Basic %s", "dXNlcjpwYXNzd29yZA==");
    snprintf(raw, sizeof raw, "Authorization: %s", w->admin_a); /* the token without a scheme */
    const char *cases[][2] = {{basic, NULL},
                              {raw, NULL},
                              {"Authorization: Token abc", NULL},
                              {"Authorization: Bearer", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h[] = {cases[i][0], NULL};
        struct resp *r = api_h("GET", "/v1/me", NULL, NULL, h);
        check_401(r, NULL);
        resp_free(r);
    }
    /* a known scheme other than Bearer says invalid_request */
    const char *h[] = {basic, NULL};
    struct resp *r = api_h("GET", "/v1/me", NULL, NULL, h);
    check_401(r, "invalid_request");
    resp_free(r);
    /* the scheme name is case-insensitive (RFC 9110) */
    char lower[160];
    snprintf(lower, sizeof lower, "Authorization: bearer %s", w->admin_a);
    const char *hl[] = {lower, NULL};
    r = api_h("GET", "/v1/me", NULL, NULL, hl);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
}
END_TEST

START_TEST(unknown_token_is_401)
{
    const struct world *w = world();
    const char *bad[] = {"koop_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nonsense",
                         "koop_' OR '1'='1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp *r = api("GET", "/v1/me", bad[i], NULL);
        check_401(r, "invalid_token");
        resp_free(r);
    }
    /* a valid token with one character changed */
    char t[80];
    snprintf(t, sizeof t, "%s", w->coord_a);
    size_t n = strlen(t);
    t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
    struct resp *r = api("GET", "/v1/partners", t, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
}
END_TEST

static void check_me(const char *token, const char *role, const char *tenant)
{
    struct resp *r = api("GET", "/v1/me", token, NULL);
    ck_assert_msg(r->status == 200, "me as %s: %ld %s", role, r->status, r->body);
    const json_t *u = json_object_get(r->json, "user");
    ck_assert_str_eq(jstr(u, "role"), role);
    ck_assert(json_is_true(json_object_get(u, "active")));
    const json_t *t = json_object_get(r->json, "tenant");
    if (tenant) {
        ck_assert_str_eq(jstr(t, "id"), tenant);
        ck_assert_str_eq(jstr(u, "tenant_id"), tenant);
    } else {
        ck_assert_msg(json_is_null(t), "tenant of %s should be null: %s", role, r->body);
        ck_assert(json_is_null(json_object_get(u, "tenant_id")));
    }
    const json_t *tok = json_object_get(r->json, "token");
    ck_assert_ptr_nonnull(jstr(tok, "id"));
    ck_assert_ptr_nonnull(jstr(tok, "expires_at"));
    ck_assert_ptr_null(json_object_get(tok, "token")); /* never the secret again */
    ck_assert_ptr_null(strstr(r->body, token));
    resp_free(r);
}

START_TEST(me_for_each_role)
{
    const struct world *w = world();
    check_me(w->admin_a, "admin", w->tenant_a);
    check_me(w->coord_a, "coordinator", w->tenant_a);
    check_me(w->social_a, "social_worker", w->tenant_a);
    check_me(w->auditor_a, "auditor", w->tenant_a);
    check_me(w->admin_b, "admin", w->tenant_b);
    check_me(w->platform, "platform_admin", NULL);
    check_me(w->staff_a, "partner_staff", w->tenant_a);
    struct resp *r = api("GET", "/v1/me", w->staff_a, NULL);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "partner_id"), w->partner_a);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "id"), w->staff_a_id);
    resp_free(r);
}
END_TEST

START_TEST(me_for_regional_analyst)
{
    const struct world *w = world();
    check_me(w->analyst, "regional_analyst", NULL);
}
END_TEST

static size_t count_tokens(const char *user_id, const char *token)
{
    struct resp *r =
        direct("GET", fmt("/v1/users/%s/tokens?limit=200", user_id), token, NULL, NULL);
    ck_assert_msg(r->status == 200, "token list: %ld %s", r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

START_TEST(token_lifecycle)
{
    const struct world *w = world();
    char uid[37];
    make_user(w->admin_a, "coordinator", NULL, NULL, uid);
    LOCALF(tokens, "/v1/users/%s/tokens", uid);
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 0);

    struct resp *r =
        api("POST", tokens, w->admin_a, "{\"name\":\"POMOST\",\"expires_in_days\":30}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char secret[80], tid[37];
    snprintf(secret, sizeof secret, "%s", jstr(r->json, "token"));
    snprintf(tid, sizeof tid, "%s", jstr(r->json, "id"));
    ck_assert_uint_ge(strlen(secret), 20);
    ck_assert_str_eq(jstr(r->json, "user_id"), uid);
    ck_assert_str_eq(jstr(r->json, "name"), "POMOST");
    ck_assert(json_is_null(json_object_get(r->json, "revoked_at")));
    ck_assert_ptr_nonnull(jstr(r->json, "expires_at"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/users/%s/tokens/%s", uid, tid));
    resp_free(r);

    /* the new token works and is who it says */
    r = api("GET", "/v1/me", secret, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "id"), uid);
    ck_assert_str_eq(jstr(json_object_get(r->json, "token"), "id"), tid);
    resp_free(r);

    /* the list never shows a secret or a hash; last use is recorded */
    r = api("GET", tokens, w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_null(strstr(r->body, secret));
    ck_assert_ptr_null(strstr(r->body, secret + 5));
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 1);
    const json_t *it = json_array_get(items, 0);
    ck_assert_str_eq(jstr(it, "id"), tid);
    ck_assert_ptr_null(json_object_get(it, "token"));
    ck_assert_ptr_null(json_object_get(it, "hash"));
    ck_assert_ptr_nonnull(jstr(it, "last_used_at"));
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);

    /* the user manages its own tokens */
    r = api("GET", tokens, secret, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("POST", tokens, secret, "{\"name\":\"second\"}");
    ck_assert_int_eq(r->status, 201);
    char second[80];
    snprintf(second, sizeof second, "%s", jstr(r->json, "token"));
    resp_free(r);
    ck_assert_str_ne(second, secret);
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 2);

    /* revocation is immediate */
    r = api("DELETE", fmt("/v1/users/%s/tokens/%s", uid, tid), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("GET", "/v1/me", secret, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
    r = api("GET", "/v1/me", second, NULL); /* the other token is untouched */
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", tokens, w->admin_a, NULL);
    size_t i;
    const json_t *t;
    bool seen = false;
    json_array_foreach(json_object_get(r->json, "items"), i, t)
    {
        if (!strcmp(jstr(t, "id"), tid)) {
            seen = true;
            ck_assert_ptr_nonnull(jstr(t, "revoked_at"));
        } else {
            ck_assert(json_is_null(json_object_get(t, "revoked_at")));
        }
    }
    ck_assert(seen);
    resp_free(r);
    /* revoking again is a no-op; an unknown token id is 404 */
    r = api("DELETE", fmt("/v1/users/%s/tokens/%s", uid, tid), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("DELETE", fmt("/v1/users/%s/tokens/%s", uid, NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(token_create_validation)
{
    const struct world *w = world();
    char uid[37];
    make_user(w->admin_a, "auditor", NULL, NULL, uid);
    LOCALF(tokens, "/v1/users/%s/tokens", uid);
    /* Idempotency-Key is refused: a secret is never replayed */
    const char *h[] = {"Idempotency-Key: token-once-1", NULL};
    struct resp *r = api_h("POST", tokens, w->admin_a, "{\"name\":\"x\"}", h);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "Idempotency-Key", NULL, "header");
    resp_free(r);
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 0);

    const char *bad[][3] = {
        {"{\"expires_in_days\":0}", "expires_in_days", "min"},
        {"{\"expires_in_days\":731}", "expires_in_days", "max"},
        {"{\"expires_in_days\":\"30\"}", "expires_in_days", "type"},
        {"{\"name\":\"\"}", "name", "min_length"},
        {"{\"secret\":\"mine\"}", "secret", "unknown_field"},
        {"{\"user_id\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\"}", "user_id", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("POST", tokens, w->admin_a, bad[i][0]);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], bad[i][2], "body");
        resp_free(r);
    }
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 0);
    /* no body at all is the same as {} */
    r = api("POST", tokens, w->admin_a, NULL);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    resp_free(r);
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 1);
}
END_TEST

START_TEST(tokens_of_others_are_invisible)
{
    const struct world *w = world();
    LOCALF(admins, "/v1/users/%s/tokens", w->admin_a_id);
    size_t before = count_tokens(w->admin_a_id, w->admin_a);
    /* other roles of the same tenant, and another tenant's admin: 404 */
    const char *who[] = {w->coord_a, w->social_a, w->staff_a, w->auditor_a,
                         w->admin_b, w->staff_b,  w->analyst};
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
        struct resp *r = api("GET", admins, who[i], NULL);
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("POST", admins, who[i], "{\"name\":\"stolen\"}");
        ck_problem(r, 404, "not_found");
        resp_free(r);
    }
    ck_assert_uint_eq(count_tokens(w->admin_a_id, w->admin_a), before);
    /* nor revoke them */
    struct resp *r = direct("GET", admins, w->admin_a, NULL, NULL);
    const char *tid = jstr(json_array_get(json_object_get(r->json, "items"), 0), "id");
    ck_assert_ptr_nonnull(tid);
    struct resp *d = api("DELETE", fmt("%s/%s", admins, tid), w->coord_a, NULL);
    ck_problem(d, 404, "not_found");
    resp_free(d);
    d = api("DELETE", fmt("%s/%s", admins, tid), w->admin_b, NULL);
    ck_problem(d, 404, "not_found");
    resp_free(d);
    resp_free(r);
    r = api("GET", "/v1/me", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200); /* still valid */
    resp_free(r);
    /* the tenant's admin sees its users' tokens */
    r = api("GET", fmt("/v1/users/%s/tokens", w->staff_a_id), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    /* a platform admin manages tenant admins' tokens, not other tenant users' */
    r = api("GET", admins, w->platform, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", fmt("/v1/users/%s/tokens", w->staff_a_id), w->platform, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* an unknown user */
    r = api("GET", fmt("/v1/users/%s/tokens", NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(deactivation_revokes_tokens)
{
    const struct world *w = world();
    char uid[37], t1[80];
    make_user(w->admin_a, "social_worker", NULL, t1, uid);
    struct resp *r = direct("POST", fmt("/v1/users/%s/tokens", uid), w->admin_a, "{}", NULL);
    ck_assert_int_eq(r->status, 201);
    char t2[80];
    snprintf(t2, sizeof t2, "%s", jstr(r->json, "token"));
    resp_free(r);
    for (int i = 0; i < 2; i++) {
        r = api("GET", "/v1/me", i ? t2 : t1, NULL);
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
    }
    LOCALF(user, "/v1/users/%s", uid);
    r = api("PATCH", user, w->admin_a, "{\"active\":false}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", user, w->admin_a, "{\"active\":false}", "\"9\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", user, w->admin_a, "{\"active\":false}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    for (int i = 0; i < 2; i++) { /* nothing happened yet */
        r = api("GET", "/v1/me", i ? t2 : t1, NULL);
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
    }
    ck_assert_int_eq(version_of(user, w->admin_a), 1);

    r = api_if("PATCH", user, w->admin_a, "{\"active\":false}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert(json_is_false(json_object_get(r->json, "active")));
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    for (int i = 0; i < 2; i++) {
        r = api("GET", "/v1/me", i ? t2 : t1, NULL);
        check_401(r, "invalid_token");
        resp_free(r);
    }
    r = api("GET", fmt("/v1/users/%s/tokens", uid), w->admin_a, NULL);
    size_t i;
    const json_t *t;
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 2);
    json_array_foreach(json_object_get(r->json, "items"), i, t)
        ck_assert_ptr_nonnull(jstr(t, "revoked_at"));
    resp_free(r);
    /* a deactivated user gets no new token */
    r = api("POST", fmt("/v1/users/%s/tokens", uid), w->admin_a, "{}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_uint_eq(count_tokens(uid, w->admin_a), 2);
    /* reactivating does not bring the revoked tokens back */
    r = api_if("PATCH", user, w->admin_a, "{\"active\":true}", "\"2\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", "/v1/me", t1, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
}
END_TEST

START_TEST(admin_cannot_deactivate_itself)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    LOCALF(me, "/v1/users/%s", admin_id);
    struct resp *r = api_if("PATCH", me, admin, "{\"active\":false}", "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = api_if("PATCH", me, admin, "{\"role\":\"auditor\"}", "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(me, admin), 1);
    r = api("GET", "/v1/me", admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "role"), "admin");
    resp_free(r);
}
END_TEST

/* ---- the role table ---- */

enum { PLAT, ADM, COORD, SOC, STAFF, AUD, ANA, NROLES };
static const char *const role_names[NROLES] = {"platform_admin",  "admin",         "coordinator",
                                               "social_worker",   "partner_staff", "auditor",
                                               "regional_analyst"};

struct route_case {
    const char *method, *path, *body;
    int want[NROLES]; /* platform, admin, coord, social, staff, auditor, analyst */
};

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
        {"GET", "/v1/audit-events", NULL, {F, 200, F, F, F, 200, F}},
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
    r = api(
        "POST", fmt("/v1/tenants/%s/users", w->tenant_b), w->platform,
        fmt("{\"name\":\"Koordynator B\",\"email\":\"kb%d@b.example\",\"role\":\"coordinator\"}",
            (int)getpid()));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "tenant_id"), w->tenant_b);
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/users/%s", jstr(r->json, "id")));
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

Suite *suite_auth(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("authentication");
    tcase_add_test(tc, no_token_is_401_with_challenge);
    tcase_add_test(tc, malformed_scheme_is_401);
    tcase_add_test(tc, unknown_token_is_401);
    tcase_add_test(tc, me_for_each_role);
    tcase_add_test(tc, me_for_regional_analyst);
    suite_add_tcase(s, tc);
    tc = tcase_create("tokens");
    tcase_add_test(tc, token_lifecycle);
    tcase_add_test(tc, token_create_validation);
    tcase_add_test(tc, tokens_of_others_are_invisible);
    tcase_add_test(tc, deactivation_revokes_tokens);
    tcase_add_test(tc, admin_cannot_deactivate_itself);
    suite_add_tcase(s, tc);
    tc = tcase_create("roles");
    tcase_add_test(tc, role_table);
    tcase_add_test(tc, forbidden_writes_change_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("users");
    tcase_add_test(tc, admin_creates_users_in_own_tenant);
    tcase_add_test(tc, users_of_other_tenants_are_404);
    tcase_add_test(tc, user_patch_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("tenants");
    tcase_add_test(tc, tenant_teryt_rules);
    tcase_add_test(tc, tenant_patch_and_deactivation);
    tcase_add_test(tc, tenant_users_by_platform_admin);
    tcase_add_test(tc, tenant_list_accepts_updated_since);
    suite_add_tcase(s, tc);
    return s;
}
