/* Partners: filters, Polish search, sorts, keyset pagination, limit and
 * cursor validation (SPEC §5 Partners; conventions). */
#include "partners.h"

/* Asserts that GET /v1/partners<query> as token returns exactly the ids
 * in want (any order) on one page. */
static void expect_ids(const char *token, const char *query, const char *const *want, size_t n)
{
    struct resp *r = api("GET", fmt("/v1/partners%s", query), token, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", query, r->status, r->body);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_msg(json_array_size(items) == n, "list %s: want %zu items, got %zu: %s", query, n,
                  json_array_size(items), r->body);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        size_t j;
        const json_t *it;
        json_array_foreach(items, j, it) found |= !strcmp(jstr(it, "id"), want[i]);
        ck_assert_msg(found, "list %s: %s missing: %s", query, want[i], r->body);
    }
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    ck_assert_ptr_null(resp_header(r, "Link"));
    resp_free(r);
}

/* ---- lists ---- */

START_TEST(list_filters_and_polish_search)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    char a[37], b[37], c[37], d[37];
    create_raw(admin,
               "{\"name\":\"Miejski Ośrodek Pomocy Społecznej\",\"short_name\":\"MOPS\","
               "\"sector\":\"social_assistance\",\"is_leader\":true}",
               a);
    create_p(admin, "Komenda Miejska Policji", "police", b);
    create_p(admin, "Szkoła Podstawowa nr 3 im. Marii Skłodowskiej", "education", c);
    create_raw(admin,
               "{\"name\":\"Powiatowy Urząd Pracy\",\"short_name\":\"PUP\",\"sector\":\"labour\"}",
               d);
    char *dd = record_of(ppath(d), admin);
    json_t *dj = json_loads(dd, 0, NULL);
    char d_updated[64];
    snprintf(d_updated, sizeof d_updated, "%s", jstr(dj, "updated_at"));
    json_decref(dj);
    free(dd);
    struct resp *r = api_if("PATCH", ppath(a), admin,
                            "{\"declaration\":{\"signed_on\":\"2026-01-10\"}}", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api("POST", fmt("%s/transitions", ppath(a)), admin, "{\"to\":\"declared\"}");
    ck_assert_int_eq(r->status, 200);
    char a_updated[64];
    snprintf(a_updated, sizeof a_updated, "%s", jstr(r->json, "updated_at"));
    resp_free(r);

    const char *A[] = {a}, *B[] = {b}, *C[] = {c}, *D[] = {d}, *BCD[] = {b, c, d},
               *ALL[] = {a, b, c, d}, *DA[] = {d, a};
    expect_ids(admin, "", ALL, 4);
    expect_ids(admin, "?status=declared", A, 1);
    expect_ids(admin, "?status=invited", BCD, 3);
    expect_ids(admin, "?status=active", NULL, 0);
    expect_ids(admin, "?sector=police", B, 1);
    expect_ids(admin, "?sector=labour", D, 1);
    expect_ids(admin, "?sector=health", NULL, 0);
    expect_ids(admin, "?is_leader=true", A, 1);
    expect_ids(admin, "?is_leader=false", BCD, 3);
    expect_ids(admin, "?sector=social_assistance&status=declared", A, 1);
    expect_ids(admin, "?sector=police&status=declared", NULL, 0);
    /* Polish text: with and without diacritics, in any case */
    const char *osrodek[] = {"O%C5%9Brodek", "osrodek",         "O%C5%9ARODEK", "OSRODEK",
                             "%C5%9Brod",    "spo%C5%82ecznej", "SPOLECZNEJ",   "mops"};
    for (size_t i = 0; i < sizeof osrodek / sizeof osrodek[0]; i++)
        expect_ids(admin, fmt("?q=%s", osrodek[i]), A, 1);
    expect_ids(admin, "?q=sk%C5%82odowskiej", C, 1);
    expect_ids(admin, "?q=SKLODOWSKIEJ", C, 1);
    expect_ids(admin, "?q=szkola%20podstawowa", C, 1);
    expect_ids(admin, "?q=pup", D, 1);
    expect_ids(admin, "?q=miejsk", (const char *[]){a, b}, 2);
    expect_ids(admin, "?q=miejska&sector=police", B, 1);
    expect_ids(admin, "?q=nic%20takiego", NULL, 0);
    /* updated_since is inclusive */
    expect_ids(admin, fmt("?updated_since=%s", a_updated), A, 1);
    expect_ids(admin, fmt("?updated_since=%s", d_updated), DA, 2);
    expect_ids(admin, "?updated_since=2000-01-01T00:00:00Z", ALL, 4);
    expect_ids(admin, "?updated_since=2999-01-01T00:00:00Z", NULL, 0);
    expect_ids(admin, "?updated_since=2000-01-01T01:00:00%2B01:00", ALL, 4);
    /* bad filter values are 422 naming the parameter */
    struct {
        const char *q, *field, *code;
    } bad[] = {{"?status=retired", "status", "enum"},
               {"?sector=church", "sector", "enum"},
               {"?is_leader=yes", "is_leader", "type"},
               {"?updated_since=yesterday", "updated_since", "format"},
               {"?updated_since=2026-01-01", "updated_since", "format"},
               {"?q=", "q", "min_length"},
               {"?sort=status", "sort", "enum"},
               {"?sort=-id", "sort", "enum"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/partners%s", bad[i].q), admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "query");
        resp_free(r);
    }
}
END_TEST

static void names_in_order(const char *token, const char *query, const char *const *want, size_t n)
{
    struct resp *r = api("GET", fmt("/v1/partners%s", query), token, NULL);
    ck_assert_msg(r->status == 200, "%s: %ld %s", query, r->status, r->body);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(!strcmp(jstr(json_array_get(items, i), "name"), want[i]),
                      "%s: position %zu is %s, want %s", query, i,
                      jstr(json_array_get(items, i), "name"), want[i]);
    resp_free(r);
}

START_TEST(list_sorts)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    const char *created[] = {"beta", "Alfa", "delta", "Gamma"};
    char ids[4][37];
    for (int i = 0; i < 4; i++)
        create_p(admin, created[i], "ngo", ids[i]);
    const char *by_name[] = {"Alfa", "beta", "delta", "Gamma"};
    const char *by_name_desc[] = {"Gamma", "delta", "beta", "Alfa"};
    const char *by_created_desc[] = {"Gamma", "delta", "Alfa", "beta"};
    names_in_order(admin, "", created, 4); /* default: created_at */
    names_in_order(admin, "?sort=created_at", created, 4);
    names_in_order(admin, "?sort=-created_at", by_created_desc, 4);
    names_in_order(admin, "?sort=name", by_name, 4);
    names_in_order(admin, "?sort=-name", by_name_desc, 4);
    /* touching "beta" makes it the most recently updated */
    struct resp *r =
        api_if("PATCH", ppath(ids[0]), admin, "{\"competences\":\"Wolontariat\"}", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    const char *by_updated[] = {"Alfa", "delta", "Gamma", "beta"};
    const char *by_updated_desc[] = {"beta", "Gamma", "delta", "Alfa"};
    names_in_order(admin, "?sort=updated_at", by_updated, 4);
    names_in_order(admin, "?sort=-updated_at", by_updated_desc, 4);
    names_in_order(admin, "?sort=name&sector=ngo&limit=10", by_name, 4);
}
END_TEST

/* Walks every page of /v1/partners?sort=S&limit=L; returns the ids in
 * order as a JSON array and checks Link against next_cursor. When
 * follow_link, the next page is fetched from the Link header itself. */
static json_t *walk(const char *token, const char *sort, int limit, bool follow_link, int *pages)
{
    json_t *ids = json_array();
    char next[2048];
    snprintf(next, sizeof next, "/v1/partners?sort=%s&limit=%d", sort, limit);
    *pages = 0;
    for (int guard = 0; guard < 100; guard++) {
        struct resp *r = api("GET", next, token, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", next, r->status, r->body);
        (*pages)++;
        const json_t *items = json_object_get(r->json, "items");
        ck_assert_uint_le(json_array_size(items), (size_t)limit);
        size_t i;
        const json_t *it;
        json_array_foreach(items, i, it) json_array_append_new(ids, json_string(jstr(it, "id")));
        const char *cursor = jstr(r->json, "next_cursor");
        const char *link = resp_header(r, "Link");
        if (!cursor) {
            ck_assert_msg(json_is_null(json_object_get(r->json, "next_cursor")),
                          "next_cursor must be null on the last page");
            ck_assert_msg(link == NULL, "Link on the last page: %s", link);
            resp_free(r);
            break;
        }
        ck_assert_uint_eq(json_array_size(items), (size_t)limit);
        ck_assert_msg(link != NULL, "no Link header with next_cursor %s", cursor);
        ck_assert_msg(link[0] == '<' && strstr(link, ">; rel=\"next\""), "Link: %s", link);
        ck_assert_msg(strstr(link, fmt("cursor=%s", cursor)) != NULL, "Link %s lacks the cursor",
                      link);
        ck_assert_msg(strstr(link, fmt("sort=%s", sort)) && strstr(link, fmt("limit=%d", limit)),
                      "Link %s lost the parameters", link);
        ck_assert_ptr_nonnull(strstr(link, "/v1/partners?"));
        if (follow_link) {
            const char *start = link + 1, *end = strchr(link, '>');
            snprintf(next, sizeof next, "%.*s", (int)(end - start), start);
        } else {
            snprintf(next, sizeof next, "/v1/partners?sort=%s&limit=%d&cursor=%s", sort, limit,
                     cursor);
        }
        resp_free(r);
    }
    return ids;
}

START_TEST(keyset_pagination)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    enum { N = 23 };
    for (int i = 0; i < N; i++) {
        char id[37];
        /* repeated names: ties must be broken by id */
        create_p(admin, fmt("Partner %02d", i % 7), i % 2 ? "ngo" : "health", id);
    }
    /* a few updates so that updated_at differs from created_at order */
    struct resp *r = api("GET", "/v1/partners?limit=3", admin, NULL);
    size_t k;
    const json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), k, it)
    {
        struct resp *p =
            api_if("PATCH", ppath(jstr(it, "id")), admin, "{\"short_name\":\"zm\"}", "\"1\"");
        ck_assert_int_eq(p->status, 200);
        resp_free(p);
    }
    resp_free(r);
    const char *sorts[] = {"created_at", "-created_at", "name",
                           "-name",      "updated_at",  "-updated_at"};
    for (size_t s = 0; s < sizeof sorts / sizeof sorts[0]; s++) {
        int pages;
        json_t *all = walk(admin, sorts[s], 200, false, &pages);
        ck_assert_int_eq(pages, 1);
        ck_assert_uint_eq(json_array_size(all), N);
        const int limits[] = {1, 5, 7, 22, 23};
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            json_t *paged = walk(admin, sorts[s], limits[l], l % 2 == 1, &pages);
            ck_assert_msg(json_equal(paged, all), "sort %s limit %d: pages differ from one page",
                          sorts[s], limits[l]);
            ck_assert_int_eq(pages, (N + limits[l] - 1) / limits[l]);
            json_decref(paged);
        }
        /* no duplicates */
        for (size_t i = 0; i < json_array_size(all); i++)
            for (size_t j = i + 1; j < json_array_size(all); j++)
                ck_assert_str_ne(json_string_value(json_array_get(all, i)),
                                 json_string_value(json_array_get(all, j)));
        json_decref(all);
    }
    /* name order is by lower(name), ties by id */
    r = api("GET", "/v1/partners?sort=name&limit=200", admin, NULL);
    const json_t *items = json_object_get(r->json, "items");
    for (size_t i = 1; i < json_array_size(items); i++) {
        const json_t *x = json_array_get(items, i - 1), *y = json_array_get(items, i);
        int c = strcmp(jstr(x, "name"), jstr(y, "name"));
        ck_assert_msg(c < 0 || (c == 0 && strcmp(jstr(x, "id"), jstr(y, "id")) < 0),
                      "sort=name out of order at %zu", i);
    }
    resp_free(r);
    /* filters stay applied across pages */
    int pages;
    (void)pages;
    json_t *ids = json_array();
    char next[1024] = "/v1/partners?sector=ngo&limit=4";
    for (int guard = 0; guard < 20 && *next; guard++) {
        r = api("GET", next, admin, NULL);
        ck_assert_int_eq(r->status, 200);
        json_array_foreach(json_object_get(r->json, "items"), k, it)
        {
            ck_assert_str_eq(jstr(it, "sector"), "ngo");
            json_array_append_new(ids, json_string(jstr(it, "id")));
        }
        const char *c = jstr(r->json, "next_cursor");
        if (c)
            snprintf(next, sizeof next, "/v1/partners?sector=ngo&limit=4&cursor=%s", c);
        else
            next[0] = 0;
        resp_free(r);
    }
    ck_assert_uint_eq(json_array_size(ids), N / 2);
    json_decref(ids);
}
END_TEST

