/* Small pure helpers: ids, encodings, hashing, cursors. */
#ifndef KOOP_UTIL_H
#define KOOP_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes a time-ordered UUID (version 7 layout: 48-bit Unix ms, random rest)
 * as 36 chars + NUL into out. */
void koop_uuid7(char out[37]);
/* Same from explicit inputs (for tests): ms timestamp and 10 random bytes. */
void koop_uuid7_from(char out[37], uint64_t unix_ms, const unsigned char rnd[10]);

/* base64url without padding. out must hold 4*ceil(n/3)+1 bytes. Returns length. */
size_t koop_b64url_encode(const unsigned char *in, size_t n, char *out);
/* Decodes into out (at least 3*strlen(in)/4+3 bytes). Returns length, or -1 on bad input. */
long koop_b64url_decode(const char *in, unsigned char *out, size_t outcap);

/* SHA-256 of data as 64 lowercase hex chars + NUL. */
void koop_sha256_hex(const void *data, size_t n, char out[65]);

/* Fills buf with n cryptographically random bytes. Returns 0, -1 on failure. */
int koop_random(unsigned char *buf, size_t n);

/* A new bearer token: "koop_" + base64url(32 random bytes). out >= 64 bytes. */
int koop_new_token(char out[64]);

/* Cursor codec: an opaque string binding a sort to the last row's sort key and
 * id. Encode returns a malloc'd string. Decode returns 0 and fills *key (new
 * reference, may be JSON null) and id when the cursor is well-formed and was
 * made for `sort`; -1 otherwise. */
char *koop_cursor_encode(const char *sort, const json_t *key, const char *id);
int koop_cursor_decode(const char *cursor, const char *sort, json_t **key, char id[37]);

/* Monotonic milliseconds / microseconds. */
uint64_t koop_now_us(void);

/* Scans JSON text for nesting deeper than max_depth (outside strings) without
 * parsing it. Returns true when within the limit. */
bool koop_json_depth_ok(const char *s, size_t n, int max_depth);

/* True when s is a sane client-supplied request id: 1..64 of [A-Za-z0-9._-]. */
bool koop_request_id_ok(const char *s);

#endif
