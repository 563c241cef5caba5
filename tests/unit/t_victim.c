/* victim.c: the early killer's choice, on the recorded snapshot in
 * tests/unit/data/proc-small (see its README) and on small made-up ones. */
#define _GNU_SOURCE
#include "test.h"
#include "victim.h"

#include <stdint.h>
#include <unistd.h>

#define SNAP "tests/unit/data/proc-small"

static struct victim_rules rules(void)
{
	struct victim_rules r;
	memset(&r, 0, sizeof r);
	r.self = 99999;         /* not in any snapshot */
	return r;
}

static pid_t pick(const char *root, const struct victim_rules *r, struct victim *v)
{
	memset(v, 0, sizeof *v);
	return victim_choose(root, r, v) ? v->pid : 0;
}

/* ---- made-up snapshots ---- */

/* A process dir in root with a stat line (rss in pages) and a status
 * with VmSwap. */
static unsigned fake_uid;      /* the Uid: of the next fake_proc */

static void fake_proc(const char *root, int pid, const char *comm, char state,
		      int ppid, unsigned flags, unsigned long rss_pages, unsigned long swap_kb)
{
	char name[32], text[512];
	snprintf(name, sizeof name, "%d/stat", pid);
	snprintf(text, sizeof text, "%d (%s) %c %d %d %d 0 -1 %u 10 0 0 0 5 3 0 0 20 0 1 0 "
		 "%d 8192000 %lu 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n",
		 pid, comm, state, ppid, pid, pid, flags, 1000 + pid, rss_pages);
	if (write_file(root, name, text, strlen(text)))
		FAIL("cannot write %s", name);
	snprintf(name, sizeof name, "%d/status", pid);
	snprintf(text, sizeof text, "Name:\t%s\nState:\t%c\nPid:\t%d\nUid:\t%u\t%u\t%u\t%u\n"
		 "VmRSS:\t%lu kB\nRssAnon:\t%lu kB\nVmSwap:\t%lu kB\nThreads:\t1\n", comm, state,
		 pid, fake_uid, fake_uid, fake_uid, fake_uid, rss_pages * 4, rss_pages * 4, swap_kb);
	if (write_file(root, name, text, strlen(text)))
		FAIL("cannot write %s", name);
}

