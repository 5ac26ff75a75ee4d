/* /v1/services — the local basket of services (lokalny koszyk usług), SPEC §5:
 *   GET    /v1/services                      list: q (Polish, with or without diacritics),
 *                                            category, target_group, partner_id, sector,
 *                                            status, has_capacity, requires_referral,
 *                                            updated_since; sort by relevance when q is given
 *   POST   /v1/services                      create (Idempotency-Key); partner staff: own partner
 *   GET    /v1/services/{service_id}
 *   PATCH  /v1/services/{service_id}         merge patch (If-Match)
 *   DELETE /v1/services/{service_id}         (If-Match)
 *   POST   /v1/services/{service_id}/transitions   draft → active ⇄ suspended; any → retired
 *   PATCH  /v1/services/{service_id}/capacity      free places, no If-Match
 *   GET    /v1/services/export/hsds          the active basket as Open Referral HSDS 3.0
 *   POST   /v1/services/import               text/csv, all-or-nothing, per-row errors
 * SQL: sql/functions/services.sql and sql/functions/services_exchange.sql. */
#include "api.h"
#include "vocab.h"
#include "identifiers.h"

#include "../server/csv.h"
#include "../server/db.h"
#include "../server/problem.h"
#include "../server/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *check_hhmm(const char *s, const char **msg)
{
    if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]) ||
        atoi(s) > 24 || atoi(s + 3) > 59 || (atoi(s) == 24 && atoi(s + 3) != 0)) {
        *msg = "must be a time HH:MM (00:00..24:00)";
        return "format";
    }
    return NULL;
}

static const struct fs_field group_item = {.type = FS_ENUM, .values = koop_target_groups};
static const struct fs_field day_item = {.type = FS_ENUM, .values = koop_weekdays};

static const struct fs_field cost_fields[] = {
    {.name = "free", .type = FS_BOOL, .flags = FS_REQUIRED},
    {.name = "description", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 1000},
    {.name = NULL}};

static const struct fs_field capacity_fields[] = {
    {.name = "available", .type = FS_INT, .flags = FS_NULLABLE, .min = 0, .max = 1000000},
    {.name = "maximum", .type = FS_INT, .flags = FS_NULLABLE, .min = 0, .max = 1000000},
    {.name = "unit", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 60},
    {.name = "updated_at", .type = FS_DATETIME, .flags = FS_READONLY},
    {.name = "updated_by", .type = FS_UUID, .flags = FS_READONLY},
    {.name = NULL}};

static const struct fs_field hours_fields[] = {
    {.name = "days", .type = FS_ARRAY, .flags = FS_REQUIRED, .min = 1, .max = 7, .item = &day_item},
    {.name = "opens", .type = FS_STRING, .flags = FS_REQUIRED, .check = check_hhmm},
    {.name = "closes", .type = FS_STRING, .flags = FS_REQUIRED, .check = check_hhmm},
    {.name = "note", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = NULL}};
static const struct fs_field hours_item = {.type = FS_OBJECT, .sub = hours_fields};

static const struct fs_field location_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "address", .type = FS_OBJECT, .flags = FS_REQUIRED, .sub = koop_address_fields},
    {.name = "opening_hours", .type = FS_ARRAY, .max = 14, .item = &hours_item},
    {.name = NULL}};
static const struct fs_field location_item = {.type = FS_OBJECT, .sub = location_fields};

static const struct fs_field contact_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "email", .type = FS_EMAIL, .flags = FS_NULLABLE},
    {.name = "phone", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 30},
    {.name = "website", .type = FS_URL, .flags = FS_NULLABLE, .max = 500},
    {.name = NULL}};

