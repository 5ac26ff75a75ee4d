/* The worlds the HTTP tests build, each through the API and each in a
 * tenant of the test's own: a tenant with its staff, partners with their
 * staff, services, a family with members and consents, a task team with a
 * moderator and a partner representative, a plan (goal, action) and a
 * referral moved to a given state.
 *
 * Every builder asserts its own requests and reports the caller's line (the
 * FX_* macros pass __LINE__), so a failing setup points at the test that
 * asked for it. The bodies are the tests' own: where a test cares about a
 * field (a description, a purpose, a birth date) it passes it; NULL takes
 * the builder's default. */
#ifndef KOOP_TEST_FIXTURES_H
#define KOOP_TEST_FIXTURES_H

#include "client.h"
#include "steps.h"

#include <stdbool.h>

/* ---- a tenant of its own ---- */

/* The staff roles fx_tenant makes besides the admin (always made). */
enum {
    FX_COORD = 1,   /* coordinator */
    FX_SW = 2,      /* social worker (a team's moderator) */
    FX_SW2 = 4,     /* another social worker */
    FX_AUDITOR = 8, /* auditor */
};

struct fx_tenant {
    char id[37], admin[80], admin_id[37];
    char coord[80], coord_id[37];
    char sw[80], sw_id[37];
    char sw2[80], sw2_id[37];
    char auditor[80], auditor_id[37];
};

/* A fresh tenant (fresh_tenant) with its admin, then the roles asked for, in
 * the order coordinator, social worker, second social worker, auditor. */
#define FX_TENANT(t, roles) fx_tenant_at((t), (roles), __LINE__)
void fx_tenant_at(struct fx_tenant *t, unsigned roles, int line);

/* ---- partners, their staff, services ---- */

/* POST /v1/partners {name, sector[, declaration.signed_on]} through Prism;
 * sector NULL is "social_assistance". */
#define FX_PARTNER(tok, name, sector, signed_on, out)                                              \
    fx_partner_at((tok), (name), (sector), (signed_on), (out), __LINE__)
void fx_partner_at(const char *tok, const char *name, const char *sector, const char *signed_on,
                   char out[37], int line);

/* A partner_staff user of partner and its token (id may be NULL). */
#define FX_STAFF(admin, partner, tok, id) fx_staff_at((admin), (partner), (tok), (id), __LINE__)
void fx_staff_at(const char *admin, const char *partner, char tok[80], char id[37], int line);

/* A service of partner: name NULL is a unique "Usługa koszyka ...", category
 * NULL is "psychological_support"; available >= 0 adds a capacity of
 * {available, maximum 5, "miejsca"}; active moves it to active. */
#define FX_SERVICE(tok, partner, name, category, available, active, out)                           \
    fx_service_at((tok), (partner), (name), (category), (available), (active), (out), __LINE__)
void fx_service_at(const char *tok, const char *partner, const char *name, const char *category,
                   int available, bool active, char out[37], int line);

/* ---- families ---- */

/* POST /v1/families with doc (stolen); doc NULL is {"district": "Centrum"}. */
#define FX_FAMILY(tok, doc, out) fx_family_at((tok), (doc), (out), __LINE__)
void fx_family_at(const char *tok, json_t *doc, char out[37], int line);

/* A member {first_name, last_name, relation[, birth_date][, pesel]}; birth
 * and pesel may be NULL. */
#define FX_MEMBER(tok, family, first, last, birth, pesel, relation, out)                           \
    fx_member_at((tok), (family), (first), (last), (birth), (pesel), (relation), (out), __LINE__)
void fx_member_at(const char *tok, const char *family, const char *first, const char *last,
                  const char *birth, const char *pesel, const char *relation, char out[37],
                  int line);

/* A consent {member_id, scope, given_on[, partner_id][, purpose]}; given_on
 * NULL is yesterday (UTC); partner and purpose may be NULL; out may be NULL. */
#define FX_CONSENT(tok, family, member, scope, partner, given_on, purpose, out)                    \
    fx_consent_at((tok), (family), (member), (scope), (partner), (given_on), (purpose), (out),     \
                  __LINE__)
void fx_consent_at(const char *tok, const char *family, const char *member, const char *scope,
                   const char *partner, const char *given_on, const char *purpose, char out[37],
                   int line);

