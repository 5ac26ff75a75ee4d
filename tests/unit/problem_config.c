/* server/problem.c (the problem registry) and server/config.c (environment,
 * flags, HOST:PORT). */
#include "unit.h"

#include "config.h"
#include "problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- problems ---------------------------------------------------------------- */

struct prow {
    enum koop_problem p;
    const char *code;
    int status;
};

static const struct prow prows[] = {
    {P_MALFORMED, "malformed_request", 400},
    {P_UNAUTHORIZED, "unauthorized", 401},
    {P_FORBIDDEN, "forbidden", 403},
    {P_NOT_FOUND, "not_found", 404},
    {P_METHOD_NOT_ALLOWED, "method_not_allowed", 405},
    {P_NOT_ACCEPTABLE, "not_acceptable", 406},
    {P_CONFLICT, "conflict", 409},
    {P_INVALID_TRANSITION, "invalid_transition", 409},
    {P_PRECONDITION_FAILED, "precondition_failed", 412},
    {P_PAYLOAD_TOO_LARGE, "payload_too_large", 413},
    {P_URI_TOO_LONG, "uri_too_long", 414},
    {P_UNSUPPORTED_MEDIA, "unsupported_media_type", 415},
    {P_VALIDATION, "validation_failed", 422},
    {P_PRECONDITION_REQUIRED, "precondition_required", 428},
    {P_TOO_MANY_REQUESTS, "too_many_requests", 429},
    {P_HEADERS_TOO_LARGE, "headers_too_large", 431},
    {P_INTERNAL, "internal_error", 500},
    {P_UNAVAILABLE, "service_unavailable", 503},
    {P_INSUFFICIENT_SCOPE, "insufficient_scope", 403},
};

START_TEST(problem_every_code)
{
    ck_assert_int_eq(sizeof prows / sizeof prows[0], P__COUNT);
    const struct prow *r = &prows[_i];
    const struct koop_problem_def *d = koop_problem_def(r->p);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->code, r->code);
    ck_assert_int_eq(d->status, r->status);
    ck_assert_ptr_nonnull(d->title);
    ck_assert_uint_gt(strlen(d->title), 0);
    for (const char *c = d->code; *c; c++)
        ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '_', "code %s is not snake_case", d->code);
    ck_assert_ptr_eq(koop_problem_by_code(r->code), d);

    json_t *j = koop_problem_json(r->p, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_object_size(j), 4);
    char type[80];
    snprintf(type, sizeof type, "/problems/%s", r->code);
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), type);
    ck_assert_str_eq(json_string_value(json_object_get(j, "title")), d->title);
    ck_assert(json_is_integer(json_object_get(j, "status")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), r->status);
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), d->title);
    json_decref(j);

    struct kres res = {0};
    ck_assert_int_eq(koop_fail(&res, r->p, "row %d: %s", _i, "x"), 0);
    ck_assert_int_eq(res.status, r->status);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "type")), type);
    char detail[32];
    snprintf(detail, sizeof detail, "row %d: x", _i);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "detail")), detail);
    json_decref(res.json);
}
END_TEST

START_TEST(problem_registry)
{
    /* codes and titles are unique */
    for (int i = 0; i < P__COUNT; i++)
        for (int j = 0; j < i; j++) {
            ck_assert_str_ne(koop_problem_def(i)->code, koop_problem_def(j)->code);
            ck_assert_str_ne(koop_problem_def(i)->title, koop_problem_def(j)->title);
        }
    /* out of range falls back to the internal error */
    ck_assert_ptr_eq(koop_problem_def(P__COUNT), koop_problem_def(P_INTERNAL));
    ck_assert_ptr_eq(koop_problem_def((enum koop_problem) - 1), koop_problem_def(P_INTERNAL));
    ck_assert_ptr_eq(koop_problem_def((enum koop_problem)1000), koop_problem_def(P_INTERNAL));
    ck_assert_ptr_null(koop_problem_by_code("nope"));
    ck_assert_ptr_null(koop_problem_by_code(""));
    ck_assert_ptr_null(koop_problem_by_code("Not_Found"));
    ck_assert_ptr_null(koop_problem_by_code("/problems/not_found"));
    ck_assert_ptr_null(koop_problem_by_code(NULL));
}
END_TEST

