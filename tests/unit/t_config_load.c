/* config_load: lifeline.conf plus conf.d/\*.conf read from real files. */
#define _GNU_SOURCE
#include "test.h"
#include "config.h"

#include <stdlib.h>

static struct config cfg;
static struct capture cap;
static char path[512];

#define GOOD "exec = /bin/true\n"

static int put(const char *dir, const char *name, const char *content)
{
	int r = write_file(dir, name, content, strlen(content));
	if (r < 0)
		FAIL("cannot write %s/%s", dir, name);
	return r;
}

static int load(const char *dir, int *missing)
{
	snprintf(path, sizeof path, "%s/lifeline.conf", dir);
	memset(&cap, 0, sizeof cap);
	return config_load(&cfg, path, capture_report, &cap, missing);
}

static const char *names(void)
{
	static char buf[1024];
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < cfg.nunits && o < sizeof buf - 40; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? "," : "",
				      cfg.unit[i].name);
	return buf;
}

void suite_config_load(void)
{
	const char *dir;
	char want[600];
	int missing;

	use_fake_userdb();
	TEST("config_load: lifeline.conf, then conf.d/*.conf in name order") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[lifeline]\nrestart_delay_max = 7s\n"
					  "[service main]\n" GOOD);
		/* written in the wrong order on purpose */
		put(dir, "conf.d/20-b.conf", "[service b1]\n" GOOD "[boot b2]\n" GOOD);
		put(dir, "conf.d/10-a.conf", "[service a1]\n" GOOD);
		put(dir, "conf.d/30-c.conf", "[shutdown c1]\n" GOOD);
		put(dir, "conf.d/05-first.conf", "# only a comment\n");
		/* not *.conf, or hidden: never read (they would be errors) */
		put(dir, "conf.d/x.txt", "this is not a config\n");
		put(dir, "conf.d/.hidden.conf", "this is not a config\n");
		put(dir, "conf.d/.conf", "this is not a config\n");
		put(dir, "conf.d/20-b.conf~", "this is not a config\n");
		put(dir, "conf.d/README", "this is not a config\n");
		missing = -1;
		int r = load(dir, &missing);
		CHECK_MSG(r == 0 && cap.n == 0, "returned %d: %s", r, capture_str(&cap));
		CHECK_INT(missing, 0);
		CHECK_STR(names(), "main,a1,b1,b2,c1");
		/* [lifeline] in the main file applies to conf.d units too */
		CHECK_INT(cfg.nunits >= 2 ? cfg.unit[1].restart_max_ms : 0, 7000);
	}
	TEST("config_load: an error in a conf.d file names that file") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service main]\n" GOOD);
		put(dir, "conf.d/10-ok.conf", "[service ok]\n" GOOD);
		put(dir, "conf.d/30-bad.conf", "# bad one\n[service c]\n" GOOD "bogus = 1\n");
		int r = load(dir, NULL);
		CHECK_INT(r, 1);
		CHECK_MSG(cap.n == 1, "reports: %s", capture_str(&cap));
		snprintf(want, sizeof want, "%s/conf.d/30-bad.conf", dir);
		CHECK_STR(cap.r[0].file, want);
		CHECK_INT(cap.r[0].line, 4);
		CHECK_INT(cap.r[0].col, 1);
		CHECK_CONTAINS(cap.r[0].msg, "unknown key 'bogus'");
	}
	TEST("config_load: end-of-parse problems name the right file and line") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service main]\n" GOOD "\n[service noexec]\nnice = 1\n");
		put(dir, "conf.d/10-a.conf", "\n\n[service ghost]\nexec = /nonexistent/ghost\n"
					     "[service u]\n" GOOD "user = nosuchuser\n");
		missing = -1;
		int r = load(dir, &missing);
		CHECK_INT(r, 3);
		CHECK_INT(missing, 2);
		CHECK_MSG(cap.n == 3, "reports: %s", capture_str(&cap));
		if (cap.n == 3) {
			snprintf(want, sizeof want, "%s/lifeline.conf", dir);
			CHECK_STR(cap.r[0].file, want);
			CHECK_INT(cap.r[0].line, 4);
			CHECK_CONTAINS(cap.r[0].msg, "'noexec' has no exec");
			snprintf(want, sizeof want, "%s/conf.d/10-a.conf", dir);
			CHECK_STR(cap.r[1].file, want);
			CHECK_INT(cap.r[1].line, 4);
			CHECK_INT(cap.r[1].col, 8);
			CHECK_CONTAINS(cap.r[1].msg, "executable not found: /nonexistent/ghost");
			CHECK_STR(cap.r[2].file, want);
			CHECK_INT(cap.r[2].line, 5);
			CHECK_CONTAINS(cap.r[2].msg, "'u': unknown user 'nosuchuser'");
		}
	}
	TEST("config_load: a name defined twice across files") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service sshd]\n" GOOD);
		put(dir, "conf.d/50-local.conf", "[service sshd]\n" GOOD);
		int r = load(dir, NULL);
		CHECK_INT(r, 1);
		CHECK_MSG(cap.n == 1, "reports: %s", capture_str(&cap));
		snprintf(want, sizeof want, "duplicate name 'sshd' (first defined at %s/lifeline.conf:1)",
			 dir);
		CHECK_CONTAINS(cap.r[0].msg, want);
		snprintf(want, sizeof want, "%s/conf.d/50-local.conf", dir);
		CHECK_STR(cap.r[0].file, want);
		CHECK_INT(cfg.nunits, 1);
	}
	TEST("config_load: a missing main file is one problem") {
		dir = temp_dir();
		int r = load(dir, NULL);
		CHECK_INT(r, 1);
		CHECK_MSG(cap.n == 1, "reports: %s", capture_str(&cap));
		CHECK_STR(cap.r[0].file, path);
		CHECK_CONTAINS(cap.r[0].msg, "cannot open");
		CHECK_INT(cfg.nunits, 0);
	}
	TEST("config_load: no conf.d is fine") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service a]\nexec = /bin/true\nnice = 4");
		int r = load(dir, NULL);
		CHECK_MSG(r == 0, "reports: %s", capture_str(&cap));
		CHECK_INT(cfg.nunits, 1);
		CHECK_INT(cfg.unit[0].nice, 4);  /* last line without newline */
	}
	TEST("config_load: lines across read chunks keep their numbers") {
		static char big[20000];
		char *p = big;
		dir = temp_dir();
		for (int i = 0; i < 200; i++)   /* 200 lines of 50 bytes */
			p += sprintf(p, "# %046d\n", i);
		for (int i = 0; i < 20; i++)
			p += sprintf(p, "[service s%02d]\nexec = /bin/echo %0100d\n", i, i);
		p += sprintf(p, "nice = nope\n");
		put(dir, "lifeline.conf", "");
		put(dir, "conf.d/10-big.conf", big);
		int r = load(dir, NULL);
		CHECK_INT(r, 1);
		CHECK_MSG(cap.n == 1, "reports: %s", capture_str(&cap));
		CHECK_INT(cap.r[0].line, 241);
		CHECK_INT(cap.r[0].col, 8);
		CHECK_INT(cfg.nunits, 20);
		CHECK_INT(cfg.unit[19].argc, 2);
		const char *a1 = unit_arg(&cfg, &cfg.unit[19], 1);
		CHECK_INT(a1 ? strlen(a1) : 0, 100);
	}
	TEST("config_load: an over-long line is reported, the next one parsed") {
		static char t[4096];
		char *p = t;
		dir = temp_dir();
		p += sprintf(p, "[service a]\n" GOOD "#");
		memset(p, 'x', 2000);
		p += 2000;
		sprintf(p, "\nnice = 4\n");
		put(dir, "lifeline.conf", t);
		int r = load(dir, NULL);
		CHECK_INT(r, 1);
		CHECK_MSG(cap.n == 1, "reports: %s", capture_str(&cap));
		CHECK_INT(cap.r[0].line, 3);
		CHECK_INT(cap.r[0].col, 1024);
		CHECK_CONTAINS(cap.r[0].msg, "line too long");
		CHECK_INT(cfg.unit[0].nice, 4);
	}
	TEST("config_load: an over-long last line without newline is reported") {
		/* the buffer parser reports it; the file reader must too, not
		 * parse its first 1023 bytes as if that were the line */
		static char t[4096];
		char *p = t;
		dir = temp_dir();
		p += sprintf(p, "[service a]\n" GOOD "nice = 1 #");
		memset(p, 'x', 2000);
		p += 2000;
		*p = '\0';
		put(dir, "lifeline.conf", t);
		int r = load(dir, NULL);
		CHECK_MSG(r == 1 && cap.n == 1, "returned %d: %s", r, capture_str(&cap));
		if (cap.n >= 1) {
			CHECK_INT(cap.r[0].line, 3);
			CHECK_INT(cap.r[0].col, 1024);
			CHECK_CONTAINS(cap.r[0].msg, "line too long");
		}
	}
	TEST("config_load: too many conf.d files") {
		char name[64], body[64];
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service main]\n" GOOD);
		for (int i = 0; i <= MAX_CONF_FILES; i++) {
			snprintf(name, sizeof name, "conf.d/%02d-f.conf", i);
			snprintf(body, sizeof body, "[service f%02d]\n" GOOD, i);
			put(dir, name, body);
		}
		int r = load(dir, NULL);
		CHECK(r >= 1);
		CHECK_MSG(cap.n >= 1 && strstr(cap.r[0].msg, "too many files (at most 16)"),
			  "reports: %s", capture_str(&cap));
		snprintf(want, sizeof want, "%s/conf.d", dir);
		CHECK_STR(cap.r[0].file, want);
		CHECK_INT(cfg.nunits, 1 + MAX_CONF_FILES);
	}
	TEST("config_load: loading again starts from scratch") {
		dir = temp_dir();
		put(dir, "lifeline.conf", "[service only]\n" GOOD);
		load(dir, NULL);
		int r = load(dir, NULL);
		CHECK_MSG(r == 0, "reports: %s", capture_str(&cap));
		CHECK_STR(names(), "only");
	}
}
