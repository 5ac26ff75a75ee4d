/* server/trust.c: the client address behind trusted proxies, the per-client
 * counters, the per-token bucket and the heavy pool. */
#include "unit.h"

#include "trust.h"

#include <stdio.h>
#include <string.h>

static const char *client(const char *peer, const char *const *xff, int nx, const char *const *fwd,
                          int nf)
{
    static char out[64];
    koop_client_address(peer, xff, nx, fwd, nf, out, sizeof out);
    return out;
}

START_TEST(proxies_parse)
{
    char err[160];
    ck_assert_int_eq(koop_proxies_set("10.0.0.0/8, 192.168.1.7,2001:db8::/32 ::1", err, sizeof err),
                     0);
    ck_assert(koop_proxy_trusted("10.200.3.4"));
    ck_assert(koop_proxy_trusted("192.168.1.7"));
    ck_assert(!koop_proxy_trusted("192.168.1.8"));
    ck_assert(koop_proxy_trusted("2001:db8:ffff::1"));
    ck_assert(!koop_proxy_trusted("2001:db9::1"));
    ck_assert(koop_proxy_trusted("::1"));
    ck_assert(koop_proxy_trusted("::ffff:10.1.1.1")); /* IPv4-mapped */
    ck_assert(!koop_proxy_trusted("garbage"));
    ck_assert_int_eq(koop_proxies_set("10.0.0.0/33", err, sizeof err), -1);
    ck_assert_int_eq(koop_proxies_set("proxy.example", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "proxy.example"));
    ck_assert_int_eq(koop_proxies_set("", err, sizeof err), 0);
    ck_assert(!koop_proxy_trusted("10.0.0.1"));
}
END_TEST

START_TEST(client_address)
{
    char err[160];
    const char *one[] = {"203.0.113.9"};
    /* no trusted proxies: forwarded headers are ignored */
    ck_assert_int_eq(koop_proxies_set("", err, sizeof err), 0);
    ck_assert_str_eq(client("127.0.0.1", one, 1, NULL, 0), "127.0.0.1");
    ck_assert_int_eq(koop_proxies_set("127.0.0.1, 10.0.0.0/8", err, sizeof err), 0);
    /* an untrusted peer: its X-Forwarded-For is ignored */
    ck_assert_str_eq(client("198.51.100.1", one, 1, NULL, 0), "198.51.100.1");
    ck_assert_str_eq(client("127.0.0.1", one, 1, NULL, 0), "203.0.113.9");
    /* forged left-most values: the right-most untrusted one wins */
    const char *forged[] = {"1.2.3.4, 5.6.7.8, 203.0.113.9"};
    ck_assert_str_eq(client("127.0.0.1", forged, 1, NULL, 0), "203.0.113.9");
    /* several lines are one list, in order; trusted hops are skipped */
    const char *lines[] = {"1.2.3.4", "203.0.113.9, 10.1.1.1", "10.2.2.2"};
    ck_assert_str_eq(client("127.0.0.1", lines, 3, NULL, 0), "203.0.113.9");
    const char *lines2[] = {"203.0.113.9", "198.51.100.4"};
    ck_assert_str_eq(client("127.0.0.1", lines2, 2, NULL, 0), "198.51.100.4");
    /* garbage to the right: the proxy that passed it on */
    const char *junk[] = {"203.0.113.9, not-an-ip"};
    ck_assert_str_eq(client("127.0.0.1", junk, 1, NULL, 0), "127.0.0.1");
    const char *junk2[] = {"203.0.113.9, bogus, 10.0.0.5"};
    ck_assert_str_eq(client("127.0.0.1", junk2, 1, NULL, 0), "10.0.0.5");
    /* all trusted: the left-most */
    const char *allp[] = {"10.0.0.1, 10.0.0.2"};
    ck_assert_str_eq(client("127.0.0.1", allp, 1, NULL, 0), "10.0.0.1");
    /* IPv6, with brackets and ports; normalised */
    const char *v6[] = {"[2001:DB8::1]:4711"};
    ck_assert_str_eq(client("127.0.0.1", v6, 1, NULL, 0), "2001:db8::1");
    const char *v4port[] = {"203.0.113.9:80"};
    ck_assert_str_eq(client("127.0.0.1", v4port, 1, NULL, 0), "203.0.113.9");
    /* RFC 7239 Forwarded: believed only when the proxies are said to write it */
    const char *fwd[] = {"for=1.2.3.4;proto=http, for=\"[2001:db8::7]:80\";by=10.0.0.1",
                         "For=10.0.0.3"};
    ck_assert_str_ne(client("127.0.0.1", one, 1, fwd, 2), "2001:db8::7"); /* X-Forwarded-For mode */
    ck_assert_str_eq(client("127.0.0.1", NULL, 0, fwd, 2), "127.0.0.1");
    ck_assert_int_eq(koop_proxy_header_set("forwarded", err, sizeof err), 0);
    ck_assert_str_eq(client("127.0.0.1", one, 1, fwd, 2), "2001:db8::7");
    const char *fwd_unknown[] = {"for=unknown"};
    ck_assert_str_eq(client("127.0.0.1", NULL, 0, fwd_unknown, 1), "127.0.0.1");
    ck_assert_int_eq(koop_proxy_header_set("X-Forwarded-For", err, sizeof err), 0);
    ck_assert_int_eq(koop_proxy_header_set("via", err, sizeof err), -1);
    /* a client sending many entries pushes out only its own: the right-most 64 count */
    char many[2048] = "";
    for (int i = 0; i < 100; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "192.0.2.%d, ", i % 250);
    strcat(many, "198.51.100.9");
    const char *flood[] = {many};
    ck_assert_str_eq(client("127.0.0.1", flood, 1, NULL, 0), "198.51.100.9");
    koop_proxies_set("", err, sizeof err);
}
END_TEST

