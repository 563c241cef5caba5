/* See grubenv.h. */
#define _GNU_SOURCE
#include "grubenv.h"
#include "clock.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIG_LEN (sizeof GRUBENV_SIG - 1)

/* Past the line at p: a backslash escapes the next byte (envblk.c's
 * find_next_line). */
static char *next_line(char *p, const char *pend)
{
	while (p < pend) {
		if (*p == '\\')
			p += 2;
		else if (*p == '\n')
			break;
		else
			p++;
	}
	return p + 1;
}

static size_t escaped_len(const char *v)
{
	size_t n = 0;
	for (; *v; v++)
		n += (*v == '\\' || *v == '\n') ? 2 : 1;
	return n;
}

/* The end of the used part: past the last newline before the '#'
 * padding; NULL if the byte before the padding is not a newline. */
static char *free_space(char *buf, size_t size)
{
	if (size <= SIG_LEN || memcmp(buf, GRUBENV_SIG, SIG_LEN) != 0)
		return NULL;
	char *space = buf + size - 1;
	while (*space == '#')
		space--;        /* stops at the signature's newline at the latest */
	return *space == '\n' ? space + 1 : NULL;
}

int grubenv_check(const char *cbuf, size_t size)
{
	char *buf = (char *)cbuf;       /* only read */
	char *space = free_space(buf, size);
	if (!space)
		return -1;
	for (char *p = buf + SIG_LEN; p < space; p = next_line(p, buf + size)) {
		if (*p == '#')
			continue;       /* a comment: envblk.c's iterate skips it */
		char *q = p;
		while (q < space && *q != '=' && *q != '\n')
			q++;
		if (q == p || q >= space || *q != '=')
			return -1;
	}
	return 0;
}

int grubenv_set(char *buf, size_t size, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = escaped_len(value);
	char *pend = buf + size, *space = free_space(buf, size), *p;
	if (!space || !nl || strchr(name, '=') || strchr(name, '\n'))
		return -1;
	int found = 0;
	for (p = buf + SIG_LEN; p + nl + 1 < space; p = next_line(p, pend)) {
		if (memcmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		p += nl + 1;
		size_t len = 0;
		while (p + len < pend && p[len] != '\n')
			len += p[len] == '\\' ? 2 : 1;
		if (p + len >= pend)
			return -1;
		if (vl > len && (size_t)(pend - space) < vl - len)
			return -1;      /* no room */
		if (vl < len) {
			memmove(p + vl, p + len, (size_t)(pend - (p + len)));
			memset(space - (len - vl), '#', len - vl);
		} else {
			memmove(p + vl, p + len, (size_t)(pend - (p + vl)));
		}
		found = 1;
		break;
	}
	if (!found) {
		if ((size_t)(pend - space) < nl + 1 + vl + 1)
			return -1;      /* no room */
		p = space;
		for (const char *n = name; *n; n++)
			*p++ = *n;
		*p++ = '=';
	}
	for (; *value; value++) {
		if (*value == '\\' || *value == '\n')
			*p++ = '\\';
		*p++ = *value;
	}
	*p = '\n';
	return 0;
}

int grubenv_get(const char *cbuf, size_t size, const char *name, char *out, size_t cap)
{
	char *buf = (char *)cbuf;       /* only read */
	char *space = free_space(buf, size), *pend = buf + size;
	size_t nl = strlen(name);
	if (!space || !nl || !cap)
		return 0;
	for (char *p = buf + SIG_LEN; p + nl + 1 < space; p = next_line(p, pend)) {
		if (memcmp(p, name, nl) != 0 || p[nl] != '=')
			continue;
		size_t o = 0;
		for (p += nl + 1; p < space && *p != '\n'; p++) {
			if (*p == '\\' && p + 1 < space)
				p++;
			if (o + 1 >= cap)
				return 0;
			out[o++] = *p;
		}
		out[o] = '\0';
		return 1;
	}
	return 0;
}

/* ---- the verdict's write ---- */

/* The child's exit status: 0 written, else one of these, or
 * ERRNO_BASE + errno of the call that failed (errno < 100 here). */
enum { C_NOT_REGULAR = 1, C_SIZE, C_NOT_BLOCK, C_NO_ROOM, C_SHORT, ERRNO_BASE = 100 };

/* Runs in the forked child: its own copy of this buffer, no allocation. */
static char block[GRUBENV_SIZE];

static int commit_child(const char *path, const char *const *names,
			const char *const *values, int n)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ERRNO_BASE + errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ERRNO_BASE + errno;
	if (!S_ISREG(st.st_mode))
		return C_NOT_REGULAR;
	if (st.st_size != GRUBENV_SIZE)
		return C_SIZE;
	ssize_t r = pread(fd, block, sizeof block, 0);
	if (r < 0)
		return ERRNO_BASE + errno;
	if (r != GRUBENV_SIZE)
		return C_SHORT;
	if (grubenv_check(block, sizeof block) < 0)
		return C_NOT_BLOCK;
	for (int i = 0; i < n; i++)
		if (grubenv_set(block, sizeof block, names[i], values[i]) < 0)
			return C_NO_ROOM;
	r = pwrite(fd, block, sizeof block, 0);
	if (r < 0)
		return ERRNO_BASE + errno;
	if (r != GRUBENV_SIZE)
		return C_SHORT;
	if (fdatasync(fd) < 0)
		return ERRNO_BASE + errno;
	return 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int grubenv_commit(const char *path, const char *const *names, const char *const *values,
		   int n, uint32_t limit_ms, char *err, int cap)
{
	err[0] = '\0';
	pid_t c = -1;
	for (int tries = 0; tries < 10 && c < 0; tries++) {
		c = fork();
		if (c < 0)
			nap_ms(100);    /* out of memory or pids for a moment */
	}
	if (c == 0)
		_exit(commit_child(path, names, values, n));
	if (c < 0) {
		fmt(err, (size_t)cap, "fork: %s", strerror(errno));
		return -1;
	}
	uint64_t end = now_ms() + limit_ms;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(c, &st, WNOHANG);
		if (w == c)
			break;
		if (w < 0 && errno != EINTR) {
			fmt(err, (size_t)cap, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (now_ms() >= end) {
			fmt(err, (size_t)cap, "%s: not written after %lums (storage not "
			    "answering?)", path, (unsigned long)limit_ms);
			return -1;
		}
		nap_ms(10);
	}
	if (!WIFEXITED(st)) {
		fmt(err, (size_t)cap, "%s: the writer was killed by signal %d", path,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		return -1;
	}
	int code = WEXITSTATUS(st);
	switch (code) {
	case 0:
		return 0;
	case C_NOT_REGULAR:
		fmt(err, (size_t)cap, "%s: not a regular file", path);
		break;
	case C_SIZE:
		fmt(err, (size_t)cap, "%s: not %d bytes long", path, GRUBENV_SIZE);
		break;
	case C_NOT_BLOCK:
		fmt(err, (size_t)cap, "%s: not a GRUB environment block", path);
		break;
	case C_NO_ROOM:
		fmt(err, (size_t)cap, "%s: no room left in the %d-byte block", path, GRUBENV_SIZE);
		break;
	case C_SHORT:
		fmt(err, (size_t)cap, "%s: short read or write", path);
		break;
	default:
		fmt(err, (size_t)cap, "%s: %s", path,
		    code >= ERRNO_BASE ? strerror(code - ERRNO_BASE) : "failed");
	}
	return -1;
}
