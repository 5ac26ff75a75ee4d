/* Families, their members and consents (SPEC §5 Families, §6 Family, §7, §9):
 * CRUD, list filters and Polish search, merge patch with If-Match, read-only
 * fields, Idempotency-Key, the state machine, gapless reference numbers under
 * concurrency, PESEL rules and uniqueness, consents, the visibility matrix
 * per role and route, the audit trail, the event feed and GDPR export and
 * anonymisation. Most tests run in a fresh tenant so that lists are exact.
 * Every surname, PESEL and street sent is noted (note_pii) and must appear in
 * no problem body, no event and not in the daemon's log. Conformant requests
 * go through Prism (api), deliberately bad ones straight to the daemon. */
#include "client.h"
#include "pii.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- personal data the tests send ------------------------------------------------------------ */

static char *needles[512];
static int nneedles;

static void pii(const char *s)
{
    note_pii(s);
    if (nneedles < 512)
        needles[nneedles++] = strdup(s);
}

static const char *pii_in(const char *body)
{
    for (int i = 0; body && i < nneedles; i++)
        if (strstr(body, needles[i]))
            return needles[i];
    return NULL;
}

/* A unique surname: stem plus a lower-case letter suffix; noted as PII. */
static const char *surname(const char *stem)
{
    static __thread char bufs[16][128];
    static __thread int next;
    static int counter;
    char *b = bufs[next++ % 16];
    unsigned v =
        (unsigned)getpid() * 1000u + (unsigned)__atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    char sfx[16];
    int n = 0;
    do {
        sfx[n++] = (char)('a' + v % 26);
        v /= 26;
    } while (v && n < 12);
    sfx[n] = 0;
    snprintf(b, sizeof bufs[0], "%s%s", stem, sfx);
    pii(b);
    return b;
}

/* A valid PESEL (make_pesel), also remembered as a needle. */
static const char *pesel(int y, int m, int d, int female)
{
    static __thread char bufs[16][12];
    static __thread int next;
    char *b = bufs[next++ % 16];
    make_pesel(y, m, d, female, b);
    pii(b);
    return b;
}

/* ---- requests ----------------------------------------------------------------------------------
 */

struct opt {
    const char *if_match, *idem, *rid;
};

static struct resp *call(bool prism, const char *m, const char *path, const char *tok,
                         const char *body, struct opt o, int line)
{
    char h[3][320];
    const char *hs[4];
    int n = 0;
    if (o.if_match)
        snprintf(h[n], sizeof h[0], "If-Match: %s", o.if_match), hs[n] = h[n], n++;
    if (o.idem)
        snprintf(h[n], sizeof h[0], "Idempotency-Key: %s", o.idem), hs[n] = h[n], n++;
    if (o.rid)
        snprintf(h[n], sizeof h[0], "X-Request-Id: %s", o.rid), hs[n] = h[n], n++;
    hs[n] = NULL;
    struct resp *r = http_req(prism ? env_or("KOOP_TEST_URL", "http://127.0.0.1:8080")
                                    : env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080"),
                              m, path, tok, body, hs);
    const char *ct = resp_header(r, "Content-Type");
    if (ct && strstr(ct, "problem+json")) {
        const char *leak = pii_in(r->body);
        ck_assert_msg(!leak, "line %d: %s %s: a problem body holds personal data the test sent: %s",
                      line, m, path, r->body);
    }
    return r;
}

#define A(m, p, t, b) call(true, (m), (p), (t), (b), (struct opt){0}, __LINE__)
#define AI(m, p, t, b, im) call(true, (m), (p), (t), (b), (struct opt){.if_match = (im)}, __LINE__)
#define AK(m, p, t, b, k) call(true, (m), (p), (t), (b), (struct opt){.idem = (k)}, __LINE__)
#define AR(m, p, t, b, id_) call(true, (m), (p), (t), (b), (struct opt){.rid = (id_)}, __LINE__)
#define D(m, p, t, b) call(false, (m), (p), (t), (b), (struct opt){0}, __LINE__)
#define DI(m, p, t, b, im) call(false, (m), (p), (t), (b), (struct opt){.if_match = (im)}, __LINE__)

#define ck_status(r, want)                                                                         \
    ck_assert_msg((r)->status == (want), "line %d: want %d, got %ld: %s", __LINE__, (int)(want),   \
                  (r)->status, (r)->body)

/* Compact JSON text of o (decref'd) in a rotating per-thread buffer. */
static const char *js(json_t *o)
{
    static __thread char bufs[16][8192];
    static __thread int next;
    char *b = bufs[next++ % 16];
    char *s = jdump(o);
    snprintf(b, sizeof bufs[0], "%s", s ? s : "null");
    free(s);
    json_decref(o);
    return b;
}

/* Percent-encoded (rotating buffer). */
static const char *enc(const char *s)
{
    static __thread char bufs[8][1024];
    static __thread int next;
    char *b = bufs[next++ % 8];
    char *e = url_encode(s);
    snprintf(b, sizeof bufs[0], "%s", e);
    free(e);
    return b;
}

/* ---- dates -------------------------------------------------------------------------------------
 */

static struct tm warsaw_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    setenv("TZ", "Europe/Warsaw", 1);
    tzset();
    localtime_r(&t, &tm);
    return tm;
}

static const char *today(void)
{
    static __thread char b[16];
    struct tm tm = warsaw_now();
    strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return b;
}

static int this_year(void)
{
    return warsaw_now().tm_year + 1900;
}

/* ---- records -----------------------------------------------------------------------------------
 */

/* POST /v1/families (through Prism): asserts 201; id in out; returns the record (new ref). */
static json_t *family_new(const char *tok, const char *body, char out[37])
{
    struct resp *r = A("POST", "/v1/families", tok, body ? body : "{}");
    ck_assert_msg(r->status == 201, "create family: %ld %s", r->status, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    json_t *j = json_incref(r->json);
    resp_free(r);
    return j;
}

static json_t *member_doc(const char *first, const char *last, const char *birth, const char *pes,
                          const char *relation)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "first_name", first, "last_name", last, "relation", relation);
    if (birth)
        json_object_set_new(o, "birth_date", json_string(birth));
    if (pes)
        json_object_set_new(o, "pesel", json_string(pes));
    return o;
}

static json_t *member_new(const char *tok, const char *fam, const char *first, const char *last,
                          const char *birth, const char *pes, const char *relation, char out[37])
{
    struct resp *r = A("POST", fmt("/v1/families/%s/members", fam), tok,
                       js(member_doc(first, last, birth, pes, relation)));
    ck_assert_msg(r->status == 201, "create member: %ld %s", r->status, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    json_t *j = json_incref(r->json);
    resp_free(r);
    return j;
}

static json_t *consent_doc(const char *member, const char *scope, const char *partner,
                           const char *given, const char *until)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "member_id", member, "scope", scope, "given_on", given);
    if (partner)
        json_object_set_new(o, "partner_id", json_string(partner));
    if (until)
        json_object_set_new(o, "valid_until", json_string(until));
    return o;
}

static json_t *consent_new(const char *tok, const char *fam, const char *member, const char *scope,
                           const char *partner, const char *given, const char *until, char out[37])
{
    struct resp *r = A("POST", fmt("/v1/families/%s/consents", fam), tok,
                       js(consent_doc(member, scope, partner, given, until)));
    ck_assert_msg(r->status == 201, "create consent: %ld %s", r->status, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    json_t *j = json_incref(r->json);
    resp_free(r);
    return j;
}

/* Every item of a list (following next_cursor), straight to the daemon. */
static json_t *list_all(const char *tok, const char *path)
{
    json_t *all = json_array();
    char *cursor = NULL;
    for (int i = 0; i < 100; i++) {
        const char *sep = strchr(path, '?') ? "&" : "?";
        const char *p = cursor ? fmt("%s%slimit=200&cursor=%s", path, sep, cursor)
                               : fmt("%s%slimit=200", path, sep);
        struct resp *r = D("GET", p, tok, NULL);
        ck_assert_msg(r->status == 200, "list %s: %ld %s", p, r->status, r->body);
        json_array_extend(all, json_object_get(r->json, "items"));
        const char *nc = jstr(r->json, "next_cursor");
        free(cursor);
        cursor = nc ? url_encode(nc) : NULL;
        resp_free(r);
        if (!cursor)
            break;
    }
    return all;
}

static bool has_id(const json_t *items, const char *id)
{
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it) if (jstr(it, "id") && !strcmp(jstr(it, "id"), id)) return true;
    return false;
}

/* The list at path as tok holds exactly the n ids given. */
static void list_is(const char *tok, const char *path, int line, int n, ...)
{
    json_t *items = list_all(tok, path);
    ck_assert_msg((int)json_array_size(items) == n, "line %d: %s: want %d items, got %zu: %s", line,
                  path, n, json_array_size(items), js(json_incref(items)));
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *id = va_arg(ap, const char *);
        ck_assert_msg(has_id(items, id), "line %d: %s lacks %s", line, path, id);
    }
    va_end(ap);
    json_decref(items);
}
#define LIST_IS(tok, path, ...) list_is((tok), (path), __LINE__, __VA_ARGS__)

static char *fam_text(const char *tok, const char *id)
{
    return record_of(fmt("/v1/families/%s", id), tok);
}

static void same_text(const char *before, char *now, const char *what, int line)
{
    ck_assert_msg(now && before && strcmp(before, now) == 0, "line %d: %s changed:\n%s\n%s", line,
                  what, before ? before : "(none)", now ? now : "(gone)");
    free(now);
}
#define FAM_UNCHANGED(tok, id, before)                                                             \
    same_text((before), fam_text((tok), (id)), "family", __LINE__)

static char *list_text(const char *tok, const char *path)
{
    json_t *items = list_all(tok, path);
    char *s = jdump(items);
    json_decref(items);
    return s;
}
#define LIST_UNCHANGED(tok, path, before)                                                          \
    same_text((before), list_text((tok), (path)), (path), __LINE__)

/* ---- audit -------------------------------------------------------------------------------------
 */

static json_t *audit_rows(const char *tok, const char *query)
{
    return list_all(tok, fmt("/v1/audit-events?%s", query));
}

/* The first (newest) row matching; resource_id NULL means "must be null",
 * "*" any; status 0 any; actor NULL any. */
static const json_t *audit_find(const json_t *rows, const char *action, const char *resource,
                                const char *resource_id, long status, const char *actor,
                                const char *request_id)
{
    size_t i;
    const json_t *a;
    json_array_foreach(rows, i, a)
    {
        if (action && (!jstr(a, "action") || strcmp(jstr(a, "action"), action)))
            continue;
        if (resource && (!jstr(a, "resource") || strcmp(jstr(a, "resource"), resource)))
            continue;
        const char *rid = jstr(a, "resource_id");
        if (!resource_id && rid)
            continue;
        if (resource_id && strcmp(resource_id, "*") && (!rid || strcmp(rid, resource_id)))
            continue;
        if (status && jint(a, "status") != status)
            continue;
        if (actor && (!jstr(a, "actor_id") || strcmp(jstr(a, "actor_id"), actor)))
            continue;
        if (request_id && (!jstr(a, "request_id") || strcmp(jstr(a, "request_id"), request_id)))
            continue;
        return a;
    }
    return NULL;
}

