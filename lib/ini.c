/* The one INI line reader of lifeline.conf and peer.conf: see ini.h for
 * the syntax.  Pure functions over the caller's line: nothing allocated,
 * nothing kept between calls (PID 1 parses with it after start). */
#include "ini.h"
#include "fmt.h"

#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void fail(struct ini_line *out, int col, const char *msg, int header)
{
	out->kind = INI_ERROR;
	out->error = msg;
	out->error_col = col;
	out->header = header;
}

/* l[0] is '['; col0 its column. */
static void header(const char *l, int len, int col0, struct ini_line *out)
{
	int end = 1, i;
	while (end < len && l[end] != ']')
		end++;
	if (end >= len) {
		fail(out, col0 + len, "missing ']' at end of section header", 1);
		return;
	}
	for (i = end + 1; i < len && l[i] != '#'; i++)
		if (!is_blank(l[i])) {
			fail(out, col0 + i, "unexpected text after ']'", 1);
			return;
		}
	for (i = 1; i < end && is_blank(l[i]); i++)
		;
	int ts = i;
	while (i < end && !is_blank(l[i]))
		i++;
	int tl = i - ts;
	while (i < end && is_blank(l[i]))
		i++;
	int ne = end;
	while (ne > i && is_blank(l[ne - 1]))
		ne--;
	out->kind = INI_SECTION;
	out->open_col = col0;
	out->type = l + ts;
	out->type_len = tl;
	out->type_col = col0 + ts;
	out->name = l + i;
	out->name_len = ne - i;
	out->name_col = col0 + i;
	out->close_col = col0 + end;
}

/* Where the value starting at vs ends: at the line's end, or at a '#'
 * after a blank, outside quotes; blanks before it dropped. */
static int value_end(const char *l, int vs, int len)
{
	char q = 0;
	int ve = len;
	for (int k = vs; k < len; k++) {
		char c = l[k];
		if (q) {
			if (c == '\\' && q == '"' && k + 1 < len)
				k++;
			else if (c == q)
				q = 0;
		} else if (c == '\'' || c == '"') {
			q = c;
		} else if (c == '\\' && k + 1 < len) {
			k++;
		} else if (c == '#' && k > 0 && is_blank(l[k - 1])) {
			ve = k;
			break;
		}
	}
	while (ve > vs && is_blank(l[ve - 1]))
		ve--;
	return ve;
}

static int key_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void ini_parse_line(const char *l, int len, struct ini_line *out)
{
	int i = 0;
	memset(out, 0, sizeof *out);
	if (len > 0 && l[len - 1] == '\r')
		len--;
	while (i < len && is_blank(l[i]))
		i++;
	if (i >= len || l[i] == '#' || l[i] == ';') {
		out->kind = INI_BLANK;
		return;
	}
	for (int k = i; k < len; k++)
		if ((unsigned char)l[k] < 0x20 && l[k] != '\t') {
			fail(out, k + 1, "control character in line", 0);
			return;
		}
	if (l[i] == '[') {
		header(l + i, len - i, i + 1, out);
		return;
	}
	int ks = i;
	while (i < len && key_char(l[i], i == ks))
		i++;
	int kl = i - ks;
	while (i < len && is_blank(l[i]))
		i++;
	if (kl == 0 || i >= len || l[i] != '=') {
		if (kl)
			fail(out, i + 1, "expected '=' after key", 0);
		else
			fail(out, ks + 1, "expected 'key = value' or [section]", 0);
		return;
	}
	i++;
	while (i < len && is_blank(l[i]))
		i++;
	out->kind = INI_KEY;
	out->key = l + ks;
	out->key_len = kl;
	out->key_col = ks + 1;
	out->value = l + i;
	out->value_len = value_end(l, i, len) - i;
	out->value_col = i + 1;
}

const char *ini_next_line(const char *buf, size_t len, size_t *pos, size_t *n)
{
	if (*pos >= len)
		return NULL;
	const char *s = buf + *pos;
	const char *nl = memchr(s, '\n', len - *pos);
	*n = nl ? (size_t)(nl - s) : len - *pos;
	*pos += *n + 1;
	return s;
}

void ini_vreport(ini_report_fn fn, void *ctx, const char *file, int line, int col,
		 size_t cap, const char *f, va_list ap)
{
	char msg[512];
	if (!fn)
		return;
	vfmt(msg, cap < sizeof msg ? cap : sizeof msg, f, ap);
	fn(ctx, file, line, col, msg);
}

int ini_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}
