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
    char auth[256];
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
    snprintf(buf, sizeof buf, "%s %d-%d", prefix, (int)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
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
    struct resp *r = direct("POST", path, W.platform, body, NULL);
    must(r, 201, "create user");
    char id[37];
    snprintf(id, sizeof id, "%s", jstr(r->json, "id"));
    if (id_out)
        snprintf(id_out, 37, "%s", id);
    resp_free(r);
    snprintf(path, sizeof path, "/v1/users/%s/tokens", id);
    r = direct("POST", path, W.platform, "{\"name\":\"test\"}", NULL);
    if (r->status != 201) {
        /* a platform admin manages tokens of admins and platform users only;
         * other users get theirs from their tenant's admin */
        resp_free(r);
        const char *admin = !strcmp(tenant ? tenant : "", W.tenant_a) ? W.admin_a : W.admin_b;
        r = direct("POST", path, admin, "{\"name\":\"test\"}", NULL);
    }
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
