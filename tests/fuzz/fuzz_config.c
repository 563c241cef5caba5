/* libFuzzer target for the config parser: config_begin, config_parse_buffer
 * and config_end on arbitrary bytes.  Besides what ASan and UBSan catch, it
 * checks what the parser promises about its fixed tables, because an
 * overflow from one field of struct unit_conf into the next stays inside
 * one object, where ASan cannot see it.  A broken promise aborts.
 *
 * Built by `make build/fuzz-config`; run by tests/fuzz/run.sh. */
#define _GNU_SOURCE
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long nreports;

static void fail(const char *what, int unit)
{
	fprintf(stderr, "fuzz-config: broken invariant: %s (unit %d)\n", what, unit);
	abort();
}

static void count_report(void *ctx, const char *file, int line, int col, const char *msg)
{
	if (!file || !msg)
		fail("report without file or message", -1);
	if (line < 0 || col < 0)
		fail("negative line or column", -1);
	if (strlen(msg) >= 192)
		fail("message longer than the parser's buffer", -1);
	nreports++;
}

/* Bytes taken by n NUL-terminated strings at s, or -1 if they do not fit
 * in cap bytes together with the list's final NUL. */
static long list_bytes(const char *s, int n, size_t cap)
{
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		const char *nul = memchr(s + used, '\0', cap - used);
		if (!nul)
			return -1;
		used = (size_t)(nul - s) + 1;
		if (used >= cap)
			return -1;
	}
	return (long)used;
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* [keepalive], [rescue], [watchdog]: what the parser promises */
static void check_escalation(const struct config *cfg, int ret)
{
	const struct keepalive_conf *ka = &cfg->ka;
	if (ka->npeers > MAX_PEERS)
		fail("more peers than MAX_PEERS", -1);
	for (int i = 0; i < ka->npeers; i++) {
		const struct peer_conf *pc = &ka->peer[i];
		if (!terminated(pc->text, sizeof pc->text) || !pc->text[0] || pc->port == 0 ||
		    (pc->family != 2 && pc->family != 10))    /* AF_INET, AF_INET6 */
			fail("a stored peer is malformed", i);
		for (int k = 0; k < i; k++)
			if (ka->peer[k].family == pc->family && ka->peer[k].port == pc->port &&
			    !memcmp(ka->peer[k].addr, pc->addr, sizeof pc->addr))
				fail("duplicate peers stored", i);
	}
	if (!terminated(ka->host, sizeof ka->host) || !terminated(ka->key, sizeof ka->key) ||
	    ka->key[0] != '/')
		fail("[keepalive] host or key malformed", -1);
	for (const char *c = ka->host; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *c))
			fail("invalid character in the stored host", -1);
	if (ka->interval_ms < 100 || ka->interval_ms > 60000 || ka->quorum < 1 ||
	    ka->quorum > MAX_PEERS || ka->quorum_window_ms < 100)
		fail("[keepalive] value out of range", -1);
	/* a config without errors keeps the cross-checks */
	if (ret == 0 && ka->present && (ka->npeers == 0 || ka->quorum > ka->npeers))
		fail("[keepalive] without peers or quorum > peers accepted", -1);
	const struct rescue_conf *r = &cfg->rescue;
	if (!terminated(r->image, sizeof r->image) || !terminated(r->kernel, sizeof r->kernel) ||
	    !terminated(r->snapshot, sizeof r->snapshot) ||
	    !terminated(r->cmdline, sizeof r->cmdline) || r->image[0] != '/' ||
	    (r->kernel[0] && r->kernel[0] != '/') || (r->snapshot[0] && r->snapshot[0] != '/') ||
	    r->port == 0 || r->arm > 1 || r->crash > 1)
		fail("[rescue] value malformed", -1);
	const struct watchdog_conf *w = &cfg->wd;
	if (!terminated(w->device, sizeof w->device) || w->device[0] != '/' ||
	    w->timeout_ms < 1000 || w->timeout_ms > 3600000)
		fail("[watchdog] value malformed", -1);
	if (ret == 0 && w->interval_ms > w->timeout_ms / 2)
		fail("[watchdog] interval over half the timeout accepted", -1);
}

static void check(const struct config_parser *p, const struct config *cfg, int ret)
{
	if (ret != p->errors + p->missing)
		fail("config_end result is not errors + missing", -1);
	if (nreports != p->errors + p->missing + p->warnings + p->notes)
		fail("reports do not add up to errors + missing + warnings + notes", -1);
	if (cfg->nunits < 0 || cfg->nunits > MAX_UNITS)
		fail("unit count out of range", -1);
	for (int i = 0; i < cfg->nunits; i++) {
		const struct unit_conf *u = &cfg->unit[i];
		if (!terminated(u->name, sizeof u->name) || !u->name[0])
			fail("name empty or not terminated", i);
		for (const char *c = u->name; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_.@", *c))
				fail("invalid character in a stored name", i);
		for (int k = 0; k < i; k++)
			if (!strcmp(cfg->unit[k].name, u->name))
				fail("duplicate names stored", i);
		if (u->kind > UNIT_SHUTDOWN || u->restart > RESTART_NEVER)
			fail("kind or restart out of range", i);
		if (u->argc > MAX_ARGS || u->envc > MAX_ENV)
			fail("argc or envc out of range", i);
		if (cfg->pool_used > CONFIG_POOL || cfg->pool[0] || cfg->pool[1])
			fail("string pool overrun, or its empty entries written", i);
		if (u->exec >= cfg->pool_used || u->env >= cfg->pool_used ||
		    u->cwd >= cfg->pool_used)
			fail("a string offset points past the used pool", i);
		long xb = list_bytes(conf_exec(cfg, u), u->argc, (size_t)(cfg->pool_used - u->exec));
		if (xb < 0 || xb > EXEC_MAX_LEN)
			fail("argv runs past the pool or over EXEC_MAX_LEN", i);
		long eb = list_bytes(conf_env(cfg, u), u->envc, (size_t)(cfg->pool_used - u->env));
		if (eb < 0 || eb > ENV_MAX_LEN)
			fail("environment runs past the pool or over ENV_MAX_LEN", i);
		const char *e = conf_env(cfg, u);
		for (int k = 0; k < u->envc; k++, e = conf_next_str(e))
			if (!strchr(e, '=') || e[0] == '=')
				fail("env entry without NAME=", i);
		const char *cwd = conf_cwd(cfg, u);
		if (!terminated(u->user, sizeof u->user) || !terminated(u->group, sizeof u->group) ||
		    !terminated(cwd, (size_t)(cfg->pool_used - u->cwd)) ||
		    strlen(cwd) >= PATH_MAX_LEN)
			fail("user, group or cwd not terminated or too long", i);
		if (cwd[0] && cwd[0] != '/')
			fail("relative cwd stored", i);
		if (u->oom_score_adj != OOM_ADJ_UNSET &&
		    (u->oom_score_adj < -1000 || u->oom_score_adj > 1000))
			fail("oom_score_adj out of range", i);
		if (u->nice < -20 || u->nice > 19)
			fail("nice out of range", i);
	}
	check_escalation(cfg, ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static struct config_parser p;
	if (size > 1 << 20)
		return 0;
	nreports = 0;
	config_begin(&p, &cfg, count_report, NULL);
	config_parse_buffer(&p, "fuzz.conf", (const char *)data, (int)size);
	int ret = config_end(&p);
	check(&p, &cfg, ret);
	return 0;
}
