/* Shared by the OIDC suite's files (oidc_*.c): a real OpenID provider (tests/oidc-provider.mjs,
 * KOOP_TEST_OIDC_URL) issues JWT access tokens for clients the tests register; the daemon under
 * test verifies them against the provider's JWKS. The suite is in oidc.c. */
#ifndef KOOP_TEST_OIDC_H
#define KOOP_TEST_OIDC_H

#include "auth.h"
#include "util.h"

#include <jansson.h>
#include <time.h>

/* A client of the provider: its token's sub is id. */
struct oidc_client {
    char id[128], secret[160], rat[160]; /* rat: registration access token (RFC 7592) */
};

const char *oidc_url(void);
const char *oidc_aud(void);
/* Registers a client_credentials client with these koop_* metadata (see the provider script);
 * meta is stolen. */
void oidc_register(json_t *meta, struct oidc_client *c);
/* Replaces the client's koop_* metadata (the same subject gets other claims); meta stolen. */
void oidc_update(const struct oidc_client *c, json_t *meta);
/* A JWT access token for resource (NULL: the test audience); malloc'd. */
char *oidc_token(const struct oidc_client *c, const char *resource);
/* The same asking for scope (space-separated; NULL: none). */
char *oidc_token_scoped(const struct oidc_client *c, const char *resource, const char *scope);
/* register + token: role and teryt as claims (NULL: left out), RS256 or ES256. */
char *oidc_quick(const char *role, const char *teryt, const char *alg, struct oidc_client *c);
/* The tenant's TERYT (GET /v1/tenants/{id} as platform admin) into out (8 bytes). */
void tenant_teryt(const char *tenant_id, char out[8]);
/* "iss#sub" of a client, as the audit names it. */
const char *oidc_subject(const struct oidc_client *c);
/* A count from the database (the owner's connection). */
long long db_count(const char *sql, const char *param);
/* A metric's value from /metrics (as platform admin, straight to the daemon at base). */
double metric_at(const char *base, const char *name);
/* A compact JWS made of these header and payload objects (stolen) and signature bytes. */
char *jws_forge(json_t *header, json_t *payload, const unsigned char *sig, size_t siglen);
/* The provider's current JWKS text; malloc'd. */
char *oidc_jwks(void);
/* POST to one of the provider's /_test controls. */
void oidc_control(const char *path);

TCase *tcase_oidc_login(void);
TCase *tcase_oidc_keys(void);

#endif
