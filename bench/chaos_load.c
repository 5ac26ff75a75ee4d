/* chaos_load: the load generator of `make chaos` (bench/chaos.sh). THREADS clients, each with one
 * keep-alive connection, for SECONDS: a share WRITE_PCT of creates (POST /v1/partners with an
 * Idempotency-Key of their own, retried with the same key until a 2xx or GRACE seconds after the
 * end), the rest reads (GET /v1/partners?limit=5).
 *   chaos_load URL TOKEN SECONDS THREADS WRITE_PCT GRACE OUT
 * Writes OUT.<thread>.log, one line per answer or failure:
 *   epoch_ms kind(R|W) status(0: no HTTP answer) retry_after(0|1) latency_ms curl_code
 * and OUT.<thread>.acked (keys answered 2xx), OUT.<thread>.keys (every key tried). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *base, *token, *out;
static int seconds, nthreads, write_pct, grace;
static long long t_end;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static size_t header(char *p, size_t s, size_t n, void *u)
{
    if (n * s >= 12 && !strncasecmp(p, "Retry-After:", 12))
        *(int *)u = 1;
    return s * n;
}

struct client {
    int id;
    CURL *c;
    FILE *log, *acked, *keys;
    unsigned seed;
};

/* One request; returns the HTTP status (0: none) and logs it. */
static long one(struct client *cl, char kind, const char *url, const char *body, const char *key)
{
    CURL *c = cl->c;
    struct curl_slist *h = NULL;
    char auth[200], idem[160];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        snprintf(idem, sizeof idem, "Idempotency-Key: %s", key);
        h = curl_slist_append(h, idem);
    }
    int retry_after = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    long long t0 = now_ms();
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    long long t1 = now_ms();
    fprintf(cl->log, "%lld %c %ld %d %lld %d\n", t1, kind, status, retry_after, t1 - t0, (int)rc);
    curl_slist_free_all(h);
    return status;
}

static void *run(void *p)
{
    struct client *cl = p;
    char url_r[512], url_w[512], key[96], body[256];
    snprintf(url_r, sizeof url_r, "%s/v1/partners?limit=5", base);
    snprintf(url_w, sizeof url_w, "%s/v1/partners", base);
    for (int n = 0; now_ms() < t_end; n++) {
        if ((int)(rand_r(&cl->seed) % 100) >= write_pct) {
            long s = one(cl, 'R', url_r, NULL, NULL);
            if (s == 0 || s >= 500)
                usleep(20000); /* a failing client does not spin */
            continue;
        }
        snprintf(key, sizeof key, "chaos-%d-%d-%d-%lld", (int)getpid(), cl->id, n, now_ms());
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"sector\":\"ngo\"}", key);
        fprintf(cl->keys, "%s\n", key);
        for (;;) { /* the same key until it is acknowledged */
            long s = one(cl, 'W', url_w, body, key);
            if (s >= 200 && s < 300) {
                fprintf(cl->acked, "%s\n", key);
                break;
            }
            if (now_ms() > t_end + grace * 1000LL)
                break;
            usleep(100000);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: chaos_load URL TOKEN SECONDS THREADS WRITE_PCT GRACE OUT\n");
        return 2;
    }
    base = argv[1];
    token = argv[2];
    seconds = atoi(argv[3]);
    nthreads = atoi(argv[4]);
    write_pct = atoi(argv[5]);
    grace = atoi(argv[6]);
    out = argv[7];
    if (seconds < 1 || nthreads < 1 || nthreads > 256)
        return 2;
    curl_global_init(CURL_GLOBAL_ALL);
    t_end = now_ms() + seconds * 1000LL;
    pthread_t th[256];
    struct client cl[256];
    for (int i = 0; i < nthreads; i++) {
        char path[1024];
        cl[i].id = i;
        cl[i].c = curl_easy_init();
        cl[i].seed = (unsigned)(getpid() * 31 + i);
        snprintf(path, sizeof path, "%s.%d.log", out, i);
        cl[i].log = fopen(path, "w");
        snprintf(path, sizeof path, "%s.%d.acked", out, i);
        cl[i].acked = fopen(path, "w");
        snprintf(path, sizeof path, "%s.%d.keys", out, i);
        cl[i].keys = fopen(path, "w");
        if (!cl[i].c || !cl[i].log || !cl[i].acked || !cl[i].keys)
            return 1;
        pthread_create(&th[i], NULL, run, &cl[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        fclose(cl[i].log);
        fclose(cl[i].acked);
        fclose(cl[i].keys);
        curl_easy_cleanup(cl[i].c);
    }
    curl_global_cleanup();
    return 0;
}
