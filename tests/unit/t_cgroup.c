#include "test.h"

void suite_cgroup(void)
{
}
