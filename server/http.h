/* The HTTP front: libmicrohttpd in a thread pool with epoll. Turns MHD
 * callbacks into struct kreq, runs the pipeline (limits, routing, auth, roles,
 * handler) and turns struct kres back into an MHD response. */
#ifndef KOOP_HTTP_H
#define KOOP_HTTP_H

#include "router.h"

/* Serves until SIGTERM/SIGINT, then drains in-flight requests (up to the
 * configured drain timeout) and returns 0; non-zero when it cannot start. */
int koop_http_serve(const struct koop_route *routes);

/* Runs one already-read request through the pipeline (used by the server and
 * by tests that feed bytes without a network). */
void koop_http_dispatch(const struct koop_route *routes, struct kreq *req, struct kres *res);

#endif
