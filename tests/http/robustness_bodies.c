/* Robustness: malformed bodies (undecodable, NUL bytes, not an object, deep,
 * over the limit, chunked), content types, empty bodies, lengths, types and
 * Unicode. */
#include "robustness.h"

/* Number of partners of tenant A (every page). */
static size_t partner_total(void)
{
    const struct world *w = world();
    size_t n = 0;
    char cursor[1024] = "";
    for (int i = 0; i < 1000; i++) {
        struct resp *r =
            direct("GET", fmt("/v1/partners?limit=200%s%s", *cursor ? "&cursor=" : "", cursor),
                   w->admin_a, NULL, NULL);
        ck_assert_int_eq(r->status, 200);
        n += json_array_size(json_object_get(r->json, "items"));
        const char *c = jstr(r->json, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", c ? c : "");
        resp_free(r);
        if (!*cursor)
            break;
    }
    return n;
}

/* POSTs body (len bytes) to /v1/partners as admin A, directly. */
static struct resp *post_raw(const char *body, size_t len)
{
    return direct_raw("POST", "/v1/partners", world()->admin_a, body, len, NULL);
}

START_TEST(undecodable_json_is_400)
{
    size_t before = partner_total();
    note_pii("SEKRET Kowalski");
    /* every body carries a marker that must never be echoed back */
    const char *corpus[] = {
        "{\"name\": \"SEKRET Kowalski\",",
        "{\"name\": \"SEKRET Kowalski\"",
        "{\"name\": \"SEKRET",
        "{name: \"SEKRET\", \"sector\": \"ngo\"}",
        "{\"name\": 'SEKRET', \"sector\": \"ngo\"}",
        "{\"name\": \"SEKRET\", \"sector\": \"ngo\",}",
        "{\"name\": \"SEKRET\"} {\"sector\": \"ngo\"}",
        "{\"name\": \"SEKRET\" \"sector\": \"ngo\"}",
        "{\"name\": \"SEKRET\", \"sector\": \"ngo\", \"is_leader\": NaN}",
        "{\"name\": \"SEKRET\", \"sector\": \"ngo\", \"is_leader\": tru}",
        "{\"name\": \"SEKRET\", \"sector\": \"ngo\", \"name\": \"Kowalski\"}", /* duplicate key */
        "{\"name\": \"SEKRET \xff\xfe\", \"sector\": \"ngo\"}",                /* invalid UTF-8 */
        "{\"name\": \"SEKRET \xc0\xaf\", \"sector\": \"ngo\"}",                /* overlong */
        "{\"name\": \"SEKRET \xed\xa0\x80\", \"sector\": \"ngo\"}",            /* UTF-8 surrogate */
        "{\"name\": \"SEKRET \\ud800\", \"sector\": \"ngo\"}",                 /* lone surrogate */
        "{\"name\": \"SEKRET \\x41\", \"sector\": \"ngo\"}",                   /* bad escape */
        "{\"name\": \"SEKRET\n\", \"sector\": \"ngo\"}", /* raw control char */
        "{\"name\": \"SEKRET\", \"sector\": \"ngo\", \"x\": 1e999999}",
        "\xef\xbb\xbf{\"name\": \"SEKRET\"",
        "}",
        "{{}}",
        "   ",
    };
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        struct resp *r = post_raw(corpus[i], strlen(corpus[i]));
        ck_assert_msg(r->status == 400, "corpus[%zu] %s: %ld %s", i, corpus[i], r->status, r->body);
        ck_problem(r, 400, "malformed_request");
        ck_assert_msg(strstr(r->body, "SEKRET") == NULL, "corpus[%zu] echoed: %s", i, r->body);
        resp_free(r);
    }
    healthy();
    ck_assert_uint_eq(partner_total(), before);
}
END_TEST

