/* quorum.c: K of N distinct peers within a window, driven by explicit
 * times (milliseconds of a fake clock). */
#include "test.h"
#include "quorum.h"

void suite_quorum(void)
{
	struct quorum q;

	TEST("quorum: 1 of 1: the first verdict is enough") {
		quorum_reset(&q);
		CHECK_INT(quorum_count(&q, 1000, 60000), 0);
		CHECK_INT(quorum_note(&q, 0, 1000, 1, 60000), 1);
		CHECK_INT(quorum_count(&q, 1000, 60000), 1);
	}
	TEST("quorum: 2 of 2 needs both peers") {
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 0, 1000, 2, 60000), 0);
		CHECK_INT(quorum_note(&q, 0, 6000, 2, 60000), 0);
		CHECK_INT(quorum_note(&q, 0, 11000, 2, 60000), 0);
		CHECK_INT(quorum_count(&q, 11000, 60000), 1);
		CHECK_INT(quorum_note(&q, 1, 12000, 2, 60000), 1);
		CHECK_INT(quorum_count(&q, 12000, 60000), 2);
	}
	TEST("quorum: the same peer twice counts once") {
		quorum_reset(&q);
		for (uint64_t t = 1; t < 50000; t += 1000)
			CHECK_INT(quorum_note(&q, 3, t, 2, 60000), 0);
		CHECK_INT(quorum_count(&q, 50000, 60000), 1);
	}
	TEST("quorum: 2 of 3, any two peers") {
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 2, 500, 2, 10000), 0);
		CHECK_INT(quorum_note(&q, 1, 700, 2, 10000), 1);
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 0, 500, 2, 10000), 0);
		CHECK_INT(quorum_note(&q, 2, 700, 2, 10000), 1);
	}
	TEST("quorum: window edges: window_ms - 1 old counts, window_ms old does not") {
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 0, 10000, 2, 5000), 0);
		CHECK_INT(quorum_note(&q, 1, 14999, 2, 5000), 1);
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 0, 10000, 2, 5000), 0);
		CHECK_INT(quorum_note(&q, 1, 15000, 2, 5000), 0);
		CHECK_INT(quorum_count(&q, 15000, 5000), 1);
	}
	TEST("quorum: old verdicts age out, a fresh one from the same peer renews it") {
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, 0, 1000, 2, 60000), 0);
		CHECK_INT(quorum_count(&q, 60999, 60000), 1);
		CHECK_INT(quorum_count(&q, 61000, 60000), 0);
		CHECK_INT(quorum_note(&q, 1, 100000, 2, 60000), 0);
		CHECK_INT(quorum_note(&q, 0, 120000, 2, 60000), 1);
	}
	TEST("quorum: 8 of 8 with all peers, not with 7") {
		quorum_reset(&q);
		int got = 0;
		for (int i = 0; i < 7; i++)
			got |= quorum_note(&q, i, 1000 + (uint64_t)i, 8, 60000);
		CHECK_INT(got, 0);
		CHECK_INT(quorum_count(&q, 1010, 60000), 7);
		CHECK_INT(quorum_note(&q, 7, 1010, 8, 60000), 1);
	}
	TEST("quorum: a peer index out of range or time 0 is ignored") {
		quorum_reset(&q);
		CHECK_INT(quorum_note(&q, -1, 1000, 1, 60000), 0);
		CHECK_INT(quorum_note(&q, MAX_PEERS, 1000, 1, 60000), 0);
		CHECK_INT(quorum_note(&q, 0, 0, 1, 60000), 0);
		CHECK_INT(quorum_count(&q, 1000, 60000), 0);
	}
	TEST("quorum: a verdict time after now (clock went back) does not count") {
		quorum_reset(&q);
		quorum_note(&q, 0, 5000, 2, 60000);
		CHECK_INT(quorum_count(&q, 4000, 60000), 0);
		CHECK_INT(quorum_count(&q, 5000, 60000), 1);
	}
	TEST("quorum: reset forgets every verdict") {
		quorum_reset(&q);
		quorum_note(&q, 0, 5000, 1, 60000);
		quorum_reset(&q);
		CHECK_INT(quorum_count(&q, 5000, 60000), 0);
		CHECK_INT(quorum_note(&q, 1, 5001, 2, 60000), 0);
	}
}
