/* Shared by the robustness suite's files (robustness_*.c): includes, types, macros and
 * helpers; the suite itself is in robustness.c. */
#ifndef KOOP_TEST_ROBUSTNESS_H
#define KOOP_TEST_ROBUSTNESS_H

#include "client.h"
#include "fixtures.h"
#include "pii.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

void healthy(void);

/* ---- chunked uploads with libcurl ---- */

struct src {
    const char *data; /* NULL: padding of spaces after an opening brace */
    size_t len, off, piece;
};

struct sink {
    char *p;
    size_t n;
};

size_t write_sink(char *ptr, size_t size, size_t nmemb, void *ud);

/* The features (one TCase each), added to the suite in robustness.c. */
TCase *tcase_robustness_bodies(void);
TCase *tcase_robustness_requests(void);
TCase *tcase_robustness_trust(void);
TCase *tcase_robustness_health(void);

#endif
