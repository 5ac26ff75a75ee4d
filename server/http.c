#include "http.h"

#include "auth.h"
#include "db.h"
#include "config.h"
#include "log.h"
#include "messages.h"
#include "metrics.h"
#include "problem.h"
#include "replica.h"
#include "resource.h"
#include "scope.h"
#include "spec.h"
#include "trust.h"
#include "util.h"
#include "wait.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Per-connection memory of libmicrohttpd: room for KOOP_MAX_HEADER_BYTES of headers (and more,
 * so that the 431 is ours) and the request target. libmicrohttpd zeroes the whole pool between
 * the requests of a kept-alive connection, so every kilobyte here is paid on every request:
 * 256 kB cost some 15 us of CPU per GET. */
#define CONN_MEMORY (96 * 1024)

/* ---- response helpers used by handlers ---- */

void koop_res_header(struct kres *res, const char *name, const char *fmt, ...)
{
    int i;
    for (i = 0; i < res->nheaders; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            break;
    if (i == KOOP_MAX_HEADERS)
        return;
    snprintf(res->headers[i].name, sizeof res->headers[i].name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->headers[i].value, sizeof res->headers[i].value, fmt, ap);
    va_end(ap);
    if (i == res->nheaders)
        res->nheaders++;
}

int koop_res_json(struct kres *res, int status, json_t *body)
{
    json_decref(res->json);
    res->json = body;
    res->status = status;
    return 0;
}

const char *koop_query_get(const struct kreq *req, const char *key)
{
    for (int i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].key, key) == 0)
            return req->query[i].value ? req->query[i].value : "";
    return NULL;
}

const char *koop_param(const struct kreq *req, const char *name)
{
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->params[i];
    return NULL;
}

const char *koop_header(const struct kreq *req, const char *name)
{
    for (int i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].key, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* ---- the pipeline ---- */

static bool media_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    if (!ct || strncasecmp(ct, want, n) != 0)
        return false;
    return ct[n] == 0 || ct[n] == ';' || ct[n] == ' ';
}

static bool has_body_method(const char *m)
{
    return !strcmp(m, "POST") || !strcmp(m, "PATCH") || !strcmp(m, "PUT");
}

/* Decodes the JSON body into req->json. Returns 0 or -1 with res set. */
static int parse_body(const struct koop_route *rt, struct kreq *req, struct kres *res)
{
    if (!has_body_method(req->method) || (rt->flags & RT_RAWBODY))
        return 0;
    if (!req->body || req->body_len == 0)
        return 0; /* handlers that need a body report it as required */
    if (!media_is(req->content_type, "application/json") &&
        !(strcmp(req->method, "PATCH") == 0 &&
          media_is(req->content_type, "application/merge-patch+json")))
        return koop_fail(res, P_UNSUPPORTED_MEDIA, "the body must be application/json%s",
                         strcmp(req->method, "PATCH") == 0 ? " or application/merge-patch+json"
                                                           : ""),
               -1;
    if (memchr(req->body, 0, req->body_len))
        return koop_fail(res, P_MALFORMED, "the body contains a NUL byte"), -1;
    if (!koop_json_depth_ok(req->body, req->body_len, koop_cfg.max_depth))
        return koop_fail(res, P_MALFORMED, "JSON nesting deeper than %d levels",
                         koop_cfg.max_depth),
               -1;
    json_error_t err;
    req->json =
        json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!req->json) {
        /* never echo err.text: it quotes the input, which may be personal data */
        const char *why = json_error_code(&err) == json_error_invalid_utf8    ? "invalid UTF-8"
                          : json_error_code(&err) == json_error_duplicate_key ? "a duplicate key"
                                                                              : "malformed JSON";
        return koop_fail(res, P_MALFORMED, "%s at line %d, column %d", why, err.line, err.column),
               -1;
    }
    if (!json_is_object(req->json))
        return koop_fail_field(res, "body", "body", "type", "the body must be a JSON object"), -1;
    return 0;
}

struct audit_row {
    const char *stmt; /* a registered statement of four parameters */
    const char *const *vals;
};

static int audit_row_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    const struct audit_row *a = p;
    return db_exec(tx, res, DB_LAST, a->stmt, 4, a->vals) ? 0 : -1;
}

