/* Routes as data: {method, pattern, handler, roles}. Patterns are literal
 * segments and {name} parameters; 404 and 405 are decided here, once. */
#ifndef KOOP_ROUTER_H
#define KOOP_ROUTER_H

#include "req.h"

#include <stdbool.h>
#include <stdio.h>

enum {
    RT_NOAUTH = 1 << 0,      /* no token needed (service endpoints) */
    RT_RAWBODY = 1 << 1,     /* body is not JSON (handler checks its type) */
    RT_PERSONAL = 1 << 3,    /* personal data: every denied access (403/404) here is recorded in
                                the audit log, by the dispatcher (server/http.c) */
    RT_AUTH_CHANGE = 1 << 4, /* a successful write may end tokens' validity: flush the cache */
    RT_REPLICA = 1 << 5,     /* a read that writes nothing (no audit row) and tolerates replication
                                lag: served by a read replica when DATABASE_READ_URL names one
                                (server/replica.h) */
};

struct koop_resource;
enum koop_op { OP_NONE = 0, OP_LIST, OP_CREATE, OP_GET, OP_PATCH, OP_DELETE, OP_TRANSITION };

struct koop_route {
    const char *method;   /* NULL ends the table */
    const char *pattern;  /* e.g. "/v1/partners/{partner_id}" */
    koop_handler handler; /* or NULL: the generic op on resource (server/resource.h) */
    unsigned roles;       /* allowed roles (bitmask); ignored with RT_NOAUTH */
    unsigned flags;
    const struct koop_resource *resource;
    enum koop_op op;
    const char *handler_name; /* the handler's C name, for `kooperd routes` */
    /* RT_PERSONAL routes with a handler: the action and resource name a denied
     * access is recorded under (generic ops: the op's action, resource->name).
     * The recorded id is the path's last parameter. */
    const char *audit_action, *audit_resource;
    /* the scope a scoped token needs here (server/scope.h: "services:read",
     * "authenticated" for any token); NULL only with RT_NOAUTH */
    const char *scope;
};

/* The audit action of an operation ("read", "create", "update", "delete",
 * "transition"). */
const char *koop_op_action(enum koop_op op);

/* The action and resource a denied access to rt is recorded under. Returns
 * false when rt is not personal data or names neither (a table error). */
bool koop_route_audit(const struct koop_route *rt, const char **action, const char **resource);

/* The action and resource a denial for want of a scope on rt is recorded
 * under (every route, personal data or not): koop_route_audit's when it
 * names them, a generic operation's action and resource, else the method's
 * action (GET read, POST create, PATCH update, DELETE delete) unless the route
 * names one, and the family of its scope ("services" for services:write). */
void koop_route_scope_audit(const struct koop_route *rt, const char **action, const char **resource,
                            char *family, size_t familylen);

/* Whether rt is heavy (a report, an export or a printable document): such
 * routes run on a small pool of their own (KOOP_HEAVY_SLOTS). */
bool koop_route_heavy(const struct koop_route *rt);

/* Prints the table under a header line, one route a line: method, path
 * template, flags ("personal-data=ACTION:RESOURCE", "auth-change",
 * "raw-body", comma-separated; "-" for none), what answers (the handler's C
 * name, or "OP:koop.RESOURCE_OP" for a generic operation), the scope a
 * scoped token needs ("-" for RT_NOAUTH) and the roles allowed
 * (comma-separated; "public" for RT_NOAUTH). Columns are separated by
 * spaces and never contain one. */
void koop_route_print(FILE *out, const struct koop_route *table);

enum koop_match { MATCH_OK = 0, MATCH_NOT_FOUND = 404, MATCH_METHOD = 405, MATCH_BAD_PARAM = 422 };

/* Finds the route for method+path. On MATCH_OK *out is set and req->params,
 * param_names, nparams, route are filled (params point into req->parambuf).
 * On MATCH_METHOD, allow receives the allowed methods ("GET, POST").
 * On MATCH_BAD_PARAM, req->param_names[0] names the bad parameter (every
 * {param} of our API is a UUID). */
enum koop_match koop_route_find(const struct koop_route *table, const char *method,
                                const char *path, struct kreq *req, const struct koop_route **out,
                                char *allow, size_t allowlen);

#endif
