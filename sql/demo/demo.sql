-- Demo data for `make run`: the partnership of Miasto Wodzisław Śląski as the
-- seed articles describe it (project "Fachowa siła przyszłością dla rodziny",
-- meetings of 25–26 May). Loaded once, with psql -v tenant_id=<uuid>, through
-- the same SQL functions the API uses, so events and audit rows are written.
-- Identifiers (NIP/REGON) are left empty: the institutions are real, their
-- numbers are not ours to invent.

\set ON_ERROR_STOP on
BEGIN;
SELECT koop.ctx(:'tenant_id', NULL, 'admin', NULL, NULL, 'demo-seed', NULL);

CREATE TEMP TABLE demo_partner (key text PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid(),
                                body jsonb NOT NULL, target text) ON COMMIT DROP;
INSERT INTO demo_partner (key, body, target) VALUES
 ('mops', '{"name": "Miejski Ośrodek Pomocy Społecznej w Wodzisławiu Śląskim", "short_name": "MOPS",
   "sector": "social_assistance", "is_leader": true,
   "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"},
   "website": "https://mops.wodzislaw-slaski.pl",
   "contacts": [{"name": "Koordynator projektu", "role": "koordynator PZK", "email": "kooperacje@mops.example", "phone": "+48 32 000 00 00"}],
   "competences": "Lider partnerstwa: diagnoza rodzin, praca socjalna, asystent rodziny, świadczenia z pomocy społecznej, moderowanie zespołów zadaniowych.",
   "declaration": {"signed_on": "2017-05-26", "certificate_number": "PZK/2017/01", "certificate_issued_on": "2017-06-01"}}', 'active'),
 ('pup', '{"name": "Powiatowy Urząd Pracy w Wodzisławiu Śląskim", "short_name": "PUP", "sector": "labour",
   "competences": "Pośrednictwo pracy, poradnictwo zawodowe, szkolenia, staże, prace społecznie użyteczne.",
   "declaration": {"signed_on": "2017-06-12", "certificate_number": "PZK/2017/02"}}', 'active'),
 ('zs1', '{"name": "Zespół Szkół nr 1 w Wodzisławiu Śląskim", "short_name": "ZS nr 1", "sector": "education",
   "competences": "Edukacja, pedagog szkolny, zajęcia wyrównawcze i rozwijające.",
   "declaration": {"signed_on": "2017-06-14"}}', 'active'),
 ('zsp2', '{"name": "Zespół Szkolno-Przedszkolny nr 2", "short_name": "ZSP nr 2", "sector": "education",
   "declaration": {"signed_on": "2017-06-14"}}', 'active'),
 ('ohp', '{"name": "Ochotnicze Hufce Pracy", "short_name": "OHP", "sector": "labour",
   "competences": "Aktywizacja zawodowa młodzieży, przygotowanie zawodowe.", "declaration": {"signed_on": "2017-06-16"}}', 'declared'),
 ('dziupla', '{"name": "Wodzisławska Placówka Wsparcia Dziennego \"Dziupla\"", "short_name": "Dziupla",
   "sector": "family_support", "competences": "Opieka i wychowanie dzieci po zajęciach szkolnych, pomoc w nauce.",
   "declaration": {"signed_on": "2017-06-20"}}', 'active'),
 ('pcpr', '{"name": "Powiatowe Centrum Pomocy Rodzinie w Wodzisławiu Śląskim", "short_name": "PCPR",
   "sector": "family_support", "competences": "Piecza zastępcza, interwencja kryzysowa, rehabilitacja społeczna osób z niepełnosprawnościami.",
   "declaration": {"signed_on": "2017-06-21"}}', 'active'),
 ('puls', '{"name": "NZOZ \"Puls\"", "short_name": "Puls", "sector": "health",
   "competences": "Podstawowa opieka zdrowotna, profilaktyka."}', 'invited'),
 ('mosir', '{"name": "MOSiR \"Centrum\"", "short_name": "MOSiR", "sector": "culture_sport",
   "competences": "Zajęcia sportowe i rekreacyjne dla dzieci i rodzin.", "declaration": {"signed_on": "2017-07-03"}}', 'active'),
 ('wicher', '{"name": "KS Wicher Wilchwy", "sector": "ngo", "competences": "Treningi piłkarskie dla dzieci i młodzieży."}', 'invited'),
 ('baszta', '{"name": "Uczniowski Klub Sportowy Baszta", "short_name": "UKS Baszta", "sector": "ngo",
   "declaration": {"signed_on": "2017-07-10"}}', 'declared'),
 ('policja', '{"name": "Komenda Powiatowa Policji w Wodzisławiu Śląskim", "short_name": "KPP", "sector": "police",
   "competences": "Dzielnicowi, procedura Niebieskiej Karty, profilaktyka.", "declaration": {"signed_on": "2017-08-01"}}', 'active'),
 ('straz', '{"name": "Straż Miejska w Wodzisławiu Śląskim", "sector": "municipal_guard"}', 'invited');

SELECT koop.partner_create(NULL, id, body) FROM demo_partner ORDER BY key;

-- walk each partner through the state machine to its demo status
SELECT koop.partner_transition(NULL, id, NULL, 'declared', NULL)
FROM demo_partner WHERE target IN ('declared', 'active');
SELECT koop.partner_transition(NULL, id, NULL, 'active', NULL)
FROM demo_partner WHERE target = 'active';

SELECT koop.agreement_create(p.id, gen_random_uuid(), jsonb_build_object(
    'title', 'Porozumienie o współpracy w projekcie "Fachowa siła przyszłością dla rodziny"',
    'scope', 'Wspólne działania na rzecz rodzin zagrożonych dziedziczeniem ubóstwa; udział w zespołach zadaniowych.',
    'signed_on', '2017-06-30', 'valid_from', '2017-07-01', 'valid_until', '2019-12-31',
    'document_ref', 'MOPS/POR/2017/' || row_number() OVER (ORDER BY p.key)))
FROM demo_partner p WHERE p.key IN ('pup', 'zs1', 'dziupla', 'pcpr', 'policja');

SELECT koop.benefit_create((SELECT id FROM demo_partner WHERE key = 'pup'), gen_random_uuid(),
    jsonb_build_object('description', 'Szybsza ścieżka do staży dla osób skierowanych przez zespoły zadaniowe.',
                       'beneficiary_partner_id', (SELECT id FROM demo_partner WHERE key = 'mops'),
                       'recorded_on', '2019-09-12'));
SELECT koop.benefit_create((SELECT id FROM demo_partner WHERE key = 'mosir'), gen_random_uuid(),
    jsonb_build_object('description', 'Wspólny kalendarz zajęć sportowych dla dzieci z rodzin objętych wsparciem.',
                       'beneficiary_partner_id', NULL, 'recorded_on', '2019-09-12'));
COMMIT;
