/* Prometheus metrics: requests by route and status, latency histogram by
 * route, pool figures. Labels are route templates, never raw paths. */
#ifndef KOOP_METRICS_H
#define KOOP_METRICS_H

#include <stdint.h>

void koop_metrics_observe(const char *method, const char *route, int status, uint64_t us);
/* Renders the exposition text; returns a malloc'd string. */
char *koop_metrics_render(void);

#endif
