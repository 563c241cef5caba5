/* lifeline-peer: the watcher on another machine.  It receives the
 * keepalives of its hosts (lifeline-keepalive(7)), probes their SSH ports
 * from outside, and sends a host a verdict when the host is alive but SSH
 * has not answered for the grace period.  See lifeline-peer(8) and
 * peer.conf(5).
 *
 *   peer_conf.c   /etc/lifeline/peer.conf
 *   peer_state.c  the per-host verdict state machine: pure, explicit `now`
 *   peer_banner.c  SSH banner matching and probe results
 *   peer_out.c    status table, JSON, Prometheus text
 *   peer_ctl.c    requests on the status socket, `rescue HOST` answers
 *
 * These are pure (no sockets, no clock of their own) and the unit tests
 * link them; the daemon around them (main, its loop, sockets and
 * children) is in peer_daemon.h.
 *
 * Names start with lp_ (the unit tests link this beside lifeline's own
 * modules, which have a struct peer_conf of their own). */
#ifndef LIFELINE_PEER_H
#define LIFELINE_PEER_H
#include "keepalive.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define LP_MAX_LISTEN 8
#define LP_MAX_SSH 4             /* SSH probe targets per host */
#define LP_DEFAULT_PORT 7500
#define LP_PATH_MAX 256
#define LP_CONF_MAX (16 << 20) /* bytes: peer.conf for 10,000 hosts is ~1 MiB */
#define LP_DEFAULT_CONF "/etc/lifeline/peer.conf"
#define LP_DEFAULT_SOCKET "/run/lifeline-peer.sock"
#define LP_DEFAULT_METRICS "/var/lib/prometheus/node-exporter/lifeline_peer.prom"

/* An IP address and a port (host byte order; 0 where none). */
struct lp_addr {
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint16_t port;
	uint8_t ip[16];          /* 4 bytes used for AF_INET */
};

struct lp_host_conf {
	char name[KA_HOST_MAX + 1];
	char key_path[LP_PATH_MAX];
	uint8_t key[KA_KEY_SIZE];
	struct lp_addr addr;     /* where its keepalives come from (port 0) */
	uint8_t have_addr, have_ssh, have_key;
	uint8_t seen_key, seen_addr;     /* written, even if wrong */
	uint8_t nssh;
	struct lp_addr ssh[LP_MAX_SSH];
	int line;                /* of its [host NAME] header */
};

struct lp_conf {
	int listen_explicit;     /* listen was written: every address must bind */
	int nlisten;
	struct lp_addr listen[LP_MAX_LISTEN];
	int64_t grace_ms, probe_interval_ms, probe_timeout_ms, verdict_interval_ms;
	int64_t down_after_ms, metrics_interval_ms;
	int silence_verdict;     /* silence = verdict */
	int syslog;
	char socket[108];        /* sun_path */
	char metrics[LP_PATH_MAX];   /* "" = none */
	int nhosts, cap;
	struct lp_host_conf *host;   /* allocated while parsing, once */
};

/* Errors go to fn as file:line:col: message (col 0: the whole line). */
typedef void (*lp_report_fn)(void *ctx, const char *file, int line, int col,
			     const char *msg);

void lp_conf_init(struct lp_conf *c);
void lp_conf_free(struct lp_conf *c);
/* Parse a whole buffer (a file's contents); keys are loaded from their
 * files as their lines are read.  Returns the number of errors. */
int lp_conf_parse(struct lp_conf *c, const char *file, const char *buf, size_t len,
		  lp_report_fn fn, void *ctx);
/* Read and parse a file; the checks that need the whole file too. */
int lp_conf_load(struct lp_conf *c, const char *path, lp_report_fn fn, void *ctx);
/* Parse "1.2.3.4", "1.2.3.4:22", "[::1]:22", "::1" (no port then).  A port
 * is required if need_port, forbidden if need_port < 0; *addr gets
 * def_port when none is written.  0 or -1. */
