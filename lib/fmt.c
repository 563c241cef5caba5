/* See fmt.h.  lifeline's own snprintf, and the formatting built on it:
 * into a caller's buffer, never allocating, no floating point, no locale. */
#include "fmt.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct sink {
	char *buf;
	size_t cap, n;
};

static void put(struct sink *s, char c)
{
	if (s->n + 1 < s->cap)
		s->buf[s->n] = c;
	s->n++;
}

static void pad(struct sink *s, char c, int count)
{
	while (count-- > 0)
		put(s, c);
}

/* One field: text of length len, padded to width. */
static void field(struct sink *s, const char *text, int len, int width, int left,
		  char padc)
{
	if (!left)
		pad(s, padc, width - len);
	for (int i = 0; i < len; i++)
		put(s, text[i]);
	if (left)
		pad(s, ' ', width - len);
}

static int number(char *out, unsigned long long v, unsigned base, int neg, int prec)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < prec && n < (int)sizeof tmp)
		tmp[n++] = '0';
	int len = 0;
	if (neg)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

int vfmt(char *buf, size_t cap, const char *f, va_list ap)
{
	struct sink s = { buf, cap, 0 };
	for (; *f; f++) {
		if (*f != '%') {
			put(&s, *f);
			continue;
		}
		f++;
		int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
		for (;; f++) {
			if (*f == '-')
				left = 1;
			else if (*f == '0')
				zero = 1;
			else
				break;
		}
		if (*f == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = 1;
				width = -width;
			}
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				width = width * 10 + (*f++ - '0');
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				while (*f >= '0' && *f <= '9')
					prec = prec * 10 + (*f++ - '0');
			}
		}
		while (*f == 'l' || *f == 'z') {
			lng += *f == 'z' ? 2 : 1;
			f++;
		}
		char num[32];
		int len;
		switch (*f) {
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long)
				    : lng ? va_arg(ap, long) : va_arg(ap, int);
			unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
						     : (unsigned long long)v;
			if (v < 0 && zero && !left && prec < 0) {
				/* "-0042": the sign goes before the zeros */
				put(&s, '-');
				len = number(num, u, 10, 0, prec);
				field(&s, num, len, width - 1, 0, '0');
				break;
			}
			len = number(num, u, 10, v < 0, prec);
			field(&s, num, len, width, left, zero && !left && prec < 0 ? '0' : ' ');
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
					     : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			len = number(num, v, *f == 'x' ? 16 : 10, 0, prec);
			field(&s, num, len, width, left, zero && !left && prec < 0 ? '0' : ' ');
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			len = 0;
			while ((prec < 0 || len < prec) && str[len])
				len++;
			field(&s, str, len, width, left, ' ');
			break;
		}
		case 'c':
			num[0] = (char)va_arg(ap, int);
			field(&s, num, 1, width, left, ' ');
			break;
		case '%':
			put(&s, '%');
			break;
		default:        /* unknown conversion: copy it, visibly */
			put(&s, '%');
			if (!*f)
				f--;
			else
				put(&s, *f);
			break;
		}
	}
	if (cap)
		buf[s.n < cap ? s.n : cap - 1] = '\0';
	return (int)s.n;
}

int fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vfmt(buf, cap, f, ap);
	va_end(ap);
	return n;
}

void fmt_duration(uint64_t ms, char *buf, int cap)
{
	uint64_t s = ms / 1000;
	if (ms < 1000)
		fmt(buf, (size_t)cap, "%lums", (unsigned long)ms);
	else if (s < 60)
		fmt(buf, (size_t)cap, "%lu.%lus", (unsigned long)s,
			 (unsigned long)(ms % 1000) / 100);
	else if (s < 3600)
		fmt(buf, (size_t)cap, "%lum%02lus", (unsigned long)(s / 60),
			 (unsigned long)(s % 60));
	else if (s < 86400)
		fmt(buf, (size_t)cap, "%luh%02lum", (unsigned long)(s / 3600),
			 (unsigned long)(s % 3600 / 60));
	else
		fmt(buf, (size_t)cap, "%lud%02luh", (unsigned long)(s / 86400),
			 (unsigned long)(s % 86400 / 3600));
}

void fmt_size(int64_t bytes, char *buf, int cap)
{
	static const char unit[] = "KMGT";
	if (bytes < 0) {
		fmt(buf, (size_t)cap, "-");
		return;
	}
	if (bytes < 1024) {
		fmt(buf, (size_t)cap, "%ldB", (long)bytes);
		return;
	}
	int u = 0;
	uint64_t div = 1024;
	while (u < 3 && (uint64_t)bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	uint64_t tenths = ((uint64_t)bytes * 10 + div / 2) / div;
	if (tenths < 100 && tenths % 10)
		fmt(buf, (size_t)cap, "%lu.%lu%c", (unsigned long)(tenths / 10),
		    (unsigned long)(tenths % 10), unit[u]);
	else
		fmt(buf, (size_t)cap, "%lu%c", (unsigned long)((tenths + 5) / 10), unit[u]);
}

void fmt_write(int fd, const char *f, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, f);
	int n = vfmt(buf, sizeof buf, f, ap);
	va_end(ap);
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	if (n > 0)
		(void)!fmt_write_all(fd, buf, (size_t)n);
}

int fmt_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len) {
		ssize_t w = write(fd, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}
