/* The basket of services (SPEC §5 Services): CRUD per role, transitions and
 * the withdrawn-partner rule, Polish search, every list filter, pagination,
 * the capacity route, the Open Referral HSDS export, the all-or-nothing CSV
 * import and tenant isolation. Conformant traffic goes through Prism (api);
 * deliberately bad requests go straight to the daemon (direct). Every
 * rejected write is checked to have changed nothing. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------------------------------
 */

#define MAXIDS 64

struct ids {
    int n;
    char id[MAXIDS][37];
};

static const char *prism_url(void)
{
    return env_or("KOOP_TEST_URL", "http://127.0.0.1:8080");
}

static const char *direct_url(void)
{
    return env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
}

/* Percent-encodes s for a query string (rotating buffers). */
static const char *enc(const char *s)
{
    static __thread char bufs[8][1024];
    static __thread int next;
    char *b = bufs[next++ % 8];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < sizeof bufs[0]; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            b[o++] = (char)*p;
        else
            o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "%%%02X", *p);
    }
    b[o] = 0;
    return b;
}

/* A partner with this name, short name (may be NULL) and sector; id in out. */
static void mk_partner(const char *tok, const char *name, const char *short_name,
                       const char *sector, char out[37])
{
    json_t *o = json_pack("{s:s, s:s}", "name", name, "sector", sector);
    if (short_name)
        json_object_set_new(o, "short_name", json_string(short_name));
    char *body = jdump(o);
    json_decref(o);
    struct resp *r = direct("POST", "/v1/partners", tok, body, NULL);
    free(body);
    ck_assert_msg(r->status == 201, "create partner %s: %ld %s", name, r->status, r->body);
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

/* A minimal service document (new reference). */
static json_t *svc_doc(const char *partner_id, const char *name, const char *category)
{
    return json_pack("{s:s, s:s, s:s}", "partner_id", partner_id, "name", name, "category",
                     category);
}

/* POST /v1/services through Prism; asserts 201; id in out (may be NULL). Steals doc. */
static void create_svc(const char *tok, json_t *doc, char out[37])
{
    char *body = jdump(doc);
    json_decref(doc);
    struct resp *r = api("POST", "/v1/services", tok, body);
    ck_assert_msg(r->status == 201, "create service: %ld %s (body %s)", r->status, r->body, body);
    free(body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

static char *doc_text(json_t *doc)
{
    char *s = jdump(doc);
    json_decref(doc);
    return s;
}

/* GET /v1/services/{id} (direct): the parsed record (new reference) or NULL. */
static json_t *get_svc(const char *tok, const char *id)
{
    struct resp *r = direct("GET", fmt("/v1/services/%s", id), tok, NULL, NULL);
    json_t *j = r->status == 200 ? json_incref(r->json) : NULL;
    resp_free(r);
    return j;
}

static char *svc_text(const char *id)
{
    return record_of(fmt("/v1/services/%s", id), world()->admin_a);
}

/* Asserts the service's stored text is exactly before (a rejected write changed nothing). */
static void unchanged(const char *tok, const char *id, const char *before, int line)
{
    char *now = record_of(fmt("/v1/services/%s", id), tok);
    ck_assert_msg(now && strcmp(now, before) == 0, "line %d: service %s changed:\n%s\n%s", line, id,
                  before, now ? now : "(gone)");
    free(now);
}
#define ck_unchanged(tok, id, before) unchanged((tok), (id), (before), __LINE__)

static void transition_ok(const char *tok, const char *id, const char *to)
{
    struct resp *r =
        api("POST", fmt("/v1/services/%s/transitions", id), tok, fmt("{\"to\":\"%s\"}", to));
    ck_assert_msg(r->status == 200, "transition to %s: %ld %s", to, r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), to);
    resp_free(r);
}

/* Every service id of a list query (all pages, direct). */
static void list_all(const char *tok, const char *query, struct ids *out)
{
    out->n = 0;
    char cursor[1200] = "";
    for (int page = 0; page < 100; page++) {
        const char *path =
            *cursor ? fmt("/v1/services?limit=200%s%s&cursor=%s", *query ? "&" : "", query, cursor)
                    : fmt("/v1/services?limit=200%s%s", *query ? "&" : "", query);
        struct resp *r = direct("GET", path, tok, NULL, NULL);
        ck_assert_msg(r->status == 200, "list %s: %ld %s", query, r->status, r->body);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            ck_assert_int_lt(out->n, MAXIDS);
            snprintf(out->id[out->n++], 37, "%s", jstr(it, "id"));
        }
        const char *next = jstr(r->json, "next_cursor");
        if (!next) {
            resp_free(r);
            return;
        }
        snprintf(cursor, sizeof cursor, "%s", enc(next));
        resp_free(r);
    }
    ck_abort_msg("list %s never ends", query);
}

static int count_all(const char *tok)
{
    struct ids all;
    list_all(tok, "", &all);
    return all.n;
}

static bool has_id(const struct ids *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->id[i], id) == 0)
            return true;
    return false;
}

/* The list (one page through Prism) for query is exactly the n ids given, in any order. */
static void expect_set(const char *tok, const char *query, int n, ...)
{
    struct resp *r = api("GET", fmt("/v1/services?limit=200&%s", query), tok, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", query, r->status, r->body);
    json_t *items = json_object_get(r->json, "items");
    struct ids got = {0};
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        ck_assert_int_lt(got.n, MAXIDS);
        snprintf(got.id[got.n++], 37, "%s", jstr(it, "id"));
    }
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        const char *want = va_arg(ap, const char *);
        ck_assert_msg(has_id(&got, want), "?%s lacks %s: %s", query, want, r->body);
    }
    va_end(ap);
    ck_assert_msg(got.n == n, "?%s: %d items, want %d: %s", query, got.n, n, r->body);
    resp_free(r);
}

/* The id of items[k] of a list answer. */
static const char *item_id(const struct resp *r, size_t k)
{
    return jstr(json_array_get(json_object_get(r->json, "items"), k), "id");
}

