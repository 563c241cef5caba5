/* Build-time sizes of every table lifeline keeps.  PID 1 never allocates:
 * whatever does not fit here is refused with a clear message. */
#ifndef LIFELINE_SIZES_H
#define LIFELINE_SIZES_H

#define MAX_UNITS 32          /* services + boot tasks + shutdown tasks */
#define NAME_MAX_LEN 32       /* service name, including NUL */
#define EXEC_MAX_LEN 384      /* command line, NUL-separated argv */
#define MAX_ARGS 32
#define ENV_MAX_LEN 256       /* NUL-separated KEY=VALUE list */
#define MAX_ENV 16
#define TTYS_MAX_LEN 128      /* a ttys = list (also: at most 16 ttys) */
#define PATH_MAX_LEN 128      /* resolved executable, cwd */
#define CONFIG_POOL 6144      /* all exec, env and cwd strings of a config */
#define USER_MAX_LEN 32
#define LINE_MAX_LEN 1024     /* one config line */
#define CONFIG_FILE_MAX (1 << 20) /* bytes read of one config file */
#define MAX_CONF_FILES 16     /* conf.d/\*.conf files, besides lifeline.conf */
#define LOG_RING_SIZE 16384   /* bytes of log kept for `lifelinectl log` */
#define LOG_LINE_MAX 256      /* one log record */
#define OUT_LINE_MAX 200      /* one captured line of service output */
#define MAX_CONNS 2           /* concurrent control connections */
#define CONN_OUT_SIZE 4096    /* a control answer in flight (long ones stream) */
#define MAX_GROUPS 32         /* supplementary groups of a service user */
#define STACK_PREFAULT (32 * 1024) /* deepest stack PID 1 uses, with margin */

#endif
