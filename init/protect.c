/* See protect.h. */
#define _GNU_SOURCE
#include "protect.h"
#include "cgroup.h"
#include "fmt.h"
#include "log.h"
#include "procev.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int read_adj(pid_t pid, int *adj)
{
	char path[40], b[16];
	fmt(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
	if (scan_read_file(path, b, sizeof b) <= 0)
		return -1;
	*adj = b[0] == '-' ? -(int)scan_uint(b + 1, 10, NULL) : (int)scan_uint(b, 10, NULL);
	return 0;
}

static int write_adj(pid_t pid, int adj)
{
	char path[40], b[16];
	fmt(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
	int n = fmt(b, sizeof b, "%d", adj);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write(fd, b, (size_t)n) == n ? 0 : -1;
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* ---- is it listening? ---- */

#define MAX_SOCKETS 64

struct sockets {
	pid_t pid;
	int n;
	uint64_t inode[MAX_SOCKETS];
};

static int note_socket(void *ctx, const char *name)
{
	struct sockets *s = ctx;
	char path[64], link[64];
	if (name[0] < '0' || name[0] > '9' || s->n >= MAX_SOCKETS)
		return 0;
	fmt(path, sizeof path, "/proc/%d/fd/%s", (int)s->pid, name);
	ssize_t l = readlink(path, link, sizeof link - 1);
	if (l <= 8)
		return 0;
	link[l] = '\0';
	if (!strncmp(link, "socket:[", 8))
		s->inode[s->n++] = scan_uint(link + 8, 10, NULL);
	return 0;
}

/* a line of /proc/net/tcp{,6}: "sl local remote st txq:rxq tr:when
 * retrnsmt uid timeout inode ..."; st 0A is LISTEN */
static int listen_line(void *ctx, char *line)
{
	const struct sockets *s = ctx;
	const char *p = line;
	int field = 0;
	uint64_t inode = 0;
	int listen = 0;
	while (*p && field < 10) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		field++;
		if (field == 4)
			listen = p[0] == '0' && (p[1] == 'A' || p[1] == 'a') && p[2] == ' ';
		else if (field == 10)
			inode = scan_uint(p, 10, NULL);
		while (*p && *p != ' ')
			p++;
	}
	if (!listen || field < 10)
		return 0;
	for (int i = 0; i < s->n; i++)
		if (s->inode[i] == inode)
			return 1;
	return 0;
}

static void read_sockets(pid_t pid, struct sockets *s)
{
	char path[40], buf[512];
	s->pid = pid;
	s->n = 0;
	fmt(path, sizeof path, "/proc/%d/fd", (int)pid);
	scan_dir(path, buf, sizeof buf, note_socket, s);
}

int protect_socket_inodes(pid_t pid, uint64_t *inode, int cap)
{
	struct sockets s;
	read_sockets(pid, &s);
	int n = s.n < cap ? s.n : cap;
	memcpy(inode, s.inode, sizeof inode[0] * (size_t)n);
	return n;
}

int protect_listening(pid_t pid)
{
	struct sockets s;
	char buf[512];
	read_sockets(pid, &s);
	if (!s.n)
		return 0;
	return scan_lines("/proc/net/tcp", buf, sizeof buf, listen_line, &s) == 1 ||
	       scan_lines("/proc/net/tcp6", buf, sizeof buf, listen_line, &s) == 1;
}

int protect_apply(struct unit *u, const struct unit_conf *c, uint64_t now)
{
	int cur;
	if (u->pid <= 0 || c->oom_score_adj == OOM_ADJ_UNSET)
		return 0;
	if (read_adj(u->pid, &cur) == 0 && cur <= c->oom_score_adj)
		return 0;       /* it protected itself (sshd does) */
	/* not before it listens: what it read at start it may restore in
	 * every session (sshd) */
	if (now < u->started_ms + PROTECT_MAX_WAIT_MS && !protect_listening(u->pid))
		return 1;
	if (write_adj(u->pid, c->oom_score_adj) == 0) {
		u->protect_warned = 0;
		return 0;
	}
	if (errno == ESRCH || errno == ENOENT)
		return 0;
	if (!u->protect_warned)
		log_msg(LOG_WARN, "%s: running without oom_score_adj %d: %s", u->name,
			c->oom_score_adj, strerror(errno));
	u->protect_warned = 1;
	return 0;
}

int protect_listeners(pid_t *out, int cap)
{
	int n = 0;
	for (int i = 0; i < MAX_UNITS && n < cap; i++) {
		const struct unit *u = &unit_table[i];
		if (u->used && u->pid > 0 && u->conf >= 0 && active_config.unit[u->conf].protect)
			out[n++] = u->pid;
	}
	return n;
}

void protect_forked(void *ctx, pid_t parent, pid_t child)
{
	(void)ctx;
	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (!u->used || u->pid != parent || u->conf < 0)
			continue;
		const struct unit_conf *c = &active_config.unit[u->conf];
		if (!c->protect)
			return;
		if (cg_active())
			cg_move_session(&active_config, c, parent, child, c->session_oom_score_adj);
		else if (write_adj(child, c->session_oom_score_adj) < 0 && errno != ESRCH &&
			 errno != ENOENT)
			log_msg(LOG_WARN, "%s: session %d keeps the listener's oom_score_adj: %s",
				u->name, (int)child, strerror(errno));
		return;
	}
}

void protect_refresh_watch(void)
{
	static pid_t last[MAX_UNITS];
	static int nlast = -1;
	pid_t now[MAX_UNITS];
	int n = protect_listeners(now, MAX_UNITS);
	if (n == nlast && !memcmp(now, last, sizeof now[0] * (size_t)n))
		return;
	memcpy(last, now, sizeof now[0] * (size_t)n);
	nlast = n;
	procev_watch(now, n);
}
