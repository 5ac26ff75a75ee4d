#include "scope.h"

#include <stdio.h>
#include <string.h>

/* One entry per family of routes and kind of access; api/routes.c names
 * them, `kooperd routes` prints them, openapi.yaml and the README list them. */
static const struct koop_scope_def registry[] = {
    {KOOP_SCOPE_READ, "every FAMILY:read below", true},
    {KOOP_SCOPE_AUTHENTICATED, "any valid token (GET /v1/me); never granted", false},
    {"tenants:read", "GET /v1/tenants...", true},
    {"tenants:write", "POST|PATCH /v1/tenants..., a tenant's first admin", true},
    {"settings:read", "GET /v1/settings", true},
    {"settings:write", "PATCH /v1/settings", true},
    {"users:read", "GET /v1/users...", true},
    {"users:write", "POST|PATCH /v1/users...", true},
    {"tokens:read", "GET /v1/users/{user_id}/tokens", true},
    {"tokens:write", "POST|DELETE /v1/users/{user_id}/tokens...", true},
    {"partners:read", "GET /v1/partners... (agreements, benefits, certificate)", true},
    {"partners:write", "POST|PATCH|DELETE /v1/partners...", true},
    {"services:read", "GET /v1/services... (HSDS export)", true},
    {"services:write", "POST|PATCH|DELETE /v1/services... (capacity, import)", true},
    {"families:read", "GET /v1/families... (members, consents, GDPR export)", true},
    {"families:write", "POST|PATCH|DELETE /v1/families...", true},
    {"task-teams:read", "GET /v1/task-teams... (plan, meetings, timeline, documents)", true},
    {"task-teams:write", "POST|PATCH|DELETE /v1/task-teams...", true},
    {"referrals:read", "GET /v1/referrals...", true},
    {"referrals:write", "POST /v1/referrals/{referral_id}/transitions", true},
    {"meetings:read", "GET /v1/meetings... (minutes)", true},
    {"meetings:write", "POST|PATCH|DELETE /v1/meetings...", true},
    {"projects:read", "GET /v1/projects... (indicators, families)", true},
    {"projects:write", "POST|PATCH|DELETE /v1/projects...", true},
    {"reports:read", "GET /v1/reports/...", true},
    {"events:read", "GET /v1/events", true},
    {"audit:read", "GET /v1/audit-events", true},
    {"webhooks:read", "GET /v1/webhooks...", true},
    {"webhooks:write", "POST|PATCH|DELETE /v1/webhooks...", true},
};
#define NSCOPES (sizeof registry / sizeof registry[0])
_Static_assert(NSCOPES <= 64, "a set of scopes is a 64-bit mask");

const struct koop_scope_def *koop_scope_registry(size_t *n)
{
    *n = NSCOPES;
    return registry;
}

static int index_of(const char *name, size_t len)
{
    for (size_t i = 0; i < NSCOPES; i++)
        if (strlen(registry[i].name) == len && memcmp(registry[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

int koop_scope_index(const char *name)
{
    return name ? index_of(name, strlen(name)) : -1;
}

bool koop_scope_grantable(const char *name)
{
    int i = koop_scope_index(name);
    return i >= 0 && registry[i].grantable;
}

int koop_scopes_parse(const char *list, koop_scopes *out, char *bad, size_t badlen)
{
    koop_scopes set = 0;
    const char *p = list ? list : "";
    while (*p) {
        size_t skip = strspn(p, " ,");
        p += skip;
        size_t n = strcspn(p, " ,");
        if (n == 0)
            break;
        int i = index_of(p, n);
        if (i < 0 || !registry[i].grantable) {
            if (bad && badlen)
                snprintf(bad, badlen, "%.*s", (int)n, p);
            return -1;
        }
        set |= (koop_scopes)1 << i;
        p += n;
    }
    *out = set;
    return 0;
}

/* The FAMILY:read of entry i when it is a FAMILY:write, else -1. */
static int read_of(size_t i)
{
    const char *name = registry[i].name, *colon = strchr(name, ':');
    if (!colon || strcmp(colon, ":write") != 0)
        return -1;
    char want[64];
    snprintf(want, sizeof want, "%.*s:read", (int)(colon - name), name);
    return koop_scope_index(want);
}

koop_scopes koop_scopes_expand(koop_scopes granted)
{
    koop_scopes all = granted;
    for (size_t i = 0; i < NSCOPES; i++) {
        if (!(granted & ((koop_scopes)1 << i)))
            continue;
        int r = read_of(i);
        if (r >= 0)
            all |= (koop_scopes)1 << r;
        if (strcmp(registry[i].name, KOOP_SCOPE_READ) == 0)
            for (size_t j = 0; j < NSCOPES; j++) {
                const char *c = strchr(registry[j].name, ':');
                if (c && strcmp(c, ":read") == 0)
                    all |= (koop_scopes)1 << j;
            }
    }
    return all;
}

bool koop_scopes_allow(koop_scopes granted, const char *scope)
{
    if (granted == 0)
        return true; /* no scopes: the role decides alone */
    if (scope && strcmp(scope, KOOP_SCOPE_AUTHENTICATED) == 0)
        return true;
    int i = koop_scope_index(scope);
    return i >= 0 && (koop_scopes_expand(granted) & ((koop_scopes)1 << i));
}

bool koop_scopes_within(koop_scopes want, koop_scopes have)
{
    koop_scopes w = koop_scopes_expand(want), h = koop_scopes_expand(have);
    return (w & ~h) == 0;
}

size_t koop_scopes_format(koop_scopes granted, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < NSCOPES && len; i++) {
        if (!(granted & ((koop_scopes)1 << i)))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? sep : "", registry[i].name);
        if (n < 0 || (size_t)n >= len - used) {
            buf[used] = 0; /* never half a name */
            break;
        }
        used += (size_t)n;
    }
    return used;
}
