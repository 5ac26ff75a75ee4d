/* server/spec.c: declarative body validation, query parsing, UTF-8 and
 * format helpers. */
#include "unit.h"

#include "identifiers.h"
#include "req.h"
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the space-separated words of s into out (so error sets compare
 * regardless of object iteration order). */
static void sort_words(const char *s, char *out, size_t outlen)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", s);
    char *words[64];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
        words[n++] = t;
    qsort(words, (size_t)n, sizeof words[0], cmp_str);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            strncat(out, " ", outlen - strlen(out) - 1);
        strncat(out, words[i], outlen - strlen(out) - 1);
    }
}

/* Checks the shape of every error item ({field, code, message, in} strings,
 * nothing else, in == want_in, message not empty) and returns the sorted
 * "field:code" list. */
static void error_set(const json_t *errors, const char *want_in, char *out, size_t outlen)
{
    ck_assert_msg(json_is_array(errors), "errors is not an array");
    char joined[2048] = "";
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e)
    {
        ck_assert_msg(json_is_object(e), "error item %zu is not an object", i);
        ck_assert_int_eq(json_object_size(e), 4);
        const char *keys[] = {"field", "code", "message", "in"};
        for (int k = 0; k < 4; k++)
            ck_assert_msg(json_is_string(json_object_get(e, keys[k])),
                          "error item %zu: '%s' is not a string", i, keys[k]);
        ck_assert_str_eq(json_string_value(json_object_get(e, "in")), want_in);
        ck_assert_msg(*json_string_value(json_object_get(e, "message")),
                      "error item %zu has an empty message", i);
        ck_assert_msg(*json_string_value(json_object_get(e, "field")),
                      "error item %zu has an empty field", i);
        char item[320];
        snprintf(item, sizeof item, "%s:%s", json_string_value(json_object_get(e, "field")),
                 json_string_value(json_object_get(e, "code")));
        if (*joined)
            strncat(joined, " ", sizeof joined - strlen(joined) - 1);
        strncat(joined, item, sizeof joined - strlen(joined) - 1);
    }
    sort_words(joined, out, outlen);
}

static const char *error_message(const json_t *errors, const char *field)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
            return json_string_value(json_object_get(e, "message"));
    }
    return NULL;
}

/* ---- the spec under test -------------------------------------------------- */

static const char *const kinds[] = {"ngo", "company", "public", NULL};

static const struct fs_field ids_spec[] = {
    {.name = "nip", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_nip},
    {.name = "regon", .type = FS_STRING, .flags = FS_NULLABLE, .check = koop_check_regon},
    {.name = NULL},
};

static const struct fs_field address_spec[] = {
    {.name = "city", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 5},
    {.name = "postal_code",
     .type = FS_STRING,
     .flags = FS_NULLABLE,
     .check = koop_check_postal_code},
    {.name = NULL},
};

static const struct fs_field contact_spec[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 10},
    {.name = "email", .type = FS_EMAIL, .flags = FS_NULLABLE},
    {.name = NULL},
};
static const struct fs_field contact_item = {.type = FS_OBJECT, .sub = contact_spec};
static const struct fs_field kind_item = {.type = FS_ENUM, .values = kinds};

static const struct fs_field top_spec[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 2, .max = 4},
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = kinds},
    {.name = "owner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "founded_on", .type = FS_DATE},
    {.name = "seen_at", .type = FS_DATETIME},
    {.name = "email", .type = FS_EMAIL},
    {.name = "website", .type = FS_URL, .max = 30},
    {.name = "size", .type = FS_INT, .min = 1, .max = 100},
    {.name = "score", .type = FS_INT, .min = -5, .max = 5},
    {.name = "active", .type = FS_BOOL},
    {.name = "secret", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "identifiers", .type = FS_OBJECT, .sub = ids_spec},
    {.name = "address", .type = FS_OBJECT, .flags = FS_NULLABLE, .sub = address_spec},
    {.name = "contacts", .type = FS_ARRAY, .max = 3, .item = &contact_item},
    {.name = "kinds", .type = FS_ARRAY, .min = 1, .max = 2, .item = &kind_item},
    {.name = NULL},
};

/* The required fields, so a row only shows what it is about. */
#define B "\"name\":\"Ab\",\"kind\":\"ngo\","
#define U "0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2b"

struct vrow {
    enum fs_mode mode;
    const char *json;
    const char *want; /* space-separated field:code, "" = valid */
};

