/* Unit tests for src/bench/account: expected/unique/lost/duplicates/reordered,
 * topic matching, late subscribers, unconfirmed publishes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/account.h"

static void test_fanout_exact(void **state)
{
	/* 2 publishers x 3 subscribers, 10 messages each, all delivered once */
	struct bench_pub_acct p[2];
	struct bench_sub_acct s[3];
	struct bench_pub_acct *pp[2] = {&p[0], &p[1]};
	struct bench_sub_acct *sp[3] = {&s[0], &s[1], &s[2]};
	for (int i = 0; i < 2; i++) {
		bench_pub_acct_init(&p[i], (uint32_t)i, "bench/test");
		p[i].first_pub_ns = 100;
		for (uint64_t q = 0; q < 10; q++) {
			p[i].published++;
			bench_pub_confirm(&p[i], q);
		}
	}
	for (int j = 0; j < 3; j++) {
		bench_sub_acct_init(&s[j], (uint32_t)j, "bench/test");
		s[j].subscribed = true;
		s[j].suback_ns = 50;
		for (int i = 0; i < 2; i++)
			for (uint64_t q = 0; q < 10; q++)
				assert_int_equal(bench_sub_record(&s[j], (uint32_t)i, q), 1);
	}
	struct bench_totals t;
	assert_int_equal(bench_account(pp, 2, sp, 3, &t), 0);
	assert_int_equal(t.published, 20);
	assert_int_equal(t.acked, 20);
	assert_int_equal(t.expected, 60);
	assert_int_equal(t.received, 60);
	assert_int_equal(t.unique, 60);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.duplicates, 0);
	assert_int_equal(t.reordered, 0);
	assert_true(t.loss_ratio == 0.0);

	/* subscriber 0 loses 3 of publisher 1, gets 2 duplicates and 1 reordered */
	bench_sub_acct_free(&s[0]);
	bench_sub_acct_init(&s[0], 0, "bench/#");
	s[0].subscribed = true;
	s[0].suback_ns = 50;
	for (uint64_t q = 0; q < 10; q++)
		bench_sub_record(&s[0], 0, q);
	static const uint64_t arr[] = {0, 1, 2, 5, 4, 4, 6, 9, 9}; /* missing 3, 7, 8 */
	for (size_t k = 0; k < sizeof(arr) / sizeof(arr[0]); k++)
		bench_sub_record(&s[0], 1, arr[k]);
	assert_int_equal(bench_account(pp, 2, sp, 3, &t), 0);
	assert_int_equal(t.expected, 60);
	assert_int_equal(t.received, 59);
	assert_int_equal(t.unique, 57);
	assert_int_equal(t.lost, 3);
	assert_int_equal(t.duplicates, 2);
	assert_int_equal(t.reordered, 1);
	assert_true(t.loss_ratio > 0.049 && t.loss_ratio < 0.051);
	for (int i = 0; i < 2; i++)
		bench_pub_acct_free(&p[i]);
	for (int j = 0; j < 3; j++)
		bench_sub_acct_free(&s[j]);
}