static const char *nz(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

#define AUDIT_HAS(rows, action, resource, rid, status, actor)                                      \
    ck_assert_msg(audit_find((rows), (action), (resource), (rid), (status), (actor), NULL),        \
                  "line %d: no audit row %s %s %s %d by %s", __LINE__, (action), (resource),       \
                  nz((rid), "null"), (int)(status), nz((actor), "*"))

/* ======================================================================================== 1 ====
 */

START_TEST(family_create_get_and_validation)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *street = surname("ul. Kwiatowa ");
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:[{s:s, s:s}, {s:s}], s:i}", "district",
                  "Śródmieście", "address", "street", street, "building", "12/3", "postal_code",
                  "00-950", "city", "Warszawa", "external_ref", "POMOST/2024/77", "problems",
                  "code", "unemployment", "notes", "od 2 lat", "code", "housing", "generations", 3);
    const char *body = js(doc);
    struct resp *r = A("POST", "/v1/families", adm, body);
    ck_status(r, 201);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s", id));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    char want_ref[32];
    snprintf(want_ref, sizeof want_ref, "%d/0001", this_year());
    ck_assert_str_eq(jstr(r->json, "reference_number"), want_ref);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert_str_eq(jstr(r->json, "district"), "Śródmieście");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "street"), street);
    ck_assert_str_eq(jstr(r->json, "external_ref"), "POMOST/2024/77");
    ck_assert_int_eq(jint(r->json, "generations"), 3);
    ck_assert_int_eq(jint(r->json, "members_count"), 0);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    ck_assert(json_is_null(json_object_get(r->json, "closure_reason")));
    ck_assert(json_is_null(json_object_get(r->json, "assigned_worker_id")));
    const json_t *probs = json_object_get(r->json, "problems");
    ck_assert_int_eq(json_array_size(probs), 2);
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "code"), "unemployment");
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "notes"), "od 2 lat");
    ck_assert_int_eq(jint(r->json, "version"), 1);
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "created_at"), "Z"));
    char *created = strdup(r->body);
    resp_free(r);

    r = A("GET", fmt("/v1/families/%s", id), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(r->body, created);
    resp_free(r);
    free(created);

    /* rejected creations: read-only, unknown, bad values; none takes a number */
    static const char *const bad[][3] = {
        {"{\"reference_number\":\"2020/0001\"}", "reference_number", "read_only"},
        {"{\"status\":\"closed\"}", "status", "read_only"},
        {"{\"closure_reason\":\"other\"}", "closure_reason", "read_only"},
        {"{\"members_count\":4}", "members_count", "read_only"},
        {"{\"id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "id", "read_only"},
        /* (tenant_id: read_only or unknown_field, either way refused) */
        {"{\"tenant_id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "tenant_id", NULL},
        {"{\"anonymized\":true}", "anonymized", "read_only"},
        {"{\"surname\":\"x\"}", "surname", "unknown_field"},
        {"{\"problems\":[{\"code\":\"laziness\"}]}", "problems[0].code", "enum"},
        {"{\"generations\":9}", "generations", "max"},
        {"{\"assigned_worker_id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "assigned_worker_id",
         "not_found"},
        {"{\"address\":{\"postal_code\":\"00950\"}}", "address.postal_code", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = D("POST", "/v1/families", adm, bad[i][0]);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, bad[i][1], bad[i][2], "body"), "%s: %s", bad[i][0], r->body);
        resp_free(r);
    }
    r = D("POST", "/v1/families", adm,
          "{\"problems\":[{\"code\":\"debt\"},{\"code\":\"debt\",\"notes\":\"x\"}]}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "problems", NULL, "body");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 1, id);

    /* gapless: the next number is 0002 */
    char id2[37];
    json_t *f2 = family_new(adm, NULL, id2);
    snprintf(want_ref, sizeof want_ref, "%d/0002", this_year());
    ck_assert_str_eq(jstr(f2, "reference_number"), want_ref);
    json_decref(f2);

    /* no DELETE on a family; unknown id 404; bad id 422 */
    r = D("DELETE", fmt("/v1/families/%s", id), adm, NULL);
    ck_assert_int_eq(r->status, 405);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Allow"), "PATCH"));
    resp_free(r);
    r = D("GET", "/v1/families/0190a7d2-0000-7000-8000-00000000abcd", adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", "/v1/families/not-a-uuid", adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
}
END_TEST

START_TEST(family_list_filters_and_search)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char f1[37], f2[37], f3[37];
    json_decref(
        family_new(adm,
                   js(json_pack("{s:s, s:s, s:[{s:s}]}", "district", "Śródmieście",
                                "assigned_worker_id", sw_id, "problems", "code", "unemployment")),
                   f1));
    json_t *j2 = family_new(
        adm,
        js(json_pack("{s:s, s:s, s:[{s:s},{s:s}]}", "district", "Nowe Miasto", "external_ref",
                     "POMOST/55", "problems", "code", "addiction", "code", "debt")),
        f2);
    char ref2[32];
    snprintf(ref2, sizeof ref2, "%s", jstr(j2, "reference_number"));
    json_decref(j2);
    json_t *j3 = family_new(
        adm,
        js(json_pack("{s:s, s:[{s:s}]}", "district", "Śródmieście", "problems", "code", "debt")),
        f3);
    char since[64];
    snprintf(since, sizeof since, "%s", jstr(j3, "updated_at"));
    json_decref(j3);
    /* a member with diacritics in the name, in f1 */
    const char *name = surname("Żółkiewska");
    json_decref(member_new(adm, f1, "Łucja", name, "1984-02-11", NULL, "head", NULL));
    /* f2 moves on (updated after f3 was created) */
    struct resp *r =
        A("POST", fmt("/v1/families/%s/transitions", f2), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);

    LIST_IS(adm, "/v1/families", 3, f1, f2, f3);
    LIST_IS(adm, "/v1/families?status=referred", 2, f1, f3);
    LIST_IS(adm, "/v1/families?status=diagnosed", 1, f2);
    LIST_IS(adm, "/v1/families?status=closed", 0);
    LIST_IS(adm, fmt("/v1/families?district=%s", enc("Śródmieście")), 2, f1, f3);
    LIST_IS(adm, "/v1/families?district=Nowe%20Miasto", 1, f2);
    LIST_IS(adm, "/v1/families?problem=debt", 2, f2, f3);
    LIST_IS(adm, "/v1/families?problem=unemployment", 1, f1);
    LIST_IS(adm, "/v1/families?problem=homelessness", 0);
    LIST_IS(adm, fmt("/v1/families?assigned_worker_id=%s", sw_id), 1, f1);
    LIST_IS(adm, fmt("/v1/families?updated_since=%s", enc(since)), 2, f2, f3);
    LIST_IS(adm, fmt("/v1/families?status=referred&district=%s&problem=debt", enc("Śródmieście")),
            1, f3);
    /* q: the reference number, the external case number, members' names */
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(ref2)), 1, f2);
    LIST_IS(adm, "/v1/families?q=POMOST%2F55", 1, f2);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(name)), 1, f1);
    char folded[128];
    snprintf(folded, sizeof folded, "zolkiewska%s", name + strlen("Żółkiewska"));
    pii(folded);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(folded)), 1, f1);
    char upper[128];
    snprintf(upper, sizeof upper, "ZOLKIEWSKA%s", name + strlen("Żółkiewska"));
    pii(upper);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(upper)), 1, f1);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc("Łucja")), 1, f1);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc("lucja")), 1, f1);
    LIST_IS(adm, "/v1/families?q=Kowalczykowa", 0);
    /* LIKE wildcards in q are literal */
    LIST_IS(adm, "/v1/families?q=%25%25", 0);
    LIST_IS(adm, "/v1/families?q=__", 0);
    /* the social worker sees only the family assigned to them, filters included */
    LIST_IS(sw, "/v1/families", 1, f1);
    LIST_IS(sw, "/v1/families?problem=debt", 0);
    LIST_IS(sw, fmt("/v1/families?q=%s", enc(folded)), 1, f1);

    /* sort and pages */
    r = A("GET", "/v1/families?sort=-reference_number&limit=2", adm, NULL);
    ck_status(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "id"), f3);
    ck_assert_str_eq(jstr(json_array_get(items, 1), "id"), f2);
    ck_assert_ptr_nonnull(jstr(r->json, "next_cursor"));
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Link"), "rel=\"next\""));
    char *cur = url_encode(jstr(r->json, "next_cursor"));
    resp_free(r);
    r = A("GET", fmt("/v1/families?sort=-reference_number&limit=2&cursor=%s", cur), adm, NULL);
    free(cur);
    ck_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), f1);
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    resp_free(r);

    /* bad parameters are 422 */
    static const char *const badq[][2] = {
        {"status=bogus", "status"},
        {"problem=laziness", "problem"},
        {"q=a", "q"},
        {"assigned_worker_id=nope", "assigned_worker_id"},
        {"updated_since=yesterday", "updated_since"},
        {"limit=0", "limit"},
        {"sort=district", "sort"},
        {"surname=x", "surname"},
    };
    for (size_t i = 0; i < sizeof badq / sizeof badq[0]; i++) {
        r = D("GET", fmt("/v1/families?%s", badq[i][0]), adm, NULL);
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, badq[i][1], NULL, "query"), "%s: %s", badq[i][0], r->body);
        resp_free(r);
    }
}
END_TEST

START_TEST(family_patch_needs_if_match_and_respects_read_only)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    const char *street = surname("ul. Lipowa ");
    char id[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:{s:s, s:s}, s:s, s:[{s:s, s:s}]}", "district", "Stare Miasto",
                     "address", "street", street, "city", "Kraków", "external_ref", "EXT-1",
                     "problems", "code", "poverty", "notes", "zasiłek")),
        id));
    const char *path = fmt("/v1/families/%s", id);
    LOCALF(p, "%s", path);
    char *before = fam_text(adm, id);

    struct resp *r = D("PATCH", p, adm, "{\"district\":\"Podgórze\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"district\":\"Podgórze\"}", "\"7\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"district\":\"Podgórze\"}", "W/\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    static const char *const ro[][2] = {
        {"{\"reference_number\":\"1999/0001\"}", "reference_number"},
        {"{\"status\":\"closed\"}", "status"},
        {"{\"closure_reason\":\"other\"}", "closure_reason"},
        {"{\"members_count\":0}", "members_count"},
        {"{\"closed_on\":\"2024-01-01\"}", "closed_on"},
        {"{\"anonymized\":true}", "anonymized"},
        {"{\"version\":5}", "version"},
        {"{\"id\":\"0190a7d2-0000-7000-8000-000000000001\"}", "id"},
    };
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        r = DI("PATCH", p, adm, ro[i][0], "\"1\"");
        ck_problem(r, 422, "validation_failed");
        ck_assert_msg(problem_error(r, ro[i][1], "read_only", "body"), "%s: %s", ro[i][0], r->body);
        resp_free(r);
    }
    r = DI("PATCH", p, adm, "{\"flat\":\"3\"}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "flat", "unknown_field", "body");
    resp_free(r);
    r = DI("PATCH", p, adm, "{\"assigned_worker_id\":\"0190a7d2-0000-7000-8000-000000000001\"}",
           "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "assigned_worker_id", "not_found", NULL);
    resp_free(r);
    /* only a social worker, coordinator or admin of this tenant can be assigned */
    char aud_id[37], staff_id[37], partner[37];
    make_user(adm, "auditor", NULL, NULL, aud_id);
    make_partner(adm, "Ośrodek Interwencji Kryzysowej", partner);
    make_user(adm, "partner_staff", partner, NULL, staff_id);
    const char *not_workers[] = {aud_id, staff_id, world()->admin_a_id};
    for (int i = 0; i < 3; i++) {
        r = DI("PATCH", p, adm, js(json_pack("{s:s}", "assigned_worker_id", not_workers[i])),
               "\"1\"");
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "assigned_worker_id", "not_found", NULL);
        resp_free(r);
    }
    FAM_UNCHANGED(adm, id, before);

    /* a merge patch: nested address merges, null removes, the rest stays */
    r = AI("PATCH", p, adm,
           js(json_pack("{s:s, s:{s:s}, s:n, s:s}", "district", "Podgórze", "address", "city",
                        "Wieliczka", "external_ref", "assigned_worker_id", sw_id)),
           "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(jstr(r->json, "district"), "Podgórze");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "city"), "Wieliczka");
    ck_assert_str_eq(jstr(json_object_get(r->json, "address"), "street"), street);
    ck_assert(json_is_null(json_object_get(r->json, "external_ref")));
    ck_assert_str_eq(jstr(r->json, "assigned_worker_id"), sw_id);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "problems"), 0), "notes"),
                     "zasiłek");
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    resp_free(r);
    /* the old ETag is stale now */
    free(before);
    before = fam_text(adm, id);
    r = DI("PATCH", p, adm, "{\"district\":\"Nowa Huta\"}", "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
}
END_TEST

