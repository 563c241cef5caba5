/* See watchdog.h.  One device open at a time.  The pets come from the
 * loop's timer, so a PID 1 stuck anywhere (in a syscall, in a busy loop,
 * stopped by a debugger) stops petting and the device resets the machine
 * after its timeout. */
#define _GNU_SOURCE
#include "watchdog.h"
#include "fmt.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* <linux/watchdog.h>, which musl's headers do not carry */
struct wd_info {
	uint32_t options, firmware_version;
	uint8_t identity[32];
};
#define WDIOC_GETSUPPORT _IOR('W', 0, struct wd_info)
#define WDIOC_KEEPALIVE _IOR('W', 5, int)
#define WDIOC_SETTIMEOUT _IOWR('W', 6, int)
#define WDIOC_GETTIMEOUT _IOR('W', 7, int)

#define PROBLEM_LEN 160

static struct {
	const struct watchdog_conf *conf;
	int fd;
	char device[PATH_MAX_LEN];      /* what fd is open on, or waited for */
	uint32_t want_s;                /* timeout asked for */
	uint32_t timeout_s;             /* what the device took (0: unknown) */
	uint32_t interval_ms;
	uint64_t next;                  /* next pet, or next open attempt */
	uint64_t last_pet, opened_at;
	uint64_t pets;
	uint32_t pet_failures;
	int said_missing;               /* "waiting for" logged since configure */
	int use_write;                  /* the ioctl is not there: pet by write */
	int settimeout_err;             /* errno of WDIOC_SETTIMEOUT, 0 if it worked */
	char identity[33];
	char problem[PROBLEM_LEN];      /* why it is not open */
	struct ratelimit rl;
} wdog_st = { .fd = -1 };

/* Between pets: as configured, else a quarter of the timeout; never more
 * than half the timeout the device uses. */
uint32_t watchdog_interval_ms(uint32_t conf_interval_ms, uint32_t timeout_ms)
{
	uint32_t i = conf_interval_ms ? conf_interval_ms : timeout_ms / 4;
	if (i > timeout_ms / 2)
		i = timeout_ms / 2;
	return i < 100 ? 100 : i;
}

static void pet(uint64_t now)
{
	int r = wdog_st.use_write ? -1 : ioctl(wdog_st.fd, WDIOC_KEEPALIVE, 0);
	if (r < 0 && !wdog_st.use_write &&
	    (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP)) {
		/* any write pets a watchdog device; 'V' is kept for the close */
		wdog_st.use_write = 1;
		log_msg(LOG_NOTICE, "watchdog: %s has no WDIOC_KEEPALIVE: petting by write",
			wdog_st.device);
	}
	if (wdog_st.use_write)
		r = write(wdog_st.fd, ".", 1) == 1 ? 0 : -1;
	if (r == 0) {
		wdog_st.pets++;
		wdog_st.last_pet = now;
		return;
	}
	wdog_st.pet_failures++;
	if (ratelimit_take(&wdog_st.rl, now))
		log_msg(LOG_ERR, "watchdog: petting %s: %s", wdog_st.device, strerror(errno));
}

