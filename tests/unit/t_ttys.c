/* ttys = LIST (one unit per tty, exec's %I the tty's name) and optional =
 * yes (a program not installed is said once, not started, never retried),
 * against a fake /sys/class/tty (config_set_sys_root). */
#define _GNU_SOURCE
#include "test.h"
#include "config.h"
#include "service.h"
#include "status.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct config_parser parser;
static struct config cfg;
static struct capture cap;

/* A fake sysfs root: class/tty/NAME for each name given, and
 * class/tty/console/active holding active (NULL: no such file). */
static const char *fake_sys(const char *console, const char *const *ttys)
{
	static char root[300];
	char p[400];
	snprintf(root, sizeof root, "%s", temp_dir());
	snprintf(p, sizeof p, "%s/class", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/class/tty", root);
	mkdir(p, 0755);
	for (; *ttys; ttys++) {
		snprintf(p, sizeof p, "%s/class/tty/%s", root, *ttys);
		mkdir(p, 0755);
	}
	if (console) {
		snprintf(p, sizeof p, "%s/class/tty/console", root);
		mkdir(p, 0755);
		snprintf(p, sizeof p, "%s/class/tty", root);
		write_file(p, "console/active", console, strlen(console));
	}
	config_set_sys_root(root);
	return root;
}

static const struct unit_conf *unit(const char *name)
{
	for (int i = 0; i < cfg.nunits; i++)
		if (!strcmp(cfg.unit[i].name, name))
			return &cfg.unit[i];
	return NULL;
}

/* The reports that are not notes. */
static int problems(void)
{
	int n = 0;
	for (int i = 0; i < cap.n && i < CAPTURE_MAX; i++)
		n += strncmp(cap.r[i].msg, "note:", 5) != 0;
	return n;
}

static int has_report(const char *needle)
{
	for (int i = 0; i < cap.n && i < CAPTURE_MAX; i++)
		if (strstr(cap.r[i].msg, needle))
			return 1;
	return 0;
}

#define GETTY "[service getty]\nexec = /bin/sh -c 'exec sleep 1' %I\nprotect = yes\n"

void suite_ttys(void)
{
	static const char *const all[] = { "tty1", "ttyS0", "hvc0", NULL };

	TEST("ttys: console \"tty0 ttyS0\" gives tty1 and ttyS0, %%I replaced") {
		fake_sys("tty0 ttyS0\n", all);
		int r = parse_text(&parser, &cfg, &cap, GETTY "ttys = console\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 2);
		const struct unit_conf *a = unit("getty-tty1"), *b = unit("getty-ttyS0");
		CHECK(a && b);
		if (a && b) {
			CHECK_STR(unit_arg(&cfg, a, 3), "tty1");
			CHECK_STR(unit_arg(&cfg, b, 3), "ttyS0");
			CHECK_STR(unit_arg(&cfg, b, 2), "exec sleep 1");
			CHECK_INT(a->tty, 1);
			CHECK_INT(b->protect, 1);
			CHECK_INT(b->oom_score_adj, -1000);
		}
		CHECK(!unit("getty"));
	}
	TEST("ttys: console \"hvc0\" (a Xen guest) gives getty-hvc0 only") {
		fake_sys("hvc0\n", all);
		int r = parse_text(&parser, &cfg, &cap, GETTY "ttys = console\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 1);
		CHECK(unit("getty-hvc0") != NULL);
	}
	TEST("ttys: duplicates collapse (console ttyS0 tty1 ttyS0 with console tty0 ttyS0)") {
		fake_sys("tty0 ttyS0", all);
		int r = parse_text(&parser, &cfg, &cap,
				   GETTY "ttys = console ttyS0 tty1 ttyS0\n[service cron]\n"
				   "exec = /bin/true\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 3);
		CHECK_STR(cfg.unit[0].name, "getty-tty1");
		CHECK_STR(cfg.unit[1].name, "getty-ttyS0");
		CHECK_STR(cfg.unit[2].name, "cron");
	}
	TEST("ttys: a named tty not here is a note, no unit, no problem") {
		static const char *const serial[] = { "ttyS0", NULL };
		fake_sys("ttyS0", serial);
		int r = parse_text(&parser, &cfg, &cap, GETTY "ttys = console tty1\n", -1);
		CHECK_INT(r, 0);
		CHECK_INT(problems(), 0);
		CHECK_MSG(has_report("note: 'getty': no tty tty1 here"), "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 1);
		CHECK(unit("getty-ttyS0") != NULL);
	}
	TEST("ttys: console naming a tty not in sysfs is skipped quietly") {
		static const char *const serial[] = { "ttyS0", NULL };
		fake_sys("ttyS0 ttyS1", serial);
		parse_text(&parser, &cfg, &cap, GETTY "ttys = console\n", -1);
		CHECK_MSG(cap.n == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 1);
	}
	TEST("ttys: none here: no unit, a note; the next section takes the slot") {
		static const char *const none[] = { NULL };
		fake_sys(NULL, none);
		int r = parse_text(&parser, &cfg, &cap,
				   GETTY "ttys = console tty1\n[service cron]\nexec = /bin/true\n", -1);
		CHECK_MSG(r == 0 && problems() == 0, "%s", capture_str(&cap));
		CHECK(has_report("cannot read"));
		CHECK(has_report("none of its ttys is here"));
		CHECK_INT(cfg.nunits, 1);
		CHECK_STR(cfg.unit[0].name, "cron");
		CHECK_STR(unit_arg(&cfg, &cfg.unit[0], 0), "/bin/true");
	}
	TEST("ttys: more units than the table holds: a clear error") {
		static const char *const many[] = { "tty1", "tty2", "tty3", "tty4", NULL };
		fake_sys("", many);
		char text[8192];
		int o = 0;
		for (int i = 0; i < MAX_UNITS - 2; i++)
			o += snprintf(text + o, sizeof text - (size_t)o,
				      "[service s%d]\nexec = /bin/true\n", i);
		snprintf(text + o, sizeof text - (size_t)o, "%s", GETTY "ttys = tty1 tty2 tty3 tty4\n");
		int r = parse_text(&parser, &cfg, &cap, text, -1);
		CHECK(r > 0);
		CHECK_MSG(has_report("'getty' makes 4 units, one per tty, and there is room for 2 "
				     "more (at most 32 units in all)"), "%s", capture_str(&cap));
		CHECK_INT(cap.r[0].line, 2 * (MAX_UNITS - 2) + 4);
		CHECK_INT(cfg.nunits, MAX_UNITS - 2);
	}
	TEST("ttys: %%%% is a %%, %%I in every word, other %%X an error") {
		fake_sys("ttyS0", all);
		int r = parse_text(&parser, &cfg, &cap,
				   "[service g]\nexec = /bin/echo 100%% /dev/%I x%Iy\nttys = hvc0\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		const struct unit_conf *u = unit("g-hvc0");
		CHECK(u != NULL);
		if (u) {
			CHECK_STR(unit_arg(&cfg, u, 1), "100%");
			CHECK_STR(unit_arg(&cfg, u, 2), "/dev/hvc0");
			CHECK_STR(unit_arg(&cfg, u, 3), "xhvc0y");
		}
		r = parse_text(&parser, &cfg, &cap,
			       "[service g]\nexec = /bin/echo %i\nttys = hvc0\n", -1);
		CHECK(r > 0);
		CHECK_MSG(cap.n > 0 && cap.r[0].line == 2 &&
			  strstr(cap.r[0].msg, "unknown %-specifier"), "%s", capture_str(&cap));
		r = parse_text(&parser, &cfg, &cap,
			       "[service g]\nexec = /bin/echo tty\nttys = hvc0\n", -1);
		CHECK(r > 0);
		CHECK_MSG(has_report("ttys needs %I in exec"), "%s", capture_str(&cap));
	}
	TEST("ttys: without ttys, %% and %%I stay literal (date +%%I keeps working)") {
		int r = parse_text(&parser, &cfg, &cap,
				   "[service d]\nexec = /bin/echo +%I %% %s\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		CHECK_STR(unit_arg(&cfg, &cfg.unit[0], 1), "+%I");
		CHECK_STR(unit_arg(&cfg, &cfg.unit[0], 2), "%%");
		CHECK_INT(cfg.unit[0].tty, 0);
	}
	TEST("ttys: bad words, twice, in a [boot] task, a name too long, a clash") {
		fake_sys("ttyS0", all);
		int r = parse_text(&parser, &cfg, &cap, GETTY "ttys = pts/0\n", -1);
		CHECK(r > 0 && has_report("'pts/0' is not a tty name"));
		r = parse_text(&parser, &cfg, &cap, GETTY "ttys = tty1\nttys = ttyS0\n", -1);
		CHECK(r > 0 && has_report("ttys given twice"));
		r = parse_text(&parser, &cfg, &cap, "[boot b]\nexec = /bin/true %I\nttys = tty1\n", -1);
		CHECK(r > 0 && has_report("only valid in [service]"));
		r = parse_text(&parser, &cfg, &cap, "[service a-very-long-service-name-x]\n"
			       "exec = /bin/true %I\nttys = ttyS0\n", -1);
		CHECK_MSG(r > 0 && has_report("unit name 'a-very-long-service-name-x-ttyS0' too long"),
			  "%s", capture_str(&cap));
		r = parse_text(&parser, &cfg, &cap, "[service getty-tty1]\nexec = /bin/true\n"
			       GETTY "ttys = tty1 ttyS0\n", -1);
		CHECK_MSG(r > 0 && has_report("duplicate name 'getty-tty1'"), "%s", capture_str(&cap));
	}
	TEST("ttys: the units' settings are the section's (timeout bits, memory_min)") {
		fake_sys("ttyS0", all);
		int r = parse_text(&parser, &cfg, &cap, GETTY "ttys = console hvc0\n"
				   "memory_min = 4M\nrestart_delay_max = 1s\n", -1);
		CHECK_MSG(r == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 2);
		for (int i = 0; i < cfg.nunits; i++) {
			CHECK_INT(cfg.unit[i].memory_min, 4 << 20);
			CHECK_INT(cfg.unit[i].restart_max_ms, 1000);
			CHECK_INT(cfg.unit[i].stable_ms, 60000);
		}
	}
	config_set_sys_root("/sys");

	TEST("optional: a program not installed is a note, not missing; not_installed set") {
		int r = parse_text(&parser, &cfg, &cap, "[service getty]\n"
				   "exec = /nonexistent/agetty tty1\noptional = yes\n", -1);
		CHECK_INT(r, 0);
		CHECK_INT(parser.missing, 0);
		CHECK_MSG(cap.n == 1 && !strcmp(cap.r[0].msg, "note: getty: /nonexistent/agetty "
						"is not installed: not started"), "%s", capture_str(&cap));
		CHECK_INT(cfg.unit[0].not_installed, 1);
		r = parse_text(&parser, &cfg, &cap, "[service getty]\n"
			       "exec = /nonexistent/agetty tty1\n", -1);
		CHECK_INT(parser.missing, 1);
		CHECK_INT(cfg.unit[0].not_installed, 0);
		r = parse_text(&parser, &cfg, &cap, "[service getty]\n"
			       "exec = /bin/sh -c '/nonexistent/agetty'\noptional = yes\n", -1);
		CHECK_MSG(r == 0 && cap.n == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.unit[0].not_installed, 0);
		r = parse_text(&parser, &cfg, &cap, "[boot b]\nexec = /bin/true\noptional = yes\n", -1);
		CHECK(r > 0 && has_report("only valid in [service]"));
	}
	TEST("optional: not installed: not started, no deadline; a reload after installing "
	     "starts it") {
		char prog[400], text[600];
		snprintf(prog, sizeof prog, "%s/prog", temp_dir());
		snprintf(text, sizeof text, "[service opt]\nexec = %s\noptional = yes\n", prog);
		memset(unit_table, 0, sizeof unit_table);
		boot_phase = PH_RUN;
		parse_text(&parser, &cfg, &cap, text, -1);
		service_reload(&cfg);
		int k = -1;
		for (int i = 0; i < MAX_UNITS; i++)
			if (unit_table[i].used && !strcmp(unit_table[i].name, "opt"))
				k = i;
		CHECK(k >= 0);
		if (k >= 0) {
			CHECK_INT(unit_table[k].state, ST_ABSENT);
			CHECK_STR(unit_state_name(&unit_table[k]), "not-installed");
			CHECK_INT(unit_table[k].pid, 0);
			CHECK_INT(unit_table[k].spawn_failures, 0);
			CHECK_INT(service_next_deadline(), 0);
			char err[200];
			CHECK_INT(service_start("opt", err, sizeof err), -1);
			CHECK_CONTAINS(err, "is not installed (optional = yes)");
			CHECK_INT(unit_table[k].state, ST_ABSENT);
			FILE *f = fopen(prog, "w");
			if (f) {
				fputs("#!/bin/sh\nexec sleep 30\n", f);
				fclose(f);
			}
			chmod(prog, 0755);
			parse_text(&parser, &cfg, &cap, text, -1);
			CHECK_INT(cfg.unit[0].not_installed, 0);
			service_reload(&cfg);
			CHECK_INT(unit_table[k].state, ST_RUNNING);
			CHECK(unit_table[k].pid > 0);
			pid_t pid = unit_table[k].pid;
			if (pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				unit_table[k].pid = 0;
			}
		}
		memset(&cfg, 0, sizeof cfg);
		service_reload(&cfg);
		memset(unit_table, 0, sizeof unit_table);
		boot_phase = PH_BOOT;
	}
}
