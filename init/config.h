/* The configuration: /etc/lifeline/lifeline.conf and conf.d/\*.conf,
 * INI-style, parsed into fixed tables.  Documented in lifeline.conf(5).
 *
 * The parser is fed one line at a time so that it never needs a buffer
 * larger than one line; every error is reported as file:line:col.  The
 * lines are read by lib/ini.c (peer.conf's reader too); config.c keeps
 * the parser's section and the shared values, and each section's keys
 * have a file: config_service.c and config_ttys.c ([service], [boot],
 * [shutdown]), config_memory.c, config_escalation.c ([keepalive],
 * [rescue], [watchdog]); config_value.c has what they share. */
#ifndef LIFELINE_CONFIG_H
#define LIFELINE_CONFIG_H
#include "scan.h"             /* parse_duration_ms */
#include "sizes.h"
#include <stdint.h>

enum unit_kind { UNIT_SERVICE, UNIT_BOOT, UNIT_SHUTDOWN };
enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };

#define OOM_ADJ_UNSET (-2000)
/* restart backoff cap of protected services unless they set their own */
#define PROTECTED_RESTART_MAX_MS 2000
#define SIZE_UNSET UINT64_MAX   /* memory_min/memory_max not given */
#define PIDS_UNSET 0            /* pids_max not given: no limit */

struct unit_conf {
	char name[NAME_MAX_LEN];
	uint8_t kind;           /* enum unit_kind */
	uint8_t restart;        /* enum restart_policy */
	uint8_t early;          /* start before boot tasks */
	uint8_t protect;        /* oom_score_adj -1000 unless set; memory.min */
	uint8_t no_kmsg;        /* kmsg = no: its output only in the log ring */
	uint8_t optional;       /* optional = yes: not started if not installed */
	uint8_t not_installed;  /* optional, and exec's program was not found at load */
	uint8_t tty;            /* one of the units a ttys = list made: protected from its start */
	int8_t syslog_facility; /* its output's syslog facility; LOG_FAC_NONE: not sent */
	uint8_t argc, envc;
	int16_t oom_score_adj;  /* OOM_ADJ_UNSET: leave as inherited */
	/* what the processes a protected service forks (SSH sessions, cron
	 * jobs) run at: never the listener's protection; default 0 */
	int16_t session_oom_score_adj;
	uint32_t pids_max;      /* cgroup pids.max, PIDS_UNSET: none */
	uint64_t memory_min;    /* bytes; SIZE_UNSET: [memory] default if protected */
	uint64_t memory_max;    /* bytes; SIZE_UNSET: only the shared limit */
	int8_t nice;
	uint32_t timeout_ms;    /* boot/shutdown tasks: kill after this */
	uint32_t restart_max_ms;/* backoff cap */
	uint32_t stable_ms;     /* uptime that resets the backoff */
	/* offsets into the config's pool (0: empty); see conf_exec() */
	uint16_t exec;          /* argv, NUL-separated, argc words */
	uint16_t env;           /* KEY=VALUE, NUL-separated, envc entries */
	uint16_t cwd;
	char user[USER_MAX_LEN];
	char group[USER_MAX_LEN];
};

/* The [memory] section: the memory guard (see lifeline.conf(5)).  With no
 * [memory] section every memory layer is off and costs nothing. */
struct memory_conf {
	uint8_t present;           /* a [memory] section was given */
	uint8_t guard;             /* built-in early OOM killer (default yes) */
	uint8_t cgroups;           /* cgroup v2 layer (default yes) */
	uint8_t mem_min_percent;   /* kill when MemAvailable is below this % of MemTotal ... */
	uint8_t swap_min_percent;  /* ... and SwapFree below this % of SwapTotal (or no swap) */
	uint8_t psi_full;          /* PSI trigger on "full" (1) or "some" (0) stalls */
	uint8_t never_killc, preferc;
	uint16_t never_kill;       /* pool offsets: NUL-separated process names */
	uint16_t prefer;
	uint32_t psi_stall_us;     /* PSI trigger: stall per window; 0 = no trigger */
	uint32_t psi_window_us;
	uint32_t session_pids_max; /* pids.max of each session's group; 0 = none */
	uint64_t mem_min_size;     /* bytes; the lower of this and mem_min_percent applies */
	uint64_t headroom;         /* bytes kept for the kernel, on top of the minimums */
	uint64_t memory_min;       /* bytes: default memory.min of protected services */
	/* bytes: the guard kills no process that would give back less (its
	 * anonymous memory and swap) */
	uint64_t kill_min_size;
	/* bytes: a Xen balloon target below this is raised to it; 0: never */
	uint64_t balloon_floor;
};

/* Rescue escalation (issue #6; see lifeline.conf(5)).  Each section is
 * off unless given. */
#define MAX_PEERS 8
#define KA_DEFAULT_PORT 7500