START_TEST(problem_json_detail)
{
    json_t *j = koop_problem_json(P_CONFLICT, "name is taken");
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), "name is taken");
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "/problems/conflict");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 409);
    json_decref(j);

    /* a long detail is cut, not overflowed */
    char big[700];
    memset(big, 'd', sizeof big - 1);
    big[sizeof big - 1] = 0;
    struct kres res = {0};
    koop_fail(&res, P_MALFORMED, "%s", big);
    const char *d = json_string_value(json_object_get(res.json, "detail"));
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_lt(strlen(d), sizeof big - 1);
    ck_assert_uint_gt(strlen(d), 100);
    ck_assert(strncmp(d, big, strlen(d)) == 0);
    /* a second failure replaces the first body */
    koop_fail(&res, P_NOT_FOUND, "gone");
    ck_assert_int_eq(res.status, 404);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "detail")), "gone");
    json_decref(res.json);
}
END_TEST

START_TEST(fail_errors_detail)
{
    struct {
        int n;
        const char *detail;
    } rows[] = {{0, "0 invalid fields"},
                {1, "1 invalid field"},
                {2, "2 invalid fields"},
                {11, "11 invalid fields"}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        json_t *errors = json_array();
        for (int i = 0; i < rows[r].n; i++) {
            char f[16];
            snprintf(f, sizeof f, "f%d", i);
            koop_error_add(errors, "body", f, "required", "is required");
        }
        struct kres res = {0};
        ck_assert_int_eq(koop_fail_errors(&res, errors), 0);
        ck_assert_int_eq(res.status, 422);
        json_t *j = res.json;
        ck_assert_int_eq(json_object_size(j), 5);
        ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
                         "/problems/validation_failed");
        ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Validation failed");
        ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 422);
        ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), rows[r].detail);
        ck_assert_ptr_eq(json_object_get(j, "errors"), errors); /* stolen, not copied */
        ck_assert_int_eq(json_array_size(errors), rows[r].n);
        json_decref(res.json);
    }
}
END_TEST

START_TEST(fail_field_and_error_add)
{
    struct kres res = {0};
    koop_fail_field(&res, "query", "limit", "max", "must be at most 100");
    ck_assert_int_eq(res.status, 422);
    ck_assert_str_eq(json_string_value(json_object_get(res.json, "detail")), "1 invalid field");
    json_t *errors = json_object_get(res.json, "errors");
    ck_assert_int_eq(json_array_size(errors), 1);
    json_t *e = json_array_get(errors, 0);
    ck_assert_int_eq(json_object_size(e), 4);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "limit");
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "max");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")), "must be at most 100");
    ck_assert_str_eq(json_string_value(json_object_get(e, "in")), "query");
    json_decref(res.json);
}
END_TEST

/* ---- configuration --------------------------------------------------------------- */

static const char *const env_names[] = {
    "DATABASE_URL",         "KOOP_LISTEN",          "KOOP_THREADS",
    "KOOP_MAX_BODY",        "KOOP_MAX_DEPTH",       "KOOP_CONN_TIMEOUT",
    "KOOP_PER_IP_LIMIT",    "KOOP_CONN_LIMIT",      "KOOP_STATEMENT_TIMEOUT_MS",
    "KOOP_CONNECT_TIMEOUT", "KOOP_DRAIN_TIMEOUT",   "KOOP_AUTH_FAIL_LIMIT",
    "KOOP_CORS_ORIGINS",    "KOOP_TRUSTED_PROXIES", "KOOP_OPENAPI_PATH",
    "KOOP_DOCS_DIR",        "KOOP_REDOC_JS",
};
#define NENV (sizeof env_names / sizeof env_names[0])
static char *saved_env[NENV];

