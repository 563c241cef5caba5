/* lifeline-peer's log lines: one write per line to stderr and, if
 * peer.conf asks (syslog = yes), a datagram to /dev/log.  Neither may hold
 * up the loop: a full pipe or syslog socket loses the line. */
#define _GNU_SOURCE
#include "peer_daemon.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int log_syslog_fd = -1;

void lp_log(int prio, const char *f, ...)
{
	char line[1024];
	va_list ap;
	int n, h;

	memcpy(line, "lifeline-peer: ", 15);
	va_start(ap, f);
	n = vfmt(line + 15, sizeof line - 16, f, ap);
	va_end(ap);
	n += 15;
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0) {
		/* nowhere to say it */
	}
	if (log_syslog_fd < 0)
		return;
	char msg[1100];

	/* facility daemon (3) */
	h = fmt(msg, sizeof msg, "<%d>lifeline-peer[%d]: %.*s", 3 * 8 + prio, (int)getpid(),
		n - 16, line + 15);
	if (h > (int)sizeof msg - 1)
		h = (int)sizeof msg - 1;
	(void)!send(log_syslog_fd, msg, (size_t)h, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void lp_log_syslog_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };

	log_syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (log_syslog_fd >= 0 && connect(log_syslog_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		close(log_syslog_fd);
		log_syslog_fd = -1;
		lp_log(4, "event=warning syslog: /dev/log: %s (logging to stderr only)",
		       strerror(e));
	}
}

/* A terminal or file is left alone: its open file may be shared with
 * others. */
void lp_log_stderr_nonblock(void)
{
	struct stat st;
	int fl = fcntl(2, F_GETFL);

	if (fl >= 0 && fstat(2, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		(void)fcntl(2, F_SETFL, fl | O_NONBLOCK);
}

void lp_log_iso_time(int64_t mono, int64_t now, char *out, size_t cap)
{
	time_t t = (time_t)((lp_real_ms() - (now - mono)) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fmt(out, cap, "?");
}
