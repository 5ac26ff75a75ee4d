/* Shared by the services suite's files (services_*.c): includes, types, macros and
 * helpers; the suite itself is in services.c. */
#ifndef KOOP_TEST_SERVICES_H
#define KOOP_TEST_SERVICES_H

#include "client.h"
#include "fixtures.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

/* ---- helpers ----------------------------------------------------------------------------------
 */

#define MAXIDS 64

struct ids {
    int n;
    char id[MAXIDS][37];
};

const char *prism_url(void);

/* Percent-encodes s for a query string (rotating buffers). */
const char *svc_enc(const char *s);

/* A partner with this name, short name (may be NULL) and sector; id in out. */
void mk_partner(const char *tok, const char *name, const char *short_name, const char *sector,
                char out[37]);

/* A minimal service document (new reference). */
json_t *svc_doc(const char *partner_id, const char *name, const char *category);

/* POST /v1/services through Prism; asserts 201; id in out (may be NULL). Steals doc. */
void create_svc(const char *tok, json_t *doc, char out[37]);

/* GET /v1/services/{id} (direct): the parsed record (new reference) or NULL. */
json_t *get_svc(const char *tok, const char *id);

char *svc_text(const char *id);

/* Asserts the service's stored text is exactly before (a rejected write changed nothing). */
void unchanged(const char *tok, const char *id, const char *before, int line);

#define ck_unchanged(tok, id, before) unchanged((tok), (id), (before), __LINE__)

void transition_ok(const char *tok, const char *id, const char *to);

/* Every service id of a list query (all pages, direct). */
void svc_list_all(const char *tok, const char *query, struct ids *out);

bool svc_has_id(const struct ids *s, const char *id);

/* The list (one page through Prism) for query is exactly the n ids given, in any order. */
void expect_set(const char *tok, const char *query, int n, ...);

/* POST /v1/services/import with a CSV body. */
struct resp *import_csv(const char *base, const char *tok, const char *csv, size_t len,
                        const char *content_type);

/* The errors[] item with this row, field and code (code may be NULL). */
const json_t *row_err(const struct resp *r, long long row, const char *field, const char *code);

#define ck_row_err(r, row, field, code)                                                            \
    ck_assert_msg(row_err((r), (row), (field), (code)), "no error row %d %s/%s in %s", (row),      \
                  (field), (code) ? (code) : "*", (r)->body)

/* A fresh tenant with its admin token: lists, search and exports see only this test's data. */
struct tenant {
    char id[37], admin[80], admin_id[37];
};

void new_tenant(struct tenant *t);

/* The features (one TCase each), added to the suite in services.c. */
TCase *tcase_services_crud(void);
TCase *tcase_services_transitions(void);
TCase *tcase_services_tenants(void);
TCase *tcase_services_lists(void);
TCase *tcase_services_capacity(void);
TCase *tcase_services_hsds(void);
TCase *tcase_services_import(void);

#endif
