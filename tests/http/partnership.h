/* Shared by the partnership suite's files (partnership_*.c): includes, types, macros and
 * helpers; the suite itself is in partnership.c. */
#ifndef KOOP_TEST_PARTNERSHIP_H
#define KOOP_TEST_PARTNERSHIP_H

#include "client.h"
#include "steps.h"
#include "fixtures.h"
#include "pii.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

/* paths are built from 36-character ids into 1 KiB buffers (LOCALF) */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ---- small helpers ---- */

/* A unique surname, noted as personal data. */
#define make_surname(stem, out) fx_surname((stem), 'w', (out))

/* The ids of a list's items (one page, limit 200) as a sorted, comma-joined string. */
int cmp_str(const void *a, const void *b);

char *sorted_ids(const char **ids, size_t n);

char *list_ids(const char *tok, const char *path);

/* Asserts the list at path holds exactly the ids given (NULL-terminated). */
#define LIST_IS(tok, path, ...)                                                                    \
    list_is_at((tok), (path), __LINE__, (const char *[]){__VA_ARGS__, NULL})

void list_is_at(const char *tok, const char *path, int line, const char **want);

/* The record as the reader sees it, to compare before/after a refused write. */
#define UNCHANGED(before, tok, path)                                                               \
    do {                                                                                           \
        char *after_ = record_of((path), (tok));                                                   \
        ck_assert_msg(after_ && (before) && !strcmp((before), after_),                             \
                      "line %d: a refused write changed %s:\n before %s\n after  %s", __LINE__,    \
                      (path), (before) ? (before) : "(null)", after_ ? after_ : "(null)");         \
        free(after_);                                                                              \
    } while (0)

/* ---- the world of one test: a tenant of its own ---- */

struct pw {
    char tenant[37], admin[80], admin_id[37];
    char coord[80], sw[80], sw_id[37], staff[80], staff_id[37], auditor[80];
    char p1[37], p2[37];
};

#define create_partner(tok, name, sector, signed_on, out)                                          \
    FX_PARTNER((tok), (name), (sector), (signed_on), (out))

/* Two partners (MOPS, PUP), the staff roles and a partner_staff of the first. */
#define setup(p) pw_setup_at((p), __LINE__)

void pw_setup_at(struct pw *p, int line);

/* ---- families, teams and referrals for links, indicators and reports ---- */

/* The steps below are macros over the fixtures so that a failure names the test's line. */
#define make_family(tok, district, problems, out)                                                  \
    do {                                                                                           \
        json_t *doc_ = json_pack("{s:s}", "district", (district));                                 \
        json_t *problems_ = (problems);                                                            \
        if (problems_)                                                                             \
            json_object_set_new(doc_, "problems", problems_);                                      \
        FX_FAMILY((tok), doc_, (out));                                                             \
    } while (0)

/* An adult member (surname noted as PII; PESEL when pesel is not NULL). */
#define make_adult(tok, family, surname, pesel, out)                                               \
    FX_MEMBER((tok), (family), "Anna", (surname), "1981-03-14", (pesel), "head", (out))

#define make_service(tok, partner, category, available, activate, out)                             \
    FX_SERVICE((tok), (partner), uniq("Usługa koszyka"), (category), (available), (activate), (out))

/* A team for family moderated by moderator_id (created by tok). */
#define make_team(tok, family, moderator_id, out) FX_TEAM((tok), (family), (moderator_id), (out))

/* Makes team active: a representative of partner (user staff_id), and the
 * adult's consent to share with partner. */
#define activate_team(sw, team, family, adult, partner, staff_id, rep_surname)                     \
    do {                                                                                           \
        FX_REP((sw), (team), (partner), fmt("Jan %s", (rep_surname)), (staff_id), NULL);           \
        FX_CONSENT((sw), (family), (adult), "sharing_with_partner", (partner), NULL,               \
                   "współpraca w ZZK", NULL);                                                      \
        FX_TEAM_ACTIVE((sw), (team));                                                              \
    } while (0)

#define make_goal(sw, team, out)                                                                   \
    FX_GOAL((sw), (team), "Cel: aktywizacja zawodowa", "zatrudnienie", (out))

#define make_action(sw, team, goal, svc, out)                                                      \
    FX_ACTION((sw), (team), (goal), "Działanie: wsparcie", NULL, (svc), (out))

/* referred -> accepted -> in_progress -> completed (moderator sw, partner staff). */
#define complete_referral(sw, staff, team, action)                                                 \
    FX_REFERRAL_TO((sw), (staff), (team), (action), "completed", "Szkolenie ukończone")

#define ACTUAL(doc, name, want)                                                                    \
    do {                                                                                           \
        const json_t *i_ = indicator((doc), (name));                                               \
        ck_assert_msg(i_, "line %d: no indicator %s", __LINE__, (name));                           \
        const json_t *a_ = json_object_get(i_, "actual");                                          \
        char *d_ = jdump(doc);                                                                     \
        if ((want) < 0)                                                                            \
            ck_assert_msg(json_is_null(a_), "line %d: %s actual should be null: %s", __LINE__,     \
                          (name), d_);                                                             \
        else                                                                                       \
            ck_assert_msg(json_is_integer(a_) && json_integer_value(a_) == (want),                 \
                          "line %d: %s actual should be %d: %s", __LINE__, (name), (int)(want),    \
                          d_);                                                                     \
        free(d_);                                                                                  \
    } while (0)

/* ---- reports ---- */

struct rw {
    struct pw p;
    char tname[128];
    char p1name[160], p3name[160];
    char p3[37], s1[37];
    char f[5][37];
    char surname[64], pesel[12], street[96];
    char from[16], to[16];
};

/* want: "<3", a decimal count, or NULL for "no such row" */
#define CELL(doc, tenant, dim, key, want) cell_at((doc), (tenant), (dim), (key), (want), __LINE__)

/* The features (one TCase each), added to the suite in partnership.c. */
TCase *tcase_partnership_meetings(void);
TCase *tcase_partnership_projects(void);
TCase *tcase_partnership_project_families(void);
TCase *tcase_partnership_reports(void);
TCase *tcase_partnership_reports_fast(void);

/* Asserts that no hidden count of a report can be worked out by one subtraction
 * (partnership.c). */
void no_cell_derivable(const json_t *doc);

#endif