/* One keepalive peer, as written ("192.0.2.10:7500", "[2001:db8::1]:7500")
 * and parsed. */
struct peer_conf {
	char text[64];
	uint8_t family;             /* AF_INET or AF_INET6 */
	uint16_t port;              /* host byte order */
	uint8_t addr[16];           /* network byte order; the first 4 for AF_INET */
	char key[PATH_MAX_LEN];     /* this peer's own key file; "" = [keepalive] key */
};

/* [keepalive]: keepalives to the peers, verdicts from them (peerlink.c) */
struct keepalive_conf {
	uint8_t present;
	uint8_t rescue;             /* system = rescue: report "rescue", ignore verdicts */
	uint8_t npeers;
	uint8_t quorum;             /* verdicts needed from distinct peers (default 1) */
	uint16_t port;              /* local UDP port; 0 = any */
	uint32_t interval_ms;       /* between keepalives (default 2s) */
	uint32_t quorum_window_ms;  /* the quorum's verdicts within this (default 60s) */
	char host[32];              /* "" = the kernel's host name */
	char key[PATH_MAX_LEN];     /* default /etc/lifeline/keepalive.key */
	struct peer_conf peer[MAX_PEERS];
};

/* [rescue]: what is armed for a verdict (rescue.c) */
struct rescue_conf {
	uint8_t present;
	uint8_t arm;                /* arm when the boot tasks are done (default yes) */
	uint8_t crash;              /* also load it as the crash kernel (default yes) */
	uint16_t port;              /* the rescue SSH port (default 2222) */
	char kernel[PATH_MAX_LEN];  /* "" = /boot/vmlinuz-RELEASE of the running kernel */
	char image[PATH_MAX_LEN];   /* default /boot/lifeline-rescue.img */
	char snapshot[PATH_MAX_LEN];/* network snapshot program; "" = none */
	char cmdline[512];          /* appended to the rescue kernel's command line */
	/* the boot loader path, where kexec cannot go (rescue.c, grubenv.c) */
	uint8_t method;             /* RESCUE_METHOD_*: auto (default), kexec, grub */
	uint8_t grubenv_given;      /* grubenv was set: only then does a namespace's
				       lifeline (not the machine's PID 1) use it */
	char grubenv[PATH_MAX_LEN]; /* default /boot/grub/grubenv */
	char grub_cfg[PATH_MAX_LEN];/* default /boot/grub/grub.cfg */
	char armed_image[PATH_MAX_LEN]; /* default /boot/lifeline-rescue-armed.img */
	char grub_entry[64];        /* the menu entry's id (default lifeline-rescue) */
};
enum { RESCUE_METHOD_AUTO, RESCUE_METHOD_KEXEC, RESCUE_METHOD_GRUB };

/* [watchdog]: a watchdog device petted from the loop (watchdog.c) */
struct watchdog_conf {
	uint8_t present;
	char device[PATH_MAX_LEN];  /* default /dev/watchdog */
	uint32_t timeout_ms;        /* set on the device (default 60s) */
	uint32_t interval_ms;       /* between pets; 0 = timeout / 4 */
};

struct config {
	struct memory_conf mem;
	struct keepalive_conf ka;
	struct rescue_conf rescue;
	struct watchdog_conf wd;
	uint32_t stop_timeout_ms;  /* SIGTERM -> SIGKILL grace at shutdown */
	uint32_t restart_max_ms;   /* default backoff cap */
	uint32_t stable_ms;        /* default stable period */
	uint32_t spawn_retry_ms;   /* retry delay after a failed fork/exec */
	/* kernel.panic (seconds, rounded up) set at boot where it is 0; 0:
	 * leave it */
	uint32_t panic_reboot_ms;
	/* [lifeline] syslog: the syslog socket lines are sent to; "" the
	 * default (/dev/log when lifeline is the machine's PID 1), "no" */
	char syslog[108];
	int nunits;
	struct unit_conf unit[MAX_UNITS];
	/* The strings of all units, packed: most command lines are short, so
	 * one shared pool is far smaller than per-unit maximums.  pool[0] and
	 * pool[1] are 0, the empty string and the empty list. */
	uint16_t pool_used;
	char pool[CONFIG_POOL];
};

/* A unit's strings: argv and env as NUL-separated lists (walk them with
 * conf_next_str), cwd as a string ("" when not set). */
const char *conf_exec(const struct config *c, const struct unit_conf *u);
const char *conf_env(const struct config *c, const struct unit_conf *u);
const char *conf_cwd(const struct config *c, const struct unit_conf *u);
/* Same settings, strings included (the tables may differ in layout). */
int unit_conf_equal(const struct config *a, const struct unit_conf *ua,
		    const struct config *b, const struct unit_conf *ub);

