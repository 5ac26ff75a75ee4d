/* Where reads go: routes flagged RT_REPLICA run on the standby (its
 * pg_stat_activity shows the daemon; a standby whose replay is paused answers
 * them without the newest rows), family data and writes on the primary, and
 * no flagged route writes (a write would fail there: koop_replica_fallbacks_total
 * {reason="error"} stays 0). */
#include "replica.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const REPLICA = "koop_replica_reads_total{served_by=\"replica\"}";

START_TEST(reads_run_on_the_standby)
{
    char tenant[37], admin[80], id[37], token[64];
    rep_tenant(tenant, admin);
    ck_assert_int_eq(rep_partner(admin, uniq("Partner repliki"), id, token), 201);
    standby_wait(token);
    long before = rep_metric(REPLICA);
    ck_assert_int_ge(before, 0);
    for (int i = 0; i < 5; i++) {
        struct resp *r = rep("GET", "/v1/partners?limit=5", admin, NULL, NULL);
        ck_assert_int_eq(r->status, 200);
        /* a read answers no consistency token: only writes do */
        ck_assert_ptr_null(resp_header(r, "Koop-Consistency"));
        resp_free(r);
    }
    ck_assert_int_ge(rep_metric(REPLICA), before + 5);
    /* the standby sees the daemon's connections: the serving login, application_name kooperd */
    PGconn *c = standby();
    PGresult *q =
        PQexec(c, "SELECT count(*), bool_and(usename = 'koop_serve') FROM pg_stat_activity "
                  "WHERE application_name = 'kooperd' AND datname = current_database()");
    ck_assert_int_eq(PQresultStatus(q), PGRES_TUPLES_OK);
    ck_assert_int_ge(atoi(PQgetvalue(q, 0, 0)), 1);
    ck_assert_str_eq(PQgetvalue(q, 0, 1), "t");
    PQclear(q);
    q = PQexec(c, "SELECT pg_is_in_recovery()");
    ck_assert_str_eq(PQgetvalue(q, 0, 0), "t");
    PQclear(q);
    PQfinish(c);
}
END_TEST

