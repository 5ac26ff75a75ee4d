#include "http.h"

#include "auth.h"
#include "db.h"
#include "config.h"
#include "log.h"
#include "messages.h"
#include "metrics.h"
#include "problem.h"
#include "resource.h"
#include "spec.h"
#include "util.h"
#include "wait.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
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
    if (!req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
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

static int denied_fn(struct db_tx *tx, struct kreq *req, struct kres *res, void *p)
{
    (void)req;
    const char *const *v = p;
    return db_exec(tx, res, DB_LAST, "koop_audit_denied", 4, v) ? 0 : -1;
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
    struct kres tmp = {0};
    if (db_run(req, &tmp, denied_fn, (void *)v) != 0)
        koop_log_error("could not record a denied access to %s", resource);
    json_decref(tmp.json);
    free(tmp.raw);
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
    if (!(rt->flags & RT_NOAUTH)) {
        if (koop_authenticate(req, koop_header(req, "Authorization"), res) != 0)
            return;
        if (!(rt->roles & req->auth.role)) {
            koop_fail(res, P_FORBIDDEN, "the role %s may not use this route",
                      koop_role_name(req->auth.role));
            audit_denied(rt, req, res);
            return;
        }
    }
    if (parse_body(rt, req, res) != 0)
        return;
    if (rt->handler)
        rt->handler(req, res);
    else
        koop_res_op(rt->resource, rt->op, req, res);
    audit_denied(rt, req, res);
    /* this daemon forgets at once; the others on NOTIFY koop_auth */
    if ((rt->flags & RT_AUTH_CHANGE) && res->status >= 200 && res->status < 300)
        koop_auth_flush();
    if (res->status == 0) {
        koop_log_error("handler for %s %s set no status", req->method, rt->pattern);
        koop_fail(res, P_INTERNAL, "an internal error occurred; it has been logged");
    }
}

/* ---- libmicrohttpd glue ---- */

struct conn_ctx {
    char *body;
    size_t len, cap;
    bool too_large;
    uint64_t t0;
    uint64_t wait_deadline; /* long-poll: kept across suspensions */
};

static const struct koop_route *g_routes;
static atomic_int g_inflight;
static struct MHD_Daemon *g_daemon;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct kreq *req = cls;
    if (req->nquery >= KOOP_MAX_QUERY) {
        req->query_overflow = true;
        return MHD_NO;
    }
    req->query[req->nquery].key = key;
    req->query[req->nquery].value = value;
    req->nquery++;
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

static void client_ip(struct MHD_Connection *c, struct kreq *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(req->ip, sizeof req->ip, "unknown");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->ip,
                      sizeof req->ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->ip,
                      sizeof req->ip);
    }
    const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
    if (xff && koop_cfg.trusted_proxies[0] && list_has(koop_cfg.trusted_proxies, req->ip)) {
        /* the address the trusted proxy saw is the last one in the list */
        const char *last = strrchr(xff, ',');
        last = last ? last + 1 : xff;
        while (*last == ' ')
            last++;
        char cand[64];
        snprintf(cand, sizeof cand, "%s", last);
        unsigned char buf[16];
        if (inet_pton(AF_INET, cand, buf) == 1 || inet_pton(AF_INET6, cand, buf) == 1)
            snprintf(req->ip, sizeof req->ip, "%s", cand);
    }
}

static void add_cors(struct MHD_Connection *c, struct MHD_Response *r, bool preflight)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
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

