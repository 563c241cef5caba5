/* K of N: has a quorum of distinct peers sent a verdict within a window?
 * Pure logic, driven with explicit times (unit-tested with a fake clock). */
#ifndef LIFELINE_QUORUM_H
#define LIFELINE_QUORUM_H
#include "config.h"
#include <stdint.h>

struct quorum {
	uint64_t last_ms[MAX_PEERS];    /* last accepted verdict per peer; 0 = none */
};

void quorum_reset(struct quorum *q);
/* Record peer's verdict at now (> 0: 0 is "none"); 1 if then at least k
 * distinct peers have sent one within (now - window_ms, now]. */
int quorum_note(struct quorum *q, int peer, uint64_t now, int k, uint32_t window_ms);
/* How many distinct peers are within the window at now. */
int quorum_count(const struct quorum *q, uint64_t now, uint32_t window_ms);

#endif
