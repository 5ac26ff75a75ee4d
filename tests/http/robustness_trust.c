/* Trust boundaries: the client address behind a trusted proxy (the test
 * daemon runs with KOOP_TRUSTED_PROXIES=127.0.0.1, KOOP_AUTH_FAIL_LIMIT=1000 and
 * KOOP_LONGPOLL_PER_TOKEN=100, tests/run.sh), waiting long-polls per token, the deadline for a
 * request's headers, and /metrics not public on the API address. */
#include "robustness.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define AUTH_FAIL_LIMIT 1000   /* KOOP_AUTH_FAIL_LIMIT in tests/run.sh */
#define LONGPOLL_PER_TOKEN 100 /* KOOP_LONGPOLL_PER_TOKEN in tests/run.sh */

static long get_xff(const char *token, const char *h1, const char *h2)
{
    const char *h[] = {h1, h2, NULL};
    struct resp *r = direct("GET", "/v1/me", token, NULL, h);
    long st = r->status;
    if (st == 429)
        ck_assert_ptr_nonnull(resp_header(r, "Retry-After"));
    resp_free(r);
    return st;
}

START_TEST(failed_logins_count_against_the_forwarded_client)
{
    const struct world *w = world();
    char real[32], xff[96];
    snprintf(real, sizeof real, "198.51.100.%d", 1 + (int)(getpid() % 250));
    /* bad tokens, each with another forged left-most address before the one
     * our proxy (127.0.0.1) appended: all are counted against the real client.
     * The limiter counts per clock minute (server/auth.c): all AUTH_FAIL_LIMIT
     * must fall in one, so after timing a few, wait for the next minute when
     * the rest might not fit in this one (the first ones then count no more). */
    int i = 0, counted = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long minute = (long)time(NULL) / 60;
    for (; i < 20; i++, counted++) {
        snprintf(xff, sizeof xff, "X-Forwarded-For: 203.0.113.%d, 192.0.2.%d, %s", i % 250,
                 (i / 250) % 250, real);
        long st = get_xff("koop_invalid_token_for_the_limit", xff, NULL);
        ck_assert_msg(st == 401, "bad token %d: %ld", i, st);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double per = ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9) / 20;
    double need = 2 * per * AUTH_FAIL_LIMIT + 1; /* seconds, with room for a slower stretch */
    time_t now = time(NULL);
    if ((long)now / 60 != minute || (double)(60 - now % 60) < need) {
        sleep((unsigned)(60 - time(NULL) % 60));
        usleep(200000);
        counted = 0; /* a new minute: nothing counted in it yet */
    }
    minute = (long)time(NULL) / 60;
    for (; counted < AUTH_FAIL_LIMIT; i++, counted++) {
        snprintf(xff, sizeof xff, "X-Forwarded-For: 203.0.113.%d, 192.0.2.%d, %s", i % 250,
                 (i / 250) % 250, real);
        long st = get_xff("koop_invalid_token_for_the_limit", xff, NULL);
        ck_assert_msg(st == 401, "bad token %d: %ld", i, st);
    }
    ck_assert_msg((long)time(NULL) / 60 == minute,
                  "%d failed logins took more than the rest of a minute (%.1f ms each)",
                  AUTH_FAIL_LIMIT, per * 1000);
    /* now even a good token from the real client is refused, however it is forwarded */
    snprintf(xff, sizeof xff, "X-Forwarded-For: 192.0.2.200, %s", real);
    ck_assert_int_eq(get_xff(w->admin_a, xff, NULL), 429);
    /* the test daemon's proxies write X-Forwarded-For (KOOP_PROXY_HEADER): a Forwarded header
     * naming the blocked client is the client's own text and is not believed */
    snprintf(xff, sizeof xff, "Forwarded: for=192.0.2.201, for=\"%s:4711\";proto=http", real);
    ck_assert_int_eq(get_xff(w->admin_a, xff, NULL), 200);
    /* a flood of entries before the proxy's own pushes out only the client's */
    char flood[1400];
    int used = snprintf(flood, sizeof flood, "X-Forwarded-For: ");
    for (int i = 0; i < 80; i++)
        used += snprintf(flood + used, sizeof flood - (size_t)used, "192.0.2.%d, ", i);
    snprintf(flood + used, sizeof flood - (size_t)used, "%s", real);
    ck_assert_int_eq(get_xff(w->admin_a, flood, NULL), 429);
    /* several header lines are one list: the right-most address is in the second */
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s", real);
    ck_assert_int_eq(get_xff(w->admin_a, "X-Forwarded-For: 192.0.2.202", xff), 429);
    /* ... and a client that only names the blocked address on the left is not blocked */
    ck_assert_int_eq(get_xff(w->admin_a, xff, "X-Forwarded-For: 192.0.2.203"), 200);
    snprintf(xff, sizeof xff, "X-Forwarded-For: %s, 192.0.2.204", real);
    ck_assert_int_eq(get_xff(w->admin_a, xff, NULL), 200);
    /* an untrusted peer (127.0.0.2) cannot claim an address: its XFF is ignored */
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                     "X-Forwarded-For: %s\r\nConnection: close\r\n\r\n",
                     w->admin_a, real);
    struct resp *r = raw_tcp_from("127.0.0.2", req, (size_t)n, 10);
    ck_assert_msg(r->status == 200, "untrusted peer: %ld %s", r->status, r->body);
    resp_free(r);
    /* and the proxy itself, without forwarding headers, is its own client */
    ck_assert_int_eq(get_xff(w->admin_a, NULL, NULL), 200);
    healthy();
}
END_TEST

