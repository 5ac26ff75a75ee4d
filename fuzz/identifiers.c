/* Fuzz target: the identifier checks (api/identifiers.c).
 *
 * Framing: the input up to its first NUL is the string every check is given.
 *
 * Checks: each check returns NULL, or a code with a non-empty *msg; a valid
 * NIP, REGON, KRS, TERYT, PESEL has its length in digits; a valid PESEL's
 * birth date (century in the month: +80 1800s, +0 1900s, +20 2000s, +40, +60)
 * is a real calendar date, verified here through timegm/gmtime_r. */
#include "identifiers.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz/identifiers: %s ('%s')\n", what, s);
    abort();
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool real_date(int year, int month, int day)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    if (!gmtime_r(&t, &back))
        return false;
    return back.tm_year == year - 1900 && back.tm_mon == month - 1 && back.tm_mday == day;
}

static void check_one(const char *(*fn)(const char *, const char **), const char *s, size_t digits,
                      const char *name)
{
    const char *msg = NULL;
    const char *code = fn(s, &msg);
    if (code && (!*code || !msg || !*msg))
        fail(name, s);
    if (!code && digits && (strlen(s) < digits || !all_digits(s)))
        fail("valid without its digits", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, data, n);
    s[n] = 0;
    check_one(koop_check_nip, s, 10, "nip");
    check_one(koop_check_regon, s, 9, "regon");
    check_one(koop_check_krs, s, 10, "krs");
    check_one(koop_check_teryt, s, 4, "teryt");
    check_one(koop_check_postal_code, s, 0, "postal_code");
    check_one(koop_check_pesel, s, 11, "pesel");
    const char *msg = NULL;
    if (!koop_check_pesel(s, &msg)) {
        if (strlen(s) != 11)
            fail("a valid PESEL is not 11 digits", s);
        int yy = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[2] - '0') * 10 + (s[3] - '0'),
            dd = (s[4] - '0') * 10 + (s[5] - '0');
        static const int century[] = {1900, 2000, 2100, 2200, 1800};
        if (!real_date(century[mm / 20] + yy, mm % 20, dd))
            fail("a valid PESEL's birth date is not a real date", s);
    }
    free(s);
    return 0;
}
