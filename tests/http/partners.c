/* /v1/partners and its sub-resources (agreements, benefits): CRUD with
 * ETags and If-Match, merge-patch semantics, validation, lists (filters,
 * Polish search, sorts, keyset pages), idempotent create, the status
 * machine, events and audit of every write, and tenant isolation of every
 * route. */
#include "client.h"
#include "pii.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const NOWHERE = "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000";

/* Creates a partner from a JSON body as token; asserts 201; id into out. */
static void create_raw(const char *token, const char *body, char out[37])
{
    struct resp *r = api("POST", "/v1/partners", token, body);
    ck_assert_msg(r->status == 201, "create partner: %ld %s (body %s)", r->status, r->body, body);
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

static void create_p(const char *token, const char *name, const char *sector, char out[37])
{
    char *body = partner_body(name, sector);
    create_raw(token, body, out);
    free(body);
}

static const char *ppath(const char *id)
{
    return fmt("/v1/partners/%s", id);
}

static bool timestamp_ok(const char *s)
{
    regex_t re;
    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
            REG_EXTENDED | REG_NOSUB);
    bool ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

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

static size_t count_q(const char *token, const char *q)
{
    char *enc = url_encode(q);
    struct resp *r = direct("GET", fmt("/v1/partners?limit=200&q=%s", enc), token, NULL, NULL);
    free(enc);
    ck_assert_msg(r->status == 200, "count q: %ld %s", r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

/* ---- create and read ---- */

START_TEST(create_and_get)
{
    const struct world *w = world();
    char nip[11];
    make_nip((long)getpid() * 10 + 1, nip);
    char name[128];
    snprintf(name, sizeof name, "Powiatowy Urząd Pracy w Krakowie %d", (int)getpid());
    note_pii("jan.kowalski@pup.example.pl");
    json_t *in = json_pack(
        "{s:s, s:s, s:s, s:b, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:s, "
        "s:[{s:s, s:s, s:s, s:s}, {s:s}], s:s, s:{s:s}}",
        "name", name, "short_name", "PUP Kraków", "sector", "labour", "is_leader", 0, "identifiers",
        "nip", nip, "regon", "123456785", "krs", "0000123456", "address", "street", "ul. Mogilska",
        "building", "25", "postal_code", "31-542", "city", "Kraków", "website",
        "https://pup.example.pl/kontakt", "contacts", "name", "Jan Kowalski", "role",
        "kierownik działu", "email", "jan.kowalski@pup.example.pl", "phone", "+48 12 000 00 00",
        "name", "Ewa Nowak", "competences", "Kieruje na szkolenia i staże.", "declaration",
        "certificate_number", "PZK/2026/007");
    char *body = jdump(in);
    struct resp *r = api("POST", "/v1/partners", w->coord_a, body);
    free(body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_int_eq((int)strlen(id), 36);
    ck_assert_str_eq(resp_header(r, "Location"), ppath(id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(resp_header(r, "Content-Type"), "application/json");
    ck_assert_str_eq(jstr(r->json, "status"), "invited");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    ck_assert(timestamp_ok(jstr(r->json, "created_at")));
    ck_assert(timestamp_ok(jstr(r->json, "updated_at")));
    /* what was sent comes back, with absent values as null */
    ck_assert_str_eq(jstr(r->json, "name"), name);
    ck_assert_str_eq(jstr(r->json, "short_name"), "PUP Kraków");
    ck_assert(json_is_false(json_object_get(r->json, "is_leader")));
    ck_assert(
        json_equal(json_object_get(r->json, "identifiers"), json_object_get(in, "identifiers")));
    ck_assert(json_equal(json_object_get(r->json, "address"), json_object_get(in, "address")));
    const json_t *contacts = json_object_get(r->json, "contacts");
    ck_assert_uint_eq(json_array_size(contacts), 2);
    ck_assert(json_equal(json_array_get(contacts, 0),
                         json_array_get(json_object_get(in, "contacts"), 0)));
    ck_assert_str_eq(jstr(json_array_get(contacts, 1), "name"), "Ewa Nowak");
    ck_assert(json_is_null(json_object_get(json_array_get(contacts, 1), "email")));
    const json_t *decl = json_object_get(r->json, "declaration");
    ck_assert_str_eq(jstr(decl, "certificate_number"), "PZK/2026/007");
    ck_assert(json_is_null(json_object_get(decl, "signed_on")));
    ck_assert(json_is_null(json_object_get(decl, "certificate_issued_on")));
    json_t *created = json_incref(r->json);
    resp_free(r);
    json_decref(in);

    r = api("GET", ppath(id), w->social_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_msg(json_equal(r->json, created), "GET differs from POST: %s", r->body);
    resp_free(r);
    json_decref(created);

    /* every tenant role reads it; an unknown id is 404 */
    const char *readers[] = {w->admin_a, w->auditor_a, w->staff_a};
    for (int i = 0; i < 3; i++) {
        r = api("GET", ppath(id), readers[i], NULL);
        ck_assert_int_eq(r->status, 200);
        resp_free(r);
    }
    r = api("GET", ppath(NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(create_validation)
{
    const struct world *w = world();
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Walidacja"));
    /* each body is a format with one %s: the name */
    struct {
        const char *body, *field, *code;
    } bad[] = {
        {"{\"sector\":\"ngo\",\"short_name\":\"%s\"}", "name", "required"},
        {"{\"name\":\"%s\"}", "sector", "required"},
        {"{\"name\":\"%s\",\"sector\":\"church\"}", "sector", "enum"},
        {"{\"name\":\"\",\"sector\":\"ngo\",\"competences\":\"%s\"}", "name", "min_length"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"nip\":\"1234567890\"}}",
         "identifiers.nip", "checksum"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"nip\":\"123-456-78-90\"}}",
         "identifiers.nip", "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"regon\":\"123456789\"}}",
         "identifiers.regon", "checksum"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"regon\":\"12345678500011\"}}",
         "identifiers.regon", "checksum"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"krs\":\"12345\"}}",
         "identifiers.krs", "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"address\":{\"postal_code\":\"31542\"}}",
         "address.postal_code", "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"contacts\":[{\"name\":\"A\",\"email\":\"a@\"}]}",
         "contacts[0].email", "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"contacts\":[{\"email\":\"a@b.pl\"}]}",
         "contacts[0].name", "required"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"website\":\"ftp://files.example\"}", "website",
         "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"declaration\":{\"signed_on\":\"2026-02-30\"}}",
         "declaration.signed_on", "format"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"is_leader\":\"true\"}", "is_leader", "type"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"status\":\"active\"}", "status", "read_only"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"tenant_id\":\"0190aaaa-bbbb-7ccc-8ddd-"
         "eeeeffff0000\"}",
         "tenant_id", "unknown_field"},
        {"{\"name\":\"%s\",\"sector\":\"ngo\",\"id\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\"}",
         "id", "read_only"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        LOCALF(body, bad[i].body, name);
        struct resp *r = api("POST", "/v1/partners", w->admin_a, body);
        ck_assert_msg(r->status == 422, "%s: %ld %s", body, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "body");
        resp_free(r);
    }
    /* every bad field is named at once */
    struct resp *r = api("POST", "/v1/partners", w->admin_a,
                         "{\"name\":5,\"sector\":\"ngo\",\"identifiers\":{\"nip\":\"1234567890\","
                         "\"regon\":\"123456789\",\"vat\":\"PL\"},\"colour\":\"red\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", "type", "body");
    ck_error(r, "identifiers.nip", "checksum", "body");
    ck_error(r, "identifiers.regon", "checksum", "body");
    ck_error(r, "identifiers.vat", "unknown_field", "body");
    ck_error(r, "colour", "unknown_field", "body");
    resp_free(r);
    ck_assert_uint_eq(count_q(w->admin_a, name), 0);
    /* a duplicate NIP within a tenant is a conflict; another tenant may use it */
    char nip[11], id[37], idb[37];
    make_nip((long)getpid() * 10 + 2, nip);
    LOCALF(body, "{\"name\":\"%s\",\"sector\":\"ngo\",\"identifiers\":{\"nip\":\"%s\"}}", name,
           nip);
    create_raw(w->admin_a, body, id);
    r = api("POST", "/v1/partners", w->admin_a, body);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_uint_eq(count_q(w->admin_a, name), 1);
    create_raw(w->admin_b, body, idb);
    /* taking another partner's NIP by PATCH is the same conflict */
    char other[37];
    create_p(w->admin_a, name, "ngo", other);
    r = api_if("PATCH", ppath(other), w->admin_a, fmt("{\"identifiers\":{\"nip\":\"%s\"}}", nip),
               "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(other), w->admin_a), 1);
}
END_TEST

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

/* ---- patch ---- */

START_TEST(patch_preconditions)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Warunki"), "ngo", id);
    LOCALF(p, "/v1/partners/%s", id);
    char *before = record_of(p, w->admin_a);
    const char *patch = "{\"competences\":\"Zmienione\"}";
    struct resp *r = api("PATCH", p, w->admin_a, patch);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    const char *stale[] = {"\"2\"", "\"0\"", "W/\"1\"", "1", "\"1\", \"2\"", "\"abc\"", "*"};
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        r = api_if("PATCH", p, w->admin_a, patch, stale[i]);
        ck_assert_msg(r->status == 412, "If-Match %s: %ld %s", stale[i], r->status, r->body);
        ck_problem(r, 412, "precondition_failed");
        resp_free(r);
    }
    char *after = record_of(p, w->admin_a);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    r = api_if("PATCH", p, w->admin_a, patch, "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(jstr(r->json, "competences"), "Zmienione");
    ck_assert_str_gt(jstr(r->json, "updated_at"), jstr(r->json, "created_at"));
    resp_free(r);
    /* the old ETag is now stale */
    r = api_if("PATCH", p, w->admin_a, "{\"competences\":\"Znowu\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api("GET", p, w->admin_a, NULL);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_str_eq(jstr(r->json, "competences"), "Zmienione");
    resp_free(r);
    /* merge-patch media type */
    const char *h[] = {"Content-Type: application/merge-patch+json", "If-Match: \"2\"", NULL};
    r = api_h("PATCH", p, w->admin_a, "{\"competences\":null}", h);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert(json_is_null(json_object_get(r->json, "competences")));
    resp_free(r);
    /* a PATCH of an unknown id is 404 whatever If-Match says */
    r = api_if("PATCH", ppath(NOWHERE), w->admin_a, patch, "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(merge_patch_semantics)
{
    const struct world *w = world();
    char nip[11], id[37];
    make_nip((long)getpid() * 10 + 3, nip);
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Stowarzyszenie Scalanie"));
    create_raw(
        w->admin_a,
        fmt("{\"name\":\"%s\",\"short_name\":\"SN\",\"sector\":\"ngo\","
            "\"identifiers\":{\"nip\":\"%s\",\"regon\":\"123456785\"},"
            "\"address\":{\"street\":\"ul. Długa\",\"building\":\"1\",\"postal_code\":\"00-001\","
            "\"city\":\"Warszawa\"},\"website\":\"https://s.example.org\","
            "\"contacts\":[{\"name\":\"A\"},{\"name\":\"B\",\"phone\":\"123\"}],"
            "\"competences\":\"Pomoc\",\"declaration\":{\"certificate_number\":\"C-1\"}}",
            name, nip),
        id);
    LOCALF(p, "/v1/partners/%s", id);
    struct resp *r =
        api_if("PATCH", p, w->admin_a,
               "{\"short_name\":null,\"address\":{\"city\":\"Kraków\",\"building\":null},"
               "\"identifiers\":{\"regon\":null},\"declaration\":{\"signed_on\":\"2026-01-10\"},"
               "\"contacts\":[{\"name\":\"C\",\"email\":\"c@s.example.org\"}],\"website\":null}",
               "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    const json_t *j = r->json;
    ck_assert(json_is_null(json_object_get(j, "short_name")));
    ck_assert(json_is_null(json_object_get(j, "website")));
    ck_assert_str_eq(jstr(j, "name"), name);
    ck_assert_str_eq(jstr(j, "sector"), "ngo");
    ck_assert_str_eq(jstr(j, "competences"), "Pomoc");
    const json_t *addr = json_object_get(j, "address");
    ck_assert_str_eq(jstr(addr, "street"), "ul. Długa");
    ck_assert_str_eq(jstr(addr, "postal_code"), "00-001");
    ck_assert_str_eq(jstr(addr, "city"), "Kraków");
    ck_assert(json_is_null(json_object_get(addr, "building")));
    const json_t *ids = json_object_get(j, "identifiers");
    ck_assert_str_eq(jstr(ids, "nip"), nip);
    ck_assert(json_is_null(json_object_get(ids, "regon")));
    const json_t *decl = json_object_get(j, "declaration");
    ck_assert_str_eq(jstr(decl, "certificate_number"), "C-1");
    ck_assert_str_eq(jstr(decl, "signed_on"), "2026-01-10");
    /* arrays are replaced whole */
    const json_t *contacts = json_object_get(j, "contacts");
    ck_assert_uint_eq(json_array_size(contacts), 1);
    ck_assert_str_eq(jstr(json_array_get(contacts, 0), "name"), "C");
    ck_assert_str_eq(jstr(json_array_get(contacts, 0), "email"), "c@s.example.org");
    ck_assert_str_eq(jstr(j, "status"), "invited");
    ck_assert_int_eq(jint(j, "version"), 2);
    resp_free(r);
    /* null removes a whole object; a later patch starts from empty */
    r = api_if("PATCH", p, w->admin_a, "{\"address\":null,\"contacts\":[]}", "\"2\"");
    ck_assert_int_eq(r->status, 200);
    ck_assert(json_is_null(json_object_get(r->json, "address")));
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "contacts")), 0);
    resp_free(r);
    r = api_if("PATCH", p, w->admin_a, "{\"address\":{\"city\":\"Gdańsk\"}}", "\"3\"");
    ck_assert_int_eq(r->status, 200);
    addr = json_object_get(r->json, "address");
    ck_assert_str_eq(jstr(addr, "city"), "Gdańsk");
    ck_assert(json_is_null(json_object_get(addr, "street")));
    json_t *last = json_incref(r->json);
    resp_free(r);
    r = api("GET", p, w->admin_a, NULL);
    ck_assert(json_equal(r->json, last));
    resp_free(r);
    json_decref(last);
    /* not-nullable values cannot be removed */
    const char *bad[][2] = {{"{\"name\":null}", "name"},
                            {"{\"sector\":null}", "sector"},
                            {"{\"is_leader\":null}", "is_leader"},
                            {"{\"identifiers\":null}", "identifiers"},
                            {"{\"contacts\":null}", "contacts"}};
    for (int i = 0; i < 5; i++) {
        r = api_if("PATCH", p, w->admin_a, bad[i][0], "\"4\"");
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], NULL, "body");
        resp_free(r);
    }
    ck_assert_int_eq(version_of(p, w->admin_a), 4);
}
END_TEST

START_TEST(patch_rejects_unknown_and_read_only_fields)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Tylko do odczytu"), "ngo", id);
    LOCALF(p, "/v1/partners/%s", id);
    char *before = record_of(p, w->admin_a);
    struct resp *r =
        api_if("PATCH", p, w->admin_a,
               fmt("{\"id\":\"%s\",\"status\":\"active\",\"version\":9,\"created_at\":"
                   "\"2026-01-01T00:00:00.000000Z\",\"updated_at\":\"2026-01-01T00:00:00.000000Z\","
                   "\"tenant_id\":\"%s\",\"colour\":\"red\",\"identifiers\":{\"vat\":\"PL1\"},"
                   "\"address\":{\"country\":\"PL\"},\"declaration\":{\"signed_by\":\"x\"}}",
                   NOWHERE, w->tenant_b),
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    /* tenant_id is no field of a partner at all: the token decides the tenant */
    const char *ro[] = {"id", "status", "version", "created_at", "updated_at"};
    for (int i = 0; i < 5; i++)
        ck_error(r, ro[i], "read_only", "body");
    const char *unknown[] = {"tenant_id", "colour", "identifiers.vat", "address.country",
                             "declaration.signed_by"};
    for (int i = 0; i < 5; i++)
        ck_error(r, unknown[i], "unknown_field", "body");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "errors")), 10);
    resp_free(r);
    /* one read-only field alone, with otherwise good changes, still changes nothing */
    r = api_if("PATCH", p, w->admin_a, "{\"status\":\"active\",\"competences\":\"x\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", "read_only", "body");
    resp_free(r);
    r = api_if("PATCH", p, w->admin_a, "{\"identifiers\":{\"nip\":\"1234567890\"}}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "identifiers.nip", "checksum", "body");
    resp_free(r);
    r = api_if("PATCH", p, w->admin_a, "{\"identifiers\":{\"regon\":\"123456789\"}}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "identifiers.regon", "checksum", "body");
    resp_free(r);
    char *after = record_of(p, w->admin_a);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
}
END_TEST

START_TEST(only_one_leader)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    char a[37], b[37];
    create_raw(admin, "{\"name\":\"MOPS\",\"sector\":\"social_assistance\",\"is_leader\":true}", a);
    struct resp *r =
        api("POST", "/v1/partners", admin,
            "{\"name\":\"OPS 2\",\"sector\":\"social_assistance\",\"is_leader\":true}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    create_p(admin, "OPS 2", "social_assistance", b);
    r = api_if("PATCH", ppath(b), admin, "{\"is_leader\":true}", "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(b), admin), 1);
    /* hand over leadership: first remove it, then give it */
    r = api_if("PATCH", ppath(a), admin, "{\"is_leader\":false}", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api_if("PATCH", ppath(b), admin, "{\"is_leader\":true}", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    ck_assert(json_is_true(json_object_get(r->json, "is_leader")));
    resp_free(r);
}
END_TEST

START_TEST(partner_staff_edits_only_own_partner)
{
    const struct world *w = world();
    LOCALF(own, "/v1/partners/%s", w->partner_a);
    long long v = version_of(own, w->admin_a);
    struct resp *r =
        api_if("PATCH", own, w->staff_a,
               "{\"competences\":\"Przyjmuje skierowania w poniedziałki\","
               "\"contacts\":[{\"name\":\"Recepcja\",\"phone\":\"+48 22 000 00 00\"}]}",
               etag(v));
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_int_eq(jint(r->json, "version"), v + 1);
    resp_free(r);
    v++;
    /* not is_leader, not sector */
    r = api_if("PATCH", own, w->staff_a, "{\"is_leader\":true}", etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api_if("PATCH", own, w->staff_a, "{\"sector\":\"ngo\"}", etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    ck_assert_int_eq(version_of(own, w->admin_a), v);
    /* another, visible partner of the same tenant: 403, unchanged */
    char other[37];
    create_p(w->admin_a, uniq("Cudzy partner"), "health", other);
    r = api("GET", ppath(other), w->staff_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    char *before = record_of(ppath(other), w->admin_a);
    r = api_if("PATCH", ppath(other), w->staff_a, "{\"competences\":\"przejęte\"}", "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    char *after = record_of(ppath(other), w->admin_a);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    /* another tenant's partner: invisible */
    r = api_if("PATCH", ppath(w->partner_b), w->staff_a, "{\"competences\":\"x\"}", "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* and staff cannot move statuses or delete */
    r = api("POST", fmt("%s/transitions", own), w->staff_a, "{\"to\":\"withdrawn\"}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api_if("DELETE", own, w->staff_a, NULL, etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    ck_assert_int_eq(version_of(own, w->admin_a), v);
}
END_TEST

/* ---- delete ---- */

START_TEST(delete_partner)
{
    const struct world *w = world();
    char id[37];
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Do usunięcia"));
    create_p(w->coord_a, name, "ngo", id);
    LOCALF(p, "/v1/partners/%s", id);
    struct resp *r = api("DELETE", p, w->coord_a, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", p, w->coord_a, NULL, "\"5\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", p, w->coord_a, NULL, "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(p, w->admin_a), 1);
    ck_assert_uint_eq(count_q(w->admin_a, name), 1);
    r = api_if("DELETE", p, w->coord_a, NULL, "\"1\"");
    ck_assert_msg(r->status == 204, "%ld %s", r->status, r->body);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("GET", p, w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", p, w->coord_a, NULL, "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", p, w->coord_a, "{\"competences\":\"x\"}", "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", fmt("%s/transitions", p), w->coord_a, "{\"to\":\"withdrawn\"}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_assert_uint_eq(count_q(w->admin_a, name), 0);
}
END_TEST

START_TEST(delete_referenced_partner_is_409)
{
    const struct world *w = world();
    /* partner A has users (its staff) */
    LOCALF(pa, "/v1/partners/%s", w->partner_a);
    long long v = version_of(pa, w->admin_a);
    struct resp *r = api_if("DELETE", pa, w->admin_a, NULL, etag(v));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(pa, w->admin_a), v);
    /* a partner with an agreement */
    char id[37];
    create_p(w->admin_a, uniq("Z porozumieniem"), "education", id);
    r = api("POST", fmt("%s/agreements", ppath(id)), w->admin_a,
            "{\"title\":\"Porozumienie\",\"signed_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    char ag[37];
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api_if("DELETE", ppath(id), w->admin_a, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 1);
    /* a partner named as the beneficiary of another partner's benefit */
    char giver[37];
    create_p(w->admin_a, uniq("Darczyńca"), "ngo", giver);
    r = api("POST", fmt("%s/benefits", ppath(giver)), w->admin_a,
            fmt("{\"description\":\"Wspólne szkolenie\",\"recorded_on\":\"2026-03-01\","
                "\"beneficiary_partner_id\":\"%s\"}",
                id));
    ck_assert_int_eq(r->status, 201);
    resp_free(r);
    r = api_if("DELETE", fmt("%s/agreements/%s", ppath(id), ag), w->admin_a, NULL, "\"1\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api_if("DELETE", ppath(id), w->admin_a, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 1);
}
END_TEST

/* ---- idempotency ---- */

START_TEST(idempotent_create)
{
    const struct world *w = world();
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Idempotentny"));
    char *body = partner_body(name, "culture_sport");
    char key[64], hk[96];
    snprintf(key, sizeof key, "idem-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(hk, sizeof hk, "Idempotency-Key: %s", key);
    const char *h[] = {hk, NULL};
    struct resp *r1 = api_h("POST", "/v1/partners", w->admin_a, body, h);
    ck_assert_msg(r1->status == 201, "%ld %s", r1->status, r1->body);
    struct resp *r2 = api_h("POST", "/v1/partners", w->admin_a, body, h);
    ck_assert_msg(r2->status == 201, "replay: %ld %s", r2->status, r2->body);
    ck_assert_str_eq(jstr(r2->json, "id"), jstr(r1->json, "id"));
    ck_assert_msg(json_equal(r1->json, r2->json), "replayed body differs: %s vs %s", r1->body,
                  r2->body);
    char loc[128];
    snprintf(loc, sizeof loc, "%s", resp_header(r1, "Location"));
    ck_assert_str_eq(resp_header(r2, "Location"), loc);
    ck_assert_str_eq(resp_header(r2, "ETag"), "\"1\"");
    ck_assert_uint_eq(count_q(w->admin_a, name), 1);
    /* a replay is the original response even after the record changed */
    struct resp *p = api_if("PATCH", loc, w->admin_a, "{\"competences\":\"Koncerty\"}", "\"1\"");
    ck_assert_int_eq(p->status, 200);
    resp_free(p);
    struct resp *r3 = api_h("POST", "/v1/partners", w->admin_a, body, h);
    ck_assert_int_eq(r3->status, 201);
    ck_assert(json_equal(r1->json, r3->json));
    resp_free(r3);
    ck_assert_uint_eq(count_q(w->admin_a, name), 1);
    /* same key, another body */
    char other_name[128];
    snprintf(other_name, sizeof other_name, "%s", uniq("Idempotentny inny"));
    char *other = partner_body(other_name, "culture_sport");
    r3 = api_h("POST", "/v1/partners", w->admin_a, other, h);
    ck_problem(r3, 422, "validation_failed");
    ck_error(r3, "Idempotency-Key", NULL, "header");
    resp_free(r3);
    ck_assert_uint_eq(count_q(w->admin_a, other_name), 0);
    ck_assert_uint_eq(count_q(w->admin_a, name), 1);
    /* keys are scoped to the user: another user with the same key creates anew */
    r3 = api_h("POST", "/v1/partners", w->coord_a, body, h);
    ck_assert_int_eq(r3->status, 201);
    ck_assert_str_ne(jstr(r3->json, "id"), jstr(r1->json, "id"));
    resp_free(r3);
    ck_assert_uint_eq(count_q(w->admin_a, name), 2);
    /* and to the path: the same key on a sub-collection is a different request */
    r3 = api_h("POST", fmt("/v1/partners/%s/agreements", jstr(r1->json, "id")), w->admin_a,
               "{\"title\":\"Umowa\",\"signed_on\":\"2026-02-01\"}", h);
    ck_assert_msg(r3->status == 201, "%ld %s", r3->status, r3->body);
    resp_free(r3);
    /* a key of more than 255 characters */
    char longkey[320];
    snprintf(longkey, sizeof longkey, "Idempotency-Key: %0256d", 7);
    const char *hl[] = {longkey, NULL};
    r3 = direct("POST", "/v1/partners", w->admin_a, other, hl);
    ck_problem(r3, 422, "validation_failed");
    ck_error(r3, "Idempotency-Key", "max_length", "header");
    resp_free(r3);
    ck_assert_uint_eq(count_q(w->admin_a, other_name), 0);
    free(other);
    free(body);
    resp_free(r1);
    resp_free(r2);
}
END_TEST

/* ---- transitions ---- */

static struct resp *move(const char *token, const char *id, const char *to, const char *if_match)
{
    return api_if("POST", fmt("/v1/partners/%s/transitions", id), token,
                  fmt("{\"to\":\"%s\",\"reason\":\"test\"}", to), if_match);
}

static void check_allowed(const struct resp *r, const char *const *want, size_t n)
{
    ck_problem(r, 409, "invalid_transition");
    const json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && json_array_size(allowed) == n, "allowed: %s", r->body);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        size_t j;
        const json_t *a;
        json_array_foreach(allowed, j, a) found |= !strcmp(json_string_value(a), want[i]);
        ck_assert_msg(found, "%s not in allowed: %s", want[i], r->body);
    }
}

START_TEST(transitions_full_path)
{
    const struct world *w = world();
    char id[37];
    create_p(w->coord_a, uniq("Przejścia"), "justice", id);
    const char *from_invited[] = {"declared", "withdrawn"};
    struct resp *r = move(w->coord_a, id, "active", NULL);
    check_allowed(r, from_invited, 2);
    resp_free(r);
    r = move(w->coord_a, id, "suspended", NULL);
    check_allowed(r, from_invited, 2);
    resp_free(r);
    /* declaring needs declaration.signed_on */
    r = move(w->coord_a, id, "declared", NULL);
    ck_problem(r, 409, "invalid_transition");
    const json_t *missing = json_object_get(r->json, "missing");
    ck_assert_msg(
        json_array_size(missing) == 1 &&
            !strcmp(json_string_value(json_array_get(missing, 0)), "declaration.signed_on"),
        "missing: %s", r->body);
    resp_free(r);
    /* bad bodies */
    const char *bad[][3] = {{"{\"to\":\"bogus\"}", "to", "enum"},
                            {"{}", "to", "required"},
                            {"{\"to\":\"declared\",\"when\":\"now\"}", "when", "unknown_field"},
                            {"{\"to\":5}", "to", "type"},
                            {"{\"to\":\"declared\",\"reason\":\"\"}", "reason", "min_length"}};
    for (int i = 0; i < 5; i++) {
        r = api("POST", fmt("/v1/partners/%s/transitions", id), w->coord_a, bad[i][0]);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], bad[i][2], "body");
        resp_free(r);
    }
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 1);
    r = api_if("PATCH", ppath(id), w->coord_a,
               "{\"declaration\":{\"signed_on\":\"2026-02-10\",\"certificate_number\":\"PZK/7\"}}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* If-Match is optional but checked when sent */
    r = move(w->coord_a, id, "declared", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 2);
    r = move(w->coord_a, id, "declared", "\"2\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "declared");
    ck_assert_int_eq(jint(r->json, "version"), 3);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"3\"");
    resp_free(r);
    const char *path[] = {"active", "suspended", "active", "withdrawn"};
    for (int i = 0; i < 4; i++) {
        r = move(w->admin_a, id, path[i], NULL);
        ck_assert_msg(r->status == 200, "to %s: %ld %s", path[i], r->status, r->body);
        ck_assert_str_eq(jstr(r->json, "status"), path[i]);
        ck_assert_int_eq(jint(r->json, "version"), 4 + i);
        resp_free(r);
    }
    /* withdrawn is final */
    const char *all[] = {"invited", "declared", "active", "suspended", "withdrawn"};
    for (int i = 0; i < 5; i++) {
        r = move(w->admin_a, id, all[i], NULL);
        check_allowed(r, NULL, 0);
        resp_free(r);
    }
    r = api("GET", ppath(id), w->admin_a, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert_int_eq(jint(r->json, "version"), 7);
    resp_free(r);
    /* any state → withdrawn, e.g. straight from invited */
    char id2[37];
    create_p(w->coord_a, uniq("Wycofany od razu"), "ngo", id2);
    r = move(w->coord_a, id2, "withdrawn", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* a declared partner cannot go back or be suspended */
    char id3[37];
    create_raw(
        w->coord_a,
        fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"declaration\":{\"signed_on\":\"2026-01-01\"}}",
            uniq("Zadeklarowany")),
        id3);
    r = move(w->coord_a, id3, "declared", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    const char *from_declared[] = {"active", "withdrawn"};
    r = move(w->coord_a, id3, "invited", NULL);
    check_allowed(r, from_declared, 2);
    resp_free(r);
    r = move(w->coord_a, id3, "suspended", NULL);
    check_allowed(r, from_declared, 2);
    resp_free(r);
}
END_TEST

START_TEST(status_is_read_only)
{
    const struct world *w = world();
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Status wprost"));
    struct resp *r = api("POST", "/v1/partners", w->admin_a,
                         fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"status\":\"active\"}", name));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", "read_only", "body");
    resp_free(r);
    ck_assert_uint_eq(count_q(w->admin_a, name), 0);
    char id[37];
    create_p(w->admin_a, name, "ngo", id);
    r = api_if("PATCH", ppath(id), w->admin_a, "{\"status\":\"withdrawn\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", "read_only", "body");
    resp_free(r);
    r = api("GET", ppath(id), w->admin_a, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "invited");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    resp_free(r);
}
END_TEST

/* ---- events and audit ---- */

static json_t *events_for(const char *token, long long after, const char *resource_id,
                          const char *types)
{
    json_t *out = json_array();
    for (int guard = 0; guard < 1000; guard++) {
        struct resp *r = api("GET",
                             fmt("/v1/events?after=%lld&limit=200%s%s", after,
                                 types ? "&types=" : "", types ? types : ""),
                             token, NULL);
        ck_assert_msg(r->status == 200, "events: %ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        size_t i;
        const json_t *e;
        long long prev = after;
        json_array_foreach(items, i, e)
        {
            ck_assert_msg(jint(e, "id") > prev, "event ids not increasing: %s", r->body);
            prev = jint(e, "id");
            ck_assert_uint_eq(json_object_size(e),
                              6); /* id type resource resource_id version occurred_at */
            ck_assert(timestamp_ok(jstr(e, "occurred_at")));
            if (!resource_id || !strcmp(jstr(e, "resource_id"), resource_id))
                json_array_append(out, (json_t *)e);
        }
        long long next = jint(r->json, "next_after");
        if (json_array_size(items))
            ck_assert_int_eq(next, prev);
        else
            ck_assert_int_eq(next, after);
        after = next;
        size_t n = json_array_size(items);
        resp_free(r);
        if (n == 0)
            break;
    }
    return out;
}

static void check_events(const json_t *ev, const char *const *types, const int *versions, size_t n)
{
    char *s = jdump(ev);
    ck_assert_msg(json_array_size(ev) == n, "want %zu events, got %s", n, s);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ev, i);
        ck_assert_msg(!strcmp(jstr(e, "type"), types[i]), "event %zu is %s, want %s: %s", i,
                      jstr(e, "type"), types[i], s);
        if (versions[i] >= 0)
            ck_assert_msg(jint(e, "version") == versions[i], "event %zu version: %s", i, s);
    }
    free(s);
}

START_TEST(every_write_is_an_event_and_audited)
{
    char tenant[37], admin[80], admin_id[37], auditor[80];
    fresh_tenant(tenant, admin, admin_id);
    make_user(admin, "auditor", NULL, auditor, NULL);
    long long base = last_event_id(admin);
    ck_assert_int_ge(base, 0);
    const char *name = "Fundacja Tajna Nazwa Osobowa";
    note_pii("Sekretny");
    note_pii("jan.sekretny@example.org");
    struct resp *r = api("POST", "/v1/partners", admin,
                         fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"contacts\":[{\"name\":\"Jan "
                             "Sekretny\",\"email\":\"jan.sekretny@example.org\"}]}",
                             name));
    ck_assert_int_eq(r->status, 201);
    char id[37], create_rid[80];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    snprintf(create_rid, sizeof create_rid, "%s", resp_header(r, "X-Request-Id"));
    resp_free(r);
    r = api_if("PATCH", ppath(id), admin, "{\"declaration\":{\"signed_on\":\"2026-01-05\"}}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = move(admin, id, "declared", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = move(admin, id, "active", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* rejected writes leave no event */
    r = move(admin, id, "invited", NULL);
    ck_assert_int_eq(r->status, 409);
    resp_free(r);
    r = api_if("PATCH", ppath(id), admin, "{\"competences\":\"x\"}", "\"1\"");
    ck_assert_int_eq(r->status, 412);
    resp_free(r);
    /* sub-resources and deletion */
    r = api("POST", fmt("%s/agreements", ppath(id)), admin,
            "{\"title\":\"Porozumienie\",\"signed_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    char ag[37];
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api_if("PATCH", fmt("%s/agreements/%s", ppath(id), ag), admin, "{\"scope\":\"Szkolenia\"}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api_if("DELETE", fmt("%s/agreements/%s", ppath(id), ag), admin, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("POST", fmt("%s/benefits", ppath(id)), admin,
            "{\"description\":\"Wymiana doświadczeń\",\"recorded_on\":\"2026-02-01\"}");
    ck_assert_int_eq(r->status, 201);
    char be[37];
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    resp_free(r);
    char gone[37];
    create_p(admin, "Pomyłka", "other", gone);
    r = api_if("DELETE", ppath(gone), admin, NULL, "\"1\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);

    json_t *ev = events_for(admin, base, id, NULL);
    const char *pt[] = {"partner.created", "partner.updated", "partner.declared", "partner.active"};
    const int pv[] = {1, 2, 3, 4};
    check_events(ev, pt, pv, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(jstr(json_array_get(ev, i), "resource"), "partner");
    }
    json_decref(ev);
    ev = events_for(admin, base, ag, NULL);
    const char *at[] = {"agreement.created", "agreement.updated", "agreement.deleted"};
    const int av[] = {1, 2, -1};
    check_events(ev, at, av, 3);
    json_decref(ev);
    ev = events_for(admin, base, be, NULL);
    const char *bt[] = {"benefit.created"};
    const int bv[] = {1};
    check_events(ev, bt, bv, 1);
    json_decref(ev);
    ev = events_for(admin, base, gone, NULL);
    const char *gt[] = {"partner.created", "partner.deleted"};
    const int gv[] = {1, -1};
    check_events(ev, gt, gv, 2);
    json_decref(ev);
    /* the type filter, and no personal data anywhere in the feed */
    ev = events_for(admin, base, NULL, "partner.declared,partner.deleted");
    ck_assert_uint_eq(json_array_size(ev), 2);
    json_decref(ev);
    r = api("GET", fmt("/v1/events?after=%lld&limit=200", base), admin, NULL);
    ck_assert_ptr_null(strstr(r->body, "Tajna"));
    ck_assert_ptr_null(strstr(r->body, "Sekretny"));
    ck_assert_ptr_null(strstr(r->body, "jan.sekretny"));
    resp_free(r);
    /* the auditor reads the same feed */
    ev = events_for(auditor, base, id, NULL);
    ck_assert_uint_eq(json_array_size(ev), 4);
    json_decref(ev);

    /* the audit log: newest first, by whom, with the request id */
    const char *want[] = {"transition", "transition", "update", "create"};
    const long want_status[] = {200, 200, 200, 201};
    const char *readers[] = {admin, auditor};
    for (int k = 0; k < 2; k++) {
        r = api("GET", fmt("/v1/audit-events?resource=partner&resource_id=%s", id), readers[k],
                NULL);
        ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        ck_assert_msg(json_array_size(items) >= 4, "audit: %s", r->body);
        /* only writes are asserted: reads may be audited too */
        size_t i, n = 0;
        const json_t *a;
        long long prev = -1;
        json_array_foreach(items, i, a)
        {
            if (prev >= 0)
                ck_assert_int_lt(jint(a, "id"), prev);
            prev = jint(a, "id");
            ck_assert_str_eq(jstr(a, "resource"), "partner");
            ck_assert_str_eq(jstr(a, "resource_id"), id);
            if (!strcmp(jstr(a, "action"), "read"))
                continue;
            ck_assert_msg(n < 4 && !strcmp(jstr(a, "action"), want[n]), "audit %zu: %s", n,
                          r->body);
            ck_assert_int_eq(jint(a, "status"), want_status[n]);
            ck_assert_str_eq(jstr(a, "actor_id"), admin_id);
            ck_assert_ptr_nonnull(jstr(a, "token_id"));
            ck_assert_ptr_nonnull(jstr(a, "request_id"));
            ck_assert(timestamp_ok(jstr(a, "occurred_at")));
            if (n == 3)
                ck_assert_str_eq(jstr(a, "request_id"), create_rid);
            n++;
        }
        ck_assert_uint_eq(n, 4);
        ck_assert_ptr_null(strstr(r->body, "Tajna"));
        resp_free(r);
    }
    r = api("GET", fmt("/v1/audit-events?resource=partner&resource_id=%s&action=create", id), admin,
            NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    r = api("GET", fmt("/v1/audit-events?resource=agreement&resource_id=%s", ag), auditor, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
}
END_TEST

/* ---- agreements and benefits ---- */

START_TEST(agreements_crud)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Porozumienia"), "labour", id);
    char coll[128];
    snprintf(coll, sizeof coll, "/v1/partners/%s/agreements", id);
    struct resp *r =
        api("POST", coll, w->coord_a,
            "{\"title\":\"Porozumienie o współpracy w ramach PZK\",\"scope\":\"Staże\","
            "\"signed_on\":\"2026-01-15\",\"valid_from\":\"2026-02-01\","
            "\"valid_until\":\"2027-12-31\",\"document_ref\":\"DOK/2026/1\"}");
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char ag[37];
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    char one[200];
    snprintf(one, sizeof one, "%s/%s", coll, ag);
    ck_assert_str_eq(resp_header(r, "Location"), one);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "partner_id"), id);
    ck_assert_str_eq(jstr(r->json, "valid_until"), "2027-12-31");
    json_t *created = json_incref(r->json);
    resp_free(r);
    r = api("GET", one, w->social_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert(json_equal(r->json, created));
    resp_free(r);
    json_decref(created);
    /* lists, with valid_on */
    struct {
        const char *q;
        size_t n;
    } lists[] = {{"", 1},
                 {"?valid_on=2026-06-01", 1},
                 {"?valid_on=2028-01-01", 0},
                 {"?valid_on=2026-01-20", 0},
                 {"?sort=-signed_on", 1},
                 {"?updated_since=2000-01-01T00:00:00Z", 1}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        r = api("GET", fmt("%s%s", coll, lists[i].q), w->auditor_a, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", lists[i].q, r->status, r->body);
        ck_assert_msg(json_array_size(json_object_get(r->json, "items")) == lists[i].n, "%s: %s",
                      lists[i].q, r->body);
        resp_free(r);
    }
    /* validation */
    struct {
        const char *body, *field, *code;
    } bad[] = {{"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"valid_from\":\"2026-03-01\","
                "\"valid_until\":\"2026-02-28\"}",
                "valid_until", NULL},
               {"{\"scope\":\"X\"}", "title", "required"},
               {"{\"title\":\"X\"}", "signed_on", "required"},
               {"{\"title\":\"X\",\"signed_on\":\"2026-02-30\"}", "signed_on", "format"},
               {"{\"title\":\"X\",\"signed_on\":\"15.01.2026\"}", "signed_on", "format"},
               {"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"partner_id\":\"0190aaaa-bbbb-7ccc-"
                "8ddd-eeeeffff0000\"}",
                "partner_id", NULL},
               {"{\"title\":\"X\",\"signed_on\":\"2026-01-15\",\"status\":\"active\"}", "status",
                "read_only"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("POST", coll, w->admin_a, bad[i].body);
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad[i].body, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "body");
        resp_free(r);
    }
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    /* patch */
    r = api("PATCH", one, w->admin_a, "{\"scope\":\"Szkolenia\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"valid_until\":\"2026-01-31\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "valid_until", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"valid_from\":\"2028-01-01\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 1);
    r = api_if("PATCH", one, w->admin_a,
               "{\"valid_from\":null,\"valid_until\":\"2026-01-31\",\"scope\":null}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert(json_is_null(json_object_get(r->json, "valid_from")));
    ck_assert(json_is_null(json_object_get(r->json, "scope")));
    ck_assert_str_eq(jstr(r->json, "valid_until"), "2026-01-31");
    ck_assert_str_eq(jstr(r->json, "title"), "Porozumienie o współpracy w ramach PZK");
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    r = api_if("PATCH", one, w->admin_a, "{\"signed_on\":null}", "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "signed_on", NULL, "body");
    resp_free(r);
    /* only through its own partner */
    r = api("GET", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a,
               "{\"scope\":\"x\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", fmt("/v1/partners/%s/agreements/%s", w->partner_a, ag), w->admin_a, NULL,
               "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 2);
    /* a partner that does not exist has no agreements */
    r = api("GET", fmt("/v1/partners/%s/agreements", NOWHERE), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", fmt("/v1/partners/%s/agreements", NOWHERE), w->admin_a,
            "{\"title\":\"X\",\"signed_on\":\"2026-01-15\"}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* delete */
    r = api_if("DELETE", one, w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api("DELETE", one, w->admin_a, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", one, w->coord_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", one, w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
}
END_TEST

START_TEST(benefits_crud)
{
    const struct world *w = world();
    char id[37];
    create_p(w->admin_a, uniq("Korzyści"), "culture_sport", id);
    char coll[128];
    snprintf(coll, sizeof coll, "/v1/partners/%s/benefits", id);
    struct resp *r = api("POST", coll, w->admin_a,
                         fmt("{\"description\":\"Udostępnienie sali na zajęcia\",\"recorded_on\":"
                             "\"2026-03-01\",\"beneficiary_partner_id\":\"%s\"}",
                             w->partner_a));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    char be[37];
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    char one[200];
    snprintf(one, sizeof one, "%s/%s", coll, be);
    ck_assert_str_eq(resp_header(r, "Location"), one);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "beneficiary_partner_id"), w->partner_a);
    ck_assert_str_eq(jstr(r->json, "partner_id"), id);
    resp_free(r);
    r = api("POST", coll, w->coord_a,
            "{\"description\":\"Dla wszystkich partnerów\",\"recorded_on\":\"2026-01-01\","
            "\"beneficiary_partner_id\":null}");
    ck_assert_int_eq(r->status, 201);
    ck_assert(json_is_null(json_object_get(r->json, "beneficiary_partner_id")));
    resp_free(r);
    /* another tenant's partner, an unknown one, not a uuid */
    const char *bad_ben[] = {w->partner_b, NOWHERE};
    for (int i = 0; i < 2; i++) {
        r = api("POST", coll, w->admin_a,
                fmt("{\"description\":\"X\",\"recorded_on\":\"2026-01-01\","
                    "\"beneficiary_partner_id\":\"%s\"}",
                    bad_ben[i]));
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "beneficiary_partner_id", NULL, "body");
        ck_assert_ptr_null(strstr(r->body, "Partner B"));
        resp_free(r);
    }
    r = api(
        "POST", coll, w->admin_a,
        "{\"description\":\"X\",\"recorded_on\":\"2026-01-01\",\"beneficiary_partner_id\":\"B\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "beneficiary_partner_id", "format", "body");
    resp_free(r);
    r = api("POST", coll, w->admin_a, "{\"description\":\"\",\"recorded_on\":\"2026-13-01\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "description", "min_length", "body");
    ck_error(r, "recorded_on", "format", "body");
    resp_free(r);
    /* list and sort */
    r = api("GET", fmt("%s?sort=recorded_on", coll), w->staff_a, NULL);
    ck_assert_int_eq(r->status, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "recorded_on"), "2026-01-01");
    resp_free(r);
    /* patch */
    r = api_if("PATCH", one, w->admin_a, fmt("{\"beneficiary_partner_id\":\"%s\"}", w->partner_b),
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "beneficiary_partner_id", NULL, "body");
    resp_free(r);
    ck_assert_int_eq(version_of(one, w->admin_a), 1);
    r = api_if("PATCH", one, w->admin_a,
               "{\"description\":\"Sala i sprzęt\",\"beneficiary_partner_id\":null}", "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "description"), "Sala i sprzęt");
    ck_assert(json_is_null(json_object_get(r->json, "beneficiary_partner_id")));
    ck_assert_str_eq(jstr(r->json, "recorded_on"), "2026-03-01");
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    r = api("GET", fmt("/v1/partners/%s/benefits/%s", w->partner_a, be), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* delete */
    r = api_if("DELETE", one, w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", one, w->admin_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", one, w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", coll, w->admin_a, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
}
END_TEST

/* ---- tenant isolation ---- */

START_TEST(other_tenant_gets_404_on_every_route)
{
    const struct world *w = world();
    char p[37], ag[37], be[37];
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Tajny partner gminy A"));
    create_raw(w->admin_a,
               fmt("{\"name\":\"%s\",\"sector\":\"health\",\"declaration\":{\"signed_on\":\"2026-"
                   "01-01\"}}",
                   name),
               p);
    struct resp *r = api("POST", fmt("/v1/partners/%s/agreements", p), w->admin_a,
                         "{\"title\":\"Porozumienie A\",\"signed_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api("POST", fmt("/v1/partners/%s/benefits", p), w->admin_a,
            "{\"description\":\"Korzyść A\",\"recorded_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    resp_free(r);
    char pp[80], agp[160], bep[160], agc[120], bec[120];
    snprintf(pp, sizeof pp, "/v1/partners/%s", p);
    snprintf(agc, sizeof agc, "%s/agreements", pp);
    snprintf(bec, sizeof bec, "%s/benefits", pp);
    snprintf(agp, sizeof agp, "%s/%s", agc, ag);
    snprintf(bep, sizeof bep, "%s/%s", bec, be);
    const char *paths[] = {pp, agp, bep};
    char *before[3];
    for (int i = 0; i < 3; i++)
        before[i] = record_of(paths[i], w->admin_a);
    char *ag_list = record_of(agc, w->admin_a), *be_list = record_of(bec, w->admin_a);
    long long base_b = last_event_id(w->admin_b);

    LOCALF(tr, "%s/transitions", pp);
    LOCALF(agq, "%s?limit=1&sort=-signed_on", agc);
    LOCALF(bag, "/v1/partners/%s/agreements/%s", w->partner_b, ag);
    LOCALF(bbe, "/v1/partners/%s/benefits/%s", w->partner_b, be);
    struct {
        const char *method, *path, *body, *if_match;
    } reqs[] = {
        {"GET", pp, NULL, NULL},
        {"PATCH", pp, "{\"competences\":\"przejęte\"}", "\"1\""},
        {"DELETE", pp, NULL, "\"1\""},
        {"POST", tr, "{\"to\":\"declared\"}", NULL},
        {"POST", tr, "{\"to\":\"withdrawn\",\"reason\":\"x\"}", "\"1\""},
        {"GET", agc, NULL, NULL},
        {"GET", agq, NULL, NULL},
        {"POST", agc, "{\"title\":\"Wrogie\",\"signed_on\":\"2026-01-15\"}", NULL},
        {"GET", agp, NULL, NULL},
        {"PATCH", agp, "{\"title\":\"Wrogie\"}", "\"1\""},
        {"DELETE", agp, NULL, "\"1\""},
        {"GET", bec, NULL, NULL},
        {"POST", bec, "{\"description\":\"Wroga\",\"recorded_on\":\"2026-01-15\"}", NULL},
        {"GET", bep, NULL, NULL},
        {"PATCH", bep, "{\"description\":\"Wroga\"}", "\"1\""},
        {"DELETE", bep, NULL, "\"1\""},
        /* A's sub-records through B's own partner */
        {"GET", bag, NULL, NULL},
        {"PATCH", bag, "{\"title\":\"W\"}", "\"1\""},
        {"DELETE", bag, NULL, "\"1\""},
        {"GET", bbe, NULL, NULL},
        {"PATCH", bbe, "{\"description\":\"W\"}", "\"1\""},
        {"DELETE", bbe, NULL, "\"1\""},
    };
    const char *who[] = {w->admin_b, w->staff_b};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
            /* partner staff may read, and PATCH a partner; any other route is
             * refused by role before any lookup (403), the rest is 404 */
            bool staff_may = !strcmp(reqs[i].method, "GET") ||
                             (!strcmp(reqs[i].method, "PATCH") && !strcmp(reqs[i].path, pp));
            long want = k == 1 && !staff_may ? 403 : 404;
            r = api_if(reqs[i].method, reqs[i].path, who[k], reqs[i].body, reqs[i].if_match);
            ck_assert_msg(r->status == want, "%s %s as %s: want %ld, got %ld %s", reqs[i].method,
                          reqs[i].path, k ? "staff_b" : "admin_b", want, r->status, r->body);
            ck_problem(r, want, want == 403 ? "forbidden" : "not_found");
            ck_assert_ptr_null(strstr(r->body, name));
            resp_free(r);
        }
    }
    /* staff_b's PATCH is a PATCH staff may use: it must be 404, never 403 */
    r = api_if("PATCH", pp, w->staff_b, "{\"competences\":\"x\"}", "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* B's lists and feed never show A's records */
    r = api("GET", "/v1/partners?limit=200&q=tajny", w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    r = api("GET", fmt("/v1/events?after=%lld&limit=200", base_b), w->admin_b, NULL);
    ck_assert_ptr_null(strstr(r->body, p));
    ck_assert_ptr_null(strstr(r->body, ag));
    ck_assert_ptr_null(strstr(r->body, be));
    resp_free(r);
    r = api("GET", fmt("/v1/audit-events?resource_id=%s", p), w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    resp_free(r);
    /* and nothing changed in A */
    for (int i = 0; i < 3; i++) {
        char *after = record_of(paths[i], w->admin_a);
        ck_assert_msg(after && !strcmp(after, before[i]), "%s changed: %s -> %s", paths[i],
                      before[i], after ? after : "(gone)");
        free(after);
        free(before[i]);
    }
    char *ag_list2 = record_of(agc, w->admin_a), *be_list2 = record_of(bec, w->admin_a);
    ck_assert_str_eq(ag_list2, ag_list);
    ck_assert_str_eq(be_list2, be_list);
    free(ag_list);
    free(be_list);
    free(ag_list2);
    free(be_list2);
}
END_TEST

Suite *suite_partners(void)
{
    Suite *s = suite_create("partners");
    TCase *tc = tcase_create("crud");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, create_and_get);
    tcase_add_test(tc, create_validation);
    tcase_add_test(tc, patch_preconditions);
    tcase_add_test(tc, merge_patch_semantics);
    tcase_add_test(tc, patch_rejects_unknown_and_read_only_fields);
    tcase_add_test(tc, only_one_leader);
    tcase_add_test(tc, partner_staff_edits_only_own_partner);
    tcase_add_test(tc, delete_partner);
    tcase_add_test(tc, delete_referenced_partner_is_409);
    tcase_add_test(tc, idempotent_create);
    suite_add_tcase(s, tc);
    tc = tcase_create("lists");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, list_filters_and_polish_search);
    tcase_add_test(tc, list_sorts);
    tcase_add_test(tc, keyset_pagination);
    tcase_add_test(tc, limit_and_cursor_validation);
    suite_add_tcase(s, tc);
    tc = tcase_create("states");
    tcase_add_test(tc, transitions_full_path);
    tcase_add_test(tc, status_is_read_only);
    tcase_add_test(tc, every_write_is_an_event_and_audited);
    suite_add_tcase(s, tc);
    tc = tcase_create("children");
    tcase_add_test(tc, agreements_crud);
    tcase_add_test(tc, benefits_crud);
    suite_add_tcase(s, tc);
    tc = tcase_create("isolation");
    tcase_add_test(tc, other_tenant_gets_404_on_every_route);
    suite_add_tcase(s, tc);
    return s;
}