/* Writes one audit row of a refusal in a transaction of its own (the request's,
 * if any, was rolled back); a failure is logged, never the client's answer. */
static void audit_refusal(struct kreq *req, const char *stmt, const char *const *vals,
                          const char *what)
{
    struct audit_row a = {stmt, vals};
    struct kres tmp = {0};
    if (db_run(req, &tmp, audit_row_fn, &a) != 0)
        koop_log_error("could not record %s", what);
    json_decref(tmp.json);
    free(tmp.raw);
}

/* A denied access (res holds a 403 or 404) to a route flagged RT_PERSONAL is
 * recorded here, for every such route, under the action and resource the
 * route table names (koop_route_audit), with the path's last parameter as
 * the id. In a transaction of its own: the request's was rolled back. */
static void audit_denied(const struct koop_route *rt, struct kreq *req, const struct kres *res)
{
    const char *action, *resource;
    if ((res->status != 403 && res->status != 404) || !koop_route_audit(rt, &action, &resource))
        return;
    char status[8];
    snprintf(status, sizeof status, "%d", res->status);
    const char *v[] = {action, resource, req->nparams ? req->params[req->nparams - 1] : NULL,
                       status};
    audit_refusal(req, "koop_audit_denied", v, "a denied access to personal data");
}

/* A scoped token used outside its scopes: 403 insufficient_scope with the
 * challenge of RFC 6750 §3.1 naming the scope the route needs, recorded in
 * the audit log for every route (with that scope), in a transaction of its
 * own. */
static void insufficient_scope(const struct koop_route *rt, struct kreq *req, struct kres *res)
{
    koop_fail(res, P_INSUFFICIENT_SCOPE, "this route needs the scope %s, which the token lacks",
              rt->scope ? rt->scope : "?");
    koop_res_header(res, "WWW-Authenticate",
                    "Bearer realm=\"kooperacje\", error=\"insufficient_scope\", scope=\"%s\"",
                    rt->scope ? rt->scope : "");
    const char *action, *resource;
    char family[32];
    koop_route_scope_audit(rt, &action, &resource, family, sizeof family);
    /* the id: the path's last {..._id} (the router checked it is a UUID) */
    const char *id = NULL;
    for (int i = req->nparams - 1; i >= 0 && !id; i--) {
        size_t nl = strlen(req->param_names[i]);
        if (nl > 3 && !strcmp(req->param_names[i] + nl - 3, "_id"))
            id = req->params[i];
    }
    const char *v[] = {action, resource, id, rt->scope};
    audit_refusal(req, "koop_audit_scope_denied", v, "a refusal for want of a scope");
}

