/* placeholder: filled by the robustness suite */
#include "client.h"

Suite *suite_robustness(void)
{
    return suite_create("robustness");
}
