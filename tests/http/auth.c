/* Authentication and authorisation: 401 with a Bearer challenge, /v1/me,
 * token lifecycle (secret shown once, revocation at once), deactivation,
 * the role table of every route (403 before any lookup, 404 for what is
 * invisible), users of a tenant and tenants themselves (TERYT rules). */
#include "auth.h"

void check_401(struct resp *r, const char *error)
{
    ck_problem(r, 401, "unauthorized");
    const char *w = resp_header(r, "WWW-Authenticate");
    ck_assert_msg(w && strncmp(w, "Bearer", 6) == 0, "WWW-Authenticate: %s", w ? w : "(none)");
    if (error)
        ck_assert_msg(strstr(w, error) != NULL, "WWW-Authenticate %s lacks %s", w, error);
}

Suite *suite_auth(void)
{
    Suite *s = suite_create("auth");
    suite_add_tcase(s, tcase_auth_authentication());
    suite_add_tcase(s, tcase_auth_tokens());
    suite_add_tcase(s, tcase_auth_roles());
    suite_add_tcase(s, tcase_auth_users());
    suite_add_tcase(s, tcase_auth_tenants());
    suite_add_tcase(s, tcase_auth_platform());
    suite_add_tcase(s, tcase_auth_scopes());
    return s;
}
