/* See quorum.h.  SKELETON. */
#include "quorum.h"
#include <string.h>

void quorum_reset(struct quorum *q) { memset(q, 0, sizeof *q); }
int quorum_note(struct quorum *q, int peer, uint64_t now, int k, uint32_t window_ms)
{
	(void)q; (void)peer; (void)now; (void)k; (void)window_ms;
	return 0;
}
int quorum_count(const struct quorum *q, uint64_t now, uint32_t window_ms)
{
	(void)q; (void)now; (void)window_ms;
	return 0;
}
