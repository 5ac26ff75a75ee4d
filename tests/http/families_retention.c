/* Families: retention (issue 10, point 8). A tenant's retention_years
 * (GET/PATCH /v1/settings, admin; 10 by default) after which a closed family
 * is anonymised automatically by the periodic job, as the system; admins list
 * what is due with ?retention_due=true; only an explicit null switches it off. */
#include "families.h"

#include <libpq-fe.h>

/* Backdates a family's closing by years (as the database's owner). */
static void closed_years_ago(const char *fam, int years)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    char y[8];
    snprintf(y, sizeof y, "%d", years);
    const char *v[] = {fam, y};
    PGresult *r =
        PQexecParams(c,
                     "UPDATE families SET closed_on = (closed_on - make_interval(years => "
                     "$2::int))::date - 1 WHERE id = $1::uuid",
                     2, NULL, v, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
}

static void closed_family(const char *adm, char out[37], const char *street)
{
    json_decref(family_new(adm, js(json_pack("{s:{s:s}}", "address", "street", street)), out));
    struct resp *r = A("POST", fmt("/v1/families/%s/transitions", out), adm,
                       "{\"to\":\"closed\",\"reason\":\"goals_achieved\"}");
    ck_status(r, 200);
    resp_free(r);
}

START_TEST(closed_families_are_anonymised_after_the_retention_period)
{
    char tenant[37], adm[80], adm_id[37], coord[80];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "coordinator", NULL, coord, NULL);
    struct resp *r = A("GET", "/v1/settings", adm, NULL);
    ck_status(r, 200);
    ck_assert_int_eq(jint(r->json, "retention_years"), 10);
    resp_free(r);
    char old[37], recent[37];
    closed_family(adm, old, surname("ul. Dawna "));
    closed_family(adm, recent, surname("ul. Świeża "));
    LIST_IS(adm, "/v1/families?retention_due=true", 0);
    closed_years_ago(old, 10);
    /* (the job may already have done it: due, or anonymised) */
    for (int i = 0; i < 100; i++) {
        r = A("GET", fmt("/v1/families/%s", old), adm, NULL);
        bool done = json_is_true(json_object_get(r->json, "anonymized"));
        resp_free(r);
        if (done)
            break;
        usleep(100 * 1000);
    }
    r = A("GET", fmt("/v1/families/%s", old), adm, NULL);
    ck_assert_msg(json_is_true(json_object_get(r->json, "anonymized")), "%s", r->body);
    ck_assert(json_is_null(json_object_get(r->json, "address")));
    resp_free(r);
    r = A("GET", fmt("/v1/families/%s", recent), adm, NULL);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    resp_free(r);
    /* as the system's action */
    json_t *rows = audit_rows(adm, fmt("resource_id=%s&action=anonymize", old));
    ck_assert_msg(json_array_size(rows) == 1 &&
                      json_is_null(json_object_get(json_array_get(rows, 0), "actor_id")),
                  "%s", js(json_incref(rows)));
    json_decref(rows);
    LIST_IS(adm, "/v1/families?retention_due=true", 0);
    LIST_IS(coord, "/v1/families?retention_due=true", 0);

    /* switched off, explicitly: nothing more is anonymised, and nothing is due */
    long long v = version_of("/v1/settings", adm);
    r = AI("PATCH", "/v1/settings", adm, "{\"referral_overdue_days\":14}", etag(v));
    ck_status(r, 200);
    ck_assert_int_eq(jint(r->json, "retention_years"), 10); /* not by leaving it out */
    resp_free(r);
    r = AI("PATCH", "/v1/settings", adm, "{\"retention_years\":null}", etag(v + 1));
    ck_status(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "retention_years")));
    resp_free(r);
    closed_years_ago(recent, 30);
    LIST_IS(adm, "/v1/families?retention_due=true", 0);
    usleep(2500 * 1000); /* two runs of the job (KOOP_JOB_INTERVAL=1 in the tests) */
    r = A("GET", fmt("/v1/families/%s", recent), adm, NULL);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    resp_free(r);
    /* back on, for 50 years: closed 30 years ago is not due; for 20 it is */
    r = AI("PATCH", "/v1/settings", adm, "{\"retention_years\":50}", etag(v + 2));
    ck_status(r, 200);
    resp_free(r);
    LIST_IS(adm, "/v1/families?retention_due=false&status=closed", 2, old, recent);
    LIST_IS(adm, "/v1/families?retention_due=true", 0);
}
END_TEST

TCase *tcase_families_retention(void)
{
    TCase *tc = tcase_create("retention");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, closed_families_are_anonymised_after_the_retention_period);
    return tc;
}