static const struct fs_field service_fields[] = {
    {.name = "partner_id", .type = FS_UUID, .flags = FS_REQUIRED},
    {.name = "partner", .type = FS_OBJECT, .flags = FS_READONLY},
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 300},
    {.name = "description", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 8000},
    {.name = "category", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_service_categories},
    {.name = "target_groups", .type = FS_ARRAY, .max = 11, .item = &group_item},
    {.name = "eligibility", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 4000},
    {.name = "how_to_access", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 4000},
    {.name = "requires_referral", .type = FS_BOOL},
    {.name = "cost", .type = FS_OBJECT, .sub = cost_fields},
    {.name = "capacity", .type = FS_OBJECT, .sub = capacity_fields},
    {.name = "locations", .type = FS_ARRAY, .max = 20, .item = &location_item},
    {.name = "contact", .type = FS_OBJECT, .flags = FS_NULLABLE, .sub = contact_fields},
    {.name = "valid_from", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "valid_until", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "verified_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = NULL}};

/* The list is koop.service_list (sql/functions/services.sql), not the generic
 * one: q adds one predicate per word (up to 8) so that each can use the
 * trigram index on services.search, and sort=relevance needs q. */
static const struct koop_filter service_filters[] = {
    {{.name = "q", .type = FS_STRING, .min = 1, .max = 200}},
    {{.name = "category", .type = FS_ENUM, .values = koop_service_categories}},
    {{.name = "target_group", .type = FS_ENUM, .values = koop_target_groups}},
    {{.name = "partner_id", .type = FS_UUID}},
    {{.name = "sector", .type = FS_ENUM, .values = koop_sectors}},
    {{.name = "status", .type = FS_ENUM, .values = koop_service_statuses}},
    {{.name = "has_capacity", .type = FS_BOOL}},
    {{.name = "requires_referral", .type = FS_BOOL}},
    {{.name = "updated_since", .type = FS_DATETIME}},
    {{.name = NULL}}};

static const struct koop_sort service_sorts[] = {KOOP_SORT("created_at", NULL, NULL),
                                                 KOOP_SORT("name", NULL, NULL),
                                                 KOOP_SORT("updated_at", NULL, NULL),
                                                 KOOP_SORT_ASC("relevance", NULL, NULL),
                                                 {0}};

/* SQL (sql/functions/services.sql): koop.service_create, koop.service_get, koop.service_list,
 * koop.service_patch, koop.service_delete, koop.service_transition */
const struct koop_resource service_resource = {
    .name = "service",
    .fields = service_fields,
    .filters = service_filters,
    .sorts = service_sorts,
    .q_sort = "relevance",
    .states = koop_service_statuses,
    .ops = OPS_CRUD | OP_BIT(OP_TRANSITION),
};

/* ---- capacity ---- */

static const struct fs_field capacity_body[] = {
    {.name = "available", .type = FS_INT, .flags = FS_REQUIRED, .min = 0, .max = 1000000},
    {.name = "maximum", .type = FS_INT, .flags = FS_NULLABLE, .min = 0, .max = 1000000},
    {.name = "unit", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 60},
    {.name = NULL}};

int services_capacity(struct kreq *req, struct kres *res)
{
    if (!req->json)
        return koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
    json_t *errors = json_array();
    if (!fs_validate(capacity_body, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    char *body = json_dumps(req->json, JSON_COMPACT);
    const char *v[] = {koop_param(req, "service_id"), body};
    koop_res_one(req, res, "koop_service_capacity", 2, v, 200);
    free(body);
    return 0;
}

/* ---- HSDS export ---- */

int services_hsds(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    return koop_res_one(req, res, "koop_services_hsds", 0, NULL, 200);
}

/* ---- CSV import ---- */

/* One CSV column: where its value goes in the service document and how it
 * is converted. */
enum col_kind { C_TEXT, C_INT, C_BOOL, C_DATE, C_LIST };
struct column {
    const char *name;
    const char *path; /* dotted JSON path in the service document */
    enum col_kind kind;
};

static const struct column columns[] = {
    {"partner_id", "partner_id", C_TEXT},
    {"partner", "partner_name", C_TEXT}, /* a partner's name or short name, resolved in SQL */
    {"name", "name", C_TEXT},
    {"description", "description", C_TEXT},
    {"category", "category", C_TEXT},
    {"target_groups", "target_groups", C_LIST},
    {"eligibility", "eligibility", C_TEXT},
    {"how_to_access", "how_to_access", C_TEXT},
    {"requires_referral", "requires_referral", C_BOOL},
    {"cost_free", "cost.free", C_BOOL},
    {"cost_description", "cost.description", C_TEXT},
    {"capacity_available", "capacity.available", C_INT},
    {"capacity_maximum", "capacity.maximum", C_INT},
    {"capacity_unit", "capacity.unit", C_TEXT},
    {"location_name", "locations.name", C_TEXT},
    {"street", "locations.address.street", C_TEXT},
    {"building", "locations.address.building", C_TEXT},
    {"postal_code", "locations.address.postal_code", C_TEXT},
    {"city", "locations.address.city", C_TEXT},
    {"contact_name", "contact.name", C_TEXT},
    {"contact_email", "contact.email", C_TEXT},
    {"contact_phone", "contact.phone", C_TEXT},
    {"website", "contact.website", C_TEXT},
    {"valid_from", "valid_from", C_DATE},
    {"valid_until", "valid_until", C_DATE},
    {"verified_on", "verified_on", C_DATE},
    {"status", "status", C_TEXT},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])
#define MAX_IMPORT_ROWS 5000

static const struct column *find_column(const char *name)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (strcasecmp(columns[i].name, name) == 0)
            return &columns[i];
    return NULL;
}

/* The CSV column a document path came from (for error messages). */
static const char *column_of(const char *path)
{
    char norm[256];
    size_t o = 0;
    for (const char *p = path; *p && o + 1 < sizeof norm; p++) {
        if (*p == '[') { /* drop [n] indexes */
            while (*p && *p != ']')
                p++;
            if (!*p)
                break;
            continue;
        }
        norm[o++] = *p;
    }
    norm[o] = 0;
    for (size_t i = 0; i < NCOLUMNS; i++)
        if (strcmp(columns[i].path, norm) == 0)
            return columns[i].name;
    if (strcmp(norm, "locations.address") == 0)
        return "city";
    return path;
}

static void set_path(json_t *doc, const char *path, json_t *v)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = doc;
    char *save = NULL, *tok = strtok_r(buf, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next) {
            json_object_set_new(cur, tok, v);
            return;
        }
        json_t *child = json_object_get(cur, tok);
        if (strcmp(tok, "locations") == 0) { /* one location per row */
            if (!child) {
                child = json_array();
                json_array_append_new(child, json_object());
                json_object_set_new(cur, tok, child);
            }
            child = json_array_get(child, 0);
        } else if (!child) {
            child = json_object();
            json_object_set_new(cur, tok, child);
        }
        cur = child;
        tok = next;
    }
    json_decref(v);
}

