#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct koop_config koop_cfg;

enum kind { K_STR, K_INT, K_SIZE, K_LISTEN };

struct opt {
    const char *env, *flag, *help;
    enum kind kind;
    size_t off, len;
    long min, max;
    bool common; /* used by every command; the others only by serve */
};

#define S(f) offsetof(struct koop_config, f), sizeof(((struct koop_config *)0)->f)
static const struct opt opts[] = {
    {"DATABASE_URL", "--database-url",
     "libpq URL of the serving login (koop_serve: owns nothing, no superuser)", K_STR,
     S(database_url), 0, 0, true},
    {"DATABASE_READ_URL", "--database-read-url",
     "libpq URLs (space-separated) of streaming replicas for reads that tolerate lag (none)", K_STR,
     S(read_url), 0, 0},
    {"KOOP_REPLICA_WAIT_MS", "--replica-wait-ms",
     "how long a read with Koop-Consistency waits for a replica before the primary (100)", K_INT,
     S(replica_wait_ms), 0, 5000},
    {"KOOP_LISTEN", "--listen", "HOST:PORT to serve on (127.0.0.1:8080)", K_LISTEN, 0, 0, 0, 0},
    {"KOOP_THREADS", "--threads", "HTTP worker threads, one DB connection each (4)", K_INT,
     S(threads), 1, 256},
    {"KOOP_MAX_BODY", "--max-body", "largest request body in bytes (1048576)", K_SIZE, S(max_body),
     1024, 64L * 1024 * 1024},
    {"KOOP_MAX_DEPTH", "--max-depth", "deepest JSON nesting accepted (16)", K_INT, S(max_depth), 2,
     64},
    {"KOOP_CONN_TIMEOUT", "--conn-timeout", "seconds before an idle connection is closed (30)",
     K_INT, S(conn_timeout), 1, 3600},
    {"KOOP_PER_IP_LIMIT", "--per-ip-limit", "concurrent connections per client IP (256)", K_INT,
     S(per_ip_limit), 1, 100000},
    {"KOOP_CONN_LIMIT", "--conn-limit", "concurrent connections in all (1024)", K_INT,
     S(conn_limit), 1, 100000},
    {"KOOP_STATEMENT_TIMEOUT_MS", "--statement-timeout-ms", "SQL statement timeout (5000)", K_INT,
     S(statement_timeout_ms), 100, 600000, true},
    {"KOOP_CONNECT_TIMEOUT", "--connect-timeout", "seconds to wait for PostgreSQL (2)", K_INT,
     S(connect_timeout_s), 1, 60, true},
    {"KOOP_DRAIN_TIMEOUT", "--drain-timeout",
     "seconds in-flight requests may finish on SIGTERM (10)", K_INT, S(drain_timeout_s), 0, 600},
    {"KOOP_AUTH_FAIL_LIMIT", "--auth-fail-limit", "failed logins per IP per minute before 429 (30)",
     K_INT, S(auth_fail_limit), 1, 100000},
    {"KOOP_PUBLIC_RATE_LIMIT", "--public-rate-limit",
     "keyless /public/v1 requests per client address per minute before 429 (300)", K_INT,
     S(public_rate_limit), 1, 1000000},
    {"KOOP_PESEL_DUPLICATE_LIMIT", "--pesel-duplicate-limit",
     "attempts at PESELs already held per user per hour before 429 (10)", K_INT,
     S(pesel_duplicate_limit), 1, 100000},
    {"KOOP_JOB_INTERVAL", "--job-interval",
     "seconds between runs of the periodic jobs: overdue referrals, plan reviews (60)", K_INT,
     S(job_interval_s), 1, 3600},
    {"KOOP_CORS_ORIGINS", "--cors-origins", "comma-separated allowed origins, or * (none)", K_STR,
     S(cors_origins), 0, 0},
    {"KOOP_TRUSTED_PROXIES", "--trusted-proxies",
     "comma-separated proxy IPs/CIDRs whose X-Forwarded-For/Forwarded is used (none)", K_STR,
     S(trusted_proxies), 0, 0},
    {"KOOP_PROXY_HEADER", "--proxy-header",
     "the header the trusted proxies write: x-forwarded-for or forwarded (x-forwarded-for)", K_STR,
     S(proxy_header), 0, 0},
    {"KOOP_WEBHOOK_ALLOW", "--webhook-allow",
     "comma list of host[:port] or URL prefixes webhooks may reach besides public https (none)",
     K_STR, S(webhook_allow), 0, 0},
    {"KOOP_WEBHOOK_RETRY_BASE_MS", "--webhook-retry-base-ms",
     "first webhook retry delay, doubled per attempt (5000)", K_INT, S(webhook_retry_base_ms), 10,
     3600000},
    {"KOOP_WEBHOOK_RETRY_CAP_MS", "--webhook-retry-cap-ms",
     "longest delay between webhook attempts (3600000)", K_INT, S(webhook_retry_cap_ms), 10,
     86400000},
    {"KOOP_WEBHOOK_MAX_AGE", "--webhook-max-age",
     "seconds an event is retried before its subscription pauses (259200)", K_INT,
     S(webhook_max_age_s), 1, 30 * 86400},
    {"KOOP_WEBHOOK_TIMEOUT_MS", "--webhook-timeout-ms", "one webhook delivery attempt (10000)",
     K_INT, S(webhook_timeout_ms), 100, 60000},
    {"KOOP_OPENAPI_PATH", "--openapi", "path of openapi.yaml (openapi.yaml)", K_STR,
     S(openapi_path), 0, 0},
    {"KOOP_DOCS_DIR", "--docs-dir", "directory with the docs page (docs)", K_STR, S(docs_dir), 0,
     0},
    {"KOOP_REDOC_JS", "--redoc-js",
     "path of redoc.standalone.js (node_modules/redoc/bundles/redoc.standalone.js)", K_STR,
     S(redoc_js), 0, 0},
    /* ---- trust boundaries: slow and greedy clients, heavy routes, metrics ---- */
    {"KOOP_HEADER_TIMEOUT", "--header-timeout",
     "seconds a connection has to send a request's headers (10)", K_INT, S(header_timeout_s), 1,
     3600},
    {"KOOP_LONGPOLL_PER_TOKEN", "--longpoll-per-token",
     "long-polls one token may have waiting at once (8)", K_INT, S(longpoll_per_token), 1, 100000},
    {"KOOP_HEAVY_SLOTS", "--heavy-slots", "reports, exports and PDFs running at once (2)", K_INT,
     S(heavy_slots), 1, 256},
    {"KOOP_RATE_LIMIT", "--rate-limit", "requests per token per minute (6000)", K_INT,
     S(rate_limit), 1, 10000000},
    {"KOOP_METRICS_LISTEN", "--metrics-listen", "HOST:PORT serving /metrics alone (none)", K_STR,
     S(metrics_listen), 0, 0},
    {"KOOP_METRICS_PUBLIC", "--metrics-public",
     "1: /metrics on the API address without a token (0: platform_admin only)", K_INT,
     S(metrics_public), 0, 1},
    /* -- database credentials and token lifetimes (least privilege, issue "Trust boundaries") -- */
    {"DATABASE_OWNER_URL", "--owner-url",
     "libpq URL as the database owner, for migrate and start-up migrations (DATABASE_URL)", K_STR,
     S(owner_url), 0, 0, true},
    {"KOOP_SERVE_PASSWORD", "--serve-password",
     "migrate: let koop_serve log in with this password (unchanged)", K_STR, S(serve_password), 0,
     0, true},
    {"KOOP_SELF_TOKEN_MAX_DAYS", "--self-token-max-days",
     "longest lifetime of a token users mint for themselves (90)", K_INT, S(self_token_max_days), 1,
     730},
    /* ---- OIDC access tokens (server/oidc.c) ---- */
    {"KOOP_OIDC_ISSUER", "--oidc-issuer",
     "accept JWT access tokens whose iss is this; with AUDIENCE and a JWKS (off)", K_STR,
     S(oidc_issuer), 0, 0},
    {"KOOP_OIDC_AUDIENCE", "--oidc-audience", "the aud a JWT must name (none)", K_STR,
     S(oidc_audience), 0, 0},
    {"KOOP_OIDC_JWKS_URL", "--oidc-jwks-url", "the provider's JWKS, http(s) (none)", K_STR,
     S(oidc_jwks_url), 0, 0},
    {"KOOP_OIDC_JWKS_FILE", "--oidc-jwks-file", "a JWKS file instead of the URL (none)", K_STR,
     S(oidc_jwks_file), 0, 0},
    {"KOOP_OIDC_ROLE_CLAIM", "--oidc-role-claim",
     "dotted path of the claim holding our role name (koop_role)", K_STR, S(oidc_role_claim), 0, 0},
    {"KOOP_OIDC_TENANT_CLAIM", "--oidc-tenant-claim",
     "dotted path of the claim holding the tenant's TERYT (koop_teryt)", K_STR,
     S(oidc_tenant_claim), 0, 0},
    {"KOOP_OIDC_PARTNER_CLAIM", "--oidc-partner-claim",
     "dotted path of the claim holding a partner_staff user's partner id (koop_partner)", K_STR,
     S(oidc_partner_claim), 0, 0},
    {"KOOP_OIDC_SKEW", "--oidc-skew", "seconds of clock skew allowed on exp and nbf (30)", K_INT,
     S(oidc_skew_s), 0, 300},
    {"KOOP_OIDC_JWKS_REFRESH", "--oidc-jwks-refresh",
     "least seconds between JWKS refetches on an unknown kid (60)", K_INT, S(oidc_jwks_refresh_s),
     0, 86400},
    {"KOOP_OIDC_JWKS_TIMEOUT_MS", "--oidc-jwks-timeout-ms",
     "one JWKS fetch; request threads wait at most this (2000)", K_INT, S(oidc_jwks_timeout_ms),
     100, 30000},
};
#undef S

