/* lifeline-peer's verdict state machine (peer/peer_state.c), driven by a
 * fake clock: the host's keepalives and the SSH probe results are scripted
 * per millisecond, and the verdicts it asks for are recorded. */
#include "test.h"
#include "peer.h"

#define MAXV 64

/* A scripted world.  Times in ms from the peer's start. */
struct world {
	struct lp_timing t;
	int ka_every;            /* a keepalive every this many ms ... */
	int ka_from, ka_until;   /* ... in [from, until) */
	int rescue_from;         /* keepalives from here on say rescue (new boot) */
	int reboot_at;           /* a new boot id from here on (-1: none) */
	int probe_every;         /* a probe result every this many ms */
	int ok_from, ok_until;   /* probes succeed in [from, until) */
	int ok_at;               /* and at this one instant (-1: none) */
	int served_from, served_until;   /* keepalives say ssh-served in [from, until) */
	int local_from, local_until;     /* probes fail on the peer itself in [from, until) */
	int req_at, req_for;     /* an operator's rescue request (-1: none) ... */
	int req_again;           /* ... and the same again at this time (-1: none) */
	int end;
	/* what happened */
	int nv;
	int v[MAXV];
	int state_at[200];       /* the state at every 1000 ms (index: seconds) */
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	w->t = (struct lp_timing){ .grace = 10000, .verdict_interval = 5000, .down_after = 10000,
				   .started = 0, .probes = 1 };
	w->ka_every = 2000;
	w->ka_until = 1 << 30;
	w->rescue_from = 1 << 30;
	w->reboot_at = -1;
	w->probe_every = 1000;
	w->ok_from = w->ok_until = -1;
	w->ok_at = -1;
	w->served_from = w->served_until = -1;
	w->local_from = w->local_until = -1;
	w->req_at = w->req_again = -1;
	w->end = 60000;
}

static int is_ka(const struct world *w, int now)
{
	return now >= w->ka_from && now < w->ka_until && (now - w->ka_from) % w->ka_every == 0;
}

static int is_probe(const struct world *w, int now)
{
	return w->t.probes && now % w->probe_every == 500;
}

static int probe_ok(const struct world *w, int now)
{
	return (now >= w->ok_from && now < w->ok_until) || now == w->ok_at;
}

static void events(struct world *w, struct lp_hs *h, int now)
{
	if (is_ka(w, now)) {
		uint64_t boot = now >= w->rescue_from ? 3 : w->reboot_at >= 0 && now >= w->reboot_at ? 2 : 1;
		uint16_t bits = now >= w->rescue_from ? KA_ST_RESCUE | KA_ST_RESCUE_SSH : KA_ST_SSHD;

		if (now >= w->served_from && now < w->served_until)
			bits |= KA_ST_SSH_SERVED;
		lp_hs_keepalive(h, &w->t, now, boot, bits);
	}
	if (is_probe(w, now) && now >= w->local_from && now < w->local_until) {
		lp_hs_probe_unknown(h);
	} else if (is_probe(w, now)) {
		int ok = probe_ok(w, now);

		lp_hs_probe(h, now, ok, ok);
	}
	if (now == w->req_at || now == w->req_again)
		lp_hs_request(h, &w->t, now, now + w->req_for);
}

static int is_event(const struct world *w, int now)
{
	return is_ka(w, now) || is_probe(w, now) || now == w->req_at || now == w->req_again;
}

static void record(struct world *w, struct lp_hs *h, int now)
{
	if (lp_hs_tick(h, &w->t, now) && w->nv < MAXV)
		w->v[w->nv++] = now;
}

/* Every millisecond: events, then a tick. */
static void run_every_ms(struct world *w)
{
	struct lp_hs h;

	lp_hs_init(&h, 0);
	for (int now = 0; now <= w->end; now++) {
		events(w, &h, now);
		record(w, &h, now);
		if (now % 1000 == 0 && now / 1000 < 200)
			w->state_at[now / 1000] = h.state;
	}
}

