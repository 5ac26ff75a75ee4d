/* server/util.c: uuid7, base64url, sha256, tokens, cursors, JSON depth,
 * request ids. */
#include "unit.h"

#include "spec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- uuid7 ---------------------------------------------------------------- */

struct uuid_row {
    uint64_t ms;
    unsigned char rnd[10];
    const char *want;
};

static const struct uuid_row uuid_rows[] = {
    {0, {0}, "00000000-0000-7000-8000-000000000000"},
    {0x0123456789ABull,
     {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66},
     "01234567-89ab-7fee-9dcc-bbaa99887766"},
    {0xFFFFFFFFFFFFull,
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
     "ffffffff-ffff-7fff-bfff-ffffffffffff"},
    {1700000000000ull, /* 2023-11-14T22:13:20Z = 0x018bcfe56800 */
     {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09},
     "018bcfe5-6800-7001-8203-040506070809"},
    {1, {0x10, 0x20, 0x40, 0, 0, 0, 0, 0, 0, 0x01}, "00000000-0001-7020-8000-000000000001"},
    /* the version nibble and the variant bits override the random bits */
    {2, {0xf0, 0x00, 0xc0, 0, 0, 0, 0, 0, 0, 0}, "00000000-0002-7000-8000-000000000000"},
};

START_TEST(uuid7_from_vectors)
{
    const struct uuid_row *r = &uuid_rows[_i];
    char out[37];
    memset(out, 'X', sizeof out);
    koop_uuid7_from(out, r->ms, r->rnd);
    ck_assert_str_eq(out, r->want);
    ck_assert_uint_eq(strlen(out), 36);
}
END_TEST

static void assert_v7(const char *u)
{
    ck_assert_msg(fs_is_uuid(u), "%s is not a UUID", u);
    ck_assert_msg(u[14] == '7', "%s: version nibble is not 7", u);
    ck_assert_msg(strchr("89ab", u[19]) != NULL, "%s: variant bits are not 10xx", u);
    for (const char *p = u; *p; p++)
        ck_assert_msg(*p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'),
                      "%s: not lowercase hex", u);
}

START_TEST(uuid7_timestamp_is_now)
{
    char u[37];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    koop_uuid7(u);
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t after = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    assert_v7(u);
    char hex[13];
    memcpy(hex, u, 8);
    memcpy(hex + 8, u + 9, 4);
    hex[12] = 0;
    uint64_t ms = strtoull(hex, NULL, 16);
    ck_assert_uint_ge(ms, before);
    ck_assert_uint_le(ms, after);
}
END_TEST

START_TEST(uuid7_later_sorts_after)
{
    char a[37], b[37];
    for (int i = 0; i < 5; i++) {
        koop_uuid7(a);
        struct timespec d = {0, 2 * 1000 * 1000};
        nanosleep(&d, NULL);
        koop_uuid7(b);
        ck_assert_msg(strcmp(a, b) < 0, "%s (earlier) does not sort before %s", a, b);
    }
}
END_TEST

