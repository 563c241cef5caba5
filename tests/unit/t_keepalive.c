/* The keepalive protocol (lib/keepalive.c): HMAC vectors, the wire
 * format, every rejection, replay and verdict freshness, key files. */
#include "test.h"
#include "keepalive.h"
#include "rfc4231.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t key1[KA_KEY_SIZE] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static struct ka_msg keepalive(uint64_t boot, uint64_t seq, uint64_t t)
{
	struct ka_msg m = { .type = KA_KEEPALIVE, .state = KA_ST_SSHD | KA_ST_RESCUE_SSH,
			    .host = "web-1.example_org", .boot_id = boot, .seq = seq,
			    .time_ms = t };
	return m;
}

static struct ka_msg verdict(uint64_t boot, uint64_t seq, uint64_t eboot, uint64_t eseq)
{
	struct ka_msg m = { .type = KA_VERDICT, .host = "web-1", .boot_id = boot, .seq = seq,
			    .echo_boot = eboot, .echo_seq = eseq, .time_ms = 1000 + seq };
	return m;
}

static int msg_eq(const struct ka_msg *a, const struct ka_msg *b)
{
	return a->type == b->type && a->state == b->state && !strcmp(a->host, b->host) &&
	       a->boot_id == b->boot_id && a->seq == b->seq && a->echo_boot == b->echo_boot &&
	       a->echo_seq == b->echo_seq && a->time_ms == b->time_ms;
}

/* Re-sign a hand-edited datagram: its MAC is valid, its fields need not be. */
static void resign(uint8_t d[KA_SIZE])
{
	ka_hmac(key1, KA_KEY_SIZE, d, KA_MAC_OFF, d + KA_MAC_OFF);
}

static void good_dgram(uint8_t d[KA_SIZE])
{
	struct ka_msg m = keepalive(0x1122334455667788ull, 42, 1700000000000ull);
	if (ka_encode(&m, key1, d) != 0)
		FAIL("encoding a valid keepalive failed");
}

static void hmac_tests(void)
{
	for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
		TEST("keepalive: RFC 4231 HMAC-SHA256 test case %d", rfc4231[i].tc) {
			uint8_t key[200], data[200], want[32], got[32];

			rfc4231_build(&rfc4231[i], key, data, want);
			ka_hmac(key, rfc4231[i].key_len, data, rfc4231[i].data_len, got);
			CHECK(!memcmp(got, want, 32));
		}
	}
	TEST("keepalive: MAC comparison finds a difference in any byte") {
		uint8_t a[32], b[32];

		memset(a, 0x33, 32);
		memcpy(b, a, 32);
		CHECK(ka_mac_equal(a, b));
		for (int i = 0; i < 32; i++) {
			b[i] ^= 0x80;
			CHECK_MSG(!ka_mac_equal(a, b), "byte %d", i);
			b[i] ^= 0x80;
		}
	}
}

