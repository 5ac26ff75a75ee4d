/* Families: the idempotency store is bounded and holds no key to what the
 * caller may no longer see (issue 10, point 6): a stored response lives 24 h
 * whatever the traffic (every claim purges expired ones of all users, and a
 * periodic job does too), and a replay re-checks that the caller may still
 * see the record, else 404 (audited). */
#include "families.h"

#include <libpq-fe.h>

static long long owner_count(PGconn *c, const char *key)
{
    const char *v[] = {key};
    PGresult *r = PQexecParams(c, "SELECT count(*) FROM idempotency_keys WHERE key = $1", 1, NULL,
                               v, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    long long n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

START_TEST(a_replay_rechecks_visibility)
{
    struct fx_tenant x;
    FX_TENANT(&x, FX_SW | FX_SW2);
    char fam[37];
    FX_FAMILY(x.sw, NULL, fam);
    LOCALF(mp, "/v1/families/%s/members", fam);
    char key[64], body[512], pes[12];
    snprintf(key, sizeof key, "replay-%d", (int)getpid());
    snprintf(pes, sizeof pes, "%s", pesel(1969, 9, 9, 1));
    snprintf(body, sizeof body, "%s",
             js(member_doc("Halina", surname("Powtorna"), NULL, pes, "head")));
    struct resp *r = AK("POST", mp, x.sw, body, key);
    ck_status(r, 201);
    resp_free(r);
    r = AK("POST", mp, x.sw, body, key);
    ck_status(r, 201);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);
    /* the family goes to another worker: the stored answer is no longer the caller's to see */
    long long v = version_of(fmt("/v1/families/%s", fam), x.admin);
    r = AI("PATCH", fmt("/v1/families/%s", fam), x.admin,
           js(json_pack("{s:s}", "assigned_worker_id", x.sw2_id)), etag(v));
    ck_status(r, 200);
    resp_free(r);
    r = AK("POST", mp, x.sw, body, key);
    ck_problem(r, 404, "not_found");
    ck_assert_ptr_null(strstr(r->body, pes));
    resp_free(r);
    json_t *rows = audit_rows(x.admin, fmt("actor_id=%s&resource_id=%s", x.sw_id, fam));
    AUDIT_HAS(rows, "create", "member", fam, 404, x.sw_id);
    json_decref(rows);
}
END_TEST

START_TEST(stored_responses_expire_after_24_hours_whatever_the_traffic)
{
    struct fx_tenant x;
    FX_TENANT(&x, FX_SW);
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    char key[64];
    snprintf(key, sizeof key, "expire-%d", (int)getpid());
    const char *body = "{\"district\":\"Stare Miasto\"}";
    struct resp *r = AK("POST", "/v1/families", x.admin, body, key);
    ck_status(r, 201);
    char first[37];
    snprintf(first, sizeof first, "%s", jstr(r->json, "id"));
    resp_free(r);
    ck_assert_int_eq(owner_count(c, key), 1);
    /* a day and an hour later (as the database's owner) */
    const char *v[] = {key};
    PGresult *u = PQexecParams(c,
                               "UPDATE idempotency_keys SET created_at = now() - interval "
                               "'25 hours' WHERE key = $1",
                               1, NULL, v, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(u), PGRES_COMMAND_OK);
    PQclear(u);
    /* someone else's claim purges it: the admin need not come back */
    char other[64];
    snprintf(other, sizeof other, "expire-other-%d", (int)getpid());
    r = AK("POST", "/v1/families", x.sw, body, other);
    ck_status(r, 201);
    resp_free(r);
    ck_assert_int_eq(owner_count(c, key), 0);
    /* and the key is new again */
    r = AK("POST", "/v1/families", x.admin, body, key);
    ck_status(r, 201);
    ck_assert_ptr_null(resp_header(r, "Idempotent-Replayed"));
    ck_assert_str_ne(jstr(r->json, "id"), first);
    resp_free(r);
    PQfinish(c);
}
END_TEST

TCase *tcase_families_idempotency(void)
{
    TCase *tc = tcase_create("idempotency");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_replay_rechecks_visibility);
    tcase_add_test(tc, stored_responses_expire_after_24_hours_whatever_the_traffic);
    return tc;
}