static int cmp_uuid(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

START_TEST(uuid7_unique_and_ordered)
{
    enum { N = 10000 };
    char(*u)[37] = malloc(N * sizeof *u);
    ck_assert_ptr_nonnull(u);
    for (int i = 0; i < N; i++) {
        koop_uuid7(u[i]);
        assert_v7(u[i]);
        /* the 48-bit millisecond prefix never goes backwards */
        if (i)
            ck_assert_msg(strncmp(u[i - 1], u[i], 13) <= 0, "%s then %s", u[i - 1], u[i]);
    }
    qsort(u, N, sizeof *u, cmp_uuid);
    for (int i = 1; i < N; i++)
        ck_assert_msg(strcmp(u[i - 1], u[i]) != 0, "duplicate uuid %s", u[i]);
    free(u);
}
END_TEST

/* ---- base64url --------------------------------------------------------------- */

struct b64_row {
    const char *raw;
    size_t n;
    const char *enc;
};

/* RFC 4648 section 10 vectors without padding, and bytes that use the
 * URL-safe characters - and _ (standard + and /). */
static const struct b64_row b64_rows[] = {
    {"", 0, ""},
    {"f", 1, "Zg"},
    {"fo", 2, "Zm8"},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy"},
    {"\xfb\xff", 2, "-_8"},
    {"\xfb\xef\xbe", 3, "----"},
    {"\xff\xff\xff", 3, "____"},
    {"\x00\x00\x00", 3, "AAAA"},
    {"\x00", 1, "AA"},
    {"\x03\xe0\x3f", 3, "A-A_"},
    {"Żółć", 8, "xbvDs8WCxIc"},
};

START_TEST(b64_vectors)
{
    const struct b64_row *r = &b64_rows[_i];
    char enc[64];
    size_t len = koop_b64url_encode((const unsigned char *)r->raw, r->n, enc);
    ck_assert_str_eq(enc, r->enc);
    ck_assert_uint_eq(len, strlen(r->enc));
    unsigned char dec[64];
    long dl = koop_b64url_decode(r->enc, dec, sizeof dec);
    ck_assert_int_eq(dl, (long)r->n);
    ck_assert(memcmp(dec, r->raw, r->n) == 0);
}
END_TEST

START_TEST(b64_round_trip)
{
    size_t n = (size_t)_i; /* 0..64 */
    unsigned char raw[64], dec[64 + 3];
    for (size_t i = 0; i < n; i++)
        raw[i] = (unsigned char)(i * 37 + n * 11 + 0xA5);
    char enc[4 * 22 + 1];
    memset(enc, '#', sizeof enc);
    size_t len = koop_b64url_encode(raw, n, enc);
    ck_assert_uint_eq(len, (4 * n + 2) / 3); /* no padding */
    ck_assert_uint_eq(strlen(enc), len);
    for (size_t i = 0; i < len; i++)
        ck_assert_msg(strchr(B64URL, enc[i]) != NULL, "char %c not base64url", enc[i]);
    long dl = koop_b64url_decode(enc, dec, sizeof dec);
    ck_assert_int_eq(dl, (long)n);
    ck_assert(memcmp(raw, dec, n) == 0);
}
END_TEST

static const char *const b64_bad[] = {
    "Zg==",                         /* padding is not part of the alphabet */
    "Zg=",    "Zm9v+w",             /* standard alphabet */
    "Zm9v/w", "Z",                  /* one char cannot encode a byte */
    "Zm9vY",                        /* length % 4 == 1 */
    "Zm 9v",                        /* whitespace */
    "Zm9v\n", "Zm9v.A", "\xc5\xbb", /* non-ASCII */
};

START_TEST(b64_invalid)
{
    unsigned char out[64];
    ck_assert_msg(koop_b64url_decode(b64_bad[_i], out, sizeof out) == -1, "'%s' decoded",
                  b64_bad[_i]);
}
END_TEST

START_TEST(b64_capacity)
{
    unsigned char out[8];
    ck_assert_int_eq(koop_b64url_decode("Zm9vYmFy", out, 5), -1);
    ck_assert_int_eq(koop_b64url_decode("Zm9vYmFy", out, 6), 6);
    ck_assert_int_eq(koop_b64url_decode("Zm9vYg", out, 3), -1);
    ck_assert_int_eq(koop_b64url_decode("Zm9vYg", out, 4), 4);
    ck_assert_int_eq(koop_b64url_decode("", out, 0), 0);
}
END_TEST

/* ---- sha256 ------------------------------------------------------------------- */

START_TEST(sha256_vectors)
{
    char out[65];
    koop_sha256_hex("", 0, out);
    ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    koop_sha256_hex("abc", 3, out);
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *s448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    koop_sha256_hex(s448, strlen(s448), out);
    ck_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* length is honoured, not strlen */
    koop_sha256_hex("abcdef", 3, out);
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_uint_eq(strlen(out), 64);
}
END_TEST

/* ---- tokens -------------------------------------------------------------------- */

START_TEST(token_format_and_unique)
{
    enum { N = 200 };
    static char tok[N][64];
    for (int i = 0; i < N; i++) {
        memset(tok[i], 0x7f, sizeof tok[i]);
        ck_assert_int_eq(koop_new_token(tok[i]), 0);
        ck_assert_uint_eq(strlen(tok[i]), 48);
        ck_assert(strncmp(tok[i], "koop_", 5) == 0);
        for (const char *p = tok[i] + 5; *p; p++)
            ck_assert_msg(strchr(B64URL, *p) != NULL, "token %s: char %c", tok[i], *p);
        unsigned char raw[40];
        ck_assert_int_eq(koop_b64url_decode(tok[i] + 5, raw, sizeof raw), 32);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(tok[i], tok[j]) != 0, "duplicate token");
    }
}
END_TEST

