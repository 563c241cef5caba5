/* The cgroup layer three ways: the pure parts (limit, parsers); a fake tree
 * of plain files standing in for /sys/fs/cgroup (every value lifeline
 * writes, read back); and, where the host has a cgroup2 hierarchy (here the
 * hybrid /sys/fs/cgroup/unified, without memory or pids controllers), real
 * groups: processes put in a service's group and moved out as a session. */
#include "test.h"
#include "cgroup.h"
#include "clock.h"
#include "log.h"
#include "outbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024ull * 1024)

static struct config cfg;

static struct unit_conf *add_unit(const char *name, int kind, int protect)
{
	struct unit_conf *u = &cfg.unit[cfg.nunits++];
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "%s", name);
	u->kind = (uint8_t)kind;
	u->protect = (uint8_t)protect;
	u->oom_score_adj = OOM_ADJ_UNSET;
	u->memory_min = SIZE_UNSET;
	u->memory_max = SIZE_UNSET;
	u->pids_max = PIDS_UNSET;
	return u;
}

/* sshd (protected, default minimum), dropbear (protected, 64 MiB), cron
 * (256 MiB, 100 pids), udev (a boot task asking for protection: never
 * counted), web.app (a name with a dot). */
static void make_cfg(void)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.mem.present = 1;
	cfg.mem.cgroups = 1;
	cfg.mem.headroom = 64 * MIB;
	cfg.mem.memory_min = 32 * MIB;
	cfg.mem.session_pids_max = 1024;
	add_unit("sshd", UNIT_SERVICE, 1);
	add_unit("dropbear", UNIT_SERVICE, 1)->memory_min = 64 * MIB;
	struct unit_conf *c = add_unit("cron", UNIT_SERVICE, 0);
	c->memory_max = 256 * MIB;
	c->pids_max = 100;
	add_unit("udev", UNIT_BOOT, 1)->memory_min = 512 * MIB;
	add_unit("web.app", UNIT_SERVICE, 0)->memory_min = 512 * MIB;
}

static struct unit_conf *unit(const char *name)
{
	for (int i = 0; i < cfg.nunits; i++)
		if (!strcmp(cfg.unit[i].name, name))
			return &cfg.unit[i];
	return NULL;
}

static const char *readf(const char *dir, const char *rel)
{
	static char buf[4][512];
	static int k;
	char p[512];
	char *b = buf[k++ % 4];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	int fd = open(p, O_RDONLY);
	b[0] = '\0';
	if (fd < 0)
		return "(missing)";
	ssize_t n = read(fd, b, 511);
	close(fd);
	b[n > 0 ? n : 0] = '\0';
	if (n > 0 && b[n - 1] == '\n')
		b[n - 1] = '\0';
	return b;
}

static int putf(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A group of the fake tree: the directory and the files the kernel would
 * make in it. */
static void fake_group(const char *root, const char *g)
{
	static const char *const files[] = { "cgroup.procs", "cgroup.subtree_control",
		"memory.min", "memory.max", "memory.high", "memory.current", "memory.events",
		"memory.stat",
		"pids.max", "pids.current", "cpu.weight" };
	char p[512];
	snprintf(p, sizeof p, "%s/%s", root, g);
	mkdir(p, 0755);
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", g, files[i]);
		putf(root, p, "");
	}
}

static const char *fake_tree(const char *name, const char *controllers)
{
	static char root[4][256];
	static int k;
	char *r = root[k++ % 4];
	static const char *const groups[] = { "lifeline", "lifeline/protected",
		"lifeline/limited", "lifeline/limited/sessions", "lifeline/protected/sshd",
		"lifeline/protected/dropbear", "lifeline/limited/cron",
		"lifeline/limited/udev", "lifeline/limited/:web.app" };
	snprintf(r, 256, "%s/%s", temp_dir(), name);
	mkdir(r, 0755);
	putf(r, "cgroup.controllers", controllers);
	putf(r, "cgroup.subtree_control", "");
	for (unsigned i = 0; i < sizeof groups / sizeof groups[0]; i++)
		fake_group(r, groups[i]);
	return r;
}

/* What was logged since *cur, as one string. */
static const char *logged(uint64_t *cur)
{
	static char buf[4096];
	size_t n = log_ring_read(cur, buf, sizeof buf - 1);
	buf[n] = '\0';
	return buf;
}

static const char *status_text(void)
{
	static char buf[512];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	cg_status_text(&o);
	buf[o.len < sizeof buf ? o.len : sizeof buf - 1] = '\0';
	return buf;
}

static const char *status_json(void)
{
	static char buf[512];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	cg_status_json(&o);
	buf[o.len < sizeof buf ? o.len : sizeof buf - 1] = '\0';
	return buf;
}

