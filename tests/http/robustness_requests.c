/* Robustness: abusive queries, offsets, path ids, long paths and headers,
 * If-Match out of range, SQL and wildcards in search, request ids, forged
 * cursors, a keep-alive burst; and the daemon healthy after it all. */
#include "robustness.h"

/* How many partners a search for q (percent-encoded) finds. */
static size_t count(const char *token, const char *q_encoded)
{
    struct resp *r =
        direct("GET", fmt("/v1/partners?limit=200&q=%s", q_encoded), token, NULL, NULL);
    ck_assert_msg(r->status == 200, "q=%s: %ld %s", q_encoded, r->status, r->body);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    resp_free(r);
    return n;
}

START_TEST(query_abuse)
{
    const struct world *w = world();
    struct {
        const char *q, *field, *code;
    } bad[] = {
        {"?limit=1000000", "limit", "max"},
        {"?limit=-1", "limit", "min"},
        {"?limit=99999999999999999999", "limit", "type"},
        {"?limit=0x10", "limit", "type"},
        {"?limit=%201", "limit", "type"},
        {"?limit", "limit", "type"},
        {"?foo=1", "foo", "unknown_field"},
        {"?Status=active", "Status", "unknown_field"},
        {"?status=active&status=invited", "status", NULL},
        {"?limit=5&limit=5", "limit", NULL},
        {"?q=%FF%FE", "q", "format"},
        {"?q=%C0%AF", "q", "format"},
        {"?updated_since=2026-02-30T00:00:00Z", "updated_since", "format"},
        {"?updated_since=2026-01-01T25:00:00Z", "updated_since", "format"},
        {"?sort=name;DROP%20TABLE%20partners", "sort", "enum"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp *r = direct("GET", fmt("/v1/partners%s", bad[i].q), w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 422, "%s: %ld %s", bad[i].q, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].field, bad[i].code, "query");
        resp_free(r);
    }
    /* an over-long q, and a q of only a NUL */
    char q[320] = "?q=";
    memset(q + 3, 'a', 201);
    q[204] = 0;
    struct resp *r = direct("GET", fmt("/v1/partners%s", q), w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "q", "max_length", "query");
    resp_free(r);
    r = direct("GET", "/v1/partners?q=%00", w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "q", NULL, "query");
    resp_free(r);
    /* 30 parameters: more than the daemon keeps */
    char many[1024] = "/v1/partners?";
    for (int i = 0; i < 30; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sp%d=%d", i ? "&" : "", i, i);
    r = direct("GET", many, w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    ck_error(r, "query", "max", "query");
    resp_free(r);
    /* 30 repeats of one known parameter */
    char rep[1024] = "/v1/partners?";
    for (int i = 0; i < 30; i++)
        snprintf(rep + strlen(rep), sizeof rep - strlen(rep), "%slimit=%d", i ? "&" : "", i + 1);
    r = direct("GET", rep, w->admin_a, NULL, NULL);
    ck_problem(r, 422, "validation_failed");
    resp_free(r);
    /* odd but valid values are fine */
    const char *odd[] = {"?updated_since=2026-01-01T00:00:00.123456789Z",
                         "?updated_since=2026-06-30T23:59:60Z",
                         "?updated_since=0001-01-01T00:00:00Z",
                         "?updated_since=2026-01-01T12:00:00-12:00",
                         "?limit=0200",
                         "?q=%20%20"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        r = direct("GET", fmt("/v1/partners%s", odd[i]), w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 200, "%s: %ld %s", odd[i], r->status, r->body);
        resp_free(r);
    }
    /* the same rules on the events feed */
    const char *ev[] = {"?after=-1",
                        "?after=abc",
                        "?limit=201",
                        "?types=partner",
                        "?types=Partner.Created",
                        "?after=99999999999999999999",
                        "?wait=5x"};
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        r = direct("GET", fmt("/v1/events%s", ev[i]), w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 422, "events%s: %ld %s", ev[i], r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        resp_free(r);
    }
    healthy();
}
END_TEST

START_TEST(large_utc_offsets)
{
    /* RFC 3339 allows offsets up to ±23:59 and the field spec accepts them;
     * PostgreSQL only takes ±15:59. Either the value works, or the 422 names
     * the parameter like every other validation error. */
    const struct world *w = world();
    const char *q[] = {"?updated_since=2026-01-01T00:00:00%2B18:00",
                       "?updated_since=2026-01-01T00:00:00-23:59"};
    for (int i = 0; i < 2; i++) {
        struct resp *r = direct("GET", fmt("/v1/partners%s", q[i]), w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 200 ||
                          (r->status == 422 && problem_error(r, "updated_since", NULL, "query")),
                      "%s: %ld %s", q[i], r->status, r->body);
        resp_free(r);
    }
    healthy();
}
END_TEST

START_TEST(garbage_path_ids_are_422)
{
    const struct world *w = world();
    struct {
        const char *method, *path, *param;
    } bad[] = {
        {"GET", "/v1/partners/not-a-uuid", "partner_id"},
        {"GET", "/v1/partners/0190aaaa-bbbb-7ccc-8ddd-eeeeffff000", "partner_id"},
        {"GET", "/v1/partners/0190aaaa-bbbb-7ccc-8ddd-eeeeffff00000", "partner_id"},
        {"GET", "/v1/partners/0190aaaabbbb7ccc8dddeeeeffff0000", "partner_id"},
        {"GET", "/v1/partners/%27%20OR%201=1%20--", "partner_id"},
        {"PATCH", "/v1/partners/123", "partner_id"},
        {"DELETE", "/v1/partners/null", "partner_id"},
        {"POST", "/v1/partners/xyz/transitions", "partner_id"},
        {"GET", "/v1/partners/0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000/agreements/1", "agreement_id"},
        {"GET", "/v1/partners/0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000/benefits/zzz", "benefit_id"},
        {"GET", "/v1/users/me/tokens", "user_id"},
        {"GET", "/v1/tenants/-1", "tenant_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resp *r = direct(
            bad[i].method, bad[i].path, w->admin_a,
            strcmp(bad[i].method, "GET") && strcmp(bad[i].method, "DELETE") ? "{}" : NULL, NULL);
        ck_assert_msg(r->status == 422, "%s %s: %ld %s", bad[i].method, bad[i].path, r->status,
                      r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, bad[i].param, "format", "path");
        resp_free(r);
    }
    /* path tricks never reach a file or a 5xx */
    struct resp *t = direct("GET", "/v1/partners/..%2F..%2Fetc%2Fpasswd", w->admin_a, NULL, NULL);
    ck_assert_msg(t->status == 404 || t->status == 422, "%ld %s", t->status, t->body);
    ck_problem(t, t->status, t->status == 404 ? "not_found" : "validation_failed");
    resp_free(t);
    /* an upper-case UUID is a UUID: just not found */
    struct resp *r =
        direct("GET", "/v1/partners/0190AAAA-BBBB-7CCC-8DDD-EEEEFFFF0000", w->admin_a, NULL, NULL);
    ck_problem(r, 404, "not_found");
    resp_free(r);
    healthy();
}
END_TEST

START_TEST(long_paths_and_headers)
{
    const struct world *w = world();
    /* a 5000-character id and a 100 kB path */
    size_t n = 5000;
    char *path = malloc(n + 64);
    strcpy(path, "/v1/partners/");
    memset(path + strlen(path), 'a', n);
    path[13 + n] = 0;
    struct resp *r = direct("GET", path, w->admin_a, NULL, NULL);
    ck_assert_msg(r->status >= 400 && r->status < 500, "long path: %ld %s", r->status, r->body);
    if (r->status != 414)
        ck_problem(r, r->status, r->status == 404 ? "not_found" : "validation_failed");
    resp_free(r);
    free(path);
    n = 100000;
    path = malloc(n + 64);
    strcpy(path, "/v1/partners/");
    memset(path + strlen(path), 'b', n);
    path[13 + n] = 0;
    char *req = malloc(n + 256);
    int len = snprintf(req, n + 256,
                       "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
    r = raw_tcp(req, (size_t)len, 15);
    /* refused (414/431/400) or the connection dropped; never a 5xx */
    ck_assert_msg(r->status == 0 || (r->status >= 400 && r->status < 500), "100 kB path: %ld",
                  r->status);
    resp_free(r);
    free(req);
    free(path);
    healthy();
    /* a huge bearer token */
    char *tok = malloc(20001);
    memset(tok, 'k', 20000);
    tok[20000] = 0;
    char *h = malloc(20100);
    snprintf(h, 20100, "Authorization: Bearer %s", tok);
    const char *hs[] = {h, NULL};
    r = direct("GET", "/v1/me", NULL, NULL, hs);
    ck_assert_msg(r->status == 401 || r->status == 431 || r->status == 400 || r->status == 0,
                  "huge token: %ld %s", r->status, r->body);
    if (r->status == 401)
        ck_problem(r, 401, "unauthorized");
    resp_free(r);
    free(h);
    free(tok);
    LOCALF(pa, "/v1/partners/%s", w->partner_a);
    /* unknown methods on known paths */
    const char *methods[] = {"PUT", "TRACE", "PROPFIND", "BREW"};
    for (size_t i = 0; i < 4; i++) {
        r = direct(methods[i], pa, w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 405 || r->status == 501, "%s: %ld", methods[i], r->status);
        if (r->status == 405) {
            ck_problem(r, 405, "method_not_allowed");
            ck_assert_ptr_nonnull(strstr(resp_header(r, "Allow"), "PATCH"));
        }
        resp_free(r);
    }
    healthy();
}
END_TEST

START_TEST(if_match_out_of_range_is_412)
{
    const struct world *w = world();
    LOCALF(pa, "/v1/partners/%s", w->partner_a);
    /* an If-Match beyond any version is a mismatch, not a server error */
    long long v = version_of(pa, w->admin_a);
    const char *ifm[] = {"\"9999999999\"", "\"2147483648\"", "\"00000000001\"", "\"-1\"",
                         "\"\"",           "\"1 \"",         "\"\xc5\x9b\""};
    for (size_t i = 0; i < sizeof ifm / sizeof ifm[0]; i++) {
        struct resp *r = direct_if("PATCH", pa, w->admin_a, "{\"competences\":\"x\"}", ifm[i]);
        ck_assert_msg(r->status == 412, "If-Match %s: %ld %s", ifm[i], r->status, r->body);
        ck_problem(r, 412, "precondition_failed");
        resp_free(r);
    }
    ck_assert_int_eq(version_of(pa, w->admin_a), v);
    healthy();
}
END_TEST

START_TEST(sql_and_wildcards_in_search)
{
    char tenant[37], admin[80];
    fresh_tenant(tenant, admin, NULL);
    char id[37];
    const char *names[] = {"Stowarzyszenie 100% Pomocy", "Klub_Sportowy Orzeł", "Zwykły Partner",
                           "Back\\slash Fundacja"};
    for (int i = 0; i < 4; i++) {
        json_t *o = json_pack("{s:s, s:s}", "name", names[i], "sector", "ngo");
        char *body = jdump(o);
        struct resp *r = direct("POST", "/v1/partners", admin, body, NULL);
        ck_assert_int_eq(r->status, 201);
        snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
        resp_free(r);
        free(body);
        json_decref(o);
    }
    const char *sqlish[] = {"%27%20OR%201%3D1%20--",
                            "%27%3B%20DROP%20TABLE%20partners%3B%20--",
                            "%22%29%29%3B",
                            "%5C",
                            "%25_%25",
                            "%27%27",
                            "%24%24",
                            "%24%31",
                            "%3A%3Atext",
                            "%5Cx00"};
    for (size_t i = 0; i < sizeof sqlish / sizeof sqlish[0]; i++) {
        size_t n = count(admin, sqlish[i]);
        if (strcmp(sqlish[i], "%5C") == 0)
            ck_assert_uint_eq(n, 1); /* the backslash name */
        else
            ck_assert_msg(n == 0, "q=%s found %zu", sqlish[i], n);
    }
    /* LIKE wildcards are literal */
    ck_assert_uint_eq(count(admin, "%25"), 1);
    ck_assert_uint_eq(count(admin, "100%25"), 1);
    ck_assert_uint_eq(count(admin, "_"), 1);
    ck_assert_uint_eq(count(admin, "klub_"), 1);
    ck_assert_uint_eq(count(admin, "klub%25"), 0);
    ck_assert_uint_eq(count(admin, "%25%25"), 0);
    /* everything is still there */
    struct resp *r = direct("GET", "/v1/partners?limit=200", admin, NULL, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(r->json, "items")), 4);
    resp_free(r);
    healthy();
}
END_TEST

START_TEST(request_id_injection)
{
    const char *bad[] = {
        "X-Request-Id: abc def",
        "X-Request-Id: a\"b",
        "X-Request-Id: <script>alert(1)</script>",
        "X-Request-Id: x%0D%0ASet-Cookie:%20evil=1",
        "X-Request-Id: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
        "X-Request-Id: za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87",
        "X-Request-Id: ../../etc/passwd",
        "X-Request-Id: a;b=c",
        "X-Request-Id: ${jndi:ldap://x}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *h[] = {bad[i], NULL};
        struct resp *r = direct("GET", "/v1/partners/not-a-uuid", NULL, NULL, h);
        ck_assert_int_eq(r->status, 422);
        const char *id = resp_header(r, "X-Request-Id");
        ck_assert_ptr_nonnull(id);
        ck_assert_msg(strlen(id) == 36 && strcmp(id, bad[i] + 14) != 0, "%s echoed as %s", bad[i],
                      id);
        ck_assert_str_eq(jstr(r->json, "request_id"), resp_header(r, "X-Request-Id"));
        ck_assert_ptr_null(resp_header(r, "Set-Cookie"));
        ck_assert_ptr_null(strstr(r->body, "evil"));
        ck_assert_ptr_null(strstr(r->body, "script"));
        resp_free(r);
    }
    /* a CR smuggled in a raw request is not a second header */
    const char raw[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                       "X-Request-Id: abc\rSet-Cookie: evil=1\r\nConnection: close\r\n\r\n";
    struct resp *r = raw_tcp(raw, sizeof raw - 1, 10);
    ck_assert_msg(r->status == 200 || r->status == 400 || r->status == 0, "%ld", r->status);
    ck_assert_ptr_null(resp_header(r, "Set-Cookie"));
    resp_free(r);
    healthy();
}
END_TEST

START_TEST(request_id_of_64_characters_is_echoed_whole)
{
    /* koop_request_id_ok accepts up to 64 characters: all of them come back */
    const char *good = "X-Request-Id: "
                       "abcdefghij-ABCDEFGHIJ_0123456789.abcdefghij-ABCDEFGHIJ_012345678";
    const char *h[] = {good, NULL};
    struct resp *r = direct("GET", "/healthz", NULL, NULL, h);
    ck_assert_str_eq(resp_header(r, "X-Request-Id"), good + 14);
    resp_free(r);
    const char *h63[] = {
        "X-Request-Id: abcdefghij-ABCDEFGHIJ_0123456789.abcdefghij-ABCDEFGHIJ_01234567", NULL};
    r = direct("GET", "/healthz", NULL, NULL, h63);
    ck_assert_str_eq(resp_header(r, "X-Request-Id"), h63[0] + 14);
    resp_free(r);
}
END_TEST

START_TEST(forged_cursors_are_422)
{
    const struct world *w = world();
    /* structurally valid cursors whose key the database cannot read */
    const char *docs[] = {
        "{\"s\":\"created_at\",\"k\":\"garbage\",\"i\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\"}",
        "{\"s\":\"created_at\",\"k\":12345,\"i\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\"}",
        "{\"s\":\"-updated_at\",\"k\":\"2026-13-45\",\"i\":\"0190aaaa-bbbb-7ccc-8ddd-"
        "eeeeffff0000\"}",
        "{\"s\":\"name\",\"k\":\"x\",\"i\":\"not-a-uuid\"}",
        "{\"s\":\"name\",\"k\":{\"$gt\":\"\"},\"i\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\"}",
        "{\"s\":\"name\",\"k\":\"x\",\"i\":\"0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000\",\"x\":1}",
        "[1,2,3]",
    };
    const char *sorts[] = {"created_at", "created_at", "-updated_at", "name",
                           "name",       "name",       "name"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        /* base64url without padding */
        static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const unsigned char *s = (const unsigned char *)docs[i];
        size_t n = strlen(docs[i]);
        char enc[512], *o = enc;
        for (size_t j = 0; j < n; j += 3) {
            unsigned v = (unsigned)s[j] << 16 | (j + 1 < n ? (unsigned)s[j + 1] << 8 : 0) |
                         (j + 2 < n ? s[j + 2] : 0);
            *o++ = al[v >> 18 & 63];
            *o++ = al[v >> 12 & 63];
            if (j + 1 < n)
                *o++ = al[v >> 6 & 63];
            if (j + 2 < n)
                *o++ = al[v & 63];
        }
        *o = 0;
        struct resp *r = direct("GET", fmt("/v1/partners?sort=%s&cursor=%s", sorts[i], enc),
                                w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 422, "cursor %s: %ld %s", docs[i], r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, "cursor", NULL, "query");
        resp_free(r);
    }
    healthy();
}
END_TEST

START_TEST(keep_alive_burst)
{
    const struct world *w = world();
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char auth[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", w->admin_a);
    hl = curl_slist_append(hl, auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const char *base = env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
    long connects = 0;
    for (int i = 0; i < 100; i++) {
        struct sink b = {0};
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        const char *path = i % 3 == 0   ? "/healthz"
                           : i % 3 == 1 ? "/v1/partners?limit=2"
                                        : fmt("/v1/partners/%s", w->partner_a);
        curl_easy_setopt(c, CURLOPT_URL, fmt("%s%s", base, path));
        ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
        long status = 0, nc = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nc);
        ck_assert_msg(status == 200, "request %d (%s): %ld %s", i, path, status, b.p ? b.p : "");
        connects += nc;
        free(b.p);
    }
    ck_assert_msg(connects == 1, "100 requests used %ld connections", connects);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    healthy();
}
END_TEST

/* A raw request's answer is the problem status (problem+json), or (ok0) a
 * connection closed without an answer. */
static void ck_raw(const char *req, size_t len, long status, const char *code, bool ok0)
{
    struct resp *r = raw_tcp(req, len, 15);
    if (ok0 && r->status == 0) {
        resp_free(r);
        return;
    }
    ck_assert_msg(r->status == status, "%.60s...: %ld %.200s", req, r->status, r->body);
    if (code)
        ck_problem(r, status, code);
    resp_free(r);
}

START_TEST(malformed_requests_are_problems)
{
    const struct world *w = world();
    /* NUL and other control characters in query values: the value is not cut short */
    struct {
        const char *q, *field;
    } ctl[] = {{"?q=a%00b", "q"},
               {"?q=ab%00", "q"},
               {"?q=a%01b", "q"},
               {"?q=a%0Ab", "q"},
               {"?q=a%7Fb", "q"},
               {"?limit=5%00", "limit"},
               {"?sector=ngo%00x", "sector"}};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++) {
        struct resp *r = direct("GET", fmt("/v1/partners%s", ctl[i].q), w->admin_a, NULL, NULL);
        ck_assert_msg(r->status == 422, "%s: %ld %s", ctl[i].q, r->status, r->body);
        ck_problem(r, 422, "validation_failed");
        ck_error(r, ctl[i].field, "format", "query");
        resp_free(r);
    }
    /* HTTP/1.1 without Host is 400; HTTP/1.0 needs none */
    const char nohost[] = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_raw(nohost, sizeof nohost - 1, 400, "malformed_request", false);
    const char old[] = "GET /healthz HTTP/1.0\r\n\r\n";
    ck_raw(old, sizeof old - 1, 200, NULL, false);
    /* a request line MHD cannot split into method, target and version: MHD
     * 0.9.75 closes the connection without calling the application (no
     * answer is possible); one with an extra word gets MHD's own 400 */
    const char garbage[] = "GARBAGE\r\n\r\n";
    ck_raw(garbage, sizeof garbage - 1, 400, NULL, true);
    const char extra[] = "GET /healthz HTTP/1.1 junk\r\nHost: x\r\n\r\n";
    ck_raw(extra, sizeof extra - 1, 400, NULL, true);
    /* a request target over 8192 bytes: 414 */
    size_t n = 10000;
    char *req = malloc(n + 256);
    int len = snprintf(req, n + 256,
                       "GET /v1/partners?q=%0*d HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\n\r\n",
                       (int)n, 0);
    ck_raw(req, (size_t)len, 414, "uri_too_long", false);
    free(req);
    /* 40 kB of headers, and 80 header lines: 431 */
    char *big = malloc(50000);
    len = snprintf(big, 50000, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (int i = 0; i < 4; i++)
        len += snprintf(big + len, (size_t)(50000 - len), "X-Big-%d: %0*d\r\n", i, 10000, 0);
    len += snprintf(big + len, (size_t)(50000 - len), "\r\n");
    ck_raw(big, (size_t)len, 431, "headers_too_large", false);
    len = snprintf(big, 50000, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (int i = 0; i < 80; i++)
        len += snprintf(big + len, (size_t)(50000 - len), "X-Line-%d: %d\r\n", i, i);
    len += snprintf(big + len, (size_t)(50000 - len), "\r\n");
    ck_raw(big, (size_t)len, 431, "headers_too_large", false);
    free(big);
    /* a chunked body over the limit: 413 (chunked_bodies in robustness_bodies.c
     * checks the same through libcurl); here raw, with no end in sight, the
     * daemon stops reading and closes rather than read on */
    char head[512];
    len = snprintf(head, sizeof head,
                   "POST /v1/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                   w->admin_a);
    size_t total = 8 * 1024 * 1024;
    char *chunked = malloc(total + 1024);
    memcpy(chunked, head, (size_t)len);
    size_t off = (size_t)len;
    while (off + 70000 < total) {
        off += (size_t)sprintf(chunked + off, "10000\r\n");
        memset(chunked + off, ' ', 0x10000);
        off += 0x10000;
        off += (size_t)sprintf(chunked + off, "\r\n");
    }
    time_t t0 = time(NULL);
    struct resp *r = raw_tcp(chunked, off, 20);
    ck_assert_msg(r->status == 0 || r->status == 413, "8 MB chunked: %ld", r->status);
    if (r->status == 413)
        ck_problem(r, 413, "payload_too_large");
    ck_assert_msg(time(NULL) - t0 < 15, "the daemon read on");
    resp_free(r);
    free(chunked);
    healthy();
}
END_TEST

START_TEST(healthy_after_the_corpus)
{
    const struct world *w = world();
    healthy();
    struct resp *r = direct("GET", "/readyz", NULL, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    char id[37];
    make_partner(w->admin_a, uniq("Po burzy"), id);
    r = api("GET", fmt("/v1/partners/%s", id), w->coord_a, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    /* no 500 was counted on the routes used by these tests */
    r = direct("GET", "/metrics", w->platform, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    int bad = 0;
    for (char *line = r->body; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        if (strstr(line, "status=\"500\"")) {
            fprintf(stderr, "metrics: %s\n", line);
            if (strstr(line, "route=\"/v1/partners") || strstr(line, "route=\"/healthz") ||
                strstr(line, "route=\"/v1/events") || strstr(line, "route=\"/v1/me") ||
                strstr(line, "route=\"(unmatched)"))
                bad++;
        }
        line = end ? end + 1 : NULL;
    }
    resp_free(r);
    ck_assert_msg(bad == 0, "%d metrics lines count a 500 on the routes used here (see stderr)",
                  bad);
}
END_TEST

TCase *tcase_robustness_requests(void)
{
    TCase *tc = tcase_create("requests");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, query_abuse);
    tcase_add_test(tc, large_utc_offsets);
    tcase_add_test(tc, garbage_path_ids_are_422);
    tcase_add_test(tc, long_paths_and_headers);
    tcase_add_test(tc, if_match_out_of_range_is_412);
    tcase_add_test(tc, sql_and_wildcards_in_search);
    tcase_add_test(tc, request_id_injection);
    tcase_add_test(tc, request_id_of_64_characters_is_echoed_whole);
    tcase_add_test(tc, forged_cursors_are_422);
    tcase_add_test(tc, keep_alive_burst);
    tcase_add_test(tc, malformed_requests_are_problems);
    return tc;
}

TCase *tcase_robustness_health(void)
{
    TCase *tc = tcase_create("health");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, healthy_after_the_corpus);
    return tc;
}
