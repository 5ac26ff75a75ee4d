/* The vocabularies of api/vocab.c against openapi.yaml: each registry entry
 * naming a schema must hold exactly the values of that schema's enum. The
 * spec's enums come from scripts/spec-enums.mjs ("Name v1 v2 ..." per line),
 * run with node (KOOP_NODE overrides the command, KOOP_OPENAPI_PATH the file).
 * The database side is tests/http/vocab.c. */
#include "unit.h"

#include "req.h"
#include "vocab.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENUMS 256

struct spec_enum {
    char *name;
    char *values; /* space-separated */
};

static int load_spec_enums(struct spec_enum *out, int max)
{
    const char *node = getenv("KOOP_NODE");
    const char *file = getenv("KOOP_OPENAPI_PATH");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s scripts/spec-enums.mjs %s", node && *node ? node : "node",
             file && *file ? file : "openapi.yaml");
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, p) && n < max) {
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = 0;
        out[n].name = strdup(line);
        out[n].values = strdup(sp + 1);
        n++;
    }
    int rc = pclose(p);
    ck_assert_msg(rc == 0, "%s failed (exit %d; is node_modules installed? `make node`)", cmd, rc);
    ck_assert_msg(n > 0, "%s printed no enums", cmd);
    return n;
}

static bool in_list(const char *const *values, const char *v)
{
    for (const char *const *p = values; *p; p++)
        if (strcmp(*p, v) == 0)
            return true;
    return false;
}

/* Appends to report the values of one side missing from the other. */
static int compare(const struct koop_vocab *v, const char *spec_values, char *report, size_t len)
{
    int diff = 0;
    char *copy = strdup(spec_values), *save = NULL;
    char l[512];
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (!in_list(v->values, t)) {
            snprintf(l, sizeof l, "\n  %s: %s is in openapi.yaml %s, not in api/vocab.c", v->name,
                     t, v->openapi);
            strncat(report, l, len - strlen(report) - 1);
            diff++;
        }
    }
    free(copy);
    for (const char *const *p = v->values; *p; p++) {
        size_t n = strlen(*p);
        const char *s = spec_values;
        bool found = false;
        while ((s = strstr(s, *p)) != NULL) {
            if ((s == spec_values || s[-1] == ' ') && (s[n] == 0 || s[n] == ' '))
                found = true;
            s += n;
        }
        if (!found) {
            snprintf(l, sizeof l, "\n  %s: %s is in api/vocab.c, not in openapi.yaml %s", v->name,
                     *p, v->openapi);
            strncat(report, l, len - strlen(report) - 1);
            diff++;
        }
    }
    return diff;
}

START_TEST(vocabularies_match_openapi)
{
    static struct spec_enum spec[MAX_ENUMS];
    int n = load_spec_enums(spec, MAX_ENUMS);
    char report[16384] = "";
    int diff = 0, checked = 0;
    for (const struct koop_vocab *v = koop_vocabs; v->name; v++) {
        if (!v->openapi)
            continue;
        const struct spec_enum *e = NULL;
        for (int i = 0; i < n; i++)
            if (strcmp(spec[i].name, v->openapi) == 0)
                e = &spec[i];
        if (!e) {
            char l[300];
            snprintf(l, sizeof l, "\n  %s: openapi.yaml has no enum %s", v->name, v->openapi);
            strncat(report, l, sizeof report - strlen(report) - 1);
            diff++;
            continue;
        }
        diff += compare(v, e->values, report, sizeof report);
        checked++;
    }
    for (int i = 0; i < n; i++) {
        free(spec[i].name);
        free(spec[i].values);
    }
    ck_assert_msg(diff == 0, "%d difference(s) between api/vocab.c and openapi.yaml:%s", diff,
                  report);
    ck_assert_int_gt(checked, 20);
}
END_TEST

/* Within the registry: no value twice, no vocabulary empty, no name twice. */
START_TEST(registry_well_formed)
{
    for (const struct koop_vocab *v = koop_vocabs; v->name; v++) {
        ck_assert_msg(v->values && v->values[0], "%s is empty", v->name);
        for (const char *const *p = v->values; *p; p++)
            for (const char *const *q = p + 1; *q; q++)
                ck_assert_msg(strcmp(*p, *q) != 0, "%s lists %s twice", v->name, *p);
        for (const struct koop_vocab *w = v + 1; w->name; w++)
            ck_assert_msg(strcmp(v->name, w->name) != 0, "vocabulary %s twice", v->name);
    }
}
END_TEST

/* The daemon's own role table (server/auth.c, which may not include api/)
 * knows exactly the roles of the vocabulary. */
START_TEST(server_roles_match_vocabulary)
{
    int n = 0;
    for (const char *const *p = koop_roles; *p; p++, n++) {
        enum koop_role r = koop_role_parse(*p);
        ck_assert_msg(r != ROLE_NONE, "server/auth.c does not know the role %s", *p);
        ck_assert_str_eq(koop_role_name(r), *p);
    }
    int known = 0;
    for (int bit = 0; bit < 31; bit++) /* roles are bits of enum koop_role */
        if (*koop_role_name((enum koop_role)(1 << bit)))
            known++;
    ck_assert_int_eq(known, n);
}
END_TEST

Suite *suite_vocab_spec(void)
{
    Suite *s = suite_create("vocab_spec");
    TCase *tc = tcase_create("openapi");
    tcase_set_timeout(tc, 60); /* node parses openapi.yaml: seconds on a busy machine */
    tcase_add_test(tc, registry_well_formed);
    tcase_add_test(tc, server_roles_match_vocabulary);
    tcase_add_test(tc, vocabularies_match_openapi);
    suite_add_tcase(s, tc);
    return s;
}
