/* Scoped integration tokens (issue 13, point 2): minting with scopes (API and
 * CLI), what a scoped token may do (the scope of each route in the table),
 * 403 insufficient_scope with its RFC 6750 challenge, recorded in the audit
 * log; scopes never widen a role; a token without scopes is unchanged; the
 * token cache keeps each token's own scopes. Each test has a tenant of its
 * own, so its audit log holds only what it did. */
#include "auth.h"
#include "fixtures.h"

#include <sys/wait.h>

/* POST /v1/users/{user}/tokens as tok with body; the new token's secret in
 * out (and its id in id, when not NULL). Asserts 201. */
static void mint_at(const char *tok, const char *user, const char *body, char out[80], char id[37],
                    int line)
{
    struct resp *r = api("POST", fmt("/v1/users/%s/tokens", user), tok, body);
    ck_assert_msg(r->status == 201, "line %d: mint %s: %ld %s", line, body, r->status, r->body);
    snprintf(out, 80, "%s", jstr(r->json, "token"));
    if (id)
        snprintf(id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}
#define MINT(tok, user, body, out, id) mint_at((tok), (user), (body), (out), (id), __LINE__)

/* Asserts r is 403 insufficient_scope naming scope in its challenge. */
static void check_scope_refusal(struct resp *r, const char *scope, int line)
{
    ck_assert_msg(r->status == 403, "line %d: want 403, got %ld %s", line, r->status, r->body);
    check_problem(r, 403, "insufficient_scope", __FILE__, line);
    const char *h = resp_header(r, "WWW-Authenticate");
    ck_assert_msg(h != NULL, "line %d: no WWW-Authenticate", line);
    char want[160];
    snprintf(want, sizeof want, "scope=\"%s\"", scope);
    ck_assert_msg(!strncmp(h, "Bearer ", 7) && strstr(h, "error=\"insufficient_scope\"") &&
                      strstr(h, want),
                  "line %d: challenge %s lacks %s", line, h, want);
    ck_assert_msg(strstr(jstr(r->json, "detail"), scope), "line %d: detail %s", line, r->body);
}
#define CK_SCOPE_REFUSAL(r, scope) check_scope_refusal((r), (scope), __LINE__)

/* The audit rows of the tenant (newest first), as its admin sees them. */
static json_t *audit_of(const char *admin, const char *query)
{
    struct resp *r = api("GET", fmt("/v1/audit-events?limit=100%s", query), admin, NULL);
    ck_assert_msg(r->status == 200, "audit-events: %ld %s", r->status, r->body);
    json_t *items = json_incref(json_object_get(r->json, "items"));
    resp_free(r);
    return items;
}

/* How many audit rows are refusals for want of scope, by token, with this
 * action and resource (and resource_id when not NULL). */
static int scope_rows(const char *admin, const char *token_id, const char *action,
                      const char *resource, const char *rid, const char *scope)
{
    json_t *items = audit_of(admin, "");
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(items, i, e)
    {
        const char *sc = jstr(e, "scope");
        if (jint(e, "status") == 403 && sc && !strcmp(sc, scope) &&
            !strcmp(jstr(e, "action"), action) && !strcmp(jstr(e, "resource"), resource) &&
            jstr(e, "token_id") && !strcmp(jstr(e, "token_id"), token_id) &&
            (!rid || (jstr(e, "resource_id") && !strcmp(jstr(e, "resource_id"), rid))))
            n++;
    }
    json_decref(items);
    return n;
}

static int tokens_of(const char *admin, const char *user)
{
    struct resp *r = api("GET", fmt("/v1/users/%s/tokens?limit=100", user), admin, NULL);
    ck_assert_msg(r->status == 200, "tokens: %ld %s", r->status, r->body);
    int n = (int)json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

/* The scopes of /v1/me as compact text ("null" for none). */
static char *me_scopes(const char *tok)
{
    struct resp *r = api("GET", "/v1/me", tok, NULL);
    ck_assert_msg(r->status == 200, "me: %ld %s", r->status, r->body);
    char *s = json_dumps(json_object_get(r->json, "scopes"), JSON_COMPACT | JSON_ENCODE_ANY);
    resp_free(r);
    return s;
}

static void ck_me_scopes(const char *tok, const char *want, int line)
{
    char *s = me_scopes(tok);
    ck_assert_msg(!strcmp(s, want), "line %d: /v1/me scopes %s, want %s", line, s, want);
    free(s);
}
#define CK_ME_SCOPES(tok, want) ck_me_scopes((tok), (want), __LINE__)

START_TEST(minting_with_scopes_and_unknown_ones)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    /* stored and echoed in the vocabulary's order */
    struct resp *r = api("POST", fmt("/v1/users/%s/tokens", admin_id), admin,
                         "{\"name\":\"integracja\",\"scopes\":[\"services:read\",\"read\"]}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char *s = jdump(json_object_get(r->json, "scopes"));
    ck_assert_str_eq(s, "[\"read\",\"services:read\"]");
    free(s);
    char scoped[80], scoped_id[37];
    snprintf(scoped, sizeof scoped, "%s", jstr(r->json, "token"));
    snprintf(scoped_id, sizeof scoped_id, "%s", jstr(r->json, "id"));
    resp_free(r);
    /* GET lists them; the admin's first token has none */
    r = api("GET", fmt("/v1/users/%s/tokens", admin_id), admin, NULL);
    ck_assert_int_eq(r->status, 200);
    int seen = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r->json, "items"), i, t)
    {
        const json_t *sc = json_object_get(t, "scopes");
        if (!strcmp(jstr(t, "id"), scoped_id)) {
            ck_assert_int_eq(json_array_size(sc), 2);
            seen++;
        } else {
            ck_assert_msg(json_is_null(sc), "a token without scopes: %s", r->body);
        }
    }
    ck_assert_int_eq(seen, 1);
    resp_free(r);
    CK_ME_SCOPES(scoped, "[\"read\",\"services:read\"]");
    CK_ME_SCOPES(admin, "null");

    /* a bad scopes array: 422 naming what is wrong, and nothing created */
    int before = tokens_of(admin, admin_id);
    const struct {
        const char *body, *field, *code, *named;
    } bad[] = {
        {"{\"scopes\":[\"services:read\",\"servces:read\"]}", "scopes[1]", "enum", "servces:read"},
        {"{\"scopes\":[\"authenticated\"]}", "scopes[0]", "enum", "authenticated"},
        {"{\"scopes\":[\"events:write\"]}", "scopes[0]", "enum", "events:write"},
        {"{\"scopes\":[\"read\",\"read\"]}", "scopes[1]", "duplicate", NULL},
        {"{\"scopes\":[]}", "scopes", "min", NULL},
        {"{\"scopes\":\"read\"}", "scopes", "type", NULL},
        {"{\"scopes\":[7]}", "scopes[0]", "type", NULL},
        {"{\"scopes\":null}", "scopes", NULL, NULL},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        r = api("POST", fmt("/v1/users/%s/tokens", admin_id), admin, bad[k].body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[k].field, bad[k].code, "body");
        if (bad[k].named) {
            const json_t *e = problem_error(r, bad[k].field, bad[k].code, "body");
            ck_assert_msg(strstr(jstr(e, "message"), bad[k].named), "%s: %s", bad[k].body, r->body);
        }
        resp_free(r);
    }
    /* in Polish too */
    const char *pl[] = {"Accept-Language: pl", NULL};
    r = api_h("POST", fmt("/v1/users/%s/tokens", admin_id), admin,
              "{\"scopes\":[\"servces:read\"]}", pl);
    ck_problem(r, 422, "validation_failed");
    ck_assert_msg(strstr(r->body, "to nie jest zakres") && strstr(r->body, "servces:read"), "%s",
                  r->body);
    resp_free(r);
    ck_assert_int_eq(tokens_of(admin, admin_id), before);
}
END_TEST

