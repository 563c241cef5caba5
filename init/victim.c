/* See victim.h.  This runs only when memory is short, so it reads as
 * little as it can: <pid>/stat of each process (RSS is field 24), and
 * <pid>/status (VmSwap) only where swap could change the choice. */
#define _GNU_SOURCE
#include "victim.h"
#include "fmt.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000u

/* The unsigned number at buf[i], bounded by len; sets *end past it. */
static uint64_t num(const char *buf, int len, int i, int *end)
{
	uint64_t v = 0;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		uint64_t c = (uint64_t)(buf[i] - '0');
		v = v > (UINT64_MAX - c) / 10 ? UINT64_MAX : v * 10 + c;
	}
	*end = i;
	return v;
}

int victim_parse_stat(const char *buf, int len, struct proc_stat *s)
{
	const char *open_p = memchr(buf, '(', (size_t)len);
	const char *close_p = memrchr(buf, ')', (size_t)len);
	int e;
	memset(s, 0, sizeof *s);
	if (!open_p || !close_p || close_p < open_p)
		return -1;
	s->pid = (pid_t)num(buf, len, 0, &e);
	size_t n = (size_t)(close_p - open_p - 1);
	if (n > sizeof s->comm - 1)
		n = sizeof s->comm - 1;
	memcpy(s->comm, open_p + 1, n);
	s->comm[n] = '\0';
	/* fields after the comm: 3 state, 4 ppid, 9 flags, 22 starttime,
	 * 24 rss; some (priority, nice) may be negative: only skipped */
	int i = (int)(close_p - buf) + 1, field = 2;
	while (i < len && field < 24) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i >= len || buf[i] == '\n')
			break;
		field++;
		if (field == 3)
			s->state = buf[i];
		else if (field == 4)
			s->ppid = (pid_t)num(buf, len, i, &e);
		else if (field == 9)
			s->flags = (uint32_t)num(buf, len, i, &e);
		else if (field == 22)
			s->starttime = num(buf, len, i, &e);
		else if (field == 24)
			s->rss_pages = num(buf, len, i, &e);
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
	}
	return field == 24 ? 0 : -1;
}

static int read_stat(const char *root, pid_t pid, struct proc_stat *s)
{
	char path[256], buf[1024];
	fmt(path, sizeof path, "%s/%d/stat", root, (int)pid);
	int len = scan_read_file(path, buf, sizeof buf);
	return len > 0 ? victim_parse_stat(buf, len, s) : -1;
}

/* VmSwap of <pid>/status in kB; 0 if absent (kernel threads, no swap). */
static uint64_t read_swap_kb(const char *root, pid_t pid)
{
	char path[256], buf[2048];
	fmt(path, sizeof path, "%s/%d/status", root, (int)pid);
	if (scan_read_file(path, buf, sizeof buf) <= 0)
		return 0;
	const char *p = scan_find(buf, "\nVmSwap:");
	return p ? scan_uint(p + 8, 10, NULL) : 0;
}

/* resident - shared pages of <pid>/statm ("size resident shared ...") in
 * kB, or -1 if unreadable */
static int64_t read_anon_kb(const char *root, pid_t pid, uint64_t page_kb)
{
	char path[256], buf[256];
	const char *p;
	fmt(path, sizeof path, "%s/%d/statm", root, (int)pid);
	if (scan_read_file(path, buf, sizeof buf) <= 0)
		return -1;
	p = buf;
	scan_uint(p, 10, &p);                   /* size */
	uint64_t res = scan_uint(p, 10, &p);
	uint64_t shared = scan_uint(p, 10, &p);
	return res > shared ? (int64_t)((res - shared) * page_kb) : 0;
}

/* 1 if <pid>/cgroup names want or a group below it ("0::/a/b\n") */
static int in_cgroup(const char *root, pid_t pid, const char *want)
{
	char path[256], buf[512];
	fmt(path, sizeof path, "%s/%d/cgroup", root, (int)pid);
	if (scan_read_file(path, buf, sizeof buf) <= 0)
		return 0;
	const char *p = scan_find(buf, "0::");
	if (!p || (p != buf && p[-1] != '\n'))
		return 0;
	p += 3;
	size_t wl = strlen(want);
	return !strncmp(p, want, wl) && (p[wl] == '\n' || p[wl] == '/' || p[wl] == '\0');
}

/* 1 if <pid>/oom_score_adj is -1000 */
static int immune(const char *root, pid_t pid)
{
	char path[256], buf[16];
	fmt(path, sizeof path, "%s/%d/oom_score_adj", root, (int)pid);
	return scan_read_file(path, buf, sizeof buf) > 0 && !strncmp(buf, "-1000", 5);
}

/* Real uid below FIRST_USER_UID (Debian's UID_MIN): root or a system
 * account.  From <pid>/status, which the process cannot change (unlike its
 * comm, or the owner of /proc/PID, which a non-dumpable process hands to
 * root).  0 if it cannot be read. */
