/* Partners: the state machine, a read-only status, and every write an event
 * and an audit row (SPEC §9). */
#include "partners.h"

static void check_allowed(const struct resp *r, const char *const *want, size_t n)
{
    ck_problem(r, 409, "invalid_transition");
    const json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && json_array_size(allowed) == n, "allowed: %s", r->body);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        size_t j;
        const json_t *a;
        json_array_foreach(allowed, j, a) found |= !strcmp(json_string_value(a), want[i]);
        ck_assert_msg(found, "%s not in allowed: %s", want[i], r->body);
    }
}

START_TEST(transitions_full_path)
{
    const struct world *w = world();
    char id[37];
    create_p(w->coord_a, uniq("Przejścia"), "justice", id);
    const char *from_invited[] = {"declared", "withdrawn"};
    struct resp *r = move(w->coord_a, id, "active", NULL);
    check_allowed(r, from_invited, 2);
    resp_free(r);
    r = move(w->coord_a, id, "suspended", NULL);
    check_allowed(r, from_invited, 2);
    resp_free(r);
    /* declaring needs declaration.signed_on */
    r = move(w->coord_a, id, "declared", NULL);
    ck_problem(r, 409, "invalid_transition");
    const json_t *missing = json_object_get(r->json, "missing");
    ck_assert_msg(
        json_array_size(missing) == 1 &&
            !strcmp(json_string_value(json_array_get(missing, 0)), "declaration.signed_on"),
        "missing: %s", r->body);
    resp_free(r);
    /* bad bodies */
    const char *bad[][3] = {{"{\"to\":\"bogus\"}", "to", "enum"},
                            {"{}", "to", "required"},
                            {"{\"to\":\"declared\",\"when\":\"now\"}", "when", "unknown_field"},
                            {"{\"to\":5}", "to", "type"},
                            {"{\"to\":\"declared\",\"reason\":\"\"}", "reason", "min_length"}};
    for (int i = 0; i < 5; i++) {
        r = api("POST", fmt("/v1/partners/%s/transitions", id), w->coord_a, bad[i][0]);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i][1], bad[i][2], "body");
        resp_free(r);
    }
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 1);
    r = api_if("PATCH", ppath(id), w->coord_a,
               "{\"declaration\":{\"signed_on\":\"2026-02-10\",\"certificate_number\":\"PZK/7\"}}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* If-Match is optional but checked when sent */
    r = move(w->coord_a, id, "declared", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(ppath(id), w->admin_a), 2);
    r = move(w->coord_a, id, "declared", "\"2\"");
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), "declared");
    ck_assert_int_eq(jint(r->json, "version"), 3);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"3\"");
    resp_free(r);
    const char *path[] = {"active", "suspended", "active", "withdrawn"};
    for (int i = 0; i < 4; i++) {
        r = move(w->admin_a, id, path[i], NULL);
        ck_assert_msg(r->status == 200, "to %s: %ld %s", path[i], r->status, r->body);
        ck_assert_str_eq(jstr(r->json, "status"), path[i]);
        ck_assert_int_eq(jint(r->json, "version"), 4 + i);
        resp_free(r);
    }
    /* withdrawn is final */
    const char *all[] = {"invited", "declared", "active", "suspended", "withdrawn"};
    for (int i = 0; i < 5; i++) {
        r = move(w->admin_a, id, all[i], NULL);
        check_allowed(r, NULL, 0);
        resp_free(r);
    }
    r = api("GET", ppath(id), w->admin_a, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert_int_eq(jint(r->json, "version"), 7);
    resp_free(r);
    /* any state → withdrawn, e.g. straight from invited */
    char id2[37];
    create_p(w->coord_a, uniq("Wycofany od razu"), "ngo", id2);
    r = move(w->coord_a, id2, "withdrawn", "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* a declared partner cannot go back or be suspended */
    char id3[37];
    create_raw(
        w->coord_a,
        fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"declaration\":{\"signed_on\":\"2026-01-01\"}}",
            uniq("Zadeklarowany")),
        id3);
    r = move(w->coord_a, id3, "declared", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    const char *from_declared[] = {"active", "withdrawn"};
    r = move(w->coord_a, id3, "invited", NULL);
    check_allowed(r, from_declared, 2);
    resp_free(r);
    r = move(w->coord_a, id3, "suspended", NULL);
    check_allowed(r, from_declared, 2);
    resp_free(r);
}
END_TEST

START_TEST(status_is_read_only)
{
    const struct world *w = world();
    char name[128];
    snprintf(name, sizeof name, "%s", uniq("Status wprost"));
    struct resp *r = api("POST", "/v1/partners", w->admin_a,
                         fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"status\":\"active\"}", name));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", "read_only", "body");
    resp_free(r);
    ck_assert_uint_eq(count_q(w->admin_a, name), 0);
    char id[37];
    create_p(w->admin_a, name, "ngo", id);
    r = api_if("PATCH", ppath(id), w->admin_a, "{\"status\":\"withdrawn\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", "read_only", "body");
    resp_free(r);
    r = api("GET", ppath(id), w->admin_a, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "invited");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    resp_free(r);
}
END_TEST