static void row_error(json_t *errors, size_t row, const char *column, const char *code,
                      const char *msg)
{
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s, s:i}", "field", column, "code",
                                            code, "message", msg, "in", "body", "row", (int)row));
}

/* Converts one cell; returns NULL (and adds an error) when it cannot. */
static json_t *convert(const struct column *c, const char *s, size_t row, json_t *errors)
{
    switch (c->kind) {
    case C_INT: {
        char *end;
        long v = strtol(s, &end, 10);
        if (*end || end == s) {
            row_error(errors, row, c->name, "type", "must be a whole number");
            return NULL;
        }
        return json_integer(v);
    }
    case C_BOOL: {
        static const char *yes[] = {"tak", "true", "1", "yes", "t", "y"};
        static const char *no[] = {"nie", "false", "0", "no", "f", "n"};
        for (size_t i = 0; i < 6; i++) {
            if (strcasecmp(s, yes[i]) == 0)
                return json_true();
            if (strcasecmp(s, no[i]) == 0)
                return json_false();
        }
        row_error(errors, row, c->name, "type", "must be tak/nie (or true/false, 1/0)");
        return NULL;
    }
    case C_DATE: {
        /* spreadsheets in Poland write DD.MM.YYYY */
        if (strlen(s) == 10 && s[2] == '.' && s[5] == '.') {
            char iso[11];
            snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s + 6, s + 3, s);
            return json_string(iso);
        }
        return json_string(s);
    }
    case C_LIST: {
        json_t *a = json_array();
        char *copy = strdup(s), *save = NULL;
        for (char *t = strtok_r(copy, "|,;", &save); t; t = strtok_r(NULL, "|,;", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                t[--n] = 0;
            if (*t)
                json_array_append_new(a, json_string(t));
        }
        free(copy);
        return a;
    }
    case C_TEXT:
        break;
    }
    return json_string(s);
}

