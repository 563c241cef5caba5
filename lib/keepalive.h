/* The keepalive protocol between a host (lifeline, PID 1) and its peers
 * (lifeline-peer): fixed 112-byte UDP datagrams authenticated with
 * HMAC-SHA256 (BearSSL) under a pre-shared key per host.  The wire format,
 * the checks and their order are in lifeline-keepalive(7).
 *
 * Shared by both ends: no allocation, no stdio, no global state. */
#ifndef LIFELINE_KEEPALIVE_H
#define LIFELINE_KEEPALIVE_H
#include <stddef.h>
#include <stdint.h>

#define KA_SIZE 112
#define KA_KEY_SIZE 32
#define KA_MAC_SIZE 32
#define KA_MAC_OFF 80           /* the MAC covers bytes 0..79 */
#define KA_HOST_MAX 31          /* host name bytes, without the NUL */
#define KA_VERSION 1

enum { KA_KEEPALIVE = 1, KA_VERDICT = 2 };

/* keepalive state bits */
#define KA_ST_RESCUE 0x1        /* this is the rescue system */
#define KA_ST_SSHD 0x2          /* the normal sshd runs */
#define KA_ST_RESCUE_SSH 0x4    /* the rescue ssh runs */
/* an SSH server here sent data on a new connection within the last 10 s:
 * SSH works for someone, if not for the peer's probes (a full MaxStartups) */
#define KA_ST_SSH_SERVED 0x8
#define KA_ST_ALL 0xf
#define KA_ST_NBITS 4

struct ka_msg {
	uint8_t type;
	uint16_t state;
	char host[32];
	uint64_t boot_id, seq, echo_boot, echo_seq, time_ms;
};

enum ka_result {
	KA_OK, KA_BAD_SIZE, KA_BAD_MAC, KA_BAD_VERSION, KA_BAD_TYPE,
	KA_BAD_FIELD, KA_REPLAY, KA_STALE, KA_RATE, KA_NRESULTS
};

/* Results counted per peer or host, for status and metrics. */
struct ka_counters {
	uint64_t n[KA_NRESULTS];
};

/* HMAC-SHA256(key, data) into out[32], through BearSSL. */
void ka_hmac(const uint8_t *key, size_t keylen, const void *data, size_t len,
	     uint8_t out[KA_MAC_SIZE]);
/* 1 if a and b are equal; time independent of where they differ. */
int ka_mac_equal(const uint8_t a[KA_MAC_SIZE], const uint8_t b[KA_MAC_SIZE]);

/* 1 if s is a valid host name: 1..31 bytes of [A-Za-z0-9._-], NUL-ended
 * within 32 bytes. */
int ka_host_valid(const char *s);

/* Encode and sign m.  -1 (out untouched) on a bad type, host name, state
 * bits, or echo fields set in a keepalive. */
int ka_encode(const struct ka_msg *m, const uint8_t key[KA_KEY_SIZE], uint8_t out[KA_SIZE]);

/* Check and decode a received datagram: the length, then the MAC (in
 * constant time, before any field is read), then magic, version, type and
 * fields.  out is written only on KA_OK. */
enum ka_result ka_decode(const uint8_t *buf, size_t len, const uint8_t key[KA_KEY_SIZE],
			 struct ka_msg *out);

/* Replay protection for a receiver of one sender's messages. */
struct ka_replay {
	int have;
	uint64_t boot_id, seq, time_ms;
};
/* Same boot id: only a higher seq passes (else KA_REPLAY).  Another boot
 * id: only a later time_ms than the last accepted (else KA_STALE).  r is
 * updated on KA_OK only. */
enum ka_result ka_replay_check(struct ka_replay *r, const struct ka_msg *m);

/* On the host: its own boot id and the seq of its latest keepalive. */
struct ka_sent {
	uint64_t boot_id, seq;
};
/* A verdict is fresh if it answers one of the host's last `window`
 * keepalives of this boot: echo_boot == boot_id, echo_seq in
 * (seq - window, seq].  KA_BAD_TYPE if v is not a verdict, else KA_STALE.
 * The caller also runs ka_replay_check per peer so a verdict counts once. */
enum ka_result ka_verdict_check(const struct ka_sent *s, const struct ka_msg *v,
				uint64_t window);

/* On the host, before the MAC: could buf be a verdict for host, answering
 * one of its last `window` keepalives?  It reads bytes nobody vouches for,
 * but whatever fails here would fail after the MAC too; what passes still
 * needs ka_decode.  So a stranger's datagram costs no HMAC unless it
 * echoes a recent keepalive of this host, which only someone who sees them
 * can.  KA_OK, or the result ka_decode and the checks after it would give
 * a genuine datagram with those bytes. */
enum ka_result ka_verdict_precheck(const uint8_t *buf, size_t len, const char *host,
				   const struct ka_sent *s, uint64_t window);

/* "ok", "bad-size", ...: stable names for logs and metrics ("rate": not
 * looked at, past a sender's budget of MAC checks). */
const char *ka_result_name(enum ka_result r);

/* "rescue", "sshd", "rescue-ssh", "ssh-served": the name of state bit
 * (1 << bit), for logs and status. */
const char *ka_state_bit_name(int bit);

/* Read a key file: 64 hex digits and an optional newline, a regular file
 * owned by root with no group or other permission bits.  -1 with a
 * message in err otherwise. */
int ka_key_load(const char *path, uint8_t key[KA_KEY_SIZE], char *err, int errcap);
/* Write a new random key (getrandom) to path, mode 0600; never overwrites
 * an existing file. */
int ka_key_generate(const char *path, char *err, int errcap);

#endif
