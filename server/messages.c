#include "messages.h"

#include "problem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the catalogue ------------------------------------------------------------------------
 * Every detail and errors[].message format the C code and sql/functions write, in English as
 * written there, and in Polish. Field messages are predicates of the field ("pole wymagane").
 * A new message needs a row here: the unit test "messages" names the file and line of any that
 * lacks one. */
static const struct koop_msg msgs[] = {
    /* scoped tokens (issue 13): server/http.c, server/auth.c, api/users.c */
    {"this route needs the scope %s, which the token lacks",
     "ta ścieżka wymaga zakresu %s, którego token nie ma"},
    {"the token carries a scope this server does not know",
     "token ma zakres, którego ten serwer nie zna"},
    {"is not a scope a token can be given: %s",
     "to nie jest zakres, który można nadać tokenowi: %s"},
    {"is given twice", "podano dwukrotnie"},
    {"a token with scopes mints only tokens with scopes within its own (%s)",
     "token z zakresami może tworzyć tylko tokeny o zakresach mieszczących się w jego własnych "
     "(%s)"},
    /* privacy (issue 10): a tenant's first admin, tokens, PESEL attempts */
    {"bad user record", "nieprawidłowy rekord użytkownika"},
    {"a platform admin creates a tenant's first admin; that admin creates the other users",
     "administrator platformy tworzy pierwszego administratora gminy; pozostałych użytkowników "
     "tworzy ten administrator"},
    {"the tenant has its admin, who creates its users",
     "gmina ma już administratora, który tworzy jej użytkowników"},
    {"a platform admin does not mint tokens for a tenant's users",
     "administrator platformy nie wydaje tokenów użytkownikom gminy"},
    {"too many attempts at PESELs this municipality already holds; try again later",
     "zbyt wiele prób podania numeru PESEL, który gmina już ma; spróbuj ponownie później"},
    /* server/problem.c, server/http.c, server/db.c, server/resource.c, server/service.c */
    /* trust boundaries: limits, malformed requests, /metrics (server/http.c, server/service.c) */
    {"more than %d requests a minute with this token",
     "więcej niż %d żądań na minutę z tym tokenem"},
    {"%d reports, exports or documents are being made; retry",
     "trwa przygotowanie %d raportów, eksportów lub dokumentów; spróbuj ponownie"},
    {"the request target exceeds %d bytes", "adres żądania przekracza %d bajtów"},
    {"at most %d header lines of %d bytes in all",
     "dozwolonych jest najwyżej %d wierszy nagłówków o łącznej długości %d bajtów"},
    {"an HTTP/1.1 request needs a Host header", "żądanie HTTP/1.1 wymaga nagłówka Host"},
    {"more than %d requests at once from %s", "więcej niż %d jednoczesnych żądań z adresu %s"},
    {"this token already has %d long-polls waiting",
     "ten token ma już %d oczekujących zapytań long-poll"},
    {"this address serves only /metrics", "ten adres obsługuje tylko /metrics"},
    {"must not contain NUL or other control characters",
     "nie może zawierać znaku NUL ani innych znaków sterujących"},
    {"/metrics is for platform admins here (or KOOP_METRICS_LISTEN)",
     "/metrics jest tu dostępne tylko dla administratorów platformy (lub pod KOOP_METRICS_LISTEN)"},
    /* accounts, tokens, settings, task teams (api/, sql/functions/) */
    {"cannot encode the patch", "nie można zakodować zmian"},
    {"the user with this e-mail has the role %s, not %s",
     "użytkownik o tym adresie e-mail ma rolę %s, a nie %s"},
    {"only admins mint tokens for other users",
     "tylko administrator może tworzyć tokeny dla innych użytkowników"},
    {"is not a voivodeship (its TERC code like \"24\" or its name like \"śląskie\")",
     "to nie jest województwo (podaj jego kod TERC, np. \"24\", lub nazwę, np. \"śląskie\")"},
    {"a token of your own lives at most %s days", "własny token może być ważny najwyżej %s dni"},
    {"must not be in the future (Europe/Warsaw)",
     "nie może być datą z przyszłości (czas Europe/Warsaw)"},
    {"%zu invalid field%s", "%1$zu %{1|nieprawidłowe pole|nieprawidłowe pola|nieprawidłowych pól}"},
    {"1 invalid field", "1 nieprawidłowe pole"},
    {"no resource at this path", "pod tym adresem nie ma zasobu"},
    {"%s is not allowed here", "metoda %s jest tu niedozwolona"},
    {"the role %s may not use this route", "rola %s nie ma dostępu do tej operacji"},
    {"an internal error occurred; it has been logged",
     "wystąpił błąd wewnętrzny; został zapisany w dzienniku"},
    {"the response could not be serialised", "nie udało się przygotować odpowiedzi"},
    {"the body must be application/json%s", "treść żądania musi być typu application/json%s"},
    {"the body must be application/json", "treść żądania musi być typu application/json"},
    {"the body must be application/json or application/merge-patch+json",
     "treść żądania musi być typu application/json lub application/merge-patch+json"},
    {"the body contains a NUL byte", "treść żądania zawiera bajt NUL"},
    {"JSON nesting deeper than %d levels", "zagnieżdżenie JSON głębsze niż %d poziomów"},
    {"%s at line %d, column %d", "%s w wierszu %d, kolumnie %d"},
    {"invalid UTF-8", "nieprawidłowe kodowanie UTF-8"},
    {"a duplicate key", "powtórzony klucz"},
    {"malformed JSON", "nieprawidłowy JSON"},
    {"the body must be a JSON object", "treść żądania musi być obiektem JSON"},
    {"too many query parameters", "zbyt wiele parametrów zapytania"},
    {"the body exceeds %zu bytes", "treść żądania przekracza %zu bajtów"},
    {"the database is unavailable; retry later",
     "baza danych jest niedostępna; spróbuj ponownie później"},
    {"a value could not be interpreted by the database",
     "baza danych nie mogła zinterpretować jednej z wartości"},
    {"a record with the same unique value already exists",
     "istnieje już rekord o tej samej unikalnej wartości"},
    {"the record is referenced by, or refers to, another record",
     "rekord jest powiązany z innym rekordem"},
    {"this request needs If-Match with the record's current ETag",
     "to żądanie wymaga nagłówka If-Match z aktualnym ETagiem rekordu"},
    {"If-Match must be a strong ETag of this record",
     "If-Match musi zawierać silny ETag tego rekordu"},
    {"If-Match does not match the record's ETag", "If-Match nie zgadza się z ETagiem rekordu"},
    {"the record is at version %s; If-Match named %s",
     "rekord ma wersję %s, a If-Match wskazuje wersję %s"},
    {"no such record", "nie znaleziono rekordu"},
    {"no such collection", "nie znaleziono kolekcji"},
    {"out of memory", "brak pamięci"},
    {"undeclared sort", "niezadeklarowany porządek sortowania"},
    {"route has no handler", "operacja nie ma obsługi"},
    {"a JSON object body is required", "wymagana jest treść żądania w postaci obiektu JSON"},
    {"must be 1 to 255 characters", "musi mieć od 1 do 255 znaków"},
    {"is not a cursor of this list and sort", "nie jest kursorem tej listy przy tym sortowaniu"},
    {"this file is not installed on the server", "ten plik nie jest zainstalowany na serwerze"},
    {"not ready: %s", "usługa nie jest gotowa: %s"},
    /* server/auth.c */
    {"a bearer token is required", "wymagany jest token typu Bearer"},
    {"the Authorization scheme must be Bearer", "schemat nagłówka Authorization musi być Bearer"},
    {"the token is invalid, expired or revoked",
     "token jest nieprawidłowy, wygasł lub został unieważniony"},
    {"the token's user has no valid role", "użytkownik tokenu nie ma prawidłowej roli"},
    {"too many failed authentication attempts", "zbyt wiele nieudanych prób uwierzytelnienia"},
    /* server/oidc.c */
    {"the token is too long", "token jest za długi"},
    {"the token is not a well-formed JWT", "token nie jest poprawnym JWT"},
    {"the token's signature algorithm is not accepted",
     "algorytm podpisu tokenu nie jest akceptowany"},
    {"the token's signature does not verify", "podpis tokenu jest nieprawidłowy"},
    {"the token's signing key is unknown", "klucz, którym podpisano token, jest nieznany"},
    {"the token's claims are not a JSON object", "treść tokenu nie jest obiektem JSON"},
    {"the token's issuer (iss) is not the configured one",
     "wystawca tokenu (iss) nie jest skonfigurowanym dostawcą tożsamości"},
    {"the token's audience (aud) is not this service", "odbiorca tokenu (aud) nie jest tą usługą"},
    {"the token has no expiry (exp)", "token nie ma terminu ważności (exp)"},
    {"the token has expired", "token wygasł"},
    {"the token's nbf is not a number", "pole nbf tokenu nie jest liczbą"},
    {"the token is not valid yet (nbf)", "token nie jest jeszcze ważny (nbf)"},
    {"the token has no subject (sub)", "token nie ma podmiotu (sub)"},
    {"the token names no tenant (its TERYT claim is missing or malformed)",
     "token nie wskazuje jednostki (brak kodu TERYT lub jest niepoprawny)"},
    {"platform roles cannot come from an OIDC token",
     "role platformowe nie mogą pochodzić z tokenu OIDC"},
    {"the token's role claim is missing or not a role of this service",
     "token nie ma roli albo jego rola nie jest rolą tej usługi"},
    {"the token's tenant (TERYT) is unknown or inactive",
     "jednostka tokenu (TERYT) jest nieznana lub nieaktywna"},
    {"the token's subject belongs to another tenant", "podmiot tokenu należy do innej jednostki"},
    {"the token's e-mail belongs to a user bound to another identity",
     "adres e-mail z tokenu należy do użytkownika powiązanego z inną tożsamością"},
    {"the token's partner claim names no partner of its tenant",
     "partner wskazany w tokenie nie jest partnerem tej jednostki"},
    /* server/spec.c: field messages */
    {"must be valid UTF-8", "musi być poprawnym tekstem UTF-8"},
    {"must be at least %lld characters", "musi mieć co najmniej %1$lld %{1|znak|znaki|znaków}"},
    {"must be at most %lld characters", "musi mieć co najwyżej %1$lld %{1|znak|znaki|znaków}"},
    {"must be a date YYYY-MM-DD", "musi być datą w formacie RRRR-MM-DD"},
    {"must be an RFC 3339 date-time", "musi być datą i godziną w formacie RFC 3339"},
    {"must be a UUID", "musi być identyfikatorem UUID"},
    /* read replicas (server/replica.c) */
    {"must be a log position as a write's Koop-Consistency gave it",
     "musi być pozycją w dzienniku WAL, taką jak w nagłówku Koop-Consistency odpowiedzi na zapis"},
    {"must be an e-mail address", "musi być adresem e-mail"},
    {"must be an http(s) URL", "musi być adresem URL http(s)"},
    {"must be one of: %s", "musi mieć jedną z wartości: %s"},
    {"is invalid", "nieprawidłowa wartość"},
    {"must not be null", "nie może mieć wartości null"},
    {"must be an integer", "musi być liczbą całkowitą"},
    {"must be at least %lld", "musi wynosić co najmniej %lld"},
    {"must be at most %lld", "musi wynosić co najwyżej %lld"},
    {"must be a boolean", "musi być wartością logiczną (true lub false)"},
    {"must be an object", "musi być obiektem"},
    {"must be an array", "musi być tablicą"},
    {"must be a string", "musi być tekstem"},
    {"must be %s", "ma nieprawidłowy typ (oczekiwano: %s)"},
    {"must have at least %lld items",
     "musi mieć co najmniej %1$lld %{1|element|elementy|elementów}"},
    {"must have at most %lld items",
     "musi mieć co najwyżej %1$lld %{1|element|elementy|elementów}"},
    {"is read-only", "pole tylko do odczytu"},
    {"is not a known field", "nieznane pole"},
    {"is required", "pole wymagane"},
    {"must be true or false", "musi mieć wartość true lub false"},
    {"is not a known query parameter", "nieznany parametr zapytania"},
    {"may be given only once", "może wystąpić tylko raz"},
    {"lists too many values", "zawiera zbyt wiele wartości"},
    {"must not be empty", "nie może być puste"},
    /* api/identifiers.c, api/services.c */
    {"must be 10 digits without separators", "musi składać się z 10 cyfr bez separatorów"},
    {"has a wrong check digit", "ma nieprawidłową cyfrę kontrolną"},
    {"is not a NIP", "nie jest numerem NIP"},
    {"must be 9 or 14 digits", "musi składać się z 9 lub 14 cyfr"},
    {"must be 10 digits (with leading zeros)", "musi składać się z 10 cyfr (z zerami wiodącymi)"},
    {"must be a TERC code: 7 digits WWPPGGR (gmina) or 4 digits WWPP (powiat)",
     "musi być kodem TERC: 7 cyfr WWPPGGR (gmina) lub 4 cyfry WWPP (powiat)"},
    {"the voivodeship part must be an even number 02..32",
     "część wojewódzka musi być liczbą parzystą od 02 do 32"},
    {"the powiat part must not be 00", "część powiatowa nie może wynosić 00"},
    {"the gmina kind digit (last) must be 1..5",
     "cyfra rodzaju gminy (ostatnia) musi mieć wartość od 1 do 5"},
    {"must be a Polish postal code NN-NNN", "musi być polskim kodem pocztowym NN-NNN"},
    {"must be 11 digits", "musi składać się z 11 cyfr"},
    {"does not encode a valid birth date", "nie zawiera prawidłowej daty urodzenia"},
    {"must be a time HH:MM (00:00..24:00)", "musi być godziną GG:MM (00:00–24:00)"},
    {"documents are application/json or application/pdf",
     "dokumenty są dostępne jako application/json lub application/pdf"},
    {"the document could not be rendered", "nie udało się utworzyć dokumentu"},
    {"anonymize takes no body", "anonimizacja nie przyjmuje treści żądania"},
    {"too many requests from this address; try again later",
     "zbyt wiele żądań z tego adresu; spróbuj ponownie później"},
    {"no municipality with this TERYT code", "nie znaleziono gminy o tym kodzie TERYT"},
    {"the list could not be read", "nie udało się odczytać listy"},
    {"no such report", "nie znaleziono raportu"},
    {"reports are application/json or text/csv",
     "raporty są dostępne jako application/json lub text/csv"},
    {"the report could not be rendered", "nie udało się utworzyć raportu"},
    {"bad token record", "uszkodzony rekord tokenu"},
    {"is not accepted here: a token's secret is shown only once",
     "nie jest tu przyjmowany: sekret tokenu jest pokazywany tylko raz"},
    {"no randomness available", "brak źródła losowości"},
    {"each type is resource.verb, e.g. partner.created",
     "każdy typ ma postać zasób.czynność, np. partner.created"},
    /* CSV import: api/services.c, server/csv.c */
    {"a CSV body is required", "wymagana jest treść żądania w formacie CSV"},
    {"the body must be text/csv (UTF-8)", "treść żądania musi być typu text/csv (UTF-8)"},
    {"the CSV is not valid UTF-8 text", "plik CSV nie jest poprawnym tekstem UTF-8"},
    {"the CSV cannot be read: %s", "nie można odczytać pliku CSV: %s"},
    {"the CSV needs a header row and at least one service",
     "plik CSV musi mieć wiersz nagłówka i co najmniej jedną usługę"},
    {"has %zu fields, the header has %zu", "ma %1$zu %{1|pole|pola|pól}, a nagłówek ma %2$zu"},
    {"a quoted field opened on line %zu is never closed",
     "pole w cudzysłowie otwarte w wierszu %zu nie zostało zamknięte"},
    {"line %zu is not valid UTF-8", "wiersz %zu nie jest poprawnym tekstem UTF-8"},
    {"line %zu: a quote inside an unquoted field",
     "wiersz %zu: cudzysłów wewnątrz pola bez cudzysłowów"},
    {"line %zu: text after a closing quote", "wiersz %zu: tekst po cudzysłowie zamykającym"},
    {"more than %zu rows", "więcej niż %zu wierszy"},
    {"more than 64 columns", "więcej niż 64 kolumny"},
    {"appears twice in the header", "występuje w nagłówku dwukrotnie"},
    {"is not a known column (see README: CSV import)",
     "nieznana kolumna (zob. README: import CSV)"},
    {"a partner or partner_id column is required", "wymagana jest kolumna partner lub partner_id"},
    {"must be a whole number", "musi być liczbą całkowitą"},
    {"must be tak/nie (or true/false, 1/0)", "musi mieć wartość tak/nie (lub true/false, 1/0)"},
    {"names no partner", "nie wskazuje partnera"},
    {"no partner has this name or short name",
     "żaden partner nie ma takiej nazwy ani nazwy skróconej"},
    {"more than one partner has this name; use partner_id",
     "tę nazwę ma więcej niż jeden partner; podaj partner_id"},
    {"the file has invalid rows; nothing was imported",
     "plik zawiera nieprawidłowe wiersze; niczego nie zaimportowano"},
    /* sql/functions/core.sql */
    {"no such %s", "nie znaleziono: %s"},
    {"the Idempotency-Key was used with another body",
     "ten Idempotency-Key użyto już z inną treścią żądania"},
    {"was already used with a different body", "użyto go już z inną treścią żądania"},
    {"the cursor is not valid", "kursor jest nieprawidłowy"},
    {"is not a cursor of this list", "nie jest kursorem tej listy"},
    {"unknown sort", "nieznany porządek sortowania"},
    /* sql/functions/accounts.sql */
    {"does not match the voivodeship part of teryt",
     "nie zgadza się z częścią wojewódzką kodu TERYT"},
    {"a 4-digit teryt is a powiat; a 7-digit teryt is a gmina or city",
     "4-cyfrowy TERYT oznacza powiat; 7-cyfrowy TERYT oznacza gminę lub miasto"},
    {"a tenant with this teryt already exists", "istnieje już jednostka o tym kodzie TERYT"},
    {"platform-level users are platform_admin or regional_analyst; create tenant users at "
     "/v1/tenants/{tenant_id}/users",
     "użytkownicy poziomu platformy mają rolę platform_admin lub regional_analyst; użytkowników "
     "jednostki zakłada się pod /v1/tenants/{tenant_id}/users"},
    {"this role has no tenant", "ta rola nie należy do żadnej jednostki"},
    {"is required for partner_staff", "pole wymagane dla roli partner_staff"},
    {"is only for partner_staff", "dotyczy tylko roli partner_staff"},
    {"no such partner in this tenant", "nie znaleziono takiego partnera w tej jednostce"},
    {"is only for regional_analyst", "dotyczy tylko roli regional_analyst"},
    {"names an unknown tenant", "wskazuje nieznaną jednostkę"},
    {"only a platform admin grants tenants",
     "dostęp do jednostek przyznaje tylko administrator platformy"},
    {"a user with this e-mail already exists here",
     "istnieje już tu użytkownik o tym adresie e-mail"},
    {"you cannot deactivate yourself or change your own role",
     "nie można dezaktywować własnego konta ani zmienić własnej roli"},
    {"the user is deactivated", "użytkownik jest dezaktywowany"},
    /* sql/functions/documents.sql */
    {"the partner has no signed declaration with a certificate number yet "
     "(declaration.signed_on, declaration.certificate_number)",
     "partner nie ma jeszcze podpisanej deklaracji z numerem zaświadczenia "
     "(declaration.signed_on, declaration.certificate_number)"},
    /* sql/functions/families.sql */
    {"partner staff cannot change family records",
     "pracownicy partnerów nie mogą zmieniać danych rodzin"},
    {"the family was anonymised; its record is closed",
     "dane rodziny zostały zanonimizowane; jej rekord jest zamknięty"},
    {"no active social worker, coordinator or admin with this id",
     "brak aktywnego pracownika socjalnego, koordynatora lub administratora o tym identyfikatorze"},
    {"lists a problem code twice", "zawiera dwukrotnie ten sam kod problemu"},
    {"a family cannot go from %s to %s", "rodzina nie może przejść ze stanu %s do stanu %s"},
    {"closing needs a closure reason", "zamknięcie wymaga podania przyczyny zamknięcia"},
    {"must be one of: goals_achieved, partially_achieved, resigned, moved_out, other",
     "musi mieć jedną z wartości: goals_achieved, partially_achieved, resigned, moved_out, other"},
    {"must not be in the future", "nie może być datą przyszłą"},
    {"encodes a birth date in the future", "zawiera datę urodzenia z przyszłości"},
    {"does not match birth_date", "nie zgadza się z datą urodzenia (birth_date)"},
    {"does not match sex", "nie zgadza się z płcią (sex)"},
    {"a person with this PESEL is already a member of a family in this municipality",
     "osoba o tym numerze PESEL jest już członkiem rodziny w tej gminie"},
    {"the member gave consents, which must stay on record",
     "członek rodziny udzielił zgód, które muszą pozostać w dokumentacji"},
    {"no such member of this family", "nie znaleziono takiego członka tej rodziny"},
    {"no such member of the family", "nie znaleziono takiego członka rodziny"},
    {"consent is given by an adult member (18 or older on given_on, with a known birth date)",
     "zgody udziela pełnoletni członek rodziny (mający co najmniej 18 lat w dniu given_on, ze "
     "znaną datą urodzenia)"},
    {"is required for sharing_with_partner and only for it",
     "pole wymagane dla zakresu sharing_with_partner i dozwolone tylko dla niego"},
    {"must not be before given_on", "nie może być wcześniejsza niż given_on"},
    {"the consent is already withdrawn", "zgoda została już wycofana"},
    /* sql/functions/partners.sql, partnership.sql */
    {"another partner has this NIP", "inny partner ma już ten NIP"},
    {"the partnership already has a leader", "partnerstwo ma już lidera"},
    {"partner staff may change only their own partner",
     "pracownicy partnera mogą zmieniać tylko dane własnego partnera"},
    {"only an admin or coordinator changes is_leader and sector",
     "pola is_leader i sector zmienia tylko administrator lub koordynator"},
    {"the partner has users, agreements or benefits; withdraw it instead of deleting",
     "partner ma użytkowników, porozumienia lub świadczenia; zamiast go usuwać, wycofaj go"},
    {"a partner cannot go from %s to %s", "partner nie może przejść ze stanu %s do stanu %s"},
    {"declaring needs declaration.signed_on (set it with PATCH first)",
     "złożenie deklaracji wymaga declaration.signed_on (najpierw ustaw je przez PATCH)"},
    {"must not be before valid_from", "nie może być wcześniejsza niż valid_from"},
    {"no such partner", "nie znaleziono takiego partnera"},
    {"no such webhook", "nie znaleziono takiej subskrypcji webhooka"},
    {"no such event", "nie znaleziono takiego zdarzenia"},
    {"is not accepted here: a webhook's secret is shown only once",
     "nie jest tu przyjmowany: sekret webhooka jest pokazywany tylko raz"},
    {"must be a JSON object", "musi być obiektem JSON"},
    {"is an event id (1, 2, ...)", "musi być identyfikatorem zdarzenia (1, 2, ...)"},
    {"an event type (partner.created), resource.* or *",
     "typ zdarzenia (partner.created), zasób.* lub *"},
    {"names a partner that is not in this partnership",
     "wskazuje partnera, który nie należy do tego partnerstwa"},
    {"must not exceed total_value", "nie może przekraczać total_value"},
    {"must not be before starts_on", "nie może być wcześniejsza niż starts_on"},
    {"must not be before held_on", "nie może być wcześniejsza niż held_on"},
    {"must not be before joined_on", "nie może być wcześniejsza niż joined_on"},
    {"names an indicator twice", "zawiera dwukrotnie ten sam wskaźnik"},
    {"no such family", "nie znaleziono takiej rodziny"},
    {"the family is already linked to the project", "rodzina jest już powiązana z projektem"},
    {"the partner appears in meetings or projects; withdraw it instead of deleting",
     "partner występuje w spotkaniach lub projektach; zamiast go usuwać, wycofaj go"},
    /* sql/functions/public.sql, reports.sql */
    {"q has no words", "parametr q nie zawiera żadnego słowa"},
    {"must contain a word", "musi zawierać co najmniej jedno słowo"},
    {"to is before from", "data „to” jest wcześniejsza niż „from”"},
    {"must not be before from", "nie może być wcześniejsza niż from"},
    {"no such municipality", "nie znaleziono takiej gminy"},
    {"no such service in the basket", "nie znaleziono takiej usługi w koszyku"},
    /* sql/functions/services.sql */
    {"partner staff manage only their own partner's services",
     "pracownicy partnera zarządzają tylko usługami własnego partnera"},
    {"must not exceed capacity.maximum", "nie może przekraczać capacity.maximum"},
    {"must be later than opens", "musi być późniejsza niż opens"},
    {"sort=relevance needs q", "sort=relevance wymaga parametru q"},
    {"relevance needs q", "sortowanie relevance wymaga parametru q"},
    {"a service cannot go from %s to %s", "usługa nie może przejść ze stanu %s do stanu %s"},
    {"the partner has withdrawn from the partnership; its services cannot be activated",
     "partner wystąpił z partnerstwa; jego usług nie można aktywować"},
    {"must not exceed maximum", "nie może przekraczać wartości maximum"},
    {"the partner has services in the basket; retire them or withdraw the partner",
     "partner ma usługi w koszyku; wycofaj je z oferty albo wycofaj partnera"},
    /* sql/functions/task_teams.sql */
    {"only the moderator, a coordinator or an admin changes the team",
     "zespół zmienia tylko jego moderator, koordynator lub administrator"},
    {"the task team is closed", "zespół interdyscyplinarny jest zamknięty"},
    {"the family is closed", "sprawa rodziny jest zamknięta"},
    {"the family already has an open task team",
     "rodzina ma już otwarty zespół interdyscyplinarny"},
    {"a team keeps a moderator", "zespół musi mieć moderatora"},
    {"a task team cannot go from %s to %s",
     "zespół interdyscyplinarny nie może przejść ze stanu %s do stanu %s"},
    {"the team cannot start: %s missing", "zespół nie może rozpocząć pracy: brakuje %s"},
    {"is required for a partner representative", "pole wymagane dla przedstawiciela partnera"},
    {"no such partner (or it has withdrawn)",
     "nie znaleziono takiego partnera (lub wystąpił z partnerstwa)"},
    {"is for family members", "dotyczy tylko członków rodziny"},
    {"is not a user of that partner", "nie jest użytkownikiem tego partnera"},
    {"a social worker member names a social worker, coordinator or admin user",
     "członek zespołu będący pracownikiem socjalnym musi wskazywać użytkownika z rolą "
     "pracownika socjalnego, koordynatora lub administratora"},
    {"partner_id and member_id are for other kinds",
     "pola partner_id i member_id dotyczą innych rodzajów członków"},
    {"partner_id and user_id are for other kinds",
     "pola partner_id i user_id dotyczą innych rodzajów członków"},
    {"a family member of this team's family", "członek rodziny, której dotyczy zespół"},
    {"names someone outside the family", "wskazuje osobę spoza rodziny"},
    {"names someone who is not a member of the team",
     "wskazuje osobę, która nie jest członkiem zespołu"},
    {"the member has left the team; add them again instead",
     "członek opuścił zespół; zamiast tego dodaj go ponownie"},
    {"the plan has no goals yet", "plan nie ma jeszcze żadnych celów"},
    {"the plan is agreed by an adult member", "plan uzgadnia pełnoletni członek rodziny"},
    {"a goal cannot go from %s to %s", "cel nie może przejść ze stanu %s do stanu %s"},
    {"no such goal in this team's plan", "nie znaleziono takiego celu w planie tego zespołu"},
    {"an action with a service is the service's partner's; leave partner_id out",
     "działanie z usługą należy do partnera tej usługi; pomiń pole partner_id"},
    {"only active services can be chosen", "można wybrać tylko aktywne usługi"},
    {"service, partner and goal change only while the action is planned",
     "usługę, partnera i cel można zmienić tylko, gdy działanie jest zaplanowane"},
    {"this action cannot go from %s to %s here",
     "to działanie nie może tu przejść ze stanu %s do stanu %s"},
    {"cannot refer: %s missing", "nie można skierować: brakuje %s"},
    {"a completed referral reports its outcome",
     "zakończone skierowanie musi zawierać opis rezultatu"},
    {"the hold is for a withdrawn consent: a covering consent must be active again",
     "wstrzymanie wynika z wycofania zgody: odpowiednia zgoda musi znów obowiązywać"},
    {"only the responsible partner's staff move a referral here",
     "w ten stan skierowanie przenoszą tylko pracownicy odpowiedzialnego partnera"},
    {"is required for %s", "pole wymagane dla: %s"},
    /* "no such <thing>" (koop.not_found) */
    {"no such action", "nie znaleziono takiego działania"},
    {"no such agreement", "nie znaleziono takiego porozumienia"},
    {"no such benefit", "nie znaleziono takiego świadczenia"},
    {"no such consent", "nie znaleziono takiej zgody"},
    {"no such goal", "nie znaleziono takiego celu"},
    {"no such link", "nie znaleziono takiego powiązania"},
    {"no such meeting", "nie znaleziono takiego spotkania"},
    {"no such member", "nie znaleziono takiego członka"},
    {"no such project", "nie znaleziono takiego projektu"},
    {"no such referral", "nie znaleziono takiego skierowania"},
    {"no such service", "nie znaleziono takiej usługi"},
    {"no such task team", "nie znaleziono takiego zespołu interdyscyplinarnego"},
    {"no such team member", "nie znaleziono takiego członka zespołu"},
    {"no such tenant", "nie znaleziono takiej jednostki"},
    {"no such token", "nie znaleziono takiego tokenu"},
    {"no such user", "nie znaleziono takiego użytkownika"},
};

