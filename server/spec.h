/* Declarative input specs: each resource lists the body fields and query
 * parameters it accepts; one call validates a whole input and reports every
 * bad field (dotted path, code, message) before any SQL runs. */
#ifndef KOOP_SPEC_H
#define KOOP_SPEC_H

#include <jansson.h>
#include <stdbool.h>

enum fs_type {
    FS_STRING, /* UTF-8 string, min/max = length in code points */
    FS_INT,    /* integer, min/max = value */
    FS_BOOL,
    FS_DATE,     /* YYYY-MM-DD, a real calendar date */
    FS_DATETIME, /* RFC 3339 with offset */
    FS_UUID,
    FS_ENUM, /* string from .values */
    FS_EMAIL,
    FS_URL,    /* http(s) URL */
    FS_OBJECT, /* nested object validated by .sub */
    FS_ARRAY,  /* array, min/max = item count; items validated by .item */
};

enum {
    FS_REQUIRED = 1 << 0, /* must be present on create */
    FS_NULLABLE = 1 << 1, /* null allowed (and in a patch removes the value) */
    FS_READONLY = 1 << 2, /* present in output only: any input is 422 read_only */
};

/* Custom check for string values: returns NULL when valid, or an error code
 * ("checksum", "format") and sets *msg to a client-facing message. */
typedef const char *(*fs_check)(const char *value, const char **msg);

struct fs_field {
    const char *name; /* NULL terminates a spec array */
    enum fs_type type;
    unsigned flags;
    long long min, max;          /* 0,0 = unbounded */
    const char *const *values;   /* FS_ENUM: NULL-terminated list */
    const struct fs_field *sub;  /* FS_OBJECT: its fields */
    const struct fs_field *item; /* FS_ARRAY: one spec for every item (name ignored) */
    fs_check check;
};

enum fs_mode { FS_CREATE, FS_PATCH };

/* Validates obj against spec. Appends {field, code, message, in:"body"} items to
 * errors for every problem. prefix is the dotted path of obj ("" at top).
 * Returns true when no error was added. obj is borrowed. */
bool fs_validate(const struct fs_field *spec, const json_t *obj, enum fs_mode mode,
                 const char *prefix, json_t *errors);

/* Validates one value against one field; used for query parameters too. */
bool fs_validate_value(const struct fs_field *f, const json_t *v, enum fs_mode mode,
                       const char *path, const char *in, json_t *errors);

/* Query parameter spec: same field struct; values are strings that are
 * converted by type (FS_INT, FS_BOOL, FS_DATE, FS_DATETIME, FS_UUID, FS_ENUM,
 * FS_STRING). FS_ARRAY with an FS_ENUM item parses comma-separated lists. */
struct kreq;
/* Parses the request's query into a new JSON object of typed values (keys as
 * given). Unknown parameters and bad values are appended to errors (in:"query").
 * Returns the object (caller owns) — also when errors were added. */
json_t *fs_parse_query(const struct fs_field *spec, const struct kreq *req, json_t *errors);

/* Helpers exposed for tests. */
bool fs_is_date(const char *s);
bool fs_is_datetime(const char *s);
bool fs_is_uuid(const char *s);
bool fs_is_email(const char *s);
bool fs_is_url(const char *s);
long fs_utf8_len(const char *s); /* code points, -1 when not valid UTF-8 */

extern const struct fs_field fs_common_readonly[]; /* id, version, created_at, ... */

#endif
