/* Printable documents (api/documents.c): the certificate of accession, the support plan to sign,
 * a task-team meeting's protocol and a partnership meeting's minutes. Each is fetched as PDF, its
 * text extracted with pdftotext (poppler-utils) and searched for the exact Polish text it must
 * carry; the JSON form of the same document, who may fetch it, what is audited and what never
 * appears (PESEL) are checked too. */
#include "client.h"
#include "pii.h"
#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text of a PDF answer (pdftotext, reading order, no layout), malloc'd. pages gets the
 * number of pages (form feeds). */
static char *pdf_text(const struct resp *r, int *pages)
{
    char in[] = "/tmp/koopdoc.XXXXXX";
    int fd = mkstemp(in);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, r->body, r->len), (ssize_t)r->len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s - 2>&1", in);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    for (size_t k; (k = fread(out + n, 1, cap - n - 1, p)) > 0;) {
        n += k;
        if (cap - n < 4096)
            out = realloc(out, cap *= 2);
    }
    out[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    unlink(in);
    *pages = 0;
    for (char *c = out; *c; c++)
        *pages += *c == '\f';
    /* pdftotext breaks lines where the layout wrapped them: join them for searching */
    for (char *c = out; *c; c++)
        if (*c == '\n')
            *c = ' ';
    return out;
}

#define HAS(text, s) ck_assert_msg(strstr((text), (s)), "the document lacks \"%s\"", (s))

struct dw {
    char tenant[37], admin[80], admin_id[37];
    char sw[80], sw_id[37], auditor[80], auditor_id[37];
    char leader[37], partner[37], other[37];
    char staff[80], staff_id[37], staff_other[80], staff_other_id[37];
    char svc[37], family[37], adult[37], spouse[37], child[37], pesel[12];
    char team[37], rep[37], fm[37], goal[37], action[37], tmeeting[37], meeting[37];
    char surname[64];
};

static void partner_with(const char *tok, const char *name, bool leader, const char *number,
                         char out[37])
{
    json_t *doc =
        json_pack("{s:s, s:s, s:b}", "name", name, "sector", "labour", "is_leader", leader);
    if (number)
        json_object_set_new(doc, "declaration",
                            json_pack("{s:s, s:s, s:s}", "signed_on", "2017-06-12",
                                      "certificate_number", number, "certificate_issued_on",
                                      "2017-06-30"));
    CREATE(tok, "/v1/partners", doc, out);
}

