/* Service endpoints outside /v1: health, readiness, metrics, the contract and
 * the docs page. They need no token. */
#ifndef KOOP_SERVICE_H
#define KOOP_SERVICE_H

#include "req.h"

int service_healthz(struct kreq *req, struct kres *res);
int service_readyz(struct kreq *req, struct kres *res);
int service_metrics(struct kreq *req, struct kres *res);
int service_openapi(struct kreq *req, struct kres *res);
int service_docs(struct kreq *req, struct kres *res);
int service_docs_js(struct kreq *req, struct kres *res);

/* Reads a whole file (at most max bytes) into a malloc'd buffer. Returns
 * NULL when it cannot. */
char *koop_read_file(const char *path, size_t max, size_t *len);

#endif
