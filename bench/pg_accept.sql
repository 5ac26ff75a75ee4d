-- bench/pg_accept.sql — pgbench: an UPDATE of the row an accept changes (status, accepted_at,
-- version, updated_at of the referral), committed on its own, returning the API's JSON; on
-- referrals that only pgbench touches (bench_referrals slice -1). The API's accept does more in
-- its transaction (locks, the team's plan version, the service's capacity, two events, audit).
-- Variables: npgref (rows of slice -1, numbered n 1..npgref).
\set n random(1, :npgref)
UPDATE plan_actions a SET status = 'accepted', accepted_at = now(), version = a.version + 1,
       updated_at = now()
FROM bench_referrals b
WHERE b.n = :n AND a.tenant_id = b.tenant_id AND a.id = b.id
RETURNING koop.action_json(a)::text;
