/* The vocabularies of the API, once (see vocab.h for the contract). */
#include "vocab.h"

#include <stddef.h>

const char *const koop_tenant_kinds[] = {"gmina_miejska",
                                         "gmina_wiejska",
                                         "gmina_miejsko_wiejska",
                                         "powiat",
                                         "miasto_na_prawach_powiatu",
                                         NULL};
/* the Polish names records show (input also takes the TERC code or the name without
 * diacritics: koop.voivodeship_parse in sql/functions/accounts.sql) */
const char *const koop_voivodeships[] = {"dolnośląskie",
                                         "kujawsko-pomorskie",
                                         "lubelskie",
                                         "lubuskie",
                                         "łódzkie",
                                         "małopolskie",
                                         "mazowieckie",
                                         "opolskie",
                                         "podkarpackie",
                                         "podlaskie",
                                         "pomorskie",
                                         "śląskie",
                                         "świętokrzyskie",
                                         "warmińsko-mazurskie",
                                         "wielkopolskie",
                                         "zachodniopomorskie",
                                         NULL};
const char *const koop_roles[] = {"platform_admin", "admin",   "coordinator",      "social_worker",
                                  "partner_staff",  "auditor", "regional_analyst", NULL};
const char *const koop_audit_actions[] = {"read",      "create",       "update",
                                          "delete",    "transition",   "export",
                                          "anonymize", "login_failed", NULL};

const char *const koop_sectors[] = {"social_assistance",
                                    "family_support",
                                    "labour",
                                    "education",
                                    "health",
                                    "addiction",
                                    "crisis_intervention",
                                    "police",
                                    "municipal_guard",
                                    "justice",
                                    "housing",
                                    "ngo",
                                    "culture_sport",
                                    "local_government",
                                    "other",
                                    NULL};
const char *const koop_partner_statuses[] = {"invited",   "declared",  "active",
                                             "suspended", "withdrawn", NULL};

const char *const koop_service_categories[] = {"vocational_activation",
                                               "job_placement",
                                               "training",
                                               "psychological_support",
                                               "addiction_therapy",
                                               "family_assistant",
                                               "legal_advice",
                                               "debt_advice",
                                               "health_care",
                                               "rehabilitation",
                                               "day_support_children",
                                               "education_support",
                                               "housing",
                                               "material_aid",
                                               "crisis_intervention",
                                               "leisure_sport",
                                               "other",
                                               NULL};
const char *const koop_target_groups[] = {"children",
                                          "youth",
                                          "adults",
                                          "seniors",
                                          "families",
                                          "persons_with_disabilities",
                                          "unemployed",
                                          "persons_with_addiction",
                                          "violence_affected",
                                          "homeless",
                                          "carers",
                                          NULL};
const char *const koop_service_statuses[] = {"draft", "active", "suspended", "retired", NULL};
const char *const koop_weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

const char *const koop_family_statuses[] = {"referred",   "diagnosed", "in_support",
                                            "monitoring", "closed",    NULL};
const char *const koop_closure_reasons[] = {
    "goals_achieved", "partially_achieved", "resigned", "moved_out", "other", NULL};
const char *const koop_problem_codes[] = {"unemployment",
                                          "poverty",
                                          "disability",
                                          "long_term_illness",
                                          "care_and_upbringing",
                                          "addiction",
                                          "domestic_violence",
                                          "homelessness",
                                          "housing",
                                          "debt",
                                          "education",
                                          "justice",
                                          "other",
                                          NULL};
const char *const koop_member_relations[] = {"head",       "spouse", "partner",     "child",
                                             "grandchild", "parent", "grandparent", "sibling",
                                             "other",      NULL};
const char *const koop_sexes[] = {"female", "male", NULL};
const char *const koop_consent_scopes[] = {"processing", "sharing_with_team",
                                           "sharing_with_partner", NULL};
const char *const koop_consent_statuses[] = {"active", "withdrawn", "expired", NULL};

