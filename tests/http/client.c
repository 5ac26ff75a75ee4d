#include "client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

struct buf {
    char *p;
    size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t add = size * nmemb;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np)
        return 0;
    memcpy(np + b->n, ptr, add);
    b->p = np;
    b->n += add;
    b->p[b->n] = 0;
    return add;
}

struct resp *http_raw(const char *base, const char *method, const char *path, const char *token,
                      const char *body, size_t len, const char *const *headers)
{
    struct resp *r = calloc(1, sizeof *r);
    CURL *c = curl_easy_init();
    char url[4096];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct buf b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    char auth[20000]; /* JWT access tokens are long */
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hl = curl_slist_append(hl, auth);
    }
    bool has_ct = false;
    for (const char *const *p = headers; p && *p; p++) {
        hl = curl_slist_append(hl, *p);
        if (strncasecmp(*p, "Content-Type:", 13) == 0)
            has_ct = true;
    }
    if (body && !has_ct)
        hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    r->body = b.p ? b.p : strdup("");
    r->len = b.n;
    r->headers = h.p ? h.p : strdup("");
    r->json = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    return r;
}

struct resp *http_req(const char *base, const char *method, const char *path, const char *token,
                      const char *body, const char *const *headers)
{
    return http_raw(base, method, path, token, body, body ? strlen(body) : 0, headers);
}

struct resp *api_h(const char *method, const char *path, const char *token, const char *body,
                   const char *const *headers)
{
    return http_req(env_or("KOOP_TEST_URL", "http://127.0.0.1:8080"), method, path, token, body,
                    headers);
}

struct resp *api(const char *method, const char *path, const char *token, const char *body)
{
    return api_h(method, path, token, body, NULL);
}

struct resp *direct(const char *method, const char *path, const char *token, const char *body,
                    const char *const *headers)
{
    return http_req(env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080"), method, path, token,
                    body, headers);
}

const char *resp_header(const struct resp *r, const char *name)
{
    static __thread char val[1024];
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - line);
            if (vl >= sizeof val)
                vl = sizeof val - 1;
            memcpy(val, v, vl);
            val[vl] = 0;
            return val;
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

void resp_free(struct resp *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    free(r);
}

const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

char *jdump(const json_t *o)
{
    return json_dumps(o, JSON_COMPACT);
}

const char *uniq(const char *prefix)
{
    static __thread char buf[128];
    static int counter;
    snprintf(buf, sizeof buf, "%s %d-%d", prefix, (int)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
    return buf;
}

/* ---- fixtures ---- */

static struct world W;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void must(struct resp *r, long want, const char *what)
{
    if (r->status != want) {
        fprintf(stderr, "fixture %s: want %ld, got %ld: %s\n", what, want, r->status, r->body);
        exit(3);
    }
}

static void mk_tenant(const char *name, const char *teryt, const char *voivodeship, char out[37])
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"teryt\":\"%s\",\"kind\":\"gmina_miejska\",\"voivodeship\":\"%s\"}",
             name, teryt, voivodeship);
    struct resp *r = direct("POST", "/v1/tenants", W.platform, body, NULL);
    must(r, 201, "create tenant");
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

/* Creates a user in tenant (NULL: platform level) and a token for it. */
static void mk_user(const char *tenant, const char *role, const char *partner, char tok[80],
                    char id_out[37])
{
    char path[128], body[512], email[128];
    static int n;
    snprintf(email, sizeof email, "u%d-%d@test.example", (int)getpid(), ++n);
    if (tenant)
        snprintf(path, sizeof path, "/v1/tenants/%s/users", tenant);
    else
        snprintf(path, sizeof path, "/v1/users");
    if (partner)
        snprintf(body, sizeof body,
                 "{\"name\":\"Test %s\",\"email\":\"%s\",\"role\":\"%s\",\"partner_id\":\"%s\"}",
                 role, email, role, partner);
    else
        snprintf(body, sizeof body, "{\"name\":\"Test %s\",\"email\":\"%s\",\"role\":\"%s\"}", role,
                 email, role);
    /* a platform admin makes platform users and a tenant's first admin (whose
     * token comes in the answer); the tenant's admin makes its other users */
    const char *admin = !tenant ? W.platform : !strcmp(tenant, W.tenant_a) ? W.admin_a : W.admin_b;
    bool first_admin = tenant && !strcmp(role, "admin");
    if (tenant && !first_admin)
        snprintf(path, sizeof path, "/v1/users");
    struct resp *r = direct("POST", path, first_admin ? W.platform : admin, body, NULL);
    must(r, 201, "create user");
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    if (id_out)
        snprintf(id_out, 37, "%s", id);
    if (first_admin) {
        snprintf(tok, 80, "%s", jstr(json_object_get(r->json, "token"), "token"));
        resp_free(r);
        return;
    }
    resp_free(r);
    snprintf(path, sizeof path, "/v1/users/%s/tokens", id);
    r = direct("POST", path, admin, "{\"name\":\"test\"}", NULL);
    must(r, 201, "create token");
    snprintf(tok, 80, "%s", jstr(r->json, "token"));
    resp_free(r);
}