int lp_addr_parse(const char *s, size_t len, int need_port, uint16_t def_port,
		  struct lp_addr *addr);
/* "1.2.3.4:22", "[::1]:22", or without the port when it is 0. */
int lp_addr_str(const struct lp_addr *a, char *out, size_t cap);
int lp_addr_eq_ip(const struct lp_addr *a, const struct lp_addr *b);
/* A sockaddr to an lp_addr (v4-mapped IPv6 becomes IPv4); -1 if neither. */
int lp_addr_from_sa(const struct sockaddr *sa, struct lp_addr *out);
socklen_t lp_addr_to_sa(const struct lp_addr *a, struct sockaddr_storage *ss);
/* "10m", "500ms", "30s", "2h", "45" (seconds): one number and a unit. */
int64_t lp_duration_ms(const char *s, size_t len);
/* 9m58s, 3.2s, 450ms: for logs and the status table. */
void lp_duration_str(int64_t ms, char *out, size_t cap);

/* ---- the per-host state machine (peer_state.c) ---- */

enum lp_state {
	LP_UNKNOWN,              /* not enough known yet */
	LP_UP,                   /* keepalives arrive and SSH answers */
	LP_UNREACHABLE,          /* keepalives arrive, SSH has not answered since T */
	LP_DEAD,                 /* ... for the grace period: verdicts */
	LP_DOWN,                 /* no keepalive for down_after */
	LP_RESCUE,               /* the latest keepalive says: rescue system */
	LP_BUSY,                 /* SSH answers no probe, but the host says its SSH
				  * servers serve new connections (ssh-served):
				  * a full MaxStartups, a flood; no verdict */
	LP_REQUESTED,            /* an operator asked for its rescue (`rescue HOST`):
				  * verdicts, whatever SSH does */
	LP_NSTATES
};

struct lp_timing {
	int64_t grace, verdict_interval, down_after;
	int64_t started;         /* when the peer started */
	int silence_verdict;
	int probes;              /* 0: this host has ssh = no */
};

struct lp_hs {
	uint8_t state;           /* enum lp_state, as of the last lp_hs_tick */
	uint8_t have_ka, probed, ssh_ok;
	uint16_t bits;           /* state bits of the latest keepalive */
	uint64_t boot_id;        /* of the latest keepalive */
	int64_t last_ka;         /* monotonic ms of the latest accepted keepalive */
	int64_t alive_since;     /* start of the current stretch of keepalives */
	int64_t last_ssh_ok;     /* latest probe that got a banner; -1 never */
	int64_t last_served;     /* latest keepalive saying ssh-served; -1 never */
	int64_t next_verdict;    /* while dead */
	int64_t state_since;
	uint64_t verdicts;
	/* an operator's rescue request: verdicts until req_until (0: none),
	 * for the boot of the host it was made for */
	int64_t req_until;
	uint64_t req_boot;
};

/* Where an operator's rescue request stands (lp_hs_req), and why one is
 * refused (lp_hs_req_refusal). */
enum lp_req {
	LP_REQ_NONE,             /* none; or, from lp_hs_req_refusal: may be made */
	LP_REQ_ACTIVE,
	/* ended: */
	LP_REQ_EXPIRED,          /* its time is up */
	LP_REQ_RESCUE,           /* the host reports its rescue system */
	LP_REQ_DOWN,             /* keepalives stopped (down_after) */
	LP_REQ_NEW_BOOT,         /* the host booted again (another boot id) */
	/* refused: */
	LP_REQ_NO_KA,            /* no keepalive yet: a verdict needs its boot id */
	LP_REQ_N
};

void lp_hs_init(struct lp_hs *h, int64_t now);
/* An accepted keepalive. */
void lp_hs_keepalive(struct lp_hs *h, const struct lp_timing *t, int64_t now,
		     uint64_t boot_id, uint16_t bits);
