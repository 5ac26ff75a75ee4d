#include "util.h"

#include "spec.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void koop_uuid7_from(char out[37], uint64_t ms, const unsigned char r[10])
{
    unsigned char b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (8 * (5 - i)));
    b[6] = (unsigned char)(0x70 | (r[0] & 0x0F));
    b[7] = r[1];
    b[8] = (unsigned char)(0x80 | (r[2] & 0x3F));
    memcpy(b + 9, r + 3, 7);
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

void koop_uuid7(char out[37])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    unsigned char r[10];
    if (koop_random(r, sizeof r) != 0) {
        /* RAND_bytes failing is our broken invariant; fall back to the clock. */
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(ts.tv_nsec >> (i % 4 * 8)) ^ (unsigned char)rand();
    }
    koop_uuid7_from(out, ms, r);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t koop_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = 0;
    return o;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

long koop_b64url_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        int k;
        for (k = 0; k < 4 && i + k < n; k++) {
            int d = b64val(in[i + k]);
            if (d < 0)
                return -1;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        int bytes = k - 1;
        if (o + (size_t)bytes > cap)
            return -1;
        for (int j = 0; j < bytes; j++)
            out[o++] = (unsigned char)(v >> (16 - 8 * j));
    }
    return (long)o;
}

/* fetched once: EVP_sha256() would be looked up in the provider on every digest */
static EVP_MD *sha256_md;
static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void koop_sha256_hex(const void *data, size_t n, char out[65])
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int len = 0;
    pthread_once(&once, sha256_fetch);
    EVP_Digest(data, n, md, &len, sha256_md ? sha256_md : EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = 0;
}

int koop_random(unsigned char *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int koop_new_token(char out[64])
{
    unsigned char r[32];
    if (koop_random(r, sizeof r) != 0)
        return -1;
    memcpy(out, "koop_", 5);
    koop_b64url_encode(r, sizeof r, out + 5);
    return 0;
}

char *koop_cursor_encode(const char *sort, const json_t *key, const char *id)
{
    json_t *c = json_pack("{s:s, s:O, s:s}", "s", sort, "k", key ? key : json_null(), "i", id);
    char *txt = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    if (!txt)
        return NULL;
    size_t n = strlen(txt);
    char *out = malloc(4 * (n / 3 + 1) + 1);
    if (out)
        koop_b64url_encode((unsigned char *)txt, n, out);
    free(txt);
    return out;
}

int koop_cursor_decode(const char *cursor, const char *sort, json_t **key, char id[37])
{
    size_t n = strlen(cursor);
    if (n == 0 || n > 2048)
        return -1;
    unsigned char buf[2048];
    long len = koop_b64url_decode(cursor, buf, sizeof buf - 1);
    if (len <= 0)
        return -1;
    json_t *c = json_loadb((char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (!c)
        return -1;
    const json_t *s = json_object_get(c, "s"), *k = json_object_get(c, "k"),
                 *i = json_object_get(c, "i");
    int rc = -1;
    if (json_is_string(s) && strcmp(json_string_value(s), sort) == 0 && k &&
        (json_is_string(k) || json_is_null(k) || json_is_integer(k)) && json_is_string(i) &&
        fs_is_uuid(json_string_value(i)) && json_object_size(c) == 3) {
        snprintf(id, 37, "%s", json_string_value(i));
        *key = json_incref((json_t *)k);
        rc = 0;
    }
    json_decref(c);
    return rc;
}

uint64_t koop_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool koop_json_depth_ok(const char *s, size_t n, int max_depth)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

bool koop_request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}
