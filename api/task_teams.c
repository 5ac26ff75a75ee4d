/* Task teams (ZZK), their plan and closed-loop referrals (SPEC §5 Task teams,
 * Referrals; §6; §7; §9):
 *   GET|POST /v1/task-teams, GET|PATCH /v1/task-teams/{team_id}, POST .../transitions
 *   .../members[/{team_member_id}]   partner representatives, social workers, family members
 *   .../meetings[/{meeting_id}]      the team's meetings
 *   .../goals[/{goal_id}], .../goals/{goal_id}/transitions
 *   .../actions[/{action_id}], .../actions/{action_id}/transitions    moderators' side
 *   POST .../plan/agree              the family's agreement to the plan (its version)
 *   GET  .../timeline                meetings, plan changes, referral moves in order
 *   GET /v1/referrals, GET /v1/referrals/{referral_id}, POST .../transitions   partner's side
 * SQL: sql/functions/task_teams.sql. */
#include "api.h"
#include "vocab.h"

#include "../server/db.h"
#include "../server/problem.h"

static const struct fs_field uuid_item = {.type = FS_UUID};

static const struct fs_field team_fields[] = {
    {.name = "family_id", .type = FS_UUID, .flags = FS_REQUIRED},
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "moderator_id", .type = FS_UUID, .flags = FS_NULLABLE},
    /* historic data: when the team was really formed (not in the future, Europe/Warsaw);
     * absent, the day of activation */
    {.name = "formed_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "review_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = NULL}};
/* formed_on stays read-only once created: activation and the plan's history refer to it */
static const struct fs_field team_patch_fields[] = {
    {.name = "name", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 200},
    {.name = "moderator_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "review_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "family_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "formed_on", .type = FS_DATE, .flags = FS_READONLY},
    {.name = "closed_on", .type = FS_DATE, .flags = FS_READONLY},
    {.name = "plan_version", .type = FS_INT, .flags = FS_READONLY},
    {.name = "plan_agreed_on", .type = FS_DATE, .flags = FS_READONLY},
    {.name = "agreed_by_member_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "agreed_plan_version", .type = FS_INT, .flags = FS_READONLY},
    {.name = NULL}};
static const struct koop_filter team_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_task_team_statuses},
     "t.status = $1->>'status'"},
    {{.name = "family_id", .type = FS_UUID}, "t.family_id = ($1->>'family_id')::uuid"},
    {{.name = "moderator_id", .type = FS_UUID}, "t.moderator_id = ($1->>'moderator_id')::uuid"},
    /* open teams whose plan review is due before the date (task_teams_review) */
    {{.name = "review_due_before", .type = FS_DATE},
     "t.status <> 'closed' AND t.review_on < ($1->>'review_due_before')::date"},
    {{.name = "partner_id", .type = FS_UUID},
     "EXISTS (SELECT 1 FROM team_members m WHERE m.tenant_id = t.tenant_id"
     " AND m.team_id = t.id AND m.partner_id = ($1->>'partner_id')::uuid)"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};
static const struct koop_sort team_sorts[] = {KOOP_SORT_CREATED_AT, KOOP_SORT_UPDATED_AT, {0}};
static const struct koop_list team_list = {.from = "task_teams",
                                           .json = "koop.task_team_json(t)",
                                           .where = "koop.team_visible(t)",
                                           .audit = "task_team"};

/* SQL (sql/functions/task_teams.sql): koop.task_team_create, koop.task_team_get,
 * koop.task_team_patch, koop.task_team_transition */
const struct koop_resource task_team_resource = {
    .name = "task_team",
    .fields = team_fields,
    .patch_fields = team_patch_fields,
    .filters = team_filters,
    .sorts = team_sorts,
    .list = &team_list,
    .states = koop_task_team_statuses,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) |
           OP_BIT(OP_TRANSITION),
};

/* ---- members of the team ---- */

