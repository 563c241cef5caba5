/* Peer addresses, ADDRESS[:PORT] and [IPv6][:PORT], parsed once for
 * lifeline.conf's [keepalive] peer and peer.conf's listen, address and
 * ssh (see netaddr.h). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

/* 1 to 5 digits, 1 to 65535 */
static int parse_port(const char *s, int len, uint16_t *port)
{
	unsigned v = 0;
	if (len < 1 || len > 5)
		return -1;
	for (int i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static enum netaddr_err fail(struct netaddr *a, enum netaddr_err e, int at)
{
	a->at = at;
	return e;
}

enum netaddr_err netaddr_parse(const char *s, int len, int bare_v6, struct netaddr *a)
{
	int as = 0, ae = len, ps = -1;
	char ip[64];
	memset(a, 0, sizeof *a);
	if (len > 0 && s[0] == '[') {
		as = ae = 1;
		while (ae < len && s[ae] != ']')
			ae++;
		if (ae >= len)
			return fail(a, NETADDR_NO_CLOSE, len);
		if (ae + 1 < len) {
			if (s[ae + 1] != ':')
				return fail(a, NETADDR_AFTER_CLOSE, ae + 1);
			ps = ae + 2;
		}
		a->family = AF_INET6;
	} else {
		int colons = 0, last = -1;
		for (int i = 0; i < len; i++)
			if (s[i] == ':') {
				colons++;
				last = i;
			}
		a->family = AF_INET;
		if (colons > 1 && !bare_v6)
			return fail(a, NETADDR_UNBRACKETED, 0);
		if (colons > 1) {
			a->family = AF_INET6;
		} else if (colons) {
			ae = last;
			ps = last + 1;
		}
	}
	a->ip_off = as;
	a->ip_len = ae - as;
	if (ae - as <= 0 || ae - as >= (int)sizeof ip)
		return fail(a, NETADDR_NO_IP, as);
	memcpy(ip, s + as, (size_t)(ae - as));
	ip[ae - as] = '\0';
	if (inet_pton(a->family, ip, a->ip) != 1)
		return fail(a, NETADDR_BAD_IP, as);
	if (ps >= 0) {
		if (parse_port(s + ps, len - ps, &a->port) < 0)
			return fail(a, NETADDR_BAD_PORT, ps);
		a->has_port = 1;
	}
	return NETADDR_OK;
}
