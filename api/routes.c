/* The route table: every path the service answers, its method, who may call
 * it, the scope a scoped token needs, whether it is personal data and what
 * handles it. 404 and 405 follow from this table (server/router.c); a denied
 * access (403/404) to a personal-data route, and any refusal for want of a
 * scope, is audited by the dispatcher from it (server/http.c); unit tests
 * compare it with openapi.yaml (paths and security scopes) and check every
 * route names a scope of the registry (server/scope.c); `kooperd routes`
 * prints it. Scopes follow the path's family: FAMILY:read for GET,
 * FAMILY:write otherwise. */
#include "api.h"

#include "../server/service.h"

#define ADM (ROLE_ADMIN | ROLE_COORDINATOR)
/* a route answered by a handler of its own, with flags */
#define RF(m, p, h, rl, fl, sc)                                                                    \
    {                                                                                              \
        .method = m, .pattern = p, .handler = h, .handler_name = #h, .roles = rl, .flags = fl,     \
        .scope = sc                                                                                \
    }
#define R(m, p, h, rl, sc) RF(m, p, h, rl, 0, sc)
/* the same, with the action a denial for want of a scope is recorded under */
#define RACT(m, p, h, rl, sc, action)                                                              \
    {                                                                                              \
        .method = m, .pattern = p, .handler = h, .handler_name = #h, .roles = rl, .scope = sc,     \
        .audit_action = action                                                                     \
    }
#define PUBLIC(p, h) RF("GET", p, h, 0, RT_NOAUTH, NULL)
/* reads that write nothing and tolerate replication lag: served by a read replica when
 * DATABASE_READ_URL names one (RT_REPLICA, server/replica.h). Never family data (every read of
 * it writes an audit row), the feed (long-poll, commit order) or the audit log (its reads are
 * audited). */
#define RR(m, p, h, rl, sc) RF(m, p, h, rl, RT_REPLICA, sc)
#define PUBLICR(p, h) RF("GET", p, h, 0, RT_NOAUTH | RT_REPLICA, NULL)
/* the generic operation op on a resource (server/resource.c) */
#define CRUDF(m, p, res, o, rl, fl, sc)                                                            \
    {                                                                                              \
        .method = m, .pattern = p, .roles = rl, .flags = fl, .resource = &res, .op = o,            \
        .scope = sc                                                                                \
    }
#define CRUD(m, p, res, o, rl, sc) CRUDF(m, p, res, o, rl, 0, sc)
#define CRUDR(m, p, res, o, rl, sc) CRUDF(m, p, res, o, rl, RT_REPLICA, sc)
/* family data through a generic operation: a denied access is audited under
 * the resource's name and the operation's action */
#define FAM(m, p, res, o, rl, sc) CRUDF(m, p, res, o, rl, RT_PERSONAL, sc)
/* family data through a handler of its own: a denied access is audited as
 * action on resource (the id is the path's last parameter) */
#define PERSONAL(m, p, h, rl, action, resource, sc)                                                \
    {                                                                                              \
        .method = m, .pattern = p, .handler = h, .handler_name = #h, .roles = rl,                  \
        .flags = RT_PERSONAL, .audit_action = action, .audit_resource = resource, .scope = sc      \
    }
#define FAM_READ (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SOCIAL_WORKER | ROLE_PARTNER_STAFF)
#define FAM_WRITE (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_SOCIAL_WORKER)
#define REPORTS (ROLE_ADMIN | ROLE_COORDINATOR | ROLE_AUDITOR | ROLE_REGIONAL_ANALYST)

