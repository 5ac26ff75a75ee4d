/* Content negotiation (RFC 9110 §12.5.1) over the media types a route can answer. */
#ifndef KOOP_NEGOTIATE_H
#define KOOP_NEGOTIATE_H

/* Picks the best of types (NULL-terminated, most preferred first) for an Accept header value.
 * Each type takes the q of the most specific range that matches it (type/subtype, then
 * type/star, then star/star); ties go to the earlier type. No or an empty Accept means
 * types[0]. Returns the index, or -1 when none is acceptable (answer 406). */
int koop_accept_pick(const char *accept, const char *const *types);

#endif