static void test_matching_late_unconfirmed(void **state)
{
	struct bench_pub_acct a, b;
	bench_pub_acct_init(&a, 7, "bench/a");
	bench_pub_acct_init(&b, 9, "other/b");
	a.first_pub_ns = b.first_pub_ns = 1000;
	for (uint64_t q = 0; q < 5; q++) {
		a.published++;
		b.published++;
		if (q != 4) /* a's seq 4 was written but never acknowledged */
			bench_pub_confirm(&a, q);
		bench_pub_confirm(&b, q);
	}
	struct bench_sub_acct s1, s2, s3, s4;
	bench_sub_acct_init(&s1, 0, "bench/+"); /* matches a only */
	bench_sub_acct_init(&s2, 1, "#");	/* matches both */
	bench_sub_acct_init(&s3, 2, "bench/a"); /* subscribed too late */
	bench_sub_acct_init(&s4, 3, "bench/a"); /* never subscribed */
	s1.subscribed = s2.subscribed = s3.subscribed = true;
	s1.suback_ns = s2.suback_ns = 10;
	s3.suback_ns = 2000;
	for (uint64_t q = 0; q < 5; q++) {
		bench_sub_record(&s1, 7, q); /* gets the unconfirmed seq 4 too */
		bench_sub_record(&s2, 7, q);
		bench_sub_record(&s2, 9, q);
		bench_sub_record(&s3, 7, q);
	}
	s1.foreign = 2;
	struct bench_pub_acct *pp[2] = {&a, &b};
	struct bench_sub_acct *sp[4] = {&s1, &s2, &s3, &s4};
	struct bench_totals t;
	assert_int_equal(bench_account(pp, 2, sp, 4, &t), 0);
	assert_int_equal(t.published, 10);
	assert_int_equal(t.acked, 9);
	assert_int_equal(t.expected, 4 + 4 + 5); /* s1: a; s2: a + b */
	assert_int_equal(t.unique, 13);
	assert_int_equal(t.unconfirmed, 2);
	assert_int_equal(t.received, 15);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.late_subscribers, 1);
	assert_int_equal(t.unsubscribed, 1);
	assert_int_equal(t.foreign, 2);
	bench_pub_acct_free(&a);
	bench_pub_acct_free(&b);
	bench_sub_acct_free(&s1);
	bench_sub_acct_free(&s2);
	bench_sub_acct_free(&s3);
	bench_sub_acct_free(&s4);
}

static void test_many_streams(void **state)
{
	/* the per-subscriber stream table grows past its load factor */
	struct bench_sub_acct s;
	bench_sub_acct_init(&s, 0, "#");
	for (uint32_t id = 0; id < 1000; id++)
		assert_int_equal(bench_sub_record(&s, id * 7919u, 0), 1);
	for (uint32_t id = 0; id < 1000; id++)
		assert_int_equal(bench_sub_record(&s, id * 7919u, 0), 0);
	assert_int_equal(s.nstreams, 1000);
	assert_int_equal(bench_sub_unique_raw(&s), 1000);
	bench_sub_acct_free(&s);
}

/* bench run: the subscriber knows the run nonce; another run's messages are
 * counted stale on arrival and fill no stream. */
static void test_stale_on_arrival(void **state)
{
	struct bench_sub_acct s;
	bench_sub_acct_init(&s, 0, "#");
	s.subscribed = true;
	for (uint64_t q = 0; q < 5; q++) /* an earlier run's queued messages */
		assert_int_equal(bench_sub_arrive(&s, 0, q, 111, 222), -ESTALE);
	for (uint64_t q = 0; q < 5; q++)
		assert_int_equal(bench_sub_arrive(&s, 0, q, 222, 222), 1);
	assert_int_equal(s.stale, 5);
	assert_int_equal(s.nstreams, 1);
	assert_int_equal(bench_sub_unique_raw(&s), 5);
	struct bench_pub_acct p;
	bench_pub_acct_init(&p, 0, "bench/test");
	p.first_pub_ns = 100;
	for (uint64_t q = 0; q < 5; q++) {
		p.published++;
		bench_pub_confirm(&p, q);
	}
	struct bench_pub_acct *pp[1] = {&p};
	struct bench_sub_acct *sp[1] = {&s};
	struct bench_totals t;
	assert_int_equal(bench_account(pp, 1, sp, 1, &t), 0);
	assert_int_equal(t.stale, 5);
	assert_int_equal(t.unique, 5);
	assert_int_equal(t.duplicates, 0);
	assert_int_equal(t.received, 10);
	assert_int_equal(t.lost, 0);
	bench_pub_acct_free(&p);
	bench_sub_acct_free(&s);
}

/* bench sub + merge: streams are kept per run nonce; the account knows the
 * run from its publishers (pub JSON run_nonce) and counts the rest stale;
 * seqs past what the publisher published are invalid, and a seq far past
 * everything never reaches a bitmap. */
