/* Authentication (401s, /v1/me for each role) and tokens (lifecycle,
 * validation, others' tokens, revocation on deactivation). */
#include "auth.h"

#include <time.h>

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
    /* other roles of the same tenant, and another tenant's admin: 404; minting for another
     * user is an admin's only (403 before any lookup), another tenant's admin finds no one */
    const char *who[] = {w->coord_a, w->social_a, w->staff_a, w->auditor_a,
                         w->admin_b, w->staff_b,  w->analyst};
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
        struct resp *r = api("GET", admins, who[i], NULL);
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("POST", admins, who[i], "{\"name\":\"stolen\"}");
        if (who[i] == w->admin_b)
            ck_problem(r, 404, "not_found");
        else
            ck_problem(r, 403, "forbidden");
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

TCase *tcase_auth_authentication(void)
{
    TCase *tc = tcase_create("authentication");
    tcase_add_test(tc, no_token_is_401_with_challenge);
    tcase_add_test(tc, malformed_scheme_is_401);
    tcase_add_test(tc, unknown_token_is_401);
    tcase_add_test(tc, me_for_each_role);
    tcase_add_test(tc, me_for_regional_analyst);
    return tc;
}

/* Days from now to an RFC 3339 timestamp (UTC, as the API writes them). */
static double days_until(const char *ts)
{
    struct tm tm = {0};
    ck_assert_ptr_nonnull(strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm));
    return difftime(timegm(&tm), time(NULL)) / 86400.0;
}

/* Users mint tokens for themselves up to KOOP_SELF_TOKEN_MAX_DAYS (90 in the suite: the default);
 * admins mint for others up to 730 days; nobody else mints for another user. */
START_TEST(self_minted_tokens_are_capped)
{
    const struct world *w = world();
    char tok[80], uid[37], other[37];
    make_user(w->admin_a, "coordinator", NULL, tok, uid);
    make_user(w->admin_a, "social_worker", NULL, NULL, other);
    LOCALF(own, "/v1/users/%s/tokens", uid);
    struct resp *r = api("POST", own, tok, "{\"name\":\"long\",\"expires_in_days\":91}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "expires_in_days", "max", "body");
    resp_free(r);
    r = api("POST", own, tok, "{\"name\":\"longest own\",\"expires_in_days\":90}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    double d = days_until(jstr(r->json, "expires_at"));
    ck_assert_msg(d > 89.9 && d < 90.1, "expires in %.2f days", d);
    resp_free(r);
    r = api("POST", own, tok, NULL); /* the default: 90 days */
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    d = days_until(jstr(r->json, "expires_at"));
    ck_assert_msg(d > 89.9 && d < 90.1, "expires in %.2f days", d);
    resp_free(r);
    /* an admin's own token too */
    r = api("POST", fmt("/v1/users/%s/tokens", w->admin_a_id), w->admin_a,
            "{\"expires_in_days\":365}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "expires_in_days", "max", "body");
    resp_free(r);
    /* an admin minting for a user of its tenant: up to 730 days */
    r = api("POST", own, w->admin_a, "{\"name\":\"integration\",\"expires_in_days\":730}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    d = days_until(jstr(r->json, "expires_at"));
    ck_assert_msg(d > 729.9 && d < 730.1, "expires in %.2f days", d);
    resp_free(r);
    /* a coordinator minting for another user: 403, nothing made */
    r = api("POST", fmt("/v1/users/%s/tokens", other), tok, "{\"name\":\"for a colleague\"}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    ck_assert_uint_eq(count_tokens(other, w->admin_a), 0);
}
END_TEST

/* Failed logins have no tenant: the platform admin reads them on the audit route, tenants do not,
 * and the platform admin reads no tenant's entry there. */
START_TEST(failed_logins_reach_the_platform_admin)
{
    const struct world *w = world();
    struct resp *r =
        api("GET", "/v1/me", "koop_thisTokenDoesNotExistAnywhere000000000000000", NULL);
    ck_assert_int_eq(r->status, 401);
    char rid[80];
    snprintf(rid, sizeof rid, "%s", resp_header(r, "X-Request-Id"));
    resp_free(r);
    r = api("GET", "/v1/audit-events?action=login_failed&limit=200", w->platform, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_ge(json_array_size(items), 1);
    bool mine = false;
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        ck_assert_str_eq(jstr(it, "action"), "login_failed");
        ck_assert_str_eq(jstr(it, "resource"), "token");
        ck_assert(json_is_null(json_object_get(it, "actor_id")));
        ck_assert_int_eq(jint(it, "status"), 401);
        mine = mine || (jstr(it, "request_id") && !strcmp(jstr(it, "request_id"), rid));
    }
    ck_assert_msg(mine, "the failed login of request %s is not listed", rid);
    resp_free(r);
    /* no tenant's entry: tenant A's partners and reads are audited, none shows */
    const char *tenant_only[] = {"/v1/audit-events?resource=partner",
                                 fmt("/v1/audit-events?actor_id=%s", w->admin_a_id)};
    for (size_t k = 0; k < 2; k++) {
        r = api("GET", tenant_only[k], w->platform, NULL);
        ck_assert_int_eq(r->status, 200);
        ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
        resp_free(r);
    }
    /* and a tenant's admin does not see failed logins (they have no tenant) */
    r = api("GET", "/v1/audit-events?action=login_failed", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
}
END_TEST

TCase *tcase_auth_tokens(void)
{
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, token_lifecycle);
    tcase_add_test(tc, token_create_validation);
    tcase_add_test(tc, tokens_of_others_are_invisible);
    tcase_add_test(tc, deactivation_revokes_tokens);
    tcase_add_test(tc, admin_cannot_deactivate_itself);
    tcase_add_test(tc, self_minted_tokens_are_capped);
    tcase_add_test(tc, failed_logins_reach_the_platform_admin);
    return tc;
}
