/* Proof that the keepalive module links and works in a static musl binary
 * with Debian's glibc-built libbearssl.a (and lib/fortify.c): the RFC
 * 4231 vectors and one signed round trip.  Prints "ok - ..." lines. */
#include "keepalive.h"
#include "../unit/rfc4231.h"

#include <stdio.h>
#include <string.h>

static int fails;

static void res(int ok, const char *what, int n)
{
	printf("%sok - ka-selftest (static musl): %s %d\n", ok ? "" : "not ", what, n);
	fails += !ok;
}

int main(void)
{
	uint8_t key[200], data[200], want[32], got[32], dgram[KA_SIZE];
	struct ka_msg m = { .type = KA_KEEPALIVE, .state = KA_ST_SSHD, .host = "selftest",
			    .boot_id = 7, .seq = 1, .time_ms = 1 };
	struct ka_msg back;

	for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
		rfc4231_build(&rfc4231[i], key, data, want);
		ka_hmac(key, rfc4231[i].key_len, data, rfc4231[i].data_len, got);
		res(!memcmp(got, want, 32), "RFC 4231 HMAC-SHA256 case", rfc4231[i].tc);
	}
	memset(key, 0x5a, KA_KEY_SIZE);
	res(ka_encode(&m, key, dgram) == 0 && ka_decode(dgram, KA_SIZE, key, &back) == KA_OK &&
	    back.seq == 1 && !strcmp(back.host, "selftest"), "encode/decode round trip", 1);
	dgram[3] ^= 1;
	res(ka_decode(dgram, KA_SIZE, key, &back) == KA_BAD_MAC, "flipped bit is bad-mac", 3);
	return fails ? 1 : 0;
}
