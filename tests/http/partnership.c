/* placeholder: filled by the partnership suite */
#include "client.h"

Suite *suite_partnership(void)
{
    return suite_create("partnership");
}
