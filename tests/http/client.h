/* A small HTTP client for the black-box tests (libcurl), and the fixtures
 * they share: tenants, users and tokens made through the API itself. */
#ifndef KOOP_TEST_CLIENT_H
#define KOOP_TEST_CLIENT_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>

struct resp {
    long status;
    char *body;
    size_t len;
    json_t *json;  /* parsed body when it is JSON, else NULL */
    char *headers; /* raw header block */
};

/* Sends a request to base_url + path. token may be NULL. body may be NULL.
 * Extra headers: NULL-terminated list of "Name: value" strings. Never NULL;
 * status 0 when the connection failed. */
struct resp *http_req(const char *base, const char *method, const char *path, const char *token,
                      const char *body, const char *const *headers);
/* Same with a body of explicit length (may contain NUL bytes). */
struct resp *http_raw(const char *base, const char *method, const char *path, const char *token,
                      const char *body, size_t len, const char *const *headers);

/* Conveniences against the URL under test (through Prism unless direct). */
struct resp *api(const char *method, const char *path, const char *token, const char *body);
struct resp *api_h(const char *method, const char *path, const char *token, const char *body,
                   const char *const *headers);
struct resp *direct(const char *method, const char *path, const char *token, const char *body,
                    const char *const *headers);

/* Header value (case-insensitive name) copied into a static per-thread buffer,
 * or NULL. */
const char *resp_header(const struct resp *r, const char *name);
void resp_free(struct resp *r);

/* json helpers */
const char *jstr(const json_t *o, const char *key);
long long jint(const json_t *o, const char *key);
char *jdump(const json_t *o); /* malloc'd compact text */

/* Fixtures (made once per process through the API). */
struct world {
    char tenant_a[37], tenant_b[37];
    char admin_a[80], coord_a[80], social_a[80], staff_a[80], auditor_a[80];
    char admin_b[80], staff_b[80];
    char platform[80], analyst[80];
    char admin_a_id[37], staff_a_id[37];
    char partner_a[37], partner_b[37]; /* partner_a: staff_a's partner */
};
const struct world *world(void);

/* Makes a valid partner body with a unique name; caller frees. */
char *partner_body(const char *name, const char *sector);
/* Creates a partner as token; returns its id in out (37 bytes). */
void make_partner(const char *token, const char *name, char out[37]);

/* A fresh unique string for names and keys. */
const char *uniq(const char *prefix);

/* Environment of the run. */
const char *env_or(const char *name, const char *fallback);

/* The suites */
Suite *suite_basics(void);
Suite *suite_auth(void);
Suite *suite_partners(void);
Suite *suite_robustness(void);
Suite *suite_database(void);
TCase *tcase_database_least_privilege(void); /* database_least_privilege.c */
Suite *suite_services(void);
Suite *suite_families(void);
Suite *suite_task_teams(void);
Suite *suite_partnership(void);
Suite *suite_feed(void);
Suite *suite_audit_denied(void);
Suite *suite_documents(void);
Suite *suite_public(void);
Suite *suite_oidc(void);
Suite *suite_language(void);
Suite *suite_webhooks(void);

#endif

/* ---- helpers of the auth, partners and robustness suites ---- */

/* printf into one of 16 rotating per-thread buffers (paths, bodies). */
const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* Through Prism (api_if) or straight to the daemon (direct_if), with an
 * If-Match header when if_match is not NULL. */
struct resp *api_if(const char *method, const char *path, const char *token, const char *body,
                    const char *if_match);
struct resp *direct_if(const char *method, const char *path, const char *token, const char *body,
                       const char *if_match);
/* Straight to the daemon with a body of explicit length. */
struct resp *direct_raw(const char *method, const char *path, const char *token, const char *body,
                        size_t len, const char *const *headers);
/* "\"<v>\"": a strong ETag for version v (rotating buffer). */
const char *etag(long long v);
/* Asserts r is application/problem+json with this status and type
 * /problems/<code>, with X-Request-Id and a matching request_id. */
void check_problem(const struct resp *r, long status, const char *code, const char *file, int line);
#define ck_problem(r, status, code) check_problem((r), (status), (code), __FILE__, __LINE__)
/* The errors[] item of a problem naming field (and code, in when not NULL). */
const json_t *problem_error(const struct resp *r, const char *field, const char *code,
                            const char *in);
#define ck_error(r, field, code, in)                                                               \
    ck_assert_msg(problem_error((r), (field), (code), (in)), "no error %s/%s/%s in %s", (field),   \
                  (code) ? (code) : "*", (in) ? (in) : "*", (r)->body)
/* The record's version (GET path as token); -1 when the GET is not 200. */
long long version_of(const char *path, const char *token);
/* The record as JSON text (GET path as token, direct); malloc'd, NULL when not 200. */
char *record_of(const char *path, const char *token);
/* A NIP with a valid check digit derived from seed. */
void make_nip(long seed, char out[11]);
/* A new tenant (unique teryt) with an admin and its token: isolated lists. */
void fresh_tenant(char tenant_id[37], char admin_token[80], char admin_id[37]);
/* A user of the admin's tenant (POST /v1/users) and a token for it. */
void make_user(const char *admin_token, const char *role, const char *partner_id, char tok[80],
               char id_out[37]);
/* A raw HTTP/1.1 exchange over TCP with the daemon: sends request[0..len),
 * reads the answer until the connection closes or timeout_s passes. */
struct resp *raw_tcp(const char *request, size_t len, int timeout_s);
/* raw_tcp from the local address src_ip (e.g. "127.0.0.2"; NULL: any). */
struct resp *raw_tcp_from(const char *src_ip, const char *request, size_t len, int timeout_s);
/* Latest event id visible to token (follows next_after). */
long long last_event_id(const char *token);
/* A local copy of a formatted string (fmt's buffers rotate). */
#define LOCALF(var, ...)                                                                           \
    char var[1024];                                                                                \
    snprintf(var, sizeof var, __VA_ARGS__)
/* Percent-encodes s for a query string; caller frees. */
char *url_encode(const char *s);