static void format_tests(void)
{
	TEST("keepalive: encode then decode gives the same message") {
		uint8_t d[KA_SIZE];
		struct ka_msg m = keepalive(0xfedcba9876543210ull, 1ull << 40, 1700000000123ull);
		struct ka_msg v = verdict(5, 6, 0xfedcba9876543210ull, 1ull << 40), out;

		CHECK_INT(ka_encode(&m, key1, d), 0);
		memset(&out, 0x55, sizeof out);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_OK);
		CHECK(msg_eq(&m, &out));
		CHECK_INT(ka_encode(&v, key1, d), 0);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_OK);
		CHECK(msg_eq(&v, &out));
	}
	TEST("keepalive: the wire layout is big-endian at the documented offsets") {
		uint8_t d[KA_SIZE], mac[32];
		struct ka_msg m = keepalive(0x0102030405060708ull, 0x1112131415161718ull, 0x2122232425262728ull);

		CHECK_INT(ka_encode(&m, key1, d), 0);
		CHECK(!memcmp(d, "LLKA\x01\x01\x00\x06", 8));
		CHECK(!memcmp(d + 8, "web-1.example_org", 18));
		for (int i = 8 + 18; i < 40; i++)
			CHECK_MSG(d[i] == 0, "host padding byte %d", i);
		CHECK(!memcmp(d + 40, "\x01\x02\x03\x04\x05\x06\x07\x08", 8));
		CHECK(!memcmp(d + 48, "\x11\x12\x13\x14\x15\x16\x17\x18", 8));
		for (int i = 56; i < 72; i++)
			CHECK_MSG(d[i] == 0, "echo byte %d", i);
		CHECK(!memcmp(d + 72, "\x21\x22\x23\x24\x25\x26\x27\x28", 8));
		ka_hmac(key1, KA_KEY_SIZE, d, 80, mac);
		CHECK(!memcmp(d + 80, mac, 32));
	}
	TEST("keepalive: encode refuses bad type, state bits, host names, echo in a keepalive") {
		uint8_t d[KA_SIZE], before[KA_SIZE];
		struct ka_msg m = keepalive(1, 1, 1);
		static const char *const bad_hosts[] = {
			"", "a b", "web/1", "host:22", "é", "a\tb",
			"0123456789012345678901234567890", /* 31: fine, tested below */
		};

		memset(d, 0xee, sizeof d);
		memcpy(before, d, sizeof d);
		m.type = 0;
		CHECK_INT(ka_encode(&m, key1, d), -1);
		m.type = 3;
		CHECK_INT(ka_encode(&m, key1, d), -1);
		m = keepalive(1, 1, 1);
		m.state = 0x10;
		CHECK_INT(ka_encode(&m, key1, d), -1);
		m = keepalive(1, 1, 1);
		m.echo_seq = 1;
		CHECK_INT(ka_encode(&m, key1, d), -1);
		m = verdict(1, 1, 1, 1);
		m.state = KA_ST_RESCUE;
		CHECK_INT(ka_encode(&m, key1, d), -1);
		for (int i = 0; i < 6; i++) {
			m = keepalive(1, 1, 1);
			strcpy(m.host, bad_hosts[i]);
			CHECK_MSG(ka_encode(&m, key1, d) == -1, "host \"%s\"", bad_hosts[i]);
		}
		m = keepalive(1, 1, 1);
		memset(m.host, 'x', 32);   /* no NUL within 32 bytes */
		CHECK_INT(ka_encode(&m, key1, d), -1);
		CHECK(!memcmp(d, before, sizeof d));
		m = keepalive(1, 1, 1);
		strcpy(m.host, bad_hosts[6]);
		CHECK_INT(ka_encode(&m, key1, d), 0);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &m), KA_OK);
		CHECK_INT(strlen(m.host), 31);
	}
}

