/* A peer's address as both config files write it: "192.0.2.10",
 * "192.0.2.10:7500", "[2001:db8::1]", "[2001:db8::1]:7500" (and, where a
 * caller allows it, a bare "2001:db8::1" without a port).  No host names:
 * PID 1 does not resolve them. */
#ifndef LIFELINE_NETADDR_H
#define LIFELINE_NETADDR_H
#include <stdint.h>

enum netaddr_err {
	NETADDR_OK,
	NETADDR_NO_CLOSE,       /* '[' without ']' */
	NETADDR_AFTER_CLOSE,    /* not ":PORT" after ']' */
	NETADDR_UNBRACKETED,    /* an IPv6 address not in brackets (not allowed) */
	NETADDR_NO_IP,          /* the address is empty, or too long */
	NETADDR_BAD_IP,         /* not an IPv4 (IPv6 in brackets) address */
	NETADDR_BAD_PORT,       /* the port is not a number from 1 to 65535 */
};

struct netaddr {
	uint8_t family;         /* AF_INET or AF_INET6 */
	uint8_t has_port;
	uint16_t port;          /* host byte order; 0 without has_port */
	uint8_t ip[16];         /* network byte order; the first 4 for AF_INET */
	int ip_off, ip_len;     /* the address as written, within s */
	int at;                 /* an error's offset within s */
};

/* Parse the len bytes at s.  bare_v6: an address with several ':' and no
 * brackets is an IPv6 address without a port (else NETADDR_UNBRACKETED).
 * NETADDR_OK, or the error with a->at set. */
enum netaddr_err netaddr_parse(const char *s, int len, int bare_v6, struct netaddr *a);

#endif
