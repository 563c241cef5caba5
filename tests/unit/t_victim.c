#include "test.h"

void suite_victim(void)
{
}
