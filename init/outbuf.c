/* See outbuf.h.  printf and plain appends into a fixed buffer for the
 * answers of the control socket; what does not fit is dropped and the
 * buffer marked truncated. */
#include "outbuf.h"
#include "fmt.h"

#include <stdarg.h>
#include <string.h>

void ob_init(struct outbuf *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->truncated = 0;
	if (cap)
		buf[0] = '\0';
}

void ob_printf(struct outbuf *o, const char *fmt, ...)
{
	if (o->len + 1 >= o->cap) {
		o->truncated = 1;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vfmt(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= o->cap - o->len) {
		o->truncated = 1;
		o->len = o->cap - 1;
	} else {
		o->len += (size_t)n;
	}
}

void ob_puts(struct outbuf *o, const char *s)
{
	ob_printf(o, "%s", s);
}

void ob_json_str(struct outbuf *o, const char *s)
{
	ob_puts(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			ob_printf(o, "\\%c", c);
		else if (c < 0x20)
			ob_printf(o, "\\u%04x", c);
		else
			ob_printf(o, "%c", c);
	}
	ob_puts(o, "\"");
}

void ob_prepend(struct outbuf *o, const char *s)
{
	size_t n = strlen(s);
	if (o->cap == 0)
		return;
	if (n >= o->cap)
		n = o->cap - 1;
	size_t keep = o->len;
	if (keep + n >= o->cap) {
		keep = o->cap - 1 - n;
		o->truncated = 1;
	}
	memmove(o->buf + n, o->buf, keep);
	memcpy(o->buf, s, n);
	o->len = keep + n;
	o->buf[o->len] = '\0';
}