START_TEST(client_limit)
{
    int a = koop_client_enter("198.51.100.77", 2), b = koop_client_enter("198.51.100.77", 2);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(b, 0);
    ck_assert_int_eq(koop_client_enter("198.51.100.77", 2), -1);
    int other = koop_client_enter("198.51.100.78", 2);
    ck_assert_int_ge(other, 0);
    koop_client_leave(a);
    int c = koop_client_enter("198.51.100.77", 2);
    ck_assert_int_ge(c, 0);
    koop_client_leave(b);
    koop_client_leave(c);
    koop_client_leave(other);
    koop_client_leave(-1); /* harmless */
}
END_TEST

START_TEST(rate_bucket)
{
    long retry = 0;
    uint64_t t = 1000000000ull;
    for (int i = 0; i < 60; i++)
        ck_assert(koop_rate_take("tok-a", 60, t, &retry));
    ck_assert(!koop_rate_take("tok-a", 60, t, &retry));
    ck_assert_int_ge(retry, 1);
    ck_assert(koop_rate_take("tok-b", 60, t, &retry));           /* another token is not charged */
    ck_assert(koop_rate_take("tok-a", 60, t + 1000000, &retry)); /* one a second comes back */
    ck_assert(!koop_rate_take("tok-a", 60, t + 1000000, &retry));
}
END_TEST

START_TEST(heavy_pool)
{
    ck_assert(koop_heavy_enter(1, 0, 10));
    ck_assert(!koop_heavy_enter(1, 0, 10)); /* full, no queue */
    ck_assert(!koop_heavy_enter(1, 1, 20)); /* queued, timed out */
    koop_heavy_leave();
    ck_assert(koop_heavy_enter(1, 0, 10));
    koop_heavy_leave();
}
END_TEST

Suite *suite_trust(void)
{
    Suite *s = suite_create("trust");
    TCase *tc = tcase_create("trust");
    tcase_add_test(tc, proxies_parse);
    tcase_add_test(tc, client_address);
    tcase_add_test(tc, client_limit);
    tcase_add_test(tc, rate_bucket);
    tcase_add_test(tc, heavy_pool);
    suite_add_tcase(s, tc);
    return s;
}