START_TEST(family_idempotency_key_replays)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *key = uniq("fam-key");
    const char *body =
        js(json_pack("{s:s, s:[{s:s}]}", "district", "Zabłocie", "problems", "code", "debt"));
    LOCALF(b, "%s", body);
    struct resp *r = AK("POST", "/v1/families", adm, b, key);
    ck_status(r, 201);
    char *first = strdup(r->body);
    char loc[256];
    snprintf(loc, sizeof loc, "%s", resp_header(r, "Location"));
    ck_assert_ptr_null(resp_header(r, "Idempotent-Replayed"));
    resp_free(r);
    r = AK("POST", "/v1/families", adm, b, key);
    ck_status(r, 201);
    ck_assert_str_eq(r->body, first);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    ck_assert_str_eq(resp_header(r, "Location"), loc);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    json_t *fj = json_loads(first, 0, NULL);
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(fj, "id"));
    json_decref(fj);
    resp_free(r);
    /* the same key with another body */
    r = call(false, "POST", "/v1/families", adm, "{\"district\":\"Inny\"}",
             (struct opt){.idem = key}, __LINE__);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "Idempotency-Key", NULL, "header");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 1, id);
    /* another key: another family, the next number */
    r = AK("POST", "/v1/families", adm, b, uniq("fam-key"));
    ck_status(r, 201);
    ck_assert_str_ne(jstr(r->json, "id"), id);
    ck_assert_str_eq(jstr(r->json, "reference_number"), fmt("%d/0002", this_year()));
    resp_free(r);
    free(first);
}
END_TEST

static struct resp *transition(const char *tok, const char *id, const char *to, const char *reason,
                               const char *if_match, int line)
{
    json_t *o = json_pack("{s:s}", "to", to);
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    return call(false, "POST", fmt("/v1/families/%s/transitions", id), tok, js(o),
                (struct opt){.if_match = if_match}, line);
}
#define TRANS(tok, id, to, reason) transition((tok), (id), (to), (reason), NULL, __LINE__)

static void trans_ok(const char *tok, const char *id, const char *to, const char *reason, int line)
{
    struct resp *r = transition(tok, id, to, reason, NULL, line);
    ck_assert_msg(r->status == 200, "line %d: -> %s: %ld %s", line, to, r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "status"), to);
    resp_free(r);
}
#define TRANS_OK(tok, id, to, reason) trans_ok((tok), (id), (to), (reason), __LINE__)

static void trans_refused(const char *tok, const char *id, const char *to, int nallowed,
                          const char *a1, const char *a2, int line)
{
    char *before = fam_text(tok, id);
    struct resp *r =
        transition(tok, id, to, to && !strcmp(to, "closed") ? "other" : NULL, NULL, line);
    check_problem(r, 409, "invalid_transition", __FILE__, line);
    const json_t *allowed = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_array(allowed) && (int)json_array_size(allowed) == nallowed,
                  "line %d: allowed: %s", line, r->body);
    bool s1 = false, s2 = !a2;
    size_t i;
    const json_t *v;
    json_array_foreach(allowed, i, v)
    {
        if (!strcmp(json_string_value(v), a1))
            s1 = true;
        if (a2 && !strcmp(json_string_value(v), a2))
            s2 = true;
    }
    ck_assert_msg(s1 && s2, "line %d: allowed: %s", line, r->body);
    resp_free(r);
    same_text(before, fam_text(tok, id), "family", line);
    free(before);
}

START_TEST(family_state_machine)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char id[37];
    json_decref(family_new(adm, NULL, id));
    trans_refused(adm, id, "in_support", 2, "diagnosed", "closed", __LINE__);
    trans_refused(adm, id, "monitoring", 2, "diagnosed", "closed", __LINE__);
    trans_refused(adm, id, "referred", 2, "diagnosed", "closed", __LINE__);
    TRANS_OK(adm, id, "diagnosed", NULL);
    trans_refused(adm, id, "monitoring", 2, "in_support", "closed", __LINE__);
    TRANS_OK(adm, id, "in_support", NULL);
    TRANS_OK(adm, id, "monitoring", NULL);
    TRANS_OK(adm, id, "in_support", NULL);
    trans_refused(adm, id, "diagnosed", 2, "monitoring", "closed", __LINE__);
    /* If-Match is optional on transitions, checked when sent */
    long long v = version_of(fmt("/v1/families/%s", id), adm);
    char *before = fam_text(adm, id);
    struct resp *r = transition(adm, id, "monitoring", NULL, etag(v - 1), __LINE__);
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
    r = transition(adm, id, "monitoring", NULL, etag(v), __LINE__);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), fmt("\"%lld\"", v + 1));
    resp_free(r);

    /* closing needs a closure code */
    before = fam_text(adm, id);
    r = TRANS(adm, id, "closed", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", "required", "body");
    resp_free(r);
    r = TRANS(adm, id, "closed", "the family felt better");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "reason", NULL, "body");
    resp_free(r);
    FAM_UNCHANGED(adm, id, before);
    free(before);
    /* bad bodies */
    static const char *const bad[] = {"{\"to\":\"bogus\"}", "{}",
                                      "{\"to\":\"closed\",\"status\":\"x\"}",
                                      "{\"to\":\"closed\",\"reason\":\"\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = D("POST", fmt("/v1/families/%s/transitions", id), adm, bad[i]);
        ck_problem(r, 422, "validation_failed");
        resp_free(r);
    }
    r = TRANS(adm, id, "closed", "moved_out");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "closure_reason"), "moved_out");
    ck_assert_str_eq(jstr(r->json, "closed_on"), today());
    resp_free(r);
    LIST_IS(adm, "/v1/families?status=closed", 1, id);
    trans_refused(adm, id, "diagnosed", 1, "referred", NULL, __LINE__);
    trans_refused(adm, id, "closed", 1, "referred", NULL, __LINE__);
    /* reopening clears the closure */
    r = TRANS(adm, id, "referred", NULL);
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "referred");
    ck_assert(json_is_null(json_object_get(r->json, "closure_reason")));
    ck_assert(json_is_null(json_object_get(r->json, "closed_on")));
    resp_free(r);
    /* closed straight from referred, with every closure code accepted */
    static const char *const codes[] = {"goals_achieved", "partially_achieved", "resigned",
                                        "other"};
    for (size_t i = 0; i < 4; i++) {
        TRANS_OK(adm, id, "closed", codes[i]);
        TRANS_OK(adm, id, "referred", NULL);
    }
}
END_TEST

/* ======================================================================================== 2 ====
 */

struct par_create {
    const char *tok;
    long status;
    char ref[32];
};

static void *par_create_fn(void *p)
{
    struct par_create *a = p;
    struct resp *r = direct("POST", "/v1/families", a->tok, "{\"district\":\"Równoległa\"}", NULL);
    a->status = r->status;
    if (r->status == 201 && jstr(r->json, "reference_number"))
        snprintf(a->ref, sizeof a->ref, "%s", jstr(r->json, "reference_number"));
    resp_free(r);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(reference_numbers_are_gapless_under_concurrency)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    enum { N = 20 };
    struct par_create args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct par_create){.tok = adm};
        ck_assert_int_eq(pthread_create(&th[i], NULL, par_create_fn, &args[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    const char *refs[N];
    for (int i = 0; i < N; i++) {
        ck_assert_msg(args[i].status == 201, "creation %d: %ld", i, args[i].status);
        refs[i] = args[i].ref;
    }
    qsort(refs, N, sizeof refs[0], cmp_str);
    int year = this_year();
    for (int i = 0; i < N; i++) {
        int y = 0, n = 0;
        ck_assert_msg(sscanf(refs[i], "%d/%d", &y, &n) == 2 && strlen(refs[i]) == 9,
                      "bad reference number %s", refs[i]);
        ck_assert_int_eq(y, year);
        /* a fresh tenant: exactly 0001..0020, no gap, no duplicate */
        ck_assert_msg(n == i + 1, "reference numbers not consecutive: #%d is %s", i, refs[i]);
    }
    json_t *all = list_all(adm, "/v1/families");
    ck_assert_int_eq(json_array_size(all), N);
    json_decref(all);
}
END_TEST

/* ======================================================================================== 3 ====
 */

static void member_rejected(const char *tok, const char *fam, json_t *doc, const char *field,
                            const char *code, int line)
{
    struct resp *r = call(false, "POST", fmt("/v1/families/%s/members", fam), tok, js(doc),
                          (struct opt){0}, line);
    check_problem(r, 422, "validation_failed", __FILE__, line);
    ck_assert_msg(problem_error(r, field, code, "body"), "line %d: want %s/%s: %s", line, field,
                  code ? code : "*", r->body);
    resp_free(r);
}

START_TEST(member_pesel_rules)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char fam[37];
    json_decref(family_new(adm, NULL, fam));
    const char *last = surname("Wiśniewski");

    /* check digit */
    const char *good = pesel(1985, 3, 14, 0);
    char badsum[12];
    snprintf(badsum, sizeof badsum, "%s", good);
    badsum[10] = (char)('0' + (badsum[10] - '0' + 1) % 10);
    pii(badsum);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, badsum, "head"), "pesel", "checksum",
                    __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, "8503141234", "head"), "pesel",
                    "format", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, "8503141234a", "head"), "pesel",
                    "format", __LINE__);
    /* a valid check digit over an impossible date: 30 February, month 13 */
    member_rejected(adm, fam, member_doc("Jan", last, NULL, pesel(1990, 2, 30, 0), "head"), "pesel",
                    "invalid", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, pesel(1990, 13, 1, 0), "head"), "pesel",
                    "invalid", __LINE__);
    /* PESEL against birth_date (also the century) and sex */
    member_rejected(adm, fam, member_doc("Jan", last, "1985-03-15", good, "head"), "pesel", NULL,
                    __LINE__);
    const char *kid = pesel(2010, 5, 3, 1);
    member_rejected(adm, fam, member_doc("Ola", last, "1910-05-03", kid, "child"), "pesel", NULL,
                    __LINE__);
    json_t *d = member_doc("Jan", last, NULL, good, "head");
    json_object_set_new(d, "sex", json_string("female"));
    member_rejected(adm, fam, d, "pesel", NULL, __LINE__);
    /* birth date in the future */
    member_rejected(adm, fam,
                    member_doc("Jan", last, fmt("%d-01-01", this_year() + 1), NULL, "head"),
                    "birth_date", NULL, __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, "1985-02-30", NULL, "head"), "birth_date",
                    NULL, __LINE__);
    /* required and enumerated fields; read-only ones */
    member_rejected(adm, fam, json_pack("{s:s, s:s}", "first_name", "Jan", "relation", "head"),
                    "last_name", "required", __LINE__);
    member_rejected(adm, fam, member_doc("Jan", last, NULL, NULL, "cousin"), "relation", "enum",
                    __LINE__);
    d = member_doc("Jan", last, NULL, NULL, "head");
    json_object_set_new(d, "birth_year", json_integer(1985));
    member_rejected(adm, fam, d, "birth_year", "read_only", __LINE__);
    d = member_doc("Jan", last, NULL, NULL, "head");
    json_object_set_new(d, "family_id", json_string(fam));
    member_rejected(adm, fam, d, "family_id", "read_only", __LINE__);
    LIST_IS(adm, fmt("/v1/families/%s/members", fam), 0);
    struct resp *r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 0);
    resp_free(r);

    /* valid: birth date and sex come from the PESEL, with the century encoded in the month */
    ck_assert_int_eq((kid[2] - '0') * 10 + (kid[3] - '0'), 25);
    json_t *m = member_new(adm, fam, "Ola", last, NULL, kid, "child", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "2010-05-03");
    ck_assert_int_eq(jint(m, "birth_year"), 2010);
    ck_assert_str_eq(jstr(m, "sex"), "female");
    ck_assert_str_eq(jstr(m, "pesel"), kid);
    ck_assert(json_is_false(json_object_get(m, "adult")));
    json_decref(m);
    const char *girl = pesel(2005, 12, 31, 1);
    ck_assert_int_eq((girl[2] - '0') * 10 + (girl[3] - '0'), 32);
    m = member_new(adm, fam, "Ada", last, "2005-12-31", girl, "child", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "2005-12-31");
    json_decref(m);
    const char *old = pesel(1899, 7, 1, 0);
    ck_assert_int_eq((old[2] - '0') * 10 + (old[3] - '0'), 87);
    m = member_new(adm, fam, "Józef", last, NULL, old, "grandparent", NULL);
    ck_assert_str_eq(jstr(m, "birth_date"), "1899-07-01");
    json_decref(m);
    m = member_new(adm, fam, "Jan", last, "1985-03-14", good, "head", NULL);
    ck_assert_str_eq(jstr(m, "sex"), "male");
    ck_assert(json_is_true(json_object_get(m, "adult")));
    json_decref(m);
    r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 4);
    resp_free(r);
    /* a PESEL whose encoded birth date lies in the future (no birth_date sent): the same rule
     * as for birth_date */
    member_rejected(adm, fam,
                    member_doc("Jan", last, NULL, pesel(this_year() + 1, 1, 15, 0), "child"),
                    "pesel", NULL, __LINE__);
    r = D("GET", fmt("/v1/families/%s", fam), adm, NULL);
    ck_assert_int_eq(jint(r->json, "members_count"), 4);
    resp_free(r);
}
END_TEST

