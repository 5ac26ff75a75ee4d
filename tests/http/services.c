/* placeholder: filled by the services suite */
#include "client.h"

Suite *suite_services(void)
{
    return suite_create("services");
}
