/* The event feed: pages, types and next_after, a long types filter, and
 * visibility that follows family access (SPEC §8 Events). */
#include "feed.h"

/* Every event visible to tok after `after`, following next_after (through Prism). */
static json_t *all_events(const char *tok, long long after, const char *types)
{
    json_t *out = json_array();
    for (int guard = 0; guard < 1000; guard++) {
        struct resp *r = api("GET",
                             fmt("/v1/events?after=%lld&limit=200%s%s", after,
                                 types ? "&types=" : "", types ? types : ""),
                             tok, NULL);
        ck_assert_msg(r->status == 200, "events: %ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        json_array_extend(out, (json_t *)items);
        long long next = jint(r->json, "next_after");
        ck_assert_msg(next >= after, "next_after went back: %s", r->body);
        size_t n = json_array_size(items);
        resp_free(r);
        if (n == 0)
            break;
        after = next;
    }
    return out;
}

static size_t count_events(const json_t *ev, const char *resource, const char *resource_id)
{
    size_t i, n = 0;
    const json_t *e;
    json_array_foreach(ev, i, e)
    {
        if (resource && strcmp(jstr(e, "resource"), resource))
            continue;
        if (resource_id && strcmp(jstr(e, "resource_id"), resource_id))
            continue;
        n++;
    }
    return n;
}

/* ---- paging, filters, shape ---- */

static void check_event(const json_t *e, const char *type, const char *id, long long version)
{
    char *s = jdump(e);
    ck_assert_msg(json_object_size(e) == 6,
                  "an event has exactly id, type, resource, resource_id, "
                  "version, occurred_at: %s",
                  s);
    ck_assert_msg(json_is_integer(json_object_get(e, "id")), "%s", s);
    ck_assert_msg(!strcmp(jstr(e, "type"), type), "want %s: %s", type, s);
    ck_assert_msg(!strcmp(jstr(e, "resource"), "partner"), "%s", s);
    ck_assert_msg(!strcmp(jstr(e, "resource_id"), id), "want %s: %s", id, s);
    ck_assert_msg(jint(e, "version") == version, "want version %lld: %s", version, s);
    const char *at = jstr(e, "occurred_at");
    ck_assert_msg(at && strlen(at) >= 20 && at[strlen(at) - 1] == 'Z', "occurred_at: %s", s);
    free(s);
}

START_TEST(feed_pages_types_and_next_after)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long base = last_event_id(admin);
    ck_assert_int_ge(base, 0);
    const char *secret = "Fundacja Nazwisko Prezesa Kowalskiego";
    char a[37], b[37], c[37];
    ck_assert_int_eq(new_partner(admin, secret, a), 0);
    ck_assert_int_eq(new_partner(admin, "Partner B", b), 0);
    ck_assert_int_eq(new_partner(admin, "Partner C", c), 0);
    struct resp *r =
        api_if("PATCH", fmt("/v1/partners/%s", a), admin, "{\"short_name\":\"FNP\"}", "\"1\"");
    EXPECT(r, 200);
    resp_free(r);
    MOVED(admin, fmt("/v1/partners/%s/transitions", b), "withdrawn", "rezygnacja", NULL);
    MOVED(admin, fmt("/v1/partners/%s/transitions", c), "withdrawn", NULL, NULL);
    /* a refused write is no event */
    r = api_if("PATCH", fmt("/v1/partners/%s", a), admin, "{\"short_name\":\"X\"}", "\"1\"");
    EXPECT(r, 412);
    resp_free(r);

    /* everything after base, one event per write, in id order */
    r = api("GET", fmt("/v1/events?after=%lld", base), admin, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, "Kowalskiego"));
    ck_assert_ptr_null(strstr(r->body, "FNP"));
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 6);
    check_event(json_array_get(items, 0), "partner.created", a, 1);
    check_event(json_array_get(items, 1), "partner.created", b, 1);
    check_event(json_array_get(items, 2), "partner.created", c, 1);
    check_event(json_array_get(items, 3), "partner.updated", a, 2);
    check_event(json_array_get(items, 4), "partner.withdrawn", b, 2);
    check_event(json_array_get(items, 5), "partner.withdrawn", c, 2);
    long long id[6];
    for (int i = 0; i < 6; i++) {
        id[i] = jint(json_array_get(items, i), "id");
        ck_assert_int_gt(id[i], i ? id[i - 1] : base);
    }
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    ck_assert_uint_eq(json_object_size(r->json), 2); /* items, next_after */
    resp_free(r);

    /* pages of two: next_after is the last id of a full page */
    long long after = base;
    for (int page = 0; page < 3; page++) {
        r = api("GET", fmt("/v1/events?after=%lld&limit=2", after), admin, NULL);
        EXPECT(r, 200);
        items = json_object_get(r->json, "items");
        ck_assert_uint_eq(json_array_size(items), 2);
        ck_assert_int_eq(jint(json_array_get(items, 0), "id"), id[2 * page]);
        ck_assert_int_eq(jint(json_array_get(items, 1), "id"), id[2 * page + 1]);
        ck_assert_int_eq(jint(r->json, "next_after"), id[2 * page + 1]);
        after = jint(r->json, "next_after");
        resp_free(r);
    }
    r = api("GET", fmt("/v1/events?after=%lld&limit=2", after), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);

    /* types: only those, in order; next_after moves past what was looked at */
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.created,partner.withdrawn", base),
            admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 5);
    const int want[] = {0, 1, 2, 4, 5};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(jint(json_array_get(items, i), "id"), id[want[i]]);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* the same by pages of two, following next_after: nothing lost or repeated */
    after = base;
    int seen = 0;
    for (int guard = 0; guard < 10; guard++) {
        r = api("GET",
                fmt("/v1/events?after=%lld&limit=2&types=partner.created,partner.withdrawn", after),
                admin, NULL);
        EXPECT(r, 200);
        items = json_object_get(r->json, "items");
        size_t n = json_array_size(items);
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_lt(seen, 5);
            ck_assert_int_eq(jint(json_array_get(items, i), "id"), id[want[seen]]);
            seen++;
        }
        long long next = jint(r->json, "next_after");
        ck_assert_int_ge(next, after);
        after = next;
        resp_free(r);
        if (n == 0)
            break;
    }
    ck_assert_int_eq(seen, 5);
    ck_assert_int_eq(after, id[5]);
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.updated", base), admin, NULL);
    EXPECT(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_uint_eq(json_array_size(items), 1);
    check_event(json_array_get(items, 0), "partner.updated", a, 2);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* a stretch with no match is skipped, never re-read */
    r = api("GET", fmt("/v1/events?after=%lld&types=partner.deleted", base), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5]);
    resp_free(r);
    /* past the end: empty, next_after stays where the client is */
    r = api("GET", fmt("/v1/events?after=%lld", id[5] + 1000), admin, NULL);
    EXPECT(r, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 0);
    ck_assert_int_eq(jint(r->json, "next_after"), id[5] + 1000);
    resp_free(r);
    /* another tenant's feed holds none of it */
    json_t *other = all_events(world()->admin_b, base, NULL);
    char *os = jdump(other);
    ck_assert_msg(!strstr(os, a) && !strstr(os, b) && !strstr(os, c), "leak: %s", os);
    free(os);
    json_decref(other);

    /* bad parameters are 422 naming the parameter */
    const struct {
        const char *q, *field;
    } bad[] = {
        {"limit=0", "limit"},       {"limit=201", "limit"},      {"limit=abc", "limit"},
        {"after=-1", "after"},      {"after=abc", "after"},      {"types=Partner.Created", "types"},
        {"types=partner", "types"}, {"types=", "types"},         {"types=a.b.c", "types"},
        {"wait=61", "wait"},        {"wait=-1", "wait"},         {"wait=soon", "wait"},
        {"since=1", "since"},       {"after=1&after=2", "after"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = api("GET", fmt("/v1/events?%s", bad[i].q), admin, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, NULL, "query");
        resp_free(r);
    }
}
END_TEST

