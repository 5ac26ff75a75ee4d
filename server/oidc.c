#include "oidc.h"

#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_JWKS (1024 * 1024) /* bytes of a JWKS document */
#define MAX_JWT (16 * 1024)    /* bytes of a bearer JWT */

struct key {
    char kid[256];
    bool has_kid;
    cjose_jwk_kty_t kty;
    char crv[16];
    cjose_jwk_t *jwk;
};

/* Immutable once published; freed when the last verifier lets go. */
struct keyset {
    atomic_int refs;
    size_t n;
    struct key *keys;
};

static bool enabled;
static pthread_mutex_t ks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct keyset *current;
static uint64_t generation; /* under ks_mu: bumped at each new key set */
static pthread_mutex_t fetch_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_attempt_us; /* under fetch_mu; koop_now_us clock, 0: never */
static atomic_long st_fetches, st_failures, st_keys, st_ok, st_rejected;

bool koop_oidc_enabled(void)
{
    return enabled;
}

bool koop_oidc_looks_like_jwt(const char *tok, size_t n)
{
    if (n < 5 || strncmp(tok, "eyJ", 3) != 0)
        return false;
    int dots = 0;
    for (size_t i = 0; i < n; i++)
        if (tok[i] == '.')
            dots++;
    return dots == 2;
}

/* ---- pure parts ---- */

json_t *koop_oidc_claim(json_t *claims, const char *path)
{
    if (!claims || !path || !*path)
        return NULL;
    json_t *at = claims;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || !json_is_object(at))
            return NULL;
        at = json_object_getn(at, p, len);
        if (!at)
            return NULL;
        if (!dot)
            return at;
        p = dot + 1;
    }
}

int koop_oidc_check_times(json_t *claims, long long now, int skew, long long *exp, const char **msg)
{
    json_t *e = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    if (!json_is_number(e)) {
        *msg = "the token has no expiry (exp)";
        return -1;
    }
    long long x = (long long)json_number_value(e);
    if (now >= x + skew) {
        *msg = "the token has expired";
        return -1;
    }
    if (nbf && !json_is_number(nbf)) {
        *msg = "the token's nbf is not a number";
        return -1;
    }
    if (nbf && now + skew < (long long)json_number_value(nbf)) {
        *msg = "the token is not valid yet (nbf)";
        return -1;
    }
    if (exp)
        *exp = x;
    return 0;
}

bool koop_oidc_aud_ok(json_t *claims, const char *audience)
{
    json_t *aud = json_object_get(claims, "aud");
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), audience) == 0;
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), audience) == 0) return true;
    return false;
}

/* ---- the key set ---- */

static void keyset_release(struct keyset *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        cjose_jwk_release(s->keys[i].jwk);
    free(s->keys);
    free(s);
}

static struct keyset *keyset_get(uint64_t *gen)
{
    pthread_mutex_lock(&ks_mu);
    struct keyset *s = current;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    if (gen)
        *gen = generation;
    pthread_mutex_unlock(&ks_mu);
    return s;
}

/* Parses a JWKS: the RSA and EC signing keys in it (symmetric keys are never used: a JWT signed
 * with HS256 is refused whatever its key). NULL with *fault (for the log) when none is usable. */
static struct keyset *keyset_parse(const char *text, size_t len, const char **fault)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    json_t *arr = json_object_get(doc, "keys");
    if (!json_is_array(arr)) {
        json_decref(doc);
        *fault = "not a JWKS (no keys array)"; /* for the log only */
        return NULL;
    }
    struct keyset *s = calloc(1, sizeof *s);
    s->keys = calloc(json_array_size(arr) + 1, sizeof *s->keys);
    atomic_init(&s->refs, 1);
    size_t i;
    json_t *k;
    json_array_foreach(arr, i, k)
    {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        const char *kid = json_string_value(json_object_get(k, "kid"));
        const char *crv = json_string_value(json_object_get(k, "crv"));
        if (!kty || (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0))
            continue;
        if (use && strcmp(use, "sig") != 0)
            continue;
        if (json_object_get(k, "d")) /* a private key published by mistake: not ours to use */
            continue;
        cjose_err cerr;
        cjose_jwk_t *jwk = cjose_jwk_import_json((cjose_header_t *)k, &cerr);
        if (!jwk)
            continue;
        struct key *dst = &s->keys[s->n++];
        dst->jwk = jwk;
        dst->kty = strcmp(kty, "RSA") == 0 ? CJOSE_JWK_KTY_RSA : CJOSE_JWK_KTY_EC;
        dst->has_kid = kid != NULL;
        snprintf(dst->kid, sizeof dst->kid, "%s", kid ? kid : "");
        snprintf(dst->crv, sizeof dst->crv, "%s", crv ? crv : "");
    }
    json_decref(doc);
    if (s->n == 0) {
        keyset_release(s);
        *fault = "no RSA or EC signing key in the JWKS";
        return NULL;
    }
    return s;
}