static const struct vrow vrows[] = {
    /* required / minimal */
    {FS_CREATE, "{\"name\":\"Ab\",\"kind\":\"ngo\"}", ""},
    {FS_CREATE, "{}", "name:required kind:required"},
    {FS_CREATE, "{\"name\":\"Ab\"}", "kind:required"},
    {FS_PATCH, "{}", ""},
    {FS_PATCH, "{\"name\":\"Abc\"}", ""},
    {FS_PATCH, "{\"size\":5}", ""},
    /* null */
    {FS_PATCH, "{\"name\":null}", "name:required"},
    {FS_PATCH, "{\"kind\":null}", "kind:required"},
    {FS_CREATE, "{\"name\":null,\"kind\":\"ngo\"}", "name:type"},
    {FS_CREATE, "{" B "\"owner_id\":null}", ""},
    {FS_PATCH, "{\"owner_id\":null}", ""},
    {FS_PATCH, "{\"address\":null}", ""},
    {FS_CREATE, "{" B "\"size\":null}", "size:type"},
    {FS_PATCH, "{\"size\":null}", "size:type"},
    {FS_PATCH, "{\"identifiers\":null}", "identifiers:type"},
    {FS_PATCH, "{\"identifiers\":{\"nip\":null}}", ""},
    {FS_PATCH, "{\"contacts\":null}", "contacts:type"},
    /* strings counted in code points */
    {FS_CREATE, "{\"name\":\"Żółć\",\"kind\":\"ngo\"}", ""},
    {FS_CREATE, "{\"name\":\"Żółćx\",\"kind\":\"ngo\"}", "name:max_length"},
    {FS_CREATE, "{\"name\":\"Ż\",\"kind\":\"ngo\"}", "name:min_length"},
    {FS_CREATE, "{\"name\":\"\",\"kind\":\"ngo\"}", "name:min_length"},
    {FS_CREATE, "{\"name\":\"😀😀😀😀\",\"kind\":\"ngo\"}", ""},
    {FS_CREATE, "{\"name\":\"abcde\",\"kind\":\"ngo\"}", "name:max_length"},
    {FS_CREATE, "{\"name\":12,\"kind\":\"ngo\"}", "name:type"},
    {FS_CREATE, "{\"name\":[\"Ab\"],\"kind\":\"ngo\"}", "name:type"},
    /* enum */
    {FS_CREATE, "{\"name\":\"Ab\",\"kind\":\"public\"}", ""},
    {FS_CREATE, "{\"name\":\"Ab\",\"kind\":\"NGO\"}", "kind:enum"},
    {FS_CREATE, "{\"name\":\"Ab\",\"kind\":\"\"}", "kind:enum"},
    {FS_CREATE, "{\"name\":\"Ab\",\"kind\":1}", "kind:type"},
    /* uuid */
    {FS_CREATE, "{" B "\"owner_id\":\"" U "\"}", ""},
    {FS_CREATE, "{" B "\"owner_id\":\"0190F6E0-1C2D-7A3B-8C4D-5E6F70819A2B\"}", ""},
    {FS_CREATE, "{" B "\"owner_id\":\"0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2\"}", "owner_id:format"},
    {FS_CREATE, "{" B "\"owner_id\":\"0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2bb\"}", "owner_id:format"},
    {FS_CREATE, "{" B "\"owner_id\":\"0190f6e01c2d7a3b8c4d5e6f70819a2b\"}", "owner_id:format"},
    {FS_CREATE, "{" B "\"owner_id\":\"0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2g\"}", "owner_id:format"},
    {FS_CREATE, "{" B "\"owner_id\":\"0190f6e0_1c2d-7a3b-8c4d-5e6f70819a2b\"}", "owner_id:format"},
    {FS_CREATE, "{" B "\"owner_id\":\"\"}", "owner_id:format"},
    /* date */
    {FS_CREATE, "{" B "\"founded_on\":\"2024-02-29\"}", ""},
    {FS_CREATE, "{" B "\"founded_on\":\"2000-02-29\"}", ""},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-12-31\"}", ""},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-02-28\"}", ""},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-02-29\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"1900-02-29\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2100-02-29\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-04-31\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-13-01\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-00-10\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-01-00\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-01-32\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"0000-01-01\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-1-01\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026/01/01\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"2026-01-01T00:00:00Z\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":\"\"}", "founded_on:format"},
    {FS_CREATE, "{" B "\"founded_on\":20260101}", "founded_on:type"},
    /* datetime */
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00Z\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00+02:00\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00-05:30\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00.5Z\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00.123456+01:00\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00.123456789Z\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01t12:30:00z\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2024-02-29T23:59:59Z\"}", ""},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-02-29T12:30:00Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T24:00:00Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:60:00Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:61Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00+0200\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00+02\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00+24:00\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00+02:60\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00.Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00.1234567890Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T12:30:00ZZ\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01X12:30:00Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":\"2026-03-01T1:30:00Z\"}", "seen_at:format"},
    {FS_CREATE, "{" B "\"seen_at\":1700000000}", "seen_at:type"},
    /* email */
    {FS_CREATE, "{" B "\"email\":\"a@b.pl\"}", ""},
    {FS_CREATE, "{" B "\"email\":\"jan.kowalski+x@gmina.waw.pl\"}", ""},
    {FS_CREATE, "{" B "\"email\":\"a@b\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"@b.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"a@@b.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"a@b@c.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"a b@c.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"a@b.\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"a@.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"ab.pl\"}", "email:format"},
    {FS_CREATE, "{" B "\"email\":\"\"}", "email:format"},
    /* url */
    {FS_CREATE, "{" B "\"website\":\"https://x.pl/a?b=1\"}", ""},
    {FS_CREATE, "{" B "\"website\":\"http://x.pl\"}", ""},
    {FS_CREATE, "{" B "\"website\":\"ftp://x.pl\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"https://\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"https:///x\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"https://x.pl/a b\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"https://x.pl/<a>\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"x.pl\"}", "website:format"},
    {FS_CREATE, "{" B "\"website\":\"https://example.org/abcdefghij\"}", ""},
    {FS_CREATE, "{" B "\"website\":\"https://example.org/abcdefghijk\"}", "website:max_length"},
    /* integers */
    {FS_CREATE, "{" B "\"size\":1}", ""},
    {FS_CREATE, "{" B "\"size\":100}", ""},
    {FS_CREATE, "{" B "\"size\":0}", "size:min"},
    {FS_CREATE, "{" B "\"size\":-1}", "size:min"},
    {FS_CREATE, "{" B "\"size\":101}", "size:max"},
    {FS_CREATE, "{" B "\"size\":5.0}", "size:type"},
    {FS_CREATE, "{" B "\"size\":\"5\"}", "size:type"},
    {FS_CREATE, "{" B "\"size\":true}", "size:type"},
    {FS_CREATE, "{" B "\"score\":-5}", ""},
    {FS_CREATE, "{" B "\"score\":0}", ""},
    {FS_CREATE, "{" B "\"score\":5}", ""},
    {FS_CREATE, "{" B "\"score\":-6}", "score:min"},
    {FS_CREATE, "{" B "\"score\":6}", "score:max"},
    /* booleans */
    {FS_CREATE, "{" B "\"active\":true}", ""},
    {FS_CREATE, "{" B "\"active\":false}", ""},
    {FS_CREATE, "{" B "\"active\":\"true\"}", "active:type"},
    {FS_CREATE, "{" B "\"active\":1}", "active:type"},
    /* read-only and unknown */
    {FS_CREATE, "{" B "\"secret\":\"x\"}", "secret:read_only"},
    {FS_PATCH, "{\"secret\":null}", "secret:read_only"},
    {FS_CREATE, "{" B "\"id\":\"" U "\"}", "id:read_only"},
    {FS_PATCH, "{\"status\":\"active\"}", "status:read_only"},
    {FS_PATCH, "{\"version\":3}", "version:read_only"},
    {FS_PATCH, "{\"created_at\":\"2026-01-01T00:00:00Z\"}", "created_at:read_only"},
    {FS_PATCH, "{\"updated_at\":null}", "updated_at:read_only"},
    {FS_PATCH, "{\"tenant_id\":\"" U "\"}", "tenant_id:unknown_field"},
    {FS_PATCH, "{\"id\":\"" U "\",\"version\":1,\"status\":\"x\"}",
     "id:read_only version:read_only status:read_only"},
    {FS_CREATE, "{" B "\"foo\":1}", "foo:unknown_field"},
    {FS_PATCH, "{\"Name\":\"Abc\"}", "Name:unknown_field"},
    {FS_PATCH, "{\"identifiers\":{\"id\":\"x\"}}", "identifiers.id:unknown_field"},
    {FS_PATCH, "{\"address\":{\"status\":\"x\"}}", "address.status:unknown_field"},
    {FS_CREATE, "{" B "\"contacts\":[{\"name\":\"A\",\"version\":1}]}",
     "contacts[0].version:unknown_field"},
    /* nested objects and their paths */
    {FS_CREATE, "{" B "\"identifiers\":{\"nip\":\"5260250274\",\"regon\":\"123456785\"}}", ""},
    {FS_CREATE, "{" B "\"identifiers\":{}}", ""},
    {FS_CREATE, "{" B "\"identifiers\":{\"nip\":\"5260250275\"}}", "identifiers.nip:checksum"},
    {FS_CREATE, "{" B "\"identifiers\":{\"nip\":\"526-025-02-74\"}}", "identifiers.nip:format"},
    {FS_CREATE, "{" B "\"identifiers\":{\"regon\":\"123456786\"}}", "identifiers.regon:checksum"},
    {FS_CREATE, "{" B "\"identifiers\":{\"nip\":5260250274}}", "identifiers.nip:type"},
    {FS_CREATE, "{" B "\"identifiers\":\"5260250274\"}", "identifiers:type"},
    {FS_CREATE, "{" B "\"identifiers\":[]}", "identifiers:type"},
    {FS_CREATE, "{" B "\"address\":{\"city\":\"Łódź\",\"postal_code\":\"90-001\"}}", ""},
    {FS_CREATE, "{" B "\"address\":{}}", "address.city:required"},
    {FS_PATCH, "{\"address\":{}}", ""},
    {FS_PATCH, "{\"address\":{\"city\":null}}", "address.city:required"},
    {FS_CREATE, "{" B "\"address\":{\"city\":\"Białystok\"}}", "address.city:max_length"},
    {FS_CREATE, "{" B "\"address\":{\"city\":\"Ełk\",\"postal_code\":\"90001\"}}",
     "address.postal_code:format"},
    {FS_CREATE, "{" B "\"address\":{\"city\":\"Ełk\",\"zip\":\"x\"}}", "address.zip:unknown_field"},
    /* arrays of objects and of enums */
    {FS_CREATE, "{" B "\"contacts\":[]}", ""},
    {FS_CREATE, "{" B "\"contacts\":[{\"name\":\"A\"},{\"name\":\"B\",\"email\":\"b@c.pl\"}]}", ""},
    {FS_CREATE, "{" B "\"contacts\":[{\"name\":\"A\"},{\"name\":\"B\",\"email\":\"bad\"}]}",
     "contacts[1].email:format"},
    {FS_CREATE, "{" B "\"contacts\":[{\"email\":\"a@b.pl\"}]}", "contacts[0].name:required"},
    {FS_PATCH, "{\"contacts\":[{\"email\":\"a@b.pl\"}]}", "contacts[0].name:required"},
    {FS_PATCH, "{\"contacts\":[{\"name\":null}]}", "contacts[0].name:type"},
    {FS_CREATE,
     "{" B "\"contacts\":[{\"name\":\"A\"},{\"name\":\"\"},{\"name\":\"C\",\"email\":\"x\"}]}",
     "contacts[1].name:min_length contacts[2].email:format"},
    {FS_CREATE,
     "{" B "\"contacts\":[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"C\"},{\"name\":\"D\"}]}",
     "contacts:max"},
    {FS_CREATE, "{" B "\"contacts\":{\"name\":\"A\"}}", "contacts:type"},
    {FS_CREATE, "{" B "\"contacts\":[1]}", "contacts[0]:type"},
    {FS_CREATE, "{" B "\"contacts\":[null]}", "contacts[0]:type"},
    {FS_CREATE, "{" B "\"kinds\":[\"ngo\"]}", ""},
    {FS_CREATE, "{" B "\"kinds\":[\"ngo\",\"company\"]}", ""},
    {FS_CREATE, "{" B "\"kinds\":[]}", "kinds:min"},
    {FS_CREATE, "{" B "\"kinds\":[\"ngo\",\"bad\"]}", "kinds[1]:enum"},
    {FS_CREATE, "{" B "\"kinds\":[\"ngo\",\"ngo\",\"ngo\"]}", "kinds:max"},
    {FS_CREATE, "{" B "\"kinds\":\"ngo\"}", "kinds:type"},
    /* several problems at once are all reported */
    {FS_CREATE, "{\"name\":\"abcdef\",\"size\":0,\"foo\":1,\"id\":\"x\"}",
     "name:max_length size:min foo:unknown_field id:read_only kind:required"},
    {FS_PATCH,
     "{\"name\":null,\"identifiers\":{\"nip\":\"1\",\"regon\":\"123456785\"},"
     "\"contacts\":[{\"name\":\"A\",\"email\":\"@\"}],\"seen_at\":\"now\"}",
     "name:required identifiers.nip:format contacts[0].email:format seen_at:format"},
};

