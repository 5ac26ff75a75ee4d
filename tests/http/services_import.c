/* The basket of services imported from CSV: the example file, bad rows
 * import nothing, row and column numbers, separators, quotes, dates, BOM,
 * headers, types, roles (SPEC §5 Services). */
#include "services.h"

static const char *direct_url(void)
{
    return env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
}

static int count_all(const char *tok)
{
    struct ids all;
    svc_list_all(tok, "", &all);
    return all.n;
}

static struct resp *import_ok(const char *tok, const char *csv)
{
    struct resp *r = import_csv(prism_url(), tok, csv, strlen(csv), "text/csv");
    ck_assert_msg(r->status == 200, "import: %ld %s\n%s", r->status, r->body, csv);
    return r;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- CSV import
 * ----------------------------------------------------------------------------------------- */

/* A fresh tenant with partners PUP (labour) and MOPS (social assistance). */
static void import_tenant(struct tenant *t, char pup[37], char mops[37])
{
    new_tenant(t);
    mk_partner(t->admin, "Powiatowy Urząd Pracy w Wodzisławiu Śląskim", "PUP", "labour", pup);
    mk_partner(t->admin, "Miejski Ośrodek Pomocy Społecznej", "MOPS", "social_assistance", mops);
}

static const char *item_of(const struct resp *r, size_t k)
{
    return jstr(json_array_get(json_object_get(r->json, "items"), k), "id");
}

START_TEST(import_example_file)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    size_t len;
    char *csv = read_file("docs/services-import-example.csv", &len);
    struct resp *r = import_csv(prism_url(), t.admin, csv, len, "text/csv");
    free(csv);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_int_eq(jint(r->json, "imported"), 2);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(jint(json_array_get(items, 0), "row"), 2);
    ck_assert_int_eq(jint(json_array_get(items, 1), "row"), 3);
    char klub_id[37], mieszk_id[37];
    snprintf(klub_id, sizeof klub_id, "%s", item_of(r, 0));
    snprintf(mieszk_id, sizeof mieszk_id, "%s", item_of(r, 1));
    resp_free(r);

    /* the services are listed */
    expect_set(t.admin, "", 2, klub_id, mieszk_id);
    expect_set(t.admin, "status=active", 1, klub_id);
    expect_set(t.admin, "sector=social_assistance", 1, mieszk_id);

    json_t *k = get_svc(t.admin, klub_id);
    ck_assert_str_eq(jstr(k, "name"), "Klub pracy");
    ck_assert_str_eq(jstr(k, "partner_id"), pup);
    ck_assert_str_eq(jstr(k, "status"), "active");
    ck_assert_str_eq(jstr(k, "category"), "vocational_activation");
    json_t *tg = json_object_get(k, "target_groups");
    ck_assert_int_eq(json_array_size(tg), 2);
    ck_assert_str_eq(json_string_value(json_array_get(tg, 0)), "unemployed");
    ck_assert_str_eq(json_string_value(json_array_get(tg, 1)), "adults");
    ck_assert_str_eq(jstr(k, "description"), "Warsztaty aktywnego poszukiwania pracy: CV, rozmowa "
                                             "kwalifikacyjna, \"ukryty\" rynek pracy.");
    ck_assert_str_eq(jstr(k, "eligibility"), "Osoby bezrobotne");
    ck_assert(json_is_false(json_object_get(k, "requires_referral")));
    ck_assert(json_is_true(json_object_get(json_object_get(k, "cost"), "free")));
    json_t *cap = json_object_get(k, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 8);
    ck_assert_int_eq(jint(cap, "maximum"), 12);
    ck_assert_str_eq(jstr(cap, "unit"), "miejsca");
    ck_assert_str_eq(jstr(cap, "updated_by"), t.admin_id);
    json_t *loc = json_array_get(json_object_get(k, "locations"), 0);
    ck_assert_str_eq(jstr(loc, "name"), "Sala szkoleniowa");
    json_t *addr = json_object_get(loc, "address");
    ck_assert_str_eq(jstr(addr, "street"), "ul. Pszowska");
    ck_assert_str_eq(jstr(addr, "building"), "92a");
    ck_assert_str_eq(jstr(addr, "postal_code"), "44-300");
    ck_assert_str_eq(jstr(addr, "city"), "Wodzisław Śląski");
    ck_assert_str_eq(jstr(json_object_get(k, "contact"), "phone"), "+48 32 000 00 01");
    ck_assert_str_eq(jstr(k, "valid_from"), "2026-09-01");
    ck_assert_str_eq(jstr(k, "verified_on"), "2026-10-01");
    json_decref(k);