static const struct koop_vcode vcodes[] = {
    {"required", "is required", "pole wymagane"},
    {"unknown_field", "is not a known field", "nieznane pole"},
    {"read_only", "is read-only", "pole tylko do odczytu"},
    {"type", "has the wrong type", "nieprawidłowy typ wartości"},
    {"format", "has the wrong format", "nieprawidłowy format"},
    {"enum", "is not an allowed value", "niedozwolona wartość"},
    {"min", "is too small", "wartość jest za mała"},
    {"max", "is too large", "wartość jest za duża"},
    {"min_length", "is too short", "wartość jest za krótka"},
    {"max_length", "is too long", "wartość jest za długa"},
    {"checksum", "has a wrong check digit", "nieprawidłowa cyfra kontrolna"},
    {"invalid", "is invalid", "nieprawidłowa wartość"},
    {"duplicate", "is a duplicate", "powtórzona wartość"},
    {"not_found", "was not found", "nie znaleziono"},
};

const struct koop_msg *koop_msg_table(size_t *n)
{
    *n = sizeof msgs / sizeof msgs[0];
    return msgs;
}

const struct koop_msg *koop_msg_find(const char *fmt)
{
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        if (strcmp(msgs[i].en, fmt) == 0)
            return &msgs[i];
    return NULL;
}

