#include "unit.h"

Suite *suite_util(void)
{
    return suite_create("util");
}
