/* How the cooperation itself works (SPEC §5 Meetings, Projects, Reports; §7;
 * §9): partnership meetings, funded projects with money in grosze and
 * computed indicators, and the reports (JSON and CSV, small cells shown as
 * "<3", a regional analyst across granted tenants). Black box: everything is
 * built through the API, each test in tenants of its own (fresh_tenant) so
 * that lists and report counts are exact. */
#include "client.h"
#include "steps.h"
#include "fixtures.h"
#include "pii.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* paths are built from 36-character ids into 1 KiB buffers (LOCALF) */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ---- small helpers ---- */

/* A unique surname, noted as personal data. */
#define make_surname(stem, out) fx_surname((stem), 'w', (out))

/* The ids of a list's items (one page, limit 200) as a sorted, comma-joined string. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static char *sorted_ids(const char **ids, size_t n)
{
    const char **c = calloc(n + 1, sizeof *c);
    memcpy(c, ids, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_str);
    size_t cap = 40 * (n + 1) + 1;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < n; i++) {
        strcat(s, c[i]);
        if (i + 1 < n)
            strcat(s, ",");
    }
    free(c);
    return s;
}

static char *list_ids(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", path, r->status, r->body);
    const json_t *items = json_object_get(r->json, "items");
    size_t n = json_array_size(items);
    const char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = jstr(json_array_get(items, i), "id");
    char *s = sorted_ids(ids, n);
    free(ids);
    resp_free(r);
    return s;
}

/* Asserts the list at path holds exactly the ids given (NULL-terminated). */
#define LIST_IS(tok, path, ...)                                                                    \
    list_is_at((tok), (path), __LINE__, (const char *[]){__VA_ARGS__, NULL})
static void list_is_at(const char *tok, const char *path, int line, const char **want)
{
    size_t n = 0;
    while (want[n])
        n++;
    char *w = sorted_ids(want, n);
    char *got = list_ids(tok, path);
    ck_assert_msg(!strcmp(w, got), "line %d: %s\n want [%s]\n got  [%s]", line, path, w, got);
    free(w);
    free(got);
}

/* The record as the reader sees it, to compare before/after a refused write. */
#define UNCHANGED(before, tok, path)                                                               \
    do {                                                                                           \
        char *after_ = record_of((path), (tok));                                                   \
        ck_assert_msg(after_ && (before) && !strcmp((before), after_),                             \
                      "line %d: a refused write changed %s:\n before %s\n after  %s", __LINE__,    \
                      (path), (before) ? (before) : "(null)", after_ ? after_ : "(null)");         \
        free(after_);                                                                              \
    } while (0)

/* ---- the world of one test: a tenant of its own ---- */

struct pw {
    char tenant[37], admin[80], admin_id[37];
    char coord[80], sw[80], sw_id[37], staff[80], staff_id[37], auditor[80];
    char p1[37], p2[37];
};

#define create_partner(tok, name, sector, signed_on, out)                                          \
    FX_PARTNER((tok), (name), (sector), (signed_on), (out))

/* Two partners (MOPS, PUP), the staff roles and a partner_staff of the first. */
#define setup(p) setup_at((p), __LINE__)
static void setup_at(struct pw *p, int line)
{
    memset(p, 0, sizeof *p);
    struct fx_tenant t;
    fx_tenant_at(&t, FX_COORD | FX_SW | FX_AUDITOR, line);
    memcpy(p->tenant, t.id, 37);
    memcpy(p->admin, t.admin, 80);
    memcpy(p->admin_id, t.admin_id, 37);
    memcpy(p->coord, t.coord, 80);
    memcpy(p->sw, t.sw, 80);
    memcpy(p->sw_id, t.sw_id, 37);
    memcpy(p->auditor, t.auditor, 80);
    fx_partner_at(p->admin, "Miejski Ośrodek Pomocy Społecznej", "social_assistance", NULL, p->p1,
                  line);
    fx_partner_at(p->admin, "Powiatowy Urząd Pracy", "labour", NULL, p->p2, line);
    fx_staff_at(p->admin, p->p1, p->staff, p->staff_id, line);
}

/* ---- meetings ---- */

static json_t *meeting_doc(const char *kind, const char *held_on, const char *title)
{
    return json_pack("{s:s, s:s, s:s}", "kind", kind, "held_on", held_on, "title", title);
}

START_TEST(meeting_crud_round_trip_and_if_match)
{
    struct pw p;
    setup(&p);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:s, s:s}", "kind", "partnership_team", "held_on",
        "2026-03-12", "place", "Urząd Miasta, sala sesyjna", "title",
        "Posiedzenie Partnerskiego Zespołu Kooperacyjnego", "partner_ids", p.p1, p.p2, "agenda",
        "Aktualizacja koszyka usług", "minutes", "Omówiono stan koszyka usług i wolne miejsca.",
        "decisions", "MOPS przygotuje porozumienia.");
    struct resp *r = post_doc(p.admin, "/v1/meetings", doc);
    EXPECT(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    LOCALF(mp, "/v1/meetings/%s", id);
    ck_assert_str_eq(resp_header(r, "Location"), mp);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    ck_assert_str_eq(jstr(r->json, "kind"), "partnership_team");
    ck_assert_str_eq(jstr(r->json, "held_on"), "2026-03-12");
    ck_assert_str_eq(jstr(r->json, "place"), "Urząd Miasta, sala sesyjna");
    ck_assert_str_eq(jstr(r->json, "title"), "Posiedzenie Partnerskiego Zespołu Kooperacyjnego");
    ck_assert_str_eq(jstr(r->json, "agenda"), "Aktualizacja koszyka usług");
    ck_assert_str_eq(jstr(r->json, "minutes"), "Omówiono stan koszyka usług i wolne miejsca.");
    ck_assert_str_eq(jstr(r->json, "decisions"), "MOPS przygotuje porozumienia.");
    const json_t *pids = json_object_get(r->json, "partner_ids");
    ck_assert_uint_eq(json_array_size(pids), 2);
    const char *pid_list[] = {json_string_value(json_array_get(pids, 0)),
                              json_string_value(json_array_get(pids, 1))};
    char *got = sorted_ids(pid_list, 2);
    const char *want_list[] = {p.p1, p.p2};
    char *want = sorted_ids(want_list, 2);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    ck_assert_ptr_nonnull(jstr(r->json, "created_at"));
    ck_assert_ptr_nonnull(jstr(r->json, "updated_at"));
    char *created = strdup(r->body);
    resp_free(r);

    /* GET answers the same record with its ETag */
    r = api("GET", mp, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *c = json_loads(created, 0, NULL);
    ck_assert_msg(json_equal(c, r->json), "GET differs from POST:\n%s\n%s", created, r->body);
    json_decref(c);
    free(created);
    resp_free(r);

    /* PATCH: If-Match required, strong and current; a refused one changes nothing */
    char *before = record_of(mp, p.admin);
    r = api("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"Zmieniony\"}", "\"2\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"kind\":\"party\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "enum", "body");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, fmt("{\"partner_ids\":[\"%s\"]}", world()->partner_b),
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"id\":\"00000000-0000-0000-0000-000000000000\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    UNCHANGED(before, p.admin, mp);
    free(before);

    /* a merge patch: changed fields change, null clears, the rest stays */
    r = api_if(
        "PATCH", mp, p.admin,
        fmt("{\"title\":\"Posiedzenie PZK nr 2\",\"place\":null,\"partner_ids\":[\"%s\"]}", p.p2),
        "\"1\"");
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(jstr(r->json, "title"), "Posiedzenie PZK nr 2");
    ck_assert(json_is_null(json_object_get(r->json, "place")));
    ck_assert_str_eq(jstr(r->json, "agenda"), "Aktualizacja koszyka usług");
    ck_assert_str_eq(jstr(r->json, "kind"), "partnership_team");
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "partner_ids")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "partner_ids"), 0)),
                     p.p2);
    resp_free(r);

    /* DELETE: If-Match required and current */
    r = api("DELETE", mp, p.admin, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", mp, p.admin, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, mp), 200);
    r = api_if("DELETE", mp, p.admin, NULL, "\"2\"");
    EXPECT(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("GET", mp, p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", mp, p.admin, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", mp, p.admin, "{\"title\":\"x\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(meeting_validation)
{
    struct pw p;
    setup(&p);
    /* every documented kind */
    const char *kinds[] = {"partnership_team", "working_group", "educational", "ceremony", "other"};
    for (int i = 0; i < 5; i++) {
        struct resp *r =
            post_doc(p.admin, "/v1/meetings", meeting_doc(kinds[i], "2026-01-15", "Spotkanie"));
        EXPECT(r, 201);
        ck_assert_str_eq(jstr(r->json, "kind"), kinds[i]);
        /* optional fields come back as null / empty */
        ck_assert(json_is_null(json_object_get(r->json, "place")));
        ck_assert(json_is_null(json_object_get(r->json, "minutes")));
        ck_assert_uint_eq(json_array_size(json_object_get(r->json, "partner_ids")), 0);
        resp_free(r);
    }
    struct resp *r = post_doc(p.admin, "/v1/meetings", meeting_doc("party", "2026-01-15", "x"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "enum", "body");
    resp_free(r);
    /* every missing required field is named */
    r = api("POST", "/v1/meetings", p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "kind", "required", "body");
    ck_error(r, "held_on", "required", "body");
    ck_error(r, "title", "required", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/meetings", meeting_doc("other", "2026-02-30", "x"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "held_on", NULL, "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/meetings", meeting_doc("other", "2026-02-01", ""));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "title", NULL, "body");
    resp_free(r);
    /* partner_ids must name partners of this tenant */
    json_t *d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, world()->partner_b));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    ck_assert_ptr_null(strstr(r->body, world()->partner_b));
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s]", "0190aaaa-0000-7000-8000-000000000001"));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s]", "not-a-uuid"));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    d = meeting_doc("working_group", "2026-02-01", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_string(p.p1));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "type", "body");
    resp_free(r);
    /* mass assignment */
    d = meeting_doc("other", "2026-02-01", "x");
    json_object_set_new(d, "tenant_id", json_string(world()->tenant_b));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "tenant_id", "unknown_field", "body");
    resp_free(r);
    d = meeting_doc("other", "2026-02-01", "x");
    json_object_set_new(d, "version", json_integer(7));
    r = post_doc(p.admin, "/v1/meetings", d);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    /* nothing refused was stored */
    r = api("GET", "/v1/meetings?limit=200", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 5);
    resp_free(r);
}
END_TEST

