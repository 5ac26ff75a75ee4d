/* The basket of services exported as HSDS (Open Referral), also when it is
 * empty (SPEC §5 Services). */
#include "services.h"

/* ---- HSDS export
 * ---------------------------------------------------------------------------------------- */

static bool in_table(json_t *doc, const char *table, const char *key, const char *value)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, table), i, row)
    {
        const char *v = jstr(row, key);
        if (v && value && strcmp(v, value) == 0)
            return true;
    }
    return false;
}

/* Every row of table has a from-field naming an existing to_table.id. */
static void check_links(json_t *doc, const char *table, const char *from, const char *to_table)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, table), i, row)
    {
        const char *v = jstr(row, from);
        ck_assert_msg(v && in_table(doc, to_table, "id", v), "%s[%zu].%s = %s is no %s.id", table,
                      i, from, v ? v : "null", to_table);
    }
}

START_TEST(hsds_export)
{
    struct tenant t;
    new_tenant(&t);
    char org[37], org_draft[37];
    mk_partner(t.admin, "Powiatowe Centrum Pomocy Rodzinie", "PCPR", "family_support", org);
    mk_partner(t.admin, "Fundacja Tylko Szkice", NULL, "ngo", org_draft);
    char a[37], b[37], drafted[37], suspended[37], retired[37];
    json_t *d = svc_doc(org, "Asystent rodziny", "family_assistant");
    json_object_set_new(d, "target_groups", json_pack("[s,s]", "families", "children"));
    json_object_set_new(d, "requires_referral", json_true());
    json_object_set_new(d, "contact",
                        json_pack("{s:s, s:s}", "name", "Anna Nowak", "phone", "+48 32 111 11 11"));
    json_object_set_new(
        d, "locations",
        json_pack("[{s:s, s:{s:s, s:s, s:s, s:s}, s:[{s:[s,s], s:s, s:s}, {s:[s], s:s, s:s, s:s}]},"
                  " {s:{s:s}}]",
                  "name", "Siedziba PCPR", "address", "street", "ul. Pszowska", "building", "92a",
                  "postal_code", "44-300", "city", "Wodzisław Śląski", "opening_hours", "days",
                  "mon", "wed", "opens", "08:00", "closes", "15:30", "days", "fri", "opens",
                  "10:00", "closes", "18:00", "note", "dyżur", "address", "city", "Pszów"));
    json_object_set_new(d, "verified_on", json_string("2026-02-01"));
    create_svc(t.admin, d, a);
    create_svc(t.admin, svc_doc(org, "Poradnictwo rodzinne", "psychological_support"), b);
    create_svc(t.admin, svc_doc(org_draft, "Szkic niewidoczny", "other"), drafted);
    create_svc(t.admin, svc_doc(org, "Zawieszona usługa", "legal_advice"), suspended);
    create_svc(t.admin, svc_doc(org, "Wycofana usługa", "debt_advice"), retired);
    transition_ok(t.admin, a, "active");
    transition_ok(t.admin, b, "active");
    transition_ok(t.admin, suspended, "active");
    transition_ok(t.admin, suspended, "suspended");
    transition_ok(t.admin, retired, "retired");

    struct resp *r = api("GET", "/v1/services/export/hsds", t.admin, NULL);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    json_t *x = r->json;
    ck_assert_str_eq(jstr(x, "hsds_version"), "3.0");
    ck_assert_ptr_nonnull(jstr(x, "generated_at"));

    /* only the active services, and only the partners offering them */
    ck_assert_int_eq(json_array_size(json_object_get(x, "service")), 2);
    ck_assert(in_table(x, "service", "id", a));
    ck_assert(in_table(x, "service", "id", b));
    ck_assert_ptr_null(strstr(r->body, drafted));
    ck_assert_ptr_null(strstr(r->body, suspended));
    ck_assert_ptr_null(strstr(r->body, retired));
    ck_assert_ptr_null(strstr(r->body, "Szkic niewidoczny"));
    ck_assert_int_eq(json_array_size(json_object_get(x, "organization")), 1);
    ck_assert(in_table(x, "organization", "id", org));
    ck_assert_ptr_null(strstr(r->body, org_draft));

    /* every link points at a record of the export */
    check_links(x, "service", "organization_id", "organization");
    check_links(x, "location", "organization_id", "organization");
    check_links(x, "address", "location_id", "location");
    check_links(x, "service_at_location", "service_id", "service");
    check_links(x, "service_at_location", "location_id", "location");
    check_links(x, "schedule", "service_at_location_id", "service_at_location");
    check_links(x, "phone", "service_id", "service");
    check_links(x, "taxonomy_term", "taxonomy_id", "taxonomy");
    check_links(x, "attribute", "link_id", "service");
    check_links(x, "attribute", "taxonomy_term_id", "taxonomy_term");

    /* the shape of what a holds */
    ck_assert_int_eq(json_array_size(json_object_get(x, "location")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(x, "address")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(x, "service_at_location")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(x, "schedule")), 2);
    ck_assert_int_eq(json_array_size(json_object_get(x, "phone")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(x, "taxonomy")), 2);
    /* terms: family_assistant, psychological_support, families, children */
    ck_assert_int_eq(json_array_size(json_object_get(x, "taxonomy_term")), 4);
    /* attributes: a's category and two groups, b's category */
    ck_assert_int_eq(json_array_size(json_object_get(x, "attribute")), 4);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(x, "service"), i, row)
    {
        ck_assert_str_eq(jstr(row, "organization_id"), org);
        ck_assert_str_eq(jstr(row, "status"), "active");
        if (strcmp(jstr(row, "id"), a) == 0) {
            ck_assert_str_eq(jstr(row, "name"), "Asystent rodziny");
            ck_assert_str_eq(jstr(row, "assured_date"), "2026-02-01");
            ck_assert_str_eq(jstr(row, "alert"), "Wymagane skierowanie");
        }
    }
    bool mowe = false, fr = false;
    json_array_foreach(json_object_get(x, "schedule"), i, row)
    {
        if (strcmp(jstr(row, "byday"), "MO,WE") == 0) {
            mowe = true;
            ck_assert_str_eq(jstr(row, "opens_at"), "08:00");
            ck_assert_str_eq(jstr(row, "closes_at"), "15:30");
        } else if (strcmp(jstr(row, "byday"), "FR") == 0) {
            fr = true;
            ck_assert_str_eq(jstr(row, "description"), "dyżur");
        }
        ck_assert_str_eq(jstr(row, "freq"), "WEEKLY");
    }
    ck_assert(mowe && fr);
    ck_assert(in_table(x, "address", "address_1", "ul. Pszowska 92a"));
    ck_assert(in_table(x, "address", "city", "Pszów"));
    ck_assert(in_table(x, "address", "postal_code", "44-300"));
    ck_assert(in_table(x, "phone", "number", "+48 32 111 11 11"));
    ck_assert(in_table(x, "taxonomy_term", "code", "family_assistant"));
    ck_assert(in_table(x, "taxonomy_term", "name", "Asystent rodziny"));
    ck_assert(in_table(x, "taxonomy_term", "code", "children"));
    /* a's category term is linked to a */
    const char *term = NULL;
    json_array_foreach(json_object_get(x, "taxonomy_term"), i, row)
    {
        if (strcmp(jstr(row, "code"), "family_assistant") == 0)
            term = jstr(row, "id");
    }
    bool linked = false;
    json_array_foreach(json_object_get(x, "attribute"), i, row)
    {
        if (strcmp(jstr(row, "link_id"), a) == 0 &&
            strcmp(jstr(row, "taxonomy_term_id"), term) == 0)
            linked = true;
    }
    ck_assert_msg(linked, "a is not linked to its category term: %s", r->body);

    /* the same data gives the same ids */
    struct resp *again = api("GET", "/v1/services/export/hsds", t.admin, NULL);
    ck_assert_int_eq(again->status, 200);
    const char *tables[] = {"organization",        "service",  "location", "address",
                            "service_at_location", "schedule", "phone",    "taxonomy",
                            "taxonomy_term",       "attribute"};
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++)
        ck_assert_msg(
            json_equal(json_object_get(x, tables[k]), json_object_get(again->json, tables[k])),
            "%s differs between two exports", tables[k]);
    resp_free(again);
    resp_free(r);

    /* another tenant's export does not hold these; no query parameters; roles */
    r = api("GET", "/v1/services/export/hsds", world()->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_null(strstr(r->body, a));
    ck_assert_ptr_null(strstr(r->body, org));
    resp_free(r);
    r = direct("GET", "/v1/services/export/hsds?status=draft", t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "query");
    resp_free(r);
    r = api("GET", "/v1/services/export/hsds", world()->auditor_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("GET", "/v1/services/export/hsds", world()->platform, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
}
END_TEST

START_TEST(hsds_export_of_an_empty_basket)
{
    struct tenant t;
    new_tenant(&t);
    char p[37], s[37];
    mk_partner(t.admin, "Fundacja Bez Aktywnych", NULL, "ngo", p);
    create_svc(t.admin, svc_doc(p, "Tylko szkic", "other"), s);
    struct resp *r = api("GET", "/v1/services/export/hsds", t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    const char *tables[] = {
        "organization", "service", "location",      "address",  "service_at_location",
        "schedule",     "phone",   "taxonomy_term", "attribute"};
    for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
        json_t *a = json_object_get(r->json, tables[k]);
        ck_assert_msg(json_is_array(a) && json_array_size(a) == 0, "%s: %s", tables[k], r->body);
    }
    resp_free(r);
}
END_TEST

TCase *tcase_services_hsds(void)
{
    TCase *tc = tcase_create("hsds");
    tcase_add_test(tc, hsds_export);
    tcase_add_test(tc, hsds_export_of_an_empty_basket);
    return tc;
}
