/* See scan.h.  Number and substring scanners, and line-, file- and
 * directory readers over a caller's buffer, for PID 1 and the tools that
 * share its code.  Nothing here allocates. */
#define _GNU_SOURCE
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *scan_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return hay;
	for (; *hay; hay++)
		if (*hay == *needle && !strncmp(hay, needle, n))
			return hay;
	return NULL;
}

static int digit(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0'
	      : c >= 'a' && c <= 'f' ? c - 'a' + 10
	      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < base ? d : -1;
}

uint64_t scan_uint(const char *s, int base, const char **end)
{
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (int d; (d = digit(*s, base)) >= 0; s++)
		v = v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base ? UINT64_MAX
								     : v * (uint64_t)base + (uint64_t)d;
	if (end)
		*end = s;
	return v;
}

int scan_lines(const char *path, char *buf, int cap, scan_line_fn fn, void *ctx)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int carry = 0, skipping = 0, r = 0;
	for (;;) {
		ssize_t n = read(fd, buf + carry, (size_t)(cap - 1 - carry));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a last line without a newline still counts */
			if (carry && !skipping) {
				buf[carry] = '\0';
				r = fn(ctx, buf);
			}
			break;
		}
		buf[carry + n] = '\0';
		char *line = buf, *nl;
		while (!r && (nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!skipping)
				r = fn(ctx, line);
			skipping = 0;
			line = nl + 1;
		}
		if (r)
			break;
		carry = (int)strlen(line);
		if (carry >= cap - 1) {
			carry = 0;      /* longer than buf: skip to the next line */
			skipping = 1;
		}
		memmove(buf, line, (size_t)carry);
	}
	close(fd);
	return r;
}

int scan_dir(const char *path, char *buf, int cap, scan_name_fn fn, void *ctx)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = 0;
	long n;
	while (!r && (n = syscall(SYS_getdents64, fd, buf, (size_t)cap)) > 0) {
		for (long off = 0; off < n && !r;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + off);
			off += de->reclen;
			r = fn(ctx, de->name);
		}
	}
	close(fd);
	return r;
}

int scan_open_regular(const char *path, int flags, const char **kind)
{
	struct stat st;
	*kind = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return fd;
	close(fd);
	*kind = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
		: S_ISBLK(st.st_mode) ? "a block device" : S_ISDIR(st.st_mode) ? "a directory"
		: S_ISSOCK(st.st_mode) ? "a socket" : "not a file";
	errno = EINVAL;
	return -1;
}

int scan_read_file(const char *path, char *buf, int cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int len = 0;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, (size_t)(cap - 1 - len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				len = -1;
			break;
		}
		len += (int)n;
	}
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

int64_t parse_duration_ms(const char *s, int len)
{
	int64_t v = 0;
	int i = 0;
	if (len <= 0)
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > 100000000)
			return -1;
	}
	if (i == 0)
		return -1;
	const char *u = s + i;
	int ul = len - i;
	int64_t mul;
	if (ul == 0 || (ul == 1 && u[0] == 's'))
		mul = 1000;
	else if (ul == 2 && u[0] == 'm' && u[1] == 's')
		mul = 1;
	else if (ul == 1 && u[0] == 'm')
		mul = 60000;
	else if (ul == 1 && u[0] == 'h')
		mul = 3600000;
	else
		return -1;
	v *= mul;
	return v > 0x7fffffff ? -1 : v;
}