static void rejection_tests(void)
{
	TEST("keepalive: every truncated length 0..111 is bad-size") {
		uint8_t d[KA_SIZE];
		struct ka_msg out;

		good_dgram(d);
		for (size_t n = 0; n < KA_SIZE; n++)
			CHECK_MSG(ka_decode(d, n, key1, &out) == KA_BAD_SIZE, "length %zu", n);
	}
	TEST("keepalive: oversized datagrams (113, 1500) are bad-size") {
		uint8_t d[1500];
		struct ka_msg out;

		memset(d, 0, sizeof d);
		good_dgram(d);
		CHECK_INT(ka_decode(d, 113, key1, &out), KA_BAD_SIZE);
		CHECK_INT(ka_decode(d, 1500, key1, &out), KA_BAD_SIZE);
	}
	TEST("keepalive: one flipped bit anywhere in the 112 bytes is bad-mac") {
		uint8_t d[KA_SIZE];
		struct ka_msg out;

		good_dgram(d);
		for (int i = 0; i < KA_SIZE; i++)
			for (int bit = 0; bit < 8; bit++) {
				d[i] ^= (uint8_t)(1 << bit);
				CHECK_MSG(ka_decode(d, KA_SIZE, key1, &out) == KA_BAD_MAC,
					  "byte %d bit %d", i, bit);
				d[i] ^= (uint8_t)(1 << bit);
			}
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_OK);
	}
	TEST("keepalive: a datagram under another key is bad-mac") {
		uint8_t d[KA_SIZE], key2[KA_KEY_SIZE];
		struct ka_msg out;

		good_dgram(d);
		memcpy(key2, key1, sizeof key2);
		key2[31] ^= 1;
		CHECK_INT(ka_decode(d, KA_SIZE, key2, &out), KA_BAD_MAC);
	}
	TEST("keepalive: bad magic or version with a valid MAC is bad-version") {
		uint8_t d[KA_SIZE];
		struct ka_msg out;

		good_dgram(d);
		d[4] = 2;
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_VERSION);
		d[4] = 0;
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_VERSION);
		good_dgram(d);
		d[0] = 'X';
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_VERSION);
	}
	TEST("keepalive: unknown type with a valid MAC is bad-type") {
		uint8_t d[KA_SIZE];
		struct ka_msg out;
		static const uint8_t types[] = { 0, 3, 0x81, 0xff };

		for (int i = 0; i < 4; i++) {
			good_dgram(d);
			d[5] = types[i];
			resign(d);
			CHECK_MSG(ka_decode(d, KA_SIZE, key1, &out) == KA_BAD_TYPE, "type %d", types[i]);
		}
	}
	TEST("keepalive: unknown state bits, echo in a keepalive, state in a verdict are bad-field") {
		uint8_t d[KA_SIZE];
		struct ka_msg out, v = verdict(1, 1, 1, 1);
		static const uint16_t states[] = { 0x10, 0x100, 0x8000, 0xffff };

		for (int i = 0; i < 4; i++) {
			good_dgram(d);
			d[6] = (uint8_t)(states[i] >> 8);
			d[7] = (uint8_t)states[i];
			resign(d);
			CHECK_MSG(ka_decode(d, KA_SIZE, key1, &out) == KA_BAD_FIELD, "state %#x", states[i]);
		}
		good_dgram(d);
		d[63] = 1;   /* echo boot */
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_FIELD);
		good_dgram(d);
		d[64] = 1;   /* echo seq */
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_FIELD);
		CHECK_INT(ka_encode(&v, key1, d), 0);
		d[7] = KA_ST_RESCUE;
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_FIELD);
	}
	TEST("keepalive: bad host names with a valid MAC are bad-field") {
		uint8_t d[KA_SIZE];
		struct ka_msg out;
		static const char *const names[] = { "", "a b", "x/y", "semi;colon", "\xc3\xa9" };

		for (int i = 0; i < 5; i++) {
			good_dgram(d);
			memset(d + 8, 0, 32);
			memcpy(d + 8, names[i], strlen(names[i]));
			resign(d);
			CHECK_MSG(ka_decode(d, KA_SIZE, key1, &out) == KA_BAD_FIELD, "\"%s\"", names[i]);
		}
		good_dgram(d);           /* 32 bytes, no NUL */
		memset(d + 8, 'a', 32);
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_FIELD);
		good_dgram(d);           /* junk after the NUL */
		d[39] = 'z';
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_FIELD);
	}
	TEST("keepalive: out is untouched unless the result is ok") {
		uint8_t d[KA_SIZE];
		struct ka_msg out, before;

		memset(&out, 0x77, sizeof out);
		before = out;
		good_dgram(d);
		d[5] = 9;
		resign(d);
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_TYPE);
		d[0] ^= 1;
		CHECK_INT(ka_decode(d, KA_SIZE, key1, &out), KA_BAD_MAC);
		CHECK(!memcmp(&out, &before, sizeof out));
	}
	TEST("keepalive: result names") {
		CHECK_STR(ka_result_name(KA_OK), "ok");
		CHECK_STR(ka_result_name(KA_BAD_MAC), "bad-mac");
		CHECK_STR(ka_result_name(KA_STALE), "stale");
		CHECK_STR(ka_result_name(KA_NRESULTS), "unknown");
		for (int r = 0; r < KA_NRESULTS; r++)
			CHECK_MSG(strcmp(ka_result_name((enum ka_result)r), "unknown"), "result %d", r);
	}
}

