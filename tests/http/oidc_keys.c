/* The provider's keys: rotation without restarting the daemon (refetch on an unknown kid), a
 * JWKS that cannot be fetched (metric, warning, known keys go on working), the JWKS file mode
 * and the issuer check, on daemons of their own. */
#include "oidc.h"

#include <signal.h>

static const char *base(void)
{
    return env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
}

static char *kid_of(const char *jwt)
{
    const char *dot = strchr(jwt, '.');
    char h[1024];
    snprintf(h, sizeof h, "%.*s", (int)(dot - jwt), jwt);
    unsigned char raw[1024];
    long n = koop_b64url_decode(h, raw, sizeof raw);
    ck_assert_int_gt(n, 0);
    json_error_t e;
    json_t *o = json_loadb((const char *)raw, (size_t)n, 0, &e);
    char *kid = strdup(jstr(o, "kid"));
    json_decref(o);
    return kid;
}

static long me_status_at(const char *b, const char *jwt)
{
    struct resp *r = http_req(b, "GET", "/v1/me", jwt, NULL, NULL);
    long s = r->status;
    resp_free(r);
    return s;
}

static bool log_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

START_TEST(rotation_without_restart)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8], u1[37], u2[37];
    tenant_teryt(t.id, teryt);
    struct oidc_client c;
    char *old = oidc_quick("coordinator", teryt, "ES256", &c);
    ck_assert_int_eq(me_status_at(base(), old), 200);
    struct resp *r = direct("GET", "/v1/me", old, NULL, NULL);
    snprintf(u1, sizeof u1, "%s", jstr(json_object_get(r->json, "user"), "id"));
    resp_free(r);
    char *kid1 = kid_of(old);
    char *unseen = oidc_token(&c, NULL); /* same key, never shown to the daemon (not cached) */

    oidc_control("/_test/rotate"); /* new keys, new kids; the old ones are gone */
    sleep(2);                      /* past KOOP_OIDC_JWKS_REFRESH=1 since any earlier fetch */
    double fetches = metric_at(base(), "koop_oidc_jwks_fetches_total");
    char *fresh = oidc_token(&c, NULL);
    char *kid2 = kid_of(fresh);
    ck_assert_str_ne(kid1, kid2);
    r = direct("GET", "/v1/me", fresh, NULL, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    snprintf(u2, sizeof u2, "%s", jstr(json_object_get(r->json, "user"), "id"));
    resp_free(r);
    ck_assert_str_eq(u1, u2);
    ck_assert_double_eq(metric_at(base(), "koop_oidc_jwks_fetches_total"), fetches + 1);
    /* the old key left the JWKS: a token signed with it (not expired) no longer verifies; one
     * already verified stays in the auth cache for its few seconds (server/auth.c) */
    r = direct("GET", "/v1/me", unseen, NULL, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
    free(unseen);
    free(kid1);
    free(kid2);
    free(old);
    free(fresh);
}
END_TEST

START_TEST(fetch_failure_keeps_known_keys)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    struct oidc_client c;
    char *known = oidc_quick("coordinator", teryt, NULL, &c);
    ck_assert_int_eq(me_status_at(base(), known), 200);

    oidc_control("/_test/jwks?fail=1");
    sleep(2);
    double failures = metric_at(base(), "koop_oidc_jwks_fetch_failures_total");
    /* a token naming a kid nobody knows makes the daemon refetch, which fails */
    char *forged = jws_forge(json_pack("{s:s, s:s}", "alg", "RS256", "kid", "no-such-kid"),
                             json_pack("{s:s, s:s, s:s, s:I}", "iss", oidc_url(), "aud", oidc_aud(),
                                       "sub", "intruder", "exp", (json_int_t)time(NULL) + 300),
                             (const unsigned char *)"sig", 3);
    struct resp *r = direct("GET", "/v1/me", forged, NULL, NULL);
    check_401(r, "invalid_token");
    ck_assert_str_eq(jstr(r->json, "detail"), "the token's signing key is unknown");
    resp_free(r);
    ck_assert_double_eq(metric_at(base(), "koop_oidc_jwks_fetch_failures_total"), failures + 1);
    ck_assert(log_has(env_or("KOOP_TEST_DAEMON_LOG", ""), "fetching the JWKS"));
    ck_assert(log_has(env_or("KOOP_TEST_DAEMON_LOG", ""), "HTTP status 503"));
    /* tokens signed with the keys held go on working, a first login too */
    struct oidc_client c2;
    char *other = oidc_quick("auditor", teryt, "ES256", &c2);
    ck_assert_int_eq(me_status_at(base(), known), 200);
    ck_assert_int_eq(me_status_at(base(), other), 200);
    /* and a second unknown kid within the refresh interval does not fetch again */
    r = direct("GET", "/v1/me", forged, NULL, NULL);
    check_401(r, "invalid_token");
    resp_free(r);
    ck_assert_double_eq(metric_at(base(), "koop_oidc_jwks_fetch_failures_total"), failures + 1);
    oidc_control("/_test/jwks?fail=0");
    free(forged);
    free(known);
    free(other);
}
END_TEST