void koop_http_dispatch(const struct koop_route *routes, struct kreq *req, struct kres *res)
{
    const struct koop_route *rt = NULL;
    char allow[128];
    enum koop_match m =
        koop_route_find(routes, req->method, req->path, req, &rt, allow, sizeof allow);
    if (m == MATCH_NOT_FOUND) {
        koop_fail(res, P_NOT_FOUND, "no resource at this path");
        return;
    }
    if (m == MATCH_METHOD) {
        if (strcmp(req->method, "OPTIONS") == 0) {
            res->status = 204;
        } else {
            koop_fail(res, P_METHOD_NOT_ALLOWED, "%s is not allowed here", req->method);
        }
        koop_res_header(res, "Allow", "%s", allow);
        return;
    }
    if (m == MATCH_BAD_PARAM) {
        koop_fail_field(res, "path", req->param_names[0], "format", "must be a UUID");
        return;
    }
    if (req->query_overflow) {
        koop_fail_field(res, "query", "query", "max", "too many query parameters");
        return;
    }
    if (req->query_bad) {
        koop_fail_field(res, "query", req->query_bad, "format",
                        "must not contain NUL or other control characters");
        return;
    }
    if (!(rt->flags & RT_NOAUTH)) {
        if (koop_authenticate(req, koop_header(req, "Authorization"), res) != 0)
            return;
        if (!(rt->roles & req->auth.role)) {
            koop_fail(res, P_FORBIDDEN, "the role %s may not use this route",
                      koop_role_name(req->auth.role));
            audit_denied(rt, req, res);
            return;
        }
        /* scopes narrow what the role allows (never widen it: the role came first) */
        if (!koop_scopes_allow(req->auth.scopes, rt->scope)) {
            insufficient_scope(rt, req, res);
            return;
        }
        long retry = 1;
        /* a long-poll run again after waiting (wait_deadline_us set) is not a new request */
        if (!req->wait_deadline_us &&
            !koop_rate_take(req->auth.token_id, koop_cfg.rate_limit, koop_now_us(), &retry)) {
            koop_fail(res, P_TOO_MANY_REQUESTS, "more than %d requests a minute with this token",
                      koop_cfg.rate_limit);
            koop_res_header(res, "Retry-After", "%ld", retry);
            return;
        }
    }
    if (parse_body(rt, req, res) != 0)
        return;
    /* a read replica, or the primary, for this request; its Koop-Consistency */
    if (replica_begin(rt, req, res) != 0)
        return;
    bool heavy = koop_route_heavy(rt);
    /* heavy routes share a small pool, so they never hold every worker: a few
     * may queue for a second while at least one worker stays free of them */
    int queue = koop_cfg.threads - koop_cfg.heavy_slots - 1;
    if (heavy && !koop_heavy_enter(koop_cfg.heavy_slots, queue > 0 ? queue : 0, 1000)) {
        koop_fail(res, P_UNAVAILABLE, "%d reports, exports or documents are being made; retry",
                  koop_cfg.heavy_slots);
        koop_res_header(res, "Retry-After", "2");
        replica_end(res);
        return;
    }
    if (rt->handler)
        rt->handler(req, res);
    else
        koop_res_op(rt->resource, rt->op, req, res);
    replica_end(res); /* before audit_denied: what it writes goes to the primary */
    if (heavy)
        koop_heavy_leave();
    audit_denied(rt, req, res);
    /* this daemon forgets at once; the others on NOTIFY koop_auth */
    if ((rt->flags & RT_AUTH_CHANGE) && res->status >= 200 && res->status < 300)
        koop_auth_flush();
    if (res->status == 0) {
        koop_log_error("handler for %s %s set no status", req->method, rt->pattern);
        koop_fail(res, P_INTERNAL, "an internal error occurred; it has been logged");
    }
}

/* The client's address from the peer and every X-Forwarded-For and Forwarded
 * line of the request (server/trust.h). */
void koop_http_client(struct kreq *req)
{
    /* the last 16 lines of each: proxies append theirs after the client's */
    const char *xff[16], *fwd[16];
    int nx = 0, nf = 0;
    for (int i = 0; i < req->nheaders; i++) {
        bool x = strcasecmp(req->headers[i].key, "X-Forwarded-For") == 0;
        if (!x && strcasecmp(req->headers[i].key, "Forwarded") != 0)
            continue;
        const char **v = x ? xff : fwd;
        int *n = x ? &nx : &nf;
        if (*n == 16) {
            memmove(v, v + 1, 15 * sizeof *v);
            (*n)--;
        }
        v[(*n)++] = req->headers[i].value;
    }
    koop_client_address(req->peer[0] ? req->peer : "unknown", xff, nx, fwd, nf, req->ip,
                        sizeof req->ip);
}

void koop_http_handle(const struct koop_route *routes, struct kreq *req, struct kres *res)
{
    if (!req->ip[0])
        koop_http_client(req);
    if (!req->request_id[0]) {
        const char *rid = koop_header(req, "X-Request-Id");
        if (rid && koop_request_id_ok(rid))
            snprintf(req->request_id, sizeof req->request_id, "%s", rid);
        else
            koop_uuid7(req->request_id);
    }
    if (!req->content_type)
        req->content_type = koop_header(req, "Content-Type");
    if (!req->if_match)
        req->if_match = koop_header(req, "If-Match");
    if (!req->idempotency_key)
        req->idempotency_key = koop_header(req, "Idempotency-Key");
    if (!req->accept)
        req->accept = koop_header(req, "Accept");
    if (req->uri_len > KOOP_MAX_URI) {
        koop_fail(res, P_URI_TOO_LONG, "the request target exceeds %d bytes", KOOP_MAX_URI);
        return;
    }
    if (req->headers_overflow || req->header_bytes > KOOP_MAX_HEADER_BYTES) {
        koop_fail(res, P_HEADERS_TOO_LARGE, "at most %d header lines of %d bytes in all",
                  KOOP_MAX_REQ_HEADERS, KOOP_MAX_HEADER_BYTES);
        return;
    }
    if (req->version && strcmp(req->version, "HTTP/1.1") == 0 && !koop_header(req, "Host")) {
        koop_fail(res, P_MALFORMED, "an HTTP/1.1 request needs a Host header");
        return;
    }
    if (req->body_too_large) {
        koop_fail(res, P_PAYLOAD_TOO_LARGE, "the body exceeds %zu bytes", koop_cfg.max_body);
        koop_res_header(res, "Connection", "close");
        return;
    }
    koop_http_dispatch(routes, req, res);
}