START_TEST(nul_bytes_are_400)
{
    size_t before = partner_total();
    static const char body[] = "{\"name\":\"a\0b\",\"sector\":\"ngo\"}";
    struct resp *r = post_raw(body, sizeof body - 1);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    static const char trailing[] = "{\"name\":\"ab\",\"sector\":\"ngo\"}\0";
    r = post_raw(trailing, sizeof trailing - 1);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    /* an escaped NUL inside a string cannot be stored either */
    const char *esc = "{\"name\":\"a\\u0000b\",\"sector\":\"ngo\"}";
    r = post_raw(esc, strlen(esc));
    ck_assert_msg(r->status == 400 || r->status == 422, "%ld %s", r->status, r->body);
    ck_problem(r, r->status, r->status == 400 ? "malformed_request" : "validation_failed");
    resp_free(r);
    healthy();
    ck_assert_uint_eq(partner_total(), before);
}
END_TEST

START_TEST(top_level_non_object_is_422)
{
    size_t before = partner_total();
    const char *corpus[] = {
        "[]", "[{\"name\":\"x\",\"sector\":\"ngo\"}]", "42", "\"text\"", "null", "true", "-0.5"};
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        struct resp *r = post_raw(corpus[i], strlen(corpus[i]));
        ck_assert_msg(r->status == 422, "%s: %ld %s", corpus[i], r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "body", "type", "body");
        resp_free(r);
    }
    healthy();
    ck_assert_uint_eq(partner_total(), before);
}
END_TEST

static char *nested(int depth, const char *leaf)
{
    size_t n = (size_t)depth * 6 + strlen(leaf) + 1;
    char *s = malloc(n), *p = s;
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "{\"a\":");
    p += sprintf(p, "%s", leaf);
    for (int i = 0; i < depth; i++)
        *p++ = '}';
    *p = 0;
    return s;
}

START_TEST(deep_nesting_is_400)
{
    size_t before = partner_total();
    /* 17 levels: over the default limit of 16 */
    char *s = nested(17, "1");
    struct resp *r = post_raw(s, strlen(s));
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    free(s);
    /* 16 levels decode; "a" is then simply an unknown field */
    s = nested(16, "1");
    r = post_raw(s, strlen(s));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "a", "unknown_field", "body");
    resp_free(r);
    free(s);
    /* very deep arrays and objects: refused before any parser recursion */
    size_t n = 200000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = 0;
    r = post_raw(deep, 2 * n);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    memset(deep, '{', n); /* unbalanced and deep */
    r = post_raw(deep, n);
    ck_problem(r, 400, "malformed_request");
    resp_free(r);
    free(deep);
    /* brackets inside strings are text, not nesting */
    char name[128];
    snprintf(name, sizeof name, "[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{ \\\" [[[[ %d", (int)getpid());
    char *body = strdup(fmt("{\"name\":\"%s\",\"sector\":\"ngo\"}", name));
    r = post_raw(body, strlen(body));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_ptr_nonnull(strstr(jstr(r->json, "name"), "[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{ \" [[[["));
    resp_free(r);
    free(body);
    healthy();
    ck_assert_uint_eq(partner_total(), before + 1);
}
END_TEST

START_TEST(body_over_limit_with_content_length_is_413)
{
    const struct world *w = world();
    size_t before = partner_total();
    /* announce 10 MB, send only the start: the answer must not wait for the rest */
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST /v1/partners HTTP/1.1\r\nHost: localhost\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: 10485760\r\n\r\n{\"name\":\"",
                     w->admin_a);
    time_t t0 = time(NULL);
    struct resp *r = raw_tcp(req, (size_t)n, 15);
    ck_assert_msg(time(NULL) - t0 < 10, "the 413 waited for the body");
    ck_problem(r, 413, "payload_too_large");
    const char *conn = resp_header(r, "Connection");
    ck_assert_msg(conn && strcasecmp(conn, "close") == 0, "Connection: %s", conn ? conn : "(none)");
    resp_free(r);
    /* without a token too: the size is refused before anything else */
    n = snprintf(req, sizeof req,
                 "PATCH /v1/partners/%s HTTP/1.1\r\nHost: localhost\r\n"
                 "Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n",
                 w->partner_a);
    r = raw_tcp(req, (size_t)n, 15);
    ck_problem(r, 413, "payload_too_large");
    resp_free(r);
    /* just over the limit, sent whole */
    size_t big = 1024 * 1024 + 1;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    memcpy(body, "{\"name\":\"x\",\"sector\":\"ngo\"}", 27);
    body[big] = 0;
    const char *h[] = {"Expect: 100-continue", NULL};
    r = direct_raw("POST", "/v1/partners", w->admin_a, body, big, h);
    ck_assert_msg(r->status == 413 || r->status == 0, "%ld %s", r->status, r->body);
    if (r->status)
        ck_problem(r, 413, "payload_too_large");
    resp_free(r);
    free(body);
    healthy();
    ck_assert_uint_eq(partner_total(), before);
}
END_TEST

