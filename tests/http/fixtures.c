/* The worlds of the HTTP tests (see fixtures.h). */
#include "fixtures.h"
#include "pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* paths are built from 36-character ids into 1 KiB buffers */
#pragma GCC diagnostic ignored "-Wformat-truncation"

void fx_tenant_at(struct fx_tenant *t, unsigned roles, int line)
{
    memset(t, 0, sizeof *t);
    fresh_tenant(t->id, t->admin, t->admin_id);
    ck_assert_msg(t->admin[0], "line %d: no admin token for the fresh tenant", line);
    if (roles & FX_COORD)
        make_user(t->admin, "coordinator", NULL, t->coord, t->coord_id);
    if (roles & FX_SW)
        make_user(t->admin, "social_worker", NULL, t->sw, t->sw_id);
    if (roles & FX_SW2)
        make_user(t->admin, "social_worker", NULL, t->sw2, t->sw2_id);
    if (roles & FX_AUDITOR)
        make_user(t->admin, "auditor", NULL, t->auditor, t->auditor_id);
}

void fx_partner_at(const char *tok, const char *name, const char *sector, const char *signed_on,
                   char out[37], int line)
{
    json_t *doc =
        json_pack("{s:s, s:s}", "name", name, "sector", sector ? sector : "social_assistance");
    if (signed_on)
        json_object_set_new(doc, "declaration", json_pack("{s:s}", "signed_on", signed_on));
    create_at(tok, "/v1/partners", doc, out, line);
}

void fx_staff_at(const char *admin, const char *partner, char tok[80], char id[37], int line)
{
    ck_assert_msg(partner && partner[0], "line %d: partner staff without a partner", line);
    make_user(admin, "partner_staff", partner, tok, id);
}

void fx_service_at(const char *tok, const char *partner, const char *name, const char *category,
                   int available, bool active, char out[37], int line)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "partner_id", partner, "name",
                            name ? name : uniq("Usługa koszyka"), "category",
                            category ? category : "psychological_support");
    if (available >= 0)
        json_object_set_new(
            doc, "capacity",
            json_pack("{s:i, s:i, s:s}", "available", available, "maximum", 5, "unit", "miejsca"));
    create_at(tok, "/v1/services", doc, out, line);
    if (active)
        moved_at(tok, fmt("/v1/services/%s/transitions", out), "active", NULL, NULL, line);
}

void fx_family_at(const char *tok, json_t *doc, char out[37], int line)
{
    create_at(tok, "/v1/families", doc ? doc : json_pack("{s:s}", "district", "Centrum"), out,
              line);
}

void fx_member_at(const char *tok, const char *family, const char *first, const char *last,
                  const char *birth, const char *pesel, const char *relation, char out[37],
                  int line)
{
    json_t *doc =
        json_pack("{s:s, s:s, s:s}", "first_name", first, "last_name", last, "relation", relation);
    if (birth)
        json_object_set_new(doc, "birth_date", json_string(birth));
    if (pesel)
        json_object_set_new(doc, "pesel", json_string(pesel));
    create_at(tok, fmt("/v1/families/%s/members", family), doc, out, line);
}

void fx_consent_at(const char *tok, const char *family, const char *member, const char *scope,
                   const char *partner, const char *given_on, const char *purpose, char out[37],
                   int line)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "member_id", member, "scope", scope, "given_on",
                            given_on ? given_on : utc_date(-1));
    if (partner)
        json_object_set_new(doc, "partner_id", json_string(partner));
    if (purpose)
        json_object_set_new(doc, "purpose", json_string(purpose));
    create_at(tok, fmt("/v1/families/%s/consents", family), doc, out, line);
}

