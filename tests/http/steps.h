/* Steps the black-box suites share: create a record, move it through a
 * transition, read a status; each asserts with the caller's line. */
#ifndef KOOP_TEST_STEPS_H
#define KOOP_TEST_STEPS_H

#include "client.h"

#define EXPECT(r, st)                                                                              \
    ck_assert_msg((r)->status == (st), "%s:%d: want %d, got %ld: %s", __FILE__, __LINE__,          \
                  (int)(st), (r)->status, (r)->body)

/* POST doc (stolen) through Prism. */
struct resp *post_doc(const char *tok, const char *path, json_t *doc);

/* POST doc (stolen); asserts 201 and copies the new id into out (may be NULL). */
#define CREATE(tok, path, doc, out) create_at((tok), (path), (doc), (out), __LINE__)
void create_at(const char *tok, const char *path, json_t *doc, char out[37], int line);

/* POST {"to", "reason"?, "outcome"?} to a transitions path. */
struct resp *move_to(const char *tok, const char *path, const char *to, const char *reason,
                     const char *outcome);
/* The same with a "reason_code" (a referral declined, failed or cancelled); code may be NULL. */
struct resp *move_coded(const char *tok, const char *path, const char *to, const char *code,
                        const char *reason, const char *outcome);
/* The same, asserting 200. */
#define MOVED(tok, path, to, reason, outcome)                                                      \
    moved_at((tok), (path), (to), (reason), (outcome), __LINE__)
void moved_at(const char *tok, const char *path, const char *to, const char *reason,
              const char *outcome, int line);

/* The status of a GET through Prism. */
long get_status(const char *tok, const char *path);

/* A calendar date (UTC) days from now, in a rotating buffer: a UTC date is
 * never after today in Europe/Warsaw. */
const char *utc_date(int days);

#endif