/* The tests set variables; the caller's environment is saved, cleared for
 * the test and put back (so CK_FORK=no runs stay clean too). */
static void env_setup(void)
{
    for (size_t i = 0; i < NENV; i++) {
        const char *v = getenv(env_names[i]);
        saved_env[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
}

static void env_teardown(void)
{
    for (size_t i = 0; i < NENV; i++) {
        if (saved_env[i])
            setenv(env_names[i], saved_env[i], 1);
        else
            unsetenv(env_names[i]);
        free(saved_env[i]);
        saved_env[i] = NULL;
    }
}

START_TEST(config_defaults)
{
    struct koop_config c;
    memset(&c, 0x5a, sizeof c);
    char err[256] = "";
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), 0);
    ck_assert_str_eq(c.database_url, "");
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_int_eq(c.listen_port, 8080);
    ck_assert_int_eq(c.threads, 4);
    ck_assert_uint_eq(c.max_body, 1048576);
    ck_assert_int_eq(c.max_depth, 16);
    ck_assert_int_eq(c.conn_timeout, 30);
    ck_assert_int_eq(c.per_ip_limit, 256);
    ck_assert_int_eq(c.conn_limit, 1024);
    ck_assert_int_eq(c.statement_timeout_ms, 5000);
    ck_assert_int_eq(c.connect_timeout_s, 2);
    ck_assert_int_eq(c.drain_timeout_s, 10);
    ck_assert_int_eq(c.auth_fail_limit, 30);
    ck_assert_str_eq(c.cors_origins, "");
    ck_assert_str_eq(c.trusted_proxies, "");
    ck_assert_str_eq(c.openapi_path, "openapi.yaml");
    ck_assert_str_eq(c.docs_dir, "docs");
    ck_assert_str_eq(c.redoc_js, "node_modules/redoc/bundles/redoc.standalone.js");
}
END_TEST

/* The value of the field an env var sets, as text. */
static void field_text(const struct koop_config *c, const char *env, char *out, size_t n)
{
#define I(name, field)                                                                             \
    if (strcmp(env, name) == 0) {                                                                  \
        snprintf(out, n, "%d", c->field);                                                          \
        return;                                                                                    \
    }
#define S(name, field)                                                                             \
    if (strcmp(env, name) == 0) {                                                                  \
        snprintf(out, n, "%s", c->field);                                                          \
        return;                                                                                    \
    }
    S("DATABASE_URL", database_url)
    I("KOOP_THREADS", threads)
    I("KOOP_MAX_DEPTH", max_depth)
    I("KOOP_CONN_TIMEOUT", conn_timeout)
    I("KOOP_PER_IP_LIMIT", per_ip_limit)
    I("KOOP_CONN_LIMIT", conn_limit)
    I("KOOP_STATEMENT_TIMEOUT_MS", statement_timeout_ms)
    I("KOOP_CONNECT_TIMEOUT", connect_timeout_s)
    I("KOOP_DRAIN_TIMEOUT", drain_timeout_s)
    I("KOOP_AUTH_FAIL_LIMIT", auth_fail_limit)
    S("KOOP_CORS_ORIGINS", cors_origins)
    S("KOOP_TRUSTED_PROXIES", trusted_proxies)
    S("KOOP_OPENAPI_PATH", openapi_path)
    S("KOOP_DOCS_DIR", docs_dir)
    S("KOOP_REDOC_JS", redoc_js)
#undef I
#undef S
    if (strcmp(env, "KOOP_MAX_BODY") == 0) {
        snprintf(out, n, "%zu", c->max_body);
        return;
    }
    if (strcmp(env, "KOOP_LISTEN") == 0) {
        snprintf(out, n, "%s|%d", c->listen_host, c->listen_port);
        return;
    }
    ck_abort_msg("no field for %s", env);
}

struct erow {
    const char *env, *value;
    const char *want; /* the field as text, or NULL: must fail */
};

