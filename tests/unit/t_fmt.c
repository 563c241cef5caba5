/* fmt.c, lifeline's own snprintf: the same output and return value as the
 * C library's for everything it claims to support (see fmt.h). */
#define _GNU_SOURCE
#include "test.h"
#include "fmt.h"

#include <limits.h>
#include <stdint.h>

static int nsame, ndiff;
static char first_diff[400];

static void same_at(int line, size_t cap, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

/* Compare fmt with vsnprintf: return value and all 128 bytes of the
 * buffer (so bytes past the terminator must be left alone alike). */
static void same_at(int line, size_t cap, const char *f, ...)
{
	char a[128], b[128];
	va_list ap, aq;
	memset(a, 'Z', sizeof a);
	memset(b, 'Z', sizeof b);
	va_start(ap, f);
	va_copy(aq, ap);
	int ra = vfmt(a, cap, f, ap);
	int rb = vsnprintf(b, cap, f, aq);
	va_end(aq);
	va_end(ap);
	if (ra == rb && !memcmp(a, b, sizeof a)) {
		nsame++;
		return;
	}
	if (!ndiff++)
		snprintf(first_diff, sizeof first_diff,
			 "line %d: fmt(cap %zu, \"%s\") gave %d \"%.60s\", snprintf %d \"%.60s\"",
			 line, cap, f, ra, cap ? a : "", rb, cap ? b : "");
}

#define SAME(cap, ...) same_at(__LINE__, cap, __VA_ARGS__)

static void begin(void)
{
	nsame = ndiff = 0;
	first_diff[0] = '\0';
}

static void verdict(void)
{
	CHECK_MSG(ndiff == 0, "%d of %d differ; first: %s", ndiff, ndiff + nsame, first_diff);
}

void suite_fmt(void)
{
	const size_t big = 128;

	TEST("fmt: integers like snprintf") {
		begin();
		SAME(big, "%d", 0);
		SAME(big, "%d|%i", 42, -42);
		SAME(big, "%d %d", INT_MAX, INT_MIN);
		SAME(big, "%u %u", 0u, UINT_MAX);
		SAME(big, "%x %x %x", 0u, 255u, UINT_MAX);
		SAME(big, "%ld %ld", LONG_MAX, LONG_MIN);
		SAME(big, "%lu %lx", ULONG_MAX, 0xdeadbeefUL);
		SAME(big, "%lld %lld", LLONG_MAX, LLONG_MIN);
		SAME(big, "%llu %llx", ULLONG_MAX, 0x123456789abcdefULL);
		SAME(big, "%zu", (size_t)123456789);
		verdict();
	}
	TEST("fmt: widths, flags and precisions like snprintf") {
		begin();
		SAME(big, "[%5d][%-5d][%05d]", 42, 42, 42);
		SAME(big, "[%05d][%-5d][%5d]", -42, -42, -42);
		SAME(big, "[%.3d][%.3d][%8.3d][%-8.3d]", 5, -5, -5, 5);
		SAME(big, "[%1d][%2d]", 123, -123);
		SAME(big, "[%08x][%-8x][%.4x]", 0xabcu, 0xabcu, 0xfu);
		SAME(big, "[%7s][%8u][%3ld]", "-", 7u, -1L);
		SAME(big, "[%*d][%*d][%-*d]", 6, 42, -6, 42, 4, 1);
		SAME(big, "[%02lu:%03lu]", 7UL, 5UL);
		SAME(big, "[%5lu.%03lu] ", 12UL, 7UL);
		SAME(big, "%lum%02lus %luh%02lum %lud%02luh", 3UL, 4UL, 1UL, 2UL, 2UL, 3UL);
		verdict();
	}
	TEST("fmt: strings and characters like snprintf") {
		begin();
		SAME(big, "%s", "");
		SAME(big, "[%s][%10s][%-10s]", "abc", "abc", "abc");
		SAME(big, "[%.2s][%.0s][%.10s]", "abcdef", "abc", "abc");
		SAME(big, "[%.*s][%.*s][%.*s]", 3, "abcdef", 0, "abc", -1, "abc");
		SAME(big, "[%*s][%-*s]", 4, "x", 4, "y");
		SAME(big, "[%c][%3c][%-3c]", 'x', 'y', 'z');
		SAME(big, "100%% %%d %s%%", "sure");
		SAME(big, "unknown key '%.*s' in [lifeline]", 3, "fooBAR");
		SAME(big, "%-16s %-8s %-11s %7s %8s %8u  %-24s %s\n", "sshd", "service", "running",
		     "4242", "1m05s", 3u, "exited 1", "-");
		verdict();
	}
	TEST("fmt: truncation like snprintf") {
		begin();
		for (size_t cap = 0; cap < 12; cap++) {
			SAME(cap, "exited %d", 137);
			SAME(cap, "%s/%s", "/usr/bin", "sh");
			SAME(cap, "[%5d]", -42);
			SAME(cap, "%-6s|", "ab");
		}
		verdict();
	}
}
