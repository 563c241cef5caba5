/* See status.h.  `lifelinectl status`: the text table and the JSON, one
 * unit at a time into a control answer, with each unit's state name and
 * lifeline's own figures (RSS, locked memory, page faults). */
#define _GNU_SOURCE
#include "status.h"
#include "cgroup.h"
#include "guard.h"
#include "procev.h"
#include "peerlink.h"
#include "rescue.h"
#include "watchdog.h"
#include "clock.h"
#include "fmt.h"
#include "config.h"
#include "scan.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

const char *unit_state_name(const struct unit *u)
{
	switch (u->state) {
	case ST_WAITING: return "waiting";
	case ST_RUNNING: return u->kind == UNIT_SERVICE ? "running" : "running-task";
	case ST_BACKOFF: return "backoff";
	case ST_SPAWN_WAIT: return "spawn-retry";
	case ST_STOPPING: return "stopping";
	case ST_DOWN: return "down";
	case ST_DONE: return "done";
	case ST_ABSENT: return "not-installed";
	}
	return "?";
}

/* A unit's memory figures from its cgroup; 0 if it has none. */
static int unit_mem(const struct unit *u, struct cg_stats *st)
{
	if (!cg_active() || u->conf < 0)
		return 0;
	return cg_unit_stats(&active_config.unit[u->conf], st) == 0;
}

static const char *kind_name(int k)
{
	return k == UNIT_BOOT ? "boot" : k == UNIT_SHUTDOWN ? "shutdown" : "service";
}

void status_text_head(struct outbuf *o, const struct self_stats *s)
{
	char up[16];
	fmt_duration(s->uptime_ms, up, sizeof up);
	ob_printf(o, "lifeline %s  pid %d  up %s  locked %ldK  rss %ldK  faults %ld/%ld (minor/major)\n",
		  LIFELINE_VERSION, s->pid1 ? 1 : (int)getpid(), up, s->vm_lck_kb,
		  s->vm_rss_kb, s->minflt, s->majflt);
	ob_printf(o, "config %s%s  kernel oom kills %ld\n", s->config_path,
		  s->config_ok == CONFIG_BROKEN ? " (BROKEN: running built-in fallback)"
		  : s->config_ok == CONFIG_ACCESS_ADDED
			  ? " (no sshd/dropbear could start: fallback access added)" : "",
		  s->oom_kills);
	guard_status_text(o);
	cg_status_text(o);
	ob_printf(o, "sessions: %s\n", procev_state());
	uint64_t now = now_ms();
	peerlink_status_text(o, now);
	rescue_status_text(o, now);
	watchdog_status_text(o, now);
	ob_printf(o, "\n%-16s %-8s %-13s %7s %8s %8s %7s %-9s %4s  %-24s %s\n", "NAME",
		  "KIND", "STATE", "PID", "UPTIME", "RESTARTS", "MEMORY", "LIMIT", "OOM",
		  "LAST EXIT", "NEXT");
}

void status_text_unit(struct outbuf *o, const struct unit *u, uint64_t now)
{
	char pid[16] = "-", upt[16] = "-", why[64], next[40] = "-";
	if (!u->used)
		return;
	if (u->pid > 0) {
		fmt(pid, sizeof pid, "%d", (int)u->pid);
		fmt_duration(now - u->started_ms, upt, sizeof upt);
	}
	exit_format(&u->last_exit, why, sizeof why);
	if (u->spawn_failing && u->spawn_step)
		fmt(why, sizeof why, "%s failed: %s", u->spawn_step, strerror(u->spawn_err));
	if (u->next_ms && (u->state == ST_BACKOFF || u->state == ST_SPAWN_WAIT)) {
		char d[16];
		fmt_duration(u->next_ms > now ? u->next_ms - now : 0, d, sizeof d);
		fmt(next, sizeof next, "restart in %s", d);
	}
	char mem[16] = "-", lim[24] = "-", ooms[16] = "-";
	struct cg_stats st;
	if (unit_mem(u, &st)) {
		char b[16];
		fmt_size(st.current, mem, sizeof mem);
		if (st.min > 0) {
			fmt_size(st.min, b, sizeof b);
			fmt(lim, sizeof lim, "min %s", b);
		} else if (st.max >= 0) {
			fmt_size(st.max, b, sizeof b);
			fmt(lim, sizeof lim, "max %s", b);
		}
		if (st.oom_kill >= 0)
			fmt(ooms, sizeof ooms, "%ld", (long)st.oom_kill);
	}
	ob_printf(o, "%-16s %-8s %-13s %7s %8s %8u %7s %-9s %4s  %-24s %s\n", u->name,
		  kind_name(u->kind), unit_state_name(u), pid, upt, u->restarts, mem, lim, ooms, why,
		  next);
}

void status_text(struct outbuf *o, const struct unit *tab, int n,
		 const struct self_stats *s, uint64_t now)
{
	status_text_head(o, s);
	for (int i = 0; i < n; i++)
		status_text_unit(o, &tab[i], now);
}

