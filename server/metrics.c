#include "metrics.h"

#include "db.h"
#include "oidc.h"
#include "replica.h"
#include "wait.h"
#include "webhooks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 512
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   5};
#define NB (sizeof buckets / sizeof buckets[0])

struct series {
    const char *method, *route; /* static strings (route table, method literals) */
    int status;
    unsigned long count;
};
struct hist {
    const char *method, *route;
    unsigned long b[NB], count;
    double sum;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct series series[MAX_SERIES];
static struct hist hists[MAX_SERIES];
static int nseries, nhists;

static const char *canon_method(const char *m)
{
    static const char *known[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (m && strcmp(m, known[i]) == 0)
            return known[i];
    return "OTHER";
}

void koop_metrics_observe(const char *method, const char *route, int status, uint64_t us)
{
    method = canon_method(method);
    if (!route)
        route = "(unmatched)";
    pthread_mutex_lock(&mu);
    int i;
    for (i = 0; i < nseries; i++)
        if (series[i].status == status && series[i].method == method &&
            strcmp(series[i].route, route) == 0)
            break;
    if (i == nseries && nseries < MAX_SERIES)
        series[nseries++] = (struct series){method, route, status, 0};
    if (i < nseries)
        series[i].count++;
    for (i = 0; i < nhists; i++)
        if (hists[i].method == method && strcmp(hists[i].route, route) == 0)
            break;
    if (i == nhists && nhists < MAX_SERIES)
        hists[nhists++] = (struct hist){.method = method, .route = route};
    if (i < nhists) {
        double s = (double)us / 1e6;
        for (size_t b = 0; b < NB; b++)
            if (s <= buckets[b])
                hists[i].b[b]++;
        hists[i].count++;
        hists[i].sum += s;
    }
    pthread_mutex_unlock(&mu);
}

char *koop_metrics_render(void)
{
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
#define APP(...)                                                                                   \
    do {                                                                                           \
        int w = snprintf(out + len, cap - len, __VA_ARGS__);                                       \
        if (w < 0)                                                                                 \
            break;                                                                                 \
        if ((size_t)w >= cap - len) {                                                              \
            cap = cap * 2 + (size_t)w;                                                             \
            char *g = realloc(out, cap);                                                           \
            if (!g) {                                                                              \
                free(out);                                                                         \
                pthread_mutex_unlock(&mu);                                                         \
                return NULL;                                                                       \
            }                                                                                      \
            out = g;                                                                               \
            snprintf(out + len, cap - len, __VA_ARGS__);                                           \
        }                                                                                          \
        len += (size_t)w;                                                                          \
    } while (0)
    pthread_mutex_lock(&mu);
    APP("# HELP koop_http_requests_total HTTP requests by route template and status.\n"
        "# TYPE koop_http_requests_total counter\n");
    for (int i = 0; i < nseries; i++)
        APP("koop_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %lu\n",
            series[i].method, series[i].route, series[i].status, series[i].count);
    APP("# HELP koop_http_request_duration_seconds Request latency by route template.\n"
        "# TYPE koop_http_request_duration_seconds histogram\n");
    for (int i = 0; i < nhists; i++) {
        for (size_t b = 0; b < NB; b++)
            APP("koop_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} "
                "%lu\n",
                hists[i].method, hists[i].route, buckets[b], hists[i].b[b]);
        APP("koop_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} "
            "%lu\n",
            hists[i].method, hists[i].route, hists[i].count);
        APP("koop_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
            hists[i].method, hists[i].route, hists[i].sum);
        APP("koop_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n",
            hists[i].method, hists[i].route, hists[i].count);
    }
    long open, busy, errors, connects;
    db_stats(&open, &busy, &errors, &connects);
    APP("# HELP koop_db_connections_open Open serving connections to PostgreSQL.\n"
        "# TYPE koop_db_connections_open gauge\nkoop_db_connections_open %ld\n"
        "# HELP koop_db_connections_busy Connections running a query now.\n"
        "# TYPE koop_db_connections_busy gauge\nkoop_db_connections_busy %ld\n"
        "# HELP koop_db_errors_total Database errors (unavailable, internal).\n"
        "# TYPE koop_db_errors_total counter\nkoop_db_errors_total %ld\n"
        "# HELP koop_db_connects_total Connection attempts to PostgreSQL.\n"
        "# TYPE koop_db_connects_total counter\nkoop_db_connects_total %ld\n"
        "# HELP koop_longpoll_waiting Requests waiting for events (no thread, no connection).\n"
        "# TYPE koop_longpoll_waiting gauge\nkoop_longpoll_waiting %ld\n",
        open, busy, errors, connects, koop_wait_count());
    char *oidc = koop_oidc_metrics();
    if (oidc)
        APP("%s", oidc);
    free(oidc);
    char *replicas = replica_metrics();
    if (replicas)
        APP("%s", replicas);
    free(replicas);
    char *hooks = koop_webhooks_metrics();
    if (hooks)
        APP("%s", hooks);
    free(hooks);
    pthread_mutex_unlock(&mu);
#undef APP
    return out;
}
