/* The log ring (whole records only) and the output rate limit (log.c). */
#define _GNU_SOURCE
#include "test.h"
#include "log.h"
#include "sizes.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char dst[LOG_RING_SIZE + 64];

/* Every line of buf[0..len) is a whole record: "[stamp] who: text\n". */
static int whole_records(const char *buf, size_t len, int *nrec)
{
	size_t i = 0;
	int n = 0;
	if (len && buf[len - 1] != '\n')
		return 0;
	while (i < len) {
		const char *e = memchr(buf + i, '\n', len - i);
		if (!e)
			return 0;
		size_t l = (size_t)(e - (buf + i));
		/* "[%5lu.%03lu] " */
		if (l < 12 || buf[i] != '[' || !memchr(buf + i, ']', l) ||
		    !memmem(buf + i, l, "] ", 2))
			return 0;
		i += l + 1;
		n++;
	}
	if (nrec)
		*nrec = n;
	return 1;
}

/* A syslog daemon's socket at PATH: a bound datagram socket (-1 on error). */
static int syslog_listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void suite_syslog(void)
{
	char path[64], got[LOG_LINE_MAX + 128];
	snprintf(path, sizeof path, "/tmp/lifeline-t_log-%d.sock", (int)getpid());
	int fd = syslog_listener(path);
	TEST("syslog: a test socket stands in for /dev/log") {
		CHECK(fd >= 0);
		CHECK_INT(log_syslog_open(path), 0);
	}
	TEST("syslog: lifeline's own lines go as daemon, at their level") {
		log_msg(LOG_NOTICE, "syslog test %d", 7);
		ssize_t n = recv(fd, got, sizeof got - 1, 0);
		CHECK(n > 0);
		got[n > 0 ? n : 0] = '\0';
		CHECK_STR(got, "<29>lifeline: syslog test 7");
	}
	TEST("syslog: a service's lines at its facility, no facility: not sent") {
		log_service_line("sshd", "Accepted publickey for root", 27, 1, LOG_FAC_AUTHPRIV);
		ssize_t n = recv(fd, got, sizeof got - 1, 0);
		CHECK(n > 0);
		got[n > 0 ? n : 0] = '\0';
		CHECK_STR(got, "<86>sshd: Accepted publickey for root");
		log_service_line("quiet", "not for syslog", 14, 1, LOG_FAC_NONE);
		CHECK(recv(fd, got, sizeof got, 0) < 0);
	}
	TEST("syslog: what was logged while nobody listened goes first, once, when one does") {
		close(fd);
		unlink(path);
		log_msg(LOG_WARN, "while away %d", 1);
		log_service_line("svc", "while away 2", 12, 1, LOG_FAC_AUTHPRIV);
		fd = syslog_listener(path);
		CHECK(fd >= 0);
		log_msg(LOG_NOTICE, "back");
		const char *want[] = { "<30>lifeline: [", "<30>svc: [", "<29>lifeline: back" };
		const char *tail[] = { "] while away 1", "] while away 2", "back" };
		for (int i = 0; i < 3; i++) {
			ssize_t n = recv(fd, got, sizeof got - 1, 0);
			CHECK(n > 0);
			got[n > 0 ? n : 0] = '\0';
			CHECK(!strncmp(got, want[i], strlen(want[i])));
			CHECK(n >= (ssize_t)strlen(tail[i]) &&
			      !strcmp(got + n - strlen(tail[i]), tail[i]));
		}
		CHECK(recv(fd, got, sizeof got, 0) < 0);
		log_msg(LOG_NOTICE, "again");
		ssize_t n = recv(fd, got, sizeof got - 1, 0);
		got[n > 0 ? n : 0] = '\0';
		CHECK_STR(got, "<29>lifeline: again");
		CHECK(recv(fd, got, sizeof got, 0) < 0);
	}
	TEST("syslog: nobody listening (or a full queue) costs nothing and says nothing") {
		close(fd);
		unlink(path);
		uint64_t cur = log_ring_head();
		for (int i = 0; i < 200; i++)
			log_service_line("svc", "x", 1, 0, LOG_FAC_DAEMON);
		/* the lines still reach the ring; sendto's errors are not logged */
		size_t m = log_ring_read(&cur, dst, sizeof dst);
		int nrec = 0;
		CHECK(whole_records(dst, m, &nrec));
		CHECK_INT(nrec, 200);
		fd = syslog_listener(path);
		CHECK(fd >= 0);
		/* a listener that does not read: the queue fills, sends fail at
		 * once, and the lines wait in the ring */
		for (int i = 0; i < 5000; i++)
			log_service_line("svc", "fill", 4, 0, LOG_FAC_DAEMON);
		CHECK(recv(fd, got, sizeof got - 1, 0) > 0);
	}
	TEST("syslog: lines a full queue refused arrive later, in order, none lost") {
		/* what the fill left: the ring's worth, ten at a time */
		for (int r = 0; r < 2000 && log_syslog_next_deadline(); r++) {
			while (recv(fd, got, sizeof got, 0) > 0)
				;
			log_syslog_tick(UINT64_MAX / 2);
		}
		while (recv(fd, got, sizeof got, 0) > 0)
			;
		CHECK_INT(log_syslog_next_deadline(), 0);
		char line[32];
		for (int i = 0; i < 60; i++) {
			int l = snprintf(line, sizeof line, "line %d", i);
			log_service_line("svc", line, (size_t)l, 0, LOG_FAC_DAEMON);
		}
		/* more than the queue takes: the rest waits, with a deadline */
		CHECK(log_syslog_next_deadline() > 0);
		int next = 0, rounds = 0;
		while (next < 60 && rounds++ < 100) {
			ssize_t n;
			while ((n = recv(fd, got, sizeof got - 1, 0)) > 0) {
				got[n] = '\0';
				char want[32];
				snprintf(want, sizeof want, "line %d", next);
				size_t wl = strlen(want);
				/* "<30>svc: line N" sent at once, "<30>svc: [stamp] line N" later */
				if ((size_t)n >= wl && !strcmp(got + n - wl, want))
					next++;
			}
			log_syslog_tick(UINT64_MAX / 2);
		}
		CHECK_INT(next, 60);
		CHECK_INT(log_syslog_next_deadline(), 0);
	}
	log_syslog_close();
	if (fd >= 0)
		close(fd);
	unlink(path);
}

