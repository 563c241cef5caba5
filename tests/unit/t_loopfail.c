/* What lifeline does when the event loop refuses a file descriptor
 * (epoll_ctl fails: ENOSPC past fs.epoll.max_user_watches, ENOMEM): no
 * pipe or socket may be left open that nothing will ever read (issue #12). */
#define _GNU_SOURCE
#include "test.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "service.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern int stub_loop_add_fails;

static struct config_parser parser;
static struct config cfg;
static struct capture cap;

static void no_handler(char *cmd, char *arg, struct outbuf *o, control_more *more)
{
}

void suite_loopfail(void)
{
	TEST("loop refuses a unit's output pipe: no pipe nobody reads; output to /dev/null, said") {
		uint64_t cur = log_ring_head();
		char logbuf[2048];
		memset(units, 0, sizeof units);
		phase = PH_RUN;
		parse_text(&parser, &cfg, &cap, "[boot chatty]\nexec = /bin/true\n", -1);
		stub_loop_add_fails = 1;
		units_reload(&cfg);
		stub_loop_add_fails = 0;
		int found = -1;
		for (int i = 0; i < MAX_UNITS; i++)
			if (units[i].used && !strcmp(units[i].name, "chatty"))
				found = i;
		CHECK(found >= 0);
		if (found >= 0) {
			CHECK_INT(units[found].out_r, -1);
			CHECK_INT(units[found].out_w, -1);
		}
		size_t n = log_ring_read(&cur, logbuf, sizeof logbuf - 1);
		logbuf[n] = '\0';
		CHECK_CONTAINS(logbuf, "chatty: cannot watch its output pipe");
		/* the table as it was for the next suites */
		memset(&cfg, 0, sizeof cfg);
		units_reload(&cfg);
		memset(units, 0, sizeof units);
		phase = PH_BOOT;
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
		stub_loop_add_fails = 1;
		control_accept();
		stub_loop_add_fails = 0;
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
		stub_loop_add_fails = 1;
		CHECK_INT(control_listen(path, no_handler), -1);
		stub_loop_add_fails = 0;
		CHECK(access(path, F_OK) != 0);
	}
}