/* types: up to 50 names of up to 64 characters each are valid; every list
 * within those limits is answered. 2046 characters once filled a 2 KiB
 * buffer for the SQL array literal to the byte (422), and longer lists
 * overflowed it on the stack (the daemon died): 2046 characters, then the
 * documented maximum (50 names of 64). */
START_TEST(feed_types_filter_long_list_within_limits)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    long long base = last_event_id(admin);
    char id[37];
    ck_assert_int_eq(new_partner(admin, "Partner z filtrem", id), 0);
    char types[4096] = "";
    for (int i = 0; i < 31; i++) { /* 31 names of 64 characters */
        char t[80];
        size_t o = 0;
        if (i)
            t[o++] = ',';
        memset(t + o, 'a' + i % 26, 31);
        o += 31;
        t[o++] = '.';
        memset(t + o, 'z', 32);
        o += 32;
        t[o] = 0;
        strcat(types, t);
    }
    strcat(types, ",ab_cd.efgh_ijkl,partner.created"); /* and two of 15 */
    ck_assert_uint_eq(strlen(types), 2046);
    /* with partner.created at the end: the event is found */
    static char path[4096];
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    struct resp *r = direct("GET", path, admin, NULL, NULL);
    ck_assert_msg(r->status == 200, "%zu characters of types (33 valid names of <= 64): %ld %s",
                  strlen(types), r->status, r->body);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);

    /* 49 names of 64 characters, and partner.created: 3200 characters */
    types[0] = 0;
    for (int i = 0; i < 49; i++) {
        char t[80];
        size_t o = 0;
        if (i)
            t[o++] = ',';
        memset(t + o, 'a' + i % 26, 31);
        o += 31;
        t[o++] = '.';
        memset(t + o, 'a' + (i / 26) % 26, 32);
        o += 32;
        t[o] = 0;
        strcat(types, t);
    }
    strcat(types, ",partner.created");
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    r = direct("GET", path, admin, NULL, NULL);
    ck_assert_msg(r->status == 200, "50 types of <= 64 characters: %ld %s", r->status, r->body);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    /* 51 names are too many (422), and the daemon is still there */
    strcat(types, ",partner.deleted");
    snprintf(path, sizeof path, "/v1/events?after=%lld&types=%s", base, types);
    r = direct("GET", path, admin, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "types", "max", "query");
    resp_free(r);
    r = direct("GET", "/healthz", NULL, NULL, NULL);
    EXPECT(r, 200);
    resp_free(r);
}
END_TEST

