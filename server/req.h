/* Request and response as handlers see them. Handlers in api/ take a parsed
 * request and fill a response; they never touch MHD or sockets. */
#ifndef KOOP_REQ_H
#define KOOP_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum koop_role {
    ROLE_NONE = 0,
    ROLE_PLATFORM_ADMIN = 1 << 0,
    ROLE_ADMIN = 1 << 1,
    ROLE_COORDINATOR = 1 << 2,
    ROLE_SOCIAL_WORKER = 1 << 3,
    ROLE_PARTNER_STAFF = 1 << 4,
    ROLE_AUDITOR = 1 << 5,
    ROLE_REGIONAL_ANALYST = 1 << 6,
};
#define ROLES_TENANT                                                                               \
    (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SOCIAL_WORKER | ROLE_PARTNER_STAFF | ROLE_AUDITOR)
#define ROLES_ANY (ROLES_TENANT | ROLE_PLATFORM_ADMIN | ROLE_REGIONAL_ANALYST)
#define ROLES_PUBLIC 0 /* route needs no token */

const char *koop_role_name(enum koop_role r);
enum koop_role koop_role_parse(const char *s); /* ROLE_NONE when unknown */

/* Who is calling; filled by auth before the handler runs. Strings are owned
 * by the request (fixed buffers). Empty string means "none". */
struct koop_auth {
    char token_id[37];
    char user_id[37];
    char tenant_id[37];
    char partner_id[37];
    enum koop_role role;
    /* the token's scopes (a koop_scopes set of server/scope.h); 0: none, the
     * role's full access. Set by koop_authenticate or koop_auth_set_scopes. */
    uint64_t scopes;
};

#define KOOP_MAX_PARAMS 4
#define KOOP_MAX_QUERY 24
#define KOOP_MAX_HEADERS 8
#define KOOP_MAX_REQ_HEADERS 64     /* header lines a request may have (431 beyond) */
#define KOOP_MAX_URI 8192           /* request target length (414 beyond) */
#define KOOP_MAX_HEADER_BYTES 32768 /* all header lines together (431 beyond) */

struct koop_kv {
    const char *key;
    const char *value;
};

struct kreq {
    const char *method;
    const char *version;                      /* "HTTP/1.1", "HTTP/1.0", or NULL */
    const char *path;                         /* raw path, without query */
    size_t uri_len;                           /* length of the request target as sent */
    const char *route;                        /* route template, e.g. /v1/partners/{partner_id} */
    const char *params[KOOP_MAX_PARAMS];      /* path parameters in order */
    const char *param_names[KOOP_MAX_PARAMS]; /* their names without braces */
    int nparams;
    char parambuf[320]; /* storage for params */
    char namebuf[KOOP_MAX_PARAMS][48];
    struct koop_kv query[KOOP_MAX_QUERY]; /* decoded query arguments */
    int nquery;
    bool query_overflow;   /* more arguments than KOOP_MAX_QUERY */
    const char *query_bad; /* a parameter whose value holds a NUL or control character */
    /* every header line in the order received, names as sent (duplicates kept) */
    struct koop_kv headers[KOOP_MAX_REQ_HEADERS];
    int nheaders;
    bool headers_overflow; /* more lines than KOOP_MAX_REQ_HEADERS */
    size_t header_bytes;   /* names and values of all header lines */
    bool body_too_large;   /* the body was (or would be) over the configured limit */
    const char *body;      /* NUL-terminated copy of the body, or NULL */
    json_t *json;          /* the parsed JSON body (borrowed; freed by the server) or NULL */
    size_t body_len;
    const char *content_type;
    const char *if_match;
    const char *idempotency_key;
    const char *accept;
    uint64_t wait_deadline_us; /* long-poll: 0, or when a waiting request must answer */
    int statement_timeout_ms;  /* 0: the configured one; more for heavy reads (reports) */
    char request_id[72];       /* up to 64 characters (koop_request_id_ok) */
    char peer[64];             /* the TCP peer's address */
    char ip[64]; /* the client's: the peer, or the forwarded address behind a trusted proxy */
    struct koop_auth auth;
};

/* A response. The handler sets status and either json (stolen: freed by the
 * server) or raw (malloc'd, stolen) with content_type. Extra headers are
 * copied into fixed slots by koop_res_header(). */
struct kres {
    int status;
    json_t *json;
    char *raw;
    size_t raw_len;
    const char *content_type;
    struct {
        char name[32];
        char value[512];
    } headers[KOOP_MAX_HEADERS];
    int nheaders;
    /* long-poll: set by a handler whose answer is empty and may wait; the
     * server suspends the connection until an event of wait_tenant commits
     * or the request's wait_deadline_us, then runs the handler again */
    bool wait;
    uint64_t wait_generation;
};

void koop_res_header(struct kres *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set a JSON body (stolen) and status. Returns 0. */
int koop_res_json(struct kres *res, int status, json_t *body);

const char *koop_query_get(const struct kreq *req, const char *key);
const char *koop_param(const struct kreq *req, const char *name);
/* Looks up a request header (case-insensitive name); the first line of that
 * name, NULL when absent. */
const char *koop_header(const struct kreq *req, const char *name);

typedef int (*koop_handler)(struct kreq *req, struct kres *res);

#endif
