/* /v1/partners and its sub-resources (agreements, benefits): CRUD with
 * ETags and If-Match, merge-patch semantics, validation, lists (filters,
 * Polish search, sorts, keyset pages), idempotent create, the status
 * machine, events and audit of every write, and tenant isolation of every
 * route. */
#include "partners.h"

/* Creates a partner from a JSON body as token; asserts 201; id into out. */
void create_raw(const char *token, const char *body, char out[37])
{
    struct resp *r = api("POST", "/v1/partners", token, body);
    ck_assert_msg(r->status == 201, "create partner: %ld %s (body %s)", r->status, r->body, body);
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

void create_p(const char *token, const char *name, const char *sector, char out[37])
{
    char *body = partner_body(name, sector);
    create_raw(token, body, out);
    free(body);
}

const char *ppath(const char *id)
{
    return fmt("/v1/partners/%s", id);
}

bool timestamp_ok(const char *s)
{
    regex_t re;
    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
            REG_EXTENDED | REG_NOSUB);
    bool ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

size_t count_q(const char *token, const char *q)
{
    char *enc = url_encode(q);
    struct resp *r = direct("GET", fmt("/v1/partners?limit=200&q=%s", enc), token, NULL, NULL);
    free(enc);
    ck_assert_msg(r->status == 200, "count q: %ld %s", r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

/* ---- transitions ---- */

struct resp *move(const char *token, const char *id, const char *to, const char *if_match)
{
    return api_if("POST", fmt("/v1/partners/%s/transitions", id), token,
                  fmt("{\"to\":\"%s\",\"reason\":\"test\"}", to), if_match);
}

Suite *suite_partners(void)
{
    Suite *s = suite_create("partners");
    suite_add_tcase(s, tcase_partners_crud());
    suite_add_tcase(s, tcase_partners_lists());
    suite_add_tcase(s, tcase_partners_states());
    suite_add_tcase(s, tcase_partners_children());
    suite_add_tcase(s, tcase_partners_isolation());
    return s;
}
