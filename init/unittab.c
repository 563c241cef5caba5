/* See unittab.h.  The unit table, the active configuration and the
 * phase: data only, defined here at the bottom of init/ so that the
 * modules that read them (guard, protect, peerlink, status) need nothing
 * of service.c, which alone changes them. */
#include "unittab.h"

struct unit unit_table[MAX_UNITS];
struct config active_config;
enum phase boot_phase = PH_BOOT;
