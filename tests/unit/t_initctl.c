/* The /run/initctl record parser (initctl.c): systemctl's runlevel 0 and 6
 * are requests to go down; other runlevels, other commands, a bad magic and
 * short records are ignored; several records in one read.  The records are
 * built as systemd 252's talk_initctl() writes them (measured: 69 19 09 03
 * 01 00 00 00 30 00 ..., 384 bytes). */
#include "test.h"
#include "initctl.h"

#include <stdint.h>
#include <string.h>
#include <sys/reboot.h>

/* struct init_request as sysvinit's initreq.h has it */
struct init_request {
	int magic, cmd, runlevel, sleeptime;
	char data[368];
};
_Static_assert(sizeof(struct init_request) == INITCTL_REQ_SIZE, "init_request");

static void req(unsigned char *dst, int magic, int cmd, int level)
{
	struct init_request r;
	memset(&r, 0, sizeof r);
	r.magic = magic;
	r.cmd = cmd;
	r.runlevel = level;
	memcpy(dst, &r, sizeof r);
}

static unsigned char b[8 * INITCTL_REQ_SIZE];

static void suite_initctl_fifo(void);

void suite_initctl(void)
{
	uint32_t arg;

	TEST("initctl: the bytes systemctl poweroff wrote (measured) are runlevel 0") {
		static const unsigned char head[] = { 0x69, 0x19, 0x09, 0x03, 0x01, 0, 0, 0,
						      0x30, 0, 0, 0 };
		memset(b, 0, INITCTL_REQ_SIZE);
		memcpy(b, head, sizeof head);
		CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_POWEROFF);
		CHECK_INT(arg, '0');
	}

	TEST("initctl: runlevel '6' is a reboot, '0' a poweroff") {
		req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '6');
		CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_REBOOT);
		req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_POWEROFF);
	}

	TEST("initctl: other runlevels (1 s S 2-5 q, the number 0 and 6) are ignored") {
		const int levels[] = { '1', 's', 'S', '2', '3', '4', '5', 'q', 'u', 0, 6, 0x130 };
		for (unsigned i = 0; i < sizeof levels / sizeof levels[0]; i++) {
			req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, levels[i]);
			CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_OTHER_LEVEL);
			CHECK_INT(arg, (uint32_t)levels[i]);
		}
	}

	TEST("initctl: other commands (start, powerfail, setenv...) even with level 0") {
		const int cmds[] = { 0, 2, 3, 4, 5, 6, 7, 12345, -1 };
		for (unsigned i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
			req(b, INITCTL_MAGIC, cmds[i], '0');
			CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_OTHER_CMD);
			CHECK_INT(arg, (uint32_t)cmds[i]);
		}
	}

	TEST("initctl: a bad magic (zeros, byte-swapped, off by one) is ignored") {
		const uint32_t m[] = { 0, 0x69190903, INITCTL_MAGIC + 1, 0xffffffff };
		for (unsigned i = 0; i < sizeof m / sizeof m[0]; i++) {
			req(b, (int)m[i], INITCTL_CMD_RUNLVL, '0');
			CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE, &arg), INITCTL_BAD_MAGIC);
			CHECK_INT(arg, m[i]);
		}
	}

	TEST("initctl: a record shorter than 384 bytes is short, whatever it holds") {
		req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		for (size_t l = 0; l < INITCTL_REQ_SIZE; l += 13) {
			CHECK_INT(initctl_parse(b, l, &arg), INITCTL_SHORT);
			CHECK_INT(arg, (uint32_t)l);
		}
		CHECK_INT(initctl_parse(b, INITCTL_REQ_SIZE - 1, &arg), INITCTL_SHORT);
	}

	TEST("initctl: several records in one read: the first request wins, all counted") {
		struct initctl_scan s;
		req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '3');
		req(b + 1 * INITCTL_REQ_SIZE, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '6');
		req(b + 2 * INITCTL_REQ_SIZE, 0, 0, 0);
		req(b + 3 * INITCTL_REQ_SIZE, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		req(b + 4 * INITCTL_REQ_SIZE, INITCTL_MAGIC, 6, '0');
		initctl_scan_buf(b, 5 * INITCTL_REQ_SIZE, &s);
		CHECK_INT(s.request, INITCTL_REBOOT);
		CHECK_INT(s.n[INITCTL_REBOOT], 1);
		CHECK_INT(s.n[INITCTL_POWEROFF], 1);
		CHECK_INT(s.n[INITCTL_OTHER_LEVEL], 1);
		CHECK_INT(s.n[INITCTL_BAD_MAGIC], 1);
		CHECK_INT(s.n[INITCTL_OTHER_CMD], 1);
		CHECK_INT(s.n[INITCTL_SHORT], 0);
		CHECK_INT(s.first_bad, INITCTL_OTHER_LEVEL);
		CHECK_INT(s.first_bad_arg, '3');
	}

	TEST("initctl: a read of two records and a tail: the tail is one short record") {
		struct initctl_scan s;
		req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		req(b + INITCTL_REQ_SIZE, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		initctl_scan_buf(b, 2 * INITCTL_REQ_SIZE + 100, &s);
		CHECK_INT(s.request, INITCTL_POWEROFF);
		CHECK_INT(s.n[INITCTL_POWEROFF], 2);
		CHECK_INT(s.n[INITCTL_SHORT], 1);
		CHECK_INT(s.first_bad, INITCTL_SHORT);
		CHECK_INT(s.first_bad_arg, 100);
	}

	TEST("initctl: garbage alone (a short write, a misaligned stream) requests nothing") {
		struct initctl_scan s;
		initctl_scan_buf((const unsigned char *)"abc", 3, &s);
		CHECK_INT(s.request, -1);
		CHECK_INT(s.n[INITCTL_SHORT], 1);
		/* 100 bytes of junk before a good record: the good bytes arrive
		 * cut in two and are refused, never misread */
		memset(b, 'x', 100);
		req(b + 100, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, '0');
		initctl_scan_buf(b, 100 + INITCTL_REQ_SIZE, &s);
		CHECK_INT(s.request, -1);
		CHECK_INT(s.n[INITCTL_BAD_MAGIC], 1);
		CHECK_INT(s.n[INITCTL_SHORT], 1);
		initctl_scan_buf(b, 0, &s);
		CHECK_INT(s.request, -1);
		CHECK_INT(s.first_bad, -1);
	}
	suite_initctl_fifo();
}

