/* ttys = LIST in a [service] (lifeline.conf(5)): the section becomes one
 * unit per tty, NAME-TTY, with %I in exec the tty's name.  The ttys are
 * those there when the config is loaded (/sys/class/tty). */
#include "config_int.h"
#include "fmt.h"
#include "scan.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TTYS 16
static const char *sys_root = "/sys";

void config_set_sys_root(const char *root)
{
	sys_root = root;
}

static int tty_exists(const char *name)
{
	char path[PATH_MAX_LEN + 32];
	struct stat st;
	fmt(path, sizeof path, "%s/class/tty/%s", sys_root, name);
	return stat(path, &st) == 0;
}

/* A tty name: what follows /dev/ and /sys/class/tty/ (no '/'), and valid
 * in a unit name. */
static int tty_name_ok(const char *s, int len)
{
	if (len == 0 || len > 15)
		return 0;
	for (int i = 0; i < len; i++)
		if (!conf_is_name_char(s[i]) || s[i] == '@')
			return 0;
	return 1;
}

/* Add name to the list of n ttys unless it is there already. */
static void tty_add(char (*tty)[16], int *n, const char *name, int len)
{
	for (int i = 0; i < *n; i++)
		if ((int)strlen(tty[i]) == len && !strncmp(tty[i], name, (size_t)len))
			return;
	if (*n >= MAX_TTYS)
		return;
	memcpy(tty[*n], name, (size_t)len);
	tty[(*n)++][len] = '\0';
}


/* The console words: every console the kernel writes to. */
static void console_ttys(struct config_parser *p, char (*tty)[16], int *n)
{
	char path[PATH_MAX_LEN + 32], buf[256];
	fmt(path, sizeof path, "%s/class/tty/console/active", sys_root);
	int len = scan_read_file(path, buf, sizeof buf);
	if (len < 0) {
		conf_note(p, p->ttys_file, p->ttys_line, p->ttys_col,
			  "cannot read %s (%s): 'console' names no tty", path, strerror(errno));
		return;
	}
	for (int i = 0; i < len;) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\n'))
			i++;
		int s = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
		if (i == s)
			break;
		const char *w = buf + s;
		int wl = i - s;
		/* tty0 is whichever VT is in the foreground: its login is on tty1 */
		if (wl == 4 && !strncmp(w, "tty0", 4))
			w = "tty1";
		/* the kernel's own names; checked all the same, quietly */
		char name[16];
		if (!tty_name_ok(w, wl))
			continue;
		memcpy(name, w, (size_t)wl);
		name[wl] = '\0';
		if (tty_exists(name))
			tty_add(tty, n, name, wl);
	}
}

/* exec with every %I replaced by tty and %% by %, into out (argc words,
 * NUL-separated, a final NUL).  The length with the final NUL, or -1 with
 * *bad at the offending '%' (or -1 if the result is too long). */
static int subst_exec(const char *words, int argc, const char *tty, char *out,
		      int cap, int *bad)
{
	int o = 0, tl = (int)strlen(tty);
	const char *w = words;
	for (int k = 0; k < argc; k++, w = conf_next_str(w)) {
		for (const char *c = w; *c; c++) {
			if (*c == '%' && (c[1] == 'I' || c[1] == '%')) {
				const char *rep = c[1] == 'I' ? tty : "%";
				int rl = c[1] == 'I' ? tl : 1;
				if (o + rl >= cap - 1)
					goto toolong;
				memcpy(out + o, rep, (size_t)rl);
				o += rl;
				c++;
				continue;
			}
			if (*c == '%') {
				*bad = (int)(c - words);
				return -1;
			}
			if (o >= cap - 2)
				goto toolong;
			out[o++] = *c;
		}
		out[o++] = '\0';
	}
	out[o++] = '\0';
	return o;
toolong:
	*bad = -1;
	return -1;
}

/* Whether the exec words hold a %I. */
static int has_tty_specifier(const char *words, int argc)
{
	const char *w = words;
	for (int k = 0; k < argc; k++, w = conf_next_str(w))
		for (const char *c = w; *c; c++) {
			if (c[0] == '%' && c[1] == 'I')
				return 1;
			if (c[0] == '%' && c[1] == '%')
				c++;
		}
	return 0;
}

