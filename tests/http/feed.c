/* The change feed (SPEC §5 Events; §9 Audit, events, logs): paging with
 * after/limit/next_after, the types filter, what each role may see, long-poll
 * (wait=N) woken by a commit of the same tenant only, 200 clients waiting at
 * once, and no event ever skipped while writers commit concurrently. Each
 * test works in tenants of its own (fresh_tenant). Timing-sensitive requests
 * go straight to the daemon (direct), the rest through Prism. */
#include "feed.h"

/* A partner created straight at the daemon (thread-safe: no Check asserts);
 * returns 0 and the id, or the status. */
long new_partner(const char *tok, const char *name, char out[37])
{
    char *body = partner_body(name, "ngo");
    struct resp *r = direct("POST", "/v1/partners", tok, body, NULL);
    free(body);
    long st = r->status;
    if (st == 201 && jstr(r->json, "id"))
        snprintf(out, 37, "%s", jstr(r->json, "id"));
    resp_free(r);
    return st == 201 ? 0 : (st ? st : -1);
}

Suite *suite_feed(void)
{
    Suite *s = suite_create("feed");
    suite_add_tcase(s, tcase_feed_events());
    suite_add_tcase(s, tcase_feed_longpoll());
    return s;
}