/* ---- libmicrohttpd glue ---- */

/* Per request: allocated by the URI log callback when the request line has
 * arrived, freed by on_completed. */
struct conn_ctx {
    char *body;
    size_t len, cap;
    bool too_large;
    size_t discarded; /* bytes of a too-large chunked body dropped so far */
    bool started;     /* the access handler has seen the headers */
    bool answered;    /* a response was queued before the body was read */
    uint64_t t0;
    uint64_t wait_deadline; /* long-poll: kept across suspensions */
    size_t uri_len;
    int client_slot; /* koop_client_enter's, or -1 */
    char ip[64];
};

/* Per connection: when its current request's headers must have arrived.
 * A sweeper shuts down connections past it (MHD_OPTION_CONNECTION_TIMEOUT
 * only counts silence, so a client trickling a header line every few
 * seconds would otherwise hold a connection for ever). */
struct conn_track {
    MHD_socket fd;
    uint64_t deadline_us;
    bool busy; /* a request is being handled (or waits, suspended) */
    bool cut;
    struct conn_track *prev, *next;
};

static const struct koop_route *g_routes;
static atomic_int g_inflight;
static struct MHD_Daemon *g_daemon, *g_metrics_daemon;
static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_track *tracks;
static atomic_bool sweeping;
static pthread_t sweeper;
static atomic_long g_header_timeouts;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct kreq *req = cls;
    if (req->nquery >= KOOP_MAX_QUERY) {
        req->query_overflow = true;
        return MHD_NO;
    }
    /* MHD gives lengths: a %00 would otherwise cut the value short unseen */
    for (size_t i = 0; value && i < value_size && !req->query_bad; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            req->query_bad = key;
    for (size_t i = 0; i < key_size && !req->query_bad; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
            req->query_bad = "query";
    req->query[req->nquery].key = key;
    req->query[req->nquery].value = value;
    req->nquery++;
    return MHD_YES;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    struct kreq *req = cls;
    req->header_bytes += key_size + value_size + 4;
    if (req->nheaders >= KOOP_MAX_REQ_HEADERS) {
        req->headers_overflow = true;
        return MHD_YES;
    }
    req->headers[req->nheaders].key = key;
    req->headers[req->nheaders].value = value ? value : "";
    req->nheaders++;
    return MHD_YES;
}

static bool list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if ((len == 1 && *p == '*') || (len == n && strncmp(p, item, n) == 0))
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static void peer_address(struct MHD_Connection *c, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, outlen, "unknown");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)outlen);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                      (socklen_t)outlen);
    }
}

/* Fills req from the connection: everything koop_http_handle needs. */
static void build_req(struct MHD_Connection *c, const char *url, const char *method,
                      const char *version, const struct conn_ctx *ctx, struct kreq *req)
{
    req->method = method;
    req->version = version;
    req->path = url;
    req->uri_len = ctx->uri_len;
    peer_address(c, req->peer, sizeof req->peer);
    snprintf(req->ip, sizeof req->ip, "%s", ctx->ip);
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_header, req);
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect_arg, req);
    req->body = ctx->body;
    req->body_len = ctx->len;
    req->body_too_large = ctx->too_large;
}

