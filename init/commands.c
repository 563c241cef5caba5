/* See commands.h.  What lifeline does when asked: the control socket's
 * commands (status, start/stop/restart, reload, check-config, log,
 * rescue, reboot/poweroff/halt), and the orderly shutdown that a
 * command, a signal or /run/initctl begins. */
#define _GNU_SOURCE
#include "commands.h"
#include "clock.h"
#include "configure.h"
#include "fmt.h"
#include "log.h"
#include "oomwatch.h"
#include "rescue.h"
#include "service.h"
#include "shutdown.h"
#include "status.h"
#include "unittab.h"

#include <string.h>
#include <sys/reboot.h>

static uint64_t start_ms;
static int pid1;
static int shutdown_cmd = -1;

void commands_init(uint64_t started_ms, int is_pid1)
{
	start_ms = started_ms;
	pid1 = is_pid1;
}

int commands_shutdown_cmd(void)
{
	return shutdown_cmd;
}

void commands_shutdown(int cmd)
{
	if (shutdown_cmd >= 0)
		return;
	shutdown_cmd = cmd;
	log_msg(LOG_NOTICE, "shutdown requested: %s", shutdown_word(cmd));
	service_shutdown();
}

static void fill_stats(struct self_stats *s)
{
	self_stats_read(s);
	s->uptime_ms = now_ms() - start_ms;
	s->oom_kills = oomwatch_count();
	s->config_ok = configure_state();
	s->config_path = configure_path();
	s->pid1 = pid1;
}

static int more_log(struct outbuf *o, uint64_t *cursor)
{
	o->len = log_ring_read(cursor, o->buf, o->cap);
	return o->len > 0;
}

/* Status rows are rendered as the socket drains: one connection's buffer
 * need not hold the whole table.  A row is far shorter than ROW_ROOM. */
#define ROW_ROOM 512
static int more_status(struct outbuf *o, uint64_t *cursor, int json)
{
	uint64_t now = now_ms();
	uint32_t i = (uint32_t)*cursor, emitted = (uint32_t)(*cursor >> 32);
	for (; i < MAX_UNITS; i++) {
		if (!unit_table[i].used)
			continue;
		if (o->cap - o->len < ROW_ROOM)
			break;
		if (json)
			status_json_unit(o, &unit_table[i], !emitted, now);
		else
			status_text_unit(o, &unit_table[i], now);
		emitted++;
	}
	*cursor = ((uint64_t)emitted << 32) | i;
	if (i < MAX_UNITS)
		return 1;
	if (json)
		status_json_tail(o);
	return 0;
}

static int more_status_text(struct outbuf *o, uint64_t *cursor)
{
	return more_status(o, cursor, 0);
}

static int more_status_json(struct outbuf *o, uint64_t *cursor)
{
	return more_status(o, cursor, 1);
}

void commands_handle(char *cmd, char *arg, struct outbuf *o, control_more *more)
{
	char err[128];
	struct self_stats st;
#define IS(s) (!strcmp(cmd, s))
	if (IS("status")) {
		int json = arg && !strcmp(arg, "--json");
		if (arg && !json) {
			ob_printf(o, "error: status takes only --json\n");
			return;
		}
		fill_stats(&st);
		ob_puts(o, "ok\n");
		if (json)
			status_json_head(o, &st);
		else
			status_text_head(o, &st);
		*more = json ? more_status_json : more_status_text;
	} else if (IS("start") || IS("stop") || IS("restart")) {
		int r;
		if (!arg) {
			ob_printf(o, "error: %s needs a service name\n", cmd);
			return;
		}
		r = IS("start") ? service_start(arg, err, sizeof err)
		  : IS("stop") ? service_stop(arg, err, sizeof err)
			       : service_restart(arg, err, sizeof err);
		if (r < 0)
			ob_printf(o, "error: %s\n", err);
		else
			ob_puts(o, "ok\n");
	} else if (IS("reload")) {
		configure_reload(o);
	} else if (IS("check-config")) {
		configure_check_reply(o);
	} else if (IS("log")) {
		ob_puts(o, "ok\n");
		*more = more_log;
	} else if (IS("rescue")) {
		if (arg && !strcmp(arg, "arm")) {
			rescue_arm(o, now_ms());
		} else if (arg && !strcmp(arg, "now")) {
			ob_puts(o, "ok\n");
			rescue_now("lifelinectl rescue now");
		} else {
			ob_printf(o, "error: rescue takes arm or now\n");
		}
	} else if (IS("reboot") || IS("poweroff") || IS("halt")) {
		ob_puts(o, "ok\n");
		commands_shutdown(IS("reboot") ? RB_AUTOBOOT : IS("poweroff") ? RB_POWER_OFF
									  : RB_HALT_SYSTEM);
	} else {
		ob_printf(o, "error: unknown command '%s'\n", cmd);
	}
#undef IS
}
