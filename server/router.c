#include "router.h"

#include "spec.h"

#include <stdio.h>
#include <string.h>

/* Matches path against pattern. On success stores params into req.
 * Returns 1 on match, 0 otherwise. */
static int match(const char *pattern, const char *path, struct kreq *req)
{
    const char *p = pattern, *s = path;
    int n = 0;
    size_t used = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || n >= KOOP_MAX_PARAMS || used + slen + 1 > sizeof req->parambuf)
                return 0;
            char *dst = req->parambuf + used;
            memcpy(dst, s, slen);
            dst[slen] = 0;
            req->params[n] = dst;
            used += slen + 1;
            size_t nl =
                plen - 2 < sizeof req->namebuf[0] - 1 ? plen - 2 : sizeof req->namebuf[0] - 1;
            memcpy(req->namebuf[n], p + 1, nl);
            req->namebuf[n][nl] = 0;
            req->param_names[n] = req->namebuf[n];
            n++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return 0;
    req->nparams = n;
    return 1;
}

/* Literal segments of a pattern: a path matching both /v1/services/import and
 * /v1/services/{service_id} belongs to the more literal one. */
static int specificity(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; *p; p++)
        if (*p == '/' && p[1] && p[1] != '{')
            n++;
    return n;
}

enum koop_match koop_route_find(const struct koop_route *table, const char *method,
                                const char *path, struct kreq *req, const struct koop_route **out,
                                char *allow, size_t allowlen)
{
    int best = -1;
    allow[0] = 0;
    for (const struct koop_route *r = table; r->method; r++) {
        struct kreq probe = {0};
        if (match(r->pattern, path, &probe) && specificity(r->pattern) > best)
            best = specificity(r->pattern);
    }
    if (best < 0)
        return MATCH_NOT_FOUND;
    const struct koop_route *found = NULL;
    for (const struct koop_route *r = table; r->method; r++) {
        struct kreq probe = {0};
        if (specificity(r->pattern) != best || !match(r->pattern, path, &probe))
            continue;
        bool same = strcmp(r->method, method) == 0 ||
                    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
        if (same && !found) {
            found = r;
            match(r->pattern, path, req);
        }
        if (!strstr(allow, r->method) && strlen(allow) + strlen(r->method) + 3 < allowlen) {
            if (*allow)
                strcat(allow, ", ");
            strcat(allow, r->method);
        }
    }
    if (!found) {
        if (strlen(allow) + 10 < allowlen)
            strcat(allow, ", OPTIONS");
        return MATCH_METHOD;
    }
    *out = found;
    req->route = found->pattern;
    for (int i = 0; i < req->nparams; i++) {
        if (!fs_is_uuid(req->params[i])) {
            req->param_names[0] = req->param_names[i];
            return MATCH_BAD_PARAM;
        }
    }
    return MATCH_OK;
}