static void build_world(void)
{
    snprintf(W.platform, sizeof W.platform, "%s", env_or("KOOP_TEST_PLATFORM_TOKEN", ""));
    /* teryt codes must be unique per run: derive from the pid */
    char t1[16], t2[16];
    int p = (int)getpid() % 90 + 10;
    snprintf(t1, sizeof t1, "24%02d011", p);
    snprintf(t2, sizeof t2, "12%02d011", p);
    mk_tenant("Gmina Testowa A", t1, "slaskie", W.tenant_a);
    mk_tenant("Gmina Testowa B", t2, "malopolskie", W.tenant_b);
    mk_user(W.tenant_a, "admin", NULL, W.admin_a, W.admin_a_id);
    mk_user(W.tenant_b, "admin", NULL, W.admin_b, NULL);
    make_partner(W.admin_a, "Partner A (MOPS)", W.partner_a);
    make_partner(W.admin_b, "Partner B", W.partner_b);
    mk_user(W.tenant_a, "coordinator", NULL, W.coord_a, NULL);
    mk_user(W.tenant_a, "social_worker", NULL, W.social_a, NULL);
    mk_user(W.tenant_a, "partner_staff", W.partner_a, W.staff_a, W.staff_a_id);
    mk_user(W.tenant_a, "auditor", NULL, W.auditor_a, NULL);
    mk_user(W.tenant_b, "partner_staff", W.partner_b, W.staff_b, NULL);
    mk_user(NULL, "regional_analyst", NULL, W.analyst, NULL);
}

const struct world *world(void)
{
    pthread_once(&once, build_world);
    return &W;
}

char *partner_body(const char *name, const char *sector)
{
    json_t *o = json_pack("{s:s, s:s}", "name", name, "sector", sector ? sector : "ngo");
    char *s = jdump(o);
    json_decref(o);
    return s;
}

void make_partner(const char *token, const char *name, char out[37])
{
    char *body = partner_body(name, "social_assistance");
    struct resp *r = direct("POST", "/v1/partners", token, body, NULL);
    free(body);
    must(r, 201, "create partner");
    snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
}

/* ---- helpers of the auth, partners and robustness suites ---- */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>

const char *fmt(const char *f, ...)
{
    static __thread char bufs[16][2048];
    static __thread int next;
    char *b = bufs[next++ % 16];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof bufs[0], f, ap);
    va_end(ap);
    return b;
}

const char *etag(long long v)
{
    return fmt("\"%lld\"", v);
}

static struct resp *with_if(const char *base, const char *method, const char *path,
                            const char *token, const char *body, const char *if_match)
{
    char h[256];
    const char *hs[] = {h, NULL};
    if (if_match)
        snprintf(h, sizeof h, "If-Match: %s", if_match);
    return http_req(base, method, path, token, body, if_match ? hs : NULL);
}

struct resp *api_if(const char *method, const char *path, const char *token, const char *body,
                    const char *if_match)
{
    return with_if(env_or("KOOP_TEST_URL", "http://127.0.0.1:8080"), method, path, token, body,
                   if_match);
}

struct resp *direct_if(const char *method, const char *path, const char *token, const char *body,
                       const char *if_match)
{
    return with_if(env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080"), method, path, token,
                   body, if_match);
}

struct resp *direct_raw(const char *method, const char *path, const char *token, const char *body,
                        size_t len, const char *const *headers)
{
    return http_raw(env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080"), method, path, token,
                    body, len, headers);
}