/* ---- who sees what ---- */

START_TEST(feed_visibility_follows_family_access)
{
    struct fx_tenant x;
    FX_TENANT(&x, FX_COORD | FX_SW | FX_SW2 | FX_AUDITOR);
    const char *admin = x.admin, *coord = x.coord, *sw = x.sw, *sw2 = x.sw2, *auditor = x.auditor;
    char p[37], q[37], staff[80], staff_id[37], staff2[80];
    make_partner(admin, "Poradnia Rodzinna", p);
    make_partner(admin, "Klub Sportowy", q);
    FX_STAFF(admin, p, staff, staff_id);
    FX_STAFF(admin, q, staff2, NULL);
    long long base = last_event_id(admin);

    char surname[64], pesel[12];
    snprintf(surname, sizeof surname, "Feedowska%dv", (int)getpid());
    note_pii(surname);
    make_pesel(1979, 11, 2, 1, pesel);
    /* f: supported with a team where p takes part and a consent to share with p; g: no team */
    char f[37], g[37], fm[37], gm[37], team[37], consent[37], meeting[37];
    FX_FAMILY(coord, json_pack("{s:s}", "district", "Centrum"), f);
    FX_FAMILY(coord, json_pack("{s:s}", "district", "Ligota"), g);
    FX_MEMBER(coord, f, "Ewa", surname, "1979-11-02", pesel, "head", fm);
    FX_MEMBER(coord, g, "Jan", surname, "1975-01-01", NULL, "head", gm);
    FX_CONSENT(coord, g, gm, "processing", NULL, NULL, NULL, NULL);
    FX_TEAM(coord, f, x.sw_id, team);
    FX_REP(sw, team, p, "Przedstawiciel Poradni", staff_id, NULL);
    FX_CONSENT(sw, f, fm, "sharing_with_partner", p, NULL, NULL, consent);
    FX_TEAM_ACTIVE(sw, team);
    CREATE(admin, "/v1/meetings",
           json_pack("{s:s, s:s, s:s}", "kind", "partnership_team", "held_on", utc_date(0), "title",
                     "PZK"),
           meeting);

    /* admin (and coordinator): everything */
    json_t *ev = all_events(admin, base, NULL);
    char *s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) >= 1 && count_events(ev, "family", g) >= 1, "%s",
                  s);
    ck_assert_msg(count_events(ev, "member", fm) == 1 && count_events(ev, "member", gm) == 1, "%s",
                  s);
    ck_assert_msg(count_events(ev, "consent", consent) == 1 &&
                      count_events(ev, "consent", NULL) == 2,
                  "%s", s);
    ck_assert_msg(count_events(ev, "task_team", team) >= 2, "%s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    ck_assert_msg(!strstr(s, surname) && !strstr(s, pesel), "personal data in the feed: %s", s);
    size_t admin_total = json_array_size(ev);
    free(s);
    json_decref(ev);
    ev = all_events(coord, base, NULL);
    ck_assert_uint_eq(json_array_size(ev), admin_total);
    json_decref(ev);

    /* staff of p: f's events (team + consent), none of g's */
    ev = all_events(staff, base, NULL);
    s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) >= 1, "staff should see f: %s", s);
    ck_assert_msg(count_events(ev, "member", fm) == 1, "staff should see f's member: %s", s);
    ck_assert_msg(count_events(ev, "consent", consent) == 1, "staff should see f's consent: %s", s);
    ck_assert_msg(count_events(ev, "family", g) == 0 && count_events(ev, "member", gm) == 0,
                  "staff sees g: %s", s);
    ck_assert_msg(count_events(ev, "consent", NULL) == 1, "staff sees g's consent: %s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    free(s);
    json_decref(ev);

    /* staff of q (no team), the auditor, a social worker of neither family: no family data */
    const char *blind[] = {staff2, auditor, sw2};
    const char *bname[] = {"staff of another partner", "auditor", "another social worker"};
    for (int i = 0; i < 3; i++) {
        ev = all_events(blind[i], base, NULL);
        s = jdump(ev);
        const char *res[] = {"family", "member", "consent", "task_team", "team_member"};
        for (int k = 0; k < 5; k++)
            ck_assert_msg(count_events(ev, res[k], NULL) == 0, "%s sees %s events: %s", bname[i],
                          res[k], s);
        ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s: %s", bname[i], s);
        free(s);
        json_decref(ev);
    }
    /* the moderator: f, not g */
    ev = all_events(sw, base, NULL);
    ck_assert_uint_ge(count_events(ev, "family", f), 1);
    ck_assert_uint_eq(count_events(ev, "family", g), 0);
    json_decref(ev);
    /* with a types filter too */
    ev = all_events(staff2, base, "family.created,member.created,consent.created");
    ck_assert_uint_eq(json_array_size(ev), 0);
    json_decref(ev);
    ev = all_events(admin, base, "family.created,member.created,consent.created");
    ck_assert_uint_eq(json_array_size(ev), 2 + 2 + 2);
    json_decref(ev);

    /* the consent withdrawn: p's staff lose f's events at once, also the old ones */
    struct resp *r = api("POST", fmt("/v1/families/%s/consents/%s/withdraw", f, consent), sw, "{}");
    EXPECT(r, 200);
    resp_free(r);
    ev = all_events(staff, base, NULL);
    s = jdump(ev);
    ck_assert_msg(count_events(ev, "family", f) == 0 && count_events(ev, "member", fm) == 0 &&
                      count_events(ev, "consent", NULL) == 0,
                  "staff still sees f after the withdrawal: %s", s);
    ck_assert_msg(count_events(ev, "meeting", meeting) == 1, "%s", s);
    free(s);
    json_decref(ev);
}
END_TEST

TCase *tcase_feed_events(void)
{
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, feed_pages_types_and_next_after);
    tcase_add_test(tc, feed_visibility_follows_family_access);
    tcase_add_test(tc, feed_types_filter_long_list_within_limits);
    return tc;
}
