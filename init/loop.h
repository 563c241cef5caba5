/* The one event loop: epoll over signalfd, a timerfd armed for the next
 * deadline, the control socket and the services' output pipes. */
#ifndef LIFELINE_LOOP_H
#define LIFELINE_LOOP_H
#include <stdint.h>

enum loop_tag {
	TAG_SIGNAL = 1, TAG_TIMER, TAG_LISTEN, TAG_CONN, TAG_OUTPUT,
	TAG_PSI,        /* guard: PSI trigger (EPOLLPRI) */
	TAG_VICTIM,     /* guard: the victim's pidfd */
	TAG_CGROUP,     /* cgroup: memory.events changed (inotify) */
	TAG_PROCEV,     /* procev: fork events */
	TAG_KEEPALIVE,  /* peerlink: a UDP socket (idx: which) */
	TAG_INITCTL,    /* initctl: the /run/initctl FIFO */
};

#define LOOP_TAG(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

/* Watch fd for input (EPOLLIN) under tag. */
int loop_add(int fd, uint64_t tag);
/* Change what fd is watched for (EPOLLIN / EPOLLOUT). */
int loop_mod(int fd, uint32_t events, uint64_t tag);
void loop_del(int fd);

#endif
