/* The unit sections of lifeline.conf(5): [service NAME], [boot NAME],
 * [shutdown NAME]: their keys, exec split into words, the checks at the
 * end (exec found, users, defaults), and what the rest of init/ asks of
 * a unit's command line (config_resolve_exec, config_unit_runs,
 * config_access_ok).  ttys = is config_ttys.c's. */
#include "config_int.h"
#include "fmt.h"
#include "log.h"
#include "userdb.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A syslog facility by name: its code, LOG_FAC_NONE for "no", or
 * LOG_FAC_NONE - 1 if the name is not one. */
static int log_facility(const char *v, int vl)
{
	static const struct { const char *name; int code; } f[] = {
		{ "no", LOG_FAC_NONE }, { "user", LOG_FAC_USER }, { "daemon", LOG_FAC_DAEMON },
		{ "auth", LOG_FAC_AUTH }, { "cron", LOG_FAC_CRON }, { "authpriv", LOG_FAC_AUTHPRIV },
	};
	for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
		if ((int)strlen(f[i].name) == vl && !memcmp(v, f[i].name, (size_t)vl))
			return f[i].code;
	if (vl == 6 && !memcmp(v, "local", 5) && v[5] >= '0' && v[5] <= '7')
		return LOG_FAC_LOCAL0 + (v[5] - '0');
	return LOG_FAC_NONE - 1;
}

/* Bytes of a NUL-separated list of n strings, its final NUL excluded. */
static int list_len(const char *s, int n)
{
	int len = 0;
	for (int i = 0; i < n; i++)
		len += (int)strlen(s + len) + 1;
	return len;
}

int unit_conf_equal(const struct config *a, const struct unit_conf *ua,
		    const struct config *b, const struct unit_conf *ub)
{
	int el = list_len(conf_exec(a, ua), ua->argc);
	int nl = list_len(conf_env(a, ua), ua->envc);
	return !strcmp(ua->name, ub->name) && ua->kind == ub->kind &&
	       ua->restart == ub->restart && ua->early == ub->early &&
	       ua->protect == ub->protect && ua->argc == ub->argc &&
	       ua->optional == ub->optional && ua->not_installed == ub->not_installed &&
	       ua->tty == ub->tty &&
	       ua->envc == ub->envc && ua->oom_score_adj == ub->oom_score_adj &&
	       ua->nice == ub->nice && ua->timeout_ms == ub->timeout_ms &&
	       ua->restart_max_ms == ub->restart_max_ms && ua->stable_ms == ub->stable_ms &&
	       !strcmp(ua->user, ub->user) && !strcmp(ua->group, ub->group) &&
	       !strcmp(conf_cwd(a, ua), conf_cwd(b, ub)) &&
	       el == list_len(conf_exec(b, ub), ub->argc) &&
	       !memcmp(conf_exec(a, ua), conf_exec(b, ub), (size_t)el) &&
	       nl == list_len(conf_env(b, ub), ub->envc) &&
	       !memcmp(conf_env(a, ua), conf_env(b, ub), (size_t)nl);
}

/* [TYPE NAME] of a unit: a new unit in the table, the parser's current
 * one; or a report (and the section's keys are skipped). */