const struct koop_vcode *koop_vcode_table(size_t *n)
{
    *n = sizeof vcodes / sizeof vcodes[0];
    return vcodes;
}

const struct koop_vcode *koop_vcode_find(const char *code)
{
    for (size_t i = 0; code && i < sizeof vcodes / sizeof vcodes[0]; i++)
        if (strcmp(vcodes[i].code, code) == 0)
            return &vcodes[i];
    return NULL;
}

/* ---- Accept-Language ----------------------------------------------------------------------- */

const char *koop_lang_tag(enum koop_lang lang)
{
    return lang == KOOP_LANG_PL ? "pl" : "en";
}

/* q of one element's parameters ("; q=0.5"); 1 when absent, -1 when malformed. */
static double parse_q(const char *p, const char *end)
{
    double q = 1;
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char buf[16];
            size_t n = 0;
            for (p += 2; p < end && *p != ';' && *p != ' ' && n < sizeof buf - 1; p++)
                buf[n++] = *p;
            buf[n] = 0;
            char *e;
            q = strtod(buf, &e);
            if (!n || *e || q < 0 || q > 1)
                return -1;
        }
        while (p < end && *p != ';')
            p++;
    }
    return q;
}

enum koop_lang koop_lang_pick(const char *al)
{
    /* best q for each language: an explicit range beats "*" */
    double q_pl = -1, q_en = -1, q_any = -1;
    int first_pl = -1, first_en = -1, pos = 0;
    for (const char *p = al; p && *p; pos++) {
        const char *e = strchr(p, ',');
        const char *end = e ? e : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *tag_end = semi ? semi : end;
        while (tag_end > p && (tag_end[-1] == ' ' || tag_end[-1] == '\t'))
            tag_end--;
        size_t len = (size_t)(tag_end - p);
        double q = parse_q(tag_end, end);
        if (q >= 0) {
            bool pl = len >= 2 && strncasecmp(p, "pl", 2) == 0 && (len == 2 || p[2] == '-');
            bool en = len >= 2 && strncasecmp(p, "en", 2) == 0 && (len == 2 || p[2] == '-');
            if (pl && q > q_pl) {
                q_pl = q;
                if (first_pl < 0)
                    first_pl = pos;
            } else if (en && q > q_en) {
                q_en = q;
                if (first_en < 0)
                    first_en = pos;
            } else if (len == 1 && *p == '*' && q > q_any) {
                q_any = q;
            }
        }
        p = e ? e + 1 : end;
    }
    if (q_pl < 0)
        q_pl = q_any; /* "*" covers a language not named */
    if (q_en < 0)
        q_en = q_any;
    if (q_pl <= 0)
        return KOOP_LANG_EN;
    if (q_pl > q_en)
        return KOOP_LANG_PL;
    if (q_pl == q_en && first_pl >= 0 && (first_en < 0 || first_pl < first_en))
        return KOOP_LANG_PL;
    return KOOP_LANG_EN;
}

