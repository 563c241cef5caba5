/* See loop.h.  The one epoll instance every module registers its file
 * descriptors with.  It sits at the bottom of init/: it calls no other
 * module, so every module may call it (docs/design.md, "The event
 * loop"). */
#define _GNU_SOURCE
#include "loop.h"

#include <stddef.h>
#include <sys/epoll.h>

static int loop_epfd = -1;

int loop_init(void)
{
	if (loop_epfd < 0)
		loop_epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop_epfd < 0 ? -1 : 0;
}

int loop_fd(void)
{
	return loop_epfd;
}

int loop_add(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(loop_epfd, EPOLL_CTL_ADD, fd, &ev);
}

int loop_mod(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	return epoll_ctl(loop_epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_del(int fd)
{
	epoll_ctl(loop_epfd, EPOLL_CTL_DEL, fd, NULL);
}

int loop_wait(struct epoll_event *ev, int max)
{
	return epoll_wait(loop_epfd, ev, max, -1);
}
