/* See log.h.  Writes are best effort: a full disk, a missing /dev/kmsg or
 * a syslog daemon that does not read must never stop PID 1, so every
 * write error is ignored on purpose. */
#define _GNU_SOURCE
#include "log.h"
#include "fmt.h"
#include "clock.h"
#include "sizes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int kmsg_fd = -1;
/* an unbound datagram socket, sent from to the syslog socket, if any */
static int syslog_fd = -1;
static struct sockaddr_un syslog_addr;
/* Lines the syslog daemon has not had yet stay in the ring: nobody
 * listened (the daemon starts after the boot tasks) or its queue was full
 * (Linux queues 10 datagrams per socket by default).  syslog_from is where
 * the first of them starts.  They are sent, in order and before any newer
 * line, with the next line logged, or after a full queue from the loop's
 * tick (log_syslog_tick), each as daemon.info with its "[uptime]" in
 * front: nothing lifeline logged before the daemon ran, or while it was
 * busy, is missing from its files (as long as the ring holds it). */
#define SYSLOG_RETRY_MS 100     /* after a full queue */
static int syslog_waiting;      /* 1: nobody listens; 2: the queue was full */
static uint64_t syslog_from, syslog_retry_at;
static int console = -1;
static char ring[LOG_RING_SIZE];
static uint64_t ring_head;      /* total bytes ever written */

void log_console(int console_fd)
{
	console = console_fd;
}

int log_has_kmsg(void)
{
	return kmsg_fd >= 0;
}

void log_init(int use_kmsg, int console_fd)
{
	console = console_fd;
	if (use_kmsg && kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NONBLOCK);
}

int log_syslog_open(const char *path)
{
	size_t n = strlen(path);
	if (n >= sizeof syslog_addr.sun_path)
		return -1;
	if (syslog_fd >= 0 && !strcmp(syslog_addr.sun_path, path))
		return 0;       /* a reload: the backlog is not sent twice */
	log_syslog_close();
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (syslog_fd < 0)
		return -1;
	memset(&syslog_addr, 0, sizeof syslog_addr);
	syslog_addr.sun_family = AF_UNIX;
	memcpy(syslog_addr.sun_path, path, n + 1);
	/* what was logged before (the whole ring), once a daemon listens */
	syslog_waiting = 1;
	syslog_from = 0;
	syslog_retry_at = 0;
	return 0;
}

void log_syslog_close(void)
{
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
	syslog_waiting = 0;
}

static int send_syslog(const char *d, int m)
{
	return (int)sendto(syslog_fd, d, (size_t)m, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&syslog_addr, sizeof syslog_addr);
}


/* One ring record "[stamp] who: text" as "<PRI>who: [stamp] text". */
static int send_record(const char *rec, size_t len)
{
	const char *st = memmem(rec, len, "] ", 2);
	const char *who = st ? st + 2 : NULL;
	const char *colon = who ? memmem(who, len - (size_t)(who - rec), ": ", 2) : NULL;
	if (!colon)
		return 0;
	char d[LOG_LINE_MAX + 160];
	int m = fmt(d, sizeof d, "<%d>%.*s: [%.*s] %.*s", LOG_FAC_DAEMON * 8 + LOG_INFO,
		    (int)(colon - who), who, (int)(st - rec - 1), rec + 1,
		    (int)(len - (size_t)(colon + 2 - rec)), colon + 2);
	if (m <= 0)
		return 0;
	return send_syslog(d, (size_t)m < sizeof d ? m : (int)sizeof d - 1);
}

/* How a failed send is retried (the line is still in the ring): 2, a
 * full queue, from the tick; 1, nobody listening, with the next line. */
static int send_failed(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 2 : 1;
}

/* A send failed: from is the first line not sent. */
static void syslog_wait(uint64_t from)
{
	syslog_waiting = send_failed();
	syslog_from = from;
	if (syslog_waiting == 2)
		syslog_retry_at = now_ms() + SYSLOG_RETRY_MS;
}

/* The backlog up to upto: 0 once all of it is sent; -1 if a send failed
 * (syslog_from then points at the record that failed). */
static int syslog_backlog(uint64_t upto)
{
	static char buf[LOG_RING_SIZE];
	uint64_t cur = syslog_from;
	size_t n = log_ring_read(&cur, buf, upto - syslog_from < sizeof buf ?
				 (size_t)(upto - syslog_from) : sizeof buf);
	/* where the copy starts in the ring (after an overwrite: later) */
	uint64_t pos = cur - n;
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
		if (send_record(buf + i, len) < 0) {
			syslog_wait(pos + i);
			return -1;
		}
		i += len + 1;
	}
	syslog_from = upto;
	syslog_waiting = 0;
	return 0;
}

/* "<PRI>TAG: message", which syslog daemons take without a time stamp
 * (they add the time they received it).  at: where the line starts in
 * the ring (a line not sent now is sent later from there). */