/* ---- matching a finished message against a format ------------------------------------------ */

#define MAX_CAPS 8

struct caps {
    const char *at[MAX_CAPS];
    size_t len[MAX_CAPS];
    bool str[MAX_CAPS]; /* from %s (may be translated itself) */
    int n;
};

/* Reads a conversion at f (just after '%'): returns its length and sets *conv
 * ('s', 'd' for any integer, '%' for a literal percent, 0 when unknown). */
static size_t conversion(const char *f, char *conv)
{
    size_t i = 0;
    while (f[i] == 'l' || f[i] == 'z' || f[i] == 'h' || f[i] == 'j' || f[i] == 't')
        i++;
    char c = f[i];
    *conv = c == 's' ? 's' : (c == 'd' || c == 'i' || c == 'u') ? 'd' : c == '%' ? '%' : 0;
    return *conv ? i + 1 : 0;
}

/* Does s match the format f? Fills caps; *lit counts literal characters
 * matched, so the most specific of several matching formats wins. */
static bool match(const char *f, const char *s, struct caps *c, size_t *lit)
{
    while (*f) {
        if (*f != '%') {
            if (*f != *s)
                return false;
            f++, s++, (*lit)++;
            continue;
        }
        char conv;
        size_t n = conversion(f + 1, &conv);
        if (!conv)
            return false;
        f += 1 + n;
        if (conv == '%') {
            if (*s != '%')
                return false;
            s++;
            continue;
        }
        if (c->n == MAX_CAPS)
            return false;
        int k = c->n++;
        c->at[k] = s;
        c->str[k] = conv == 's';
        if (conv == 'd') {
            const char *p = s;
            if (*p == '-')
                p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p))
                p++;
            c->len[k] = (size_t)(p - s);
            s = p;
            continue;
        }
        /* %s: the shortest value that lets the rest match */
        for (const char *p = s;; p++) {
            struct caps save = *c;
            size_t l = *lit;
            c->len[k] = (size_t)(p - s);
            if (match(f, p, c, lit))
                return true;
            *c = save;
            *lit = l;
            if (!*p)
                break;
        }
        c->n--;
        return false;
    }
    return *s == 0;
}

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* Polish plural form: 0 one, 1 few, 2 many. */
static int plural_form(long long n)
{
    if (n < 0)
        n = -n;
    if (n == 1)
        return 0;
    if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14))
        return 1;
    return 2;
}

