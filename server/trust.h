/* Trust boundaries: who the client is behind trusted proxies, and the limits
 * kept per client, per token and for heavy routes. Everything here is
 * independent of MHD so that unit tests (and a fuzz target) can drive it. */
#ifndef KOOP_TRUST_H
#define KOOP_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a comma-separated list of IPv4/IPv6 addresses and CIDRs
 * ("10.0.0.0/8, ::1, 2001:db8::/32") into the daemon's list of trusted
 * proxies, replacing the previous one. Returns 0, or -1 with err filled. */
int koop_proxies_set(const char *list, char *err, size_t errlen);
/* Whether ip (textual IPv4 or IPv6) is a trusted proxy. */
bool koop_proxy_trusted(const char *ip);

/* Which header the trusted proxies write: "x-forwarded-for" (the default) or "forwarded"
 * (RFC 7239). Only that one is believed. Returns 0, or -1 with err filled. */
int koop_proxy_header_set(const char *name, char *err, size_t errlen);

/* The client's address. peer is the TCP peer. xff holds the values of every
 * X-Forwarded-For header line in the order received, fwd those of every
 * Forwarded (RFC 7239) line. When the peer is a trusted proxy, the client is
 * the right-most address of the configured header's chain (the last 64
 * entries: proxies append, so a client's extra entries push out only its own)
 * that is not a trusted proxy; an entry that is not an
 * address ends the walk at the proxy that appended it. Otherwise, and without
 * trusted proxies, the peer. out receives at most outlen-1 bytes. */
void koop_client_address(const char *peer, const char *const *xff, int nxff, const char *const *fwd,
                         int nfwd, char *out, size_t outlen);

/* Concurrent requests per client address (the forwarded one behind a proxy:
 * MHD's own per-IP limit sees only the proxy). enter returns a slot (>= 0)
 * to pass to leave, or -1 when ip already has limit requests in flight. */
int koop_client_enter(const char *ip, int limit);
void koop_client_leave(int slot);

/* Token bucket per key (a token id; "public:<address>" for the public basket): per_minute
 * requests, bursts of as many; keys of up to 79 bytes.
 * Returns true when a request may run; otherwise false and *retry_after_s
 * (>= 1) says when one will be available. now_us: koop_now_us(). */
bool koop_rate_take(const char *key, int per_minute, uint64_t now_us, long *retry_after_s);

/* The small pool heavy routes run on (reports, exports, documents): at most
 * slots at once; up to queue more wait at most wait_ms for a slot. Returns
 * true with a slot taken (give it back with koop_heavy_leave), false when
 * the pool and its queue are full or the wait timed out. */
bool koop_heavy_enter(int slots, int queue, int wait_ms);
void koop_heavy_leave(void);

#endif