static void replay_tests(void)
{
	TEST("keepalive: replay: the same seq again and a lower seq are refused") {
		struct ka_replay r = { 0 };
		struct ka_msg m = keepalive(10, 5, 1000);

		CHECK_INT(ka_replay_check(&r, &m), KA_OK);
		CHECK_INT(ka_replay_check(&r, &m), KA_REPLAY);
		m.seq = 4;
		m.time_ms = 2000;
		CHECK_INT(ka_replay_check(&r, &m), KA_REPLAY);
		CHECK_INT(r.seq, 5);
		m.seq = 6;
		CHECK_INT(ka_replay_check(&r, &m), KA_OK);
		m.seq = 1000;   /* gaps are fine: datagrams get lost */
		CHECK_INT(ka_replay_check(&r, &m), KA_OK);
		CHECK_INT(r.seq, 1000);
	}
	TEST("keepalive: replay: a new boot is accepted only with a later time") {
		struct ka_replay r = { 0 };
		struct ka_msg a = keepalive(10, 500, 5000), b = keepalive(11, 1, 5000);

		CHECK_INT(ka_replay_check(&r, &a), KA_OK);
		CHECK_INT(ka_replay_check(&r, &b), KA_STALE);   /* same time */
		b.time_ms = 4999;
		CHECK_INT(ka_replay_check(&r, &b), KA_STALE);
		CHECK_INT(r.boot_id, 10);
		b.time_ms = 5001;
		CHECK_INT(ka_replay_check(&r, &b), KA_OK);
		CHECK_INT(r.boot_id, 11);
		CHECK_INT(r.seq, 1);
	}
	TEST("keepalive: replay: a datagram of the earlier boot replayed later is stale") {
		struct ka_replay r = { 0 };
		struct ka_msg old = keepalive(10, 900, 5000), now = keepalive(11, 1, 9000);

		CHECK_INT(ka_replay_check(&r, &old), KA_OK);
		CHECK_INT(ka_replay_check(&r, &now), KA_OK);
		old.seq = 901;   /* even one the receiver never saw */
		CHECK_INT(ka_replay_check(&r, &old), KA_STALE);
		CHECK_INT(r.boot_id, 11);
	}
	TEST("keepalive: verdict freshness: window edges") {
		struct ka_sent s = { .boot_id = 77, .seq = 100 };
		struct ka_msg v = verdict(1, 1, 77, 100);

		CHECK_INT(ka_verdict_check(&s, &v, 3), KA_OK);
		v.echo_seq = 98;                     /* seq - window + 1 */
		CHECK_INT(ka_verdict_check(&s, &v, 3), KA_OK);
		v.echo_seq = 97;                     /* seq - window: out */
		CHECK_INT(ka_verdict_check(&s, &v, 3), KA_STALE);
		v.echo_seq = 101;                    /* not sent yet */
		CHECK_INT(ka_verdict_check(&s, &v, 3), KA_STALE);
		v.echo_seq = 100;
		v.echo_boot = 78;                    /* another boot */
		CHECK_INT(ka_verdict_check(&s, &v, 3), KA_STALE);
		v.echo_boot = 77;
		CHECK_INT(ka_verdict_check(&s, &v, 0), KA_STALE);
		CHECK_INT(ka_verdict_check(&s, &v, 1), KA_OK);
		v.echo_seq = 99;
		CHECK_INT(ka_verdict_check(&s, &v, 1), KA_STALE);
	}
	TEST("keepalive: verdict freshness: no wrap near seq 0 or a huge window") {
		struct ka_sent s = { .boot_id = 5, .seq = 2 };
		struct ka_msg v = verdict(1, 1, 5, 0);

		CHECK_INT(ka_verdict_check(&s, &v, 10), KA_OK);
		v.echo_seq = UINT64_MAX;
		CHECK_INT(ka_verdict_check(&s, &v, 10), KA_STALE);
		CHECK_INT(ka_verdict_check(&s, &v, UINT64_MAX), KA_STALE);
		v.echo_seq = 2;
		CHECK_INT(ka_verdict_check(&s, &v, UINT64_MAX), KA_OK);
	}
	TEST("keepalive: verdict check refuses a keepalive") {
		struct ka_sent s = { .boot_id = 5, .seq = 2 };
		struct ka_msg k = keepalive(5, 2, 1);

		CHECK_INT(ka_verdict_check(&s, &k, 10), KA_BAD_TYPE);
	}
	TEST("keepalive: a verdict is acted on once (replay per peer)") {
		struct ka_sent s = { .boot_id = 5, .seq = 20 };
		struct ka_replay peer = { 0 };
		struct ka_msg v = verdict(900, 3, 5, 20), v2 = verdict(900, 4, 5, 20);
		uint8_t d[KA_SIZE];
		struct ka_msg got;
		struct ka_counters c = { { 0 } };
		enum ka_result r;

		CHECK_INT(ka_encode(&v, key1, d), 0);
		for (int i = 0; i < 2; i++) {   /* the same datagram twice */
			r = ka_decode(d, KA_SIZE, key1, &got);
			if (r == KA_OK)
				r = ka_verdict_check(&s, &got, 4);
			if (r == KA_OK)
				r = ka_replay_check(&peer, &got);
			c.n[r]++;
		}
		CHECK_INT(c.n[KA_OK], 1);
		CHECK_INT(c.n[KA_REPLAY], 1);
		/* the peer repeats with a new seq: a new verdict, fresh */
		CHECK_INT(ka_verdict_check(&s, &v2, 4), KA_OK);
		CHECK_INT(ka_replay_check(&peer, &v2), KA_OK);
	}
}