void conf_unit_section(struct config_parser *p, int lineno, int kind,
		       const struct ini_line *h)
{
	struct config *cfg = p->cfg;
	const char *l = h->name;
	int nl = h->name_len;
	if (nl == 0) {
		conf_report(p, lineno, h->close_col, "section needs a name, as in [%.*s NAME]",
			    h->type_len, h->type);
		return;
	}
	if (nl >= NAME_MAX_LEN) {
		conf_report(p, lineno, h->name_col, "name too long (at most %d characters)",
			    NAME_MAX_LEN - 1);
		return;
	}
	for (int k = 0; k < nl; k++)
		if (!conf_is_name_char(l[k])) {
			conf_report(p, lineno, h->name_col + k,
				    "invalid character in name (use letters, digits, - _ . @)");
			return;
		}
	int dup = conf_find_unit(cfg, l, nl);
	char renamed[NAME_MAX_LEN];
	if (dup >= 0 && p->skip_duplicates) {
		/* adding the fallback: the config's own unit keeps its name; a
		 * service of ours runs beside it as fallback-NAME (the config's
		 * may be the broken one), a task of ours is skipped */
		int rl = fmt(renamed, sizeof renamed, "fallback-%.*s", nl, l);
		if (kind != UNIT_SERVICE || rl >= (int)sizeof renamed ||
		    conf_find_unit(cfg, renamed, rl) >= 0)
			return;
		l = renamed;
		nl = rl;
		dup = -1;
	}
	if (dup >= 0) {
		conf_report(p, lineno, h->name_col, "duplicate name '%.*s' (first defined at "
			    "%s:%d)", nl, l, conf_def_file[dup] ? conf_def_file[dup] : "?",
			    conf_def_line[dup]);
		return;
	}
	if (cfg->nunits >= MAX_UNITS) {
		conf_report(p, lineno, h->open_col, "too many sections (at most %d)", MAX_UNITS);
		return;
	}
	int idx = cfg->nunits++;
	struct unit_conf *u = &cfg->unit[idx];
	memset(u, 0, sizeof *u);
	memcpy(u->name, l, (size_t)nl);
	u->kind = (uint8_t)kind;
	u->oom_score_adj = OOM_ADJ_UNSET;
	u->syslog_facility = LOG_FAC_DAEMON;
	u->memory_min = SIZE_UNSET;
	u->memory_max = SIZE_UNSET;
	u->restart = RESTART_ALWAYS;
	conf_def_line[idx] = lineno;
	conf_def_file[idx] = p->file;
	p->cur = u;
	p->section = CONF_SEC_UNIT;
}

/* Split an exec value into NUL-separated words. Returns argc or -1. */
static int split_exec(struct config_parser *p, int lineno, int col0,
		      const char *v, int len, char *out, int cap)
{
	int argc = 0, o = 0, i = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= len)
			break;
		if (argc >= MAX_ARGS) {
			conf_report(p, lineno, col0 + i, "too many arguments (at most %d)",
				    MAX_ARGS);
			return -1;
		}
		while (i < len && v[i] != ' ' && v[i] != '\t') {
			char c = v[i];
			if (c == '\'' || c == '"') {
				int q = i++;
				while (i < len && v[i] != c) {
					if (c == '"' && v[i] == '\\' && i + 1 < len &&
					    (v[i + 1] == '"' || v[i + 1] == '\\'))
						i++;
					if (o >= cap - 2)
						goto toolong;
					out[o++] = v[i++];
				}
				if (i >= len) {
					conf_report(p, lineno, col0 + q, "unterminated quote");
					return -1;
				}
				i++;
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= len) {
					conf_report(p, lineno, col0 + i,
						    "backslash at end of line");
					return -1;
				}
				i++;
			}
			if (o >= cap - 2)
				goto toolong;
			out[o++] = v[i++];
		}
		if (o > cap - 2)
			goto toolong;   /* even an empty word takes a byte */
		out[o++] = '\0';
		argc++;
	}
	out[o] = '\0';
	if (argc == 0) {
		conf_report(p, lineno, col0, "exec needs a command");
		return -1;
	}
	if (out[0] == '\0') {
		conf_report(p, lineno, col0, "the command (first word of exec) is empty");
		return -1;
	}
	return argc;
toolong:
	conf_report(p, lineno, col0, "command line too long (at most %d bytes)", EXEC_MAX_LEN - 2);
	return -1;
}

static int copy_name(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, char *dst, int cap, const char *what)
{
	if (vl >= cap) {
		conf_report(p, lineno, vcol, "%s too long (at most %d bytes)", what, cap - 1);
		return -1;
	}
	for (int i = 0; i < vl; i++)
		if (v[i] == ':' || v[i] == ' ' || v[i] == '\t' || v[i] == '/') {
			conf_report(p, lineno, vcol + i, "invalid character in %s", what);
			return -1;
		}
	memcpy(dst, v, (size_t)vl);
	dst[vl] = '\0';
	return 0;
}