void fx_surname(const char *stem, char tag, char out[64])
{
    static int n;
    snprintf(out, 64, "%s%d%c%d", stem, (int)getpid(), tag,
             __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
    note_pii(out);
}

void fx_family_world_at(const char *tok, const char *partner, struct fx_family *f, int line)
{
    memset(f, 0, sizeof *f);
    fx_surname("Rodzinna", 'f', f->surname);
    make_pesel(1981, 3, 14, 1, f->head_pesel);
    make_pesel(1979, 11, 2, 0, f->spouse_pesel);
    make_pesel(2016, 6, 2, 0, f->child_pesel);
    fx_family_at(tok, NULL, f->id, line);
    fx_member_at(tok, f->id, "Anna", f->surname, "1981-03-14", f->head_pesel, "head", f->head,
                 line);
    fx_member_at(tok, f->id, "Piotr", f->surname, "1979-11-02", f->spouse_pesel, "spouse",
                 f->spouse, line);
    fx_member_at(tok, f->id, "Kuba", f->surname, "2016-06-02", f->child_pesel, "child", f->child,
                 line);
    if (partner)
        fx_consent_at(tok, f->id, f->head, "sharing_with_partner", partner, NULL,
                      "współpraca w ZZK", f->consent, line);
    else
        fx_consent_at(tok, f->id, f->head, "processing", NULL, NULL, NULL, f->consent, line);
}

void fx_team_at(const char *tok, const char *family, const char *moderator_id, char out[37],
                int line)
{
    json_t *doc = json_pack("{s:s, s:s}", "family_id", family, "name", uniq("ZZK"));
    if (moderator_id)
        json_object_set_new(doc, "moderator_id", json_string(moderator_id));
    create_at(tok, "/v1/task-teams", doc, out, line);
}

void fx_rep_at(const char *tok, const char *team, const char *partner, const char *person_name,
               const char *user_id, char out[37], int line)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "kind", "partner_representative", "partner_id",
                            partner, "person_name", person_name);
    if (user_id)
        json_object_set_new(doc, "user_id", json_string(user_id));
    create_at(tok, fmt("/v1/task-teams/%s/members", team), doc, out, line);
}

void fx_team_active_at(const char *tok, const char *team, int line)
{
    moved_at(tok, fmt("/v1/task-teams/%s/transitions", team), "active", NULL, NULL, line);
}

void fx_goal_at(const char *tok, const char *team, const char *description, const char *measure,
                char out[37], int line)
{
    json_t *doc = json_pack("{s:s}", "description", description);
    if (measure)
        json_object_set_new(doc, "measure", json_string(measure));
    create_at(tok, fmt("/v1/task-teams/%s/goals", team), doc, out, line);
}

void fx_action_at(const char *tok, const char *team, const char *goal, const char *description,
                  const char *member, const char *service, char out[37], int line)
{
    json_t *doc = json_pack("{s:s, s:s}", "goal_id", goal, "description", description);
    if (member)
        json_object_set_new(doc, "member_ids", json_pack("[s]", member));
    if (service)
        json_object_set_new(doc, "service_id", json_string(service));
    create_at(tok, fmt("/v1/task-teams/%s/actions", team), doc, out, line);
}

void fx_referral_to_at(const char *moderator, const char *staff, const char *team,
                       const char *action, const char *state, const char *outcome, int line)
{
    static const char *const path[] = {"referred", "accepted", "in_progress", "completed"};
    /* the state before each side state */
    static const struct {
        const char *state, *from, *reason, *code;
    } side[] = {{"declined", "referred", "brak miejsc", "no_capacity"},
                {"on_hold", "in_progress", "przerwa w zajęciach", NULL},
                {"failed", "in_progress", "przerwane", "unable_to_contact"},
                {"cancelled", "referred", "rodzina zrezygnowała", "client_refused"}};
    const char *last = state, *reason = NULL, *code = NULL;
    for (size_t i = 0; i < sizeof side / sizeof *side; i++) {
        if (!strcmp(state, side[i].state)) {
            last = side[i].from;
            reason = side[i].reason;
            code = side[i].code;
        }
    }
    char ap[256], rt[256];
    snprintf(ap, sizeof ap, "/v1/task-teams/%s/actions/%s/transitions", team, action);
    snprintf(rt, sizeof rt, "/v1/referrals/%s/transitions", action);
    bool known = false;
    for (size_t i = 0; i < sizeof path / sizeof *path; i++) {
        const char *to = path[i];
        if (i == 0)
            moved_at(moderator, ap, to, NULL, NULL, line);
        else
            moved_at(staff, rt, to, NULL,
                     !strcmp(to, "completed") ? (outcome ? outcome : "Wsparcie udzielone") : NULL,
                     line);
        if (!strcmp(to, last)) {
            known = true;
            break;
        }
    }
    ck_assert_msg(known, "line %d: no referral path to %s", line, state);
    if (reason) {
        struct resp *r =
            move_coded(strcmp(state, "cancelled") ? staff : moderator,
                       strcmp(state, "cancelled") ? rt : ap, state, code, reason, NULL);
        ck_assert_msg(r->status == 200, "line %d: -> %s: %ld %s", line, state, r->status, r->body);
        resp_free(r);
    }
}

void check_refusals_at(const struct refusal *rows, const char *file, int line)
{
    for (const struct refusal *row = rows; row->who; row++) {
        struct resp *r = api_if(row->method, row->path, row->token, row->body, row->if_match);
        ck_assert_msg(r->status == row->status, "%s:%d: %s %s as %s: want %ld, got %ld: %s", file,
                      line, row->method, row->path, row->who, row->status, r->status, r->body);
        check_problem(r, row->status, row->code, file, line);
        resp_free(r);
    }
}
