/* The OIDC suite: JWT access tokens from a real OpenID provider (issue 13, point 1). */
#include "oidc.h"

#include "util.h"

#include <curl/curl.h>
#include <libpq-fe.h>

const char *oidc_url(void)
{
    return env_or("KOOP_TEST_OIDC_URL", "http://127.0.0.1:1");
}

const char *oidc_aud(void)
{
    return env_or("KOOP_TEST_OIDC_AUDIENCE", "https://kooperacje.test/api");
}

static json_t *client_doc(json_t *meta)
{
    json_t *o =
        json_pack("{s:[s], s:[], s:[], s:s}", "grant_types", "client_credentials", "redirect_uris",
                  "response_types", "token_endpoint_auth_method", "client_secret_post");
    json_object_update(o, meta);
    json_decref(meta);
    return o;
}

void oidc_register(json_t *meta, struct oidc_client *c)
{
    char *body = jdump(client_doc(meta));
    const char *h[] = {"Content-Type: application/json", NULL};
    struct resp *r = http_req(oidc_url(), "POST", "/reg", NULL, body, h);
    free(body);
    ck_assert_msg(r->status == 201, "register: %ld %s", r->status, r->body);
    snprintf(c->id, sizeof c->id, "%s", jstr(r->json, "client_id"));
    snprintf(c->secret, sizeof c->secret, "%s", jstr(r->json, "client_secret"));
    snprintf(c->rat, sizeof c->rat, "%s", jstr(r->json, "registration_access_token"));
    resp_free(r);
}

void oidc_update(const struct oidc_client *c, json_t *meta)
{
    json_t *o = client_doc(meta);
    json_object_set_new(o, "client_id", json_string(c->id));
    json_object_set_new(o, "client_secret", json_string(c->secret));
    char *body = jdump(o);
    json_decref(o);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct resp *r = http_req(oidc_url(), "PUT", fmt("/reg/%s", c->id), c->rat, body, h);
    free(body);
    ck_assert_msg(r->status == 200, "update: %ld %s", r->status, r->body);
    resp_free(r);
}

char *oidc_token(const struct oidc_client *c, const char *resource)
{
    return oidc_token_scoped(c, resource, NULL);
}

char *oidc_token_scoped(const struct oidc_client *c, const char *resource, const char *scope)
{
    char *res = url_encode(resource ? resource : oidc_aud());
    char *sc = url_encode(scope ? scope : "");
    LOCALF(body, "grant_type=client_credentials&client_id=%s&client_secret=%s&resource=%s%s%s",
           c->id, c->secret, res, scope ? "&scope=" : "", scope ? sc : "");
    free(res);
    free(sc);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct resp *r = http_req(oidc_url(), "POST", "/token", NULL, body, h);
    ck_assert_msg(r->status == 200, "token: %ld %s", r->status, r->body);
    char *t = strdup(jstr(r->json, "access_token"));
    resp_free(r);
    return t;
}

char *oidc_quick(const char *role, const char *teryt, const char *alg, struct oidc_client *c)
{
    json_t *m = json_object();
    if (role)
        json_object_set_new(m, "koop_role", json_string(role));
    if (teryt)
        json_object_set_new(m, "koop_teryt", json_string(teryt));
    json_object_set_new(m, "koop_alg", json_string(alg ? alg : "RS256"));
    oidc_register(m, c);
    return oidc_token(c, NULL);
}

void tenant_teryt(const char *tenant_id, char out[8])
{
    struct resp *r = direct("GET", fmt("/v1/tenants/%s", tenant_id), world()->platform, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    snprintf(out, 8, "%s", jstr(r->json, "teryt"));
    resp_free(r);
}

const char *oidc_subject(const struct oidc_client *c)
{
    return fmt("%s#%s", oidc_url(), c->id);
}

long long db_count(const char *sql, const char *param)
{
    PGconn *db = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
    const char *v[] = {param};
    PGresult *r = PQexecParams(db, sql, param ? 1 : 0, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db));
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(db);
    return n;
}

double metric_at(const char *base, const char *name)
{
    struct resp *r = http_req(base, "GET", "/metrics", world()->platform, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    LOCALF(needle, "\n%s ", name);
    const char *p = strstr(r->body, needle);
    ck_assert_msg(p, "no metric %s", name);
    double v = atof(p + strlen(needle));
    resp_free(r);
    return v;
}

static char *b64(const unsigned char *in, size_t n)
{
    char *out = malloc(4 * (n / 3 + 1) + 1);
    koop_b64url_encode(in, n, out);
    return out;
}

char *jws_forge(json_t *header, json_t *payload, const unsigned char *sig, size_t siglen)
{
    char *h = jdump(header), *p = jdump(payload);
    json_decref(header);
    json_decref(payload);
    char *hb = b64((const unsigned char *)h, strlen(h)),
         *pb = b64((const unsigned char *)p, strlen(p));
    char *sb = b64(sig, siglen);
    size_t n = strlen(hb) + strlen(pb) + strlen(sb) + 3;
    char *out = malloc(n);
    snprintf(out, n, "%s.%s.%s", hb, pb, sb);
    free(h);
    free(p);
    free(hb);
    free(pb);
    free(sb);
    return out;
}

char *oidc_jwks(void)
{
    struct resp *r = http_req(oidc_url(), "GET", "/jwks", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    char *t = strdup(r->body);
    resp_free(r);
    return t;
}

void oidc_control(const char *path)
{
    struct resp *r = http_req(oidc_url(), "POST", path, NULL, "", NULL);
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
}

Suite *suite_oidc(void)
{
    Suite *s = suite_create("oidc");
    suite_add_tcase(s, tcase_oidc_login());
    suite_add_tcase(s, tcase_oidc_keys());
    return s;
}
