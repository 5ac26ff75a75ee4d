/* Printable documents, as PDF (Accept: application/pdf) or as the JSON they are made from:
 *   GET /v1/partners/{partner_id}/certificate                       certificate of accession
 *   GET /v1/task-teams/{team_id}/plan                               the support plan to sign
 *   GET /v1/task-teams/{team_id}/meetings/{meeting_id}/protocol     a task-team meeting's protocol
 *   GET /v1/meetings/{meeting_id}/minutes                           a partnership meeting's minutes
 * The data come from one SQL function each (sql/functions/documents.sql: koop.partner_certificate,
 * koop.task_team_plan, koop.team_meeting_protocol, koop.meeting_minutes), which also decide who
 * sees what and audit the family documents as exports; this file only lays them out in Polish
 * (server/pdf.c). Every document names the tenant and when it was generated. */
#include "api.h"

#include "../server/db.h"
#include "../server/negotiate.h"
#include "../server/pdf.h"
#include "../server/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s && *s ? s : NULL;
}

/* "2026-05-25" → "25.05.2026" (Polish order) into buf; other text unchanged. */
static const char *pl_date(const char *iso, char *buf, size_t len)
{
    if (!iso)
        return NULL;
    int y, m, d;
    if (strlen(iso) >= 10 && sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
        snprintf(buf, len, "%02d.%02d.%04d", d, m, y);
    else
        snprintf(buf, len, "%s", iso);
    return buf;
}

/* The footer of every page: tenant and generation time (UTC, as the API shows time). */
static struct koop_pdf *begin(const json_t *doc, const char *title)
{
    char footer[400], when[32] = "";
    const char *at = str(doc, "generated_at");
    if (at) /* 2026-12-02T06:03:23.123456Z → 02.12.2026 06:03 UTC */
        snprintf(when, sizeof when, "%.2s.%.2s.%.4s %.5s UTC", at + 8, at + 5, at, at + 11);
    snprintf(footer, sizeof footer, "%s · wygenerowano %s · Kooperacje",
             str(doc, "tenant") ? str(doc, "tenant") : "", when);
    return koop_pdf_begin(title, footer);
}

static const char *label(const char *const pairs[][2], const char *code)
{
    for (int i = 0; code && pairs[i][0]; i++)
        if (!strcmp(pairs[i][0], code))
            return pairs[i][1];
    return code;
}

static const char *const goal_states[][2] = {{"open", "otwarty"},
                                             {"achieved", "osiągnięty"},
                                             {"partially_achieved", "częściowo osiągnięty"},
                                             {"not_achieved", "nieosiągnięty"},
                                             {NULL, NULL}};
static const char *const action_states[][2] = {
    {"planned", "zaplanowane"},      {"referred", "skierowane"},
    {"accepted", "przyjęte"},        {"declined", "odrzucone"},
    {"in_progress", "w realizacji"}, {"on_hold", "wstrzymane"},
    {"completed", "zrealizowane"},   {"failed", "niezrealizowane"},
    {"cancelled", "anulowane"},      {NULL, NULL}};
static const char *const meeting_kinds[][2] = {
    {"partnership_team", "Spotkanie Partnerskiego Zespołu Kooperacyjnego"},
    {"working_group", "Spotkanie grupy roboczej"},
    {"educational", "Spotkanie edukacyjne"},
    {"ceremony", "Uroczystość"},
    {"other", "Spotkanie"},
    {NULL, NULL}};

static void certificate(struct koop_pdf *d, const json_t *doc)
{
    char b1[16], b2[16], line[600];
    const json_t *p = json_object_get(doc, "partner");
    koop_pdf_gap(d, 40);
    koop_pdf_text(d, PDF_TITLE, "CERTYFIKAT KOOPERANTA");
    snprintf(line, sizeof line, "nr %s", str(doc, "certificate_number"));
    koop_pdf_text(d, PDF_CENTRED, line);
    koop_pdf_gap(d, 30);
    koop_pdf_text(d, PDF_CENTRED, "Niniejszym potwierdza się, że");
    koop_pdf_gap(d, 8);
    koop_pdf_text(d, PDF_LEAD, str(p, "name"));
    koop_pdf_gap(d, 8);
    snprintf(line, sizeof line,
             "przystąpił(a) do Partnerskiego Zespołu Kooperacyjnego — partnerstwa na rzecz "
             "wielosektorowej współpracy w ramach modelu kooperacji — na podstawie deklaracji "
             "przystąpienia podpisanej dnia %s.",
             pl_date(str(doc, "signed_on"), b1, sizeof b1));
    koop_pdf_text(d, PDF_CENTRED, line);
    koop_pdf_gap(d, 30);
    const json_t *leader = json_object_get(doc, "leader");
    koop_pdf_field(d, "Lider partnerstwa", str(leader, "name"));
    koop_pdf_field(d, "Data wydania certyfikatu",
                   pl_date(str(doc, "certificate_issued_on"), b2, sizeof b2));
    koop_pdf_gap(d, 30);
    koop_pdf_signature(d, str(leader, "name"), "podpis w imieniu lidera partnerstwa");
}

static void plan(struct koop_pdf *d, const json_t *doc)
{
    char b[16], line[600];
    const json_t *t = json_object_get(doc, "team"), *f = json_object_get(doc, "family");
    koop_pdf_text(d, PDF_TITLE, "Plan pomocy rodzinie");
    koop_pdf_text(d, PDF_CENTRED, "ścieżka wyjścia z kryzysu, uzgodniona w zespole zadaniowym");
    koop_pdf_gap(d, 10);
    koop_pdf_field(d, "Zespół zadaniowy", str(t, "name"));
    koop_pdf_field(d, "Rodzina (numer sprawy)", str(f, "reference_number"));
    koop_pdf_field(d, "Moderator zespołu", str(doc, "moderator"));
    koop_pdf_field(d, "Zespół powołany", pl_date(str(t, "formed_on"), b, sizeof b));
    snprintf(line, sizeof line, "%lld", json_integer_value(json_object_get(t, "plan_version")));
    koop_pdf_field(d, "Wersja planu", line);
    koop_pdf_field(d, "Plan uzgodniony z rodziną", pl_date(str(t, "plan_agreed_on"), b, sizeof b));
    koop_pdf_field(d, "Przegląd planu", pl_date(str(t, "review_on"), b, sizeof b));
    size_t gi, ai;
    json_t *g, *a;
    json_array_foreach(json_object_get(doc, "goals"), gi, g)
    {
        koop_pdf_gap(d, 10);
        snprintf(line, sizeof line, "Cel %zu. %s", gi + 1, str(g, "description"));
        koop_pdf_text(d, PDF_HEADING, line);
        koop_pdf_field(d, "Miernik", str(g, "measure"));
        koop_pdf_field(d, "Termin", pl_date(str(g, "target_date"), b, sizeof b));
        koop_pdf_field(d, "Stan", label(goal_states, str(g, "status")));
        json_array_foreach(json_object_get(g, "actions"), ai, a)
        {
            snprintf(line, sizeof line, "%zu.%zu. %s", gi + 1, ai + 1, str(a, "description"));
            koop_pdf_gap(d, 4);
            koop_pdf_text(d, PDF_BODY, line);
            koop_pdf_field(d, "    Realizuje", str(a, "partner"));
            koop_pdf_field(d, "    Usługa z koszyka", str(a, "service"));
            koop_pdf_field(d, "    Termin", pl_date(str(a, "due_on"), b, sizeof b));
            koop_pdf_field(d, "    Stan", label(action_states, str(a, "status")));
            char names[1200] = "";
            size_t mi;
            json_t *m;
            json_array_foreach(json_object_get(a, "members"), mi, m)
            {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, "%s%s", mi ? ", " : "",
                         json_string_value(m) ? json_string_value(m) : "");
            }
            koop_pdf_field(d, "    Dotyczy", names);
        }
    }
    koop_pdf_gap(d, 16);
    koop_pdf_text(d, PDF_HEADING, "Podpisy");
    koop_pdf_text(d, PDF_BODY,
                  "Zapoznaliśmy się z planem, uzgodniliśmy go i zobowiązujemy się do udziału "
                  "w jego realizacji.");
    size_t si;
    json_t *s;
    json_array_foreach(json_object_get(doc, "signatories"), si, s)
        koop_pdf_signature(d, json_string_value(s), "data i podpis członka rodziny");
    if (!json_array_size(json_object_get(doc, "signatories")))
        koop_pdf_signature(d, NULL, "data i podpis członka rodziny");
    koop_pdf_signature(d, str(doc, "moderator"), "data i podpis moderatora zespołu");
}