START_TEST(meeting_list_filters)
{
    struct pw p;
    setup(&p);
    char m1[37], m2[37], m3[37], m4[37];
    json_t *d = meeting_doc("partnership_team", "2026-01-10", "PZK styczeń");
    json_object_set_new(d, "partner_ids", json_pack("[s]", p.p1));
    CREATE(p.admin, "/v1/meetings", d, m1);
    d = meeting_doc("working_group", "2026-02-15", "Grupa robocza luty");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, p.p2));
    CREATE(p.admin, "/v1/meetings", d, m2);
    d = meeting_doc("educational", "2026-03-20", "Szkolenie marzec");
    CREATE(p.coord, "/v1/meetings", d, m3);
    d = meeting_doc("working_group", "2026-04-25", "Grupa robocza kwiecień");
    json_object_set_new(d, "partner_ids", json_pack("[s]", p.p2));
    CREATE(p.coord, "/v1/meetings", d, m4);

    LIST_IS(p.admin, "/v1/meetings", m1, m2, m3, m4);
    LIST_IS(p.admin, "/v1/meetings?kind=working_group", m2, m4);
    LIST_IS(p.admin, "/v1/meetings?kind=ceremony", NULL);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s", p.p1), m1, m2);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s&kind=working_group", p.p2), m2, m4);
    LIST_IS(p.admin, fmt("/v1/meetings?partner_id=%s", world()->partner_b), NULL);
    /* from and to are inclusive dates of held_on */
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-15", m2, m3, m4);
    LIST_IS(p.admin, "/v1/meetings?to=2026-03-20", m1, m2, m3);
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-01&to=2026-03-31", m2, m3);
    LIST_IS(p.admin, "/v1/meetings?from=2026-05-01", NULL);
    LIST_IS(p.admin, "/v1/meetings?from=2026-02-01&to=2026-03-31&kind=educational", m3);

    /* sorting by held_on both ways */
    struct resp *r = api("GET", "/v1/meetings?sort=held_on", p.admin, NULL);
    EXPECT(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 4);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), m1);
    ck_assert_str_eq(jstr(json_array_get(items, 3), "id"), m4);
    resp_free(r);
    r = api("GET", "/v1/meetings?sort=-held_on", p.admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), m4);
    ck_assert_str_eq(jstr(json_array_get(items, 3), "id"), m1);
    resp_free(r);
    /* pagination keeps the filter */
    r = api("GET", "/v1/meetings?kind=working_group&limit=1&sort=held_on", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), m2);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    char *cur = url_encode(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = api("GET", fmt("/v1/meetings?kind=working_group&limit=1&sort=held_on&cursor=%s", cur),
            p.admin, NULL);
    free(cur);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), m4);
    resp_free(r);

    /* bad filter values are 422 naming the parameter */
    const struct {
        const char *q, *field;
    } bad[] = {{"kind=party", "kind"},      {"partner_id=abc", "partner_id"},
               {"from=2026-13-01", "from"}, {"to=yesterday", "to"},
               {"sort=title", "sort"},      {"held_on=2026-01-10", "held_on"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/meetings?%s", bad[i].q), p.admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, NULL, "query");
        resp_free(r);
    }
}
END_TEST

START_TEST(meeting_roles_and_tenancy)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    /* coordinators write too */
    char id[37];
    CREATE(p.coord, "/v1/meetings",
           meeting_doc("working_group", "2026-05-05", "Grupa koordynatora"), id);
    LOCALF(mp, "/v1/meetings/%s", id);
    struct resp *r = api_if("PATCH", mp, p.coord, "{\"minutes\":\"Protokół\"}", "\"1\"");
    EXPECT(r, 200);
    resp_free(r);

    /* the others read, and may not write */
    const char *readers[] = {p.sw, p.staff, p.auditor};
    char *before = record_of(mp, p.admin);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(get_status(readers[i], mp), 200);
        LIST_IS(readers[i], "/v1/meetings", id);
        r = post_doc(readers[i], "/v1/meetings", meeting_doc("other", "2026-05-06", "Nie wolno"));
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api_if("PATCH", mp, readers[i], "{\"title\":\"Nie wolno\"}", "\"2\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api_if("DELETE", mp, readers[i], NULL, "\"2\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    UNCHANGED(before, p.admin, mp);
    free(before);
    LIST_IS(p.admin, "/v1/meetings", id);

    /* another tenant: absent (404), never revealed */
    r = api("GET", mp, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", mp, w->admin_b, "{\"title\":\"Obcy\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", mp, w->admin_b, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", "/v1/meetings?limit=200", w->admin_b, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, id));
    resp_free(r);
    ck_assert_int_eq(get_status(w->staff_b, mp), 404);
    /* platform-level roles have no meetings; no token is 401 */
    r = api("GET", "/v1/meetings", w->platform, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("GET", "/v1/meetings", w->analyst, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = api("GET", "/v1/meetings", NULL, NULL);
    ck_problem(r, 401, "unauthorized");
    resp_free(r);

    /* the coordinator deletes */
    r = api_if("DELETE", mp, p.coord, NULL, "\"2\"");
    EXPECT(r, 204);
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, mp), 404);
}
END_TEST

/* A partner deleted after a meeting and a project named it: either the
 * deletion is refused (409, as for a project's leader), or the records stay
 * usable: a PATCH that does not touch partner_ids must not fail because of
 * the partner that is gone. */
START_TEST(meeting_and_project_survive_partner_deletion)
{
    struct pw p;
    setup(&p);
    char gone[37], leader[37], meeting[37], project[37];
    create_partner(p.admin, "Stowarzyszenie do usunięcia", "ngo", NULL, gone);
    create_partner(p.admin, "Lider projektu", "social_assistance", NULL, leader);
    json_t *d = meeting_doc("working_group", "2026-02-15", "Grupa robocza");
    json_object_set_new(d, "partner_ids", json_pack("[s, s]", p.p1, gone));
    CREATE(p.admin, "/v1/meetings", d, meeting);
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:s, s:[s, s]}", "name", "Projekt z partnerem", "leader_partner_id",
                     leader, "partner_ids", p.p1, gone),
           project);
    LOCALF(mp, "/v1/meetings/%s", meeting);
    LOCALF(pp, "/v1/projects/%s", project);

    /* the leader is referenced by a foreign key: refused */
    struct resp *r = api_if("DELETE", fmt("/v1/partners/%s", leader), p.admin, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);

    r = api_if("DELETE", fmt("/v1/partners/%s", gone), p.admin, NULL, "\"1\"");
    ck_assert_msg(r->status == 204 || r->status == 409, "delete partner: %ld %s", r->status,
                  r->body);
    bool deleted = r->status == 204;
    resp_free(r);
    if (!deleted)
        return;
    r = api_if("PATCH", mp, p.admin, "{\"minutes\":\"Protokół z posiedzenia\"}", "\"1\"");
    ck_assert_msg(r->status == 200,
                  "the meeting cannot be edited after one of its partners was deleted: %ld %s",
                  r->status, r->body);
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"programme\":\"POWER 2.5\"}", "\"1\"");
    ck_assert_msg(r->status == 200,
                  "the project cannot be edited after one of its partners was deleted: %ld %s",
                  r->status, r->body);
    resp_free(r);
}
END_TEST

/* ---- projects ---- */

/* The project of the seed article, with leader and partners of this tenant. */
static json_t *seed_project(const char *leader, const char *partner1, const char *partner2)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:s, s:I, s:I, s:s, s:["
                     "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s},"
                     "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:n}]}",
                     "name", "Fachowa siła przyszłością dla rodziny", "programme",
                     "PO WER 2014–2020, Działanie 4.1 Innowacje społeczne", "call_number",
                     "POWR.04.01.00-IZ.00-00-004/16", "leader_partner_id", leader, "partner_ids",
                     partner1, partner2, "starts_on", "2017-03-01", "ends_on", "2027-12-31",
                     "total_value", (json_int_t)90415000, "eu_cofinancing", (json_int_t)87615000,
                     "currency", "PLN", "indicators", "name", "Rodziny objęte wsparciem", "unit",
                     "rodziny", "target", 30, "source", "families_supported", "name",
                     "Zespoły zadaniowe utworzone", "unit", "zespoły", "target", 30, "source",
                     "task_teams_formed", "name", "Skierowania zrealizowane", "unit", "skierowania",
                     "target", 60, "source", "referrals_completed", "name",
                     "Partnerzy z podpisaną deklaracją", "unit", "instytucje", "target", 10,
                     "source", "partners_declared", "name", "Opracowany model pracy socjalnej",
                     "unit", "model", "target", 1, "source");
}

static void check_seed_project(const json_t *pj, const json_t *sent)
{
    char *s = jdump(pj);
    ck_assert_msg(!strcmp(jstr(pj, "name"), "Fachowa siła przyszłością dla rodziny"), "%s", s);
    ck_assert_str_eq(jstr(pj, "programme"), "PO WER 2014–2020, Działanie 4.1 Innowacje społeczne");
    ck_assert_str_eq(jstr(pj, "call_number"), "POWR.04.01.00-IZ.00-00-004/16");
    /* money: exact integers of grosze, never floats */
    ck_assert_msg(json_is_integer(json_object_get(pj, "total_value")), "total_value: %s", s);
    ck_assert_msg(json_is_integer(json_object_get(pj, "eu_cofinancing")), "eu_cofinancing: %s", s);
    ck_assert_int_eq(jint(pj, "total_value"), 90415000);
    ck_assert_int_eq(jint(pj, "eu_cofinancing"), 87615000);
    ck_assert_str_eq(jstr(pj, "currency"), "PLN");
    ck_assert_str_eq(jstr(pj, "starts_on"), "2017-03-01");
    ck_assert_str_eq(jstr(pj, "ends_on"), "2027-12-31");
    ck_assert_str_eq(jstr(pj, "leader_partner_id"), jstr(sent, "leader_partner_id"));
    ck_assert_msg(
        json_equal(json_object_get(pj, "indicators"), json_object_get(sent, "indicators")),
        "indicators changed: %s", s);
    ck_assert_uint_eq(json_array_size(json_object_get(pj, "partner_ids")), 2);
    free(s);
}

