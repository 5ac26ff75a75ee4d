/* Unit tests of pure functions (no database, no network). */
#include "unit.h"

#include <stdlib.h>

int main(void)
{
    SRunner *sr = srunner_create(suite_spec());
    srunner_add_suite(sr, suite_util());
    srunner_add_suite(sr, suite_router());
    srunner_add_suite(sr, suite_identifiers());
    srunner_add_suite(sr, suite_problem_config());
    srunner_add_suite(sr, suite_routes_spec());
    srunner_add_suite(sr, suite_cli_config());
    srunner_add_suite(sr, suite_trust());
    srunner_add_suite(sr, suite_vocab_spec());
    srunner_add_suite(sr, suite_messages());
    srunner_add_suite(sr, suite_oidc());
    srunner_add_suite(sr, suite_webhooks());
    srunner_add_suite(sr, suite_replica());
    srunner_add_suite(sr, suite_scope());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
