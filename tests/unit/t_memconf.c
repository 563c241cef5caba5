/* The [memory] section and the per-service memory keys. */
#include "test.h"

#include <stdint.h>

static struct config cfg;
static struct config_parser parser;
static struct capture cap;

static int parse(const char *text)
{
	memset(&cap, 0, sizeof cap);
	return parse_text(&parser, &cfg, &cap, text, (int)strlen(text));
}

#define SVC "[service a]\nexec = /bin/true\n"

struct bad_case {
	const char *text;
	int line, col;
	const char *msg;
};

void suite_memconf(void)
{
	TEST("parse_size: units and errors") {
		CHECK_INT(parse_size("0", 1), 0);
		CHECK_INT(parse_size("4096", 4), 4096);
		CHECK_INT(parse_size("64M", 3), 64LL << 20);
		CHECK_INT(parse_size("64MiB", 5), 64LL << 20);
		CHECK_INT(parse_size("2G", 2), 2LL << 30);
		CHECK_INT(parse_size("512k", 4), 512LL << 10);
		CHECK_INT(parse_size("1T", 2), 1LL << 40);
		CHECK_INT(parse_size("100B", 4), 100);
		CHECK_INT(parse_size("", 0), -1);
		CHECK_INT(parse_size("M", 1), -1);
		CHECK_INT(parse_size("12X", 3), -1);
		CHECK_INT(parse_size("1MB2", 4), -1);
		CHECK_INT(parse_size("-5M", 3), -1);
		CHECK_INT(parse_size("99999999999999999999", 20), -1);
		CHECK_INT(parse_size("16777216T", 9), -1);
	}

	TEST("memory: no [memory] section: every layer off") {
		CHECK_INT(parse(SVC), 0);
		CHECK_INT(cfg.mem.present, 0);
		CHECK_INT(cfg.unit[0].memory_min, (int64_t)SIZE_UNSET);
		CHECK_INT(cfg.unit[0].memory_max, (int64_t)SIZE_UNSET);
		CHECK_INT(cfg.unit[0].pids_max, PIDS_UNSET);
		CHECK_INT(cfg.unit[0].session_oom_score_adj, 0);
	}

	TEST("memory: an empty [memory] turns the layers on with defaults") {
		CHECK_INT(parse("[memory]\n" SVC), 0);
		CHECK_INT(cfg.mem.present, 1);
		CHECK_INT(cfg.mem.guard, 1);
		CHECK_INT(cfg.mem.cgroups, 1);
		CHECK_INT(cfg.mem.mem_min_percent, 5);
		CHECK_INT(cfg.mem.swap_min_percent, 10);
		CHECK_INT(cfg.mem.mem_min_size, 0);
		CHECK_INT(cfg.mem.psi_full, 1);
		CHECK_INT(cfg.mem.psi_stall_us, 300000);
		CHECK_INT(cfg.mem.psi_window_us, 1000000);
		CHECK_INT(cfg.mem.headroom, 64LL << 20);
		CHECK_INT(cfg.mem.memory_min, 32LL << 20);
		CHECK_INT(cfg.mem.session_pids_max, 1024);
		CHECK_INT(cfg.mem.never_killc, 0);
		CHECK_INT(cfg.mem.preferc, 0);
	}

	TEST("memory: every key") {
		CHECK_INT(parse("[memory]\nguard = no\ncgroups = off\nmem_min_percent = 7%\n"
				"swap_min_percent = 20\nmem_min_size = 200M\nheadroom = 1G\n"
				"memory_min = 48M\nsession_pids_max = 300\n"
				"psi = some 150ms 2s\nnever_kill = postgres  redis-server\n"
				"prefer = chrome java\n" SVC), 0);
		CHECK_MSG(cap.n == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.mem.guard, 0);
		CHECK_INT(cfg.mem.cgroups, 0);
		CHECK_INT(cfg.mem.mem_min_percent, 7);
		CHECK_INT(cfg.mem.swap_min_percent, 20);
		CHECK_INT(cfg.mem.mem_min_size, 200LL << 20);
		CHECK_INT(cfg.mem.headroom, 1LL << 30);
		CHECK_INT(cfg.mem.memory_min, 48LL << 20);
		CHECK_INT(cfg.mem.session_pids_max, 300);
		CHECK_INT(cfg.mem.psi_full, 0);
		CHECK_INT(cfg.mem.psi_stall_us, 150000);
		CHECK_INT(cfg.mem.psi_window_us, 2000000);
		CHECK_INT(cfg.mem.never_killc, 2);
		const char *n = conf_never_kill(&cfg);
		CHECK_STR(n, "postgres");
		CHECK_STR(conf_next_str(n), "redis-server");
		CHECK_INT(cfg.mem.preferc, 2);
		CHECK_STR(conf_prefer(&cfg), "chrome");
		CHECK_STR(conf_next_str(conf_prefer(&cfg)), "java");
	}

	TEST("memory: psi = no and session_pids_max = max") {
		CHECK_INT(parse("[memory]\npsi = no\nsession_pids_max = max\n" SVC), 0);
		CHECK_INT(cfg.mem.psi_stall_us, 0);
		CHECK_INT(cfg.mem.session_pids_max, 0);
	}

	TEST("memory: per-service keys") {
		CHECK_INT(parse("[service a]\nexec = /bin/true\nprotect = yes\n"
				"memory_min = 16M\nsession_oom_score_adj = 100\n"
				"[service b]\nexec = /bin/true\nmemory_max = 256M\npids_max = 64\n"
				"[boot c]\nexec = /bin/true\nmemory_max = max\npids_max = max\n"), 0);
		CHECK_MSG(cap.n == 0, "%s", capture_str(&cap));
		CHECK_INT(cfg.unit[0].memory_min, 16LL << 20);
		CHECK_INT(cfg.unit[0].session_oom_score_adj, 100);
		CHECK_INT(cfg.unit[0].oom_score_adj, -1000);
		CHECK_INT(cfg.unit[1].memory_max, 256LL << 20);
		CHECK_INT(cfg.unit[1].pids_max, 64);
		CHECK_INT(cfg.unit[1].memory_min, (int64_t)SIZE_UNSET);
		CHECK_INT(cfg.unit[2].memory_max, (int64_t)SIZE_UNSET);
		CHECK_INT(cfg.unit[2].pids_max, 0);
	}

	TEST("memory: memory settings are not a reason to restart on reload") {
		static struct config other;
		CHECK_INT(parse(SVC "memory_max = 1G\n"), 0);
		other = cfg;
		CHECK_INT(parse(SVC "memory_max = 2G\npids_max = 10\n"), 0);
		CHECK(unit_conf_equal(&cfg, &cfg.unit[0], &other, &other.unit[0]));
	}

	static const struct bad_case bad[] = {
		{ "[memory x]\n", 1, 9, "[memory] takes no name" },
		{ "[memory]\nguard = maybe\n" SVC, 2, 9, "guard must be yes or no" },
		{ "[memory]\nmem_min_percent = 101\n" SVC, 2, 19, "percentage from 0 to 100" },
		{ "[memory]\nmem_min_percent = 5%%%%\n" SVC, 2, 19, "percentage from 0 to 100" },
		{ "[memory]\nheadroom = 64Q\n" SVC, 2, 12, "bad size '64Q' for headroom" },
		{ "[memory]\nmem_min_size = -1\n" SVC, 2, 16, "bad size" },
		{ "[memory]\nsession_pids_max = 0\n" SVC, 2, 20, "from 1 to 99999, or max" },
		{ "[memory]\npsi = full 300ms\n" SVC, 2, 7, "psi must be" },
		{ "[memory]\npsi = half 300ms 1s\n" SVC, 2, 7, "psi must be" },
		{ "[memory]\npsi = full 300ms 1s x\n" SVC, 2, 7, "psi must be" },
		{ "[memory]\npsi = full 300xs 1s\n" SVC, 2, 12, "bad duration in psi" },
		{ "[memory]\npsi = full 2s 1s\n" SVC, 2, 7, "no longer than the window" },
		{ "[memory]\npsi = full 100ms 20s\n" SVC, 2, 7, "window must be 500ms to 10s" },
		{ "[memory]\nnever_kill = averyveryverylongname\n" SVC, 2, 14,
		  "longer than a process name" },
		{ "[memory]\nfoo = 1\n" SVC, 2, 1, "unknown key 'foo' in [memory]" },
		{ SVC "memory_max = lots\n", 3, 14, "bad size 'lots' for memory_max" },
		{ SVC "pids_max = -3\n", 3, 12, "pids_max must be a number" },
		{ SVC "session_oom_score_adj = 2000\n", 3, 25, "from -1000 to 1000" },
		{ "[boot b]\nexec = /bin/true\nmemory_min = 1M\n", 3, 1,
		  "only valid in [service] sections" },
		{ SVC "memory_min = 16M\n", 1, 1, "memory_min needs protect = yes" },
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		TEST("memory: error %u: %s", i, bad[i].msg) {
			char text[512];
			snprintf(text, sizeof text, bad[i].text, 0);
			int r = parse(text);
			CHECK_MSG(r >= 1, "config_end returned %d", r);
			CHECK_MSG(cap.n >= 1, "no report");
			if (cap.n >= 1) {
				CHECK_MSG(cap.r[0].line == bad[i].line && cap.r[0].col == bad[i].col,
					  "reported at %d:%d, expected %d:%d (%s)", cap.r[0].line,
					  cap.r[0].col, bad[i].line, bad[i].col, cap.r[0].msg);
				CHECK_CONTAINS(cap.r[0].msg, bad[i].msg);
			}
		}
	}
}
