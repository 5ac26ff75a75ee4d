/* placeholder: filled by the auth suite */
#include "client.h"

Suite *suite_auth(void)
{
    return suite_create("auth");
}
