/* The basket of services (SPEC §5 Services): CRUD per role, transitions and
 * the withdrawn-partner rule, Polish search, every list filter, pagination,
 * the capacity route, the Open Referral HSDS export, the all-or-nothing CSV
 * import and tenant isolation. Conformant traffic goes through Prism (api);
 * deliberately bad requests go straight to the daemon (direct). Every
 * rejected write is checked to have changed nothing. */
#include "services.h"

const char *prism_url(void)
{
    return env_or("KOOP_TEST_URL", "http://127.0.0.1:8080");
}

/* Percent-encodes s for a query string (rotating buffers). */
const char *svc_enc(const char *s)
{
    static __thread char bufs[8][1024];
    static __thread int next;
    char *b = bufs[next++ % 8];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < sizeof bufs[0]; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            b[o++] = (char)*p;
        else
            o += (size_t)snprintf(b + o, sizeof bufs[0] - o, "%%%02X", *p);
    }
    b[o] = 0;
    return b;
}

/* A partner with this name, short name (may be NULL) and sector; id in out. */
void mk_partner(const char *tok, const char *name, const char *short_name, const char *sector,
                char out[37])
{
    json_t *o = json_pack("{s:s, s:s}", "name", name, "sector", sector);
    if (short_name)
        json_object_set_new(o, "short_name", json_string(short_name));
    char *body = jdump(o);
    json_decref(o);
    struct resp *r = direct("POST", "/v1/partners", tok, body, NULL);
    free(body);
    ck_assert_msg(r->status == 201, "create partner %s: %ld %s", name, r->status, r->body);
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

/* A minimal service document (new reference). */
json_t *svc_doc(const char *partner_id, const char *name, const char *category)
{
    return json_pack("{s:s, s:s, s:s}", "partner_id", partner_id, "name", name, "category",
                     category);
}

/* POST /v1/services through Prism; asserts 201; id in out (may be NULL). Steals doc. */
void create_svc(const char *tok, json_t *doc, char out[37])
{
    char *body = jdump(doc);
    json_decref(doc);
    struct resp *r = api("POST", "/v1/services", tok, body);
    ck_assert_msg(r->status == 201, "create service: %ld %s (body %s)", r->status, r->body, body);
    free(body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

/* GET /v1/services/{id} (direct): the parsed record (new reference) or NULL. */
json_t *get_svc(const char *tok, const char *id)
{
    struct resp *r = direct("GET", fmt("/v1/services/%s", id), tok, NULL, NULL);
    json_t *j = r->status == 200 ? json_incref(r->json) : NULL;
    resp_free(r);
    return j;
}

char *svc_text(const char *id)
{
    return record_of(fmt("/v1/services/%s", id), world()->admin_a);
}

/* Asserts the service's stored text is exactly before (a rejected write changed nothing). */
void unchanged(const char *tok, const char *id, const char *before, int line)
{
    char *now = record_of(fmt("/v1/services/%s", id), tok);
    ck_assert_msg(now && strcmp(now, before) == 0, "line %d: service %s changed:\n%s\n%s", line, id,
                  before, now ? now : "(gone)");
    free(now);
}

void transition_ok(const char *tok, const char *id, const char *to)
{
    struct resp *r =
        api("POST", fmt("/v1/services/%s/transitions", id), tok, fmt("{\"to\":\"%s\"}", to));
    ck_assert_msg(r->status == 200, "transition to %s: %ld %s", to, r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), to);
    resp_free(r);
}

/* Every service id of a list query (all pages, direct). */
void svc_list_all(const char *tok, const char *query, struct ids *out)
{
    out->n = 0;
    char cursor[1200] = "";
    for (int page = 0; page < 100; page++) {
        const char *path =
            *cursor ? fmt("/v1/services?limit=200%s%s&cursor=%s", *query ? "&" : "", query, cursor)
                    : fmt("/v1/services?limit=200%s%s", *query ? "&" : "", query);
        struct resp *r = direct("GET", path, tok, NULL, NULL);
        ck_assert_msg(r->status == 200, "list %s: %ld %s", query, r->status, r->body);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            ck_assert_int_lt(out->n, MAXIDS);
            snprintf(out->id[out->n++], 37, "%s", jstr(it, "id"));
        }
        const char *next = jstr(r->json, "next_cursor");
        if (!next) {
            resp_free(r);
            return;
        }
        snprintf(cursor, sizeof cursor, "%s", svc_enc(next));
        resp_free(r);
    }
    ck_abort_msg("list %s never ends", query);
}

bool svc_has_id(const struct ids *s, const char *id)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->id[i], id) == 0)
            return true;
    return false;
}

/* The list (one page through Prism) for query is exactly the n ids given, in any order. */
void expect_set(const char *tok, const char *query, int n, ...)
{
    struct resp *r = api("GET", fmt("/v1/services?limit=200&%s", query), tok, NULL);
    ck_assert_msg(r->status == 200, "list %s: %ld %s", query, r->status, r->body);
    json_t *items = json_object_get(r->json, "items");
    struct ids got = {0};
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        ck_assert_int_lt(got.n, MAXIDS);
        snprintf(got.id[got.n++], 37, "%s", jstr(it, "id"));
    }
    va_list ap;
    va_start(ap, n);
    for (int k = 0; k < n; k++) {
        const char *want = va_arg(ap, const char *);
        ck_assert_msg(svc_has_id(&got, want), "?%s lacks %s: %s", query, want, r->body);
    }
    va_end(ap);
    ck_assert_msg(got.n == n, "?%s: %d items, want %d: %s", query, got.n, n, r->body);
    resp_free(r);
}

/* POST /v1/services/import with a CSV body. */
struct resp *import_csv(const char *base, const char *tok, const char *csv, size_t len,
                        const char *content_type)
{
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
    const char *h[] = {ct, NULL};
    return http_raw(base, "POST", "/v1/services/import", tok, csv, len, h);
}

/* The errors[] item with this row, field and code (code may be NULL). */
const json_t *row_err(const struct resp *r, long long row, const char *field, const char *code)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (jint(e, "row") != row || !jstr(e, "field") || strcmp(jstr(e, "field"), field))
            continue;
        if (code && (!jstr(e, "code") || strcmp(jstr(e, "code"), code)))
            continue;
        return e;
    }
    return NULL;
}

void new_tenant(struct tenant *t)
{
    fresh_tenant(t->id, t->admin, t->admin_id);
}

Suite *suite_services(void)
{
    Suite *s = suite_create("services");
    suite_add_tcase(s, tcase_services_crud());
    suite_add_tcase(s, tcase_services_transitions());
    suite_add_tcase(s, tcase_services_lists());
    suite_add_tcase(s, tcase_services_capacity());
    suite_add_tcase(s, tcase_services_hsds());
    suite_add_tcase(s, tcase_services_import());
    suite_add_tcase(s, tcase_services_tenants());
    return s;
}
