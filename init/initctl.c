/* See initctl.h.  The FIFO is opened O_RDWR: lifeline holds a write end
 * itself, so a writer that goes away never turns into an endless EOF, and
 * O_NONBLOCK keeps every read from waiting. */
#define _GNU_SOURCE
#include "initctl.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

/* reads per wake-up: the loop has other work; level-triggered epoll comes
 * back for the rest */
#define READS_PER_EVENT 8
#define RECS_PER_READ 4

static struct {
	int fd;
	int served;             /* a request to go down was passed on */
	uint64_t second;        /* the second in_second counts */
	uint32_t in_second;     /* records (or parts) read in that second */
	uint64_t paused_until;  /* not watched until then (0: watched) */
	uint64_t log_next;      /* no line about ignored requests before */
	uint32_t unlogged;      /* ignored since the last line */
	uint64_t ignored;       /* ignored in all */
	char path[64];
} ic = { .fd = -1 };

static unsigned char buf[RECS_PER_READ * INITCTL_REQ_SIZE];

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);        /* the writer's byte order: the machine's */
	return v;
}

enum initctl_kind initctl_parse(const unsigned char *rec, size_t len, uint32_t *arg)
{
	*arg = (uint32_t)len;
	if (len < INITCTL_REQ_SIZE)
		return INITCTL_SHORT;
	/* struct init_request: int magic, cmd, runlevel, sleeptime; 368 more */
	uint32_t magic = get32(rec), cmd = get32(rec + 4), level = get32(rec + 8);
	if (magic != INITCTL_MAGIC) {
		*arg = magic;
		return INITCTL_BAD_MAGIC;
	}
	if (cmd != INITCTL_CMD_RUNLVL) {
		*arg = cmd;
		return INITCTL_OTHER_CMD;
	}
	*arg = level;
	return level == '0' ? INITCTL_POWEROFF : level == '6' ? INITCTL_REBOOT
							      : INITCTL_OTHER_LEVEL;
}

void initctl_scan_buf(const unsigned char *b, size_t len, struct initctl_scan *s)
{
	memset(s, 0, sizeof *s);
	s->request = -1;
	s->first_bad = -1;
	for (size_t off = 0; off < len; off += INITCTL_REQ_SIZE) {
		size_t l = len - off < INITCTL_REQ_SIZE ? len - off : INITCTL_REQ_SIZE;
		uint32_t arg;
		enum initctl_kind k = initctl_parse(b + off, l, &arg);
		s->n[k]++;
		if (k <= INITCTL_REBOOT) {
			if (s->request < 0)
				s->request = k;
		} else if (s->first_bad < 0) {
			s->first_bad = k;
			s->first_bad_arg = arg;
		}
	}
}

