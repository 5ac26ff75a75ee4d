/* server/scope.c and koop_auth_set_scopes (server/auth.c): the vocabulary,
 * parsing, what a set allows, and the route table's scopes (api/routes.c):
 * every route that needs a token names one, of the registry; public routes
 * none. */
#include "unit.h"

#include "api.h"
#include "auth.h"
#include "scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static koop_scopes set_of(const char *list)
{
    koop_scopes s = 0;
    char bad[64] = "";
    ck_assert_msg(koop_scopes_parse(list, &s, bad, sizeof bad) == 0, "%s: bad %s", list, bad);
    return s;
}

START_TEST(registry_is_well_formed)
{
    size_t n;
    const struct koop_scope_def *reg = koop_scope_registry(&n);
    ck_assert_uint_gt(n, 20);
    ck_assert_uint_le(n, 64);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(koop_scope_index(reg[i].name), (int)i);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(reg[i].name, reg[j].name);
        const char *c = strchr(reg[i].name, ':');
        /* FAMILY:read or FAMILY:write, or one of the two plain names */
        if (c) {
            ck_assert_msg(!strcmp(c, ":read") || !strcmp(c, ":write"), "%s", reg[i].name);
            for (const char *p = reg[i].name; p < c; p++)
                ck_assert_msg((*p >= 'a' && *p <= 'z') || *p == '-', "%s", reg[i].name);
        } else {
            ck_assert_msg(!strcmp(reg[i].name, "read") || !strcmp(reg[i].name, "authenticated"),
                          "%s", reg[i].name);
        }
        /* every FAMILY:write has its FAMILY:read */
        if (c && !strcmp(c, ":write")) {
            char r[64];
            snprintf(r, sizeof r, "%.*s:read", (int)(c - reg[i].name), reg[i].name);
            ck_assert_msg(koop_scope_index(r) >= 0, "%s without %s", reg[i].name, r);
        }
        ck_assert(reg[i].grantable == (strcmp(reg[i].name, "authenticated") != 0));
    }
    ck_assert_int_eq(koop_scope_index("nope:read"), -1);
    ck_assert_int_eq(koop_scope_index(NULL), -1);
    ck_assert(!koop_scope_grantable("authenticated"));
    ck_assert(koop_scope_grantable("services:read"));
    ck_assert(!koop_scope_grantable("events:write")); /* a read-only family */
}
END_TEST

