/* The unit table (what runs: services, boot and shutdown tasks, with
 * their run-time state), the active configuration and the boot phase.
 * service.c alone changes them; guard, protect, peerlink and status read
 * them.  Defined in unittab.c, apart from service.c, so that reading
 * them is no dependency on the state machine (docs/design.md, "The
 * module map"). */
#ifndef LIFELINE_UNITTAB_H
#define LIFELINE_UNITTAB_H
#include "config.h"
#include "exitinfo.h"
#include "log.h"
#include "sizes.h"
#include <stdint.h>
#include <sys/types.h>

enum unit_state {
	ST_WAITING,     /* not started yet (waiting for its phase) */
	ST_RUNNING,
	ST_BACKOFF,     /* crashed; restart at next_ms */
	ST_SPAWN_WAIT,  /* fork/exec failed; retry at next_ms */
	ST_STOPPING,    /* SIGTERM sent; SIGKILL at next_ms */
	ST_DOWN,        /* stopped on purpose, or restart policy says so */
	ST_DONE,        /* boot/shutdown task finished */
	ST_ABSENT,      /* optional = yes and its program is not installed */
};

enum after_stop { AFTER_NOTHING, AFTER_RESTART, AFTER_REMOVE };

enum phase {
	PH_BOOT,        /* early services up, boot tasks running in order */
	PH_RUN,         /* everything up */
	PH_SHUTDOWN,    /* shutdown tasks running in order */
	PH_STOPPING,    /* services got SIGTERM */
	PH_FINAL,       /* services gone: hand over to the final steps */
};

struct unit {
	uint8_t used;
	uint8_t kind;           /* enum unit_kind */
	uint8_t state;          /* enum unit_state */
	uint8_t want_up;        /* cleared by `stop` */
	uint8_t after_stop;     /* enum after_stop */
	uint8_t spawn_failing;  /* last start attempt failed */
	char name[NAME_MAX_LEN];
	int conf;               /* index in the active config, -1 if removed */
	pid_t pid;
	uint64_t started_ms;
	uint64_t next_ms;       /* restart, retry, kill or timeout deadline */
	uint64_t protect_at;    /* protect.h: when to protect the main process */
	int64_t oom_kills_seen; /* its cgroup's oom_kill count at start, -1 unknown */
	uint8_t protect_warned;
	uint8_t said_no_pipe;   /* output to /dev/null was said (output_pipe) */
	uint32_t restarts;      /* times restarted after dying */
	uint32_t crashes;       /* consecutive, drives the backoff */
	uint64_t kills_window_ms; /* deaths from outside: this second's start */
	uint32_t kills_in_window; /* ... and their count in it */
	uint32_t spawn_failures;
	struct exit_info last_exit;
	const char *spawn_step; /* last failed step, for status */
	int spawn_err;
	const char *warn_step;  /* best-effort step that failed at last start */
	int warn_err;
	int out_r, out_w;
	int line_len;
	char line[OUT_LINE_MAX];
	struct ratelimit rl;
};

extern struct unit unit_table[MAX_UNITS];
extern struct config active_config;
extern enum phase boot_phase;

#endif