/* Builds the service documents from the parsed CSV, one per data row, each
 * with "_row" (its number as a spreadsheet shows it) and "_invalid" when a
 * cell could not be read; errors name row and column. */
static json_t *rows_to_docs(json_t *rows, json_t *numbers, json_t *errors)
{
    json_t *header = json_array_get(rows, 0);
    size_t ncols = json_array_size(header);
    const struct column *map[64] = {0};
    if (ncols > 64) {
        row_error(errors, 1, "header", "max", "more than 64 columns");
        return NULL;
    }
    bool has_partner = false;
    for (size_t i = 0; i < ncols; i++) {
        const char *name = json_string_value(json_array_get(header, i));
        map[i] = find_column(name);
        if (!map[i]) {
            char safe[64];
            snprintf(safe, sizeof safe, "%s", name);
            row_error(errors, 1, fs_utf8_len(safe) < 0 ? "header" : safe, "unknown_field",
                      "is not a known column (see README: CSV import)");
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (map[j] == map[i])
                row_error(errors, 1, map[i]->name, "invalid", "appears twice in the header");
        if (!strcmp(map[i]->name, "partner_id") || !strcmp(map[i]->name, "partner"))
            has_partner = true;
    }
    if (!has_partner)
        row_error(errors, 1, "partner", "required", "a partner or partner_id column is required");
    if (json_array_size(errors))
        return NULL;
    json_t *docs = json_array();
    for (size_t r = 1; r < json_array_size(rows); r++) {
        json_t *cells = json_array_get(rows, r);
        size_t rownum = (size_t)json_integer_value(json_array_get(numbers, r));
        json_t *doc = json_object();
        json_object_set_new(doc, "_row", json_integer((json_int_t)rownum));
        json_array_append_new(docs, doc);
        if (json_array_size(cells) != ncols) {
            char msg[96];
            snprintf(msg, sizeof msg, "has %zu fields, the header has %zu", json_array_size(cells),
                     ncols);
            row_error(errors, rownum, "row", "invalid", msg);
            json_object_set_new(doc, "_invalid", json_true());
            json_object_set_new(doc, "_short", json_true());
            continue;
        }
        size_t before = json_array_size(errors);
        for (size_t i = 0; i < ncols; i++) {
            const char *s = json_string_value(json_array_get(cells, i));
            if (!*s)
                continue; /* an empty cell is an absent value */
            json_t *v = convert(map[i], s, rownum, errors);
            if (v)
                set_path(doc, map[i]->path, v);
        }
        if (json_array_size(errors) != before)
            json_object_set_new(doc, "_invalid", json_true());
    }
    return docs;
}

static const struct fs_field import_extra[] = {
    {.name = "partner_name", .type = FS_STRING, .min = 1, .max = 300},
    {.name = "status", .type = FS_ENUM, .values = (const char *const[]){"draft", "active", NULL}},
    {.name = NULL}};

/* Validates each document as a service (partner_id may come from the partner
 * name, resolved in SQL); errors get the row and the CSV column. */
static void validate_docs(json_t *docs, json_t *errors)
{
    struct fs_field spec[40];
    size_t n = 0;
    for (const struct fs_field *f = service_fields; f->name; f++) {
        spec[n] = *f;
        if (!strcmp(f->name, "partner_id"))
            spec[n].flags &= ~(unsigned)FS_REQUIRED;
        n++;
    }
    for (const struct fs_field *f = import_extra; f->name; f++)
        spec[n++] = *f;
    spec[n].name = NULL;
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        if (json_object_get(doc, "_short"))
            continue;
        size_t row = (size_t)json_integer_value(json_object_get(doc, "_row"));
        json_t *fields = json_deep_copy(doc);
        json_object_del(fields, "_row");
        json_object_del(fields, "_invalid");
        json_t *errs = json_array();
        fs_validate(spec, fields, FS_CREATE, "", errs);
        json_decref(fields);
        size_t j;
        json_t *e;
        json_array_foreach(errs, j, e)
        {
            row_error(errors, row, column_of(json_string_value(json_object_get(e, "field"))),
                      json_string_value(json_object_get(e, "code")),
                      json_string_value(json_object_get(e, "message")));
        }
        if (json_array_size(errs))
            json_object_set_new(doc, "_invalid", json_true());
        json_decref(errs);
        if (!json_object_get(doc, "partner_id") && !json_object_get(doc, "partner_name")) {
            row_error(errors, row, "partner", "required", "names no partner");
            json_object_set_new(doc, "_invalid", json_true());
        }
    }
}

