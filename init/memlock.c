#include "memlock.h"
#include "sizes.h"

#include <sys/mman.h>

/* noinline, so the array really is below every frame main will use */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char pad[STACK_PREFAULT];
	for (unsigned i = 0; i < sizeof pad; i += 1024)
		pad[i] = 0;
	pad[sizeof pad - 1] = 0;
}

int memlock_all(void)
{
	prefault_stack();
	return mlockall(MCL_CURRENT | MCL_FUTURE);
}
