/* Scopes of integration tokens: the vocabulary, and what a set of scopes
 * allows. A token (or an OIDC access token's `scope` claim) may carry scopes;
 * each route of the table declares the one it needs (api/routes.c,
 * struct koop_route.scope). A token without scopes has its role's full access;
 * scopes only narrow what the role allows, never widen it (the role is
 * checked first, by the dispatcher in server/http.c).
 *
 * The vocabulary is one pair per family of routes, FAMILY:read and
 * FAMILY:write (read-only families have no :write), plus
 *   read           every FAMILY:read
 *   authenticated  route-only: any valid token (GET /v1/me); never granted.
 * FAMILY:write implies FAMILY:read of the same family (a write answers with
 * the record, so write without read could not be kept) and nothing else.
 * A set is a bitmask of registry entries (at most 64). */
#ifndef KOOP_SCOPE_H
#define KOOP_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t koop_scopes; /* bit i: registry entry i; 0: no scopes (unrestricted) */

#define KOOP_SCOPE_READ "read"
#define KOOP_SCOPE_AUTHENTICATED "authenticated"

struct koop_scope_def {
    const char *name;        /* "services:read" */
    const char *description; /* for the docs */
    bool grantable;          /* false: a route may name it, a token never carries it */
};

/* The registry, in its canonical order; *n receives its length. */
const struct koop_scope_def *koop_scope_registry(size_t *n);

/* The registry index of name, or -1 when unknown. */
int koop_scope_index(const char *name);

/* Whether name may be given to a token (known and grantable). */
bool koop_scope_grantable(const char *name);

/* Parses scope names separated by spaces (and, for the CLI, commas) into
 * *out. Every name must be grantable. An empty string gives 0. Returns 0, or
 * -1 naming the first bad one in bad (truncated to badlen). */
int koop_scopes_parse(const char *list, koop_scopes *out, char *bad, size_t badlen);

/* The set with its implications: read adds every FAMILY:read, FAMILY:write
 * adds FAMILY:read. */
koop_scopes koop_scopes_expand(koop_scopes granted);

/* Whether granted (0: no scopes, the role's full access) allows a route that
 * needs scope. authenticated is allowed to every token; an unknown or NULL
 * scope never is when granted is not 0 (fail closed). */
bool koop_scopes_allow(koop_scopes granted, const char *scope);

/* Whether every scope of want is within have (both expanded): a scoped
 * token mints only tokens within its own scopes. */
bool koop_scopes_within(koop_scopes want, koop_scopes have);

/* The names of granted, in registry order, separated by sep, into buf.
 * Returns the length written (buf is always terminated). */
size_t koop_scopes_format(koop_scopes granted, const char *sep, char *buf, size_t len);

#endif
