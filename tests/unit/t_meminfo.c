/* meminfo.c: /proc/meminfo and /proc/pressure/memory parsing. */
#define _GNU_SOURCE
#include "test.h"
#include "meminfo.h"

#include <stdint.h>

#define SNAP "tests/unit/data/proc-small"

/* The head of a real /proc/meminfo (a 1 GiB QEMU guest with swap). */
static const char real_meminfo[] =
	"MemTotal:        1008828 kB\n"
	"MemFree:          702212 kB\n"
	"MemAvailable:     822600 kB\n"
	"Buffers:            9340 kB\n"
	"Cached:           160420 kB\n"
	"SwapCached:            0 kB\n"
	"Active:            77316 kB\n"
	"Inactive:         153880 kB\n"
	"Active(anon):        984 kB\n"
	"Inactive(anon):    67980 kB\n"
	"Active(file):      76332 kB\n"
	"Inactive(file):    85900 kB\n"
	"Unevictable:           0 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2000000 kB\n"
	"Zswap:                 0 kB\n"
	"Dirty:                 8 kB\n"
	"HugePages_Total:       0\n"
	"Hugepagesize:       2048 kB\n";

static int parse(const char *s, struct meminfo *m)
{
	return meminfo_parse(s, (int)strlen(s), m);
}

static int parse_psi(const char *s, struct psi *p)
{
	return psi_parse(s, (int)strlen(s), p);
}

static void meminfo_cases(void)
{
	struct meminfo m;

	TEST("meminfo: real text gives the four fields") {
		CHECK_INT(parse(real_meminfo, &m), 0);
		CHECK_INT(m.total_kb, 1008828);
		CHECK_INT(m.avail_kb, 822600);
		CHECK_INT(m.swap_total_kb, 2097148);
		CHECK_INT(m.swap_free_kb, 2000000);
		CHECK_INT(m.shmem_kb, 0);               /* not in this text */
	}
	TEST("meminfo: the recorded snapshot (no swap) through meminfo_read") {
		CHECK_INT(meminfo_read(SNAP, &m), 0);
		CHECK_INT(m.total_kb, 24683664);
		CHECK_INT(m.avail_kb, 23909924);
		CHECK_INT(m.swap_total_kb, 0);
		CHECK_INT(m.swap_free_kb, 0);
	}
	TEST("meminfo: no MemAvailable (Linux < 3.14) is -1, MemTotal still read") {
		CHECK_INT(parse("MemTotal:  1000 kB\nMemFree:  500 kB\nSwapTotal: 0 kB\n", &m), -1);
		CHECK_INT(m.total_kb, 1000);
		CHECK_INT(m.avail_kb, 0);
	}
	TEST("meminfo: Shmem, after the four") {
		const char *t = "MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\n"
				"SwapFree: 0 kB\nAnonPages: 7 kB\nShmem:     34816 kB\nShmemHugePages: 9 kB\n";
		CHECK_INT(meminfo_parse(t, (int)strlen(t), &m), 0);
		CHECK_INT(m.shmem_kb, 34816);
	}
	TEST("meminfo: no MemTotal is -1") {
		CHECK_INT(parse("MemAvailable: 10 kB\n", &m), -1);
		CHECK_INT(m.avail_kb, 10);
	}
	TEST("meminfo: odd spacing, tabs, no unit, no final newline") {
		CHECK_INT(parse("MemTotal:1024 kB\nMemAvailable:\t \t512\nSwapFree:   7", &m), 0);
		CHECK_INT(m.total_kb, 1024);
		CHECK_INT(m.avail_kb, 512);
		CHECK_INT(m.swap_free_kb, 7);
	}
	TEST("meminfo: keys only at the start of a line, with their colon") {
		CHECK_INT(parse("xMemTotal: 5 kB\nMemTotalX: 6 kB\nMemTotal: 7 kB\n"
				"MemAvailable: 3 kB\n", &m), 0);
		CHECK_INT(m.total_kb, 7);
	}
	TEST("meminfo: a key without a number is not found") {
		CHECK_INT(parse("MemTotal: kB\nMemAvailable: 3 kB\n", &m), -1);
		CHECK_INT(m.total_kb, 0);
	}
	TEST("meminfo: huge numbers saturate instead of wrapping") {
		CHECK_INT(parse("MemTotal: 18446744073709551615 kB\n"
				"MemAvailable: 99999999999999999999999 kB\n", &m), 0);
		CHECK(m.total_kb == UINT64_MAX);
		CHECK(m.avail_kb == UINT64_MAX);
	}
	TEST("meminfo: the length bounds the parse (no NUL needed)") {
		const char *s = "MemTotal: 1024 kB\nMemAvailable: 51234 kB\n";
		/* cut inside the second number: "...MemAvailable: 512" */
		int len = (int)(strstr(s, "34 kB") - s);
		CHECK_INT(meminfo_parse(s, len, &m), 0);
		CHECK_INT(m.avail_kb, 512);
		CHECK_INT(meminfo_parse(s, 0, &m), -1);
	}
	TEST("meminfo: a missing file is -1 and zeroes the result") {
		m.total_kb = 5;
		CHECK_INT(meminfo_read("/nonexistent-proc", &m), -1);
		CHECK_INT(m.total_kb, 0);
	}
}

