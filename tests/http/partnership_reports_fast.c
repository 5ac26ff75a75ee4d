/* Reports from aggregates (issue 12.2): the families, task-teams and referrals reports, read
 * through the API from the aggregates the triggers keep (sql/schema/010), equal the direct
 * computation over the records (koop.report_direct, as the owner, in the same reader's
 * context) after every one of a run of random changes: families created, moved between
 * districts and problems (PATCH), through their statuses (closed and reopened), anonymised;
 * teams formed, activated and closed (cancelling their open referrals); referrals moved along
 * their path to every state. Compared as an admin (exact), an auditor (suppressed) and a
 * regional analyst over two tenants, over several periods, before and after the deltas are
 * folded (koop.report_fold); the other tenant's changes leave a tenant's reports alone. The
 * seed is printed (KOOP_REPORT_SEED repeats a run). */
#include "partnership.h"

#include <libpq-fe.h>

static PGconn *owner_db(void)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", "")));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "owner connection: %s", PQerrorMessage(c));
    return c;
}

static char *owner_scalar(PGconn *c, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
                  PQresultErrorMessage(r));
    char *s = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

/* The report computed from the records, in the context of (tenant, user, role). */
static json_t *direct_report(PGconn *c, const char *tenant, const char *user, const char *role,
                             const char *name, const char *from, const char *to)
{
    PQclear(PQexec(c, "BEGIN"));
    const char *v[] = {tenant, user, role};
    free(owner_scalar(c, "SELECT koop.ctx($1, $2, $3, NULL, NULL, NULL, NULL)::text", 3, v));
    const char *w[] = {name, from, to};
    char *s =
        owner_scalar(c, "SELECT koop.report_direct($1, NULL, $2::date, $3::date)::text", 3, w);
    PQclear(PQexec(c, "COMMIT"));
    ck_assert_msg(s, "report_direct %s: null", name);
    json_t *d = json_loads(s, 0, NULL);
    free(s);
    return d;
}

/* Straight from the daemon (Prism re-encodes numbers: 1.000 would come back as 1); the contract
 * is checked through Prism at the end. */
static json_t *http_report(const char *tok, const char *name, const char *from, const char *to)
{
    struct resp *r = direct("GET",
                            from ? fmt("/v1/reports/%s?from=%s&to=%s", name, from, to)
                                 : fmt("/v1/reports/%s", name),
                            tok, NULL, NULL);
    ck_assert_msg(r->status == 200, "GET /v1/reports/%s: %ld %s", name, r->status, r->body);
    json_t *d = json_incref(r->json);
    resp_free(r);
    ck_assert_msg(json_is_true(json_object_get(d, "fresh")), "fresh: %s", name);
    ck_assert_msg(jstr(d, "as_of"), "as_of: %s", name);
    return d;
}

/* Everything but the moments must be equal. */
static void same_report(json_t *fast, json_t *slow, const char *what, unsigned seed)
{
    const char *keys[] = {"report",  "from", "to", "tenant_ids", "small_cells_suppressed",
                          "columns", "rows"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        if (json_equal(json_object_get(fast, keys[i]), json_object_get(slow, keys[i])))
            continue;
        char *a = jdump(json_object_get(fast, keys[i])), *b = jdump(json_object_get(slow, keys[i]));
        /* (Check's messages are short: the first differing stretch) */
        size_t at = 0;
        while (a[at] && a[at] == b[at])
            at++;
        at = at > 200 ? at - 200 : 0;
        if (strlen(a) > at + 1200)
            a[at + 1200] = 0;
        if (strlen(b) > at + 1200)
            b[at + 1200] = 0;
        fprintf(stderr, "aggregates: %s\nrecords:    %s\n", a, b);
        ck_abort_msg("seed %u, %s: %s differs\n aggregates ...%s\n records    ...%s", seed, what,
                     keys[i], a + at, b + at);
    }
}

struct reader {
    const char *tok, *tenant, *user, *role;
};

static const char *const names[] = {"families", "task-teams", "referrals"};