START_TEST(parse_lists_and_names_the_bad_one)
{
    koop_scopes s = 123;
    char bad[64] = "";
    ck_assert_int_eq(koop_scopes_parse("", &s, bad, sizeof bad), 0);
    ck_assert_uint_eq(s, 0);
    ck_assert_int_eq(koop_scopes_parse(NULL, &s, bad, sizeof bad), 0);
    ck_assert_uint_eq(s, 0);
    s = set_of("services:read  events:read,referrals:write");
    char txt[256];
    koop_scopes_format(s, " ", txt, sizeof txt);
    ck_assert_str_eq(txt, "services:read referrals:write events:read"); /* registry order */
    ck_assert_uint_eq(set_of("read read"), set_of("read"));
    ck_assert_int_eq(koop_scopes_parse("services:read servces:read x", &s, bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "servces:read");
    ck_assert_int_eq(koop_scopes_parse("authenticated", &s, bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "authenticated");
    ck_assert_int_eq(koop_scopes_parse("Services:Read", &s, bad, sizeof bad), -1);
    ck_assert_int_eq(koop_scopes_parse("services:", &s, bad, sizeof bad), -1);
    /* a long bad name is truncated, never overflows */
    char small[6];
    ck_assert_int_eq(koop_scopes_parse("abcdefghijkl", &s, small, sizeof small), -1);
    ck_assert_str_eq(small, "abcde");
    /* format never writes half a name */
    char tiny[16];
    koop_scopes_format(set_of("services:read events:read"), " ", tiny, sizeof tiny);
    ck_assert_str_eq(tiny, "services:read");
}
END_TEST

START_TEST(allow_narrows_and_implies)
{
    /* no scopes: the role alone decides, every route passes here */
    ck_assert(koop_scopes_allow(0, "families:write"));
    ck_assert(koop_scopes_allow(0, NULL));
    koop_scopes r = set_of("read");
    ck_assert(koop_scopes_allow(r, "services:read"));
    ck_assert(koop_scopes_allow(r, "families:read"));
    ck_assert(koop_scopes_allow(r, "audit:read"));
    ck_assert(!koop_scopes_allow(r, "services:write"));
    ck_assert(!koop_scopes_allow(r, "referrals:write"));
    ck_assert(koop_scopes_allow(r, "authenticated"));
    koop_scopes sv = set_of("services:read");
    ck_assert(koop_scopes_allow(sv, "services:read"));
    ck_assert(!koop_scopes_allow(sv, "families:read"));
    ck_assert(!koop_scopes_allow(sv, "services:write"));
    /* X:write implies X:read of the same family, nothing else */
    koop_scopes rw = set_of("referrals:write");
    ck_assert(koop_scopes_allow(rw, "referrals:write"));
    ck_assert(koop_scopes_allow(rw, "referrals:read"));
    ck_assert(!koop_scopes_allow(rw, "families:read"));
    ck_assert(!koop_scopes_allow(rw, "task-teams:read"));
    ck_assert(koop_scopes_allow(rw, "authenticated"));
    /* fail closed: a route naming no scope, or an unknown one */
    ck_assert(!koop_scopes_allow(r, NULL));
    ck_assert(!koop_scopes_allow(r, "bogus:read"));
    /* within: minting from a scoped token */
    ck_assert(koop_scopes_within(set_of("services:read"), r));
    ck_assert(koop_scopes_within(set_of("referrals:read"), rw));
    ck_assert(koop_scopes_within(set_of("events:read services:read"), r));
    ck_assert(!koop_scopes_within(set_of("services:write"), r));
    ck_assert(!koop_scopes_within(set_of("read"), sv));
    ck_assert(!koop_scopes_within(set_of("families:read"), rw));
    ck_assert(koop_scopes_expand(set_of("task-teams:write")) ==
              set_of("task-teams:write task-teams:read"));
}
END_TEST

START_TEST(auth_set_scopes_for_tokens_and_jwts)
{
    struct koop_auth a = {.scopes = 99};
    char bad[64] = "";
    ck_assert_int_eq(koop_auth_set_scopes(&a, NULL, bad, sizeof bad), 0);
    ck_assert_uint_eq(a.scopes, 0);
    ck_assert_int_eq(koop_auth_set_scopes(&a, "services:read events:read", bad, sizeof bad), 0);
    ck_assert_uint_eq(a.scopes, set_of("services:read events:read"));
    /* a JWT's scope claim may hold OpenID Connect's own values: skipped */
    ck_assert_int_eq(koop_auth_set_scopes(&a, "openid profile email read", bad, sizeof bad), 0);
    ck_assert_uint_eq(a.scopes, set_of("read"));
    ck_assert_int_eq(koop_auth_set_scopes(&a, "openid profile", bad, sizeof bad), 0);
    ck_assert_uint_eq(a.scopes, 0);
    /* unknown: -1 naming it, and the request is closed to all but GET /v1/me */
    ck_assert_int_eq(koop_auth_set_scopes(&a, "openid services:read familes:read", bad, sizeof bad),
                     -1);
    ck_assert_str_eq(bad, "familes:read");
    ck_assert(!koop_scopes_allow(a.scopes, "services:read"));
    ck_assert(koop_scopes_allow(a.scopes, "authenticated"));
    /* the claim is space-separated (RFC 8693 §4.2): a comma is no separator there */
    ck_assert_int_eq(koop_auth_set_scopes(&a, "read,services:read", bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "read,services:read");
    ck_assert_int_eq(koop_auth_set_scopes(&a, "authenticated", bad, sizeof bad), -1);
}
END_TEST

/* ---- the route table ---- */

START_TEST(every_route_declares_a_scope)
{
    int n = 0;
    for (const struct koop_route *r = koop_api_routes; r->method; r++, n++) {
        if (r->flags & RT_NOAUTH) {
            ck_assert_msg(r->scope == NULL, "%s %s: a public route needs no scope (has %s)",
                          r->method, r->pattern, r->scope);
            continue;
        }
        ck_assert_msg(r->scope != NULL && r->scope[0], "%s %s declares no scope", r->method,
                      r->pattern);
    }
    ck_assert_int_gt(n, 100);
}
END_TEST

START_TEST(every_declared_scope_is_in_the_registry)
{
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        if (!r->scope)
            continue;
        ck_assert_msg(koop_scope_index(r->scope) >= 0, "%s %s: %s is not in server/scope.c",
                      r->method, r->pattern, r->scope);
        /* reads need FAMILY:read, everything else FAMILY:write (or any token for /v1/me) */
        const char *c = strchr(r->scope, ':');
        if (!c) {
            ck_assert_msg(!strcmp(r->scope, "authenticated") && !strcmp(r->pattern, "/v1/me"),
                          "%s %s: %s", r->method, r->pattern, r->scope);
            continue;
        }
        ck_assert_msg(!strcmp(c, !strcmp(r->method, "GET") ? ":read" : ":write"), "%s %s: %s",
                      r->method, r->pattern, r->scope);
    }
    /* and every grantable FAMILY:... is needed by some route */
    size_t n;
    const struct koop_scope_def *reg = koop_scope_registry(&n);
    for (size_t i = 0; i < n; i++) {
        if (!strchr(reg[i].name, ':'))
            continue;
        bool used = false;
        for (const struct koop_route *r = koop_api_routes; r->method && !used; r++)
            used = r->scope && !strcmp(r->scope, reg[i].name);
        ck_assert_msg(used, "%s: no route needs it", reg[i].name);
    }
}
END_TEST

START_TEST(scope_denials_are_recorded_under_the_route)
{
    const struct koop_route *by[3] = {0};
    const char *want[3][2] = {{"read", "family"}, {"update", "webhooks"}, {"create", "tokens"}};
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        if (!strcmp(r->method, "GET") && !strcmp(r->pattern, "/v1/families/{family_id}"))
            by[0] = r;
        if (!strcmp(r->pattern, "/v1/webhooks/{webhook_id}/resume"))
            by[1] = r;
        if (!strcmp(r->method, "POST") && !strcmp(r->pattern, "/v1/users/{user_id}/tokens"))
            by[2] = r;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_ptr_nonnull(by[i]);
        const char *action = NULL, *resource = NULL;
        char family[32];
        koop_route_scope_audit(by[i], &action, &resource, family, sizeof family);
        ck_assert_str_eq(action, want[i][0]);
        ck_assert_str_eq(resource, want[i][1]);
    }
    /* a route of every kind names an action the audit table accepts */
    static const char *const actions[] = {"read",   "create",     "update",    "delete",
                                          "export", "transition", "anonymize", NULL};
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        if (!r->scope)
            continue;
        const char *action = NULL, *resource = NULL;
        char family[32];
        koop_route_scope_audit(r, &action, &resource, family, sizeof family);
        bool ok = false;
        for (int i = 0; actions[i]; i++)
            ok = ok || !strcmp(action, actions[i]);
        ck_assert_msg(ok && resource && resource[0], "%s %s: %s %s", r->method, r->pattern, action,
                      resource);
    }
}
END_TEST

