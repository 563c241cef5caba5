#include "test.h"

void suite_guard(void)
{
}