static void setup(struct dw *w)
{
    memset(w, 0, sizeof *w);
    fresh_tenant(w->tenant, w->admin, w->admin_id);
    make_user(w->admin, "social_worker", NULL, w->sw, w->sw_id);
    make_user(w->admin, "auditor", NULL, w->auditor, w->auditor_id);
    partner_with(w->admin, "Miejski Ośrodek Pomocy Społecznej w Żorach", true, "PZK/2017/01",
                 w->leader);
    partner_with(w->admin, "Powiatowy Urząd Pracy — Źródła Łąkowe", false, "PZK/2017/07",
                 w->partner);
    partner_with(w->admin, "Stowarzyszenie Gęśla Jaźń", false, NULL, w->other);
    make_user(w->admin, "partner_staff", w->partner, w->staff, w->staff_id);
    make_user(w->admin, "partner_staff", w->other, w->staff_other, w->staff_other_id);
    CREATE(w->admin, "/v1/services",
           json_pack("{s:s, s:s, s:s}", "partner_id", w->partner, "name",
                     "Szkolenia zawodowe — spawacz", "category", "training"),
           w->svc);
    MOVED(w->admin, fmt("/v1/services/%s/transitions", w->svc), "active", NULL, NULL);

    snprintf(w->surname, sizeof w->surname, "Świętochłowska%dź", (int)getpid());
    note_pii(w->surname);
    CREATE(w->admin, "/v1/families", json_pack("{s:s}", "district", "Centrum"), w->family);
    make_pesel(1980, 2, 11, 1, w->pesel);
    CREATE(w->admin, fmt("/v1/families/%s/members", w->family),
           json_pack("{s:s, s:s, s:s, s:s}", "first_name", "Łucja", "last_name", w->surname,
                     "pesel", w->pesel, "relation", "head"),
           w->adult);
    CREATE(w->admin, fmt("/v1/families/%s/members", w->family),
           json_pack("{s:s, s:s, s:s, s:s}", "first_name", "Grzegorz", "last_name", w->surname,
                     "birth_date", "1978-09-30", "relation", "spouse"),
           w->spouse);
    CREATE(w->admin, fmt("/v1/families/%s/members", w->family),
           json_pack("{s:s, s:s, s:s, s:s}", "first_name", "Żaneta", "last_name", w->surname,
                     "birth_date", "2015-04-01", "relation", "child"),
           w->child);
    char consent[37];
    CREATE(w->admin, fmt("/v1/families/%s/consents", w->family),
           json_pack("{s:s, s:s, s:s, s:s}", "member_id", w->adult, "scope", "sharing_with_team",
                     "given_on", utc_date(-1), "purpose", "współpraca w ZZK"),
           consent);

    CREATE(w->admin, "/v1/task-teams",
           json_pack("{s:s, s:s, s:s}", "family_id", w->family, "name", "ZZK – rodzina Ściółków",
                     "moderator_id", w->sw_id),
           w->team);
    CREATE(w->sw, fmt("/v1/task-teams/%s/members", w->team),
           json_pack("{s:s, s:s, s:s, s:s}", "kind", "partner_representative", "partner_id",
                     w->partner, "person_name", "Bożena Ćwiklińska", "user_id", w->staff_id),
           w->rep);
    CREATE(w->sw, fmt("/v1/task-teams/%s/members", w->team),
           json_pack("{s:s, s:s}", "kind", "family_member", "member_id", w->adult), w->fm);
    char fm2[37], fm3[37];
    CREATE(w->sw, fmt("/v1/task-teams/%s/members", w->team),
           json_pack("{s:s, s:s}", "kind", "family_member", "member_id", w->spouse), fm2);
    CREATE(w->sw, fmt("/v1/task-teams/%s/members", w->team),
           json_pack("{s:s, s:s}", "kind", "family_member", "member_id", w->child), fm3);
    MOVED(w->sw, fmt("/v1/task-teams/%s/transitions", w->team), "active", NULL, NULL);

    /* a goal long enough to push the plan onto further pages */
    char long_goal[1900];
    snprintf(long_goal, sizeof long_goal, "Stała praca ojca.");
    for (int i = 0; i < 24; i++)
        strcat(long_goal, " Regularne spotkania z doradcą zawodowym i udział w zajęciach.");
    CREATE(w->sw, fmt("/v1/task-teams/%s/goals", w->team),
           json_pack("{s:s, s:s, s:s}", "description", long_goal, "measure",
                     "umowa o pracę na co najmniej 6 miesięcy", "target_date", "2027-06-30"),
           w->goal);
    for (int i = 0; i < 3; i++) {
        char g[37];
        CREATE(w->sw, fmt("/v1/task-teams/%s/goals", w->team),
               json_pack("{s:s}", "description", long_goal), g);
    }
    CREATE(w->sw, fmt("/v1/task-teams/%s/actions", w->team),
           json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "goal_id", w->goal, "description",
                     "Kurs spawacza — zgłoszenie w urzędzie", "service_id", w->svc, "due_on",
                     "2027-01-31", "member_ids", w->spouse),
           w->action);
    CREATE(w->sw, fmt("/v1/task-teams/%s/meetings", w->team),
           json_pack("{s:s, s:s, s:[s, s], s:s, s:s}", "held_on", "2026-10-20", "place",
                     "MOPS, sala nr 4 — piętro źółte", "attendee_ids", w->rep, w->fm, "agenda",
                     "Diagnoza sytuacji rodziny", "decisions",
                     "Ustalono skierowanie na kurs; następne spotkanie za miesiąc."),
           w->tmeeting);
    CREATE(w->admin, "/v1/meetings",
           json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:s, s:s, s:s}", "kind", "partnership_team",
                     "held_on", "2026-10-14", "title", "Posiedzenie PZK — koszyk usług", "place",
                     "Urząd Miasta, sala sesyjna", "partner_ids", w->leader, w->partner, "agenda",
                     "Aktualizacja koszyka usług", "minutes",
                     "Omówiono wolne miejsca w usługach i rejestr korzyści.", "decisions",
                     "Przyjęto harmonogram spotkań na 2027 rok."),
           w->meeting);
}

