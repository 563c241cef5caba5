#include "scan.h"

#include <string.h>

const char *scan_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return hay;
	for (; *hay; hay++)
		if (*hay == *needle && !strncmp(hay, needle, n))
			return hay;
	return NULL;
}

static int digit(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0'
	      : c >= 'a' && c <= 'f' ? c - 'a' + 10
	      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < base ? d : -1;
}

uint64_t scan_uint(const char *s, int base, const char **end)
{
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	for (int d; (d = digit(*s, base)) >= 0; s++)
		v = v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base ? UINT64_MAX
								     : v * (uint64_t)base + (uint64_t)d;
	if (end)
		*end = s;
	return v;
}
