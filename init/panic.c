/* See panic.h. */
#define _GNU_SOURCE
#include "panic.h"
#include "fmt.h"
#include "log.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static long written = -1;       /* what lifeline last wrote, -1: nothing */

unsigned panic_reboot_seconds(uint32_t ms)
{
	return (unsigned)((ms + 999u) / 1000u);
}

void panic_reboot_apply(const struct config *cfg, const char *sysctl_dir)
{
	char path[96], buf[32];
	unsigned want = panic_reboot_seconds(cfg->panic_reboot_ms);
	fmt(path, sizeof path, "%s/panic", sysctl_dir);
	if (scan_read_file(path, buf, sizeof buf) <= 0) {
		log_msg(LOG_WARN, "panic_reboot: cannot read %s: %s", path, strerror(errno));
		return;
	}
	/* kernel.panic is signed: a negative value reboots at once */
	long now = buf[0] == '-' ? -(long)scan_uint(buf + 1, 10, NULL)
				 : (long)scan_uint(buf, 10, NULL);
	if (now != 0 && now != written)
		return;         /* the admin's (or panic= on the command line) */
	if ((long)want == now)
		return;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int n = fmt(buf, sizeof buf, "%u\n", want);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		log_msg(LOG_WARN, "panic_reboot: cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	written = (long)want;
	if (want)
		log_msg(LOG_INFO, "kernel.panic was 0: a kernel panic now reboots after %us "
			"(panic_reboot)", want);
	else
		log_msg(LOG_INFO, "kernel.panic back to 0 (panic_reboot = 0)");
}