    json_t *m = get_svc(t.admin, mieszk_id);
    ck_assert_str_eq(jstr(m, "name"), "Mieszkanie treningowe");
    ck_assert_str_eq(jstr(m, "partner_id"), mops);
    ck_assert_str_eq(jstr(m, "status"), "draft");
    ck_assert(json_is_true(json_object_get(m, "requires_referral")));
    ck_assert_int_eq(jint(json_object_get(m, "capacity"), "available"), 0);
    loc = json_array_get(json_object_get(m, "locations"), 0);
    ck_assert(json_is_null(json_object_get(loc, "name")));
    ck_assert_str_eq(jstr(json_object_get(loc, "address"), "street"), "ul. Kubsza");
    ck_assert(json_is_null(json_object_get(m, "contact")));
    ck_assert(json_is_null(json_object_get(m, "valid_from")));
    json_decref(m);
    /* searchable like any other */
    expect_set(t.admin, fmt("q=%s", svc_enc("mieszkanie bezdomnosci")), 1, mieszk_id);
}
END_TEST

START_TEST(import_bad_rows_import_nothing)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    char existing[37];
    create_svc(t.admin, svc_doc(pup, "Istniejąca usługa", "training"), existing);
    const char *csv = "partner;name;category;capacity_available;cost_free;postal_code;city\n"
                      "PUP;Dobry wiersz;training;1;tak;44-300;Wodzisław Śląski\n"
                      "PUP;Zła kategoria;cooking;1;tak;44-300;Wodzisław Śląski\n"
                      "MOPS;Dobry drugi;training;2;nie;;\n"
                      "PUP;Zła liczba;training;dużo;może;44-300;Rydułtowy\n"
                      "PUP;Zły kod;training;1;tak;44300;Pszów\n"
                      ";Bez partnera;training;1;tak;;\n"
                      "PUP;;training;1;tak;;\n";
    struct resp *r = import_csv(prism_url(), t.admin, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 3, "category", "enum");
    ck_row_err(r, 5, "capacity_available", "type");
    ck_row_err(r, 5, "cost_free", "type");
    ck_row_err(r, 6, "postal_code", NULL);
    ck_row_err(r, 7, "partner", "required");
    ck_row_err(r, 8, "name", "required");
    /* the good rows are not errors, and every error names its row */
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        long long row = jint(e, "row");
        ck_assert_msg(row >= 3 && row != 4, "error for row %lld: %s", row, r->body);
        ck_assert_str_eq(jstr(e, "in"), "body");
    }
    resp_free(r);
    /* nothing was imported, not even the good rows */
    expect_set(t.admin, "", 1, existing);
}
END_TEST

START_TEST(import_row_numbers_after_a_short_row)
{
    /* a row with too few fields is reported, and the rows after it keep their own numbers */
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    const char *csv = "partner;name;category\n"
                      "PUP;Za mało pól\n"
                      "PUP;Zła kategoria;cooking\n"
                      "PUP;;training\n";
    struct resp *r = import_csv(prism_url(), t.admin, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 2, "row", "invalid");
    ck_row_err(r, 3, "category", "enum");
    ck_row_err(r, 4, "name", "required");
    ck_assert_msg(json_array_size(json_object_get(r->json, "errors")) == 3, "%s", r->body);
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 0);
}
END_TEST

START_TEST(import_database_errors_name_row_and_column)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    const char *csv =
        "partner;name;category;capacity_available;capacity_maximum;valid_from;valid_until\n"
        "PUP;Dobry;training;1;2;;\n"
        "Nieznany Partner;Bez partnera w bazie;training;;;;\n"
        "MOPS;Za dużo miejsc;training;5;2;;\n"
        "MOPS;Odwrócone daty;training;;;01.05.2026;30.04.2026\n";
    struct resp *r = import_csv(prism_url(), t.admin, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 3, "partner", "not_found");
    ck_row_err(r, 5, "valid_until", "min");
    ck_row_err(r, 4, "capacity_available", "max");
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 0);
}
END_TEST

START_TEST(import_lists_every_bad_row)
{
    /* a value error in one row and an unknown partner in another: both are listed */
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    const char *csv = "partner;name;category\n"
                      "PUP;Zła kategoria;cooking\n"
                      "Nieznany Partner;Dobra kategoria;training\n"
                      "MOPS;Dobry;training\n";
    struct resp *r = import_csv(prism_url(), t.admin, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 2, "category", "enum");
    ck_row_err(r, 3, "partner", "not_found");
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 0);
}
END_TEST