START_TEST(member_pesel_unique_per_tenant)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char fa[37], fb[37], fw[37];
    json_decref(family_new(adm, NULL, fa));
    json_decref(family_new(adm, NULL, fb));
    json_decref(family_new(sw, NULL, fw)); /* the social worker's own */
    const char *last = surname("Kamińska");
    const char *p = pesel(1979, 9, 9, 1);
    char ma[37];
    json_decref(member_new(adm, fa, "Ewa", last, NULL, p, "head", ma));
    char *lb = list_text(adm, fmt("/v1/families/%s/members", fb));
    char *lw = list_text(adm, fmt("/v1/families/%s/members", fw));

    /* admin: 409 pointing at the family */
    struct resp *r = D("POST", fmt("/v1/families/%s/members", fb), adm,
                       js(member_doc("Ewa", last, NULL, p, "head")));
    ck_problem(r, 409, "conflict");
    ck_assert_str_eq(jstr(r->json, "existing_family_id"), fa);
    resp_free(r);
    /* a social worker who cannot see that family: 409 without it */
    r = D("POST", fmt("/v1/families/%s/members", fw), sw,
          js(member_doc("Ewa", last, NULL, p, "head")));
    ck_problem(r, 409, "conflict");
    ck_assert_msg(!json_object_get(r->json, "existing_family_id"), "leaks the family: %s", r->body);
    ck_assert_ptr_null(strstr(r->body, fa));
    resp_free(r);
    /* and the same through a PATCH of another member */
    char mw[37];
    json_decref(member_new(sw, fw, "Adam", surname("Nowicki"), NULL, NULL, "head", mw));
    free(lw);
    lw = list_text(adm, fmt("/v1/families/%s/members", fw));
    r = DI("PATCH", fmt("/v1/families/%s/members/%s", fw, mw), sw,
           js(json_pack("{s:s}", "pesel", p)), "\"1\"");
    ck_problem(r, 409, "conflict");
    ck_assert_ptr_null(json_object_get(r->json, "existing_family_id"));
    resp_free(r);
    /* a member cannot be moved by PATCH */
    r = DI("PATCH", fmt("/v1/families/%s/members/%s", fa, ma), adm,
           js(json_pack("{s:s}", "family_id", fb)), "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "family_id", "read_only", "body");
    resp_free(r);
    LIST_UNCHANGED(adm, fmt("/v1/families/%s/members", fb), lb);
    LIST_UNCHANGED(adm, fmt("/v1/families/%s/members", fw), lw);
    LIST_IS(adm, fmt("/v1/families/%s/members", fa), 1, ma);

    /* the same PESEL in another tenant is fine */
    char other[37];
    const char *admb = world()->admin_b;
    json_decref(family_new(admb, NULL, other));
    json_decref(member_new(admb, other, "Ewa", last, NULL, p, "head", NULL));

    /* one family at a time: once removed from fa, the person may join fb */
    r = AI("DELETE", fmt("/v1/families/%s/members/%s", fa, ma), adm, NULL, "\"1\"");
    ck_status(r, 204);
    resp_free(r);
    r = A("POST", fmt("/v1/families/%s/members", fb), adm,
          js(member_doc("Ewa", last, NULL, p, "head")));
    ck_status(r, 201);
    char mb[37];
    snprintf(mb, sizeof mb, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s/members/%s", fb, mb));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    resp_free(r);
    /* a PATCH that keeps the member's own PESEL is no duplicate */
    r = AI("PATCH", fmt("/v1/families/%s/members/%s", fb, mb), adm,
           js(json_pack("{s:s, s:s}", "first_name", "Ewelina", "pesel", p)), "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "pesel"), p);
    resp_free(r);
}
END_TEST

struct par_member {
    const char *tok, *fam, *body;
    pthread_barrier_t *bar;
    long status;
};

static void *par_member_fn(void *p)
{
    struct par_member *a = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/families/%s/members", a->fam);
    pthread_barrier_wait(a->bar);
    struct resp *r = direct("POST", path, a->tok, a->body, NULL);
    a->status = r->status;
    resp_free(r);
    return NULL;
}

START_TEST(member_pesel_unique_under_concurrency)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    enum { N = 8 };
    char fams[N][37];
    for (int i = 0; i < N; i++)
        json_decref(family_new(adm, NULL, fams[i]));
    char body[512];
    snprintf(body, sizeof body, "%s",
             js(member_doc("Piotr", surname("Zieliński"), NULL, pesel(1970, 1, 20, 0), "head")));
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, N);
    struct par_member args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct par_member){.tok = adm, .fam = fams[i], .body = body, .bar = &bar};
        pthread_create(&th[i], NULL, par_member_fn, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    int created = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        if (args[i].status == 201)
            created++;
        else if (args[i].status == 409)
            conflicts++;
        else
            ck_abort_msg("member %d: status %ld", i, args[i].status);
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(conflicts, N - 1);
    int members = 0;
    for (int i = 0; i < N; i++) {
        json_t *l = list_all(adm, fmt("/v1/families/%s/members", fams[i]));
        members += (int)json_array_size(l);
        json_decref(l);
    }
    ck_assert_int_eq(members, 1);
}
END_TEST

START_TEST(member_patch_and_delete)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char fam[37], m[37], g[37];
    json_decref(family_new(adm, NULL, fam));
    const char *last = surname("Lewandowski");
    json_decref(member_new(adm, fam, "Marek", last, "1975-06-01", NULL, "head", m));
    json_decref(member_new(adm, fam, "Anna", last, "1977-02-02", NULL, "spouse", g));
    LOCALF(mp, "/v1/families/%s/members/%s", fam, m);
    LOCALF(gp, "/v1/families/%s/members/%s", fam, g);
    char *before = record_of(mp, adm);
    struct resp *r = D("PATCH", mp, adm, "{\"first_name\":\"Mariusz\"}");
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"first_name\":\"Mariusz\"}", "\"3\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"adult\":false}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "adult", "read_only", "body");
    resp_free(r);
    r = DI("PATCH", mp, adm, "{\"last_name\":null}", "\"1\"");
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    same_text(before, record_of(mp, adm), "member", __LINE__);
    free(before);
    r = AI("PATCH", mp, adm, "{\"first_name\":\"Mariusz\",\"generation\":2}", "\"1\"");
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    ck_assert_str_eq(jstr(r->json, "first_name"), "Mariusz");
    ck_assert_str_eq(jstr(r->json, "last_name"), last);
    ck_assert_str_eq(jstr(r->json, "birth_date"), "1975-06-01");
    resp_free(r);

    /* DELETE needs a current If-Match */
    before = record_of(mp, adm);
    r = D("DELETE", mp, adm, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("DELETE", mp, adm, NULL, "\"1\"");
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    same_text(before, record_of(mp, adm), "member", __LINE__);
    free(before);
    r = AI("DELETE", mp, adm, NULL, "\"2\"");
    ck_status(r, 204);
    ck_assert_int_eq((int)r->len, 0);
    resp_free(r);
    r = D("GET", mp, adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("DELETE", mp, adm, NULL, "\"2\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
    LIST_IS(adm, fmt("/v1/families/%s/members", fam), 1, g);

    /* a member who gave a consent stays */
    json_decref(consent_new(adm, fam, g, "processing", NULL, today(), NULL, NULL));
    before = record_of(gp, adm);
    r = DI("DELETE", gp, adm, NULL, "\"1\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    same_text(before, record_of(gp, adm), "member", __LINE__);
    free(before);
    /* a member of another family is not reachable under this one */
    char fam2[37];
    json_decref(family_new(adm, NULL, fam2));
    r = D("GET", fmt("/v1/families/%s/members/%s", fam2, g), adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("DELETE", fmt("/v1/families/%s/members/%s", fam2, g), adm, NULL, "\"1\"");
    ck_problem(r, 404, "not_found");
    resp_free(r);
}
END_TEST

/* ======================================================================================== 4 ====
 */

static void consent_rejected(const char *tok, const char *fam, json_t *doc, const char *field,
                             const char *code, int line)
{
    struct resp *r = call(false, "POST", fmt("/v1/families/%s/consents", fam), tok, js(doc),
                          (struct opt){0}, line);
    check_problem(r, 422, "validation_failed", __FILE__, line);
    ck_assert_msg(problem_error(r, field, code, NULL), "line %d: want %s/%s: %s", line, field,
                  code ? code : "*", r->body);
    resp_free(r);
}

START_TEST(consent_rules)
{
    char tenant[37], adm[80], adm_id[37], partner[37];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Poradnia Rodzinna", partner);
    char fam[37], other[37], adult[37], child[37], unknown[37], stranger[37];
    json_decref(family_new(adm, NULL, fam));
    json_decref(family_new(adm, NULL, other));
    const char *last = surname("Wójcik");
    json_decref(member_new(adm, fam, "Beata", last, "1980-04-04", NULL, "head", adult));
    json_decref(member_new(adm, fam, "Kuba", last, NULL, pesel(2015, 6, 1, 0), "child", child));
    json_decref(member_new(adm, fam, "Zofia", last, NULL, NULL, "grandparent", unknown));
    json_decref(
        member_new(adm, other, "Olga", surname("Mazur"), "1970-01-01", NULL, "head", stranger));
    const char *t = today();
    LOCALF(now, "%s", t);

    consent_rejected(adm, fam, consent_doc(child, "processing", NULL, now, NULL), "member_id", NULL,
                     __LINE__);
    consent_rejected(adm, fam, consent_doc(unknown, "processing", NULL, now, NULL), "member_id",
                     NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(stranger, "processing", NULL, now, NULL), "member_id",
                     NULL, __LINE__);
    /* adult on given_on: the adult was a child in 1990 */
    consent_rejected(adm, fam, consent_doc(adult, "processing", NULL, "1990-01-01", NULL),
                     "member_id", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "sharing_with_partner", NULL, now, NULL),
                     "partner_id", "required", __LINE__);
    consent_rejected(adm, fam,
                     consent_doc(adult, "sharing_with_partner", world()->partner_b, now, NULL),
                     "partner_id", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "processing", partner, now, NULL), "partner_id",
                     NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "processing", NULL, "2024-05-10", "2024-05-09"),
                     "valid_until", NULL, __LINE__);
    consent_rejected(adm, fam,
                     consent_doc(adult, "processing", NULL, fmt("%d-01-01", this_year() + 1), NULL),
                     "given_on", NULL, __LINE__);
    consent_rejected(adm, fam, consent_doc(adult, "everything", NULL, now, NULL), "scope", "enum",
                     __LINE__);
    json_t *d = consent_doc(adult, "processing", NULL, now, NULL);
    json_object_set_new(d, "status", json_string("withdrawn"));
    consent_rejected(adm, fam, d, "status", "read_only", __LINE__);
    d = consent_doc(adult, "processing", NULL, now, NULL);
    json_object_set_new(d, "withdrawn_on", json_string(now));
    consent_rejected(adm, fam, d, "withdrawn_on", "read_only", __LINE__);
    consent_rejected(adm, fam, json_pack("{s:s, s:s}", "member_id", adult, "scope", "processing"),
                     "given_on", "required", __LINE__);
    LIST_IS(adm, fmt("/v1/families/%s/consents", fam), 0);

    struct resp *r = A("POST", fmt("/v1/families/%s/consents", fam), adm,
                       js(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "member_id", adult, "scope",
                                    "processing", "given_on", now, "valid_until", "2099-12-31",
                                    "purpose", "praca socjalna", "document_ref", "ZG/1/2024")));
    ck_status(r, 201);
    char c1[37];
    snprintf(c1, sizeof c1, "%s", jstr(r->json, "id"));
    ck_assert_str_eq(resp_header(r, "Location"), fmt("/v1/families/%s/consents/%s", fam, c1));
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "status"), "active");
    ck_assert_str_eq(jstr(r->json, "family_id"), fam);
    ck_assert_str_eq(jstr(r->json, "member_id"), adult);
    ck_assert_str_eq(jstr(r->json, "given_on"), now);
    ck_assert(json_is_null(json_object_get(r->json, "withdrawn_on")));
    resp_free(r);
    json_t *c2 = consent_new(adm, fam, adult, "sharing_with_partner", partner, now, NULL, NULL);
    ck_assert_str_eq(jstr(c2, "partner_id"), partner);
    ck_assert_str_eq(jstr(c2, "status"), "active");
    json_decref(c2);
    /* the same consent under another family is 404 */
    r = D("GET", fmt("/v1/families/%s/consents/%s", other, c1), adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = A("GET", fmt("/v1/families/%s/consents/%s", fam, c1), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"1\"");
    ck_assert_str_eq(jstr(r->json, "purpose"), "praca socjalna");
    resp_free(r);
    /* consents are not patched or deleted */
    r = D("DELETE", fmt("/v1/families/%s/consents/%s", fam, c1), adm, NULL);
    ck_assert_int_eq(r->status, 405);
    resp_free(r);
}
END_TEST

