/* A tiny test harness for lifeline's unit tests.
 *
 * Every test case prints exactly one line, "ok - NAME" or
 * "not ok - NAME: REASON" (tests/run.sh parses them); anything else this
 * program prints starts with "# ".  The exit status is 1 if any case failed.
 *
 *   TEST("backoff: first restart is immediate") {
 *           CHECK_INT(backoff_delay_ms(0, 30000), 0);
 *   }
 *
 * A failed CHECK records the first reason (file:line) and the case goes on,
 * so one case reports one line however many of its checks fail. */
#ifndef LIFELINE_TEST_H
#define LIFELINE_TEST_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void t_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_end(void);
void t_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print a diagnostic line ("# ..."), never mistaken for a result. */
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int t_failed_total(void);

/* The body runs once, between t_begin and t_end.  Do not `return` from it. */
#define TEST(...) \
	for (int t_once_ = (t_begin(__VA_ARGS__), 1); t_once_; t_once_ = 0, t_end())

#define FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(c) \
	((c) ? 1 : (t_fail_at(__FILE__, __LINE__, "check failed: %s", #c), 0))
#define CHECK_MSG(c, ...) ((c) ? 1 : (t_fail_at(__FILE__, __LINE__, __VA_ARGS__), 0))
#define CHECK_INT(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) \
		t_fail_at(__FILE__, __LINE__, "%s is %lld, expected %lld", #a, a_, b_); \
} while (0)
#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || strcmp(a_, b_)) \
		t_fail_at(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #a, \
			  a_ ? a_ : "(null)", b_); \
} while (0)
#define CHECK_CONTAINS(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || !strstr(h_, n_)) \
		t_fail_at(__FILE__, __LINE__, "%s does not contain \"%s\" (it is \"%.300s\")", \
			  #hay, n_, h_ ? h_ : "(null)"); \
} while (0)
#define CHECK_NOT_CONTAINS(hay, needle) do { \
	const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || strstr(h_, n_)) \
		t_fail_at(__FILE__, __LINE__, "%s contains \"%s\"", #hay, n_); \
} while (0)

/* ---- config parser helpers (t_config.c) ---- */

#define CAPTURE_MAX 80

struct report {
	char file[256];
	int line, col;
	char msg[256];
};

struct capture {
	int n;                  /* reports seen (may exceed CAPTURE_MAX) */
	struct report r[CAPTURE_MAX];
};

/* A config_report_fn that stores reports in a struct capture. */
void capture_report(void *ctx, const char *file, int line, int col, const char *msg);

/* config_begin + config_parse_buffer(file "test.conf") + config_end.
 * Returns config_end's result; p gets the parser's final state. */
int parse_text(struct config_parser *p, struct config *cfg, struct capture *c,
	       const char *text, int len);

/* argv[i] of a unit (NULL past argc). */
const char *unit_arg(const struct config *c, const struct unit_conf *u, int i);
const char *unit_path(const struct config *c, const struct unit_conf *u);
/* The reports as one line, for failure messages. */
const char *capture_str(const struct capture *c);

/* Temporary files: written with mkstemp under $TMPDIR (or /tmp), removed at
 * exit.  Returns the path (static storage, valid until exit). */
const char *temp_file(const char *content);
const char *temp_dir(void);
/* Write content to dir/name (name may contain one level of subdirectory,
 * created as needed). 0 on success. */
int write_file(const char *dir, const char *name, const char *content, size_t len);

/* Point userdb at fake passwd/group files (alice 1000:1001, group staff 50). */
void use_fake_userdb(void);

/* ---- arming the rescue system in a temporary directory (rescue_fixture.c,
 * for t_rescue.c and t_grubenv.c) ---- */

/* Write len bytes to path, replacing it, with mode (whatever the umask);
 * a failure fails the case.  0 or -1. */
int rfix_put(const char *path, const void *b, size_t len, unsigned mode);
int rfix_put_text(const char *path, const char *text, unsigned mode);
/* parse_text of text into cfg; any problem fails the case, with the
 * reports.  Returns the number of problems (0: cfg is good). */
int rfix_parse(struct config *cfg, const char *text);
/* rescue.c's status, as lifelinectl status shows it and as JSON, at now
 * (static storage, until the next call of the same function). */
const char *rfix_text(uint64_t now);
const char *rfix_json(uint64_t now);
/* Wait for rescue.c's child and hand its end to rescue.c, as lifeline's
 * reap does: rescue_child_exited's result, or -1 if there was no child. */
int rfix_reap(uint64_t now);
/* rescue.c configured without [rescue] (a reload that removed it) at now. */
void rfix_off(uint64_t now);

/* ---- the suites, one per file ---- */
void suite_config(void);
void suite_ttys(void);
void suite_service(void);
void suite_loopfail(void);
void suite_sshwatch(void);
void suite_scan_lines(void);
void suite_config_load(void);
void suite_duration(void);
void suite_backoff(void);
void suite_exitinfo(void);
void suite_status(void);
void suite_outbuf(void);
void suite_oomwatch(void);
void suite_log(void);
void suite_meminfo(void);
void suite_victim(void);
void suite_guard(void);
void suite_cgroup(void);
void suite_procev(void);
void suite_memconf(void);
void suite_protect(void);
void suite_userdb(void);
void suite_fmt(void);
void suite_scan(void);
void suite_keepalive(void);
void suite_peer(void);
void suite_initrd(void);
void suite_kcmdline(void);
void suite_rescue(void);
void suite_grubenv(void);
void suite_watchdog(void);
void suite_config_esc(void);
void suite_quorum(void);
void suite_peerlink(void);
void suite_initctl(void);

#endif
