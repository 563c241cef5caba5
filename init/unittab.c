/* See unittab.h.  The unit table, the active configuration and the
 * phase: data only, defined here at the bottom of init/ so that the
 * modules that read them (guard, protect, peerlink, status) need nothing
 * of service.c, which alone changes them. */
#include "unittab.h"

struct unit units[MAX_UNITS];
struct config active;
enum phase phase = PH_BOOT;