/* ---- events and audit ---- */

static json_t *events_for(const char *token, long long after, const char *resource_id,
                          const char *types)
{
    json_t *out = json_array();
    for (int guard = 0; guard < 1000; guard++) {
        struct resp *r = api("GET",
                             fmt("/v1/events?after=%lld&limit=200%s%s", after,
                                 types ? "&types=" : "", types ? types : ""),
                             token, NULL);
        ck_assert_msg(r->status == 200, "events: %ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        size_t i;
        const json_t *e;
        long long prev = after;
        json_array_foreach(items, i, e)
        {
            ck_assert_msg(jint(e, "id") > prev, "event ids not increasing: %s", r->body);
            prev = jint(e, "id");
            ck_assert_uint_eq(json_object_size(e),
                              6); /* id type resource resource_id version occurred_at */
            ck_assert(timestamp_ok(jstr(e, "occurred_at")));
            if (!resource_id || !strcmp(jstr(e, "resource_id"), resource_id))
                json_array_append(out, (json_t *)e);
        }
        long long next = jint(r->json, "next_after");
        if (json_array_size(items))
            ck_assert_int_eq(next, prev);
        else
            ck_assert_int_eq(next, after);
        after = next;
        size_t n = json_array_size(items);
        resp_free(r);
        if (n == 0)
            break;
    }
    return out;
}

static void check_events(const json_t *ev, const char *const *types, const int *versions, size_t n)
{
    char *s = jdump(ev);
    ck_assert_msg(json_array_size(ev) == n, "want %zu events, got %s", n, s);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ev, i);
        ck_assert_msg(!strcmp(jstr(e, "type"), types[i]), "event %zu is %s, want %s: %s", i,
                      jstr(e, "type"), types[i], s);
        if (versions[i] >= 0)
            ck_assert_msg(jint(e, "version") == versions[i], "event %zu version: %s", i, s);
    }
    free(s);
}

