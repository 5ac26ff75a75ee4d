#include "auth.h"

#include "config.h"
#include "db.h"
#include "log.h"
#include "oidc.h"
#include "problem.h"
#include "scope.h"
#include "util.h"
#include "wait.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <time.h>

#define SLOTS 1024
static struct {
    char ip[64];
    long window; /* minute number */
    int fails;
} slots[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned slot_of(const char *ip)
{
    unsigned h = 2166136261u;
    for (const char *p = ip; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % SLOTS;
}

bool koop_auth_blocked(const char *ip, long now_s, int limit)
{
    pthread_mutex_lock(&mu);
    unsigned s = slot_of(ip);
    bool blocked =
        strcmp(slots[s].ip, ip) == 0 && slots[s].window == now_s / 60 && slots[s].fails >= limit;
    pthread_mutex_unlock(&mu);
    return blocked;
}

bool koop_auth_note_failure(const char *ip, long now_s, int limit)
{
    pthread_mutex_lock(&mu);
    unsigned s = slot_of(ip);
    if (strcmp(slots[s].ip, ip) != 0 || slots[s].window != now_s / 60) {
        snprintf(slots[s].ip, sizeof slots[s].ip, "%s", ip);
        slots[s].window = now_s / 60;
        slots[s].fails = 0;
    }
    slots[s].fails++;
    bool under = slots[s].fails <= limit;
    pthread_mutex_unlock(&mu);
    return under;
}

/* Successful lookups are cached for a few seconds, and only while the event
 * listener is connected: every change that can end a token's validity
 * (revocation, expiry change, user deactivation or role change, tenant
 * deactivation) NOTIFYs koop_auth at commit and the listener flushes the
 * cache; this daemon also flushes after its own such writes. */
#define CACHE_SLOTS 4096
#define CACHE_TTL_US (10 * 1000000ull)
static struct {
    char hash[65];
    struct koop_auth auth;
    uint64_t until_us; /* koop_now_us clock */
    long long expires; /* token's expiry, Unix seconds */
    uint64_t epoch;
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cache_epoch = 1;

void koop_auth_flush(void)
{
    pthread_mutex_lock(&cache_mu);
    cache_epoch++;
    pthread_mutex_unlock(&cache_mu);
}

static unsigned cache_slot(const char *hash)
{
    return (unsigned)strtoul(hash + 56, NULL, 16) % CACHE_SLOTS;
}

static bool cache_get(const char *hash, struct koop_auth *out)
{
    if (!koop_wait_listening())
        return false;
    bool hit = false;
    unsigned s = cache_slot(hash);
    pthread_mutex_lock(&cache_mu);
    if (cache[s].epoch == cache_epoch && strcmp(cache[s].hash, hash) == 0 &&
        cache[s].until_us > koop_now_us() && cache[s].expires > (long long)time(NULL)) {
        *out = cache[s].auth;
        hit = true;
    }
    pthread_mutex_unlock(&cache_mu);
    return hit;
}

static void cache_put(const char *hash, const struct koop_auth *a, long long expires,
                      uint64_t epoch)
{
    unsigned s = cache_slot(hash);
    pthread_mutex_lock(&cache_mu);
    if (epoch == cache_epoch) { /* not flushed while we were asking the database */
        snprintf(cache[s].hash, sizeof cache[s].hash, "%s", hash);
        cache[s].auth = *a;
        cache[s].until_us = koop_now_us() + CACHE_TTL_US;
        cache[s].expires = expires;
        cache[s].epoch = epoch;
    }
    pthread_mutex_unlock(&cache_mu);
}

static int unauthorized(struct kres *res, const char *detail, const char *err)
{
    koop_fail(res, P_UNAUTHORIZED, "%s", detail);
    if (err)
        koop_res_header(res, "WWW-Authenticate", "Bearer realm=\"kooperacje\", error=\"%s\"", err);
    else
        koop_res_header(res, "WWW-Authenticate", "Bearer realm=\"kooperacje\"");
    return -1;
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int koop_authenticate(struct kreq *req, const char *authz, struct kres *res)
{
    long now = (long)time(NULL);
    if (koop_auth_blocked(req->ip, now, koop_cfg.auth_fail_limit)) {
        koop_fail(res, P_TOO_MANY_REQUESTS, "too many failed authentication attempts");
        koop_res_header(res, "Retry-After", "%ld", 60 - now % 60);
        return -1;
    }
    if (!authz || !*authz)
        return unauthorized(res, "a bearer token is required", NULL);
    if (strncasecmp(authz, "Bearer ", 7) != 0)
        return unauthorized(res, "the Authorization scheme must be Bearer", "invalid_request");
    const char *tok = authz + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    char hash[65];
    koop_sha256_hex(tok, n, hash);
    if (cache_get(hash, &req->auth))
        return 0;
    pthread_mutex_lock(&cache_mu);
    uint64_t epoch = cache_epoch;
    pthread_mutex_unlock(&cache_mu);
    if (koop_oidc_enabled() && koop_oidc_looks_like_jwt(tok, n)) {
        const char *msg = NULL;
        long long exp = 0;
        int rc = koop_oidc_authenticate(req, tok, n, res, &exp, &msg);
        if (rc == 0) {
            cache_put(hash, &req->auth, exp, epoch);
            return 0;
        }
        req->auth = (struct koop_auth){0};
        if (rc < 0)
            return -1;
        koop_auth_note_failure(req->ip, now, koop_cfg.auth_fail_limit);
        if (rc == 403) {
            koop_fail(res, P_FORBIDDEN, "%s", msg);
            return -1;
        }
        return unauthorized(res, msg, "invalid_token");
    }
    const char *vals[] = {hash, req->ip, req->request_id};
    PGresult *r = db_exec_once(res, "koop_auth", 3, vals);
    if (!r)
        return -1;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        koop_auth_note_failure(req->ip, now, koop_cfg.auth_fail_limit);
        return unauthorized(res, "the token is invalid, expired or revoked", "invalid_token");
    }
    copy(req->auth.token_id, sizeof req->auth.token_id, PQgetvalue(r, 0, 0));
    copy(req->auth.user_id, sizeof req->auth.user_id, PQgetvalue(r, 0, 1));
    copy(req->auth.tenant_id, sizeof req->auth.tenant_id, PQgetvalue(r, 0, 2));
    req->auth.role = koop_role_parse(PQgetvalue(r, 0, 3));
    copy(req->auth.partner_id, sizeof req->auth.partner_id, PQgetvalue(r, 0, 4));
    long long expires = atoll(PQgetvalue(r, 0, 5));
    char bad[64];
    /* a stored scope this version does not know (a downgrade) fails closed */
    int scoped = koop_auth_set_scopes(&req->auth, PQgetvalue(r, 0, 6), bad, sizeof bad);
    PQclear(r);
    if (req->auth.role == ROLE_NONE)
        return unauthorized(res, "the token's user has no valid role", "invalid_token");
    if (scoped != 0) {
        koop_log_error("token %s carries an unknown scope", req->auth.token_id);
        return unauthorized(res, "the token carries a scope this server does not know",
                            "invalid_token");
    }
    cache_put(hash, &req->auth, expires, epoch);
    return 0;
}

int koop_auth_set_scopes(struct koop_auth *a, const char *space_separated, char *bad, size_t badlen)
{
    /* OpenID Connect's own scope values (OIDC Core §5.4, §11) ask for claims
     * of the ID token, not for access to this API: an access token's scope
     * claim may hold them beside ours */
    static const char *const oidc[] = {"openid",  "profile", "email",
                                       "address", "phone",   "offline_access"};
    /* on failure only GET /v1/me stays open, should a caller go on anyway */
    koop_scopes closed = (koop_scopes)1 << koop_scope_index(KOOP_SCOPE_AUTHENTICATED);
    const char *p = space_separated ? space_separated : "";
    koop_scopes set = 0;
    while (*p) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        bool skip = false;
        for (size_t i = 0; i < sizeof oidc / sizeof oidc[0]; i++)
            skip = skip || (strlen(oidc[i]) == n && !memcmp(p, oidc[i], n));
        char one[64];
        koop_scopes s1 = 0;
        if (!skip && (n >= sizeof one || memchr(p, ',', n) ||
                      (snprintf(one, sizeof one, "%.*s", (int)n, p),
                       koop_scopes_parse(one, &s1, NULL, 0) != 0))) {
            if (bad && badlen)
                snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
            a->scopes = closed;
            return -1;
        }
        set |= s1;
        p += n;
    }
    a->scopes = set;
    return 0;
}

static const struct {
    enum koop_role role;
    const char *name;
} role_names[] = {
    {ROLE_PLATFORM_ADMIN, "platform_admin"},     {ROLE_ADMIN, "admin"},
    {ROLE_COORDINATOR, "coordinator"},           {ROLE_SOCIAL_WORKER, "social_worker"},
    {ROLE_PARTNER_STAFF, "partner_staff"},       {ROLE_AUDITOR, "auditor"},
    {ROLE_REGIONAL_ANALYST, "regional_analyst"},
};

const char *koop_role_name(enum koop_role r)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role_names[i].role == r)
            return role_names[i].name;
    return "";
}

enum koop_role koop_role_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(role_names[i].name, s) == 0)
            return role_names[i].role;
    return ROLE_NONE;
}