static void psi_cases(void)
{
	struct psi p;

	TEST("psi: some and full lines, hundredths and totals") {
		CHECK_INT(parse_psi("some avg10=1.23 avg60=0.50 avg300=0.07 total=12345\n"
				    "full avg10=99.99 avg60=100.00 avg300=0.01 total=678\n", &p), 0);
		CHECK_INT(p.some_avg10, 123);
		CHECK_INT(p.some_avg60, 50);
		CHECK_INT(p.some_avg300, 7);
		CHECK_INT(p.some_total_us, 12345);
		CHECK_INT(p.full_avg10, 9999);
		CHECK_INT(p.full_avg60, 10000);
		CHECK_INT(p.full_avg300, 1);
		CHECK_INT(p.full_total_us, 678);
	}
	TEST("psi: without a full line (cpu-style file) full stays 0") {
		CHECK_INT(parse_psi("some avg10=1.23 avg60=0.50 avg300=0.00 total=12345", &p), 0);
		CHECK_INT(p.some_avg10, 123);
		CHECK_INT(p.some_total_us, 12345);
		CHECK_INT(p.full_avg10, 0);
		CHECK_INT(p.full_total_us, 0);
	}
	TEST("psi: no some line is -1") {
		CHECK_INT(parse_psi("full avg10=2.00 avg60=0.00 avg300=0.00 total=1\n", &p), -1);
		CHECK_INT(p.full_avg10, 200);
		CHECK_INT(parse_psi("", &p), -1);
	}
	TEST("psi: one decimal, no decimals, more decimals, over 100") {
		CHECK_INT(parse_psi("some avg10=1.5 avg60=3 avg300=0.129 total=0\n"
				    "full avg10=250.00 avg60=0.00 avg300=0.00 total=0\n", &p), 0);
		CHECK_INT(p.some_avg10, 150);
		CHECK_INT(p.some_avg60, 300);
		CHECK_INT(p.some_avg300, 12);
		CHECK_INT(p.full_avg10, 10000);
	}
	TEST("psi: fields in another order and unknown fields") {
		CHECK_INT(parse_psi("some total=9 new=5 avg300=0.03 avg10=0.01 avg60=0.02\n", &p), 0);
		CHECK_INT(p.some_avg10, 1);
		CHECK_INT(p.some_avg60, 2);
		CHECK_INT(p.some_avg300, 3);
		CHECK_INT(p.some_total_us, 9);
	}
	TEST("psi: the recorded snapshot through psi_read; missing file is -1") {
		CHECK_INT(psi_read(SNAP, &p), 0);
		CHECK_INT(p.some_avg10, 0);
		CHECK_INT(psi_read("/nonexistent-proc", &p), -1);
	}
}

void suite_meminfo(void)
{
	meminfo_cases();
	psi_cases();
}