/* A key file with the given content and mode; returns its path. */
static const char *key_file(const char *content, mode_t mode)
{
	const char *p = temp_file(content);
	if (chmod(p, mode) != 0)
		FAIL("chmod %s: %s", p, strerror(errno));
	return p;
}

#define HEXKEY "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F"

static void key_tests(void)
{
	char err[256];
	uint8_t key[KA_KEY_SIZE];

	TEST("keepalive: key file: 64 hex digits, mode 0600, with or without a newline") {
		int ok = 1;

		memset(key, 0xff, sizeof key);
		CHECK_INT(ka_key_load(key_file(HEXKEY "\n", 0600), key, err, sizeof err), 0);
		for (int i = 0; i < KA_KEY_SIZE; i++)
			ok &= key[i] == i;
		CHECK(ok);
		CHECK_INT(ka_key_load(key_file(HEXKEY, 0400), key, err, sizeof err), 0);
	}
	TEST("keepalive: key file readable by others (0644) is refused") {
		const char *p = key_file(HEXKEY "\n", 0644);

		CHECK_INT(ka_key_load(p, key, err, sizeof err), -1);
		CHECK_CONTAINS(err, "is readable by others (mode 0644): chmod 600 ");
		CHECK_CONTAINS(err, p);
	}
	TEST("keepalive: key file readable by the group (0640) or writable (0602) is refused") {
		CHECK_INT(ka_key_load(key_file(HEXKEY "\n", 0640), key, err, sizeof err), -1);
		CHECK_CONTAINS(err, "(mode 0640)");
		CHECK_INT(ka_key_load(key_file(HEXKEY "\n", 0602), key, err, sizeof err), -1);
		CHECK_CONTAINS(err, "writable by others (mode 0602)");
	}
	TEST("keepalive: key file not owned by root is refused") {
		const char *p = key_file(HEXKEY "\n", 0600);

		if (getuid() != 0 || chown(p, 1000, 1000) != 0) {
			t_note("not root: ownership is not tested here");
		} else {
			CHECK_INT(ka_key_load(p, key, err, sizeof err), -1);
			CHECK_CONTAINS(err, "not root");
		}
	}
	TEST("keepalive: key file of the wrong length or not hex is refused") {
		static const char *const bad[] = {
			"", "00", HEXKEY "0", HEXKEY "\n\n", HEXKEY " ", HEXKEY "\r\n",
			"0001020304050607", HEXKEY "00\n",
		};
		const char *nothex = "0g0102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";

		for (int i = 0; i < 8; i++) {
			CHECK_MSG(ka_key_load(key_file(bad[i], 0600), key, err, sizeof err) == -1,
				  "case %d", i);
			CHECK_CONTAINS(err, "64 hex digits");
		}
		CHECK_INT(ka_key_load(key_file(nothex, 0600), key, err, sizeof err), -1);
		CHECK_CONTAINS(err, "not a hex digit at byte 2");
	}
	TEST("keepalive: a missing key file and a directory are refused") {
		CHECK_INT(ka_key_load("/nonexistent/lifeline.key", key, err, sizeof err), -1);
		CHECK_CONTAINS(err, "No such file");
		CHECK_INT(ka_key_load(temp_dir(), key, err, sizeof err), -1);
	}
	TEST("keepalive: generate writes a 0600 key that loads; never overwrites") {
		char path[512];
		struct stat st;
		uint8_t k2[KA_KEY_SIZE];
		mode_t old = umask(0);

		snprintf(path, sizeof path, "%s/peer.key", temp_dir());
		CHECK_INT(ka_key_generate(path, err, sizeof err), 0);
		umask(old);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 65);
		CHECK_INT(ka_key_load(path, key, err, sizeof err), 0);
		CHECK_INT(ka_key_generate(path, err, sizeof err), -1);
		CHECK_CONTAINS(err, "never overwritten");
		CHECK_INT(ka_key_load(path, k2, err, sizeof err), 0);
		CHECK(!memcmp(key, k2, sizeof key));
		unlink(path);
		CHECK_INT(ka_key_generate(path, err, sizeof err), 0);
		CHECK_INT(ka_key_load(path, k2, err, sizeof err), 0);
		CHECK(memcmp(key, k2, sizeof key) != 0);   /* random: not the same key */
		unlink(path);
	}
}

void suite_keepalive(void)
{
	hmac_tests();
	format_tests();
	rejection_tests();
	replay_tests();
	key_tests();
}