static void set_exec(struct config_parser *p, int lineno, int kcol, int vcol, const char *v,
		     int vl, struct unit_conf *u, int idx)
{
	if (p->seen_exec[idx]) {
		conf_report(p, lineno, kcol, "exec given twice");
		return;
	}
	static char words[EXEC_MAX_LEN];
	int argc = split_exec(p, lineno, vcol, v, vl, words, EXEC_MAX_LEN);
	if (argc < 0)
		return;
	int len = list_len(words, argc) + 1;
	int off = conf_pool_take(p->cfg, len);
	if (off < 0) {
		conf_report(p, lineno, vcol, "configuration too large: its commands, "
			    "environments and directories exceed %d bytes", CONFIG_POOL);
		return;
	}
	memcpy(p->cfg->pool + off, words, (size_t)len);
	u->exec = (uint16_t)off;
	u->argc = (uint8_t)argc;
	p->seen_exec[idx] = 1;
	p->exec_line[idx] = lineno;
	p->exec_col[idx] = vcol;
	p->exec_file[idx] = p->file;
}

/* env = NAME=VALUE: one more entry in the unit's list */
static void add_env(struct config_parser *p, int lineno, int kcol, int vcol, const char *v,
		    int vl, struct unit_conf *u)
{
	int eq = 0;
	while (eq < vl && v[eq] != '=')
		eq++;
	int ok = eq > 0 && eq < vl && !(v[0] >= '0' && v[0] <= '9');
	for (int i = 0; ok && i < eq; i++)
		ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		     (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
	if (!ok) {
		conf_report(p, lineno, vcol, "env needs NAME=VALUE");
		return;
	}
	if (u->envc >= MAX_ENV) {
		conf_report(p, lineno, kcol, "too many env entries (at most %d)", MAX_ENV);
		return;
	}
	struct config *c = p->cfg;
	int used = list_len(conf_env(c, u), u->envc);
	if (used + vl + 2 > ENV_MAX_LEN) {
		conf_report(p, lineno, vcol, "environment too long (at most %d bytes)",
			    ENV_MAX_LEN - 2);
		return;
	}
	/* the list must stay in one piece: extend it where it ends the
	 * pool, else move it to the end */
	int off = u->envc && u->env + used + 1 == c->pool_used ? u->env : -1;
	if (off >= 0) {
		if (conf_pool_take(c, vl + 1) < 0)
			off = -2;
	} else {
		off = conf_pool_take(c, used + vl + 2);
		if (off >= 0)
			memmove(c->pool + off, conf_env(c, u), (size_t)used);
	}
	if (off < 0) {
		conf_report(p, lineno, vcol, "configuration too large: its commands, "
			    "environments and directories exceed %d bytes", CONFIG_POOL);
		return;
	}
	memcpy(c->pool + off + used, v, (size_t)vl);
	c->pool[off + used + vl] = '\0';
	c->pool[off + used + vl + 1] = '\0';
	u->env = (uint16_t)off;
	u->envc++;
}

static void set_cwd(struct config_parser *p, int lineno, int vcol, const char *v, int vl,
		    struct unit_conf *u)
{
	if (v[0] != '/') {
		conf_report(p, lineno, vcol, "cwd must be an absolute path");
		return;
	}
	if (vl >= PATH_MAX_LEN) {
		conf_report(p, lineno, vcol, "cwd too long (at most %d bytes)", PATH_MAX_LEN - 1);
		return;
	}
	int off = conf_pool_take(p->cfg, vl + 1);
	if (off < 0) {
		conf_report(p, lineno, vcol, "configuration too large: its commands, "
			    "environments and directories exceed %d bytes", CONFIG_POOL);
		return;
	}
	memcpy(p->cfg->pool + off, v, (size_t)vl);
	p->cfg->pool[off + vl] = '\0';
	u->cwd = (uint16_t)off;
}

/* The keys of every unit kind but exec, env and cwd; 0 if k is none. */
static int common_key(CONF_KEY_ARGS, struct unit_conf *u)
{
	long n;
	int b;
	if (KEY("user")) {
		copy_name(p, lineno, vcol, v, vl, u->user, USER_MAX_LEN, "user name");
	} else if (KEY("group")) {
		copy_name(p, lineno, vcol, v, vl, u->group, USER_MAX_LEN, "group name");
	} else if (KEY("oom_score_adj")) {
		if (conf_parse_int(v, vl, -1000, 1000, &n) < 0)
			conf_report(p, lineno, vcol,
				    "oom_score_adj must be a number from -1000 to 1000");
		else
			u->oom_score_adj = (int16_t)n;
	} else if (KEY("protect")) {
		if ((b = conf_parse_bool(v, vl)) < 0)
			conf_report(p, lineno, vcol, "protect must be yes or no");
		else
			u->protect = (uint8_t)b;
	} else if (KEY("kmsg")) {
		if ((b = conf_parse_bool(v, vl)) < 0)
			conf_report(p, lineno, vcol, "kmsg must be yes or no");
		else
			u->no_kmsg = (uint8_t)!b;
	} else if (KEY("syslog")) {
		if ((n = log_facility(v, vl)) == LOG_FAC_NONE - 1)
			conf_report(p, lineno, vcol, "syslog must be a facility (daemon, auth, "
				    "authpriv, cron, user, local0 to local7) or no");
		else
			u->syslog_facility = (int8_t)n;
	} else if (KEY("session_oom_score_adj")) {
		if (conf_parse_int(v, vl, -1000, 1000, &n) < 0)
			conf_report(p, lineno, vcol,
				    "session_oom_score_adj must be a number from -1000 to 1000");
		else
			u->session_oom_score_adj = (int16_t)n;
	} else if (KEY("memory_max")) {
		if (vl == 3 && !strncmp(v, "max", 3))
			u->memory_max = SIZE_UNSET;
		else
			conf_set_size(p, lineno, vcol, v, vl, &u->memory_max, "memory_max");
	} else if (KEY("pids_max")) {
		conf_set_pids(p, lineno, vcol, v, vl, &u->pids_max, "pids_max");
	} else if (KEY("nice")) {
		if (conf_parse_int(v, vl, -20, 19, &n) < 0)
			conf_report(p, lineno, vcol, "nice must be a number from -20 to 19");
		else
			u->nice = (int8_t)n;
	} else {
		return 0;
	}
	return 1;
}

/* The keys of [service] only; 0 if k is none. */
static int service_key(CONF_KEY_ARGS, struct unit_conf *u, int idx)
{
	int b;
	if (KEY("memory_min")) {
		conf_set_size(p, lineno, vcol, v, vl, &u->memory_min, "memory_min");
	} else if (KEY("ttys")) {
		conf_set_ttys(p, lineno, kcol, vcol, v, vl);
	} else if (KEY("optional")) {
		if ((b = conf_parse_bool(v, vl)) < 0)
			conf_report(p, lineno, vcol, "optional must be yes or no");
		else
			u->optional = (uint8_t)b;
	} else if (KEY("restart")) {
		if (vl == 6 && !strncmp(v, "always", 6))
			u->restart = RESTART_ALWAYS;
		else if (vl == 10 && !strncmp(v, "on-failure", 10))
			u->restart = RESTART_ON_FAILURE;
		else if ((vl == 5 && !strncmp(v, "never", 5)) || (vl == 2 && !strncmp(v, "no", 2)))
			u->restart = RESTART_NEVER;
		else
			conf_report(p, lineno, vcol, "restart must be always, on-failure or never");
	} else if (KEY("early")) {
		if ((b = conf_parse_bool(v, vl)) < 0)
			conf_report(p, lineno, vcol, "early must be yes or no");
		else
			u->early = (uint8_t)b;
	} else if (KEY("restart_delay_max")) {
		if (!conf_set_duration(p, lineno, vcol, v, vl, &u->restart_max_ms, 100))
			conf_bit_set(p->restart_max_set, idx);
	} else if (KEY("stable_after")) {
		if (!conf_set_duration(p, lineno, vcol, v, vl, &u->stable_ms, STABLE_MIN_MS))
			conf_bit_set(p->stable_set, idx);
	} else {
		return 0;
	}
	return 1;
}

/* The keys of [boot] and [shutdown] only; 0 if k is none. */
static int task_key(CONF_KEY_ARGS, struct unit_conf *u, int idx)
{
	if (KEY("timeout")) {
		if (!conf_set_duration(p, lineno, vcol, v, vl, &u->timeout_ms, 1))
			conf_bit_set(p->timeout_set, idx);
	} else {
		return 0;
	}
	return 1;
}

void conf_unit_key(CONF_KEY_ARGS)
{
	struct unit_conf *u = p->cur;
	int idx = (int)(u - p->cfg->unit);
	if (KEY("exec"))
		set_exec(p, lineno, kcol, vcol, v, vl, u, idx);
	else if (KEY("env"))
		add_env(p, lineno, kcol, vcol, v, vl, u);
	else if (KEY("cwd"))
		set_cwd(p, lineno, vcol, v, vl, u);
	else if (common_key(p, lineno, kcol, k, kl, vcol, v, vl, u))
		return;
	else if (u->kind == UNIT_SERVICE ? service_key(p, lineno, kcol, k, kl, vcol, v, vl, u, idx)
					 : task_key(p, lineno, kcol, k, kl, vcol, v, vl, u, idx))
		return;
	else if (KEY("restart") || KEY("early") || KEY("restart_delay_max") ||
		 KEY("stable_after") || KEY("memory_min") || KEY("ttys") || KEY("optional"))
		conf_report(p, lineno, kcol, "'%.*s' is only valid in [service] sections", kl, k);
	else if (KEY("timeout"))
		conf_report(p, lineno, kcol,
			    "'timeout' is only valid in [boot] and [shutdown] sections");
	else
		conf_report(p, lineno, kcol, "unknown key '%.*s'", kl, k);
}

/* Find an executable; out gets an absolute path. 0 found, -1 not. */
/* A regular file we may execute (access(X_OK) alone says yes to dirs). */
static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int config_resolve_exec(const char *argv0, char *out, int cap)
{
	if (!argv0[0]) {
		out[0] = '\0';
		return -1;
	}
	if (strchr(argv0, '/')) {
		if ((int)strlen(argv0) >= cap)
			return -1;
		strcpy(out, argv0);
		return is_executable(out) ? 0 : -1;
	}
	const char *d = DEFAULT_PATH;
	while (*d) {
		const char *e = strchr(d, ':');
		int dl = e ? (int)(e - d) : (int)strlen(d);
		if (fmt(out, (size_t)cap, "%.*s/%s", dl, d, argv0) < cap && is_executable(out))
			return 0;
		d += dl + (e ? 1 : 0);
	}
	out[0] = '\0';
	return -1;
}

/* config_end for the units this parser added: each has an exec that is
 * found, its user and group exist; the defaults it did not set. */
void conf_units_end(struct config_parser *p)
{
	struct config *cfg = p->cfg;
	char msg[192];
	for (int i = p->first; i < cfg->nunits; i++) {
		struct unit_conf *u = &cfg->unit[i];
		if (!p->seen_exec[i]) {
			fmt(msg, sizeof msg, "'%s' has no exec", u->name);
			p->errors++;
			conf_report_at(p, conf_def_file[i], conf_def_line[i], msg);
			continue;
		}
		const char *argv0 = conf_exec(cfg, u);
		char path[PATH_MAX_LEN];
		if ((int)strlen(argv0) >= PATH_MAX_LEN) {
			p->errors++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i], "executable path too long");
			continue;
		}
		if (argv0[0] != '/' && strchr(argv0, '/')) {
			p->errors++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i],
					  "executable path must be absolute or a bare name");
			continue;
		}
		u->not_installed = 0;
		if (config_resolve_exec(argv0, path, PATH_MAX_LEN) < 0 && u->optional) {
			/* not counted: an optional program may well be absent */
			u->not_installed = 1;
			conf_note(p, p->exec_file[i], p->exec_line[i], p->exec_col[i],
				  "%s: %s is not installed: not started", u->name, argv0);
		} else if (config_resolve_exec(argv0, path, PATH_MAX_LEN) < 0) {
			fmt(msg, sizeof msg, "executable not found: %s", argv0);
			p->missing++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i], msg);
		}
		if (u->user[0] && !userdb_user_exists(u->user)) {
			fmt(msg, sizeof msg, "'%s': unknown user '%s'", u->name, u->user);
			p->missing++;
			conf_report_at(p, conf_def_file[i], conf_def_line[i], msg);
		}
		if (u->group[0] && !userdb_group_exists(u->group)) {
			fmt(msg, sizeof msg, "'%s': unknown group '%s'", u->name, u->group);
			p->missing++;
			conf_report_at(p, conf_def_file[i], conf_def_line[i], msg);
		}
		if (u->protect && u->oom_score_adj == OOM_ADJ_UNSET)
			u->oom_score_adj = -1000;
		if (u->memory_min != SIZE_UNSET && !u->protect) {
			fmt(msg, sizeof msg, "'%s': memory_min needs protect = yes (an "
			    "unprotected service shares the limit of all the others)", u->name);
			p->errors++;
			conf_report_at(p, conf_def_file[i], conf_def_line[i], msg);
		}
		/* the access services never wait long between attempts: a
		 * fixed sshd_config must bring SSH back in seconds */
		if (!conf_bit_get(p->restart_max_set, i))
			u->restart_max_ms = u->protect && cfg->restart_max_ms > PROTECTED_RESTART_MAX_MS
					    ? PROTECTED_RESTART_MAX_MS : cfg->restart_max_ms;
		if (!conf_bit_get(p->stable_set, i))
			u->stable_ms = cfg->stable_ms;
		if (!conf_bit_get(p->timeout_set, i))
			u->timeout_ms = u->kind == UNIT_BOOT ? 120000 : 10000;
	}
}

