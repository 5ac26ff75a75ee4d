#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct resp *post_doc(const char *tok, const char *path, json_t *doc)
{
    char *body = jdump(doc);
    json_decref(doc);
    struct resp *r = api("POST", path, tok, body);
    free(body);
    return r;
}

void create_at(const char *tok, const char *path, json_t *doc, char out[37], int line)
{
    struct resp *r = post_doc(tok, path, doc);
    ck_assert_msg(r->status == 201, "line %d: create %s: %ld %s", line, path, r->status, r->body);
    ck_assert_msg(jstr(r->json, "id"), "line %d: no id: %s", line, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

struct resp *move_to(const char *tok, const char *path, const char *to, const char *reason,
                     const char *outcome)
{
    json_t *o = json_pack("{s:s}", "to", to);
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    if (outcome)
        json_object_set_new(o, "outcome", json_string(outcome));
    return post_doc(tok, path, o);
}

struct resp *move_coded(const char *tok, const char *path, const char *to, const char *code,
                        const char *reason, const char *outcome)
{
    json_t *o = json_pack("{s:s}", "to", to);
    if (code)
        json_object_set_new(o, "reason_code", json_string(code));
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    if (outcome)
        json_object_set_new(o, "outcome", json_string(outcome));
    return post_doc(tok, path, o);
}

void moved_at(const char *tok, const char *path, const char *to, const char *reason,
              const char *outcome, int line)
{
    struct resp *r = move_to(tok, path, to, reason, outcome);
    ck_assert_msg(r->status == 200, "line %d: %s -> %s: %ld %s", line, path, to, r->status,
                  r->body);
    resp_free(r);
}

long get_status(const char *tok, const char *path)
{
    struct resp *r = api("GET", path, tok, NULL);
    long s = r->status;
    resp_free(r);
    return s;
}

const char *utc_date(int days)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    char b[16];
    strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return fmt("%s", b);
}
