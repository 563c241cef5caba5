/* sshwatch.c against the kernel's own sock_diag, on loopback: this process
 * is the "SSH server" (it listens, accepts and sends a banner), a child
 * process listens on a port that is not ours.  A new connection counts
 * once it has been sent data, a connection counts once, the first look
 * only learns, other ports never count.  The constants spelled out in
 * sshwatch.c are checked against the kernel's headers here (glibc build). */
#include "test.h"
#include "sshwatch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listen_on(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t l;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		l = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l = sizeof *a;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, l) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &l) < 0) {
		FAIL("listen: %s", strerror(errno));
		return -1;
	}
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A client connection to port; *server gets the accepted end. */
static int connect_to(int family, uint16_t port, int lfd, int *server)
{
	struct sockaddr_storage ss;
	socklen_t l;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		l = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		l = sizeof *a;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, l) < 0) {
		FAIL("connect: %s", strerror(errno));
		return -1;
	}
	*server = lfd >= 0 ? accept(lfd, NULL, NULL) : -1;
	return fd;
}

static void banner(int fd)
{
	static const char b[] = "SSH-2.0-test\r\n";
	if (write(fd, b, sizeof b - 1) != (ssize_t)sizeof b - 1)
		FAIL("write: %s", strerror(errno));
	usleep(20000);          /* sent and acknowledged on loopback */
}