static const struct erow erows[] = {
    {"KOOP_THREADS", "8", "8"},
    {"KOOP_THREADS", "1", "1"},
    {"KOOP_THREADS", "256", "256"},
    {"KOOP_THREADS", "", "4"}, /* empty = unset */
    {"KOOP_THREADS", "0", NULL},
    {"KOOP_THREADS", "-1", NULL},
    {"KOOP_THREADS", "abc", NULL},
    {"KOOP_THREADS", "257", NULL},
    {"KOOP_THREADS", "8x", NULL},
    {"KOOP_THREADS", "8 ", NULL},
    {"KOOP_THREADS", "4.5", NULL},
    {"KOOP_THREADS", "0x10", NULL},
    {"KOOP_THREADS", "99999999999999999999", NULL},
    {"KOOP_THREADS", "4294967304", NULL}, /* 2^32 + 8: must not wrap to 8 */
    {"KOOP_MAX_BODY", "2048", "2048"},
    {"KOOP_MAX_BODY", "1024", "1024"},
    {"KOOP_MAX_BODY", "67108864", "67108864"},
    {"KOOP_MAX_BODY", "1023", NULL},
    {"KOOP_MAX_BODY", "67108865", NULL},
    {"KOOP_MAX_BODY", "0", NULL},
    {"KOOP_MAX_BODY", "-1", NULL},
    {"KOOP_MAX_BODY", "abc", NULL},
    {"KOOP_MAX_BODY", "1M", NULL},
    {"KOOP_MAX_BODY", "18446744073709551616", NULL},
    {"KOOP_MAX_DEPTH", "2", "2"},
    {"KOOP_MAX_DEPTH", "64", "64"},
    {"KOOP_MAX_DEPTH", "1", NULL},
    {"KOOP_MAX_DEPTH", "65", NULL},
    {"KOOP_CONN_TIMEOUT", "3600", "3600"},
    {"KOOP_CONN_TIMEOUT", "3601", NULL},
    {"KOOP_PER_IP_LIMIT", "100000", "100000"},
    {"KOOP_PER_IP_LIMIT", "100001", NULL},
    {"KOOP_CONN_LIMIT", "0", NULL},
    {"KOOP_STATEMENT_TIMEOUT_MS", "100", "100"},
    {"KOOP_STATEMENT_TIMEOUT_MS", "99", NULL},
    {"KOOP_CONNECT_TIMEOUT", "60", "60"},
    {"KOOP_CONNECT_TIMEOUT", "61", NULL},
    {"KOOP_DRAIN_TIMEOUT", "0", "0"},
    {"KOOP_DRAIN_TIMEOUT", "-1", NULL},
    {"KOOP_AUTH_FAIL_LIMIT", "1", "1"},
    {"KOOP_AUTH_FAIL_LIMIT", "0", NULL},
    {"KOOP_LISTEN", "0.0.0.0:9000", "0.0.0.0|9000"},
    {"KOOP_LISTEN", "[::1]:80", "[::1]|80"},
    {"KOOP_LISTEN", "localhost", NULL},
    {"KOOP_LISTEN", "localhost:0", "localhost|0"}, /* any free port */
    {"KOOP_LISTEN", ":8080", NULL},
    {"DATABASE_URL", "postgresql://koop@localhost/koop", "postgresql://koop@localhost/koop"},
    {"KOOP_CORS_ORIGINS", "*", "*"},
    {"KOOP_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2", "10.0.0.1,10.0.0.2"},
    {"KOOP_OPENAPI_PATH", "/srv/openapi.yaml", "/srv/openapi.yaml"},
    {"KOOP_DOCS_DIR", "/srv/docs", "/srv/docs"},
    {"KOOP_REDOC_JS", "/srv/redoc.js", "/srv/redoc.js"},
};

