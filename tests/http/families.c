/* Families, their members and consents (SPEC §5 Families, §6 Family, §7, §9):
 * CRUD, list filters and Polish search, merge patch with If-Match, read-only
 * fields, Idempotency-Key, the state machine, gapless reference numbers under
 * concurrency, PESEL rules and uniqueness, consents, the visibility matrix
 * per role and route, the audit trail, the event feed and GDPR export and
 * anonymisation. Most tests run in a fresh tenant so that lists are exact.
 * Every surname, PESEL and street sent is noted (note_pii) and must appear in
 * no problem body, no event and not in the daemon's log. Conformant requests
 * go through Prism (api), deliberately bad ones straight to the daemon. */
#include "families.h"

/* ---- personal data the tests send ------------------------------------------------------------ */

char *needles[512];

int nneedles;

void pii(const char *s)
{
    note_pii(s);
    if (nneedles < 512)
        needles[nneedles++] = strdup(s);
}

const char *pii_in(const char *body)
{
    for (int i = 0; body && i < nneedles; i++)
        if (strstr(body, needles[i]))
            return needles[i];
    return NULL;
}

/* A unique surname: stem plus a lower-case letter suffix; noted as PII. */
const char *surname(const char *stem)
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
const char *pesel(int y, int m, int d, int female)
{
    static __thread char bufs[16][12];
    static __thread int next;
    char *b = bufs[next++ % 16];
    make_pesel(y, m, d, female, b);
    pii(b);
    return b;
}

struct resp *call(bool prism, const char *m, const char *path, const char *tok, const char *body,
                  struct opt o, int line)
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

/* Compact JSON text of o (decref'd) in a rotating per-thread buffer. */
const char *js(json_t *o)
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
const char *enc(const char *s)
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

struct tm warsaw_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    setenv("TZ", "Europe/Warsaw", 1);
    tzset();
    localtime_r(&t, &tm);
    return tm;
}

const char *today(void)
{
    static __thread char b[16];
    struct tm tm = warsaw_now();
    strftime(b, sizeof b, "%Y-%m-%d", &tm);
    return b;
}

int this_year(void)
{
    return warsaw_now().tm_year + 1900;
}

/* ---- records -----------------------------------------------------------------------------------
 */

/* POST /v1/families (through Prism): asserts 201; id in out; returns the record (new ref). */
json_t *family_new(const char *tok, const char *body, char out[37])
{
    struct resp *r = A("POST", "/v1/families", tok, body ? body : "{}");
    ck_assert_msg(r->status == 201, "create family: %ld %s", r->status, r->body);
    if (out)
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    json_t *j = json_incref(r->json);
    resp_free(r);
    return j;
}

json_t *member_doc(const char *first, const char *last, const char *birth, const char *pes,
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

json_t *member_new(const char *tok, const char *fam, const char *first, const char *last,
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

json_t *consent_doc(const char *member, const char *scope, const char *partner, const char *given,
                    const char *until)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s}", "member_id", member, "scope", scope, "given_on", given);
    if (partner)
        json_object_set_new(o, "partner_id", json_string(partner));
    if (until)
        json_object_set_new(o, "valid_until", json_string(until));
    return o;
}

json_t *consent_new(const char *tok, const char *fam, const char *member, const char *scope,
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
json_t *list_all(const char *tok, const char *path)
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

bool has_id(const json_t *items, const char *id)
{
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it) if (jstr(it, "id") && !strcmp(jstr(it, "id"), id)) return true;
    return false;
}

/* The list at path as tok holds exactly the n ids given. */
void list_is(const char *tok, const char *path, int line, int n, ...)
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

char *fam_text(const char *tok, const char *id)
{
    return record_of(fmt("/v1/families/%s", id), tok);
}

void same_text(const char *before, char *now, const char *what, int line)
{
    ck_assert_msg(now && before && strcmp(before, now) == 0, "line %d: %s changed:\n%s\n%s", line,
                  what, before ? before : "(none)", now ? now : "(gone)");
    free(now);
}

char *list_text(const char *tok, const char *path)
{
    json_t *items = list_all(tok, path);
    char *s = jdump(items);
    json_decref(items);
    return s;
}

/* ---- audit -------------------------------------------------------------------------------------
 */

json_t *audit_rows(const char *tok, const char *query)
{
    return list_all(tok, fmt("/v1/audit-events?%s", query));
}

/* The first (newest) row matching; resource_id NULL means "must be null",
 * "*" any; status 0 any; actor NULL any. */
const json_t *audit_find(const json_t *rows, const char *action, const char *resource,
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

const char *nz(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

struct resp *transition(const char *tok, const char *id, const char *to, const char *reason,
                        const char *if_match, int line)
{
    json_t *o = json_pack("{s:s}", "to", to);
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    return call(false, "POST", fmt("/v1/families/%s/transitions", id), tok, js(o),
                (struct opt){.if_match = if_match}, line);
}

Suite *suite_families(void)
{
    Suite *s = suite_create("families");
    suite_add_tcase(s, tcase_families_records());
    suite_add_tcase(s, tcase_families_states());
    suite_add_tcase(s, tcase_families_members());
    suite_add_tcase(s, tcase_families_consents());
    suite_add_tcase(s, tcase_families_visibility());
    suite_add_tcase(s, tcase_families_audit());
    suite_add_tcase(s, tcase_families_gdpr());
    suite_add_tcase(s, tcase_families_traces());
    suite_add_tcase(s, tcase_families_pesel());
    suite_add_tcase(s, tcase_families_idempotency());
    suite_add_tcase(s, tcase_families_retention());
    return s;
}