struct buf {
    char *p;
    size_t n;
    bool over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t add = size * nmemb;
    if (b->n + add > MAX_JWKS) {
        b->over = true;
        return 0;
    }
    char *g = realloc(b->p, b->n + add + 1);
    if (!g)
        return 0;
    b->p = g;
    memcpy(b->p + b->n, ptr, add);
    b->n += add;
    b->p[b->n] = 0;
    return add;
}

/* The JWKS text from the URL or the file; NULL with a reason (no personal data: a URL we were
 * configured with, a curl error, an HTTP status). */
static char *jwks_load(size_t *len, char *why, size_t whylen)
{
    struct buf b = {0};
    if (koop_cfg.oidc_jwks_file[0]) {
        FILE *f = fopen(koop_cfg.oidc_jwks_file, "rb");
        if (!f) {
            snprintf(why, whylen, "cannot open it: %s", strerror(errno));
            return NULL;
        }
        char chunk[8192];
        size_t r;
        while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (on_data(chunk, 1, r, &b) != r)
                break;
        fclose(f);
        if (b.over || !b.p) {
            snprintf(why, whylen, "empty or larger than %d bytes", MAX_JWKS);
            free(b.p);
            return NULL;
        }
        *len = b.n;
        return b.p;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return NULL;
    }
    curl_easy_setopt(c, CURLOPT_URL, koop_cfg.oidc_jwks_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)koop_cfg.oidc_jwks_timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)koop_cfg.oidc_jwks_timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kooperd-oidc");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200 || !b.p) {
        if (rc != CURLE_OK)
            snprintf(why, whylen, "%s", b.over ? "the JWKS is too large" : curl_easy_strerror(rc));
        else
            snprintf(why, whylen, "HTTP status %ld", status);
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p;
}

/* Loads the JWKS and publishes it. Caller holds fetch_mu. */
static int refresh(void)
{
    last_attempt_us = koop_now_us();
    atomic_fetch_add(&st_fetches, 1);
    char why[256] = "";
    size_t len = 0;
    char *text = jwks_load(&len, why, sizeof why);
    struct keyset *s = NULL;
    if (text) {
        const char *perr = NULL;
        s = keyset_parse(text, len, &perr);
        if (!s)
            snprintf(why, sizeof why, "%s", perr);
        free(text);
    }
    if (!s) {
        atomic_fetch_add(&st_failures, 1);
        koop_log_warn("OIDC: fetching the JWKS from %s failed (%s); keeping the %ld keys held",
                      koop_cfg.oidc_jwks_file[0] ? koop_cfg.oidc_jwks_file : koop_cfg.oidc_jwks_url,
                      why, atomic_load(&st_keys));
        return -1;
    }
    atomic_store(&st_keys, (long)s->n);
    koop_log_info("OIDC: %zu signing keys loaded from the JWKS", s->n);
    pthread_mutex_lock(&ks_mu);
    struct keyset *old = current;
    current = s;
    generation++;
    pthread_mutex_unlock(&ks_mu);
    keyset_release(old);
    return 0;
}

