/* See mounts.h.  At start-up, mount /proc, /sys, /dev, /dev/pts, /run and
 * cgroup2 on /sys/fs/cgroup where they are missing; at shutdown (from the
 * forked finisher, shutdown.c), swap off and unmount or remount read-only
 * every real filesystem, innermost first, then "/". */
#define _GNU_SOURCE
#include "mounts.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

static const struct {
	const char *path, *type, *opts;
	unsigned long flags;
} wanted[] = {
	{ "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "/dev", "devtmpfs", "mode=0755", MS_NOSUID },
	{ "/dev/pts", "devpts", "mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC },
	{ "/run", "tmpfs", "mode=0755,size=10%", MS_NOSUID | MS_NODEV },
	{ "/sys/fs/cgroup", "cgroup2", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
};

/* A mount point has another device than its parent directory. */
static int is_mounted(const char *path)
{
	char parent[64];
	struct stat a, b;
	const char *slash = strrchr(path, '/');
	size_t l = slash == path ? 1 : (size_t)(slash - path);
	memcpy(parent, path, l);
	parent[l] = '\0';
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return 0;
	return a.st_dev != b.st_dev;
}

void mounts_setup(void)
{
	for (unsigned i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
		const char *p = wanted[i].path;
		if (is_mounted(p))
			continue;
		mkdir(p, 0755);
		if (mount(wanted[i].type, p, wanted[i].type, wanted[i].flags, wanted[i].opts) < 0)
			log_msg(LOG_WARN, "cannot mount %s (%s): %s", p, wanted[i].type,
				strerror(errno));
		else
			log_msg(LOG_INFO, "mounted %s (%s)", p, wanted[i].type);
	}
}

static int virtual_fs(const char *type)
{
	static const char *const v[] = { "proc", "sysfs", "devtmpfs", "devpts", "tmpfs",
		"cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "pstore",
		"bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "rootfs",
		"efivarfs", "binfmt_misc", "autofs", "ramfs" };
	for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++)
		if (!strcmp(type, v[i]))
			return 1;
	return 0;
}

/* /proc/swaps writes a blank in a path as \040: back to the byte */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Every swap area off, so that a swap file does not keep its file system
 * busy (then "/" could not be remounted read-only and would be left
 * dirty).  Runs in the finisher, as mounts_teardown. */
static void swaps_off(void)
{
	char buf[4096];
	int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	char *line = strchr(buf, '\n');       /* the header */
	while (line && *++line) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		char *sp = strpbrk(line, " \t");
		if (sp)
			*sp = '\0';
		unescape(line);
		if (swapoff(line) == 0)
			log_msg(LOG_INFO, "swap off: %s", line);
		else
			log_msg(LOG_WARN, "cannot turn swap off on %s: %s", line, strerror(errno));
		line = end;
	}
}

/* Runs in the forked finisher only: its buffers live on that child's stack,
 * not in PID 1's locked memory. */
void mounts_teardown(void)
{
	swaps_off();
	char buf[16384];
	char *lines[256];
	int fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
	ssize_t len = 0, n;
	if (fd >= 0) {
		while (len < (ssize_t)sizeof buf - 1 &&
		       (n = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) > 0)
			len += n;
		close(fd);
	}
	buf[len] = '\0';
	int nl = 0;
	for (char *p = buf; *p && nl < 256;) {
		lines[nl++] = p;
		char *e = strchr(p, '\n');
		if (!e)
			break;
		*e = '\0';
		p = e + 1;
	}
	/* innermost first */
	for (int i = nl - 1; i >= 0; i--) {
		char *dev = lines[i], *target = strchr(dev, ' ');
		if (!target)
			continue;
		*target++ = '\0';
		char *type = strchr(target, ' ');
		if (!type)
			continue;
		*type++ = '\0';
		char *rest = strchr(type, ' ');
		if (rest)
			*rest = '\0';
		if (!strcmp(target, "/") || virtual_fs(type))
			continue;
		if (umount(target) == 0)
			log_msg(LOG_INFO, "unmounted %s", target);
		else if (mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
			log_msg(LOG_INFO, "remounted %s read-only", target);
		else
			log_msg(LOG_WARN, "cannot unmount %s: %s", target, strerror(errno));
	}
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
		log_msg(LOG_INFO, "remounted / read-only");
	else
		log_msg(LOG_WARN, "cannot remount / read-only: %s", strerror(errno));
}