const char *const koop_task_team_statuses[] = {"forming", "active", "closed", NULL};
const char *const koop_team_member_kinds[] = {"partner_representative", "social_worker",
                                              "family_member", NULL};
const char *const koop_team_member_roles[] = {"moderator", "member", NULL};
const char *const koop_goal_statuses[] = {"open", "achieved", "partially_achieved", "not_achieved",
                                          NULL};
const char *const koop_action_statuses[] = {"planned",     "referred", "accepted",  "declined",
                                            "in_progress", "on_hold",  "completed", "failed",
                                            "cancelled",   NULL};
const char *const koop_held_from_statuses[] = {"referred", "accepted", "in_progress", NULL};
/* why a referral was declined, failed or cancelled (reason_code of the transition) */
const char *const koop_referral_reasons[] = {
    "client_refused", "no_capacity", "not_eligible", "unable_to_contact", "duplicate",
    "other",          NULL};

const char *const koop_meeting_kinds[] = {"partnership_team", "working_group", "educational",
                                          "ceremony",         "other",         NULL};
const char *const koop_currencies[] = {"PLN", "EUR", NULL};
const char *const koop_indicator_sources[] = {"families_supported", "task_teams_formed",
                                              "referrals_completed", "partners_declared", NULL};

const char *const koop_report_names[] = {"families", "task-teams", "referrals", "services",
                                         "partners", "benefits",   NULL};

const char *const koop_webhook_statuses[] = {"active", "paused", NULL};

const struct koop_vocab koop_vocabs[] = {
    {"tenant_kind", koop_tenant_kinds, "tenants.kind", "TenantKind"},
    {"voivodeship", koop_voivodeships, "tenants.voivodeship", "Voivodeship"},
    {"role", koop_roles, "users.role", "Role"},
    {"audit_action", koop_audit_actions, "audit_events.action", "AuditAction"},
    {"sector", koop_sectors, "partners.sector", "Sector"},
    {"partner_status", koop_partner_statuses, "partners.status", "PartnerStatus"},
    {"service_category", koop_service_categories, "services.category", "ServiceCategory"},
    {"target_group", koop_target_groups, NULL, "TargetGroup"},
    {"service_status", koop_service_statuses, "services.status", "ServiceStatus"},
    {"weekday", koop_weekdays, NULL, "Weekday"},
    {"family_status", koop_family_statuses, "families.status", "FamilyStatus"},
    {"closure_reason", koop_closure_reasons, "families.closure_reason", "ClosureReason"},
    {"problem_code", koop_problem_codes, NULL, "ProblemCode"},
    {"member_relation", koop_member_relations, "family_members.relation", "Relation"},
    {"sex", koop_sexes, "family_members.sex", "Sex"},
    {"consent_scope", koop_consent_scopes, "consents.scope", "ConsentScope"},
    {"consent_status", koop_consent_statuses, NULL, "ConsentStatus"},
    {"task_team_status", koop_task_team_statuses, "task_teams.status", "TaskTeamStatus"},
    {"team_member_kind", koop_team_member_kinds, "team_members.kind", "TeamMemberKind"},
    {"team_member_role", koop_team_member_roles, "team_members.role", "TeamMemberRole"},
    {"goal_status", koop_goal_statuses, "plan_goals.status", "GoalStatus"},
    {"action_status", koop_action_statuses, "plan_actions.status", "ActionStatus"},
    {"held_from", koop_held_from_statuses, "plan_actions.held_from", "Action.held_from"},
    {"referral_reason", koop_referral_reasons, "plan_actions.reason_code", "ReferralReasonCode"},
    {"meeting_kind", koop_meeting_kinds, "meetings.kind", "MeetingKind"},
    {"currency", koop_currencies, "projects.currency", "Currency"},
    {"indicator_source", koop_indicator_sources, NULL, "IndicatorSource"},
    {"report", koop_report_names, NULL, "Report.report"},
    {"webhook_status", koop_webhook_statuses, "webhooks.status", "Webhook.status"},
    {NULL, NULL, NULL, NULL},
};