/* The way the daemon runs it: a tick after each event and at the
 * deadlines lp_hs_deadline gives, nothing in between. */
static void run_by_deadline(struct world *w)
{
	struct lp_hs h;
	int64_t wake = 0;

	lp_hs_init(&h, 0);
	for (int now = 0; now <= w->end; now++) {
		int ev = is_event(w, now);

		if (!ev && now < wake)
			continue;
		events(w, &h, now);
		record(w, &h, now);
		wake = lp_hs_deadline(&h, &w->t, now);
		if (wake <= now)
			FAIL("deadline %lld not after now %d", (long long)wake, now);
	}
}

static void check_verdicts(const struct world *w, const int *want, int nwant)
{
	CHECK_INT(w->nv, nwant);
	for (int i = 0; i < nwant && i < w->nv; i++)
		CHECK_MSG(w->v[i] == want[i], "verdict %d at %d ms, expected %d ms", i, w->v[i],
			  want[i]);
}

static void state_tests(void)
{
	TEST("peer state: no verdict before the grace period, the first exactly when it passes, "
	     "then every verdict_interval") {
		struct world w;
		const int want[] = { 10000, 15000, 20000, 25000, 30000 };

		world_init(&w);
		w.end = 30000;
		run_every_ms(&w);
		check_verdicts(&w, want, 5);
		CHECK_INT(w.state_at[0], LP_UNKNOWN);   /* no probe result yet */
		CHECK_INT(w.state_at[1], LP_UNREACHABLE);
		CHECK_INT(w.state_at[9], LP_UNREACHABLE);
		CHECK_INT(w.state_at[10], LP_DEAD);
	}
	TEST("peer state: never a verdict while SSH answers") {
		struct world w;

		world_init(&w);
		w.ok_from = 0;
		w.ok_until = 1 << 30;
		w.end = 120000;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[60], LP_UP);
		CHECK_INT(w.state_at[119], LP_UP);
	}
	TEST("peer state: an SSH answer restarts the grace period") {
		struct world w;
		const int want[] = { 17500 };

		world_init(&w);
		w.ok_at = 7500;
		w.end = 20000;
		run_every_ms(&w);
		check_verdicts(&w, want, 1);
		CHECK_INT(w.state_at[8], LP_UP);        /* 7500 answered, 8500 not yet probed */
		CHECK_INT(w.state_at[9], LP_UNREACHABLE);
	}
	TEST("peer state: a dead host that answers SSH again is up, verdicts stop") {
		struct world w;
		const int want[] = { 10000, 15000 };

		world_init(&w);
		w.ok_from = 19500;
		w.ok_until = 1 << 30;
		run_every_ms(&w);
		check_verdicts(&w, want, 2);
		CHECK_INT(w.state_at[20], LP_UP);
		CHECK_INT(w.state_at[60], LP_UP);
	}
	TEST("peer state: verdicts stop when the host reports rescue") {
		struct world w;
		const int want[] = { 10000, 15000 };

		world_init(&w);
		w.rescue_from = 18000;
		run_every_ms(&w);
		check_verdicts(&w, want, 2);
		CHECK_INT(w.state_at[18], LP_RESCUE);
		CHECK_INT(w.state_at[60], LP_RESCUE);
	}
	TEST("peer state: a host in rescue never gets a verdict, even with SSH down") {
		struct world w;

		world_init(&w);
		w.rescue_from = 0;
		w.end = 100000;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[50], LP_RESCUE);
	}
	TEST("peer state: silence = down: a silent host with SSH down gets no verdict") {
		struct world w;

		world_init(&w);
		w.t.down_after = 5000;
		w.ka_until = 1;                 /* one keepalive, at 0 */
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[4], LP_UNREACHABLE);
		CHECK_INT(w.state_at[5], LP_DOWN);
		CHECK_INT(w.state_at[59], LP_DOWN);
	}
	TEST("peer state: silence = verdict: the same host gets verdicts once the grace passes") {
		struct world w;
		const int want[] = { 10000, 15000, 20000 };

		world_init(&w);
		w.t.down_after = 5000;
		w.t.silence_verdict = 1;
		w.ka_until = 1;
		w.end = 20000;
		run_every_ms(&w);
		check_verdicts(&w, want, 3);
		CHECK_INT(w.state_at[5], LP_DOWN);
		CHECK_INT(w.state_at[10], LP_DEAD);
	}
	TEST("peer state: silence = verdict still needs SSH to fail") {
		struct world w;

		world_init(&w);
		w.t.down_after = 5000;
		w.t.silence_verdict = 1;
		w.ka_until = 1;
		w.ok_from = 0;
		w.ok_until = 1 << 30;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[30], LP_DOWN);
	}
	TEST("peer state: down exactly down_after after the last keepalive") {
		struct world w;

		world_init(&w);
		w.ka_until = 4001;              /* the last at 4000 */
		w.ok_from = 0;
		w.ok_until = 1 << 30;
		w.end = 15000;
		run_every_ms(&w);
		CHECK_INT(w.state_at[13], LP_UP);
		CHECK_INT(w.state_at[14], LP_DOWN);
	}
	TEST("peer state: keepalives coming back start the grace period again") {
		struct world w;
		const int want[] = { 40000, 45000 };

		world_init(&w);
		w.t.down_after = 5000;
		w.ka_from = 30000;              /* silent until 30 s: down */
		w.end = 45000;
		run_every_ms(&w);
		check_verdicts(&w, want, 2);
		CHECK_INT(w.state_at[10], LP_DOWN);
		CHECK_INT(w.state_at[31], LP_UNREACHABLE);
	}
	TEST("peer state: a new boot of the host starts the grace period again") {
		struct world w;
		const int want[] = { 16000, 21000 };

		world_init(&w);
		w.reboot_at = 6000;
		w.end = 21000;
		run_every_ms(&w);
		check_verdicts(&w, want, 2);
	}
	TEST("peer state: nothing from the host since the start: unknown, then down") {
		struct world w;

		world_init(&w);
		w.ka_from = 1 << 30;
		w.end = 30000;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[9], LP_UNKNOWN);
		CHECK_INT(w.state_at[10], LP_DOWN);
	}
	TEST("peer state: ssh = no: up while keepalives arrive, never a verdict") {
		struct world w;

		world_init(&w);
		w.t.probes = 0;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[0], LP_UP);
		CHECK_INT(w.state_at[50], LP_UP);
	}
	TEST("peer state: run only at events and deadlines, the verdicts are the same") {
		struct world scen[5];

		for (int i = 0; i < 5; i++)
			world_init(&scen[i]);
		scen[1].ok_at = 7500;
		scen[2].rescue_from = 18000;
		scen[3].t.down_after = 5000;
		scen[3].t.silence_verdict = 1;
		scen[3].ka_until = 1;
		scen[4].t.down_after = 5000;
		scen[4].ka_from = 30000;
		scen[4].t.verdict_interval = 1234;
		for (int i = 0; i < 5; i++) {
			struct world a = scen[i], b = scen[i];

			run_every_ms(&a);
			run_by_deadline(&b);
			CHECK_MSG(a.nv > 0, "scenario %d has no verdict", i);
			CHECK_MSG(a.nv == b.nv && !memcmp(a.v, b.v, sizeof a.v),
				  "scenario %d: %d verdicts every ms, %d by deadline (first %d vs %d)",
				  i, a.nv, b.nv, a.v[0], b.v[0]);
		}
	}
	TEST("peer state: SSH fails but the host serves new connections (a flood): busy, "
	     "never a verdict") {
		struct world w;

		world_init(&w);
		w.served_from = 0;
		w.served_until = 1 << 30;
		w.end = 120000;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[5], LP_BUSY);
		CHECK_INT(w.state_at[119], LP_BUSY);
		CHECK_STR(lp_state_name(LP_BUSY), "busy");
	}
	TEST("peer state: the grace starts at the last keepalive saying ssh-served") {
		struct world w;
		const int want[] = { 28000, 33000 };

		world_init(&w);
		w.served_from = 0;
		w.served_until = 20000;         /* the last such keepalive: 18000 */
		w.end = 35000;
		run_every_ms(&w);
		check_verdicts(&w, want, 2);
		CHECK_INT(w.state_at[19], LP_BUSY);
		CHECK_INT(w.state_at[21], LP_UNREACHABLE);
		CHECK_INT(w.state_at[28], LP_DEAD);
		w.nv = 0;
		run_by_deadline(&w);
		check_verdicts(&w, want, 2);
	}
	TEST("peer state: the peer's own probe errors: SSH up stays up, no verdict") {
		struct world w;

		world_init(&w);
		w.ok_from = 0;
		w.ok_until = 5000;
		w.local_from = 5000;
		w.local_until = 1 << 30;
		w.end = 60000;
		run_every_ms(&w);
		CHECK_INT(w.nv, 0);
		CHECK_INT(w.state_at[59], LP_UP);
	}
	TEST("peer state: the peer's own probe errors while SSH failed: unknown, no verdict "
	     "until a probe gets through") {
		struct world w;
		const int want[] = { 30500 };

		world_init(&w);
		w.local_from = 5000;
		w.local_until = 30000;
		w.end = 31000;
		run_every_ms(&w);
		check_verdicts(&w, want, 1);    /* failing since 0: the grace is over */
		CHECK_INT(w.state_at[4], LP_UNREACHABLE);
		CHECK_INT(w.state_at[6], LP_UNKNOWN);
		CHECK_INT(w.state_at[29], LP_UNKNOWN);
		w.nv = 0;
		run_by_deadline(&w);
		check_verdicts(&w, want, 1);
	}
	TEST("peer state: time until the verdict counts down, then the repeats") {
		struct world w;
		struct lp_hs h;

		world_init(&w);
		lp_hs_init(&h, 0);
		lp_hs_keepalive(&h, &w.t, 0, 1, KA_ST_SSHD);
		CHECK_INT(lp_hs_verdict_in(&h, &w.t, 100), -1);         /* unknown */
		lp_hs_probe(&h, 500, 0, 0);
		lp_hs_tick(&h, &w.t, 500);
		CHECK_INT(lp_hs_verdict_in(&h, &w.t, 500), 9500);
		CHECK_INT(lp_hs_fail_since(&h), 0);
		lp_hs_keepalive(&h, &w.t, 8000, 1, KA_ST_SSHD);
		CHECK_INT(lp_hs_tick(&h, &w.t, 10000), 1);
		CHECK_INT(h.verdicts, 1);
		CHECK_INT(lp_hs_verdict_in(&h, &w.t, 12000), 3000);
		lp_hs_probe(&h, 12500, 1, 1);
		CHECK_INT(lp_hs_tick(&h, &w.t, 12500), 0);
		CHECK_INT(h.state, LP_UP);
		CHECK_INT(lp_hs_verdict_in(&h, &w.t, 12500), -1);
		CHECK_STR(lp_state_name(LP_UNREACHABLE), "unreachable");
		CHECK_STR(lp_state_name(99), "?");
	}
}