/* ---- cursors ---------------------------------------------------------------------- */

#define UID "0190f6e0-1c2d-7a3b-8c4d-5e6f70819a2b"

START_TEST(cursor_round_trip)
{
    json_t *keys[] = {
        json_string("Żółć \"quoted\" / slash"),
        json_string(""),
        json_null(),
        json_integer(42),
        json_integer(-1),
        json_integer(9007199254740993LL),
        json_string("2026-01-01T00:00:00.123456Z"),
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *c = koop_cursor_encode("name", keys[i], UID);
        ck_assert_ptr_nonnull(c);
        for (const char *p = c; *p; p++)
            ck_assert_msg(strchr(B64URL, *p) != NULL, "cursor char %c", *p);
        json_t *key = NULL;
        char id[37] = "";
        ck_assert_int_eq(koop_cursor_decode(c, "name", &key, id), 0);
        ck_assert_str_eq(id, UID);
        ck_assert_ptr_nonnull(key);
        ck_assert_msg(json_equal(key, keys[i]), "key %zu changed", i);
        json_decref(key);
        /* bound to the sort */
        key = NULL;
        ck_assert_int_eq(koop_cursor_decode(c, "-name", &key, id), -1);
        ck_assert_int_eq(koop_cursor_decode(c, "nam", &key, id), -1);
        ck_assert_int_eq(koop_cursor_decode(c, "", &key, id), -1);
        ck_assert_ptr_null(key);
        free(c);
        json_decref(keys[i]);
    }
}
END_TEST

START_TEST(cursor_null_key_pointer)
{
    char *c = koop_cursor_encode("created_at", NULL, UID);
    ck_assert_ptr_nonnull(c);
    json_t *key = NULL;
    char id[37];
    ck_assert_int_eq(koop_cursor_decode(c, "created_at", &key, id), 0);
    ck_assert(json_is_null(key));
    json_decref(key);
    free(c);
}
END_TEST

START_TEST(cursor_long_key)
{
    /* 300 four-byte characters: a long name still round-trips */
    char s[300 * 4 + 1] = "";
    for (int i = 0; i < 300; i++)
        strcat(s, "😀");
    json_t *k = json_string(s);
    char *c = koop_cursor_encode("name", k, UID);
    ck_assert_ptr_nonnull(c);
    json_t *key = NULL;
    char id[37];
    ck_assert_int_eq(koop_cursor_decode(c, "name", &key, id), 0);
    ck_assert(json_equal(key, k));
    json_decref(key);
    json_decref(k);
    free(c);
}
END_TEST

/* Encodes raw JSON text the way a forger would. */
static char *forge(const char *json)
{
    size_t n = strlen(json);
    char *out = malloc(4 * (n / 3 + 1) + 1);
    koop_b64url_encode((const unsigned char *)json, n, out);
    return out;
}

static const char *const forged_bad[] = {
    "{\"s\":\"name\",\"k\":1,\"i\":\"" UID "\",\"x\":1}",        /* extra key */
    "{\"s\":\"name\",\"k\":1}",                                  /* missing id */
    "{\"s\":\"name\",\"i\":\"" UID "\"}",                        /* missing key */
    "{\"k\":1,\"i\":\"" UID "\"}",                               /* missing sort */
    "{\"s\":\"name\",\"k\":1,\"i\":\"not-a-uuid\"}",             /* bad id */
    "{\"s\":\"name\",\"k\":1,\"i\":\"" UID "x\"}",               /* id too long */
    "{\"s\":\"name\",\"k\":1,\"i\":null}",                       /* null id */
    "{\"s\":\"name\",\"k\":1.5,\"i\":\"" UID "\"}",              /* real key */
    "{\"s\":\"name\",\"k\":true,\"i\":\"" UID "\"}",             /* bool key */
    "{\"s\":\"name\",\"k\":{},\"i\":\"" UID "\"}",               /* object key */
    "{\"s\":\"name\",\"k\":[1],\"i\":\"" UID "\"}",              /* array key */
    "{\"s\":1,\"k\":1,\"i\":\"" UID "\"}",                       /* sort not a string */
    "{\"s\":\"name\",\"s\":\"name\",\"k\":1,\"i\":\"" UID "\"}", /* duplicate */
    "{\"s\":\"name\",\"k\":1,\"i\":\"" UID "\"} x",              /* trailing garbage */
    "[\"name\",1,\"" UID "\"]",                                  /* not an object */
    "\"name\"",
    "null",
};