static enum MHD_Result send_res(struct MHD_Connection *c, struct kreq *req, struct kres *res,
                                bool preflight)
{
    char *buf = NULL;
    size_t len = 0;
    const char *ct = res->content_type;
    bool problem = res->json && res->status >= 400 && json_object_get(res->json, "type");
    enum koop_lang lang = KOOP_LANG_EN;
    if (problem) {
        json_object_set_new(res->json, "request_id", json_string(req->request_id));
        /* handlers write English; the client's language is applied here, once */
        lang = koop_lang_pick(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language"));
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
    if (strncmp(req->path, "/v1/", 4) == 0)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (problem) {
        MHD_add_response_header(r, "Content-Language", koop_lang_tag(lang));
        MHD_add_response_header(r, "Vary", "Accept-Language");
    }
    for (int i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    add_cors(c, r, preflight);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct conn_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
            return MHD_NO;
        ctx->t0 = koop_now_us();
        *con_cls = ctx;
        atomic_fetch_add(&g_inflight, 1);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > koop_cfg.max_body)
            ctx->too_large = true; /* answered below without reading the body */
        else
            return MHD_YES;
    }
    if (*upload_size && !ctx->too_large) {
        if (ctx->len + *upload_size > koop_cfg.max_body) {
            ctx->too_large = true;
            free(ctx->body);
            ctx->body = NULL;
            ctx->len = 0;
        } else {
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
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) { /* discarding the rest of a too-large body */
        *upload_size = 0;
        return MHD_YES;
    }

    struct kreq req = {.method = method, .path = url, .conn = c};
    struct kres res = {0};
    const char *rid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (rid && koop_request_id_ok(rid))
        snprintf(req.request_id, sizeof req.request_id, "%s", rid);
    else
        koop_uuid7(req.request_id);
    client_ip(c, &req);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
    req.body = ctx->body;
    req.body_len = ctx->len;
    req.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    req.if_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Match");
    req.idempotency_key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    req.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

    bool preflight =
        strcmp(method, "OPTIONS") == 0 &&
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method") != NULL;
    if (ctx->too_large) {
        koop_fail(&res, P_PAYLOAD_TOO_LARGE, "the body exceeds %zu bytes", koop_cfg.max_body);
        koop_res_header(&res, "Connection", "close");
    } else {
        req.wait_deadline_us = ctx->wait_deadline;
        for (int attempt = 0;; attempt++) {
            koop_http_dispatch(g_routes, &req, &res);
            if (!res.wait)
                break;
            /* an empty long-poll answer: park the connection, free the thread */
            ctx->wait_deadline = req.wait_deadline_us;
            if (koop_wait_suspend(c, req.auth.tenant_id, req.wait_deadline_us,
                                  res.wait_generation)) {
                json_decref(res.json);
                free(res.raw);
                json_decref(req.json);
                return MHD_YES;
            }
            /* an event arrived meanwhile (run again) or we are stopping (answer now) */
            json_decref(res.json);
            free(res.raw);
            json_decref(req.json);
            res = (struct kres){0};
            req.json = NULL;
            req.nparams = 0;
            req.auth = (struct koop_auth){0};
            if (attempt >= 10 || koop_wait_stopping())
                req.wait_deadline_us = 1; /* in the past: the handler answers as it is */
        }
    }
    enum MHD_Result ok = send_res(c, &req, &res, preflight);
    uint64_t us = koop_now_us() - ctx->t0;
    koop_log_access(&req, res.status, us);
    koop_metrics_observe(method, req.route, res.status, us);
    json_decref(res.json);
    free(res.raw);
    json_decref(req.json);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn_ctx *ctx = *con_cls;
    if (ctx) {
        free(ctx->body);
        free(ctx);
        *con_cls = NULL;
        atomic_fetch_sub(&g_inflight, 1);
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    koop_log_warn("http: %s", msg);
}

int koop_http_serve(const struct koop_route *routes)
{
    g_routes = routes;
    struct sockaddr_in6 sa6 = {0};
    struct sockaddr_in sa4 = {0};
    const struct sockaddr *sa;
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, koop_cfg.listen_host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)koop_cfg.listen_port);
        sa = (const struct sockaddr *)&sa4;
    } else if (inet_pton(AF_INET6, koop_cfg.listen_host, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)koop_cfg.listen_port);
        sa = (const struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "kooperd: listen host must be an IP address, got '%s'\n",
                koop_cfg.listen_host);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    g_daemon = MHD_start_daemon(
        flags, (uint16_t)koop_cfg.listen_port, NULL, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)koop_cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)koop_cfg.conn_timeout, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)koop_cfg.per_ip_limit, MHD_OPTION_CONNECTION_LIMIT, (unsigned)koop_cfg.conn_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        1u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!g_daemon) {
        fprintf(stderr, "kooperd: cannot listen on %s:%d\n", koop_cfg.listen_host,
                koop_cfg.listen_port);
        return 2;
    }
    if (koop_wait_start() != 0) {
        MHD_stop_daemon(g_daemon);
        fprintf(stderr, "kooperd: cannot start the event listener\n");
        return 2;
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
    MHD_stop_daemon(g_daemon);
    koop_log_info("stopped (%d requests cut off)", left);
    return 0;
}
