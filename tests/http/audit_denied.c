/* A denied access to personal data is audited by the dispatcher from the
 * route table (RT_PERSONAL), for every such route, once: here the project
 * family routes (GET|POST /v1/projects/{project_id}/families, DELETE
 * .../families/{family_id}), whose handlers record nothing themselves, and a
 * family route whose handler used to. Each test has a tenant of its own, so
 * the audit log holds only what it did; the admin reads it back through
 * GET /v1/audit-events. */
#include "client.h"

#include <stdlib.h>
#include <string.h>

/* An id nobody holds (well-formed, so the route matches). */
static const char unknown_id[] = "0190b5b0-0000-7000-8000-00000000d0d0";

/* The audit rows about resource/id, as the tenant's admin sees them. */
static json_t *audit_rows(const char *admin, const char *resource, const char *id)
{
    struct resp *r =
        api("GET", fmt("/v1/audit-events?resource=%s&resource_id=%s", resource, id), admin, NULL);
    ck_assert_msg(r->status == 200, "audit-events: %ld %s", r->status, r->body);
    json_t *items = json_incref(json_object_get(r->json, "items"));
    resp_free(r);
    ck_assert_ptr_nonnull(items);
    return items;
}

/* Asserts exactly one denied (403/404) row about resource/id, with this
 * action and status (a project's own create row is not one). */
static void check_one_denied(const char *admin, const char *resource, const char *id,
                             const char *action, long status, int line)
{
    json_t *all = audit_rows(admin, resource, id), *items = json_array();
    size_t i;
    json_t *e0;
    json_array_foreach(all, i, e0)
    {
        if (jint(e0, "status") == 403 || jint(e0, "status") == 404)
            json_array_append(items, e0);
    }
    json_decref(all);
    char *txt = jdump(items);
    ck_assert_msg(json_array_size(items) == 1, "line %d: want one %s row about %s, got %s", line,
                  action, resource, txt);
    const json_t *e = json_array_get(items, 0);
    ck_assert_msg(!strcmp(jstr(e, "action"), action) && jint(e, "status") == status &&
                      !strcmp(jstr(e, "resource"), resource) && !strcmp(jstr(e, "resource_id"), id),
                  "line %d: want %s %s %ld, got %s", line, action, resource, status, txt);
    free(txt);
    json_decref(items);
}
#define ck_one_denied(admin, resource, id, action, status)                                         \
    check_one_denied((admin), (resource), (id), (action), (status), __LINE__)

static void make_project(const char *admin, char id[37])
{
    struct resp *r = api("POST", "/v1/projects", admin, fmt("{\"name\":\"%s\"}", uniq("Projekt")));
    ck_assert_msg(r->status == 201, "project: %ld %s", r->status, r->body);
    snprintf(id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

START_TEST(project_families_unknown_project_read_is_audited)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    struct resp *r = api("GET", fmt("/v1/projects/%s/families", unknown_id), admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_one_denied(admin, "project", unknown_id, "read", 404);
}
END_TEST

START_TEST(project_families_unknown_project_link_is_audited)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    struct resp *r = api("POST", fmt("/v1/projects/%s/families", unknown_id), admin,
                         fmt("{\"family_id\":\"%s\"}", unknown_id));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_one_denied(admin, "project", unknown_id, "create", 404);
}
END_TEST

START_TEST(project_families_unknown_family_unlink_is_audited)
{
    char tenant[37], admin[80], admin_id[37], project[37];
    fresh_tenant(tenant, admin, admin_id);
    make_project(admin, project);
    struct resp *r =
        api("DELETE", fmt("/v1/projects/%s/families/%s", project, unknown_id), admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_one_denied(admin, "family", unknown_id, "delete", 404);
}
END_TEST

START_TEST(project_families_refused_role_is_audited)
{
    char tenant[37], admin[80], admin_id[37], project[37], sw[80];
    fresh_tenant(tenant, admin, admin_id);
    make_project(admin, project);
    make_user(admin, "social_worker", NULL, sw, NULL);
    struct resp *r = api("GET", fmt("/v1/projects/%s/families", project), sw, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    ck_one_denied(admin, "project", project, "read", 403);
}
END_TEST

/* A handler that used to record its own denial: recorded once, not twice. */
START_TEST(family_export_unknown_family_audited_once)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    struct resp *r = api("GET", fmt("/v1/families/%s/export", unknown_id), admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    ck_one_denied(admin, "family", unknown_id, "export", 404);
}
END_TEST

/* Not personal data: a 404 there leaves the audit log alone. */
START_TEST(project_unknown_read_not_audited)
{
    char tenant[37], admin[80], admin_id[37];
    fresh_tenant(tenant, admin, admin_id);
    struct resp *r = api("GET", fmt("/v1/projects/%s", unknown_id), admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    json_t *items = audit_rows(admin, "project", unknown_id);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

Suite *suite_audit_denied(void)
{
    Suite *s = suite_create("audit_denied");
    TCase *t = tcase_create("dispatcher");
    tcase_add_test(t, project_families_unknown_project_read_is_audited);
    tcase_add_test(t, project_families_unknown_project_link_is_audited);
    tcase_add_test(t, project_families_unknown_family_unlink_is_audited);
    tcase_add_test(t, project_families_refused_role_is_audited);
    tcase_add_test(t, family_export_unknown_family_audited_once);
    tcase_add_test(t, project_unknown_read_not_audited);
    suite_add_tcase(s, t);
    return s;
}