/* ---- the FIFO itself: what is replaced, what is read, what is logged ---- */

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* What was logged since *cur, as one string. */
static const char *logged(uint64_t *cur)
{
	static char lbuf[8192];
	size_t n = log_ring_read(cur, lbuf, sizeof lbuf - 1);
	lbuf[n] = '\0';
	return lbuf;
}

static int count(const char *text, const char *what)
{
	int c = 0;
	for (const char *p = text; (p = strstr(p, what)); p++)
		c++;
	return c;
}

/* write COUNT records of runlevel LEVEL into fd; how many went in */
static int put(int fd, int level, int count)
{
	int done = 0;
	req(b, INITCTL_MAGIC, INITCTL_CMD_RUNLVL, level);
	while (done < count && write(fd, b, INITCTL_REQ_SIZE) == INITCTL_REQ_SIZE)
		done++;
	return done;
}

void suite_initctl_fifo(void)
{
	const char *dir = temp_dir();
	char path[300];
	struct stat st;
	snprintf(path, sizeof path, "%s/initctl", dir);

	TEST("initctl: a file, not a FIFO, at the path is left alone") {
		write_file(dir, "initctl", "keep me\n", 8);
		CHECK_INT(initctl_open(path, 1), -1);
		CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8);
		unlink(path);
	}

	TEST("initctl: an existing FIFO is left alone in a PID namespace (/run may be the host's)") {
		CHECK(mkfifo(path, 0644) == 0);
		CHECK(lstat(path, &st) == 0);
		ino_t old = st.st_ino;
		CHECK_INT(initctl_open(path, 0), -1);
		CHECK(lstat(path, &st) == 0 && st.st_ino == old && (st.st_mode & 07777) == 0644);
	}

	int wfd = -1;
	TEST("initctl: as the machine's init a stale FIFO is replaced by a 0600 one") {
		/* the old one is 0644 (above); the inode number may be reused */
		uint64_t cur = log_ring_head();
		mode_t um = umask(077);
		int fd = initctl_open(path, 1);
		umask(um);
		CHECK(fd >= 0);
		CHECK(strstr(logged(&cur), "initctl: replaced a stale FIFO at ") != NULL);
		CHECK(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
		CHECK_INT(st.st_mode & 07777, 0600);
		CHECK_INT(st.st_uid, geteuid());
		wfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		CHECK(wfd >= 0);
	}

	TEST("initctl: a request among junk is served once; later ones only counted") {
		uint64_t cur = log_ring_head();
		CHECK_INT(initctl_event(1000), -1);     /* nothing there: EAGAIN */
		/* one read: '3', '0', 4 bytes of junk (junk first would cut the
		 * '0' in two: refused, see above) */
		CHECK_INT(put(wfd, '3', 1), 1);
		CHECK_INT(put(wfd, '0', 1), 1);
		CHECK_INT(write(wfd, "junk", 4), 4);
		CHECK_INT(initctl_event(1000), (int)RB_POWER_OFF);
		const char *l = logged(&cur);
		CHECK_INT(count(l, "initctl: ignored runlevel 3 (lifeline serves 0 and 6) via "), 1);
		CHECK_INT(count(l, "initctl: runlevel 0 requested via "), 1);
		CHECK_INT(count(l, "initctl:"), 2);
		CHECK_INT(initctl_event(1000), -1);
		CHECK_INT(put(wfd, '6', 1), 1);
		CHECK_INT(initctl_event(1001), -1);
		CHECK_INT(initctl_next_deadline(), 1000 + INITCTL_LOG_GAP_MS);
	}

	TEST("initctl: a flood is read %d records a second, then paused to the next second",
	     INITCTL_RECORDS_PER_SEC) {
		uint64_t cur = log_ring_head();
		int written = 0, calls = 0;
		/* the pipe holds ~170 records: fill, read, again, all in second 5 */
		while (calls < 10000) {
			written += put(wfd, '5', 64);
			calls++;
			CHECK_INT(initctl_event(5000 + (uint64_t)calls % 1000 / 2), -1);
			if (initctl_next_deadline() == 6000)
				break;
		}
		t_note("paused after %d records written, %d wake-ups", written, calls);
		CHECK(written >= INITCTL_RECORDS_PER_SEC);
		CHECK(written < INITCTL_RECORDS_PER_SEC + 256);
		CHECK_INT(initctl_next_deadline(), 6000);
		/* paused: not read, even when called */
		int queued = -1, still = -2;
		ioctl(wfd, FIONREAD, &queued);
		CHECK_INT(initctl_event(5999), -1);
		ioctl(wfd, FIONREAD, &still);
		CHECK(queued > 0);
		CHECK_INT(still, queued);
		CHECK_INT(initctl_next_deadline(), 6000);
		initctl_tick(6000);
		CHECK_INT(initctl_next_deadline(), 1000 + INITCTL_LOG_GAP_MS);
		for (int k = 0; k < 100; k++)
			initctl_event(6000);
		ioctl(wfd, FIONREAD, &still);
		CHECK_INT(still, 0);
		/* no line for any of them: the gap since 1000 is not over */
		CHECK_INT(count(logged(&cur), "initctl:"), 0);
		initctl_tick(1000 + INITCTL_LOG_GAP_MS);
		CHECK_INT(count(logged(&cur), "initctl: ignored "), 1);
		CHECK_INT(initctl_next_deadline(), 0);  /* nothing pending: no wake-up */
	}

	TEST("initctl: closing removes the FIFO") {
		initctl_close();
		CHECK(lstat(path, &st) < 0 && errno == ENOENT);
		if (wfd >= 0)
			close(wfd);
	}
}
