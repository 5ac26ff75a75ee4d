/* Shared by the auth suite's files (auth_*.c): includes, types, macros and
 * helpers; the suite itself is in auth.c. */
#ifndef KOOP_TEST_AUTH_H
#define KOOP_TEST_AUTH_H

#include "client.h"
#include "fixtures.h"
#include "pii.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#define NOWHERE "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000"

void check_401(struct resp *r, const char *error);

/* ---- the role table ---- */

enum { PLAT, ADM, COORD, SOC, STAFF, AUD, ANA, NROLES };

struct route_case {
    const char *method, *path, *body;
    int want[NROLES]; /* platform, admin, coord, social, staff, auditor, analyst */
};

/* The features (one TCase each), added to the suite in auth.c. */
TCase *tcase_auth_authentication(void);
TCase *tcase_auth_tokens(void);
TCase *tcase_auth_roles(void);
TCase *tcase_auth_users(void);
TCase *tcase_auth_tenants(void);
TCase *tcase_auth_platform(void);
TCase *tcase_auth_scopes(void); /* auth_scopes.c */

#endif