static const char memory_events[] =
	"low 0\nhigh 17\nmax 4\noom 3\noom_kill 2\noom_group_kill 1\n";

static void pure_cases(void)
{
	TEST("cgroup: reserve = headroom + protected services' minimums (default where unset)") {
		make_cfg();
		/* 64 + sshd 32 (default) + dropbear 64; not udev (a boot task), not web.app */
		CHECK_INT(cg_reserve_for(&cfg), 160 * MIB);
	}

	TEST("cgroup: limit = MemTotal - reserve (2048 -> 1888 MiB, 1024 -> 864 MiB)") {
		make_cfg();
		CHECK_INT(cg_limit_for(&cfg, 2048 * MIB), 1888 * MIB);
		CHECK_INT(cg_limit_for(&cfg, 1024 * MIB), 864 * MIB);
	}

	TEST("cgroup: limit is page-aligned") {
		make_cfg();
		CHECK_INT(cg_limit_for(&cfg, 1024 * MIB + 12345) % 4096, 0);
		CHECK_INT(cg_limit_for(&cfg, 1024 * MIB + 12345), 864 * MIB + 12288);
	}

	TEST("cgroup: the reserve is at most a quarter of MemTotal") {
		make_cfg();
		/* 160 MiB fits 1024 (a quarter is 256); of 512 only 128 is kept */
		CHECK_INT(cg_reserve_effective(&cfg, 1024 * MIB), 160 * MIB);
		CHECK_INT(cg_limit_for(&cfg, 512 * MIB), 384 * MIB);
		CHECK_INT(cg_limit_for(&cfg, 192 * MIB), 144 * MIB);
		cfg.mem.headroom = 8192 * MIB;
		CHECK_INT(cg_limit_for(&cfg, 4096 * MIB), 3072 * MIB);
	}

	TEST("cgroup: a 256 MiB dom0 (MemTotal 122 MiB) leaves its sessions 83 MiB") {
		make_cfg();
		uint64_t l = cg_limit_for(&cfg, 122 * MIB);
		CHECK_INT(l, (122 * MIB - 122 * MIB / 4) & ~4095ull);
		CHECK_INT(cg_sessions_limit_for(l), (l - 8 * MIB) & ~4095ull);
		CHECK_INT(cg_limit_for(&cfg, 16 * MIB), 12 * MIB);
		CHECK_INT(cg_limit_for(&cfg, 0), 0);
	}

	TEST("cgroup: the sessions' limit leaves the services a sixteenth (8 MiB to half)") {
		CHECK_INT(cg_sessions_limit_for(1888 * MIB), 1770 * MIB);
		CHECK_INT(cg_sessions_limit_for(64 * MIB), 56 * MIB);
		CHECK_INT(cg_sessions_limit_for(10 * MIB), 5 * MIB);
		CHECK_INT(cg_sessions_limit_for(0), 0);
	}

	TEST("cgroup: memory.stat: anon, file, shmem; unreclaimable when cache < 1/8") {
		struct cg_fill f = { .current = 100 * (int64_t)MIB, .file = -1, .shmem = -1, .anon = -1 };
		cg_parse_stat("anon 94371840\nfile 8388608\nkernel 1000\nshmem 1048576\n"
			      "file_mapped 4096\n", &f);
		CHECK_INT(f.anon, 90 * (int64_t)MIB);
		CHECK_INT(f.file, 8 * (int64_t)MIB);
		CHECK_INT(f.shmem, 1 * (int64_t)MIB);
		CHECK(cg_fill_unreclaimable(&f));         /* 7 MiB of cache in 100 */
		f.file = 14 * (int64_t)MIB;               /* 13 MiB: the kernel can drop it */
		CHECK(!cg_fill_unreclaimable(&f));
		f.shmem = 8 * (int64_t)MIB;               /* tmpfs is no cache */
		CHECK(cg_fill_unreclaimable(&f));
		f.file = -1;                              /* unknown: never */
		CHECK(!cg_fill_unreclaimable(&f));
	}

	TEST("cgroup: no protected services: only the headroom is kept") {
		make_cfg();
		cfg.nunits = 0;
		CHECK_INT(cg_limit_for(&cfg, 1024 * MIB), 960 * MIB);
	}

	TEST("cgroup: value files: numbers, max, junk") {
		CHECK_INT(cg_parse_value("123456\n"), 123456);
		CHECK_INT(cg_parse_value("0\n"), 0);
		CHECK_INT(cg_parse_value("max\n"), -1);
		CHECK_INT(cg_parse_value(""), -1);
		CHECK_INT(cg_parse_value("x1"), -1);
		CHECK_INT(cg_parse_value("99999999999999999999999"), INT64_MAX);
	}

	TEST("cgroup: memory.events: oom, oom_kill, oom_group_kill (recorded text)") {
		struct cg_stats s;
		s.oom = s.oom_kill = s.oom_group_kill = -1;
		cg_parse_events(memory_events, &s);
		CHECK_INT(s.oom, 3);
		CHECK_INT(s.oom_kill, 2);
		CHECK_INT(s.oom_group_kill, 1);
	}

	TEST("cgroup: memory.events: keys compared whole, order free, no final newline") {
		struct cg_stats s;
		s.oom = s.oom_kill = s.oom_group_kill = -1;
		/* a kernel without oom_group_kill; "oom_killx" is no key */
		cg_parse_events("oom_killx 9\noom_kill 5\nhigh 1\noom 6", &s);
		CHECK_INT(s.oom_kill, 5);
		CHECK_INT(s.oom, 6);
		CHECK_INT(s.oom_group_kill, -1);
	}
}

