/* What the config's sections share (config_int.h): reports with their
 * counts, the string pool and a unit's strings in it, numbers, booleans,
 * durations, sizes, unit names and the table's lookup.  The bottom of the
 * config module: it calls none of the sections' files. */
#include "config_int.h"
#include "fmt.h"
#include "ini.h"
#include "scan.h"

#include <stdarg.h>
#include <string.h>

/* where each unit's section began, for "first defined at" */
int conf_def_line[MAX_UNITS];
const char *conf_def_file[MAX_UNITS];

void conf_report(struct config_parser *p, int line, int col, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	ini_vreport(p->report, p->ctx, p->file, line, col, 192, f, ap);
	va_end(ap);
	p->errors++;
}

void conf_report_at(struct config_parser *p, const char *file, int line, const char *msg)
{
	if (p->report)
		p->report(p->ctx, file, line, 1, msg);
}

/* A note: said (the log, --check-config), but neither an error nor a
 * warning. */
void conf_note(struct config_parser *p, const char *file, int line, int col,
	       const char *f, ...)
{
	char msg[192];
	va_list ap;
	va_start(ap, f);
	int n = fmt(msg, sizeof msg, "note: ");
	vfmt(msg + n, sizeof msg - (size_t)n, f, ap);
	va_end(ap);
	p->notes++;
	if (p->report)
		p->report(p->ctx, file, line, col, msg);
}

const char *conf_exec(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->exec;
}

const char *conf_env(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->env;
}

const char *conf_never_kill(const struct config *c)
{
	return c->pool + c->mem.never_kill;
}

const char *conf_prefer(const struct config *c)
{
	return c->pool + c->mem.prefer;
}

const char *conf_cwd(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->cwd;
}

/* Room for len more bytes in the pool; returns the offset or -1. */
int conf_pool_take(struct config *c, int len)
{
	if (c->pool_used + len > CONFIG_POOL)
		return -1;
	int off = c->pool_used;
	c->pool_used = (uint16_t)(c->pool_used + len);
	return off;
}

const char *conf_next_str(const char *s)
{
	return s + strlen(s) + 1;
}

int64_t parse_size(const char *s, int len)
{
	int64_t v = 0;
	int i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (s[i++] - '0');
		if (v > (1LL << 50))
			return -1;
	}
	if (i == 0)
		return -1;
	const char *u = s + i;
	int ul = len - i;
	int shift = 0;
	if (ul > 0) {
		switch (u[0] | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		case 'b': shift = 0; break;
		default: return -1;
		}
		if ((u[0] | 0x20) == 'b') {
			if (ul != 1)
				return -1;
		} else if (!(ul == 1 || (ul == 2 && (u[1] == 'B')) ||
			     (ul == 3 && u[1] == 'i' && u[2] == 'B'))) {
			return -1;
		}
	}
	if (v > (INT64_MAX >> shift))
		return -1;
	return v << shift;
}

int conf_parse_int(const char *s, int len, long lo, long hi, long *out)
{
	long v = 0;
	int i = 0, neg = 0;
	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > 100000)
			return -1;
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int conf_parse_bool(const char *s, int len)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (unsigned i = 0; i < 4; i++) {
		if ((int)strlen(yes[i]) == len && !strncmp(s, yes[i], (size_t)len))
			return 1;
		if ((int)strlen(no[i]) == len && !strncmp(s, no[i], (size_t)len))
			return 0;
	}
	return -1;
}

int conf_set_duration(struct config_parser *p, int lineno, int vcol,
		      const char *v, int vl, uint32_t *dst, int64_t min)
{
	int64_t d = parse_duration_ms(v, vl);
	if (d < 0) {
		conf_report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, 30s, "
			    "5m)", vl, v);
		return -1;
	}
	if (d < min) {
		conf_report(p, lineno, vcol, "duration '%.*s' too short (at least %lldms)",
			    vl, v, (long long)min);
		return -1;
	}
	*dst = (uint32_t)d;
	return 0;
}

int conf_set_size(struct config_parser *p, int lineno, int vcol, const char *v,
		  int vl, uint64_t *dst, const char *key)
{
	int64_t n = parse_size(v, vl);
	if (n < 0) {
		conf_report(p, lineno, vcol, "bad size '%.*s' for %s (use e.g. 64M, 1G, 512K)",
			    vl, v, key);
		return -1;
	}
	*dst = (uint64_t)n;
	return 0;
}

void conf_set_pids(struct config_parser *p, int lineno, int vcol, const char *v,
		   int vl, uint32_t *dst, const char *key)
{
	long n;
	if (vl == 3 && !strncmp(v, "max", 3))
		*dst = 0;
	else if (conf_parse_int(v, vl, 1, 99999, &n) < 0)
		conf_report(p, lineno, vcol, "%s must be a number from 1 to 99999, or max", key);
	else
		*dst = (uint32_t)n;
}

int conf_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '@';
}

int conf_find_unit(const struct config *cfg, const char *name, int len)
{
	for (int i = 0; i < cfg->nunits; i++)
		if ((int)strlen(cfg->unit[i].name) == len &&
		    !strncmp(cfg->unit[i].name, name, (size_t)len))
			return i;
	return -1;
}