/* POST /v1/services/import with a CSV body. */
static struct resp *import_csv(const char *base, const char *tok, const char *csv, size_t len,
                               const char *content_type)
{
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    const char *h[] = {ct, NULL};
    return http_raw(base, "POST", "/v1/services/import", tok, csv, len, h);
}

static struct resp *import_ok(const char *tok, const char *csv)
{
    struct resp *r = import_csv(prism_url(), tok, csv, strlen(csv), "text/csv");
    ck_assert_msg(r->status == 200, "import: %ld %s\n%s", r->status, r->body, csv);
    return r;
}

/* The errors[] item with this row, field and code (code may be NULL). */
static const json_t *row_err(const struct resp *r, long long row, const char *field,
                             const char *code)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (jint(e, "row") != row || !jstr(e, "field") || strcmp(jstr(e, "field"), field))
            continue;
        if (code && (!jstr(e, "code") || strcmp(jstr(e, "code"), code)))
            continue;
        return e;
    }
    return NULL;
}
#define ck_row_err(r, row, field, code)                                                            \
    ck_assert_msg(row_err((r), (row), (field), (code)), "no error row %d %s/%s in %s", (row),      \
                  (field), (code) ? (code) : "*", (r)->body)

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

/* A fresh tenant with its admin token: lists, search and exports see only this test's data. */
struct tenant {
    char id[37], admin[80], admin_id[37];
};

static void new_tenant(struct tenant *t)
{
    fresh_tenant(t->id, t->admin, t->admin_id);
}

/* ---- create, read, update, delete ---------------------------------------------------------------
 */

START_TEST(admin_create_get_patch_delete)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Ośrodek Interwencji Kryzysowej"), "OIK", "crisis_intervention",
               pid);
    json_t *doc = svc_doc(pid, "Interwencja kryzysowa całodobowa", "crisis_intervention");
    json_object_set_new(doc, "description", json_string("Wsparcie w sytuacji kryzysu."));
    json_object_set_new(doc, "target_groups", json_pack("[s,s]", "adults", "violence_affected"));
    json_object_set_new(doc, "eligibility", json_string("Mieszkańcy gminy"));
    json_object_set_new(doc, "how_to_access", json_string("Telefonicznie"));
    json_object_set_new(doc, "requires_referral", json_false());
    json_object_set_new(doc, "cost", json_pack("{s:b, s:s}", "free", 0, "description", "10 zł"));
    json_object_set_new(
        doc, "capacity",
        json_pack("{s:i, s:i, s:s}", "available", 2, "maximum", 5, "unit", "miejsca"));
    json_object_set_new(doc, "locations",
                        json_pack("[{s:s, s:{s:s, s:s, s:s, s:s}, s:[{s:[s,s], s:s, s:s}]}]",
                                  "name", "Siedziba", "address", "street", "ul. Wałowa", "building",
                                  "30", "postal_code", "44-300", "city", "Wodzisław Śląski",
                                  "opening_hours", "days", "mon", "fri", "opens", "08:00", "closes",
                                  "16:00"));
    json_object_set_new(
        doc, "contact",
        json_pack("{s:s, s:s}", "phone", "+48 32 000 00 00", "website", "https://oik.example.pl"));
    json_object_set_new(doc, "valid_from", json_string("2026-01-01"));
    char *body = doc_text(doc);
    struct resp *r = api("POST", "/v1/services", w->admin_a, body);
    free(body);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/services/%s", id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *s = r->json;
    ck_assert_str_eq(jstr(s, "status"), "draft");
    ck_assert_int_eq(jint(s, "version"), 1);
    ck_assert_str_eq(jstr(s, "partner_id"), pid);
    ck_assert_str_eq(jstr(json_object_get(s, "partner"), "id"), pid);
    ck_assert_str_eq(jstr(json_object_get(s, "partner"), "sector"), "crisis_intervention");
    ck_assert_ptr_nonnull(
        strstr(jstr(json_object_get(s, "partner"), "name"), "Ośrodek Interwencji Kryzysowej"));
    json_t *cap = json_object_get(s, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 2);
    ck_assert_int_eq(jint(cap, "maximum"), 5);
    ck_assert_ptr_nonnull(jstr(cap, "updated_at"));
    ck_assert_str_eq(jstr(cap, "updated_by"), w->admin_a_id);
    ck_assert(json_is_false(json_object_get(json_object_get(s, "cost"), "free")));
    json_t *loc = json_array_get(json_object_get(s, "locations"), 0);
    ck_assert_str_eq(jstr(json_object_get(loc, "address"), "city"), "Wodzisław Śląski");
    json_t *oh = json_array_get(json_object_get(loc, "opening_hours"), 0);
    ck_assert(json_is_null(json_object_get(oh, "note")));
    ck_assert(json_is_null(json_object_get(json_object_get(s, "contact"), "email")));
    ck_assert(json_is_null(json_object_get(s, "valid_until")));
    resp_free(r);

    /* read it back, with its ETag */
    r = api("GET", fmt("/v1/services/%s", id), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "name"), "Interwencja kryzysowa całodobowa");
    resp_free(r);

    /* merge patch: null removes, arrays are replaced whole, objects merge */
    r = api_if("PATCH", fmt("/v1/services/%s", id), w->admin_a,
               "{\"eligibility\":null,\"target_groups\":[\"families\"],"
               "\"contact\":{\"email\":\"oik@example.pl\"},\"verified_on\":\"2026-03-01\"}",
               "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert(json_is_null(json_object_get(r->json, "eligibility")));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "target_groups")), 1);
    ck_assert_str_eq(jstr(json_object_get(r->json, "contact"), "email"), "oik@example.pl");
    ck_assert_str_eq(jstr(json_object_get(r->json, "contact"), "phone"), "+48 32 000 00 00");
    ck_assert_str_eq(jstr(r->json, "verified_on"), "2026-03-01");
    ck_assert_str_eq(jstr(r->json, "how_to_access"), "Telefonicznie");
    resp_free(r);

    /* stale If-Match: 412, nothing changes; no If-Match: 428 */
    char *before = svc_text(id);
    r = api_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":\"Zmiana\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = direct("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":\"Zmiana\"}", NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    /* status is read-only in a patch; an unknown field is refused */
    r = direct_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"status\":\"active\"}",
                  "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "body");
    resp_free(r);
    r = direct_if("PATCH", fmt("/v1/services/%s", id), w->admin_a, "{\"name\":null}", "\"2\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", NULL, "body");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);

    /* delete: stale 412, then 204, then 404 */
    r = api_if("DELETE", fmt("/v1/services/%s", id), w->admin_a, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);
    r = api_if("DELETE", fmt("/v1/services/%s", id), w->admin_a, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("GET", fmt("/v1/services/%s", id), w->admin_a, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(create_validation_changes_nothing)
{
    const struct world *w = world();
    char pid[37];
    mk_partner(w->admin_a, uniq("Poradnia Walidacji"), NULL, "education", pid);
    char filter[64];
    snprintf(filter, sizeof filter, "partner_id=%s", pid);
    struct {
        const char *body, *field, *code;
    } cases[] = {
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"bogus\"}", pid), "category",
         "enum"},
        {fmt("{\"partner_id\":\"%s\",\"category\":\"training\"}", pid), "name", "required"},
        {"{\"name\":\"X\",\"category\":\"training\"}", "partner_id", "required"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"status\":"
             "\"active\"}",
             pid),
         "status", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"tenant_id\":"
             "\"%s\"}",
             pid, w->tenant_b),
         "tenant_id", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"target_groups\":"
             "[\"aliens\"]}",
             pid),
         "target_groups[0]", "enum"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"capacity\":{"
             "\"available\":-1}}",
             pid),
         "capacity.available", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"capacity\":{"
             "\"available\":6,\"maximum\":5}}",
             pid),
         "capacity.available", "max"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"valid_from\":"
             "\"2026-05-01\",\"valid_until\":\"2026-04-30\"}",
             pid),
         "valid_until", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"city\":\"Rydułtowy\"},\"opening_hours\":[{\"days\":[\"mon\"],"
             "\"opens\":\"16:00\",\"closes\":\"08:00\"}]}]}",
             pid),
         "locations[0].opening_hours[0].closes", "min"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"city\":\"Rydułtowy\"},\"opening_hours\":[{\"days\":[\"mon\"],"
             "\"opens\":\"25:00\",\"closes\":\"26:00\"}]}]}",
             pid),
         "locations[0].opening_hours[0].opens", "format"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"address\":{\"postal_code\":\"44300\"}}]}",
             pid),
         "locations[0].address.postal_code", NULL},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"locations\":[{"
             "\"name\":\"bez adresu\"}]}",
             pid),
         "locations[0].address", "required"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"contact\":{"
             "\"email\":\"not-an-email\"}}",
             pid),
         "contact.email", "format"},
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\",\"cost\":{"
             "\"description\":\"bez free\"}}",
             pid),
         "cost.free", "required"},
        /* another tenant's partner does not exist here */
        {fmt("{\"partner_id\":\"%s\",\"name\":\"X\",\"category\":\"training\"}", w->partner_b),
         "partner_id", "not_found"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resp *r = direct("POST", "/v1/services", w->admin_a, cases[i].body, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, cases[i].field, cases[i].code, "body"),
                      "case %zu: no %s/%s in %s", i, cases[i].field,
                      cases[i].code ? cases[i].code : "*", r->body);
        resp_free(r);
    }
    expect_set(w->admin_a, filter, 0);
    struct ids b;
    list_all(w->admin_b, "", &b);
    for (int i = 0; i < b.n; i++) {
        json_t *s = get_svc(w->admin_b, b.id[i]);
        ck_assert_str_ne(jstr(s, "name"), "X");
        json_decref(s);
    }
    /* malformed JSON is 400 */
    struct resp *r = direct("POST", "/v1/services", w->admin_a, "{\"name\":", NULL);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    expect_set(w->admin_a, filter, 0);
}
END_TEST

