/* What lifeline-peer serves: its status socket and the metrics file.
 *
 * Requests are read here without blocking, from a fixed table of
 * connections; a client that sends no complete line within CONN_READ_MS
 * is dropped.  `status` and `json` are answered by a forked child from its
 * copy of the tables, and the metrics file is written the same way, so a
 * slow reader or disk never holds up the loop.  The rescue requests change
 * the daemon's state, so the daemon answers them itself, from a fixed
 * buffer (the text is peer_ctl.c's; the output formats peer_out.c's). */
#define _GNU_SOURCE
#include "peer_daemon.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONN_READ_MS 2000       /* a request line must come within this */
#define METRICS_MIN_GAP_MS 1000 /* state changes rewrite it at most this often */

struct conn {
	int fd;                  /* -1: free */
	uint8_t got;
	char req[LP_CTL_LINE_MAX];
	int64_t deadline;
	struct ucred cr;
};

/* the status socket and its connections; children answering `status` */
static struct {
	int listen_fd;
	struct conn conn[LP_SERVER_CONNS];
	int nconns, nchildren;
} server_conns = { .listen_fd = -1 };

/* the child writing the metrics file, and when the next is due */
static struct {
	pid_t pid;
	int failing;
	int64_t next, last;
} server_metrics = { .last = -1000000 };

/* In a forked child: the connections still being read are the daemon's
 * (a copy held here would keep their clients from seeing the end of an
 * answer until this child exits). */
static void conns_close_others(int keep)
{
	for (int i = 0; i < LP_SERVER_CONNS; i++)
		if (server_conns.conn[i].fd >= 0 && server_conns.conn[i].fd != keep)
			close(server_conns.conn[i].fd);
}

/* ---- the metrics file ---- */

/* In the child: its copy of the tables is the snapshot. */
static void metrics_child(int64_t now)
{
	const struct lp_conf *c = &lp_hosts.conf;
	struct lp_view v = lp_hosts_view(now);
	char tmp[LP_PATH_MAX + 16];
	FILE *f;
	int ok;

	conns_close_others(-1);
	alarm(60);
	/* a new file of a name nobody could guess (mkstemp: O_EXCL, so no
	 * link planted in a directory others may write is followed), made
	 * readable by the exporter that reads the directory, then renamed;
	 * not named *.prom, which the exporter would read half-written */
	fmt(tmp, sizeof tmp, "%s.XXXXXX", c->metrics);
	int fd = mkstemp(tmp);
	f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (!server_metrics.failing)
			lp_log(3, "event=error metrics: %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		_exit(1);
	}
	lp_out_metrics(f, &v);
	ok = !ferror(f);
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, c->metrics) < 0) {
		if (!server_metrics.failing)
			lp_log(3, "event=error metrics: writing %s: %s", c->metrics,
			       strerror(errno));
		unlink(tmp);
		_exit(1);
	}
	_exit(0);
}

static void metrics_write(int64_t now)
{
	pid_t pid;

	server_metrics.last = now;
	server_metrics.next = now + lp_hosts.conf.metrics_interval_ms;
	lp_hosts.changed = 0;
	pid = fork();
	if (pid < 0) {
		if (!server_metrics.failing)
			lp_log(3, "event=error metrics: fork: %s", strerror(errno));
		server_metrics.failing = 1;
		return;
	}
	if (pid == 0)
		metrics_child(now);
	server_metrics.pid = pid;
}

static void metrics_run(int64_t now)
{
	if (!lp_hosts.conf.metrics[0] || server_metrics.pid)
		return;
	if (now >= server_metrics.next ||
	    (lp_hosts.changed && now - server_metrics.last >= METRICS_MIN_GAP_MS))
		metrics_write(now);
}

static int64_t metrics_wake(void)
{
	int64_t w;

	if (!lp_hosts.conf.metrics[0] || server_metrics.pid)
		return INT64_MAX;
	w = server_metrics.next;
	if (lp_hosts.changed && server_metrics.last + METRICS_MIN_GAP_MS < w)
		w = server_metrics.last + METRICS_MIN_GAP_MS;
	return w;
}

void lp_server_reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != server_metrics.pid) {
			server_conns.nchildren--;
			continue;
		}
		server_metrics.pid = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			if (server_metrics.failing)
				lp_log(5, "event=metrics-ok %s written again",
				       lp_hosts.conf.metrics);
			server_metrics.failing = 0;
		} else {
			server_metrics.failing = 1;
		}
	}
}

/* ---- the status socket ---- */

