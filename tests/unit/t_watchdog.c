/* The watchdog (watchdog.c) against what a unit test can offer honestly:
 * a regular file as the "device".  It accepts writes but no ioctl, so
 * these tests see the open, the retry while the device is missing, the
 * pets (by write, the fallback when WDIOC_KEEPALIVE is refused), their
 * timing, the magic close and the reopen on a reload.  WDIOC_SETTIMEOUT,
 * GETTIMEOUT and KEEPALIVE on a real driver, and the reset itself, are
 * tested in QEMU with softdog (tests/e2e/t_watchdog.sh). */
#include "test.h"
#include "log.h"
#include "outbuf.h"
#include "watchdog.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct config cfg;

static void file_text(const char *path, char *out, size_t cap)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static const char *status_text(uint64_t now)
{
	static char buf[1024];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	watchdog_status_text(&o, now);
	return buf;
}

static const char *status_json(uint64_t now)
{
	static char buf[1024];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	watchdog_status_json(&o, now);
	return buf;
}

static void log_since(uint64_t *cur, char *out, size_t cap)
{
	size_t n = log_ring_read(cur, out, cap - 1);
	out[n] = '\0';
}

static void set(const char *dev, uint32_t timeout_ms, uint32_t interval_ms)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.wd.present = 1;
	snprintf(cfg.wd.device, sizeof cfg.wd.device, "%s", dev);
	cfg.wd.timeout_ms = timeout_ms;
	cfg.wd.interval_ms = interval_ms;
}