START_TEST(project_seed_round_trips_exactly)
{
    struct pw p;
    setup(&p);
    char leader[37];
    create_partner(p.admin, "Miejski Ośrodek Pomocy Rodzinie", "social_assistance", NULL, leader);
    json_t *sent = seed_project(leader, p.p1, p.p2);
    char *body = jdump(sent);
    struct resp *r = api("POST", "/v1/projects", p.admin, body);
    free(body);
    EXPECT(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    LOCALF(pp, "/v1/projects/%s", id);
    ck_assert_str_eq(resp_header(r, "Location"), pp);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    check_seed_project(r->json, sent);
    ck_assert_int_eq(jint(r->json, "families_count"), 0);
    /* the exact text of the amounts: integers, no exponent, no decimals */
    ck_assert_ptr_nonnull(strstr(r->body, "90415000"));
    ck_assert_ptr_null(strstr(r->body, "90415000."));
    ck_assert_ptr_null(strstr(r->body, "e+"));
    resp_free(r);
    r = api("GET", pp, p.sw, NULL);
    EXPECT(r, 200);
    check_seed_project(r->json, sent);
    resp_free(r);
    r = api("GET", "/v1/projects", p.staff, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    check_seed_project(json_array_get(json_object_get(r->json, "items"), 0), sent);
    resp_free(r);
    /* a PATCH of something else leaves the money exactly as it was */
    r = api_if("PATCH", pp, p.coord, "{\"programme\":\"POWER 2.5\"}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 90415000);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 87615000);
    resp_free(r);
    json_decref(sent);

    /* large amounts (above 2^31 and 2^32 grosze) are exact too, up to the documented maximum */
    json_t *big = json_pack("{s:s, s:I, s:I, s:s}", "name", "Duży projekt", "total_value",
                            (json_int_t)100000000000000LL, "eu_cofinancing",
                            (json_int_t)99999999999999LL, "currency", "EUR");
    r = post_doc(p.admin, "/v1/projects", big);
    EXPECT(r, 201);
    ck_assert_int_eq(jint(r->json, "total_value"), 100000000000000LL);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 99999999999999LL);
    ck_assert_str_eq(jstr(r->json, "currency"), "EUR");
    LOCALF(bigp, "/v1/projects/%s", jstr(r->json, "id"));
    resp_free(r);
    r = api("GET", bigp, p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 100000000000000LL);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 99999999999999LL);
    resp_free(r);
    /* the default currency is PLN */
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:I}", "name", "Bez waluty", "total_value", (json_int_t)2147483648LL));
    EXPECT(r, 201);
    ck_assert_str_eq(jstr(r->json, "currency"), "PLN");
    ck_assert_int_eq(jint(r->json, "total_value"), 2147483648LL);
    resp_free(r);

    /* money that is not whole grosze, negative, too large or a string is refused
     * (straight to the daemon: the proxy re-serialises 904150.00 as 904150) */
    const char *bad[] = {
        "{\"name\":\"x\",\"total_value\":904150.00}", "{\"name\":\"x\",\"total_value\":904150.5}",
        "{\"name\":\"x\",\"total_value\":-1}", "{\"name\":\"x\",\"total_value\":100000000000001}",
        "{\"name\":\"x\",\"total_value\":\"90415000\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = direct("POST", "/v1/projects", p.admin, bad[i], NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "total_value", NULL, "body");
        resp_free(r);
    }
    r = direct("POST", "/v1/projects", p.admin, "{\"name\":\"x\",\"eu_cofinancing\":1.5}", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    r = api("POST", "/v1/projects", p.admin, "{\"name\":\"x\",\"currency\":\"USD\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "currency", "enum", "body");
    resp_free(r);
    r = api("GET", "/v1/projects?limit=200", p.admin, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
}
END_TEST

START_TEST(project_validation_rules)
{
    struct pw p;
    setup(&p);
    /* EU co-financing may equal, never exceed, the total value */
    struct resp *r =
        post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:I, s:I}", "name", "Za dużo UE", "total_value",
                           (json_int_t)90415000, "eu_cofinancing", (json_int_t)90415001));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    char id[37];
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:I, s:I, s:s, s:s}", "name", "Całość z UE", "total_value",
                     (json_int_t)90415000, "eu_cofinancing", (json_int_t)90415000, "starts_on",
                     "2026-01-01", "ends_on", "2026-01-01"),
           id);
    LOCALF(pp, "/v1/projects/%s", id);
    /* the period may be one day, never end before it starts */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:s, s:s}", "name", "Wstecz", "starts_on", "2026-06-01",
                           "ends_on", "2026-05-31"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "ends_on", NULL, "body");
    resp_free(r);
    /* indicators: names unique, target required, source from the documented set */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i}, {s:s, s:i}]}", "name", "Dwa razy", "indicators",
                           "name", "Rodziny objęte wsparciem", "target", 30, "name",
                           "Rodziny objęte wsparciem", "target", 40));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators", NULL, "body");
    resp_free(r);
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:[{s:s}]}", "name", "Bez celu", "indicators", "name", "Rodziny"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].target", "required", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i, s:s}]}", "name", "Zła miara", "indicators", "name",
                           "Rodziny", "target", 3, "source", "families_happy"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].source", "enum", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:[{s:s, s:i, s:s}]}", "name", "Pole obce", "indicators", "name",
                           "Rodziny", "target", 3, "actual", "5"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators[0].actual", "unknown_field", "body");
    resp_free(r);
    /* partners of another tenant */
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:[s]}", "name", "Obcy partner", "partner_ids", world()->partner_b));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "partner_ids", "not_found", "body");
    resp_free(r);
    r = post_doc(
        p.admin, "/v1/projects",
        json_pack("{s:s, s:s}", "name", "Obcy lider", "leader_partner_id", world()->partner_b));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "leader_partner_id", "not_found", "body");
    resp_free(r);
    /* read-only and unknown fields */
    r = post_doc(p.admin, "/v1/projects",
                 json_pack("{s:s, s:i}", "name", "x", "families_count", 3));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "families_count", "read_only", "body");
    resp_free(r);
    r = post_doc(p.admin, "/v1/projects", json_pack("{s:s, s:s}", "name", "x", "leader", "MOPS"));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "leader", "unknown_field", "body");
    resp_free(r);
    r = api("POST", "/v1/projects", p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", "required", "body");
    resp_free(r);

    /* the same rules hold for a merge patch; a refused patch changes nothing */
    char *before = record_of(pp, p.admin);
    r = api_if("PATCH", pp, p.admin, "{\"total_value\":90414999}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "eu_cofinancing", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"ends_on\":\"2025-12-31\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "ends_on", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin,
               "{\"indicators\":[{\"name\":\"A\",\"target\":1},{\"name\":\"A\",\"target\":2}]}",
               "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "indicators", NULL, "body");
    resp_free(r);
    r = api_if("PATCH", pp, p.admin, "{\"families_count\":1}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    UNCHANGED(before, p.admin, pp);
    free(before);
    /* lowering both together is fine */
    r = api_if("PATCH", pp, p.admin, "{\"total_value\":100,\"eu_cofinancing\":85}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_int_eq(jint(r->json, "total_value"), 100);
    ck_assert_int_eq(jint(r->json, "eu_cofinancing"), 85);
    resp_free(r);
    r = api("GET", "/v1/projects?limit=200", p.admin, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
}
END_TEST

START_TEST(project_crud_roles_filters_and_tenancy)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    char a[37], b[37], c[37];
    CREATE(p.coord, "/v1/projects",
           json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "Projekt A", "programme", "POWER 2.5",
                     "leader_partner_id", p.p1, "starts_on", "2026-01-01", "ends_on", "2026-06-30"),
           a);
    CREATE(p.admin, "/v1/projects",
           json_pack("{s:s, s:s, s:[s], s:s}", "name", "Projekt B", "programme", "RPO 9.1",
                     "partner_ids", p.p2, "starts_on", "2026-07-01"),
           b);
    CREATE(p.admin, "/v1/projects", json_pack("{s:s}", "name", "Projekt C"), c);
    LIST_IS(p.sw, "/v1/projects", a, b, c);
    LIST_IS(p.admin, "/v1/projects?programme=POWER%202.5", a);
    LIST_IS(p.admin, fmt("/v1/projects?partner_id=%s", p.p1), a); /* the leader counts */
    LIST_IS(p.admin, fmt("/v1/projects?partner_id=%s", p.p2), b);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-03-01", a, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-06-30", a, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2026-07-01", b, c);
    LIST_IS(p.admin, "/v1/projects?active_on=2025-12-31", c);
    struct resp *r = api("GET", "/v1/projects?active_on=soon", p.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "active_on", NULL, "query");
    resp_free(r);
    r = api("GET", "/v1/projects?sort=name", p.admin, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), a);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 2), "id"), c);
    resp_free(r);

    LOCALF(pa, "/v1/projects/%s", a);
    /* If-Match rules */
    r = api("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A2\"}", "\"1\"");
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_str_eq(jstr(r->json, "programme"), "POWER 2.5");
    resp_free(r);
    r = api_if("PATCH", pa, p.coord, "{\"name\":\"Projekt A3\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);

    /* other roles read (with indicators), never write */
    const char *readers[] = {p.sw, p.staff, p.auditor};
    char *before = record_of(pa, p.admin);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(get_status(readers[i], pa), 200);
        ck_assert_int_eq(get_status(readers[i], fmt("%s/indicators", pa)), 200);
        r = post_doc(readers[i], "/v1/projects", json_pack("{s:s}", "name", "Nie wolno"));
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api_if("PATCH", pa, readers[i], "{\"name\":\"Nie wolno\"}", "\"2\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api_if("DELETE", pa, readers[i], NULL, "\"2\"");
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    UNCHANGED(before, p.admin, pa);
    free(before);

    /* another tenant: 404 for the project and its indicators */
    r = api("GET", pa, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", fmt("%s/indicators", pa), w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("PATCH", pa, w->admin_b, "{\"name\":\"Obcy\"}", "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api_if("DELETE", pa, w->admin_b, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", "/v1/projects?limit=200", w->admin_b, NULL);
    ck_assert_ptr_null(strstr(r->body, a));
    resp_free(r);
    r = api("GET", "/v1/projects", w->analyst, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);

    /* DELETE */
    r = api("DELETE", pa, p.coord, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("DELETE", pa, p.coord, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = api_if("DELETE", pa, p.coord, NULL, "\"2\"");
    EXPECT(r, 204);
    resp_free(r);
    ck_assert_int_eq(get_status(p.admin, pa), 404);
    ck_assert_int_eq(get_status(p.admin, fmt("%s/indicators", pa)), 404);
    LIST_IS(p.admin, "/v1/projects", b, c);
}
END_TEST

/* ---- families, teams and referrals for links, indicators and reports ---- */

/* The steps below are macros over the fixtures so that a failure names the test's line. */
#define make_family(tok, district, problems, out)                                                  \
    do {                                                                                           \
        json_t *doc_ = json_pack("{s:s}", "district", (district));                                 \
        json_t *problems_ = (problems);                                                            \
        if (problems_)                                                                             \
            json_object_set_new(doc_, "problems", problems_);                                      \
        FX_FAMILY((tok), doc_, (out));                                                             \
    } while (0)
/* An adult member (surname noted as PII; PESEL when pesel is not NULL). */
#define make_adult(tok, family, surname, pesel, out)                                               \
    FX_MEMBER((tok), (family), "Anna", (surname), "1981-03-14", (pesel), "head", (out))
#define make_service(tok, partner, category, available, activate, out)                             \
    FX_SERVICE((tok), (partner), uniq("Usługa koszyka"), (category), (available), (activate), (out))
/* A team for family moderated by moderator_id (created by tok). */
#define make_team(tok, family, moderator_id, out) FX_TEAM((tok), (family), (moderator_id), (out))
/* Makes team active: a representative of partner (user staff_id), and the
 * adult's consent to share with partner. */
#define activate_team(sw, team, family, adult, partner, staff_id, rep_surname)                     \
    do {                                                                                           \
        FX_REP((sw), (team), (partner), fmt("Jan %s", (rep_surname)), (staff_id), NULL);           \
        FX_CONSENT((sw), (family), (adult), "sharing_with_partner", (partner), NULL,               \
                   "współpraca w ZZK", NULL);                                                      \
        FX_TEAM_ACTIVE((sw), (team));                                                              \
    } while (0)
#define make_goal(sw, team, out)                                                                   \
    FX_GOAL((sw), (team), "Cel: aktywizacja zawodowa", "zatrudnienie", (out))
#define make_action(sw, team, goal, svc, out)                                                      \
    FX_ACTION((sw), (team), (goal), "Działanie: wsparcie", NULL, (svc), (out))
/* referred -> accepted -> in_progress -> completed (moderator sw, partner staff). */
#define complete_referral(sw, staff, team, action)                                                 \
    FX_REFERRAL_TO((sw), (staff), (team), (action), "completed", "Szkolenie ukończone")

/* ---- linking families to projects ---- */

START_TEST(project_families_link_list_unlink)
{
    struct pw p;
    setup(&p);
    const struct world *w = world();
    char f1[37], f2[37], fb[37], proj[37];
    make_family(p.coord, "Centrum", NULL, f1);
    make_family(p.coord, "Zawodzie", NULL, f2);
    make_family(w->admin_b, "Obca gmina", NULL, fb);
    CREATE(p.admin, "/v1/projects", json_pack("{s:s}", "name", "Projekt rodzinny"), proj);
    LOCALF(pp, "/v1/projects/%s", proj);
    LOCALF(lp, "/v1/projects/%s/families", proj);

    struct resp *r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    ck_assert_str_eq(resp_header(r, "Location"), fmt("%s/%s", lp, f1));
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    ck_assert_str_eq(jstr(r->json, "family_id"), f1);
    ck_assert_ptr_nonnull(jstr(r->json, "linked_at"));
    resp_free(r);
    /* twice: conflict */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    /* another tenant's family, an unknown one, a bad body: 422 naming family_id */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", fb));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "not_found", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{\"family_id\":\"0190aaaa-0000-7000-8000-000000000002\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "not_found", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{\"family_id\":\"nope\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", NULL, "body");
    resp_free(r);
    r = api("POST", lp, p.admin, "{}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "required", "body");
    resp_free(r);
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\",\"note\":\"x\"}", f2));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "note", "unknown_field", "body");
    resp_free(r);
    /* an unknown project */
    r = api("POST", "/v1/projects/0190aaaa-0000-7000-8000-000000000003/families", p.admin,
            fmt("{\"family_id\":\"%s\"}", f2));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the coordinator links too */
    r = api("POST", lp, p.coord, fmt("{\"family_id\":\"%s\"}", f2));
    EXPECT(r, 201);
    resp_free(r);

    r = api("GET", lp, p.admin, NULL);
    EXPECT(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 2);
    const char *got[] = {jstr(json_array_get(items, 0), "family_id"),
                         jstr(json_array_get(items, 1), "family_id")};
    char *gs = sorted_ids(got, 2);
    const char *want[] = {f1, f2};
    char *ws = sorted_ids(want, 2);
    ck_assert_str_eq(gs, ws);
    free(gs);
    free(ws);
    resp_free(r);
    r = api("GET", pp, p.sw, NULL);
    ck_assert_int_eq(jint(r->json, "families_count"), 2);
    resp_free(r);

    /* roles: the links are family data for admins and coordinators only */
    const char *others[] = {p.sw, p.staff, p.auditor};
    for (int i = 0; i < 3; i++) {
        r = api("GET", lp, others[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api("POST", lp, others[i], fmt("{\"family_id\":\"%s\"}", f1));
        ck_problem(r, 403, "forbidden");
        resp_free(r);
        r = api("DELETE", fmt("%s/%s", lp, f1), others[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    /* another tenant's admin: no such project */
    r = api("GET", lp, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("POST", lp, w->admin_b, fmt("{\"family_id\":\"%s\"}", fb));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("DELETE", fmt("%s/%s", lp, f1), w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);

    /* unlinking */
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    EXPECT(r, 204);
    ck_assert_uint_eq(r->len, 0);
    resp_free(r);
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = api("GET", lp, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "family_id"), f2);
    resp_free(r);
    r = api("GET", pp, p.admin, NULL);
    ck_assert_int_eq(jint(r->json, "families_count"), 1);
    long long v = jint(r->json, "version");
    resp_free(r);
    /* the family may be linked again; the project can be deleted with its links */
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api_if("DELETE", pp, p.admin, NULL, etag(v));
    EXPECT(r, 204);
    resp_free(r);
    r = api("GET", lp, p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the families themselves are untouched */
    ck_assert_int_eq(get_status(p.admin, fmt("/v1/families/%s", f1)), 200);
}
END_TEST

/* ---- indicators computed from the data ---- */

static const json_t *indicator(const json_t *doc, const char *name)
{
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(doc, "items"), i, it)
    {
        if (jstr(it, "name") && !strcmp(jstr(it, "name"), name))
            return it;
    }
    return NULL;
}

#define ACTUAL(doc, name, want)                                                                    \
    do {                                                                                           \
        const json_t *i_ = indicator((doc), (name));                                               \
        ck_assert_msg(i_, "line %d: no indicator %s", __LINE__, (name));                           \
        const json_t *a_ = json_object_get(i_, "actual");                                          \
        char *d_ = jdump(doc);                                                                     \
        if ((want) < 0)                                                                            \
            ck_assert_msg(json_is_null(a_), "line %d: %s actual should be null: %s", __LINE__,     \
                          (name), d_);                                                             \
        else                                                                                       \
            ck_assert_msg(json_is_integer(a_) && json_integer_value(a_) == (want),                 \
                          "line %d: %s actual should be %d: %s", __LINE__, (name), (int)(want),    \
                          d_);                                                                     \
        free(d_);                                                                                  \
    } while (0)

START_TEST(project_indicators_are_computed_from_the_data)
{
    struct pw p;
    setup(&p);
    /* partners: p1 (declared, in the project, has staff), p2 (no declaration, in),
     * leader (declared), outsider (declared, not in), gone (declared, in, withdrawn) */
    char leader[37], outsider[37], gone[37];
    LOCALF(signed_on, "%s", utc_date(-20));
    json_t *pt = json_pack("{s:{s:s}}", "declaration", "signed_on", signed_on);
    char *pb = jdump(pt);
    json_decref(pt);
    struct resp *r = api_if("PATCH", fmt("/v1/partners/%s", p.p1), p.admin, pb, "\"1\"");
    free(pb);
    EXPECT(r, 200);
    resp_free(r);
    create_partner(p.admin, "Miejski Ośrodek Pomocy Rodzinie", "social_assistance", signed_on,
                   leader);
    create_partner(p.admin, "Szkoła Podstawowa nr 1", "education", signed_on, outsider);
    create_partner(p.admin, "Klub Sportowy", "culture_sport", signed_on, gone);
    MOVED(p.admin, fmt("/v1/partners/%s/transitions", gone), "withdrawn", "rezygnacja", NULL);

    char svc[37];
    make_service(p.admin, p.p1, "vocational_activation", 5, true, svc);
    char surname[64], rep[64];
    make_surname("Wskaznikowa", surname);
    make_surname("Reprezentant", rep);

    /* f1: linked; active team; one completed referral, one only referred, one
     * completed action without a service */
    char f1[37], f2[37], f3[37], a1[37], a3[37];
    make_family(p.coord, "Centrum", NULL, f1);
    make_family(p.coord, "Centrum", NULL, f2);
    make_family(p.coord, "Centrum", NULL, f3);
    make_adult(p.coord, f1, surname, NULL, a1);
    make_adult(p.coord, f3, surname, NULL, a3);
    char t1[37], t2[37], t3[37], g1[37], g3[37], x1[37], x2[37], x3[37], x4[37];
    make_team(p.coord, f1, p.sw_id, t1);
    activate_team(p.sw, t1, f1, a1, p.p1, p.staff_id, rep);
    make_goal(p.sw, t1, g1);
    make_action(p.sw, t1, g1, svc, x1);
    complete_referral(p.sw, p.staff, t1, x1);
    make_action(p.sw, t1, g1, svc, x2);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x2), "referred", NULL, NULL);
    make_action(p.sw, t1, g1, NULL, x3);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x3), "in_progress", NULL, NULL);
    MOVED(p.sw, fmt("/v1/task-teams/%s/actions/%s/transitions", t1, x3), "completed", NULL,
          "zrobione");
    /* f2: linked; a team still forming */
    make_team(p.coord, f2, p.sw_id, t2);
    /* f3: not linked; an active team and a completed referral that must not count */
    make_team(p.coord, f3, p.sw_id, t3);
    activate_team(p.sw, t3, f3, a3, p.p1, p.staff_id, rep);
    make_goal(p.sw, t3, g3);
    make_action(p.sw, t3, g3, svc, x4);
    complete_referral(p.sw, p.staff, t3, x4);

    /* the project runs around today */
    json_t *doc = json_pack(
        "{s:s, s:s, s:[s, s, s], s:s, s:s, s:["
        "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:s},"
        "{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i, s:n}]}",
        "name", "Fachowa siła przyszłością dla rodziny", "leader_partner_id", leader, "partner_ids",
        p.p1, p.p2, gone, "starts_on", utc_date(-30), "ends_on", utc_date(30), "indicators", "name",
        "Rodziny objęte wsparciem", "unit", "rodziny", "target", 30, "source", "families_supported",
        "name", "Zespoły zadaniowe utworzone", "unit", "zespoły", "target", 30, "source",
        "task_teams_formed", "name", "Skierowania zrealizowane", "unit", "skierowania", "target",
        60, "source", "referrals_completed", "name", "Partnerzy z podpisaną deklaracją", "unit",
        "instytucje", "target", 10, "source", "partners_declared", "name",
        "Opracowany model pracy socjalnej", "unit", "model", "target", 1, "source");
    json_t *indicators = json_incref(json_object_get(doc, "indicators"));
    char proj[37];
    CREATE(p.admin, "/v1/projects", doc, proj);
    LOCALF(ip, "/v1/projects/%s/indicators", proj);
    LOCALF(lp, "/v1/projects/%s/families", proj);

    /* nothing linked yet */
    r = api("GET", ip, p.coord, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 0);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją", 2);
    ACTUAL(r->json, "Opracowany model pracy socjalnej", -1);
    resp_free(r);

    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api("POST", lp, p.admin, fmt("{\"family_id\":\"%s\"}", f2));
    EXPECT(r, 201);
    resp_free(r);

    r = api("GET", ip, p.sw, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "project_id"), proj);
    const json_t *period = json_object_get(r->json, "period");
    ck_assert_str_eq(jstr(period, "from"), utc_date(-30));
    ck_assert_str_eq(jstr(period, "to"), utc_date(30));
    /* every indicator, in order, with its definition and actual value */
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    for (size_t i = 0; i < 5; i++) {
        const json_t *got = json_array_get(items, i), *sent = json_array_get(indicators, i);
        ck_assert_str_eq(jstr(got, "name"), jstr(sent, "name"));
        ck_assert_str_eq(jstr(got, "unit"), jstr(sent, "unit"));
        ck_assert_int_eq(jint(got, "target"), jint(sent, "target"));
        ck_assert(json_equal(json_object_get(got, "source"), json_object_get(sent, "source")));
    }
    ACTUAL(r->json, "Rodziny objęte wsparciem", 2);    /* f1, f2 */
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 1); /* t1 (t2 forming, t3 unlinked) */
    ACTUAL(r->json, "Skierowania zrealizowane", 1); /* x1 (x2 open, x3 no service, x4 unlinked) */
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją",
           2); /* p1, leader (p2 unsigned, gone withdrawn) */
    ACTUAL(r->json, "Opracowany model pracy socjalnej", -1); /* no source: null */
    resp_free(r);
    /* partner staff and auditors read indicators too (no personal data in them) */
    r = api("GET", ip, p.staff, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, surname));
    ck_assert_ptr_null(strstr(r->body, f1));
    resp_free(r);
    ck_assert_int_eq(get_status(p.auditor, ip), 200);

    /* unlinking f1 takes its team and referral out */
    r = api("DELETE", fmt("%s/%s", lp, f1), p.admin, NULL);
    EXPECT(r, 204);
    resp_free(r);
    r = api("GET", ip, p.admin, NULL);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 1);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    resp_free(r);

    /* a project whose period is over counts nothing formed or completed today */
    doc = json_pack("{s:s, s:s, s:s, s:O}", "name", "Projekt archiwalny", "starts_on", "2017-03-01",
                    "ends_on", "2018-12-31", "indicators", indicators);
    char old[37];
    CREATE(p.admin, "/v1/projects", doc, old);
    LOCALF(olp, "/v1/projects/%s/families", old);
    r = api("POST", olp, p.admin, fmt("{\"family_id\":\"%s\"}", f1));
    EXPECT(r, 201);
    resp_free(r);
    r = api("GET", fmt("/v1/projects/%s/indicators", old), p.admin, NULL);
    EXPECT(r, 200);
    ACTUAL(r->json, "Rodziny objęte wsparciem", 1);
    ACTUAL(r->json, "Zespoły zadaniowe utworzone", 0);
    ACTUAL(r->json, "Skierowania zrealizowane", 0);
    ACTUAL(r->json, "Partnerzy z podpisaną deklaracją", 0); /* no partners named */
    resp_free(r);
    json_decref(indicators);
    r = api("GET", "/v1/projects/0190aaaa-0000-7000-8000-000000000004/indicators", p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

/* ---- reports ---- */

struct rw {
    struct pw p;
    char tname[128];
    char p1name[160], p3name[160];
    char p3[37], s1[37];
    char f[5][37];
    char surname[64], pesel[12], street[96];
    char from[16], to[16];
};

static void tenant_name(const char *tenant, char out[128])
{
    struct resp *r = direct("GET", fmt("/v1/tenants/%s", tenant), world()->platform, NULL, NULL);
    ck_assert_msg(r->status == 200, "tenant: %ld %s", r->status, r->body);
    snprintf(out, 128, "%s", jstr(r->json, "name"));
    resp_free(r);
}

/* A tenant whose reports are known exactly:
 *  partners: p1 "Poradnia ..." (health, declared in period), p2 (ngo, invited,
 *    an agreement signed in period), p3 (ngo, invited; a name with , ; and ");
 *  benefits: p3 -> p1, p1 -> all partners;
 *  services: s1 psychological_support p1 3 free, s2 psychological_support p1
 *    full, s3 legal_advice p3 not reported (all active), s4 training p2 draft;
 *  families (5): districts Centrum x3, Zawodzie, Ligota; problems unemployment
 *    x4, poverty x2, addiction x1; statuses referred x4, diagnosed x1;
 *  teams: t0 active (f0), t1 t2 forming, t3 forming -> closed;
 *  referrals on t0 (s1): completed, declined, referred. */
static void report_world(struct rw *w)
{
    memset(w, 0, sizeof *w);
    struct pw *p = &w->p;
    memset(p, 0, sizeof *p);
    struct fx_tenant t;
    FX_TENANT(&t, FX_COORD | FX_SW | FX_AUDITOR);
    memcpy(p->tenant, t.id, 37);
    memcpy(p->admin, t.admin, 80);
    memcpy(p->admin_id, t.admin_id, 37);
    memcpy(p->coord, t.coord, 80);
    memcpy(p->sw, t.sw, 80);
    memcpy(p->sw_id, t.sw_id, 37);
    memcpy(p->auditor, t.auditor, 80);
    tenant_name(p->tenant, w->tname);
    snprintf(w->from, sizeof w->from, "2020-01-01");
    snprintf(w->to, sizeof w->to, "%s", utc_date(5));
    LOCALF(yesterday, "%s", utc_date(-1));

    snprintf(w->p1name, sizeof w->p1name, "Poradnia Zdrowia Psychicznego %d", (int)getpid());
    snprintf(w->p3name, sizeof w->p3name, "Stowarzyszenie \"Razem\", Koło; Śląsk %d",
             (int)getpid());
    create_partner(p->admin, w->p1name, "health", yesterday, p->p1);
    MOVED(p->admin, fmt("/v1/partners/%s/transitions", p->p1), "declared", NULL, NULL);
    create_partner(p->admin, "Fundacja Pomocy Rodzinie", "ngo", NULL, p->p2);
    create_partner(p->admin, w->p3name, "ngo", NULL, w->p3);
    CREATE(p->admin, fmt("/v1/partners/%s/agreements", p->p2),
           json_pack("{s:s, s:s}", "title", "Porozumienie o współpracy", "signed_on", yesterday),
           NULL);
    CREATE(p->admin, fmt("/v1/partners/%s/benefits", w->p3),
           json_pack("{s:s, s:s, s:s}", "description", "Wymiana doświadczeń",
                     "beneficiary_partner_id", p->p1, "recorded_on", yesterday),
           NULL);
    CREATE(p->admin, fmt("/v1/partners/%s/benefits", p->p1),
           json_pack("{s:s, s:s}", "description", "Szkolenie dla wszystkich", "recorded_on",
                     yesterday),
           NULL);
    make_user(p->admin, "partner_staff", p->p1, p->staff, p->staff_id);

    char s2[37], s3[37], s4[37];
    make_service(p->admin, p->p1, "psychological_support", 3, true, w->s1);
    make_service(p->admin, p->p1, "psychological_support", 0, true, s2);
    make_service(p->admin, w->p3, "legal_advice", -1, true, s3);
    make_service(p->admin, p->p2, "training", 2, false, s4);

    snprintf(w->street, sizeof w->street, "ul. Raportowa %d", (int)getpid());
    note_pii(w->street);
    const char *districts[] = {"Centrum", "Centrum", "Centrum", "Zawodzie", "Ligota"};
    json_t *problems[] = {json_pack("[{s:s}, {s:s}]", "code", "unemployment", "code", "addiction"),
                          json_pack("[{s:s}, {s:s}]", "code", "unemployment", "code", "poverty"),
                          json_pack("[{s:s}, {s:s}]", "code", "unemployment", "code", "poverty"),
                          json_pack("[{s:s}]", "code", "unemployment"), NULL};
    for (int i = 0; i < 5; i++) {
        json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "district", districts[i],
                                "address", "street", w->street, "building", "7", "postal_code",
                                "40-001", "city", "Katowice");
        if (problems[i])
            json_object_set_new(doc, "problems", problems[i]);
        CREATE(p->coord, "/v1/families", doc, w->f[i]);
    }
    MOVED(p->coord, fmt("/v1/families/%s/transitions", w->f[4]), "diagnosed", NULL, NULL);

    make_surname("Raportowska", w->surname);
    char rep[64];
    make_surname("Przedstawiciel", rep);
    make_pesel(1981, 3, 14, 1, w->pesel);
    char adult[37];
    make_adult(p->coord, w->f[0], w->surname, w->pesel, adult);
    char t0[37], t1[37], t2[37], t3[37], g[37], a1[37], a2[37], a3[37];
    make_team(p->coord, w->f[0], p->sw_id, t0);
    activate_team(p->sw, t0, w->f[0], adult, p->p1, p->staff_id, rep);
    make_team(p->coord, w->f[1], p->sw_id, t1);
    make_team(p->coord, w->f[2], p->sw_id, t2);
    make_team(p->coord, w->f[3], p->sw_id, t3);
    MOVED(p->coord, fmt("/v1/task-teams/%s/transitions", t3), "closed", NULL, NULL);
    make_goal(p->sw, t0, g);
    make_action(p->sw, t0, g, w->s1, a1);
    complete_referral(p->sw, p->staff, t0, a1);
    make_action(p->sw, t0, g, w->s1, a2);
    FX_REFERRAL_TO(p->sw, p->staff, t0, a2, "declined", NULL); /* reason "brak miejsc" */
    make_action(p->sw, t0, g, w->s1, a3);
    FX_REFERRAL_TO(p->sw, p->staff, t0, a3, "referred", NULL);
}