/* Forget what the parser noted for unit slot i (a unit dropped at the
 * end of its section: the slot is used again by the next section). */
static void slot_forget(struct config_parser *p, int i)
{
	p->seen_exec[i] = 0;
	p->timeout_set[i / 32] &= ~(1u << (i % 32));
	p->restart_max_set[i / 32] &= ~(1u << (i % 32));
	p->stable_set[i / 32] &= ~(1u << (i % 32));
}

/* exec with %I substituted (subst_exec's output), one unit at a time */
static char words[EXEC_MAX_LEN];

/* The ttys of the template's ttys = that are here, into tty; how many
 * (0 if their units would not fit). */
static int find_ttys(struct config_parser *p, int idx, const struct unit_conf *tmpl,
		     char (*tty)[16])
{
	int n = 0;
	for (int i = 0; i < p->ttys_len;) {
		const char *w = p->ttys + i;
		int wl = (int)strlen(w);
		i += wl + 1;
		if (!strcmp(w, "console"))
			console_ttys(p, tty, &n);
		else if (tty_exists(w))
			tty_add(tty, &n, w, wl);
		else    /* not an error: tty1 is harmless on a machine without VTs */
			conf_note(p, p->ttys_file, p->ttys_line, p->ttys_col,
				  "'%s': no tty %s here (no %s/class/tty/%s): no unit for it",
				  tmpl->name, w, sys_root, w);
	}
	if (n == 0)
		conf_note(p, p->ttys_file, p->ttys_line, p->ttys_col,
			  "'%s': none of its ttys is here: nothing to run", tmpl->name);
	if (idx + n > MAX_UNITS) {
		conf_report(p, p->ttys_line, p->ttys_col, "'%s' makes %d units, one per tty, and "
			    "there is room for %d more (at most %d units in all)", tmpl->name, n,
			    MAX_UNITS - idx, MAX_UNITS);
		n = 0;
	}
	return n;
}

/* Slot j gets what the parser noted for slot idx (its template). */
static void slot_copy(struct config_parser *p, int j, int idx)
{
	p->seen_exec[j] = 1;
	p->exec_line[j] = p->exec_line[idx];
	p->exec_col[j] = p->exec_col[idx];
	p->exec_file[j] = p->exec_file[idx];
	conf_def_line[j] = conf_def_line[idx];
	conf_def_file[j] = conf_def_file[idx];
	if (conf_bit_get(p->timeout_set, idx))
		conf_bit_set(p->timeout_set, j);
	if (conf_bit_get(p->restart_max_set, idx))
		conf_bit_set(p->restart_max_set, j);
	if (conf_bit_get(p->stable_set, idx))
		conf_bit_set(p->stable_set, j);
}

/* The template's unit for tty into slot j (idx: the template's slot): 1
 * made, 0 skipped (reported), -1 the pool is full (reported). */
static int tty_unit(struct config_parser *p, int idx, int j, const struct unit_conf *tmpl,
		    const char *tty)
{
	struct config *cfg = p->cfg;
	char name[NAME_MAX_LEN + 16];
	int bad, nl = fmt(name, sizeof name, "%s-%s", tmpl->name, tty);
	if (nl >= NAME_MAX_LEN) {
		conf_report(p, p->ttys_line, p->ttys_col, "unit name '%s' too long (at most %d "
			    "characters): shorten the section's name", name, NAME_MAX_LEN - 1);
		return 0;
	}
	int dup = conf_find_unit(cfg, name, nl);
	if (dup >= 0 && dup < idx) {
		conf_report(p, p->ttys_line, p->ttys_col, "duplicate name '%s' (first defined "
			    "at %s:%d)", name, conf_def_file[dup] ? conf_def_file[dup] : "?",
			    conf_def_line[dup]);
		return 0;
	}
	int wl = subst_exec(conf_exec(cfg, tmpl), tmpl->argc, tty, words, EXEC_MAX_LEN, &bad);
	if (wl < 0) {
		conf_report(p, p->exec_line[idx], p->exec_col[idx], "command line too long "
			    "with %%I = %s (at most %d bytes)", tty, EXEC_MAX_LEN - 2);
		return 0;
	}
	int off = conf_pool_take(cfg, wl);
	if (off < 0) {
		conf_report(p, p->ttys_line, p->ttys_col, "configuration too large: its "
			    "commands, environments and directories exceed %d bytes", CONFIG_POOL);
		return -1;
	}
	memcpy(cfg->pool + off, words, (size_t)wl);
	struct unit_conf *u = &cfg->unit[j];
	*u = *tmpl;
	memcpy(u->name, name, (size_t)nl + 1);
	u->exec = (uint16_t)off;
	u->tty = 1;
	if (j != idx)
		slot_copy(p, j, idx);
	return 1;
}

