#include "negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One media range of an Accept value: "type/subtype" and its q (1 when absent). */
struct range {
    char type[64], sub[64];
    double q;
};

static int parse_range(const char *p, size_t len, struct range *r)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), p);
    r->q = 1.0;
    char *semi = strchr(buf, ';');
    if (semi) {
        *semi = 0;
        for (char *prm = semi + 1; prm && *prm;) {
            while (*prm == ' ' || *prm == '\t')
                prm++;
            if ((prm[0] == 'q' || prm[0] == 'Q') && prm[1] == '=')
                r->q = strtod(prm + 2, NULL);
            prm = strchr(prm, ';');
            if (prm)
                prm++;
        }
    }
    char *s = buf;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1])
        return -1;
    *slash = 0;
    snprintf(r->type, sizeof r->type, "%s", s);
    snprintf(r->sub, sizeof r->sub, "%s", slash + 1);
    if (r->q < 0 || r->q > 1)
        r->q = 0;
    return 0;
}

/* How specifically r matches type t ("a/b"): 3 exact, 2 a/star, 1 star/star, 0 not at all. */
static int match(const struct range *r, const char *t)
{
    const char *slash = strchr(t, '/');
    size_t tl = slash ? (size_t)(slash - t) : strlen(t);
    if (!strcmp(r->type, "*"))
        return !strcmp(r->sub, "*") ? 1 : 0;
    if (strlen(r->type) != tl || strncasecmp(r->type, t, tl) != 0)
        return 0;
    if (!strcmp(r->sub, "*"))
        return 2;
    return slash && !strcasecmp(r->sub, slash + 1) ? 3 : 0;
}

int koop_accept_pick(const char *accept, const char *const *types)
{
    if (!accept || !accept[strspn(accept, " \t")])
        return 0;
    int best = -1;
    double best_q = 0;
    for (int i = 0; types[i]; i++) {
        int spec = 0;
        double q = 0;
        for (const char *p = accept; *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            struct range r;
            if (parse_range(p, len, &r) == 0) {
                int m = match(&r, types[i]);
                if (m > spec || (m == spec && m && r.q > q)) {
                    spec = m;
                    q = r.q;
                }
            }
            if (!end)
                break;
            p = end + 1;
        }
        if (spec && q > best_q) {
            best = i;
            best_q = q;
        }
    }
    return best;
}
