/* Partners: create, read, validation, patch preconditions and merge-patch,
 * read-only fields, one leader, partner staff, delete, idempotent create
 * (SPEC §5 Partners). */
#include "partners.h"

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

TCase *tcase_partners_crud(void)
{
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
    return tc;
}
