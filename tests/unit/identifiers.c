#include "unit.h"

Suite *suite_identifiers(void)
{
    return suite_create("identifiers");
}
