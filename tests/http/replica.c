/* The replica suite's shared helpers (replica.h). */
#include "replica.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct resp *rep(const char *method, const char *path, const char *token, const char *body,
                 const char *const *headers)
{
    return http_req(env_or("KOOP_TEST_REPLICA_URL", "http://127.0.0.1:8080"), method, path, token,
                    body, headers);
}

void rep_tenant(char tenant_id[37], char admin[80])
{
    const char *platform = env_or("KOOP_TEST_PLATFORM_TOKEN", "");
    static int n;
    struct resp *r = NULL;
    /* TERYT codes are unique: try codes derived from the pid until one is free */
    for (int i = 0; i < 50; i++) {
        long k = (long)getpid() * 50 + i + 1000L * n++;
        char body[256];
        snprintf(body, sizeof body,
                 "{\"name\":\"Gmina Repliki %ld\",\"teryt\":\"24%02ld%02ld1\",\"kind\":"
                 "\"gmina_miejska\",\"voivodeship\":\"slaskie\"}",
                 k, k % 99 + 1, (k / 99) % 99 + 1);
        resp_free(r);
        r = rep("POST", "/v1/tenants", platform, body, NULL);
        if (r->status == 201)
            break;
    }
    ck_assert_msg(r->status == 201, "no tenant: %ld %s", r->status, r->body);
    snprintf(tenant_id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"Admin repliki\",\"email\":\"rep%d-%d@test.example\",\"role\":\"admin\"}",
             (int)getpid(), n++);
    r = rep("POST", fmt("/v1/tenants/%s/users", tenant_id), platform, body, NULL);
    ck_assert_msg(r->status == 201, "no admin: %ld %s", r->status, r->body);
    snprintf(admin, 80, "%s", jstr(json_object_get(r->json, "token"), "token"));
    resp_free(r);
}

long rep_partner(const char *admin, const char *name, char id[37], char *token)
{
    char *body = partner_body(name, "ngo");
    struct resp *r = rep("POST", "/v1/partners", admin, body, NULL);
    free(body);
    long st = r->status;
    if (st == 201)
        snprintf(id, 37, "%s", jstr(r->json, "id"));
    if (token) {
        const char *t = resp_header(r, "Koop-Consistency");
        snprintf(token, 64, "%s", t ? t : "");
    }
    resp_free(r);
    return st;
}

long rep_metric(const char *series)
{
    struct resp *r = rep("GET", "/metrics", NULL, NULL, NULL);
    long v = -1;
    size_t n = strlen(series);
    for (const char *line = r->body; r->status == 200 && line && *line;) {
        if (!strncmp(line, series, n) && line[n] == ' ') {
            v = atol(line + n + 1);
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    resp_free(r);
    return v;
}

PGconn *standby(void)
{
    PGconn *c = PQconnectdb(env_or("KOOP_STANDBY_OWNER_URL", ""));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "standby: %s", PQerrorMessage(c));
    return c;
}

int standby_ctl(const char *verb)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash scripts/pg.sh %s '%s' >/dev/null 2>&1", verb,
             env_or("KOOP_PG_STANDBY_DIR", "/nonexistent"));
    return system(cmd);
}

void standby_wait(const char *token)
{
    PGconn *c = standby();
    for (int i = 0;; i++) {
        PGresult *q = PQexecParams(c, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", 1, NULL,
                                   (const char *const[]){token}, NULL, NULL, 0);
        bool done = PQresultStatus(q) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(q, 0, 0), "t");
        PQclear(q);
        if (done)
            break;
        ck_assert_msg(i < 1000, "the standby did not replay past %s", token);
        usleep(10000);
    }
    PQfinish(c);
}

void standby_resume(void)
{
    PGconn *c = PQconnectdb(env_or("KOOP_STANDBY_OWNER_URL", ""));
    PQclear(PQexec(c, "SELECT pg_wal_replay_resume()"));
    PQfinish(c);
}

Suite *suite_replica(void)
{
    Suite *s = suite_create("replica");
    suite_add_tcase(s, tcase_replica_routing());
    suite_add_tcase(s, tcase_replica_consistency());
    suite_add_tcase(s, tcase_replica_failover()); /* last: it stops the standby */
    return s;
}
