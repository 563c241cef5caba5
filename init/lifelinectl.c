/* lifelinectl: the client of lifeline's control socket (lifelinectl(8)).
 * Exit codes: 0 done, 1 lifeline refused (the reason on stderr),
 * 2 usage, 3 cannot reach lifeline. */
#define _GNU_SOURCE
#include "keepalive.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/lifeline/control"
#define DEFAULT_KEY "/etc/lifeline/keepalive.key"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lifelinectl [-s SOCKET] COMMAND\n"
		"commands:\n"
		"  status [--json]     services, their state, restarts and last exit\n"
		"  start NAME          start a service (and keep it up)\n"
		"  stop NAME           stop a service (until start or reboot)\n"
		"  restart NAME        stop, then start a service\n"
		"  reload              re-read the configuration (refused if broken)\n"
		"  check-config        check the configuration lifeline would load\n"
		"  log                 lifeline's log ring, with service output\n"
		"  rescue arm          arm the rescue system again (kexec load)\n"
		"  rescue now --yes    boot the rescue system NOW (reboots the host)\n"
		"  keygen [FILE]       write a new keepalive key (default " DEFAULT_KEY ")\n"
		"  reboot | poweroff | halt\n");
}

/* keygen: local, no socket.  The key never goes to stdout (terminals and
 * logs keep what they show); the user copies the file. */
static int keygen(int argc, char **argv, int i)
{
	const char *path = i + 1 < argc ? argv[i + 1] : DEFAULT_KEY;
	char err[256];
	if (i + 2 < argc) {
		fprintf(stderr, "lifelinectl: keygen takes at most one file name\n");
		return 2;
	}
	if (ka_key_generate(path, err, sizeof err) < 0) {
		fprintf(stderr, "lifelinectl: keygen: %s\n", err);
		return 1;
	}
	printf("%s: a new keepalive key (mode 0600)\n"
	       "Copy this file to each peer of this host, as the key of its [host NAME]\n"
	       "section in peer.conf (for example: scp -p %s PEER:/etc/lifeline/peer/NAME.key),\n"
	       "then set [keepalive] key = %s here if it is not the default.\n",
	       path, path, path);
	return 0;
}

/* rescue now reboots at once: only with --yes, or a "yes" typed at a
 * terminal.  1 to go on. */
static int confirm_rescue_now(int yes)
{
	char line[16];
	if (yes)
		return 1;
	if (!isatty(0)) {
		fprintf(stderr, "lifelinectl: rescue now reboots this host into the rescue "
			"system at once; add --yes\n");
		return 0;
	}
	fprintf(stderr, "This reboots the host into the rescue system NOW: every service "
		"stops without a clean shutdown.\nType yes to go on: ");
	if (!fgets(line, sizeof line, stdin) || strcmp(line, "yes\n") != 0) {
		fprintf(stderr, "lifelinectl: not confirmed\n");
		return 0;
	}
	return 1;
}

/* rescue arm | rescue now [--yes]; 0 ok (arg set), else an exit code */
static int rescue_args(int argc, char **argv, int i, const char **arg)
{
	int yes = 0;
	const char *what = NULL;
	for (int k = i + 1; k < argc; k++) {
		if (!strcmp(argv[k], "--yes"))
			yes = 1;
		else if (!what && (!strcmp(argv[k], "arm") || !strcmp(argv[k], "now")))
			what = argv[k];
		else {
			fprintf(stderr, "lifelinectl: rescue takes arm, or now [--yes]\n");
			return 2;
		}
	}
	if (!what || (yes && strcmp(what, "now") != 0)) {
		fprintf(stderr, "lifelinectl: rescue takes arm, or now [--yes]\n");
		return 2;
	}
	if (!strcmp(what, "now") && !confirm_rescue_now(yes))
		return 2;
	*arg = what;
	return 0;
}

/* What lifeline sends holds services' output, which any service (and so
 * anyone who can make it print) controls: escape sequences in it would
 * drive the admin's terminal.  Control characters but newline and tab,
 * DEL, and the C1 controls in UTF-8 (C2 80 to C2 9F; CSI is C2 9B) are
 * written as \xNN; the rest, other UTF-8 included, as it is.  A C2 at the
 * end of one read waits for the next. */
static int held_c2[3];  /* per fd (1, 2): a C2 byte waits for the next */

static size_t put_hex(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

static void write_escaped(int fd, const char *p, size_t n)
{
	char out[4096];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int c1 = 0;
		if (held_c2[fd]) {
			held_c2[fd] = 0;
			c1 = c >= 0x80 && c <= 0x9f;
			if (c1)
				o += put_hex(out + o, 0xc2);
			else
				out[o++] = (char)0xc2;
		}
		if (c1)
			o += put_hex(out + o, c);
		else if (c == 0xc2)
			held_c2[fd] = 1;
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			o += put_hex(out + o, c);
		else
			out[o++] = (char)c;
		if (o > sizeof out - 16) {
			(void)!write(fd, out, o);
			o = 0;
		}
	}
	if (o)
		(void)!write(fd, out, o);
}

