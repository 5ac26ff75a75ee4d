-- bench/pg_search.sql — pgbench: the database's own cost of GET /v1/services?q=WORD: the services of
-- a tenant whose normalised text contains the word (LIKE koop.contains_pattern on `search`), in
-- order of relevance (word similarity, then id), the first 50 as one jsonb_agg of the API's JSON.
-- Variables: ntenants (rows in bench_tenants), nwords (rows in bench_words).
\set t random(1, :ntenants)
\set w random(1, :nwords)
SELECT jsonb_agg(koop.service_json(s.r) ORDER BY s.rel, (s.r).id)::text
FROM (SELECT t AS r, -word_similarity(q.w, t.search) AS rel
      FROM services t, (SELECT w FROM bench_words WHERE n = :w) AS q
      WHERE t.tenant_id = (SELECT tenant_id FROM bench_tenants WHERE n = :t)
        AND t.search LIKE koop.contains_pattern(q.w)
      ORDER BY rel, t.id LIMIT 50) AS s;
