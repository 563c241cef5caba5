/* See kcmdline.h. */
#define _GNU_SOURCE
#include "kcmdline.h"
#include "fmt.h"

#include <string.h>

static const char *const keep[] = { "root", "rootfstype", "rootflags", "console", "ip",
				     "ifname" };

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end of the parameter at s: the next space outside double quotes,
 * as the kernel's own parser splits them. */
static const char *word_end(const char *s)
{
	int quoted = 0;
	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && is_space(*s))
			break;
	}
	return s;
}

/* 1 if the parameter s..e is one the rescue system takes over.  A
 * leading quote ("console=ttyS0") is allowed, as the kernel allows it; a
 * quote left open is not: it would swallow what comes after it. */
static int wanted(const char *s, const char *e)
{
	int quotes = 0;
	for (const char *q = s; q < e; q++)
		quotes += *q == '"';
	if (quotes % 2)
		return 0;
	if (s < e && *s == '"')
		s++;
	for (unsigned i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		size_t n = strlen(keep[i]);
		if ((size_t)(e - s) > n && !strncmp(s, keep[i], n) && s[n] == '=')
			return 1;
	}
	return 0;
}

struct line {
	char *out;
	int cap, len, over;
};

static void add(struct line *l, const char *s, size_t n)
{
	if (!n || l->over)
		return;
	size_t need = (size_t)l->len + (l->len ? 1 : 0) + n;
	if (need >= (size_t)l->cap) {
		l->over = 1;
		return;
	}
	if (l->len)
		l->out[l->len++] = ' ';
	memcpy(l->out + l->len, s, n);
	l->len += (int)n;
	l->out[l->len] = '\0';
}

int kcmdline_build(char *out, int cap, const char *running, unsigned port, const char *extra,
		   int crash)
{
	struct line l = { out, cap, 0, 0 };
	if (cap < 1)
		return -1;
	out[0] = '\0';
	for (const char *s = running ? running : ""; *s;) {
		while (is_space(*s))
			s++;
		const char *e = word_end(s);
		if (e - s == 2 && s[0] == '-' && s[1] == '-')
			break;
		if (wanted(s, e))
			add(&l, s, (size_t)(e - s));
		s = e;
	}
	char p[32];
	int n = fmt(p, sizeof p, "lifeline.rescue_port=%u", port);
	add(&l, p, (size_t)n);
	/* [rescue] cmdline: as written, without surrounding spaces */
	const char *x = extra ? extra : "";
	while (is_space(*x))
		x++;
	size_t xl = strlen(x);
	while (xl && is_space(x[xl - 1]))
		xl--;
	add(&l, x, xl);
	if (crash)
		add(&l, "irqpoll nr_cpus=1 reset_devices", 31);
	return l.over ? -1 : l.len;
}
