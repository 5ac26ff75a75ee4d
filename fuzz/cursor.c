/* Fuzz target: the cursor codec (server/util.c).
 *
 * Framing: the input up to its first NUL is a cursor to decode (with a sort
 * name that varies with its length); after the NUL, one byte picks the key's
 * type (string, integer, null), then the sort name and the key each up to
 * the next NUL, and 16 bytes that make the id (a UUID).
 *
 * Checks: decoding arbitrary text never crashes and, when it succeeds, gives
 * a UUID id and a string/integer/null key; encode -> decode is the identity
 * (same key, same id) for the same sort, and fails for another sort. */
#include "spec.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sorts[] = {"name", "-name", "created_at", "relevance", "valid_from"};

/* The next NUL-terminated piece of *p (at most end), copied into a new string. */
static char *piece(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
    size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = 0;
    *p += nul ? n + 1 : n;
    return s;
}

static void fail(const char *what, const char *cursor)
{
    fprintf(stderr, "fuzz/cursor: %s (cursor '%s')\n", what, cursor ? cursor : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *cursor = piece(&p, end);
    json_t *key = NULL;
    char id[37];
    if (koop_cursor_decode(cursor, sorts[strlen(cursor) % 5], &key, id) == 0) {
        if (!fs_is_uuid(id) || !(json_is_string(key) || json_is_integer(key) || json_is_null(key)))
            fail("decoded a bad id or key", cursor);
        json_decref(key);
    }
    free(cursor);
    if (p >= end)
        return 0;

    uint8_t kind = *p++;
    char *sort = piece(&p, end);
    char *text = piece(&p, end);
    unsigned char rnd[16] = {0};
    size_t left = (size_t)(end - p);
    memcpy(rnd, p, left < 16 ? left : 16);
    char uuid[37];
    snprintf(uuid, sizeof uuid,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11],
             rnd[12], rnd[13], rnd[14], rnd[15]);
    json_t *k = kind % 3 == 0   ? json_string(text) /* NULL when not UTF-8 */
                : kind % 3 == 1 ? json_integer((json_int_t)strtoll(text, NULL, 10))
                                : json_null();
    /* sort names are the resources' own (ASCII); jansson refuses a non-UTF-8 one */
    if (k && fs_utf8_len(sort) >= 0) {
        char *c = koop_cursor_encode(sort, k, uuid);
        if (!c)
            fail("encode failed", NULL);
        json_t *back = NULL;
        char bid[37] = "";
        if (koop_cursor_decode(c, sort, &back, bid) != 0) {
            /* the decoder's bound: cursors longer than 2048 characters are refused */
            if (strlen(c) <= 2048)
                fail("encode -> decode failed", c);
        } else {
            if (!json_equal(back, k) || strcmp(bid, uuid) != 0)
                fail("encode -> decode is not the identity", c);
            json_decref(back);
            size_t n = strlen(sort);
            char *other = malloc(n + 2);
            if (!other)
                abort();
            memcpy(other, sort, n);
            memcpy(other + n, "~", 2);
            if (koop_cursor_decode(c, other, &back, bid) == 0)
                fail("decoded for another sort", c);
            free(other);
        }
        free(c);
    }
    json_decref(k);
    free(sort);
    free(text);
    return 0;
}