static const struct koop_msg *exact(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        if (!strchr(msgs[i].en, '%') && strlen(msgs[i].en) == n && !memcmp(msgs[i].en, s, n))
            return &msgs[i];
    return NULL;
}

static void put_cap(struct buf *b, const struct caps *c, int k)
{
    const struct koop_msg *m = c->str[k] ? exact(c->at[k], c->len[k]) : NULL;
    if (m)
        put(b, m->pl, strlen(m->pl));
    else
        put(b, c->at[k], c->len[k]);
}

/* Writes the Polish format with the captured values. */
static char *rebuild(const char *pl, const struct caps *c)
{
    struct buf b = {0};
    put(&b, "", 0);
    int next = 0;
    for (const char *f = pl; *f;) {
        if (*f != '%') {
            const char *e = strchr(f, '%');
            size_t n = e ? (size_t)(e - f) : strlen(f);
            put(&b, f, n);
            f += n;
            continue;
        }
        f++;
        if (*f == '{') { /* %{N|one|few|many} */
            char *e;
            long k = strtol(f + 1, &e, 10) - 1;
            const char *close = strchr(f, '}');
            if (k < 0 || k >= c->n || *e != '|' || !close)
                break;
            int form = plural_form(strtoll(c->at[k], NULL, 10));
            const char *opt = e + 1;
            for (int i = 0; i < form; i++) {
                const char *bar = memchr(opt, '|', (size_t)(close - opt));
                if (!bar)
                    break;
                opt = bar + 1;
            }
            const char *bar = memchr(opt, '|', (size_t)(close - opt));
            put(&b, opt, (size_t)((bar ? bar : close) - opt));
            f = close + 1;
            continue;
        }
        int k = next;
        if (isdigit((unsigned char)*f)) {
            char *e;
            long n = strtol(f, &e, 10);
            if (*e == '$') {
                k = (int)n - 1;
                f = e + 1;
            }
        }
        char conv;
        size_t n = conversion(f, &conv);
        f += n;
        if (conv == '%') {
            put(&b, "%", 1);
            continue;
        }
        if (!conv || k < 0 || k >= c->n)
            break;
        put_cap(&b, c, k);
        next = k + 1;
    }
    return b.p;
}

