#include "webhooks.h"

#include "config.h"
#include "db.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 2         /* delivery threads per daemon, each with its own connection */
#define BODY_LIMIT 4096   /* bytes of a receiver's answer read, the rest refused */
#define IDLE_TICK_MS 1000 /* look for due retries at least this often */
#define LAG_EVERY_US 10000000u

static atomic_bool stopping;
static pthread_t workers[WORKERS];
static int nworkers;
static atomic_long st_ok, st_failed, st_paused, st_pending;
static atomic_llong st_lag_ms;
static atomic_uint_fast64_t lag_at;

/* ---- targets: allow-list and address ranges ---- */

/* Whether KOOP_WEBHOOK_ALLOW names url (a URL prefix) or host[:port]. */
static bool allowed(const char *url, const char *host, const char *port)
{
    const char *p = koop_cfg.webhook_allow;
    while (*p) {
        size_t n = strcspn(p, ",");
        char e[512];
        snprintf(e, sizeof e, "%.*s", (int)(n < sizeof e ? n : sizeof e - 1), p);
        p += n + (p[n] == ',');
        char *s = e + strspn(e, " ");
        s[strcspn(s, " ")] = 0;
        if (!*s)
            continue;
        if (strstr(s, "://")) {
            /* a URL prefix ends at a boundary: "https://hooks.gmina.pl" allows
             * https://hooks.gmina.pl/x but not https://hooks.gmina.pl.evil.example/ (nor another
             * port, nor userinfo) */
            size_t sl = strlen(s);
            if (!strncasecmp(url, s, sl) &&
                (s[sl - 1] == '/' || url[sl] == 0 || strchr("/?#", url[sl])))
                return true;
            continue;
        }
        /* host, host:port, [v6] or [v6]:port */
        char *h = s, *eport = NULL;
        if (h[0] == '[') {
            char *end = strchr(h, ']');
            if (!end)
                continue;
            *end = 0;
            h++;
            if (end[1] == ':')
                eport = end + 2;
        } else {
            char *colon = strchr(h, ':');
            if (colon && colon == strrchr(h, ':')) {
                *colon = 0;
                eport = colon + 1;
            }
        }
        if (!strcasecmp(h, host) && (!eport || !strcmp(eport, port)))
            return true;
    }
    return false;
}

/* Whether an address is public: not loopback, private, link-local, CGNAT,
 * multicast, reserved or unspecified (IPv4-mapped IPv6 judged as IPv4). */
static bool v4_public(const unsigned char *a)
{
    return !(a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
             (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
             (a[0] == 192 && a[1] == 168) || (a[0] == 192 && a[1] == 0 && a[2] == 0) ||
             (a[0] == 198 && (a[1] & 0xfe) == 18) || a[0] >= 224);
}

static bool addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_public((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family != AF_INET6)
        return false;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zero[15] = {0};
    if (!memcmp(a, mapped, 12))
        return v4_public(a + 12);
    if (!memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
        return false;
    if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || a[0] == 0xff)
        return false; /* unique local, link-local, multicast */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
        return false; /* documentation */
    if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b)
        return v4_public(a + 12); /* NAT64 */
    return true;
}

/* The URL's scheme, host and port (malloc'd by curl; free with curl_free). */
struct target {
    char *scheme, *host, *port;
    bool allowed;
};

static void target_free(struct target *t)
{
    curl_free(t->scheme);
    curl_free(t->host);
    curl_free(t->port);
}

static int target_parse(const char *url, struct target *t, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    CURLU *u = curl_url();
    if (!u)
        return snprintf(why, whylen, "cannot be parsed"), -1;
    int rc = -1;
    char *user = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &t->scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &t->host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &t->port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(why, whylen, "is not an absolute http(s) URL");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        snprintf(why, whylen, "must not carry credentials");
        goto done;
    }
    /* curl keeps IPv6 literals in brackets */
    size_t hl = strlen(t->host);
    if (hl > 2 && t->host[0] == '[') {
        memmove(t->host, t->host + 1, hl - 2);
        t->host[hl - 2] = 0;
    }
    t->allowed = allowed(url, t->host, t->port);
    if (strcasecmp(t->scheme, "https") && !(t->allowed && !strcasecmp(t->scheme, "http"))) {
        snprintf(why, whylen, "must be https (or an http target named in KOOP_WEBHOOK_ALLOW)");
        goto done;
    }
    rc = 0;
done:
    curl_free(user);
    curl_url_cleanup(u);
    if (rc)
        target_free(t);
    return rc;
}

