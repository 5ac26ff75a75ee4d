/* The route table (api/routes.c) against openapi.yaml: every "METHOD /path"
 * of one must be in the other. The file is read line by line: paths are the
 * 2-space-indented keys under `paths:`, methods the 4-space-indented
 * get/post/put/patch/delete keys under them. KOOP_OPENAPI_PATH overrides the
 * file (default openapi.yaml, relative to the repository root). */
#include "unit.h"

#include "api.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OPS 512

struct opset {
    char *op[MAX_OPS];
    int n;
};

static void opset_add(struct opset *s, const char *method, const char *path)
{
    ck_assert_msg(s->n < MAX_OPS, "too many operations");
    size_t len = strlen(method) + strlen(path) + 2;
    char *e = malloc(len);
    snprintf(e, len, "%s %s", method, path);
    for (int i = 0; i < s->n; i++)
        ck_assert_msg(strcmp(s->op[i], e) != 0, "operation listed twice: %s", e);
    s->op[s->n++] = e;
}

static bool opset_has(const struct opset *s, const char *e)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->op[i], e) == 0)
            return true;
    return false;
}

static void opset_free(struct opset *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->op[i]);
    s->n = 0;
}

static const char *openapi_path(void)
{
    const char *p = getenv("KOOP_OPENAPI_PATH");
    return p && *p ? p : "openapi.yaml";
}

/* Number of leading spaces; -1 for blank and comment-only lines. */
static int indent_of(const char *line)
{
    int n = 0;
    while (line[n] == ' ')
        n++;
    if (line[n] == 0 || line[n] == '\n' || line[n] == '\r' || line[n] == '#')
        return -1;
    return n;
}

/* Copies the key of "KEY:" or "KEY: value" at line+indent into out; returns
 * false when the line is not a mapping key. Quotes around the key are
 * dropped. */
static bool key_of(const char *line, int indent, char *out, size_t outlen)
{
    const char *k = line + indent;
    const char *end;
    if (*k == '\'' || *k == '"') {
        end = strchr(k + 1, *k);
        if (!end || end[1] != ':')
            return false;
        k++;
    } else {
        end = strchr(k, ':');
        if (!end)
            return false;
        if (end[1] && end[1] != ' ' && end[1] != '\n' && end[1] != '\r')
            return false; /* "a:b" is a scalar, not a key */
    }
    size_t n = (size_t)(end - k);
    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, k, n);
    out[n] = 0;
    return true;
}

static void parse_openapi(const char *file, struct opset *s)
{
    FILE *f = fopen(file, "r");
    ck_assert_msg(f != NULL,
                  "cannot open %s (run from the repository root, or set "
                  "KOOP_OPENAPI_PATH)",
                  file);
    char line[4096], path[1024] = "";
    bool in_paths = false;
    while (fgets(line, sizeof line, f)) {
        int ind = indent_of(line);
        if (ind < 0)
            continue;
        char key[1024];
        if (ind == 0) {
            in_paths = key_of(line, 0, key, sizeof key) && strcmp(key, "paths") == 0;
            path[0] = 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (ind == 2) {
            path[0] = 0;
            if (key_of(line, 2, key, sizeof key) && key[0] == '/')
                snprintf(path, sizeof path, "%s", key);
        } else if (ind == 4 && path[0] && key_of(line, 4, key, sizeof key)) {
            static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
                if (strcmp(key, methods[i]) == 0) {
                    char m[8];
                    for (size_t j = 0; j <= strlen(key); j++)
                        m[j] = (char)toupper((unsigned char)key[j]);
                    opset_add(s, m, path);
                }
            }
        }
    }
    fclose(f);
}

static void table_ops(struct opset *s)
{
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        if (strcmp(r->method, "OPTIONS") == 0 || strcmp(r->method, "HEAD") == 0)
            continue;
        opset_add(s, r->method, r->pattern);
    }
}

START_TEST(routes_match_openapi)
{
    const char *file = openapi_path();
    struct opset spec = {0}, table = {0};
    parse_openapi(file, &spec);
    table_ops(&table);
    ck_assert_msg(spec.n > 0, "no operations found under paths: in %s", file);

    char report[8192] = "";
    int missing = 0;
    for (int i = 0; i < table.n; i++) {
        if (!opset_has(&spec, table.op[i])) {
            char l[300];
            snprintf(l, sizeof l, "\n  in koop_api_routes, not in %s: %s", file, table.op[i]);
            strncat(report, l, sizeof report - strlen(report) - 1);
            missing++;
        }
    }
    for (int i = 0; i < spec.n; i++) {
        if (!opset_has(&table, spec.op[i])) {
            char l[300];
            snprintf(l, sizeof l, "\n  in %s, not in koop_api_routes: %s", file, spec.op[i]);
            strncat(report, l, sizeof report - strlen(report) - 1);
            missing++;
        }
    }
    int nspec = spec.n, ntable = table.n;
    opset_free(&spec);
    opset_free(&table);
    ck_assert_msg(missing == 0, "%d operation(s) differ (%d in the spec, %d in the table):%s",
                  missing, nspec, ntable, report);
}
END_TEST