static void attendees(struct koop_pdf *d, const json_t *list, const char *heading)
{
    size_t i;
    json_t *a;
    koop_pdf_text(d, PDF_HEADING, heading);
    json_array_foreach(list, i, a)
    {
        char line[600];
        const char *p = str(a, "partner");
        snprintf(line, sizeof line, "%zu. %s%s%s%s", i + 1, str(a, "name") ? str(a, "name") : "",
                 p ? " (" : "", p ? p : "", p ? ")" : "");
        koop_pdf_text(d, PDF_BODY, line);
    }
    if (!json_array_size(list))
        koop_pdf_text(d, PDF_BODY, "—");
}

static void team_protocol(struct koop_pdf *d, const json_t *doc)
{
    char b[16];
    const json_t *m = json_object_get(doc, "meeting");
    koop_pdf_text(d, PDF_TITLE, "Protokół ze spotkania zespołu zadaniowego");
    koop_pdf_field(d, "Zespół", str(json_object_get(doc, "team"), "name"));
    koop_pdf_field(d, "Rodzina (numer sprawy)",
                   str(json_object_get(doc, "family"), "reference_number"));
    koop_pdf_field(d, "Data spotkania", pl_date(str(m, "held_on"), b, sizeof b));
    koop_pdf_field(d, "Miejsce", str(m, "place"));
    koop_pdf_gap(d, 8);
    attendees(d, json_object_get(doc, "attendees"), "Obecni");
    koop_pdf_gap(d, 8);
    koop_pdf_text(d, PDF_HEADING, "Porządek spotkania");
    koop_pdf_text(d, PDF_BODY, str(m, "agenda") ? str(m, "agenda") : "—");
    koop_pdf_text(d, PDF_HEADING, "Ustalenia");
    koop_pdf_text(d, PDF_BODY, str(m, "decisions") ? str(m, "decisions") : "—");
    koop_pdf_field(d, "Następne spotkanie", pl_date(str(m, "next_meeting_on"), b, sizeof b));
    koop_pdf_gap(d, 10);
    koop_pdf_text(d, PDF_HEADING, "Podpisy obecnych");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "attendees"), i, a)
        koop_pdf_signature(d, str(a, "name"), "podpis");
}

