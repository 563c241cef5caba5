/* oomwatch_parse_record: the victim PID in a /dev/kmsg record. */
#define _GNU_SOURCE
#include "test.h"
#include "oomwatch.h"

static long rec(const char *s)
{
	return oomwatch_parse_record(s, (int)strlen(s));
}

void suite_oomwatch(void)
{
	TEST("oomwatch: global OOM kill record") {
		CHECK_INT(rec("6,1234,5678,-;Out of memory: Killed process 4321 (hog) "
			      "total-vm:123456kB, anon-rss:120000kB, file-rss:0kB, "
			      "shmem-rss:0kB, UID:0 pgtables:300kB oom_score_adj:0"), 4321);
		CHECK_INT(rec("3,99,1,-;Out of memory: Killed process 1 (init)"), 1);
	}
	TEST("oomwatch: memcg OOM kill record") {
		CHECK_INT(rec("6,1,2,-;Memory cgroup out of memory: Killed process 77 (x) "
			      "total-vm:1kB"), 77);
		/* without the "PRI,SEQ,TIME,FLAGS;" prefix it is no kmsg record */
		CHECK_INT(rec("Memory cgroup out of memory: Killed process 77 (x)"), -1);
	}
	TEST("oomwatch: only len bytes are read") {
		const char *s = "6,1,2,-;Out of memory: Killed process 4321 (hog)";
		int cut = (int)(strstr(s, "4321") - s);
		CHECK_INT(oomwatch_parse_record(s, cut + 2), 43);
		CHECK_INT(oomwatch_parse_record(s, cut), -1);
		CHECK_INT(oomwatch_parse_record(s, 0), -1);
	}
	TEST("oomwatch: unrelated records give -1") {
		CHECK_INT(rec("6,1235,5679,-;oom_reaper: reaped process 4321 (hog), "
			      "now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"), -1);
		CHECK_INT(rec("4,1236,5680,-;hog invoked oom-killer: gfp_mask=0x140cca, "
			      "order=0, oom_score_adj=0"), -1);
		CHECK_INT(rec("6,12,34,-;e1000e: eth0 NIC Link is Up 1000 Mbps"), -1);
		CHECK_INT(rec("6,12,34,-;Killed process (no pid)"), -1);
		CHECK_INT(rec(""), -1);
	}
	TEST("oomwatch: a user-space kmsg record cannot fake an OOM kill") {
		/* Facility 1 (user): priority 8..15.  lifeline itself copies service
		 * output to /dev/kmsg as "<6>NAME: LINE", which the kernel stores as
		 * user.info (14), so any service printing this line would make
		 * lifeline report PID 4321 as oom-killed. */
		CHECK_INT(rec("14,1240,5690,-;web: Out of memory: Killed process 4321 (sshd)"),
			  -1);
		CHECK_INT(rec("12,1241,5691,-;Out of memory: Killed process 4321 (sshd)"), -1);
	}
}