START_TEST(config_env_table)
{
    const struct erow *r = &erows[_i];
    setenv(r->env, r->value, 1);
    struct koop_config c;
    char err[256] = "";
    int rc = koop_config_env(&c, err, sizeof err);
    if (r->want) {
        ck_assert_msg(rc == 0, "%s=%s refused: %s", r->env, r->value, err);
        char got[1100];
        field_text(&c, r->env, got, sizeof got);
        ck_assert_msg(strcmp(got, r->want) == 0, "%s=%s: field is %s, want %s", r->env, r->value,
                      got, r->want);
    } else {
        ck_assert_msg(rc == -1, "%s=%s accepted", r->env, r->value);
        ck_assert_msg(strstr(err, r->env) != NULL, "message does not name %s: %s", r->env, err);
        ck_assert_msg(strstr(err, r->value) != NULL, "message does not quote '%s': %s", r->value,
                      err);
    }
}
END_TEST

START_TEST(config_env_strings_too_long)
{
    struct koop_config c;
    char err[256] = "";
    char v[1100];
    memset(v, 'u', 1023);
    v[1023] = 0;
    setenv("DATABASE_URL", v, 1);
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), 0);
    ck_assert_uint_eq(strlen(c.database_url), 1023);
    v[1023] = 'u';
    v[1024] = 0;
    setenv("DATABASE_URL", v, 1);
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "DATABASE_URL") != NULL, "%s", err);
    unsetenv("DATABASE_URL");

    memset(v, 'p', 600);
    v[600] = 0;
    setenv("KOOP_OPENAPI_PATH", v, 1);
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "KOOP_OPENAPI_PATH") != NULL, "%s", err);
}
END_TEST

