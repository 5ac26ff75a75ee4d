/* placeholder: filled by the feed suite */
#include "client.h"

Suite *suite_feed(void)
{
    return suite_create("feed");
}