static size_t read_src(char *buf, size_t size, size_t nitems, void *ud)
{
    struct src *s = ud;
    size_t room = size * nitems, n = s->len - s->off;
    if (n > room)
        n = room;
    if (n > s->piece)
        n = s->piece;
    for (size_t i = 0; i < n; i++)
        buf[i] = s->data ? s->data[s->off + i] : (s->off + i == 0 ? '{' : ' ');
    s->off += n;
    return n;
}

static struct resp *post_chunked(const char *path, const char *token, struct src *src)
{
    struct resp *r = calloc(1, sizeof *r);
    CURL *c = curl_easy_init();
    struct sink body = {0}, head = {0};
    struct curl_slist *hl = NULL;
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    hl = curl_slist_append(hl, auth);
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL,
                     fmt("%s%s", env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080"), path));
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_src);
    curl_easy_setopt(c, CURLOPT_READDATA, src);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_sink);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    r->body = body.p ? body.p : strdup("");
    r->len = body.n;
    r->headers = head.p ? head.p : strdup("");
    r->json = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    return r;
}

START_TEST(chunked_bodies)
{
    const struct world *w = world();
    size_t before = partner_total();
    /* a small chunked body is read whole */
    char name[96], ok[160];
    snprintf(name, sizeof name, "Przesłany w kawałkach %d", (int)getpid());
    snprintf(ok, sizeof ok, "{\"name\":\"%s\",\"sector\":\"ngo\"}", name);
    struct src s = {ok, strlen(ok), 0, 5};
    struct resp *r = post_chunked("/v1/partners", w->admin_a, &s);
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "name"), name);
    resp_free(r);
    /* 2 MB without Content-Length: refused once over the limit */
    struct src big = {NULL, 2 * 1024 * 1024, 0, 64 * 1024};
    r = post_chunked("/v1/partners", w->admin_a, &big);
    ck_problem(r, 413, "payload_too_large");
    resp_free(r);
    healthy();
    ck_assert_uint_eq(partner_total(), before + 1);
}
END_TEST

START_TEST(content_types)
{
    const struct world *w = world();
    size_t before = partner_total();
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"Typ treści %d\",\"sector\":\"ngo\"}", (int)getpid());
    const char *refused[] = {"Content-Type: text/plain",
                             "Content-Type: application/xml",
                             "Content-Type: application/x-www-form-urlencoded",
                             "Content-Type: application/jsonx",
                             "Content-Type: json",
                             "Content-Type: application/merge-patch+json",
                             "Content-Type:"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *h[] = {refused[i], NULL};
        struct resp *r = direct("POST", "/v1/partners", w->admin_a, body, h);
        ck_assert_msg(r->status == 415, "%s: %ld %s", refused[i], r->status, r->body);
        ck_problem(r, 415, "unsupported_media_type");
        resp_free(r);
    }
    ck_assert_uint_eq(partner_total(), before);
    const char *accepted[] = {"Content-Type: application/json; charset=utf-8",
                              "Content-Type: APPLICATION/JSON"};
    char ids[2][37];
    for (int i = 0; i < 2; i++) {
        const char *h[] = {accepted[i], NULL};
        struct resp *r = direct("POST", "/v1/partners", w->admin_a, body, h);
        ck_assert_msg(r->status == 201, "%s: %ld %s", accepted[i], r->status, r->body);
        snprintf(ids[i], 37, "%s", jstr(r->json, "id"));
        resp_free(r);
    }
    ck_assert_uint_eq(partner_total(), before + 2);
    /* PATCH takes merge-patch+json, and refuses text */
    LOCALF(p, "/v1/partners/%s", ids[0]);
    const char *text[] = {"Content-Type: text/plain", "If-Match: \"1\"", NULL};
    struct resp *r = direct("PATCH", p, w->admin_a, "{\"competences\":\"x\"}", text);
    ck_problem(r, 415, "unsupported_media_type");
    resp_free(r);
    ck_assert_int_eq(version_of(p, w->admin_a), 1);
    const char *merge[] = {"Content-Type: application/merge-patch+json", "If-Match: \"1\"", NULL};
    r = direct("PATCH", p, w->admin_a, "{\"competences\":\"Scalanie\"}", merge);
    ck_assert_msg(r->status == 200, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "competences"), "Scalanie");
    resp_free(r);
    /* transitions are POSTs: merge-patch is not their media type */
    const char *mt[] = {"Content-Type: application/merge-patch+json", NULL};
    r = direct("POST", fmt("%s/transitions", p), w->admin_a, "{\"to\":\"withdrawn\"}", mt);
    ck_problem(r, 415, "unsupported_media_type");
    resp_free(r);
    ck_assert_int_eq(version_of(p, w->admin_a), 2);
    healthy();
}
END_TEST