/* Every report, for every reader and period, against the records. */
static void compare_all(PGconn *c, const struct reader *rd, size_t nrd,
                        const char *const (*periods)[2], size_t np, unsigned seed, const char *step)
{
    for (size_t i = 0; i < nrd; i++)
        for (size_t n = 0; n < 3; n++)
            for (size_t p = 0; p < np; p++) {
                json_t *fast = http_report(rd[i].tok, names[n], periods[p][0], periods[p][1]);
                json_t *slow = direct_report(c, rd[i].tenant, rd[i].user, rd[i].role, names[n],
                                             periods[p][0] ? periods[p][0] : jstr(fast, "from"),
                                             periods[p][1] ? periods[p][1] : jstr(fast, "to"));
                LOCALF(what, "after %s: %s as %s, %s..%s", step, names[n], rd[i].role,
                       periods[p][0] ? periods[p][0] : "(year)",
                       periods[p][1] ? periods[p][1] : "");
                same_report(fast, slow, what, seed);
                json_decref(fast);
                json_decref(slow);
            }
}

/* A regional analyst and its token. */
static void analyst_of(const char *t1, const char *t2, char tok[80], char id[37])
{
    const char *platform = world()->platform;
    struct resp *r = direct("POST", "/v1/users", platform,
                            fmt("{\"name\":\"Analityk\",\"email\":\"agg%d-%ld@test.example\","
                                "\"role\":\"regional_analyst\"}",
                                (int)getpid(), (long)time(NULL)),
                            NULL);
    EXPECT(r, 201);
    snprintf(id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = direct("POST", fmt("/v1/users/%s/tokens", id), platform, "{\"name\":\"agg\"}", NULL);
    EXPECT(r, 201);
    snprintf(tok, 80, "%s", jstr(r->json, "token"));
    resp_free(r);
    LOCALF(up, "/v1/users/%s", id);
    r = api_if("PATCH", up, platform, fmt("{\"granted_tenant_ids\":[\"%s\",\"%s\"]}", t1, t2),
               etag(version_of(up, platform)));
    EXPECT(r, 200);
    resp_free(r);
}

#define MAXF 24
struct fam {
    char id[37], adult[37], team[37], goal[37];
    const char *status;
    bool anonymised, team_open, active;
};

static const char *const districts[] = {"Centrum", "Zawodzie", "Ligota", NULL};
static const char *const problems[] = {"unemployment", "poverty", "addiction", "disability"};

static json_t *random_problems(void)
{
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        if (rand() % 2)
            json_array_append_new(a, json_pack("{s:s}", "code", problems[i]));
    return a;
}

/* One random change in the tenant of w; returns what it did. */
static const char *random_change(struct pw *w, struct fam *f, int *nf, const char *svc, int force)
{
    int op = *nf < 4 ? 0 : force >= 0 ? force : rand() % 7;
    struct fam *x = &f[rand() % (*nf ? *nf : 1)];
    LOCALF(fp, "/v1/families/%s", x->id);
    if (op == 0 && *nf < MAXF) {
        struct fam *n = &f[(*nf)++];
        memset(n, 0, sizeof *n);
        json_t *doc = json_pack("{s:o}", "problems", random_problems());
        const char *d = districts[rand() % 4];
        if (d)
            json_object_set_new(doc, "district", json_string(d));
        CREATE(w->coord, "/v1/families", doc, n->id);
        n->status = "referred";
        return "a family created";
    }
    if (op == 1 && !x->anonymised) {
        const char *d = districts[rand() % 4];
        int what = rand() % 3; /* the district, the problems, or both */
        json_t *doc = json_object();
        if (what != 1)
            json_object_set_new(doc, "district", d ? json_string(d) : json_null());
        if (what != 0)
            json_object_set_new(doc, "problems", random_problems());
        char *body = jdump(doc);
        json_decref(doc);
        struct resp *r = api_if("PATCH", fp, w->coord, body, etag(version_of(fp, w->coord)));
        free(body);
        EXPECT(r, 200);
        resp_free(r);
        return "a family moved to other cells";
    }
    if ((op == 2 || op == 3) && !x->anonymised) {
        static const char *const next[][2] = {{"referred", "diagnosed"},
                                              {"diagnosed", "in_support"},
                                              {"in_support", "monitoring"},
                                              {"monitoring", "in_support"},
                                              {"closed", "referred"}};
        const char *to = "closed";
        for (size_t i = 0; i < 5; i++)
            if (!strcmp(next[i][0], x->status) && (rand() % 3 || !strcmp(x->status, "closed")))
                to = next[i][1];
        MOVED(w->coord, fmt("%s/transitions", fp), to, !strcmp(to, "closed") ? "other" : NULL,
              NULL);
        x->status = !strcmp(to, "closed")       ? "closed"
                    : !strcmp(to, "referred")   ? "referred"
                    : !strcmp(to, "diagnosed")  ? "diagnosed"
                    : !strcmp(to, "in_support") ? "in_support"
                                                : "monitoring";
        if (!strcmp(to, "closed"))
            x->team_open = false; /* closing the family closes its team */
        return "a family moved to another status";
    }
    if (op == 4 && !strcmp(x->status, "closed") && !x->anonymised) {
        struct resp *r =
            api_if("POST", fmt("%s/anonymize", fp), w->admin, NULL, etag(version_of(fp, w->admin)));
        EXPECT(r, 200);
        resp_free(r);
        x->anonymised = true;
        return "a family anonymised";
    }
    if (op == 5 && strcmp(x->status, "closed") && !x->team_open) {
        char rep[64];
        make_surname("Agregat", rep);
        if (!x->adult[0])
            make_adult(w->coord, x->id, rep, NULL, x->adult);
        make_team(w->coord, x->id, w->sw_id, x->team);
        x->team_open = true;
        x->active = rand() % 4 != 0;
        if (x->active) {
            activate_team(w->sw, x->team, x->id, x->adult, w->p1, w->staff_id, rep);
            make_goal(w->sw, x->team, x->goal);
        }
        return "a team formed";
    }
    if (op == 6 && x->team_open) {
        if (x->active && rand() % 3) {
            static const char *const states[] = {"referred", "accepted", "in_progress", "completed",
                                                 "declined", "failed",   "cancelled",   "on_hold"};
            char a[37];
            make_action(w->sw, x->team, x->goal, svc, a);
            FX_REFERRAL_TO(w->sw, w->staff, x->team, a, states[rand() % 8], NULL);
            return "a referral made and moved";
        }
        MOVED(w->coord, fmt("/v1/task-teams/%s/transitions", x->team), "closed", NULL, NULL);
        x->team_open = false;
        return "a team closed";
    }
    return NULL;
}

START_TEST(reports_from_aggregates_equal_the_records)
{
    unsigned seed = (unsigned)atol(env_or("KOOP_REPORT_SEED", "0"));
    if (!seed)
        seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    fprintf(stderr, "reports_fast: seed %u (KOOP_REPORT_SEED)\n", seed);
    srand(seed);
    PGconn *c = owner_db();
    char *today = owner_scalar(c, "SELECT koop.today()::text", 0, NULL);
    char *tomorrow = owner_scalar(c, "SELECT (koop.today() + 1)::text", 0, NULL);
    char *yesterday = owner_scalar(c, "SELECT (koop.today() - 1)::text", 0, NULL);
    char *later = owner_scalar(c, "SELECT (koop.today() + 40)::text", 0, NULL);
    const char *const periods[][2] = {{NULL, NULL},
                                      {"2020-01-01", yesterday},
                                      {today, today},
                                      {tomorrow, later},
                                      {yesterday, tomorrow}};
    const size_t np = sizeof periods / sizeof *periods;

    struct pw w, v;
    setup(&w);
    setup(&v);
    char s1[37], s2[37];
    make_service(w.admin, w.p1, "psychological_support", 3, true, s1);
    make_service(v.admin, v.p1, "legal_advice", 3, true, s2);
    char analyst[80], analyst_id[37];
    analyst_of(w.tenant, v.tenant, analyst, analyst_id);
    const struct reader rd[] = {{w.admin, w.tenant, w.admin_id, "admin"},
                                {w.auditor, w.tenant, NULL, "auditor"},
                                {analyst, NULL, analyst_id, "regional_analyst"}};

    static struct fam fw[MAXF], fv[MAXF];
    int nw = 0, nv = 0;
    for (int step = 0; step < 42; step++) {
        /* every kind of change a few times in order, then at random (a kind that does not
         * apply to the family drawn is drawn again) */
        const char *did = random_change(&w, fw, &nw, s1, step < 25 ? step % 7 : -1);
        while (!did)
            did = random_change(&w, fw, &nw, s1, -1);
        fprintf(stderr, "reports_fast: step %d: %s\n", step, did);
        if (step % 3 == 2) {
            compare_all(c, rd, 3, periods, np, seed, did);
            /* the other tenant's change leaves this tenant's reports as they were */
            json_t *before[3], *after[3];
            for (int n = 0; n < 3; n++)
                before[n] = http_report(w.admin, names[n], "2020-01-01", later);
            const char *other = NULL;
            while (!other)
                other = random_change(&v, fv, &nv, s2, -1);
            for (int n = 0; n < 3; n++) {
                after[n] = http_report(w.admin, names[n], "2020-01-01", later);
                same_report(after[n], before[n], fmt("the other tenant's %s", other), seed);
                json_decref(before[n]);
                json_decref(after[n]);
            }
        }
        if (step == 20 || step == 41) {
            /* folding the deltas changes no report */
            char *n = owner_scalar(c, "SELECT koop.report_fold()::text", 0, NULL);
            free(n);
            char *left = owner_scalar(
                c, "SELECT count(*)::text FROM report_family_counts WHERE NOT folded", 0, NULL);
            ck_assert_msg(!strcmp(left, "0"), "unfolded family deltas left: %s", left);
            free(left);
            compare_all(c, rd, 3, periods, np, seed, "folding");
        }
    }
    /* the documents as the contract describes them (through Prism) */
    for (int n = 0; n < 3; n++)
        for (size_t i = 0; i < 3; i++) {
            struct resp *r = api("GET", fmt("/v1/reports/%s", names[n]), rd[i].tok, NULL);
            EXPECT(r, 200);
            resp_free(r);
        }
    /* the run made families and teams in both tenants (not a vacuous comparison) */
    json_t *d = http_report(w.admin, "families", "2020-01-01", later);
    ck_assert_msg(json_array_size(json_object_get(d, "rows")) >= 4, "seed %u: too few rows", seed);
    json_decref(d);
    free(today);
    free(tomorrow);
    free(yesterday);
    free(later);
    PQfinish(c);
}
END_TEST

/* The aggregate tables are tenant-scoped like the records: the serving login, as koop_app in
 * tenant A's context, reads A's rows and none of B's, and cannot write any (only the triggers
 * and koop.report_fold do); the fold it may run. */
START_TEST(aggregates_are_tenant_scoped)
{
    struct pw a, b;
    setup(&a);
    setup(&b);
    char fa[37], fb[37];
    make_family(a.coord, "Centrum", NULL, fa);
    make_family(b.coord, "Ligota", NULL, fb);
    PGconn *c = PQconnectdb(env_or("DATABASE_URL", ""));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET ROLE koop_app"));
    const char *tables[] = {"report_family_counts", "report_team_counts", "report_referrals"};
    for (int i = 0; i < 3; i++) {
        PQclear(PQexec(c, "BEGIN"));
        const char *v[] = {a.tenant};
        free(owner_scalar(c, "SELECT koop.ctx($1, NULL, 'admin', NULL, NULL, NULL, NULL)::text", 1,
                          v));
        const char *w[] = {b.tenant};
        char *n = owner_scalar(
            c, fmt("SELECT count(*)::text FROM %s WHERE tenant_id = $1::uuid", tables[i]), 1, w);
        ck_assert_msg(!strcmp(n, "0"), "%s: koop_app sees %s rows of another tenant", tables[i], n);
        free(n);
        if (i == 0) {
            n = owner_scalar(c, "SELECT count(*)::text FROM report_family_counts", 0, NULL);
            ck_assert_msg(atoi(n) >= 3, "its own tenant's cells: %s", n);
            free(n);
        }
        PGresult *r = PQexec(c, fmt("DELETE FROM %s", tables[i]));
        ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR, "koop_app deleted from %s",
                      tables[i]);
        PQclear(r);
        PQclear(PQexec(c, "ROLLBACK"));
    }
    PGresult *r = PQexec(c, "INSERT INTO report_family_counts (tenant_id, dim, key, kind, day, "
                            "day2, n) SELECT tenant_id, 'total', 'families', 'a', current_date, "
                            "current_date, 1000 FROM tenants LIMIT 1");
    ck_assert_msg(PQresultStatus(r) == PGRES_FATAL_ERROR, "koop_app forged a count");
    PQclear(r);
    free(owner_scalar(c, "SELECT koop.report_fold()::text", 0, NULL));
    PQfinish(c);
}
END_TEST

TCase *tcase_partnership_reports_fast(void)
{
    TCase *tc = tcase_create("reports_fast");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, reports_from_aggregates_equal_the_records);
    tcase_add_test(tc, aggregates_are_tenant_scoped);
    return tc;
}
