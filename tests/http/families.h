/* Shared by the families suite's files (families_*.c): includes, types, macros and
 * helpers; the suite itself is in families.c. */
#ifndef KOOP_TEST_FAMILIES_H
#define KOOP_TEST_FAMILIES_H

#include "client.h"
#include "fixtures.h"
#include "pii.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

/* ---- personal data the tests send ------------------------------------------------------------ */

extern char *needles[512];

extern int nneedles;

void pii(const char *s);

const char *pii_in(const char *body);

/* A unique surname: stem plus a lower-case letter suffix; noted as PII. */
const char *surname(const char *stem);

/* A valid PESEL (make_pesel), also remembered as a needle. */
const char *pesel(int y, int m, int d, int female);

/* ---- requests ----------------------------------------------------------------------------------
 */

struct opt {
    const char *if_match, *idem, *rid;
};

struct resp *call(bool prism, const char *m, const char *path, const char *tok, const char *body,
                  struct opt o, int line);

#define A(m, p, t, b) call(true, (m), (p), (t), (b), (struct opt){0}, __LINE__)

#define AI(m, p, t, b, im) call(true, (m), (p), (t), (b), (struct opt){.if_match = (im)}, __LINE__)

#define AK(m, p, t, b, k) call(true, (m), (p), (t), (b), (struct opt){.idem = (k)}, __LINE__)

#define AR(m, p, t, b, id_) call(true, (m), (p), (t), (b), (struct opt){.rid = (id_)}, __LINE__)

#define D(m, p, t, b) call(false, (m), (p), (t), (b), (struct opt){0}, __LINE__)

#define DI(m, p, t, b, im) call(false, (m), (p), (t), (b), (struct opt){.if_match = (im)}, __LINE__)

#define ck_status(r, want)                                                                         \
    ck_assert_msg((r)->status == (want), "line %d: want %d, got %ld: %s", __LINE__, (int)(want),   \
                  (r)->status, (r)->body)

/* Compact JSON text of o (decref'd) in a rotating per-thread buffer. */
const char *js(json_t *o);

/* Percent-encoded (rotating buffer). */
const char *enc(const char *s);

/* ---- dates -------------------------------------------------------------------------------------
 */

struct tm warsaw_now(void);

const char *today(void);

int this_year(void);

/* ---- records -----------------------------------------------------------------------------------
 */

/* POST /v1/families (through Prism): asserts 201; id in out; returns the record (new ref). */
json_t *family_new(const char *tok, const char *body, char out[37]);

json_t *member_doc(const char *first, const char *last, const char *birth, const char *pes,
                   const char *relation);

json_t *member_new(const char *tok, const char *fam, const char *first, const char *last,
                   const char *birth, const char *pes, const char *relation, char out[37]);

json_t *consent_doc(const char *member, const char *scope, const char *partner, const char *given,
                    const char *until);

json_t *consent_new(const char *tok, const char *fam, const char *member, const char *scope,
                    const char *partner, const char *given, const char *until, char out[37]);

/* Every item of a list (following next_cursor), straight to the daemon. */
json_t *list_all(const char *tok, const char *path);

bool has_id(const json_t *items, const char *id);

/* The list at path as tok holds exactly the n ids given. */
void list_is(const char *tok, const char *path, int line, int n, ...);

#define LIST_IS(tok, path, ...) list_is((tok), (path), __LINE__, __VA_ARGS__)

char *fam_text(const char *tok, const char *id);

void same_text(const char *before, char *now, const char *what, int line);

#define FAM_UNCHANGED(tok, id, before)                                                             \
    same_text((before), fam_text((tok), (id)), "family", __LINE__)

char *list_text(const char *tok, const char *path);

#define LIST_UNCHANGED(tok, path, before)                                                          \
    same_text((before), list_text((tok), (path)), (path), __LINE__)

/* ---- audit -------------------------------------------------------------------------------------
 */

json_t *audit_rows(const char *tok, const char *query);

/* The first (newest) row matching; resource_id NULL means "must be null",
 * "*" any; status 0 any; actor NULL any. */
const json_t *audit_find(const json_t *rows, const char *action, const char *resource,
                         const char *resource_id, long status, const char *actor,
                         const char *request_id);

const char *nz(const char *s, const char *dflt);

#define AUDIT_HAS(rows, action, resource, rid, status, actor)                                      \
    ck_assert_msg(audit_find((rows), (action), (resource), (rid), (status), (actor), NULL),        \
                  "line %d: no audit row %s %s %s %d by %s", __LINE__, (action), (resource),       \
                  nz((rid), "null"), (int)(status), nz((actor), "*"))

struct resp *transition(const char *tok, const char *id, const char *to, const char *reason,
                        const char *if_match, int line);

#define TRANS(tok, id, to, reason) transition((tok), (id), (to), (reason), NULL, __LINE__)

#define TRANS_OK(tok, id, to, reason) trans_ok((tok), (id), (to), (reason), __LINE__)

/* ======================================================================================== 2 ====
 */

struct par_create {
    const char *tok;
    long status;
    char ref[32];
};

struct par_member {
    const char *tok, *fam, *body;
    pthread_barrier_t *bar;
    long status;
};

/* ======================================================================================== 5 ====
 */

enum route {
    R_LIST,
    R_GET,
    R_PATCH,
    R_TRANS,
    R_MLIST,
    R_MGET,
    R_MCREATE,
    R_CLIST,
    R_CGET,
    R_CCREATE,
    R_CWITHDRAW,
    R_EXPORT,
    R_ANON,
    R_N
};

struct fam_ctx {
    const char *admin; /* to read versions */
    char fam[37], member[37], consent[37];
};

/* The features (one TCase each), added to the suite in families.c. */
TCase *tcase_families_records(void);
TCase *tcase_families_states(void);
TCase *tcase_families_members(void);
TCase *tcase_families_consents(void);
TCase *tcase_families_visibility(void);
TCase *tcase_families_audit(void);
TCase *tcase_families_gdpr(void);
TCase *tcase_families_traces(void);
TCase *tcase_families_pesel(void);
TCase *tcase_families_idempotency(void);
TCase *tcase_families_retention(void);

#endif
