/* See oomwatch.h.  Was a SIGKILLed child a victim of the kernel's OOM
 * killer?  Without cgroups the answer comes from /proc/vmstat's oom_kill
 * counter and the "Killed process PID" records of /dev/kmsg, read only
 * after such a death. */
#define _GNU_SOURCE
#include "oomwatch.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define RECENT 16

static int kmsg = -1;
static long last_count = -1;
static long recent[RECENT];     /* PIDs the kernel reported as OOM victims */
static int recent_next;

static int vmstat_line(void *ctx, char *line)
{
	if (strncmp(line, "oom_kill ", 9) != 0)
		return 0;
	*(long *)ctx = (long)scan_uint(line + 9, 10, NULL);
	return 1;
}

/* /proc/vmstat is read through a buffer on the pre-faulted stack, not in
 * the locked tables.  Each read() makes the kernel gather its counters
 * anew, so the buffer is large. */
long oomwatch_count(void)
{
	char buf[4096];
	long v = -1;
	scan_lines("/proc/vmstat", buf, sizeof buf, vmstat_line, &v);
	return v;
}

static long number_after(const char *rec, int len, const char *key)
{
	int kl = (int)strlen(key);
	for (int i = 0; i + kl < len; i++) {
		if (memcmp(rec + i, key, (size_t)kl) != 0)
			continue;
		long v = 0;
		int j = i + kl, d = 0;
		while (j < len && rec[j] >= '0' && rec[j] <= '9' && d < 10) {
			v = v * 10 + (rec[j++] - '0');
			d++;
		}
		return d ? v : -1;
	}
	return -1;
}

long oomwatch_parse_record(const char *rec, int len)
{
	/* "PRI,SEQ,TIME,FLAGS;text": only the kernel (facility 0, PRI < 8)
	 * counts; user space, our own forwarded service output included,
	 * cannot write facility 0 to /dev/kmsg, so cannot fake a kill */
	int pri = 0, i = 0;
	while (i < len && rec[i] >= '0' && rec[i] <= '9' && i < 6)
		pri = pri * 10 + (rec[i++] - '0');
	if (i == 0 || i >= len || rec[i] != ',' || pri >= 8)
		return -1;
	/* "Out of memory: Killed process 123 (x) ..." (global and memcg) */
	return number_after(rec, len, "Killed process ");
}

void oomwatch_init(void)
{
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	last_count = oomwatch_count();
}

/* Read the kernel log written since the last look; 1 if records were
 * lost (overwritten before we read them) or there is no kernel log. */
static int drain(void)
{
	/* a read takes a whole record or fails with EINVAL (6.x kernels then
	 * move past it, older ones stay on it for good).  The kernel hands
	 * out at most 8192 bytes (CONSOLE_EXT_LOG_MAX); a 1000-byte message
	 * of control characters is ~4000 once escaped as \xNN. */
	static char rec[8192];
	int lost = 0;
	if (kmsg < 0)
		return 1;
	for (int guard = 0; guard < 4096; guard++) {
		ssize_t n = read(kmsg, rec, sizeof rec);
		if (n < 0 && errno == EPIPE) {
			lost = 1;
			continue;
		}
		if (n < 0 && errno == EINVAL) {
			/* a record larger still: no way past it but the end */
			lseek(kmsg, 0, SEEK_END);
			lost = 1;
			break;
		}
		if (n <= 0)
			break;
		long pid = oomwatch_parse_record(rec, (int)n);
		if (pid > 0) {
			recent[recent_next] = pid;
			recent_next = (recent_next + 1) % RECENT;
		}
	}
	return lost;
}

void oomwatch_check(pid_t pid, int *named, int *seen)
{
	int lost = drain();
	*named = 0;
	*seen = 0;
	for (int i = 0; i < RECENT; i++)
		if (recent[i] == pid) {
			*named = 1;
			recent[i] = 0;
		}
	/* The counter says only that some OOM kill happened since the last
	 * look, which may be long ago: it is a hint for when the kernel log
	 * could not name the victim, nothing more. */
	if (!*named && lost) {
		long c = oomwatch_count();
		*seen = c >= 0 && last_count >= 0 && c > last_count;
		if (c >= 0)
			last_count = c;
	}
}