START_TEST(a_paused_standby_shows_where_reads_go)
{
    char tenant[37], admin[80], id[37], token[64];
    rep_tenant(tenant, admin);
    PGconn *c = standby();
    PQclear(PQexec(c, "SELECT pg_wal_replay_pause()"));
    ck_assert_int_eq(rep_partner(admin, uniq("Partner niewidoczny"), id, token), 201);
    ck_assert_msg(token[0], "a write answered no Koop-Consistency");
    /* without the token the read runs on the standby, which has not replayed the write */
    struct resp *r = rep("GET", fmt("/v1/partners/%s", id), admin, NULL, NULL);
    ck_assert_int_eq(r->status, 404);
    resp_free(r);
    /* with it the standby cannot catch up in time: the primary answers */
    long lag = rep_metric("koop_replica_fallbacks_total{reason=\"lag\"}");
    const char *h[] = {fmt("Koop-Consistency: %s", token), NULL};
    r = rep("GET", fmt("/v1/partners/%s", id), admin, NULL, h);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "id"), id);
    resp_free(r);
    ck_assert_int_eq(rep_metric("koop_replica_fallbacks_total{reason=\"lag\"}"), lag + 1);
    /* family data never: its reads are audited, so they run on the primary */
    r = rep("POST", "/v1/families", admin, "{\"district\": \"Centrum\"}", NULL);
    ck_assert_int_eq(r->status, 201);
    char family[37];
    snprintf(family, sizeof family, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = rep("GET", fmt("/v1/families/%s", family), admin, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    PQclear(PQexec(c, "SELECT pg_wal_replay_resume()"));
    /* replayed, the standby serves the token's read itself */
    standby_wait(token);
    long replica = rep_metric(REPLICA);
    r = rep("GET", fmt("/v1/partners/%s", id), admin, NULL, h);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    ck_assert_int_eq(rep_metric(REPLICA), replica + 1);
    ck_assert_int_eq(rep_metric("koop_replica_fallbacks_total{reason=\"lag\"}"), lag + 1);
    /* and the family's read was audited (on the primary): the standby has the row now */
    for (int i = 0; i < 100; i++) {
        PGresult *q =
            PQexecParams(c,
                         "SELECT count(*) FROM audit_events WHERE resource = 'family' AND "
                         "action = 'read' AND resource_id = $1::uuid",
                         1, NULL, (const char *const[]){family}, NULL, NULL, 0);
        bool seen = PQresultStatus(q) == PGRES_TUPLES_OK && atoi(PQgetvalue(q, 0, 0)) == 1;
        PQclear(q);
        if (seen)
            break;
        ck_assert_msg(i < 99, "the family's read was not audited");
        usleep(20000);
    }
    PQfinish(c);
}
END_TEST

START_TEST(flagged_routes_write_nothing)
{
    char tenant[37], admin[80], id[37], token[64];
    rep_tenant(tenant, admin);
    /* with a declaration, so that it has a certificate */
    struct resp *p = rep("POST", "/v1/partners", admin,
                         fmt("{\"name\": \"%s\", \"sector\": \"ngo\", \"declaration\": "
                             "{\"signed_on\": \"2026-11-23\", \"certificate_number\": \"PZK/1\"}}",
                             uniq("Partner tras")),
                         NULL);
    ck_assert_msg(p->status == 201, "%s", p->body);
    snprintf(id, sizeof id, "%s", jstr(p->json, "id"));
    snprintf(token, sizeof token, "%s", resp_header(p, "Koop-Consistency"));
    resp_free(p);
    standby_wait(token);
    struct resp *t = rep("GET", fmt("/v1/tenants/%s", tenant),
                         env_or("KOOP_TEST_PLATFORM_TOKEN", ""), NULL, NULL);
    ck_assert_int_eq(t->status, 200);
    char teryt[16];
    snprintf(teryt, sizeof teryt, "%s", jstr(t->json, "teryt"));
    resp_free(t);
    const char *paths[] = {"/v1/partners",
                           fmt("/v1/partners/%s", id),
                           fmt("/v1/partners/%s/agreements", id),
                           fmt("/v1/partners/%s/benefits", id),
                           fmt("/v1/partners/%s/certificate", id),
                           "/v1/services",
                           "/v1/services/export/hsds",
                           "/v1/meetings",
                           "/v1/projects",
                           "/v1/settings",
                           "/v1/users",
                           "/v1/webhooks",
                           "/v1/reports/families?from=2026-01-01&to=2026-12-31",
                           "/v1/reports/task-teams?from=2026-01-01&to=2026-12-31",
                           "/v1/reports/referrals?from=2026-01-01&to=2026-12-31",
                           "/v1/reports/services?from=2026-01-01&to=2026-12-31",
                           "/v1/reports/partners?from=2026-01-01&to=2026-12-31",
                           "/v1/reports/benefits?from=2026-01-01&to=2026-12-31",
                           fmt("/public/v1/%s/services", teryt),
                           fmt("/public/v1/%s/hsds", teryt),
                           NULL};
    long errors = rep_metric("koop_replica_fallbacks_total{reason=\"error\"}");
    long replica = rep_metric(REPLICA);
    int n = 0;
    for (const char *const *p = paths; *p; p++, n++) {
        struct resp *r = rep("GET", *p, strncmp(*p, "/public/", 8) ? admin : NULL, NULL, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", *p, r->status, r->body);
        resp_free(r);
    }
    ck_assert_int_eq(rep_metric("koop_replica_fallbacks_total{reason=\"error\"}"), errors);
    ck_assert_int_ge(rep_metric(REPLICA), replica + n);
}
END_TEST

TCase *tcase_replica_routing(void)
{
    TCase *tc = tcase_create("routing");
    tcase_add_checked_fixture(tc, NULL, standby_resume);
    tcase_add_test(tc, reads_run_on_the_standby);
    tcase_add_test(tc, a_paused_standby_shows_where_reads_go);
    tcase_add_test(tc, flagged_routes_write_nothing);
    return tc;
}
