/* /run/initctl: the sysvinit request FIFO, so that a distribution's own
 * poweroff, reboot, halt and `shutdown -h now` reach lifeline.
 *
 * systemd's systemctl (Debian's /sbin/poweroff and friends), when systemd
 * is not running, writes one struct init_request to /run/initctl: 384
 * bytes, magic 0x03091969, cmd INIT_CMD_RUNLVL (1), runlevel '0' (halt,
 * poweroff) or '6' (reboot), in the machine's byte order.  lifeline serves
 * those two runlevels (both '0's power off: the record cannot tell a halt
 * from a poweroff) and logs and ignores everything else.  A FIFO gives no
 * peer credentials; it is made mode 0600, root's.
 *
 * Cost: nothing at rest (one fd in the loop, no timer); a writer gets at
 * most INITCTL_RECORDS_PER_SEC records read a second, then the FIFO is not
 * read until the next second; ignored requests make at most one log line
 * per INITCTL_LOG_GAP_MS.  Never allocates. */
#ifndef LIFELINE_INITCTL_H
#define LIFELINE_INITCTL_H
#include <stddef.h>
#include <stdint.h>

#define INITCTL_PATH "/run/initctl"
#define INITCTL_REQ_SIZE 384
#define INITCTL_MAGIC 0x03091969
#define INITCTL_CMD_RUNLVL 1
#define INITCTL_RECORDS_PER_SEC 2048
#define INITCTL_LOG_GAP_MS 10000

enum initctl_kind {
	INITCTL_POWEROFF,       /* runlevel '0' */
	INITCTL_REBOOT,         /* runlevel '6' */
	INITCTL_OTHER_LEVEL,    /* a runlevel change to another level */
	INITCTL_OTHER_CMD,      /* another command (setenv, powerfail, ...) */
	INITCTL_BAD_MAGIC,
	INITCTL_SHORT,          /* fewer than INITCTL_REQ_SIZE bytes */
	INITCTL_NKINDS
};

/* One record of len bytes: its kind; *arg gets the runlevel (a runlevel
 * change), the command (another command) or the magic (bad magic). */
enum initctl_kind initctl_parse(const unsigned char *rec, size_t len, uint32_t *arg);

/* What one read held: whole records in order, a shorter tail as one
 * INITCTL_SHORT. */
struct initctl_scan {
	int request;                    /* the first POWEROFF or REBOOT, or -1 */
	uint32_t n[INITCTL_NKINDS];     /* records of each kind */
	int first_bad;                  /* kind of the first ignored record, or -1 */
	uint32_t first_bad_arg;         /* its arg (the tail's length if SHORT) */
};
void initctl_scan_buf(const unsigned char *buf, size_t len, struct initctl_scan *s);

/* PID 1 only: make path a FIFO (mode 0600, root's) and watch it.  An
 * existing FIFO is replaced when replace_fifo (the machine's init: all of
 * /run is its own); anything else there is left alone.  -1 (logged) if the
 * FIFO cannot be served: lifelinectl still can. */
int initctl_open(const char *path, int replace_fifo);
/* The FIFO is readable: read (bounded), log, and return RB_POWER_OFF or
 * RB_AUTOBOOT for a request to go down, -1 for none. */
int initctl_event(uint64_t now);
void initctl_tick(uint64_t now);
uint64_t initctl_next_deadline(void);
/* Stop serving and remove the FIFO (going down). */
void initctl_close(void);

#endif
