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
    json_t *json;     /* parsed body when it is JSON, else NULL */
    char *headers;    /* raw header block */
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

#endif