static void minutes(struct koop_pdf *d, const json_t *doc)
{
    char b[16];
    const json_t *m = json_object_get(doc, "meeting");
    koop_pdf_text(d, PDF_TITLE, "Protokół");
    koop_pdf_text(d, PDF_CENTRED, label(meeting_kinds, str(m, "kind")));
    koop_pdf_gap(d, 8);
    koop_pdf_field(d, "Temat", str(m, "title"));
    koop_pdf_field(d, "Data spotkania", pl_date(str(m, "held_on"), b, sizeof b));
    koop_pdf_field(d, "Miejsce", str(m, "place"));
    koop_pdf_gap(d, 8);
    koop_pdf_text(d, PDF_HEADING, "Partnerzy obecni na spotkaniu");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "partners"), i, p)
    {
        char line[400];
        snprintf(line, sizeof line, "%zu. %s", i + 1, str(p, "name"));
        koop_pdf_text(d, PDF_BODY, line);
    }
    if (!json_array_size(json_object_get(doc, "partners")))
        koop_pdf_text(d, PDF_BODY, "—");
    koop_pdf_text(d, PDF_HEADING, "Porządek spotkania");
    koop_pdf_text(d, PDF_BODY, str(m, "agenda") ? str(m, "agenda") : "—");
    koop_pdf_text(d, PDF_HEADING, "Przebieg spotkania");
    koop_pdf_text(d, PDF_BODY, str(m, "minutes") ? str(m, "minutes") : "—");
    koop_pdf_text(d, PDF_HEADING, "Ustalenia");
    koop_pdf_text(d, PDF_BODY, str(m, "decisions") ? str(m, "decisions") : "—");
    koop_pdf_gap(d, 10);
    koop_pdf_signature(d, NULL, "protokołował(a)");
    koop_pdf_signature(d, NULL, "za lidera partnerstwa");
}