START_TEST(validate_table)
{
    const struct vrow *r = &vrows[_i];
    json_error_t jerr;
    json_t *obj = json_loads(r->json, 0, &jerr);
    ck_assert_msg(obj, "row %d: bad test JSON %s: %s", _i, r->json, jerr.text);
    json_t *errors = json_array();
    bool ok = fs_validate(top_spec, obj, r->mode, "", errors);
    char got[2048], want[2048];
    error_set(errors, "body", got, sizeof got);
    sort_words(r->want, want, sizeof want);
    ck_assert_msg(strcmp(got, want) == 0, "row %d (%s) %s:\n  got  [%s]\n  want [%s]", _i,
                  r->mode == FS_CREATE ? "create" : "patch", r->json, got, want);
    ck_assert_msg(ok == (*r->want == 0), "row %d: returned %d", _i, ok);
    json_decref(errors);
    json_decref(obj);
}
END_TEST

START_TEST(validate_messages)
{
    json_t *obj = json_loads("{\"name\":\"abcdef\",\"kind\":\"x\",\"size\":0,\"score\":9,"
                             "\"foo\":1,\"id\":\"x\",\"kinds\":[\"ngo\",\"ngo\",\"ngo\"]}",
                             0, NULL);
    ck_assert_ptr_nonnull(obj);
    json_t *errors = json_array();
    ck_assert(!fs_validate(top_spec, obj, FS_CREATE, "", errors));
    ck_assert_str_eq(error_message(errors, "name"), "must be at most 4 characters");
    ck_assert_str_eq(error_message(errors, "kind"), "must be one of: ngo, company, public");
    ck_assert_str_eq(error_message(errors, "size"), "must be at least 1");
    ck_assert_str_eq(error_message(errors, "score"), "must be at most 5");
    ck_assert_str_eq(error_message(errors, "foo"), "is not a known field");
    ck_assert_str_eq(error_message(errors, "id"), "is read-only");
    ck_assert_str_eq(error_message(errors, "kinds"), "must have at most 2 items");
    json_decref(errors);
    json_decref(obj);

    obj = json_loads("{\"identifiers\":{\"nip\":\"5260250275\"}}", 0, NULL);
    errors = json_array();
    ck_assert(!fs_validate(top_spec, obj, FS_PATCH, "", errors));
    /* the custom check's message is passed through */
    ck_assert_str_eq(error_message(errors, "identifiers.nip"), "has a wrong check digit");
    json_decref(errors);
    json_decref(obj);
}
END_TEST