/* Both ways of running it give the same verdicts. */
static void run_both(struct world *w, const int *want, int nwant)
{
	struct world d = *w;

	run_every_ms(w);
	check_verdicts(w, want, nwant);
	run_by_deadline(&d);
	check_verdicts(&d, want, nwant);
}

#define NEVER (1 << 30)

/* An operator's request in a scripted world: what differs from
 * world_init's (a field left 0 keeps world_init's value), the verdicts
 * wanted (ms; the list ends at the first 0) and the states wanted at
 * some seconds (the list ends at the first second 0). */
struct req_case {
	const char *name;
	int ssh_up;              /* probes succeed from 0 on */
	int served;              /* keepalives say ssh-served from 0 on */
	int ka_until, reboot_at, rescue_from;
	int req_at, req_for, req_again;
	int end;
	int want[8];
	struct { int s, state; } at[4];
	const char *requested_name;      /* if set: lp_state_name(LP_REQUESTED) */
};

static const struct req_case req_cases[] = {
	{ .name = "peer rescue request: SSH up, a verdict at once, then every interval, until it "
		  "expires",
	  .ssh_up = 1, .req_at = 3000, .req_for = 12000, .end = 40000,
	  .want = { 3000, 8000, 13000 },
	  .at = { { 2, LP_UP }, { 4, LP_REQUESTED }, { 14, LP_REQUESTED },
		  { 15, LP_UP } },        /* expired at 15 s */
	  .requested_name = "rescue-requested" },
	{ .name = "peer rescue request: ends when the keepalives stop (a kexec, a reboot)",
	  .ssh_up = 1, .ka_until = 6001,  /* the last at 6 s: down at 16 s */
	  .req_at = 3000, .req_for = 60000, .end = 40000,
	  .want = { 3000, 8000, 13000 },
	  .at = { { 15, LP_REQUESTED }, { 16, LP_DOWN } } },
	{ .name = "peer rescue request: ends when the host boots again (not the boot it was for)",
	  .ssh_up = 1, .reboot_at = 7000, /* the keepalive at 8 s has a new boot id */
	  .req_at = 3000, .req_for = 60000, .end = 40000,
	  .want = { 3000 },
	  .at = { { 7, LP_REQUESTED }, { 8, LP_UP } } },
	{ .name = "peer rescue request: ends when the host reports its rescue system",
	  .ssh_up = 1, .rescue_from = 7000, .req_at = 3000, .req_for = 60000, .end = 40000,
	  .want = { 3000 },
	  .at = { { 8, LP_RESCUE } } },
	{ .name = "peer rescue request: asked again, no extra verdict; it lasts longer",
	  .ssh_up = 1, .req_at = 3000,
	  .req_for = 11000,               /* alone: until 14 s, three verdicts */
	  .req_again = 9000,              /* now until 20 s */
	  .end = 40000,
	  .want = { 3000, 8000, 13000, 18000 },
	  .at = { { 19, LP_REQUESTED }, { 20, LP_UP } } },
	{ .name = "peer rescue request: a dead host keeps its one schedule of verdicts",
	  /* SSH fails from the start: dead at 10 s */
	  .req_at = 12000, .req_for = 20000, .end = 40000,
	  .want = { 10000, 15000, 20000, 25000, 30000, 35000, 40000 },
	  .at = { { 11, LP_DEAD }, { 13, LP_REQUESTED },
		  { 33, LP_DEAD } } },    /* the grace's own verdicts go on */
	{ .name = "peer rescue request: SSH that answers or a flood do not stop it",
	  .ssh_up = 1, .served = 1,       /* ssh-served all along */
	  .req_at = 3000, .req_for = 12000, .end = 30000,
	  .want = { 3000, 8000, 13000 } },
};

