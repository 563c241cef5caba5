/* A bounded text buffer for control responses.  Output past the end is
 * dropped and remembered, never overflows. */
#ifndef LIFELINE_OUTBUF_H
#define LIFELINE_OUTBUF_H
#include <stddef.h>

struct outbuf {
	char *buf;
	size_t cap, len;
	int truncated;
};

void ob_init(struct outbuf *o, char *buf, size_t cap);
void ob_printf(struct outbuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ob_puts(struct outbuf *o, const char *s);
/* Insert s before what is there (what no longer fits is dropped). */
void ob_prepend(struct outbuf *o, const char *s);
/* s as a JSON string literal, quotes included. */
void ob_json_str(struct outbuf *o, const char *s);

#endif
