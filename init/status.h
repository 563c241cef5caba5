/* `lifelinectl status`: a table for people and JSON for machines. */
#ifndef LIFELINE_STATUS_H
#define LIFELINE_STATUS_H
#include "outbuf.h"
#include "service.h"
#include <stdint.h>

enum config_state {
	CONFIG_BROKEN,          /* running the built-in fallback set */
	CONFIG_GOOD,
	CONFIG_ACCESS_ADDED,    /* good, plus the fallback's access services */
};

struct self_stats {
	uint64_t uptime_ms;
	long vm_lck_kb, vm_rss_kb;
	long minflt, majflt;
	long oom_kills;         /* kernel's oom_kill counter, -1 unknown */
	int config_ok;          /* enum config_state */
	const char *config_path;
	int pid1;
};

const char *unit_state_name(const struct unit *u);
void status_text(struct outbuf *o, const struct unit *u, int n,
		 const struct self_stats *s, uint64_t now);
void status_json(struct outbuf *o, const struct unit *u, int n,
		 const struct self_stats *s, uint64_t now);
/* The same, piece by piece, for answers streamed in small buffers. */
void status_text_head(struct outbuf *o, const struct self_stats *s);
void status_text_unit(struct outbuf *o, const struct unit *u, uint64_t now);
void status_json_head(struct outbuf *o, const struct self_stats *s);
void status_json_unit(struct outbuf *o, const struct unit *u, int first, uint64_t now);
void status_json_tail(struct outbuf *o);
/* Read VmLck, VmRSS and fault counts of this process. */
void self_stats_read(struct self_stats *s);

#endif
