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

void koop_log_access(const struct kreq *req, int status, uint64_t duration_us)
{
    json_t *o = json_object();
    json_object_set_new(o, "level", json_string("info"));
    json_object_set_new(o, "msg", json_string("request"));
    json_object_set_new(o, "request_id", json_string(req->request_id));
    json_object_set_new(o, "method", json_string(req->method ? req->method : "?"));
    /* the route template, never the raw path or query (they may hold names) */
    json_object_set_new(o, "route", json_string(req->route ? req->route : "(unmatched)"));
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "duration_ms", json_real((double)duration_us / 1000.0));
    if (req->auth.tenant_id[0])
        json_object_set_new(o, "tenant", json_string(req->auth.tenant_id));
    if (req->auth.user_id[0])
        json_object_set_new(o, "actor", json_string(req->auth.user_id));
    emit(o);
}
