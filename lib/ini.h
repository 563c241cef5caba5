/* The one INI line reader of lifeline.conf(5) and peer.conf(5).
 *
 * A line is one of: blank or a comment ('#' or ';' first), a section
 * header "[TYPE NAME]" (NAME optional; a comment may follow ']'), or
 * "key = value".  A key is a lower-case letter or '_', then lower-case
 * letters, digits and '_'.  A value runs to the end of the line, or to a
 * '#' after a blank that is outside '' or "" quotes (a backslash escapes
 * the next character, in "" too); blanks around it are dropped.  Quotes
 * stay in the value: what they mean is the key's business (exec splits
 * words at them).  A control character anywhere (a tab aside) is an
 * error, as is a line without '='.  No continuation lines.
 *
 * The reader never allocates and never copies: the parsers of both files
 * call ini_parse_line on each line and get pointers into it, with 1-based
 * columns for their messages. */
#ifndef LIFELINE_INI_H
#define LIFELINE_INI_H
#include <stdarg.h>
#include <stddef.h>

enum ini_kind {
	INI_BLANK,      /* nothing: blank, or a comment */
	INI_SECTION,    /* [type name] */
	INI_KEY,        /* key = value (the value may be empty) */
	INI_ERROR,      /* error at error_col; header: it was a broken [...] */
};

struct ini_line {
	enum ini_kind kind;
	/* INI_SECTION: the columns of '[' and ']', the first word between
	 * them (type) and the rest (name: blanks around it dropped, name_len
	 * 0 if none) */
	const char *type, *name;
	int open_col, type_len, type_col, name_len, name_col, close_col;
	/* INI_KEY */
	const char *key, *value;
	int key_len, key_col, value_len, value_col;
	/* INI_ERROR: what, where; header: the line began with '[', so the
	 * section before it has ended */
	const char *error;
	int error_col, header;
};

/* Read one line (len bytes, no '\n'; a final '\r' is dropped) into *out.
 * Always fills out->kind. */
void ini_parse_line(const char *line, int len, struct ini_line *out);

/* The next line of buf at *pos (its length without the '\n' in *n), *pos
 * moved past it; NULL when buf is done. */
const char *ini_next_line(const char *buf, size_t len, size_t *pos, size_t *n);

/* Both files report problems so: file:line:col: msg. */
typedef void (*ini_report_fn)(void *ctx, const char *file, int line, int col,
			      const char *msg);

/* Format a message (at most cap - 1 bytes, cap <= 512) and hand it to fn,
 * if fn is not NULL. */
void ini_vreport(ini_report_fn fn, void *ctx, const char *file, int line, int col,
		 size_t cap, const char *f, va_list ap) __attribute__((format(printf, 7, 0)));

/* 1 if the len bytes at s are word (a keyword comparison for keys and
 * values: "yes", "always", ...). */
int ini_is(const char *s, size_t len, const char *word);

#endif