/* A daemon of this test's own with extra settings; its base URL in b. Returns its pid. */
static pid_t own_daemon(const char *settings, const char *logpath, char b[64])
{
    LOCALF(cmd,
           "env KOOP_LISTEN=127.0.0.1:0 KOOP_THREADS=2 KOOP_JOB_INTERVAL=3600 "
           "KOOP_OIDC_AUDIENCE=%s KOOP_OIDC_ROLE_CLAIM=realm_access.koop_role "
           "KOOP_OIDC_JWKS_URL= KOOP_OIDC_JWKS_REFRESH=1 KOOP_OIDC_SKEW=1 %s "
           "%s/kooperd serve 2>%s & echo $!",
           oidc_aud(), settings, env_or("KOOP_TEST_BUILD", "build"), logpath);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    long pid = 0;
    ck_assert_int_eq(fscanf(p, "%ld", &pid), 1);
    pclose(p);
    for (int i = 0; i < 300; i++) {
        FILE *f = fopen(logpath, "r");
        char line[2048];
        while (f && fgets(line, sizeof line, f)) {
            const char *at = strstr(line, "\"port\":");
            if (strstr(line, "\"msg\":\"listening\"") && at) {
                snprintf(b, 64, "http://127.0.0.1:%d", atoi(at + 7));
                fclose(f);
                return (pid_t)pid;
            }
        }
        if (f)
            fclose(f);
        usleep(100000);
    }
    kill((pid_t)pid, SIGTERM);
    ck_abort_msg("the daemon with %s did not start", settings);
    return 0;
}

static void stop_daemon(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
        usleep(50000);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(jwks_file_mode_and_issuer)
{
    struct fx_tenant t;
    FX_TENANT(&t, 0);
    char teryt[8];
    tenant_teryt(t.id, teryt);
    char dir[] = "/tmp/koop-oidc-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    LOCALF(jwks_path, "%s/jwks.json", dir);
    LOCALF(log1, "%s/file.log", dir);
    LOCALF(log2, "%s/issuer.log", dir);
    char *jwks = oidc_jwks();
    write_file(jwks_path, jwks);
    free(jwks);
    char b[64];
    pid_t pid = own_daemon(fmt("KOOP_OIDC_ISSUER=%s KOOP_OIDC_JWKS_FILE=%s", oidc_url(), jwks_path),
                           log1, b);
    struct oidc_client c;
    char *jwt = oidc_quick("coordinator", teryt, NULL, &c);
    ck_assert_int_eq(me_status_at(b, jwt), 200);
    free(jwt);
    /* the provider rotates; until the file has the new keys its tokens are refused */
    oidc_control("/_test/rotate");
    jwt = oidc_token(&c, NULL);
    ck_assert_int_eq(me_status_at(b, jwt), 401);
    jwks = oidc_jwks();
    write_file(jwks_path, jwks);
    free(jwks);
    sleep(2); /* past KOOP_OIDC_JWKS_REFRESH: the unknown kid rereads the file */
    ck_assert_int_eq(me_status_at(b, jwt), 200);
    stop_daemon(pid);

    /* a daemon expecting another issuer refuses the provider's tokens */
    pid = own_daemon(
        fmt("KOOP_OIDC_ISSUER=https://other-issuer.example KOOP_OIDC_JWKS_FILE=%s", jwks_path),
        log2, b);
    struct resp *r = http_req(b, "GET", "/v1/me", jwt, NULL, NULL);
    check_401(r, "invalid_token");
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "issuer"));
    resp_free(r);
    stop_daemon(pid);
    free(jwt);
    unlink(jwks_path);
    unlink(log1);
    unlink(log2);
    rmdir(dir);
}
END_TEST

TCase *tcase_oidc_keys(void)
{
    TCase *tc = tcase_create("keys");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rotation_without_restart);
    tcase_add_test(tc, fetch_failure_keeps_known_keys);
    tcase_add_test(tc, jwks_file_mode_and_issuer);
    return tc;
}