START_TEST(read_token_reads_but_never_writes_and_is_audited)
{
    char tenant[37], admin[80], admin_id[37], partner[37];
    fresh_tenant(tenant, admin, admin_id);
    FX_PARTNER(admin, uniq("Partner zakresu"), NULL, NULL, partner);
    char ro[80], ro_id[37];
    MINT(admin, admin_id, "{\"name\":\"tylko odczyt\",\"scopes\":[\"read\"]}", ro, ro_id);
    const char *reads[] = {"/v1/partners", "/v1/services",     "/v1/families",
                           "/v1/events",   "/v1/audit-events", "/v1/me"};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        struct resp *r = api("GET", reads[i], ro, NULL);
        ck_assert_msg(r->status == 200, "GET %s: %ld %s", reads[i], r->status, r->body);
        resp_free(r);
    }
    LOCALF(pp, "/v1/partners/%s", partner);
    long long v = version_of(pp, admin);
    /* every write: 403 insufficient_scope naming partners:write, through Prism */
    struct resp *r = api("POST", "/v1/partners", ro, partner_body(uniq("Nowy"), "ngo"));
    CK_SCOPE_REFUSAL(r, "partners:write");
    resp_free(r);
    r = api_if("PATCH", pp, ro, "{\"competences\":\"zmiana\"}", etag(v));
    CK_SCOPE_REFUSAL(r, "partners:write");
    resp_free(r);
    r = api("DELETE", pp, ro, NULL);
    CK_SCOPE_REFUSAL(r, "partners:write");
    resp_free(r);
    r = api("POST", fmt("/v1/users/%s/tokens", admin_id), ro, "{\"scopes\":[\"read\"]}");
    CK_SCOPE_REFUSAL(r, "tokens:write");
    resp_free(r);
    /* a route whose last parameter is no id: the refusal names the webhook */
    r = api("POST", fmt("/v1/webhooks/%s/deliveries/1/redeliver", NOWHERE), ro, NULL);
    CK_SCOPE_REFUSAL(r, "webhooks:write");
    resp_free(r);
    /* nothing changed */
    ck_assert_int_eq(version_of(pp, admin), v);
    /* each refusal is in the audit log, under the route's action and resource */
    ck_assert_int_eq(scope_rows(admin, ro_id, "create", "partner", NULL, "partners:write"), 1);
    ck_assert_int_eq(scope_rows(admin, ro_id, "update", "partner", partner, "partners:write"), 1);
    ck_assert_int_eq(scope_rows(admin, ro_id, "delete", "partner", partner, "partners:write"), 1);
    ck_assert_int_eq(scope_rows(admin, ro_id, "create", "tokens", admin_id, "tokens:write"), 1);
    ck_assert_int_eq(scope_rows(admin, ro_id, "update", "webhooks", NOWHERE, "webhooks:write"), 1);
    /* and readable by the read token itself (audit:read), with the same rows */
    json_t *items = audit_of(ro, "&action=delete&resource=partner");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope"), "partners:write");
    json_decref(items);
}
END_TEST

