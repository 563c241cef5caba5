/* Inside the config module; the rest of init/ sees config.h only.
 *
 * config.c reads the lines (lib/ini.c), keeps the parser's section
 * (enum config_section) and hands each key to its section's handler
 * (config_service.c and config_ttys.c, config_memory.c,
 * config_escalation.c), which checks the value and writes it into the
 * struct config with the helpers of config_value.c.  Calls go down that
 * list only: config.c -> the sections' files -> config_value.c (ttys
 * below service), so no circle (tests/static/deps.sh). */
#ifndef LIFELINE_CONFIG_INT_H
#define LIFELINE_CONFIG_INT_H
#include "config.h"
#include "ini.h"
#include <stdint.h>

/* In a key handler (k, kl: the key): is it s? */
#define KEY(s) (kl == (int)sizeof(s) - 1 && !strncmp(k, s, sizeof(s) - 1))

/* The signature of every section's key handler: the key k (kl bytes) at
 * column kcol, its value v (vl bytes, not empty) at vcol. */
#define CONF_KEY_ARGS struct config_parser *p, int lineno, int kcol, const char *k, \
	int kl, int vcol, const char *v, int vl

/* config_value.c: reports.  conf_report counts in p->errors, conf_note in
 * p->notes; conf_report_at (column 1) counts nothing: its caller counts
 * an error or a missing program */
void conf_report(struct config_parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void conf_report_at(struct config_parser *p, const char *file, int line, const char *msg);
void conf_note(struct config_parser *p, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* config_value.c: values shared by the sections */
int conf_pool_take(struct config *c, int len);
int conf_parse_int(const char *s, int len, long lo, long hi, long *out);
int conf_parse_bool(const char *s, int len);
int conf_set_duration(struct config_parser *p, int lineno, int vcol, const char *v, int vl,
		      uint32_t *dst, int64_t min);
int conf_set_size(struct config_parser *p, int lineno, int vcol, const char *v, int vl,
		  uint64_t *dst, const char *key);
void conf_set_pids(struct config_parser *p, int lineno, int vcol, const char *v, int vl,
		   uint32_t *dst, const char *key);

static inline void conf_bit_set(uint32_t *b, int i) { b[i / 32] |= 1u << (i % 32); }
static inline int conf_bit_get(const uint32_t *b, int i) { return (b[i / 32] >> (i % 32)) & 1; }

/* config_value.c: where each unit's section began ("first defined at");
 * unit names and the lookup by name */
extern int conf_def_line[MAX_UNITS];
extern const char *conf_def_file[MAX_UNITS];
int conf_is_name_char(char c);
int conf_find_unit(const struct config *cfg, const char *name, int len);

/* config_service.c: [service], [boot], [shutdown] */
/* [TYPE NAME] for a unit kind: a new unit, or a report */
void conf_unit_section(struct config_parser *p, int lineno, int kind,
		       const struct ini_line *h);
void conf_unit_key(CONF_KEY_ARGS);
/* config_end for the units this parser added: exec found, defaults */
void conf_units_end(struct config_parser *p);

/* config_ttys.c: ttys = LIST, one unit per tty */
void conf_set_ttys(struct config_parser *p, int lineno, int kcol, int vcol, const char *v,
		   int vl);
/* The current section ends: its ttys = (if any) make its units. */
void conf_ttys_end(struct config_parser *p);

/* config_memory.c: [memory] */
void conf_memory_key(CONF_KEY_ARGS);

/* config_escalation.c: [keepalive], [rescue], [watchdog] */
void conf_keepalive_key(CONF_KEY_ARGS);
void conf_rescue_key(CONF_KEY_ARGS);
void conf_watchdog_key(CONF_KEY_ARGS);
/* The checks that need a whole section (it may continue in conf.d). */
void conf_escalation_end(struct config_parser *p);

#endif
