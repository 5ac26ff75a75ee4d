/* The resources of the API: their handlers, registered in the route table of
 * api/routes.c. Each file in api/ owns one resource (or a small family). */
#ifndef KOOP_API_H
#define KOOP_API_H

#include "../server/resource.h"
#include "../server/router.h"
#include "../server/jobs.h"

extern const struct koop_route koop_api_routes[];
/* the periodic jobs (server/jobs.h), NULL-terminated: task_teams.c */
extern const struct koop_job koop_api_jobs[];

/* Registers every resource's prepared statements (call once at start-up). */
void koop_api_init(void);

/* partners.c: /v1/partners and its agreements and benefits */
void partners_init(void);
extern const struct koop_resource partner_resource, agreement_resource, benefit_resource;

/* tenants.c: /v1/tenants (platform admin) */
void tenants_init(void);
int settings_get(struct kreq *req, struct kres *res);
int settings_patch(struct kreq *req, struct kres *res);
extern const struct koop_resource tenant_resource;

/* users.c: /v1/users, /v1/tenants/{id}/users, /v1/me, tokens */
void users_init(void);
extern const struct koop_resource user_resource;
int me_get(struct kreq *req, struct kres *res);
int tokens_list(struct kreq *req, struct kres *res);
int tokens_create(struct kreq *req, struct kres *res);
int tenant_admin_create(struct kreq *req, struct kres *res);
int tokens_delete(struct kreq *req, struct kres *res);

/* services.c: /v1/services, the basket */
void services_init(void);
extern const struct koop_resource service_resource;
int services_capacity(struct kreq *req, struct kres *res);
int services_hsds(struct kreq *req, struct kres *res);
int services_import(struct kreq *req, struct kres *res);

/* families.c: families, members, consents, GDPR export and anonymisation */
void families_init(void);
extern const struct koop_resource family_resource, member_resource, consent_resource;
int members_create(struct kreq *req, struct kres *res);
int members_patch(struct kreq *req, struct kres *res);
int consents_withdraw(struct kreq *req, struct kres *res);
int families_export(struct kreq *req, struct kres *res);
int families_anonymize(struct kreq *req, struct kres *res);

/* task_teams.c: task teams, their plan, referrals */
void task_teams_init(void);
extern const struct koop_resource task_team_resource, team_member_resource, team_meeting_resource,
    goal_resource, action_resource, referral_resource;
int task_teams_agree(struct kreq *req, struct kres *res);
int task_teams_timeline(struct kreq *req, struct kres *res);

/* partnership.c: partnership meetings, projects and indicators */
void partnership_init(void);
extern const struct koop_resource meeting_resource, project_resource;
int projects_indicators(struct kreq *req, struct kres *res);
int projects_families_list(struct kreq *req, struct kres *res);
int projects_families_link(struct kreq *req, struct kres *res);
int projects_families_unlink(struct kreq *req, struct kres *res);

/* reports.c: /v1/reports/... */
void reports_init(void);
int reports_get(struct kreq *req, struct kres *res);

/* feed.c: /v1/events and /v1/audit-events */
void feed_init(void);
int events_list(struct kreq *req, struct kres *res);
int audit_list(struct kreq *req, struct kres *res);

/* documents.c: printable documents (PDF or JSON) */
void documents_init(void);
int documents_certificate(struct kreq *req, struct kres *res);
int documents_plan(struct kreq *req, struct kres *res);
int documents_team_protocol(struct kreq *req, struct kres *res);
int documents_minutes(struct kreq *req, struct kres *res);

/* public.c: the keyless public basket (/public/v1/{teryt}/...) */
void public_init(void);
int public_services_list(struct kreq *req, struct kres *res);
int public_services_get(struct kreq *req, struct kres *res);
int public_hsds(struct kreq *req, struct kres *res);

/* webhooks.c: /v1/webhooks, subscriptions and their delivery log */
void webhooks_init(void);
extern const struct koop_resource webhook_resource, webhook_delivery_resource;
int webhooks_create(struct kreq *req, struct kres *res);
int webhooks_patch(struct kreq *req, struct kres *res);
int webhooks_resume(struct kreq *req, struct kres *res);
int webhooks_redeliver(struct kreq *req, struct kres *res);

#endif