/* A whole family: in district Centrum, one surname (unique, noted as
 * personal data) for an adult head (born 1981-03-14, PESEL), a spouse (born
 * 1979-11-02, PESEL) and a child (born 2016-06-02, PESEL); and, when partner
 * is not NULL, the head's consent to share with partner (else a processing
 * consent). */
struct fx_family {
    char id[37], head[37], spouse[37], child[37], consent[37];
    char surname[64], head_pesel[12], spouse_pesel[12], child_pesel[12];
};
#define FX_FAMILY_WORLD(tok, partner, f) fx_family_world_at((tok), (partner), (f), __LINE__)
void fx_family_world_at(const char *tok, const char *partner, struct fx_family *f, int line);

/* A unique surname from stem (stem + pid + tag + counter), noted as personal data. */
void fx_surname(const char *stem, char tag, char out[64]);

/* ---- task teams and plans ---- */

/* A team for family (name unique "ZZK ..."), moderator_id may be NULL. */
#define FX_TEAM(tok, family, moderator_id, out)                                                    \
    fx_team_at((tok), (family), (moderator_id), (out), __LINE__)
void fx_team_at(const char *tok, const char *family, const char *moderator_id, char out[37],
                int line);

/* A partner representative on team; user_id and out may be NULL. */
#define FX_REP(tok, team, partner, person_name, user_id, out)                                      \
    fx_rep_at((tok), (team), (partner), (person_name), (user_id), (out), __LINE__)
void fx_rep_at(const char *tok, const char *team, const char *partner, const char *person_name,
               const char *user_id, char out[37], int line);

/* Moves team to active (as its moderator tok). */
#define FX_TEAM_ACTIVE(tok, team) fx_team_active_at((tok), (team), __LINE__)
void fx_team_active_at(const char *tok, const char *team, int line);

/* A goal {description, measure}; measure may be NULL. */
#define FX_GOAL(tok, team, description, measure, out)                                              \
    fx_goal_at((tok), (team), (description), (measure), (out), __LINE__)
void fx_goal_at(const char *tok, const char *team, const char *description, const char *measure,
                char out[37], int line);

/* An action {goal_id, description[, member_ids: [member]][, service_id]};
 * member and service may be NULL. */
#define FX_ACTION(tok, team, goal, description, member, service, out)                              \
    fx_action_at((tok), (team), (goal), (description), (member), (service), (out), __LINE__)
void fx_action_at(const char *tok, const char *team, const char *goal, const char *description,
                  const char *member, const char *service, char out[37], int line);

/* Moves an action with a service, planned, along the referral's path to
 * state: the moderator refers it (referred), the partner's staff accepts
 * (accepted), starts (in_progress) and completes it with outcome
 * (completed; outcome NULL is "Wsparcie udzielone"); "on_hold", "declined"
 * and "failed" are reached from the state before them with a reason, and
 * "cancelled" by the moderator from referred. */
#define FX_REFERRAL_TO(moderator, staff, team, action, state, outcome)                             \
    fx_referral_to_at((moderator), (staff), (team), (action), (state), (outcome), __LINE__)
void fx_referral_to_at(const char *moderator, const char *staff, const char *team,
                       const char *action, const char *state, const char *outcome, int line);

/* ---- refusals, table-driven ---- */

/* One request and the answer it must get: a problem+json of status and
 * type /problems/<code> (see ck_problem). who names the row in messages;
 * token NULL sends none; body and if_match may be NULL. */
struct refusal {
    const char *who, *token, *method, *path, *body, *if_match;
    long status;
    const char *code;
};
/* Sends every row of an array ended by a row with who NULL ({NULL}), through
 * Prism (a refusal is part of the contract), and asserts each answer,
 * reporting the caller's line and the row's method, path and who. Example:
 *     const struct refusal rows[] = {
 *         {"auditor", t.auditor, "POST", "/v1/meetings", body, NULL, 403, "forbidden"},
 *         {"no token", NULL, "GET", "/v1/meetings", NULL, NULL, 401, "unauthorized"},
 *         {NULL}};
 *     CHECK_REFUSALS(rows); */
#define CHECK_REFUSALS(rows) check_refusals_at((rows), __FILE__, __LINE__)
void check_refusals_at(const struct refusal *rows, const char *file, int line);

#endif