static void pin_cpu(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof s, &s) < 0)
		FAIL("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

static void constants(void)
{
	TEST("sshwatch: its spelled-out sock_diag constants are the kernel's") {
		CHECK_INT(sizeof(struct inet_diag_req_v2), 56);
		CHECK_INT(sizeof(struct inet_diag_msg), 72);
		CHECK_INT(SOCK_DIAG_BY_FAMILY, 20);
		CHECK_INT(INET_DIAG_REQ_BYTECODE, 1);
		CHECK_INT(INET_DIAG_INFO, 2);
		CHECK_INT(INET_DIAG_BC_S_GE, 2);
		CHECK_INT(INET_DIAG_BC_S_LE, 3);
		CHECK_INT(offsetof(struct tcp_info, tcpi_bytes_acked), 120);
		CHECK_INT(offsetof(struct tcp_info, tcpi_data_segs_out), 156);
	}
}

static void looks(void)
{
	pid_t me = getpid();
	uint16_t port, other_port, ports[SSHWATCH_MAX_PORTS];
	int lfd = listen_on(AF_INET, &port);
	int pipefd[2];
	if (lfd < 0 || pipe(pipefd) < 0)
		return;
	/* a child's listener: a port that is not this "server's" */
	pid_t child = fork();
	if (child == 0) {
		uint16_t p;
		int l2 = listen_on(AF_INET, &p);
		if (write(pipefd[1], &p, sizeof p) != sizeof p)
			_exit(1);
		for (;;) {
			int c = accept(l2, NULL, NULL);
			if (c >= 0 && write(c, "SSH-2.0-other\r\n", 15) < 0)
				_exit(1);
		}
	}
	if (read(pipefd[0], &other_port, sizeof other_port) != sizeof other_port)
		FAIL("the child's port");
	sshwatch_reset();
	int s1 = -1, s2 = -1, s3 = -1, s6 = -1, so = -1;
	int c1 = -1, c2 = -1, c3 = -1, c6 = -1, co = -1;

	TEST("sshwatch: the first look learns the listener's port, and counts nothing") {
		c1 = connect_to(AF_INET, port, lfd, &s1);
		banner(s1);             /* there before the first look: not news */
		int r = sshwatch_look(&me, 1);
		if (r < 0) {
			t_note("sshwatch: %s", sshwatch_state());
			FAIL("sock_diag unavailable here: %s", sshwatch_state());
		}
		CHECK_INT(r, 0);
		CHECK_STR(sshwatch_state(), "on");
		CHECK_INT(sshwatch_ports(ports, SSHWATCH_MAX_PORTS), 1);
		CHECK_INT(ports[0], port);
		CHECK_INT(sshwatch_look(&me, 1), 0);
	}
	TEST("sshwatch: a new connection counts once data is sent on it, once") {
		c2 = connect_to(AF_INET, port, lfd, &s2);
		CHECK_INT(sshwatch_look(&me, 1), 0);     /* accepted, nothing sent yet */
		banner(s2);
		CHECK_INT(sshwatch_look(&me, 1), 1);     /* the banner went out */
		CHECK_INT(sshwatch_look(&me, 1), 0);     /* not new any more */
		banner(s1);             /* an old connection talking: not news */
		CHECK_INT(sshwatch_look(&me, 1), 0);
		c3 = connect_to(AF_INET, port, lfd, &s3);
		banner(s3);
		CHECK_INT(sshwatch_look(&me, 1), 1);
	}
	TEST("sshwatch: a client that sends while the server says nothing: not served") {
		int cs = -1;
		int cc = connect_to(AF_INET, port, lfd, &cs);
		banner(cc);             /* the client's bytes, not the server's */
		CHECK_INT(sshwatch_look(&me, 1), 0);
		close(cc);
		close(cs);
	}
	TEST("sshwatch: connections to another process's listener never count") {
		co = connect_to(AF_INET, other_port, -1, &so);
		usleep(50000);          /* the child sent its banner */
		CHECK_INT(sshwatch_look(&me, 1), 0);
		CHECK_INT(sshwatch_ports(ports, SSHWATCH_MAX_PORTS), 1);
	}
	TEST("sshwatch: an IPv6 listener of the same process is watched too") {
		uint16_t p6;
		int l6 = listen_on(AF_INET6, &p6);
		if (l6 >= 0) {
			int r = sshwatch_look(&me, 1);
			CHECK_MSG(r == 0, "look: %d (%s)", r, sshwatch_state());
			CHECK_INT(sshwatch_ports(ports, SSHWATCH_MAX_PORTS), 2);
			c6 = connect_to(AF_INET6, p6, l6, &s6);
			banner(s6);
			CHECK_INT(sshwatch_look(&me, 1), 1);
			/* and the first of the two ports still matches */
			int s7 = -1, c7 = connect_to(AF_INET, port, lfd, &s7);
			banner(s7);
			CHECK_INT(sshwatch_look(&me, 1), 1);
			close(c7);
			close(s7);
			close(l6);
		}
	}
	TEST("sshwatch: a new connection counts whichever CPU the look runs on") {
		/* the kernel hands cookies out in batches per CPU: one taken on
		 * one CPU can be lower than one taken earlier on another, so a
		 * connection first looked at on the lower one must still be new */
		cpu_set_t all;
		int cpu[2] = { -1, -1 }, n = 0;
		if (sched_getaffinity(0, sizeof all, &all) < 0)
			FAIL("sched_getaffinity: %s", strerror(errno));
		for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
			if (CPU_ISSET(i, &all))
				cpu[n++] = i;
		if (n < 2)
			t_note("sshwatch: one CPU here, the batches cannot be crossed");
		for (int round = 0; n == 2 && round < 4; round++) {
			int sx = -1, cx;
			pin_cpu(cpu[round % 2]);
			CHECK_INT(sshwatch_look(&me, 1), 0);
			cx = connect_to(AF_INET, port, lfd, &sx);
			pin_cpu(cpu[1 - round % 2]);
			banner(sx);
			CHECK_MSG(sshwatch_look(&me, 1) == 1, "round %d: the new connection, looked "
				  "at first on CPU %d, was not counted", round, cpu[1 - round % 2]);
			close(cx);
			close(sx);
		}
		if (n == 2 && sched_setaffinity(0, sizeof all, &all) < 0)
			FAIL("sched_setaffinity: %s", strerror(errno));
	}
	TEST("sshwatch: no process given: nothing to look at") {
		CHECK_INT(sshwatch_look(&me, 0), 0);
		CHECK_INT(sshwatch_ports(ports, SSHWATCH_MAX_PORTS), 0);
	}
	int fds[] = { s1, s2, s3, s6, so, c1, c2, c3, c6, co, lfd, pipefd[0], pipefd[1] };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sshwatch_reset();
}

void suite_sshwatch(void)
{
	constants();
	looks();
}
