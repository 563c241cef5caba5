/* libFuzzer target for the keepalive datagram parser: arbitrary bytes to
 * ka_decode under a fixed key and, when they pass, to the replay and
 * verdict checks.  Random bytes almost never carry a valid MAC, so the
 * first byte can ask for the input to be signed: then the field checks
 * behind the MAC are fuzzed too. */
#include "keepalive.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t key[KA_KEY_SIZE] = "lifeline-fuzz-key-0123456789abcd";

static void invariant(int ok)
{
	if (!ok)
		abort();   /* "broken invariant": libFuzzer keeps the input */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ka_replay replay;
	static struct ka_counters counts;
	uint8_t buf[KA_SIZE];
	struct ka_msg m, again;
	enum ka_result r;

	memset(&m, 0xa5, sizeof m);
	r = ka_decode(data, size, key, &m);
	invariant((unsigned)r < KA_NRESULTS && r != KA_REPLAY && r != KA_STALE);
	invariant(size == KA_SIZE || r == KA_BAD_SIZE);
	{
		/* the host's check before the MAC, on anything at all */
		struct ka_sent any = { .boot_id = 1, .seq = 2 };
		enum ka_result pr = ka_verdict_precheck(data, size, "fuzz", &any, 8);

		invariant((unsigned)pr < KA_NRESULTS && pr != KA_BAD_MAC && pr != KA_RATE);
	}
	/* a signed copy: byte 0 odd means "sign bytes 1..80 as a datagram" */
	if (size == KA_SIZE + 1 && (data[0] & 1)) {
		memcpy(buf, data + 1, KA_SIZE);
		ka_hmac(key, KA_KEY_SIZE, buf, KA_MAC_OFF, buf + KA_MAC_OFF);
		r = ka_decode(buf, KA_SIZE, key, &m);
		invariant(r != KA_BAD_MAC && r != KA_BAD_SIZE);
	}
	counts.n[r]++;
	if (r != KA_OK)
		return 0;
	/* what decodes, re-encodes to the same bytes */
	invariant(ka_encode(&m, key, buf) == 0);
	invariant(ka_decode(buf, KA_SIZE, key, &again) == KA_OK);
	invariant(m.type == again.type && m.state == again.state && m.boot_id == again.boot_id &&
		  m.seq == again.seq && m.echo_boot == again.echo_boot &&
		  m.echo_seq == again.echo_seq && m.time_ms == again.time_ms &&
		  !strcmp(m.host, again.host));
	invariant(ka_host_valid(m.host));
	r = ka_replay_check(&replay, &m);
	invariant(r == KA_OK || r == KA_REPLAY || r == KA_STALE);
	invariant(r != KA_OK || (replay.boot_id == m.boot_id && replay.seq == m.seq));
	{
		struct ka_sent s = { .boot_id = m.echo_boot, .seq = m.echo_seq };

		r = ka_verdict_check(&s, &m, 8);
		invariant(r == (m.type == KA_VERDICT ? KA_OK : KA_BAD_TYPE));
		/* the host's checks before the MAC never refuse what the checks
		 * after it accept (issue #12) */
		if (m.type == KA_VERDICT)
			invariant(ka_verdict_precheck(buf, KA_SIZE, m.host, &s, 8) == KA_OK);
		s.seq = m.echo_seq - 1;
		r = ka_verdict_check(&s, &m, 8);
		invariant(r == (m.type == KA_VERDICT ? KA_STALE : KA_BAD_TYPE));
		if (m.type == KA_VERDICT)
			invariant(ka_verdict_precheck(buf, KA_SIZE, m.host, &s, 8) == KA_STALE);
	}

	return 0;
}
