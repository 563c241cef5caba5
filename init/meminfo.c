/* See meminfo.h.  Both files are read whole into a buffer on the stack
 * and parsed with bounds: the text need not be NUL-terminated. */
#define _GNU_SOURCE
#include "meminfo.h"
#include "scan.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* A decimal number at buf[*i] (spaces first), saturating; *i moves past
 * it.  -1 if there are no digits. */
static int num_at(const char *buf, int len, int *i, uint64_t *out)
{
	uint64_t v = 0;
	int j = *i, d = 0;
	while (j < len && (buf[j] == ' ' || buf[j] == '\t'))
		j++;
	for (; j < len && buf[j] >= '0' && buf[j] <= '9'; j++, d++) {
		uint64_t c = (uint64_t)(buf[j] - '0');
		v = v > (UINT64_MAX - c) / 10 ? UINT64_MAX : v * 10 + c;
	}
	*i = j;
	*out = v;
	return d ? 0 : -1;
}

/* 1 if the line starting at buf[i] begins with key. */
static int starts(const char *buf, int len, int i, const char *key)
{
	int n = (int)strlen(key);
	return len - i >= n && !memcmp(buf + i, key, (size_t)n);
}

static int next_line(const char *buf, int len, int i)
{
	while (i < len && buf[i] != '\n')
		i++;
	return i < len ? i + 1 : len;
}

int meminfo_parse(const char *buf, int len, struct meminfo *m)
{
	static const char *const keys[] = {
		"MemTotal:", "MemAvailable:", "SwapTotal:", "SwapFree:", "Shmem:",
	};
	uint64_t *fields[] = { &m->total_kb, &m->avail_kb, &m->swap_total_kb,
			       &m->swap_free_kb, &m->shmem_kb };
	int found = 0;
	memset(m, 0, sizeof *m);
	for (int i = 0; i < len; i = next_line(buf, len, i)) {
		for (int k = 0; k < 5; k++) {
			if (!starts(buf, len, i, keys[k]))
				continue;
			int j = i + (int)strlen(keys[k]);
			uint64_t v;
			if (num_at(buf, len, &j, &v) == 0) {
				*fields[k] = v;
				found |= 1 << k;
			}
			break;
		}
	}
	return (found & 3) == 3 ? 0 : -1;
}

int meminfo_read(const char *proc_root, struct meminfo *m)
{
	/* the four fields are in the first 16 lines: a longer file's tail
	 * can be cut off without harm */
	char path[256], buf[2048];
	fmt(path, sizeof path, "%s/meminfo", proc_root);
	int len = scan_read_file(path, buf, sizeof buf);
	if (len < 0) {
		memset(m, 0, sizeof *m);
		return -1;
	}
	return meminfo_parse(buf, len, m);
}

/* "1.23" -> 123: the kernel prints exactly two decimals, but be lenient. */
static uint32_t hundredths(const char *buf, int len, int *i)
{
	uint64_t whole = 0, frac = 0;
	if (num_at(buf, len, i, &whole) < 0)
		return 0;
	if (*i < len && buf[*i] == '.') {
		int digits = 0;
		for ((*i)++; *i < len && buf[*i] >= '0' && buf[*i] <= '9'; (*i)++)
			if (digits < 2) {
				frac = frac * 10 + (uint64_t)(buf[*i] - '0');
				digits++;
			}
		if (digits == 1)
			frac *= 10;
	}
	/* a share of time: never above 100% */
	return whole >= 100 ? 10000 : (uint32_t)(whole * 100 + frac);
}

/* One "some ..." or "full ..." line from buf[i]: the named fields. */
static void psi_line(const char *buf, int len, int i, uint32_t avg[3], uint64_t *total)
{
	static const char *const keys[] = { "avg10=", "avg60=", "avg300=", "total=" };
	int end = next_line(buf, len, i);
	while (i < end) {
		if (buf[i] == ' ') {
			i++;
			continue;
		}
		int k;
		for (k = 0; k < 4; k++)
			if (starts(buf, end, i, keys[k]))
				break;
		if (k < 3) {
			i += (int)strlen(keys[k]);
			avg[k] = hundredths(buf, end, &i);
		} else if (k == 3) {
			i += (int)strlen(keys[k]);
			num_at(buf, end, &i, total);
		}
		while (i < end && buf[i] != ' ')
			i++;
	}
}

int psi_parse(const char *buf, int len, struct psi *p)
{
	int some = 0;
	memset(p, 0, sizeof *p);
	for (int i = 0; i < len; i = next_line(buf, len, i)) {
		if (starts(buf, len, i, "some ")) {
			uint32_t a[3] = { 0, 0, 0 };
			psi_line(buf, len, i + 5, a, &p->some_total_us);
			p->some_avg10 = a[0];
			p->some_avg60 = a[1];
			p->some_avg300 = a[2];
			some = 1;
		} else if (starts(buf, len, i, "full ")) {
			uint32_t a[3] = { 0, 0, 0 };
			psi_line(buf, len, i + 5, a, &p->full_total_us);
			p->full_avg10 = a[0];
			p->full_avg60 = a[1];
			p->full_avg300 = a[2];
		}
	}
	return some ? 0 : -1;
}

int psi_read(const char *proc_root, struct psi *p)
{
	char path[256], buf[512];
	fmt(path, sizeof path, "%s/pressure/memory", proc_root);
	int len = scan_read_file(path, buf, sizeof buf);
	if (len < 0) {
		memset(p, 0, sizeof *p);
		return -1;
	}
	return psi_parse(buf, len, p);
}