START_TEST(validate_prefix_and_return)
{
    /* with a prefix, paths are dotted under it and the common read-only names
     * are ordinary unknown fields (they are read-only only at the top) */
    json_t *obj = json_loads("{\"id\":\"x\",\"name\":\"A\"}", 0, NULL);
    json_t *errors = json_array();
    ck_assert(!fs_validate(top_spec, obj, FS_CREATE, "data", errors));
    char got[1024];
    error_set(errors, "body", got, sizeof got);
    ck_assert_str_eq(got, "data.id:unknown_field data.kind:required data.name:min_length");
    json_decref(errors);
    json_decref(obj);

    /* the return value reflects only errors added by this call */
    errors = json_array();
    json_array_append_new(errors, json_pack("{s:s,s:s,s:s,s:s}", "field", "x", "code", "c",
                                            "message", "m", "in", "body"));
    obj = json_loads("{\"name\":\"Ab\",\"kind\":\"ngo\"}", 0, NULL);
    ck_assert(fs_validate(top_spec, obj, FS_CREATE, "", errors));
    ck_assert_int_eq(json_array_size(errors), 1);
    json_decref(obj);
    json_decref(errors);
}
END_TEST

START_TEST(validate_value_query_in)
{
    json_t *errors = json_array();
    json_t *v = json_string("2026-02-29");
    const struct fs_field f = {.name = "since", .type = FS_DATE};
    ck_assert(!fs_validate_value(&f, v, FS_CREATE, "since", "query", errors));
    char got[256];
    error_set(errors, "query", got, sizeof got);
    ck_assert_str_eq(got, "since:format");
    json_decref(v);
    json_decref(errors);
}
END_TEST