const struct koop_route koop_api_routes[] = {
    PUBLIC("/healthz", service_healthz),
    PUBLIC("/readyz", service_readyz),
    PUBLIC("/metrics", service_metrics),
    PUBLIC("/openapi.yaml", service_openapi),
    PUBLIC("/docs", service_docs),
    PUBLIC("/docs/redoc.standalone.js", service_docs_js),

    PUBLICR("/public/v1/{teryt}/services", public_services_list),
    PUBLICR("/public/v1/{teryt}/services/{service_id}", public_services_get),
    PUBLICR("/public/v1/{teryt}/hsds", public_hsds),

    R("GET", "/v1/me", me_get, ROLES_ANY, "authenticated"),

    CRUDR("GET", "/v1/tenants", tenant_resource, OP_LIST, ROLE_PLATFORM_ADMIN, "tenants:read"),
    CRUD("POST", "/v1/tenants", tenant_resource, OP_CREATE, ROLE_PLATFORM_ADMIN, "tenants:write"),
    CRUDR("GET", "/v1/tenants/{tenant_id}", tenant_resource, OP_GET, ROLE_PLATFORM_ADMIN,
          "tenants:read"),
    CRUDF("PATCH", "/v1/tenants/{tenant_id}", tenant_resource, OP_PATCH, ROLE_PLATFORM_ADMIN,
          RT_AUTH_CHANGE, "tenants:write"),
    R("POST", "/v1/tenants/{tenant_id}/users", tenant_admin_create, ROLE_PLATFORM_ADMIN,
      "tenants:write"),
    RR("GET", "/v1/settings", settings_get, ADM, "settings:read"),
    R("PATCH", "/v1/settings", settings_patch, ROLE_ADMIN, "settings:write"),

    CRUDR("GET", "/v1/users", user_resource, OP_LIST, ROLE_ADMIN | ROLE_PLATFORM_ADMIN,
          "users:read"),
    CRUD("POST", "/v1/users", user_resource, OP_CREATE, ROLE_ADMIN | ROLE_PLATFORM_ADMIN,
         "users:write"),
    CRUDR("GET", "/v1/users/{user_id}", user_resource, OP_GET, ROLE_ADMIN | ROLE_PLATFORM_ADMIN,
          "users:read"),
    CRUDF("PATCH", "/v1/users/{user_id}", user_resource, OP_PATCH, ROLE_ADMIN | ROLE_PLATFORM_ADMIN,
          RT_AUTH_CHANGE, "users:write"),
    RR("GET", "/v1/users/{user_id}/tokens", tokens_list, ROLES_ANY, "tokens:read"),
    R("POST", "/v1/users/{user_id}/tokens", tokens_create, ROLES_ANY, "tokens:write"),
    RF("DELETE", "/v1/users/{user_id}/tokens/{token_id}", tokens_delete, ROLES_ANY, RT_AUTH_CHANGE,
       "tokens:write"),

    CRUDR("GET", "/v1/partners", partner_resource, OP_LIST, ROLES_TENANT, "partners:read"),
    CRUD("POST", "/v1/partners", partner_resource, OP_CREATE, ADM, "partners:write"),
    CRUDR("GET", "/v1/partners/{partner_id}", partner_resource, OP_GET, ROLES_TENANT,
          "partners:read"),
    RR("GET", "/v1/partners/{partner_id}/certificate", documents_certificate,
       ADM | ROLE_PARTNER_STAFF, "partners:read"),
    CRUD("PATCH", "/v1/partners/{partner_id}", partner_resource, OP_PATCH, ADM | ROLE_PARTNER_STAFF,
         "partners:write"),
    CRUD("DELETE", "/v1/partners/{partner_id}", partner_resource, OP_DELETE, ADM, "partners:write"),
    CRUD("POST", "/v1/partners/{partner_id}/transitions", partner_resource, OP_TRANSITION, ADM,
         "partners:write"),
    CRUDR("GET", "/v1/partners/{partner_id}/agreements", agreement_resource, OP_LIST, ROLES_TENANT,
          "partners:read"),
    CRUD("POST", "/v1/partners/{partner_id}/agreements", agreement_resource, OP_CREATE, ADM,
         "partners:write"),
    CRUDR("GET", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource, OP_GET,
          ROLES_TENANT, "partners:read"),
    CRUD("PATCH", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource,
         OP_PATCH, ADM, "partners:write"),
    CRUD("DELETE", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource,
         OP_DELETE, ADM, "partners:write"),
    CRUDR("GET", "/v1/partners/{partner_id}/benefits", benefit_resource, OP_LIST, ROLES_TENANT,
          "partners:read"),
    CRUD("POST", "/v1/partners/{partner_id}/benefits", benefit_resource, OP_CREATE, ADM,
         "partners:write"),
    CRUDR("GET", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_GET,
          ROLES_TENANT, "partners:read"),
    CRUD("PATCH", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_PATCH,
         ADM, "partners:write"),
    CRUD("DELETE", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_DELETE,
         ADM, "partners:write"),

    CRUDR("GET", "/v1/services", service_resource, OP_LIST, ROLES_TENANT, "services:read"),
    CRUD("POST", "/v1/services", service_resource, OP_CREATE, ADM | ROLE_PARTNER_STAFF,
         "services:write"),
    RR("GET", "/v1/services/export/hsds", services_hsds, ROLES_TENANT, "services:read"),
    RF("POST", "/v1/services/import", services_import, ADM, RT_RAWBODY, "services:write"),
    CRUDR("GET", "/v1/services/{service_id}", service_resource, OP_GET, ROLES_TENANT,
          "services:read"),
    CRUD("PATCH", "/v1/services/{service_id}", service_resource, OP_PATCH, ADM | ROLE_PARTNER_STAFF,
         "services:write"),
    CRUD("DELETE", "/v1/services/{service_id}", service_resource, OP_DELETE, ADM, "services:write"),
    CRUD("POST", "/v1/services/{service_id}/transitions", service_resource, OP_TRANSITION,
         ADM | ROLE_PARTNER_STAFF, "services:write"),
    R("PATCH", "/v1/services/{service_id}/capacity", services_capacity, ADM | ROLE_PARTNER_STAFF,
      "services:write"),

    FAM("GET", "/v1/families", family_resource, OP_LIST, FAM_READ, "families:read"),
    FAM("POST", "/v1/families", family_resource, OP_CREATE, FAM_WRITE, "families:write"),
    FAM("GET", "/v1/families/{family_id}", family_resource, OP_GET, FAM_READ, "families:read"),
    FAM("PATCH", "/v1/families/{family_id}", family_resource, OP_PATCH, FAM_WRITE,
        "families:write"),
    FAM("POST", "/v1/families/{family_id}/transitions", family_resource, OP_TRANSITION, FAM_WRITE,
        "families:write"),
    FAM("GET", "/v1/families/{family_id}/members", member_resource, OP_LIST, FAM_READ,
        "families:read"),
    PERSONAL("POST", "/v1/families/{family_id}/members", members_create, FAM_WRITE, "create",
             "member", "families:write"),
    FAM("GET", "/v1/families/{family_id}/members/{member_id}", member_resource, OP_GET, FAM_READ,
        "families:read"),
    PERSONAL("PATCH", "/v1/families/{family_id}/members/{member_id}", members_patch, FAM_WRITE,
             "update", "member", "families:write"),
    FAM("DELETE", "/v1/families/{family_id}/members/{member_id}", member_resource, OP_DELETE,
        FAM_WRITE, "families:write"),
    FAM("GET", "/v1/families/{family_id}/consents", consent_resource, OP_LIST, FAM_READ,
        "families:read"),
    FAM("POST", "/v1/families/{family_id}/consents", consent_resource, OP_CREATE, FAM_WRITE,
        "families:write"),
    FAM("GET", "/v1/families/{family_id}/consents/{consent_id}", consent_resource, OP_GET, FAM_READ,
        "families:read"),
    PERSONAL("POST", "/v1/families/{family_id}/consents/{consent_id}/withdraw", consents_withdraw,
             FAM_WRITE, "update", "consent", "families:write"),
    PERSONAL("GET", "/v1/families/{family_id}/export", families_export, ADM, "export", "family",
             "families:read"),
    PERSONAL("POST", "/v1/families/{family_id}/anonymize", families_anonymize, ROLE_ADMIN,
             "anonymize", "family", "families:write"),

    FAM("GET", "/v1/task-teams", task_team_resource, OP_LIST, FAM_READ, "task-teams:read"),
    FAM("POST", "/v1/task-teams", task_team_resource, OP_CREATE, FAM_WRITE, "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}", task_team_resource, OP_GET, FAM_READ, "task-teams:read"),
    FAM("PATCH", "/v1/task-teams/{team_id}", task_team_resource, OP_PATCH, FAM_WRITE,
        "task-teams:write"),
    FAM("POST", "/v1/task-teams/{team_id}/transitions", task_team_resource, OP_TRANSITION,
        FAM_WRITE, "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/members", team_member_resource, OP_LIST, FAM_READ,
        "task-teams:read"),
    FAM("POST", "/v1/task-teams/{team_id}/members", team_member_resource, OP_CREATE, FAM_WRITE,
        "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/members/{team_member_id}", team_member_resource, OP_GET,
        FAM_READ, "task-teams:read"),
    FAM("PATCH", "/v1/task-teams/{team_id}/members/{team_member_id}", team_member_resource,
        OP_PATCH, FAM_WRITE, "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/meetings", team_meeting_resource, OP_LIST, FAM_READ,
        "task-teams:read"),
    FAM("POST", "/v1/task-teams/{team_id}/meetings", team_meeting_resource, OP_CREATE, FAM_WRITE,
        "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource, OP_GET,
        FAM_READ, "task-teams:read"),
    FAM("PATCH", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource, OP_PATCH,
        FAM_WRITE, "task-teams:write"),
    FAM("DELETE", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource,
        OP_DELETE, FAM_WRITE, "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/goals", goal_resource, OP_LIST, FAM_READ,
        "task-teams:read"),
    FAM("POST", "/v1/task-teams/{team_id}/goals", goal_resource, OP_CREATE, FAM_WRITE,
        "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/goals/{goal_id}", goal_resource, OP_GET, FAM_READ,
        "task-teams:read"),
    FAM("PATCH", "/v1/task-teams/{team_id}/goals/{goal_id}", goal_resource, OP_PATCH, FAM_WRITE,
        "task-teams:write"),
    FAM("POST", "/v1/task-teams/{team_id}/goals/{goal_id}/transitions", goal_resource,
        OP_TRANSITION, FAM_WRITE, "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/actions", action_resource, OP_LIST, FAM_READ,
        "task-teams:read"),
    FAM("POST", "/v1/task-teams/{team_id}/actions", action_resource, OP_CREATE, FAM_WRITE,
        "task-teams:write"),
    FAM("GET", "/v1/task-teams/{team_id}/actions/{action_id}", action_resource, OP_GET, FAM_READ,
        "task-teams:read"),
    FAM("PATCH", "/v1/task-teams/{team_id}/actions/{action_id}", action_resource, OP_PATCH,
        FAM_WRITE, "task-teams:write"),
    FAM("POST", "/v1/task-teams/{team_id}/actions/{action_id}/transitions", action_resource,
        OP_TRANSITION, FAM_WRITE, "task-teams:write"),
    PERSONAL("GET", "/v1/task-teams/{team_id}/plan", documents_plan, FAM_WRITE, "export",
             "task_team", "task-teams:read"),
    PERSONAL("GET", "/v1/task-teams/{team_id}/meetings/{meeting_id}/protocol",
             documents_team_protocol, FAM_WRITE, "export", "team_meeting", "task-teams:read"),
    PERSONAL("POST", "/v1/task-teams/{team_id}/plan/agree", task_teams_agree, FAM_WRITE, "update",
             "task_team", "task-teams:write"),
    PERSONAL("GET", "/v1/task-teams/{team_id}/timeline", task_teams_timeline, FAM_READ, "read",
             "task_team", "task-teams:read"),
    FAM("GET", "/v1/referrals", referral_resource, OP_LIST, FAM_READ, "referrals:read"),
    FAM("GET", "/v1/referrals/{referral_id}", referral_resource, OP_GET, FAM_READ,
        "referrals:read"),
    FAM("POST", "/v1/referrals/{referral_id}/transitions", referral_resource, OP_TRANSITION,
        ROLE_PARTNER_STAFF, "referrals:write"),

    CRUDR("GET", "/v1/meetings", meeting_resource, OP_LIST, ROLES_TENANT, "meetings:read"),
    CRUD("POST", "/v1/meetings", meeting_resource, OP_CREATE, ADM, "meetings:write"),
    CRUDR("GET", "/v1/meetings/{meeting_id}", meeting_resource, OP_GET, ROLES_TENANT,
          "meetings:read"),
    RR("GET", "/v1/meetings/{meeting_id}/minutes", documents_minutes, ROLES_TENANT,
       "meetings:read"),
    CRUD("PATCH", "/v1/meetings/{meeting_id}", meeting_resource, OP_PATCH, ADM, "meetings:write"),
    CRUD("DELETE", "/v1/meetings/{meeting_id}", meeting_resource, OP_DELETE, ADM, "meetings:write"),
    CRUDR("GET", "/v1/projects", project_resource, OP_LIST, ROLES_TENANT, "projects:read"),
    CRUD("POST", "/v1/projects", project_resource, OP_CREATE, ADM, "projects:write"),
    CRUDR("GET", "/v1/projects/{project_id}", project_resource, OP_GET, ROLES_TENANT,
          "projects:read"),
    CRUD("PATCH", "/v1/projects/{project_id}", project_resource, OP_PATCH, ADM, "projects:write"),
    CRUD("DELETE", "/v1/projects/{project_id}", project_resource, OP_DELETE, ADM, "projects:write"),
    RR("GET", "/v1/projects/{project_id}/indicators", projects_indicators, ROLES_TENANT,
       "projects:read"),
    /* a project's families: denied reads and links are recorded under the
     * project (the path's id), a denied unlink under the family */
    PERSONAL("GET", "/v1/projects/{project_id}/families", projects_families_list, ADM, "read",
             "project", "projects:read"),
    PERSONAL("POST", "/v1/projects/{project_id}/families", projects_families_link, ADM, "create",
             "project", "projects:write"),
    PERSONAL("DELETE", "/v1/projects/{project_id}/families/{family_id}", projects_families_unlink,
             ADM, "delete", "family", "projects:write"),
    RR("GET", "/v1/reports/families", reports_get, REPORTS, "reports:read"),
    RR("GET", "/v1/reports/task-teams", reports_get, REPORTS, "reports:read"),
    RR("GET", "/v1/reports/referrals", reports_get, REPORTS, "reports:read"),
    RR("GET", "/v1/reports/services", reports_get, REPORTS, "reports:read"),
    RR("GET", "/v1/reports/partners", reports_get, REPORTS, "reports:read"),
    RR("GET", "/v1/reports/benefits", reports_get, REPORTS, "reports:read"),

    R("GET", "/v1/events", events_list, ROLES_TENANT, "events:read"),
    R("GET", "/v1/audit-events", audit_list, ROLE_ADMIN | ROLE_AUDITOR | ROLE_PLATFORM_ADMIN,
      "audit:read"),

    CRUDR("GET", "/v1/webhooks", webhook_resource, OP_LIST, ROLE_ADMIN, "webhooks:read"),
    R("POST", "/v1/webhooks", webhooks_create, ROLE_ADMIN, "webhooks:write"),
    CRUDR("GET", "/v1/webhooks/{webhook_id}", webhook_resource, OP_GET, ROLE_ADMIN,
          "webhooks:read"),
    R("PATCH", "/v1/webhooks/{webhook_id}", webhooks_patch, ROLE_ADMIN, "webhooks:write"),
    CRUD("DELETE", "/v1/webhooks/{webhook_id}", webhook_resource, OP_DELETE, ROLE_ADMIN,
         "webhooks:write"),
    RACT("POST", "/v1/webhooks/{webhook_id}/resume", webhooks_resume, ROLE_ADMIN, "webhooks:write",
         "update"),
    CRUDR("GET", "/v1/webhooks/{webhook_id}/deliveries", webhook_delivery_resource, OP_LIST,
          ROLE_ADMIN, "webhooks:read"),
    RACT("POST", "/v1/webhooks/{webhook_id}/deliveries/{event}/redeliver", webhooks_redeliver,
         ROLE_ADMIN, "webhooks:write", "update"),

    {.method = NULL},
};

void koop_api_init(void)
{
    partners_init();
    tenants_init();
    users_init();
    services_init();
    families_init();
    task_teams_init();
    partnership_init();
    reports_init();
    feed_init();
    documents_init();
    public_init();
    webhooks_init();
}
