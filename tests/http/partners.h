/* Shared by the partners suite's files (partners_*.c): includes, types, macros and
 * helpers; the suite itself is in partners.c. */
#ifndef KOOP_TEST_PARTNERS_H
#define KOOP_TEST_PARTNERS_H

#include "client.h"
#include "fixtures.h"
#include "pii.h"
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <check.h>

#define NOWHERE "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000"

/* Creates a partner from a JSON body as token; asserts 201; id into out. */
void create_raw(const char *token, const char *body, char out[37]);

void create_p(const char *token, const char *name, const char *sector, char out[37]);

const char *ppath(const char *id);

bool timestamp_ok(const char *s);

size_t count_q(const char *token, const char *q);

/* ---- transitions ---- */

struct resp *move(const char *token, const char *id, const char *to, const char *if_match);

/* The features (one TCase each), added to the suite in partners.c. */
TCase *tcase_partners_crud(void);
TCase *tcase_partners_lists(void);
TCase *tcase_partners_states(void);
TCase *tcase_partners_children(void);
TCase *tcase_partners_isolation(void);

#endif
