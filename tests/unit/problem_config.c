#include "unit.h"

Suite *suite_problem_config(void)
{
    return suite_create("problem_config");
}