START_TEST(consent_withdrawal_expiry_and_filters)
{
    char tenant[37], adm[80], adm_id[37], partner[37];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Klub Sportowy", partner);
    char fam[37], adult[37];
    json_decref(family_new(adm, NULL, fam));
    json_decref(
        member_new(adm, fam, "Tomasz", surname("Kaczmarek"), "1966-10-10", NULL, "head", adult));
    LOCALF(now, "%s", today());
    char proc[37], team[37], part[37], exp[37];
    json_decref(consent_new(adm, fam, adult, "processing", NULL, now, NULL, proc));
    json_decref(consent_new(adm, fam, adult, "sharing_with_team", NULL, now, "2099-01-01", team));
    json_decref(
        consent_new(adm, fam, adult, "sharing_with_partner", partner, "2023-01-01", NULL, part));
    json_t *e = consent_new(adm, fam, adult, "processing", NULL, "2020-01-01", "2021-12-31", exp);
    ck_assert_str_eq(jstr(e, "status"), "expired");
    json_decref(e);
    /* valid_until is the last day of validity (today, in Europe/Warsaw) */
    char last_day[37];
    e = consent_new(adm, fam, adult, "sharing_with_team", NULL, "2022-02-02", now, last_day);
    ck_assert_str_eq(jstr(e, "status"), "active");
    json_decref(e);

    LOCALF(wp, "/v1/families/%s/consents/%s/withdraw", fam, team);
    struct resp *r = D("POST", wp, adm, "{\"reason\":\"x\",\"when\":\"now\"}");
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "when", "unknown_field", "body");
    resp_free(r);
    r = A("POST", wp, adm, "{\"reason\":\"rodzina rezygnuje\"}");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert_str_eq(jstr(r->json, "withdrawn_on"), now);
    ck_assert_str_eq(jstr(r->json, "withdrawal_reason"), "rodzina rezygnuje");
    ck_assert_int_eq(jint(r->json, "version"), 2);
    ck_assert_str_eq(resp_header(r, "ETag"), "\"2\"");
    resp_free(r);
    char *before = record_of(fmt("/v1/families/%s/consents/%s", fam, team), adm);
    r = D("POST", wp, adm, "{}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    same_text(before, record_of(fmt("/v1/families/%s/consents/%s", fam, team), adm), "consent",
              __LINE__);
    free(before);
    /* without a body; an unknown consent */
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, part), adm, NULL);
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    ck_assert(json_is_null(json_object_get(r->json, "withdrawal_reason")));
    resp_free(r);
    r = D("POST",
          fmt("/v1/families/%s/consents/0190a7d2-0000-7000-8000-00000000abcd/withdraw", fam), adm,
          "{}");
    ck_problem(r, 404, "not_found");
    resp_free(r);

    LOCALF(base, "/v1/families/%s/consents", fam);
    LIST_IS(adm, base, 5, proc, team, part, exp, last_day);
    LIST_IS(adm, fmt("%s?status=active", base), 2, proc, last_day);
    LIST_IS(adm, fmt("%s?status=withdrawn", base), 2, team, part);
    LIST_IS(adm, fmt("%s?status=expired", base), 1, exp);
    LIST_IS(adm, fmt("%s?scope=processing", base), 2, proc, exp);
    LIST_IS(adm, fmt("%s?scope=processing&status=expired", base), 1, exp);
    LIST_IS(adm, fmt("%s?scope=sharing_with_partner", base), 1, part);
    LIST_IS(adm, fmt("%s?scope=sharing_with_team&status=active", base), 1, last_day);
    LIST_IS(adm, fmt("%s?scope=sharing_with_team&status=withdrawn", base), 1, team);
    r = A("GET", fmt("/v1/families/%s/consents/%s", fam, exp), adm, NULL);
    ck_assert_str_eq(jstr(r->json, "status"), "expired");
    resp_free(r);
    r = D("GET", fmt("%s?status=revoked", base), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "status", NULL, "query");
    resp_free(r);
    r = D("GET", fmt("%s?scope=all", base), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    /* an expired consent cannot be withdrawn twice either, but once it can */
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, exp), adm, "{}");
    ck_status(r, 200);
    ck_assert_str_eq(jstr(r->json, "status"), "withdrawn");
    resp_free(r);
}
END_TEST

/* ======================================================================================== 5 ====
 */

enum route {
    R_LIST,
    R_GET,
    R_PATCH,
    R_TRANS,
    R_MLIST,
    R_MGET,
    R_MCREATE,
    R_CLIST,
    R_CGET,
    R_CCREATE,
    R_CWITHDRAW,
    R_EXPORT,
    R_ANON,
    R_N
};
static const char *const route_names[] = {
    "GET families",  "GET family",   "PATCH family",  "POST transitions", "GET members",
    "GET member",    "POST members", "GET consents",  "GET consent",      "POST consents",
    "POST withdraw", "GET export",   "POST anonymize"};

struct fam_ctx {
    const char *admin; /* to read versions */
    char fam[37], member[37], consent[37];
};

static struct resp *route_call(int route, const char *tok, const struct fam_ctx *c, int line)
{
    const char *f = c->fam;
    long long v = version_of(fmt("/v1/families/%s", f), c->admin);
    switch (route) {
    case R_LIST:
        return call(false, "GET", "/v1/families", tok, NULL, (struct opt){0}, line);
    case R_GET:
        return call(false, "GET", fmt("/v1/families/%s", f), tok, NULL, (struct opt){0}, line);
    case R_PATCH:
        return call(false, "PATCH", fmt("/v1/families/%s", f), tok, "{\"district\":\"Zmiana\"}",
                    (struct opt){.if_match = etag(v)}, line);
    case R_TRANS:
        return call(false, "POST", fmt("/v1/families/%s/transitions", f), tok,
                    "{\"to\":\"closed\",\"reason\":\"other\"}", (struct opt){0}, line);
    case R_MLIST:
        return call(false, "GET", fmt("/v1/families/%s/members", f), tok, NULL, (struct opt){0},
                    line);
    case R_MGET:
        return call(false, "GET", fmt("/v1/families/%s/members/%s", f, c->member), tok, NULL,
                    (struct opt){0}, line);
    case R_MCREATE:
        return call(false, "POST", fmt("/v1/families/%s/members", f), tok,
                    js(member_doc("Intruz", surname("Obcy"), NULL, pesel(1991, 1, 1, 0), "other")),
                    (struct opt){0}, line);
    case R_CLIST:
        return call(false, "GET", fmt("/v1/families/%s/consents", f), tok, NULL, (struct opt){0},
                    line);
    case R_CGET:
        return call(false, "GET", fmt("/v1/families/%s/consents/%s", f, c->consent), tok, NULL,
                    (struct opt){0}, line);
    case R_CCREATE:
        return call(false, "POST", fmt("/v1/families/%s/consents", f), tok,
                    js(consent_doc(c->member, "processing", NULL, today(), NULL)), (struct opt){0},
                    line);
    case R_CWITHDRAW:
        return call(false, "POST", fmt("/v1/families/%s/consents/%s/withdraw", f, c->consent), tok,
                    "{\"reason\":\"test\"}", (struct opt){0}, line);
    case R_EXPORT:
        return call(false, "GET", fmt("/v1/families/%s/export", f), tok, NULL, (struct opt){0},
                    line);
    case R_ANON:
        return call(false, "POST", fmt("/v1/families/%s/anonymize", f), tok, NULL,
                    (struct opt){.if_match = etag(v)}, line);
    }
    return NULL;
}

/* Calls every route as tok, expecting want[route] (0: skip), and that nothing changed. */
static void denied_everywhere(const char *who, const char *tok, const struct fam_ctx *c,
                              const int want[R_N], int line)
{
    char *fam = fam_text(c->admin, c->fam);
    char *members = list_text(c->admin, fmt("/v1/families/%s/members", c->fam));
    char *consents = list_text(c->admin, fmt("/v1/families/%s/consents", c->fam));
    for (int i = 0; i < R_N; i++) {
        if (!want[i])
            continue;
        struct resp *r = route_call(i, tok, c, line);
        ck_assert_msg(r->status == want[i], "line %d: %s, %s: want %d, got %ld: %s", line, who,
                      route_names[i], want[i], r->status, r->body);
        if (r->status >= 400) {
            check_problem(r, want[i], want[i] == 403 ? "forbidden" : "not_found", __FILE__, line);
        } else if (i == R_LIST) {
            ck_assert_msg(!has_id(json_object_get(r->json, "items"), c->fam),
                          "line %d: %s lists the family: %s", line, who, r->body);
        }
        resp_free(r);
    }
    same_text(fam, fam_text(c->admin, c->fam), "family", line);
    same_text(members, list_text(c->admin, fmt("/v1/families/%s/members", c->fam)), "members",
              line);
    same_text(consents, list_text(c->admin, fmt("/v1/families/%s/consents", c->fam)), "consents",
              line);
    free(fam);
    free(members);
    free(consents);
}