START_TEST(limit_and_cursor_validation)
{
    const struct world *w = world();
    struct {
        const char *q, *field, *code;
    } bad[] = {{"?limit=0", "limit", "min"},         {"?limit=201", "limit", "max"},
               {"?limit=abc", "limit", "type"},      {"?limit=-1", "limit", "min"},
               {"?limit=", "limit", "type"},         {"?limit=1.5", "limit", "type"},
               {"?limit=1000000", "limit", "max"},   {"?cursor=garbage", "cursor", "invalid"},
               {"?cursor=eyJ9", "cursor", "invalid"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp *r = api("GET", fmt("/v1/partners%s", bad[i].q), w->admin_a, NULL);
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad[i].q, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "query");
        resp_free(r);
    }
    struct resp *r = api("GET", "/v1/partners?limit=1", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = api("GET", "/v1/partners?limit=200", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* a cursor belongs to its sort */
    r = api("GET", "/v1/partners?limit=1&sort=name", w->admin_a, NULL);
    char cursor[1024];
    snprintf(cursor, sizeof cursor, "%s", jstr(r->json, "next_cursor"));
    resp_free(r);
    r = api("GET", fmt("/v1/partners?limit=1&sort=name&cursor=%s", cursor), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    const char *others[] = {"", "&sort=-name", "&sort=created_at", "&sort=updated_at"};
    for (int i = 0; i < 4; i++) {
        r = api("GET", fmt("/v1/partners?limit=1&cursor=%s%s", cursor, others[i]), w->admin_a,
                NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "cursor", NULL, "query");
        resp_free(r);
    }
    /* a cursor of one list is not a cursor of the agreements list of another sort */
    r = api("GET", fmt("/v1/partners/%s/agreements?cursor=%s", w->partner_a, cursor), w->admin_a,
            NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

TCase *tcase_partners_lists(void)
{
    TCase *tc = tcase_create("lists");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, list_filters_and_polish_search);
    tcase_add_test(tc, list_sorts);
    tcase_add_test(tc, keyset_pagination);
    tcase_add_test(tc, limit_and_cursor_validation);
    return tc;
}