static void world_of(struct world *w, const struct req_case *c)
{
	world_init(w);
	if (c->ssh_up) {
		w->ok_from = 0;
		w->ok_until = NEVER;
	}
	if (c->served) {
		w->served_from = 0;
		w->served_until = NEVER;
	}
	if (c->ka_until)
		w->ka_until = c->ka_until;
	if (c->reboot_at)
		w->reboot_at = c->reboot_at;
	if (c->rescue_from)
		w->rescue_from = c->rescue_from;
	w->req_at = c->req_at;
	w->req_for = c->req_for;
	if (c->req_again)
		w->req_again = c->req_again;
	w->end = c->end;
}

static void req_case_run(const struct req_case *c)
{
	struct world w;
	int nwant = 0;

	while (nwant < (int)(sizeof c->want / sizeof c->want[0]) && c->want[nwant])
		nwant++;
	world_of(&w, c);
	run_both(&w, c->want, nwant);
	for (size_t i = 0; i < sizeof c->at / sizeof c->at[0] && c->at[i].s; i++) {
		int got = w.state_at[c->at[i].s];

		CHECK_MSG(got == c->at[i].state, "state at %d s: %s, expected %s", c->at[i].s,
			  lp_state_name(got), lp_state_name(c->at[i].state));
	}
	if (c->requested_name)
		CHECK_STR(lp_state_name(LP_REQUESTED), c->requested_name);
}

