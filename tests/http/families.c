/* placeholder: filled by the families suite */
#include "client.h"

Suite *suite_families(void)
{
    return suite_create("families");
}
