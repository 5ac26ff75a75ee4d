-- bench/seed_services.sql — the local basket of services for bench/run.sh (cases search, referrals,
-- accept, reports), run by psql as the database owner after bench/seed.sql. Variables:
-- services (per tenant). Every tenant gets that many services spread over its partners, with
-- Polish names and descriptions (diacritics included), a spread of categories, target groups,
-- statuses and capacities; `search` is what koop.service_search() computes for the row
-- (koop.norm of name, description, eligibility and the partner's name and short name).
-- Builds bench_words (n, w): the ?q= words the search case asks for (no diacritics, as typed).
\set ON_ERROR_STOP on

CREATE TEMP TABLE offer (k int PRIMARY KEY, name text, category text, description text,
                         eligibility text, referral boolean);
INSERT INTO offer VALUES
 (0, 'Terapia uzależnień od alkoholu', 'addiction_therapy',
  'Indywidualna i grupowa terapia uzależnień prowadzona przez certyfikowanych specjalistów '
  'psychoterapii uzależnień. Program podstawowy trwa 12 tygodni, potem grupa pogłębiona.',
  'Osoby uzależnione od alkoholu, pełnoletnie, mieszkańcy gminy.', true),
 (1, 'Grupa wsparcia dla osób współuzależnionych', 'addiction_therapy',
  'Spotkania dla bliskich osób uzależnionych: rozpoznawanie współuzależnienia, granice, '
  'radzenie sobie ze stresem. Grupę prowadzi terapeutka uzależnień.',
  'Członkowie rodzin osób uzależnionych.', false),
 (2, 'Terapia rodzinna', 'psychological_support',
  'Sesje terapeutyczne dla całej rodziny w kryzysie: konflikty, żałoba, trudności wychowawcze. '
  'Terapia systemowa, spotkania co dwa tygodnie.',
  'Rodziny objęte wsparciem ośrodka pomocy społecznej.', true),
 (3, 'Poradnictwo psychologiczne', 'psychological_support',
  'Konsultacje z psychologiem dla dorosłych i młodzieży: stres, lęk, obniżony nastrój, '
  'trudne decyzje życiowe. Pierwsza wizyta w ciągu tygodnia od zgłoszenia.',
  NULL, false),
 (4, 'Doradztwo zawodowe', 'vocational_activation',
  'Indywidualne doradztwo zawodowe: bilans kompetencji, plan rozwoju zawodowego, pisanie CV '
  'i przygotowanie do rozmowy kwalifikacyjnej.',
  'Osoby bezrobotne i poszukujące pracy zarejestrowane w urzędzie pracy.', false),
 (5, 'Pośrednictwo pracy', 'job_placement',
  'Oferty pracy od lokalnych pracodawców, umawianie rozmów, wsparcie w pierwszych tygodniach '
  'zatrudnienia. Współpraca z Powiatowym Urzędem Pracy.',
  'Osoby bezrobotne, w tym długotrwale.', false),
 (6, 'Szkolenie „Opiekun osoby starszej”', 'training',
  'Kurs zawodowy z certyfikatem: pielęgnacja, pierwsza pomoc, komunikacja z osobą starszą. '
  'Zajęcia teoretyczne i praktyki w domu pomocy społecznej.',
  'Osoby bezrobotne w wieku 18–60 lat.', true),
 (7, 'Nieodpłatna pomoc prawna', 'legal_advice',
  'Porady adwokatów i radców prawnych: sprawy rodzinne, alimenty, mieszkaniowe, pracownicze, '
  'zadłużenia. Pomoc w przygotowaniu pism do sądu.',
  'Osoby, których nie stać na odpłatną pomoc prawną (oświadczenie).', false),
 (8, 'Doradztwo zadłużeniowe', 'debt_advice',
  'Analiza zadłużenia, plan spłaty, negocjacje z wierzycielami i komornikiem, upadłość '
  'konsumencka krok po kroku.',
  'Osoby i rodziny zagrożone eksmisją lub egzekucją komorniczą.', false),
 (9, 'Asystent rodziny', 'family_assistant',
  'Asystent rodziny pracuje z rodziną w jej mieszkaniu: organizacja dnia, budżet domowy, '
  'kontakt ze szkołą, wzmacnianie kompetencji opiekuńczo-wychowawczych.',
  'Rodziny przeżywające trudności w wypełnianiu funkcji opiekuńczo-wychowawczych.', true),
 (10, 'Świetlica środowiskowa', 'day_support_children',
  'Popołudniowa opieka nad dziećmi: odrabianie lekcji, posiłek, zajęcia plastyczne i sportowe, '
  'wycieczki w czasie ferii i wakacji.',
  'Dzieci w wieku 7–15 lat.', false),
 (11, 'Korepetycje i pomoc w nauce', 'education_support',
  'Zajęcia wyrównawcze z matematyki, języka polskiego i angielskiego prowadzone przez '
  'wolontariuszy i nauczycieli. Przygotowanie do egzaminu ósmoklasisty.',
  'Uczniowie szkół podstawowych i średnich.', false),
 (12, 'Mieszkanie treningowe', 'housing',
  'Mieszkanie chronione treningowe z opieką specjalisty: nauka samodzielnego życia, '
  'gospodarowanie pieniędzmi, wyjście z bezdomności.',
  'Osoby w kryzysie bezdomności, usamodzielniani wychowankowie pieczy zastępczej.', true),
 (13, 'Paczki żywnościowe', 'material_aid',
  'Wydawanie paczek żywnościowych i środków czystości raz w miesiącu w ramach programu '
  'pomocy żywnościowej; warsztaty kulinarne i ekonomiczne.',
  'Osoby o dochodzie do 262% kryterium dochodowego.', true),
 (14, 'Punkt interwencji kryzysowej', 'crisis_intervention',
  'Całodobowe wsparcie w sytuacji kryzysu: przemoc w rodzinie, próba samobójcza, nagła utrata. '
  'Hostel dla osób doznających przemocy, konsultacje prawne i psychologiczne.',
  NULL, false),
 (15, 'Zajęcia sportowe dla młodzieży', 'leisure_sport',
  'Piłka nożna, siatkówka i zajęcia ogólnorozwojowe na orliku i w hali sportowej; '
  'turnieje międzyszkolne, obozy letnie.',
  'Młodzież w wieku 10–18 lat.', false),
 (16, 'Rehabilitacja ruchowa', 'rehabilitation',
  'Ćwiczenia usprawniające, fizykoterapia i masaż dla osób po urazach i z niepełnosprawnością '
  'ruchową; możliwa rehabilitacja w domu pacjenta.',
  'Osoby z orzeczeniem o niepełnosprawności lub skierowaniem lekarskim.', true),
 (17, 'Profilaktyka uzależnień w szkołach', 'education_support',
  'Warsztaty profilaktyczne dla klas: alkohol, dopalacze, uzależnienie od telefonu i gier. '
  'Spotkania dla rodziców i szkolenia dla nauczycieli.',
  'Szkoły podstawowe i ponadpodstawowe z terenu gminy.', false),
 (18, 'Program korekcyjno-edukacyjny dla sprawców przemocy', 'psychological_support',
  'Zajęcia grupowe i terapia indywidualna dla osób stosujących przemoc w rodzinie; '
  'praca nad kontrolą złości i odpowiedzialnością.',
  'Osoby stosujące przemoc domową, także skierowane przez sąd.', true),
 (19, 'Warsztaty umiejętności wychowawczych', 'family_assistant',
  'Cykl dziesięciu spotkań dla rodziców: komunikacja z dzieckiem, granice bez przemocy, '
  'wspieranie samodzielności. Opieka nad dziećmi w czasie zajęć.',
  'Rodzice i opiekunowie dzieci do 12 lat.', false);

CREATE TEMP TABLE qualifier (k int PRIMARY KEY, q text, groups text[]);
INSERT INTO qualifier VALUES
 (0, 'dla dorosłych', '{adults}'),
 (1, 'dla dzieci i młodzieży', '{children,youth}'),
 (2, 'dla seniorów', '{seniors}'),
 (3, 'dla rodzin z dziećmi', '{families,children}'),
 (4, 'dla osób z niepełnosprawnościami', '{persons_with_disabilities}'),
 (5, 'dla osób bezrobotnych', '{unemployed}'),
 (6, 'w języku ukraińskim', '{adults,families}'),
 (7, '— dyżur popołudniowy', '{adults}'),
 (8, 'dla opiekunów osób zależnych', '{carers}'),
 (9, 'w dzielnicy Nikiszowiec', '{families,adults}');

CREATE TEMP TABLE note (k int PRIMARY KEY, s text);
INSERT INTO note VALUES
 (0, 'Zajęcia odbywają się w siedzibie przy ul. Głównej, od poniedziałku do piątku.'),
 (1, 'Spotkania prowadzone są w małych grupach, do dwunastu osób.'),
 (2, 'Możliwe jest wsparcie w miejscu zamieszkania osoby potrzebującej.'),
 (3, 'Wymagane wcześniejsze zgłoszenie telefoniczne lub mailowe.'),
 (4, 'Udział jest bezpłatny dla mieszkańców gminy i powiatu.'),
 (5, 'Budynek jest dostępny dla osób poruszających się na wózkach.'),
 (6, 'Zapewniamy dojazd dla osób z terenów wiejskich raz w tygodniu.'),
 (7, 'Współpracujemy z ośrodkiem pomocy społecznej i poradnią zdrowia psychicznego.');

WITH p AS (
    SELECT tenant_id, id, name, short_name, sector,
           row_number() OVER (PARTITION BY tenant_id ORDER BY created_at, id) AS k,
           count(*) OVER (PARTITION BY tenant_id) AS np
    FROM partners),
g AS (
    SELECT t.tenant_id, g, now() - make_interval(secs => (:services - g) * 97.0) AS at
    FROM bench_tenants t CROSS JOIN generate_series(1, :services) AS g)
INSERT INTO services (tenant_id, id, partner_id, name, description, category, target_groups,
                      eligibility, how_to_access, requires_referral, cost, capacity_available,
                      capacity_maximum, capacity_unit, capacity_updated_at, locations, contact,
                      status, valid_from, verified_on, search, created_at, updated_at)
SELECT g.tenant_id, gen_random_uuid(), p.id, s.name, s.description, o.category, q.groups,
       o.eligibility, 'Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.',
       o.referral,
       jsonb_build_object('free', g.g % 9 <> 0,
                          'description', CASE WHEN g.g % 9 = 0 THEN 'Odpłatność według cennika, '
                                              'zwolnienia dla osób w trudnej sytuacji.' END),
       CASE WHEN g.g % 4 = 0 THEN NULL ELSE (g.g * 13) % 25 END,
       CASE WHEN g.g % 4 = 0 THEN NULL ELSE 25 END,
       CASE WHEN g.g % 4 = 0 THEN NULL ELSE 'miejsc' END,
       CASE WHEN g.g % 4 = 0 THEN NULL ELSE g.at END,
       jsonb_build_array(jsonb_build_object('name', 'Siedziba ' || p.name,
           'address', jsonb_build_object('street', 'ul. Wojciecha Korfantego', 'building',
                                         (g.g % 120 + 1)::text, 'postal_code', '40-004',
                                         'city', 'Katowice'),
           'opening_hours', jsonb_build_array(jsonb_build_object(
               'days', '["mon","tue","wed","thu","fri"]'::jsonb, 'opens', '08:00',
               'closes', '16:00', 'note', NULL)))),
       jsonb_build_object('name', 'Koordynator usługi', 'email',
                          format('usluga%s@example.org', g.g), 'phone', '+48 32 259 00 00',
                          'website', NULL),
       CASE WHEN g.g % 23 = 0 THEN 'draft' WHEN g.g % 23 = 1 THEN 'suspended'
            WHEN g.g % 53 = 2 THEN 'retired' ELSE 'active' END,
       (g.at AT TIME ZONE 'Europe/Warsaw')::date, (g.at AT TIME ZONE 'Europe/Warsaw')::date,
       koop.norm(concat_ws(' ', s.name, s.description, o.eligibility,
                           p.name || ' ' || coalesce(p.short_name, ''))),
       g.at, g.at
FROM g
JOIN p ON p.tenant_id = g.tenant_id AND p.k = 1 + (g.g * 7) % p.np
JOIN offer o ON o.k = g.g % 20
JOIN qualifier q ON q.k = (g.g / 20) % 10
JOIN note n1 ON n1.k = (g.g / 3) % 8
JOIN note n2 ON n2.k = (g.g / 3 + 3) % 8
CROSS JOIN LATERAL (SELECT o.name || ' ' || q.q AS name,
                           o.description || ' ' || n1.s || ' ' || n2.s AS description) s;

CREATE TABLE bench_words (n int PRIMARY KEY, w text NOT NULL);
INSERT INTO bench_words
SELECT row_number() OVER (), w FROM regexp_split_to_table(:'words', '\s+') AS w WHERE w <> '';

VACUUM ANALYZE services;