/* The database's errors name document paths: name the CSV columns instead. */
static void errors_to_columns(json_t *problem)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e)
    {
        const char *field = json_string_value(json_object_get(e, "field"));
        if (field)
            json_object_set_new(e, "field", json_string(column_of(field)));
    }
}

struct import_arg {
    const char *docs;
};

int services_import(struct kreq *req, struct kres *res)
{
    if (!req->body || !req->body_len)
        return koop_fail_field(res, "body", "body", "required", "a CSV body is required");
    const char *ct = req->content_type;
    if (!ct || strncasecmp(ct, "text/csv", 8) != 0 || (ct[8] && ct[8] != ';' && ct[8] != ' '))
        return koop_fail(res, P_UNSUPPORTED_MEDIA, "the body must be text/csv (UTF-8)");
    if (memchr(req->body, 0, req->body_len) || fs_utf8_len(req->body) < 0)
        return koop_fail(res, P_MALFORMED, "the CSV is not valid UTF-8 text");
    char why[160];
    json_t *numbers = NULL;
    json_t *rows =
        koop_csv_parse(req->body, req->body_len, MAX_IMPORT_ROWS + 1, &numbers, why, sizeof why);
    if (!rows)
        return koop_fail(res, P_MALFORMED, "the CSV cannot be read: %s", why);
    if (json_array_size(rows) < 2) {
        json_decref(rows);
        json_decref(numbers);
        return koop_fail_field(res, "body", "body", "required",
                               "the CSV needs a header row and at least one service");
    }
    json_t *errors = json_array();
    json_t *docs = rows_to_docs(rows, numbers, errors);
    json_decref(rows);
    json_decref(numbers);
    if (!docs) { /* the header itself is wrong: nothing else can be read */
        json_t *p =
            koop_problem_json(P_VALIDATION, "the file has invalid rows; nothing was imported");
        json_object_set_new(p, "errors", errors);
        return koop_res_json(res, 422, p);
    }
    validate_docs(docs, errors);
    /* ids made here, time-ordered like every other id */
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        char id[37];
        koop_uuid7(id);
        json_object_set_new(doc, "id", json_string(id));
    }
    /* the database checks what needs it (partners, rules) for every row and
     * answers with all errors, ours included, or imports every row */
    char *txt = json_dumps(docs, JSON_COMPACT);
    char *etxt = json_dumps(errors, JSON_COMPACT);
    json_decref(docs);
    json_decref(errors);
    const char *v[] = {txt, etxt};
    koop_res_one(req, res, "koop_services_import", 2, v, 200);
    free(txt);
    free(etxt);
    if (res->status == 422 && res->json)
        errors_to_columns(res->json);
    return 0;
}

void services_init(void)
{
    koop_resource_register(&service_resource);
    db_register("koop_service_capacity", "SELECT r->>'version', r::text FROM "
                                         "koop.service_capacity($1::uuid, $2::jsonb) r");
    db_register("koop_services_hsds", "SELECT NULL, koop.services_hsds()::text");
    db_register("koop_services_import",
                "SELECT NULL, koop.services_import($1::jsonb, $2::jsonb)::text");
}