/* ---- helpers: formats ------------------------------------------------------ */

START_TEST(format_helpers)
{
    ck_assert(fs_is_date("2024-02-29"));
    ck_assert(fs_is_date("2000-02-29"));
    ck_assert(!fs_is_date("2026-02-29"));
    ck_assert(!fs_is_date("1900-02-29"));
    ck_assert(!fs_is_date("2024-02-30"));
    ck_assert(fs_is_date("2026-06-30"));
    ck_assert(!fs_is_date("2026-06-31"));
    ck_assert(!fs_is_date("2026-06-3"));
    ck_assert(!fs_is_date("+026-06-30"));
    ck_assert(!fs_is_date("2026-06-30 "));
    ck_assert(fs_is_datetime("2026-06-30T23:59:60Z")); /* leap second */
    ck_assert(!fs_is_datetime("2026-06-30T23:59:59"));
    ck_assert(!fs_is_datetime(""));
    ck_assert(fs_is_uuid(U));
    ck_assert(!fs_is_uuid(""));
    ck_assert(fs_is_email("a@b.c"));
    ck_assert(!fs_is_email("a@b.c\n"));
    ck_assert(fs_is_url("https://a"));
    ck_assert(!fs_is_url("https://a\"b"));
    ck_assert(!fs_is_url("javascript:alert(1)"));
}
END_TEST

/* ---- fs_utf8_len ------------------------------------------------------------ */

struct urow {
    const char *s;
    long want;
};

static const struct urow urows[] = {
    {"", 0},
    {"abc", 3},
    {"Żółć", 4},
    {"zażółć gęślą jaźń", 17},
    {"€", 1},
    {"😀", 1},
    {"a😀b€c", 5},
    {"\x7f", 1},
    {"\xc2\x80", 1},         /* U+0080, smallest 2-byte */
    {"\xef\xbf\xbf", 1},     /* U+FFFF */
    {"\xf4\x8f\xbf\xbf", 1}, /* U+10FFFF, the largest code point */
    {"\xff", -1},
    {"\xfe", -1},
    {"\x80", -1},  /* lone continuation byte */
    {"a\xbf", -1}, /* continuation after ASCII */
    {"\xc3", -1},  /* truncated 2-byte at the end */
    {"\xc3"
     "a",
     -1},             /* 2-byte with a bad continuation */
    {"\xe2\x82", -1}, /* truncated 3-byte */
    {"\xe2\x82"
     "a",
     -1},
    {"\xf0\x9f\x98", -1},         /* truncated 4-byte */
    {"\xf8\x88\x80\x80\x80", -1}, /* 5-byte form */
    {"Zażółć\xc5", -1},
};

