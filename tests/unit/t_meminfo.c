#include "test.h"

void suite_meminfo(void)
{
}
