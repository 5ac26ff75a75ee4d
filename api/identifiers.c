#include "identifiers.h"

#include "../server/spec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int digits_only(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* sum(w[i] * d[i]) mod 11, with 10 meaning the checksum digit must be 0 when
 * zero_for_ten, or that the number is invalid otherwise (-1). */
static int mod11(const char *s, const int *w, size_t n, int zero_for_ten)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i] * (s[i] - '0');
    int c = sum % 11;
    if (c == 10)
        return zero_for_ten ? 0 : -1;
    return c;
}

const char *koop_check_nip(const char *s, const char **msg)
{
    static const int w[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    if (!digits_only(s, 10)) {
        *msg = "must be 10 digits without separators";
        return "format";
    }
    if (mod11(s, w, 9, 0) != s[9] - '0') {
        *msg = "has a wrong check digit";
        return "checksum";
    }
    if (strcmp(s, "0000000000") == 0) {
        *msg = "is not a NIP";
        return "invalid";
    }
    return NULL;
}

const char *koop_check_regon(const char *s, const char **msg)
{
    static const int w9[] = {8, 9, 2, 3, 4, 5, 6, 7};
    static const int w14[] = {2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8};
    int is9 = digits_only(s, 9), is14 = digits_only(s, 14);
    if (!is9 && !is14) {
        *msg = "must be 9 or 14 digits";
        return "format";
    }
    if (mod11(s, w9, 8, 1) != s[8] - '0' || (is14 && mod11(s, w14, 13, 1) != s[13] - '0')) {
        *msg = "has a wrong check digit";
        return "checksum";
    }
    return NULL;
}

const char *koop_check_krs(const char *s, const char **msg)
{
    if (!digits_only(s, 10)) {
        *msg = "must be 10 digits (with leading zeros)";
        return "format";
    }
    return NULL;
}

const char *koop_check_teryt(const char *s, const char **msg)
{
    if (!digits_only(s, 7) && !digits_only(s, 4)) {
        *msg = "must be a TERC code: 7 digits WWPPGGR (gmina) or 4 digits WWPP (powiat)";
        return "format";
    }
    int woj = (s[0] - '0') * 10 + (s[1] - '0');
    if (woj < 2 || woj > 32 || woj % 2) {
        *msg = "the voivodeship part must be an even number 02..32";
        return "invalid";
    }
    if (s[2] == '0' && s[3] == '0') {
        *msg = "the powiat part must not be 00";
        return "invalid";
    }
    if (strlen(s) == 7 && (s[6] < '1' || s[6] > '5')) {
        *msg = "the gmina kind digit (last) must be 1..5";
        return "invalid";
    }
    return NULL;
}

const char *koop_check_postal_code(const char *s, const char **msg)
{
    if (strlen(s) != 6 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != '-' || !digits_only(s + 3, 3)) {
        *msg = "must be a Polish postal code NN-NNN";
        return "format";
    }
    return NULL;
}

const char *koop_check_pesel(const char *s, const char **msg)
{
    static const int w[] = {1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
    if (!digits_only(s, 11)) {
        *msg = "must be 11 digits";
        return "format";
    }
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += w[i] * (s[i] - '0');
    if ((10 - sum % 10) % 10 != s[10] - '0') {
        *msg = "has a wrong check digit";
        return "checksum";
    }
    int yy = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[2] - '0') * 10 + (s[3] - '0'),
        dd = (s[4] - '0') * 10 + (s[5] - '0');
    static const int century[] = {1900, 2000, 2100, 2200, 1800};
    int year = century[mm / 20] + yy, month = mm % 20;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max = month >= 1 && month <= 12 ? mdays[month - 1] : 0;
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        max = 29;
    if (dd < 1 || dd > max) {
        *msg = "does not encode a valid birth date";
        return "invalid";
    }
    return NULL;
}

const struct fs_field koop_address_fields[] = {
    {.name = "street", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 200},
    {.name = "building", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 50},
    {.name = "postal_code",
     .type = FS_STRING,
     .flags = FS_NULLABLE,
     .check = koop_check_postal_code},
    {.name = "city", .type = FS_STRING, .flags = FS_NULLABLE, .min = 1, .max = 100},
    {.name = NULL}};
