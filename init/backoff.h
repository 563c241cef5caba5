/* Restart delays: the first restart is immediate, then 100 ms doubling up
 * to a cap.  The count resets once a service has stayed up long enough. */
#ifndef LIFELINE_BACKOFF_H
#define LIFELINE_BACKOFF_H
#include <stdint.h>

#define BACKOFF_BASE_MS 100

/* Delay before the restart that follows `crashes` consecutive crashes
 * (0 for the first). */
uint32_t backoff_delay_ms(uint32_t crashes, uint32_t cap_ms);

#endif
