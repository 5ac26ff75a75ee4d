/* server/messages.c: Accept-Language, the catalogue's matcher, and coverage —
 * every problem and validation code in both languages, and every message
 * format in the tree (scripts/messages.mjs) with a Polish entry. */
#include "unit.h"

#include "messages.h"
#include "problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(lang_pick)
{
    static const struct {
        const char *al;
        enum koop_lang want;
    } cases[] = {
        {NULL, KOOP_LANG_EN},
        {"", KOOP_LANG_EN},
        {"pl", KOOP_LANG_PL},
        {"PL", KOOP_LANG_PL},
        {"pl-PL", KOOP_LANG_PL},
        {"pl;q=0.9, en;q=0.8", KOOP_LANG_PL},
        {"en, pl;q=0.5", KOOP_LANG_EN},
        {"en;q=0.5, pl", KOOP_LANG_PL},
        {"pl, en", KOOP_LANG_PL},
        {"en, pl", KOOP_LANG_EN},
        {"*", KOOP_LANG_EN},
        {"de, *;q=0.1", KOOP_LANG_EN},
        {"de, pl;q=0.3", KOOP_LANG_PL},
        {"pl;q=0", KOOP_LANG_EN},
        {"pl;q=0, *", KOOP_LANG_EN},
        {"en;q=0, *", KOOP_LANG_PL},
        {"en-GB;q=0.7, pl-PL;q=0.8", KOOP_LANG_PL},
        {"plx", KOOP_LANG_EN},
        {"pl;q=abc", KOOP_LANG_EN},
        {"pl ; q=0.9 , en ; q=0.4", KOOP_LANG_PL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(koop_lang_pick(cases[i].al) == cases[i].want, "Accept-Language: %s",
                      cases[i].al ? cases[i].al : "(none)");
    ck_assert_str_eq(koop_lang_tag(KOOP_LANG_PL), "pl");
    ck_assert_str_eq(koop_lang_tag(KOOP_LANG_EN), "en");
}
END_TEST

static void polish_is(const char *en, const char *want)
{
    char *pl = koop_msg_polish(en);
    ck_assert_msg(pl != NULL, "no Polish for \"%s\"", en);
    ck_assert_msg(strcmp(pl, want) == 0, "\"%s\" became \"%s\", not \"%s\"", en, pl, want);
    free(pl);
}

START_TEST(matcher)
{
    polish_is("is required", "pole wymagane");
    polish_is("must be at most 300 characters", "musi mieć co najwyżej 300 znaków");
    polish_is("must be at most 1 characters", "musi mieć co najwyżej 1 znak");
    polish_is("must be at least 3 characters", "musi mieć co najmniej 3 znaki");
    polish_is("must be at most 22 characters", "musi mieć co najwyżej 22 znaki");
    polish_is("must be at most 12 characters", "musi mieć co najwyżej 12 znaków");
    polish_is("must be at most 5", "musi wynosić co najwyżej 5");
    polish_is("1 invalid field", "1 nieprawidłowe pole");
    polish_is("3 invalid fields", "3 nieprawidłowe pola");
    polish_is("5 invalid fields", "5 nieprawidłowych pól");
    polish_is("must be one of: active, closed", "musi mieć jedną z wartości: active, closed");
    polish_is("a family cannot go from active to new",
              "rodzina nie może przejść ze stanu active do stanu new");
    polish_is("malformed JSON at line 1, column 7", "nieprawidłowy JSON w wierszu 1, kolumnie 7");
    polish_is("the body must be application/json or application/merge-patch+json",
              "treść żądania musi być typu application/json lub application/merge-patch+json");
    polish_is("must be a string", "musi być tekstem");
    polish_is("has 3 fields, the header has 5", "ma 3 pola, a nagłówek ma 5");
    polish_is("the record is at version 2; If-Match named 1",
              "rekord ma wersję 2, a If-Match wskazuje wersję 1");
    polish_is("no such family", "nie znaleziono takiej rodziny");
    polish_is("no such widget", "nie znaleziono: widget");
    polish_is("is required for partner_staff", "pole wymagane dla roli partner_staff");
    polish_is("is required for a team", "pole wymagane dla: a team");
    ck_assert_ptr_null(koop_msg_polish("something nobody wrote"));
}
END_TEST

START_TEST(localize_problem)
{
    json_t *p = koop_problem_json(P_VALIDATION, "2 invalid fields");
    json_t *errors = json_array();
    koop_error_add(errors, "body", "name", "max_length", "must be at most 300 characters");
    koop_error_add(errors, "body", "x", "unknown_field", "is not a known field");
    koop_error_add(errors, "body", "y", "checksum", "a message nobody catalogued");
    json_object_set_new(p, "errors", errors);
    json_t *copy = json_deep_copy(p);
    koop_problem_localize(copy, KOOP_LANG_EN);
    ck_assert(json_equal(copy, p));
    koop_problem_localize(p, KOOP_LANG_PL);
    ck_assert_str_eq(json_string_value(json_object_get(p, "title")), "Nieprawidłowe dane");
    ck_assert_str_eq(json_string_value(json_object_get(p, "detail")), "2 nieprawidłowe pola");
    ck_assert_str_eq(json_string_value(json_object_get(p, "type")), "/problems/validation_failed");
    json_t *e = json_object_get(p, "errors");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 0), "message")),
                     "musi mieć co najwyżej 300 znaków");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 1), "message")),
                     "nieznane pole");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(e, 2), "message")),
                     "nieprawidłowa cyfra kontrolna");
    json_decref(p);
    json_decref(copy);

    p = koop_problem_json(P_NOT_FOUND, NULL); /* detail defaults to the title */
    koop_problem_localize(p, KOOP_LANG_PL);
    ck_assert_str_eq(json_string_value(json_object_get(p, "detail")), "Nie znaleziono");
    json_decref(p);
}
END_TEST