static void open_device(uint64_t now)
{
	const struct watchdog_conf *c = wdog_st.conf;
	wdog_st.next = now + watchdog_interval_ms(c->interval_ms, c->timeout_ms);
	/* O_NONBLOCK, kept: a FIFO put at the path would hold PID 1 in open()
	 * until a reader came (now ENXIO, tried again later), and in write()
	 * once its reader stopped reading (now EAGAIN, logged).  A watchdog
	 * driver ignores the flag. */
	int fd = open(wdog_st.device, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fmt(wdog_st.problem, sizeof wdog_st.problem, "waiting for %s (%s)", wdog_st.device,
		    strerror(errno));
		if (!wdog_st.said_missing++)
			log_msg(LOG_WARN, "watchdog: %s; trying again every %ums", wdog_st.problem,
				watchdog_interval_ms(c->interval_ms, c->timeout_ms));
		return;
	}
	wdog_st.fd = fd;
	wdog_st.problem[0] = '\0';
	wdog_st.use_write = 0;
	wdog_st.opened_at = now;
	wdog_st.want_s = (c->timeout_ms + 999) / 1000;
	int t = (int)wdog_st.want_s;
	wdog_st.settimeout_err = ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0 ? errno : 0;
	/* what the driver took (it may round, or cap at its maximum) */
	t = 0;
	wdog_st.timeout_s = ioctl(fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0 ? (uint32_t)t : 0;
	struct wd_info info;
	memset(&info, 0, sizeof info);
	if (ioctl(fd, WDIOC_GETSUPPORT, &info) == 0)
		fmt(wdog_st.identity, sizeof wdog_st.identity, "%.32s", (const char *)info.identity);
	else
		wdog_st.identity[0] = '\0';
	uint32_t t_ms = wdog_st.timeout_s ? wdog_st.timeout_s * 1000 : c->timeout_ms;
	wdog_st.interval_ms = watchdog_interval_ms(c->interval_ms, t_ms);
	pet(now);
	wdog_st.next = now + wdog_st.interval_ms;
	if (wdog_st.settimeout_err)
		log_msg(LOG_WARN, "watchdog: %s: cannot set the timeout to %us (%s); it uses %s%us",
			wdog_st.device, wdog_st.want_s, strerror(wdog_st.settimeout_err),
			wdog_st.timeout_s ? "" : "its own, ",
			wdog_st.timeout_s ? wdog_st.timeout_s : wdog_st.want_s);
	log_msg(LOG_NOTICE, "watchdog: %s%s%s%s open, timeout %us, petted every %ums", wdog_st.device,
		wdog_st.identity[0] ? " (" : "", wdog_st.identity, wdog_st.identity[0] ? ")" : "",
		wdog_st.timeout_s ? wdog_st.timeout_s : wdog_st.want_s, wdog_st.interval_ms);
}

void watchdog_release(void)
{
	if (wdog_st.fd < 0)
		return;
	/* the magic close: 'V', then close, and the driver stops the timer
	 * (unless it was built with nowayout) */
	if (write(wdog_st.fd, "V", 1) != 1)
		log_msg(LOG_ERR, "watchdog: %s: magic close: %s", wdog_st.device, strerror(errno));
	close(wdog_st.fd);
	wdog_st.fd = -1;
	log_msg(LOG_NOTICE, "watchdog: %s closed (magic close)", wdog_st.device);
}

void watchdog_configure(const struct config *c, uint64_t now)
{
	const struct watchdog_conf *wc = &c->wd;
	int same = wdog_st.fd >= 0 && wc->present && !strcmp(wdog_st.device, wc->device) &&
		   wdog_st.want_s == (wc->timeout_ms + 999) / 1000;
	wdog_st.conf = wc;
	if (same) {
		/* only the interval may have changed */
		uint32_t t_ms = wdog_st.timeout_s ? wdog_st.timeout_s * 1000 : wc->timeout_ms;
		wdog_st.interval_ms = watchdog_interval_ms(wc->interval_ms, t_ms);
		if (wdog_st.next > now + wdog_st.interval_ms)
			wdog_st.next = now + wdog_st.interval_ms;
		return;
	}
	watchdog_release();
	wdog_st.problem[0] = '\0';
	wdog_st.said_missing = 0;
	wdog_st.pets = 0;
	wdog_st.pet_failures = 0;
	wdog_st.timeout_s = 0;
	ratelimit_reset(&wdog_st.rl);
	if (!wc->present) {
		wdog_st.conf = NULL;
		return;
	}
	fmt(wdog_st.device, sizeof wdog_st.device, "%s", wc->device);
	open_device(now);
}

void watchdog_tick(uint64_t now)
{
	if (!wdog_st.conf || now < wdog_st.next)
		return;
	if (wdog_st.fd < 0) {
		open_device(now);
		return;
	}
	pet(now);
	wdog_st.next = now + wdog_st.interval_ms;
}

uint64_t watchdog_next_deadline(void)
{
	return wdog_st.conf ? wdog_st.next : 0;
}

void watchdog_status_text(struct outbuf *o, uint64_t now)
{
	char ago[16], every[16];
	if (!wdog_st.conf)
		return;
	if (wdog_st.fd < 0) {
		ob_printf(o, "watchdog: %s\n", wdog_st.problem[0] ? wdog_st.problem : "closed");
		return;
	}
	fmt_duration(now - wdog_st.last_pet, ago, sizeof ago);
	fmt_duration(wdog_st.interval_ms, every, sizeof every);
	ob_printf(o, "watchdog: %s, timeout %us%s, petted %s ago (every %s)", wdog_st.device,
		  wdog_st.timeout_s ? wdog_st.timeout_s : wdog_st.want_s,
		  wdog_st.timeout_s ? "" : " (not confirmed)",
		  wdog_st.pets ? ago : "never", every);
	if (wdog_st.pet_failures)
		ob_printf(o, ", %u failed pets", wdog_st.pet_failures);
	ob_puts(o, "\n");
}

void watchdog_status_json(struct outbuf *o, uint64_t now)
{
	if (!wdog_st.conf) {
		ob_puts(o, "\"watchdog\":{\"enabled\":false},");
		return;
	}
	ob_puts(o, "\"watchdog\":{\"enabled\":true,\"device\":");
	ob_json_str(o, wdog_st.device);
	ob_printf(o, ",\"open\":%s,\"identity\":", wdog_st.fd >= 0 ? "true" : "false");
	if (wdog_st.fd >= 0 && wdog_st.identity[0])
		ob_json_str(o, wdog_st.identity);
	else
		ob_puts(o, "null");
	ob_printf(o, ",\"timeout_s\":%u,\"timeout_set\":%s,\"interval_ms\":%u,\"pets\":%lu,"
		  "\"failed_pets\":%u,\"last_pet_ms_ago\":",
		  wdog_st.timeout_s ? wdog_st.timeout_s : wdog_st.want_s,
		  wdog_st.fd >= 0 && !wdog_st.settimeout_err ? "true" : "false",
		  wdog_st.fd >= 0 ? wdog_st.interval_ms : 0u,
		  (unsigned long)wdog_st.pets, wdog_st.pet_failures);
	if (wdog_st.fd >= 0 && wdog_st.pets)
		ob_printf(o, "%lu", (unsigned long)(now - wdog_st.last_pet));
	else
		ob_puts(o, "null");
	ob_puts(o, ",\"problem\":");
	if (wdog_st.fd < 0 && wdog_st.problem[0])
		ob_json_str(o, wdog_st.problem);
	else
		ob_puts(o, "null");
	ob_puts(o, "},");
}
