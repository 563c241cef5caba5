/* pty-relay LINK OUT IN: a pseudo-terminal for the console getty test (ns
 * t_getty).  Makes a pty pair, points the symlink LINK at the slave
 * (/dev/pts/N), appends whatever is written to the slave to the file OUT,
 * and writes to the slave's input what arrives on the FIFO IN (opened read
 * and write, so writers may come and go).  It holds the slave open itself,
 * so the line outlives each getty and login on it (a real serial line
 * does too).  Runs until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pty-relay LINK OUT IN\n");
		return 2;
	}
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
		perror("pty-relay: posix_openpt");
		return 1;
	}
	const char *slave = ptsname(m);
	int s = slave ? open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	int out = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int in = open(argv[3], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (s < 0 || out < 0 || in < 0) {
		perror("pty-relay: open");
		return 1;
	}
	unlink(argv[1]);
	if (symlink(slave, argv[1]) < 0) {
		perror("pty-relay: symlink");
		return 1;
	}
	char buf[4096];
	for (;;) {
		struct pollfd p[2] = { { m, POLLIN, 0 }, { in, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = read(m, buf, sizeof buf);
			if (n > 0 && write(out, buf, (size_t)n) != n)
				return 1;
		} else if (p[0].revents & (POLLHUP | POLLERR)) {
			/* a vhangup (login does one) closes the slave for a moment */
			pause_ms(10);
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = read(in, buf, sizeof buf);
			/* slowly, as typed: a getty may flush what comes too early */
			for (ssize_t i = 0; i < n; i++) {
				if (write(m, buf + i, 1) != 1)
					break;
				pause_ms(5);
			}
		}
	}
}
