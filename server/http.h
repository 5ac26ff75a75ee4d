/* The HTTP front: libmicrohttpd in a thread pool with epoll. Turns MHD
 * callbacks into struct kreq, runs the pipeline (limits, routing, auth, roles,
 * handler) and turns struct kres back into an MHD response. */
#ifndef KOOP_HTTP_H
#define KOOP_HTTP_H

#include "router.h"

/* Serves until SIGTERM/SIGINT, then drains in-flight requests (up to the
 * configured drain timeout) and returns 0; non-zero when it cannot start. */
int koop_http_serve(const struct koop_route *routes);

/* The whole of one request's handling that does not need MHD, for the server
 * and for a fuzz target that feeds one request without a network. The caller
 * fills req with method, version ("HTTP/1.1" or NULL), path (decoded, no
 * query), uri_len, headers[]/nheaders/headers_overflow/header_bytes (every
 * line, duplicates kept), query[]/nquery/query_overflow/query_bad, peer,
 * body/body_len/body_too_large; everything else zero. It derives the client
 * address (ip, from peer and forwarding headers), the request id and the
 * well-known headers, refuses what is malformed (414, 431, 400 without Host,
 * 413) and runs koop_http_dispatch. res must be zeroed; the caller frees
 * res->json, res->raw and req->json afterwards. A handler may set res->wait
 * (long-poll): the caller decides whether to wait and run it again. */
void koop_http_handle(const struct koop_route *routes, struct kreq *req, struct kres *res);

/* Routing, query checks, authentication, the per-token rate limit, the role
 * check, the body (content type, NUL, depth, JSON parse), the heavy-route
 * pool and the handler: koop_http_handle's second half. */
void koop_http_dispatch(const struct koop_route *routes, struct kreq *req, struct kres *res);

/* Sets req->ip from req->peer and its X-Forwarded-For / Forwarded lines. */
void koop_http_client(struct kreq *req);

/* Connections closed because their request headers missed KOOP_HEADER_TIMEOUT. */
long koop_http_header_timeouts(void);

#endif
