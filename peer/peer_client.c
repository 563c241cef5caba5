/* The client side of lifeline-peer's status socket: `lifeline-peer
 * status [--json]` and `lifeline-peer rescue HOST` (lifeline-peer(8)).
 * Each connects, sends one request line (peer_ctl.c has the protocol)
 * and prints the answer; a rescue asks for a typed "yes" first unless
 * --yes is given. */
#define _GNU_SOURCE
#include "peer_daemon.h"
#include "fmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Connect to the daemon's socket; -1 with the reason said. */
static int ctl_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(sock) >= sizeof sa.sun_path) {
		fprintf(stderr, "lifeline-peer: %s: socket path too long\n", sock);
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	e = errno;
	if (fd >= 0)
		close(fd);
	if (e == ENOENT || e == ECONNREFUSED)
		fprintf(stderr, "lifeline-peer: %s: %s: lifeline-peer is not running (or it "
			"has another socket: -s SOCKET, socket in peer.conf(5))\n", sock,
			strerror(e));
	else if (e == EACCES || e == EPERM)
		fprintf(stderr, "lifeline-peer: %s: %s: only root (or the user lifeline-peer "
			"runs as) may ask\n", sock, strerror(e));
	else
		fprintf(stderr, "lifeline-peer: %s: %s (is lifeline-peer running?)\n", sock,
			strerror(e));
	return -1;
}

static int status_ask(const char *sock, int json)
{
	const char *req = json ? "json\n" : "status\n";
	char buf[4096];
	int fd, first = 1, err = 0;
	ssize_t n;

	fd = ctl_connect(sock);
	if (fd < 0)
		return 1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "lifeline-peer: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (first && n >= 7 && !memcmp(buf, "error: ", 7))
			err = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, err ? stderr : stdout);
	}
	close(fd);
	if (fflush(stdout) != 0)
		return 1;
	if (first) {
		fprintf(stderr, "lifeline-peer: %s: no answer\n", sock);
		return 1;
	}
	return err;
}

int lp_client_status(int argc, char **argv)
{
	const char *sock = LP_DEFAULT_SOCKET;
	int json = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			sock = argv[++i];
		else
			return LP_USAGE;
	}
	return status_ask(sock, json);
}

/* One request and its whole (short) answer into buf: 0 for "ok ...", 1
 * for "error: ..." (said on stderr), -1 if there is no answer. */
static int ctl_ask(const char *sock, const char *req, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int fd = ctl_connect(sock);

	if (fd < 0)
		return -1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "lifeline-peer: %s: %s\n", sock, strerror(errno));
		close(fd);
		return -1;
	}
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	if (!strncmp(buf, "ok ", 3))
		return 0;
	if (!strncmp(buf, "error: ", 7)) {
		fprintf(stderr, "lifeline-peer: %s", buf + 7);
		return 1;
	}
	if (got)
		fprintf(stderr, "lifeline-peer: %s: unexpected answer: %s\n", sock, buf);
	else
		fprintf(stderr, "lifeline-peer: %s: no answer (a lifeline-peer older than the "
			"rescue command?)\n", sock);
	return -1;
}

/* A verdict reboots the host: sent only on a word typed for it.  0 if
 * the operator confirmed the prompt the daemon wrote (rescue-check). */
static int rescue_confirm(const char *sock, const char *host)
{
	char req[LP_CTL_LINE_MAX], ans[4096], line[16];

	if (!isatty(0)) {
		fprintf(stderr, "lifeline-peer: rescue %s: standard input is not a terminal, "
			"so nobody can confirm; nothing was sent. Add --yes to send the "
			"verdicts without asking.\n", host);
		return 1;
	}
	fmt(req, sizeof req, "rescue-check %s\n", host);
	if (ctl_ask(sock, req, ans, sizeof ans))
		return 1;
	ans[strcspn(ans, "\n")] = 0;
	fprintf(stderr, "%s", ans + 3);
	fflush(stderr);
	if (!fgets(line, sizeof line, stdin) ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "Y\n") != 0 && strcmp(line, "yes\n") != 0)) {
		fprintf(stderr, "lifeline-peer: not confirmed; nothing was sent\n");
		return 1;
	}
	return 0;
}

/* lifeline-peer rescue HOST [--yes] [--for DURATION] [--cancel] [-s SOCKET] */
int lp_client_rescue(int argc, char **argv)
{
	const char *sock = LP_DEFAULT_SOCKET, *host = NULL;
	int yes = 0, cancel = 0, r;
	int64_t for_ms = LP_RESCUE_FOR_DEFAULT;
	char req[LP_CTL_LINE_MAX], ans[4096];

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y")) {
			yes = 1;
		} else if (!strcmp(argv[i], "--cancel")) {
			cancel = 1;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--for") && i + 1 < argc) {
			i++;
			for_ms = lp_duration_ms(argv[i], strlen(argv[i]));
			if (for_ms < LP_RESCUE_FOR_MIN || for_ms > LP_RESCUE_FOR_MAX) {
				fprintf(stderr, "lifeline-peer: --for %s: a duration from 1s to 1h "
					"(30s, 5m)\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] != '-' && !host) {
			host = argv[i];
		} else {
			return LP_USAGE;
		}
	}
	if (!host)
		return LP_USAGE;
	if (!ka_host_valid(host)) {
		fprintf(stderr, "lifeline-peer: \"%s\" is no host name (1 to %d of A-Z a-z 0-9 "
			". - _); lifeline-peer status lists the hosts\n", host, KA_HOST_MAX);
		return 1;
	}
	if (cancel) {
		fmt(req, sizeof req, "rescue-cancel %s\n", host);
		r = ctl_ask(sock, req, ans, sizeof ans);
		if (!r)
			fputs(ans + 3, stdout);
		return r ? 1 : 0;
	}
	if (!yes && rescue_confirm(sock, host))
		return 1;
	fmt(req, sizeof req, "rescue %s %lld\n", host, (long long)for_ms);
	if (ctl_ask(sock, req, ans, sizeof ans))
		return 1;
	fputs(ans + 3, stdout);
	return fflush(stdout) ? 1 : 0;
}
