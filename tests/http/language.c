/* Polish messages: with Accept-Language: pl a problem's title, detail and every errors[].message
 * are Polish (Content-Language: pl), otherwise English (Content-Language: en); q-values decide
 * between the two; problems raised in C and in SQL alike. */
#include "client.h"
#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const PL[] = {"Accept-Language: pl", NULL};

/* Sends the request with the given Accept-Language (NULL: none), checks the status,
 * Content-Language and Vary. Caller frees. */
static struct resp *ask(const char *method, const char *path, const char *tok, const char *body,
                        const char *lang, const char *if_match, long status, const char *want)
{
    char al[96], im[64];
    const char *h[4] = {NULL};
    int n = 0;
    if (lang) {
        snprintf(al, sizeof al, "Accept-Language: %s", lang);
        h[n++] = al;
    }
    if (if_match) {
        snprintf(im, sizeof im, "If-Match: %s", if_match);
        h[n++] = im;
        h[n++] = "Content-Type: application/merge-patch+json";
    }
    struct resp *r = api_h(method, path, tok, body, h);
    ck_assert_msg(r->status == status, "%s %s (%s): %ld %s", method, path, lang ? lang : "-",
                  r->status, r->body);
    const char *cl = resp_header(r, "Content-Language");
    ck_assert_msg(cl && strcmp(cl, want) == 0, "%s %s (%s): Content-Language %s", method, path,
                  lang ? lang : "-", cl ? cl : "(none)");
    const char *vary = resp_header(r, "Vary");
    ck_assert_msg(vary && strstr(vary, "Accept-Language"), "Vary: %s", vary ? vary : "(none)");
    return r;
}

static void is(const struct resp *r, const char *key, const char *want)
{
    const char *v = jstr(r->json, key);
    ck_assert_msg(v && strcmp(v, want) == 0, "%s: \"%s\", not \"%s\" in %s", key, v ? v : "(none)",
                  want, r->body);
}

static const char *message_of(const struct resp *r, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (strcmp(jstr(e, "field"), field) == 0)
            return jstr(e, "message");
    }
    ck_abort_msg("no error for %s in %s", field, r->body);
    return NULL;
}

START_TEST(not_found)
{
    const struct world *w = world();
    const char *path = "/v1/partners/018f0000-0000-7000-8000-000000000000";
    struct resp *r = ask("GET", path, w->coord_a, NULL, "pl", NULL, 404, "pl");
    is(r, "title", "Nie znaleziono");
    is(r, "type", "/problems/not_found");
    ck_assert_msg(strncmp(jstr(r->json, "detail"), "nie znaleziono", 14) == 0, "%s", r->body);
    resp_free(r);
    r = ask("GET", path, w->coord_a, NULL, NULL, NULL, 404, "en");
    is(r, "title", "Not found");
    ck_assert_msg(strncmp(jstr(r->json, "detail"), "no such", 7) == 0, "%s", r->body);
    resp_free(r);
}
END_TEST

START_TEST(validation_with_several_errors)
{
    const struct world *w = world();
    char name[320];
    memset(name, 'a', 301);
    name[301] = 0;
    char *body = strdup(fmt("{\"name\":\"%s\",\"sector\":\"bogus\",\"colour\":\"red\","
                            "\"identifiers\":{\"nip\":\"1234567890\"}}",
                            name));
    struct resp *r = ask("POST", "/v1/partners", w->coord_a, body, "pl", NULL, 422, "pl");
    is(r, "title", "Nieprawidłowe dane");
    is(r, "detail", "4 nieprawidłowe pola");
    ck_assert_str_eq(message_of(r, "name"), "musi mieć co najwyżej 300 znaków");
    ck_assert_str_eq(message_of(r, "colour"), "nieznane pole");
    ck_assert_str_eq(message_of(r, "identifiers.nip"), "ma nieprawidłową cyfrę kontrolną");
    ck_assert_msg(strncmp(message_of(r, "sector"), "musi mieć jedną z wartości: ", 28) == 0, "%s",
                  message_of(r, "sector"));
    resp_free(r);
    r = ask("POST", "/v1/partners", w->coord_a, body, NULL, NULL, 422, "en");
    is(r, "title", "Validation failed");
    is(r, "detail", "4 invalid fields");
    ck_assert_str_eq(message_of(r, "name"), "must be at most 300 characters");
    ck_assert_str_eq(message_of(r, "colour"), "is not a known field");
    ck_assert_str_eq(message_of(r, "identifiers.nip"), "has a wrong check digit");
    ck_assert_msg(strncmp(message_of(r, "sector"), "must be one of: ", 16) == 0, "%s", r->body);
    resp_free(r);
    free(body);
}
END_TEST

