/* api/identifiers.c: NIP, REGON, KRS, TERYT (TERC) and postal code checks. */
#include "unit.h"

#include "identifiers.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef const char *(*check_fn)(const char *, const char **);

struct row {
    const char *value;
    const char *want; /* NULL = valid, else the error code */
};

static void run(check_fn fn, const char *what, const struct row *r)
{
    const char *msg = NULL;
    const char *code = fn(r->value, &msg);
    if (!r->want) {
        ck_assert_msg(code == NULL, "%s '%s' rejected: %s (%s)", what, r->value, code,
                      msg ? msg : "");
    } else {
        ck_assert_msg(code != NULL, "%s '%s' accepted, want %s", what, r->value, r->want);
        ck_assert_msg(strcmp(code, r->want) == 0, "%s '%s': code %s, want %s (%s)", what, r->value,
                      code, r->want, msg ? msg : "");
        ck_assert_msg(msg && *msg, "%s '%s': no message", what, r->value);
    }
}

/* ---- NIP ---------------------------------------------------------------------- */

/* Check digit: sum(w[i]*d[i]) mod 11 with weights 6,5,7,2,3,4,5,6,7; a
 * remainder of 10 means no valid NIP has that prefix. */
static int nip_check(const char *d9)
{
    static const int w[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    int s = 0;
    for (int i = 0; i < 9; i++)
        s += w[i] * (d9[i] - '0');
    return s % 11;
}

static const struct row nip_rows[] = {
    {"5260250274", NULL}, /* hand-computed: remainder 4 */
    {"7251801126", NULL}, /* remainder 6 */
    {"1234563218", NULL}, /* remainder 8 */
    {"1060000004", NULL},
    {"1111111111", NULL},
    {"7790000008", NULL},
    {"5260250275", "checksum"},
    {"5260250270", "checksum"},
    {"7251801125", "checksum"},
    {"1234563219", "checksum"},
    {"5260250247", "checksum"}, /* transposed digits */
    {"526025027", "format"},
    {"52602502740", "format"},
    {"526-025-02-74", "format"},
    {"526 025 02 74", "format"},
    {"PL5260250274", "format"},
    {"526025027a", "format"},
    {"", "format"},
    {" 5260250274", "format"},
    {"5260250274 ", "format"},
};

START_TEST(nip_table)
{
    run(koop_check_nip, "NIP", &nip_rows[_i]);
}
END_TEST

START_TEST(nip_generated)
{
    /* every 9-digit prefix from a spread: exactly one check digit is valid,
     * or none when the remainder is 10 */
    int tens = 0, valid = 0;
    for (long p = 100000000; p < 1000000000; p += 7919 * 13) {
        char s[11];
        snprintf(s, sizeof s, "%09ld", p);
        int c = nip_check(s);
        for (int d = 0; d <= 9; d++) {
            s[9] = (char)('0' + d);
            s[10] = 0;
            const char *msg = NULL;
            const char *code = koop_check_nip(s, &msg);
            if (c == d) {
                ck_assert_msg(code == NULL, "valid NIP %s rejected", s);
                valid++;
            } else {
                ck_assert_msg(code && strcmp(code, "checksum") == 0, "NIP %s: %s", s,
                              code ? code : "accepted");
            }
        }
        if (c == 10)
            tens++;
    }
    ck_assert_int_gt(tens, 0);
    ck_assert_int_gt(valid, 100);
}
END_TEST

START_TEST(nip_remainder_ten)
{
    /* 123456002: 6+10+21+8+15+24+0+0+14 = 98, 98 mod 11 = 10 */
    ck_assert_int_eq(nip_check("123456002"), 10);
    for (int d = 0; d <= 9; d++) {
        char s[11];
        snprintf(s, sizeof s, "123456002%d", d);
        const char *msg = NULL;
        const char *code = koop_check_nip(s, &msg);
        ck_assert_msg(code && strcmp(code, "checksum") == 0, "NIP %s accepted", s);
    }
}
END_TEST

/* ---- REGON --------------------------------------------------------------------- */

static const struct row regon_rows[] = {
    {"123456785", NULL},
    {"012345675", NULL},
    {"731000008", NULL},
    {"100000050", NULL}, /* remainder 10 gives check digit 0 */
    {"000000000", NULL},
    {"123456784", "checksum"},
    {"123456786", "checksum"},
    {"100000051", "checksum"},
    {"12345678512347", NULL},
    {"12345678500010", NULL}, /* 14-digit remainder 10 gives 0 */
    {"12345678512348", "checksum"},
    {"12345678500011", "checksum"},
    /* the 14-digit check is right but the 9-digit part is not */
    {"12345678612342", "checksum"},
    {"12345678", "format"},
    {"1234567851", "format"},
    {"1234567851234", "format"},
    {"123456785123470", "format"},
    {"12345678x", "format"},
    {"123-456-785", "format"},
    {"", "format"},
};

START_TEST(regon_table)
{
    run(koop_check_regon, "REGON", &regon_rows[_i]);
}
END_TEST

START_TEST(regon_generated)
{
    static const int w9[] = {8, 9, 2, 3, 4, 5, 6, 7};
    static const int w14[] = {2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8};
    for (long p = 10000000; p < 100000000; p += 1234567) {
        char s[15];
        snprintf(s, sizeof s, "%08ld", p);
        int sum = 0;
        for (int i = 0; i < 8; i++)
            sum += w9[i] * (s[i] - '0');
        int c = sum % 11 == 10 ? 0 : sum % 11;
        s[8] = (char)('0' + c);
        s[9] = 0;
        const char *msg;
        ck_assert_msg(koop_check_regon(s, &msg) == NULL, "REGON %s rejected", s);
        s[8] = (char)('0' + (c + 1) % 10);
        ck_assert_msg(koop_check_regon(s, &msg) != NULL, "REGON %s accepted", s);
        s[8] = (char)('0' + c);
        /* extend to 14 digits */
        for (int local = 0; local < 10000; local += 1111) {
            snprintf(s + 9, 5, "%04d", local);
            sum = 0;
            for (int i = 0; i < 13; i++)
                sum += w14[i] * (s[i] - '0');
            int c14 = sum % 11 == 10 ? 0 : sum % 11;
            s[13] = (char)('0' + c14);
            s[14] = 0;
            ck_assert_msg(koop_check_regon(s, &msg) == NULL, "REGON %s rejected", s);
            s[13] = (char)('0' + (c14 + 3) % 10);
            ck_assert_msg(koop_check_regon(s, &msg) != NULL, "REGON %s accepted", s);
        }
    }
}
END_TEST

/* ---- KRS ----------------------------------------------------------------------- */

static const struct row krs_rows[] = {
    {"0000012345", NULL}, {"0000000001", NULL},        {"1234567890", NULL},
    {"12345", "format"},  {"00000123456", "format"},   {"000001234a", "format"},
    {"", "format"},       {"KRS0000012345", "format"}, {"0000-012345", "format"},
};

START_TEST(krs_table)
{
    run(koop_check_krs, "KRS", &krs_rows[_i]);
}
END_TEST

/* ---- TERYT (TERC) -------------------------------------------------------------- */

static const struct row teryt_rows[] = {
    {"1465011", NULL}, /* Warszawa, urban gmina */
    {"0201011", NULL}, /* lowest voivodeship 02 */
    {"3262012", NULL}, /* highest voivodeship 32, rural */
    {"1206033", NULL},      {"1206034", NULL},
    {"1206035", NULL},      {"1465", NULL}, /* 4-digit powiat */
    {"0201", NULL},         {"3201", NULL},
    {"0101011", "invalid"}, /* voivodeship 01 is odd */
    {"0301011", "invalid"}, /* 03 is odd */
    {"3401011", "invalid"}, /* 34 is past 32 */
    {"0001011", "invalid"}, /* 00 */
    {"9901011", "invalid"}, {"1501011", "invalid"},
    {"0101", "invalid"},    {"3400", "invalid"},
    {"1400011", "invalid"},                         /* powiat 00 */
    {"1400", "invalid"},    {"1465010", "invalid"}, /* kind 0 */
    {"1465016", "invalid"},                         /* kind 6 */
    {"1465019", "invalid"}, {"146501", "format"},
    {"14650111", "format"}, {"146", "format"},
    {"14650", "format"},    {"14-65-01-1", "format"},
    {"146501a", "format"},  {"146a", "format"},
    {"", "format"},         {" 1465011", "format"},
};

START_TEST(teryt_table)
{
    run(koop_check_teryt, "TERYT", &teryt_rows[_i]);
}
END_TEST

START_TEST(teryt_voivodeships)
{
    /* exactly the 16 voivodeships 02, 04, ..., 32 */
    int valid = 0;
    for (int w = 0; w <= 99; w++) {
        char s[8];
        snprintf(s, sizeof s, "%02d01011", w);
        const char *msg;
        const char *code = koop_check_teryt(s, &msg);
        bool want = w >= 2 && w <= 32 && w % 2 == 0;
        ck_assert_msg((code == NULL) == want, "TERYT %s: %s", s, code ? code : "valid");
        valid += code == NULL;
    }
    ck_assert_int_eq(valid, 16);
}
END_TEST

/* ---- postal codes ------------------------------------------------------------- */

static const struct row postal_rows[] = {
    {"00-950", NULL},
    {"90-001", NULL},
    {"99-999", NULL},
    {"00-000", NULL},
    {"00950", "format"},
    {"00-95", "format"},
    {"00-9500", "format"},
    {"0-0950", "format"},
    {"000-950", "format"},
    {"00 950", "format"},
    {"00_950", "format"},
    {"0a-950", "format"},
    {"00-95a", "format"},
    {"", "format"},
    {"00-950 ", "format"},
    {" 00-950", "format"},
    {"00\xe2\x80\x93"
     "950",
     "format"}, /* en dash */
    {"-00950", "format"},
};

START_TEST(postal_table)
{
    run(koop_check_postal_code, "postal code", &postal_rows[_i]);
}
END_TEST

Suite *suite_identifiers(void)
{
    Suite *s = suite_create("identifiers");
    TCase *tc = tcase_create("nip");
    tcase_add_loop_test(tc, nip_table, 0, (int)(sizeof nip_rows / sizeof nip_rows[0]));
    tcase_add_test(tc, nip_generated);
    tcase_add_test(tc, nip_remainder_ten);
    suite_add_tcase(s, tc);
    tc = tcase_create("regon");
    tcase_add_loop_test(tc, regon_table, 0, (int)(sizeof regon_rows / sizeof regon_rows[0]));
    tcase_add_test(tc, regon_generated);
    suite_add_tcase(s, tc);
    tc = tcase_create("krs_teryt_postal");
    tcase_add_loop_test(tc, krs_table, 0, (int)(sizeof krs_rows / sizeof krs_rows[0]));
    tcase_add_loop_test(tc, teryt_table, 0, (int)(sizeof teryt_rows / sizeof teryt_rows[0]));
    tcase_add_test(tc, teryt_voivodeships);
    tcase_add_loop_test(tc, postal_table, 0, (int)(sizeof postal_rows / sizeof postal_rows[0]));
    suite_add_tcase(s, tc);
    return s;
}