/* The scopes a token can be given are the enum of openapi.yaml's Scope, in
 * the registry's order (scripts/spec-enums.mjs, as tests/unit/vocab_spec.c). */
START_TEST(grantable_scopes_match_openapi)
{
    const char *node = getenv("KOOP_NODE"), *file = getenv("KOOP_OPENAPI_PATH");
    char cmd[1024], line[8192], found[8192] = "";
    snprintf(cmd, sizeof cmd, "%s scripts/spec-enums.mjs %s", node && *node ? node : "node",
             file && *file ? file : "openapi.yaml");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof line, p))
        if (!strncmp(line, "Scope ", 6))
            snprintf(found, sizeof found, "%.*s", (int)strcspn(line + 6, "\n"), line + 6);
    ck_assert_int_eq(pclose(p), 0);
    char want[8192] = "";
    size_t n;
    const struct koop_scope_def *reg = koop_scope_registry(&n);
    for (size_t i = 0; i < n; i++)
        if (reg[i].grantable)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", want[0] ? " " : "",
                     reg[i].name);
    ck_assert_str_eq(found, want);
}
END_TEST

Suite *suite_scope(void)
{
    Suite *s = suite_create("scope");
    TCase *t = tcase_create("vocabulary");
    tcase_add_test(t, registry_is_well_formed);
    tcase_add_test(t, parse_lists_and_names_the_bad_one);
    tcase_add_test(t, allow_narrows_and_implies);
    tcase_add_test(t, auth_set_scopes_for_tokens_and_jwts);
    tcase_add_test(t, grantable_scopes_match_openapi);
    tcase_set_timeout(t, 60); /* node parses openapi.yaml: seconds on a busy machine */
    suite_add_tcase(s, t);
    TCase *r = tcase_create("routes");
    tcase_add_test(r, every_route_declares_a_scope);
    tcase_add_test(r, every_declared_scope_is_in_the_registry);
    tcase_add_test(r, scope_denials_are_recorded_under_the_route);
    suite_add_tcase(s, r);
    return s;
}
