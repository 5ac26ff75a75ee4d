/* Read-your-writes: every write that committed answers Koop-Consistency (a
 * log position, increasing); a read that sends it back sees the write,
 * whether the standby or the primary answers it; a token that is not a log
 * position is a 422 naming the header. */
#include "replica.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long lsn(const char *t)
{
    char *slash;
    unsigned long long hi = strtoull(t, &slash, 16);
    return hi << 32 | strtoull(slash + 1, NULL, 16);
}

START_TEST(a_client_reads_its_own_writes)
{
    char tenant[37], admin[80];
    rep_tenant(tenant, admin);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^[0-9A-F]{1,8}/[0-9A-F]{1,8}$", REG_EXTENDED | REG_NOSUB), 0);
    long replica = rep_metric("koop_replica_reads_total{served_by=\"replica\"}");
    unsigned long long last = 0;
    for (int i = 0; i < 30; i++) {
        char id[37], token[64], name[128];
        snprintf(name, sizeof name, "%s", uniq("Partner własny"));
        ck_assert_int_eq(rep_partner(admin, name, id, token), 201);
        ck_assert_msg(regexec(&re, token, 0, NULL, 0) == 0, "Koop-Consistency '%s'", token);
        ck_assert_msg(lsn(token) > last, "token %s did not grow", token);
        last = lsn(token);
        const char *h[] = {fmt("Koop-Consistency: %s", token), NULL};
        struct resp *r = rep("GET", fmt("/v1/partners/%s", id), admin, NULL, h);
        ck_assert_msg(r->status == 200, "read %d after its write: %ld", i, r->status);
        ck_assert_str_eq(jstr(r->json, "name"), name);
        resp_free(r);
        /* and a change: the list with the token holds the new name */
        char *patch = NULL;
        ck_assert_int_ge(asprintf(&patch, "{\"name\": \"%s bis\"}", name), 0);
        const char *ph[] = {"If-Match: \"1\"", "Content-Type: application/merge-patch+json", NULL};
        r = rep("PATCH", fmt("/v1/partners/%s", id), admin, patch, ph);
        free(patch);
        ck_assert_int_eq(r->status, 200);
        const char *t2 = resp_header(r, "Koop-Consistency");
        ck_assert_ptr_nonnull(t2);
        snprintf(token, sizeof token, "%s", t2);
        resp_free(r);
        const char *h2[] = {fmt("Koop-Consistency: %s", token), NULL};
        r = rep("GET", fmt("/v1/partners/%s", id), admin, NULL, h2);
        ck_assert_int_eq(r->status, 200);
        ck_assert_str_eq(jstr(r->json, "name"), fmt("%s bis", name));
        resp_free(r);
    }
    regfree(&re);
    /* most of them on the standby (it replays within the wait) */
    ck_assert_int_gt(rep_metric("koop_replica_reads_total{served_by=\"replica\"}"), replica);
}
END_TEST

START_TEST(a_bad_token_is_named)
{
    char tenant[37], admin[80];
    rep_tenant(tenant, admin);
    const char *bad[] = {"16/", "x/1", "1/2/3", "123456789/1", "1/ 2", "", NULL};
    for (const char *const *b = bad; *b; b++) {
        const char *h[] = {fmt("Koop-Consistency: %s", *b), NULL};
        struct resp *r = rep("GET", "/v1/partners", admin, NULL, h);
        if (**b == 0 && r->status == 200) { /* curl sends no empty header */
            resp_free(r);
            continue;
        }
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "Koop-Consistency", "format", "header");
        resp_free(r);
    }
    /* where the primary answers anyway (a write, family data) the header is ignored */
    const char *h[] = {"Koop-Consistency: nonsense", NULL};
    char *body = partner_body(uniq("Partner z nagłówkiem"), "ngo");
    struct resp *r = rep("POST", "/v1/partners", admin, body, h);
    free(body);
    ck_assert_int_eq(r->status, 201);
    resp_free(r);
    r = rep("GET", "/v1/families", admin, NULL, h);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
}
END_TEST

TCase *tcase_replica_consistency(void)
{
    TCase *tc = tcase_create("consistency");
    tcase_add_test(tc, a_client_reads_its_own_writes);
    tcase_add_test(tc, a_bad_token_is_named);
    return tc;
}
