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