START_TEST(empty_bodies_are_422_required)
{
    const struct world *w = world();
    size_t before = partner_total();
    struct resp *r = direct("POST", "/v1/partners", w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "body", "required", "body");
    resp_free(r);
    r = direct_raw("POST", "/v1/partners", w->admin_a, "", 0, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "body", "required", "body");
    resp_free(r);
    r = direct("POST", "/v1/partners", w->admin_a, "{}", NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "name", "required", "body");
    ck_error(r, "sector", "required", "body");
    resp_free(r);
    LOCALF(pa, "/v1/partners/%s", w->partner_a);
    long long v = version_of(pa, w->admin_a);
    r = direct("POST", fmt("%s/transitions", pa), w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "body", "required", "body");
    resp_free(r);
    r = direct_if("PATCH", pa, w->admin_a, NULL, etag(v));
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "body", "required", "body");
    resp_free(r);
    r = direct("POST", fmt("%s/agreements", pa), w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    ck_assert_int_eq(version_of(pa, w->admin_a), v);
    ck_assert_uint_eq(partner_total(), before);
    healthy();
}
END_TEST

static char *repeat(const char *unit, int times)
{
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)times] = 0;
    return s;
}

START_TEST(lengths_and_types)
{
    size_t before = partner_total();
    char *a301 = repeat("a", 301), *z300 = repeat("\xc5\xbc", 300), *z301 = repeat("\xc5\xbc", 301);
    char *s61 = repeat("s", 61), *c4001 = repeat("c", 4001);
    char *contacts = malloc(21 * 16 + 8);
    strcpy(contacts, "[");
    for (int i = 0; i < 21; i++)
        strcat(contacts, i ? ",{\"name\":\"K\"}" : "{\"name\":\"K\"}");
    strcat(contacts, "]");
    struct {
        char *body;
        const char *field, *code;
    } bad[] = {
        {strdup(fmt("{\"name\":\"%s\",\"sector\":\"ngo\"}", a301)), "name", "max_length"},
        {strdup(fmt("{\"name\":\"%s\",\"sector\":\"ngo\"}", z301)), "name", "max_length"},
        {strdup(fmt("{\"name\":\"x\",\"sector\":\"ngo\",\"short_name\":\"%s\"}", s61)),
         "short_name", "max_length"},
        {strdup(fmt("{\"name\":\"x\",\"sector\":\"ngo\",\"competences\":\"%.1500s\"}", c4001)),
         NULL, NULL}, /* placeholder replaced below */
        {strdup(fmt("{\"name\":\"x\",\"sector\":\"ngo\",\"contacts\":%s}", contacts)), "contacts",
         "max"},
        {strdup("{\"name\":5,\"sector\":\"ngo\"}"), "name", "type"},
        {strdup("{\"name\":[\"x\"],\"sector\":\"ngo\"}"), "name", "type"},
        {strdup("{\"name\":\"x\",\"sector\":5}"), "sector", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"is_leader\":\"true\"}"), "is_leader", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"is_leader\":1}"), "is_leader", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"contacts\":{}}"), "contacts", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"contacts\":[\"Jan\"]}"), "contacts[0]",
         "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"identifiers\":\"PL123\"}"), "identifiers",
         "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"identifiers\":{\"nip\":5260250274}}"),
         "identifiers.nip", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"address\":[]}"), "address", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"declaration\":{\"signed_on\":20260101}}"),
         "declaration.signed_on", "type"},
        {strdup("{\"name\":\"x\",\"sector\":\"ngo\",\"website\":\"javascript:alert(1)\"}"),
         "website", "format"},
    };
    free(bad[3].body);
    char *big = malloc(4100 + 64);
    snprintf(big, 4164, "{\"name\":\"x\",\"sector\":\"ngo\",\"competences\":\"%s\"}", c4001);
    bad[3].body = big;
    bad[3].field = "competences";
    bad[3].code = "max_length";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp *r = post_raw(bad[i].body, strlen(bad[i].body));
        ck_assert_msg(r->status == 422, "%.80s: %ld %s", bad[i].body, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "body");
        resp_free(r);
        free(bad[i].body);
    }
    ck_assert_uint_eq(partner_total(), before);
    /* lengths count characters, not bytes: 300 "ż" (600 bytes) fit */
    char *body = strdup(fmt("{\"name\":\"%s\",\"sector\":\"ngo\"}", z300));
    struct resp *r = post_raw(body, strlen(body));
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_str_eq(jstr(r->json, "name"), z300);
    resp_free(r);
    free(body);
    ck_assert_uint_eq(partner_total(), before + 1);
    free(a301);
    free(z300);
    free(z301);
    free(s61);
    free(c4001);
    free(contacts);
    healthy();
}
END_TEST

