/* service.c talks to the event loop that lives in main.c, which is not
 * linked into the unit tests: these stand in for it.  No test here drives
 * the service state machine through the loop. */
#define _GNU_SOURCE
#include "loop.h"

int loop_add(int fd, uint64_t tag)
{
	return 0;
}

int loop_mod(int fd, uint32_t events, uint64_t tag)
{
	return 0;
}

void loop_del(int fd)
{
}
