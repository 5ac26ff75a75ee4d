#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void timestamp(char *buf, size_t n)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static void emit(json_t *o)
{
    char ts[40];
    timestamp(ts, sizeof ts);
    json_object_set_new(o, "ts", json_string(ts));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (line) {
        /* one fputs per line: stdio locks the stream, lines never interleave */
        fprintf(stderr, "%s\n", line);
        free(line);
    }
    json_decref(o);
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *o = json_object();
    json_object_set_new(o, "level", json_string(level));
    json_t *m = json_string(msg);
    json_object_set_new(o, "msg", m ? m : json_string("(message not UTF-8)"));
    emit(o);
}

#define LEVEL_FN(fn, level)                                                                        \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(level, fmt, ap);                                                                      \
        va_end(ap);                                                                                \
    }
LEVEL_FN(koop_log_error, "error")
LEVEL_FN(koop_log_warn, "warn")
LEVEL_FN(koop_log_info, "info")

void koop_log_listening(const char *host, int port, int threads)
{
    json_t *o = json_object();
    json_object_set_new(o, "level", json_string("info"));
    json_object_set_new(o, "msg", json_string("listening"));
    json_object_set_new(o, "host", json_string(host));
    json_object_set_new(o, "port", json_integer(port));
    json_object_set_new(o, "threads", json_integer(threads));
    emit(o);
}

/* The access log line, built straight into a buffer (one per request: jansson's object, its
 * dump and the allocations were most of the daemon's own CPU on a small GET). The same fields
 * in the same order as emit() writes them. */
static size_t put_str(char *o, size_t at, size_t cap, const char *key, const char *v)
{
    static const char hex[] = "0123456789abcdef";
    at += (size_t)snprintf(o + at, at < cap ? cap - at : 0, ",\"%s\":\"", key);
    if (at >= cap) /* cut short (never with our fields' lengths); stays valid below */
        return cap;
    for (const unsigned char *p = (const unsigned char *)v; *p && at + 8 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            o[at++] = '\\';
            o[at++] = (char)*p;
        } else if (*p < 0x20 || *p >= 0x7f) {
            memcpy(o + at, "\\u00", 4);
            o[at + 4] = hex[*p >> 4];
            o[at + 5] = hex[*p & 15];
            at += 6;
        } else {
            o[at++] = (char)*p;
        }
    }
    if (at + 1 < cap)
        o[at++] = '"';
    return at;
}

void koop_log_access(const struct kreq *req, int status, uint64_t duration_us)
{
    char line[1024], ts[40], ms[32];
    size_t cap = sizeof line - 64, at;
    at = (size_t)snprintf(line, cap, "{\"level\":\"info\",\"msg\":\"request\"");
    at = put_str(line, at, cap, "request_id", req->request_id);
    at = put_str(line, at, cap, "method", req->method ? req->method : "?");
    /* the route template, never the raw path or query (they may hold names) */
    at = put_str(line, at, cap, "route", req->route ? req->route : "(unmatched)");
    /* as jansson writes a real of precision 6 */
    snprintf(ms, sizeof ms, "%.6g", (double)duration_us / 1000.0);
    if (!strpbrk(ms, ".e"))
        strcat(ms, ".0");
    at += (size_t)snprintf(line + at, cap - at, ",\"status\":%d,\"duration_ms\":%s", status, ms);
    if (at > cap)
        at = cap;
    if (req->auth.tenant_id[0])
        at = put_str(line, at, cap, "tenant", req->auth.tenant_id);
    if (req->auth.user_id[0])
        at = put_str(line, at, cap, "actor", req->auth.user_id);
    timestamp(ts, sizeof ts);
    at = put_str(line, at, cap, "ts", ts);
    line[at++] = '}';
    line[at++] = '\n';
    /* one write per line: lines never interleave */
    fwrite(line, 1, at, stderr);
}