static void fake_cases(void)
{
	const char *r = fake_tree("cgfake", "cpuset cpu io memory hugetlb pids rdma misc\n");
	uint64_t cur = log_ring_head();
	uint64_t t = now_ms() + 100000;         /* later than any real call's */
	int fd;

	TEST("cgroup: off until cg_init") {
		cg_test_root(r, 1);
		CHECK(!cg_active());
		CHECK_STR(cg_state(), "off (not the machine's init)");
		make_cfg();
		CHECK_INT(cg_unit_prepare(&cfg, unit("sshd")), -1);
		CHECK_STR(status_text(), "cgroups: off (not the machine's init)\n");
	}

	TEST("cgroup: no [memory] section or cgroups = no: off, nothing written") {
		make_cfg();
		cfg.mem.cgroups = 0;
		cg_test_root(r, 1);
		cg_init(&cfg);
		CHECK(!cg_active());
		CHECK_STR(cg_state(), "off in the config");
		CHECK_STR(readf(r, "cgroup.subtree_control"), "");
		cfg.mem.cgroups = 1;
		cfg.mem.present = 0;
		cg_init(&cfg);
		CHECK(!cg_active());
	}

	TEST("cgroup: init enables the controllers and protects the protected branch") {
		make_cfg();
		cg_test_root(r, 1);
		cur = log_ring_head();
		cg_init(&cfg);
		CHECK(cg_active());
		CHECK_STR(cg_state(), "on");
		/* each controller written alone: the last write is +cpu */
		CHECK_STR(readf(r, "cgroup.subtree_control"), "+cpu");
		CHECK_STR(readf(r, "lifeline/limited/cgroup.subtree_control"), "+cpu");
		CHECK_STR(readf(r, "lifeline/limited/sessions/cgroup.subtree_control"), "+cpu");
		/* the listeners get ten times the default CPU weight */
		CHECK_STR(readf(r, "lifeline/protected/cpu.weight"), "1000");
		/* sshd 32 + dropbear 64 */
		CHECK_STR(readf(r, "lifeline/memory.min"), "100663296");
		CHECK_STR(readf(r, "lifeline/protected/memory.min"), "100663296");
		CHECK_CONTAINS(logged(&cur), "cgroups: on: services in ");
	}

	TEST("cgroup: MemTotal sets memory.max and memory.high of limited and sessions") {
		cur = log_ring_head();
		t += 10000;
		cg_memtotal(&cfg, 2048 * MIB, 0, t, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 1888 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.high")), 1829 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/sessions/memory.max")), 1770 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/sessions/memory.high")),
			  (1770 * MIB - 1770 * MIB / 32) & ~4095ull);
		CHECK_CONTAINS(logged(&cur),
			       "memory: MemTotal 2048 MiB: limit for unprotected processes 1888 MiB");
	}

	TEST("cgroup: MemTotal shrinks: limits follow, one log line") {
		cur = log_ring_head();
		t += 10000;
		cg_memtotal(&cfg, 1024 * MIB, 0, t, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 864 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.high")), 837 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/sessions/memory.max")), 810 * MIB);
		CHECK_CONTAINS(logged(&cur), "memory: MemTotal 2048 MiB -> 1024 MiB: limit for "
			       "unprotected processes 1888 MiB -> 864 MiB");
		cg_memtotal(&cfg, 1024 * MIB, 0, t + 2000, 0);
		CHECK_STR(logged(&cur), "");
	}

	TEST("cgroup: a balloon moving: a line a second at most, the last value said") {
		cur = log_ring_head();
		t += 10000;
		for (int i = 1; i <= 10; i++)           /* every 200 ms, 1000 -> 910 MiB */
			cg_memtotal(&cfg, (1024 - 10 * (uint64_t)i) * MIB, 0, t + 200 * (uint64_t)i, 0);
		/* at 200 ms said; 400..1000 held; 1200 said; 1400..2000 held */
		const char *l = logged(&cur);
		int n = 0;
		for (const char *p = l; (p = strstr(p, "memory: MemTotal")); p++)
			n++;
		CHECK_INT(n, 2);
		CHECK_CONTAINS(l, "MemTotal 1024 MiB -> 1014 MiB");
		CHECK_CONTAINS(l, "MemTotal 1014 MiB -> 964 MiB");
		cg_flush_log(t + 2100);                 /* not yet a second since 1200 */
		CHECK_STR(logged(&cur), "");
		cg_flush_log(t + 2300);
		CHECK_CONTAINS(logged(&cur), "MemTotal 964 MiB -> 924 MiB");
		cg_flush_log(t + 5000);                 /* nothing left to say */
		CHECK_STR(logged(&cur), "");
		/* the same MiB figures again: nothing */
		cg_memtotal(&cfg, 924 * MIB + 4096, 0, t + 9000, 0);
		CHECK_STR(logged(&cur), "");
		cg_memtotal(&cfg, 1024 * MIB, 0, t + 10000, 0);
	}

	TEST("cgroup: held limits: never below what the group holds + 16 MiB while a balloon moves") {
		CHECK_INT(cg_held_limit(500 * MIB, 0, 900 * MIB), 500 * MIB);          /* first */
		CHECK_INT(cg_held_limit(900 * MIB, 800 * MIB, 100 * MIB), 900 * MIB);  /* growing */
		CHECK_INT(cg_held_limit(300 * MIB, 800 * MIB, 100 * MIB), 300 * MIB);  /* room */
		CHECK_INT(cg_held_limit(300 * MIB, 800 * MIB, 700 * MIB), 716 * MIB);
		CHECK_INT(cg_held_limit(300 * MIB, 800 * MIB, 790 * MIB), 800 * MIB);  /* not above old */
		CHECK_INT(cg_held_limit(300 * MIB, 800 * MIB, -1), 800 * MIB);         /* unknown */
		cur = log_ring_head();
		t += 10000;
		char v[32];
		snprintf(v, sizeof v, "%llu\n", 700 * MIB);     /* the sessions hold 700 MiB */
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.current", v), 0);
		CHECK_INT(putf(r, "lifeline/limited/memory.current", v), 0);
		cg_memtotal(&cfg, 512 * MIB, 0, t, 1);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/sessions/memory.max")), 716 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 716 * MIB);
		/* the balloon stopped: the limits as computed */
		cg_memtotal(&cfg, 512 * MIB, 0, t + 2000, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 384 * MIB);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/sessions/memory.max")), 360 * MIB);
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.current", "0\n"), 0);
		CHECK_INT(putf(r, "lifeline/limited/memory.current", "0\n"), 0);
		cg_memtotal(&cfg, 1024 * MIB, 0, t + 4000, 0);
	}

	TEST("cgroup: tmpfs outside lifeline's groups is kept out of the limit too") {
		t += 10000;
		/* 35 MiB of Shmem, 1 MiB of it inside lifeline's groups */
		CHECK_INT(putf(r, "lifeline/memory.stat", "anon 0\nfile 1048576\nshmem 1048576\n"), 0);
		cg_memtotal(&cfg, 1024 * MIB, 35 * MIB, t, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 830 * MIB);
		CHECK_CONTAINS(status_json(), "\"reserve\":203423744");       /* 160 + 34 MiB */
		/* never more than half of what is left */
		cg_memtotal(&cfg, 1024 * MIB, 2048 * MIB, t + 2000, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 432 * MIB);
		cg_memtotal(&cfg, 1024 * MIB, 0, t + 4000, 0);
		CHECK_INT(putf(r, "lifeline/memory.stat", ""), 0);
	}

	TEST("cgroup: a reserve too large for MemTotal: a quarter, said once") {
		cur = log_ring_head();
		t += 10000;
		cg_memtotal(&cfg, 200 * MIB, 0, t, 0);
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 150 * MIB);
		CHECK_CONTAINS(logged(&cur), "is more than a quarter of MemTotal");
		cg_memtotal(&cfg, 190 * MIB, 0, t + 2000, 0);
		CHECK_NOT_CONTAINS(logged(&cur), "quarter");
		cg_memtotal(&cfg, 1024 * MIB, 0, t + 4000, 0);
	}

	TEST("cgroup: a protected service: its own group with memory.min, fd on cgroup.procs") {
		fd = cg_unit_prepare(&cfg, unit("sshd"));
		CHECK(fd >= 0);
		CHECK(fd >= 0 && write(fd, "0", 1) == 1);
		CHECK_STR(readf(r, "lifeline/protected/sshd/cgroup.procs"), "0");
		CHECK_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		if (fd >= 0)
			close(fd);
		CHECK_STR(readf(r, "lifeline/protected/sshd/memory.min"), "33554432");
		CHECK_STR(readf(r, "lifeline/protected/sshd/memory.max"), "max");
		CHECK_STR(readf(r, "lifeline/protected/sshd/pids.max"), "max");
		fd = cg_unit_prepare(&cfg, unit("dropbear"));
		CHECK_STR(readf(r, "lifeline/protected/dropbear/memory.min"), "67108864");
		if (fd >= 0)
			close(fd);
	}

	TEST("cgroup: an unprotected service: memory.max and pids.max of its own") {
		fd = cg_unit_prepare(&cfg, unit("cron"));
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_STR(readf(r, "lifeline/limited/cron/memory.max"), "268435456");
		CHECK_STR(readf(r, "lifeline/limited/cron/pids.max"), "100");
		CHECK_STR(readf(r, "lifeline/limited/cron/memory.min"), "");
	}

	TEST("cgroup: a boot task goes under limited even with protect; a dotted name gets ':'") {
		fd = cg_unit_prepare(&cfg, unit("udev"));
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_STR(readf(r, "lifeline/limited/udev/memory.max"), "max");
		CHECK_STR(readf(r, "lifeline/limited/udev/memory.min"), "");
		fd = cg_unit_prepare(&cfg, unit("web.app"));
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_STR(readf(r, "lifeline/limited/:web.app/memory.max"), "max");
	}

	TEST("cgroup: what fills the sessions' group, from its files") {
		struct cg_fill f;
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.current", "104857600\n"), 0);
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.stat",
			       "anon 94371840\nfile 4194304\nshmem 0\n"), 0);
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.events",
			       "low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\n"), 0);
		CHECK_INT(cg_group_fill(CG_SESSIONS, &f), 0);
		CHECK_INT(f.current, 104857600);
		CHECK_INT(f.max, 810 * (int64_t)MIB);
		CHECK_INT(f.anon, 94371840);
		CHECK_INT(f.ev_high, 12);
		CHECK_INT(f.ev_max, 3);
		CHECK_INT(f.ev_oom, 1);
		CHECK(cg_fill_unreclaimable(&f));
		CHECK_STR(cg_group_name(CG_SESSIONS), "/lifeline/limited/sessions");
		CHECK_STR(cg_group_name(CG_LIMITED), "/lifeline/limited");
	}

	TEST("cgroup: unit stats from the group's files") {
		struct cg_stats s;
		CHECK_INT(putf(r, "lifeline/protected/sshd/memory.events", memory_events), 0);
		CHECK_INT(putf(r, "lifeline/protected/sshd/memory.current", "4096000\n"), 0);
		CHECK_INT(putf(r, "lifeline/protected/sshd/pids.current", "3\n"), 0);
		CHECK_INT(cg_unit_stats(unit("sshd"), &s), 0);
		CHECK_INT(s.oom_kill, 2);
		CHECK_INT(s.oom_group_kill, 1);
		CHECK_INT(s.current, 4096000);
		CHECK_INT(s.min, 32 * MIB);
		CHECK_INT(s.max, -1);
		CHECK_INT(s.pids_current, 3);
		CHECK_INT(s.pids_max, -1);
	}

	TEST("cgroup: attribution: oom_kill rising since the spawn") {
		int64_t last = -1;
		CHECK_INT(cg_unit_oom_killed(unit("sshd"), &last), 0);
		CHECK_INT(last, 2);
		CHECK_INT(cg_unit_oom_killed(unit("sshd"), &last), 0);
		CHECK_INT(putf(r, "lifeline/protected/sshd/memory.events",
			       "low 0\nhigh 0\nmax 1\noom 1\noom_kill 3\noom_group_kill 0\n"), 0);
		CHECK_INT(cg_unit_oom_killed(unit("sshd"), &last), 1);
		CHECK_INT(last, 3);
		CHECK_INT(cg_unit_oom_killed(unit("sshd"), &last), 0);
	}

	TEST("cgroup: memory.events of limited or sessions changing wakes the guard") {
		cg_event();             /* what the tests above wrote */
		CHECK_INT(cg_event(), 0);
		CHECK_INT(putf(r, "lifeline/limited/memory.events", "oom 1\n"), 0);
		CHECK_INT(cg_event(), 1);
		CHECK_INT(cg_event(), 0);
		CHECK_INT(putf(r, "lifeline/limited/sessions/memory.events", "high 13\n"), 0);
		CHECK_INT(cg_event(), 1);
		CHECK_INT(cg_event(), 0);
	}

	TEST("cgroup: status text and JSON") {
		CHECK_INT(putf(r, "lifeline/limited/memory.current", "125829120\n"), 0);
		CHECK_STR(status_text(), "cgroups: on; limit for unprotected processes 864 MiB "
			  "(MemTotal 1024 MiB - reserve 160 MiB), for the sessions 810 MiB, in use "
			  "120 MiB, pids.max per session 1024\n");
		const char *j = status_json();
		CHECK_CONTAINS(j, "\"cgroups\":{\"state\":\"on\",\"active\":true");
		CHECK_CONTAINS(j, "\"limit\":905969664,\"high\":877658112,\"sessions_limit\":849346560,"
			       "\"sessions_high\":822804480,\"current\":125829120");
		CHECK_CONTAINS(j, "\"reserve\":167772160");
		CHECK_CONTAINS(j, "\"session_pids_max\":1024},");
		CHECK(j[strlen(j) - 1] == ',');
	}

	TEST("cgroup: reload: limits of existing groups, minimums, reserve; old groups pruned") {
		char p[512];
		snprintf(p, sizeof p, "%s/lifeline/limited/gone", r);
		CHECK_INT(mkdir(p, 0755), 0);
		unit("cron")->memory_max = SIZE_UNSET;
		unit("cron")->pids_max = 50;
		unit("dropbear")->memory_min = 128 * MIB;
		cur = log_ring_head();
		cg_reconfigure(&cfg, 1024 * MIB);
		CHECK_STR(readf(r, "lifeline/limited/cron/memory.max"), "max");
		CHECK_STR(readf(r, "lifeline/limited/cron/pids.max"), "50");
		CHECK_STR(readf(r, "lifeline/protected/dropbear/memory.min"), "134217728");
		CHECK_STR(readf(r, "lifeline/memory.min"), "167772160");
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 800 * MIB);
		CHECK_CONTAINS(logged(&cur), "memory: reserve 224 MiB: limit for "
			       "unprotected processes 864 MiB -> 800 MiB");
		struct stat st;
		CHECK(stat(p, &st) < 0 && errno == ENOENT);
		/* groups in use stay */
		CHECK_STR(readf(r, "lifeline/limited/sessions/pids.max"), "");
		CHECK_STR(readf(r, "lifeline/limited/:web.app/memory.max"), "max");
	}

	TEST("cgroup: reload with cgroups = no: limits lifted, off") {
		cfg.mem.cgroups = 0;
		cg_reconfigure(&cfg, 1024 * MIB);
		CHECK(!cg_active());
		CHECK_STR(cg_state(), "off in the config");
		CHECK_STR(readf(r, "lifeline/limited/memory.max"), "max");
		CHECK_STR(readf(r, "lifeline/limited/memory.high"), "max");
		CHECK_STR(readf(r, "lifeline/limited/sessions/memory.max"), "max");
		CHECK_INT(cg_unit_prepare(&cfg, unit("sshd")), -1);
		CHECK_STR(status_text(), "cgroups: off in the config\n");
		CHECK_CONTAINS(status_json(), "{\"state\":\"off in the config\",\"active\":false},");
	}

	TEST("cgroup: reload with cgroups = yes again: on, limits back") {
		cfg.mem.cgroups = 1;
		cg_reconfigure(&cfg, 1024 * MIB);
		CHECK(cg_active());
		CHECK_INT(cg_parse_value(readf(r, "lifeline/limited/memory.max")), 800 * MIB);
	}

	TEST("cgroup: no pids controller: said, memory still limited, pids.max untouched") {
		const char *r2 = fake_tree("cgfake2", "cpu memory\n");
		make_cfg();
		cg_test_root(r2, 1);
		cur = log_ring_head();
		cg_init(&cfg);
		CHECK(cg_active());
		CHECK_STR(cg_state(), "no pids controller");
		CHECK_CONTAINS(logged(&cur), "cgroups: no pids controller: services are grouped, "
			       "but fork bombs are not contained");
		cg_memtotal(&cfg, 1024 * MIB, 0, now_ms(), 0);
		fd = cg_unit_prepare(&cfg, unit("cron"));
		if (fd >= 0)
			close(fd);
		CHECK_STR(readf(r2, "lifeline/limited/cron/memory.max"), "268435456");
		CHECK_STR(readf(r2, "lifeline/limited/cron/pids.max"), "");
		CHECK_CONTAINS(status_text(), "cgroups: on, no pids controller; limit for "
			       "unprotected processes 864 MiB");
		CHECK_NOT_CONTAINS(status_text(), "pids.max");
	}

	TEST("cgroup: no memory controller: no limits written, status says so") {
		const char *r3 = fake_tree("cgfake3", "cpu pids\n");
		make_cfg();
		cg_test_root(r3, 1);
		cg_init(&cfg);
		CHECK_STR(cg_state(), "no memory controller");
		cg_memtotal(&cfg, 1024 * MIB, 0, now_ms(), 0);
		CHECK_STR(readf(r3, "lifeline/limited/memory.max"), "");
		CHECK_STR(readf(r3, "lifeline/memory.min"), "");
		struct cg_fill f;
		CHECK_INT(cg_group_fill(CG_SESSIONS, &f), -1);
		CHECK_STR(status_text(), "cgroups: on, no memory controller, pids.max per session 1024\n");
	}

	TEST("cgroup: a word inside another is no controller (\"pids_x\", \"nomemory\")") {
		const char *r4 = fake_tree("cgfake4", "nomemory pids_x\n");
		make_cfg();
		cg_test_root(r4, 1);
		cg_init(&cfg);
		CHECK_STR(cg_state(), "no memory or pids controller");
	}
	cg_test_root("/sys/fs/cgroup", 0);
}

