/* placeholder: filled by the partners suite */
#include "client.h"

Suite *suite_partners(void)
{
    return suite_create("partners");
}