/* The row of a report for tenant (NULL: the summed row), dimension and key. */
static const json_t *report_row(const json_t *doc, const char *tenant, const char *dim,
                                const char *key)
{
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row)
    {
        const json_t *t = json_object_get(row, "tenant_id");
        if (tenant ? !(json_is_string(t) && !strcmp(json_string_value(t), tenant))
                   : !json_is_null(t))
            continue;
        if (strcmp(jstr(row, "dimension") ? jstr(row, "dimension") : "", dim) ||
            strcmp(jstr(row, "key") ? jstr(row, "key") : "", key))
            continue;
        return row;
    }
    return NULL;
}

/* want: "<3", a decimal count, or NULL for "no such row" */
#define CELL(doc, tenant, dim, key, want) cell_at((doc), (tenant), (dim), (key), (want), __LINE__)
static void cell_at(const json_t *doc, const char *tenant, const char *dim, const char *key,
                    const char *want, int line)
{
    const json_t *row = report_row(doc, tenant, dim, key);
    char *d = jdump(doc);
    if (!want) {
        ck_assert_msg(!row, "line %d: %s/%s/%s should be absent: %s", line, tenant ? tenant : "all",
                      dim, key, d);
    } else {
        ck_assert_msg(row, "line %d: no row %s/%s/%s: %s", line, tenant ? tenant : "all", dim, key,
                      d);
        const json_t *c = json_object_get(row, "count");
        if (!strcmp(want, "<3"))
            ck_assert_msg(json_is_string(c) && !strcmp(json_string_value(c), "<3"),
                          "line %d: %s/%s should be \"<3\": %s", line, dim, key, d);
        else
            ck_assert_msg(json_is_integer(c) && json_integer_value(c) == atoll(want),
                          "line %d: %s/%s should be %s: %s", line, dim, key, want, d);
    }
    free(d);
}