int koop_config_listen(struct koop_config *c, const char *hp)
{
    const char *colon = strrchr(hp, ':');
    if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof c->listen_host)
        return -1;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
        return -1;
    memcpy(c->listen_host, hp, (size_t)(colon - hp));
    c->listen_host[colon - hp] = 0;
    c->listen_port = (int)port;
    return 0;
}

static int apply(struct koop_config *c, const struct opt *o, const char *v, const char *via,
                 char *err, size_t errlen)
{
    char *base = (char *)c;
    switch (o->kind) {
    case K_STR:
        if (strlen(v) >= o->len) {
            snprintf(err, errlen, "%s: value too long (at most %zu bytes)", via, o->len - 1);
            return -1;
        }
        memcpy(base + o->off, v, strlen(v) + 1);
        return 0;
    case K_LISTEN:
        if (koop_config_listen(c, v) != 0) {
            snprintf(err, errlen,
                     "%s: expected HOST:PORT with a port 0..65535 (0: any free port), got '%s'",
                     via, v);
            return -1;
        }
        return 0;
    case K_INT:
    case K_SIZE: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || !*v || *end || n < o->min || n > o->max) {
            snprintf(err, errlen, "%s: expected an integer %ld..%ld, got '%s'", via, o->min, o->max,
                     v);
            return -1;
        }
        if (o->kind == K_INT)
            *(int *)(base + o->off) = (int)n;
        else
            *(size_t *)(base + o->off) = (size_t)n;
        return 0;
    }
    }
    return -1;
}

