/* Webhooks (issue 13 point 3): subscriptions (admins only, the secret shown
 * once, targets refused in private ranges), and delivery to a receiver in
 * this process: every event of the subscribed types, in order, signed the
 * Standard Webhooks way, retried while the receiver is down with the same
 * webhook-id, paused after the retry window and resumed, the cursor kept in
 * the database, one event redelivered. tests/run.sh starts the daemon with
 * KOOP_WEBHOOK_ALLOW=127.0.0.1 and short retry settings. */
#include "webhooks.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- the receiver ---- */

struct upload {
    char *buf;
    size_t len;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)url, (void)method, (void)version;
    struct receiver *r = cls;
    struct upload *u = *state;
    if (!u) {
        *state = calloc(1, sizeof *u);
        return *state ? MHD_YES : MHD_NO;
    }
    if (*size) {
        char *g = realloc(u->buf, u->len + *size + 1);
        if (!g)
            return MHD_NO;
        u->buf = g;
        memcpy(u->buf + u->len, data, *size);
        u->len += *size;
        u->buf[u->len] = 0;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->mu);
    int status = (r->down || r->n < r->fail_first) ? 503 : 200;
    if (r->n < RCV_MAX) {
        struct hook_req *q = &r->reqs[r->n++];
        const char *v;
        snprintf(q->id, sizeof q->id, "%s",
                 (v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id")) ? v : "");
        snprintf(q->ts, sizeof q->ts, "%s",
                 (v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-timestamp")) ? v
                                                                                            : "");
        snprintf(q->sig, sizeof q->sig, "%s",
                 (v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-signature")) ? v
                                                                                            : "");
        q->body = u->buf ? u->buf : strdup("");
        u->buf = NULL;
        q->answered = status;
    }
    pthread_mutex_unlock(&r->mu);
    static const char text[] = "thanks";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof text - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    struct upload *u = *state;
    if (u) {
        free(u->buf);
        free(u);
    }
    *state = NULL;
}

void rcv_start(struct receiver *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                              on_request, r, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                              on_done, NULL, MHD_OPTION_END);
    ck_assert_msg(r->mhd != NULL, "the receiver did not start");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->mhd, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert(info && info->port);
    r->port = info->port;
}

void rcv_stop(struct receiver *r)
{
    if (r->mhd)
        MHD_stop_daemon(r->mhd);
    r->mhd = NULL;
    for (int i = 0; i < r->n; i++)
        free(r->reqs[i].body);
    r->n = 0;
}

const char *rcv_url(const struct receiver *r)
{
    return fmt("http://127.0.0.1:%d/hook", r->port);
}

void rcv_set_down(struct receiver *r, bool down)
{
    pthread_mutex_lock(&r->mu);
    r->down = down;
    pthread_mutex_unlock(&r->mu);
}

int rcv_count(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

int rcv_ok(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = 0;
    for (int i = 0; i < r->n; i++)
        n += r->reqs[i].answered / 100 == 2;
    pthread_mutex_unlock(&r->mu);
    return n;
}

int rcv_wait_ok(struct receiver *r, int n, int timeout_s)
{
    for (int i = 0; i < timeout_s * 20; i++) {
        if (rcv_ok(r) >= n)
            break;
        usleep(50000);
    }
    return rcv_ok(r);
}

struct hook_req rcv_get(struct receiver *r, int i)
{
    pthread_mutex_lock(&r->mu);
    struct hook_req q = r->reqs[i];
    q.body = strdup(r->reqs[i].body ? r->reqs[i].body : "");
    pthread_mutex_unlock(&r->mu);
    return q;
}

/* ---- signatures, as a receiver checks them ---- */

bool signature_ok(const char *secret, const char *id, const char *ts, const char *body,
                  const char *sig)
{
    if (strncmp(secret, "whsec_", 6) != 0)
        return false;
    const char *b64 = secret + 6;
    int bl = (int)strlen(b64);
    unsigned char key[128];
    if (bl % 4 || bl / 4 * 3 > (int)sizeof key)
        return false;
    int kl = EVP_DecodeBlock(key, (const unsigned char *)b64, bl);
    kl -= (bl > 0 && b64[bl - 1] == '=') + (bl > 1 && b64[bl - 2] == '=');
    char *msg = NULL;
    if (asprintf(&msg, "%s.%s.%s", id, ts, body) < 0)
        return false;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), key, kl, (unsigned char *)msg, strlen(msg), mac, &ml);
    free(msg);
    char want[128] = "v1,";
    EVP_EncodeBlock((unsigned char *)want + 3, mac, (int)ml);
    /* several signatures may be sent, separated by spaces */
    char copy[512];
    snprintf(copy, sizeof copy, "%s", sig);
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (!strcmp(t, want))
            return true;
    return false;
}

/* ---- API helpers ---- */

void hook_create_at(const char *tok, const char *url, const char *types, char id[37],
                    char secret[80], long long *last, int line)
{
    LOCALF(body, "{\"url\": \"%s\", \"types\": %s, \"description\": \"test receiver\"}", url,
           types);
    struct resp *r = api("POST", "/v1/webhooks", tok, body);
    ck_assert_msg(r->status == 201, "line %d: POST /v1/webhooks: %ld %s", line, r->status, r->body);
    snprintf(id, 37, "%s", jstr(r->json, "id"));
    snprintf(secret, 80, "%s", jstr(r->json, "secret"));
    ck_assert_msg(!strncmp(secret, "whsec_", 6), "line %d: secret %s", line, secret);
    note_pii(secret);
    if (last)
        *last = jint(r->json, "last_event_id");
    resp_free(r);
}

bool wait_field(const char *tok, const char *path, const char *field, const char *want,
                int timeout_s)
{
    for (int i = 0; i < timeout_s * 10; i++) {
        struct resp *r = direct("GET", path, tok, NULL, NULL);
        const char *v = r->status == 200 ? jstr(r->json, field) : NULL;
        bool same = v && !strcmp(v, want);
        resp_free(r);
        if (same)
            return true;
        usleep(100000);
    }
    return false;
}

int events_of(const char *tok, long long after, const char *type, const char *prefix,
              long long *ids, int max)
{
    int n = 0;
    struct resp *r = api("GET", fmt("/v1/events?after=%lld&limit=200", after), tok, NULL);
    ck_assert_msg(r->status == 200, "events: %ld %s", r->status, r->body);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "items"), i, e)
    {
        const char *t = jstr(e, "type");
        if (n < max &&
            ((type && !strcmp(t, type)) || (prefix && !strncmp(t, prefix, strlen(prefix)))))
            ids[n++] = jint(e, "id");
    }
    resp_free(r);
    return n;
}

Suite *suite_webhooks(void)
{
    Suite *s = suite_create("webhooks");
    suite_add_tcase(s, tcase_webhooks_api());
    suite_add_tcase(s, tcase_webhooks_delivery());
    return s;
}
