/* JWT access tokens from the provider: first login creates the user, the next links the same one;
 * e-mail linking rules; tenants by TERYT; roles; deactivation; audience, expiry and forgeries. */
#include "oidc.h"

#include <openssl/hmac.h>
#include <time.h>

/* GET /v1/me with the JWT: through Prism (contract) unless direct */
static struct resp *me(const char *jwt)
{
    return api("GET", "/v1/me", jwt, NULL);
}

static void me_is(const char *jwt, const char *role, const char *tenant, char user_out[37])
{
    struct resp *r = me(jwt);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    const json_t *u = json_object_get(r->json, "user");
    ck_assert_str_eq(jstr(u, "role"), role);
    ck_assert_str_eq(jstr(json_object_get(r->json, "tenant"), "id"), tenant);
    if (user_out)
        snprintf(user_out, 37, "%s", jstr(u, "id"));
    resp_free(r);
}

START_TEST(first_login_creates_then_links)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    const char *algs[] = {"RS256", "ES256"};
    for (int a = 0; a < 2; a++) {
        struct oidc_client c;
        char *jwt = oidc_quick("coordinator", teryt, algs[a], &c);
        const char *sub = oidc_subject(&c);
        char subject[300];
        snprintf(subject, sizeof subject, "%s", sub);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c.id), 0);
        char u1[37], u2[37];
        me_is(jwt, "coordinator", t.id, u1);
        /* created once, audited with the subject */
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c.id), 1);
        ck_assert_int_eq(db_count("SELECT count(*) FROM audit_events WHERE action = 'create' AND "
                                  "resource = 'user' AND subject = $1",
                                  subject),
                         1);
        /* a second login (a new token of the same subject) is the same user */
        char *jwt2 = oidc_token(&c, NULL);
        ck_assert_str_ne(jwt, jwt2);
        me_is(jwt2, "coordinator", t.id, u2);
        ck_assert_str_eq(u1, u2);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c.id), 1);
        /* the user is one of the tenant's, as its admin sees it */
        struct resp *r = api("GET", fmt("/v1/users/%s", u1), t.admin, NULL);
        ck_assert_int_eq(r->status, 200);
        ck_assert_str_eq(jstr(r->json, "role"), "coordinator");
        resp_free(r);
        /* and tenancy holds: the other tenant's records stay out of reach */
        r = api("GET", fmt("/v1/partners/%s", world()->partner_a), jwt2, NULL);
        ck_assert_int_eq(r->status, 404);
        resp_free(r);
        free(jwt);
        free(jwt2);
    }
}
END_TEST

