-- bench/seed_families.sql — families, their members, and one social worker (with a token) per
-- tenant, for bench/run.sh (cases family_get, referrals, accept), run by psql as the database
-- owner after bench/seed.sql. Variables: families (per tenant).
-- The social worker and its token are made as the CLI makes them (koop.user_create as a platform
-- admin, koop.token_create as the user, in a koop.ctx); families and members are one bulk
-- INSERT ... SELECT each, in the shape the API stores (reference numbers YYYY/NNNN from the
-- tenant's counter, normalised address and problems, members with valid PESELs and `search`).
-- Builds bench_tokens (tenant_id, role, user_id, partner_id, secret) and
-- bench_families (n 1..families in random order, tenant_id, id).
\set ON_ERROR_STOP on

\ir seed_lib.sql

BEGIN;
SELECT count(pg_temp.bench_user(t.id, 'social_worker', 'Bożena Pracownik-Socjalna ' || t.teryt,
                                format('pracownik.socjalny.%s@example.org', t.teryt), NULL))
FROM bench_tenants b0 JOIN tenants t ON t.id = b0.tenant_id
WHERE NOT EXISTS (SELECT 1 FROM bench_tokens b WHERE b.tenant_id = t.id
                                 AND b.role = 'social_worker');
COMMIT;

-- PESEL for a birth date and a 4-digit serial (its last digit: odd male, even female).
CREATE FUNCTION pg_temp.pesel(d date, serial int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    WITH s AS (SELECT to_char(d, 'YY')
                      || lpad((extract(month FROM d)::int
                               + CASE WHEN d >= '2000-01-01' THEN 20 ELSE 0 END)::text, 2, '0')
                      || to_char(d, 'DD') || lpad(serial::text, 4, '0') AS x)
    SELECT x || ((10 - (SELECT sum(substr(x, i, 1)::int * (ARRAY[1,3,7,9,1,3,7,9,1,3])[i])
                        FROM generate_series(1, 10) i) % 10) % 10)::text FROM s
$$;

CREATE TEMP TABLE names (k int PRIMARY KEY, male text, female text, last_m text, last_f text);
INSERT INTO names VALUES
 (0, 'Piotr', 'Anna', 'Kowalski', 'Kowalska'), (1, 'Krzysztof', 'Małgorzata', 'Wiśniewski', 'Wiśniewska'),
 (2, 'Andrzej', 'Katarzyna', 'Wójcik', 'Wójcik'), (3, 'Tomasz', 'Agnieszka', 'Kamiński', 'Kamińska'),
 (4, 'Paweł', 'Joanna', 'Lewandowski', 'Lewandowska'), (5, 'Michał', 'Magdalena', 'Zieliński', 'Zielińska'),
 (6, 'Łukasz', 'Zofia', 'Szymański', 'Szymańska'), (7, 'Grzegorz', 'Jadwiga', 'Woźniak', 'Woźniak'),
 (8, 'Jerzy', 'Łucja', 'Dąbrowski', 'Dąbrowska'), (9, 'Stanisław', 'Żaneta', 'Kozłowski', 'Kozłowska'),
 (10, 'Mateusz', 'Bożena', 'Jankowski', 'Jankowska'), (11, 'Wojciech', 'Elżbieta', 'Mazur', 'Mazur'),
 (12, 'Rafał', 'Grażyna', 'Krawczyk', 'Krawczyk'), (13, 'Zbigniew', 'Teresa', 'Piątek', 'Piątek'),
 (14, 'Sławomir', 'Ewa', 'Grabowski', 'Grabowska'), (15, 'Jacek', 'Urszula', 'Pawłowski', 'Pawłowska'),
 (16, 'Dariusz', 'Halina', 'Michalski', 'Michalska'), (17, 'Marek', 'Dorota', 'Król', 'Król'),
 (18, 'Kazimierz', 'Beata', 'Wieczorek', 'Wieczorek'), (19, 'Bartłomiej', 'Iwona', 'Jabłoński', 'Jabłońska'),
 (20, 'Maciej', 'Danuta', 'Wróbel', 'Wróbel'), (21, 'Adam', 'Renata', 'Nowak', 'Nowak'),
 (22, 'Józef', 'Krystyna', 'Stępień', 'Stępień'), (23, 'Henryk', 'Wiesława', 'Górecki', 'Górecka');

CREATE TEMP TABLE bench_new_families AS
SELECT t.id AS tenant_id, gen_random_uuid() AS id, g AS n,
       coalesce((SELECT last FROM family_counters c WHERE c.tenant_id = t.id
                 AND c.year = extract(year FROM koop.today())), 0) + g AS seq,
       sw.user_id AS worker,
       now() - make_interval(secs => (:families - g) * 3600.0) AS at
FROM bench_tenants b0
JOIN tenants t ON t.id = b0.tenant_id
JOIN bench_tokens sw ON sw.tenant_id = t.id AND sw.role = 'social_worker'
CROSS JOIN generate_series(1, :families) AS g;

INSERT INTO families (tenant_id, id, reference_number, district, address, status,
                      assigned_worker_id, external_ref, problems, generations, closure_reason,
                      closed_on, created_at, updated_at)
SELECT f.tenant_id, f.id, format('%s/%s', extract(year FROM koop.today()), lpad(f.seq::text, 4, '0')),
       (ARRAY['Śródmieście', 'Ligota-Panewniki', 'Bogucice', 'Załęże', 'Szopienice-Burowiec',
              'Giszowiec', 'Nikiszowiec', 'Dąbrówka Mała', 'Piotrowice-Ochojec', 'Zawodzie'])[1 + f.n % 10],
       jsonb_build_object('street', (ARRAY['ul. Mariacka', 'ul. Gliwicka', 'ul. Żelazna',
                                           'ul. Wróblewskiego', 'ul. Ścigały'])[1 + f.n % 5],
                          'building', format('%s/%s', 1 + f.n % 60, 1 + f.n % 12),
                          'postal_code', '40-0' || lpad((f.n % 90 + 10)::text, 2, '0'),
                          'city', 'Katowice'),
       CASE WHEN f.n % 20 = 0 THEN 'closed' ELSE (ARRAY['referred', 'diagnosed', 'in_support',
            'in_support', 'monitoring'])[1 + f.n % 5] END,
       f.worker, CASE WHEN f.n % 3 = 0 THEN format('OPS/%s/%s', f.n, extract(year FROM koop.today())) END,
       (SELECT jsonb_agg(jsonb_build_object('code', c, 'notes',
                CASE WHEN c = 'addiction' THEN 'Uzależnienie od alkoholu — ojciec; deklaruje podjęcie terapii.'
                     WHEN c = 'unemployment' THEN 'Oboje rodzice bez pracy od ponad roku.' END) ORDER BY o)
        FROM unnest((ARRAY['unemployment', 'poverty', 'disability', 'long_term_illness',
                           'care_and_upbringing', 'addiction', 'domestic_violence', 'homelessness',
                           'housing', 'debt', 'education', 'justice', 'other'])[1 + f.n % 13 : 1 + f.n % 13]
                    || (ARRAY['unemployment', 'poverty', 'disability', 'long_term_illness',
                           'care_and_upbringing', 'addiction', 'domestic_violence', 'homelessness',
                           'housing', 'debt', 'education', 'justice', 'other'])[1 + (f.n % 13 + 1 + f.n % 11) % 13 : 1 + (f.n % 13 + 1 + f.n % 11) % 13])
             WITH ORDINALITY AS x(c, o)),
       2 + f.n % 2,
       CASE WHEN f.n % 20 = 0 THEN 'goals_achieved' END,
       CASE WHEN f.n % 20 = 0 THEN (f.at AT TIME ZONE 'Europe/Warsaw')::date END,
       f.at, f.at
FROM bench_new_families f;

INSERT INTO family_counters (tenant_id, year, last)
SELECT tenant_id, extract(year FROM koop.today()), max(seq) FROM bench_new_families GROUP BY tenant_id
ON CONFLICT (tenant_id, year) DO UPDATE SET last = excluded.last;

-- three members: the head, a spouse or partner, a child (PESELs unique per tenant while
-- families <= 1000)
INSERT INTO family_members (tenant_id, id, family_id, first_name, last_name, birth_date, birth_year,
                            pesel, sex, relation, generation, search, created_at, updated_at)
SELECT f.tenant_id, gen_random_uuid(), f.id, m.first, m.last, m.born, extract(year FROM m.born),
       pg_temp.pesel(m.born, (f.n % 1000) * 10 + m.serial), m.sex, m.relation, m.generation,
       koop.norm(m.first || ' ' || m.last), f.at, f.at
FROM bench_new_families f
JOIN names nm ON nm.k = f.n % 24
CROSS JOIN LATERAL (VALUES
    (CASE WHEN f.n % 2 = 0 THEN nm.male ELSE nm.female END,
     CASE WHEN f.n % 2 = 0 THEN nm.last_m ELSE nm.last_f END,
     date '1965-01-01' + (f.n * 37) % 9000, CASE WHEN f.n % 2 = 0 THEN 'male' ELSE 'female' END,
     CASE WHEN f.n % 2 = 0 THEN 1 ELSE 0 END, 'head', 2),
    (CASE WHEN f.n % 2 = 0 THEN nm.female ELSE nm.male END,
     CASE WHEN f.n % 2 = 0 THEN nm.last_f ELSE nm.last_m END,
     date '1966-06-01' + (f.n * 41) % 8000, CASE WHEN f.n % 2 = 0 THEN 'female' ELSE 'male' END,
     CASE WHEN f.n % 2 = 0 THEN 2 ELSE 3 END, CASE WHEN f.n % 4 = 1 THEN 'partner' ELSE 'spouse' END, 2),
    ((SELECT CASE WHEN f.n % 3 = 0 THEN male ELSE female END FROM names WHERE k = (f.n + 7) % 24),
     CASE WHEN f.n % 3 = 0 THEN nm.last_m ELSE nm.last_f END,
     date '2008-01-01' + (f.n * 53) % 4500, CASE WHEN f.n % 3 = 0 THEN 'male' ELSE 'female' END,
     CASE WHEN f.n % 3 = 0 THEN 5 ELSE 4 END, 'child', 3)
) AS m(first, last, born, sex, serial, relation, generation);

CREATE TABLE IF NOT EXISTS bench_families (n int PRIMARY KEY, tenant_id uuid, id uuid);
INSERT INTO bench_families
SELECT (SELECT count(*) FROM bench_families) + row_number() OVER (ORDER BY random()), tenant_id, id
FROM bench_new_families;

VACUUM ANALYZE families;
VACUUM ANALYZE family_members;
ANALYZE bench_families;
