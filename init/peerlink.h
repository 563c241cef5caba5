/* The host's side of the keepalive protocol (lifeline-keepalive(7)): from
 * the event loop, a keepalive to every [keepalive] peer each interval, with
 * the state of the access services; verdicts from the peers, checked,
 * counted per peer, and acted on (rescue_now) once a quorum of peers has
 * sent one within the window.  Never allocates; every drop is counted and
 * logged at a limited rate. */
#ifndef LIFELINE_PEERLINK_H
#define LIFELINE_PEERLINK_H
#include "config.h"
#include "outbuf.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* From the active config, at boot and after a reload: loads the key, opens
 * (or keeps) the sockets, registers them with the loop (TAG_KEEPALIVE).
 * Problems (no key, unreadable key, no host name) are logged once and
 * reported by status; nothing is sent then. */
void peerlink_configure(const struct config *c, uint64_t now);
/* TAG_KEEPALIVE: datagrams arrived on socket idx. */
void peerlink_event(int idx, uint64_t now);
/* Send what is due. */
void peerlink_tick(uint64_t now);
/* Next send time (0: none). */
uint64_t peerlink_next_deadline(void);

/* One datagram from sa, as peerlink_event handles it (exposed for the
 * unit tests): returns an enum ka_result, or PL_UNKNOWN_PEER when sa is
 * not a configured peer (address and port). */
#define PL_UNKNOWN_PEER 100
int peerlink_receive(const uint8_t *buf, size_t len, const struct sockaddr *sa,
		     socklen_t sl, uint64_t now);
/* What a reached quorum calls: rescue_now (tests put their own here). */
extern void (*peerlink_on_quorum)(const char *reason);

/* Head lines of `lifelinectl status`, and the "keepalive" JSON member
 * (followed by a comma). */
void peerlink_status_text(struct outbuf *o, uint64_t now);
void peerlink_status_json(struct outbuf *o, uint64_t now);

#endif
