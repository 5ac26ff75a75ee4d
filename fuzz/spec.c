/* Fuzz target: the field-spec validator (server/spec.c) on a JSON body
 * against the real resources' specs.
 *
 * Framing: the first byte picks the resource (its value modulo the table
 * below) and the mode (bit 7: patch, with the resource's patch fields when it
 * has them); the rest is the body, refused as the server refuses it (nesting
 * deeper than KOOP_MAX_DEPTH, a NUL, not JSON, not an object).
 *
 * Checks: fs_validate returns true exactly when it added no error, every
 * unknown or read-only top-level key is reported (unknown_field, read_only),
 * and every
 * error is {field, code, message, in: "body"}, all strings, code and message
 * not empty (field is empty for an unknown key ""). */
#include "api.h"
#include "spec.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KOOP_MAX_DEPTH 16 /* the default of KOOP_MAX_DEPTH (server/config.c) */

static const struct koop_resource *const resources[] = {
    &partner_resource, &agreement_resource, &benefit_resource,     &tenant_resource,
    &user_resource,    &service_resource,   &family_resource,      &member_resource,
    &consent_resource, &task_team_resource, &team_member_resource, &team_meeting_resource,
    &goal_resource,    &action_resource,    &referral_resource,    &meeting_resource,
    &project_resource,
};
#define NRES (sizeof resources / sizeof resources[0])

static bool nonempty_string(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct koop_resource *r = resources[data[0] % NRES];
    enum fs_mode mode = data[0] & 0x80 ? FS_PATCH : FS_CREATE;
    const struct fs_field *spec = mode == FS_PATCH && r->patch_fields ? r->patch_fields : r->fields;
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    if (!spec || memchr(body, 0, n) || !koop_json_depth_ok(body, n, KOOP_MAX_DEPTH))
        return 0;
    json_t *obj = json_loadb(body, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return 0;
    }
    json_t *errors = json_array();
    bool ok = fs_validate(spec, obj, mode, "", errors);
    if (ok != (json_array_size(errors) == 0)) {
        fprintf(stderr, "fuzz/spec: %s returned %d with %zu errors\n", r->name, ok,
                json_array_size(errors));
        abort();
    }
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e)
    {
        const json_t *in = json_object_get(e, "in");
        if (!json_is_object(e) || json_object_size(e) != 4 ||
            !json_is_string(json_object_get(e, "field")) || !nonempty_string(e, "code") ||
            !nonempty_string(e, "message") || !json_is_string(in) ||
            strcmp(json_string_value(in), "body") != 0) {
            char *txt = json_dumps(e, JSON_COMPACT);
            fprintf(stderr, "fuzz/spec: %s: malformed error item %zu: %s\n", r->name, i,
                    txt ? txt : "?");
            abort();
        }
    }
    /* every unknown or read-only top-level key has an error of its own */
    size_t unknown = 0, reported = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const struct fs_field *f = spec;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        unknown += !f->name || (f->flags & FS_READONLY);
    }
    json_array_foreach(errors, i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        reported += !strcmp(code, "unknown_field") || !strcmp(code, "read_only");
    }
    if (reported < unknown || (ok && unknown)) {
        fprintf(stderr, "fuzz/spec: %s: %zu unknown or read-only keys, %zu reported\n", r->name,
                unknown, reported);
        abort();
    }
    char *txt = json_dumps(errors, JSON_COMPACT);
    if (!txt)
        abort();
    free(txt);
    json_decref(errors);
    json_decref(obj);
    return 0;
}