void check_problem(const struct resp *r, long status, const char *code, const char *file, int line)
{
    ck_assert_msg(r->status == status, "%s:%d: want %ld, got %ld: %s", file, line, status,
                  r->status, r->body);
    const char *ct = resp_header(r, "Content-Type");
    ck_assert_msg(ct && strcmp(ct, "application/problem+json") == 0,
                  "%s:%d: Content-Type %s for a problem", file, line, ct ? ct : "(none)");
    ck_assert_msg(r->json != NULL, "%s:%d: problem body is not JSON: %s", file, line, r->body);
    char type[96];
    snprintf(type, sizeof type, "/problems/%s", code);
    const char *t = jstr(r->json, "type");
    ck_assert_msg(t && strcmp(t, type) == 0, "%s:%d: want type %s: %s", file, line, type, r->body);
    ck_assert_msg(jint(r->json, "status") == status, "%s:%d: problem status: %s", file, line,
                  r->body);
    ck_assert_msg(jstr(r->json, "title") && jstr(r->json, "detail"),
                  "%s:%d: problem without title/detail: %s", file, line, r->body);
    const char *rid = resp_header(r, "X-Request-Id");
    ck_assert_msg(rid && jstr(r->json, "request_id") &&
                      strcmp(rid, jstr(r->json, "request_id")) == 0,
                  "%s:%d: request_id does not match X-Request-Id: %s", file, line, r->body);
    if (status == 422) {
        const json_t *e = json_object_get(r->json, "errors");
        ck_assert_msg(json_is_array(e) && json_array_size(e) > 0, "%s:%d: 422 without errors[]: %s",
                      file, line, r->body);
    }
}

const json_t *problem_error(const struct resp *r, const char *field, const char *code,
                            const char *in)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (field && (!jstr(e, "field") || strcmp(jstr(e, "field"), field)))
            continue;
        if (code && (!jstr(e, "code") || strcmp(jstr(e, "code"), code)))
            continue;
        if (in && (!jstr(e, "in") || strcmp(jstr(e, "in"), in)))
            continue;
        return e;
    }
    return NULL;
}

long long version_of(const char *path, const char *token)
{
    struct resp *r = direct("GET", path, token, NULL, NULL);
    long long v = r->status == 200 ? jint(r->json, "version") : -1;
    resp_free(r);
    return v;
}

char *record_of(const char *path, const char *token)
{
    struct resp *r = direct("GET", path, token, NULL, NULL);
    char *s = r->status == 200 ? strdup(r->body) : NULL;
    resp_free(r);
    return s;
}

void make_nip(long seed, char out[11])
{
    static const int w[] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    for (long s = seed;; s++) {
        snprintf(out, 11, "%09ld", 100000000 + (s % 800000000));
        int sum = 0;
        for (int i = 0; i < 9; i++)
            sum += w[i] * (out[i] - '0');
        if (sum % 11 != 10) {
            out[9] = (char)('0' + sum % 11);
            out[10] = 0;
            return;
        }
    }
}

static void must2(struct resp *r, long want, const char *what)
{
    if (r->status != want) {
        fprintf(stderr, "helper %s: want %ld, got %ld: %s\n", what, want, r->status, r->body);
        ck_abort_msg("helper %s: want %ld, got %ld: %s", what, want, r->status, r->body);
    }
}

void fresh_tenant(char tenant_id[37], char admin_token[80], char admin_id[37])
{
    static const struct {
        int ww;
        const char *name;
    } vv[] = {{2, "dolnoslaskie"},   {4, "kujawsko_pomorskie"}, {6, "lubelskie"},
              {8, "lubuskie"},       {10, "lodzkie"},           {14, "mazowieckie"},
              {16, "opolskie"},      {18, "podkarpackie"},      {20, "podlaskie"},
              {22, "pomorskie"},     {26, "swietokrzyskie"},    {28, "warminsko_mazurskie"},
              {30, "wielkopolskie"}, {32, "zachodniopomorskie"}};
    static int counter;
    long n = (long)getpid() * 8 + __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    char teryt[32];
    snprintf(teryt, sizeof teryt, "%02d%02ld%02ld%ld", vv[(n / 49500) % 14].ww, n % 99 + 1,
             (n / 99) % 100, (n / 9900) % 5 + 1);
    const char *platform = world()->platform;
    char body[256];
    snprintf(body, sizeof body,
             "{\"name\":\"Gmina Izolowana %ld\",\"teryt\":\"%s\",\"kind\":\"gmina_wiejska\","
             "\"voivodeship\":\"%s\"}",
             n, teryt, vv[(n / 49500) % 14].name);
    struct resp *r = direct("POST", "/v1/tenants", platform, body, NULL);
    must2(r, 201, "fresh tenant");
    snprintf(tenant_id, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    snprintf(body, sizeof body,
             "{\"name\":\"Admin %ld\",\"email\":\"admin%ld@fresh.example\",\"role\":\"admin\"}", n,
             n);
    r = direct("POST", fmt("/v1/tenants/%s/users", tenant_id), platform, body, NULL);
    must2(r, 201, "fresh tenant admin");
    if (admin_id)
        snprintf(admin_id, 37, "%s", jstr(r->json, "id"));
    /* the first admin's token comes with it, shown once */
    snprintf(admin_token, 80, "%s", jstr(json_object_get(r->json, "token"), "token"));
    resp_free(r);
}

void make_user(const char *admin_token, const char *role, const char *partner_id, char tok[80],
               char id_out[37])
{
    static int counter;
    int n = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", fmt("User %s %d", role, n), "email",
                          fmt("mu%d-%d@test.example", (int)getpid(), n), "role", role);
    if (partner_id)
        json_object_set_new(o, "partner_id", json_string(partner_id));
    char *body = jdump(o);
    json_decref(o);
    struct resp *r = direct("POST", "/v1/users", admin_token, body, NULL);
    free(body);
    must2(r, 201, "make_user");
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    if (id_out)
        snprintf(id_out, 37, "%s", id);
    resp_free(r);
    if (tok) {
        r = direct("POST", fmt("/v1/users/%s/tokens", id), admin_token, "{}", NULL);
        must2(r, 201, "make_user token");
        snprintf(tok, 80, "%s", jstr(r->json, "token"));
        resp_free(r);
    }
}

