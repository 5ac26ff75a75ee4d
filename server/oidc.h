/* OIDC access tokens: a bearer that is a JWT from the configured OpenID provider is verified
 * here (libcjose: RS256/384/512, PS256/384/512, ES256/384/512 against the provider's JWKS;
 * iss, aud, exp, nbf with KOOP_OIDC_SKEW) and its claims mapped to a struct koop_auth through
 * koop.oidc_login (sql/functions/oidc.sql), which creates or links the user by iss + sub.
 *
 * The JWKS (KOOP_OIDC_JWKS_URL via libcurl, or KOOP_OIDC_JWKS_FILE) is loaded at start and kept
 * as an immutable, reference-counted key set: verifying takes a mutex only to pick it up. A token
 * whose kid is unknown makes one request thread refetch it, at most once per
 * KOOP_OIDC_JWKS_REFRESH seconds and for at most KOOP_OIDC_JWKS_TIMEOUT_MS; other threads that
 * need a refetch wait for that one no longer than the same bound. A failed fetch keeps the keys
 * held, logs a warning and counts koop_oidc_jwks_fetch_failures_total. */
#ifndef KOOP_OIDC_H
#define KOOP_OIDC_H

#include "req.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks the KOOP_OIDC_* settings and loads the JWKS (a failure to fetch is a warning, not an
 * error: the provider may be down while the daemon starts). Returns 0, or -1 with the reason
 * in err when the settings are inconsistent. Off (returns 0) while KOOP_OIDC_ISSUER is empty. */
int koop_oidc_start(char *err, size_t errlen);
void koop_oidc_stop(void);
bool koop_oidc_enabled(void);
/* The compact JWS shape: three base64url parts (cheap: the opaque path never calls more). */
bool koop_oidc_looks_like_jwt(const char *tok, size_t n);

/* Verifies tok and fills req->auth. Returns 0 (and the token's exp in *expires), 401 or 403
 * with a client-facing *msg, or -1 when res already holds a problem (database unavailable). */
int koop_oidc_authenticate(struct kreq *req, const char *tok, size_t n, struct kres *res,
                           long long *expires, const char **msg);

/* Prometheus text of the OIDC counters (malloc'd), appended to /metrics. */
char *koop_oidc_metrics(void);

/* ---- pure parts, unit-tested ---- */
/* The value at a dotted path ("realm_access.koop_role") in claims, borrowed; NULL when a step
 * is missing or not an object. An empty path or an empty step ("a..b", ".a") finds nothing. */
json_t *koop_oidc_claim(json_t *claims, const char *path);
/* exp (required) and nbf (optional) against now with skew seconds: 0, or -1 with *msg. Both
 * must be JSON numbers. */
int koop_oidc_check_times(json_t *claims, long long now, int skew, long long *exp,
                          const char **msg);
/* aud: a string equal to audience, or an array holding it. */
bool koop_oidc_aud_ok(json_t *claims, const char *audience);

#endif
