/* placeholder: filled by the task_teams suite */
#include "client.h"

Suite *suite_task_teams(void)
{
    return suite_create("task_teams");
}
