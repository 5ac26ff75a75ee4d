#include "unit.h"

Suite *suite_router(void)
{
    return suite_create("router");
}