static const struct fs_field team_member_fields[] = {
    {.name = "kind", .type = FS_ENUM, .flags = FS_REQUIRED, .values = koop_team_member_kinds},
    {.name = "partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "person_name", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "user_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "member_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "role", .type = FS_ENUM, .values = koop_team_member_roles},
    {.name = "joined_on", .type = FS_DATE},
    {.name = NULL}};
static const struct fs_field team_member_patch_fields[] = {
    {.name = "person_name", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "role", .type = FS_ENUM, .values = koop_team_member_roles},
    {.name = "left_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = NULL}};
static const struct koop_filter team_member_filters[] = {
    {{.name = "current", .type = FS_BOOL}, "(t.left_on IS NULL) = ($1->>'current')::boolean"},
    {{.name = NULL}}};
static const struct koop_sort created_sorts[] = {KOOP_SORT_CREATED_AT, {0}};
/* the lists below the team: 404 unless the caller sees the team */
#define TEAM_LIST(table, json_fn, resource)                                                        \
    {                                                                                              \
        .from = table, .json = json_fn "(t)", .where = "t.team_id = $4",                           \
        .check = "koop.team_must_see($4)", .audit = resource                                       \
    }
static const struct koop_list team_member_list =
    TEAM_LIST("team_members", "koop.team_member_json", "team_member");

/* SQL (sql/functions/task_teams.sql): koop.team_member_create, koop.team_member_get,
 * koop.team_member_patch */
const struct koop_resource team_member_resource = {
    .name = "team_member",
    .fields = team_member_fields,
    .patch_fields = team_member_patch_fields,
    .filters = team_member_filters,
    .sorts = created_sorts,
    .list = &team_member_list,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH),
};

/* ---- meetings of the team ---- */

static const struct fs_field meeting_fields[] = {
    {.name = "held_on", .type = FS_DATE, .flags = FS_REQUIRED},
    {.name = "place", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "attendee_ids", .type = FS_ARRAY, .max = 50, .item = &uuid_item},
    {.name = "agenda", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 4000},
    {.name = "decisions", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 8000},
    {.name = "next_meeting_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "team_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = NULL}};
static const struct koop_sort meeting_sorts[] = {
    KOOP_SORT_CREATED_AT, KOOP_SORT("held_on", "t.held_on", "date"), {0}};
/* partner staff: the meetings their partner's representative attended */
static const struct koop_list team_meeting_list = {.from = "team_meetings",
                                                   .json = "koop.team_meeting_json(t)",
                                                   .where =
                                                       "t.team_id = $4 AND koop.meeting_seen(t)",
                                                   .check = "koop.team_must_see($4)",
                                                   .audit = "team_meeting"};

/* SQL (sql/functions/task_teams.sql): koop.team_meeting_create, koop.team_meeting_get,
 * koop.team_meeting_patch, koop.team_meeting_delete */
const struct koop_resource team_meeting_resource = {
    .name = "team_meeting",
    .fields = meeting_fields,
    .sorts = meeting_sorts,
    .list = &team_meeting_list,
    .ops = OPS_CRUD,
};

/* ---- the plan: goals ---- */

static const struct fs_field goal_fields[] = {
    {.name = "description", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 2000},
    {.name = "measure", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 1000},
    {.name = "target_date", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "team_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = NULL}};
static const struct koop_filter goal_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_goal_statuses}, "t.status = $1->>'status'"},
    {{.name = NULL}}};
static const struct koop_list goal_list = TEAM_LIST("plan_goals", "koop.goal_json", "goal");

/* SQL (sql/functions/task_teams.sql): koop.goal_create, koop.goal_get, koop.goal_patch,
 * koop.goal_transition */
const struct koop_resource goal_resource = {
    .name = "goal",
    .fields = goal_fields,
    .filters = goal_filters,
    .sorts = created_sorts,
    .list = &goal_list,
    .states = koop_goal_statuses,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) |
           OP_BIT(OP_TRANSITION),
};

/* ---- the plan: actions (and referrals) ---- */

static const struct fs_field action_fields[] = {
    {.name = "goal_id", .type = FS_UUID, .flags = FS_REQUIRED},
    {.name = "description", .type = FS_STRING, .flags = FS_REQUIRED, .min = 1, .max = 2000},
    {.name = "service_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "partner_id", .type = FS_UUID, .flags = FS_NULLABLE},
    {.name = "member_ids", .type = FS_ARRAY, .max = 20, .item = &uuid_item},
    {.name = "due_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = "team_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "family_id", .type = FS_UUID, .flags = FS_READONLY},
    {.name = "held_from", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "status_reason", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "reason_code", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "overdue", .type = FS_BOOL, .flags = FS_READONLY},
    {.name = "outcome", .type = FS_STRING, .flags = FS_READONLY},
    {.name = "capacity_warning", .type = FS_BOOL, .flags = FS_READONLY},
    {.name = "referred_at", .type = FS_DATETIME, .flags = FS_READONLY},
    {.name = "accepted_at", .type = FS_DATETIME, .flags = FS_READONLY},
    {.name = "completed_at", .type = FS_DATETIME, .flags = FS_READONLY},
    {.name = NULL}};
static const struct koop_filter action_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_action_statuses},
     "t.status = $1->>'status'"},
    {{.name = "goal_id", .type = FS_UUID}, "t.goal_id = ($1->>'goal_id')::uuid"},
    {{.name = "overdue", .type = FS_BOOL}, "koop.referral_overdue(t) = ($1->>'overdue')::boolean"},
    {{.name = NULL}}};
/* declined, failed and cancelled referrals name why (koop.action_move requires it) */
static const struct fs_field action_transition_fields[] = {
    {.name = "reason_code", .type = FS_ENUM, .values = koop_referral_reasons}, {.name = NULL}};
static const struct koop_sort action_sorts[] = {KOOP_SORT_CREATED_AT, KOOP_SORT_UPDATED_AT, {0}};
/* partner staff: their own partner's actions only */
static const struct koop_list action_list = {.from = "plan_actions",
                                             .json = "koop.action_json(t)",
                                             .where = "t.team_id = $4 AND koop.action_seen(t)",
                                             .check = "koop.team_must_see($4)",
                                             .audit = "action"};