/* ---- a real cgroup2 hierarchy ---- */

static int is_cgroup2(const char *p)
{
	struct statfs sf;
	return statfs(p, &sf) == 0 && sf.f_type == 0x63677270;
}

/* The cgroup2 path of pid ("0::/..." line), or "". */
static const char *cgroup_of(pid_t pid)
{
	static char line[2][512];
	static int k;
	char p[64];
	char *l = line[k++ % 2];
	snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(p, "r");
	l[0] = '\0';
	while (f && fgets(l, 512, f))
		if (!strncmp(l, "0::", 3)) {
			l[strcspn(l, "\n")] = '\0';
			memmove(l, l + 3, strlen(l + 3) + 1);
			fclose(f);
			return l;
		}
	if (f)
		fclose(f);
	l[0] = '\0';
	return l;
}

static int adj_of(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d", (int)pid);
	return atoi(readf(p, "oom_score_adj"));
}

static pid_t sleeper(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

/* A pid that was used and is gone. */
static pid_t fork_dead(void)
{
	int st;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, &st, 0);
	return p;
}

static void put_in(const char *dir, pid_t pid)
{
	char v[16];
	snprintf(v, sizeof v, "%d", (int)pid);
	putf(dir, "cgroup.procs", v);
}

static void kill_reap(pid_t p)
{
	int st;
	if (p > 0) {
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
	}
}