struct document {
    const char *stmt;     /* the SQL function's statement */
    const char *title;    /* PDF metadata title */
    const char *filename; /* Content-Disposition, without .pdf */
    void (*render)(struct koop_pdf *d, const json_t *doc);
};

/* Answers the document as JSON or PDF as Accept asks (JSON when it does not say). */
static int document(struct kreq *req, struct kres *res, const struct document *doc)
{
    static const char *const types[] = {"application/json", "application/pdf", NULL};
    int want = koop_accept_pick(req->accept, types);
    if (want < 0)
        return koop_fail(res, P_NOT_ACCEPTABLE,
                         "documents are application/json or application/pdf");
    if (koop_no_query(req, res) != 0)
        return 0;
    const char *v[KOOP_MAX_PARAMS];
    for (int i = 0; i < req->nparams; i++)
        v[i] = req->params[i];
    koop_res_one(req, res, doc->stmt, req->nparams, v, 200);
    if (res->status == 200)
        koop_res_header(res, "Vary", "Accept");
    if (res->status != 200 || want == 0)
        return 0;
    json_t *data = json_loadb(res->raw, res->raw_len, 0, NULL);
    free(res->raw);
    res->raw = NULL;
    struct koop_pdf *d = data ? begin(data, doc->title) : NULL;
    char *pdf = NULL;
    size_t len = 0;
    if (d) {
        doc->render(d, data);
        pdf = koop_pdf_end(d, &len);
    }
    json_decref(data);
    if (!pdf)
        return koop_fail(res, P_INTERNAL, "the document could not be rendered");
    res->raw = pdf;
    res->raw_len = len;
    res->content_type = "application/pdf";
    koop_res_header(res, "Content-Disposition", "inline; filename=\"%s.pdf\"", doc->filename);
    return 0;
}

int documents_certificate(struct kreq *req, struct kres *res)
{
    static const struct document d = {"koop_partner_certificate", "Certyfikat kooperanta",
                                      "certyfikat", certificate};
    return document(req, res, &d);
}

int documents_plan(struct kreq *req, struct kres *res)
{
    static const struct document d = {"koop_task_team_plan", "Plan pomocy rodzinie", "plan", plan};
    return document(req, res, &d);
}

int documents_team_protocol(struct kreq *req, struct kres *res)
{
    static const struct document d = {"koop_team_meeting_protocol",
                                      "Protokół ze spotkania zespołu zadaniowego", "protokol",
                                      team_protocol};
    return document(req, res, &d);
}

int documents_minutes(struct kreq *req, struct kres *res)
{
    static const struct document d = {"koop_meeting_minutes", "Protokół ze spotkania partnerstwa",
                                      "protokol", minutes};
    return document(req, res, &d);
}

void documents_init(void)
{
    db_register("koop_partner_certificate",
                "SELECT NULL, koop.partner_certificate($1::uuid)::text");
    db_register("koop_task_team_plan", "SELECT NULL, koop.task_team_plan($1::uuid)::text");
    db_register("koop_team_meeting_protocol",
                "SELECT NULL, koop.team_meeting_protocol($1::uuid, $2::uuid)::text");
    db_register("koop_meeting_minutes", "SELECT NULL, koop.meeting_minutes($1::uuid)::text");
}