int koop_oidc_start(char *err, size_t errlen)
{
    const struct koop_config *c = &koop_cfg;
    bool any =
        c->oidc_issuer[0] || c->oidc_audience[0] || c->oidc_jwks_url[0] || c->oidc_jwks_file[0];
    if (!any)
        return 0;
    if (!c->oidc_issuer[0] || !c->oidc_audience[0]) {
        snprintf(err, errlen, "KOOP_OIDC_ISSUER and KOOP_OIDC_AUDIENCE are both needed for OIDC");
        return -1;
    }
    if (!c->oidc_jwks_url[0] == !c->oidc_jwks_file[0]) {
        snprintf(err, errlen,
                 "OIDC needs exactly one of KOOP_OIDC_JWKS_URL and KOOP_OIDC_JWKS_FILE");
        return -1;
    }
    if (c->oidc_jwks_url[0] && strncmp(c->oidc_jwks_url, "https://", 8) != 0 &&
        strncmp(c->oidc_jwks_url, "http://", 7) != 0) {
        snprintf(err, errlen, "KOOP_OIDC_JWKS_URL must be an http(s) URL");
        return -1;
    }
    if (!c->oidc_role_claim[0] || !c->oidc_tenant_claim[0] || !c->oidc_partner_claim[0]) {
        snprintf(err, errlen, "the KOOP_OIDC_*_CLAIM paths must not be empty");
        return -1;
    }
    enabled = true;
    pthread_mutex_lock(&fetch_mu);
    refresh(); /* a failure is logged and counted; the next unknown kid tries again */
    pthread_mutex_unlock(&fetch_mu);
    return 0;
}

void koop_oidc_stop(void)
{
    pthread_mutex_lock(&ks_mu);
    struct keyset *old = current;
    current = NULL;
    pthread_mutex_unlock(&ks_mu);
    keyset_release(old);
    enabled = false;
}

/* A key for kid (NULL: the token names none) and the token's key type; NULL when none. */
static const struct key *find_key(const struct keyset *s, const char *kid, cjose_jwk_kty_t kty)
{
    const struct key *only = NULL;
    int matches = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->keys[i].kty != kty)
            continue;
        if (kid && s->keys[i].has_kid && strcmp(s->keys[i].kid, kid) == 0)
            return &s->keys[i];
        if (!kid) {
            only = &s->keys[i];
            matches++;
        }
    }
    return matches == 1 ? only : NULL;
}

/* Waits for (or does) a refetch because the key set held lacks a key; bounded by the fetch
 * timeout. Returns the key set to use (a reference), perhaps the same as before. */
static struct keyset *refetch(uint64_t gen_seen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long wait_ms = koop_cfg.oidc_jwks_timeout_ms + 250;
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_mutex_timedlock(&fetch_mu, &until) == 0) {
        uint64_t gen;
        keyset_release(keyset_get(&gen));
        uint64_t now = koop_now_us();
        if (gen == gen_seen &&
            (last_attempt_us == 0 ||
             now - last_attempt_us >= (uint64_t)koop_cfg.oidc_jwks_refresh_s * 1000000u))
            refresh();
        pthread_mutex_unlock(&fetch_mu);
    }
    return keyset_get(NULL);
}

static const struct {
    const char *alg;
    cjose_jwk_kty_t kty;
    const char *crv; /* EC: the curve the alg needs */
} algs[] = {
    {"RS256", CJOSE_JWK_KTY_RSA, NULL},   {"RS384", CJOSE_JWK_KTY_RSA, NULL},
    {"RS512", CJOSE_JWK_KTY_RSA, NULL},   {"PS256", CJOSE_JWK_KTY_RSA, NULL},
    {"PS384", CJOSE_JWK_KTY_RSA, NULL},   {"PS512", CJOSE_JWK_KTY_RSA, NULL},
    {"ES256", CJOSE_JWK_KTY_EC, "P-256"}, {"ES384", CJOSE_JWK_KTY_EC, "P-384"},
    {"ES512", CJOSE_JWK_KTY_EC, "P-521"},
};

/* A UUID standing for this token in token_id (rate limits, long-poll budgets, audit rows): made
 * from its SHA-256, version 8 ("custom"); no row of tokens has it. */