START_TEST(import_separators_and_quotes)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    /* commas, with a quoted list of groups and yes/no in English; CRLF line ends */
    const char *comma =
        "name,partner,category,target_groups,requires_referral,cost_free,cost_description\r\n"
        "Dyżur prawnika,pup,legal_advice,\"adults,seniors\",true,no,\"20 zł, płatne z góry\"\r\n";
    struct resp *r = import_ok(t.admin, comma);
    char id[37];
    snprintf(id, sizeof id, "%s", item_of(r, 0));
    resp_free(r);
    json_t *s = get_svc(t.admin, id);
    ck_assert_str_eq(jstr(s, "name"), "Dyżur prawnika");
    ck_assert_str_eq(jstr(s, "partner_id"), pup);
    ck_assert_int_eq(json_array_size(json_object_get(s, "target_groups")), 2);
    ck_assert(json_is_true(json_object_get(s, "requires_referral")));
    ck_assert(json_is_false(json_object_get(json_object_get(s, "cost"), "free")));
    ck_assert_str_eq(jstr(json_object_get(s, "cost"), "description"), "20 zł, płatne z góry");
    json_decref(s);

    /* semicolons; quoted fields holding separators, doubled quotes and a line break */
    const char *semi =
        "partner;name;description;category;target_groups\n"
        "mops;\"Klub \"\"Nadzieja\"\"; spotkania, rozmowy\";\"Linia 1\n"
        "linia 2; z \"\"cytatem\"\", i przecinkiem\";psychological_support;\"youth;children\"\n"
        "Miejski Ośrodek Pomocy Społecznej;Drugi;;other;\n";
    r = import_ok(t.admin, semi);
    ck_assert_int_eq(jint(r->json, "imported"), 2);
    ck_assert_int_eq(jint(json_array_get(json_object_get(r->json, "items"), 1), "row"), 3);
    snprintf(id, sizeof id, "%s", item_of(r, 0));
    char second[37];
    snprintf(second, sizeof second, "%s", item_of(r, 1));
    resp_free(r);
    s = get_svc(t.admin, id);
    ck_assert_str_eq(jstr(s, "name"), "Klub \"Nadzieja\"; spotkania, rozmowy");
    ck_assert_str_eq(jstr(s, "description"), "Linia 1\nlinia 2; z \"cytatem\", i przecinkiem");
    ck_assert_str_eq(jstr(s, "partner_id"), mops);
    ck_assert_int_eq(json_array_size(json_object_get(s, "target_groups")), 2);
    json_decref(s);
    s = get_svc(t.admin, second);
    ck_assert_str_eq(jstr(s, "partner_id"), mops); /* by full name, too */
    ck_assert(json_is_null(json_object_get(s, "description")));
    ck_assert_int_eq(json_array_size(json_object_get(s, "target_groups")), 0);
    json_decref(s);
    ck_assert_int_eq(count_all(t.admin), 3);
}
END_TEST

START_TEST(import_dates_bom_and_partner_id)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    /* a BOM (as Excel writes), partner_id instead of a name, Polish dates */
    char csv[512];
    snprintf(csv, sizeof csv,
             "\xEF\xBB\xBFpartner_id;name;category;valid_from;valid_until;verified_on;status\n"
             "%s;Z BOM-em;debt_advice;01.09.2026;2027-08-31;15.03.2026;active\n",
             mops);
    struct resp *r = import_ok(t.admin, csv);
    char id[37];
    snprintf(id, sizeof id, "%s", item_of(r, 0));
    resp_free(r);
    json_t *s = get_svc(t.admin, id);
    ck_assert_str_eq(jstr(s, "name"), "Z BOM-em");
    ck_assert_str_eq(jstr(s, "partner_id"), mops);
    ck_assert_str_eq(jstr(s, "valid_from"), "2026-09-01");
    ck_assert_str_eq(jstr(s, "valid_until"), "2027-08-31");
    ck_assert_str_eq(jstr(s, "verified_on"), "2026-03-15");
    ck_assert_str_eq(jstr(s, "status"), "active");
    json_decref(s);

    /* dates that do not exist or are not in either form; a status that is not importable */
    const char *bad = "partner;name;category;valid_from;valid_until;status\n"
                      "PUP;Luty;other;31.02.2026;;\n"
                      "PUP;Krótka data;other;1.9.2026;;\n"
                      "PUP;Amerykańska;other;;09/01/2026;\n"
                      "PUP;Zarchiwizowana;other;;;retired\n";
    r = import_csv(prism_url(), t.admin, bad, strlen(bad), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 2, "valid_from", "format");
    ck_row_err(r, 3, "valid_from", "format");
    ck_row_err(r, 4, "valid_until", "format");
    ck_row_err(r, 5, "status", "enum");
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 1);
}
END_TEST

