/* Bearer-token authentication. Tokens are stored only as SHA-256 hashes; the
 * lookup runs in SQL (koop.auth) which also records failed logins. */
#ifndef KOOP_AUTH_H
#define KOOP_AUTH_H

#include "req.h"

/* Authenticates req from its Authorization header value (may be NULL).
 * Returns 0 and fills req->auth, or -1 with res set (401 with
 * WWW-Authenticate, 429 when the IP failed too often, 503). */
int koop_authenticate(struct kreq *req, const char *authorization, struct kres *res);

/* Sets a->scopes from a space-separated list of scope names (a token's
 * stored scopes; an OIDC access token's `scope` claim, RFC 8693 §4.2), for
 * the dispatcher to check against each route's scope (server/scope.h). NULL
 * or an empty list (or only OpenID Connect's own values: openid, profile,
 * email, address, phone, offline_access, which are skipped) gives no scopes:
 * the role's full access. Returns 0, or -1 with the first unknown (or
 * never-granted) name in bad; a->scopes then allows only GET /v1/me, and the
 * caller should refuse the request (401 invalid_token). */
int koop_auth_set_scopes(struct koop_auth *a, const char *space_separated, char *bad,
                         size_t badlen);

/* Forgets every cached token lookup (a token, user or tenant changed). */
void koop_auth_flush(void);

/* Failed-login limiter (exposed for tests): records a failure for ip and
 * returns true while ip is under the limit per minute. */
bool koop_auth_note_failure(const char *ip, long now_s, int limit);
bool koop_auth_blocked(const char *ip, long now_s, int limit);

#endif