START_TEST(utf8_len_table)
{
    const struct urow *r = &urows[_i];
    ck_assert_msg(fs_utf8_len(r->s) == r->want, "row %d: fs_utf8_len = %ld, want %ld", _i,
                  fs_utf8_len(r->s), r->want);
}
END_TEST

/* RFC 3629: overlong forms, UTF-16 surrogates and code points above U+10FFFF
 * are not valid UTF-8. spec.h promises -1 "when not valid UTF-8". */
static const struct urow urows_strict[] = {
    {"\xc0\x80", -1},         /* overlong NUL */
    {"\xc1\xbf", -1},         /* overlong U+007F */
    {"\xc0\xaf", -1},         /* overlong '/' */
    {"\xe0\x80\xaf", -1},     /* overlong '/' in 3 bytes */
    {"\xe0\x9f\xbf", -1},     /* overlong U+07FF */
    {"\xf0\x8f\xbf\xbf", -1}, /* overlong U+FFFF */
    {"\xed\xa0\x80", -1},     /* U+D800, a surrogate */
    {"\xed\xbf\xbf", -1},     /* U+DFFF, a surrogate */
    {"\xf4\x90\x80\x80", -1}, /* U+110000 */
    {"\xf5\x80\x80\x80", -1}, /* lead byte F5 */
    {"\xf7\xbf\xbf\xbf", -1}, /* lead byte F7 */
};

START_TEST(utf8_len_strict)
{
    const struct urow *r = &urows_strict[_i];
    const unsigned char *p = (const unsigned char *)r->s;
    ck_assert_msg(fs_utf8_len(r->s) == r->want,
                  "row %d (%02x %02x ...): fs_utf8_len = %ld, want -1 (invalid UTF-8 accepted)", _i,
                  p[0], p[1], fs_utf8_len(r->s));
}
END_TEST

/* ---- fs_parse_query ----------------------------------------------------------- */

static const char *const sorts[] = {"name", "-name", "created_at", NULL};
static const char *const statuses[] = {"draft", "active", "suspended", "archived", NULL};
static const struct fs_field status_item = {.type = FS_ENUM, .values = statuses};

static const struct fs_field query_spec[] = {
    {.name = "limit", .type = FS_INT, .min = 1, .max = 100},
    {.name = "offset", .type = FS_INT},
    {.name = "is_leader", .type = FS_BOOL},
    {.name = "since", .type = FS_DATE},
    {.name = "updated_since", .type = FS_DATETIME},
    {.name = "owner_id", .type = FS_UUID},
    {.name = "sort", .type = FS_ENUM, .values = sorts},
    {.name = "q", .type = FS_STRING, .min = 1, .max = 5},
    {.name = "status", .type = FS_ARRAY, .max = 3, .item = &status_item},
    {.name = NULL},
};

/* Fills req from "k=v&k2=v2" ("k" alone gives a NULL value). Strings are
 * kept in buf. */