/* The section the parser is in: which handler takes a key. */
enum config_section {
	CONF_SEC_NONE,          /* before any header: a key is an error */
	CONF_SEC_SKIP,          /* under a broken (or skipped) header: keys ignored */
	CONF_SEC_LIFELINE,      /* [lifeline] */
	CONF_SEC_MEMORY,        /* [memory] */
	CONF_SEC_KEEPALIVE,     /* [keepalive] */
	CONF_SEC_RESCUE,        /* [rescue] */
	CONF_SEC_WATCHDOG,      /* [watchdog] */
	CONF_SEC_UNIT,          /* [service NAME], [boot NAME], [shutdown NAME] */
};

/* Called for every problem found; warnings' messages start "warning:". */
typedef void (*config_report_fn)(void *ctx, const char *file, int line,
				 int col, const char *msg);

struct config_parser {
	struct config *cfg;
	config_report_fn report;
	void *ctx;
	const char *file;
	int errors;             /* syntax and value errors */
	int missing;            /* executables not found (see config_end) */
	int warnings;           /* reported, but no error */
	int notes;              /* "note:" reports: what will be done, no problem */
	uint8_t section;        /* enum config_section: where keys go */
	struct unit_conf *cur;  /* CONF_SEC_UNIT: the unit being filled, else NULL */
	/* where [keepalive]'s header and quorum, and [watchdog]'s interval
	 * were given: config_end checks them against each other */
	const char *ka_file, *quorum_file, *wd_file;
	int ka_line, quorum_line, quorum_col, wd_line, wd_col;
	int skip_duplicates;    /* config_continue: a known name is skipped */
	int first;              /* first unit this parser added */
	uint8_t seen_exec[MAX_UNITS];
	int exec_line[MAX_UNITS], exec_col[MAX_UNITS];
	const char *exec_file[MAX_UNITS];
	uint32_t timeout_set[(MAX_UNITS + 31) / 32];
	uint32_t restart_max_set[(MAX_UNITS + 31) / 32];
	uint32_t stable_set[(MAX_UNITS + 31) / 32];
	/* the current [service]'s ttys = words (NUL-separated), expanded
	 * into one unit per tty when the section ends (config_ttys.c) */
	char ttys[TTYS_MAX_LEN];
	int ttys_len, ttys_line, ttys_col;
	const char *ttys_file;
};

void config_begin(struct config_parser *p, struct config *cfg,
		  config_report_fn report, void *ctx);
/* file must stay valid until config_end. line has no newline. */
void config_feed_line(struct config_parser *p, const char *file, int lineno,
		      const char *line, int len);
/* Checks executables and fills defaults. Returns errors + missing. */
int config_end(struct config_parser *p);

/* Parse a whole buffer (used by the fuzzer and the built-in fallback). */
int config_parse_buffer(struct config_parser *p, const char *file,
			const char *buf, int len);

/* Read main_path and <dir of main_path>/conf.d/\*.conf, in name order.
 * Returns the number of problems (0 = good); a missing main file is one. */
int config_load(struct config *cfg, const char *main_path,
		config_report_fn report, void *ctx, int *missing_out);

/* Find an executable on the default PATH unless argv0 has a '/'.
 * out gets the path; 0 if executable, -1 if not. */
int config_resolve_exec(const char *argv0, char *out, int cap);

/* [memory] never_kill / prefer names (NUL-separated lists of mem.*c). */
const char *conf_never_kill(const struct config *c);
const char *conf_prefer(const struct config *c);

/* Iterate over a unit's argv/env (NUL-separated lists). */
const char *conf_next_str(const char *s);

/* Parse a size: bytes, or a number with K, M, G or T (powers of 1024, an
 * optional "B" or "iB" after).  -1 on error or overflow. */
int64_t parse_size(const char *s, int len);


/* A restart is immediate only after this much uptime: below it, a service
 * that dies at once could be restarted in a busy loop. */
#define STABLE_MIN_MS 100

/* 1 if some service's command line names an sshd or dropbear program that
 * exists (directly, or inside a shell wrapper's script). */
int config_access_ok(const struct config *cfg);
/* 1 if u's command line runs a program named prog (base name), directly
 * or inside a shell wrapper's script: how keepalives tell sshd and
 * dropbear apart. */
int config_unit_runs(const struct config *cfg, const struct unit_conf *u,
		     const char *prog);
/* Parse more sections into cfg, after config_end: sections whose names
 * cfg already has are skipped silently, config_end checks only the new
 * ones.  Used to add the built-in fallback's access services. */
void config_continue(struct config_parser *p, struct config *cfg,
		     config_report_fn fn, void *ctx);

/* Where ttys = looks for ttys: ROOT/class/tty/NAME and
 * ROOT/class/tty/console/active ("/sys" unless set; for tests). */
void config_set_sys_root(const char *root);

/* The built-in fallback set run when the config is broken. */
extern const char fallback_config[];

#endif
