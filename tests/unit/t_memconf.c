#include "test.h"

void suite_memconf(void)
{
}