/* SQL (sql/functions/task_teams.sql): koop.action_create, koop.action_get, koop.action_patch,
 * koop.action_transition */
const struct koop_resource action_resource = {
    .name = "action",
    .fields = action_fields,
    .filters = action_filters,
    .sorts = action_sorts,
    .list = &action_list,
    .states = koop_action_statuses,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_CREATE) | OP_BIT(OP_GET) | OP_BIT(OP_PATCH) |
           OP_BIT(OP_TRANSITION),
    .transition_outcome = true,
    .transition_fields = action_transition_fields,
};

static const struct koop_filter referral_filters[] = {
    {{.name = "status", .type = FS_ENUM, .values = koop_action_statuses},
     "t.status = $1->>'status'"},
    {{.name = "overdue", .type = FS_BOOL}, "koop.referral_overdue(t) = ($1->>'overdue')::boolean"},
    KOOP_FILTER_UPDATED_SINCE,
    {{.name = NULL}}};
static const struct koop_sort referral_sorts[] = {
    KOOP_SORT_DESC_FIRST("updated_at", "t.updated_at", "timestamptz"), KOOP_SORT_CREATED_AT, {0}};
/* the indexable conditions first (plan_actions_partner), visibility per row
 * after; a partner's staff page over their partner's rows of that index */
static const struct koop_list referral_list = {
    .from = "plan_actions",
    .json = "koop.action_json(t)",
    .where = "t.service_id IS NOT NULL AND t.referred_at IS NOT NULL AND koop.referral_visible(t)",
    .where_roles = ROLE_PARTNER_STAFF,
    .role_where = "t.partner_id = koop.partner()",
    /* koop.referral_visible for partner staff, as a semi-join on the teams they may see */
    .role_base = "t.service_id IS NOT NULL AND t.referred_at IS NOT NULL "
                 "AND t.team_id IN (SELECT p.team_id FROM koop.partner_teams() p)",
    .audit = "referral"};

/* SQL (sql/functions/task_teams.sql): koop.referral_get, koop.referral_transition */
const struct koop_resource referral_resource = {
    .name = "referral",
    .fields = action_fields,
    .filters = referral_filters,
    .sorts = referral_sorts,
    .list = &referral_list,
    .states = koop_action_statuses,
    .ops = OP_BIT(OP_LIST) | OP_BIT(OP_GET) | OP_BIT(OP_TRANSITION),
    .transition_outcome = true,
    .transition_fields = action_transition_fields,
};

/* ---- plan agreement, timeline ---- */

static const struct fs_field agree_fields[] = {
    {.name = "member_id", .type = FS_UUID, .flags = FS_REQUIRED},
    {.name = "review_on", .type = FS_DATE, .flags = FS_NULLABLE},
    {.name = NULL}};

int task_teams_agree(struct kreq *req, struct kres *res)
{
    if (!req->json)
        return koop_fail_field(res, "body", "body", "required", "a JSON object body is required");
    json_t *errors = json_array();
    if (!fs_validate(agree_fields, req->json, FS_CREATE, "", errors))
        return koop_fail_errors(res, errors);
    json_decref(errors);
    const char *v[] = {koop_param(req, "team_id"),
                       json_string_value(json_object_get(req->json, "member_id")),
                       json_string_value(json_object_get(req->json, "review_on"))};
    koop_res_one(req, res, "koop_plan_agree", 3, v, 200);
    return 0;
}

int task_teams_timeline(struct kreq *req, struct kres *res)
{
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[] = {koop_param(req, "team_id")};
    koop_res_one(req, res, "koop_team_timeline", 1, v, 200);
    return 0;
}

/* ---- the periodic job: overdue referrals, plan reviews due (koop.casework_tick) ---- */

/* (and the 24 h expiry of stored idempotent responses, koop.idem_expire) */
const struct koop_job koop_api_jobs[] = {{"casework", "SELECT koop.casework_tick()"},
                                         {"idempotency_expiry", "SELECT koop.idem_expire()"},
                                         {"consent_expiry", "SELECT koop.consent_expiry_tick()"},
                                         {"retention", "SELECT koop.retention_tick()"},
                                         /* folds the report aggregates' deltas (reports.sql) */
                                         {"report_fold", "SELECT koop.report_fold()"},
                                         {NULL, NULL}};

void task_teams_init(void)
{
    koop_resource_register(&task_team_resource);
    koop_resource_register(&team_member_resource);
    koop_resource_register(&team_meeting_resource);
    koop_resource_register(&goal_resource);
    koop_resource_register(&action_resource);
    koop_resource_register(&referral_resource);
    db_register(
        "koop_plan_agree",
        "SELECT r->>'version', r::text FROM koop.plan_agree($1::uuid, $2::uuid, $3::date) r");
    db_register("koop_team_timeline", "SELECT NULL, koop.team_timeline($1::uuid)::text");
}