char *koop_msg_polish(const char *en)
{
    if (!en)
        return NULL;
    const struct koop_msg *best = NULL;
    struct caps best_caps = {0};
    size_t best_lit = 0;
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        struct caps c = {0};
        size_t lit = 0;
        if (match(msgs[i].en, en, &c, &lit) && (!best || lit > best_lit)) {
            best = &msgs[i];
            best_caps = c;
            best_lit = lit;
        }
    }
    return best ? rebuild(best->pl, &best_caps) : NULL;
}

/* ---- problems ------------------------------------------------------------------------------ */

static void set_polish(json_t *obj, const char *key, const char *fallback)
{
    const char *en = json_string_value(json_object_get(obj, key));
    if (!en)
        return;
    char *pl = koop_msg_polish(en);
    if (pl)
        json_object_set_new(obj, key, json_string(pl));
    else if (fallback)
        json_object_set_new(obj, key, json_string(fallback));
    free(pl);
}

void koop_problem_localize(json_t *problem, enum koop_lang lang)
{
    if (lang != KOOP_LANG_PL || !json_is_object(problem))
        return;
    const char *type = json_string_value(json_object_get(problem, "type"));
    const struct koop_problem_def *d =
        type && strncmp(type, "/problems/", 10) == 0 ? koop_problem_by_code(type + 10) : NULL;
    if (d) {
        const char *detail = json_string_value(json_object_get(problem, "detail"));
        if (detail && strcmp(detail, d->title) == 0)
            json_object_set_new(problem, "detail", json_string(d->title_pl));
        else
            set_polish(problem, "detail", NULL);
        json_object_set_new(problem, "title", json_string(d->title_pl));
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e)
    {
        const struct koop_vcode *v = koop_vcode_find(json_string_value(json_object_get(e, "code")));
        set_polish(e, "message", v ? v->pl : NULL);
    }
}