static void add_cors(const struct kreq *req, struct MHD_Response *r, bool preflight)
{
    const char *origin = koop_header(req, "Origin");
    if (!origin || !koop_cfg.cors_origins[0] || !list_has(koop_cfg.cors_origins, origin))
        return;
    if (MHD_get_response_header(r, "Access-Control-Allow-Origin"))
        return; /* the route answers every origin itself (the public basket: "*") */
    MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(r, "Vary", "Origin");
    MHD_add_response_header(r, "Access-Control-Expose-Headers",
                            "ETag, Location, Link, X-Request-Id, Retry-After");
    if (preflight) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods",
                                "GET, POST, PATCH, DELETE, OPTIONS");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, If-Match, Idempotency-Key, "
                                "X-Request-Id");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
}

static enum MHD_Result send_res(struct MHD_Connection *c, struct kreq *req, struct kres *res)
{
    char *buf = NULL;
    size_t len = 0;
    const char *ct = res->content_type;
    bool preflight = req->method && strcmp(req->method, "OPTIONS") == 0 &&
                     koop_header(req, "Access-Control-Request-Method") != NULL;
    bool problem = res->json && res->status >= 400 && json_object_get(res->json, "type");
    enum koop_lang lang = KOOP_LANG_EN;
    if (problem) {
        json_object_set_new(res->json, "request_id", json_string(req->request_id));
        /* handlers write English; the client's language is applied here, once */
        lang = koop_lang_pick(koop_header(req, "Accept-Language"));
        koop_problem_localize(res->json, lang);
    }
    if (res->json) {
        buf = json_dumps(res->json, JSON_COMPACT);
        if (!buf) {
            koop_log_error("cannot serialise a response");
            json_decref(res->json);
            res->json = koop_problem_json(P_INTERNAL, "the response could not be serialised");
            res->status = 500;
            buf = json_dumps(res->json, JSON_COMPACT);
        }
        len = buf ? strlen(buf) : 0;
        if (!ct)
            ct = res->status >= 400 ? "application/problem+json" : "application/json";
    } else if (res->raw) {
        buf = res->raw;
        len = res->raw_len;
        res->raw = NULL;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, buf ? buf : (char *)"", buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    if (ct)
        MHD_add_response_header(r, "Content-Type", ct);
    MHD_add_response_header(r, "X-Request-Id", req->request_id);
    if (req->path && strncmp(req->path, "/v1/", 4) == 0)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (problem) {
        MHD_add_response_header(r, "Content-Language", koop_lang_tag(lang));
        MHD_add_response_header(r, "Vary", "Accept-Language");
    }
    for (int i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    add_cors(req, r, preflight);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Sends res, logs and counts it, and frees what res and req hold. */
static enum MHD_Result finish(struct MHD_Connection *c, struct conn_ctx *ctx, struct kreq *req,
                              struct kres *res)
{
    if (!req->request_id[0])
        koop_uuid7(req->request_id);
    enum MHD_Result ok = send_res(c, req, res);
    uint64_t us = koop_now_us() - ctx->t0;
    koop_log_access(req, res->status, us);
    koop_metrics_observe(req->method, req->route, res->status, us);
    json_decref(res->json);
    free(res->raw);
    json_decref(req->json);
    return ok;
}

static struct conn_track *track_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void track_busy(struct MHD_Connection *c, bool busy)
{
    struct conn_track *t = track_of(c);
    if (!t)
        return;
    pthread_mutex_lock(&track_mu);
    t->busy = busy;
    /* the next request on a kept-alive connection: the idle time MHD allows,
     * then the header deadline */
    if (!busy)
        t->deadline_us = koop_now_us() +
                         (uint64_t)(koop_cfg.conn_timeout + koop_cfg.header_timeout_s) * 1000000u;
    pthread_mutex_unlock(&track_mu);
}

/* The first call with complete headers: limits that need no body. Returns
 * true when the request goes on (read the body, then handle it). */
static bool on_headers(struct MHD_Connection *c, const char *url, const char *method,
                       const char *version, struct conn_ctx *ctx, enum MHD_Result *ok)
{
    ctx->started = true;
    track_busy(c, true);
    struct kreq req = {0};
    build_req(c, url, method, version, ctx, &req);
    koop_http_client(&req);
    snprintf(ctx->ip, sizeof ctx->ip, "%s", req.ip);
    struct kres res = {0};
    const char *cl = koop_header(&req, "Content-Length");
    ctx->client_slot = koop_client_enter(ctx->ip, koop_cfg.per_ip_limit);
    if (ctx->client_slot < 0) {
        koop_fail(&res, P_TOO_MANY_REQUESTS, "more than %d requests at once from %s",
                  koop_cfg.per_ip_limit, ctx->ip);
        koop_res_header(&res, "Retry-After", "1");
    } else if (cl && strtoull(cl, NULL, 10) > koop_cfg.max_body) {
        req.body_too_large = ctx->too_large = true; /* answered now, without reading the body */
        koop_http_handle(g_routes, &req, &res);
    } else {
        return true;
    }
    ctx->answered = true;
    *ok = finish(c, ctx, &req, &res);
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    struct conn_ctx *ctx = *con_cls;
    if (!ctx)
        return MHD_NO; /* the URI log callback could not allocate it */
    enum MHD_Result ok = MHD_YES;
    if (ctx->answered) { /* refused before the body: discard whatever still comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!ctx->started)
        return on_headers(c, url, method, version, ctx, &ok) ? MHD_YES : ok;
    if (*upload_size && ctx->too_large) {
        /* a chunked body over the limit. MHD 0.9.75 takes a response only
         * before the body or after its end (MHD_queue_response fails in
         * between), so the 413 waits for the end: up to 3 x max_body more
         * bytes are read and dropped, beyond that the connection is closed
         * without an answer rather than read on. */
        ctx->discarded += *upload_size;
        *upload_size = 0;
        return ctx->discarded > 3 * koop_cfg.max_body ? MHD_NO : MHD_YES;
    }
    if (*upload_size) {
        if (ctx->len + *upload_size > koop_cfg.max_body) {
            free(ctx->body);
            ctx->body = NULL;
            ctx->len = ctx->cap = 0;
            ctx->too_large = true;
            ctx->discarded = *upload_size;
            *upload_size = 0;
            return MHD_YES;
        }
        if (ctx->len + *upload_size + 1 > ctx->cap) {
            size_t cap = (ctx->len + *upload_size + 1) * 2;
            if (cap > koop_cfg.max_body + 1)
                cap = koop_cfg.max_body + 1;
            char *nb = realloc(ctx->body, cap);
            if (!nb)
                return MHD_NO;
            ctx->body = nb;
            ctx->cap = cap;
        }
        memcpy(ctx->body + ctx->len, upload_data, *upload_size);
        ctx->len += *upload_size;
        ctx->body[ctx->len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }

    struct kreq req = {0};
    struct kres res = {0};
    build_req(c, url, method, version, ctx, &req);
    req.wait_deadline_us = ctx->wait_deadline;
    for (int attempt = 0;; attempt++) {
        koop_http_handle(g_routes, &req, &res);
        if (!res.wait)
            break;
        /* an empty long-poll answer: park the connection, free the thread */
        ctx->wait_deadline = req.wait_deadline_us;
        uint64_t until = res.wait_recheck_us && res.wait_recheck_us < req.wait_deadline_us
                             ? res.wait_recheck_us
                             : req.wait_deadline_us;
        int w = koop_wait_suspend(c, req.auth.tenant_id, req.auth.token_id,
                                  koop_cfg.longpoll_per_token, until, res.wait_generation);
        if (w > 0) {
            json_decref(res.json);
            free(res.raw);
            json_decref(req.json);
            return MHD_YES;
        }
        json_decref(res.json);
        free(res.raw);
        res = (struct kres){0};
        if (w < 0) { /* this token has as many long-polls waiting as it may */
            koop_fail(&res, P_TOO_MANY_REQUESTS, "this token already has %d long-polls waiting",
                      koop_cfg.longpoll_per_token);
            koop_res_header(&res, "Retry-After", "5");
            break;
        }
        /* an event arrived meanwhile (run again) or we are stopping (answer now) */
        json_decref(req.json);
        req.json = NULL;
        req.nparams = 0;
        req.auth = (struct koop_auth){0};
        if (attempt >= 10 || koop_wait_stopping())
            req.wait_deadline_us = 1; /* in the past: the handler answers as it is */
    }
    return finish(c, ctx, &req, &res);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    /* a request line: its headers are due KOOP_HEADER_TIMEOUT from now, or
     * earlier when the connection's own deadline comes first */
    struct conn_track *t = track_of(c);
    if (t) {
        uint64_t due = koop_now_us() + (uint64_t)koop_cfg.header_timeout_s * 1000000u;
        pthread_mutex_lock(&track_mu);
        if (due < t->deadline_us)
            t->deadline_us = due;
        pthread_mutex_unlock(&track_mu);
    }
    struct conn_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->t0 = koop_now_us();
    ctx->uri_len = strlen(uri);
    ctx->client_slot = -1;
    atomic_fetch_add(&g_inflight, 1);
    return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    struct conn_ctx *ctx = *con_cls;
    if (ctx) {
        koop_client_leave(ctx->client_slot);
        free(ctx->body);
        free(ctx);
        *con_cls = NULL;
        atomic_fetch_sub(&g_inflight, 1);
    }
    track_busy(c, false);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_track *t = calloc(1, sizeof *t);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!t || !ci) {
            free(t);
            return;
        }
        t->fd = ci->connect_fd;
        t->deadline_us = koop_now_us() + (uint64_t)koop_cfg.header_timeout_s * 1000000u;
        pthread_mutex_lock(&track_mu);
        t->next = tracks;
        if (tracks)
            tracks->prev = t;
        tracks = t;
        pthread_mutex_unlock(&track_mu);
        *socket_context = t;
    } else if (*socket_context) {
        /* MHD closes the socket after this notification: the sweeper, which
         * holds track_mu while it shuts sockets down, never sees a reused fd */
        struct conn_track *t = *socket_context;
        pthread_mutex_lock(&track_mu);
        if (t->prev)
            t->prev->next = t->next;
        else
            tracks = t->next;
        if (t->next)
            t->next->prev = t->prev;
        pthread_mutex_unlock(&track_mu);
        free(t);
        *socket_context = NULL;
    }
}

static void *sweep_main(void *arg)
{
    (void)arg;
    while (atomic_load(&sweeping)) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        uint64_t now = koop_now_us();
        long cut = 0;
        pthread_mutex_lock(&track_mu);
        for (struct conn_track *t = tracks; t; t = t->next)
            if (!t->busy && !t->cut && t->deadline_us < now) {
                shutdown(t->fd, SHUT_RDWR); /* MHD sees the end and closes it */
                t->cut = true;
                cut++;
            }
        pthread_mutex_unlock(&track_mu);
        if (cut) {
            atomic_fetch_add(&g_header_timeouts, cut);
            koop_log_warn("closed %ld connections whose request headers took over %d s", cut,
                          koop_cfg.header_timeout_s);
        }
    }
    return NULL;
}

long koop_http_header_timeouts(void)
{
    return atomic_load(&g_header_timeouts);
}

/* The /metrics-only listener (KOOP_METRICS_LISTEN): GET /metrics, nothing else. */
static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    *upload_size = 0;
    struct kreq req = {.method = method, .path = url};
    struct kres res = {0};
    koop_uuid7(req.request_id);
    if (strcmp(url, "/metrics") != 0) {
        koop_fail(&res, P_NOT_FOUND, "this address serves only /metrics");
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        koop_fail(&res, P_METHOD_NOT_ALLOWED, "%s is not allowed here", method);
        koop_res_header(&res, "Allow", "GET");
    } else {
        char *txt = koop_metrics_render();
        if (!txt) {
            koop_fail(&res, P_INTERNAL, "out of memory");
        } else {
            res.status = 200;
            res.raw = txt;
            res.raw_len = strlen(txt);
            res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        }
    }
    enum MHD_Result ok = send_res(c, &req, &res);
    json_decref(res.json);
    free(res.raw);
    return ok;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    /* a client that went away mid-request (or was closed at its header
     * deadline) is no fault of ours */
    if (strstr(msg, "detected connection closure") || strstr(msg, "closed by remote side"))
        koop_log_info("http: %s", msg);
    else
        koop_log_warn("http: %s", msg);
}