/* The shape every report shares; suppressed: small family cells are "<3". */
static void check_report_shape(const json_t *doc, const char *name, const char *from,
                               const char *to, bool suppressed)
{
    char *d = jdump(doc);
    ck_assert_msg(jstr(doc, "report") && !strcmp(jstr(doc, "report"), name), "report: %s", d);
    ck_assert_msg(jstr(doc, "from") && !strcmp(jstr(doc, "from"), from), "from: %s", d);
    ck_assert_msg(jstr(doc, "to") && !strcmp(jstr(doc, "to"), to), "to: %s", d);
    const json_t *cols = json_object_get(doc, "columns");
    const char *want_cols[] = {"tenant_id", "tenant_name", "dimension", "key", "count", "value"};
    ck_assert_msg(json_array_size(cols) == 6, "columns: %s", d);
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(!strcmp(json_string_value(json_array_get(cols, i)), want_cols[i]),
                      "columns: %s", d);
    const json_t *rows = json_object_get(doc, "rows");
    ck_assert_msg(json_is_array(rows), "rows: %s", d);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        ck_assert_msg(json_object_size(row) == 6, "row %zu has other fields: %s", i, d);
        for (size_t k = 0; k < 6; k++)
            ck_assert_msg(json_object_get(row, want_cols[k]), "row %zu lacks %s: %s", i,
                          want_cols[k], d);
        const json_t *c = json_object_get(row, "count");
        if (json_is_null(c)) {
            ck_assert_msg(!json_is_null(json_object_get(row, "value")) ||
                              !strcmp(jstr(row, "dimension"), "metric"),
                          "row %zu without count or value: %s", i, d);
        } else if (json_is_string(c)) {
            ck_assert_msg(suppressed && !strcmp(json_string_value(c), "<3"),
                          "row %zu: count %s: %s", i, json_string_value(c), d);
        } else {
            ck_assert_msg(json_is_integer(c), "row %zu: count not an integer: %s", i, d);
            ck_assert_msg(json_integer_value(c) > 0, "row %zu: zero rows must be absent: %s", i, d);
            if (suppressed)
                ck_assert_msg(json_integer_value(c) >= 3, "row %zu: a small cell shown: %s", i, d);
        }
    }
    free(d);
}