#define FIRST_USER_UID 1000
static int system_uid(const char *root, pid_t pid)
{
	char path[256], buf[1536];
	fmt(path, sizeof path, "%s/%d/status", root, (int)pid);
	if (scan_read_file(path, buf, sizeof buf) <= 0)
		return 0;
	const char *p = scan_find(buf, "\nUid:");
	if (!p)
		return 0;
	p += 5;
	while (*p == '\t' || *p == ' ')
		p++;
	return *p >= '0' && *p <= '9' && scan_uint(p, 10, NULL) < FIRST_USER_UID;
}

/* comm on a NUL-separated list of n names. */
static int on_list(const char *list, int n, const char *comm)
{
	size_t cl = strlen(comm);
	for (int k = 0; list && k < n; k++, list += strlen(list) + 1) {
		size_t l = strlen(list);
		if (l == cl ? !memcmp(list, comm, l)
			    : l > cl && cl == 15 && !memcmp(list, comm, cl))
			return 1;
	}
	return 0;
}

struct choose_ctx {
	const char *root;
	const struct victim_rules *r;
	uint64_t page_kb;
	int found;
	struct victim best;
};

static int excluded(const struct victim_rules *r, pid_t pid)
{
	if (pid <= 1 || pid == r->self)
		return 1;
	for (int i = 0; i < r->nskip; i++)
		if (r->skip && r->skip[i] == pid)
			return 1;
	return 0;
}

uint64_t victim_size_kb(const struct victim *v)
{
	return v->anon_kb + v->swap_kb;
}

/* a beats b: preferred first, then size, then the newer (higher) pid */
static int beats(const struct victim *a, const struct victim *b)
{
	uint64_t sa = victim_size_kb(a), sb = victim_size_kb(b);
	if (a->preferred != b->preferred)
		return a->preferred > b->preferred;
	if (sa != sb)
		return sa > sb;
	return a->pid > b->pid;
}

static int consider(void *vctx, const char *name)
{
	struct choose_ctx *c = vctx;
	const struct victim_rules *r = c->r;
	struct proc_stat s;
	int e;
	if (name[0] < '1' || name[0] > '9')
		return 0;
	int len = (int)strlen(name);
	uint64_t pid = num(name, len, 0, &e);
	if (e != len || pid > 0x7fffffff || excluded(r, (pid_t)pid))
		return 0;
	if (read_stat(c->root, (pid_t)pid, &s) < 0)
		return 0;       /* gone meanwhile */
	if (s.state == 'Z' || s.state == 'X' || s.state == 'x' || (s.flags & PF_KTHREAD))
		return 0;
	/* never_kill by name only for root's and system accounts' processes:
	 * any user can call a process "postgres" (prctl, or a copied binary) */
	if (on_list(r->never_kill, r->nnever, s.comm) && system_uid(c->root, (pid_t)pid))
		return 0;
	if (r->cgroup && !in_cgroup(c->root, (pid_t)pid, r->cgroup))
		return 0;
	if (r->immune_only && !immune(c->root, (pid_t)pid))
		return 0;
	struct victim v;
	memset(&v, 0, sizeof v);
	v.pid = (pid_t)pid;
	v.rss_kb = s.rss_pages * c->page_kb;
	int64_t anon = v.rss_kb ? read_anon_kb(c->root, v.pid, c->page_kb) : 0;
	v.anon_kb = anon < 0 ? v.rss_kb : (uint64_t)anon;
	v.preferred = on_list(r->prefer, r->nprefer, s.comm);
	v.starttime = s.starttime;
	memcpy(v.comm, s.comm, sizeof v.comm);
	if (r->swap_used_kb) {
		/* read VmSwap only if that much swap could make v the winner */
		struct victim bound = v;
		bound.swap_kb = r->swap_used_kb;
		if (!c->found || beats(&bound, &c->best))
			v.swap_kb = read_swap_kb(c->root, v.pid);
	}
	if (victim_size_kb(&v) == 0)
		return 0;
	if (!c->found || beats(&v, &c->best)) {
		c->best = v;
		c->found = 1;
	}
	return 0;
}

int victim_choose(const char *proc_root, const struct victim_rules *r,
		  struct victim *out)
{
	struct choose_ctx c;
	char buf[2048];
	long page = sysconf(_SC_PAGESIZE);
	memset(&c, 0, sizeof c);
	c.root = proc_root;
	c.r = r;
	c.page_kb = page >= 1024 ? (uint64_t)page / 1024 : 4;
	if (scan_dir(proc_root, buf, sizeof buf, consider, &c) < 0 || !c.found)
		return 0;
	*out = c.best;
	return 1;
}

int victim_still_there(const char *proc_root, const struct victim *v)
{
	struct proc_stat s;
	if (read_stat(proc_root, v->pid, &s) < 0)
		return 0;
	return s.starttime == v->starttime && s.state != 'Z' && s.state != 'X' &&
	       s.state != 'x';
}