static uint64_t page_kb(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static void parse_cases(void)
{
	struct proc_stat s;
	const char *real = "301 (hog) S 1 0 0 0 -1 4194368 84910 0 0 0 0 0 0 0 20 0 1 0 "
			   "84910 84209664 18986 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
			   "17 0 0 0 0 0 0\n";
	TEST("victim: stat fields of a real line") {
		CHECK_INT(victim_parse_stat(real, (int)strlen(real), &s), 0);
		CHECK_INT(s.pid, 301);
		CHECK_STR(s.comm, "hog");
		CHECK_INT(s.state, 'S');
		CHECK_INT(s.ppid, 1);
		CHECK_INT(s.flags, 4194368);
		CHECK_INT(s.starttime, 84910);
		CHECK_INT(s.rss_pages, 18986);
	}
	TEST("victim: a comm with spaces and ')' ends at the last ')'") {
		const char *t = "306 (x) R 1 2 (y) S 1 0 0 0 -1 4194368 0 0 0 0 0 0 0 0 20 0 1 0 "
				"77 25000 1027 0\n";
		CHECK_INT(victim_parse_stat(t, (int)strlen(t), &s), 0);
		CHECK_STR(s.comm, "x) R 1 2 (y");
		CHECK_INT(s.state, 'S');
		CHECK_INT(s.ppid, 1);
		CHECK_INT(s.starttime, 77);
		CHECK_INT(s.rss_pages, 1027);
	}
	TEST("victim: negative priority and nice are only skipped") {
		const char *t = "10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 "
				"0 0 0 0 -2 -20 1 0 14 0 5 18446744073709551615\n";
		CHECK_INT(victim_parse_stat(t, (int)strlen(t), &s), 0);
		CHECK_STR(s.comm, "kworker/0:0H-ev");       /* cut to 15 */
		CHECK_INT(s.flags & 0x00200000u, 0x00200000u);
		CHECK_INT(s.starttime, 14);
		CHECK_INT(s.rss_pages, 5);
	}
	TEST("victim: a line cut before rss is -1 (no guessing)") {
		int len = (int)(strstr(real, "84209664") - real);
		CHECK_INT(victim_parse_stat(real, len, &s), -1);
		CHECK_INT(victim_parse_stat("12 (a S 1", 9, &s), -1);
		CHECK_INT(victim_parse_stat("12 a) S 1\n", 10, &s), -1);
		/* a newline ends the fields even when more text follows */
		CHECK_INT(victim_parse_stat("1 (a) S 1 2\n3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
					    "19 20 21 22 23 24\n", 70, &s), -1);
	}
}

static void snapshot_cases(void)
{
	struct victim v;
	struct victim_rules r;
	uint64_t pk = page_kb();

	TEST("victim: recorded snapshot: the largest process (hog) wins") {
		r = rules();
		CHECK_INT(pick(SNAP, &r, &v), 301);
		CHECK_STR(v.comm, "hog");
		CHECK_INT(v.rss_kb, 18986 * pk);
		CHECK_INT(v.swap_kb, 0);
		CHECK_INT(v.preferred, 0);
		CHECK_INT(v.starttime, 84910);
	}
	TEST("victim: recorded snapshot: -1000 does not protect (selfprot chosen)") {
		pid_t skip[] = { 301 };
		r = rules();
		r.skip = skip;
		r.nskip = 1;
		r.never_kill = "postgres";
		r.nnever = 1;
		CHECK_INT(pick(SNAP, &r, &v), 303);
		CHECK_STR(v.comm, "selfprot");
	}
	TEST("victim: recorded snapshot: skip list, then never_kill") {
		pid_t skip[] = { 301, 303, 302 };
		r = rules();
		r.skip = skip;
		r.nskip = 3;
		CHECK_INT(pick(SNAP, &r, &v), 304);     /* sshd */
		r.never_kill = "cron\0sshd\0";
		r.nnever = 2;
		/* then python3 as PID 1 (13 MiB) is the largest: excluded */
		CHECK_INT(pick(SNAP, &r, &v), 305);     /* batchjob */
	}
	TEST("victim: recorded snapshot: prefer beats a larger process") {
		r = rules();
		r.prefer = "nothing\0batchjob\0";
		r.nprefer = 2;
		CHECK_INT(pick(SNAP, &r, &v), 305);
		CHECK_INT(v.preferred, 1);
	}
	TEST("victim: recorded snapshot: self is excluded") {
		r = rules();
		r.self = 301;
		CHECK_INT(pick(SNAP, &r, &v), 302);
	}
	TEST("victim: recorded snapshot: comm with spaces and ')' read whole") {
		pid_t skip[] = { 301, 302, 303, 304, 305, 307 };
		r = rules();
		r.skip = skip;
		r.nskip = 6;
		CHECK_INT(pick(SNAP, &r, &v), 306);
		CHECK_STR(v.comm, "x) R 1 2 (y");
	}
	TEST("victim: recorded snapshot: never the zombie, kernel threads or PID 1") {
		pid_t skip[] = { 301, 302, 303, 304, 305, 306, 307 };
		r = rules();
		r.skip = skip;
		r.nskip = 7;
		CHECK_INT(pick(SNAP, &r, &v), 0);
	}
	TEST("victim: empty or missing /proc gives 0") {
		const char *d = temp_dir();
		r = rules();
		CHECK_INT(pick(d, &r, &v), 0);
		CHECK_INT(pick("/nonexistent-proc", &r, &v), 0);
	}
}

static void made_up_cases(void)
{
	struct victim v;
	struct victim_rules r;
	uint64_t pk = page_kb();

	TEST("victim: PID 1 and self are never chosen, however large") {
		const char *d = temp_dir();
		fake_proc(d, 1, "init", 'S', 0, 0x400100, 900000, 0);
		fake_proc(d, 50, "lifeline", 'S', 1, 0x400100, 800000, 0);
		fake_proc(d, 60, "small", 'S', 1, 0x400100, 10, 0);
		r = rules();
		r.self = 50;
		CHECK_INT(pick(d, &r, &v), 60);
	}
	TEST("victim: a kernel thread is known by PF_KTHREAD, not by its parent") {
		const char *d = temp_dir();
		/* flag set, parent not 2: still a kernel thread */
		fake_proc(d, 70, "kthr", 'S', 5, 0x00208040, 900000, 0);
		/* parent 2 but no flag: in a PID namespace pid 2 is anyone */
		fake_proc(d, 71, "nsproc", 'S', 2, 0x400100, 100, 0);
		r = rules();
		CHECK_INT(pick(d, &r, &v), 71);
	}
	TEST("victim: zombies and dead processes are skipped even with a size") {
		const char *d = temp_dir();
		fake_proc(d, 80, "zomb", 'Z', 1, 0x400104, 900000, 0);
		fake_proc(d, 81, "dead", 'X', 1, 0x400104, 800000, 0);
		fake_proc(d, 82, "alive", 'D', 1, 0x400100, 10, 0);
		r = rules();
		CHECK_INT(pick(d, &r, &v), 82);
	}
	TEST("victim: size 0 is never chosen; ties go to the higher pid") {
		const char *d = temp_dir();
		fake_proc(d, 90, "empty", 'S', 1, 0x400100, 0, 0);
		r = rules();
		CHECK_INT(pick(d, &r, &v), 0);
		fake_proc(d, 91, "twin", 'S', 1, 0x400100, 500, 0);
		fake_proc(d, 190, "twin", 'S', 1, 0x400100, 500, 0);
		fake_proc(d, 100, "twin", 'S', 1, 0x400100, 500, 0);
		CHECK_INT(pick(d, &r, &v), 190);
	}
	TEST("victim: swap counts where swap is in use") {
		const char *d = temp_dir();
		fake_proc(d, 110, "resident", 'S', 1, 0x400100, 1000, 0);
		fake_proc(d, 111, "swapped", 'S', 1, 0x400100, 10, 100000);
		r = rules();
		r.swap_used_kb = 200000;
		CHECK_INT(pick(d, &r, &v), 111);
		CHECK_INT(v.swap_kb, 100000);
		CHECK_INT(v.rss_kb, 10 * pk);
		/* no swap in use: VmSwap is not read, sizes are RSS alone */
		r.swap_used_kb = 0;
		CHECK_INT(pick(d, &r, &v), 110);
		CHECK_INT(v.swap_kb, 0);
	}
	TEST("victim: prefer wins over size, and among preferred the larger") {
		const char *d = temp_dir();
		fake_proc(d, 120, "big", 'S', 1, 0x400100, 100000, 0);
		fake_proc(d, 121, "cheap", 'S', 1, 0x400100, 10, 0);
		fake_proc(d, 122, "cheap2", 'S', 1, 0x400100, 20, 0);
		r = rules();
		r.prefer = "cheap\0cheap2\0";
		r.nprefer = 2;
		CHECK_INT(pick(d, &r, &v), 122);
		r.nprefer = 1;  /* only "cheap" */
		CHECK_INT(pick(d, &r, &v), 121);
	}
	TEST("victim: names match the comm exactly, long names as the kernel cut them") {
		const char *d = temp_dir();
		fake_proc(d, 130, "postgres", 'S', 1, 0x400100, 100000, 0);
		fake_proc(d, 131, "very-long-daemo", 'S', 1, 0x400100, 90000, 0);
		fake_proc(d, 132, "other", 'S', 1, 0x400100, 10, 0);
		r = rules();
		r.never_kill = "postgre\0postgresql\0";  /* neither is "postgres" */
		r.nnever = 2;
		CHECK_INT(pick(d, &r, &v), 130);
		r.never_kill = "postgres\0very-long-daemon-name\0";
		CHECK_INT(pick(d, &r, &v), 132);
	}
	TEST("victim: never_kill names only root's and system accounts' processes") {
		/* a user's hog called "postgres" (prctl, or ~/postgres) is no
		 * postgres: it is killed, not the root daemon next to it */
		const char *d = temp_dir();
		fake_proc(d, 150, "postgres", 'S', 1, 0x400100, 100000, 0);   /* uid 0 */
		fake_uid = 108;                                                 /* a system uid */
		fake_proc(d, 151, "postgres", 'S', 1, 0x400100, 90000, 0);
		fake_uid = 1000;                                                /* a user */
		fake_proc(d, 152, "postgres", 'S', 1, 0x400100, 80000, 0);
		fake_uid = 0;
		fake_proc(d, 153, "rootd", 'S', 1, 0x400100, 10, 0);
		r = rules();
		r.never_kill = "postgres\0";
		r.nnever = 1;
		CHECK_INT(pick(d, &r, &v), 152);
		CHECK_STR(v.comm, "postgres");
	}
	TEST("victim: victim_still_there tells a reused pid apart") {
		const char *d = temp_dir();
		fake_proc(d, 140, "a", 'S', 1, 0x400100, 10, 0);
		r = rules();
		CHECK_INT(pick(d, &r, &v), 140);
		CHECK_INT(victim_still_there(d, &v), 1);
		v.starttime++;
		CHECK_INT(victim_still_there(d, &v), 0);
		v.starttime--;
		fake_proc(d, 140, "a", 'Z', 1, 0x400100, 10, 0);
		CHECK_INT(victim_still_there(d, &v), 0);
		v.pid = 141;
		CHECK_INT(victim_still_there(d, &v), 0);
	}
}

void suite_victim(void)
{
	parse_cases();
	snapshot_cases();
	made_up_cases();
}
