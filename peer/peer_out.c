/* What lifeline-peer shows: the status table, the same as JSON, and the
 * Prometheus text format for node_exporter's textfile collector.  Written
 * by a child process (peer_server.c), so the daemon's loop never waits on a
 * reader; stdio is fine here. */
#include "peer.h"

#include <inttypes.h>
#include <string.h>

struct lp_timing lp_host_timing(const struct lp_conf *c, const struct lp_host *h,
				int64_t started)
{
	struct lp_timing t = {
		.grace = c->grace_ms, .verdict_interval = c->verdict_interval_ms,
		.down_after = c->down_after_ms, .started = started,
		.silence_verdict = c->silence_verdict, .probes = h->conf->nssh > 0,
	};
	return t;
}

static uint64_t drops_total(const struct lp_host *h)
{
	uint64_t n = 0;

	for (int r = KA_OK + 1; r < KA_NRESULTS; r++)
		n += h->drops.n[r];
	return n;
}

void lp_out_ssh(const struct lp_host *h, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = 0;
	if (h->conf->nssh == 0) {
		snprintf(out, cap, "no");
		return;
	}
	for (int i = 0; i < h->conf->nssh && o < cap; i++) {
		int n = snprintf(out + o, cap - o, "%s%u:%s", i ? " " : "",
				 (unsigned)h->conf->ssh[i].port,
				 h->ssh[i].result == LP_PR_NONE ? "-" : lp_probe_name(h->ssh[i].result));
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static const char *system_name(const struct lp_host *h)
{
	if (!h->hs.have_ka)
		return "-";
	return h->hs.bits & KA_ST_RESCUE ? "rescue" : "normal";
}

static void ago(char *out, size_t cap, int64_t ms)
{
	lp_duration_str(ms, out, cap);
	strncat(out, " ago", cap - strlen(out) - 1);
}

void lp_out_table(FILE *f, const struct lp_view *v)
{
	fprintf(f, "%-20s %-16s %-14s %-7s %-24s %-14s %8s %8s\n", "HOST", "STATE",
		"LAST-KEEPALIVE", "SYSTEM", "SSH", "NEXT-VERDICT", "VERDICTS", "DROPPED");
	for (int i = 0; i < v->nhosts; i++) {
		const struct lp_host *h = &v->host[i];
		struct lp_timing t = lp_host_timing(v->conf, h, v->started);
		enum lp_state s = lp_hs_eval(&h->hs, &t, v->now);
		int64_t in = lp_hs_verdict_in(&h->hs, &t, v->now);
		char last[32], ssh[96], next[32];

		if (h->hs.have_ka)
			ago(last, sizeof last, v->now - h->hs.last_ka);
		else
			snprintf(last, sizeof last, "never");
		lp_out_ssh(h, ssh, sizeof ssh);
		if (in < 0) {
			snprintf(next, sizeof next, "-");
		} else {
			memcpy(next, "in ", 4);
			lp_duration_str(in, next + 3, sizeof next - 3);
		}
		fprintf(f, "%-20s %-16s %-14s %-7s %-24s %-14s %8" PRIu64 " %8" PRIu64 "\n",
			h->conf->name, lp_state_name(s), last, system_name(h), ssh, next,
			h->hs.verdicts, drops_total(h));
	}
	if (v->unknown_source)
		fprintf(f, "datagrams from unknown addresses: %" PRIu64 "\n", v->unknown_source);
}

static void json_bits(FILE *f, uint16_t bits)
{
	int first = 1;

	fputc('[', f);
	for (int b = 0; b < KA_ST_NBITS; b++)
		if (bits & (1u << b)) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", ka_state_bit_name(b));
			first = 0;
		}
	fputc(']', f);
}

static void json_ms(FILE *f, const char *key, int have, int64_t ms)
{
	if (have)
		fprintf(f, ",\"%s\":%" PRId64, key, ms);
	else
		fprintf(f, ",\"%s\":null", key);
}

/* Host names and addresses need no escaping: the config allows neither
 * quotes nor backslashes in them. */
static void json_host(FILE *f, const struct lp_view *v, const struct lp_host *h)
{
	struct lp_timing t = lp_host_timing(v->conf, h, v->started);
	enum lp_state s = lp_hs_eval(&h->hs, &t, v->now);
	int64_t in = lp_hs_verdict_in(&h->hs, &t, v->now);
	char a[64];

	lp_addr_str(&h->conf->addr, a, sizeof a);
	fprintf(f, "{\"host\":\"%s\",\"address\":\"%s\",\"state\":\"%s\"", h->conf->name, a,
		lp_state_name(s));
	json_ms(f, "state_since_ms_ago", h->hs.state == s, v->now - h->hs.state_since);
	json_ms(f, "last_keepalive_ms_ago", h->hs.have_ka, v->now - h->hs.last_ka);
	if (h->hs.have_ka) {
		fprintf(f, ",\"system\":\"%s\",\"state_bits\":", system_name(h));
		json_bits(f, h->hs.bits);
		fprintf(f, ",\"boot_id\":\"%016" PRIx64 "\",\"seq\":%" PRIu64, h->echo_boot,
			h->echo_seq);
	} else {
		fputs(",\"system\":null,\"state_bits\":[],\"boot_id\":null,\"seq\":null", f);
	}
	fputs(",\"ssh\":[", f);
	for (int i = 0; i < h->conf->nssh; i++) {
		const struct lp_probe_res *r = &h->ssh[i];

		lp_addr_str(&h->conf->ssh[i], a, sizeof a);
		fprintf(f, "%s{\"target\":\"%s\",\"result\":", i ? "," : "", a);
		if (r->result == LP_PR_NONE)
			fputs("null", f);
		else
			fprintf(f, "\"%s\"", lp_probe_name(r->result));
		if (r->result == LP_PR_ERROR)
			fprintf(f, ",\"errno\":%d", r->err);
		json_ms(f, "ms_ago", r->result != LP_PR_NONE, v->now - r->at);
		json_ms(f, "took_ms", r->result != LP_PR_NONE, r->ms);
		fputc('}', f);
	}
	fputc(']', f);
	json_ms(f, "ssh_ok_ms_ago", h->hs.last_ssh_ok >= 0, v->now - h->hs.last_ssh_ok);
	json_ms(f, "ssh_served_ms_ago", h->hs.last_served >= 0, v->now - h->hs.last_served);
	fprintf(f, ",\"probe_local_errors\":%" PRIu64, h->local_errors);
	if (h->local_errors)
		fprintf(f, ",\"probe_local_errno\":%d", h->local_errno);
	json_ms(f, "verdict_in_ms", in >= 0, in);
	fprintf(f, ",\"verdicts_sent\":%" PRIu64 ",\"keepalives\":%" PRIu64 ",\"dropped\":{",
		h->hs.verdicts, h->keepalives);
	for (int r = KA_OK + 1; r < KA_NRESULTS; r++)
		fprintf(f, "%s\"%s\":%" PRIu64, r > KA_OK + 1 ? "," : "", ka_result_name(r),
			h->drops.n[r]);
	fputc('}', f);
	/* an operator's `lifeline-peer rescue HOST` while it lasts */
	if (lp_hs_req(&h->hs, &t, v->now) == LP_REQ_ACTIVE)
		fprintf(f, ",\"rescue_request\":{\"uid\":%u,\"pid\":%d,\"since_ms_ago\":%" PRId64
			",\"ms_left\":%" PRId64 ",\"verdicts\":%" PRIu64 "}", (unsigned)h->req_uid,
			(int)h->req_pid, v->now - h->req_at, h->hs.req_until - v->now,
			h->hs.verdicts - h->req_verdicts0);
	else
		fputs(",\"rescue_request\":null", f);
	fputc('}', f);
}

void lp_out_json(FILE *f, const struct lp_view *v)
{
	const struct lp_conf *c = v->conf;

	fprintf(f, "{\"grace_ms\":%" PRId64 ",\"probe_interval_ms\":%" PRId64
		",\"probe_timeout_ms\":%" PRId64 ",\"verdict_interval_ms\":%" PRId64
		",\"down_after_ms\":%" PRId64 ",\"silence\":\"%s\",\"unknown_source\":%" PRIu64
		",\"verdict_seq\":%" PRIu64 ",\"hosts\":[",
		c->grace_ms, c->probe_interval_ms, c->probe_timeout_ms, c->verdict_interval_ms,
		c->down_after_ms, c->silence_verdict ? "verdict" : "down", v->unknown_source,
		v->verdict_seq);
	for (int i = 0; i < v->nhosts; i++) {
		if (i)
			fputc(',', f);
		json_host(f, v, &v->host[i]);
	}
	fputs("]}\n", f);
}

static void help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

void lp_out_metrics(FILE *f, const struct lp_view *v)
{
	help(f, "lifeline_peer_host_state", "gauge",
	     "1 for the state the host is in (unknown up unreachable dead down rescue busy "
	     "rescue-requested)");
	for (int i = 0; i < v->nhosts; i++) {
		const struct lp_host *h = &v->host[i];
		struct lp_timing t = lp_host_timing(v->conf, h, v->started);
		enum lp_state s = lp_hs_eval(&h->hs, &t, v->now);

		for (int k = 0; k < LP_NSTATES; k++)
			fprintf(f, "lifeline_peer_host_state{host=\"%s\",state=\"%s\"} %d\n",
				h->conf->name, lp_state_name(k), k == (int)s);
	}
	help(f, "lifeline_peer_last_keepalive_seconds", "gauge",
	     "seconds since the host's latest accepted keepalive, when this file was written");
	for (int i = 0; i < v->nhosts; i++) {
		const struct lp_host *h = &v->host[i];

		if (h->hs.have_ka)
			fprintf(f, "lifeline_peer_last_keepalive_seconds{host=\"%s\"} %.3f\n",
				h->conf->name, (double)(v->now - h->hs.last_ka) / 1000.0);
	}
	help(f, "lifeline_peer_ssh_up", "gauge",
	     "1 if the latest probe of this SSH port read an SSH banner");
	for (int i = 0; i < v->nhosts; i++) {
		const struct lp_host *h = &v->host[i];

		for (int p = 0; p < h->conf->nssh; p++) {
			char a[64];
			struct lp_addr ip = h->conf->ssh[p];

			ip.port = 0;
			lp_addr_str(&ip, a, sizeof a);
			fprintf(f, "lifeline_peer_ssh_up{host=\"%s\",address=\"%s\",port=\"%u\"} %d\n",
				h->conf->name, a, (unsigned)h->conf->ssh[p].port,
				h->ssh[p].result == LP_PR_OK);
		}
	}
	help(f, "lifeline_peer_seconds_until_verdict", "gauge",
	     "while SSH is unreachable: seconds until the next verdict (0: due)");
	for (int i = 0; i < v->nhosts; i++) {
		const struct lp_host *h = &v->host[i];
		struct lp_timing t = lp_host_timing(v->conf, h, v->started);
		int64_t in = lp_hs_verdict_in(&h->hs, &t, v->now);

		if (in >= 0)
			fprintf(f, "lifeline_peer_seconds_until_verdict{host=\"%s\"} %.3f\n",
				h->conf->name, (double)in / 1000.0);
	}
	help(f, "lifeline_peer_verdicts_sent_total", "counter", "verdicts sent to the host");
	for (int i = 0; i < v->nhosts; i++)
		fprintf(f, "lifeline_peer_verdicts_sent_total{host=\"%s\"} %" PRIu64 "\n",
			v->host[i].conf->name, v->host[i].hs.verdicts);
	help(f, "lifeline_peer_keepalives_total", "counter", "keepalives accepted from the host");
	for (int i = 0; i < v->nhosts; i++)
		fprintf(f, "lifeline_peer_keepalives_total{host=\"%s\"} %" PRIu64 "\n",
			v->host[i].conf->name, v->host[i].keepalives);
	help(f, "lifeline_peer_datagrams_dropped_total", "counter",
	     "datagrams from the host's address that were dropped, by reason");
	for (int i = 0; i < v->nhosts; i++)
		for (int r = KA_OK + 1; r < KA_NRESULTS; r++)
			fprintf(f, "lifeline_peer_datagrams_dropped_total{host=\"%s\",reason=\"%s\"} %"
				PRIu64 "\n", v->host[i].conf->name, ka_result_name(r),
				v->host[i].drops.n[r]);
	help(f, "lifeline_peer_unknown_source_datagrams_total", "counter",
	     "datagrams from addresses of no configured host");
	fprintf(f, "lifeline_peer_unknown_source_datagrams_total %" PRIu64 "\n",
		v->unknown_source);
}