int koop_webhook_url_check(const char *url, char *why, size_t whylen)
{
    struct target t;
    if (target_parse(url, &t, why, whylen) != 0)
        return -1;
    int rc = 0;
    if (!t.allowed) {
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        struct sockaddr_in s4 = {.sin_family = AF_INET};
        size_t hl = strlen(t.host);
        bool local = !strcasecmp(t.host, "localhost") ||
                     (hl > 10 && !strcasecmp(t.host + hl - 10, ".localhost"));
        if (inet_pton(AF_INET, t.host, &s4.sin_addr) == 1)
            local = !addr_public((struct sockaddr *)&s4);
        else if (inet_pton(AF_INET6, t.host, &s6.sin6_addr) == 1)
            local = !addr_public((struct sockaddr *)&s6);
        if (local) {
            snprintf(why, whylen, "points into a private, loopback or link-local network");
            rc = -1;
        }
    }
    target_free(&t);
    return rc;
}

/* ---- signing ---- */

int koop_webhook_sign(const char *secret, const char *id, const char *timestamp, const char *body,
                      char out[64])
{
    if (strncmp(secret, "whsec_", 6) != 0)
        return -1;
    const char *b64 = secret + 6;
    size_t bl = strlen(b64);
    unsigned char key[96];
    if (bl == 0 || bl % 4 || bl / 4 * 3 > sizeof key)
        return -1;
    int kl = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)bl);
    if (kl < 0)
        return -1;
    kl -= (bl >= 1 && b64[bl - 1] == '=') + (bl >= 2 && b64[bl - 2] == '=');
    size_t il = strlen(id), tl = strlen(timestamp), nl = strlen(body);
    unsigned char *msg = malloc(il + tl + nl + 2);
    if (!msg)
        return -1;
    memcpy(msg, id, il);
    msg[il] = '.';
    memcpy(msg + il + 1, timestamp, tl);
    msg[il + 1 + tl] = '.';
    memcpy(msg + il + tl + 2, body, nl);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    unsigned char *r = HMAC(EVP_sha256(), key, kl, msg, il + tl + nl + 2, mac, &ml);
    free(msg);
    OPENSSL_cleanse(key, sizeof key);
    if (!r || ml != 32)
        return -1;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)ml);
    return 0;
}

/* ---- one attempt ---- */

struct attempt {
    bool allowed;
    size_t got;
    char error[160];
};

static size_t body_sink(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    struct attempt *a = arg;
    a->got += size * n;
    return a->got > BODY_LIMIT ? 0 : size * n;
}

/* The last line of defence: whatever curl connects to must be public unless
 * allowed (the host was resolved and pinned by CURLOPT_RESOLVE already). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
    struct attempt *a = arg;
    if (purpose != CURLSOCKTYPE_IPCXN || (!a->allowed && !addr_public(&sa->addr))) {
        snprintf(a->error, sizeof a->error, "refused: the target resolves to a private address");
        return CURL_SOCKET_BAD;
    }
    return socket(sa->family, sa->socktype, sa->protocol);
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)arg, (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load(&stopping) ? 1 : 0;
}

/* Resolves the target and builds the CURLOPT_RESOLVE entry pinning every
 * address checked. Returns the list (caller frees with curl_slist_free_all)
 * or NULL with a->error filled. */
static struct curl_slist *resolve_pinned(const struct target *t, struct attempt *a)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(t->host, t->port, &hints, &ai);
    if (rc != 0) {
        snprintf(a->error, sizeof a->error, "cannot resolve the host: %s", gai_strerror(rc));
        return NULL;
    }
    char entry[1024];
    int len = snprintf(entry, sizeof entry, "%s:%s:", t->host, t->port);
    int n = 0;
    for (struct addrinfo *p = ai; p; p = p->ai_next) {
        if (!a->allowed && !addr_public(p->ai_addr)) {
            snprintf(a->error, sizeof a->error,
                     "refused: the host resolves to a private, loopback or link-local address");
            freeaddrinfo(ai);
            return NULL;
        }
        char ip[INET6_ADDRSTRLEN];
        const void *src = p->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
        if (!inet_ntop(p->ai_family, src, ip, sizeof ip))
            continue;
        int w = snprintf(entry + len, sizeof entry - (size_t)len,
                         p->ai_family == AF_INET6 ? "%s[%s]" : "%s%s", n ? "," : "", ip);
        if (w < 0 || (size_t)w >= sizeof entry - (size_t)len)
            break;
        len += w;
        n++;
    }
    freeaddrinfo(ai);
    if (!n) {
        snprintf(a->error, sizeof a->error, "the host has no usable address");
        return NULL;
    }
    return curl_slist_append(NULL, entry);
}

/* POSTs body to url, signed. Returns the HTTP status, or 0 with error filled
 * when no answer came. */
