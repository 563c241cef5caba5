/* Is an SSH server on this host serving new connections?
 *
 * A peer that probes SSH from outside cannot tell a stranger who fills
 * sshd's MaxStartups (every further connection accepted and closed without
 * a banner) from an sshd that cannot fork its sessions (accepted and closed
 * the same way).  This host can: in the first case new connections keep
 * arriving and the servers send on them (the banner), in the second
 * nothing is sent.  So each look asks the kernel (sock_diag, the
 * interface of ss(8)) for the TCP connections on the ports the SSH
 * servers listen on, and reports whether one it had not seen before has
 * had data sent on it.  "Not seen before" is "its socket cookie was not in
 * the previous look" (the look keeps the cookies, sorted): cookies are
 * unique but not in order, since the kernel hands them out in batches
 * per CPU.  A connection seen before its first byte is remembered (a few)
 * until it sends.  peerlink puts the answer in its signed keepalives
 * (lifeline-keepalive(7)).
 *
 * No allocation; one netlink socket, opened at the first look.  The first
 * look may make the kernel load inet_diag and tcp_diag (modprobe): it runs
 * when the keepalives start, at boot. */
#ifndef LIFELINE_SSHWATCH_H
#define LIFELINE_SSHWATCH_H
#include <stdint.h>
#include <sys/types.h>

#define SSHWATCH_MAX_PORTS 8
#define SSHWATCH_PENDING 32     /* connections seen before their first byte */
/* connections remembered from one look to the next: far more than sshd's
 * MaxStartups (100) and dropbear's 30 unauthenticated ones; beyond it a
 * connection looks new, so an error says served, never not served */
#define SSHWATCH_SEEN 512

/* Look now at the connections to the ports that the processes pids[]
 * listen on: 1 if one not seen at an earlier look has had data sent on it
 * (the first look only learns what is there: 0), 0 if none, -1 if the
 * kernel cannot say (no sock_diag; sshwatch_state says why, and it is not
 * tried again until sshwatch_reset). */
int sshwatch_look(const pid_t *pids, int n);
/* The ports of the latest look (host byte order); how many. */
int sshwatch_ports(uint16_t *out, int cap);
/* "on", or why not. */
const char *sshwatch_state(void);
/* Forget what was seen and try sock_diag again (a reload). */
void sshwatch_reset(void);

#endif
