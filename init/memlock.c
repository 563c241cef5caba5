/* See memlock.h.  mlockall(MCL_CURRENT) would populate and lock the whole
 * stack mapping the kernel made (128 KiB and more); PID 1 needs only the
 * part it pre-faulted, so the rest is unlocked and given back. */
#define _GNU_SOURCE
#include "memlock.h"
#include "scan.h"
#include "sizes.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef LIFELINE_NO_MLOCK
/* noinline, so the array really is below every frame main will use */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char pad[STACK_PREFAULT];
	for (unsigned i = 0; i < sizeof pad; i += 1024)
		pad[i] = 0;
	pad[sizeof pad - 1] = 0;
}

struct bounds {
	uintptr_t lo, hi;
};

static int stack_line(void *ctx, char *line)
{
	struct bounds *b = ctx;
	const char *end;
	if (!scan_find(line, "[stack]"))
		return 0;
	b->lo = (uintptr_t)scan_uint(line, 16, &end);
	b->hi = (uintptr_t)scan_uint(end + 1, 16, NULL);
	return 1;
}

/* Bounds of the [stack] mapping from /proc/self/maps; 0 if unknown. */
static int stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
	char buf[512];
	struct bounds b = { 0, 0 };
	if (scan_lines("/proc/self/maps", buf, sizeof buf, stack_line, &b) != 1)
		return 0;
	*lo = b.lo;
	*hi = b.hi;
	return 1;
}
#endif

int memlock_all(void)
{
#ifdef LIFELINE_NO_MLOCK
	return 0;       /* sanitizer builds: shadow memory is terabytes */
#else
	volatile char here;
	prefault_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return -1;
	uintptr_t lo, hi, page = (uintptr_t)getpagesize();
	uintptr_t keep = ((uintptr_t)&here - (uintptr_t)STACK_PREFAULT - page) & ~(page - 1);
	if (stack_bounds(&lo, &hi) && keep > lo && keep < hi) {
		munlock((void *)lo, keep - lo);
		madvise((void *)lo, keep - lo, MADV_DONTNEED);
	}
	return 0;
#endif
}