START_TEST(email_linking_rules)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    /* an existing active user with a verified e-mail at the provider: linked */
    char mail[128];
    snprintf(mail, sizeof mail, "linked-%d-%ld@link.example", (int)getpid(),
             (long)time(NULL) % 100000);
    LOCALF(ubody, "{\"name\":\"Anna Link\",\"email\":\"%s\",\"role\":\"social_worker\"}", mail);
    struct resp *r = api("POST", "/v1/users", t.admin, ubody);
    ck_assert_int_eq(r->status, 201);
    char existing[37];
    snprintf(existing, sizeof existing, "%s", jstr(r->json, "id"));
    resp_free(r);
    struct oidc_client c;
    oidc_register(json_pack("{s:s, s:s, s:s, s:b}", "koop_role", "social_worker", "koop_teryt",
                            teryt, "koop_email", mail, "koop_email_verified", 1),
                  &c);
    char *jwt = oidc_token(&c, NULL), got[37];
    me_is(jwt, "social_worker", t.id, got);
    ck_assert_str_eq(got, existing);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_events WHERE action = 'update' AND "
                              "resource = 'user' AND subject = $1",
                              oidc_subject(&c)),
                     1);
    free(jwt);

    /* the same e-mail, not verified: never linked, never stored: a new user */
    char mail2[128];
    snprintf(mail2, sizeof mail2, "unverified-%d-%ld@link.example", (int)getpid(),
             (long)time(NULL) % 100000);
    LOCALF(ubody2, "{\"name\":\"Ewa Nolink\",\"email\":\"%s\",\"role\":\"social_worker\"}", mail2);
    r = api("POST", "/v1/users", t.admin, ubody2);
    ck_assert_int_eq(r->status, 201);
    snprintf(existing, sizeof existing, "%s", jstr(r->json, "id"));
    resp_free(r);
    struct oidc_client c2;
    oidc_register(json_pack("{s:s, s:s, s:s, s:b}", "koop_role", "social_worker", "koop_teryt",
                            teryt, "koop_email", mail2, "koop_email_verified", 0),
                  &c2);
    jwt = oidc_token(&c2, NULL);
    me_is(jwt, "social_worker", t.id, got);
    ck_assert_str_ne(got, existing);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE lower(email) = lower($1)", mail2),
                     1);
    free(jwt);

    /* a deactivated user's verified e-mail: refused, not a new account */
    char mail3[128];
    snprintf(mail3, sizeof mail3, "gone-%d-%ld@link.example", (int)getpid(),
             (long)time(NULL) % 100000);
    LOCALF(ubody3, "{\"name\":\"Jan Gone\",\"email\":\"%s\",\"role\":\"social_worker\"}", mail3);
    r = api("POST", "/v1/users", t.admin, ubody3);
    ck_assert_int_eq(r->status, 201);
    snprintf(existing, sizeof existing, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api_if("PATCH", fmt("/v1/users/%s", existing), t.admin, "{\"active\":false}", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    struct oidc_client c3;
    oidc_register(json_pack("{s:s, s:s, s:s, s:b}", "koop_role", "social_worker", "koop_teryt",
                            teryt, "koop_email", mail3, "koop_email_verified", 1),
                  &c3);
    jwt = oidc_token(&c3, NULL);
    r = me(jwt);
    check_401(r, "invalid_token");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c3.id), 0);
    ck_assert_int_eq(db_count("SELECT count(*) FROM audit_events WHERE action = 'login_failed' "
                              "AND subject = $1",
                              oidc_subject(&c3)),
                     1);
    free(jwt);
}
END_TEST

START_TEST(tenant_by_teryt)
{
    struct fx_tenant t, other;
    FX_TENANT(&t, 0);
    FX_TENANT(&other, 0);
    char teryt[8], teryt_b[8];
    tenant_teryt(t.id, teryt);
    tenant_teryt(other.id, teryt_b);
    /* an unknown TERYT, a malformed one, none */
    const char *bad[] = {"9999999", "12a4", NULL};
    for (size_t i = 0; i < 3; i++) {
        struct oidc_client c;
        char *jwt = oidc_quick("coordinator", bad[i], NULL, &c);
        struct resp *r = me(jwt);
        check_401(r, "invalid_token");
        resp_free(r);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c.id), 0);
        free(jwt);
    }
    /* a subject of tenant A whose token now names tenant B's TERYT */
    struct oidc_client c;
    char *jwt = oidc_quick("coordinator", teryt, NULL, &c);
    me_is(jwt, "coordinator", t.id, NULL);
    free(jwt);
    oidc_update(&c, json_pack("{s:s, s:s}", "koop_role", "coordinator", "koop_teryt", teryt_b));
    jwt = oidc_token(&c, NULL);
    struct resp *r = me(jwt);
    check_401(r, "invalid_token");
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "another tenant"));
    resp_free(r);
    free(jwt);
    /* an inactive tenant's users are out */
    struct fx_tenant gone;
    FX_TENANT(&gone, 0);
    char teryt_g[8];
    tenant_teryt(gone.id, teryt_g);
    struct oidc_client cg;
    jwt = oidc_quick("coordinator", teryt_g, NULL, &cg);
    me_is(jwt, "coordinator", gone.id, NULL);
    long long v = version_of(fmt("/v1/tenants/%s", gone.id), world()->platform);
    r = api_if("PATCH", fmt("/v1/tenants/%s", gone.id), world()->platform, "{\"active\":false}",
               etag(v));
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    r = me(jwt);
    check_401(r, "invalid_token");
    resp_free(r);
    free(jwt);
}
END_TEST

