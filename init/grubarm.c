/* See grubarm.h.  The GRUB path's checks and writes when arming: what
 * GRUB will read (grubenv, grub.cfg) is checked before anything is
 * written, and what is written goes to disk before arming is called
 * done.  It runs in rescue.c's arming child: disk I/O never in the loop. */
#define _GNU_SOURCE
#include "grubarm.h"
#include "fmt.h"
#include "grubenv.h"
#include "scan.h"
#include "sizes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>              /* rename */
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int grubarm_cfg_entry(const char *line, const char *id)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "menuentry", 9) != 0 || (p[9] != ' ' && p[9] != '\t'))
		return 0;
	int want = 0;
	for (p += 9;;) {
		char w[128];
		size_t n = 0;
		int sq = 0, dq = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		/* one word as GRUB's script reads it, its quotes taken off */
		for (; *p && (sq || dq || (*p != ' ' && *p != '\t')); p++) {
			char c = *p;
			if (c == '\'' && !dq) {
				sq = !sq;
				continue;
			}
			if (c == '"' && !sq) {
				dq = !dq;
				continue;
			}
			if (c == '\\' && !sq && p[1])
				c = *++p;
			if (n + 1 < sizeof w)
				w[n++] = c;
		}
		w[n] = '\0';
		if (want)
			return !strcmp(w, id);
		want = !strcmp(w, "--id") || !strcmp(w, "$menuentry_id_option") ||
		       !strcmp(w, "${menuentry_id_option}");
		if (!strcmp(w, "{"))
			return 0;
	}
}

/* grub.cfg: bit 1 the entry, bit 2 Debian's one-shot clearing
 * ("save_env next_entry", 00_header).  -1 with err set. */
static int grub_cfg_scan(const char *path, const char *id, char *err, int cap)
{
	char buf[2048];
	const char *kind;
	int fd = scan_open_regular(path, 0, &kind);
	if (fd < 0) {
		if (kind)
			fmt(err, (size_t)cap, "%s: not a regular file but %s", path, kind);
		else
			fmt(err, (size_t)cap, "%s: %s (update-grub)", path, strerror(errno));
		return -1;
	}
	int found = 0, carry = 0, skipping = 0;
	for (;;) {
		ssize_t n = read(fd, buf + carry, sizeof buf - 1 - (size_t)carry);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fmt(err, (size_t)cap, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0 && !carry)
			break;
		buf[carry + n] = n ? '\0' : '\n';       /* a last line without a newline */
		if (!n)
			buf[carry + 1] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!skipping && grubarm_cfg_entry(line, id))
				found |= 1;
			if (!skipping && scan_find(line, "save_env next_entry"))
				found |= 2;
			skipping = 0;
			line = nl + 1;
		}
		if (!n)
			break;
		carry = (int)strlen(line);
		if (carry >= (int)sizeof buf - 1) {
			carry = 0;      /* a line longer than buf: not one of ours */
			skipping = 1;
		}
		memmove(buf, line, (size_t)carry);
	}
	close(fd);
	return found;
}

/* Where GRUB cannot write the block back (its save_env writes the
 * file's sectors in place): next_entry would never be cleared and every
 * boot would be the rescue system.  0, or -1 with err set. */
static int grubenv_writable_by_grub(int fd, const char *path, char *err, int cap)
{
	struct statfs sf;
	struct stat st;
	if (fstatfs(fd, &sf) == 0) {
		unsigned long t = (unsigned long)sf.f_type;
		const char *fs = t == 0x9123683eUL ? "btrfs" : t == 0x2fc12fc1UL ? "ZFS" : NULL;
		if (fs) {
			fmt(err, (size_t)cap, "%s is on %s, where GRUB cannot write: it would never "
			    "clear next_entry and every boot would be the rescue system", path, fs);
			return -1;
		}
	}
	if (fstat(fd, &st) < 0 || major(st.st_dev) == 0)
		return 0;
	static const struct { const char *dir, *what; } abstr[] = {
		{ "dm", "a device-mapper device (LVM, dm-crypt)" }, { "md", "md RAID" },
		{ "../md", "md RAID" },
	};
	for (unsigned i = 0; i < sizeof abstr / sizeof abstr[0]; i++) {
		char p[80];
		fmt(p, sizeof p, "/sys/dev/block/%u:%u/%s", major(st.st_dev), minor(st.st_dev),
		    abstr[i].dir);
		if (access(p, F_OK) == 0) {
			fmt(err, (size_t)cap, "%s is on %s, where GRUB cannot write: it would never "
			    "clear next_entry and every boot would be the rescue system", path,
			    abstr[i].what);
			return -1;
		}
	}
	return 0;
}

/* The archive to armed_image: written to a temporary name, fsync'ed,
 * renamed, the directory fsync'ed. */
