/* Reports: exact counts, small cells shown as "<3", CSV negotiation and
 * parameters, roles, and a regional analyst across granted tenants (SPEC §5
 * Reports). */
#include "partnership.h"

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
    CELL(d, T, "reason", "declined.no_capacity", "<3"); /* the fixture's reason code */
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
    ck_assert_uint_eq(nrows(d), 10);
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
        const struct refusal refused[] = {
            {"social worker", w.p.sw, "GET", path, NULL, NULL, 403, "forbidden"},
            {"partner staff", w.p.staff, "GET", path, NULL, NULL, 403, "forbidden"},
            {"platform admin", wd->platform, "GET", path, NULL, NULL, 403, "forbidden"},
            {"no token", NULL, "GET", path, NULL, NULL, 401, "unauthorized"},
            {NULL}};
        CHECK_REFUSALS(refused);
        struct resp *r;
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

TCase *tcase_partnership_reports(void)
{
    TCase *tc = tcase_create("reports");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, reports_count_exactly_and_hide_small_cells);
    tcase_add_test(tc, reports_csv_negotiation_and_parameters);
    tcase_add_test(tc, reports_roles);
    tcase_add_test(tc, reports_regional_analyst_across_granted_tenants);
    return tc;
}