static void rmdir_tree(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;
	char sub[512];
	while (d && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", p, e->d_name);
		rmdir_tree(sub);
	}
	if (d)
		closedir(d);
	rmdir(p);
}

static void real_cases(void)
{
	static const char *const bases[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char root[128], self_cg[512], home[600];
	const char *base = NULL;
	for (unsigned i = 0; i < 2 && !base; i++)
		if (is_cgroup2(bases[i]) && access(bases[i], W_OK) == 0)
			base = bases[i];

	TEST("cgroup: /sys/fs/cgroup with cgroup v1 on it: unavailable, said why, nothing mounted") {
		struct statfs sf;
		if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != 0x01021994) {
			t_note("skipped: /sys/fs/cgroup is not a tmpfs (no cgroup v1) here");
		} else {
			make_cfg();
			cg_test_root("/sys/fs/cgroup", 0);
			cg_init(&cfg);
			CHECK(!cg_active());
			CHECK_STR(cg_state(), "cgroup2 not mounted (cgroup v1 at /sys/fs/cgroup)");
			CHECK_STR(status_text(), "cgroups: unavailable: cgroup2 not mounted "
				  "(cgroup v1 at /sys/fs/cgroup)\n");
			CHECK(statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == 0x01021994);
			CHECK_INT(cg_unit_prepare(&cfg, unit("sshd")), -1);
		}
	}

	if (!base || geteuid() != 0) {
		t_note("skipped: real cgroup2 cases (no writable cgroup2 hierarchy here)");
		return;
	}
	snprintf(root, sizeof root, "%s/lifeline-unit-%d", base, (int)getpid());
	snprintf(self_cg, sizeof self_cg, "%s", cgroup_of(getpid()));
	snprintf(home, sizeof home, "%s%s", base, self_cg);
	if (mkdir(root, 0755) < 0) {
		t_note("skipped: real cgroup2 cases (mkdir %s: %s)", root, strerror(errno));
		return;
	}
	pid_t main_pid = 0, s1 = 0, g1 = 0, s2 = 0;

	TEST("cgroup (real cgroup2): layout made; missing controllers said") {
		make_cfg();
		cg_test_root(root, 0);
		cg_init(&cfg);
		CHECK(cg_active());
		char ctl[256];
		snprintf(ctl, sizeof ctl, "%s", readf(root, "cgroup.controllers"));
		if (!strstr(ctl, "memory"))
			CHECK_CONTAINS(cg_state(), "no memory");
		CHECK_STR(readf(root, "lifeline/limited/sessions/cgroup.procs"), "");
	}

	TEST("cgroup (real cgroup2): a service's process lands in its group through the fd") {
		int fd = cg_unit_prepare(&cfg, unit("sshd"));
		CHECK(fd >= 0);
		main_pid = fork();
		if (main_pid == 0) {
			if (write(fd, "0", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (fd >= 0)
			close(fd);
		char want[512];
		snprintf(want, sizeof want, "%s/lifeline/protected/sshd", root + strlen(base));
		for (int i = 0; i < 100 && strcmp(cgroup_of(main_pid), want); i++)
			usleep(10000);
		CHECK_STR(cgroup_of(main_pid), want);
	}

	TEST("cgroup (real cgroup2): a session and what it forked before the move leave the service's group") {
		char d[512];
		snprintf(d, sizeof d, "%s/lifeline/protected/sshd", root);
		/* as if the listener had forked s1, and s1 g1, before lifeline looked */
		s1 = sleeper();
		g1 = sleeper();
		put_in(d, s1);
		put_in(d, g1);
		uint64_t cur = log_ring_head();
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s1, 200), 0);
		char want[512];
		snprintf(want, sizeof want, "%s/lifeline/limited/sessions/%d", root + strlen(base),
			 (int)s1);
		CHECK_STR(cgroup_of(s1), want);
		CHECK_STR(cgroup_of(g1), want);
		CHECK_INT(adj_of(s1), 200);
		CHECK_INT(adj_of(g1), 200);
		snprintf(want, sizeof want, "%s/lifeline/protected/sshd", root + strlen(base));
		CHECK_STR(cgroup_of(main_pid), want);
		CHECK_INT(atoi(readf(d, "cgroup.procs")), main_pid);
		CHECK_NOT_CONTAINS(logged(&cur), "cgroups:");
	}

	TEST("cgroup (real cgroup2): a session already gone is silent; ended sessions' groups go") {
		char d[512];
		struct stat st;
		kill_reap(s1);
		kill_reap(g1);
		s2 = fork_dead();
		uint64_t cur = log_ring_head();
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s2, 0), 0);
		CHECK_STR(logged(&cur), "");
		snprintf(d, sizeof d, "%s/lifeline/limited/sessions/%d", root, (int)s1);
		/* the ended sessions' groups go at the next prune, not in the move */
		uint64_t due = cg_next_deadline();
		CHECK(due != 0);
		CHECK(stat(d, &st) == 0);
		cg_tick(due);
		CHECK_INT(cg_next_deadline(), 0);
		CHECK(stat(d, &st) < 0 && errno == ENOENT);
		snprintf(d, sizeof d, "%s/lifeline/limited/sessions/%d", root, (int)s2);
		CHECK(stat(d, &st) < 0 && errno == ENOENT);
	}

	TEST("cgroup (real cgroup2): ended sessions' groups are pruned at most once a second") {
		/* a move right after a prune: the next one a second after it */
		pid_t s3 = fork_dead();
		uint64_t before = cg_next_deadline();
		CHECK_INT(before, 0);
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s3, 0), 0);
		uint64_t due = cg_next_deadline();
		CHECK(due != 0);
		pid_t s4 = fork_dead();
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s4, 0), 0);
		CHECK_INT(cg_next_deadline(), due);     /* one prune for both */
		cg_tick(due - 1);
		CHECK_INT(cg_next_deadline(), due);     /* not before its time */
		cg_tick(due);
		CHECK_INT(cg_next_deadline(), 0);
	}

	TEST("cgroup (real cgroup2): a live session's group stays") {
		char d[512];
		struct stat st;
		s1 = sleeper();
		put_in(root, s1);
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s1, 0), 0);
		CHECK_INT(cg_move_session(&cfg, unit("sshd"), main_pid, s1, 0), 0);
		snprintf(d, sizeof d, "%s/lifeline/limited/sessions/%d", root, (int)s1);
		CHECK(stat(d, &st) == 0);
		kill_reap(s1);
	}

	TEST("cgroup (real cgroup2): reload prunes empty groups of units no longer configured") {
		char d[512];
		struct stat st;
		int fd = cg_unit_prepare(&cfg, unit("cron"));
		if (fd >= 0)
			close(fd);
		snprintf(d, sizeof d, "%s/lifeline/limited/cron", root);
		CHECK(stat(d, &st) == 0);
		cfg.nunits = 2;
		cg_reconfigure(&cfg, 0);
		CHECK(stat(d, &st) < 0 && errno == ENOENT);
		snprintf(d, sizeof d, "%s/lifeline/protected/sshd", root);
		CHECK(stat(d, &st) == 0);
	}

	kill_reap(main_pid);
	cg_test_root("/sys/fs/cgroup", 0);
	/* back home, in case; then the tree */
	put_in(home, getpid());
	rmdir_tree(root);
	struct stat st;
	if (stat(root, &st) == 0)
		t_note("could not remove %s", root);
}

void suite_cgroup(void)
{
	pure_cases();
	fake_cases();
	real_cases();
}