START_TEST(import_header_errors)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    struct {
        const char *csv, *field, *code;
    } cases[] = {
        {"partner;name;category;colour\nPUP;X;other;red\n", "colour", "unknown_field"},
        {"partner;name;category;name\nPUP;X;other;Y\n", "name", NULL},
        {"name;category\nX;other\n", "partner", "required"},
        {"partner;name;category;id\nPUP;X;other;0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\n", "id",
         "unknown_field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resp *r =
            import_csv(prism_url(), t.admin, cases[i].csv, strlen(cases[i].csv), "text/csv");
        ck_problem(r, 422, "validation_failed");
        ck_row_err(r, 1, cases[i].field, cases[i].code);
        resp_free(r);
    }
    /* a header alone, or nothing, is 422 too */
    struct resp *r = direct_raw("POST", "/v1/services/import", t.admin, "partner;name;category\n",
                                22, (const char *[]){"Content-Type: text/csv", NULL});
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    r = direct_raw("POST", "/v1/services/import", t.admin, "", 0,
                   (const char *[]){"Content-Type: text/csv", NULL});
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 0);
}
END_TEST

START_TEST(import_unreadable_or_wrong_type)
{
    struct tenant t;
    char pup[37], mops[37];
    import_tenant(&t, pup, mops);
    const char *ok = "partner;name;category\nPUP;Poprawna;other\n";
    /* not text/csv: 415 */
    const char *types[] = {"application/json", "text/plain", "text/csvx", "multipart/form-data"};
    for (size_t i = 0; i < 4; i++) {
        struct resp *r = import_csv(direct_url(), t.admin, ok, strlen(ok), types[i]);
        ck_problem(r, 415, "unsupported_media_type");
        resp_free(r);
    }
    struct resp *r = direct("POST", "/v1/services/import", t.admin, "{\"name\":\"x\"}", NULL);
    ck_problem(r, 415, "unsupported_media_type");
    resp_free(r);
    /* an unterminated quote or invalid UTF-8: 400 */
    const char *open = "partner;name;category\nPUP;\"Nie zamknięty;other\nPUP;Dalej;other\n";
    r = import_csv(direct_url(), t.admin, open, strlen(open), "text/csv");
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    const char *latin2 = "partner;name;category\nPUP;Pomoc spo\xb3\x65\x63zna;other\n";
    r = import_csv(direct_url(), t.admin, latin2, strlen(latin2), "text/csv");
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    const char nul[] = "partner;name;category\nPUP;A\0B;other\n";
    r = import_csv(direct_url(), t.admin, nul, sizeof nul - 1, "text/csv");
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    const char *stray = "partner;name;category\nPUP;Zły \"cudzysłów\";other\n";
    r = import_csv(direct_url(), t.admin, stray, strlen(stray), "text/csv");
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 0);
    /* charset parameter is fine */
    r = import_csv(direct_url(), t.admin, ok, strlen(ok), "text/csv; charset=utf-8");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);
    ck_assert_int_eq(count_all(t.admin), 1);
}
END_TEST

START_TEST(import_roles)
{
    const struct world *w = world();
    char p[37];
    mk_partner(w->admin_a, uniq("Partner Importu"), NULL, "ngo", p);
    char csv[160];
    snprintf(csv, sizeof csv, "partner_id;name;category\n%s;Import bez prawa;other\n", p);
    const char *nope[] = {w->social_a, w->staff_a, w->auditor_a};
    for (size_t i = 0; i < 3; i++) {
        struct resp *r = import_csv(prism_url(), nope[i], csv, strlen(csv), "text/csv");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    expect_set(w->admin_a, fmt("partner_id=%s", p), 0);
    struct resp *r = import_csv(prism_url(), w->coord_a, csv, strlen(csv), "text/csv");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    char id[37];
    snprintf(id, sizeof id, "%s", item_of(r, 0));
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s", p), 1, id);
}
END_TEST

TCase *tcase_services_import(void)
{
    TCase *tc = tcase_create("import");
    tcase_add_test(tc, import_example_file);
    tcase_add_test(tc, import_bad_rows_import_nothing);
    tcase_add_test(tc, import_row_numbers_after_a_short_row);
    tcase_add_test(tc, import_database_errors_name_row_and_column);
    tcase_add_test(tc, import_lists_every_bad_row);
    tcase_add_test(tc, import_separators_and_quotes);
    tcase_add_test(tc, import_dates_bom_and_partner_id);
    tcase_add_test(tc, import_header_errors);
    tcase_add_test(tc, import_unreadable_or_wrong_type);
    tcase_add_test(tc, import_roles);
    return tc;
}