START_TEST(idempotent_create)
{
    const struct world *w = world();
    char pid[37];
    mk_partner(w->admin_a, uniq("Fundacja Powtórek"), NULL, "ngo", pid);
    char *body = doc_text(svc_doc(pid, "Usługa raz", "other"));
    char key[160];
    snprintf(key, sizeof key, "Idempotency-Key: svc-%s", enc(uniq("k")));
    const char *h[] = {key, NULL};
    struct resp *a = api_h("POST", "/v1/services", w->admin_a, body, h);
    ck_assert_int_eq(a->status, 201);
    struct resp *b = api_h("POST", "/v1/services", w->admin_a, body, h);
    ck_assert_int_eq(b->status, 201);
    ck_assert_str_eq(jstr(a->json, "id"), jstr(b->json, "id"));
    ck_assert_str_eq(resp_header(b, "Idempotent-Replayed"), "true");
    resp_free(a);
    resp_free(b);
    free(body);
    /* the same key with another body: 422, nothing created */
    body = doc_text(svc_doc(pid, "Usługa dwa", "other"));
    struct resp *c = direct("POST", "/v1/services", w->admin_a, body, h);
    ck_problem(c, 422, "validation_failed");
    resp_free(c);
    free(body);
    struct ids all;
    list_all(w->admin_a, fmt("partner_id=%s", pid), &all);
    ck_assert_int_eq(all.n, 1);
}
END_TEST

/* ---- roles
 * ---------------------------------------------------------------------------------------- */

