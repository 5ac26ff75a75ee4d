/* The pure parts of webhook delivery (server/webhooks.c): the Standard
 * Webhooks signature against the specification's own test vector, and which
 * targets may be registered with and without KOOP_WEBHOOK_ALLOW. */
#include "unit.h"

#include "config.h"
#include "webhooks.h"

#include <stdio.h>
#include <string.h>

START_TEST(signature_matches_the_standard)
{
    /* libraries/go/webhook_test.go of github.com/standard-webhooks/standard-webhooks */
    char sig[64];
    ck_assert_int_eq(koop_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                       "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                       "{\"test\": 2432232314}", sig),
                     0);
    ck_assert_str_eq(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    ck_assert_int_eq(koop_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a", "1", "{}", sig),
                     -1);
    ck_assert_int_eq(koop_webhook_sign("whsec_!!!", "a", "1", "{}", sig), -1);
}
END_TEST

static bool ok(const char *url)
{
    char why[160];
    return koop_webhook_url_check(url, why, sizeof why) == 0;
}

START_TEST(targets)
{
    struct koop_config saved = koop_cfg;
    koop_cfg.webhook_allow[0] = 0;
    ck_assert(ok("https://hooks.example.org/in"));
    ck_assert(ok("https://8.8.8.8:8443/in"));
    ck_assert(ok("https://[2001:4860::8888]/in"));
    const char *refused[] = {"http://hooks.example.org/in",
                             "ftp://hooks.example.org/",
                             "https://127.0.0.1/",
                             "https://10.0.0.1/",
                             "https://172.31.255.1/",
                             "https://192.168.1.1/",
                             "https://169.254.169.254/",
                             "https://100.100.0.1/",
                             "https://0.0.0.0/",
                             "https://[::1]/",
                             "https://[fe80::1]/",
                             "https://[fc00::5]/",
                             "https://[::ffff:127.0.0.1]/",
                             "https://localhost/",
                             "https://api.localhost/",
                             "https://user:pw@hooks.example.org/",
                             "not a url"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        ck_assert_msg(!ok(refused[i]), "%s was accepted", refused[i]);
    /* host, host:port and URL prefixes lift the rules for what they name */
    snprintf(koop_cfg.webhook_allow, sizeof koop_cfg.webhook_allow,
             "127.0.0.1, intranet.gmina.local:8080,http://10.1.2.3/hooks/,[::1]");
    ck_assert(ok("http://127.0.0.1:9999/x"));
    ck_assert(ok("http://intranet.gmina.local:8080/x"));
    ck_assert(!ok("http://intranet.gmina.local:8081/x"));
    ck_assert(ok("http://10.1.2.3/hooks/in"));
    ck_assert(!ok("http://10.1.2.3/other"));
    ck_assert(ok("https://[::1]:8443/x"));
    ck_assert(!ok("https://10.9.9.9/"));
    /* a URL prefix ends at a boundary: not another port or a longer host behind it */
    snprintf(koop_cfg.webhook_allow, sizeof koop_cfg.webhook_allow, "http://10.1.2.3");
    ck_assert(ok("http://10.1.2.3/in"));
    ck_assert(ok("http://10.1.2.3"));
    ck_assert(!ok("http://10.1.2.3:8080/in"));
    ck_assert(!ok("http://10.1.2.33/in"));
    koop_cfg = saved;
}
END_TEST

Suite *suite_webhooks(void)
{
    Suite *s = suite_create("webhooks");
    TCase *tc = tcase_create("webhooks");
    tcase_add_test(tc, signature_matches_the_standard);
    tcase_add_test(tc, targets);
    suite_add_tcase(s, tc);
    return s;
}
