#include "router.h"

#include "resource.h"
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
    /* ids ({..._id}) are UUIDs, checked here once; other parameters ({teryt}) are the handler's */
    for (int i = 0; i < req->nparams; i++) {
        size_t nl = strlen(req->param_names[i]);
        bool id = nl > 3 && strcmp(req->param_names[i] + nl - 3, "_id") == 0;
        if (id && !fs_is_uuid(req->params[i])) {
            req->param_names[0] = req->param_names[i];
            return MATCH_BAD_PARAM;
        }
    }
    return MATCH_OK;
}

const char *koop_op_action(enum koop_op op)
{
    switch (op) {
    case OP_CREATE:
        return "create";
    case OP_PATCH:
        return "update";
    case OP_DELETE:
        return "delete";
    case OP_TRANSITION:
        return "transition";
    default:
        return "read";
    }
}

/* The suffix of the SQL function a generic operation calls (koop.N_<op>). */
static const char *op_name(enum koop_op op)
{
    static const char *const names[] = {[OP_NONE] = "none",
                                        [OP_LIST] = "list",
                                        [OP_CREATE] = "create",
                                        [OP_GET] = "get",
                                        [OP_PATCH] = "patch",
                                        [OP_DELETE] = "delete",
                                        [OP_TRANSITION] = "transition"};
    return (unsigned)op <= OP_TRANSITION ? names[op] : "?";
}

bool koop_route_audit(const struct koop_route *rt, const char **action, const char **resource)
{
    if (!(rt->flags & RT_PERSONAL))
        return false;
    bool generic = !rt->handler && rt->resource && rt->op != OP_NONE;
    *action = rt->audit_action ? rt->audit_action : generic ? koop_op_action(rt->op) : NULL;
    *resource = rt->audit_resource ? rt->audit_resource : generic ? rt->resource->name : NULL;
    return *action && *resource;
}

void koop_route_scope_audit(const struct koop_route *rt, const char **action, const char **resource,
                            char *family, size_t familylen)
{
    const char *scope = rt->scope ? rt->scope : "";
    snprintf(family, familylen, "%.*s", (int)strcspn(scope, ":"), scope);
    if (koop_route_audit(rt, action, resource))
        return;
    bool generic = !rt->handler && rt->resource && rt->op != OP_NONE;
    *resource = generic ? rt->resource->name : rt->audit_resource ? rt->audit_resource : family;
    if (generic)
        *action = koop_op_action(rt->op);
    else if (rt->audit_action)
        *action = rt->audit_action;
    else
        *action = !strcmp(rt->method, "POST")     ? "create"
                  : !strcmp(rt->method, "PATCH")  ? "update"
                  : !strcmp(rt->method, "DELETE") ? "delete"
                                                  : "read";
}

bool koop_route_heavy(const struct koop_route *rt)
{
    /* by path, so that the route table (api/routes.c) needs no flag for it */
    static const char *const prefixes[] = {"/v1/reports/", NULL};
    static const char *const suffixes[] = {
        "/export", "/export/hsds", "/certificate", "/plan", "/protocol", "/minutes", NULL};
    if (strcmp(rt->method, "GET") != 0)
        return false;
    for (int i = 0; prefixes[i]; i++)
        if (strncmp(rt->pattern, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    size_t n = strlen(rt->pattern);
    for (int i = 0; suffixes[i]; i++) {
        size_t m = strlen(suffixes[i]);
        if (n >= m && strcmp(rt->pattern + n - m, suffixes[i]) == 0)
            return true;
    }
    return false;
}

void koop_route_print(FILE *out, const struct koop_route *table)
{
    fprintf(out, "%-7s %-58s %-34s %-38s %-16s %s\n", "METHOD", "PATH", "FLAGS", "HANDLER", "SCOPE",
            "ROLES");
    for (const struct koop_route *r = table; r->method; r++) {
        char roles[160] = "", flags[120] = "", handler[120];
        if (r->flags & RT_NOAUTH) {
            snprintf(roles, sizeof roles, "public");
        } else {
            for (unsigned bit = 1; bit <= ROLE_REGIONAL_ANALYST; bit <<= 1)
                if (r->roles & bit)
                    snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%s%s",
                             roles[0] ? "," : "", koop_role_name((enum koop_role)bit));
        }
        const char *action, *resource;
        if (koop_route_audit(r, &action, &resource))
            snprintf(flags, sizeof flags, "personal-data=%s:%s", action, resource);
        else if (r->flags & RT_PERSONAL)
            snprintf(flags, sizeof flags, "personal-data=?");
        if (r->flags & RT_AUTH_CHANGE)
            snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%sauth-change",
                     flags[0] ? "," : "");
        if (r->flags & RT_RAWBODY)
            snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%sraw-body",
                     flags[0] ? "," : "");
        if (r->flags & RT_REPLICA)
            snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%sreplica",
                     flags[0] ? "," : "");
        if (r->handler)
            snprintf(handler, sizeof handler, "%s", r->handler_name ? r->handler_name : "?");
        else if (r->resource && r->op == OP_LIST && r->resource->list)
            /* a declared list: one koop.page call over the resource's rows */
            snprintf(handler, sizeof handler, "list:koop.page[%s]", r->resource->name);
        else if (r->resource)
            snprintf(handler, sizeof handler, "%s:koop.%s_%s", op_name(r->op), r->resource->name,
                     op_name(r->op));
        else
            snprintf(handler, sizeof handler, "?");
        fprintf(out, "%-7s %-58s %-34s %-38s %-16s %s\n", r->method, r->pattern,
                flags[0] ? flags : "-", handler, r->scope ? r->scope : "-", roles[0] ? roles : "-");
    }
}
