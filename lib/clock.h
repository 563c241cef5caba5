/* Monotonic milliseconds: the only clock lifeline schedules by; and the
 * wall clock in milliseconds, for the keepalive datagrams' time field.
 * Shared with lifeline-peer and the test tools. */
#ifndef LIFELINE_CLOCK_H
#define LIFELINE_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
