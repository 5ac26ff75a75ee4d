/* The vocabularies of api/vocab.c against the database: for every registry
 * entry that names a "table.column", the column's CHECK (column IN (...)) —
 * read back from pg_constraint with pg_get_constraintdef, libpq against
 * DATABASE_URL as its owner — holds exactly the C values. And the other way
 * round: every single-column IN-list CHECK of the schema belongs to some
 * vocabulary, so a new one cannot be added without declaring it in C.
 * openapi.yaml is compared in tests/unit/vocab_spec.c. */
#include "client.h"

#include "../../api/vocab.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every CHECK constraint on exactly one column whose definition is an IN
 * list (PostgreSQL shows it as "= ANY (ARRAY[...])"), as table, column and
 * definition. */
static const char constraints_sql[] =
    "SELECT c.conrelid::regclass::text, a.attname, pg_get_constraintdef(c.oid) "
    "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
    "  AND a.attnum = c.conkey[1] "
    "JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND n.nspname = 'public' "
    "  AND pg_get_constraintdef(c.oid) LIKE '%= ANY (ARRAY[%' "
    "ORDER BY 1, 2";

/* True when the constraint definition lists v as a quoted literal. */
static bool def_has(const char *def, const char *v)
{
    char want[256];
    snprintf(want, sizeof want, "'%s'::", v);
    return strstr(def, want) != NULL;
}

/* Number of quoted literals in the definition. */
static int def_count(const char *def)
{
    int n = 0;
    for (const char *p = def; (p = strstr(p, "'::")) != NULL; p += 3)
        n++;
    return n;
}

START_TEST(vocabularies_match_check_constraints)
{
    PGconn *c = PQconnectdb(env_or("DATABASE_URL", ""));
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, constraints_sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    char report[16384] = "", l[512];
    int diff = 0, checked = 0;
    for (const struct koop_vocab *v = koop_vocabs; v->name; v++) {
        if (!v->check)
            continue;
        const char *dot = strchr(v->check, '.');
        ck_assert_msg(dot != NULL, "%s: check %s is not table.column", v->name, v->check);
        size_t tl = (size_t)(dot - v->check);
        const char *def = NULL;
        for (int i = 0; i < PQntuples(r); i++)
            if (strlen(PQgetvalue(r, i, 0)) == tl &&
                strncmp(PQgetvalue(r, i, 0), v->check, tl) == 0 &&
                strcmp(PQgetvalue(r, i, 1), dot + 1) == 0) {
                ck_assert_msg(def == NULL, "%s has two IN-list CHECKs", v->check);
                def = PQgetvalue(r, i, 2);
            }
        if (!def) {
            snprintf(l, sizeof l, "\n  %s: no CHECK (... IN (...)) on %s", v->name, v->check);
            strncat(report, l, sizeof report - strlen(report) - 1);
            diff++;
            continue;
        }
        int n = 0;
        for (const char *const *p = v->values; *p; p++, n++) {
            if (!def_has(def, *p)) {
                snprintf(l, sizeof l, "\n  %s: %s is in api/vocab.c, not in the CHECK on %s",
                         v->name, *p, v->check);
                strncat(report, l, sizeof report - strlen(report) - 1);
                diff++;
            }
        }
        if (def_count(def) != n) {
            snprintf(l, sizeof l, "\n  %s: the CHECK on %s has %d values, api/vocab.c %d: %s",
                     v->name, v->check, def_count(def), n, def);
            strncat(report, l, sizeof report - strlen(report) - 1);
            diff++;
        }
        checked++;
    }
    /* every IN-list CHECK is some vocabulary's */
    for (int i = 0; i < PQntuples(r); i++) {
        char tc[256];
        snprintf(tc, sizeof tc, "%s.%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        bool known = false;
        for (const struct koop_vocab *v = koop_vocabs; v->name; v++)
            known |= v->check && strcmp(v->check, tc) == 0;
        if (!known) {
            snprintf(l, sizeof l, "\n  the CHECK on %s is in no vocabulary of api/vocab.c: %s", tc,
                     PQgetvalue(r, i, 2));
            strncat(report, l, sizeof report - strlen(report) - 1);
            diff++;
        }
    }
    PQclear(r);
    PQfinish(c);
    ck_assert_msg(diff == 0, "%d difference(s) between api/vocab.c and the schema:%s", diff,
                  report);
    ck_assert_int_gt(checked, 15);
}
END_TEST

Suite *suite_vocab(void)
{
    Suite *s = suite_create("vocab");
    TCase *tc = tcase_create("check_constraints");
    tcase_add_test(tc, vocabularies_match_check_constraints);
    suite_add_tcase(s, tc);
    return s;
}