/* Reads and writes as a role that sees the family. */
static void allowed_everywhere(const char *who, const char *tok, const struct fam_ctx *c,
                               const char *to, bool export_ok, int line)
{
    static const int reads[] = {R_GET, R_MLIST, R_MGET, R_CLIST, R_CGET};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        struct resp *r = route_call(reads[i], tok, c, line);
        ck_assert_msg(r->status == 200, "line %d: %s, %s: %ld %s", line, who, route_names[reads[i]],
                      r->status, r->body);
        resp_free(r);
    }
    struct resp *r = route_call(R_PATCH, tok, c, line);
    ck_assert_msg(r->status == 200, "line %d: %s PATCH: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/transitions", c->fam), tok,
             js(json_pack("{s:s}", "to", to)), (struct opt){0}, line);
    ck_assert_msg(r->status == 200, "line %d: %s -> %s: %ld %s", line, who, to, r->status, r->body);
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/members", c->fam), tok,
             js(member_doc("Nowy", surname("Członek"), NULL, NULL, "child")), (struct opt){0},
             line);
    ck_assert_msg(r->status == 201, "line %d: %s member: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = route_call(R_CCREATE, tok, c, line);
    ck_assert_msg(r->status == 201, "line %d: %s consent: %ld %s", line, who, r->status, r->body);
    char cid[37];
    snprintf(cid, sizeof cid, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = call(false, "POST", fmt("/v1/families/%s/consents/%s/withdraw", c->fam, cid), tok, "{}",
             (struct opt){0}, line);
    ck_assert_msg(r->status == 200, "line %d: %s withdraw: %ld %s", line, who, r->status, r->body);
    resp_free(r);
    r = route_call(R_EXPORT, tok, c, line);
    ck_assert_msg(r->status == (export_ok ? 200 : 403), "line %d: %s export: %ld %s", line, who,
                  r->status, r->body);
    resp_free(r);
}

START_TEST(visibility_matrix)
{
    const struct world *w = world();
    char tenant[37], adm[80], adm_id[37], partner[37];
    char coord[80], sw1[80], sw1_id[37], sw2[80], sw2_id[37], staff[80], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_partner(adm, "Szkoła Podstawowa nr 3", partner);
    make_user(adm, "coordinator", NULL, coord, NULL);
    make_user(adm, "social_worker", NULL, sw1, sw1_id);
    make_user(adm, "social_worker", NULL, sw2, sw2_id);
    make_user(adm, "partner_staff", partner, staff, NULL);
    make_user(adm, "auditor", NULL, aud, NULL);
    struct fam_ctx c = {.admin = adm};
    json_decref(family_new(adm,
                           js(json_pack("{s:s, s:{s:s}}", "assigned_worker_id", sw1_id, "address",
                                        "street", surname("ul. Ukryta "))),
                           c.fam));
    json_decref(member_new(adm, c.fam, "Irena", surname("Sikorska"), NULL, pesel(1972, 8, 8, 1),
                           "head", c.member));
    json_decref(consent_new(adm, c.fam, c.member, "sharing_with_partner", partner, today(), NULL,
                            c.consent));
    char f2[37];
    json_decref(family_new(adm, NULL, f2));

    /* lists show exactly the visible families */
    LIST_IS(adm, "/v1/families", 2, c.fam, f2);
    LIST_IS(coord, "/v1/families", 2, c.fam, f2);
    LIST_IS(sw1, "/v1/families", 1, c.fam);
    LIST_IS(sw2, "/v1/families", 0);
    LIST_IS(staff, "/v1/families", 0);

    /* roles that may never touch family data: 403 on every route */
    int forbidden[R_N];
    for (int i = 0; i < R_N; i++)
        forbidden[i] = 403;
    denied_everywhere("auditor", aud, &c, forbidden, __LINE__);
    denied_everywhere("platform_admin", w->platform, &c, forbidden, __LINE__);
    denied_everywhere("regional_analyst", w->analyst, &c, forbidden, __LINE__);
    /* another tenant's admin: 404 everywhere (the list answers without the family) */
    int other_tenant[R_N];
    for (int i = 0; i < R_N; i++)
        other_tenant[i] = 404;
    other_tenant[R_LIST] = 200;
    denied_everywhere("admin of another tenant", w->admin_b, &c, other_tenant, __LINE__);
    /* a social worker to whom the family is not assigned: 404; export/anonymize are not theirs */
    int sw_other[R_N];
    for (int i = 0; i < R_N; i++)
        sw_other[i] = 404;
    sw_other[R_LIST] = 200;
    sw_other[R_EXPORT] = sw_other[R_ANON] = 403;
    denied_everywhere("unassigned social worker", sw2, &c, sw_other, __LINE__);
    /* partner staff with no team: reads 404; writes are not a partner's (403, §9) */
    int ps[R_N];
    for (int i = 0; i < R_N; i++)
        ps[i] = 404;
    ps[R_LIST] = 200;
    ps[R_PATCH] = ps[R_TRANS] = ps[R_MCREATE] = ps[R_CCREATE] = ps[R_CWITHDRAW] = 403;
    ps[R_EXPORT] = ps[R_ANON] = 403;
    denied_everywhere("partner staff without a team", staff, &c, ps, __LINE__);
    /* the coordinator may not anonymise; nor may the assigned social worker */
    int only_anon[R_N] = {0};
    only_anon[R_ANON] = 403;
    denied_everywhere("coordinator", coord, &c, only_anon, __LINE__);
    denied_everywhere("assigned social worker", sw1, &c, only_anon, __LINE__);

    /* those who see it read and write it */
    allowed_everywhere("admin", adm, &c, "diagnosed", true, __LINE__);
    allowed_everywhere("coordinator", coord, &c, "in_support", true, __LINE__);
    allowed_everywhere("assigned social worker", sw1, &c, "monitoring", false, __LINE__);

    /* a social worker's new family is theirs */
    char f3[37];
    json_t *j = family_new(sw2, NULL, f3);
    ck_assert_str_eq(jstr(j, "assigned_worker_id"), sw2_id);
    json_decref(j);
    LIST_IS(sw2, "/v1/families", 1, f3);
    struct resp *r = D("GET", fmt("/v1/families/%s", f3), sw1, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    /* reassigning moves visibility at once */
    long long v = version_of(fmt("/v1/families/%s", c.fam), adm);
    r = AI("PATCH", fmt("/v1/families/%s", c.fam), adm,
           js(json_pack("{s:s}", "assigned_worker_id", sw2_id)), etag(v));
    ck_status(r, 200);
    resp_free(r);
    LIST_IS(sw2, "/v1/families", 2, c.fam, f3);
    LIST_IS(sw1, "/v1/families", 0);
    r = D("GET", fmt("/v1/families/%s/members/%s", c.fam, c.member), sw1, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);

    /* finally the admin anonymises */
    v = version_of(fmt("/v1/families/%s", c.fam), adm);
    r = AI("POST", fmt("/v1/families/%s/anonymize", c.fam), adm, NULL, etag(v));
    ck_status(r, 200);
    resp_free(r);
}
END_TEST

/* ======================================================================================== 6 ====
 */

static int audit_count(const char *tok, const char *query)
{
    json_t *rows = audit_rows(tok, query);
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return n;
}

START_TEST(audit_records_family_reads_and_writes)
{
    char tenant[37], adm[80], adm_id[37], aud[80], aud_id[37], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "auditor", NULL, aud, aud_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    char fam[37], m[37], c[37];
    json_decref(family_new(adm, NULL, fam));
    LOCALF(fp, "/v1/families/%s", fam);

    /* create, get, patch, transition */
    json_t *rows = audit_rows(aud, fmt("resource=family&resource_id=%s", fam));
    AUDIT_HAS(rows, "create", "family", fam, 201, adm_id);
    json_decref(rows);
    const char *rid = uniq("audit-get");
    char rid1[64];
    snprintf(rid1, sizeof rid1, "%s", rid);
    for (char *p = rid1; *p; p++)
        if (*p == ' ')
            *p = '-';
    struct resp *r = AR("GET", fp, adm, NULL, rid1);
    ck_status(r, 200);
    resp_free(r);
    rows = audit_rows(adm, fmt("resource=family&resource_id=%s", fam));
    const json_t *row = audit_find(rows, "read", "family", fam, 200, adm_id, rid1);
    ck_assert_msg(row, "no audit row for the GET: %s", js(json_incref(rows)));
    ck_assert_ptr_nonnull(jstr(row, "occurred_at"));
    ck_assert_ptr_nonnull(jstr(row, "token_id"));
    json_decref(rows);
    r = AI("PATCH", fp, adm, "{\"district\":\"Ochota\"}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", fam));
    AUDIT_HAS(rows, "update", "family", fam, 200, adm_id);
    AUDIT_HAS(rows, "transition", "family", fam, 200, adm_id);
    json_decref(rows);

    /* a list read writes exactly one row, without a resource_id */
    for (int i = 0; i < 3; i++) {
        int before = audit_count(aud, "resource=family");
        char lrid[64];
        snprintf(lrid, sizeof lrid, "audit-list-%d-%d", (int)getpid(), i);
        r = AR("GET", i == 2 ? "/v1/families?status=diagnosed" : "/v1/families", adm, NULL, lrid);
        ck_status(r, 200);
        resp_free(r);
        ck_assert_int_eq(audit_count(aud, "resource=family"), before + 1);
        rows = audit_rows(aud, "resource=family");
        row = json_array_get(rows, 0);
        ck_assert_str_eq(jstr(row, "action"), "read");
        ck_assert_msg(json_is_null(json_object_get(row, "resource_id")), "%s",
                      js(json_incref((json_t *)row)));
        ck_assert_int_eq(jint(row, "status"), 200);
        ck_assert_str_eq(jstr(row, "request_id"), lrid);
        ck_assert_str_eq(jstr(row, "actor_id"), adm_id);
        json_decref(rows);
    }

    /* denied accesses: 404 for an unassigned social worker, 403 for the auditor */
    r = D("GET", fp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = DI("PATCH", fp, sw, "{\"district\":\"X\"}", etag(version_of(fp, adm)));
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", fp, aud, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("GET", "/v1/families", aud, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    rows = audit_rows(adm, fmt("resource_id=%s", fam));
    AUDIT_HAS(rows, "read", "family", fam, 404, sw_id);
    AUDIT_HAS(rows, "update", "family", fam, 404, sw_id);
    AUDIT_HAS(rows, "read", "family", fam, 403, aud_id);
    json_decref(rows);
    rows = audit_rows(adm, fmt("actor_id=%s", aud_id));
    AUDIT_HAS(rows, "read", "family", NULL, 403, aud_id);
    json_decref(rows);

    /* members */
    json_decref(
        member_new(adm, fam, "Halina", surname("Dąbrowska"), "1960-03-03", NULL, "head", m));
    LOCALF(mp, "/v1/families/%s/members/%s", fam, m);
    r = A("GET", mp, adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    r = AI("PATCH", mp, adm, "{\"generation\":1}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = D("GET", mp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", m));
    AUDIT_HAS(rows, "create", "member", m, 201, adm_id);
    AUDIT_HAS(rows, "read", "member", m, 200, adm_id);
    AUDIT_HAS(rows, "update", "member", m, 200, adm_id);
    AUDIT_HAS(rows, "read", "member", m, 404, sw_id);
    json_decref(rows);
    int before = audit_count(aud, "resource=member");
    r = A("GET", fmt("%s/members", fp), adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    ck_assert_int_eq(audit_count(aud, "resource=member"), before + 1);
    rows = audit_rows(aud, "resource=member");
    AUDIT_HAS(rows, "read", "member", NULL, 200, adm_id);
    json_decref(rows);
    r = D("GET", fmt("%s/members", fp), sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("actor_id=%s", sw_id));
    ck_assert_msg(audit_find(rows, "read", "member", "*", 404, sw_id, NULL), "denied member list");
    json_decref(rows);

    /* consents */
    json_decref(consent_new(adm, fam, m, "processing", NULL, today(), NULL, c));
    LOCALF(cp, "/v1/families/%s/consents/%s", fam, c);
    r = A("GET", cp, adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("%s/withdraw", cp), adm, "{}");
    ck_status(r, 200);
    resp_free(r);
    r = D("GET", cp, sw, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", c));
    AUDIT_HAS(rows, "create", "consent", c, 201, adm_id);
    AUDIT_HAS(rows, "read", "consent", c, 200, adm_id);
    AUDIT_HAS(rows, "update", "consent", c, 200, adm_id);
    AUDIT_HAS(rows, "read", "consent", c, 404, sw_id);
    json_decref(rows);
    before = audit_count(aud, "resource=consent");
    r = A("GET", fmt("%s/consents", fp), adm, NULL);
    ck_status(r, 200);
    resp_free(r);
    ck_assert_int_eq(audit_count(aud, "resource=consent"), before + 1);

    /* a member's deletion */
    char m2[37];
    json_decref(member_new(adm, fam, "Kasia", surname("Dąbrowska"), NULL, NULL, "child", m2));
    r = AI("DELETE", fmt("%s/members/%s", fp, m2), adm, NULL, "\"1\"");
    ck_status(r, 204);
    resp_free(r);
    rows = audit_rows(aud, fmt("resource_id=%s", m2));
    AUDIT_HAS(rows, "delete", "member", m2, 204, adm_id);
    json_decref(rows);

    /* nobody changes the audit log, and others may not read it */
    r = D("GET", "/v1/audit-events", sw, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("DELETE", "/v1/audit-events", adm, NULL);
    ck_assert_int_eq(r->status, 405);
    resp_free(r);
}
END_TEST

START_TEST(events_carry_no_personal_data)
{
    char tenant[37], adm[80], adm_id[37], sw[80], sw_id[37], sw2[80], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    make_user(adm, "social_worker", NULL, sw2, NULL);
    make_user(adm, "auditor", NULL, aud, NULL);
    long long after = last_event_id(adm);
    ck_assert_int_ge(after, 0);
    const char *street = surname("ul. Sekretna ");
    LOCALF(st, "%s", street);
    const char *ext = surname("POMOST-");
    char fam[37], m[37], c[37];
    json_decref(family_new(adm,
                           js(json_pack("{s:{s:s}, s:s, s:s, s:[{s:s, s:s}]}", "address", "street",
                                        st, "external_ref", ext, "assigned_worker_id", sw_id,
                                        "problems", "code", "addiction", "notes", "alkohol")),
                           fam));
    const char *last = surname("Grabowski");
    const char *p = pesel(1958, 11, 30, 0);
    json_decref(member_new(adm, fam, "Zenon", last, NULL, p, "head", m));
    struct resp *r = AI("PATCH", fmt("/v1/families/%s/members/%s", fam, m), adm,
                        js(json_pack("{s:s}", "last_name", surname("Grabowski-Nowy"))), "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    json_decref(consent_new(adm, fam, m, "processing", NULL, today(), NULL, c));
    r = A("POST", fmt("/v1/families/%s/consents/%s/withdraw", fam, c), adm, "{}");
    ck_status(r, 200);
    resp_free(r);
    r = AI("PATCH", fmt("/v1/families/%s", fam), adm, "{\"district\":\"Bielany\"}", "\"1\"");
    ck_status(r, 200);
    resp_free(r);
    r = A("POST", fmt("/v1/families/%s/transitions", fam), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    r = AI("POST", fmt("/v1/families/%s/anonymize", fam), adm, NULL, "\"3\"");
    ck_status(r, 200);
    resp_free(r);

    r = A("GET", fmt("/v1/events?after=%lld&limit=200", after), adm, NULL);
    ck_status(r, 200);
    const char *leak = pii_in(r->body);
    ck_assert_msg(!leak, "the event feed holds personal data: %s", r->body);
    ck_assert_ptr_null(strstr(r->body, "alkohol"));
    static const char *const want[][2] = {
        {"family.created", "family"},     {"member.created", "member"},
        {"member.updated", "member"},     {"consent.created", "consent"},
        {"consent.withdrawn", "consent"}, {"family.updated", "family"},
        {"family.diagnosed", "family"},   {"family.anonymized", "family"}};
    const json_t *items = json_object_get(r->json, "items");
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        bool found = false;
        size_t i;
        const json_t *e;
        json_array_foreach(items, i, e)
        {
            if (!strcmp(jstr(e, "type"), want[k][0])) {
                found = true;
                ck_assert_str_eq(jstr(e, "resource"), want[k][1]);
                const char *id = !strcmp(want[k][1], "family")   ? fam
                                 : !strcmp(want[k][1], "member") ? m
                                                                 : c;
                ck_assert_str_eq(jstr(e, "resource_id"), id);
            }
        }
        ck_assert_msg(found, "no %s event: %s", want[k][0], r->body);
    }
    size_t i;
    const json_t *e;
    json_array_foreach(items, i, e)
    {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)e, key, val)
        {
            static const char *const ok[] = {"id",      "type",        "resource", "resource_id",
                                             "version", "occurred_at", NULL};
            bool known = false;
            for (const char *const *k = ok; *k; k++)
                known |= !strcmp(*k, key);
            ck_assert_msg(known, "an event carries %s: %s", key, r->body);
        }
        ck_assert(json_is_integer(json_object_get(e, "version")));
    }
    resp_free(r);
    /* the feed shows family events only to whoever sees the family */
    const char *path = fmt("/v1/events?after=%lld&limit=200", after);
    LOCALF(evp, "%s", path);
    r = A("GET", evp, sw, NULL);
    ck_status(r, 200);
    ck_assert_msg(strstr(r->body, fam) && strstr(r->body, m) && strstr(r->body, c),
                  "the assigned social worker misses events: %s", r->body);
    resp_free(r);
    const char *blind[] = {sw2, aud};
    for (int k = 0; k < 2; k++) {
        r = A("GET", evp, blind[k], NULL);
        ck_status(r, 200);
        ck_assert_msg(!strstr(r->body, fam) && !strstr(r->body, m) && !strstr(r->body, c),
                      "%s sees events of an invisible family: %s", k ? "auditor" : "social worker",
                      r->body);
        resp_free(r);
    }
}
END_TEST

/* ======================================================================================== 7 ====
 */

START_TEST(gdpr_export)
{
    const struct world *w = world();
    char tenant[37], adm[80], adm_id[37], coord[80], coord_id[37], sw[80], sw_id[37], aud[80];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "coordinator", NULL, coord, coord_id);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    make_user(adm, "auditor", NULL, aud, NULL);
    char fam[37], m1[37], m2[37], c1[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:{s:s}, s:[{s:s}]}", "assigned_worker_id", sw_id, "address", "street",
                     surname("ul. Eksportowa "), "problems", "code", "disability")),
        fam));
    const char *last = surname("Pawłowska");
    const char *p = pesel(1988, 7, 17, 1);
    json_decref(member_new(adm, fam, "Marta", last, NULL, p, "head", m1));
    json_decref(member_new(adm, fam, "Staś", last, "2019-01-01", NULL, "child", m2));
    json_decref(consent_new(adm, fam, m1, "processing", NULL, today(), NULL, c1));
    struct resp *r = A("GET", "/v1/families", adm, NULL); /* a list read naming the family */
    ck_status(r, 200);
    resp_free(r);

    LOCALF(ep, "/v1/families/%s/export", fam);
    r = A("GET", ep, adm, NULL);
    ck_status(r, 200);
    ck_assert_ptr_nonnull(strstr(resp_header(r, "Content-Type"), "application/json"));
    json_t *x = r->json;
    ck_assert_str_eq(jstr(json_object_get(x, "family"), "id"), fam);
    static const char *const arrays[] = {"members", "consents",  "task_teams",
                                         "plans",   "referrals", "access_log"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(json_is_array(json_object_get(x, arrays[i])), "export lacks %s: %s",
                      arrays[i], r->body);
    const json_t *members = json_object_get(x, "members");
    ck_assert_int_eq(json_array_size(members), 2);
    ck_assert(has_id(members, m1) && has_id(members, m2));
    ck_assert_ptr_nonnull(strstr(r->body, p));
    ck_assert_int_eq(json_array_size(json_object_get(x, "consents")), 1);
    ck_assert(has_id(json_object_get(x, "consents"), c1));
    const json_t *log = json_object_get(x, "access_log");
    /* the export itself, the creations, the list read naming the family */
    ck_assert_msg(audit_find(log, "export", "family", fam, 200, adm_id, NULL),
                  "access_log lacks the export: %s", r->body);
    ck_assert_msg(audit_find(log, "create", "family", fam, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "create", "member", m1, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "create", "consent", c1, 201, adm_id, NULL), "%s", r->body);
    ck_assert_msg(audit_find(log, "read", "family", NULL, 200, adm_id, NULL),
                  "access_log lacks the list read: %s", r->body);
    resp_free(r);
    json_t *rows = audit_rows(adm, fmt("resource_id=%s&action=export", fam));
    AUDIT_HAS(rows, "export", "family", fam, 200, adm_id);
    json_decref(rows);

    /* the coordinator may export too; its own export is in its log */
    r = A("GET", ep, coord, NULL);
    ck_status(r, 200);
    ck_assert_msg(audit_find(json_object_get(r->json, "access_log"), "export", "family", fam, 200,
                             coord_id, NULL),
                  "%s", r->body);
    resp_free(r);
    /* nobody else */
    const char *no[] = {sw, aud, w->platform, w->analyst};
    for (size_t i = 0; i < 4; i++) {
        r = D("GET", ep, no[i], NULL);
        ck_problem(r, 403, "forbidden");
        resp_free(r);
    }
    r = D("GET", ep, w->admin_b, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", "/v1/families/0190a7d2-0000-7000-8000-00000000abcd/export", adm, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    r = D("GET", fmt("%s?format=pdf", ep), adm, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    rows = audit_rows(adm, fmt("resource_id=%s", fam));
    /* (the router records a refused role under the route's action: export) */
    ck_assert_msg(audit_find(rows, NULL, "family", fam, 403, sw_id, NULL), "denied export");
    json_decref(rows);
}
END_TEST

/* Everything held about the family includes its task team and plan. */
START_TEST(gdpr_export_includes_task_team_and_plan)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    char fam[37];
    json_decref(family_new(adm, NULL, fam));
    struct resp *r = A("POST", "/v1/task-teams", adm,
                       js(json_pack("{s:s, s:s, s:s}", "family_id", fam, "name", "ZZK eksport",
                                    "moderator_id", adm_id)));
    ck_status(r, 201);
    char team[37];
    snprintf(team, sizeof team, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = A("POST", fmt("/v1/task-teams/%s/goals", team), adm,
          "{\"description\":\"Podjęcie pracy\"}");
    ck_status(r, 201);
    char goal[37];
    snprintf(goal, sizeof goal, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = A("GET", fmt("/v1/families/%s/export", fam), adm, NULL);
    ck_status(r, 200);
    ck_assert_msg(has_id(json_object_get(r->json, "task_teams"), team),
                  "the export omits the family's task team %s: task_teams=%s", team,
                  js(json_incref(json_object_get(r->json, "task_teams"))));
    ck_assert_msg(strstr(js(json_incref(json_object_get(r->json, "plans"))), goal),
                  "the export omits the plan's goal %s: plans=%s", goal,
                  js(json_incref(json_object_get(r->json, "plans"))));
    resp_free(r);
}
END_TEST

START_TEST(gdpr_anonymize)
{
    char tenant[37], adm[80], adm_id[37], coord[80], sw[80], sw_id[37];
    fresh_tenant(tenant, adm, adm_id);
    make_user(adm, "coordinator", NULL, coord, NULL);
    make_user(adm, "social_worker", NULL, sw, sw_id);
    const char *street = surname("ul. Zapomniana ");
    LOCALF(st, "%s", street);
    const char *ext = surname("OPS-");
    LOCALF(ex, "%s", ext);
    char fam[37], m1[37], m2[37], c1[37];
    json_decref(family_new(
        adm,
        js(json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:[{s:s, s:s}, {s:s}], s:i}", "district",
                     "Wola", "assigned_worker_id", sw_id, "address", "street", st, "city", "Łódź",
                     "external_ref", ex, "problems", "code", "addiction", "notes",
                     "terapia odwykowa", "code", "debt", "generations", 2)),
        fam));
    LOCALF(fp, "/v1/families/%s", fam);
    const char *last = surname("Jabłońska");
    LOCALF(ln, "%s", last);
    const char *p = pesel(1983, 5, 20, 1);
    char pes[12];
    snprintf(pes, sizeof pes, "%s", p);
    json_decref(member_new(adm, fam, "Renata", ln, NULL, pes, "head", m1));
    json_decref(member_new(adm, fam, "Igor", ln, "2012-09-09", NULL, "child", m2));
    struct resp *r = A("POST", fmt("%s/consents", fp), adm,
                       js(json_pack("{s:s, s:s, s:s, s:s, s:s}", "member_id", m1, "scope",
                                    "processing", "given_on", today(), "purpose",
                                    "wsparcie asystenta", "document_ref", "ZG/7")));
    ck_status(r, 201);
    snprintf(c1, sizeof c1, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = A("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"diagnosed\"}");
    ck_status(r, 200);
    resp_free(r);
    long long v = version_of(fp, adm);
    LOCALF(ap, "/v1/families/%s/anonymize", fam);

    /* who and how */
    char *before = fam_text(adm, fam);
    r = DI("POST", ap, coord, NULL, etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = DI("POST", ap, sw, NULL, etag(v));
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = D("POST", ap, adm, NULL);
    ck_problem(r, 428, "precondition_required");
    resp_free(r);
    r = DI("POST", ap, adm, NULL, etag(v - 1));
    ck_problem(r, 412, "precondition_failed");
    resp_free(r);
    r = DI("POST", ap, adm, "{\"keep\":true}", etag(v));
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    FAM_UNCHANGED(adm, fam, before);
    free(before);
    json_t *ml = list_all(adm, fmt("%s/members", fp));
    ck_assert_str_eq(jstr(json_array_get(ml, 0), "pesel"), pes);
    json_decref(ml);

    r = AI("POST", ap, adm, NULL, etag(v));
    ck_status(r, 200);
    ck_assert_str_eq(resp_header(r, "ETag"), fmt("\"%lld\"", v + 1));
    ck_assert(json_is_true(json_object_get(r->json, "anonymized")));
    ck_assert(json_is_null(json_object_get(r->json, "address")));
    ck_assert(json_is_null(json_object_get(r->json, "external_ref")));
    ck_assert_str_eq(jstr(r->json, "status"), "diagnosed");
    ck_assert_str_eq(jstr(r->json, "district"), "Wola");
    ck_assert_int_eq(jint(r->json, "generations"), 2);
    ck_assert_int_eq(jint(r->json, "members_count"), 2);
    const json_t *probs = json_object_get(r->json, "problems");
    ck_assert_int_eq(json_array_size(probs), 2);
    ck_assert_str_eq(jstr(json_array_get(probs, 0), "code"), "addiction");
    ck_assert(json_is_null(json_object_get(json_array_get(probs, 0), "notes")));
    ck_assert_str_eq(jstr(json_array_get(probs, 1), "code"), "debt");
    resp_free(r);

    /* members: no names, PESEL or birth date; birth year, sex, relation stay */
    r = A("GET", fmt("%s/members/%s", fp, m1), adm, NULL);
    ck_status(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "first_name")));
    ck_assert(json_is_null(json_object_get(r->json, "last_name")));
    ck_assert(json_is_null(json_object_get(r->json, "pesel")));
    ck_assert(json_is_null(json_object_get(r->json, "birth_date")));
    ck_assert_int_eq(jint(r->json, "birth_year"), 1983);
    ck_assert_str_eq(jstr(r->json, "sex"), "female");
    ck_assert_str_eq(jstr(r->json, "relation"), "head");
    resp_free(r);
    r = A("GET", fmt("%s/members/%s", fp, m2), adm, NULL);
    ck_assert_int_eq(jint(r->json, "birth_year"), 2012);
    ck_assert(json_is_null(json_object_get(r->json, "last_name")));
    resp_free(r);
    r = A("GET", fmt("%s/consents/%s", fp, c1), adm, NULL);
    ck_status(r, 200);
    ck_assert(json_is_null(json_object_get(r->json, "purpose")));
    ck_assert(json_is_null(json_object_get(r->json, "document_ref")));
    ck_assert_str_eq(jstr(r->json, "scope"), "processing");
    resp_free(r);
    /* nothing personal remains anywhere the admin can read */
    r = A("GET", fmt("%s/export", fp), adm, NULL);
    ck_status(r, 200);
    ck_assert_msg(!strstr(r->body, ln) && !strstr(r->body, pes) && !strstr(r->body, st) &&
                      !strstr(r->body, ex) && !strstr(r->body, "terapia") &&
                      !strstr(r->body, "Renata") && !strstr(r->body, "wsparcie asystenta"),
                  "the export after anonymisation holds personal data: %s", r->body);
    resp_free(r);
    LIST_IS(adm, fmt("/v1/families?q=%s", enc(ln)), 0);
    LIST_IS(adm, "/v1/families?status=diagnosed&problem=addiction", 1, fam);

    /* the record is closed to changes */
    before = fam_text(adm, fam);
    char *mbefore = list_text(adm, fmt("%s/members", fp));
    char *cbefore = list_text(adm, fmt("%s/consents", fp));
    long long v2 = version_of(fp, adm);
    r = DI("PATCH", fp, adm, "{\"district\":\"Mokotów\"}", etag(v2));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/members", fp), adm,
          js(member_doc("Nowa", surname("Osoba"), NULL, NULL, "other")));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = DI("PATCH", fmt("%s/members/%s", fp, m1), adm, "{\"first_name\":\"Renata\"}", "\"2\"");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/transitions", fp), adm, "{\"to\":\"in_support\"}");
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = D("POST", fmt("%s/consents", fp), adm,
          js(consent_doc(m1, "processing", NULL, today(), NULL)));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    r = DI("POST", ap, adm, NULL, etag(v2));
    ck_problem(r, 409, "conflict");
    resp_free(r);
    FAM_UNCHANGED(adm, fam, before);
    LIST_UNCHANGED(adm, fmt("%s/members", fp), mbefore);
    LIST_UNCHANGED(adm, fmt("%s/consents", fp), cbefore);
    free(before);
    json_t *rows = audit_rows(adm, fmt("resource_id=%s&action=anonymize", fam));
    AUDIT_HAS(rows, "anonymize", "family", fam, 200, adm_id);
    json_decref(rows);

    /* the PESEL is free again in the tenant */
    char fam2[37];
    json_decref(family_new(adm, NULL, fam2));
    json_t *mm = member_new(adm, fam2, "Renata", ln, NULL, pes, "head", NULL);
    ck_assert_str_eq(jstr(mm, "pesel"), pes);
    json_decref(mm);
}
END_TEST

