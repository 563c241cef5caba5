/* The [memory] section of lifeline.conf(5): the memory guard, cgroups,
 * the PSI trigger, which processes the guard may kill. */
#include "config_int.h"
#include "scan.h"

#include <string.h>

static void set_percent(struct config_parser *p, int lineno, int vcol, const char *v,
			int vl, uint8_t *dst, const char *key)
{
	long n;
	if (vl > 1 && v[vl - 1] == '%')
		vl--;
	if (conf_parse_int(v, vl, 0, 100, &n) < 0)
		conf_report(p, lineno, vcol, "%s must be a percentage from 0 to 100", key);
	else
		*dst = (uint8_t)n;
}

/* "full 300ms 1s", "some 150ms 2s" or "no": the PSI trigger */
static void set_psi(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	struct memory_conf *m = &p->cfg->mem;
	if (conf_parse_bool(v, vl) == 0) {
		m->psi_stall_us = 0;
		return;
	}
	int w[3][2], n = 0, i = 0;
	while (i < vl && n < 3) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= vl)
			break;
		w[n][0] = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		w[n][1] = i - w[n][0];
		n++;
	}
	while (i < vl && (v[i] == ' ' || v[i] == '\t'))
		i++;
	int full = n > 0 && w[0][1] == 4 && !strncmp(v + w[0][0], "full", 4);
	int some = n > 0 && w[0][1] == 4 && !strncmp(v + w[0][0], "some", 4);
	if (n != 3 || i < vl || !(full || some)) {
		conf_report(p, lineno, vcol, "psi must be 'full STALL WINDOW', 'some STALL WINDOW' "
			    "(e.g. full 300ms 1s) or no");
		return;
	}
	int64_t st = parse_duration_ms(v + w[1][0], w[1][1]);
	int64_t win = parse_duration_ms(v + w[2][0], w[2][1]);
	if (st < 0 || win < 0) {
		conf_report(p, lineno, vcol + w[st < 0 ? 1 : 2][0], "bad duration in psi");
		return;
	}
	/* the kernel takes windows from 500ms to 10s */
	if (win < 500 || win > 10000 || st < 1 || st > win) {
		conf_report(p, lineno, vcol, "psi window must be 500ms to 10s, and the stall "
			    "at least 1ms and no longer than the window");
		return;
	}
	m->psi_full = (uint8_t)full;
	m->psi_stall_us = (uint32_t)st * 1000;
	m->psi_window_us = (uint32_t)win * 1000;
}

/* never_kill / prefer: process names (as in /proc/PID/comm), by spaces */
static void set_names(struct config_parser *p, int lineno, int vcol, const char *v,
		      int vl, uint16_t *off, uint8_t *count, const char *key)
{
	char buf[LINE_MAX_LEN];
	int o = 0, n = 0, i = 0;
	while (i < vl) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= vl)
			break;
		int st = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - st > 15) {
			conf_report(p, lineno, vcol + st, "%s: '%.*s' is longer than a process "
				    "name can be (15 bytes)", key, i - st, v + st);
			return;
		}
		if (n >= 32) {
			conf_report(p, lineno, vcol + st, "%s: too many names (at most 32)", key);
			return;
		}
		memcpy(buf + o, v + st, (size_t)(i - st));
		o += i - st;
		buf[o++] = '\0';
		n++;
	}
	buf[o++] = '\0';
	int at = conf_pool_take(p->cfg, o);
	if (at < 0) {
		conf_report(p, lineno, vcol, "configuration too large: its commands, "
			    "environments and directories exceed %d bytes", CONFIG_POOL);
		return;
	}
	memcpy(p->cfg->pool + at, buf, (size_t)o);
	*off = (uint16_t)at;
	*count = (uint8_t)n;
}

void conf_memory_key(CONF_KEY_ARGS)
{
	struct memory_conf *m = &p->cfg->mem;
	int b;
	if (KEY("guard") || KEY("cgroups")) {
		if ((b = conf_parse_bool(v, vl)) < 0)
			conf_report(p, lineno, vcol, "%.*s must be yes or no", kl, k);
		else if (KEY("guard"))
			m->guard = (uint8_t)b;
		else
			m->cgroups = (uint8_t)b;
	} else if (KEY("mem_min_percent")) {
		set_percent(p, lineno, vcol, v, vl, &m->mem_min_percent, "mem_min_percent");
	} else if (KEY("swap_min_percent")) {
		set_percent(p, lineno, vcol, v, vl, &m->swap_min_percent, "swap_min_percent");
	} else if (KEY("mem_min_size")) {
		conf_set_size(p, lineno, vcol, v, vl, &m->mem_min_size, "mem_min_size");
	} else if (KEY("headroom")) {
		conf_set_size(p, lineno, vcol, v, vl, &m->headroom, "headroom");
	} else if (KEY("kill_min_size")) {
		conf_set_size(p, lineno, vcol, v, vl, &m->kill_min_size, "kill_min_size");
	} else if (KEY("balloon_floor")) {
		conf_set_size(p, lineno, vcol, v, vl, &m->balloon_floor, "balloon_floor");
	} else if (KEY("memory_min")) {
		conf_set_size(p, lineno, vcol, v, vl, &m->memory_min, "memory_min");
	} else if (KEY("session_pids_max")) {
		conf_set_pids(p, lineno, vcol, v, vl, &m->session_pids_max, "session_pids_max");
	} else if (KEY("psi")) {
		set_psi(p, lineno, vcol, v, vl);
	} else if (KEY("never_kill")) {
		set_names(p, lineno, vcol, v, vl, &m->never_kill, &m->never_killc, "never_kill");
	} else if (KEY("prefer")) {
		set_names(p, lineno, vcol, v, vl, &m->prefer, &m->preferc, "prefer");
	} else {
		conf_report(p, lineno, kcol, "unknown key '%.*s' in [memory]", kl, k);
	}
}