/* Does a word of a command line name prog (or, with prog NULL, sshd or
 * dropbear)?  A word is split further at shell punctuation, so that a
 * wrapper such as sh -c '... exec /usr/sbin/dropbear ...' counts too;
 * with must_exist, only if that program is there. */
static int word_names(const char *word, const char *prog, int must_exist)
{
	char tok[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const char *w = word;
	while (*w) {
		while (*w && strchr(" \t;|&(){}'\"`=", *w))
			w++;
		int n = 0;
		while (w[n] && !strchr(" \t;|&(){}'\"`=", w[n]))
			n++;
		if (n > 0 && n < (int)sizeof tok) {
			memcpy(tok, w, (size_t)n);
			tok[n] = '\0';
			const char *base = strrchr(tok, '/');
			base = base ? base + 1 : tok;
			int match = prog ? !strcmp(base, prog)
					 : !strcmp(base, "sshd") || !strcmp(base, "dropbear");
			if (match && (!must_exist ||
				      config_resolve_exec(tok, path, sizeof path) == 0))
				return 1;
		}
		w += n;
	}
	return 0;
}

static int names_access(const char *word)
{
	return word_names(word, NULL, 1);
}

int config_unit_runs(const struct config *cfg, const struct unit_conf *u,
		     const char *prog)
{
	const char *a = conf_exec(cfg, u);
	for (int k = 0; k < u->argc; k++, a = conf_next_str(a))
		if (word_names(a, prog, 0))
			return 1;
	return 0;
}

int config_access_ok(const struct config *cfg)
{
	for (int i = 0; i < cfg->nunits; i++) {
		const struct unit_conf *u = &cfg->unit[i];
		if (u->kind != UNIT_SERVICE)
			continue;
		const char *a = conf_exec(cfg, u);
		for (int k = 0; k < u->argc; k++, a = conf_next_str(a))
			if (names_access(a))
				return 1;
	}
	return 0;
}
