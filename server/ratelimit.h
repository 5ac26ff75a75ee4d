/* Request budgets per key (a client address, a token): at most `limit` requests in any one-minute
 * window (fixed windows of 60 s). A bounded table: when it is full, the oldest windows are
 * reused, so a flood of distinct keys can only forget budgets, never grow memory. Thread-safe. */
#ifndef KOOP_RATELIMIT_H
#define KOOP_RATELIMIT_H

#include <stdbool.h>

struct koop_ratelimit; /* one budget table, e.g. for the public basket */

/* A table of about `slots` keys (rounded up to a power of two, at least 64). NULL on no memory. */
struct koop_ratelimit *koop_ratelimit_new(int slots);
void koop_ratelimit_free(struct koop_ratelimit *t);

/* Counts one request of key at now_s. Returns true while the key is within limit in this minute;
 * false means refuse it (429) and sets *retry_after_s to the seconds left in the window. */
bool koop_ratelimit_take(struct koop_ratelimit *t, const char *key, long now_s, int limit,
                         int *retry_after_s);

#endif