static void fill_query(struct kreq *req, char *buf, size_t buflen, const char *qs)
{
    memset(req, 0, sizeof *req);
    snprintf(buf, buflen, "%s", qs);
    if (!*buf)
        return;
    char *save = NULL;
    for (char *t = strtok_r(buf, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
        ck_assert_int_lt(req->nquery, KOOP_MAX_QUERY);
        char *eq = strchr(t, '=');
        if (eq)
            *eq = 0;
        req->query[req->nquery].key = t;
        req->query[req->nquery].value = eq ? eq + 1 : NULL;
        req->nquery++;
    }
}

struct qrow {
    const char *qs;
    const char *out;  /* expected typed object, as JSON */
    const char *want; /* expected errors field:code */
};

static const struct qrow qrows[] = {
    {"", "{}", ""},
    {"limit=10", "{\"limit\":10}", ""},
    {"limit=1", "{\"limit\":1}", ""},
    {"limit=100", "{\"limit\":100}", ""},
    {"offset=-7", "{\"offset\":-7}", ""},
    {"offset=9223372036854775807", "{\"offset\":9223372036854775807}", ""},
    {"limit=0", "{}", "limit:min"},
    {"limit=-1", "{}", "limit:min"},
    {"limit=101", "{}", "limit:max"},
    {"limit=abc", "{}", "limit:type"},
    {"limit=", "{}", "limit:type"},
    {"limit", "{}", "limit:type"},
    {"limit=+5", "{}", "limit:type"},
    {"limit= 5", "{}", "limit:type"},
    {"limit=5x", "{}", "limit:type"},
    {"limit=5.0", "{}", "limit:type"},
    {"limit=-", "{}", "limit:type"},
    {"limit=0x10", "{}", "limit:type"},
    {"offset=99999999999999999999", "{}", "offset:type"},
    {"is_leader=true", "{\"is_leader\":true}", ""},
    {"is_leader=false", "{\"is_leader\":false}", ""},
    {"is_leader=1", "{}", "is_leader:type"},
    {"is_leader=TRUE", "{}", "is_leader:type"},
    {"is_leader=", "{}", "is_leader:type"},
    {"since=2024-02-29", "{\"since\":\"2024-02-29\"}", ""},
    {"since=2026-02-29", "{}", "since:format"},
    {"since=2026-2-1", "{}", "since:format"},
    {"updated_since=2026-01-01T10:00:00+01:00", "{\"updated_since\":\"2026-01-01T10:00:00+01:00\"}",
     ""},
    {"updated_since=2026-01-01T10:00:00.25Z", "{\"updated_since\":\"2026-01-01T10:00:00.25Z\"}",
     ""},
    {"updated_since=2026-01-01", "{}", "updated_since:format"},
    {"updated_since=2026-01-01T10:00:00 01:00", "{}", "updated_since:format"},
    {"owner_id=" U, "{\"owner_id\":\"" U "\"}", ""},
    {"owner_id=xyz", "{}", "owner_id:format"},
    {"sort=-name", "{\"sort\":\"-name\"}", ""},
    {"sort=bogus", "{}", "sort:enum"},
    {"q=Żółć", "{\"q\":\"Żółć\"}", ""},
    {"q=Żółćxy", "{}", "q:max_length"},
    {"q=", "{}", "q:min_length"},
    {"q=\xff", "{}", "q:format"},
    {"status=active", "{\"status\":[\"active\"]}", ""},
    {"status=active,draft", "{\"status\":[\"active\",\"draft\"]}", ""},
    {"status=active,draft,archived", "{\"status\":[\"active\",\"draft\",\"archived\"]}", ""},
    {"status=active,draft,archived,suspended", "{}", "status:max"},
    {"status=active,bogus", "{}", "status:enum"},
    {"status=bogus", "{}", "status:enum"},
    {"status=", "{}", "status:required"},
    {"status=,,", "{}", "status:required"},
    {"status", "{}", "status:required"},
    {"bogus=1", "{}", "bogus:unknown_field"},
    {"Limit=1", "{}", "Limit:unknown_field"},
    {"\xff=1", "{}", "?:unknown_field"},
    {"limit=5&limit=6", "{\"limit\":5}", "limit:invalid"},
    {"status=active&status=draft", "{\"status\":[\"active\"]}", "status:invalid"},
    {"limit=5&bogus=x&is_leader=maybe&q=ab", "{\"limit\":5,\"q\":\"ab\"}",
     "bogus:unknown_field is_leader:type"},
    {"limit=20&is_leader=true&since=2026-01-31&sort=name&status=draft,active&q=x",
     "{\"limit\":20,\"is_leader\":true,\"since\":\"2026-01-31\",\"sort\":\"name\","
     "\"status\":[\"draft\",\"active\"],\"q\":\"x\"}",
     ""},
};

START_TEST(query_table)
{
    const struct qrow *r = &qrows[_i];
    struct kreq req;
    char buf[512];
    fill_query(&req, buf, sizeof buf, r->qs);
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    ck_assert_ptr_nonnull(out);
    json_t *want_out = json_loads(r->out, 0, NULL);
    ck_assert_ptr_nonnull(want_out);
    char *got_out = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_msg(json_equal(out, want_out), "row %d ?%s: output %s, want %s", _i, r->qs, got_out,
                  r->out);
    free(got_out);
    char got[1024], want[1024];
    error_set(errors, "query", got, sizeof got);
    sort_words(r->want, want, sizeof want);
    ck_assert_msg(strcmp(got, want) == 0, "row %d ?%s:\n  got  [%s]\n  want [%s]", _i, r->qs, got,
                  want);
    json_decref(want_out);
    json_decref(out);
    json_decref(errors);
}
END_TEST

START_TEST(query_types)
{
    struct kreq req;
    char buf[256];
    fill_query(&req, buf, sizeof buf, "limit=42&is_leader=false&since=2024-02-29");
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    ck_assert_int_eq(json_array_size(errors), 0);
    ck_assert(json_is_integer(json_object_get(out, "limit")));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "limit")), 42);
    ck_assert(json_is_false(json_object_get(out, "is_leader")));
    ck_assert(json_is_string(json_object_get(out, "since")));
    json_decref(out);
    json_decref(errors);
}
END_TEST

START_TEST(query_overflow)
{
    struct kreq req;
    char buf[128];
    fill_query(&req, buf, sizeof buf, "limit=5");
    req.query_overflow = true;
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    char got[256];
    error_set(errors, "query", got, sizeof got);
    ck_assert_str_eq(got, "query:max");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "limit")), 5);
    json_decref(out);
    json_decref(errors);
}
END_TEST

