/* See backoff.h.  The restart delay of a service that failed by itself:
 * 0 for the first crash, then BACKOFF_BASE_MS doubling up to the cap.
 * Pure arithmetic, no state: service.c keeps the crash count. */
#include "backoff.h"

uint32_t backoff_delay_ms(uint32_t crashes, uint32_t cap_ms)
{
	if (crashes == 0)
		return 0;
	uint64_t d = BACKOFF_BASE_MS;
	for (uint32_t i = 1; i < crashes && d < cap_ms; i++)
		d *= 2;
	return d > cap_ms ? cap_ms : (uint32_t)d;
}