static size_t nrows(const json_t *doc)
{
    return json_array_size(json_object_get(doc, "rows"));
}

/* GET a report as tok (JSON through Prism); the parsed document or NULL with *status. */
static json_t *report(const char *tok, const char *name, const char *query, long *status)
{
    struct resp *r = api(
        "GET", fmt("/v1/reports/%s%s%s", name, query ? "?" : "", query ? query : ""), tok, NULL);
    if (status)
        *status = r->status;
    json_t *doc = r->status == 200 ? json_incref(r->json) : NULL;
    if (r->status == 200) {
        const char *ct = resp_header(r, "Content-Type");
        ck_assert_msg(ct && !strncmp(ct, "application/json", 16), "Content-Type %s", ct);
    }
    resp_free(r);
    return doc;
}

static void no_personal_data(const struct rw *w, const char *body, const char *what)
{
    ck_assert_msg(!strstr(body, w->surname), "%s holds a surname: %s", what, body);
    ck_assert_msg(!strstr(body, w->pesel), "%s holds a PESEL: %s", what, body);
    ck_assert_msg(!strstr(body, w->street), "%s holds an address: %s", what, body);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(!strstr(body, w->f[i]), "%s holds a family id: %s", what, body);
}

START_TEST(reports_count_exactly_and_hide_small_cells)
{
    struct rw w;
    report_world(&w);
    const char *T = w.p.tenant;
    LOCALF(q, "from=%s&to=%s", w.from, w.to);
    long st;

    json_t *d = report(w.p.admin, "families", q, &st);
    ck_assert_msg(d, "families: %ld", st);
    check_report_shape(d, "families", w.from, w.to, true);
    CELL(d, T, "total", "families", "5");
    CELL(d, T, "status", "referred", "4");
    CELL(d, T, "status", "diagnosed", "<3");
    CELL(d, T, "status", "closed", NULL);
    CELL(d, T, "problem", "unemployment", "4");
    CELL(d, T, "problem", "poverty", "<3");
    CELL(d, T, "problem", "addiction", "<3");
    CELL(d, T, "problem", "homelessness", NULL);
    CELL(d, T, "district", "Centrum", "3");
    CELL(d, T, "district", "Zawodzie", "<3");
    CELL(d, T, "district", "Ligota", "<3");
    CELL(d, T, "district", "(none)", NULL);
    ck_assert_uint_eq(nrows(d), 9);
    /* one tenant: no summed rows, its name on every row */
    const json_t *row0 = json_array_get(json_object_get(d, "rows"), 0);
    ck_assert_str_eq(jstr(row0, "tenant_name"), w.tname);
    ck_assert_ptr_null(report_row(d, NULL, "total", "families"));
    json_decref(d);

    d = report(w.p.admin, "task-teams", q, &st);
    ck_assert_msg(d, "task-teams: %ld", st);
    check_report_shape(d, "task-teams", w.from, w.to, true);
    CELL(d, T, "teams", "formed", "<3");
    CELL(d, T, "teams", "closed", "<3");
    CELL(d, T, "teams", "open_at_end", "3");
    CELL(d, T, "plans", "agreed", NULL);
    ck_assert_uint_eq(nrows(d), 3);
    json_decref(d);

    d = report(w.p.admin, "referrals", q, &st);
    ck_assert_msg(d, "referrals: %ld", st);
    check_report_shape(d, "referrals", w.from, w.to, true);
    CELL(d, T, "total", "referrals", "3");
    CELL(d, T, "status", "completed", "<3");
    CELL(d, T, "status", "declined", "<3");
    CELL(d, T, "status", "referred", "<3");
    CELL(d, T, "status", "accepted", NULL);
    CELL(d, T, "sector", "health", "3");
    CELL(d, T, "partner", w.p1name, "3");
    /* metrics carry a value, no count: one accepted of two decided */
    const json_t *m = report_row(d, T, "metric", "acceptance_rate");
    char *ds = jdump(d);
    ck_assert_msg(m && json_is_null(json_object_get(m, "count")) &&
                      json_is_number(json_object_get(m, "value")) &&
                      json_number_value(json_object_get(m, "value")) == 0.5,
                  "acceptance_rate: %s", ds);
    m = report_row(d, T, "metric", "median_days_to_accept");
    ck_assert_msg(m && json_is_number(json_object_get(m, "value")) &&
                      json_number_value(json_object_get(m, "value")) >= 0 &&
                      json_number_value(json_object_get(m, "value")) < 1,
                  "median_days_to_accept: %s", ds);
    m = report_row(d, T, "metric", "median_days_to_complete");
    ck_assert_msg(m && json_is_number(json_object_get(m, "value")) &&
                      json_number_value(json_object_get(m, "value")) >= 0 &&
                      json_number_value(json_object_get(m, "value")) < 1,
                  "median_days_to_complete: %s", ds);
    free(ds);
    ck_assert_uint_eq(nrows(d), 9);
    json_decref(d);

    /* institution data are never suppressed: 1 and 2 are shown */
    d = report(w.p.admin, "services", q, &st);
    ck_assert_msg(d, "services: %ld", st);
    check_report_shape(d, "services", w.from, w.to, false);
    CELL(d, T, "total", "active_services", "3");
    CELL(d, T, "category", "psychological_support", "2");
    CELL(d, T, "category", "legal_advice", "1");
    CELL(d, T, "category", "training", NULL); /* a draft is not in the basket */
    CELL(d, T, "sector", "health", "2");
    CELL(d, T, "sector", "ngo", "1");
    CELL(d, T, "capacity", "has_places", "1");
    CELL(d, T, "capacity", "full", "1");
    CELL(d, T, "capacity", "not_reported", "1");
    ck_assert_uint_eq(nrows(d), 8);
    json_decref(d);

    d = report(w.p.admin, "partners", q, &st);
    ck_assert_msg(d, "partners: %ld", st);
    check_report_shape(d, "partners", w.from, w.to, false);
    CELL(d, T, "total", "partners", "3");
    CELL(d, T, "sector", "health", "1");
    CELL(d, T, "sector", "ngo", "2");
    CELL(d, T, "status", "invited", "2");
    CELL(d, T, "status", "declared", "1");
    CELL(d, T, "declarations", "signed_in_period", "1");
    CELL(d, T, "agreements", "signed_in_period", "1");
    ck_assert_uint_eq(nrows(d), 7);
    json_decref(d);

    d = report(w.p.admin, "benefits", q, &st);
    ck_assert_msg(d, "benefits: %ld", st);
    check_report_shape(d, "benefits", w.from, w.to, false);
    CELL(d, T, "total", "benefits", "2");
    CELL(d, T, "partner", w.p3name, "1");
    CELL(d, T, "partner", w.p1name, "1");
    CELL(d, T, "sector", "ngo", "1");
    CELL(d, T, "sector", "health", "1");
    CELL(d, T, "beneficiary", w.p1name, "1");
    CELL(d, T, "beneficiary", "(all partners)", "1");
    ck_assert_uint_eq(nrows(d), 7);
    json_decref(d);

    /* a period before everything: the period-bound rows are gone */
    const char *names[] = {"families", "task-teams", "referrals", "benefits"};
    for (int i = 0; i < 4; i++) {
        d = report(w.p.admin, names[i], "from=2019-01-01&to=2019-12-31", &st);
        ck_assert_msg(d, "%s: %ld", names[i], st);
        check_report_shape(d, names[i], "2019-01-01", "2019-12-31", i < 3);
        char *s = jdump(d);
        ck_assert_msg(nrows(d) == 0, "%s of 2019 should be empty: %s", names[i], s);
        free(s);
        json_decref(d);
    }
    d = report(w.p.admin, "partners", "from=2019-01-01&to=2019-12-31", &st);
    CELL(d, T, "total", "partners", "3");
    CELL(d, T, "declarations", "signed_in_period", NULL);
    CELL(d, T, "agreements", "signed_in_period", NULL);
    json_decref(d);
    /* no period: the current calendar year */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    LOCALF(y0, "%04d-01-01", tm.tm_year + 1900);
    LOCALF(y1, "%04d-12-31", tm.tm_year + 1900);
    d = report(w.p.coord, "families", NULL, &st);
    ck_assert_msg(d, "families: %ld", st);
    check_report_shape(d, "families", y0, y1, true);
    CELL(d, T, "total", "families", "5");
    json_decref(d);
}
END_TEST