/* Parses HOST:PORT into a socket address; returns 0 or -1. */
static int sock_addr(const char *host, int port, struct sockaddr_storage *ss, unsigned *flags)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *sa4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &sa4->sin_addr) == 1) {
        sa4->sin_family = AF_INET;
        sa4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sa6->sin6_addr) == 1) {
        sa6->sin6_family = AF_INET6;
        sa6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

static int start_metrics(void)
{
    if (!koop_cfg.metrics_listen[0])
        return 0;
    struct koop_config tmp = {0};
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (koop_config_listen(&tmp, koop_cfg.metrics_listen) != 0 ||
        sock_addr(tmp.listen_host, tmp.listen_port, &ss, &flags) != 0) {
        fprintf(stderr, "kooperd: KOOP_METRICS_LISTEN must be IP:PORT, got '%s'\n",
                koop_cfg.metrics_listen);
        return -1;
    }
    g_metrics_daemon = MHD_start_daemon(
        flags, (uint16_t)tmp.listen_port, NULL, NULL, on_metrics, NULL, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_END);
    if (!g_metrics_daemon) {
        fprintf(stderr, "kooperd: cannot listen on %s for /metrics\n", koop_cfg.metrics_listen);
        return -1;
    }
    const union MHD_DaemonInfo *b =
        MHD_get_daemon_info(g_metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
    koop_log_info("metrics on %s port %d", tmp.listen_host,
                  b && b->port ? (int)b->port : tmp.listen_port);
    return 0;
}

int koop_http_serve(const struct koop_route *routes)
{
    g_routes = routes;
    struct sockaddr_storage ss;
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (sock_addr(koop_cfg.listen_host, koop_cfg.listen_port, &ss, &flags) != 0) {
        fprintf(stderr, "kooperd: listen host must be an IP address, got '%s'\n",
                koop_cfg.listen_host);
        return 2;
    }
    char err[256];
    if (koop_proxies_set(koop_cfg.trusted_proxies, err, sizeof err) != 0 ||
        koop_proxy_header_set(koop_cfg.proxy_header, err, sizeof err) != 0) {
        fprintf(stderr, "kooperd: %s\n", err);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    /* The memory limit is well above KOOP_MAX_URI and KOOP_MAX_HEADER_BYTES so
     * that over-long requests reach koop_http_handle and get a problem+json
     * 414/431; only beyond it does MHD answer with its own HTML page. */
    g_daemon = MHD_start_daemon(
        flags, (uint16_t)koop_cfg.listen_port, NULL, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)koop_cfg.threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)koop_cfg.conn_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)koop_cfg.per_ip_limit,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)koop_cfg.conn_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        1u, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    if (!g_daemon) {
        fprintf(stderr, "kooperd: cannot listen on %s:%d\n", koop_cfg.listen_host,
                koop_cfg.listen_port);
        return 2;
    }
    if (start_metrics() != 0) {
        MHD_stop_daemon(g_daemon);
        return 2;
    }
    if (koop_wait_start() != 0) {
        MHD_stop_daemon(g_daemon);
        fprintf(stderr, "kooperd: cannot start the event listener\n");
        return 2;
    }
    atomic_store(&sweeping, true);
    if (pthread_create(&sweeper, NULL, sweep_main, NULL) != 0) {
        atomic_store(&sweeping, false);
        koop_log_error("cannot start the header-deadline sweeper");
    }
    /* the port actually bound: with port 0 the kernel chose it, and scripts
     * read it from this line */
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    int port = bound && bound->port ? (int)bound->port : koop_cfg.listen_port;
    koop_log_listening(koop_cfg.listen_host, port, koop_cfg.threads);
    int sig = 0;
    sigwait(&set, &sig);
    koop_log_info("signal %d: draining", sig);
    MHD_socket lsock = MHD_quiesce_daemon(g_daemon);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    koop_wait_stop(); /* waiting long-polls answer now */
    uint64_t deadline = koop_now_us() + (uint64_t)koop_cfg.drain_timeout_s * 1000000u;
    while (atomic_load(&g_inflight) > 0 && koop_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&g_inflight);
    if (atomic_exchange(&sweeping, false))
        pthread_join(sweeper, NULL);
    MHD_stop_daemon(g_daemon);
    if (g_metrics_daemon)
        MHD_stop_daemon(g_metrics_daemon);
    koop_log_info("stopped (%d requests cut off)", left);
    return 0;
}