START_TEST(roles_from_the_claim)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    /* unknown, missing and platform roles: 403, nobody created */
    const char *bad[] = {"superuser", NULL, "platform_admin", "regional_analyst"};
    for (size_t i = 0; i < 4; i++) {
        struct oidc_client c;
        char *jwt = oidc_quick(bad[i], teryt, NULL, &c);
        struct resp *r = me(jwt);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", c.id), 0);
        ck_assert_int_eq(db_count("SELECT count(*) FROM audit_events WHERE action = 'login_failed' "
                                  "AND status = 403 AND subject = $1",
                                  oidc_subject(&c)),
                         1);
        free(jwt);
    }
    /* a role the route does not allow: the route's ordinary 403 */
    struct oidc_client c;
    char *jwt = oidc_quick("auditor", teryt, NULL, &c);
    me_is(jwt, "auditor", t.id, NULL);
    struct resp *r = api("POST", "/v1/partners", jwt, partner_body(uniq("Partner"), NULL));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    free(jwt);
    /* the provider's role wins at the next login */
    oidc_update(&c, json_pack("{s:s, s:s}", "koop_role", "admin", "koop_teryt", teryt));
    jwt = oidc_token(&c, NULL);
    me_is(jwt, "admin", t.id, NULL);
    free(jwt);
    /* partner staff: the partner claim is one of the tenant's partners */
    char partner[37];
    make_partner(t.admin, uniq("Poradnia"), partner);
    struct oidc_client cs;
    oidc_register(json_pack("{s:s, s:s, s:s}", "koop_role", "partner_staff", "koop_teryt", teryt,
                            "koop_partner", partner),
                  &cs);
    jwt = oidc_token(&cs, NULL);
    r = me(jwt);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(json_object_get(r->json, "user"), "partner_id"), partner);
    resp_free(r);
    free(jwt);
    struct oidc_client cx;
    oidc_register(json_pack("{s:s, s:s, s:s}", "koop_role", "partner_staff", "koop_teryt", teryt,
                            "koop_partner", world()->partner_a),
                  &cx);
    jwt = oidc_token(&cx, NULL);
    r = me(jwt);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    free(jwt);
}
END_TEST

START_TEST(deactivated_user_is_refused)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8], uid[37];
    tenant_teryt(t.id, teryt);
    struct oidc_client c;
    char *jwt = oidc_quick("social_worker", teryt, NULL, &c);
    me_is(jwt, "social_worker", t.id, uid); /* now cached */
    struct resp *r =
        api_if("PATCH", fmt("/v1/users/%s", uid), t.admin, "{\"active\":false}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    /* the valid JWT that worked a moment ago, and a fresh one: refused, audited with the subject */
    char *jwt2 = oidc_token(&c, NULL);
    const char *tokens[] = {jwt, jwt2};
    for (int i = 0; i < 2; i++) {
        r = me(tokens[i]);
        check_401(r, "invalid_token");
        ck_assert_str_eq(jstr(r->json, "detail"), "the user is deactivated");
        resp_free(r);
    }
    ck_assert_int_ge(db_count("SELECT count(*) FROM audit_events WHERE action = 'login_failed' "
                              "AND resource = 'oidc' AND subject = $1",
                              oidc_subject(&c)),
                     2);
    free(jwt);
    free(jwt2);
}
END_TEST