START_TEST(cursor_forged)
{
    /* the same layout with good values decodes: the forger's format is right */
    char *ok = forge("{\"s\":\"name\",\"k\":1,\"i\":\"" UID "\"}");
    json_t *key = NULL;
    char id[37];
    ck_assert_int_eq(koop_cursor_decode(ok, "name", &key, id), 0);
    json_decref(key);
    free(ok);

    char *c = forge(forged_bad[_i]);
    key = NULL;
    ck_assert_msg(koop_cursor_decode(c, "name", &key, id) == -1, "accepted %s", forged_bad[_i]);
    ck_assert_ptr_null(key);
    free(c);
}
END_TEST

START_TEST(cursor_garbage)
{
    json_t *key = NULL;
    char id[37];
    const char *bad[] = {"",    "!",     "!!!!", "abc", "A", "====", "Zm9v", "eyJzIjoibmFtZSJ9",
                         "e30", "bnVsbA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(koop_cursor_decode(bad[i], "name", &key, id) == -1, "accepted '%s'", bad[i]);

    /* tampering with a real cursor: truncation, a flipped first char, an
     * appended char */
    json_t *k = json_string("Kowalski");
    char *c = koop_cursor_encode("name", k, UID);
    size_t n = strlen(c);
    char *t = strdup(c);
    t[n - 2] = 0;
    ck_assert_int_eq(koop_cursor_decode(t, "name", &key, id), -1);
    strcpy(t, c);
    t[0] = t[0] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(koop_cursor_decode(t, "name", &key, id), -1);
    char *t2 = malloc(n + 2);
    snprintf(t2, n + 2, "%s!", c);
    ck_assert_int_eq(koop_cursor_decode(t2, "name", &key, id), -1);
    ck_assert_ptr_null(key);
    free(t2);
    free(t);
    free(c);
    json_decref(k);
}
END_TEST

START_TEST(cursor_too_long)
{
    json_t *key = NULL;
    char id[37];
    char *big = malloc(4097);
    memset(big, 'A', 4096);
    big[4096] = 0;
    ck_assert_int_eq(koop_cursor_decode(big, "name", &key, id), -1);
    big[2049] = 0;
    ck_assert_int_eq(koop_cursor_decode(big, "name", &key, id), -1);
    free(big);

    /* a well-formed cursor over the 2048-char limit is refused too */
    char pad[1700];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    char json[1900];
    snprintf(json, sizeof json, "{\"s\":\"name\",\"k\":\"%s\",\"i\":\"" UID "\"}", pad);
    char *c = forge(json);
    ck_assert_uint_gt(strlen(c), 2048);
    ck_assert_int_eq(koop_cursor_decode(c, "name", &key, id), -1);
    ck_assert_ptr_null(key);
    free(c);
}
END_TEST

/* ---- JSON depth -------------------------------------------------------------------- */

struct depth_row {
    const char *s;
    int max;
    bool want;
};

static const struct depth_row depth_rows[] = {
    {"{}", 1, true},
    {"{}", 0, false},
    {"1", 0, true},
    {"[[[]]]", 3, true},
    {"[[[]]]", 2, false},
    {"[[],[],[[]]]", 3, true},
    {"[[],[],[[]]]", 2, false},
    {"{\"k\":{\"k\":{\"k\":1}}}", 3, true},
    {"{\"k\":{\"k\":{\"k\":1}}}", 2, false},
    {"{\"a\":\"[[[[[[\"}", 1, true},
    {"{\"a\":\"}}}}]]]][[[[\"}", 1, true},
    {"{\"a\":\"\\\"[[[[\"}", 1, true}, /* escaped quote stays in the string */
    {"[\"\\\\\",[[]]]", 3, true},      /* escaped backslash ends before the quote */
    {"[\"\\\\\",[[]]]", 2, false},
    {"[\"\\\\\\\"[[[[\"]", 1, true}, /* \\ then \" : still in the string */
    {"{\"a\\\"{\":[{}]}", 3, true},  /* bracket in an escaped key */
    {"{\"a\\\"{\":[{}]}", 2, false},
    {"\"{{{{\"", 0, true},
    {"\"[[[[", 0, true}, /* unterminated string */
    {"[\"\\u005b\",[]]", 2, true},
    {"[\"\\u005b\",[]]", 1, false},
};

START_TEST(json_depth_table)
{
    const struct depth_row *r = &depth_rows[_i];
    ck_assert_msg(koop_json_depth_ok(r->s, strlen(r->s), r->max) == r->want,
                  "row %d: %s max %d: want %d", _i, r->s, r->max, r->want);
}
END_TEST

START_TEST(json_depth_bounds)
{
    char deep[2001];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[2000] = 0;
    ck_assert(!koop_json_depth_ok(deep, 2000, 16));
    ck_assert(koop_json_depth_ok(deep, 2000, 1000));
    ck_assert(!koop_json_depth_ok(deep, 2000, 999));
    /* only n bytes are scanned */
    ck_assert(koop_json_depth_ok(deep, 16, 16));
    ck_assert(!koop_json_depth_ok(deep, 17, 16));
    ck_assert(koop_json_depth_ok("", 0, 0));
    /* a NUL inside the buffer does not end the scan */
    const char withnul[] = "[\0[[";
    ck_assert(!koop_json_depth_ok(withnul, 4, 2));
}
END_TEST

/* ---- request ids --------------------------------------------------------------------- */

START_TEST(request_id)
{
    char max[66];
    memset(max, 'a', 64);
    max[64] = 0;
    ck_assert(koop_request_id_ok(max));
    max[64] = 'a';
    max[65] = 0;
    ck_assert(!koop_request_id_ok(max));

    const char *good[] = {"a", "Z", "0", "-", "_", ".", "req-123_abc.DEF", UID};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(koop_request_id_ok(good[i]), "rejected '%s'", good[i]);
    const char *bad[] = {"",         " ",   "a b",  "a\n",   "a\r\nX-Evil: 1",
                         "a/b",      "a:b", "a\"b", "ż",     "a\tb",
                         "<script>", "a;b", "a,b",  "a%20b", "\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!koop_request_id_ok(bad[i]), "accepted '%s'", bad[i]);
}
END_TEST

Suite *suite_util(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("uuid7");
    tcase_add_loop_test(tc, uuid7_from_vectors, 0, (int)(sizeof uuid_rows / sizeof uuid_rows[0]));
    tcase_add_test(tc, uuid7_timestamp_is_now);
    tcase_add_test(tc, uuid7_later_sorts_after);
    tcase_add_test(tc, uuid7_unique_and_ordered);
    suite_add_tcase(s, tc);

    tc = tcase_create("base64url");
    tcase_add_loop_test(tc, b64_vectors, 0, (int)(sizeof b64_rows / sizeof b64_rows[0]));
    tcase_add_loop_test(tc, b64_round_trip, 0, 65);
    tcase_add_loop_test(tc, b64_invalid, 0, (int)(sizeof b64_bad / sizeof b64_bad[0]));
    tcase_add_test(tc, b64_capacity);
    suite_add_tcase(s, tc);

    tc = tcase_create("sha256_token");
    tcase_add_test(tc, sha256_vectors);
    tcase_add_test(tc, token_format_and_unique);
    suite_add_tcase(s, tc);

    tc = tcase_create("cursor");
    tcase_add_test(tc, cursor_round_trip);
    tcase_add_test(tc, cursor_null_key_pointer);
    tcase_add_test(tc, cursor_long_key);
    tcase_add_loop_test(tc, cursor_forged, 0, (int)(sizeof forged_bad / sizeof forged_bad[0]));
    tcase_add_test(tc, cursor_garbage);
    tcase_add_test(tc, cursor_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("depth_request_id");
    tcase_add_loop_test(tc, json_depth_table, 0, (int)(sizeof depth_rows / sizeof depth_rows[0]));
    tcase_add_test(tc, json_depth_bounds);
    tcase_add_test(tc, request_id);
    suite_add_tcase(s, tc);
    return s;
}
