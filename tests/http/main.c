/* Runner of the black-box suites: the HTTP API through Prism (KOOP_TEST_URL)
 * or directly (KOOP_TEST_DIRECT_URL), and the database itself
 * (DATABASE_URL: the serving login; DATABASE_OWNER_URL: the owner). Started by tests/run.sh, which
 * owns the daemon and the throwaway PostgreSQL.
 *
 * Layout: a suite <area> is <area>.c (suite_<area>: its TCases in order, and
 * the helpers its files share), <area>.h (their declarations) and one
 * <area>_<feature>.c per feature, each making one TCase named <feature>
 * (CK_RUN_SUITE=<area> CK_RUN_CASE=<feature> runs it alone). Worlds (tenant,
 * partners and staff, services, families, task teams, plans, referrals) come
 * from fixtures.h, shared steps from steps.h, role refusals as tables from
 * CHECK_REFUSALS. A new feature: a file <area>_<feature>.c with its
 * START_TESTs and tcase_<area>_<feature>(), declared in <area>.h and added
 * in suite_<area>(). */
#include "client.h"
#include "replica.h"

#include <curl/curl.h>
#include <stdlib.h>

Suite *suite_vocab(void); /* vocab.c */
int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    /* tests/run.sh runs the replica suite alone, against a daemon with a standby */
    if (getenv("KOOP_TEST_REPLICA_URL")) {
        SRunner *sr = srunner_create(suite_replica());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        curl_global_cleanup();
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    /* fixtures are made once, before the suites fork */
    world();
    SRunner *sr = srunner_create(suite_basics());
    srunner_add_suite(sr, suite_auth());
    srunner_add_suite(sr, suite_partners());
    srunner_add_suite(sr, suite_services());
    srunner_add_suite(sr, suite_families());
    srunner_add_suite(sr, suite_task_teams());
    srunner_add_suite(sr, suite_partnership());
    srunner_add_suite(sr, suite_feed());
    srunner_add_suite(sr, suite_audit_denied());
    srunner_add_suite(sr, suite_documents());
    srunner_add_suite(sr, suite_public());
    srunner_add_suite(sr, suite_language());
    srunner_add_suite(sr, suite_webhooks());
    srunner_add_suite(sr, suite_oidc());
    srunner_add_suite(sr, suite_robustness());
    srunner_add_suite(sr, suite_vocab());
    srunner_add_suite(sr, suite_database()); /* last: it restarts PostgreSQL */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
