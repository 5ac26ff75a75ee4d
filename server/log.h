/* Logging: one JSON object per line on stderr. Messages must never carry
 * personal data: log route templates, ids and codes, not values. */
#ifndef KOOP_LOG_H
#define KOOP_LOG_H

#include "req.h"

#include <stdint.h>

void koop_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void koop_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void koop_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* {"level":"info","msg":"listening","host":..,"port":..,"threads":..}: the
 * address the daemon serves on, port as bound (the chosen one for port 0). */
void koop_log_listening(const char *host, int port, int threads);

/* The access log line of one request. */
void koop_log_access(const struct kreq *req, int status, uint64_t duration_us);

#endif