/* Each operation's scope as openapi.yaml states it: "METHOD /path SCOPE" for
 * every operation, SCOPE its `x-scope:` (6-space indent under the method),
 * "-" when it has none (the public operations). */
static void parse_scopes(const char *file, struct opset *s)
{
    FILE *f = fopen(file, "r");
    ck_assert_msg(f != NULL, "cannot open %s", file);
    char line[4096], path[1024] = "", method[8] = "", scope[64] = "";
    bool in_paths = false;
    /* (an operation is recorded when the next one, or the end, is reached) */
#define FLUSH()                                                                                    \
    do {                                                                                           \
        if (method[0]) {                                                                           \
            char e[1200];                                                                          \
            snprintf(e, sizeof e, "%s %s", path, scope[0] ? scope : "-");                          \
            opset_add(s, method, e);                                                               \
        }                                                                                          \
        method[0] = scope[0] = 0;                                                                  \
    } while (0)
    while (fgets(line, sizeof line, f)) {
        int ind = indent_of(line);
        if (ind < 0)
            continue;
        char key[1024];
        if (ind == 0) {
            FLUSH();
            in_paths = key_of(line, 0, key, sizeof key) && strcmp(key, "paths") == 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (ind <= 4)
            FLUSH();
        if (ind == 2 && key_of(line, 2, key, sizeof key) && key[0] == '/')
            snprintf(path, sizeof path, "%s", key);
        if (ind == 4 && key_of(line, 4, key, sizeof key)) {
            static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
                if (strcmp(key, methods[i]) == 0)
                    for (size_t j = 0; j <= strlen(key); j++)
                        method[j] = (char)toupper((unsigned char)key[j]);
        }
        const char *key6 = "x-scope:";
        if (ind == 6 && method[0] && strncmp(line + 6, key6, strlen(key6)) == 0) {
            const char *v = line + 6 + strlen(key6);
            v += strspn(v, " ");
            snprintf(scope, sizeof scope, "%.*s", (int)strcspn(v, " \r\n#"), v);
        }
    }
    FLUSH();
#undef FLUSH
    fclose(f);
}

/* Every operation's x-scope is the scope the route table gives it
 * (api/routes.c), and public operations have none. */
START_TEST(route_scopes_match_openapi)
{
    const char *file = openapi_path();
    struct opset spec = {0}, table = {0};
    parse_scopes(file, &spec);
    for (const struct koop_route *r = koop_api_routes; r->method; r++) {
        char e[1200];
        /* /metrics: public, with an optional token (no scope either way) */
        snprintf(e, sizeof e, "%s %s", r->pattern, r->scope ? r->scope : "-");
        opset_add(&table, r->method, e);
    }
    char report[8192] = "";
    int differ = 0;
    for (int i = 0; i < table.n; i++)
        if (!opset_has(&spec, table.op[i])) {
            char l[300];
            snprintf(l, sizeof l, "\n  the table says %s", table.op[i]);
            strncat(report, l, sizeof report - strlen(report) - 1);
            differ++;
        }
    ck_assert_int_eq(spec.n, table.n);
    opset_free(&spec);
    opset_free(&table);
    ck_assert_msg(differ == 0, "%d operation(s) of %s name another scope (or none):%s", differ,
                  file, report);
}
END_TEST

/* The parser itself, on a small file with the shapes it must handle. */
START_TEST(parser_fixture)
{
    char name[] = "/tmp/koop-openapi-XXXXXX";
    int fd = mkstemp(name);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("openapi: 3.1.0\n"
          "info:\n"
          "  title: x\n"
          "  /not-a-path:\n"
          "    get:\n"
          "paths:\n"
          "  # a comment\n"
          "  /a:\n"
          "    parameters:\n"
          "      - $ref: '#/p'\n"
          "    get:\n"
          "      summary: 'get: it'\n"
          "      responses:\n"
          "        '200':\n"
          "          description: post:\n"
          "    post:\n"
          "\n"
          "  '/b/{id}':\n"
          "    delete:\n"
          "    x-extension: 1\n"
          "    options:\n"
          "    head:\n"
          "  /c:\r\n"
          "    patch:\r\n"
          "    put: {}\n"
          "components:\n"
          "  /d:\n"
          "    get:\n",
          f);
    fclose(f);
    struct opset s = {0};
    parse_openapi(name, &s);
    unlink(name);
    const char *want[] = {"GET /a", "POST /a", "DELETE /b/{id}", "PATCH /c", "PUT /c"};
    ck_assert_int_eq(s.n, (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(opset_has(&s, want[i]), "missing %s", want[i]);
    opset_free(&s);
}
END_TEST

Suite *suite_routes_spec(void)
{
    Suite *s = suite_create("routes_spec");
    TCase *tc = tcase_create("openapi");
    tcase_add_test(tc, parser_fixture);
    tcase_add_test(tc, routes_match_openapi);
    tcase_add_test(tc, route_scopes_match_openapi);
    suite_add_tcase(s, tc);
    return s;
}
