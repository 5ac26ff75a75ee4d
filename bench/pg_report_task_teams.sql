-- bench/pg_report_task_teams.sql — pgbench: the SQL of GET /v1/reports/task-teams for the big tenant
-- (koop.report_task_teams for the current calendar year), as the owner, without the daemon.
SELECT koop.report_task_teams(ARRAY[(SELECT tenant_id FROM bench_big)],
                            date_trunc('year', now())::date,
                            (date_trunc('year', now()) + interval '1 year - 1 day')::date)::text;