START_TEST(query_long_unknown_key)
{
    char key[200];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    struct kreq req = {0};
    req.query[0].key = key;
    req.query[0].value = "1";
    req.nquery = 1;
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    ck_assert_int_eq(json_array_size(errors), 1);
    const char *field = json_string_value(json_object_get(json_array_get(errors, 0), "field"));
    ck_assert_ptr_nonnull(field);
    ck_assert_uint_lt(strlen(field), 64); /* truncated, not echoed whole */
    ck_assert_uint_gt(strlen(field), 0);
    ck_assert_int_eq(json_object_size(out), 0);
    json_decref(out);
    json_decref(errors);
}
END_TEST

/* A key cut in the middle of a multi-byte character at the 63-byte limit
 * must still produce a valid error item. */
START_TEST(query_unknown_key_cut_utf8)
{
    char key[128] = "";
    for (int i = 0; i < 40; i++)
        strcat(key, "ż"); /* 2 bytes each: byte 63 splits one */
    struct kreq req = {0};
    req.query[0].key = key;
    req.query[0].value = "1";
    req.nquery = 1;
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    ck_assert_int_eq(json_array_size(errors), 1);
    json_decref(out);
    json_decref(errors);
}
END_TEST

/* Query keys arrive percent-decoded, so any bytes are possible. An unknown
 * key that is not valid UTF-8 must still be reported (as "?"), never dropped:
 * keys that fs_utf8_len accepts but jansson refuses (overlong, surrogate)
 * make koop_error_add's json_pack fail and the error item disappear. */
static const char *const bad_keys[] = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf5\x80\x80\x80",
                                       "x\xc3"};

START_TEST(query_unknown_key_invalid_utf8)
{
    struct kreq req = {0};
    req.query[0].key = bad_keys[_i];
    req.query[0].value = "1";
    req.nquery = 1;
    json_t *errors = json_array();
    json_t *out = fs_parse_query(query_spec, &req, errors);
    ck_assert_msg(json_array_size(errors) == 1,
                  "key %d (first byte %02x): unknown parameter not reported (%zu errors)", _i,
                  (unsigned char)bad_keys[_i][0], json_array_size(errors));
    char got[256];
    error_set(errors, "query", got, sizeof got);
    ck_assert_str_eq(got, "?:unknown_field");
    json_decref(out);
    json_decref(errors);
}
END_TEST

/* A body key longer than the error path's buffer, cut in the middle of a
 * multi-byte character, must still be reported (fuzz/corpus/spec/long-key-cut-utf8):
 * the cut path was refused by jansson and the unknown field passed. */
START_TEST(validate_unknown_key_cut_utf8)
{
    for (int nested = 0; nested < 2; nested++) {
        /* "ą" takes bytes 255-256 of the path ("data." + 249 or 254 letters + "ą"): the
         * 256-byte path buffer keeps 255 and splits it */
        char key[300];
        size_t n = nested ? 249 : 254;
        memset(key, 'a', n);
        snprintf(key + n, sizeof key - n, "ą");
        json_t *obj = json_pack("{s:i, s:s, s:s}", key, 1, "name", "Ab", "kind", "ngo");
        json_t *errors = json_array();
        ck_assert(!fs_validate(top_spec, obj, FS_CREATE, nested ? "data" : "", errors));
        ck_assert_int_eq(json_array_size(errors), 1);
        const char *field = json_string_value(json_object_get(json_array_get(errors, 0), "field"));
        ck_assert_ptr_nonnull(field);
        ck_assert_int_ge(fs_utf8_len(field), 0);
        ck_assert(strncmp(field, nested ? "data.aaa" : "aaa", nested ? 8 : 3) == 0);
        json_decref(errors);
        json_decref(obj);
    }
}
END_TEST

Suite *suite_spec(void)
{
    Suite *s = suite_create("spec");
    TCase *tc = tcase_create("validate");
    tcase_add_loop_test(tc, validate_table, 0, (int)(sizeof vrows / sizeof vrows[0]));
    tcase_add_test(tc, validate_messages);
    tcase_add_test(tc, validate_prefix_and_return);
    tcase_add_test(tc, validate_unknown_key_cut_utf8);
    tcase_add_test(tc, validate_value_query_in);
    tcase_add_test(tc, format_helpers);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_add_loop_test(tc, utf8_len_table, 0, (int)(sizeof urows / sizeof urows[0]));
    tcase_add_loop_test(tc, utf8_len_strict, 0,
                        (int)(sizeof urows_strict / sizeof urows_strict[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("query");
    tcase_add_loop_test(tc, query_table, 0, (int)(sizeof qrows / sizeof qrows[0]));
    tcase_add_test(tc, query_types);
    tcase_add_test(tc, query_overflow);
    tcase_add_test(tc, query_long_unknown_key);
    tcase_add_test(tc, query_unknown_key_cut_utf8);
    tcase_add_loop_test(tc, query_unknown_key_invalid_utf8, 0,
                        (int)(sizeof bad_keys / sizeof bad_keys[0]));
    suite_add_tcase(s, tc);
    return s;
}