/* A probe ended: ok (this one got a banner), any_ok (the latest result of
 * any of the host's ports is a banner, this one included). */
void lp_hs_probe(struct lp_hs *h, int64_t now, int ok, int any_ok);
/* A probe failed on this machine (no socket, no route, no local port):
 * nothing is known of the host's SSH until a probe gets through. */
void lp_hs_probe_unknown(struct lp_hs *h);
/* The state at now, from the facts (no side effects). */
enum lp_state lp_hs_eval(const struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* Move h->state to the state at now; 1 if a verdict is due now (counted,
 * and the next one scheduled verdict_interval later). */
int lp_hs_tick(struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* After a tick at now: when the next one must run at the latest
 * (INT64_MAX: only on events). */
int64_t lp_hs_deadline(const struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* ms until the next verdict: while unreachable or dead; -1 otherwise. */
int64_t lp_hs_verdict_in(const struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* When SSH stopped answering (T), for logs: the latest of the keepalives
 * starting, a banner, and the host saying it served a new connection. */
int64_t lp_hs_fail_since(const struct lp_hs *h);
const char *lp_state_name(int s);
/* The operator's request at now: LP_REQ_NONE, LP_REQ_ACTIVE or why it ended
 * (lp_hs_tick forgets an ended one). */
enum lp_req lp_hs_req(const struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* LP_REQ_NONE if a request may be made now, else why not (LP_REQ_NO_KA,
 * LP_REQ_DOWN, LP_REQ_RESCUE). */
enum lp_req lp_hs_req_refusal(const struct lp_hs *h, const struct lp_timing *t, int64_t now);
/* Make the request (verdicts until `until`, for the current boot id), or
 * extend the active one: 1 if it is new.  No extra verdict for a repeat:
 * the verdicts keep their schedule. */
int lp_hs_request(struct lp_hs *h, const struct lp_timing *t, int64_t now, int64_t until);
void lp_hs_cancel(struct lp_hs *h);
const char *lp_req_name(int r);

/* ---- probes (peer_banner.c) ---- */

enum lp_probe_result {
	LP_PR_NONE, LP_PR_OK, LP_PR_TIMEOUT, LP_PR_REFUSED, LP_PR_CLOSED,
	LP_PR_BAD_BANNER, LP_PR_ERROR, LP_PR_N
};

/* Reads the server's first lines: RFC 4253 lets a server send other lines
 * before its "SSH-" version line. */
struct lp_banner {
	int8_t pos;              /* chars of "SSH-" matched at a line start; -1 mid-line */
	uint16_t seen;           /* bytes read */
};
#define LP_BANNER_MAX 1024      /* no "SSH-" line within this: bad banner */
void lp_banner_init(struct lp_banner *b);
/* LP_PR_NONE: need more; LP_PR_OK; LP_PR_BAD_BANNER. */
int lp_banner_feed(struct lp_banner *b, const char *buf, size_t len);
/* The result of a failed read or connect (errno value). */
int lp_probe_errno_result(int err);
/* 1 if connect() failing at once with err is this machine's own failure
 * (no route, no local address or port, a local firewall), which says
 * nothing of the host; 0 for the host's answer (refused). */
int lp_probe_connect_local(int err);
const char *lp_probe_name(int r);

struct lp_probe_res {
	uint8_t result;          /* enum lp_probe_result */
	int err;                 /* errno for LP_PR_ERROR */
	int64_t at;              /* when it ended */
	int32_t ms;              /* how long it took */
};

/* ---- a host as the daemon keeps it (peer_hosts.c; read by peer_out.c) ---- */

struct lp_host {
	const struct lp_host_conf *conf;
	struct lp_hs hs;
	struct ka_replay replay;
	uint64_t echo_boot, echo_seq;        /* latest accepted keepalive */
	uint64_t keepalives;
	struct ka_counters drops;            /* n[KA_OK] unused */
	uint32_t drop_pending[KA_NRESULTS];  /* not logged yet */
	int64_t drop_log_at;                 /* next drop line allowed */
	/* state-change lines: TRANS_BURST per TRANS_WINDOW_MS, the rest
	 * counted and said in one line when the window ends */
	int64_t trans_window_at;             /* this window's start */
	uint32_t trans_lines, trans_suppressed;
	int32_t hash_next, pending_next;
	uint8_t pending;                     /* on the drop-log list */
	uint8_t inflight[LP_MAX_SSH];        /* queued or connecting */
	struct lp_probe_res ssh[LP_MAX_SSH];
	/* probes that failed on this machine (not counted against the host) */
	uint64_t local_errors;
	int local_errno;
	/* where verdicts go: the latest keepalive's source, the socket it
	 * came in on, and the local address it was sent to */
	int sock;
	struct lp_addr src, local;
	int ifindex;
	/* who made the operator's rescue request (hs.req_until), when, and
	 * hs.verdicts then */
	uint32_t req_uid;
	int32_t req_pid;
	int64_t req_at;
	uint64_t req_verdicts0;
};

/* ---- output (peer_out.c) ---- */

struct lp_view {
	const struct lp_conf *conf;
	const struct lp_host *host;
	int nhosts;
	int64_t now;             /* monotonic ms */
	int64_t realtime_ms;     /* the wall clock at now */
	uint64_t unknown_source;
	uint64_t verdict_seq;
	int64_t started;         /* monotonic ms when the daemon started */
};

struct lp_timing lp_host_timing(const struct lp_conf *c, const struct lp_host *h,
				int64_t started);
void lp_out_table(FILE *f, const struct lp_view *v);
void lp_out_json(FILE *f, const struct lp_view *v);
void lp_out_metrics(FILE *f, const struct lp_view *v);
/* "22:ok 2222:timeout" into out. */
void lp_out_ssh(const struct lp_host *h, char *out, size_t cap);

/* ---- requests on the status socket (peer_ctl.c) ---- */

enum lp_ctl_kind {
	LP_CTL_BAD, LP_CTL_STATUS, LP_CTL_JSON, LP_CTL_RESCUE_CHECK, LP_CTL_RESCUE,
	LP_CTL_RESCUE_CANCEL
};
#define LP_CTL_LINE_MAX 96       /* a request line, with its newline */
#define LP_RESCUE_FOR_MIN 1000   /* ms: how long a rescue request may last */
#define LP_RESCUE_FOR_MAX 3600000
#define LP_RESCUE_FOR_DEFAULT 120000 /* twice the host's default quorum_window */

struct lp_ctl_req {
	int kind;                /* enum lp_ctl_kind */
	char host[KA_HOST_MAX + 1];
	int64_t for_ms;          /* rescue */
};

/* One request line ending in '\n' (NUL-ended): 0, or -1 if it is none. */
int lp_ctl_parse(const char *line, struct lp_ctl_req *r);
/* The index of the host named name, or -1. */
int lp_host_find(const struct lp_host *hosts, int n, const char *name);
/* Answers into out (a fixed buffer; cut to fit), one or more lines starting
 * with "ok " or "error: "; each returns the length.  lp_ctl_refusal: 0 if
 * host hi may be rescued now, else why not. */
size_t lp_ctl_unknown(char *out, size_t cap, const struct lp_view *v, const char *name);
size_t lp_ctl_refusal(char *out, size_t cap, const struct lp_view *v, int hi);
size_t lp_ctl_prompt(char *out, size_t cap, const struct lp_view *v, int hi);
size_t lp_ctl_rescue_answer(char *out, size_t cap, const struct lp_view *v, int hi,
			    int fresh, int sent_now, int64_t for_ms);
size_t lp_ctl_cancel_answer(char *out, size_t cap, const struct lp_view *v, int hi,
			    uint64_t verdicts);

#endif
