#include "problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct koop_problem_def defs[P__COUNT] = {
    [P_MALFORMED] = {"malformed_request", 400, "Malformed request", "Nieprawidłowe żądanie"},
    [P_UNAUTHORIZED] = {"unauthorized", 401, "Authentication required",
                        "Wymagane uwierzytelnienie"},
    [P_FORBIDDEN] = {"forbidden", 403, "Forbidden", "Brak uprawnień"},
    [P_NOT_FOUND] = {"not_found", 404, "Not found", "Nie znaleziono"},
    [P_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405, "Method not allowed",
                              "Niedozwolona metoda"},
    [P_NOT_ACCEPTABLE] = {"not_acceptable", 406, "Not acceptable",
                          "Nieobsługiwany format odpowiedzi"},
    [P_CONFLICT] = {"conflict", 409, "Conflict", "Konflikt"},
    [P_INVALID_TRANSITION] = {"invalid_transition", 409, "Transition not allowed",
                              "Niedozwolona zmiana stanu"},
    [P_PRECONDITION_FAILED] = {"precondition_failed", 412, "Precondition failed",
                               "Warunek wstępny niespełniony"},
    [P_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413, "Payload too large",
                             "Zbyt duża treść żądania"},
    [P_URI_TOO_LONG] = {"uri_too_long", 414, "URI too long", "Zbyt długi adres żądania"},
    [P_HEADERS_TOO_LARGE] = {"headers_too_large", 431, "Request header fields too large",
                             "Zbyt duże nagłówki żądania"},
    [P_UNSUPPORTED_MEDIA] = {"unsupported_media_type", 415, "Unsupported media type",
                             "Nieobsługiwany typ treści"},
    [P_VALIDATION] = {"validation_failed", 422, "Validation failed", "Nieprawidłowe dane"},
    [P_PRECONDITION_REQUIRED] = {"precondition_required", 428, "Precondition required",
                                 "Wymagany warunek wstępny"},
    [P_TOO_MANY_REQUESTS] = {"too_many_requests", 429, "Too many requests", "Zbyt wiele żądań"},
    [P_INTERNAL] = {"internal_error", 500, "Internal server error", "Wewnętrzny błąd serwera"},
    [P_UNAVAILABLE] = {"service_unavailable", 503, "Service unavailable", "Usługa niedostępna"},
    [P_INSUFFICIENT_SCOPE] = {"insufficient_scope", 403, "Insufficient scope",
                              "Niewystarczający zakres tokenu"},
};

const struct koop_problem_def *koop_problem_def(enum koop_problem p)
{
    if ((int)p < 0 || p >= P__COUNT)
        p = P_INTERNAL;
    return &defs[p];
}

const struct koop_problem_def *koop_problem_by_code(const char *code)
{
    for (int i = 0; i < P__COUNT; i++)
        if (code && strcmp(defs[i].code, code) == 0)
            return &defs[i];
    return NULL;
}

json_t *koop_problem_json(enum koop_problem p, const char *detail)
{
    const struct koop_problem_def *d = koop_problem_def(p);
    char type[64];
    snprintf(type, sizeof type, "/problems/%s", d->code);
    return json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", d->title, "status", d->status,
                     "detail", detail ? detail : d->title);
}

int koop_fail(struct kres *res, enum koop_problem p, const char *fmt, ...)
{
    char detail[512];
    const char *dp = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        dp = detail;
    }
    return koop_res_json(res, koop_problem_def(p)->status, koop_problem_json(p, dp));
}

void koop_error_add(json_t *errors, const char *in, const char *field, const char *code,
                    const char *message)
{
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s}", "field", field, "code", code,
                                            "message", message, "in", in));
}

int koop_fail_errors(struct kres *res, json_t *errors)
{
    size_t n = json_array_size(errors);
    char detail[128];
    snprintf(detail, sizeof detail, "%zu invalid field%s", n, n == 1 ? "" : "s");
    json_t *p = koop_problem_json(P_VALIDATION, detail);
    json_object_set_new(p, "errors", errors);
    return koop_res_json(res, 422, p);
}

int koop_fail_field(struct kres *res, const char *in, const char *field, const char *code,
                    const char *message)
{
    json_t *errors = json_array();
    koop_error_add(errors, in, field, code, message);
    return koop_fail_errors(res, errors);
}
