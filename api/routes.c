/* The route table: every path the service answers, its method, who may call
 * it and what handles it. 404 and 405 follow from this table (server/router.c),
 * and a test compares it with openapi.yaml (`kooperd routes`). */
#include "api.h"

#include "../server/service.h"

#define ADM (ROLE_ADMIN | ROLE_COORDINATOR)
#define R(m, p, h, roles)                                                                          \
    {                                                                                              \
        m, p, h, roles, 0, NULL, OP_NONE                                                           \
    }
#define PUBLIC(p, h)                                                                               \
    {                                                                                              \
        "GET", p, h, 0, RT_NOAUTH, NULL, OP_NONE                                                   \
    }
#define CRUD(m, p, res, op, roles)                                                                 \
    {                                                                                              \
        m, p, NULL, roles, 0, &res, op                                                             \
    }
/* family data: refused roles are audited */
#define FAM(m, p, res, op, roles)                                                                  \
    {                                                                                              \
        m, p, NULL, roles, RT_PERSONAL, &res, op                                                   \
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

    R("GET", "/v1/me", me_get, ROLES_ANY),

    CRUD("GET", "/v1/tenants", tenant_resource, OP_LIST, ROLE_PLATFORM_ADMIN),
    CRUD("POST", "/v1/tenants", tenant_resource, OP_CREATE, ROLE_PLATFORM_ADMIN),
    CRUD("GET", "/v1/tenants/{tenant_id}", tenant_resource, OP_GET, ROLE_PLATFORM_ADMIN),
    {"PATCH", "/v1/tenants/{tenant_id}", NULL, ROLE_PLATFORM_ADMIN, RT_AUTH_CHANGE,
     &tenant_resource, OP_PATCH},
    CRUD("POST", "/v1/tenants/{tenant_id}/users", user_resource, OP_CREATE, ROLE_PLATFORM_ADMIN),

    CRUD("GET", "/v1/users", user_resource, OP_LIST, ROLE_ADMIN | ROLE_PLATFORM_ADMIN),
    CRUD("POST", "/v1/users", user_resource, OP_CREATE, ROLE_ADMIN | ROLE_PLATFORM_ADMIN),
    CRUD("GET", "/v1/users/{user_id}", user_resource, OP_GET, ROLE_ADMIN | ROLE_PLATFORM_ADMIN),
    {"PATCH", "/v1/users/{user_id}", NULL, ROLE_ADMIN | ROLE_PLATFORM_ADMIN, RT_AUTH_CHANGE,
     &user_resource, OP_PATCH},
    R("GET", "/v1/users/{user_id}/tokens", tokens_list, ROLES_ANY),
    R("POST", "/v1/users/{user_id}/tokens", tokens_create, ROLES_ANY),
    {"DELETE", "/v1/users/{user_id}/tokens/{token_id}", tokens_delete, ROLES_ANY, RT_AUTH_CHANGE,
     NULL, OP_NONE},

    CRUD("GET", "/v1/partners", partner_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/partners", partner_resource, OP_CREATE, ADM),
    CRUD("GET", "/v1/partners/{partner_id}", partner_resource, OP_GET, ROLES_TENANT),
    CRUD("PATCH", "/v1/partners/{partner_id}", partner_resource, OP_PATCH,
         ADM | ROLE_PARTNER_STAFF),
    CRUD("DELETE", "/v1/partners/{partner_id}", partner_resource, OP_DELETE, ADM),
    CRUD("POST", "/v1/partners/{partner_id}/transitions", partner_resource, OP_TRANSITION, ADM),
    CRUD("GET", "/v1/partners/{partner_id}/agreements", agreement_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/partners/{partner_id}/agreements", agreement_resource, OP_CREATE, ADM),
    CRUD("GET", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource, OP_GET,
         ROLES_TENANT),
    CRUD("PATCH", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource,
         OP_PATCH, ADM),
    CRUD("DELETE", "/v1/partners/{partner_id}/agreements/{agreement_id}", agreement_resource,
         OP_DELETE, ADM),
    CRUD("GET", "/v1/partners/{partner_id}/benefits", benefit_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/partners/{partner_id}/benefits", benefit_resource, OP_CREATE, ADM),
    CRUD("GET", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_GET,
         ROLES_TENANT),
    CRUD("PATCH", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_PATCH,
         ADM),
    CRUD("DELETE", "/v1/partners/{partner_id}/benefits/{benefit_id}", benefit_resource, OP_DELETE,
         ADM),

    CRUD("GET", "/v1/services", service_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/services", service_resource, OP_CREATE, ADM | ROLE_PARTNER_STAFF),
    R("GET", "/v1/services/export/hsds", services_hsds, ROLES_TENANT),
    {"POST", "/v1/services/import", services_import, ADM, RT_RAWBODY, NULL, OP_NONE},
    CRUD("GET", "/v1/services/{service_id}", service_resource, OP_GET, ROLES_TENANT),
    CRUD("PATCH", "/v1/services/{service_id}", service_resource, OP_PATCH,
         ADM | ROLE_PARTNER_STAFF),
    CRUD("DELETE", "/v1/services/{service_id}", service_resource, OP_DELETE, ADM),
    CRUD("POST", "/v1/services/{service_id}/transitions", service_resource, OP_TRANSITION,
         ADM | ROLE_PARTNER_STAFF),
    R("PATCH", "/v1/services/{service_id}/capacity", services_capacity, ADM | ROLE_PARTNER_STAFF),

    FAM("GET", "/v1/families", family_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/families", family_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/families/{family_id}", family_resource, OP_GET, FAM_READ),
    FAM("PATCH", "/v1/families/{family_id}", family_resource, OP_PATCH, FAM_WRITE),
    FAM("POST", "/v1/families/{family_id}/transitions", family_resource, OP_TRANSITION, FAM_WRITE),
    FAM("GET", "/v1/families/{family_id}/members", member_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/families/{family_id}/members", member_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/families/{family_id}/members/{member_id}", member_resource, OP_GET, FAM_READ),
    FAM("PATCH", "/v1/families/{family_id}/members/{member_id}", member_resource, OP_PATCH,
        FAM_WRITE),
    FAM("DELETE", "/v1/families/{family_id}/members/{member_id}", member_resource, OP_DELETE,
        FAM_WRITE),
    FAM("GET", "/v1/families/{family_id}/consents", consent_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/families/{family_id}/consents", consent_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/families/{family_id}/consents/{consent_id}", consent_resource, OP_GET,
        FAM_READ),
    {"POST", "/v1/families/{family_id}/consents/{consent_id}/withdraw", consents_withdraw,
     FAM_WRITE, RT_PERSONAL, NULL, OP_NONE},
    {"GET", "/v1/families/{family_id}/export", families_export, ADM, RT_PERSONAL, NULL, OP_NONE},
    {"POST", "/v1/families/{family_id}/anonymize", families_anonymize, ROLE_ADMIN, RT_PERSONAL,
     NULL, OP_NONE},

    FAM("GET", "/v1/task-teams", task_team_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/task-teams", task_team_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}", task_team_resource, OP_GET, FAM_READ),
    FAM("PATCH", "/v1/task-teams/{team_id}", task_team_resource, OP_PATCH, FAM_WRITE),
    FAM("POST", "/v1/task-teams/{team_id}/transitions", task_team_resource, OP_TRANSITION,
        FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/members", team_member_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/task-teams/{team_id}/members", team_member_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/members/{team_member_id}", team_member_resource, OP_GET,
        FAM_READ),
    FAM("PATCH", "/v1/task-teams/{team_id}/members/{team_member_id}", team_member_resource,
        OP_PATCH, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/meetings", team_meeting_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/task-teams/{team_id}/meetings", team_meeting_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource, OP_GET,
        FAM_READ),
    FAM("PATCH", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource, OP_PATCH,
        FAM_WRITE),
    FAM("DELETE", "/v1/task-teams/{team_id}/meetings/{meeting_id}", team_meeting_resource,
        OP_DELETE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/goals", goal_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/task-teams/{team_id}/goals", goal_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/goals/{goal_id}", goal_resource, OP_GET, FAM_READ),
    FAM("PATCH", "/v1/task-teams/{team_id}/goals/{goal_id}", goal_resource, OP_PATCH, FAM_WRITE),
    FAM("POST", "/v1/task-teams/{team_id}/goals/{goal_id}/transitions", goal_resource,
        OP_TRANSITION, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/actions", action_resource, OP_LIST, FAM_READ),
    FAM("POST", "/v1/task-teams/{team_id}/actions", action_resource, OP_CREATE, FAM_WRITE),
    FAM("GET", "/v1/task-teams/{team_id}/actions/{action_id}", action_resource, OP_GET, FAM_READ),
    FAM("PATCH", "/v1/task-teams/{team_id}/actions/{action_id}", action_resource, OP_PATCH,
        FAM_WRITE),
    FAM("POST", "/v1/task-teams/{team_id}/actions/{action_id}/transitions", action_resource,
        OP_TRANSITION, FAM_WRITE),
    {"POST", "/v1/task-teams/{team_id}/plan/agree", task_teams_agree, FAM_WRITE, RT_PERSONAL, NULL,
     OP_NONE},
    {"GET", "/v1/task-teams/{team_id}/timeline", task_teams_timeline, FAM_READ, RT_PERSONAL, NULL,
     OP_NONE},
    FAM("GET", "/v1/referrals", referral_resource, OP_LIST, FAM_READ),
    FAM("GET", "/v1/referrals/{referral_id}", referral_resource, OP_GET, FAM_READ),
    FAM("POST", "/v1/referrals/{referral_id}/transitions", referral_resource, OP_TRANSITION,
        ROLE_PARTNER_STAFF),

    CRUD("GET", "/v1/meetings", meeting_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/meetings", meeting_resource, OP_CREATE, ADM),
    CRUD("GET", "/v1/meetings/{meeting_id}", meeting_resource, OP_GET, ROLES_TENANT),
    CRUD("PATCH", "/v1/meetings/{meeting_id}", meeting_resource, OP_PATCH, ADM),
    CRUD("DELETE", "/v1/meetings/{meeting_id}", meeting_resource, OP_DELETE, ADM),
    CRUD("GET", "/v1/projects", project_resource, OP_LIST, ROLES_TENANT),
    CRUD("POST", "/v1/projects", project_resource, OP_CREATE, ADM),
    CRUD("GET", "/v1/projects/{project_id}", project_resource, OP_GET, ROLES_TENANT),
    CRUD("PATCH", "/v1/projects/{project_id}", project_resource, OP_PATCH, ADM),
    CRUD("DELETE", "/v1/projects/{project_id}", project_resource, OP_DELETE, ADM),
    R("GET", "/v1/projects/{project_id}/indicators", projects_indicators, ROLES_TENANT),
    {"GET", "/v1/projects/{project_id}/families", projects_families_list, ADM, RT_PERSONAL, NULL,
     OP_NONE},
    {"POST", "/v1/projects/{project_id}/families", projects_families_link, ADM, RT_PERSONAL, NULL,
     OP_NONE},
    {"DELETE", "/v1/projects/{project_id}/families/{family_id}", projects_families_unlink, ADM,
     RT_PERSONAL, NULL, OP_NONE},
    R("GET", "/v1/reports/families", reports_get, REPORTS),
    R("GET", "/v1/reports/task-teams", reports_get, REPORTS),
    R("GET", "/v1/reports/referrals", reports_get, REPORTS),
    R("GET", "/v1/reports/services", reports_get, REPORTS),
    R("GET", "/v1/reports/partners", reports_get, REPORTS),
    R("GET", "/v1/reports/benefits", reports_get, REPORTS),

    R("GET", "/v1/events", events_list, ROLES_TENANT),
    R("GET", "/v1/audit-events", audit_list, ROLE_ADMIN | ROLE_AUDITOR),

    {NULL, NULL, NULL, 0, 0, NULL, OP_NONE},
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
}
