/* scan.c: scan_find against strstr, scan_uint against strtoull, on the
 * inputs both are meant to agree on. */
#define _GNU_SOURCE
#include "test.h"
#include "scan.h"

#include <stdint.h>
#include <stdlib.h>

void suite_scan(void)
{
	TEST("scan: scan_find agrees with strstr") {
		static const char *const hay[] = {
			"", "a", "abc", "aaab", "Out of memory: Killed process 12 (x)",
			"VmLck:\t  64 kB\nVmRSS:\t 900 kB\n", "/usr/sbin/sshd -D", "sshsshd",
		};
		static const char *const needle[] = {
			"a", "b", "c", "ab", "aab", "abcd", "Killed process ", "VmRSS:",
			"sshd", "dropbear", "\n",
		};
		for (unsigned h = 0; h < sizeof hay / sizeof hay[0]; h++)
			for (unsigned n = 0; n < sizeof needle / sizeof needle[0]; n++) {
				const char *a = scan_find(hay[h], needle[n]);
				const char *b = strstr(hay[h], needle[n]);
				CHECK_MSG(a == b, "scan_find(\"%s\", \"%s\") at %ld, strstr at %ld",
					  hay[h], needle[n], a ? (long)(a - hay[h]) : -1L,
					  b ? (long)(b - hay[h]) : -1L);
			}
	}
	TEST("scan: scan_find finds an empty needle at the start, like strstr") {
		/* scan.h: "First occurrence of needle in hay" */
		const char *h = "abc";
		CHECK(scan_find(h, "") == h);
		CHECK(scan_find("", "") != NULL);
	}
	TEST("scan: scan_uint agrees with strtoull") {
		static const char *const in[] = {
			"0", "7", "42 kB", "  1234", "\t\t99x", "", "x1", " ", "00012",
			"18446744073709551615", "18446744073709551616", "99999999999999999999999",
			"4294967295:", "ff", "7fffffff-ffffffff", "DEADbeef rest",
			"ffffffffffffffff", "10000000000000000",
		};
		for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++)
			for (int base = 10; base <= 16; base += 6) {
				const char *e1 = NULL;
				char *e2 = NULL;
				uint64_t a = scan_uint(in[i], base, &e1);
				unsigned long long b = strtoull(in[i], &e2, base);
				/* strtoull leaves end at the start when there is no digit */
				const char *digits = in[i] + strspn(in[i], " \t");
				if (e2 == in[i])
					e2 = (char *)digits;
				CHECK_MSG(a == b && e1 == e2,
					  "\"%s\" base %d: %llu end +%ld, strtoull %llu end +%ld", in[i],
					  base, (unsigned long long)a, (long)(e1 - in[i]), b,
					  (long)(e2 - in[i]));
			}
		CHECK_INT(scan_uint("12", 10, NULL), 12);
	}
}

struct seen {
	int n, stop_at;
	char lines[8][64];
};

static int collect(void *ctx, char *line)
{
	struct seen *s = ctx;
	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof s->lines[0], "%s", line);
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

void suite_scan_lines(void)
{
	TEST("scan: scan_lines gives each line, the last one without a newline too") {
		char buf[16];
		struct seen s = { 0, 0, { { 0 } } };
		const char *f = temp_file("one\ntwo\n\nthree");
		CHECK_INT(scan_lines(f, buf, sizeof buf, collect, &s), 0);
		CHECK_INT(s.n, 4);
		CHECK_STR(s.lines[0], "one");
		CHECK_STR(s.lines[1], "two");
		CHECK_STR(s.lines[2], "");
		CHECK_STR(s.lines[3], "three");
	}
	TEST("scan: scan_lines reads lines across buffer refills and skips one too long") {
		char buf[16];
		struct seen s = { 0, 0, { { 0 } } };
		const char *f = temp_file("aaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\ncccccccccc\ndd\n");
		CHECK_INT(scan_lines(f, buf, sizeof buf, collect, &s), 0);
		CHECK_INT(s.n, 3);
		CHECK_STR(s.lines[0], "aaaaaaaa");
		CHECK_STR(s.lines[1], "cccccccccc");
		CHECK_STR(s.lines[2], "dd");
	}
	TEST("scan: scan_lines stops when the callback says so, and returns its value") {
		char buf[64];
		struct seen s = { 0, 2, { { 0 } } };
		const char *f = temp_file("1\n2\n3\n");
		CHECK_INT(scan_lines(f, buf, sizeof buf, collect, &s), 7);
		CHECK_INT(s.n, 2);
		CHECK_INT(scan_lines("/nonexistent/lifeline", buf, sizeof buf, collect, &s), -1);
	}
}