void status_json_head(struct outbuf *o, const struct self_stats *s)
{
	ob_printf(o, "{\"version\":\"%s\",\"pid\":%d,\"uptime_ms\":%lu,"
		  "\"locked_kb\":%ld,\"rss_kb\":%ld,\"minor_faults\":%ld,"
		  "\"major_faults\":%ld,\"kernel_oom_kills\":%ld,\"config\":",
		  LIFELINE_VERSION, s->pid1 ? 1 : (int)getpid(), (unsigned long)s->uptime_ms,
		  s->vm_lck_kb, s->vm_rss_kb, s->minflt, s->majflt, s->oom_kills);
	ob_json_str(o, s->config_path);
	ob_puts(o, ",");
	guard_status_json(o);
	cg_status_json(o);
	uint64_t now = now_ms();
	peerlink_status_json(o, now);   /* each member is followed by a comma */
	rescue_status_json(o, now);
	watchdog_status_json(o, now);
	ob_puts(o, "\"sessions\":");
	ob_json_str(o, procev_state());
	ob_printf(o, ",\"config_ok\":%s,\"fallback\":\"%s\",\"units\":[",
		  s->config_ok != CONFIG_BROKEN ? "true" : "false",
		  s->config_ok == CONFIG_BROKEN ? "all"
		  : s->config_ok == CONFIG_ACCESS_ADDED ? "access" : "none");
}

void status_json_unit(struct outbuf *o, const struct unit *u, int first, uint64_t now)
{
	char why[64];
	if (!u->used)
		return;
	exit_format(&u->last_exit, why, sizeof why);
	ob_printf(o, "%s{\"name\":", first ? "" : ",");
	ob_json_str(o, u->name);
	ob_printf(o, ",\"kind\":\"%s\",\"state\":\"%s\",\"pid\":%d,\"uptime_ms\":%lu,"
		  "\"restarts\":%u,\"last_exit\":",
		  kind_name(u->kind), unit_state_name(u), u->pid > 0 ? (int)u->pid : 0,
		  u->pid > 0 ? (unsigned long)(now - u->started_ms) : 0UL, u->restarts);
	ob_json_str(o, why);
	ob_printf(o, ",\"oom_killed\":%s,\"spawn_error\":",
		  u->last_exit.kind == EXIT_OOM ? "true" : "false");
	if (u->spawn_failing && u->spawn_step) {
		char e[96];
		fmt(e, sizeof e, "%s: %s", u->spawn_step, strerror(u->spawn_err));
		ob_json_str(o, e);
	} else {
		ob_puts(o, "null");
	}
	/* memory figures: null when unknown, and a max of "max" */
	struct cg_stats st;
	int have = unit_mem(u, &st);
	const char *key[] = { "mem_current", "mem_min", "mem_max", "oom_kills" };
	int64_t val[] = { st.current, st.min, st.max, st.oom_kill };
	for (int i = 0; i < 4; i++) {
		if (have && val[i] >= 0)
			ob_printf(o, ",\"%s\":%ld", key[i], (long)val[i]);
		else
			ob_printf(o, ",\"%s\":null", key[i]);
	}
	ob_printf(o, ",\"next_restart_ms\":%lu}",
		  (u->next_ms > now && (u->state == ST_BACKOFF || u->state == ST_SPAWN_WAIT))
			  ? (unsigned long)(u->next_ms - now) : 0UL);
}

void status_json_tail(struct outbuf *o)
{
	ob_puts(o, "]}\n");
}

void status_json(struct outbuf *o, const struct unit *tab, int n,
		 const struct self_stats *s, uint64_t now)
{
	int first = 1;
	status_json_head(o, s);
	for (int i = 0; i < n; i++) {
		if (!tab[i].used)
			continue;
		status_json_unit(o, &tab[i], first, now);
		first = 0;
	}
	status_json_tail(o);
}

static long field_kb(const char *buf, const char *key)
{
	const char *p = scan_find(buf, key);
	return p ? (long)scan_uint(p + strlen(key), 10, NULL) : -1;
}

void self_stats_read(struct self_stats *s)
{
	static char buf[2048];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	s->vm_lck_kb = s->vm_rss_kb = s->minflt = s->majflt = -1;
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			s->vm_lck_kb = field_kb(buf, "VmLck:");
			s->vm_rss_kb = field_kb(buf, "VmRSS:");
		}
	}
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			/* fields after the ")" of comm: state is field 3, minflt 10, majflt 12 */
			char *p = strrchr(buf, ')');
			int field = 2;
			for (; p && *p; p++) {
				if (*p != ' ')
					continue;
				field++;
				if (field == 10)
					s->minflt = (long)scan_uint(p + 1, 10, NULL);
				else if (field == 12) {
					s->majflt = (long)scan_uint(p + 1, 10, NULL);
					break;
				}
			}
		}
	}
}