int initctl_open(const char *path, int replace_fifo)
{
	struct stat st;
	fmt(ic.path, sizeof ic.path, "%s", path);
	if (mkfifo(path, 0600) < 0) {
		if (errno != EEXIST) {
			log_msg(LOG_ERR, "initctl: cannot make %s: %s; the system's poweroff and "
				"reboot will not reach lifeline (lifelinectl does)", path,
				strerror(errno));
			return -1;
		}
		/* a FIFO can only be stale here: lifeline is the one init; but a
		 * file, a directory or a link is someone's doing, and in a PID
		 * namespace /run may be the host's */
		if (!replace_fifo || lstat(path, &st) < 0 || !S_ISFIFO(st.st_mode)) {
			log_msg(LOG_ERR, "initctl: %s exists and is not lifeline's: left alone; the "
				"system's poweroff and reboot will not reach lifeline (lifelinectl "
				"does)", path);
			return -1;
		}
		if (unlink(path) < 0 || mkfifo(path, 0600) < 0) {
			log_msg(LOG_ERR, "initctl: cannot replace the stale FIFO %s: %s", path,
				strerror(errno));
			return -1;
		}
		log_msg(LOG_NOTICE, "initctl: replaced a stale FIFO at %s", path);
	}
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		log_msg(LOG_ERR, "initctl: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	/* swapped between mkfifo and open?  Only a FIFO is read.  The umask
	 * may have taken bits from 0600; only root reads or writes it. */
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    ((st.st_uid || st.st_gid) && fchown(fd, 0, 0) < 0) || fchmod(fd, 0600) < 0) {
		log_msg(LOG_ERR, "initctl: %s is not a FIFO lifeline can own: left alone", path);
		close(fd);
		return -1;
	}
	if (loop_add(fd, LOOP_TAG(TAG_INITCTL, 0)) < 0) {
		log_msg(LOG_ERR, "initctl: cannot watch %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	ic.fd = fd;
	return fd;
}

static void describe(char *d, size_t cap, int kind, uint32_t arg)
{
	switch (kind) {
	case INITCTL_POWEROFF:
	case INITCTL_REBOOT:
		fmt(d, cap, "runlevel %c (already going down)", (char)arg);
		break;
	case INITCTL_OTHER_LEVEL:
		if (arg > 0x20 && arg < 0x7f)
			fmt(d, cap, "runlevel %c (lifeline serves 0 and 6)", (char)arg);
		else
			fmt(d, cap, "runlevel %u (lifeline serves 0 and 6)", arg);
		break;
	case INITCTL_OTHER_CMD:
		fmt(d, cap, "command %u (lifeline serves runlevel changes only)", arg);
		break;
	case INITCTL_BAD_MAGIC:
		fmt(d, cap, "a record with a bad magic 0x%x", arg);
		break;
	default:
		fmt(d, cap, "a short record (%u bytes)", arg);
		break;
	}
}

/* count ignored records; a line at most once per INITCTL_LOG_GAP_MS, the
 * rest said by initctl_tick once the gap is over */
static void ignored(uint32_t count, int kind, uint32_t arg, uint64_t now)
{
	ic.ignored += count;
	ic.unlogged += count;
	if (now < ic.log_next)
		return;
	char d[96];
	describe(d, sizeof d, kind, arg);
	if (ic.unlogged > 1)
		log_msg(LOG_WARN, "initctl: ignored %s via %s, and %u more", d, ic.path,
			ic.unlogged - 1);
	else
		log_msg(LOG_WARN, "initctl: ignored %s via %s", d, ic.path);
	ic.unlogged = 0;
	ic.log_next = now + INITCTL_LOG_GAP_MS;
}

static int take(const struct initctl_scan *s, uint64_t now)
{
	uint32_t bad = 0;
	for (int k = INITCTL_OTHER_LEVEL; k < INITCTL_NKINDS; k++)
		bad += s->n[k];
	if (bad)
		ignored(bad, s->first_bad, s->first_bad_arg, now);
	if (s->request < 0)
		return -1;
	uint32_t asks = s->n[INITCTL_POWEROFF] + s->n[INITCTL_REBOOT];
	char level = s->request == INITCTL_POWEROFF ? '0' : '6';
	if (ic.served) {
		ignored(asks, s->request, (uint32_t)level, now);
		return -1;
	}
	ic.served = 1;
	if (asks > 1)
		ignored(asks - 1, s->request, (uint32_t)level, now);
	/* a FIFO has no peer credentials: the path is all there is to say */
	log_msg(LOG_NOTICE, "initctl: runlevel %c requested via %s", level, ic.path);
	return s->request == INITCTL_POWEROFF ? (int)RB_POWER_OFF : (int)RB_AUTOBOOT;
}

int initctl_event(uint64_t now)
{
	int req = -1;
	if (ic.fd < 0 || ic.paused_until)
		return -1;
	if (now / 1000 != ic.second) {
		ic.second = now / 1000;
		ic.in_second = 0;
	}
	for (int k = 0; k < READS_PER_EVENT; k++) {
		if (ic.in_second >= INITCTL_RECORDS_PER_SEC) {
			/* a flood: not read again before the next second */
			ic.paused_until = (now / 1000 + 1) * 1000;
			loop_mod(ic.fd, 0, LOOP_TAG(TAG_INITCTL, 0));
			break;
		}
		ssize_t n = read(ic.fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;          /* EAGAIN: all read (never EOF: we hold a write end) */
		ic.in_second += (uint32_t)((n + INITCTL_REQ_SIZE - 1) / INITCTL_REQ_SIZE);
		struct initctl_scan s;
		initctl_scan_buf(buf, (size_t)n, &s);
		int r = take(&s, now);
		if (r != -1 && req == -1)
			req = r;
	}
	return req;
}

void initctl_tick(uint64_t now)
{
	if (ic.paused_until && now >= ic.paused_until) {
		ic.paused_until = 0;
		if (ic.fd >= 0)
			loop_mod(ic.fd, EPOLLIN, LOOP_TAG(TAG_INITCTL, 0));
	}
	if (ic.unlogged && now >= ic.log_next) {
		log_msg(LOG_WARN, "initctl: ignored %u more request(s) via %s", ic.unlogged,
			ic.path);
		ic.unlogged = 0;
		ic.log_next = now + INITCTL_LOG_GAP_MS;
	}
}

uint64_t initctl_next_deadline(void)
{
	uint64_t d = ic.paused_until;
	if (ic.unlogged && (!d || ic.log_next < d))
		d = ic.log_next;
	return d;
}

void initctl_close(void)
{
	if (ic.fd < 0)
		return;
	loop_del(ic.fd);
	close(ic.fd);
	unlink(ic.path);
	ic.fd = -1;
}