static long deliver(const char *url, const char *secret, const char *msg_id, const char *body,
                    char *error, size_t errlen)
{
    struct attempt a = {0};
    struct target t;
    if (target_parse(url, &t, a.error, sizeof a.error) != 0) {
        snprintf(error, errlen, "the url %s", a.error);
        return 0;
    }
    a.allowed = t.allowed;
    long status = 0;
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL, *pin = resolve_pinned(&t, &a);
    if (!pin)
        goto done;
    char ts[24], sig[64], h_id[200], h_ts[64], h_sig[96];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    if (koop_webhook_sign(secret, msg_id, ts, body, sig) != 0) {
        snprintf(a.error, sizeof a.error, "cannot sign (bad secret)");
        goto done;
    }
    snprintf(h_id, sizeof h_id, "webhook-id: %s", msg_id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *lines[] = {"Content-Type: application/json", h_id, h_ts, h_sig, "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *n = curl_slist_append(hdrs, lines[i]);
        if (!n)
            goto done;
        hdrs = n;
    }
    c = curl_easy_init();
    if (!c) {
        snprintf(a.error, sizeof a.error, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through a proxy from the environment */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)koop_cfg.webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)koop_cfg.webhook_timeout_ms);
    curl_easy_setopt(c, CURLOPT_RESOLVE, pin);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &a);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kooperd-webhooks/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* an answer whose body we refused to read past the limit still counts */
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status > 0)) {
        if (!a.error[0])
            snprintf(a.error, sizeof a.error, "%s", curl_easy_strerror(rc));
        status = 0;
    }
done:
    if (c)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(pin);
    target_free(&t);
    if (!status)
        snprintf(error, errlen, "%s", a.error[0] ? a.error : "no answer");
    return status;
}

/* ---- the worker ---- */

/* The first worker LISTENs and wakes the tenant's subscriptions at each
 * commit (for every daemon's workers: the wake is in the database); the
 * others look for due work at every tick. */
