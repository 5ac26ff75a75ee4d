/* Webhook delivery (issue 13 point 3): threads of the daemon that POST each
 * committed event to the subscriptions of its type, signed the Standard
 * Webhooks way, in event order per subscription, retried with exponential
 * back-off, state in PostgreSQL (sql/functions/webhooks.sql), so restarts and
 * several daemons are safe. Knows nothing about the API's resources. */
#ifndef KOOP_WEBHOOKS_H
#define KOOP_WEBHOOKS_H

#include <stddef.h>

/* Whether url may be registered as a target: https, or http/any address when
 * KOOP_WEBHOOK_ALLOW allows it; a literal address in a private, loopback or
 * link-local range (or localhost) is refused unless allowed. Host names are
 * resolved and checked at every delivery. Returns 0, or -1 with why filled
 * (a message for the client). */
int koop_webhook_url_check(const char *url, char *why, size_t whylen);

/* Starts the delivery threads (call once, after the configuration is read,
 * before other threads use libcurl). Returns 0 or -1. */
int koop_webhooks_start(void);
/* Stops them: an attempt in flight is abandoned (its lease expires and the
 * event is sent again, by this or another daemon). */
void koop_webhooks_stop(void);

/* Prometheus text of the delivery counters and lag, appended to /metrics.
 * Returns a malloc'd string (caller frees) or NULL. */
char *koop_webhooks_metrics(void);

/* The signature header value ("v1,<base64>") of id.timestamp.body under
 * secret ("whsec_<base64 key>"). out must hold 64 bytes. Returns 0 or -1. */
int koop_webhook_sign(const char *secret, const char *id, const char *timestamp, const char *body,
                      char out[64]);

#endif
