/* Configuration from environment variables, overridden by --flags. Every value
 * has a default; a bad value stops start-up with a message naming it. */
#ifndef KOOP_CONFIG_H
#define KOOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct koop_config {
    char database_url[1024];
    char read_url[4096]; /* DATABASE_READ_URL: read replicas (server/replica.h), or "" */
    int replica_wait_ms; /* how long a read waits for a replica to reach its Koop-Consistency */
    char listen_host[64];
    int listen_port;
    int threads;               /* HTTP worker threads, each with its own DB connection */
    size_t max_body;           /* bytes */
    int max_depth;             /* JSON nesting */
    int conn_timeout;          /* seconds an idle connection is kept */
    int per_ip_limit;          /* concurrent connections per client IP */
    int conn_limit;            /* concurrent connections in all */
    int statement_timeout_ms;  /* per SQL statement */
    int connect_timeout_s;     /* to PostgreSQL */
    int drain_timeout_s;       /* SIGTERM: how long in-flight requests may finish */
    int auth_fail_limit;       /* failed logins per IP per minute before 429 */
    int public_rate_limit;     /* keyless /public/v1 requests per client address per minute */
    int pesel_duplicate_limit; /* attempts at held PESELs per user per hour (koop.pesel_budget) */
    int job_interval_s;        /* seconds between runs of the periodic jobs (server/jobs.c) */
    char cors_origins[1024];   /* comma-separated, or "*" */
    char trusted_proxies[512]; /* comma-separated IPs/CIDRs whose forwarding headers are believed */
    char proxy_header[32];     /* x-forwarded-for or forwarded: the header those proxies write */
    char webhook_allow[1024];  /* comma list of host[:port] or URL prefixes webhooks may reach */
    int webhook_retry_base_ms; /* first retry delay, doubled per attempt */
    int webhook_retry_cap_ms;  /* longest delay between attempts */
    int webhook_max_age_s;     /* retry window of one event, then the subscription pauses */
    int webhook_timeout_ms;    /* one delivery attempt, connect to last byte */
    char openapi_path[512];
    char docs_dir[512];
    char redoc_js[512];
    /* trust boundaries (server/trust.h, server/http.c) */
    int header_timeout_s;     /* a request's headers must arrive within this after it starts */
    int longpoll_per_token;   /* waiting long-polls per token */
    int heavy_slots;          /* heavy routes (reports, exports, PDFs) running at once */
    int rate_limit;           /* requests per token per minute */
    char metrics_listen[128]; /* HOST:PORT of a /metrics-only listener, or "" */
    int metrics_public;       /* 1: /metrics on the API address without a token */
    /* database credentials and token lifetimes */
    char owner_url[1024];     /* DATABASE_OWNER_URL: migrations; empty: DATABASE_URL */
    char serve_password[256]; /* KOOP_SERVE_PASSWORD: migrate lets koop_serve log in with it */
    int self_token_max_days;  /* KOOP_SELF_TOKEN_MAX_DAYS: tokens users mint for themselves */
    /* OIDC access tokens (server/oidc.c); off while oidc_issuer is empty */
    char oidc_issuer[512];       /* the iss a JWT must carry */
    char oidc_audience[512];     /* one of its aud values */
    char oidc_jwks_url[1024];    /* the provider's JWKS (http/https), or */
    char oidc_jwks_file[512];    /* a JWKS file */
    char oidc_role_claim[128];   /* dotted path to our role name (koop_role) */
    char oidc_tenant_claim[128]; /* dotted path to the tenant's TERYT (koop_teryt) */
    char
        oidc_partner_claim[128]; /* dotted path to the partner's id, partner_staff (koop_partner) */
    int oidc_skew_s;             /* clock skew allowed on exp and nbf */
    int oidc_jwks_refresh_s;     /* unknown kid: refetch at most once per this many seconds */
    int oidc_jwks_timeout_ms;    /* one JWKS fetch, connect to last byte */
};

/* One option of the table: the env var, the flag, and how it is stored. */
struct koop_option {
    const char *env;
    const char *flag;
    const char *help;
};

/* Loads defaults, then the environment. With serve false only the settings
 * every command uses are read (DATABASE_URL, DATABASE_OWNER_URL,
 * KOOP_SERVE_PASSWORD, KOOP_STATEMENT_TIMEOUT_MS, KOOP_CONNECT_TIMEOUT); the serve-only ones keep
 * their defaults and are not judged, so a bad KOOP_LISTEN cannot stop `migrate`. Returns 0, or -1
 * after printing the reason to err (a buffer of errlen bytes). */
int koop_config_env_for(struct koop_config *c, bool serve, char *err, size_t errlen);
/* koop_config_env_for(c, true, ...): every setting. */
int koop_config_env(struct koop_config *c, char *err, size_t errlen);
/* Applies one "--flag value" pair; returns 1 when consumed, 0 when the flag is
 * unknown, -1 when the value is bad or (serve false) the flag is serve-only
 * (err filled). */
int koop_config_flag_for(struct koop_config *c, bool serve, const char *flag, const char *value,
                         char *err, size_t errlen);
/* koop_config_flag_for(c, true, ...). */
int koop_config_flag(struct koop_config *c, const char *flag, const char *value, char *err,
                     size_t errlen);
/* Parses HOST:PORT into the config; port 0 means any free port (the daemon
 * logs the one it bound). Returns 0 or -1. */
int koop_config_listen(struct koop_config *c, const char *hostport);
void koop_config_help(void);

extern struct koop_config koop_cfg; /* the running daemon's configuration */

#endif
