/* lifeline-peer: main, the command line and the daemon's start-up.
 *
 * Without a command it runs the watcher in the foreground: it reads
 * peer.conf, builds its tables, binds its sockets and runs the loop
 * (peer_loop.c) until SIGTERM.  Everything is allocated before the loop
 * starts (hosts, the address hash, probe slots and queue, receive
 * buffers); nothing per datagram.  peer_daemon.h lists the daemon's
 * modules; `status` and `rescue` are the client side (peer_client.c). */
#define _GNU_SOURCE
#include "peer_daemon.h"
#include "fmt.h"

#include <stdio.h>
#include <string.h>

static void report_stderr(void *ctx, const char *file, int line, int col, const char *msg)
{
	int *n = ctx;

	(*n)++;
	if (line > 0 && col > 0)
		fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
	else if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

static int check_config(const char *path)
{
	struct lp_conf c;
	int n = 0, targets = 0;

	lp_conf_init(&c);
	if (lp_conf_load(&c, path, report_stderr, &n) || n) {
		fprintf(stderr, "%s: %d problem%s\n", path, n, n == 1 ? "" : "s");
		lp_conf_free(&c);
		return 1;
	}
	for (int i = 0; i < c.nhosts; i++)
		targets += c.host[i].nssh;
	printf("%s: ok (%d host%s, %d SSH target%s)\n", path, c.nhosts,
	       c.nhosts == 1 ? "" : "s", targets, targets == 1 ? "" : "s");
	lp_conf_free(&c);
	return 0;
}

static int keygen(const char *path)
{
	char err[512];

	if (ka_key_generate(path, err, (int)sizeof err) < 0) {
		fprintf(stderr, "lifeline-peer: %s\n", err);
		return 1;
	}
	printf("%s: new key written (mode 0600).\n"
	       "The host needs the same file as the key of its [keepalive] section\n"
	       "(default /etc/lifeline/keepalive.key), owned by root, mode 0600; this\n"
	       "peer names it in the host's [host NAME] section: key = %s\n", path, path);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: lifeline-peer [-c FILE]              run the watcher (foreground)\n"
	      "       lifeline-peer --check-config [FILE]  check a configuration\n"
	      "       lifeline-peer status [--json] [-s SOCKET]\n"
	      "       lifeline-peer rescue HOST [--yes] [--for DURATION] [--cancel] [-s SOCKET]\n"
	      "                                            verdicts for HOST now (lifeline-peer(8))\n"
	      "       lifeline-peer keygen FILE            write a new host key\n"
	      "       lifeline-peer --version\n"
	      "The configuration is " LP_DEFAULT_CONF " by default; see lifeline-peer(8)\n"
	      "and peer.conf(5).\n", f);
}

/* The start line: what it watches and how. */
static void log_start(const struct lp_conf *c)
{
	char ls[256], g[32], pi[32];
	int o = 0;

	ls[0] = 0;
	for (int i = 0; i < c->nlisten && o < (int)sizeof ls; i++) {
		char a[64];

		lp_addr_str(&c->listen[i], a, sizeof a);
		o += fmt(ls + o, sizeof ls - (size_t)o, "%s%s", i ? "," : "", a);
	}
	lp_duration_str(c->grace_ms, g, sizeof g);
	lp_duration_str(c->probe_interval_ms, pi, sizeof pi);
	lp_log(5, "event=start hosts=%d listen=%s grace=%s probe_interval=%s silence=%s "
	       "socket=%s metrics=%s", c->nhosts, ls, g, pi,
	       c->silence_verdict ? "verdict" : "down", c->socket[0] ? c->socket : "none",
	       c->metrics[0] ? c->metrics : "none");
}

static int daemon_main(const char *path)
{
	struct lp_conf *c = &lp_hosts.conf;
	int n = 0, nsock;
	int64_t now;

	lp_conf_init(c);
	if (lp_conf_load(c, path, report_stderr, &n) || n) {
		fprintf(stderr, "%s: %d problem%s: not starting\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	lp_log_stderr_nonblock();
	if (c->syslog)
		lp_log_syslog_open();
	if (lp_udp_init() < 0)
		return 1;
	now = lp_mono_ms();
	lp_hosts_setup(now);
	lp_probes_setup(now);
	if (lp_loop_setup() < 0 || (nsock = lp_udp_setup(c)) < 0 || lp_server_setup(c, now) < 0)
		return 1;
	if (!nsock) {
		lp_log(3, "event=error no address to listen on");
		return 1;
	}
	log_start(c);
	return lp_loop_run(path);
}

/* A client command's exit status; usage for a command line it refused. */
static int client_exit(int r)
{
	if (r != LP_USAGE)
		return r;
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = LP_DEFAULT_CONF;

	if (argc >= 2 && !strcmp(argv[1], "status"))
		return client_exit(lp_client_status(argc, argv));
	if (argc >= 2 && !strcmp(argv[1], "rescue"))
		return client_exit(lp_client_rescue(argc, argv));
	if (argc == 3 && !strcmp(argv[1], "keygen"))
		return keygen(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "--check-config"))
		return check_config(argc >= 3 ? argv[2] : path);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("lifeline-peer %s\n", LIFELINE_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "-c"))
		path = argv[2];
	else if (argc != 1) {
		usage(stderr);
		return 2;
	}
	return daemon_main(path);
}