/* `lifeline-peer rescue HOST`: an operator's request */
static void request_tests(void)
{
	for (size_t i = 0; i < sizeof req_cases / sizeof req_cases[0]; i++)
		TEST("%s", req_cases[i].name)
			req_case_run(&req_cases[i]);
	TEST("peer rescue request: refused without a keepalive, when down, in rescue; "
	     "the reasons it ends") {
		struct lp_timing t = { .grace = 10000, .verdict_interval = 5000,
				       .down_after = 10000, .probes = 1 };
		struct lp_hs h;

		lp_hs_init(&h, 0);
		CHECK_INT(lp_hs_req_refusal(&h, &t, 100), LP_REQ_NO_KA);
		lp_hs_keepalive(&h, &t, 1000, 5, KA_ST_SSHD);
		CHECK_INT(lp_hs_req_refusal(&h, &t, 1000), LP_REQ_NONE);
		CHECK_INT(lp_hs_req_refusal(&h, &t, 11000), LP_REQ_DOWN);
		CHECK_INT(lp_hs_req(&h, &t, 1000), LP_REQ_NONE);
		CHECK_INT(lp_hs_request(&h, &t, 1000, 61000), 1);
		CHECK_INT(lp_hs_req(&h, &t, 2000), LP_REQ_ACTIVE);
		CHECK_INT(lp_hs_request(&h, &t, 2000, 62000), 0);      /* a repeat */
		CHECK_INT(lp_hs_req(&h, &t, 11000), LP_REQ_DOWN);
		lp_hs_keepalive(&h, &t, 61500, 5, KA_ST_SSHD);
		CHECK_INT(lp_hs_req(&h, &t, 61999), LP_REQ_ACTIVE);
		CHECK_INT(lp_hs_req(&h, &t, 62000), LP_REQ_EXPIRED);
		lp_hs_keepalive(&h, &t, 61600, 6, KA_ST_SSHD);
		CHECK_INT(lp_hs_req(&h, &t, 61600), LP_REQ_NEW_BOOT);
		lp_hs_keepalive(&h, &t, 61700, 7, KA_ST_RESCUE);
		CHECK_INT(lp_hs_req(&h, &t, 61700), LP_REQ_RESCUE);
		CHECK_INT(lp_hs_req_refusal(&h, &t, 61700), LP_REQ_RESCUE);
		/* the tick forgets an ended request */
		lp_hs_tick(&h, &t, 61700);
		CHECK_INT(lp_hs_req(&h, &t, 61700), LP_REQ_NONE);
		CHECK_STR(lp_req_name(LP_REQ_NEW_BOOT), "new-boot");
		CHECK_STR(lp_req_name(99), "?");
	}
	TEST("peer rescue request: cancelled, the verdicts stop") {
		struct lp_timing t = { .grace = 600000, .verdict_interval = 1000,
				       .down_after = 10000, .probes = 1 };
		struct lp_hs h;

		lp_hs_init(&h, 0);
		lp_hs_keepalive(&h, &t, 1000, 5, KA_ST_SSHD);
		lp_hs_probe(&h, 1000, 1, 1);
		lp_hs_tick(&h, &t, 1000);
		lp_hs_request(&h, &t, 2000, 60000);
		CHECK_INT(lp_hs_tick(&h, &t, 2000), 1);
		CHECK_INT(lp_hs_verdict_in(&h, &t, 2500), 500);
		CHECK_INT(lp_hs_deadline(&h, &t, 2500), 3000);
		lp_hs_cancel(&h);
		CHECK_INT(lp_hs_tick(&h, &t, 3000), 0);
		CHECK_INT(h.state, LP_UP);
		CHECK_INT(lp_hs_verdict_in(&h, &t, 3000), -1);
	}
}

void suite_peer_state(void);
void suite_peer_state(void)
{
	state_tests();
	request_tests();
}