START_TEST(unicode_names_roundtrip)
{
    const struct world *w = world();
    const char *names[] = {
        "Fundacja „Dzieci Niczyje” – Łódź 🎈",
        "ŻÓŁTA ŁĄKA — Stowarzyszenie Gęślą Jaźń",
        "Zespół Szkół nr 1 w Ząbkowicach Śląskich",
        "Caf\xc3\xa9 Cafe\xcc\x81 (NFC i NFD)",
        "مركز المساعدة",
        "👨‍👩‍👧‍👦 Rodzina",
        "Robert'); DROP TABLE partners;--",
        "<script>alert('x')</script>",
        "Tab\tand\\backslash \"quoted\"",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *o =
            json_pack("{s:s, s:s}", "name", fmt("%s %d", names[i], (int)getpid()), "sector", "ngo");
        char *body = jdump(o);
        struct resp *r = api("POST", "/v1/partners", w->admin_a, body);
        ck_assert_msg(r->status == 201, "%s: %ld %s", names[i], r->status, r->body);
        ck_assert_str_eq(jstr(r->json, "name"), jstr(o, "name"));
        char *again = record_of(fmt("/v1/partners/%s", jstr(r->json, "id")), w->admin_a);
        json_t *g = json_loads(again, 0, NULL);
        ck_assert_str_eq(jstr(g, "name"), jstr(o, "name"));
        json_decref(g);
        free(again);
        resp_free(r);
        free(body);
        json_decref(o);
    }
    /* found again without diacritics, in any case */
    struct resp *r = api("GET", fmt("/v1/partners?q=%s", "lodz%20%F0%9F%8E%88"), w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    r = api("GET", "/v1/partners?q=ZOLTA%20LAKA", w->admin_a, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r->json, "items")), 1);
    resp_free(r);
    healthy();
}
END_TEST

TCase *tcase_robustness_bodies(void)
{
    TCase *tc = tcase_create("bodies");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, undecodable_json_is_400);
    tcase_add_test(tc, nul_bytes_are_400);
    tcase_add_test(tc, top_level_non_object_is_422);
    tcase_add_test(tc, deep_nesting_is_400);
    tcase_add_test(tc, body_over_limit_with_content_length_is_413);
    tcase_add_test(tc, chunked_bodies);
    tcase_add_test(tc, content_types);
    tcase_add_test(tc, empty_bodies_are_422_required);
    tcase_add_test(tc, lengths_and_types);
    tcase_add_test(tc, unicode_names_roundtrip);
    return tc;
}