struct resp *raw_tcp(const char *request, size_t len, int timeout_s)
{
    return raw_tcp_from(NULL, request, len, timeout_s);
}

struct resp *raw_tcp_from(const char *src_ip, const char *request, size_t len, int timeout_s)
{
    struct resp *r = calloc(1, sizeof *r);
    const char *url = env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
    char host[64] = "127.0.0.1";
    int port = 8080;
    if (sscanf(url, "http://%63[^:]:%d", host, &port) < 2)
        port = 8080;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    struct buf b = {0};
    if (fd >= 0 && src_ip) { /* another loopback address (127.0.0.0/8 is all local) */
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, src_ip, &src.sin_addr);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = send(fd, request + off, len - off, MSG_NOSIGNAL);
            if (w <= 0)
                break; /* the server may close early: read what it said */
            off += (size_t)w;
        }
        time_t deadline = time(NULL) + timeout_s;
        char chunk[16384];
        for (;;) {
            int left = (int)(deadline - time(NULL));
            if (left <= 0)
                break;
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, left * 1000) <= 0)
                break;
            ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0)
                break;
            on_data(chunk, 1, (size_t)n, &b);
            /* stop once one whole response with Content-Length is in */
            const char *end = b.p ? strstr(b.p, "\r\n\r\n") : NULL;
            if (end) {
                struct resp tmp = {.headers = b.p};
                char save = *(char *)(end + 2);
                *(char *)(end + 2) = 0;
                const char *cl = resp_header(&tmp, "Content-Length");
                long want = cl ? atol(cl) : -1;
                *(char *)(end + 2) = save;
                if (want >= 0 && (long)(b.n - (size_t)(end + 4 - b.p)) >= want)
                    break;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    const char *all = b.p ? b.p : "";
    const char *end = strstr(all, "\r\n\r\n");
    if (strncmp(all, "HTTP/1.", 7) == 0)
        r->status = atol(all + 9);
    if (end) {
        r->headers = strndup(all, (size_t)(end + 2 - all));
        r->body = strndup(end + 4, b.n - (size_t)(end + 4 - all));
        r->len = strlen(r->body);
    } else {
        r->headers = strdup(all);
        r->body = strdup("");
    }
    r->json = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    free(b.p);
    return r;
}

long long last_event_id(const char *token)
{
    long long after = 0;
    for (int i = 0; i < 10000; i++) {
        struct resp *r =
            direct("GET", fmt("/v1/events?after=%lld&limit=200", after), token, NULL, NULL);
        if (r->status != 200) {
            resp_free(r);
            return -1;
        }
        size_t n = json_array_size(json_object_get(r->json, "items"));
        after = jint(r->json, "next_after");
        resp_free(r);
        if (n == 0)
            break;
    }
    return after;
}

char *url_encode(const char *s)
{
    CURL *c = curl_easy_init();
    char *e = curl_easy_escape(c, s, 0);
    char *out = strdup(e ? e : "");
    curl_free(e);
    curl_easy_cleanup(c);
    return out;
}