/* SPEC §9: anonymising a family purges stored responses that held its data.
 * Actual behaviour asserted: a retry of the family's creation with the same
 * key and body is no replay; it creates a new family. A retry of a member's
 * creation meets the closed (anonymised) family: 409 without personal data. */
START_TEST(gdpr_anonymize_purges_idempotent_responses)
{
    char tenant[37], adm[80], adm_id[37];
    fresh_tenant(tenant, adm, adm_id);
    const char *street = surname("ul. Pamiętna ");
    LOCALF(st, "%s", street);
    char body[1024];
    snprintf(body, sizeof body, "%s",
             js(json_pack("{s:{s:s, s:s}, s:s}", "address", "street", st, "city", "Gdańsk",
                          "district", "Oliwa")));
    char key[64], mkey[64];
    snprintf(key, sizeof key, "anon-fam-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(mkey, sizeof mkey, "anon-mem-%d-%ld", (int)getpid(), (long)time(NULL));
    struct resp *r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    char fam[37];
    snprintf(fam, sizeof fam, "%s", jstr(r->json, "id"));
    resp_free(r);
    r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    ck_assert_str_eq(jstr(r->json, "id"), fam);
    resp_free(r);
    const char *last = surname("Kowalewska");
    LOCALF(ln, "%s", last);
    const char *p = pesel(1990, 10, 10, 1);
    char pes[12];
    snprintf(pes, sizeof pes, "%s", p);
    char mbody[512];
    snprintf(mbody, sizeof mbody, "%s", js(member_doc("Irena", ln, NULL, pes, "head")));
    LOCALF(mp, "/v1/families/%s/members", fam);
    r = AK("POST", mp, adm, mbody, mkey);
    ck_status(r, 201);
    resp_free(r);
    r = AK("POST", mp, adm, mbody, mkey);
    ck_status(r, 201);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);

    r = AI("POST", fmt("/v1/families/%s/anonymize", fam), adm, NULL, "\"1\"");
    ck_status(r, 200);
    resp_free(r);

    /* the family's creation: no replay of the old personal data */
    r = AK("POST", "/v1/families", adm, body, key);
    ck_assert_msg(!(strstr(r->body, fam) && strstr(r->body, st)),
                  "the purged response was replayed with the old address: %s", r->body);
    ck_assert_msg(r->status == 201, "retry after anonymisation: %ld %s", r->status, r->body);
    ck_assert_msg(!resp_header(r, "Idempotent-Replayed"), "a replay after anonymisation: %s",
                  r->body);
    ck_assert_str_ne(jstr(r->json, "id"), fam);
    ck_assert(json_is_false(json_object_get(r->json, "anonymized")));
    char fresh[37];
    snprintf(fresh, sizeof fresh, "%s", jstr(r->json, "id"));
    resp_free(r);
    /* and from now on that key replays the new family */
    r = AK("POST", "/v1/families", adm, body, key);
    ck_status(r, 201);
    ck_assert_str_eq(jstr(r->json, "id"), fresh);
    ck_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);
    /* the member's creation: not replayed (names, PESEL); the family is closed */
    r = call(true, "POST", mp, adm, mbody, (struct opt){.idem = mkey}, __LINE__);
    ck_assert_msg(!strstr(r->body, pes) && !strstr(r->body, ln),
                  "the member's purged response was replayed: %s", r->body);
    ck_problem(r, 409, "conflict");
    resp_free(r);
    LIST_IS(adm, "/v1/families", 2, fam, fresh);
}
END_TEST

