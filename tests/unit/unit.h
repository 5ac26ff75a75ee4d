#ifndef KOOP_UNIT_H
#define KOOP_UNIT_H
#include <check.h>
Suite *suite_spec(void);
Suite *suite_util(void);
Suite *suite_router(void);
Suite *suite_identifiers(void);
Suite *suite_problem_config(void);
Suite *suite_routes_spec(void);
Suite *suite_cli_config(void);
Suite *suite_trust(void);
Suite *suite_vocab_spec(void);
Suite *suite_messages(void);
Suite *suite_webhooks(void);
Suite *suite_oidc(void);
Suite *suite_replica(void);
Suite *suite_scope(void);
#endif
