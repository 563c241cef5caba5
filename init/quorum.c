/* See quorum.h.  A peer counts once, by its latest verdict: a peer that
 * sends verdicts every few seconds is still one peer. */
#include "quorum.h"
#include <string.h>

void quorum_reset(struct quorum *q)
{
	memset(q, 0, sizeof *q);
}

/* Within (now - window_ms, now]: a verdict exactly window_ms old is out. */
static int in_window(uint64_t t, uint64_t now, uint32_t window_ms)
{
	return t != 0 && t <= now && now - t < window_ms;
}

int quorum_count(const struct quorum *q, uint64_t now, uint32_t window_ms)
{
	int n = 0;
	for (int i = 0; i < MAX_PEERS; i++)
		n += in_window(q->last_ms[i], now, window_ms);
	return n;
}

int quorum_note(struct quorum *q, int peer, uint64_t now, int k, uint32_t window_ms)
{
	if (peer < 0 || peer >= MAX_PEERS || now == 0)
		return 0;
	q->last_ms[peer] = now;
	return k > 0 && quorum_count(q, now, window_ms) >= k;
}