START_TEST(services_read_reads_services_not_families)
{
    char tenant[37], admin[80], admin_id[37], partner[37], svc[37], fam[37];
    fresh_tenant(tenant, admin, admin_id);
    FX_PARTNER(admin, uniq("Partner usług"), NULL, "2026-01-05", partner);
    FX_SERVICE(admin, partner, NULL, NULL, 2, true, svc);
    FX_FAMILY(admin, NULL, fam);
    char sv[80], sv_id[37];
    MINT(admin, admin_id, "{\"scopes\":[\"services:read\"]}", sv, sv_id);
    struct resp *r = api("GET", "/v1/services", sv, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    r = api("GET", fmt("/v1/services/%s", svc), sv, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", "/v1/services/export/hsds", sv, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* not the families, nor anything but services */
    r = api("GET", "/v1/families", sv, NULL);
    CK_SCOPE_REFUSAL(r, "families:read");
    resp_free(r);
    r = api("GET", fmt("/v1/families/%s", fam), sv, NULL);
    CK_SCOPE_REFUSAL(r, "families:read");
    resp_free(r);
    r = api("GET", "/v1/partners", sv, NULL);
    CK_SCOPE_REFUSAL(r, "partners:read");
    resp_free(r);
    r = api("GET", "/v1/events", sv, NULL);
    CK_SCOPE_REFUSAL(r, "events:read");
    resp_free(r);
    /* nor write services */
    r = direct("PATCH", fmt("/v1/services/%s/capacity", svc), sv, "{\"available\":1}", NULL);
    CK_SCOPE_REFUSAL(r, "services:write");
    resp_free(r);
    /* the family refusals are audited as reads of family data */
    ck_assert_int_eq(scope_rows(admin, sv_id, "read", "family", NULL, "families:read"), 2);
    ck_assert_int_eq(scope_rows(admin, sv_id, "read", "family", fam, "families:read"), 1);
    ck_assert_int_eq(scope_rows(admin, sv_id, "update", "services", svc, "services:write"), 1);
}
END_TEST

/* A referral sent to partner: the tenant (coordinator, social worker), the
 * partner with its staff (unscoped token staff, id staff_id), the family
 * with its team and an action referred to the partner's service. */
struct ref_world {
    struct fx_tenant t;
    char partner[37], staff[80], staff_id[37], svc[37];
    struct fx_family f;
    char other_family[37], team[37], goal[37], action[37];
};

static void ref_world(struct ref_world *w)
{
    FX_TENANT(&w->t, FX_COORD | FX_SW);
    FX_PARTNER(w->t.admin, uniq("Partner skierowań"), NULL, "2026-01-05", w->partner);
    FX_STAFF(w->t.admin, w->partner, w->staff, w->staff_id);
    FX_SERVICE(w->t.admin, w->partner, NULL, NULL, 3, true, w->svc);
    FX_FAMILY_WORLD(w->t.sw, w->partner, &w->f);
    FX_FAMILY(w->t.sw, NULL, w->other_family); /* not shared with the partner */
    FX_TEAM(w->t.sw, w->f.id, w->t.sw_id, w->team);
    FX_REP(w->t.sw, w->team, w->partner, "Anna Przedstawicielka", w->staff_id, NULL);
    FX_TEAM_ACTIVE(w->t.sw, w->team);
    FX_GOAL(w->t.sw, w->team, "Stabilizacja sytuacji", NULL, w->goal);
    FX_ACTION(w->t.sw, w->team, w->goal, "Terapia", NULL, w->svc, w->action);
    FX_REFERRAL_TO(w->t.sw, w->staff, w->team, w->action, "referred", NULL);
}

START_TEST(referrals_write_transitions_but_reads_no_families)
{
    struct ref_world w;
    ref_world(&w);
    char rw[80], rw_id[37];
    MINT(w.t.admin, w.staff_id, "{\"name\":\"system partnera\",\"scopes\":[\"referrals:write\"]}",
         rw, rw_id);
    /* write includes read of the same family of routes */
    struct resp *r = api("GET", "/v1/referrals", rw, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    r = api("GET", fmt("/v1/referrals/%s", w.action), rw, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    r = api("POST", fmt("/v1/referrals/%s/transitions", w.action), rw, "{\"to\":\"accepted\"}");
    ck_assert_msg(r->status == 200, "accept: %ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "accepted");
    resp_free(r);
    /* and nothing else: not the family, not its team */
    r = api("GET", fmt("/v1/families/%s", w.f.id), rw, NULL);
    CK_SCOPE_REFUSAL(r, "families:read");
    resp_free(r);
    r = api("GET", fmt("/v1/families/%s/members", w.f.id), rw, NULL);
    CK_SCOPE_REFUSAL(r, "families:read");
    resp_free(r);
    r = api("GET", fmt("/v1/task-teams/%s", w.team), rw, NULL);
    CK_SCOPE_REFUSAL(r, "task-teams:read");
    resp_free(r);
    /* the staff's own unscoped token still reads the family (its role may) */
    r = api("GET", fmt("/v1/families/%s", w.f.id), w.staff, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    ck_assert_int_eq(scope_rows(w.t.admin, rw_id, "read", "family", w.f.id, "families:read"), 1);
    ck_assert_int_eq(scope_rows(w.t.admin, rw_id, "read", "member", w.f.id, "families:read"), 1);
    ck_assert_int_eq(scope_rows(w.t.admin, rw_id, "read", "task_team", w.team, "task-teams:read"),
                     1);
}
END_TEST

/* The ids of a list page as sorted compact text. */
static char *ids_of(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == 200, "GET %s: %ld %s", path, r->status, r->body);
    json_t *ids = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "items"), i, e)
    {
        json_array_append_new(ids, json_string(jstr(e, "id")));
    }
    char *s = jdump(ids);
    json_decref(ids);
    resp_free(r);
    return s;
}

START_TEST(scopes_never_widen_a_role)
{
    struct ref_world w;
    ref_world(&w);
    /* partner staff with every read and families:write: still partner staff */
    char wide[80], wide_id[37];
    MINT(w.t.admin, w.staff_id,
         "{\"scopes\":[\"read\",\"families:write\",\"partners:write\",\"tokens:write\"]}", wide,
         wide_id);
    /* the same families as the role sees, not the one the partner is not part of */
    char *mine = ids_of(w.staff, "/v1/families"), *scoped = ids_of(wide, "/v1/families");
    ck_assert_str_eq(scoped, mine);
    ck_assert_ptr_nonnull(strstr(scoped, w.f.id));
    ck_assert_ptr_null(strstr(scoped, w.other_family));
    free(mine);
    free(scoped);
    struct resp *r = api("GET", fmt("/v1/families/%s", w.other_family), wide, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the family, as the role sees it (no address, no notes): the same document */
    char *a = record_of(fmt("/v1/families/%s", w.f.id), w.staff);
    char *b = record_of(fmt("/v1/families/%s", w.f.id), wide);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* what the role may not do stays forbidden (the role's 403, not the scope's) */
    r = api("POST", "/v1/families", wide, "{\"district\":\"Centrum\"}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("POST", "/v1/partners", wide, partner_body(uniq("Nie wolno"), "ngo"));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("GET", "/v1/audit-events", wide, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    /* a scoped token mints only within its own scopes: never a wider token */
    r = api("POST", fmt("/v1/users/%s/tokens", w.staff_id), wide, "{}");
    ck_problem(r, 403, "insufficient_scope");
    resp_free(r);
    r = api("POST", fmt("/v1/users/%s/tokens", w.staff_id), wide,
            "{\"scopes\":[\"services:write\"]}");
    ck_problem(r, 403, "insufficient_scope");
    resp_free(r);
    ck_assert_int_eq(scope_rows(w.t.admin, wide_id, "create", "token", w.staff_id, "(full access)"),
                     1);
    ck_assert_int_eq(
        scope_rows(w.t.admin, wide_id, "create", "token", w.staff_id, "services:write"), 1);
    char narrow[80];
    MINT(wide, w.staff_id, "{\"scopes\":[\"services:read\",\"families:read\"]}", narrow, NULL);
    CK_ME_SCOPES(narrow, "[\"services:read\",\"families:read\"]");
    r = api("GET", "/v1/referrals", narrow, NULL);
    CK_SCOPE_REFUSAL(r, "referrals:read");
    resp_free(r);
}
END_TEST

START_TEST(a_token_without_scopes_is_unchanged)
{
    char tenant[37], admin[80], admin_id[37], partner[37];
    fresh_tenant(tenant, admin, admin_id);
    char plain[80];
    MINT(admin, admin_id, "{\"name\":\"bez zakresów\"}", plain, NULL);
    CK_ME_SCOPES(plain, "null");
    FX_PARTNER(plain, uniq("Partner pełny"), NULL, NULL, partner);
    const char *paths[] = {"/v1/families", "/v1/audit-events", "/v1/events", "/v1/settings",
                           "/v1/webhooks"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct resp *r = api("GET", paths[i], plain, NULL);
        ck_assert_msg(r->status == 200, "GET %s: %ld %s", paths[i], r->status, r->body);
        resp_free(r);
    }
    LOCALF(pp, "/v1/partners/%s", partner);
    struct resp *r = api_if("DELETE", pp, plain, NULL, etag(version_of(pp, plain)));
    ck_assert_msg(r->status == 204, "%ld %s", r->status, r->body);
    resp_free(r);
    /* and no refusal for want of a scope was recorded */
    json_t *items = audit_of(admin, "");
    size_t i;
    json_t *e;
    json_array_foreach(items, i, e)
    {
        ck_assert(json_is_null(json_object_get(e, "scope")));
    }
    json_decref(items);
}
END_TEST

START_TEST(the_cache_keeps_each_tokens_scopes)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    char all[80], sv[80], fam[80];
    MINT(admin, admin_id, "{}", all, NULL);
    MINT(admin, admin_id, "{\"scopes\":[\"services:read\"]}", sv, NULL);
    MINT(admin, admin_id, "{\"scopes\":[\"families:read\"]}", fam, NULL);
    /* the same user, three tokens, each answered from the cache after its first call */
    for (int round = 0; round < 4; round++) {
        struct resp *r = direct("GET", "/v1/partners", sv, NULL, NULL);
        ck_assert_msg(r->status == 403, "round %d services:read on partners: %ld", round,
                      r->status);
        resp_free(r);
        r = direct("GET", "/v1/partners", all, NULL, NULL);
        ck_assert_msg(r->status == 200, "round %d unscoped on partners: %ld", round, r->status);
        resp_free(r);
        r = direct("GET", "/v1/families", fam, NULL, NULL);
        ck_assert_msg(r->status == 200, "round %d families:read on families: %ld", round,
                      r->status);
        resp_free(r);
        r = direct("GET", "/v1/families", sv, NULL, NULL);
        ck_assert_msg(r->status == 403, "round %d services:read on families: %ld", round,
                      r->status);
        resp_free(r);
        r = direct("GET", "/v1/services", fam, NULL, NULL);
        ck_assert_msg(r->status == 403, "round %d families:read on services: %ld", round,
                      r->status);
        resp_free(r);
        CK_ME_SCOPES(all, "null");
        CK_ME_SCOPES(sv, "[\"services:read\"]");
        CK_ME_SCOPES(fam, "[\"families:read\"]");
    }
}
END_TEST

/* kooperd create-token --scope (run as tests/run.sh runs it: DATABASE_URL). */
static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    out[0] = 0;
    if (!fgets(out, (int)outlen, p))
        out[0] = 0;
    out[strcspn(out, "\n")] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(cli_create_token_with_scopes)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    const char *bin = env_or("KOOP_TEST_BUILD", "build");
    char tok[200];
    int rc = run(fmt("%s/kooperd create-token --role auditor --name 'Audytor CLI' --tenant %s "
                     "--scope audit:read --scope 'events:read' 2>/dev/null",
                     bin, tenant),
                 tok, sizeof tok);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(!strncmp(tok, "koop_", 5), "%s", tok);
    CK_ME_SCOPES(tok, "[\"events:read\",\"audit:read\"]");
    struct resp *r = api("GET", "/v1/audit-events", tok, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", "/v1/partners", tok, NULL);
    CK_SCOPE_REFUSAL(r, "partners:read");
    resp_free(r);
    /* an unknown scope: exit 2, nothing made (no such user) */
    struct resp *u = api("GET", "/v1/users?limit=100", admin, NULL);
    size_t users = json_array_size(json_object_get(u->json, "items"));
    resp_free(u);
    rc = run(fmt("%s/kooperd create-token --role coordinator --name 'Koordynator CLI' --tenant %s "
                 "--scope servces:read 2>&1",
                 bin, tenant),
             tok, sizeof tok);
    ck_assert_int_eq(rc, 2);
    ck_assert_msg(strstr(tok, "servces:read"), "%s", tok);
    u = api("GET", "/v1/users?limit=100", admin, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(u->json, "items")), users);
    resp_free(u);
}
END_TEST

TCase *tcase_auth_scopes(void)
{
    TCase *t = tcase_create("scopes");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, minting_with_scopes_and_unknown_ones);
    tcase_add_test(t, read_token_reads_but_never_writes_and_is_audited);
    tcase_add_test(t, services_read_reads_services_not_families);
    tcase_add_test(t, referrals_write_transitions_but_reads_no_families);
    tcase_add_test(t, scopes_never_widen_a_role);
    tcase_add_test(t, a_token_without_scopes_is_unchanged);
    tcase_add_test(t, the_cache_keeps_each_tokens_scopes);
    tcase_add_test(t, cli_create_token_with_scopes);
    return t;
}