void suite_log(void)
{
	suite_syslog();
	uint64_t cur;
	size_t n;

	TEST("log: ring returns a whole record and advances the cursor") {
		cur = log_ring_head();
		log_msg(LOG_INFO, "hello %d", 1);
		n = log_ring_read(&cur, dst, sizeof dst);
		dst[n] = '\0';
		CHECK(n > 0);
		CHECK_INT(cur, log_ring_head());
		CHECK(dst[0] == '[');
		CHECK_CONTAINS(dst, "] lifeline: hello 1\n");
		CHECK(whole_records(dst, n, NULL));
		CHECK_INT(log_ring_read(&cur, dst, sizeof dst), 0);
		CHECK_INT(cur, log_ring_head());
	}
	TEST("log: service lines carry the service name") {
		cur = log_ring_head();
		log_service_line("sshd", "Server listening on 0.0.0.0 port 22.xyz", 36, 1, LOG_FAC_DAEMON);
		n = log_ring_read(&cur, dst, sizeof dst);
		dst[n] = '\0';
		CHECK_CONTAINS(dst, "] sshd: Server listening on 0.0.0.0 port 22.\n");
		CHECK_NOT_CONTAINS(dst, "xyz");
	}
	TEST("log: a small buffer gets whole records only") {
		cur = log_ring_head();
		uint64_t start = cur;
		log_msg(LOG_INFO, "first record");
		uint64_t mid = log_ring_head();
		log_msg(LOG_INFO, "second record");
		log_msg(LOG_INFO, "third record");
		size_t first_len = (size_t)(mid - start);
		/* room for the first record and half of the second */
		n = log_ring_read(&cur, dst, first_len + 10);
		CHECK_INT(n, first_len);
		CHECK_INT(cur, mid);
		dst[n] = '\0';
		CHECK_CONTAINS(dst, "first record\n");
		CHECK_NOT_CONTAINS(dst, "second");
		n = log_ring_read(&cur, dst, sizeof dst);
		dst[n] = '\0';
		CHECK(whole_records(dst, n, NULL));
		CHECK(!strncmp(dst, "[", 1));
		CHECK_CONTAINS(dst, "second record\n");
		CHECK_CONTAINS(dst, "third record\n");
		CHECK_INT(cur, log_ring_head());
	}
	TEST("log: long messages are truncated to one record") {
		static char big[2000];
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		cur = log_ring_head();
		log_msg(LOG_INFO, "%s", big);
		log_service_line("svc", big, sizeof big - 1, 1, LOG_FAC_DAEMON);
		n = log_ring_read(&cur, dst, sizeof dst);
		int nrec = 0;
		CHECK(whole_records(dst, n, &nrec));
		CHECK_INT(nrec, 2);
		CHECK(n <= 2 * (LOG_LINE_MAX + 64));
	}
	TEST("log: after wrapping, the reader resumes at a whole record") {
		uint64_t old = log_ring_head();
		int last = -1;
		/* more than LOG_RING_SIZE bytes, ~33 bytes a record */
		for (int i = 0; i < 1200; i++)
			log_msg(LOG_INFO, "rec %04d", i);
		CHECK(log_ring_head() - old > LOG_RING_SIZE);
		cur = old;
		n = log_ring_read(&cur, dst, sizeof dst);
		CHECK(n > 0 && n <= LOG_RING_SIZE);
		CHECK_INT(cur, log_ring_head());
		int nrec = 0;
		CHECK_MSG(whole_records(dst, n, &nrec), "partial record in %.80s", dst);
		/* consecutive record numbers, ending with the last one written */
		int prev = -1, bad = 0;
		for (size_t i = 0; i < n;) {
			const char *e = memchr(dst + i, '\n', n - i);
			const char *r = memmem(dst + i, (size_t)(e - (dst + i)), "lifeline: rec ", 14);
			if (!r) {
				bad = 1;
				break;
			}
			int v = atoi(r + 14);
			if (prev >= 0 && v != prev + 1)
				bad = 1;
			prev = v;
			i = (size_t)(e - dst) + 1;
		}
		last = prev;
		CHECK(!bad);
		CHECK_INT(last, 1199);
		CHECK(nrec > 300);
	}
	TEST("log: after wrapping, small reads still give whole records") {
		for (int i = 0; i < 600; i++)
			log_msg(LOG_INFO, "more %04d", i);
		cur = 0;        /* long overwritten */
		int rounds = 0, ok = 1;
		for (; rounds < 10000; rounds++) {
			n = log_ring_read(&cur, dst, 100);
			if (!n)
				break;
			if (!whole_records(dst, n, NULL))
				ok = 0;
		}
		CHECK(ok);
		CHECK_INT(cur, log_ring_head());
		CHECK(rounds > 100);
	}

	struct ratelimit rl;
	TEST("ratelimit: a burst of LOG_BURST lines is allowed") {
		ratelimit_reset(&rl);
		int allowed = 0;
		for (int i = 0; i < LOG_BURST; i++)
			allowed += ratelimit_take(&rl, 5000);
		CHECK_INT(allowed, LOG_BURST);
		CHECK_INT(rl.suppressed, 0);
	}
	TEST("ratelimit: then lines are suppressed and counted") {
		CHECK_INT(ratelimit_take(&rl, 5000), 0);
		CHECK_INT(ratelimit_take(&rl, 5000), 0);
		CHECK_INT(ratelimit_take(&rl, 5000), 0);
		CHECK_INT(rl.suppressed, 3);
	}
	TEST("ratelimit: tokens refill over time") {
		/* LOG_RATE_PER_SEC lines a second: one every 50 ms */
		uint64_t step = 1000 / LOG_RATE_PER_SEC;
		CHECK_INT(ratelimit_take(&rl, 5000 + step - 1), 0);
		CHECK_INT(ratelimit_take(&rl, 5000 + step), 1);
		CHECK_INT(ratelimit_take(&rl, 5000 + step), 0);
		int allowed = 0;
		for (int i = 0; i < 100; i++)
			allowed += ratelimit_take(&rl, 6000 + step);
		CHECK_INT(allowed, LOG_RATE_PER_SEC);
	}
	TEST("ratelimit: refill never exceeds the burst") {
		int allowed = 0;
		for (int i = 0; i < 3 * LOG_BURST; i++)
			allowed += ratelimit_take(&rl, 1000000);
		CHECK_INT(allowed, LOG_BURST);
	}
	TEST("ratelimit: the clock going backwards refills nothing") {
		ratelimit_reset(&rl);
		for (int i = 0; i < LOG_BURST; i++)
			ratelimit_take(&rl, 50000);
		CHECK_INT(ratelimit_take(&rl, 40000), 0);
		CHECK_INT(ratelimit_take(&rl, 40000), 0);
	}
}
