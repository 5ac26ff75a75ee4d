/* Languages of problem answers. Handlers and SQL write English; the answer
 * is put into the client's language once, when it is serialised (send_res in
 * server/http.c), from three registries: problem titles (server/problem.c),
 * one message per validation code, and a catalogue of {English format,
 * Polish format} pairs for details and errors[].message (server/messages.c).
 * scripts/messages.mjs lists every format in the tree and a unit test fails
 * for one the catalogue lacks. */
#ifndef KOOP_MESSAGES_H
#define KOOP_MESSAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum koop_lang { KOOP_LANG_EN = 0, KOOP_LANG_PL };

/* The language for an Accept-Language value (RFC 9110 §12.5.4: q-values,
 * "pl-PL" is Polish, "*" and no header are the default, English). On equal
 * q the range listed first wins. */
enum koop_lang koop_lang_pick(const char *accept_language);
const char *koop_lang_tag(enum koop_lang lang); /* "en", "pl" */

/* Puts a problem object's title, detail and errors[].message into lang, in
 * place (English: nothing changes). A detail no catalogue entry matches stays
 * English; an error message falls back to its validation code's message. */
void koop_problem_localize(json_t *problem, enum koop_lang lang);

/* One finished English message in Polish: a new malloc'd string, or NULL when
 * no catalogue entry matches. */
char *koop_msg_polish(const char *english);

/* {English format, Polish format}. Formats use %s and integer conversions
 * (%d, %ld, %lld, %zu); the Polish one takes the captured values in order,
 * or by number (%2$s), and %{N|one|few|many} picks a Polish plural form by
 * the Nth value (1 pole, 2 pola, 5 pól). */
struct koop_msg {
    const char *en;
    const char *pl;
};
const struct koop_msg *koop_msg_table(size_t *n);
/* The entry whose English format is exactly fmt; NULL when none. */
const struct koop_msg *koop_msg_find(const char *fmt);

/* The fixed list of errors[].code values (openapi.yaml ProblemError), each with
 * a generic message in both languages. */
struct koop_vcode {
    const char *code;
    const char *en;
    const char *pl;
};
const struct koop_vcode *koop_vcode_table(size_t *n);
const struct koop_vcode *koop_vcode_find(const char *code);

#endif
