/* parse_duration_ms (config.c) and backoff_delay_ms (backoff.c). */
#define _GNU_SOURCE
#include "test.h"
#include "backoff.h"
#include "config.h"

#include <stdint.h>

static int64_t dur(const char *s)
{
	return parse_duration_ms(s, (int)strlen(s));
}

void suite_duration(void)
{
	TEST("duration: 500ms") CHECK_INT(dur("500ms"), 500);
	TEST("duration: 30s") CHECK_INT(dur("30s"), 30000);
	TEST("duration: 5m") CHECK_INT(dur("5m"), 300000);
	TEST("duration: 2h") CHECK_INT(dur("2h"), 7200000);
	TEST("duration: a plain number is seconds") {
		CHECK_INT(dur("7"), 7000);
		CHECK_INT(dur("0"), 0);
	}
	TEST("duration: only len bytes are read") {
		/* "30s" followed by junk that must not be looked at */
		CHECK_INT(parse_duration_ms("30sXYZ", 3), 30000);
		CHECK_INT(parse_duration_ms("5ms", 2), 300000);
	}
	TEST("duration: rejects empty") {
		CHECK_INT(dur(""), -1);
		CHECK_INT(parse_duration_ms("5", 0), -1);
	}
	TEST("duration: rejects a unit without a number") {
		CHECK_INT(dur("s"), -1);
		CHECK_INT(dur("ms"), -1);
	}
	TEST("duration: rejects unknown units") {
		CHECK_INT(dur("10x"), -1);
		CHECK_INT(dur("10d"), -1);
		CHECK_INT(dur("10 s"), -1);
		CHECK_INT(dur("10sec"), -1);
		CHECK_INT(dur("10S"), -1);
	}
	TEST("duration: rejects negative") {
		CHECK_INT(dur("-1"), -1);
		CHECK_INT(dur("-5s"), -1);
	}
	TEST("duration: rejects overflow") {
		CHECK_INT(dur("99999999999999999999"), -1);
		CHECK_INT(dur("100000000h"), -1);
		CHECK_INT(dur("2147484s"), -1);         /* > INT32_MAX ms */
		CHECK_INT(dur("600h"), -1);
		CHECK_INT(dur("2147483s"), 2147483000LL); /* the largest that fits */
	}
}

void suite_backoff(void)
{
	TEST("backoff: first restart is immediate") {
		CHECK_INT(backoff_delay_ms(0, 30000), 0);
		CHECK_INT(backoff_delay_ms(0, 0), 0);
	}
	TEST("backoff: 100ms then doubling") {
		CHECK_INT(backoff_delay_ms(1, 30000), 100);
		CHECK_INT(backoff_delay_ms(2, 30000), 200);
		CHECK_INT(backoff_delay_ms(3, 30000), 400);
		CHECK_INT(backoff_delay_ms(4, 30000), 800);
		CHECK_INT(backoff_delay_ms(8, 30000), 12800);
		CHECK_INT(backoff_delay_ms(9, 30000), 25600);
	}
	TEST("backoff: capped at the cap") {
		CHECK_INT(backoff_delay_ms(10, 30000), 30000);
		CHECK_INT(backoff_delay_ms(11, 30000), 30000);
		CHECK_INT(backoff_delay_ms(2, 150), 150);
		CHECK_INT(backoff_delay_ms(1, 50), 50);
	}
	TEST("backoff: never above the cap for huge counts") {
		static const uint32_t caps[] = { 100, 1000, 30000, 300000, 0x7fffffff,
						 0xffffffffu };
		for (unsigned c = 0; c < sizeof caps / sizeof caps[0]; c++) {
			uint32_t prev = 0;
			for (uint32_t n = 1; n < 200; n++) {
				uint32_t d = backoff_delay_ms(n, caps[c]);
				CHECK_MSG(d <= caps[c], "delay %u > cap %u at %u", d, caps[c], n);
				CHECK_MSG(d >= prev, "delay shrank at %u (cap %u)", n, caps[c]);
				prev = d;
			}
			CHECK_INT(backoff_delay_ms(1000000, caps[c]), caps[c]);
			CHECK_INT(backoff_delay_ms(0xffffffffu, caps[c]), caps[c]);
		}
	}
}
