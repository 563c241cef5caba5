/* See control.h.  A slow or silent client costs one slot for at most
 * CONN_TIMEOUT_MS and never blocks the loop: every socket is non-blocking. */
#define _GNU_SOURCE
#include "control.h"
#include "fmt.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "sizes.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_TIMEOUT_MS 5000
#define REQ_MAX 256

static struct conn {
	int fd;                 /* -1: free */
	int req_len;
	int writing;
	int denied;             /* not root: the answer is a refusal */
	control_more more;
	uint64_t deadline;
	uint64_t cursor;
	size_t sent;
	struct outbuf ob;
	char req[REQ_MAX];
	char out[CONN_OUT_SIZE];
} conns[MAX_CONNS];

static int listen_fd = -1;
static control_handler handler;
static char sock_path[108];

void control_init(void)
{
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
}

int control_listen(const char *path, control_handler h)
{
	struct sockaddr_un sa;
	handler = h;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_msg(LOG_ERR, "control socket path too long: %s", path);
		return -1;
	}
	fmt(sock_path, sizeof sock_path, "%s", path);
	/* the directory, if it is ours to make */
	char dir[108];
	fmt(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_ERR, "control socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path);
	/* made 0600 by the umask at bind: a chmod() after it would leave a
	 * moment with the inherited mode, and follows a symlink put there */
	mode_t old_mask = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old_mask);
	if (r < 0 || listen(fd, 8) < 0) {
		log_msg(LOG_ERR, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (loop_add(fd, LOOP_TAG(TAG_LISTEN, 0)) < 0) {
		log_msg(LOG_ERR, "control socket %s: epoll: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	listen_fd = fd;
	return fd;
}

static void conn_close(struct conn *c)
{
	char junk[256];
	/* unread input would turn close() into a reset that loses our answer */
	while (recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
		;
	loop_del(c->fd);
	close(c->fd);
	c->fd = -1;
}

void control_close(void)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	if (listen_fd >= 0) {
		loop_del(listen_fd);
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
}

void control_accept(void)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t len = sizeof cr;
		int denied = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
			     cr.uid != 0;
		int i = 0;
		while (i < MAX_CONNS && conns[i].fd >= 0)
			i++;
		if (i == MAX_CONNS) {
			static const char busy[] = "error: busy, try again\n";
			char junk[256];
			(void)!send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			shutdown(fd, SHUT_WR);
			while (recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
				;
			close(fd);
			continue;
		}
		struct conn *c = &conns[i];
		c->fd = fd;
		c->denied = denied;
		c->req_len = 0;
		c->writing = 0;
		c->more = NULL;
		c->cursor = 0;
		c->sent = 0;
		c->deadline = now_ms() + CONN_TIMEOUT_MS;
		ob_init(&c->ob, c->out, sizeof c->out);
		if (loop_add(fd, LOOP_TAG(TAG_CONN, i)) < 0) {
			/* never read nor timed out: close it; the client tries again */
			log_msg(LOG_WARN, "control: cannot watch a connection: %s", strerror(errno));
			close(fd);
			c->fd = -1;
		}
	}
}

/* Send what is buffered; refill from the generator of a long answer.
 * Returns 1 when everything has been sent. */
static int flush(struct conn *c)
{
	for (;;) {
		while (c->sent < c->ob.len) {
			ssize_t n = send(c->fd, c->ob.buf + c->sent, c->ob.len - c->sent,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : 1;
			c->sent += (size_t)n;
		}
		if (!c->more)
			return 1;
		ob_init(&c->ob, c->out, sizeof c->out);
		c->sent = 0;
		if (!c->more(&c->ob, &c->cursor))
			c->more = NULL;
		if (c->ob.len == 0 && !c->more)
			return 1;
	}
}

static void dispatch(struct conn *c)
{
	char *cmd = c->req, *arg = NULL;
	c->req[c->req_len] = '\0';
	while (*cmd == ' ')
		cmd++;
	char *sp = strchr(cmd, ' ');
	if (sp) {
		*sp = '\0';
		arg = sp + 1;
		while (*arg == ' ')
			arg++;
		char *end = arg + strlen(arg);
		while (end > arg && end[-1] == ' ')
			*--end = '\0';
		if (!*arg)
			arg = NULL;
	}
	c->cursor = 0;
	/* the request was read first: closing on unread input would reset
	 * the connection before the client sees why */
	if (c->denied)
		ob_puts(&c->ob, "error: permission denied (root only)\n");
	else
		handler(cmd, arg, &c->ob, &c->more);
	c->writing = 1;
	if (flush(c))
		conn_close(c);
	else
		loop_mod(c->fd, EPOLLOUT, LOOP_TAG(TAG_CONN, (int)(c - conns)));
}

void control_event(int idx, uint32_t events)
{
	struct conn *c = &conns[idx];
	if (c->fd < 0)
		return;
	if (c->writing) {
		if ((events & (EPOLLERR | EPOLLHUP)) || flush(c))
			conn_close(c);
		return;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->req_len, (size_t)(REQ_MAX - 1 - c->req_len),
				 MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		for (ssize_t i = 0; i < n; i++)
			if (c->req[c->req_len + i] == '\n') {
				c->req_len += (int)i;
				dispatch(c);
				return;
			}
		c->req_len += (int)n;
		if (c->req_len >= REQ_MAX - 1) {
			ob_puts(&c->ob, "error: request too long\n");
			c->writing = 1;
			flush(c);
			conn_close(c);
			return;
		}
	}
}

uint64_t control_next_deadline(void)
{
	uint64_t best = 0;
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0 && (!best || conns[i].deadline < best))
			best = conns[i].deadline;
	return best;
}

void control_tick(uint64_t now)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0 && conns[i].deadline <= now)
			conn_close(&conns[i]);
}
