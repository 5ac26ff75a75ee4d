#include "service.h"

#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *koop_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (n > max) {
            free(buf);
            fclose(f);
            return NULL;
        }
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static int serve_file(struct kres *res, const char *path, const char *ctype)
{
    size_t len;
    char *buf = koop_read_file(path, 16 * 1024 * 1024, &len);
    if (!buf) {
        koop_log_error("cannot read %s (check the configured path)", path);
        return koop_fail(res, P_NOT_FOUND, "this file is not installed on the server");
    }
    res->status = 200;
    res->raw = buf;
    res->raw_len = len;
    res->content_type = ctype;
    koop_res_header(res, "Cache-Control", "public, max-age=300");
    return 0;
}

int service_healthz(struct kreq *req, struct kres *res)
{
    (void)req;
    return koop_res_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

int service_readyz(struct kreq *req, struct kres *res)
{
    (void)req;
    char why[128];
    if (!db_ready(why, sizeof why)) {
        koop_fail(res, P_UNAVAILABLE, "not ready: %s", why);
        koop_res_header(res, "Retry-After", "2");
        return 0;
    }
    return koop_res_json(res, 200, json_pack("{s:s}", "status", "ready"));
}

int service_metrics(struct kreq *req, struct kres *res)
{
    /* on the API address: public only when configured so, else for a
     * platform admin's token (KOOP_METRICS_LISTEN serves it without one) */
    if (!koop_cfg.metrics_public) {
        if (koop_authenticate(req, koop_header(req, "Authorization"), res) != 0)
            return 0;
        if (req->auth.role != ROLE_PLATFORM_ADMIN)
            return koop_fail(res, P_FORBIDDEN,
                             "/metrics is for platform admins here (or KOOP_METRICS_LISTEN)");
    }
    char *txt = koop_metrics_render();
    if (!txt)
        return koop_fail(res, P_INTERNAL, "out of memory");
    res->status = 200;
    res->raw = txt;
    res->raw_len = strlen(txt);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

int service_openapi(struct kreq *req, struct kres *res)
{
    (void)req;
    return serve_file(res, koop_cfg.openapi_path, "application/yaml");
}

int service_docs(struct kreq *req, struct kres *res)
{
    (void)req;
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", koop_cfg.docs_dir);
    return serve_file(res, path, "text/html; charset=utf-8");
}

int service_docs_js(struct kreq *req, struct kres *res)
{
    (void)req;
    return serve_file(res, koop_cfg.redoc_js, "application/javascript");
}
