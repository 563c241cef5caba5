/* lifeline-peer's one epoll instance.  Every file descriptor the loop
 * waits on is added here with a tag (its kind and an index: which UDP
 * socket, probe slot or connection), so the modules that own the sockets
 * need nothing of the loop that dispatches their events. */
#define _GNU_SOURCE
#include "peer_daemon.h"

#include <sys/epoll.h>
#include <unistd.h>

#define TAG(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

static int poll_fd = -1;

int lp_poll_setup(void)
{
	poll_fd = epoll_create1(EPOLL_CLOEXEC);
	return poll_fd < 0 ? -1 : 0;
}

int lp_poll_add(int fd, enum lp_poll_kind kind, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG(kind, idx) };

	return epoll_ctl(poll_fd, EPOLL_CTL_ADD, fd, &ev);
}

void lp_poll_del(int fd)
{
	(void)epoll_ctl(poll_fd, EPOLL_CTL_DEL, fd, NULL);
}

int lp_poll_wait(uint32_t *kind, int *idx, int max)
{
	struct epoll_event ev[64];
	int n = epoll_wait(poll_fd, ev, max < 64 ? max : 64, -1);

	for (int i = 0; i < n; i++) {
		kind[i] = (uint32_t)(ev[i].data.u64 >> 32);
		idx[i] = (int)(uint32_t)ev[i].data.u64;
	}
	return n;
}
