/* Families: anonymisation leaves no personal trace anywhere in the database
 * (issue 10, point 1). A unique marker goes into every field that can hold
 * personal data reachable from the family — members, family, consents, the
 * task team, its goals, actions, referrals and meetings, stored idempotent
 * responses — the family is anonymised, and a `pg_dump --data-only` of the
 * whole test database must hold none of the markers. */
#include "families.h"
#include "task_teams.h"

#define NMARK 24
static char marks[NMARK][48];
static int nmarks;

/* A new unique marker (letters and digits only, so it survives any JSON or
 * COPY escaping unchanged). */
static const char *mark(void)
{
    ck_assert_int_lt(nmarks, NMARK);
    snprintf(marks[nmarks], sizeof marks[0], "Znacznik%dx%02dq", (int)getpid(), nmarks);
    return marks[nmarks++];
}

/* The whole data of the test database, as pg_dump writes it (malloc'd). */
static char *dump_all(void)
{
    /* as the database's owner: the serving login may not read every table */
    const char *url = env_or("DATABASE_OWNER_URL", env_or("DATABASE_URL", ""));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/lib/postgresql/15/bin/pg_dump --data-only '%s'", url);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_msg(len > 1000, "pg_dump wrote %zu bytes", len);
    return buf;
}

static void post_ok(const char *tok, const char *path, json_t *doc, char out[37], int line)
{
    struct resp *r = call(true, "POST", path, tok, js(doc), (struct opt){0}, line);
    ck_assert_msg(r->status == 201 || r->status == 200, "line %d: POST %s: %ld %s", line, path,
                  r->status, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}
#define POST_OK(tok, path, doc, out) post_ok((tok), (path), (doc), (out), __LINE__)

START_TEST(anonymize_leaves_no_trace)
{
    nmarks = 0;
    struct fx_tenant x;
    FX_TENANT(&x, FX_SW);
    char partner[37], staff[80], staff_id[37], svc[37];
    FX_PARTNER(x.admin, uniq("Partner śladów "), NULL, NULL, partner);
    FX_STAFF(x.admin, partner, staff, staff_id);
    FX_SERVICE(x.admin, partner, NULL, NULL, -1, true, svc);

    /* the family and its people */
    char fam[37], head[37], child[37], c_share[37], c_old[37];
    json_t *fdoc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:[{s:s, s:s}], s:s}", "district",
                             "Centrum", "address", "street", mark(), "building", "7", "city",
                             mark(), "external_ref", mark(), "problems", "code", "addiction",
                             "notes", mark(), "assigned_worker_id", x.sw_id);
    json_decref(family_new(x.admin, js(fdoc), fam));
    char pes[12], pes_child[12];
    snprintf(pes, sizeof pes, "%s", pesel(1962, 4, 27, 1));
    snprintf(pes_child, sizeof pes_child, "%s", pesel(2015, 8, 3, 0));
    json_decref(member_new(x.admin, fam, mark(), mark(), NULL, pes, "head", head));
    json_decref(member_new(x.admin, fam, mark(), mark(), NULL, pes_child, "child", child));
    LOCALF(fp, "/v1/families/%s", fam);
    POST_OK(x.admin, fmt("%s/consents", fp),
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "member_id", head, "scope",
                      "sharing_with_partner", "partner_id", partner, "given_on", utc_date(-1),
                      "purpose", mark(), "document_ref", mark()),
            c_share);
    POST_OK(x.admin, fmt("%s/consents", fp),
            json_pack("{s:s, s:s, s:s, s:s}", "member_id", head, "scope", "processing", "given_on",
                      utc_date(-2), "purpose", mark()),
            c_old);
    POST_OK(x.admin, fmt("%s/consents/%s/withdraw", fp, c_old),
            json_pack("{s:s}", "reason", mark()), NULL);

    /* its team, plan, referrals and a meeting */
    char team[37], rep[37], fm[37], goal[37], a_plain[37], a_decl[37], a_done[37], a_open[37],
        meet[37];
    POST_OK(x.sw, "/v1/task-teams", json_pack("{s:s, s:s}", "family_id", fam, "name", mark()),
            team);
    LOCALF(tp, "/v1/task-teams/%s", team);
    FX_REP(x.sw, team, partner, "Anna Przedstawicielka", staff_id, rep);
    POST_OK(x.sw, fmt("%s/members", tp),
            json_pack("{s:s, s:s, s:s}", "kind", "family_member", "member_id", head, "person_name",
                      mark()),
            fm);
    FX_TEAM_ACTIVE(x.sw, team);
    POST_OK(x.sw, fmt("%s/goals", tp),
            json_pack("{s:s, s:s}", "description", mark(), "measure", mark()), goal);
    POST_OK(
        x.sw, fmt("%s/actions", tp),
        json_pack("{s:s, s:s, s:[s]}", "goal_id", goal, "description", mark(), "member_ids", head),
        a_plain);
    POST_OK(x.sw, fmt("%s/actions", tp),
            json_pack("{s:s, s:s, s:s}", "goal_id", goal, "description", "skierowanie 1",
                      "service_id", svc),
            a_decl);
    POST_OK(x.sw, fmt("%s/actions", tp),
            json_pack("{s:s, s:s, s:s}", "goal_id", goal, "description", "skierowanie 2",
                      "service_id", svc),
            a_done);
    POST_OK(x.sw, fmt("%s/actions", tp),
            json_pack("{s:s, s:s, s:s}", "goal_id", goal, "description", "skierowanie 3",
                      "service_id", svc),
            a_open);
    FX_REFERRAL_TO(x.sw, staff, team, a_decl, "referred", NULL);
    struct resp *dr = move_coded(staff, fmt("/v1/referrals/%s/transitions", a_decl), "declined",
                                 "no_capacity", mark(), NULL);
    ck_status(dr, 200);
    resp_free(dr);
    FX_REFERRAL_TO(x.sw, staff, team, a_done, "completed", mark());
    FX_REFERRAL_TO(x.sw, staff, team, a_open, "accepted", NULL);
    POST_OK(x.sw, fmt("%s/meetings", tp),
            json_pack("{s:s, s:s, s:[s, s], s:s, s:s}", "held_on", utc_date(-1), "place", mark(),
                      "attendee_ids", rep, fm, "agenda", mark(), "decisions", mark()),
            meet);
    /* a stored idempotent response holding the family's data */
    char key[64];
    snprintf(key, sizeof key, "traces-%d", (int)getpid());
    const char *gm = mark();
    struct resp *r =
        AK("POST", fmt("%s/goals", tp), x.sw, js(json_pack("{s:s}", "description", gm)), key);
    ck_status(r, 201);
    resp_free(r);

    /* every marker is in the database before */
    char *before = dump_all();
    for (int i = 0; i < nmarks; i++)
        ck_assert_msg(strstr(before, marks[i]), "marker %d (%s) not stored at all", i, marks[i]);
    ck_assert(strstr(before, pes) && strstr(before, pes_child));
    free(before);

    long long v = version_of(fp, x.admin);
    r = AI("POST", fmt("%s/anonymize", fp), x.admin, NULL, etag(v));
    ck_status(r, 200);
    resp_free(r);

    char *after = dump_all();
    for (int i = 0; i < nmarks; i++)
        ck_assert_msg(!strstr(after, marks[i]), "marker %d (%s) survived anonymisation", i,
                      marks[i]);
    ck_assert_msg(!strstr(after, pes) && !strstr(after, pes_child), "a PESEL survived");
    ck_assert_msg(!strstr(after, "1962-04-27") && !strstr(after, "2015-08-03"),
                  "a birth date survived");
    free(after);

    /* in the same transaction: the team is closed, its open actions
     * cancelled, the consents withdrawn */
    ck_assert_str_eq(field_of(x.admin, tp, "status"), "closed");
    ck_assert_str_eq(field_of(x.admin, fmt("%s/actions/%s", tp, a_open), "status"), "cancelled");
    ck_assert_str_eq(field_of(x.admin, fmt("%s/actions/%s", tp, a_plain), "status"), "cancelled");
    ck_assert_str_eq(field_of(x.admin, fmt("%s/actions/%s", tp, a_done), "status"), "completed");
    ck_assert_str_eq(field_of(x.admin, fmt("%s/consents/%s", fp, c_share), "status"), "withdrawn");
    /* what statistics keep */
    r = A("GET", fmt("%s/members/%s", fp, head), x.admin, NULL);
    ck_status(r, 200);
    ck_assert_int_eq(jint(r->json, "birth_year"), 1962);
    ck_assert_str_eq(jstr(r->json, "sex"), "female");
    resp_free(r);
    r = A("GET", fp, x.admin, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "district"), "Centrum");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "problems"), 0), "code"),
                     "addiction");
    resp_free(r);
    /* the partner sees nothing any more */
    ck_assert_int_eq(get_status(staff, fp), 404);
    ck_assert_int_eq(get_status(staff, fmt("/v1/referrals/%s", a_open)), 404);
}
END_TEST

TCase *tcase_families_traces(void)
{
    TCase *tc = tcase_create("traces");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, anonymize_leaves_no_trace);
    return tc;
}