START_TEST(audience_expiry_and_forgeries)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    struct oidc_client c;
    oidc_register(json_pack("{s:s, s:s}", "koop_role", "coordinator", "koop_teryt", teryt), &c);
    /* another audience */
    char *jwt = oidc_token(&c, "https://elsewhere.example/api");
    struct resp *r = me(jwt);
    check_401(r, "invalid_token");
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "audience"));
    resp_free(r);
    free(jwt);
    /* a good one, then a bad signature (one byte of it changed) */
    char *good = oidc_token(&c, NULL);
    me_is(good, "coordinator", t.id, NULL);
    char *bad = strdup(good);
    char *last = bad + strlen(bad) - 5;
    *last = *last == 'A' ? 'B' : 'A';
    r = me(bad);
    check_401(r, "invalid_token");
    resp_free(r);
    free(bad);
    /* its claims with alg none, and with HS256 keyed by the provider's public JWKS */
    const char *dot = strchr(good, '.');
    const char *dot2 = strchr(dot + 1, '.');
    char payload_b64[4096];
    snprintf(payload_b64, sizeof payload_b64, "%.*s", (int)(dot2 - dot - 1), dot + 1);
    unsigned char payload[4096];
    long pn = koop_b64url_decode(payload_b64, payload, sizeof payload);
    ck_assert_int_gt(pn, 0);
    json_error_t e;
    json_t *claims = json_loadb((const char *)payload, (size_t)pn, 0, &e);
    ck_assert_ptr_nonnull(claims);
    char *none = jws_forge(json_pack("{s:s, s:s}", "alg", "none", "typ", "at+jwt"),
                           json_deep_copy(claims), (const unsigned char *)"", 0);
    r = me(none);
    check_401(r, "invalid_token");
    resp_free(r);
    free(none);
    char *jwks = oidc_jwks();
    json_t *set = json_loads(jwks, 0, &e);
    const char *kid = jstr(json_array_get(json_object_get(set, "keys"), 0), "kid");
    char *hs_unsigned = jws_forge(json_pack("{s:s, s:s}", "alg", "HS256", "kid", kid),
                                  json_deep_copy(claims), (const unsigned char *)"", 0);
    size_t signing = (size_t)(strrchr(hs_unsigned, '.') - hs_unsigned);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), jwks, (int)strlen(jwks), (const unsigned char *)hs_unsigned, signing, mac,
         &maclen);
    char *hs = jws_forge(json_pack("{s:s, s:s}", "alg", "HS256", "kid", kid),
                         json_deep_copy(claims), mac, maclen);
    r = me(hs);
    check_401(r, "invalid_token");
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "algorithm"));
    resp_free(r);
    free(hs);
    free(hs_unsigned);
    json_decref(set);
    free(jwks);
    json_decref(claims);
    free(good);
    /* expired: a token of 1 s, past the 1 s skew the test daemon allows */
    struct oidc_client cs;
    oidc_register(json_pack("{s:s, s:s, s:i}", "koop_role", "coordinator", "koop_teryt", teryt,
                            "koop_ttl", 1),
                  &cs);
    jwt = oidc_token(&cs, NULL);
    sleep(3);
    r = me(jwt);
    check_401(r, "invalid_token");
    ck_assert_str_eq(jstr(r->json, "detail"), "the token has expired");
    resp_free(r);
    ck_assert_int_eq(db_count("SELECT count(*) FROM users WHERE oidc_subject = $1", cs.id), 0);
    free(jwt);
}
END_TEST

START_TEST(scope_claim_limits_the_token)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    struct oidc_client c;
    oidc_register(json_pack("{s:s, s:s}", "koop_role", "admin", "koop_teryt", teryt), &c);
    /* scope read: GETs of every family, no writes */
    char *jwt = oidc_token_scoped(&c, NULL, "read");
    me_is(jwt, "admin", t.id, NULL);
    struct resp *r = api("GET", "/v1/partners", jwt, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("POST", "/v1/partners", jwt, partner_body(uniq("Partner"), NULL));
    ck_problem(r, 403, "insufficient_scope");
    ck_assert_ptr_nonnull(strstr(resp_header(r, "WWW-Authenticate"), "insufficient_scope"));
    resp_free(r);
    free(jwt);
    /* partners:write: that family's writes; the same admin without a scope claim: everything */
    jwt = oidc_token_scoped(&c, NULL, "partners:write");
    r = api("POST", "/v1/partners", jwt, partner_body(uniq("Partner"), NULL));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    resp_free(r);
    r = api("GET", "/v1/users", jwt, NULL);
    ck_problem(r, 403, "insufficient_scope");
    resp_free(r);
    free(jwt);
    jwt = oidc_token(&c, NULL);
    r = api("GET", "/v1/users", jwt, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    free(jwt);
    /* a scope value this service does not know: the token is refused */
    jwt = oidc_token_scoped(&c, NULL, "read no-such:scope");
    r = me(jwt);
    check_401(r, "invalid_token");
    resp_free(r);
    free(jwt);
}
END_TEST

TCase *tcase_oidc_login(void)
{
    TCase *tc = tcase_create("login");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, first_login_creates_then_links);
    tcase_add_test(tc, email_linking_rules);
    tcase_add_test(tc, tenant_by_teryt);
    tcase_add_test(tc, roles_from_the_claim);
    tcase_add_test(tc, deactivated_user_is_refused);
    tcase_add_test(tc, audience_expiry_and_forgeries);
    tcase_add_test(tc, scope_claim_limits_the_token);
    return tc;
}
