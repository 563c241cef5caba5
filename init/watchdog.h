/* [watchdog]: lifeline opens a watchdog device (softdog or hardware), sets
 * its timeout and pets it from the event loop, so that a wedged PID 1 still
 * ends in a reset; a clean shutdown and the rescue kexec disarm it with the
 * magic close ('V'). */
#ifndef LIFELINE_WATCHDOG_H
#define LIFELINE_WATCHDOG_H
#include "config.h"
#include "outbuf.h"
#include <stdint.h>

/* From the active config, at boot and after a reload; a device that is
 * missing is retried each interval (a boot task may load softdog). */
void watchdog_configure(const struct config *c, uint64_t now);
void watchdog_tick(uint64_t now);
uint64_t watchdog_next_deadline(void);
/* The magic close: before a clean shutdown's reboot(2) and the kexec. */
void watchdog_release(void);

/* Between pets: conf_interval_ms, or a quarter of the timeout when 0;
 * never more than half the timeout, never less than 100 ms. */
uint32_t watchdog_interval_ms(uint32_t conf_interval_ms, uint32_t timeout_ms);

void watchdog_status_text(struct outbuf *o, uint64_t now);
void watchdog_status_json(struct outbuf *o, uint64_t now);

#endif