START_TEST(transition_from_sql)
{
    const struct world *w = world();
    char id[37];
    make_partner(w->coord_a, uniq("Język"), id);
    const char *path = fmt("/v1/partners/%s/transitions", id);
    struct resp *r = ask("POST", path, w->coord_a, "{\"to\":\"active\"}", "pl", NULL, 409, "pl");
    is(r, "title", "Niedozwolona zmiana stanu");
    is(r, "detail", "partner nie może przejść ze stanu invited do stanu active");
    ck_assert(json_is_array(json_object_get(r->json, "allowed")));
    resp_free(r);
    r = ask("POST", path, w->coord_a, "{\"to\":\"active\"}", NULL, NULL, 409, "en");
    is(r, "title", "Transition not allowed");
    is(r, "detail", "a partner cannot go from invited to active");
    resp_free(r);
    /* koop.not_found('partner') and koop.fail_field from SQL */
    path = "/v1/partners/018f0000-0000-7000-8000-000000000000/transitions";
    r = ask("POST", path, w->coord_a, "{\"to\":\"declared\"}", "pl", NULL, 404, "pl");
    is(r, "detail", "nie znaleziono takiego partnera");
    resp_free(r);
    r = ask("POST", path, w->coord_a, "{\"to\":\"declared\"}", "en", NULL, 404, "en");
    is(r, "detail", "no such partner");
    resp_free(r);
}
END_TEST

START_TEST(precondition_failed)
{
    const struct world *w = world();
    char id[37];
    make_partner(w->coord_a, uniq("Wersja"), id);
    const char *path = fmt("/v1/partners/%s", id);
    struct resp *r =
        ask("PATCH", path, w->coord_a, "{\"competences\":\"x\"}", "pl", "\"99\"", 412, "pl");
    is(r, "title", "Warunek wstępny niespełniony");
    const char *d = jstr(r->json, "detail");
    ck_assert_msg(strstr(d, "If-Match") && !strstr(d, "does not"), "%s", r->body);
    resp_free(r);
    r = ask("PATCH", path, w->coord_a, "{\"competences\":\"x\"}", NULL, "\"99\"", 412, "en");
    is(r, "title", "Precondition failed");
    resp_free(r);
}
END_TEST

START_TEST(unauthorized_and_q_values)
{
    static const struct {
        const char *al, *want;
    } cases[] = {
        {"pl", "pl"}, {"pl;q=0.9, en;q=0.8", "pl"},    {"en, pl;q=0.5", "en"}, {"pl-PL", "pl"},
        {"*", "en"},  {"en;q=0.2, pl-PL;q=0.3", "pl"}, {"de, pl;q=0.1", "pl"}, {"pl;q=0", "en"},
        {NULL, "en"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resp *r =
            ask("GET", "/v1/partners", NULL, NULL, cases[i].al, NULL, 401, cases[i].want);
        ck_assert_ptr_nonnull(resp_header(r, "WWW-Authenticate"));
        if (strcmp(cases[i].want, "pl") == 0) {
            is(r, "title", "Wymagane uwierzytelnienie");
            is(r, "detail", "wymagany jest token typu Bearer");
        } else {
            is(r, "title", "Authentication required");
            is(r, "detail", "a bearer token is required");
        }
        resp_free(r);
    }
}
END_TEST

START_TEST(success_is_not_touched)
{
    struct resp *r = api_h("GET", "/v1/me", world()->coord_a, NULL, PL);
    EXPECT(r, 200);
    ck_assert_ptr_null(resp_header(r, "Content-Language"));
    resp_free(r);
}
END_TEST

Suite *suite_language(void)
{
    Suite *s = suite_create("language");
    TCase *tc = tcase_create("polish");
    tcase_add_test(tc, not_found);
    tcase_add_test(tc, validation_with_several_errors);
    tcase_add_test(tc, transition_from_sql);
    tcase_add_test(tc, precondition_failed);
    tcase_add_test(tc, unauthorized_and_q_values);
    tcase_add_test(tc, success_is_not_touched);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