/* A C2 still held at the end is no C1 control: as \xc2, lost otherwise. */
static void flush_escaped(void)
{
	char out[4];
	for (int fd = 1; fd <= 2; fd++)
		if (held_c2[fd]) {
			held_c2[fd] = 0;
			(void)!write(fd, out, put_hex(out, 0xc2));
		}
}

/* Whether cmd with its arguments (argv[i] on) is a request lifelinectl
 * knows; *arg may be rewritten (rescue).  0 if so, else the exit status. */
static int check_request(int argc, char **argv, int i, const char **arg)
{
	const char *cmd = argv[i];
	static const char *const one[] = { "start", "stop", "restart" };
	static const char *const none[] = { "reload", "check-config", "log", "reboot",
					    "poweroff", "halt" };
	for (unsigned k = 0; k < sizeof one / sizeof one[0]; k++)
		if (!strcmp(cmd, one[k])) {
			if (!*arg || i + 2 < argc) {
				fprintf(stderr, "lifelinectl: %s needs one service name\n", cmd);
				return 2;
			}
			return 0;
		}
	for (unsigned k = 0; k < sizeof none / sizeof none[0]; k++)
		if (!strcmp(cmd, none[k])) {
			if (*arg) {
				fprintf(stderr, "lifelinectl: %s takes no argument\n", cmd);
				return 2;
			}
			return 0;
		}
	if (!strcmp(cmd, "status")) {
		if (*arg && (strcmp(*arg, "--json") != 0 || i + 2 < argc)) {
			fprintf(stderr, "lifelinectl: status takes only --json\n");
			return 2;
		}
		return 0;
	}
	if (!strcmp(cmd, "rescue"))
		return rescue_args(argc, argv, i, arg);
	fprintf(stderr, "lifelinectl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}

/* Connect to lifeline's socket and send "cmd[ arg]\n".  The socket, or -1
 * with *rc the exit status. */
static int send_request(const char *sock, const char *cmd, const char *arg, int *rc)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	*rc = 2;
	if (strlen(sock) >= sizeof sa.sun_path) {
		fprintf(stderr, "lifelinectl: socket path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, sock);
	char req[256];
	int n = snprintf(req, sizeof req, "%s%s%s\n", cmd, arg ? " " : "", arg ? arg : "");
	*rc = 3;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "lifelinectl: cannot connect to %s: %s%s\n", sock,
			strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ? " (is lifeline running?)" : "");
		return -1;
	}
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (n >= (int)sizeof req) {
		fprintf(stderr, "lifelinectl: request too long (at most %d bytes)\n",
			(int)sizeof req - 1);
		*rc = 2;
		return -1;
	}
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "lifelinectl: cannot send request: %s\n", strerror(errno));
		return -1;
	}
	return fd;
}

/* The answer: first line "ok" or "error: ..." (shown on stderr), then the
 * body, to stdout after ok, to stderr after an error.  The exit status. */
static int read_answer(int fd)
{
	static char buf[65536];
	int state = 0;          /* 0: reading status line, 1: ok body, 2: error body */
	size_t hl = 0;
	char head[512];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && state == 2)
			break;          /* refused, and the reason is already shown */
		if (r < 0) {
			fprintf(stderr, "lifelinectl: %s\n",
				errno == EAGAIN ? "no answer from lifeline within 10s" : strerror(errno));
			return 3;
		}
		if (r == 0)
			break;
		ssize_t off = 0;
		while (state == 0 && off < r) {
			char c = buf[off++];
			if (c == '\n' || hl == sizeof head - 1) {
				head[hl] = '\0';
				if (!strcmp(head, "ok")) {
					state = 1;
				} else {
					state = 2;
					const char *why = !strncmp(head, "error: ", 7) ? head + 7 : head;
					write_escaped(2, "lifelinectl: ", 13);
					write_escaped(2, why, strlen(why));
					write_escaped(2, "\n", 1);
				}
			} else {
				head[hl++] = c;
			}
		}
		if (off < r)
			write_escaped(state == 1 ? 1 : 2, buf + off, (size_t)(r - off));
	}
	flush_escaped();
	if (state == 0) {
		fprintf(stderr, "lifelinectl: connection closed without an answer\n");
		return 3;
	}
	return state == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *sock = DEFAULT_SOCKET;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "lifelinectl: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i];
	const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
	if (!strcmp(cmd, "keygen"))
		return keygen(argc, argv, i);
	int rc = check_request(argc, argv, i, &arg);
	if (rc)
		return rc;
	int fd = send_request(sock, cmd, arg, &rc);
	return fd < 0 ? rc : read_answer(fd);
}
