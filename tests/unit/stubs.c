/* service.c talks to the event loop that lives in main.c, which is not
 * linked into the unit tests: these stand in for it.  No test here drives
 * the service state machine through the loop.  stub_loop_add_fails makes
 * loop_add fail as epoll_ctl does past fs.epoll.max_user_watches. */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>

int stub_loop_add_fails;

int loop_add(int fd, uint64_t tag)
{
	if (stub_loop_add_fails) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int loop_mod(int fd, uint32_t events, uint64_t tag)
{
	return 0;
}

void loop_del(int fd)
{
}
