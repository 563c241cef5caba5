/* The early killer's choice of victim, by lifeline's own rules rather
 * than the kernel's oom_score: the process using the most memory that is
 * not PID 1, not lifeline, not a kernel thread, not a protected service's
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
	uint64_t swap_kb;       /* swapped out (VmSwap) */
	int preferred;          /* named on the prefer list */
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
};

/* 1 and *out filled if a victim was found, 0 if none. */
int victim_choose(const char *proc_root, const struct victim_rules *r,
		  struct victim *out);

#endif