/* The units of template tmpl, in slot idx (the config's last) and on,
 * one per tty: NAME-TTY, exec's %I the tty's name. */
static void expand_unit(struct config_parser *p, int idx, const struct unit_conf *tmpl)
{
	static char tty[MAX_TTYS][16];
	const char *exec = conf_exec(p->cfg, tmpl);
	int bad;
	if (subst_exec(exec, tmpl->argc, "tty1", words, EXEC_MAX_LEN, &bad) < 0 && bad >= 0) {
		conf_report(p, p->exec_line[idx], p->exec_col[idx],
			    "unknown %%-specifier in exec: with ttys, %%I is the tty and %%%% a %%");
		return;
	}
	if (!has_tty_specifier(exec, tmpl->argc)) {
		conf_report(p, p->exec_line[idx], p->exec_col[idx],
			    "ttys needs %%I in exec, for the tty's name (as in agetty ... %%I)");
		return;
	}
	int n = find_ttys(p, idx, tmpl, tty), made = 0;
	for (int k = 0; k < n; k++) {
		int r = tty_unit(p, idx, idx + made, tmpl, tty[k]);
		if (r < 0)
			break;
		made += r;
	}
	if (!made) {
		slot_forget(p, idx);
		/* the template's exec stays in the pool, unused: a few bytes */
	}
	p->cfg->nunits = idx + made;
}

/* The section being closed had ttys = (its unit is the config's last): it
 * becomes one unit per tty.  At load (boot, reload, --check-config): the
 * ttys are those there at that moment. */
void conf_ttys_end(struct config_parser *p)
{
	struct config *cfg = p->cfg;
	if (p->ttys_len && p->cur && p->cur == &cfg->unit[cfg->nunits - 1] &&
	    p->seen_exec[cfg->nunits - 1]) {    /* else config_end says: no exec */
		int idx = cfg->nunits - 1;
		struct unit_conf tmpl = *p->cur;
		const char *file = p->file;
		p->file = p->ttys_file; /* for conf_report(): conf.d may have begun since */
		expand_unit(p, idx, &tmpl);
		p->file = file;
	}
	p->ttys_len = 0;
	p->cur = NULL;
}

/* ttys = console tty1 ...: the words, kept until the section ends */
void conf_set_ttys(struct config_parser *p, int lineno, int kcol, int vcol,
		   const char *v, int vl)
{
	int o = 0, n = 0;
	if (p->ttys_len) {
		conf_report(p, lineno, kcol, "ttys given twice");
		return;
	}
	for (int i = 0; i < vl;) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		int s = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i == s)
			break;
		if (!(i - s == 7 && !strncmp(v + s, "console", 7)) && !tty_name_ok(v + s, i - s)) {
			conf_report(p, lineno, vcol + s, "ttys: '%.*s' is not a tty name (as in "
				    "ttyS0, tty1, hvc0: letters, digits, - _ ., at most 15) nor "
				    "console", i - s, v + s);
			return;
		}
		if (++n > MAX_TTYS || o + (i - s) + 1 > TTYS_MAX_LEN) {
			conf_report(p, lineno, vcol + s, "ttys: too many (at most %d)", MAX_TTYS);
			return;
		}
		memcpy(p->ttys + o, v + s, (size_t)(i - s));
		o += i - s;
		p->ttys[o++] = '\0';
	}
	p->ttys_len = o;
	p->ttys_line = lineno;
	p->ttys_col = vcol;
	p->ttys_file = p->file;
}
