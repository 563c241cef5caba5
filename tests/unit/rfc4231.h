/* The HMAC-SHA256 test cases of RFC 4231 (1-4, 6, 7; case 5 is a
 * truncated output).  Shared by t_keepalive.c (glibc) and
 * tests/selftest/ka_selftest.c (static musl with BearSSL). */
#ifndef LIFELINE_RFC4231_H
#define LIFELINE_RFC4231_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rfc4231_case {
	int tc;
	uint8_t key_byte;       /* key: key_len times this byte ... */
	int key_seq;            /* ... or, if set, 0x01, 0x02, ... */
	const char *key_str;    /* ... or this string */
	size_t key_len;
	uint8_t data_byte;      /* data: data_len times this byte ... */
	const char *data_str;   /* ... or this string */
	size_t data_len;
	const char *mac_hex;
};

static const struct rfc4231_case rfc4231[] = {
	{ 1, 0x0b, 0, NULL, 20, 0, "Hi There", 8,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ 2, 0, 0, "Jefe", 4, 0, "what do ya want for nothing?", 28,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ 3, 0xaa, 0, NULL, 20, 0xdd, NULL, 50,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ 4, 0, 1, NULL, 25, 0xcd, NULL, 50,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ 6, 0xaa, 0, NULL, 131, 0,
	  "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ 7, 0xaa, 0, NULL, 131, 0,
	  "This is a test using a larger than block-size key and a larger than "
	  "block-size data. The key needs to be hashed before being used by the "
	  "HMAC algorithm.", 152,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

/* Build case c's key and data (each at most 200 bytes) and its MAC. */
static inline void rfc4231_build(const struct rfc4231_case *c, uint8_t key[200],
				 uint8_t data[200], uint8_t mac[32])
{
	for (size_t i = 0; i < c->key_len; i++)
		key[i] = c->key_str ? (uint8_t)c->key_str[i] :
			 c->key_seq ? (uint8_t)(i + 1) : c->key_byte;
	for (size_t i = 0; i < c->data_len; i++)
		data[i] = c->data_str ? (uint8_t)c->data_str[i] : c->data_byte;
	for (int i = 0; i < 32; i++) {
		const char *h = c->mac_hex + 2 * i;
		int hi = h[0] <= '9' ? h[0] - '0' : h[0] - 'a' + 10;
		int lo = h[1] <= '9' ? h[1] - '0' : h[1] - 'a' + 10;

		mac[i] = (uint8_t)(hi << 4 | lo);
	}
}

#endif