static void token_uuid(const char *hash, char out[37])
{
    char h[33];
    memcpy(h, hash, 32);
    h[32] = 0;
    h[12] = '8';
    static const char variant[] = "89ab";
    h[16] = variant[strtol((char[]){h[16], 0}, NULL, 16) & 3];
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Verifies the signature and returns the claims (new reference), or NULL with *msg. */
static json_t *verify(const char *tok, size_t n, const char **msg)
{
    cjose_err cerr;
    cjose_jws_t *jws = cjose_jws_import(tok, n, &cerr);
    if (!jws) {
        *msg = "the token is not a well-formed JWT";
        return NULL;
    }
    json_t *hdr = (json_t *)cjose_jws_get_protected(jws);
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    json_t *kidv = json_object_get(hdr, "kid");
    const char *kid = json_string_value(kidv);
    size_t a = 0;
    while (alg && a < sizeof algs / sizeof algs[0] && strcmp(algs[a].alg, alg) != 0)
        a++;
    if (!alg || a == sizeof algs / sizeof algs[0] || (kidv && !kid)) {
        cjose_jws_release(jws);
        *msg = "the token's signature algorithm is not accepted";
        return NULL;
    }
    uint64_t gen;
    struct keyset *s = keyset_get(&gen);
    const struct key *k = find_key(s, kid, algs[a].kty);
    if (!k) {
        keyset_release(s);
        s = refetch(gen);
        k = find_key(s, kid, algs[a].kty);
    }
    bool ok = k && (!algs[a].crv || strcmp(k->crv, algs[a].crv) == 0) &&
              cjose_jws_verify(jws, k->jwk, &cerr);
    keyset_release(s);
    if (!ok) {
        cjose_jws_release(jws);
        *msg = k ? "the token's signature does not verify" : "the token's signing key is unknown";
        return NULL;
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    json_t *claims = NULL;
    if (cjose_jws_get_plaintext(jws, &plain, &plen, &cerr)) {
        json_error_t jerr;
        claims = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, &jerr);
    }
    cjose_jws_release(jws); /* owns plain */
    if (!json_is_object(claims)) {
        json_decref(claims);
        *msg = "the token's claims are not a JSON object";
        return NULL;
    }
    return claims;
}

/* An audit row for a verified token refused here (koop.oidc_refused); best effort: the answer is
 * the refusal whatever the database says. */
static void audit_refusal(struct kreq *req, struct kres *res, const char *iss, const char *sub,
                          const char *teryt, int status)
{
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    const char *vals[] = {iss, sub, teryt, st, req->ip, req->request_id};
    struct kres scratch = {0};
    (void)res;
    PGresult *r = db_exec_once(&scratch, "koop_oidc_refused", 6, vals);
    if (r)
        PQclear(r);
    json_decref(scratch.json);
    free(scratch.raw);
}

int koop_oidc_authenticate(struct kreq *req, const char *tok, size_t n, struct kres *res,
                           long long *expires, const char **msg)
{
    if (n > MAX_JWT) {
        *msg = "the token is too long";
        atomic_fetch_add(&st_rejected, 1);
        return 401;
    }
    json_t *claims = verify(tok, n, msg);
    if (!claims) {
        atomic_fetch_add(&st_rejected, 1);
        return 401;
    }
    int rc = 401;
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    if (!iss || strcmp(iss, koop_cfg.oidc_issuer) != 0) {
        *msg = "the token's issuer (iss) is not the configured one";
        goto out;
    }
    if (!koop_oidc_aud_ok(claims, koop_cfg.oidc_audience)) {
        *msg = "the token's audience (aud) is not this service";
        goto out;
    }
    if (koop_oidc_check_times(claims, (long long)time(NULL), koop_cfg.oidc_skew_s, expires, msg) !=
        0)
        goto out;
    if (!sub || !*sub || strlen(sub) > 255) {
        *msg = "the token has no subject (sub)";
        goto out;
    }
    const char *teryt = json_string_value(koop_oidc_claim(claims, koop_cfg.oidc_tenant_claim));
    size_t tl = teryt ? strlen(teryt) : 0;
    if (!teryt || (tl != 4 && tl != 7) || strspn(teryt, "0123456789") != tl) {
        *msg = "the token names no tenant (its TERYT claim is missing or malformed)";
        audit_refusal(req, res, iss, sub, NULL, 401);
        goto out;
    }
    const char *role_name = json_string_value(koop_oidc_claim(claims, koop_cfg.oidc_role_claim));
    enum koop_role role = koop_role_parse(role_name);
    if (!(role & ROLES_TENANT)) {
        rc = 403;
        if (role)
            *msg = "platform roles cannot come from an OIDC token";
        else
            *msg = "the token's role claim is missing or not a role of this service";
        audit_refusal(req, res, iss, sub, teryt, 403);
        goto out;
    }
    /* the `scope` claim (RFC 9068: space-separated) limits the token as an opaque token's scopes
     * do (server/scope.h); OpenID's own values are skipped; an unknown one refuses the token */
    json_t *scope = json_object_get(claims, "scope");
    struct koop_auth scoped = {0};
    char bad[64];
    if ((scope && !json_is_string(scope)) ||
        koop_auth_set_scopes(&scoped, json_string_value(scope), bad, sizeof bad) != 0) {
        *msg = "the token carries a scope this server does not know";
        goto out;
    }
    const char *partner = json_string_value(koop_oidc_claim(claims, koop_cfg.oidc_partner_claim));
    const char *email = json_string_value(json_object_get(claims, "email"));
    bool verified = json_is_true(json_object_get(claims, "email_verified"));
    const char *name = json_string_value(json_object_get(claims, "name"));
    if (!name)
        name = json_string_value(json_object_get(claims, "preferred_username"));
    char new_id[37];
    koop_uuid7(new_id);
    const char *vals[] = {iss,
                          sub,
                          teryt,
                          koop_role_name(role),
                          role == ROLE_PARTNER_STAFF ? (partner ? partner : "") : NULL,
                          email,
                          verified ? "true" : "false",
                          name,
                          req->ip,
                          req->request_id,
                          new_id};
    PGresult *r = db_exec_once(res, "koop_oidc_login", 11, vals);
    if (!r) {
        rc = -1;
        goto out;
    }
    int status = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 500;
    if (status != 200) {
        const char *reason = PQntuples(r) == 1 ? PQgetvalue(r, 0, 1) : "";
        rc = status == 403 ? 403 : 401;
        if (!strcmp(reason, "tenant"))
            *msg = "the token's tenant (TERYT) is unknown or inactive";
        else if (!strcmp(reason, "other_tenant"))
            *msg = "the token's subject belongs to another tenant";
        else if (!strcmp(reason, "deactivated"))
            *msg = "the user is deactivated";
        else if (!strcmp(reason, "linked_elsewhere"))
            *msg = "the token's e-mail belongs to a user bound to another identity";
        else if (!strcmp(reason, "partner"))
            *msg = "the token's partner claim names no partner of its tenant";
        else
            *msg = "the token is invalid, expired or revoked";
        PQclear(r);
        goto out;
    }
    char hash[65];
    koop_sha256_hex(tok, n, hash);
    token_uuid(hash, req->auth.token_id);
    copy(req->auth.user_id, sizeof req->auth.user_id, PQgetvalue(r, 0, 2));
    copy(req->auth.tenant_id, sizeof req->auth.tenant_id, PQgetvalue(r, 0, 3));
    req->auth.role = koop_role_parse(PQgetvalue(r, 0, 4));
    copy(req->auth.partner_id, sizeof req->auth.partner_id, PQgetvalue(r, 0, 5));
    req->auth.scopes = scoped.scopes;
    PQclear(r);
    rc = 0;
    atomic_fetch_add(&st_ok, 1);
out:
    if (rc > 0)
        atomic_fetch_add(&st_rejected, 1);
    json_decref(claims);
    return rc;
}

char *koop_oidc_metrics(void)
{
    char *out = NULL;
    if (asprintf(&out,
                 "# HELP koop_oidc_jwks_fetches_total JWKS loads (start, unknown kid).\n"
                 "# TYPE koop_oidc_jwks_fetches_total counter\nkoop_oidc_jwks_fetches_total %ld\n"
                 "# HELP koop_oidc_jwks_fetch_failures_total JWKS loads that failed (keys kept).\n"
                 "# TYPE koop_oidc_jwks_fetch_failures_total counter\n"
                 "koop_oidc_jwks_fetch_failures_total %ld\n"
                 "# HELP koop_oidc_jwks_keys Signing keys held from the JWKS.\n"
                 "# TYPE koop_oidc_jwks_keys gauge\nkoop_oidc_jwks_keys %ld\n"
                 "# HELP koop_oidc_tokens_total JWT bearers verified, by outcome.\n"
                 "# TYPE koop_oidc_tokens_total counter\n"
                 "koop_oidc_tokens_total{outcome=\"ok\"} %ld\n"
                 "koop_oidc_tokens_total{outcome=\"rejected\"} %ld\n",
                 atomic_load(&st_fetches), atomic_load(&st_failures), atomic_load(&st_keys),
                 atomic_load(&st_ok), atomic_load(&st_rejected)) < 0)
        return NULL;
    return out;
}