START_TEST(roles_on_create)
{
    const struct world *w = world();
    char own[37], other[37], staff[80], staff_id[37];
    mk_partner(w->admin_a, uniq("Klub Sportowy Odra"), NULL, "culture_sport", own);
    mk_partner(w->admin_a, uniq("Parafialny Zespół Caritas"), NULL, "ngo", other);
    make_user(w->admin_a, "partner_staff", own, staff, staff_id);
    char own_q[64], other_q[64];
    snprintf(own_q, sizeof own_q, "partner_id=%s", own);
    snprintf(other_q, sizeof other_q, "partner_id=%s", other);

    /* roles that may never create: 403 before anything, nothing created */
    const char *never[] = {w->social_a, w->auditor_a};
    for (size_t i = 0; i < 2; i++) {
        char *body = doc_text(svc_doc(own, "Nie powinno powstać", "leisure_sport"));
        struct resp *r = api("POST", "/v1/services", never[i], body);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        free(body);
    }
    /* partner staff: its own partner yes, another partner no */
    char *body = doc_text(svc_doc(other, "Cudza usługa", "material_aid"));
    struct resp *r = api("POST", "/v1/services", staff, body);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    free(body);
    expect_set(w->admin_a, own_q, 0);
    expect_set(w->admin_a, other_q, 0);

    char s1[37], s2[37], s3[37];
    create_svc(staff, svc_doc(own, "Zajęcia piłkarskie", "leisure_sport"), s1);
    create_svc(w->coord_a, svc_doc(own, "Zajęcia pływackie", "leisure_sport"), s2);
    create_svc(w->admin_a, svc_doc(other, "Paczki żywnościowe", "material_aid"), s3);
    expect_set(w->admin_a, own_q, 2, s1, s2);
    expect_set(w->admin_a, other_q, 1, s3);
    /* a platform admin has no tenant's services */
    r = api("GET", "/v1/services", w->platform, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
}
END_TEST

START_TEST(roles_on_read_patch_delete)
{
    const struct world *w = world();
    char own[37], other[37], staff[80];
    mk_partner(w->admin_a, uniq("Poradnia Uzależnień Rola"), NULL, "addiction", own);
    mk_partner(w->admin_a, uniq("Powiatowy Urząd Pracy Rola"), NULL, "labour", other);
    make_user(w->admin_a, "partner_staff", own, staff, NULL);
    char mine[37], theirs[37];
    create_svc(w->admin_a, svc_doc(own, "Konsultacje", "addiction_therapy"), mine);
    create_svc(w->admin_a, svc_doc(other, "Staże", "vocational_activation"), theirs);

    /* every tenant role reads */
    const char *readers[] = {w->admin_a, w->coord_a, w->social_a, staff, w->auditor_a};
    for (size_t i = 0; i < 5; i++) {
        struct resp *r = api("GET", fmt("/v1/services/%s", theirs), readers[i], NULL);
        ck_assert_msg(r->status == 200, "reader %zu: %ld", i, r->status);
        resp_free(r);
        r = api("GET", fmt("/v1/services?partner_id=%s", other), readers[i], NULL);
        ck_assert_int_eq(r->status, 200);
        ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
        resp_free(r);
    }

    char *b_mine = svc_text(mine), *b_theirs = svc_text(theirs);
    /* social worker and auditor may not write */
    const char *ro[] = {w->social_a, w->auditor_a};
    for (size_t i = 0; i < 2; i++) {
        struct resp *r = api_if("PATCH", fmt("/v1/services/%s", mine), ro[i],
                                "{\"name\":\"Przejęte\"}", "\"1\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api_if("DELETE", fmt("/v1/services/%s", mine), ro[i], NULL, "\"1\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api("POST", fmt("/v1/services/%s/transitions", mine), ro[i], "{\"to\":\"active\"}");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    /* partner staff: another partner's service is visible but not theirs to change */
    struct resp *r =
        api_if("PATCH", fmt("/v1/services/%s", theirs), staff, "{\"name\":\"Przejęte\"}", "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("POST", fmt("/v1/services/%s/transitions", theirs), staff, "{\"to\":\"active\"}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    /* ... nor may it hand its own service to another partner */
    r = api_if("PATCH", fmt("/v1/services/%s", mine), staff, fmt("{\"partner_id\":\"%s\"}", other),
               "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    /* ... nor delete, even its own */
    r = api_if("DELETE", fmt("/v1/services/%s", mine), staff, NULL, "\"1\"");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    ck_unchanged(w->admin_a, mine, b_mine);
    ck_unchanged(w->admin_a, theirs, b_theirs);
    free(b_mine);
    free(b_theirs);

    /* its own service it may patch and move */
    r = api_if("PATCH", fmt("/v1/services/%s", mine), staff, "{\"how_to_access\":\"Zapisy\"}",
               "\"1\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "how_to_access"), "Zapisy");
    resp_free(r);
    transition_ok(staff, mine, "active");
    /* coordinator deletes */
    long long v = version_of(fmt("/v1/services/%s", theirs), w->coord_a);
    r = api_if("DELETE", fmt("/v1/services/%s", theirs), w->coord_a, NULL, etag(v));
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    ck_assert_int_eq(version_of(fmt("/v1/services/%s", theirs), w->admin_a), -1);
}
END_TEST

/* ---- transitions
 * ------------------------------------------------------------------------------------ */

static void expect_409(const char *tok, const char *id, const char *to, int nallowed, ...)
{
    char *before = record_of(fmt("/v1/services/%s", id), tok);
    struct resp *r =
        api("POST", fmt("/v1/services/%s/transitions", id), tok, fmt("{\"to\":\"%s\"}", to));
    ck_problem(r, 409, "invalid_transition");
    json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && (int)json_array_size(allowed) == nallowed,
                  "to %s: allowed %s", to, r->body);
    va_list ap;
    va_start(ap, nallowed);
    for (int i = 0; i < nallowed; i++) {
        const char *want = va_arg(ap, const char *);
        bool found = false;
        size_t k;
        json_t *a;
        json_array_foreach(allowed, k, a) found |= strcmp(json_string_value(a), want) == 0;
        ck_assert_msg(found, "to %s: %s not allowed in %s", to, want, r->body);
    }
    va_end(ap);
    resp_free(r);
    ck_unchanged(tok, id, before);
    free(before);
}

START_TEST(transitions_follow_the_state_machine)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Centrum Integracji Społecznej"), "CIS", "labour", pid);
    create_svc(w->admin_a, svc_doc(pid, "Reintegracja zawodowa", "vocational_activation"), id);
    expect_409(w->admin_a, id, "suspended", 2, "active", "retired");
    expect_409(w->admin_a, id, "draft", 2, "active", "retired");

    struct resp *r = api_h("POST", fmt("/v1/services/%s/transitions", id), w->admin_a,
                           "{\"to\":\"active\",\"reason\":\"Karta zweryfikowana\"}",
                           (const char *[]){"If-Match: \"1\"", NULL});
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    expect_409(w->admin_a, id, "draft", 2, "suspended", "retired");
    expect_409(w->admin_a, id, "active", 2, "suspended", "retired");

    /* a stale If-Match is 412 and changes nothing */
    char *before = svc_text(id);
    r = api_h("POST", fmt("/v1/services/%s/transitions", id), w->admin_a, "{\"to\":\"suspended\"}",
              (const char *[]){"If-Match: \"1\"", NULL});
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);
    /* an unknown target is 422 */
    r = direct("POST", fmt("/v1/services/%s/transitions", id), w->admin_a, "{\"to\":\"paused\"}",
               NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "to", "enum", "body");
    resp_free(r);

    transition_ok(w->coord_a, id, "suspended");
    expect_409(w->admin_a, id, "suspended", 2, "active", "retired");
    transition_ok(w->admin_a, id, "active");
    transition_ok(w->admin_a, id, "retired");
    ck_assert_int_eq(version_of(fmt("/v1/services/%s", id), w->admin_a), 5);
    expect_409(w->admin_a, id, "active", 0);
    expect_409(w->admin_a, id, "retired", 0);
    expect_409(w->admin_a, id, "draft", 0);
}
END_TEST

START_TEST(withdrawn_partner_services)
{
    const struct world *w = world();
    char pid[37], active[37], draft[37], keep_pid[37], keep[37];
    mk_partner(w->admin_a, uniq("Stowarzyszenie Odchodzące"), NULL, "ngo", pid);
    mk_partner(w->admin_a, uniq("Stowarzyszenie Zostające"), NULL, "ngo", keep_pid);
    create_svc(w->admin_a, svc_doc(pid, "Świetlica środowiskowa", "day_support_children"), active);
    create_svc(w->admin_a, svc_doc(pid, "Korepetycje", "education_support"), draft);
    create_svc(w->admin_a, svc_doc(keep_pid, "Półkolonie", "leisure_sport"), keep);
    transition_ok(w->admin_a, active, "active");
    transition_ok(w->admin_a, keep, "active");

    struct resp *r = api("POST", fmt("/v1/partners/%s/transitions", pid), w->admin_a,
                         "{\"to\":\"withdrawn\",\"reason\":\"Rozwiązanie porozumienia\"}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    resp_free(r);

    /* its active service is suspended (a new version); the draft stays; others are untouched */
    json_t *s = get_svc(w->admin_a, active);
    ck_assert_str_eq(jstr(s, "status"), "suspended");
    ck_assert_int_eq(jint(s, "version"), 3);
    json_decref(s);
    s = get_svc(w->admin_a, draft);
    ck_assert_str_eq(jstr(s, "status"), "draft");
    ck_assert_int_eq(jint(s, "version"), 1);
    json_decref(s);
    s = get_svc(w->admin_a, keep);
    ck_assert_str_eq(jstr(s, "status"), "active");
    json_decref(s);

    /* neither can be activated: 409, with what is missing, and nothing changes */
    const char *both[] = {active, draft};
    for (int i = 0; i < 2; i++) {
        char *before = svc_text(both[i]);
        r = api("POST", fmt("/v1/services/%s/transitions", both[i]), w->admin_a,
                "{\"to\":\"active\"}");
        ck_problem(r, 409, "invalid_transition");
        json_t *allowed = json_object_get(r->json, "allowed");
        ck_assert_int_eq(json_array_size(allowed), 1);
        ck_assert_str_eq(json_string_value(json_array_get(allowed, 0)), "retired");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "missing"), 0)),
                         "partner.status");
        resp_free(r);
        ck_unchanged(w->admin_a, both[i], before);
        free(before);
    }
    /* retiring them is still possible */
    transition_ok(w->admin_a, draft, "retired");
}
END_TEST

/* ---- search
 * -------------------------------------------------------------------------------------------- */

START_TEST(search_polish_text)
{
    struct tenant t;
    new_tenant(&t);
    char p1[37], p2[37];
    mk_partner(t.admin, "Miejski Ośrodek Pomocy Społecznej", "MOPS", "social_assistance", p1);
    mk_partner(t.admin, "Stowarzyszenie Przystań Żeglarzy", NULL, "ngo", p2);
    char therapy[37], group[37], harbour[37], other[37];
    json_t *d = svc_doc(p1, "Terapia uzależnień dla dorosłych", "addiction_therapy");
    json_object_set_new(d, "description", json_string("Spotkania indywidualne i grupowe."));
    create_svc(t.admin, d, therapy);
    d = svc_doc(p1, "Grupa wsparcia dla dzieci", "psychological_support");
    json_object_set_new(d, "eligibility", json_string("Dzieci z rodzin z problemem alkoholowym"));
    create_svc(t.admin, d, group);
    create_svc(t.admin, svc_doc(p2, "Rejsy integracyjne", "leisure_sport"), harbour);
    create_svc(t.admin, svc_doc(p1, "Zasiłek celowy", "material_aid"), other);

    /* with diacritics, without, in capitals: the same service */
    const char *spellings[] = {"uzależnień", "uzaleznien", "UZALEŻNIEŃ", "Uzależ"};
    for (size_t i = 0; i < 4; i++)
        expect_set(t.admin, fmt("q=%s", enc(spellings[i])), 1, therapy);
    /* every word must occur, anywhere in name, description or eligibility */
    expect_set(t.admin, fmt("q=%s", enc("terapia dorosłych")), 1, therapy);
    expect_set(t.admin, fmt("q=%s", enc("terapia dzieci")), 0);
    expect_set(t.admin, fmt("q=%s", enc("grupowe spotkania")), 1, therapy);
    expect_set(t.admin, fmt("q=%s", enc("alkoholowym")), 1, group);
    /* the partner's name and short name are searched too */
    expect_set(t.admin, fmt("q=%s", enc("zeglarzy")), 1, harbour);
    expect_set(t.admin, fmt("q=%s", enc("przystań rejsy")), 1, harbour);
    expect_set(t.admin, "q=mops", 3, therapy, group, other);
    /* LIKE wildcards are plain characters */
    expect_set(t.admin, fmt("q=%s", enc("%")), 0);
    expect_set(t.admin, fmt("q=%s", enc("_")), 0);
    /* q combines with filters */
    expect_set(t.admin, fmt("q=mops&category=material_aid"), 1, other);

    /* q without a word, or too long, is 422 */
    struct resp *r = direct("GET", fmt("/v1/services?q=%s", enc("   ")), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "q", NULL, "query");
    resp_free(r);
    char longq[260];
    memset(longq, 'a', 201);
    longq[201] = 0;
    r = direct("GET", fmt("/v1/services?q=%s", longq), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

START_TEST(search_relevance_order)
{
    struct tenant t;
    new_tenant(&t);
    char p[37];
    mk_partner(t.admin, "Centrum Aktywności Lokalnej", "CAL", "ngo", p);
    char far1[37], far2[37], exact[37];
    json_t *d = svc_doc(p, "Klub seniora", "leisure_sport");
    json_object_set_new(d, "description",
                        json_string("Spotkania dla osób po zakończeniu pracy zawodowej."));
    create_svc(t.admin, d, far1);
    d = svc_doc(p, "Pracownia rękodzieła", "training");
    json_object_set_new(d, "description",
                        json_string("Zajęcia w klubie osiedlowym dla osób szukających pracy."));
    create_svc(t.admin, d, far2);
    create_svc(t.admin, svc_doc(p, "Klub pracy", "job_placement"), exact); /* created last */

    /* relevance is the default with q: the closest name first */
    struct resp *r = api("GET", fmt("/v1/services?q=%s", enc("klub pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_str_eq(item_id(r, 0), exact);
    resp_free(r);
    r = api("GET", fmt("/v1/services?q=%s&sort=relevance", enc("Klub Pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), exact);
    resp_free(r);
    /* an explicit sort wins over relevance */
    r = api("GET", fmt("/v1/services?q=%s&sort=created_at", enc("klub pracy")), t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), far1);
    ck_assert_str_eq(item_id(r, 2), exact);
    resp_free(r);
    /* relevance without q is 422 */
    r = api("GET", "/v1/services?sort=relevance", t.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "sort", NULL, "query");
    resp_free(r);
}
END_TEST

/* ---- filters and pagination
 * ----------------------------------------------------------------------------- */

START_TEST(every_filter)
{
    struct tenant t;
    new_tenant(&t);
    char lab[37], hea[37];
    mk_partner(t.admin, "Powiatowy Urząd Pracy", "PUP", "labour", lab);
    mk_partner(t.admin, "Szpital Powiatowy", NULL, "health", hea);
    char s1[37], s2[37], s3[37];
    json_t *d = svc_doc(lab, "Pośrednictwo pracy", "job_placement");
    json_object_set_new(d, "target_groups", json_pack("[s,s]", "unemployed", "adults"));
    json_object_set_new(d, "requires_referral", json_true());
    json_object_set_new(d, "capacity", json_pack("{s:i}", "available", 3));
    create_svc(t.admin, d, s1);
    d = svc_doc(lab, "Kurs spawania", "training");
    json_object_set_new(d, "target_groups", json_pack("[s]", "youth"));
    json_object_set_new(d, "capacity", json_pack("{s:i, s:i}", "available", 0, "maximum", 12));
    create_svc(t.admin, d, s2);
    d = svc_doc(hea, "Rehabilitacja ambulatoryjna", "health_care");
    json_object_set_new(d, "target_groups", json_pack("[s,s]", "seniors", "adults"));
    create_svc(t.admin, d, s3);
    json_t *rec = get_svc(t.admin, s3);
    char since[40];
    snprintf(since, sizeof since, "%s", jstr(rec, "updated_at"));
    json_decref(rec);
    transition_ok(t.admin, s1, "active"); /* s1 changes after s3 was created */

    expect_set(t.admin, "category=job_placement", 1, s1);
    expect_set(t.admin, "category=training", 1, s2);
    expect_set(t.admin, "category=housing", 0);
    expect_set(t.admin, "target_group=youth", 1, s2);
    expect_set(t.admin, "target_group=adults", 2, s1, s3);
    expect_set(t.admin, fmt("partner_id=%s", hea), 1, s3);
    expect_set(t.admin, fmt("partner_id=%s", lab), 2, s1, s2);
    expect_set(t.admin, "sector=labour", 2, s1, s2);
    expect_set(t.admin, "sector=health", 1, s3);
    expect_set(t.admin, "sector=police", 0);
    expect_set(t.admin, "status=active", 1, s1);
    expect_set(t.admin, "status=draft", 2, s2, s3);
    expect_set(t.admin, "has_capacity=true", 1, s1);
    expect_set(t.admin, "has_capacity=false", 2, s2, s3);
    expect_set(t.admin, "requires_referral=true", 1, s1);
    expect_set(t.admin, "requires_referral=false", 2, s2, s3);
    expect_set(t.admin, fmt("updated_since=%s", enc(since)), 2, s1, s3);
    expect_set(t.admin, "updated_since=2099-01-01T00:00:00Z", 0);
    expect_set(t.admin, "sector=labour&has_capacity=true&status=active", 1, s1);
    expect_set(t.admin, "sector=labour&target_group=seniors", 0);

    /* sorts */
    struct resp *r = api("GET", "/v1/services?sort=name", t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), s2); /* Kurs, Pośrednictwo, Rehabilitacja */
    ck_assert_str_eq(item_id(r, 1), s1);
    ck_assert_str_eq(item_id(r, 2), s3);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-name", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s3);
    ck_assert_str_eq(item_id(r, 2), s2);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-updated_at", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s1);
    resp_free(r);
    r = api("GET", "/v1/services?sort=-created_at", t.admin, NULL);
    ck_assert_str_eq(item_id(r, 0), s3);
    ck_assert_str_eq(item_id(r, 2), s1);
    resp_free(r);

    /* bad values are 422 naming the parameter */
    const char *bad[][2] = {{"category=bogus", "category"},
                            {"target_group=martians", "target_group"},
                            {"sector=army", "sector"},
                            {"status=deleted", "status"},
                            {"has_capacity=maybe", "has_capacity"},
                            {"requires_referral=2", "requires_referral"},
                            {"partner_id=not-a-uuid", "partner_id"},
                            {"updated_since=yesterday", "updated_since"},
                            {"sort=price", "sort"},
                            {"limit=0", "limit"},
                            {"limit=201", "limit"},
                            {"cursor=garbage", "cursor"},
                            {"colour=red", "colour"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("GET", fmt("/v1/services?%s", bad[i][0]), t.admin, NULL, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, bad[i][1], NULL, "query"), "?%s: %s", bad[i][0], r->body);
        resp_free(r);
    }
}
END_TEST

START_TEST(pagination_over_pages)
{
    struct tenant t;
    new_tenant(&t);
    char p[37];
    mk_partner(t.admin, "Biblioteka Miejska", NULL, "culture_sport", p);
    enum { N = 7 };
    char ids[N][37];
    for (int i = 0; i < N; i++)
        create_svc(t.admin, svc_doc(p, fmt("Warsztaty %02d", N - i), "education_support"), ids[i]);

    /* created_at order, three per page, following Link */
    char path[1500];
    snprintf(path, sizeof path, "/v1/services?limit=3");
    int seen = 0, pages = 0;
    for (;;) {
        struct resp *r = api("GET", path, t.admin, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", path, r->status, r->body);
        json_t *items = json_object_get(r->json, "items");
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            ck_assert_int_lt(seen, N);
            ck_assert_str_eq(jstr(it, "id"), ids[seen]);
            seen++;
        }
        pages++;
        const char *next = jstr(r->json, "next_cursor");
        const char *link = resp_header(r, "Link");
        if (!next) {
            ck_assert_ptr_null(link);
            ck_assert_int_eq(json_array_size(items), 1);
            resp_free(r);
            break;
        }
        ck_assert_int_eq(json_array_size(items), 3);
        ck_assert_msg(link && link[0] == '<' && strstr(link, ">; rel=\"next\"") &&
                          strstr(link, "limit=3"),
                      "Link: %s", link ? link : "(none)");
        const char *end = strchr(link, '>');
        snprintf(path, sizeof path, "%.*s", (int)(end - link - 1), link + 1);
        resp_free(r);
        ck_assert_int_lt(pages, 5);
    }
    ck_assert_int_eq(seen, N);
    ck_assert_int_eq(pages, 3);

    /* by name, a cursor keeps the sort and the filters */
    struct resp *r =
        api("GET", "/v1/services?limit=4&sort=name&category=education_support", t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_str_eq(item_id(r, 0), ids[N - 1]); /* Warsztaty 01 */
    ck_assert_str_eq(item_id(r, 3), ids[N - 4]);
    char cur[1200];
    snprintf(cur, sizeof cur, "%s", enc(jstr(r->json, "next_cursor")));
    resp_free(r);
    r = api("GET", fmt("/v1/services?limit=4&sort=name&category=education_support&cursor=%s", cur),
            t.admin, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_str_eq(item_id(r, 0), ids[N - 5]);
    ck_assert_str_eq(item_id(r, 2), ids[0]);
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);
    /* a cursor of another sort is refused */
    r = direct("GET", fmt("/v1/services?limit=4&sort=-name&cursor=%s", cur), t.admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "cursor", NULL, "query");
    resp_free(r);
}
END_TEST

/* ---- capacity
 * ------------------------------------------------------------------------------------------- */

START_TEST(capacity_route)
{
    const struct world *w = world();
    char own[37], other[37], staff[80], staff_id[37], other_staff[80];
    mk_partner(w->admin_a, uniq("Schronisko dla Bezdomnych"), NULL, "housing", own);
    mk_partner(w->admin_a, uniq("Noclegownia Inna"), NULL, "housing", other);
    make_user(w->admin_a, "partner_staff", own, staff, staff_id);
    make_user(w->admin_a, "partner_staff", other, other_staff, NULL);
    char id[37];
    json_t *d = svc_doc(own, "Miejsca noclegowe", "housing");
    json_object_set_new(
        d, "capacity",
        json_pack("{s:i, s:i, s:s}", "available", 1, "maximum", 10, "unit", "łóżka"));
    create_svc(w->admin_a, d, id);
    json_t *s0 = get_svc(w->admin_a, id);
    const char *t0 = jstr(json_object_get(s0, "capacity"), "updated_at");
    char path[96];
    snprintf(path, sizeof path, "/v1/services/%s/capacity", id);

    struct resp *r = api("PATCH", path, staff, "{\"available\":4}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    json_t *cap = json_object_get(r->json, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 4);
    ck_assert_int_eq(jint(cap, "maximum"), 10);
    ck_assert_str_eq(jstr(cap, "unit"), "łóżka");
    ck_assert_str_eq(jstr(cap, "updated_by"), staff_id);
    ck_assert_msg(strcmp(jstr(cap, "updated_at"), t0) > 0, "updated_at %s not after %s",
                  jstr(cap, "updated_at"), t0);
    ck_assert_int_eq(jint(r->json, "version"), jint(s0, "version") + 1);
    ck_assert_str_eq(resp_header(r, "ETag"), etag(jint(s0, "version") + 1));
    resp_free(r);
    json_decref(s0);

    /* more than the maximum, the current or the sent one: 422, nothing changes */
    char *before = svc_text(id);
    r = api("PATCH", path, staff, "{\"available\":11}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "available", "max", "body");
    resp_free(r);
    r = api("PATCH", path, staff, "{\"available\":6,\"maximum\":5}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "available", "max", "body");
    resp_free(r);
    /* available is required; values are checked */
    const char *bad[][2] = {{"{\"maximum\":5}", "available"},
                            {"{\"available\":-1}", "available"},
                            {"{\"available\":\"3\"}", "available"},
                            {"{\"available\":1,\"unit\":\"\"}", "unit"},
                            {"{\"available\":1,\"updated_by\":null}", "updated_by"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("PATCH", path, staff, bad[i][0], NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], NULL, "body");
        resp_free(r);
    }
    /* another partner's staff: 403; roles that may not write: 403; another tenant: 404 */
    r = api("PATCH", path, other_staff, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->social_a, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->auditor_a, "{\"available\":0}");
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("PATCH", path, w->admin_b, "{\"available\":0}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);

    /* a new maximum with it; null clears the unit; no If-Match needed */
    r = api("PATCH", path, w->coord_a, "{\"available\":11,\"maximum\":12,\"unit\":null}");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    cap = json_object_get(r->json, "capacity");
    ck_assert_int_eq(jint(cap, "available"), 11);
    ck_assert_int_eq(jint(cap, "maximum"), 12);
    ck_assert(json_is_null(json_object_get(cap, "unit")));
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s&has_capacity=true", own), 1, id);
    r = api("PATCH", path, staff, "{\"available\":0}");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s&has_capacity=true", own), 0);
    /* an unknown service: 404 */
    r = api("PATCH", "/v1/services/0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000/capacity", w->admin_a,
            "{\"available\":1}");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

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
    expect_set(t.admin, fmt("q=%s", enc("mieszkanie bezdomnosci")), 1, mieszk_id);
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

/* ---- tenants
 * -------------------------------------------------------------------------------------------- */

START_TEST(other_tenant_sees_nothing)
{
    const struct world *w = world();
    char pid[37], id[37];
    mk_partner(w->admin_a, uniq("Partner Tylko A"), NULL, "police", pid);
    json_t *d = svc_doc(pid, "Dzielnicowy", "crisis_intervention");
    json_object_set_new(d, "capacity", json_pack("{s:i}", "available", 1));
    create_svc(w->admin_a, d, id);
    transition_ok(w->admin_a, id, "active");
    char *before = svc_text(id);
    char one[96];
    snprintf(one, sizeof one, "/v1/services/%s", id);
    const char *b_tokens[] = {w->admin_b, w->staff_b};
    for (size_t k = 0; k < 2; k++) {
        const char *tok = b_tokens[k];
        struct resp *r = api("GET", one, tok, NULL);
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api_if("PATCH", one, tok, "{\"name\":\"Przejęta\"}", "\"2\"");
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("POST", fmt("%s/transitions", one), tok, "{\"to\":\"suspended\"}");
        ck_problem(r, 404, "not_found");
        resp_free(r);
        r = api("PATCH", fmt("%s/capacity", one), tok, "{\"available\":0}");
        ck_problem(r, 404, "not_found");
        resp_free(r);
    }
    struct resp *r = api_if("DELETE", one, w->admin_b, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_unchanged(w->admin_a, id, before);
    free(before);

    /* lists, filters, search and the export of B hold nothing of A */
    struct ids all;
    list_all(w->admin_b, "", &all);
    ck_assert(!has_id(&all, id));
    expect_set(w->admin_b, fmt("partner_id=%s", pid), 0);
    expect_set(w->admin_b, fmt("q=%s", enc("Dzielnicowy")), 0);
    r = api("GET", "/v1/services/export/hsds", w->admin_b, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_null(strstr(r->body, id));
    ck_assert_ptr_null(strstr(r->body, pid));
    resp_free(r);

    /* B cannot attach a service to A's partner, by id or by import */
    char *body = doc_text(svc_doc(pid, "Podrzucona", "other"));
    r = direct("POST", "/v1/services", w->admin_b, body, NULL);
    free(body);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_id", "not_found", "body");
    resp_free(r);
    char csv[160];
    snprintf(csv, sizeof csv, "partner_id;name;category\n%s;Podrzucona;other\n", pid);
    r = import_csv(prism_url(), w->admin_b, csv, strlen(csv), "text/csv");
    ck_problem(r, 422, "validation_failed");
    ck_row_err(r, 2, "partner_id", "not_found");
    resp_free(r);
    expect_set(w->admin_a, fmt("partner_id=%s", pid), 1, id);
}
END_TEST

Suite *suite_services(void)
{
    Suite *s = suite_create("services");
    TCase *crud = tcase_create("crud");
    tcase_add_test(crud, admin_create_get_patch_delete);
    tcase_add_test(crud, create_validation_changes_nothing);
    tcase_add_test(crud, idempotent_create);
    tcase_add_test(crud, roles_on_create);
    tcase_add_test(crud, roles_on_read_patch_delete);
    suite_add_tcase(s, crud);
    TCase *states = tcase_create("transitions");
    tcase_add_test(states, transitions_follow_the_state_machine);
    tcase_add_test(states, withdrawn_partner_services);
    suite_add_tcase(s, states);
    TCase *lists = tcase_create("lists");
    tcase_add_test(lists, search_polish_text);
    tcase_add_test(lists, search_relevance_order);
    tcase_add_test(lists, every_filter);
    tcase_add_test(lists, pagination_over_pages);
    suite_add_tcase(s, lists);
    TCase *cap = tcase_create("capacity");
    tcase_add_test(cap, capacity_route);
    suite_add_tcase(s, cap);
    TCase *hsds = tcase_create("hsds");
    tcase_add_test(hsds, hsds_export);
    tcase_add_test(hsds, hsds_export_of_an_empty_basket);
    suite_add_tcase(s, hsds);
    TCase *csv = tcase_create("import");
    tcase_add_test(csv, import_example_file);
    tcase_add_test(csv, import_bad_rows_import_nothing);
    tcase_add_test(csv, import_row_numbers_after_a_short_row);
    tcase_add_test(csv, import_database_errors_name_row_and_column);
    tcase_add_test(csv, import_lists_every_bad_row);
    tcase_add_test(csv, import_separators_and_quotes);
    tcase_add_test(csv, import_dates_bom_and_partner_id);
    tcase_add_test(csv, import_header_errors);
    tcase_add_test(csv, import_unreadable_or_wrong_type);
    tcase_add_test(csv, import_roles);
    suite_add_tcase(s, csv);
    TCase *iso = tcase_create("tenants");
    tcase_add_test(iso, other_tenant_sees_nothing);
    suite_add_tcase(s, iso);
    return s;
}