void suite_watchdog(void)
{
	char dir[300], dev[400], dev2[400], text[256], logbuf[4096];
	snprintf(dir, sizeof dir, "%s", temp_dir());
	snprintf(dev, sizeof dev, "%s/watchdog", dir);
	snprintf(dev2, sizeof dev2, "%s/watchdog1", dir);

	TEST("watchdog: the interval is a quarter of the timeout, at most half of it") {
		CHECK_INT(watchdog_interval_ms(0, 60000), 15000);
		CHECK_INT(watchdog_interval_ms(5000, 60000), 5000);
		CHECK_INT(watchdog_interval_ms(40000, 60000), 30000);
		CHECK_INT(watchdog_interval_ms(0, 1000), 250);
		CHECK_INT(watchdog_interval_ms(0, 200), 100);   /* floor */
	}

	TEST("watchdog: off without [watchdog]: no status line, no deadline") {
		memset(&cfg, 0, sizeof cfg);
		watchdog_configure(&cfg, 1000);
		CHECK_STR(status_text(1000), "");
		CHECK_INT(watchdog_next_deadline(), 0);
		CHECK_CONTAINS(status_json(1000), "\"watchdog\":{\"enabled\":false");
		CHECK_CONTAINS(status_json(1000), "},");
	}

	TEST("watchdog: a missing device is waited for, logged once, opened when it appears") {
		uint64_t cur = log_ring_head();
		set(dev, 10000, 0);
		watchdog_configure(&cfg, 1000);
		CHECK_CONTAINS(status_text(1000), "watchdog: waiting for ");
		CHECK_CONTAINS(status_text(1000), "(No such file or directory)");
		CHECK_CONTAINS(status_json(1000), "\"open\":false");
		CHECK_INT(watchdog_next_deadline(), 1000 + 2500);
		watchdog_tick(3500);    /* still missing: tried again, not logged again */
		CHECK_INT(watchdog_next_deadline(), 3500 + 2500);
		log_since(&cur, logbuf, sizeof logbuf);
		const char *first = strstr(logbuf, "waiting for");
		CHECK(first && !strstr(first + 1, "waiting for"));
		int fd = open(dev, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		close(fd);
		watchdog_tick(5000);    /* before the deadline: nothing */
		CHECK_CONTAINS(status_text(5000), "waiting for");
		watchdog_tick(6000);
		CHECK_CONTAINS(status_text(6000), "watchdog: ");
		CHECK_CONTAINS(status_text(6000), ", timeout 10s (not confirmed), petted ");
		/* a file takes no ioctl: the timeout is not confirmed, pets are writes */
		file_text(dev, text, sizeof text);
		CHECK_STR(text, ".");
		CHECK_CONTAINS(status_json(6000), "\"open\":true");
		CHECK_CONTAINS(status_json(6000), "\"timeout_set\":false");
		CHECK_CONTAINS(status_json(6000), "\"pets\":1,");
	}

	TEST("watchdog: pets every interval from the loop, not before") {
		/* open at 6000, interval 2500 */
		CHECK_INT(watchdog_next_deadline(), 8500);
		watchdog_tick(8499);
		file_text(dev, text, sizeof text);
		CHECK_STR(text, ".");
		watchdog_tick(8500);
		watchdog_tick(8600);
		file_text(dev, text, sizeof text);
		CHECK_STR(text, "..");
		CHECK_INT(watchdog_next_deadline(), 11000);
		CHECK_CONTAINS(status_text(9600), "petted 1.1s ago (every 2.5s)");
		CHECK_CONTAINS(status_json(9600), "\"last_pet_ms_ago\":1100,");
		CHECK_CONTAINS(status_json(9600), "\"interval_ms\":2500,");
	}

	TEST("watchdog: a reload with only another interval keeps the device open") {
		set(dev, 10000, 1000);
		watchdog_configure(&cfg, 9000);
		file_text(dev, text, sizeof text);
		CHECK_STR(text, "..");          /* no magic close, no reopen */
		CHECK_INT(watchdog_next_deadline(), 10000);
	}

	TEST("watchdog: a reload with another device closes the old one with 'V'") {
		uint64_t cur = log_ring_head();
		int fd = open(dev2, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		close(fd);
		set(dev2, 20000, 0);
		watchdog_configure(&cfg, 12000);
		file_text(dev, text, sizeof text);
		CHECK_STR(text, "..V");
		file_text(dev2, text, sizeof text);
		CHECK_STR(text, ".");
		CHECK_INT(watchdog_next_deadline(), 12000 + 5000);
		log_since(&cur, logbuf, sizeof logbuf);
		CHECK_CONTAINS(logbuf, "watchdog: ");
		CHECK_CONTAINS(logbuf, "closed (magic close)");
		CHECK_CONTAINS(logbuf, "open, timeout 20s, petted every 5000ms");
	}

	TEST("watchdog: release is the magic close; a second release does nothing") {
		watchdog_release();
		watchdog_release();
		file_text(dev2, text, sizeof text);
		CHECK_STR(text, ".V");
		CHECK_CONTAINS(status_text(13000), "watchdog: closed");
	}

	TEST("watchdog: without [watchdog] after a reload: closed with 'V', off") {
		unlink(dev2);           /* a new file: an fd writes from offset 0 */
		int fd = open(dev2, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		close(fd);
		set(dev2, 20000, 0);
		watchdog_configure(&cfg, 14000);        /* reopened */
		memset(&cfg, 0, sizeof cfg);
		watchdog_configure(&cfg, 15000);
		file_text(dev2, text, sizeof text);
		CHECK_STR(text, ".V");
		CHECK_STR(status_text(15000), "");
		CHECK_INT(watchdog_next_deadline(), 0);
	}

	TEST("watchdog: a FIFO device gets the pets and the magic close") {
		/* the read end here stands in for a driver reading what is written */
		char fifo[400];
		snprintf(fifo, sizeof fifo, "%s/fifo", dir);
		CHECK_INT(mkfifo(fifo, 0600), 0);
		int rd = open(fifo, O_RDONLY | O_NONBLOCK);
		set(fifo, 4000, 0);
		watchdog_configure(&cfg, 20000);
		watchdog_tick(21000);
		watchdog_release();
		ssize_t n = read(rd, text, sizeof text - 1);
		text[n > 0 ? n : 0] = '\0';
		CHECK_STR(text, "..V");
		close(rd);
		memset(&cfg, 0, sizeof cfg);
		watchdog_configure(&cfg, 22000);
	}

	TEST("watchdog: a FIFO nobody reads cannot hold PID 1 in open() or write()") {
		char fifo[400];
		snprintf(fifo, sizeof fifo, "%s/fifo2", dir);
		CHECK_INT(mkfifo(fifo, 0600), 0);
		signal(SIGPIPE, SIG_IGN);       /* as lifeline has it */
		alarm(5);       /* a blocking open() or write() would end the test here */
		set(fifo, 4000, 0);
		watchdog_configure(&cfg, 30000);
		watchdog_tick(31000);
		CHECK_CONTAINS(status_text(31000), "waiting for");
		/* a reader that never reads: the pipe fills, a pet fails, none blocks */
		int rd = open(fifo, O_RDONLY | O_NONBLOCK);
		uint64_t t = 32000;
		for (int i = 0; i < 70000; i += 1)
			watchdog_tick(t += 1000);
		alarm(0);
		CHECK(rd >= 0);
		close(rd);
		memset(&cfg, 0, sizeof cfg);
		watchdog_configure(&cfg, t + 1000);
		signal(SIGPIPE, SIG_DFL);
	}
}
