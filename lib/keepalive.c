/* The keepalive protocol: see keepalive.h and lifeline-keepalive(7). */
#define _GNU_SOURCE
#include "keepalive.h"
#include "fmt.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t magic[4] = { 'L', 'L', 'K', 'A' };
/* a key file's hex digits */
static const size_t key_hex = 2 * (size_t)KA_KEY_SIZE;

void ka_hmac(const uint8_t *key, size_t keylen, const void *data, size_t len,
	     uint8_t out[KA_MAC_SIZE])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, keylen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, len);
	br_hmac_out(&hc, out);
}

int ka_mac_equal(const uint8_t a[KA_MAC_SIZE], const uint8_t b[KA_MAC_SIZE])
{
	/* volatile: the compiler must not turn this into an early exit */
	volatile uint8_t d = 0;

	for (int i = 0; i < KA_MAC_SIZE; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

int ka_host_valid(const char *s)
{
	int n = 0;

	while (n <= KA_HOST_MAX && s[n]) {
		if (!host_char((unsigned char)s[n]))
			return 0;
		n++;
	}
	return n >= 1 && n <= KA_HOST_MAX;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The field rules shared by encode and decode. */
static int msg_valid(const struct ka_msg *m)
{
	if (m->type == KA_KEEPALIVE)
		return !(m->state & ~KA_ST_ALL) && !m->echo_boot && !m->echo_seq;
	/* a verdict carries no state */
	return m->type == KA_VERDICT && m->state == 0;
}

int ka_encode(const struct ka_msg *m, const uint8_t key[KA_KEY_SIZE], uint8_t out[KA_SIZE])
{
	uint8_t b[KA_SIZE];
	size_t hl;

	if (!msg_valid(m) || !ka_host_valid(m->host))
		return -1;
	memset(b, 0, sizeof b);
	memcpy(b, magic, 4);
	b[4] = KA_VERSION;
	b[5] = m->type;
	put16(b + 6, m->state);
	hl = strlen(m->host);
	memcpy(b + 8, m->host, hl);
	put64(b + 40, m->boot_id);
	put64(b + 48, m->seq);
	put64(b + 56, m->echo_boot);
	put64(b + 64, m->echo_seq);
	put64(b + 72, m->time_ms);
	ka_hmac(key, KA_KEY_SIZE, b, KA_MAC_OFF, b + KA_MAC_OFF);
	memcpy(out, b, KA_SIZE);
	return 0;
}

enum ka_result ka_decode(const uint8_t *buf, size_t len, const uint8_t key[KA_KEY_SIZE],
			 struct ka_msg *out)
{
	uint8_t mac[KA_MAC_SIZE];
	struct ka_msg m;
	const uint8_t *h = buf + 8;
	int n = 0;

	if (len != KA_SIZE)
		return KA_BAD_SIZE;
	/* nothing an unauthenticated sender wrote is looked at before this */
	ka_hmac(key, KA_KEY_SIZE, buf, KA_MAC_OFF, mac);
	if (!ka_mac_equal(mac, buf + KA_MAC_OFF))
		return KA_BAD_MAC;
	if (memcmp(buf, magic, 4) != 0 || buf[4] != KA_VERSION)
		return KA_BAD_VERSION;
	if (buf[5] != KA_KEEPALIVE && buf[5] != KA_VERDICT)
		return KA_BAD_TYPE;
	memset(&m, 0, sizeof m);
	m.type = buf[5];
	m.state = get16(buf + 6);
	/* the name, then only NULs up to byte 39 */
	while (n < 32 && h[n])
		n++;
	if (n == 32)
		return KA_BAD_FIELD;
	for (int i = n; i < 32; i++)
		if (h[i])
			return KA_BAD_FIELD;
	memcpy(m.host, h, (size_t)n);
	if (!ka_host_valid(m.host))
		return KA_BAD_FIELD;
	m.boot_id = get64(buf + 40);
	m.seq = get64(buf + 48);
	m.echo_boot = get64(buf + 56);
	m.echo_seq = get64(buf + 64);
	m.time_ms = get64(buf + 72);
	if (!msg_valid(&m))
		return KA_BAD_FIELD;
	*out = m;
	return KA_OK;
}

enum ka_result ka_replay_check(struct ka_replay *r, const struct ka_msg *m)
{
	if (r->have && m->boot_id == r->boot_id && m->seq <= r->seq)
		return KA_REPLAY;
	/* a datagram of an earlier boot, replayed, is older than the last one */
	if (r->have && m->boot_id != r->boot_id && m->time_ms <= r->time_ms)
		return KA_STALE;
	r->have = 1;
	r->boot_id = m->boot_id;
	r->seq = m->seq;
	r->time_ms = m->time_ms;
	return KA_OK;
}

enum ka_result ka_verdict_check(const struct ka_sent *s, const struct ka_msg *v,
				uint64_t window)
{
	if (v->type != KA_VERDICT)
		return KA_BAD_TYPE;
	/* echo_seq in (seq - window, seq], written so nothing wraps */
	if (v->echo_boot != s->boot_id || v->echo_seq > s->seq ||
	    s->seq - v->echo_seq >= window)
		return KA_STALE;
	return KA_OK;
}

enum ka_result ka_verdict_precheck(const uint8_t *buf, size_t len, const char *host,
				   const struct ka_sent *s, uint64_t window)
{
	struct ka_msg m;
	size_t hl = strlen(host);

	if (len != KA_SIZE)
		return KA_BAD_SIZE;
	if (memcmp(buf, magic, 4) != 0 || buf[4] != KA_VERSION)
		return KA_BAD_VERSION;
	if (buf[5] != KA_VERDICT)
		return KA_BAD_TYPE;
	if (hl == 0 || hl > 31 || memcmp(buf + 8, host, hl) != 0 || buf[8 + hl] != 0)
		return KA_BAD_FIELD;
	memset(&m, 0, sizeof m);
	m.type = KA_VERDICT;
	m.echo_boot = get64(buf + 56);
	m.echo_seq = get64(buf + 64);
	return ka_verdict_check(s, &m, window);
}

const char *ka_result_name(enum ka_result r)
{
	static const char *const names[KA_NRESULTS] = {
		"ok", "bad-size", "bad-mac", "bad-version", "bad-type",
		"bad-field", "replay", "stale", "rate",
	};

	if ((unsigned)r >= KA_NRESULTS)
		return "unknown";
	return names[r];
}

const char *ka_state_bit_name(int bit)
{
	static const char *const names[KA_ST_NBITS] = {
		"rescue", "sshd", "rescue-ssh", "ssh-served",
	};

	return bit >= 0 && bit < KA_ST_NBITS ? names[bit] : "unknown";
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The mode as four octal digits, for messages (fmt has no %o). */
static void mode_str(char out[5], unsigned mode)
{
	for (int i = 3; i >= 0; i--) {
		out[i] = (char)('0' + (mode & 7));
		mode >>= 3;
	}
	out[4] = 0;
}

static int key_check_file(int fd, const char *path, char *err, int errcap)
{
	struct stat st;
	char ms[5];

	if (fstat(fd, &st) < 0) {
		fmt(err, (size_t)errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	mode_str(ms, st.st_mode & 07777);
	if (!S_ISREG(st.st_mode)) {
		fmt(err, (size_t)errcap, "%s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0) {
		fmt(err, (size_t)errcap, "%s is owned by uid %u, not root: chown root %s",
		    path, (unsigned)st.st_uid, path);
		return -1;
	}
	if (st.st_mode & 077) {
		fmt(err, (size_t)errcap, "%s is %s by others (mode %s): chmod 600 %s", path,
		    (st.st_mode & 022) && !(st.st_mode & 044) ? "writable" : "readable",
		    ms, path);
		return -1;
	}
	return 0;
}

int ka_key_load(const char *path, uint8_t key[KA_KEY_SIZE], char *err, int errcap)
{
	char buf[2 * KA_KEY_SIZE + 2];
	uint8_t k[KA_KEY_SIZE];
	size_t len;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		fmt(err, (size_t)errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (key_check_file(fd, path, err, errcap) < 0)
		goto out;
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fmt(err, (size_t)errcap, "%s: %s", path, strerror(errno));
		goto out;
	}
	len = (size_t)n;
	if (len < key_hex || len > key_hex + 1 || (len == key_hex + 1 && buf[key_hex] != '\n')) {
		fmt(err, (size_t)errcap, "%s: a key file holds 64 hex digits and a newline",
		    path);
		goto out;
	}
	for (size_t i = 0; i < KA_KEY_SIZE; i++) {
		int hi = hexval((unsigned char)buf[2 * i]);
		int lo = hexval((unsigned char)buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			fmt(err, (size_t)errcap, "%s: not a hex digit at byte %zu", path,
			    hi < 0 ? 2 * i + 1 : 2 * i + 2);
			goto out;
		}
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, k, KA_KEY_SIZE);
	rc = 0;
out:
	memset(buf, 0, sizeof buf);
	memset(k, 0, sizeof k);
	close(fd);
	return rc;
}

static int fill_random(uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int ka_key_generate(const char *path, char *err, int errcap)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t k[KA_KEY_SIZE];
	char buf[2 * KA_KEY_SIZE + 1];
	size_t off = 0;
	int fd, rc = -1;

	if (fill_random(k, sizeof k) < 0) {
		fmt(err, (size_t)errcap, "getrandom: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < KA_KEY_SIZE; i++) {
		buf[2 * i] = hex[k[i] >> 4];
		buf[2 * i + 1] = hex[k[i] & 15];
	}
	buf[key_hex] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fmt(err, (size_t)errcap, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (a key is never overwritten)" : "");
		goto out;
	}
	while (off < sizeof buf) {
		ssize_t n = write(fd, buf + off, sizeof buf - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off < sizeof buf || fsync(fd) < 0) {
		fmt(err, (size_t)errcap, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(path);
	} else {
		rc = 0;
	}
	close(fd);
out:
	memset(buf, 0, sizeof buf);
	memset(k, 0, sizeof k);
	return rc;
}
