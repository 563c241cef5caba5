/* The early killer's choice of victim, by lifeline's own rules rather
 * than the kernel's oom_score: the process holding the most memory that a
 * kill gives back (anonymous resident memory plus swap; file pages stay in
 * the page cache) that is not PID 1, not lifeline, not a kernel thread, not a protected service's
 * main process and not on the never-kill list.  A process on the prefer
 * list beats any other.  Its own oom_score_adj (even -1000) does not
 * protect it.  Reads proc_root ("/proc", or a recorded snapshot in tests)
 * through buffers on the stack: no allocation. */
#ifndef LIFELINE_VICTIM_H
#define LIFELINE_VICTIM_H
#include <stdint.h>
#include <sys/types.h>

struct victim {
	pid_t pid;
	uint64_t rss_kb;        /* resident memory (anon + file + shmem) */
	uint64_t anon_kb;       /* resident - shared (statm): what a kill frees
				 * of RAM; rss_kb where statm is unreadable */
	uint64_t swap_kb;       /* swapped out (VmSwap) */
	int preferred;          /* named on the prefer list */
	uint64_t starttime;     /* stat field 22: tells a reused pid apart */
	char comm[16];
};

struct victim_rules {
	const pid_t *skip;      /* protected services' main processes */
	int nskip;
	pid_t self;             /* lifeline's own pid (1 as PID 1) */
	const char *never_kill; /* NUL-separated names, nnever of them */
	int nnever;
	const char *prefer;     /* NUL-separated names, nprefer of them */
	int nprefer;
	/* SwapTotal - SwapFree: VmSwap (<pid>/status) is read only for a
	 * process that this much swap could make the winner; 0 (no swap in
	 * use): never read, sizes are RSS alone */
	uint64_t swap_used_kb;
	/* NULL: any process; else only those whose cgroup v2 path
	 * (<pid>/cgroup, "0::PATH") is this one or below it */
	const char *cgroup;
	/* only processes at oom_score_adj -1000, which the kernel's OOM
	 * killer can never take */
	int immune_only;
};

/* What a kill of v gives back, in kB: anon + swap. */
uint64_t victim_size_kb(const struct victim *v);

/* 1 and *out filled if a victim was found, 0 if none.  Names match the
 * comm exactly; a listed name of 15 characters or more also matches the
 * comm the kernel cut it to (TASK_COMM_LEN).  Kernel threads are known
 * by PF_KTHREAD alone (a parent pid of 2 means nothing in a PID
 * namespace); a process without memory (size 0) is never chosen. */
int victim_choose(const char *proc_root, const struct victim_rules *r,
		  struct victim *out);

/* What victim_choose takes from <pid>/stat. */
struct proc_stat {
	pid_t pid, ppid;
	char state;             /* R S D Z X ... */
	uint32_t flags;         /* PF_*: PF_KTHREAD is 0x00200000 */
	uint64_t starttime;     /* clock ticks after boot */
	uint64_t rss_pages;
	char comm[16];          /* cut to 15 characters */
};
/* Parse the text of <pid>/stat: the comm is what lies between the first
 * "(" and the LAST ")" (it may hold spaces and parentheses).  0 if every
 * field up to rss (24) was there, else -1. */
int victim_parse_stat(const char *buf, int len, struct proc_stat *s);
/* 1 if v->pid is still the process that was chosen (same starttime, not a
 * zombie): checked after pidfd_open, so the pidfd is the victim's. */
int victim_still_there(const char *proc_root, const struct victim *v);

#endif
