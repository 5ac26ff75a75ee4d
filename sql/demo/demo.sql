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

-- the basket: services of the partners above (the withdrawn/invited ones stay drafts)
CREATE TEMP TABLE demo_service (n serial, partner_key text, body jsonb) ON COMMIT DROP;
INSERT INTO demo_service (partner_key, body) VALUES
  ('pup', '{"name": "Pośrednictwo pracy", "category": "job_placement", "target_groups": ["unemployed", "adults"], "description": "Pomoc w znalezieniu zatrudnienia, oferty pracy z lokalnego rynku, kontakt z pracodawcami.", "eligibility": "Osoby zarejestrowane jako bezrobotne lub poszukujące pracy.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('pup', '{"name": "Poradnictwo zawodowe", "category": "vocational_activation", "target_groups": ["unemployed", "youth", "adults"], "description": "Indywidualne i grupowe doradztwo zawodowe, bilans kompetencji, planowanie ścieżki kariery.", "eligibility": "Osoby bezrobotne i poszukujące pracy.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["tue", "thu"], "opens": "08:00", "closes": "14:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 6, "maximum": 12, "unit": "miejsca w grupie"}}'),
  ('pup', '{"name": "Szkolenia zawodowe i kursy kwalifikacyjne", "category": "training", "target_groups": ["unemployed", "adults"], "description": "Szkolenia podnoszące kwalifikacje (np. operator wózka widłowego, opiekun osoby starszej, kursy komputerowe).", "eligibility": "Osoby bezrobotne skierowane przez doradcę klienta.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "wed", "fri"], "opens": "08:00", "closes": "15:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 8, "maximum": 20, "unit": "miejsca"}}'),
  ('pup', '{"name": "Staże u pracodawców", "category": "vocational_activation", "target_groups": ["unemployed", "youth"], "description": "Staże do 6 miesięcy u lokalnych pracodawców ze stypendium stażowym.", "eligibility": "Osoby bezrobotne do 30. roku życia i długotrwale bezrobotne.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 4, "maximum": 15, "unit": "miejsca"}}'),
  ('pup', '{"name": "Prace społecznie użyteczne", "category": "vocational_activation", "target_groups": ["unemployed", "adults"], "description": "Prace na rzecz gminy dla osób korzystających ze świadczeń pomocy społecznej.", "eligibility": "Osoby bezrobotne bez prawa do zasiłku, korzystające z pomocy społecznej.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 10, "maximum": 30, "unit": "miejsca"}}'),
  ('mops', '{"name": "Asystent rodziny", "category": "family_assistant", "target_groups": ["families", "children"], "description": "Wsparcie rodzin przeżywających trudności w wypełnianiu funkcji opiekuńczo-wychowawczych, praca w miejscu zamieszkania rodziny.", "eligibility": "Rodziny z dziećmi, na wniosek pracownika socjalnego.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 2, "maximum": 24, "unit": "rodziny"}}'),
  ('mops', '{"name": "Praca socjalna i diagnoza sytuacji rodziny", "category": "other", "target_groups": ["families", "adults", "seniors"], "description": "Wywiad środowiskowy, diagnoza potrzeb, kontrakt socjalny, planowanie wsparcia.", "eligibility": "Mieszkańcy Wodzisławia Śląskiego.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('mops', '{"name": "Poradnictwo psychologiczne", "category": "psychological_support", "target_groups": ["adults", "families", "youth"], "description": "Konsultacje psychologiczne indywidualne i rodzinne, wsparcie w sytuacjach kryzysowych.", "eligibility": "Klienci ośrodka i ich rodziny.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["tue", "thu"], "opens": "12:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 5, "maximum": 8, "unit": "terminy w tygodniu"}}'),
  ('mops', '{"name": "Poradnictwo prawne", "category": "legal_advice", "target_groups": ["adults", "seniors", "families"], "description": "Nieodpłatne porady prawne: sprawy rodzinne, alimentacyjne, mieszkaniowe, z zakresu prawa pracy.", "eligibility": "Osoby w trudnej sytuacji życiowej.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["wed"], "opens": "14:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 3, "maximum": 6, "unit": "terminy w tygodniu"}}'),
  ('mops', '{"name": "Poradnictwo w sprawie zadłużenia", "category": "debt_advice", "target_groups": ["adults", "families"], "description": "Pomoc w uporządkowaniu zadłużenia, rozmowy z wierzycielami, plan spłaty, informacja o upadłości konsumenckiej.", "eligibility": "Osoby i rodziny zadłużone.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon"], "opens": "14:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 2, "maximum": 4, "unit": "terminy w tygodniu"}}'),
  ('mops', '{"name": "Zasiłki i pomoc rzeczowa", "category": "material_aid", "target_groups": ["families", "adults", "seniors"], "description": "Zasiłki celowe, okresowe i stałe, pomoc w naturze (żywność, opał, odzież).", "eligibility": "Zgodnie z kryterium dochodowym ustawy o pomocy społecznej.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('mops', '{"name": "Grupa wsparcia dla rodziców", "category": "psychological_support", "target_groups": ["families", "adults"], "description": "Cotygodniowe spotkania rodziców: komunikacja z dzieckiem, granice, radzenie sobie ze stresem.", "eligibility": "Rodzice i opiekunowie dzieci.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Kubsza", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["wed"], "opens": "16:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 7, "maximum": 12, "unit": "miejsca"}}'),
  ('dziupla', '{"name": "Placówka wsparcia dziennego", "category": "day_support_children", "target_groups": ["children", "youth"], "description": "Opieka po zajęciach szkolnych, pomoc w nauce, posiłek, zajęcia rozwijające i socjoterapeutyczne.", "eligibility": "Dzieci w wieku 7–15 lat z rodzin objętych wsparciem.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Mszańska", "building": "12", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "12:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 4, "maximum": 30, "unit": "miejsca"}}'),
  ('dziupla', '{"name": "Zajęcia socjoterapeutyczne", "category": "psychological_support", "target_groups": ["children", "youth"], "description": "Grupowe zajęcia socjoterapeutyczne dla dzieci z trudnościami emocjonalnymi.", "eligibility": "Dzieci uczęszczające do placówki.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Mszańska", "building": "12", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["tue", "thu"], "opens": "15:00", "closes": "17:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 0, "maximum": 10, "unit": "miejsca"}}'),
  ('pcpr', '{"name": "Interwencja kryzysowa", "category": "crisis_intervention", "target_groups": ["adults", "families", "violence_affected"], "description": "Natychmiastowe wsparcie w sytuacji kryzysu, w tym przemocy domowej; hostel interwencyjny.", "eligibility": "Osoby i rodziny w kryzysie.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "opens": "00:00", "closes": "24:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 2, "maximum": 6, "unit": "miejsca w hostelu"}}'),
  ('pcpr', '{"name": "Rehabilitacja społeczna osób z niepełnosprawnościami", "category": "rehabilitation", "target_groups": ["persons_with_disabilities"], "description": "Dofinansowanie turnusów rehabilitacyjnych, sprzętu i likwidacji barier (PFRON).", "eligibility": "Osoby z orzeczeniem o niepełnosprawności.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('pcpr', '{"name": "Wsparcie rodzin zastępczych", "category": "family_assistant", "target_groups": ["families", "children", "carers"], "description": "Koordynator pieczy zastępczej, szkolenia i grupy wsparcia dla rodzin zastępczych.", "eligibility": "Rodziny zastępcze z powiatu wodzisławskiego.", "requires_referral": true, "how_to_access": "Na podstawie skierowania (np. z zespołu zadaniowego lub pracownika socjalnego).", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "92a", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:30", "closes": "15:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 3, "maximum": 15, "unit": "rodziny"}}'),
  ('zs1', '{"name": "Zajęcia wyrównawcze z matematyki i języka polskiego", "category": "education_support", "target_groups": ["youth"], "description": "Bezpłatne zajęcia dydaktyczno-wyrównawcze po lekcjach.", "eligibility": "Uczniowie szkoły.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Szkolna", "building": "1", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "wed"], "opens": "14:30", "closes": "16:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 6, "maximum": 15, "unit": "miejsca"}}'),
  ('zs1', '{"name": "Pedagog i psycholog szkolny", "category": "psychological_support", "target_groups": ["youth", "families"], "description": "Konsultacje dla uczniów i rodziców, wsparcie w trudnościach wychowawczych.", "eligibility": "Uczniowie i ich rodzice.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Szkolna", "building": "1", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "08:00", "closes": "14:00", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('zsp2', '{"name": "Świetlica szkolna z dożywianiem", "category": "day_support_children", "target_groups": ["children"], "description": "Opieka świetlicowa przed i po lekcjach, ciepły posiłek.", "eligibility": "Dzieci z klas I–III.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Przedszkolna", "building": "2", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "06:30", "closes": "16:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 5, "maximum": 40, "unit": "miejsca"}}'),
  ('ohp', '{"name": "Kursy zawodowe dla młodzieży", "category": "training", "target_groups": ["youth"], "description": "Przygotowanie zawodowe młodocianych i kursy dla młodzieży NEET.", "eligibility": "Młodzież 15–25 lat.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Styczyńskiego", "building": "1", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "08:00", "closes": "16:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 9, "maximum": 20, "unit": "miejsca"}}'),
  ('puls', '{"name": "Poradnia leczenia uzależnień", "category": "addiction_therapy", "target_groups": ["adults", "persons_with_addiction", "families"], "description": "Terapia uzależnień indywidualna i grupowa, wsparcie dla osób współuzależnionych.", "eligibility": "Osoby uzależnione od alkoholu i innych substancji oraz ich bliscy.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Wałowa", "building": "30", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "wed", "fri"], "opens": "10:00", "closes": "19:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 3, "maximum": 12, "unit": "miejsca w grupie"}}'),
  ('puls', '{"name": "Opieka lekarza rodzinnego i profilaktyka", "category": "health_care", "target_groups": ["adults", "children", "seniors"], "description": "Podstawowa opieka zdrowotna, bilanse zdrowia dzieci, programy profilaktyczne.", "eligibility": "Pacjenci zapisani do przychodni.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Wałowa", "building": "30", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "08:00", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('mosir', '{"name": "Zajęcia sportowe dla dzieci i rodzin", "category": "leisure_sport", "target_groups": ["children", "youth", "families"], "description": "Bezpłatne wejścia na basen i lodowisko, zajęcia ogólnorozwojowe w weekendy.", "eligibility": "Dzieci i rodziny z Karty Dużej Rodziny oraz skierowane przez MOPS.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Bogumińska", "building": "8", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["sat", "sun"], "opens": "10:00", "closes": "14:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 15, "maximum": 40, "unit": "miejsca"}}'),
  ('wicher', '{"name": "Treningi piłkarskie dla dzieci", "category": "leisure_sport", "target_groups": ["children", "youth"], "description": "Treningi piłki nożnej w grupach wiekowych, udział w rozgrywkach.", "eligibility": "Dzieci 6–14 lat.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Sportowa", "building": "1", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["tue", "thu"], "opens": "16:30", "closes": "18:00", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 10, "maximum": 25, "unit": "miejsca"}}'),
  ('baszta', '{"name": "Uczniowski klub sportowy – zajęcia po lekcjach", "category": "leisure_sport", "target_groups": ["children", "youth"], "description": "Zajęcia lekkoatletyczne i gry zespołowe.", "eligibility": "Uczniowie wodzisławskich szkół.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Szkolna", "building": "1", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "wed"], "opens": "16:00", "closes": "17:30", "note": null}]}], "verified_on": "2026-10-01", "capacity": {"available": 12, "maximum": 30, "unit": "miejsca"}}'),
  ('policja', '{"name": "Dzielnicowy – wsparcie w procedurze Niebieskiej Karty", "category": "crisis_intervention", "target_groups": ["violence_affected", "families"], "description": "Kontakt z dzielnicowym, działania w ramach procedury Niebieskiej Karty, profilaktyka.", "eligibility": "Osoby doznające przemocy domowej i ich rodziny.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Pszowska", "building": "72", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "opens": "00:00", "closes": "24:00", "note": null}]}], "verified_on": "2026-10-01"}'),
  ('straz', '{"name": "Patrole i profilaktyka w okolicach szkół", "category": "other", "target_groups": ["children", "youth"], "description": "Działania prewencyjne i edukacyjne straży miejskiej.", "eligibility": "Uczniowie i szkoły.", "requires_referral": false, "how_to_access": "Zgłoszenie osobiste, telefoniczne lub przez pracownika socjalnego.", "cost": {"free": true, "description": null}, "locations": [{"name": null, "address": {"street": "ul. Bogumińska", "building": "4", "postal_code": "44-300", "city": "Wodzisław Śląski"}, "opening_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "07:00", "closes": "15:00", "note": null}]}], "verified_on": "2026-10-01"}');
CREATE TEMP TABLE demo_service_id ON COMMIT DROP AS
SELECT s.n, gen_random_uuid() AS id, p.target FROM demo_service s JOIN demo_partner p ON p.key = s.partner_key;
SELECT koop.service_create(NULL, i.id, s.body || jsonb_build_object('partner_id', p.id))
FROM demo_service s JOIN demo_partner p ON p.key = s.partner_key JOIN demo_service_id i ON i.n = s.n
ORDER BY s.n;
SELECT koop.service_transition(NULL, i.id, NULL, 'active', NULL)
FROM demo_service_id i WHERE i.target IN ('active', 'declared') ORDER BY i.n;

-- a social worker for the demo families
SELECT koop.user_create(NULL, '00000000-0000-7000-8000-00000000d001'::uuid,
    '{"name": "Pracownik socjalny (demo)", "email": "pracownik.socjalny@demo.local", "role": "social_worker"}');

-- three fictional families over three generations (PESELs are valid but invented)
CREATE TEMP TABLE demo_family (n int PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid(), body jsonb) ON COMMIT DROP;
CREATE TEMP TABLE demo_member (family_n int, n int, id uuid NOT NULL DEFAULT gen_random_uuid(), body jsonb, adult boolean) ON COMMIT DROP;
INSERT INTO demo_family (n, body) VALUES
  (1, '{"district": "Wilchwy", "generations": 3, "external_ref": "POMOST/2026/0412", "assigned_worker_id": "00000000-0000-7000-8000-00000000d001", "problems": [{"code": "unemployment", "notes": "Ojciec bez pracy od 2 lat, zarejestrowany w PUP."}, {"code": "long_term_illness", "notes": "Dziadek po udarze, wymaga opieki."}, {"code": "care_and_upbringing", "notes": null}], "address": {"street": "ul. Przykładowa", "building": "11", "postal_code": "44-300", "city": "Wodzisław Śląski"}}'),
  (2, '{"district": "Radlin II", "generations": 4, "external_ref": "POMOST/2026/0433", "assigned_worker_id": "00000000-0000-7000-8000-00000000d001", "problems": [{"code": "poverty", "notes": null}, {"code": "disability", "notes": null}, {"code": "housing", "notes": "Mieszkanie komunalne wymaga remontu, zaległości czynszowe."}], "address": {"street": "ul. Przykładowa", "building": "12", "postal_code": "44-300", "city": "Wodzisław Śląski"}}'),
  (3, '{"district": "Nowe Miasto", "generations": 3, "external_ref": "POMOST/2026/0458", "assigned_worker_id": "00000000-0000-7000-8000-00000000d001", "problems": [{"code": "addiction", "notes": "Ojciec w trakcie terapii w poradni leczenia uzależnień."}, {"code": "debt", "notes": "Zadłużenie z tytułu pożyczek pozabankowych."}, {"code": "care_and_upbringing", "notes": null}], "address": {"street": "ul. Przykładowa", "building": "13", "postal_code": "44-300", "city": "Wodzisław Śląski"}}');
INSERT INTO demo_member (family_n, n, body, adult) VALUES
  (1, 1, '{"first_name": "Zbigniew", "last_name": "Nowakowski", "pesel": "55040210179", "relation": "grandparent", "generation": 1}', true),
  (1, 2, '{"first_name": "Halina", "last_name": "Nowakowska", "pesel": "58091710247", "relation": "grandparent", "generation": 1}', true),
  (1, 3, '{"first_name": "Marek", "last_name": "Nowakowski", "pesel": "80012310319", "relation": "head", "generation": 2}', true),
  (1, 4, '{"first_name": "Agnieszka", "last_name": "Nowakowska", "pesel": "83060510489", "relation": "spouse", "generation": 2}', true),
  (1, 5, '{"first_name": "Zuzanna", "last_name": "Nowakowska", "pesel": "10313010542", "relation": "child", "generation": 3}', false),
  (1, 6, '{"first_name": "Kacper", "last_name": "Nowakowski", "pesel": "14230810630", "relation": "child", "generation": 3}', false),
  (2, 1, '{"first_name": "Stanisława", "last_name": "Zielińska", "pesel": "50120120164", "relation": "grandparent", "generation": 1}', true),
  (2, 2, '{"first_name": "Dorota", "last_name": "Zielińska", "pesel": "75021420249", "relation": "head", "generation": 2}', true),
  (2, 3, '{"first_name": "Patryk", "last_name": "Zieliński", "pesel": "98082120310", "relation": "child", "generation": 3}', true),
  (2, 4, '{"first_name": "Lena", "last_name": "Zielińska", "pesel": "19250920484", "relation": "grandchild", "generation": 4}', false),
  (3, 1, '{"first_name": "Henryk", "last_name": "Wójcik", "pesel": "49101130175", "relation": "grandparent", "generation": 1}', true),
  (3, 2, '{"first_name": "Tomasz", "last_name": "Wójcik", "pesel": "78071930250", "relation": "head", "generation": 2}', true),
  (3, 3, '{"first_name": "Monika", "last_name": "Wójcik", "pesel": "81042730306", "relation": "spouse", "generation": 2}', true),
  (3, 4, '{"first_name": "Oliwia", "last_name": "Wójcik", "pesel": "08211530488", "relation": "child", "generation": 3}', false),
  (3, 5, '{"first_name": "Szymon", "last_name": "Wójcik", "pesel": "12290330558", "relation": "child", "generation": 3}', false),
  (3, 6, '{"first_name": "Antoni", "last_name": "Wójcik", "pesel": "16322230638", "relation": "child", "generation": 3}', false);
SELECT koop.family_create(NULL, id, body) FROM demo_family ORDER BY n;
SELECT koop.member_create(f.id, m.id, m.body)
FROM demo_member m JOIN demo_family f ON f.n = m.family_n ORDER BY m.family_n, m.n;
SELECT koop.family_transition(NULL, id, NULL, 'diagnosed', NULL) FROM demo_family ORDER BY n;
SELECT koop.family_transition(NULL, id, NULL, 'in_support', NULL) FROM demo_family WHERE n < 3 ORDER BY n;
-- consents of the heads of family: processing and sharing with the task team
SELECT koop.consent_create(f.id, gen_random_uuid(), jsonb_build_object('member_id', m.id,
    'scope', s.scope, 'purpose', 'Wsparcie rodziny w modelu kooperacji (zespół zadaniowy)',
    'given_on', '2026-10-15', 'valid_until', '2027-10-14', 'document_ref', 'ZGODA/' || f.n || '/' || s.scope))
FROM demo_family f JOIN demo_member m ON m.family_n = f.n AND m.body ->> 'relation' = 'head'
CROSS JOIN (VALUES ('processing'), ('sharing_with_team')) AS s(scope)
ORDER BY f.n, s.scope;

-- one active task team (family 1) with a plan and referrals in several states
CREATE TEMP TABLE demo_team ON COMMIT DROP AS
SELECT gen_random_uuid() AS team, gen_random_uuid() AS goal1, gen_random_uuid() AS goal2,
       gen_random_uuid() AS a_training, gen_random_uuid() AS a_placement,
       gen_random_uuid() AS a_therapy, gen_random_uuid() AS a_assistant, gen_random_uuid() AS a_budget,
       (SELECT id FROM demo_family WHERE n = 1) AS family,
       (SELECT id FROM demo_partner WHERE key = 'pup') AS pup,
       (SELECT id FROM demo_partner WHERE key = 'mops') AS mops,
       (SELECT id FROM demo_partner WHERE key = 'puls') AS puls,
       (SELECT m.id FROM demo_member m WHERE m.family_n = 1 AND m.body ->> 'relation' = 'head') AS head;
SELECT koop.task_team_create(NULL, team, jsonb_build_object('family_id', family,
    'name', 'ZZK – rodzina ' || (SELECT reference_number FROM families WHERE id = family),
    'moderator_id', '00000000-0000-7000-8000-00000000d001')) FROM demo_team;
SELECT koop.team_member_create(team, gen_random_uuid(), jsonb_build_object('kind', 'partner_representative',
    'partner_id', pup, 'person_name', 'Doradca zawodowy PUP', 'joined_on', '2026-10-20')) FROM demo_team;
SELECT koop.team_member_create(team, gen_random_uuid(), jsonb_build_object('kind', 'partner_representative',
    'partner_id', mops, 'person_name', 'Asystent rodziny MOPS', 'joined_on', '2026-10-20')) FROM demo_team;
SELECT koop.team_member_create(team, gen_random_uuid(), jsonb_build_object('kind', 'social_worker',
    'user_id', '00000000-0000-7000-8000-00000000d001', 'role', 'moderator', 'joined_on', '2026-10-20')) FROM demo_team;
SELECT koop.team_member_create(team, gen_random_uuid(), jsonb_build_object('kind', 'family_member',
    'member_id', head, 'joined_on', '2026-10-20')) FROM demo_team;
SELECT koop.task_team_transition(NULL, team, NULL, 'active', NULL) FROM demo_team;
SELECT koop.team_meeting_create(team, gen_random_uuid(), jsonb_build_object('held_on', '2026-10-20',
    'place', 'MOPS, sala konferencyjna', 'agenda', 'Diagnoza sytuacji rodziny, wstępny plan wsparcia',
    'decisions', 'Skierowanie na szkolenie zawodowe; asystent rodziny od listopada', 'next_meeting_on', '2026-11-24',
    'attendee_ids', (SELECT jsonb_agg(id) FROM team_members WHERE team_id = demo_team.team))) FROM demo_team;
SELECT koop.goal_create(team, goal1, '{"description": "Ojciec podejmuje stałe zatrudnienie", "measure": "umowa o pracę na min. 6 miesięcy", "target_date": "2027-06-30"}') FROM demo_team;
SELECT koop.goal_create(team, goal2, '{"description": "Poprawa funkcjonowania opiekuńczo-wychowawczego rodziny", "measure": "ocena asystenta rodziny", "target_date": "2027-09-30"}') FROM demo_team;
SELECT koop.action_create(team, a_training, jsonb_build_object('goal_id', goal1, 'description', 'Szkolenie zawodowe (operator wózka widłowego)',
    'service_id', (SELECT id FROM services WHERE partner_id = pup AND category = 'training' LIMIT 1), 'due_on', '2027-01-31')) FROM demo_team;
SELECT koop.action_create(team, a_placement, jsonb_build_object('goal_id', goal1, 'description', 'Pośrednictwo pracy po szkoleniu',
    'service_id', (SELECT id FROM services WHERE partner_id = pup AND category = 'job_placement' LIMIT 1), 'due_on', '2027-03-31')) FROM demo_team;
SELECT koop.action_create(team, a_assistant, jsonb_build_object('goal_id', goal2, 'description', 'Asystent rodziny – wsparcie w domu',
    'service_id', (SELECT id FROM services WHERE partner_id = mops AND category = 'family_assistant' LIMIT 1), 'due_on', '2027-09-30')) FROM demo_team;
SELECT koop.action_create(team, a_budget, jsonb_build_object('goal_id', goal2, 'description', 'Wspólne ułożenie budżetu domowego (bez skierowania)',
    'due_on', '2026-12-15')) FROM demo_team;
SELECT koop.action_transition(team, a_training, NULL, 'referred', NULL, NULL) FROM demo_team;
SELECT koop.action_transition(team, a_placement, NULL, 'referred', NULL, NULL) FROM demo_team;
SELECT koop.action_transition(team, a_assistant, NULL, 'referred', NULL, NULL) FROM demo_team;
-- agreed with the family, to be reviewed in the new year (plan.review_due on that day)
SELECT koop.plan_agree(team, head, '2027-01-15'::date) FROM demo_team;
-- the providers answer: PUP accepts and completes the training, accepts the placement
SELECT koop.ctx(:'tenant_id', NULL, 'partner_staff', (SELECT pup FROM demo_team)::text, NULL, 'demo-seed', NULL);
SELECT koop.referral_transition(NULL, a_training, NULL, 'accepted', NULL, NULL) FROM demo_team;
SELECT koop.referral_transition(NULL, a_training, NULL, 'in_progress', NULL, NULL) FROM demo_team;
SELECT koop.referral_transition(NULL, a_training, NULL, 'completed', NULL, 'Szkolenie ukończone, uzyskane uprawnienia UDT') FROM demo_team;
SELECT koop.referral_transition(NULL, a_placement, NULL, 'accepted', NULL, NULL) FROM demo_team;
SELECT koop.ctx(:'tenant_id', NULL, 'admin', NULL, NULL, 'demo-seed', NULL);

-- the partnership's meetings and the project of the seed article
SELECT koop.meeting_create(NULL, gen_random_uuid(), jsonb_build_object('kind', 'working_group',
    'held_on', d, 'place', 'Miejski Ośrodek Pomocy Społecznej', 'title', t,
    'partner_ids', (SELECT jsonb_agg(id) FROM demo_partner WHERE key IN ('mops', 'pup', 'zs1', 'zsp2', 'ohp', 'dziupla', 'pcpr', 'puls', 'mosir', 'wicher', 'baszta')),
    'agenda', 'Założenia projektu "Fachowa siła przyszłością dla rodziny"; wstępny model pracy socjalnej; zasady współpracy',
    'decisions', 'MOPS przygotuje treść porozumień dla instytucji i organizacji zainteresowanych siecią wsparcia.'))
FROM (VALUES ('2017-05-25'::date, 'Wspólne działania na rzecz rodziny – spotkanie partnerów (1)'),
             ('2017-05-26'::date, 'Wspólne działania na rzecz rodziny – spotkanie partnerów (2)')) AS m(d, t);
SELECT koop.meeting_create(NULL, gen_random_uuid(), jsonb_build_object('kind', 'partnership_team',
    'held_on', '2026-10-14', 'place', 'Urząd Miasta, sala sesyjna', 'title', 'Posiedzenie Partnerskiego Zespołu Kooperacyjnego',
    'partner_ids', (SELECT jsonb_agg(id) FROM demo_partner WHERE target = 'active'),
    'agenda', 'Aktualizacja koszyka usług; rejestr wzajemnych korzyści', 'minutes', 'Omówiono stan koszyka usług i wolne miejsca.'));
CREATE TEMP TABLE demo_project ON COMMIT DROP AS SELECT gen_random_uuid() AS id;
SELECT koop.project_create(NULL, (SELECT id FROM demo_project), jsonb_build_object(
    'name', 'Fachowa siła przyszłością dla rodziny',
    'programme', 'PO WER 2014–2020, Działanie 4.1 Innowacje społeczne',
    'call_number', 'POWR.04.01.00-IZ.00-00-004/16',
    'leader_partner_id', (SELECT id FROM demo_partner WHERE key = 'mops'),
    'partner_ids', (SELECT jsonb_agg(id) FROM demo_partner WHERE key IN ('pup', 'zs1', 'zsp2', 'ohp', 'dziupla', 'pcpr', 'puls', 'mosir', 'wicher', 'baszta')),
    'starts_on', '2017-03-01', 'ends_on', '2027-12-31',
    'total_value', 90415000, 'eu_cofinancing', 87615000, 'currency', 'PLN',
    'indicators', jsonb_build_array(
        jsonb_build_object('name', 'Rodziny objęte wsparciem', 'unit', 'rodziny', 'target', 30, 'source', 'families_supported'),
        jsonb_build_object('name', 'Zespoły zadaniowe utworzone', 'unit', 'zespoły', 'target', 30, 'source', 'task_teams_formed'),
        jsonb_build_object('name', 'Skierowania zrealizowane', 'unit', 'skierowania', 'target', 60, 'source', 'referrals_completed'),
        jsonb_build_object('name', 'Partnerzy z podpisaną deklaracją', 'unit', 'instytucje', 'target', 10, 'source', 'partners_declared'),
        jsonb_build_object('name', 'Opracowany model pracy socjalnej', 'unit', 'model', 'target', 1, 'source', NULL))));
SELECT koop.project_link_family((SELECT id FROM demo_project), id, true) FROM demo_family ORDER BY n;

-- the family assistant referral to MOPS has waited three weeks without an answer: overdue (the
-- tenant's referral_overdue_days is 14), and the periodic job's referral.overdue is emitted now
UPDATE plan_actions SET referred_at = now() - interval '21 days'
WHERE id = (SELECT a_assistant FROM demo_team);
SELECT koop.casework_tick(); -- last: it leaves no tenant context
COMMIT;