Suite *suite_families(void)
{
    Suite *s = suite_create("families");
    TCase *tc = tcase_create("families");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, family_create_get_and_validation);
    tcase_add_test(tc, family_list_filters_and_search);
    tcase_add_test(tc, family_patch_needs_if_match_and_respects_read_only);
    tcase_add_test(tc, family_idempotency_key_replays);
    tcase_add_test(tc, family_state_machine);
    tcase_add_test(tc, reference_numbers_are_gapless_under_concurrency);
    tcase_add_test(tc, member_pesel_rules);
    tcase_add_test(tc, member_pesel_unique_per_tenant);
    tcase_add_test(tc, member_pesel_unique_under_concurrency);
    tcase_add_test(tc, member_patch_and_delete);
    tcase_add_test(tc, consent_rules);
    tcase_add_test(tc, consent_withdrawal_expiry_and_filters);
    tcase_add_test(tc, visibility_matrix);
    tcase_add_test(tc, audit_records_family_reads_and_writes);
    tcase_add_test(tc, events_carry_no_personal_data);
    tcase_add_test(tc, gdpr_export);
    tcase_add_test(tc, gdpr_export_includes_task_team_and_plan);
    tcase_add_test(tc, gdpr_anonymize);
    tcase_add_test(tc, gdpr_anonymize_purges_idempotent_responses);
    suite_add_tcase(s, tc);
    return s;
}
