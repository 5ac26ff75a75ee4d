/* One registry of problem types (RFC 9457). Every error the service sends is
 * built here, so type, title and status stay consistent. */
#ifndef KOOP_PROBLEM_H
#define KOOP_PROBLEM_H

#include "req.h"

enum koop_problem {
    P_MALFORMED = 0,         /* 400 */
    P_UNAUTHORIZED,          /* 401 */
    P_FORBIDDEN,             /* 403 */
    P_NOT_FOUND,             /* 404 */
    P_METHOD_NOT_ALLOWED,    /* 405 */
    P_NOT_ACCEPTABLE,        /* 406 */
    P_CONFLICT,              /* 409 */
    P_INVALID_TRANSITION,    /* 409 */
    P_PRECONDITION_FAILED,   /* 412 */
    P_PAYLOAD_TOO_LARGE,     /* 413 */
    P_URI_TOO_LONG,          /* 414 */
    P_UNSUPPORTED_MEDIA,     /* 415 */
    P_VALIDATION,            /* 422 */
    P_PRECONDITION_REQUIRED, /* 428 */
    P_TOO_MANY_REQUESTS,     /* 429 */
    P_HEADERS_TOO_LARGE,     /* 431 */
    P_INTERNAL,              /* 500 */
    P_UNAVAILABLE,           /* 503 */
    P_INSUFFICIENT_SCOPE,    /* 403: a scoped token outside its scopes (RFC 6750 §3.1) */
    P__COUNT
};

struct koop_problem_def {
    const char *code; /* type is "/problems/<code>" */
    int status;
    const char *title;
    const char *title_pl; /* the title in Polish (server/messages.c translates the rest) */
};

const struct koop_problem_def *koop_problem_def(enum koop_problem p);
/* Looks a problem up by its code; NULL when unknown. */
const struct koop_problem_def *koop_problem_by_code(const char *code);

/* Builds the problem object (new reference). detail may be NULL. */
json_t *koop_problem_json(enum koop_problem p, const char *detail);

/* Fills res with a problem. Returns 0 so handlers can `return koop_fail(...)`. */
int koop_fail(struct kres *res, enum koop_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 422 with one error item. */
int koop_fail_field(struct kres *res, const char *in, const char *field, const char *code,
                    const char *message);

/* 422 with the given errors array (stolen). */
int koop_fail_errors(struct kres *res, json_t *errors);

/* Appends {field, code, message, in} to an errors array. */
void koop_error_add(json_t *errors, const char *in, const char *field, const char *code,
                    const char *message);

#endif