START_TEST(every_problem_has_both_titles)
{
    for (int i = 0; i < P__COUNT; i++) {
        const struct koop_problem_def *d = koop_problem_def((enum koop_problem)i);
        ck_assert_msg(d->title && *d->title, "problem %s has no English title", d->code);
        ck_assert_msg(d->title_pl && *d->title_pl, "problem %s has no Polish title", d->code);
    }
}
END_TEST

/* The errors[].code enum of ProblemError in openapi.yaml, read as text. */
static int spec_codes(char codes[][32], int max)
{
    const char *file = getenv("KOOP_OPENAPI_PATH");
    FILE *f = fopen(file && *file ? file : "openapi.yaml", "r");
    ck_assert_msg(f != NULL, "cannot read openapi.yaml");
    char line[512], list[2048] = "";
    bool in = false, collecting = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "    ProblemError:", 17) == 0)
            in = true;
        else if (in && !collecting && strstr(line, "enum: [")) {
            collecting = true;
            snprintf(list, sizeof list, "%s", strstr(line, "[") + 1);
        } else if (collecting)
            strncat(list, line, sizeof list - strlen(list) - 1);
        if (collecting && strchr(list, ']'))
            break;
    }
    fclose(f);
    *strchr(list, ']') = 0;
    int n = 0;
    for (char *save, *t = strtok_r(list, ", \n", &save); t && n < max;
         t = strtok_r(NULL, ", \n", &save))
        snprintf(codes[n++], 32, "%s", t);
    return n;
}

START_TEST(every_validation_code_has_both_messages)
{
    char codes[64][32];
    int n = spec_codes(codes, 64);
    ck_assert_int_gt(n, 10);
    size_t nv;
    const struct koop_vcode *v = koop_vcode_table(&nv);
    ck_assert_int_eq((int)nv, n);
    for (int i = 0; i < n; i++) {
        const struct koop_vcode *c = koop_vcode_find(codes[i]);
        ck_assert_msg(c != NULL, "validation code %s (openapi.yaml) is not in server/messages.c",
                      codes[i]);
        ck_assert_msg(c->en && *c->en && c->pl && *c->pl, "code %s lacks a language", codes[i]);
    }
    for (size_t i = 0; i < nv; i++)
        ck_assert(v[i].en && *v[i].en && v[i].pl && *v[i].pl);
}
END_TEST

START_TEST(catalogue_is_well_formed)
{
    size_t n;
    const struct koop_msg *m = koop_msg_table(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(m[i].en && *m[i].en && m[i].pl && *m[i].pl, "entry %zu is empty", i);
        ck_assert_msg(koop_msg_find(m[i].en) == &m[i], "\"%s\" is in the catalogue twice", m[i].en);
    }
}
END_TEST

START_TEST(every_format_has_polish)
{
    const char *node = getenv("KOOP_NODE");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s scripts/messages.mjs .", node && *node ? node : "node");
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char line[2048];
    size_t cap = 16384, len = 0;
    char *report = calloc(1, cap);
    int formats = 0, missing = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] != 'F' || line[1] != '\t')
            continue;
        char *where = line + 2, *fmt = strchr(where, '\t');
        if (!fmt)
            continue;
        *fmt++ = 0;
        formats++;
        if (koop_msg_find(fmt))
            continue;
        missing++;
        int w = snprintf(report + len, cap - len, "\n  %s: \"%s\"", where, fmt);
        if (w > 0 && (size_t)w < cap - len)
            len += (size_t)w;
    }
    int rc = pclose(p);
    ck_assert_msg(rc == 0, "%s failed (exit %d)", cmd, rc);
    ck_assert_msg(formats > 200, "%s found only %d formats", cmd, formats);
    ck_assert_msg(missing == 0,
                  "%d message format(s) have no Polish translation; add {English, Polish} rows "
                  "to msgs[] in server/messages.c:%s",
                  missing, report);
    free(report);
}
END_TEST

Suite *suite_messages(void)
{
    Suite *s = suite_create("messages");
    TCase *t = tcase_create("messages");
    tcase_add_test(t, lang_pick);
    tcase_add_test(t, matcher);
    tcase_add_test(t, localize_problem);
    tcase_add_test(t, every_problem_has_both_titles);
    tcase_add_test(t, every_validation_code_has_both_messages);
    tcase_add_test(t, catalogue_is_well_formed);
    tcase_add_test(t, every_format_has_polish);
    tcase_set_timeout(t, 30);
    suite_add_tcase(s, t);
    return s;
}
