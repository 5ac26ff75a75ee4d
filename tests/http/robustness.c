/* Hostile and malformed input, sent straight to the daemon: every request
 * gets the right 4xx as application/problem+json, never a 500, nothing is
 * written, and the daemon stays healthy (it still serves normal requests
 * afterwards, and /metrics counts no 500 on the routes used here). */
#include "robustness.h"

void healthy(void)
{
    struct resp *r = direct("GET", "/healthz", NULL, NULL, NULL);
    ck_assert_msg(r->status == 200, "daemon unhealthy: %ld %s", r->status, r->body);
    resp_free(r);
}

size_t write_sink(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *b = ud;
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

Suite *suite_robustness(void)
{
    Suite *s = suite_create("robustness");
    suite_add_tcase(s, tcase_robustness_bodies());
    suite_add_tcase(s, tcase_robustness_requests());
    suite_add_tcase(s, tcase_robustness_trust());
    suite_add_tcase(s, tcase_robustness_health());
    return s;
}