/* PDFs straight from the daemon: Prism re-encodes binary bodies as text (the JSON form of each
 * document goes through Prism and is validated against openapi.yaml). */
static struct resp *get_pdf(const char *tok, const char *path)
{
    const char *h[] = {"Accept: application/pdf", NULL};
    return direct("GET", path, tok, NULL, h);
}

static void check_pdf(const struct resp *r)
{
    EXPECT(r, 200);
    ck_assert_str_eq(resp_header(r, "Content-Type"), "application/pdf");
    ck_assert_msg(r->len > 1000 && !memcmp(r->body, "%PDF-", 5), "not a PDF");
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Vary"), "Accept"));
}

START_TEST(certificate_of_accession)
{
    struct dw w;
    setup(&w);
    const char *path = fmt("/v1/partners/%s/certificate", w.partner);
    struct resp *r = get_pdf(w.admin, path);
    check_pdf(r);
    int pages;
    char *t = pdf_text(r, &pages);
    ck_assert_int_eq(pages, 1);
    HAS(t, "CERTYFIKAT KOOPERANTA");
    HAS(t, "nr PZK/2017/07");
    HAS(t, "Powiatowy Urząd Pracy — Źródła Łąkowe");
    HAS(t, "podpisanej dnia 12.06.2017");
    HAS(t, "Lider partnerstwa: Miejski Ośrodek Pomocy Społecznej w Żorach");
    HAS(t, "Data wydania certyfikatu: 30.06.2017");
    HAS(t, "wygenerowano");
    HAS(t, "strona 1");
    free(t);
    resp_free(r);

    /* the same document as JSON: what the PDF was made from */
    r = api("GET", path, w.admin, NULL);
    EXPECT(r, 200);
    ck_assert_str_eq(jstr(r->json, "certificate_number"), "PZK/2017/07");
    ck_assert_str_eq(jstr(json_object_get(r->json, "leader"), "id"), w.leader);
    ck_assert_ptr_nonnull(jstr(r->json, "tenant"));
    resp_free(r);

    /* partner staff print their own partner's certificate, never another's */
    r = get_pdf(w.staff, path);
    check_pdf(r);
    resp_free(r);
    r = api("GET", path, w.staff_other, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* no certificate number yet: 409 saying what is missing */
    r = api("GET", fmt("/v1/partners/%s/certificate", w.other), w.admin, NULL);
    ck_problem(r, 409, "conflict");
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "detail"), "certificate_number"));
    resp_free(r);
    /* roles that may not, and a format nobody offers */
    r = api("GET", path, w.auditor, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    const char *html[] = {"Accept: text/html", NULL};
    r = direct("GET", path, w.admin, NULL, html);
    ck_problem(r, 406, "not_acceptable");
    resp_free(r);
    r = api("GET", fmt("/v1/partners/%s/certificate?x=1", w.partner), w.admin, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

START_TEST(support_plan_for_signature)
{
    struct dw w;
    setup(&w);
    const char *path = fmt("/v1/task-teams/%s/plan", w.team);
    struct resp *r = get_pdf(w.sw, path);
    check_pdf(r);
    int pages;
    char *t = pdf_text(r, &pages);
    ck_assert_msg(pages >= 2, "the long plan should wrap onto further pages, got %d", pages);
    HAS(t, "Plan pomocy rodzinie");
    HAS(t, "ZZK – rodzina Ściółków");
    HAS(t, "Cel 1. Stała praca ojca.");
    HAS(t, "Miernik: umowa o pracę na co najmniej 6 miesięcy");
    HAS(t, "Termin: 30.06.2027");
    HAS(t, "Kurs spawacza — zgłoszenie w urzędzie");
    HAS(t, "Realizuje: Powiatowy Urząd Pracy — Źródła Łąkowe");
    HAS(t, "Usługa z koszyka: Szkolenia zawodowe — spawacz");
    HAS(t, fmt("Dotyczy: Grzegorz %s", w.surname));
    /* the adults on the team sign, the child does not; the moderator signs */
    HAS(t, fmt("Łucja %s data i podpis członka rodziny", w.surname));
    HAS(t, fmt("Grzegorz %s data i podpis członka rodziny", w.surname));
    ck_assert_msg(!strstr(t, fmt("Żaneta %s data i podpis", w.surname)), "a child signs");
    HAS(t, "data i podpis moderatora zespołu");
    HAS(t, fmt("strona %d", pages));
    ck_assert_msg(!strstr(t, w.pesel), "the plan shows a PESEL");
    free(t);
    ck_assert_ptr_null(memmem(r->body, r->len, w.pesel, 11));
    resp_free(r);

    /* audited as an export of the team's family data */
    r = api("GET", fmt("/v1/audit-events?resource=task_team&resource_id=%s", w.team), w.admin,
            NULL);
    EXPECT(r, 200);
    size_t i, exports = 0;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "items"), i, e) exports +=
        !strcmp(jstr(e, "action"), "export") && !strcmp(jstr(e, "actor_id"), w.sw_id);
    ck_assert_uint_eq(exports, 1);
    resp_free(r);

    /* JSON: no PESEL either */
    r = api("GET", path, w.admin, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_null(strstr(r->body, w.pesel));
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "signatories")), 2);
    resp_free(r);

    /* partner staff never print a family's plan (refused, and the refusal audited) */
    r = api("GET", path, w.staff, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    /* another tenant's admin: 404 */
    r = api("GET", path, world()->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(task_team_meeting_protocol)
{
    struct dw w;
    setup(&w);
    const char *path = fmt("/v1/task-teams/%s/meetings/%s/protocol", w.team, w.tmeeting);
    struct resp *r = get_pdf(w.sw, path);
    check_pdf(r);
    int pages;
    char *t = pdf_text(r, &pages);
    HAS(t, "Protokół ze spotkania zespołu zadaniowego");
    HAS(t, "Data spotkania: 20.10.2026");
    HAS(t, "Miejsce: MOPS, sala nr 4 — piętro źółte");
    HAS(t, "Bożena Ćwiklińska (Powiatowy Urząd Pracy — Źródła Łąkowe)");
    HAS(t, fmt("Łucja %s", w.surname));
    HAS(t, "Ustalono skierowanie na kurs; następne spotkanie za miesiąc.");
    ck_assert_msg(!strstr(t, fmt("Grzegorz %s", w.surname)), "lists someone absent");
    free(t);
    resp_free(r);
    r = api("GET", fmt("/v1/audit-events?resource=team_meeting&resource_id=%s", w.tmeeting),
            w.admin, NULL);
    EXPECT(r, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "\"export\""));
    resp_free(r);
    r = api("GET", fmt("/v1/task-teams/%s/meetings/%s/protocol", w.team, w.team), w.sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

START_TEST(partnership_meeting_minutes)
{
    struct dw w;
    setup(&w);
    const char *path = fmt("/v1/meetings/%s/minutes", w.meeting);
    struct resp *r = get_pdf(w.staff, path);
    check_pdf(r);
    int pages;
    char *t = pdf_text(r, &pages);
    HAS(t, "Spotkanie Partnerskiego Zespołu Kooperacyjnego");
    HAS(t, "Temat: Posiedzenie PZK — koszyk usług");
    HAS(t, "Data spotkania: 14.10.2026");
    HAS(t, "Miejski Ośrodek Pomocy Społecznej w Żorach");
    HAS(t, "Powiatowy Urząd Pracy — Źródła Łąkowe");
    HAS(t, "Omówiono wolne miejsca w usługach i rejestr korzyści.");
    HAS(t, "Przyjęto harmonogram spotkań na 2027 rok.");
    ck_assert_msg(!strstr(t, "Stowarzyszenie Gęśla Jaźń"), "lists a partner not present");
    free(t);
    resp_free(r);
    r = api("GET", fmt("/v1/meetings/%s/minutes", w.family), w.admin, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

Suite *suite_documents(void)
{
    Suite *s = suite_create("documents");
    TCase *c = tcase_create("certificate");
    tcase_add_test(c, certificate_of_accession);
    suite_add_tcase(s, c);
    c = tcase_create("plan");
    tcase_add_test(c, support_plan_for_signature);
    suite_add_tcase(s, c);
    c = tcase_create("protocols");
    tcase_add_test(c, task_team_meeting_protocol);
    tcase_add_test(c, partnership_meeting_minutes);
    suite_add_tcase(s, c);
    return s;
}