START_TEST(every_write_is_an_event_and_audited)
{
    char tenant[37], admin[80], admin_id[37], auditor[80];
    fresh_tenant(tenant, admin, admin_id);
    make_user(admin, "auditor", NULL, auditor, NULL);
    long long base = last_event_id(admin);
    ck_assert_int_ge(base, 0);
    const char *name = "Fundacja Tajna Nazwa Osobowa";
    note_pii("Sekretny");
    note_pii("jan.sekretny@example.org");
    struct resp *r = api("POST", "/v1/partners", admin,
                         fmt("{\"name\":\"%s\",\"sector\":\"ngo\",\"contacts\":[{\"name\":\"Jan "
                             "Sekretny\",\"email\":\"jan.sekretny@example.org\"}]}",
                             name));
    ck_assert_int_eq(r->status, 201);
    char id[37], create_rid[80];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    snprintf(create_rid, sizeof create_rid, "%s", resp_header(r, "X-Request-Id"));
    resp_free(r);
    r = api_if("PATCH", ppath(id), admin, "{\"declaration\":{\"signed_on\":\"2026-01-05\"}}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = move(admin, id, "declared", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = move(admin, id, "active", NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* rejected writes leave no event */
    r = move(admin, id, "invited", NULL);
    ck_assert_int_eq(r->status, 409);
    resp_free(r);
    r = api_if("PATCH", ppath(id), admin, "{\"competences\":\"x\"}", "\"1\"");
    ck_assert_int_eq(r->status, 412);
    resp_free(r);
    /* sub-resources and deletion */
    r = api("POST", fmt("%s/agreements", ppath(id)), admin,
            "{\"title\":\"Porozumienie\",\"signed_on\":\"2026-01-15\"}");
    ck_assert_int_eq(r->status, 201);
    char ag[37];
    snprintf(ag, sizeof ag, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = api_if("PATCH", fmt("%s/agreements/%s", ppath(id), ag), admin, "{\"scope\":\"Szkolenia\"}",
               "\"1\"");
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = api_if("DELETE", fmt("%s/agreements/%s", ppath(id), ag), admin, NULL, "\"2\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);
    r = api("POST", fmt("%s/benefits", ppath(id)), admin,
            "{\"description\":\"Wymiana doświadczeń\",\"recorded_on\":\"2026-02-01\"}");
    ck_assert_int_eq(r->status, 201);
    char be[37];
    snprintf(be, sizeof be, "%s", jstr(r->json, "id"));
    resp_free(r);
    char gone[37];
    create_p(admin, "Pomyłka", "other", gone);
    r = api_if("DELETE", ppath(gone), admin, NULL, "\"1\"");
    ck_assert_int_eq(r->status, 204);
    resp_free(r);

    json_t *ev = events_for(admin, base, id, NULL);
    const char *pt[] = {"partner.created", "partner.updated", "partner.declared", "partner.active"};
    const int pv[] = {1, 2, 3, 4};
    check_events(ev, pt, pv, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(jstr(json_array_get(ev, i), "resource"), "partner");
    }
    json_decref(ev);
    ev = events_for(admin, base, ag, NULL);
    const char *at[] = {"agreement.created", "agreement.updated", "agreement.deleted"};
    const int av[] = {1, 2, -1};
    check_events(ev, at, av, 3);
    json_decref(ev);
    ev = events_for(admin, base, be, NULL);
    const char *bt[] = {"benefit.created"};
    const int bv[] = {1};
    check_events(ev, bt, bv, 1);
    json_decref(ev);
    ev = events_for(admin, base, gone, NULL);
    const char *gt[] = {"partner.created", "partner.deleted"};
    const int gv[] = {1, -1};
    check_events(ev, gt, gv, 2);
    json_decref(ev);
    /* the type filter, and no personal data anywhere in the feed */
    ev = events_for(admin, base, NULL, "partner.declared,partner.deleted");
    ck_assert_uint_eq(json_array_size(ev), 2);
    json_decref(ev);
    r = api("GET", fmt("/v1/events?after=%lld&limit=200", base), admin, NULL);
    ck_assert_ptr_null(strstr(r->body, "Tajna"));
    ck_assert_ptr_null(strstr(r->body, "Sekretny"));
    ck_assert_ptr_null(strstr(r->body, "jan.sekretny"));
    resp_free(r);
    /* the auditor reads the same feed */
    ev = events_for(auditor, base, id, NULL);
    ck_assert_uint_eq(json_array_size(ev), 4);
    json_decref(ev);

    /* the audit log: newest first, by whom, with the request id */
    const char *want[] = {"transition", "transition", "update", "create"};
    const long want_status[] = {200, 200, 200, 201};
    const char *readers[] = {admin, auditor};
    for (int k = 0; k < 2; k++) {
        r = api("GET", fmt("/v1/audit-events?resource=partner&resource_id=%s", id), readers[k],
                NULL);
        ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
        const json_t *items = json_object_get(r->json, "items");
        ck_assert_msg(json_array_size(items) >= 4, "audit: %s", r->body);
        /* only writes are asserted: reads may be audited too */
        size_t i, n = 0;
        const json_t *a;
        long long prev = -1;
        json_array_foreach(items, i, a)
        {
            if (prev >= 0)
                ck_assert_int_lt(jint(a, "id"), prev);
            prev = jint(a, "id");
            ck_assert_str_eq(jstr(a, "resource"), "partner");
            ck_assert_str_eq(jstr(a, "resource_id"), id);
            if (!strcmp(jstr(a, "action"), "read"))
                continue;
            ck_assert_msg(n < 4 && !strcmp(jstr(a, "action"), want[n]), "audit %zu: %s", n,
                          r->body);
            ck_assert_int_eq(jint(a, "status"), want_status[n]);
            ck_assert_str_eq(jstr(a, "actor_id"), admin_id);
            ck_assert_ptr_nonnull(jstr(a, "token_id"));
            ck_assert_ptr_nonnull(jstr(a, "request_id"));
            ck_assert(timestamp_ok(jstr(a, "occurred_at")));
            if (n == 3)
                ck_assert_str_eq(jstr(a, "request_id"), create_rid);
            n++;
        }
        ck_assert_uint_eq(n, 4);
        ck_assert_ptr_null(strstr(r->body, "Tajna"));
        resp_free(r);
    }
    r = api("GET", fmt("/v1/audit-events?resource=partner&resource_id=%s&action=create", id), admin,
            NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    r = api("GET", fmt("/v1/audit-events?resource=agreement&resource_id=%s", ag), auditor, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
}
END_TEST

TCase *tcase_partners_states(void)
{
    TCase *tc = tcase_create("states");
    tcase_add_test(tc, transitions_full_path);
    tcase_add_test(tc, status_is_read_only);
    tcase_add_test(tc, every_write_is_an_event_and_audited);
    return tc;
}
