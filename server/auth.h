/* Bearer-token authentication. Tokens are stored only as SHA-256 hashes; the
 * lookup runs in SQL (koop.auth) which also records failed logins. */
#ifndef KOOP_AUTH_H
#define KOOP_AUTH_H

#include "req.h"

/* Authenticates req from its Authorization header value (may be NULL).
 * Returns 0 and fills req->auth, or -1 with res set (401 with
 * WWW-Authenticate, 429 when the IP failed too often, 503). */
int koop_authenticate(struct kreq *req, const char *authorization, struct kres *res);

/* Forgets every cached token lookup (a token, user or tenant changed). */
void koop_auth_flush(void);

/* Failed-login limiter (exposed for tests): records a failure for ip and
 * returns true while ip is under the limit per minute. */
bool koop_auth_note_failure(const char *ip, long now_s, int limit);
bool koop_auth_blocked(const char *ip, long now_s, int limit);

#endif
