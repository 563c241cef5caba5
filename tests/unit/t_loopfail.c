/* What lifeline does when the event loop refuses a file descriptor
 * (epoll_ctl fails: ENOSPC past fs.epoll.max_user_watches, ENOMEM): no
 * pipe or socket may be left open that nothing will ever read (issue #12). */
#define _GNU_SOURCE
#include "test.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "service.h"

#include "loop.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The real loop (loop.c), made to refuse every descriptor for a while:
 * its epoll descriptor's number points at /dev/null meanwhile, so
 * epoll_ctl fails (EINVAL) where past fs.epoll.max_user_watches it would
 * fail with ENOSPC; the same paths run. */
static int saved_epoll = -1;

static void loop_refuse(void)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	saved_epoll = dup(loop_fd());
	dup2(null, loop_fd());
	close(null);
}

static void loop_mend(void)
{
	dup2(saved_epoll, loop_fd());
	close(saved_epoll);
	saved_epoll = -1;
}

static struct config_parser parser;
static struct config cfg;
static struct capture cap;

static void no_handler(char *cmd, char *arg, struct outbuf *o, control_more *more)
{
}

void suite_loopfail(void)
{
	TEST("loop: the real epoll instance takes a pipe and gives its event back under its tag") {
		int p[2];
		CHECK_INT(pipe(p), 0);
		CHECK_INT(loop_add(p[0], LOOP_TAG(TAG_OUTPUT, 7)), 0);
		(void)!write(p[1], "x", 1);
		/* (descriptors of earlier suites may be ready too) */
		struct epoll_event ev[64];
		int n = epoll_wait(loop_fd(), ev, 64, 1000), seen = 0;
		for (int i = 0; i < n; i++)
			seen += ev[i].data.u64 == LOOP_TAG(TAG_OUTPUT, 7);
		CHECK_INT(seen, 1);
		loop_del(p[0]);
		n = epoll_wait(loop_fd(), ev, 64, 0);
		seen = 0;
		for (int i = 0; i < n; i++)
			seen += ev[i].data.u64 == LOOP_TAG(TAG_OUTPUT, 7);
		CHECK_INT(seen, 0);
		close(p[0]);
		close(p[1]);
	}
	TEST("loop refuses a unit's output pipe: no pipe nobody reads; output to /dev/null, said") {
		uint64_t cur = log_ring_head();
		char logbuf[2048];
		memset(unit_table, 0, sizeof unit_table);
		boot_phase = PH_RUN;
		parse_text(&parser, &cfg, &cap, "[boot chatty]\nexec = /bin/true\n", -1);
		loop_refuse();
		service_reload(&cfg);
		loop_mend();
		int found = -1;
		for (int i = 0; i < MAX_UNITS; i++)
			if (unit_table[i].used && !strcmp(unit_table[i].name, "chatty"))
				found = i;
		CHECK(found >= 0);
		if (found >= 0) {
			CHECK_INT(unit_table[found].out_r, -1);
			CHECK_INT(unit_table[found].out_w, -1);
		}
		size_t n = log_ring_read(&cur, logbuf, sizeof logbuf - 1);
		logbuf[n] = '\0';
		CHECK_CONTAINS(logbuf, "chatty: cannot watch its output pipe");
		/* the table as it was for the next suites */
		memset(&cfg, 0, sizeof cfg);
		service_reload(&cfg);
		memset(unit_table, 0, sizeof unit_table);
		boot_phase = PH_BOOT;
	}
	TEST("loop refuses a control connection: it is closed, not left unread") {
		char path[300];
		snprintf(path, sizeof path, "%s/control", temp_dir());
		control_init();
		CHECK(control_listen(path, no_handler) >= 0);
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		memcpy(sa.sun_path, path, strlen(path) < sizeof sa.sun_path ? strlen(path) + 1 : 0);
		CHECK_INT(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
		loop_refuse();
		control_accept();
		loop_mend();
		/* the client sees the end at once, and may try again */
		struct pollfd p = { .fd = c, .events = POLLIN };
		CHECK_INT(poll(&p, 1, 2000), 1);
		char b;
		CHECK_INT(read(c, &b, 1), 0);
		close(c);
		control_close();
	}
	TEST("loop refuses the control socket: control_listen fails (retried by main)") {
		char path[300];
		snprintf(path, sizeof path, "%s/control2", temp_dir());
		control_init();
		loop_refuse();
		CHECK_INT(control_listen(path, no_handler), -1);
		loop_mend();
		CHECK(access(path, F_OK) != 0);
	}
}
