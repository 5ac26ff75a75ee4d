/* Reports (SPEC §5 Reports): GET /v1/reports/{families|task-teams|referrals|
 * services|partners|benefits}?from=&to=&tenant_id= — JSON, or CSV with
 * Accept: text/csv. No personal data; counts of family data under 3 are
 * "<3". A regional analyst sees the tenants granted to it, per tenant and
 * summed. Computed in SQL: sql/functions/reports.sql. */
#include "api.h"
#include "vocab.h"

#include "../server/negotiate.h"

#include "../server/db.h"
#include "../server/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPORT_TIMEOUT_MS 60000

static const struct fs_field report_params[] = {{.name = "from", .type = FS_DATE},
                                                {.name = "to", .type = FS_DATE},
                                                {.name = "tenant_id", .type = FS_UUID},
                                                {.name = NULL}};

/* Appends one CSV field (RFC 4180 quoting when needed). */
static void csv_field(char **buf, size_t *len, size_t *cap, const char *s, bool last)
{
    size_t need = strlen(s) * 2 + 8; /* quotes, doubled quotes, ', separator or CRLF */
    if (*len + need + 1 > *cap) {
        *cap = (*len + need + 1) * 2;
        char *nb = realloc(*buf, *cap);
        if (!nb)
            return;
        *buf = nb;
    }
    char *o = *buf + *len;
    bool quote = strpbrk(s, ",\"\r\n;") != NULL;
    if (quote)
        *o++ = '"';
    /* a cell a spreadsheet would run as a formula is written as text */
    if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r')
        *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    if (quote)
        *o++ = '"';
    if (last) {
        *o++ = '\r';
        *o++ = '\n';
    } else {
        *o++ = ',';
    }
    *o = 0;
    *len = (size_t)(o - *buf);
}

/* Turns the report document into CSV: the columns, then one line per row. */
static char *report_csv(const json_t *doc)
{
    const json_t *cols = json_object_get(doc, "columns"), *rows = json_object_get(doc, "rows");
    size_t cap = 4096, len = 0, ncols = json_array_size(cols);
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = 0;
    for (size_t i = 0; i < ncols; i++)
        csv_field(&buf, &len, &cap, json_string_value(json_array_get(cols, i)), i + 1 == ncols);
    size_t r;
    const json_t *row;
    json_array_foreach(rows, r, row)
    {
        for (size_t i = 0; i < ncols; i++) {
            const json_t *v = json_object_get(row, json_string_value(json_array_get(cols, i)));
            char num[64];
            const char *s = "";
            if (json_is_string(v))
                s = json_string_value(v);
            else if (json_is_integer(v))
                s = (snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), num);
            else if (json_is_real(v))
                s = (snprintf(num, sizeof num, "%g", json_real_value(v)), num);
            csv_field(&buf, &len, &cap, s, i + 1 == ncols);
        }
    }
    return buf;
}

int reports_get(struct kreq *req, struct kres *res)
{
    /* the route is /v1/reports/{report}: not a UUID, so matched here */
    const char *name = req->path + strlen("/v1/reports/");
    bool known = false;
    for (const char *const *n = koop_report_names; *n; n++)
        known |= strcmp(*n, name) == 0;
    if (!known)
        return koop_fail(res, P_NOT_FOUND, "no such report");
    static const char *const types[] = {"application/json", "text/csv", NULL};
    int csv = koop_accept_pick(req->accept, types);
    if (csv < 0)
        return koop_fail(res, P_NOT_ACCEPTABLE, "reports are application/json or text/csv");
    json_t *errors = json_array();
    json_t *q = fs_parse_query(report_params, req, errors);
    if (json_array_size(errors)) {
        json_decref(q);
        return koop_fail_errors(res, errors);
    }
    json_decref(errors);
    /* a report over a large municipality may read a million rows */
    req->statement_timeout_ms = REPORT_TIMEOUT_MS;
    /* no from/to: the SQL takes the current year in Europe/Warsaw */
    const char *v[] = {name, json_string_value(json_object_get(q, "tenant_id")),
                       json_string_value(json_object_get(q, "from")),
                       json_string_value(json_object_get(q, "to"))};
    koop_res_one(req, res, "koop_report", 4, v, 200);
    json_decref(q);
    if (res->status == 200 && csv) {
        json_t *doc = json_loadb(res->raw, res->raw_len, 0, NULL);
        char *out = doc ? report_csv(doc) : NULL;
        json_decref(doc);
        free(res->raw);
        res->raw = NULL;
        if (!out)
            return koop_fail(res, P_INTERNAL, "the report could not be rendered");
        res->raw = out;
        res->raw_len = strlen(out);
        res->content_type = "text/csv; charset=utf-8";
        koop_res_header(res, "Content-Disposition", "attachment; filename=\"%s.csv\"", name);
    }
    if (res->status == 200)
        koop_res_header(res, "Vary", "Accept");
    return 0;
}

void reports_init(void)
{
    db_register("koop_report", "SELECT NULL, koop.report($1, $2::uuid, $3::date, $4::date)::text");
}