static void test_stale_invalid_by_account(void **state)
{
	struct bench_sub_acct s;
	bench_sub_acct_init(&s, 0, "#");
	s.subscribed = true;
	for (uint64_t q = 0; q < 8; q++) /* an earlier run: seqs 0..7, nonce 111 */
		assert_int_equal(bench_sub_arrive(&s, 3, q, 111, 0), 1);
	for (uint64_t q = 0; q < 12; q++) /* this run: 0..9 published, 10 and 11 bogus */
		assert_int_equal(bench_sub_arrive(&s, 3, q, 222, 0), 1);
	assert_int_equal(bench_sub_arrive(&s, 3, 1ull << 37, 222, 0), -ERANGE);
	assert_int_equal(bench_sub_arrive(&s, 3, 2, 222, 0), 0); /* a duplicate */
	assert_int_equal(s.nstreams, 2);
	assert_int_equal(s.invalid, 1);
	struct bench_pub_acct p;
	bench_pub_acct_init(&p, 3, "bench/test");
	p.first_pub_ns = 100;
	p.nonce = 222;
	for (uint64_t q = 0; q < 10; q++) {
		p.published++;
		if (q != 9) /* 9: written, never acknowledged */
			bench_pub_confirm(&p, q);
	}
	struct bench_pub_acct *pp[1] = {&p};
	struct bench_sub_acct *sp[1] = {&s};
	struct bench_totals t;
	assert_int_equal(bench_account(pp, 1, sp, 1, &t), 0);
	assert_int_equal(t.stale, 8);
	assert_int_equal(t.unique, 9);
	assert_int_equal(t.unconfirmed, 1);
	assert_int_equal(t.invalid, 2 + 1); /* 10, 11 past published; 2^37 refused */
	assert_int_equal(t.duplicates, 1);
	assert_int_equal(t.received, 8 + 12 + 1 + 1);
	assert_int_equal(t.expected, 9);
	assert_int_equal(t.lost, 0);
	/* without a nonce (older pub JSON) nothing is told stale: the old seqs
	 * are the same stream ids under another key, counted as before */
	p.nonce = 0;
	assert_int_equal(bench_account(pp, 1, sp, 1, &t), 0);
	assert_int_equal(t.stale, 0);
	bench_pub_acct_free(&p);
	bench_sub_acct_free(&s);
}

static void test_skew(void **state)
{
	struct bench_sub_acct s;
	bench_sub_acct_init(&s, 0, "#");
	s.subscribed = true;
	assert_true(bench_sub_latency(&s, 5000, 1000) == 4000);
	assert_true(bench_sub_latency(&s, 1000, 1000) == 0);
	assert_int_equal(s.skewed, 0);
	assert_true(bench_sub_latency(&s, 1000, 4000) == 0); /* 3000 ns in the future */
	assert_true(bench_sub_latency(&s, 1000, 1500) == 0);
	assert_int_equal(s.skewed, 2);
	assert_int_equal(s.skew_max_ns, 3000);
	assert_int_equal(s.skew_sum_ns, 3500);
	assert_true(bench_sub_latency(&s, 0, UINT64_MAX) == 0);
	assert_true(s.skew_sum_ns == UINT64_MAX); /* saturates */
	struct bench_sub_acct *sp[1] = {&s};
	struct bench_totals t;
	assert_int_equal(bench_account(NULL, 0, sp, 1, &t), 0);
	assert_int_equal(t.skewed, 3);
	assert_true(t.skew_max_ns == UINT64_MAX);
	bench_sub_acct_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fanout_exact),
	    cmocka_unit_test(test_matching_late_unconfirmed),
	    cmocka_unit_test(test_many_streams),
	    cmocka_unit_test(test_stale_on_arrival),
	    cmocka_unit_test(test_stale_invalid_by_account),
	    cmocka_unit_test(test_skew),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