static void to_syslog(int facility, int level, const char *who, const char *msg, size_t len,
		      uint64_t at)
{
	if (syslog_fd < 0 || facility < 0)
		return;
	/* the older lines first */
	if (syslog_waiting && syslog_backlog(at) < 0)
		return;
	char d[LOG_LINE_MAX + 64];
	int m = fmt(d, sizeof d, "<%d>%s: %.*s", facility * 8 + level, who, (int)len, msg);
	if (m <= 0)
		return;
	if ((size_t)m >= sizeof d)
		m = (int)sizeof d - 1;
	if (send_syslog(d, m) < 0)
		syslog_wait(at);
}

uint64_t log_syslog_next_deadline(void)
{
	/* nobody listening: no timer (the next line tries), so a machine
	 * without a syslog daemon has no wake-ups for it */
	return syslog_fd >= 0 && syslog_waiting == 2 ? syslog_retry_at : 0;
}

void log_syslog_tick(uint64_t now)
{
	if (syslog_fd < 0 || syslog_waiting != 2)
		return;
	if (now < syslog_retry_at)
		return;
	syslog_backlog(ring_head);
}

static void ring_put(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(ring_head + i) % LOG_RING_SIZE] = s[i];
	ring_head += n;
}

uint64_t log_ring_head(void)
{
	return ring_head;
}

size_t log_ring_read(uint64_t *cursor, char *dst, size_t cap)
{
	uint64_t tail = ring_head > LOG_RING_SIZE ? ring_head - LOG_RING_SIZE : 0;
	uint64_t pos = *cursor;
	size_t n = 0;

	if (pos < tail) {
		/* overwritten: resume at the first whole record */
		pos = tail;
		while (pos < ring_head && ring[pos % LOG_RING_SIZE] != '\n')
			pos++;
		if (pos < ring_head)
			pos++;
	}
	/* copy whole records only */
	size_t last_nl = 0;
	while (pos + n < ring_head && n < cap) {
		char c = ring[(pos + n) % LOG_RING_SIZE];
		dst[n++] = c;
		if (c == '\n')
			last_nl = n;
	}
	*cursor = pos + last_nl;
	return last_nl;
}

static size_t stamp(char *buf, size_t cap)
{
	uint64_t t = now_ms();
	int n = fmt(buf, cap, "[%5lu.%03lu] ", (unsigned long)(t / 1000),
			 (unsigned long)(t % 1000));
	return n > 0 ? (size_t)n : 0;
}

static void emit(int level, const char *who, const char *msg, size_t len,
		 int to_console, int to_kmsg, int facility)
{
	char line[LOG_LINE_MAX + 64];
	size_t off = stamp(line, sizeof line);
	size_t body = off;
	int n = fmt(line + off, sizeof line - off, "%s: %.*s", who,
			 (int)len, msg);
	if (n < 0)
		return;
	off += (size_t)n < sizeof line - off ? (size_t)n : sizeof line - off - 1;
	line[off] = '\n';
	uint64_t at = ring_head;
	ring_put(line, off + 1);
	if (kmsg_fd >= 0 && to_kmsg) {
		char k[LOG_LINE_MAX + 64];
		int m = fmt(k, sizeof k, "<%d>%.*s", level,
				 (int)(off - body), line + body);
		if (m > 0)
			(void)!write(kmsg_fd, k, (size_t)m < sizeof k ? (size_t)m : sizeof k - 1);
	}
	if (to_console && console >= 0)
		(void)!write(console, line + body, off + 1 - body);
	to_syslog(facility, level, who, msg, len, at);
}

void log_msg(int level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vfmt(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	emit(level, "lifeline", msg, (size_t)n, 1, 1, LOG_FAC_DAEMON);
}

void log_service_line(const char *name, const char *line, size_t len, int to_kmsg,
		      int facility)
{
	emit(LOG_INFO, name, line, len, 0, to_kmsg, facility);
}

void ratelimit_reset(struct ratelimit *rl)
{
	rl->last_ms = 0;
	rl->tokens_milli = LOG_BURST * 1000u;
	rl->suppressed = 0;
}

int ratelimit_take(struct ratelimit *rl, uint64_t now)
{
	if (rl->last_ms && now > rl->last_ms) {
		uint64_t add = (now - rl->last_ms) * LOG_RATE_PER_SEC;
		uint64_t t = rl->tokens_milli + add;
		rl->tokens_milli = t > (uint64_t)LOG_BURST * 1000u ? LOG_BURST * 1000u : (uint32_t)t;
	}
	rl->last_ms = now;
	if (rl->tokens_milli >= 1000) {
		rl->tokens_milli -= 1000;
		return 1;
	}
	rl->suppressed++;
	return 0;
}

uint64_t ratelimit_next_ms(const struct ratelimit *rl)
{
	if (rl->tokens_milli >= 1000)
		return rl->last_ms;
	uint32_t need = 1000 - rl->tokens_milli;
	return rl->last_ms + (need + LOG_RATE_PER_SEC - 1) / LOG_RATE_PER_SEC;
}