static int write_armed(const char *from, const char *to, char *err, int cap)
{
	char tmp[PATH_MAX_LEN + 8], d[PATH_MAX_LEN], buf[4096];
	fmt(tmp, sizeof tmp, "%s.new", to);
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fmt(err, (size_t)cap, "%s: %s", from, strerror(errno));
		return -1;
	}
	unlink(tmp);
	int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ok = out >= 0 && fchmod(out, 0600) == 0;
	while (ok) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		ok = fmt_write_all(out, buf, (size_t)n) == 0;
	}
	ok = ok && fsync(out) == 0;
	int e = errno;
	close(in);
	if (out >= 0 && close(out) < 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, to) < 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		fmt(err, (size_t)cap, "writing %s: %s", to, strerror(e));
		return -1;
	}
	const char *slash = strrchr(to, '/');
	fmt(d, sizeof d, "%.*s", slash && slash != to ? (int)(slash - to) : 1, to);
	int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* A command line GRUB's linux command passes on unchanged: it would
 * escape a quote or a backslash for the kernel, and a loaded regexp
 * module expands * and ?.  0, or -1 with err set. */
static int cmdline_ok(const char *cmdline, char *err, int cap)
{
	if (!cmdline[0]) {
		fmt(err, (size_t)cap, "no command line for the rescue kernel");
		return -1;
	}
	for (const char *c = cmdline; *c; c++)
		if (*c == '"' || *c == '\'' || *c == '\\' || *c == '*' || *c == '?') {
			fmt(err, (size_t)cap, "the rescue command line has a %c, which GRUB's linux "
			    "command would change: the running command line and [rescue] cmdline "
			    "must do without quotes, backslashes, * and ?", *c);
			return -1;
		}
	return 0;
}

/* grubenv opened for writing, its block read into block and checked: a
 * whole block GRUB can write back.  The descriptor, or -1 with err set. */
static int open_grubenv(const char *path, char *block, char *err, int cap)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			fmt(err, (size_t)cap, "no GRUB environment block at %s (grub-editenv %s "
			    "create)", path, path);
		else
			fmt(err, (size_t)cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	int bad = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != GRUBENV_SIZE ||
		  pread(fd, block, GRUBENV_SIZE, 0) != GRUBENV_SIZE ||
		  grubenv_check(block, GRUBENV_SIZE) < 0;
	if (bad) {
		fmt(err, (size_t)cap, "%s is not a GRUB environment block (%d bytes: \"# GRUB "
		    "Environment Block\", name=value lines, '#' to the end)", path, GRUBENV_SIZE);
		close(fd);
		return -1;
	}
	if (grubenv_writable_by_grub(fd, path, err, cap) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* grub.cfg has the entry and clears next_entry.  0, or -1 with err set. */
static int cfg_ok(const struct rescue_conf *rc, char *err, int cap)
{
	int found = grub_cfg_scan(rc->grub_cfg, rc->grub_entry, err, cap);
	if (found >= 0 && !(found & 1))
		fmt(err, (size_t)cap, "no '%s' entry in %s: make install-rescue, update-grub",
		    rc->grub_entry, rc->grub_cfg);
	else if (found >= 0 && !(found & 2))
		fmt(err, (size_t)cap, "%s never clears next_entry (no 'save_env next_entry', as "
		    "Debian's /etc/grub.d/00_header writes): every boot would be the rescue "
		    "system", rc->grub_cfg);
	return found == 3 ? 0 : -1;
}

/* The command line into the block at fd, with room left for what the
 * verdict writes; the entry is then right when chosen by hand from the
 * menu too.  0, or -1 with err set. */
static int set_args(int fd, char *block, const struct rescue_conf *rc, const char *cmdline,
		    char *err, int cap)
{
	char orig[GRUBENV_SIZE], test[GRUBENV_SIZE];
	memcpy(orig, block, sizeof orig);
	memcpy(test, block, sizeof test);
	if (grubenv_set(test, sizeof test, GRUB_ARGS_VAR, cmdline) < 0 ||
	    grubenv_set(test, sizeof test, "next_entry", rc->grub_entry) < 0) {
		fmt(err, (size_t)cap, "no room in %s for next_entry and " GRUB_ARGS_VAR " (a "
		    "command line of %d bytes)", rc->grubenv, (int)strlen(cmdline));
		return -1;
	}
	grubenv_set(block, GRUBENV_SIZE, GRUB_ARGS_VAR, cmdline);
	if (memcmp(block, orig, sizeof orig) != 0 &&
	    (pwrite(fd, block, GRUBENV_SIZE, 0) != GRUBENV_SIZE || fdatasync(fd) < 0)) {
		fmt(err, (size_t)cap, "writing %s: %s", rc->grubenv, strerror(errno));
		return -1;
	}
	return 0;
}

int grubarm_prepare(const struct rescue_conf *rc, const char *cmdline, const char *extra,
		    char *err, int cap)
{
	char block[GRUBENV_SIZE];
	const char *kind;
	if (cmdline_ok(cmdline, err, cap) < 0)
		return -1;
	int ifd = scan_open_regular(rc->image, 0, &kind);
	if (ifd < 0) {
		if (kind)
			fmt(err, (size_t)cap, "image %s: not a regular file but %s", rc->image, kind);
		else
			fmt(err, (size_t)cap, "image %s: %s (make rescue-image install-rescue)",
			    rc->image, strerror(errno));
		return -1;
	}
	close(ifd);
	int fd = open_grubenv(rc->grubenv, block, err, cap);
	if (fd < 0)
		return -1;
	int bad = cfg_ok(rc, err, cap) < 0 || set_args(fd, block, rc, cmdline, err, cap) < 0;
	close(fd);
	return bad ? -1 : write_armed(extra, rc->armed_image, err, cap);
}