static int open_longpoll(const char *token, long long after)
{
    const char *url = env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
    int port = 8080;
    sscanf(url, "http://%*[^:]:%d", &port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /v1/events?after=%lld&wait=20 HTTP/1.1\r\nHost: localhost\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     after, token);
    ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    return fd;
}

/* koop_longpoll_waiting from /metrics (as a platform admin), or -1. */
static long waiting(void)
{
    struct resp *r = direct("GET", "/metrics", world()->platform, NULL, NULL);
    const char *p = r->status == 200 ? strstr(r->body, "\nkoop_longpoll_waiting ") : NULL;
    long v = p ? atol(p + strlen("\nkoop_longpoll_waiting ")) : -1;
    resp_free(r);
    return v;
}

START_TEST(longpolls_per_token_are_limited)
{
    const struct world *w = world();
    char tok[80], id[37];
    make_user(w->admin_a, "coordinator", NULL, tok, id);
    long long after = last_event_id(tok);
    ck_assert_int_ge(after, 0);
    long before = waiting();
    int fds[LONGPOLL_PER_TOKEN];
    for (int i = 0; i < LONGPOLL_PER_TOKEN; i++)
        fds[i] = open_longpoll(tok, after + 1000000);
    for (int i = 0; i < 200 && waiting() < before + LONGPOLL_PER_TOKEN; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* once as many wait as KOOP_LONGPOLL_PER_TOKEN allows, one more is refused */
    struct resp *r =
        direct("GET", fmt("/v1/events?after=%lld&wait=1", after + 1000000), tok, NULL, NULL);
    ck_problem(r, 429, "too_many_requests");
    ck_assert_ptr_nonnull(resp_header(r, "Retry-After"));
    resp_free(r);
    /* a request that does not wait, and another token's long-poll, still work */
    r = direct("GET", "/v1/events?after=0&limit=1", tok, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    r = direct("GET", fmt("/v1/events?after=%lld&wait=1", after + 1000000), w->admin_a, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    resp_free(r);
    for (int i = 0; i < LONGPOLL_PER_TOKEN; i++)
        close(fds[i]);
    healthy();
}
END_TEST

START_TEST(trickled_headers_miss_their_deadline)
{
    /* a header line every second never completes the request: the connection
     * is closed once KOOP_HEADER_TIMEOUT (10 s by default) has passed since
     * the request began, although it was never silent */
    const char *url = env_or("KOOP_TEST_DIRECT_URL", "http://127.0.0.1:8080");
    int port = 8080;
    sscanf(url, "http://%*[^:]:%d", &port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    time_t t0 = time(NULL);
    const char start[] = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
    ck_assert_int_eq(send(fd, start, sizeof start - 1, MSG_NOSIGNAL), (ssize_t)sizeof start - 1);
    bool closed = false;
    while (!closed && time(NULL) - t0 < 20) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 1000) > 0) {
            char b[512];
            closed = recv(fd, b, sizeof b, 0) <= 0;
        } else if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) != 11) {
            closed = true;
        }
    }
    close(fd);
    long took = (long)(time(NULL) - t0);
    ck_assert_msg(closed, "a trickling client kept its connection for %ld s", took);
    ck_assert_msg(took >= 8 && took <= 14, "closed after %ld s", took);
    healthy();
}
END_TEST

START_TEST(metrics_are_not_public)
{
    const struct world *w = world();
    struct resp *r = direct("GET", "/metrics", NULL, NULL, NULL);
    ck_problem(r, 401, "unauthorized");
    resp_free(r);
    r = direct("GET", "/metrics", w->admin_a, NULL, NULL);
    ck_problem(r, 403, "forbidden");
    resp_free(r);
    r = direct("GET", "/metrics", w->platform, NULL, NULL);
    ck_assert_int_eq(r->status, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "koop_http_requests_total"));
    resp_free(r);
}
END_TEST

TCase *tcase_robustness_trust(void)
{
    TCase *tc = tcase_create("trust");
    tcase_set_timeout(tc, 240); /* the failed-login test may wait for the next minute */
    tcase_add_test(tc, failed_logins_count_against_the_forwarded_client);
    tcase_add_test(tc, longpolls_per_token_are_limited);
    tcase_add_test(tc, trickled_headers_miss_their_deadline);
    tcase_add_test(tc, metrics_are_not_public);
    return tc;
}