int koop_config_env_for(struct koop_config *c, bool serve, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    c->threads = 4;
    c->replica_wait_ms = 100;
    c->max_body = 1024 * 1024;
    c->max_depth = 16;
    c->conn_timeout = 30;
    c->per_ip_limit = 256;
    c->conn_limit = 1024;
    c->statement_timeout_ms = 5000;
    c->connect_timeout_s = 2;
    c->drain_timeout_s = 10;
    c->auth_fail_limit = 30;
    c->header_timeout_s = 10;
    c->longpoll_per_token = 8;
    c->heavy_slots = 2;
    c->rate_limit = 6000;
    c->public_rate_limit = 300;
    c->pesel_duplicate_limit = 10;
    c->job_interval_s = 60;
    c->webhook_retry_base_ms = 5000;
    c->webhook_retry_cap_ms = 3600 * 1000;
    c->webhook_max_age_s = 3 * 86400;
    c->webhook_timeout_ms = 10000;
    snprintf(c->openapi_path, sizeof c->openapi_path, "openapi.yaml");
    snprintf(c->docs_dir, sizeof c->docs_dir, "docs");
    snprintf(c->redoc_js, sizeof c->redoc_js, "node_modules/redoc/bundles/redoc.standalone.js");
    /* database credentials and token lifetimes */
    c->self_token_max_days = 90;
    snprintf(c->oidc_role_claim, sizeof c->oidc_role_claim, "koop_role");
    snprintf(c->oidc_tenant_claim, sizeof c->oidc_tenant_claim, "koop_teryt");
    snprintf(c->oidc_partner_claim, sizeof c->oidc_partner_claim, "koop_partner");
    c->oidc_skew_s = 30;
    c->oidc_jwks_refresh_s = 60;
    c->oidc_jwks_timeout_ms = 2000;
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!serve && !opts[i].common)
            continue; /* not this command's: neither read nor judged */
        const char *v = getenv(opts[i].env);
        if (v && *v && apply(c, &opts[i], v, opts[i].env, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int koop_config_env(struct koop_config *c, char *err, size_t errlen)
{
    return koop_config_env_for(c, true, err, errlen);
}

int koop_config_flag_for(struct koop_config *c, bool serve, const char *flag, const char *value,
                         char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (strcmp(opts[i].flag, flag) != 0)
            continue;
        if (!serve && !opts[i].common) {
            snprintf(err, errlen, "%s is only used by serve", flag);
            return -1;
        }
        if (!value) {
            snprintf(err, errlen, "%s needs a value", flag);
            return -1;
        }
        return apply(c, &opts[i], value, flag, err, errlen) == 0 ? 1 : -1;
    }
    return 0;
}

int koop_config_flag(struct koop_config *c, const char *flag, const char *value, char *err,
                     size_t errlen)
{
    return koop_config_flag_for(c, true, flag, value, err, errlen);
}

void koop_config_help(void)
{
    printf("Configuration (environment variable / flag; * = read by serve only):\n");
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        printf("%s %-26s %-24s %s\n", opts[i].common ? " " : "*", opts[i].env, opts[i].flag,
               opts[i].help);
}
