/* See log.h.  Writes are best effort: a full disk or a missing /dev/kmsg
 * must never stop PID 1, so every write error is ignored on purpose. */
#define _GNU_SOURCE
#include "log.h"
#include "fmt.h"
#include "clock.h"
#include "sizes.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

static int kmsg_fd = -1;
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
		 int to_console, int to_kmsg)
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
	emit(level, "lifeline", msg, (size_t)n, 1, 1);
}

void log_service_line(const char *name, const char *line, size_t len, int to_kmsg)
{
	emit(LOG_INFO, name, line, len, 0, to_kmsg);
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
