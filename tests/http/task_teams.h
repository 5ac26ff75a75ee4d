/* Shared by the task_teams suite's files (task_teams_*.c): includes, types, macros and
 * helpers; the suite itself is in task_teams.c. */
#ifndef KOOP_TEST_TASK_TEAMS_H
#define KOOP_TEST_TASK_TEAMS_H

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

/* GET through Prism; the parsed body (new reference) when 200, else NULL. */
json_t *get_json(const char *tok, const char *path);

/* The string field of GET path (copied into a rotating buffer); "" when absent/null,
 * "(status N)" when the GET is not 200. */
const char *field_of(const char *tok, const char *path, const char *key);

/* Whether a list (all pages) visible to tok at path holds id. */
bool list_has(const char *tok, const char *path, const char *id);

size_t list_count(const char *tok, const char *path);

bool arr_has(const json_t *arr, const char *s);

/* The record as coordinator/admin sees it, to compare before/after a refused write. */
#define UNCHANGED(before, tok, path)                                                               \
    do {                                                                                           \
        char *after_ = record_of((path), (tok));                                                   \
        ck_assert_msg(after_ && (before) && !strcmp((before), after_),                             \
                      "line %d: a refused write changed %s:\n before %s\n after  %s", __LINE__,    \
                      (path), (before) ? (before) : "(null)", after_ ? after_ : "(null)");         \
        free(after_);                                                                              \
    } while (0)

/* ---- the world of one test: a tenant of its own (built by fixtures.h) ---- */

struct tt {
    char tenant[37], admin[80], admin_id[37];
    char coord[80], coord_id[37];
    char sw[80], sw_id[37];   /* the moderator */
    char sw2[80], sw2_id[37]; /* another social worker */
    char partner[37], partner2[37];
    char staff[80], staff_id[37];         /* staff of partner (the one on the team) */
    char staff2[80], staff2_id[37];       /* staff of partner2 (not on the team) */
    char svc[37], svc_full[37], svc2[37]; /* active: partner (3 of 5), partner (0 of 5), partner2 */
    char family[37], adult[37], child[37];
    char adult_pesel[12], child_pesel[12];
    char surname[64], rep_surname[64];
    char street[96];
};

/* The steps below are macros over the fixtures so that a failure names the test's line. */
#define make_service(t, partner, available, activate, out)                                         \
    FX_SERVICE((t)->admin, (partner), uniq("Wsparcie psychologiczne"), "psychological_support",    \
               (available), (activate), (out))

#define make_member(t, family, first, pesel, relation, out)                                        \
    FX_MEMBER((t)->coord, (family), (first), (t)->surname, NULL, (pesel), (relation), (out))

#define make_family(t, out)                                                                        \
    FX_FAMILY((t)->coord,                                                                          \
              json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "district", "Centrum", "address",         \
                        "street", (t)->street, "building", "7", "postal_code", "40-001", "city",   \
                        "Katowice"),                                                               \
              (out))

/* The adult's consent of scope (to partner, may be NULL), given by tok. */
#define consent(t, tok, scope, partner, out)                                                       \
    FX_CONSENT((tok), (t)->family, (t)->adult, (scope), (partner), NULL, "wspolpraca w ZZK", (out))

/* A team for the family, moderated by sw, as the coordinator. */
#define make_team(t, family, out) FX_TEAM((t)->coord, (family), (t)->sw_id, (out))

#define add_rep(t, team, partner, user, out)                                                       \
    FX_REP((t)->sw, (team), (partner), fmt("Jan %s", (t)->rep_surname), (user), (out))

#define make_goal(t, team, out)                                                                    \
    FX_GOAL((t)->sw, (team), "Cel: stabilizacja rodziny", "regularne wizyty", (out))

#define make_action(t, team, goal, svc, out)                                                       \
    FX_ACTION((t)->sw, (team), (goal), "Dzialanie: konsultacje", (t)->adult, (svc), (out))

/* Two partners with staff and three active services, a family (address,
 * adult head, child) and the staff roles. */
#define setup(t) tt_setup_at((t), __LINE__)

void tt_setup_at(struct tt *t, int line);

/* An active team: representative of partner (user staff), sharing_with_partner consent. */
#define active_team(t, team, consent_id)                                                           \
    do {                                                                                           \
        char rep_[37];                                                                             \
        make_team((t), (t)->family, (team));                                                       \
        add_rep((t), (team), (t)->partner, (t)->staff_id, rep_);                                   \
        consent((t), (t)->coord, "sharing_with_partner", (t)->partner, (consent_id));              \
        FX_TEAM_ACTIVE((t)->sw, (team));                                                           \
    } while (0)

/* The features (one TCase each), added to the suite in task_teams.c. */
TCase *tcase_task_teams_closed_loop(void);
TCase *tcase_task_teams_roles(void);
TCase *tcase_task_teams_teams(void);
TCase *tcase_task_teams_plans(void);
TCase *tcase_task_teams_referrals(void);
TCase *tcase_task_teams_closing(void);
TCase *tcase_task_teams_consent_coverage(void);
TCase *tcase_task_teams_audit(void);
TCase *tcase_task_teams_casework(void);

#endif
