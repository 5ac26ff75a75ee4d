/* How the cooperation itself works (SPEC §5 Meetings, Projects, Reports; §7;
 * §9): partnership meetings, funded projects with money in grosze and
 * computed indicators, and the reports (JSON and CSV, small cells shown as
 * "<3", a regional analyst across granted tenants). Black box: everything is
 * built through the API, each test in tenants of its own (fresh_tenant) so
 * that lists and report counts are exact. */
#include "partnership.h"

/* The ids of a list's items (one page, limit 200) as a sorted, comma-joined string. */
int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *sorted_ids(const char **ids, size_t n)
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

char *list_ids(const char *tok, const char *path)
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

void list_is_at(const char *tok, const char *path, int line, const char **want)
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

void pw_setup_at(struct pw *p, int line)
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

/* Tries every subtraction a reader could make: a dimension's cells against
 * the total of the same tenant (or of the sum rows), and the tenants' cells
 * of one key against their sum. None may leave exactly one hidden value. */
void no_cell_derivable(const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "rows");
    char *ds = jdump(doc);
    size_t i, j;
    const json_t *a, *b;
    json_array_foreach(rows, i, a)
    {
        const char *d = jstr(a, "dimension"), *t = jstr(a, "tenant_id") ? jstr(a, "tenant_id") : "";
        if (!strcmp(d, "metric"))
            continue;
        /* (problems and reasons are no partition of the total: a family has several
         * problems, a reason only some referrals; their sums are checked in (2)) */
        bool part = strcmp(d, "problem") && strcmp(d, "reason");
        /* (1) a's group (tenant, dimension) against that tenant's total */
        const json_t *total = NULL;
        int hidden = 0;
        json_array_foreach(rows, j, b)
        {
            const char *bt = jstr(b, "tenant_id") ? jstr(b, "tenant_id") : "";
            if (strcmp(bt, t))
                continue;
            if (!strcmp(jstr(b, "dimension"), "total"))
                total = b;
            else if (!strcmp(jstr(b, "dimension"), d) &&
                     json_is_string(json_object_get(b, "count")))
                hidden++;
        }
        if (strcmp(d, "total") && total)
            hidden += json_is_string(json_object_get(total, "count"));
        ck_assert_msg(!part || !total || !strcmp(d, "total") || hidden != 1,
                      "%s/%s of %s: one hidden value against the total: %s", d, jstr(a, "key"), t,
                      ds);
        /* (2) the tenants' cells of a's key against their sum */
        if (!t[0]) {
            hidden = json_is_string(json_object_get(a, "count"));
            json_array_foreach(rows, j, b)
            {
                if (jstr(b, "tenant_id") && !strcmp(jstr(b, "dimension"), d) &&
                    !strcmp(jstr(b, "key"), jstr(a, "key")))
                    hidden += json_is_string(json_object_get(b, "count"));
            }
            ck_assert_msg(hidden != 1, "%s/%s: one hidden value against the sum: %s", d,
                          jstr(a, "key"), ds);
        }
    }
    free(ds);
}

Suite *suite_partnership(void)
{
    Suite *s = suite_create("partnership");
    suite_add_tcase(s, tcase_partnership_meetings());
    suite_add_tcase(s, tcase_partnership_projects());
    suite_add_tcase(s, tcase_partnership_project_families());
    suite_add_tcase(s, tcase_partnership_reports());
    suite_add_tcase(s, tcase_partnership_reports_fast());
    return s;
}