START_TEST(reports_csv_negotiation_and_parameters)
{
    struct rw w;
    report_world(&w);
    LOCALF(q, "from=%s&to=%s", w.from, w.to);
    const char *csv[] = {"Accept: text/csv", NULL};

    /* benefits as CSV: the header is the columns, a name with , ; and " is quoted */
    struct resp *r = api_h("GET", fmt("/v1/reports/benefits?%s", q), w.p.admin, NULL, csv);
    EXPECT(r, 200);
    const char *ct = resp_header(r, "Content-Type");
    ck_assert_msg(ct && !strncmp(ct, "text/csv", 8), "Content-Type %s", ct ? ct : "(none)");
    ck_assert_msg(resp_header(r, "Vary") && strstr(resp_header(r, "Vary"), "Accept"),
                  "no Vary: Accept");
    const char *cd = resp_header(r, "Content-Disposition");
    ck_assert_msg(cd && strstr(cd, "benefits.csv"), "Content-Disposition %s", cd ? cd : "(none)");
    ck_assert_msg(!strncmp(r->body, "tenant_id,tenant_name,dimension,key,count,value\r\n", 49),
                  "CSV header: %s", r->body);
    char *name_q = malloc(strlen(w.p3name) * 2 + 3);
    {
        char *o = name_q;
        *o++ = '"';
        for (const char *s = w.p3name; *s; s++) {
            if (*s == '"')
                *o++ = '"';
            *o++ = *s;
        }
        *o++ = '"';
        *o = 0;
    }
    LOCALF(line, "%s,%s,partner,%s,1,\r\n", w.p.tenant, w.tname, name_q);
    ck_assert_msg(strstr(r->body, line), "no line %s in CSV:\n%s", line, r->body);
    LOCALF(line2, "%s,%s,beneficiary,(all partners),1,\r\n", w.p.tenant, w.tname);
    ck_assert_msg(strstr(r->body, line2), "no line %s in CSV:\n%s", line2, r->body);
    free(name_q);
    /* one line per JSON row, plus the header */
    size_t lines = 0;
    for (const char *s = r->body; (s = strstr(s, "\r\n")); s += 2)
        lines++;
    ck_assert_uint_eq(lines, 1 + 7);
    no_personal_data(&w, r->body, "benefits CSV");
    resp_free(r);

    /* small cells stay hidden in CSV */
    r = api_h("GET", fmt("/v1/reports/families?%s", q), w.p.admin, NULL, csv);
    EXPECT(r, 200);
    LOCALF(l3, "%s,%s,district,Zawodzie,<3,\r\n", w.p.tenant, w.tname);
    ck_assert_msg(strstr(r->body, l3), "no line %s in CSV:\n%s", l3, r->body);
    LOCALF(l4, "%s,%s,district,Centrum,3,\r\n", w.p.tenant, w.tname);
    ck_assert_msg(strstr(r->body, l4), "no line %s in CSV:\n%s", l4, r->body);
    resp_free(r);

    /* every report, JSON and CSV, holds no personal data */
    const char *names[] = {"families", "task-teams", "referrals",
                           "services", "partners",   "benefits"};
    for (int i = 0; i < 6; i++) {
        r = api("GET", fmt("/v1/reports/%s?%s", names[i], q), w.p.admin, NULL);
        EXPECT(r, 200);
        no_personal_data(&w, r->body, names[i]);
        resp_free(r);
        r = api_h("GET", fmt("/v1/reports/%s?%s", names[i], q), w.p.admin, NULL, csv);
        EXPECT(r, 200);
        ck_assert_msg(!strncmp(r->body, "tenant_id,tenant_name,dimension,key,count,value\r\n", 49),
                      "%s CSV header: %s", names[i], r->body);
        no_personal_data(&w, r->body, names[i]);
        resp_free(r);
    }

    /* negotiation: JSON for JSON or anything, 406 for what is neither */
    const char *json_h[] = {"Accept: application/json", NULL};
    r = api_h("GET", "/v1/reports/partners", w.p.admin, NULL, json_h);
    EXPECT(r, 200);
    ck_assert_ptr_nonnull(r->json);
    resp_free(r);
    const char *any[] = {"Accept: */*", NULL};
    r = api_h("GET", "/v1/reports/partners", w.p.admin, NULL, any);
    EXPECT(r, 200);
    ck_assert_ptr_nonnull(r->json);
    resp_free(r);
    const char *png[] = {"Accept: image/png", NULL};
    r = api_h("GET", "/v1/reports/partners", w.p.admin, NULL, png);
    ck_problem(r, 406, "not_acceptable");
    resp_free(r);

    /* parameters */
    r = api("GET", "/v1/reports/families?from=2026-03-01&to=2026-02-28", w.p.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "to", NULL, "query");
    resp_free(r);
    r = api("GET", "/v1/reports/services?from=2026-03-01&to=2026-03-01", w.p.admin, NULL);
    EXPECT(r, 200);
    resp_free(r);
    const struct {
        const char *q, *field;
    } bad[] = {{"from=2026-02-30", "from"},
               {"to=tomorrow", "to"},
               {"tenant_id=abc", "tenant_id"},
               {"district=Centrum", "district"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/reports/families?%s", bad[i].q), w.p.admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, NULL, "query");
        resp_free(r);
    }
    r = api("GET", "/v1/reports/households", w.p.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(reports_roles)
{
    struct rw w;
    report_world(&w);
    const struct world *wd = world();
    LOCALF(q, "from=%s&to=%s", w.from, w.to);
    const char *names[] = {"families", "task-teams", "referrals",
                           "services", "partners",   "benefits"};
    for (int i = 0; i < 6; i++) {
        LOCALF(path, "/v1/reports/%s?%s", names[i], q);
        /* admin, coordinator and auditor read the same report */
        struct resp *a = api("GET", path, w.p.admin, NULL);
        EXPECT(a, 200);
        const char *readers[] = {w.p.coord, w.p.auditor};
        for (int k = 0; k < 2; k++) {
            struct resp *r = api("GET", path, readers[k], NULL);
            EXPECT(r, 200);
            ck_assert_msg(
                json_equal(json_object_get(a->json, "rows"), json_object_get(r->json, "rows")),
                "%s differs for another reader:\n%s\n%s", names[i], a->body, r->body);
            resp_free(r);
        }
        resp_free(a);
        /* social workers and partner staff do not */
        const char *refused[] = {w.p.sw, w.p.staff, wd->platform};
        for (int k = 0; k < 3; k++) {
            struct resp *r = api("GET", path, refused[k], NULL);
            ck_problem(r, 403, "forbidden");
            resp_free(r);
        }
        struct resp *r = api("GET", path, NULL, NULL);
        ck_problem(r, 401, "unauthorized");
        resp_free(r);
        /* a tenant's own id is fine; another tenant's is absent */
        r = api("GET", fmt("%s&tenant_id=%s", path, w.p.tenant), w.p.auditor, NULL);
        EXPECT(r, 200);
        resp_free(r);
        r = api("GET", fmt("%s&tenant_id=%s", path, wd->tenant_a), w.p.admin, NULL);
        ck_problem(r, 404, "not_found");
        resp_free(r);
    }
    /* another tenant's admin sees nothing of this tenant */
    struct resp *r = api("GET", fmt("/v1/reports/partners?%s", q), wd->admin_b, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, w.p.tenant));
    resp_free(r);
}
END_TEST

/* A regional analyst (platform level) and a token for it. */
static void make_analyst(char tok[80], char id[37])
{
    const char *platform = world()->platform;
    struct resp *r = direct("POST", "/v1/users", platform,
                            fmt("{\"name\":\"Analityk ROPS\",\"email\":\"rops%d-%ld@test.example\","
                                "\"role\":\"regional_analyst\"}",
                                (int)getpid(), (long)time(NULL)),
                            NULL);
    ck_assert_msg(r->status == 201, "analyst: %ld %s", r->status, r->body);
    snprintf(id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = direct("POST", fmt("/v1/users/%s/tokens", id), platform, "{\"name\":\"rops\"}", NULL);
    ck_assert_msg(r->status == 201, "analyst token: %ld %s", r->status, r->body);
    snprintf(tok, 80, "%s", jstr(r->json, "token"));
    resp_free(r);
}

START_TEST(reports_regional_analyst_across_granted_tenants)
{
    struct rw w;
    report_world(&w);
    const struct world *wd = world();
    const char *T1 = w.p.tenant;
    /* a second tenant: two families in Centrum (one unemployed), one active service */
    char T2[37], admin2[80], admin2_id[37], t2name[128];
    fresh_tenant(T2, admin2, admin2_id);
    tenant_name(T2, t2name);
    char g1[37], g2[37], gp[37], gs[37];
    make_family(admin2, "Centrum", json_pack("[{s:s}]", "code", "unemployment"), g1);
    make_family(admin2, "Centrum", NULL, g2);
    create_partner(admin2, "Poradnia Rodzinna", "health", NULL, gp);
    make_service(admin2, gp, "psychological_support", 1, true, gs);

    char analyst[80], analyst_id[37];
    make_analyst(analyst, analyst_id);
    LOCALF(q, "from=%s&to=%s", w.from, w.to);
    const char *names[] = {"families", "task-teams", "referrals",
                           "services", "partners",   "benefits"};
    /* nothing granted: empty reports, and no tenant to ask for */
    for (int i = 0; i < 6; i++) {
        long st;
        json_t *d = report(analyst, names[i], q, &st);
        ck_assert_msg(d, "%s: %ld", names[i], st);
        check_report_shape(d, names[i], w.from, w.to, i < 3);
        char *s = jdump(d);
        ck_assert_msg(nrows(d) == 0, "%s before any grant: %s", names[i], s);
        free(s);
        json_decref(d);
    }
    struct resp *r = api("GET", fmt("/v1/reports/families?tenant_id=%s", T1), analyst, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* the analyst reads reports only */
    r = api("GET", "/v1/partners", analyst, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);

    /* a platform admin grants two tenants (If-Match required) */
    LOCALF(up, "/v1/users/%s", analyst_id);
    LOCALF(grant, "{\"granted_tenant_ids\":[\"%s\",\"%s\"]}", T1, T2);
    r = api("PATCH", up, wd->platform, grant);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = api_if("PATCH", up, wd->platform, grant, etag(version_of(up, wd->platform)));
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "granted_tenant_ids")), 2);
    resp_free(r);

    long st;
    json_t *d = report(analyst, "families", q, &st);
    ck_assert_msg(d, "families: %ld", st);
    check_report_shape(d, "families", w.from, w.to, true);
    /* per tenant */
    CELL(d, T1, "total", "families", "5");
    CELL(d, T1, "district", "Centrum", "3");
    CELL(d, T1, "district", "Zawodzie", "<3");
    CELL(d, T2, "total", "families", "<3");
    CELL(d, T2, "district", "Centrum", "<3");
    CELL(d, T2, "problem", "unemployment", "<3");
    CELL(d, T2, "district", "Zawodzie", NULL);
    /* summed: tenant_id null, tenant_name "all" */
    CELL(d, NULL, "total", "families", "7");
    CELL(d, NULL, "district", "Centrum", "5");
    CELL(d, NULL, "district", "Zawodzie", "<3");
    CELL(d, NULL, "problem", "unemployment", "5");
    CELL(d, NULL, "status", "referred", "6");
    CELL(d, NULL, "status", "diagnosed", "<3");
    ck_assert_str_eq(jstr(report_row(d, NULL, "total", "families"), "tenant_name"), "all");
    ck_assert_str_eq(jstr(report_row(d, T1, "total", "families"), "tenant_name"), w.tname);
    ck_assert_str_eq(jstr(report_row(d, T2, "total", "families"), "tenant_name"), t2name);
    /* only the granted tenants */
    char *s = jdump(d);
    ck_assert_msg(!strstr(s, wd->tenant_a) && !strstr(s, wd->tenant_b), "other tenants: %s", s);
    free(s);
    json_decref(d);

    d = report(analyst, "services", q, &st);
    ck_assert_msg(d, "services: %ld", st);
    check_report_shape(d, "services", w.from, w.to, false);
    CELL(d, T1, "category", "psychological_support", "2");
    CELL(d, T2, "category", "psychological_support", "1");
    CELL(d, NULL, "category", "psychological_support", "3");
    CELL(d, NULL, "total", "active_services", "4");
    CELL(d, NULL, "sector", "health", "3");
    CELL(d, NULL, "category", "legal_advice", "1");
    json_decref(d);

    /* narrowed to one granted tenant: its rows only, no sums */
    d = report(analyst, "families", fmt("%s&tenant_id=%s", q, T2), &st);
    ck_assert_msg(d, "families T2: %ld", st);
    check_report_shape(d, "families", w.from, w.to, true);
    CELL(d, T2, "total", "families", "<3");
    CELL(d, T1, "total", "families", NULL);
    CELL(d, NULL, "total", "families", NULL);
    json_decref(d);
    /* a tenant not granted is absent */
    r = api("GET", fmt("/v1/reports/families?tenant_id=%s", wd->tenant_a), analyst, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* no personal data across tenants either */
    for (int i = 0; i < 6; i++) {
        r = api("GET", fmt("/v1/reports/%s?%s", names[i], q), analyst, NULL);
        EXPECT(r, 200);
        no_personal_data(&w, r->body, names[i]);
        resp_free(r);
    }
    const char *csv[] = {"Accept: text/csv", NULL};
    r = api_h("GET", fmt("/v1/reports/families?%s", q), analyst, NULL, csv);
    EXPECT(r, 200);
    ck_assert_msg(strstr(r->body, ",all,total,families,7,\r\n"), "summed CSV row: %s", r->body);
    resp_free(r);

    /* the grant withdrawn: nothing again */
    r = api_if("PATCH", up, wd->platform, "{\"granted_tenant_ids\":[]}",
               etag(version_of(up, wd->platform)));
    EXPECT(r, 200);
    resp_free(r);
    d = report(analyst, "families", q, &st);
    ck_assert_msg(d && nrows(d) == 0, "families after revoking: %ld", st);
    json_decref(d);
}
END_TEST

Suite *suite_partnership(void)
{
    Suite *s = suite_create("partnership");
    TCase *tc = tcase_create("meetings");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, meeting_crud_round_trip_and_if_match);
    tcase_add_test(tc, meeting_validation);
    tcase_add_test(tc, meeting_list_filters);
    tcase_add_test(tc, meeting_roles_and_tenancy);
    tcase_add_test(tc, meeting_and_project_survive_partner_deletion);
    suite_add_tcase(s, tc);
    tc = tcase_create("projects");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, project_seed_round_trips_exactly);
    tcase_add_test(tc, project_validation_rules);
    tcase_add_test(tc, project_crud_roles_filters_and_tenancy);
    tcase_add_test(tc, project_families_link_list_unlink);
    tcase_add_test(tc, project_indicators_are_computed_from_the_data);
    suite_add_tcase(s, tc);
    tc = tcase_create("reports");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, reports_count_exactly_and_hide_small_cells);
    tcase_add_test(tc, reports_csv_negotiation_and_parameters);
    tcase_add_test(tc, reports_roles);
    tcase_add_test(tc, reports_regional_analyst_across_granted_tenants);
    suite_add_tcase(s, tc);
    return s;
}
