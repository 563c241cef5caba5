#include "test.h"

void suite_procev(void)
{
}