/* In the child: the table or JSON, as slowly as the reader takes it. */
static void status_child(int fd, int kind, int64_t now)
{
	int fl = fcntl(fd, F_GETFL);
	struct lp_view v;
	FILE *f;

	alarm(30);
	conns_close_others(fd);
	/* the daemon read the request without blocking; the answer may be
	 * long, and a slow reader holds up this child only */
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	v = lp_hosts_view(now);
	f = fdopen(fd, "w");
	if (!f)
		_exit(1);
	if (kind == LP_CTL_JSON)
		lp_out_json(f, &v);
	else
		lp_out_table(f, &v);
	fclose(f);
	_exit(0);
}

static void conn_close(struct conn *c)
{
	lp_poll_del(c->fd);
	close(c->fd);
	c->fd = -1;
	server_conns.nconns--;
}

/* A short answer and the end of the connection.  A new stream socket's
 * buffer holds far more than the few KiB of an answer. */
static void conn_answer(struct conn *c, const char *text, size_t len)
{
	(void)!send(c->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(c->fd, SHUT_RDWR);
	conn_close(c);
}

static void rescue_cancel(struct conn *c, struct lp_host *h, int hi, int64_t now)
{
	struct lp_timing t = lp_hosts_timing(h);
	uint64_t sent = h->hs.verdicts - h->req_verdicts0;
	struct lp_view v;
	char out[2048];
	size_t n;

	if (lp_hs_req(&h->hs, &t, now) != LP_REQ_ACTIVE) {
		n = (size_t)fmt(out, sizeof out, "error: %s: no rescue request to cancel\n",
				h->conf->name);
		conn_answer(c, out, n < sizeof out ? n : sizeof out - 1);
		return;
	}
	lp_log(4, "host=%s event=rescue-request-end reason=cancelled verdicts=%" PRIu64
	       " (cancelled by uid %u (pid %d) over the status socket)", h->conf->name, sent,
	       (unsigned)c->cr.uid, (int)c->cr.pid);
	lp_hs_cancel(&h->hs);
	lp_host_update(h, now);
	v = lp_hosts_view(now);
	n = lp_ctl_cancel_answer(out, sizeof out, &v, hi, sent);
	conn_answer(c, out, n);
}

/* rescue: who and when, then verdicts on the host's schedule */
static void rescue_make(struct conn *c, struct lp_host *h, int hi, int64_t for_ms,
			int64_t now)
{
	struct lp_timing t = lp_hosts_timing(h);
	int fresh = lp_hs_request(&h->hs, &t, now, now + for_ms);
	uint64_t before = h->hs.verdicts;
	char out[2048], at[32], dur[32];
	struct lp_view v;
	size_t n;

	if (fresh) {
		h->req_uid = c->cr.uid;
		h->req_pid = c->cr.pid;
		h->req_at = now;
		h->req_verdicts0 = h->hs.verdicts;
	}
	lp_log_iso_time(now, now, at, sizeof at);
	lp_duration_str(for_ms, dur, sizeof dur);
	lp_log(3, "host=%s event=rescue-request uid=%u pid=%d at=%s for=%s%s: rescue of %s "
	       "requested by uid %u (pid %d) over the status socket", h->conf->name,
	       (unsigned)c->cr.uid, (int)c->cr.pid, at, dur, fresh ? "" : " repeat=yes",
	       h->conf->name, (unsigned)c->cr.uid, (int)c->cr.pid);
	lp_host_update(h, now);  /* the first verdict, now, unless some already go out */
	v = lp_hosts_view(now);
	n = lp_ctl_rescue_answer(out, sizeof out, &v, hi, fresh, h->hs.verdicts > before, for_ms);
	conn_answer(c, out, n);
}

/* rescue-check, rescue and rescue-cancel */
static void rescue_request(struct conn *c, const struct lp_ctl_req *r, int64_t now)
{
	char out[2048];
	struct lp_view v = lp_hosts_view(now);
	int hi = lp_host_find(lp_hosts.host, lp_hosts.n, r->host);
	struct lp_host *h;
	struct lp_timing t;
	size_t n;

	if (hi < 0) {
		n = lp_ctl_unknown(out, sizeof out, &v, r->host);
		conn_answer(c, out, n);
		return;
	}
	h = &lp_hosts.host[hi];
	t = lp_hosts_timing(h);
	lp_host_update(h, now);  /* a request that has just ended is said so first */
	if (r->kind == LP_CTL_RESCUE_CANCEL) {
		rescue_cancel(c, h, hi, now);
		return;
	}
	n = lp_ctl_refusal(out, sizeof out, &v, hi);
	if (n) {
		if (r->kind == LP_CTL_RESCUE)
			lp_log(4, "host=%s event=rescue-refused uid=%u pid=%d reason=%s",
			       h->conf->name, (unsigned)c->cr.uid, (int)c->cr.pid,
			       lp_req_name(lp_hs_req_refusal(&h->hs, &t, now)));
		conn_answer(c, out, n);
		return;
	}
	if (r->kind == LP_CTL_RESCUE_CHECK) {
		n = lp_ctl_prompt(out, sizeof out, &v, hi);
		conn_answer(c, out, n);
		return;
	}
	rescue_make(c, h, hi, r->for_ms, now);
}

static void conn_request(struct conn *c, int64_t now)
{
	struct lp_ctl_req r;
	pid_t pid;

	if (lp_ctl_parse(c->req, &r) < 0) {
		static const char bad[] = "error: unknown request (status, json, rescue-check "
					  "HOST, rescue HOST MS or rescue-cancel HOST)\n";

		conn_answer(c, bad, sizeof bad - 1);
		return;
	}
	if (r.kind != LP_CTL_STATUS && r.kind != LP_CTL_JSON) {
		rescue_request(c, &r, now);
		return;
	}
	if (server_conns.nchildren >= LP_SERVER_CHILDREN) {
		static const char busy[] = "error: busy, try again\n";

		conn_answer(c, busy, sizeof busy - 1);
		return;
	}
	pid = fork();
	if (pid == 0)
		status_child(c->fd, r.kind, now);
	if (pid > 0)
		server_conns.nchildren++;
	conn_close(c);
}

void lp_server_read(int i, int64_t now)
{
	struct conn *c;

	if (i < 0 || i >= LP_SERVER_CONNS || server_conns.conn[i].fd < 0)
		return;
	c = &server_conns.conn[i];
	for (;;) {
		ssize_t n = read(c->fd, c->req + c->got, sizeof c->req - 1 - c->got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->got = (uint8_t)(c->got + n);
		c->req[c->got] = 0;
		if (memchr(c->req, '\n', c->got)) {
			conn_request(c, now);
			return;
		}
		if (c->got >= sizeof c->req - 1) {
			static const char big[] = "error: request too long\n";

			conn_answer(c, big, sizeof big - 1);
			return;
		}
	}
}

void lp_server_accept(int64_t now)
{
	for (;;) {
		struct ucred cr;
		socklen_t cl = sizeof cr;
		int fd = accept4(server_conns.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		int i;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			static const char no[] = "error: permission denied (root only)\n";

			(void)!send(fd, no, sizeof no - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		for (i = 0; i < LP_SERVER_CONNS && server_conns.conn[i].fd >= 0; i++)
			;
		if (i == LP_SERVER_CONNS || lp_poll_add(fd, LP_EV_CONN, i) < 0) {
			static const char busy[] = "error: busy, try again\n";

			(void)!send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		server_conns.conn[i] = (struct conn){ .fd = fd, .deadline = now + CONN_READ_MS,
						      .cr = cr };
		server_conns.nconns++;
		lp_server_read(i, now);  /* the request is often there already */
	}
}

void lp_server_run(int64_t now)
{
	metrics_run(now);
	for (int i = 0; server_conns.nconns && i < LP_SERVER_CONNS; i++)
		if (server_conns.conn[i].fd >= 0 && now >= server_conns.conn[i].deadline)
			conn_close(&server_conns.conn[i]);
}

int64_t lp_server_wake(void)
{
	int64_t w = metrics_wake();

	for (int i = 0; server_conns.nconns && i < LP_SERVER_CONNS; i++)
		if (server_conns.conn[i].fd >= 0 && server_conns.conn[i].deadline < w)
			w = server_conns.conn[i].deadline;
	return w;
}

int lp_server_setup(const struct lp_conf *c, int64_t now)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;
	mode_t old;

	for (int i = 0; i < LP_SERVER_CONNS; i++)
		server_conns.conn[i].fd = -1;
	server_metrics.next = now;
	if (!c->socket[0])
		return 0;
	memcpy(sa.sun_path, c->socket, strlen(c->socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		lp_log(3, "event=error %s: another lifeline-peer answers there", c->socket);
		close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	unlink(c->socket);
	server_conns.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(077);
	if (server_conns.listen_fd < 0 ||
	    bind(server_conns.listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(server_conns.listen_fd, 16) < 0 ||
	    lp_poll_add(server_conns.listen_fd, LP_EV_CTL, 0) < 0) {
		umask(old);
		lp_log(3, "event=error %s: %s", c->socket, strerror(errno));
		return -1;
	}
	umask(old);
	return 0;
}

void lp_server_stop(void)
{
	if (server_conns.listen_fd >= 0)
		unlink(lp_hosts.conf.socket);
}
