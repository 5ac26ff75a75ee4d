/* Fuzz target: one HTTP/1.1 request's bytes through koop_http_handle with the
 * real route table, without a network and without a database.
 *
 * Framing: the input is a request as it travels on the wire, read by the tiny
 * parser below the way MHD hands it to server/http.c: a request line
 * "METHOD TARGET VERSION", header lines "Name: value" (a line without a colon
 * is skipped), an empty line, then the body (everything after it). Lines end
 * in LF or CRLF. The target's path is %-decoded; its query is split on & and
 * =, with + and %XX decoded, a control character marking the parameter bad.
 *
 * The database: DATABASE_URL names a Unix socket in a directory that does not
 * exist, so libpq's connect fails at once (ENOENT, no timeout involved) and
 * server/db.c answers 503 without waiting; after a failure it does not even
 * try again for 500 ms. Routes behind a token therefore end at authentication
 * (401 without one, 503 with one); the keyless routes (service endpoints,
 * the public basket) run their handlers up to their SQL call.
 *
 * Checks: the answer has a status of 100..599 and never 500 (no database is a
 * 503, everything else is the client's 4xx); a problem is serialised and
 * localised as send_res does. */
#include "api.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "messages.h"
#include "trust.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("DATABASE_URL", "postgresql:///koop?host=/nonexistent-koop-fuzz/socket-dir", 1);
    setenv("KOOP_CONNECT_TIMEOUT", "1", 1);
    setenv("KOOP_PUBLIC_RATE_LIMIT", "1000000", 1);
    setenv("KOOP_AUTH_FAIL_LIMIT", "100000", 1);
    char err[256];
    if (koop_config_env(&koop_cfg, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz/request: %s\n", err);
        abort();
    }
    if (koop_proxies_set("", err, sizeof err) != 0) {
        fprintf(stderr, "fuzz/request: %s\n", err);
        abort();
    }
    db_register_server();
    koop_api_init();
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %-decodes s[0..n) in place (plus as space when plus), NUL-terminates it and
 * returns the decoded length (a %00 is kept as a byte inside it). */
static size_t unescape(char *s, size_t n, bool plus)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    s[o] = 0;
    return o;
}

static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

/* Splits the query q (NUL-terminated, modified in place) into req->query. */
static void parse_query(char *q, struct kreq *req)
{
    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = 0;
        if (*q) {
            if (req->nquery >= KOOP_MAX_QUERY) {
                req->query_overflow = true;
                return;
            }
            char *eq = strchr(q, '=');
            if (eq)
                *eq = 0;
            size_t kn = unescape(q, strlen(q), true);
            const char *value = NULL;
            if (eq) {
                size_t vn = unescape(eq + 1, strlen(eq + 1), true);
                if (!req->query_bad && has_control(eq + 1, vn))
                    req->query_bad = q;
                value = eq + 1;
            }
            if (!req->query_bad && has_control(q, kn))
                req->query_bad = "query";
            req->query[req->nquery].key = q;
            req->query[req->nquery].value = value;
            req->nquery++;
        }
        q = amp ? amp + 1 : NULL;
    }
}

/* Cuts the next line off *p (LF or CRLF) and returns it, or NULL at the end. */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
    if (!nl) {
        *p = end;
        return line; /* the buffer is NUL-terminated at end */
    }
    *nl = 0;
    if (nl > line && nl[-1] == '\r')
        nl[-1] = 0;
    *p = nl + 1;
    return line;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *p = buf, *end = buf + size;
    struct kreq req = {0};
    struct kres res = {0};

    char *line = next_line(&p, end);
    char *sp1 = line ? strchr(line, ' ') : NULL;
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1) {
        free(buf); /* MHD answers a malformed request line itself */
        return 0;
    }
    *sp1 = *sp2 = 0;
    req.method = line;
    char *target = sp1 + 1;
    req.uri_len = strlen(target);
    if (strcmp(sp2 + 1, "HTTP/1.1") == 0 || strcmp(sp2 + 1, "HTTP/1.0") == 0)
        req.version = sp2 + 1;
    char *qm = strchr(target, '?');
    if (qm)
        *qm = 0;
    unescape(target, strlen(target), false);
    req.path = target;
    parse_query(qm ? qm + 1 : NULL, &req);

    while ((line = next_line(&p, end)) && *line) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = 0;
        char *value = trim(colon + 1);
        req.header_bytes += strlen(line) + strlen(value) + 4;
        if (req.nheaders >= KOOP_MAX_REQ_HEADERS) {
            req.headers_overflow = true;
            continue;
        }
        req.headers[req.nheaders].key = line;
        req.headers[req.nheaders].value = value;
        req.nheaders++;
    }
    if (p < end) {
        req.body = p;
        req.body_len = (size_t)(end - p);
        req.body_too_large = req.body_len > koop_cfg.max_body;
    }
    snprintf(req.peer, sizeof req.peer, "127.0.0.1");

    koop_http_handle(koop_api_routes, &req, &res);

    if (res.status < 100 || res.status > 599 || res.status == 500) {
        fprintf(stderr, "fuzz/request: %s %s answered %d\n", req.method, req.path, res.status);
        abort();
    }
    if (res.json && res.status >= 400 && json_object_get(res.json, "type")) {
        json_object_set_new(res.json, "request_id", json_string(req.request_id));
        koop_problem_localize(res.json, koop_lang_pick(koop_header(&req, "Accept-Language")));
    }
    if (res.json) {
        char *txt = json_dumps(res.json, JSON_COMPACT);
        if (!txt) {
            fprintf(stderr, "fuzz/request: the answer to %s %s cannot be serialised\n", req.method,
                    req.path);
            abort();
        }
        free(txt);
    }
    json_decref(res.json);
    free(res.raw);
    json_decref(req.json);
    free(buf);
    return 0;
}