START_TEST(config_env_several)
{
    setenv("KOOP_THREADS", "16", 1);
    setenv("KOOP_MAX_BODY", "4096", 1);
    setenv("KOOP_LISTEN", "127.0.0.2:18080", 1);
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), 0);
    ck_assert_int_eq(c.threads, 16);
    ck_assert_uint_eq(c.max_body, 4096);
    ck_assert_str_eq(c.listen_host, "127.0.0.2");
    ck_assert_int_eq(c.listen_port, 18080);
    ck_assert_int_eq(c.max_depth, 16); /* untouched ones keep defaults */

    /* a small error buffer is filled safely */
    setenv("KOOP_MAX_BODY", "abc", 1);
    char small[8];
    memset(small, 'Z', sizeof small);
    ck_assert_int_eq(koop_config_env(&c, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

struct lrow {
    const char *hp;
    int rc;
    const char *host;
    int port;
};

static const struct lrow lrows[] = {
    {"127.0.0.1:8080", 0, "127.0.0.1", 8080},
    {"0.0.0.0:1", 0, "0.0.0.0", 1},
    {"localhost:65535", 0, "localhost", 65535},
    {"localhost:080", 0, "localhost", 80},
    {"[::1]:80", 0, "[::1]", 80}, /* brackets are kept in the host */
    {"[::]:8080", 0, "[::]", 8080},
    {"localhost:65536", -1, NULL, 0},
    {"localhost:0", 0, "localhost", 0}, /* any free port */
    {"localhost:-1", -1, NULL, 0},
    {"localhost:", -1, NULL, 0},
    {"localhost", -1, NULL, 0},
    {"localhost:80x", -1, NULL, 0},
    {"localhost:8.0", -1, NULL, 0},
    {"localhost:99999999999999999999", -1, NULL, 0},
    {":8080", -1, NULL, 0},
    {"", -1, NULL, 0},
    {":", -1, NULL, 0},
};

START_TEST(config_listen_table)
{
    const struct lrow *r = &lrows[_i];
    struct koop_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.listen_host, sizeof c.listen_host, "before");
    c.listen_port = 4242;
    int rc = koop_config_listen(&c, r->hp);
    ck_assert_msg(rc == r->rc, "'%s': rc %d, want %d", r->hp, rc, r->rc);
    if (rc == 0) {
        ck_assert_str_eq(c.listen_host, r->host);
        ck_assert_int_eq(c.listen_port, r->port);
    } else {
        /* a refused value leaves the config alone */
        ck_assert_str_eq(c.listen_host, "before");
        ck_assert_int_eq(c.listen_port, 4242);
    }
}
END_TEST

START_TEST(config_listen_host_length)
{
    struct koop_config c;
    memset(&c, 0, sizeof c);
    char hp[100];
    memset(hp, 'h', 63);
    snprintf(hp + 63, sizeof hp - 63, ":80");
    ck_assert_int_eq(koop_config_listen(&c, hp), 0);
    ck_assert_uint_eq(strlen(c.listen_host), 63);
    memset(hp, 'h', 64);
    snprintf(hp + 64, sizeof hp - 64, ":80");
    ck_assert_int_eq(koop_config_listen(&c, hp), -1);
}
END_TEST

START_TEST(config_flags)
{
    struct koop_config c;
    char err[256] = "";
    ck_assert_int_eq(koop_config_env(&c, err, sizeof err), 0);

    ck_assert_int_eq(koop_config_flag(&c, "--threads", "8", err, sizeof err), 1);
    ck_assert_int_eq(c.threads, 8);
    ck_assert_int_eq(koop_config_flag(&c, "--max-body", "2048", err, sizeof err), 1);
    ck_assert_uint_eq(c.max_body, 2048);
    ck_assert_int_eq(koop_config_flag(&c, "--listen", "[::1]:80", err, sizeof err), 1);
    ck_assert_str_eq(c.listen_host, "[::1]");
    ck_assert_int_eq(c.listen_port, 80);
    ck_assert_int_eq(koop_config_flag(&c, "--database-url", "postgres:///x", err, sizeof err), 1);
    ck_assert_str_eq(c.database_url, "postgres:///x");
    ck_assert_int_eq(koop_config_flag(&c, "--openapi", "/x.yaml", err, sizeof err), 1);
    ck_assert_str_eq(c.openapi_path, "/x.yaml");

    /* bad values name the flag and keep the old value */
    err[0] = 0;
    ck_assert_int_eq(koop_config_flag(&c, "--threads", "0", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "--threads") != NULL, "%s", err);
    ck_assert_int_eq(c.threads, 8);
    err[0] = 0;
    ck_assert_int_eq(koop_config_flag(&c, "--max-depth", "abc", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "--max-depth") != NULL, "%s", err);
    err[0] = 0;
    ck_assert_int_eq(koop_config_flag(&c, "--listen", "nope", err, sizeof err), -1);
    ck_assert_msg(strstr(err, "--listen") != NULL, "%s", err);
    ck_assert_str_eq(c.listen_host, "[::1]");
    err[0] = 0;
    ck_assert_int_eq(koop_config_flag(&c, "--threads", NULL, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "--threads") != NULL, "%s", err);

    /* unknown flags are not consumed */
    const char *unknown[] = {"--nope",      "--THREADS",    "-threads", "threads",
                             "--threads=8", "KOOP_THREADS", "",         "--"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        ck_assert_msg(koop_config_flag(&c, unknown[i], "8", err, sizeof err) == 0,
                      "flag '%s' consumed", unknown[i]);
    ck_assert_int_eq(c.threads, 8);
}
END_TEST

Suite *suite_problem_config(void)
{
    Suite *s = suite_create("problem_config");
    TCase *tc = tcase_create("problem");
    tcase_add_loop_test(tc, problem_every_code, 0, (int)(sizeof prows / sizeof prows[0]));
    tcase_add_test(tc, problem_registry);
    tcase_add_test(tc, problem_json_detail);
    tcase_add_test(tc, fail_errors_detail);
    tcase_add_test(tc, fail_field_and_error_add);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_add_checked_fixture(tc, env_setup, env_teardown);
    tcase_add_test(tc, config_defaults);
    tcase_add_loop_test(tc, config_env_table, 0, (int)(sizeof erows / sizeof erows[0]));
    tcase_add_test(tc, config_env_strings_too_long);
    tcase_add_test(tc, config_env_several);
    tcase_add_loop_test(tc, config_listen_table, 0, (int)(sizeof lrows / sizeof lrows[0]));
    tcase_add_test(tc, config_listen_host_length);
    tcase_add_test(tc, config_flags);
    suite_add_tcase(s, tc);
    return s;
}