static PGconn *worker_conn(bool listen)
{
    PGconn *c = db_admin_connect_quiet(koop_cfg.database_url);
    if (!c)
        return NULL;
    PGresult *r = PQexec(c, listen ? "SET ROLE koop_app; SET TIME ZONE 'UTC'; LISTEN koop_events"
                                   : "SET ROLE koop_app; SET TIME ZONE 'UTC'");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

static bool wake(PGconn *c, const char *tenant)
{
    const char *v[] = {tenant};
    PGresult *r = PQexecParams(c, "SELECT koop.webhook_wake($1::uuid)", 1, NULL, v, NULL, NULL, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
}

static void measure_lag(PGconn *c)
{
    uint64_t now = koop_now_us();
    if (now - atomic_load(&lag_at) < LAG_EVERY_US)
        return;
    atomic_store(&lag_at, now);
    PGresult *r = PQexec(c, "SELECT pending, oldest_s FROM koop.webhook_lag()");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        atomic_store(&st_pending, atol(PQgetvalue(r, 0, 0)));
        atomic_store(&st_lag_ms, (long long)(atof(PQgetvalue(r, 0, 1)) * 1000));
    }
    PQclear(r);
}

/* Claims one due delivery, sends it and records the outcome. Returns 1 when
 * it did one, 0 when nothing was due, -1 when the connection failed. */
static int work_one(PGconn *c)
{
    char token[37], lease[16];
    koop_uuid7(token);
    snprintf(lease, sizeof lease, "%d", koop_cfg.webhook_timeout_ms / 1000 + 30);
    const char *cv[] = {token, lease};
    PGresult *r = PQexecParams(c,
                               "SELECT kind, tenant_id, webhook_id, url, secret, event_id, payload "
                               "FROM koop.webhook_claim($1::uuid, $2::int)",
                               2, NULL, cv, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        koop_log_warn("webhook claim failed: %s",
                      PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                          ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                          : "connection lost");
        PQclear(r);
        return PQstatus(c) == CONNECTION_OK ? 0 : -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    const char *kind = PQgetvalue(r, 0, 0), *tenant = PQgetvalue(r, 0, 1),
               *hook = PQgetvalue(r, 0, 2), *url = PQgetvalue(r, 0, 3),
               *secret = PQgetvalue(r, 0, 4), *event = PQgetvalue(r, 0, 5),
               *payload = PQgetvalue(r, 0, 6);
    /* the message id is the event's: the same for every retry and redelivery */
    char msg_id[40], error[200] = "";
    snprintf(msg_id, sizeof msg_id, "evt_%s", event);
    long status = deliver(url, secret, msg_id, payload, error, sizeof error);
    char st[16], base[16], cap[16], age[16];
    snprintf(st, sizeof st, "%ld", status);
    snprintf(base, sizeof base, "%d", koop_cfg.webhook_retry_base_ms);
    snprintf(cap, sizeof cap, "%d", koop_cfg.webhook_retry_cap_ms);
    snprintf(age, sizeof age, "%d", koop_cfg.webhook_max_age_s);
    const char *rv[] = {kind, token, tenant, hook, event, status ? st : NULL, status ? NULL : error,
                        base, cap,   age};
    PGresult *rr = PQexecParams(c,
                                "SELECT koop.webhook_record($1, $2::uuid, $3::uuid, $4::uuid, "
                                "$5::bigint, $6::int, $7, $8::bigint, $9::bigint, $10::int)",
                                10, NULL, rv, NULL, NULL, 0);
    const char *outcome = PQresultStatus(rr) == PGRES_TUPLES_OK ? PQgetvalue(rr, 0, 0) : "?";
    if (!strcmp(outcome, "delivered"))
        atomic_fetch_add(&st_ok, 1);
    else
        atomic_fetch_add(&st_failed, 1);
    if (!strcmp(outcome, "paused")) {
        atomic_fetch_add(&st_paused, 1);
        koop_log_warn("webhook %s paused: event %s not delivered in the retry window", hook, event);
    } else if (strcmp(outcome, "delivered") != 0) {
        koop_log_info("webhook %s event %s: %s (status %ld)", hook, event, outcome, status);
    }
    int ret = PQresultStatus(rr) == PGRES_TUPLES_OK ? 1 : (PQstatus(c) == CONNECTION_OK ? 0 : -1);
    PQclear(rr);
    PQclear(r);
    return ret;
}

static void *worker_main(void *arg)
{
    bool listener = arg != NULL;
    PGconn *c = NULL;
    int tick = koop_cfg.webhook_retry_base_ms < IDLE_TICK_MS ? koop_cfg.webhook_retry_base_ms
                                                             : IDLE_TICK_MS;
    while (!atomic_load(&stopping)) {
        if (!c) {
            c = worker_conn(listener);
            if (!c ||
                (listener && !wake(c, NULL))) { /* events may have committed while we were away */
                if (c)
                    PQfinish(c);
                c = NULL;
                struct timespec ts = {1, 0};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        int rc;
        while ((rc = work_one(c)) == 1 && !atomic_load(&stopping))
            ;
        if (rc < 0) {
            koop_log_warn("webhook delivery lost its database connection");
            PQfinish(c);
            c = NULL;
            continue;
        }
        measure_lag(c);
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        if (poll(&p, 1, tick) > 0 && (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK)) {
            PQfinish(c);
            c = NULL;
            continue;
        }
        PGnotify *nf;
        while ((nf = PQnotifies(c)) != NULL) {
            wake(c, nf->extra);
            PQfreemem(nf);
        }
    }
    if (c)
        PQfinish(c);
    return NULL;
}

int koop_webhooks_start(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    for (int i = 0; i < WORKERS; i++) {
        /* a non-NULL argument makes the listener */
        if (pthread_create(&workers[i], NULL, worker_main, i == 0 ? (void *)workers : NULL) != 0) {
            koop_webhooks_stop();
            return -1;
        }
        nworkers++;
    }
    return 0;
}

void koop_webhooks_stop(void)
{
    atomic_store(&stopping, true);
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i], NULL);
    if (nworkers)
        curl_global_cleanup();
    nworkers = 0;
}

char *koop_webhooks_metrics(void)
{
    char *out = NULL;
    if (asprintf(&out,
                 "# HELP koop_webhook_deliveries_total Webhook delivery attempts by outcome.\n"
                 "# TYPE koop_webhook_deliveries_total counter\n"
                 "koop_webhook_deliveries_total{outcome=\"ok\"} %ld\n"
                 "koop_webhook_deliveries_total{outcome=\"failed\"} %ld\n"
                 "# HELP koop_webhook_paused_total Subscriptions paused after the retry window.\n"
                 "# TYPE koop_webhook_paused_total counter\nkoop_webhook_paused_total %ld\n"
                 "# HELP koop_webhook_pending Active subscriptions with an event to deliver.\n"
                 "# TYPE koop_webhook_pending gauge\nkoop_webhook_pending %ld\n"
                 "# HELP koop_webhook_lag_seconds Age of the oldest undelivered event.\n"
                 "# TYPE koop_webhook_lag_seconds gauge\nkoop_webhook_lag_seconds %.3f\n",
                 atomic_load(&st_ok), atomic_load(&st_failed), atomic_load(&st_paused),
                 atomic_load(&st_pending), (double)atomic_load(&st_lag_ms) / 1000.0) < 0)
        return NULL;
    return out;
}
