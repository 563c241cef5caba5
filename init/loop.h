/* The one event loop: epoll over signalfd, a timerfd armed for the next
 * deadline, the control socket, the services' output pipes and every
 * other module's descriptors, each under a tag saying whose it is.
 * main.c waits (loop_wait) and hands each event to its module by tag. */
#ifndef LIFELINE_LOOP_H
#define LIFELINE_LOOP_H
#include <stdint.h>
#include <sys/epoll.h>

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

/* Make the epoll instance (once); -1 with errno if the kernel will not. */
int loop_init(void);
/* Its descriptor (-1 before loop_init). */
int loop_fd(void);
/* Watch fd for input (EPOLLIN) under tag; -1 with errno (epoll_ctl's:
 * ENOSPC past fs.epoll.max_user_watches, ENOMEM) if it cannot. */
int loop_add(int fd, uint64_t tag);
/* Change what fd is watched for (EPOLLIN / EPOLLOUT). */
int loop_mod(int fd, uint32_t events, uint64_t tag);
void loop_del(int fd);
/* Wait for events, at most max, without a time limit (the timerfd is
 * the loop's clock): epoll_wait's result. */
int loop_wait(struct epoll_event *ev, int max);

#endif
