/* Unit tests for the user-space schedulers and the Maglev table: exact rr,
 * wrr proportions, lc within +-1, p2c gaps, and the Maglev promises (same key ->
 * same backend across independent instances, whatever the backend order; only
 * the down backend's keys move; weights respected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "director/maglev.h"
#include "director/scheduler.h"

static const char *const names3[] = {"127.0.0.1:1883", "127.0.0.1:1884", "127.0.0.1:1885"};

static void set_w(struct sched *s, const unsigned *cfg, const unsigned *eff)
{
	sched_set_weights(s, cfg, eff);
}

static void test_kind_names(void **state)
{
	static const struct {
		const char *name;
		int rc;
		enum sched_kind k;
	} rows[] = {
	    {"rr", 0, SCHED_KIND_RR},
	    {"wrr", 0, SCHED_KIND_WRR},
	    {"lc", 0, SCHED_KIND_LC},
	    {"wlc", 0, SCHED_KIND_WLC},
	    {"p2c", 0, SCHED_KIND_P2C},
	    {"sh", 0, SCHED_KIND_SH},
	    {"clientid", 0, SCHED_KIND_CLIENTID},
	    {"", -EINVAL, 0},
	    {"RR", -EINVAL, 0},
	    {"mh", -EINVAL, 0},
	    {"clientid2", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum sched_kind k = SCHED_KIND_COUNT;
		assert_int_equal(sched_kind_parse(rows[i].name, &k), rows[i].rc);
		if (rows[i].rc == 0) {
			assert_int_equal(k, rows[i].k);
			assert_string_equal(sched_kind_name(k), rows[i].name);
		}
	}
	assert_string_equal(sched_kind_name(SCHED_KIND_COUNT), "?");
}

static void test_init_bounds(void **state)
{
	struct sched s;
	const char *many[65];
	char buf[65][24];
	for (int i = 0; i < 65; i++) {
		snprintf(buf[i], sizeof(buf[i]), "10.0.0.%d:1883", i);
		many[i] = buf[i];
	}
	assert_int_equal(sched_init(&s, SCHED_KIND_RR, many, 0, NULL, 1), -EINVAL);
	assert_int_equal(sched_init(&s, SCHED_KIND_RR, many, 65, NULL, 1), -EINVAL);
	assert_int_equal(sched_init(&s, SCHED_KIND_COUNT, many, 3, NULL, 1), -EINVAL);
	assert_int_equal(sched_init(&s, SCHED_KIND_CLIENTID, many, 64, NULL, 1), 0);
	/* 64 backends: all up, the last one reachable */
	int seen63 = 0;
	for (int i = 0; i < 5000 && !seen63; i++) {
		char id[16];
		int n = snprintf(id, sizeof(id), "c%d", i);
		struct sched_key k = {(const uint8_t *)id, (size_t)n, NULL};
		int b = sched_pick(&s, &k, NULL, 0);
		assert_in_range(b, 0, 63);
		seen63 |= b == 63;
	}
	assert_true(seen63);
	sched_free(&s);
}

static void test_rr_exact(void **state)
{
	struct sched s;
	unsigned cnt[3] = {0};
	assert_int_equal(sched_init(&s, SCHED_KIND_RR, names3, 3, NULL, 1), 0);
	for (int i = 0; i < 300; i++) {
		int b = sched_pick(&s, NULL, NULL, 0);
		assert_int_equal(b, i % 3);
		cnt[b]++;
	}
	assert_int_equal(cnt[0], 100);
	assert_int_equal(cnt[1], 100);
	assert_int_equal(cnt[2], 100);
	/* backend 1 down: exact over the other two */
	unsigned cfg[3] = {1, 1, 1}, eff[3] = {1, 0, 1};
	set_w(&s, cfg, eff);
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 200; i++)
		cnt[sched_pick(&s, NULL, NULL, 0)]++;
	assert_int_equal(cnt[0], 100);
	assert_int_equal(cnt[1], 0);
	assert_int_equal(cnt[2], 100);
	/* nothing eligible */
	assert_int_equal(sched_pick(&s, NULL, NULL, 1 | 4), -EAGAIN);
	unsigned none[3] = {0, 0, 0};
	set_w(&s, cfg, none);
	assert_int_equal(sched_pick(&s, NULL, NULL, 0), -EAGAIN);
	sched_free(&s);
}

static void test_rr_shared_across_threads(void **state)
{
	/* two per-thread schedulers sharing one ticket follow one sequence */
	struct sched_shared sh = {0};
	struct sched a, b;
	unsigned cnt[3] = {0};
	assert_int_equal(sched_init(&a, SCHED_KIND_RR, names3, 3, &sh, 1), 0);
	assert_int_equal(sched_init(&b, SCHED_KIND_RR, names3, 3, &sh, 2), 0);
	for (int i = 0; i < 301; i++)
		cnt[sched_pick(i % 7 < 3 ? &a : &b, NULL, NULL, 0)]++;
	assert_int_equal(cnt[0], 101);
	assert_int_equal(cnt[1], 100);
	assert_int_equal(cnt[2], 100);
	sched_free(&a);
	sched_free(&b);
}

static void test_wrr_proportions(void **state)
{
	struct sched s;
	unsigned cfg[3] = {5, 1, 1};
	unsigned cnt[3] = {0};
	int seq[7];
	assert_int_equal(sched_init(&s, SCHED_KIND_WRR, names3, 3, NULL, 1), 0);
	set_w(&s, cfg, cfg);
	/* nginx's smooth sequence for 5,1,1: a a b a c a a */
	static const int want[7] = {0, 0, 1, 0, 2, 0, 0};
	for (int i = 0; i < 7; i++)
		seq[i] = sched_pick(&s, NULL, NULL, 0);
	assert_memory_equal(seq, want, sizeof(want));
	for (int i = 0; i < 700; i++)
		cnt[sched_pick(&s, NULL, NULL, 0)]++;
	assert_int_equal(cnt[0], 500);
	assert_int_equal(cnt[1], 100);
	assert_int_equal(cnt[2], 100);
	/* 3:2:0 — backend 2 has weight 0 */
	unsigned w2[3] = {3, 2, 0};
	set_w(&s, w2, w2);
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 500; i++)
		cnt[sched_pick(&s, NULL, NULL, 0)]++;
	assert_int_equal(cnt[0], 300);
	assert_int_equal(cnt[1], 200);
	assert_int_equal(cnt[2], 0);
	sched_free(&s);
}

static unsigned spread(const uint64_t *a, unsigned n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (unsigned i = 0; i < n; i++) {
		lo = a[i] < lo ? a[i] : lo;
		hi = a[i] > hi ? a[i] : hi;
	}
	return (unsigned)(hi - lo);
}

static void test_lc_within_one(void **state)
{
	struct sched s;
	uint64_t active[3] = {0};
	assert_true(sched_init(&s, SCHED_KIND_LC, names3, 3, NULL, 1) == 0);
	assert_true(sched_needs_active(&s));
	for (int i = 0; i < 300; i++) {
		active[sched_pick(&s, NULL, active, 0)]++;
		assert_true(spread(active, 3) <= 1);
	}
	assert_int_equal(active[0], 100);
	assert_int_equal(active[1], 100);
	assert_int_equal(active[2], 100);
	/* after an uneven close, new connections fill the gap first */
	active[1] -= 30;
	for (int i = 0; i < 30; i++) {
		assert_int_equal(sched_pick(&s, NULL, active, 0), 1);
		active[1]++;
	}
	/* exclusion (connect failed on the least loaded) */
	active[2] = 0;
	assert_int_not_equal(sched_pick(&s, NULL, active, 1u << 2), 2);
	sched_free(&s);
}

static void test_wlc_weights(void **state)
{
	struct sched s;
	uint64_t active[3] = {0};
	unsigned w[3] = {2, 1, 1};
	assert_true(sched_init(&s, SCHED_KIND_WLC, names3, 3, NULL, 1) == 0);
	set_w(&s, w, w);
	for (int i = 0; i < 400; i++)
		active[sched_pick(&s, NULL, active, 0)]++;
	assert_int_equal(active[0], 200);
	assert_int_equal(active[1], 100);
	assert_int_equal(active[2], 100);
	sched_free(&s);
}

static void test_p2c_balance(void **state)
{
	struct sched s;
	uint64_t active[3] = {0};
	assert_true(sched_init(&s, SCHED_KIND_P2C, names3, 3, NULL, 42) == 0);
	for (int i = 0; i < 3000; i++) {
		active[sched_pick(&s, NULL, active, 0)]++;
		assert_true(spread(active, 3) <= 8); /* seed 42: deterministic */
	}
	/* never the most loaded of two when the other is lighter: with one
	 * backend far ahead it is only chosen when it is the only candidate */
	uint64_t skew[3] = {1000, 0, 0};
	for (int i = 0; i < 100; i++)
		assert_int_not_equal(sched_pick(&s, NULL, skew, 0), 0);
	assert_int_equal(sched_pick(&s, NULL, skew, 2 | 4), 0);
	sched_free(&s);
}

static int pick_id(struct sched *s, int i, uint64_t exclude)
{
	char id[32];
	int n = snprintf(id, sizeof(id), "client-%d", i);
	struct sched_key k = {(const uint8_t *)id, (size_t)n, NULL};
	return sched_pick(s, &k, NULL, exclude);
}

#define NKEYS 20000

static void test_maglev_same_key_across_instances(void **state)
{
	/* two directors, backends listed in a different order: same NAME chosen */
	static const char *const rev[] = {"127.0.0.1:1885", "127.0.0.1:1883", "127.0.0.1:1884"};
	struct sched a, b, a2;
	assert_int_equal(sched_init(&a, SCHED_KIND_CLIENTID, names3, 3, NULL, 1), 0);
	assert_int_equal(sched_init(&b, SCHED_KIND_CLIENTID, rev, 3, NULL, 99), 0);
	assert_int_equal(sched_init(&a2, SCHED_KIND_CLIENTID, names3, 3, NULL, 7), 0);
	for (int i = 0; i < NKEYS; i++) {
		int x = pick_id(&a, i, 0), y = pick_id(&b, i, 0);
		assert_string_equal(a.names[x], b.names[y]);
		assert_int_equal(pick_id(&a2, i, 0), x);
		assert_int_equal(pick_id(&a, i, 0), x); /* and again: reconnects */
	}
	sched_free(&a);
	sched_free(&b);
	sched_free(&a2);
}

static void test_maglev_minimal_disruption(void **state)
{
	static const char *const n5[] = {"10.0.0.1:1883", "10.0.0.2:1883", "10.0.0.3:1883",
					 "10.0.0.4:1883", "10.0.0.5:1883"};
	static int before[NKEYS];
	struct sched s;
	unsigned moved_to[5] = {0}, cnt[5] = {0};
	assert_int_equal(sched_init(&s, SCHED_KIND_CLIENTID, n5, 5, NULL, 1), 0);
	for (int i = 0; i < NKEYS; i++)
		cnt[before[i] = pick_id(&s, i, 0)]++;
	for (int j = 0; j < 5; j++) /* unweighted: 20% each, +-10% relative */
		assert_in_range(cnt[j], NKEYS / 5 * 9 / 10, NKEYS / 5 * 11 / 10);
	/* backend 2 goes down: only its keys move, and they spread */
	unsigned cfg[5] = {1, 1, 1, 1, 1}, eff[5] = {1, 1, 0, 1, 1};
	sched_set_weights(&s, cfg, eff);
	for (int i = 0; i < NKEYS; i++) {
		int now = pick_id(&s, i, 0);
		assert_int_not_equal(now, 2);
		if (before[i] != 2)
			assert_int_equal(now, before[i]);
		else
			moved_to[now]++;
	}
	for (int j = 0; j < 5; j++)
		if (j != 2) /* each survivor takes a fair part: 25% of 20% +-15% */
			assert_in_range(moved_to[j], cnt[2] / 4 * 85 / 100, cnt[2] / 4 * 115 / 100);
	/* it comes back: every key maps as before */
	sched_set_weights(&s, cfg, cfg);
	for (int i = 0; i < NKEYS; i++)
		assert_int_equal(pick_id(&s, i, 0), before[i]);
	/* exclusion (connect failed): the next backend in table order, never it */
	for (int i = 0; i < 1000; i++) {
		int b = pick_id(&s, i, 1ULL << before[i]);
		assert_int_not_equal(b, before[i]);
	}
	/* removal from the table (configured weight 0): Maglev moves few others */
	unsigned rm[5] = {1, 1, 0, 1, 1};
	sched_set_weights(&s, rm, rm);
	unsigned other_moved = 0;
	for (int i = 0; i < NKEYS; i++) {
		int now = pick_id(&s, i, 0);
		assert_int_not_equal(now, 2);
		if (before[i] != 2 && now != before[i])
			other_moved++;
	}
	assert_true(other_moved < NKEYS / 20); /* < 5% (paper: a few %) */
	sched_free(&s);
}

static void test_maglev_weights(void **state)
{
	static const unsigned w[3] = {1, 2, 3};
	struct sched s;
	unsigned cnt[3] = {0};
	assert_int_equal(sched_init(&s, SCHED_KIND_CLIENTID, names3, 3, NULL, 1), 0);
	sched_set_weights(&s, w, w);
	for (int i = 0; i < 60000; i++)
		cnt[pick_id(&s, i, 0)]++;
	/* shares 1/6, 2/6, 3/6 of 60000, each within +-8% relative */
	assert_in_range(cnt[0], 10000 * 92 / 100, 10000 * 108 / 100);
	assert_in_range(cnt[1], 20000 * 92 / 100, 20000 * 108 / 100);
	assert_in_range(cnt[2], 30000 * 92 / 100, 30000 * 108 / 100);
	/* slot shares are exact to within one round */
	unsigned slots[3] = {0};
	for (uint32_t i = 0; i < s.mg.m; i++)
		slots[s.mg.table[i]]++;
	assert_in_range(slots[0] * 6, s.mg.m - 6, s.mg.m + 6);
	assert_in_range(slots[2] * 2, s.mg.m - 6, s.mg.m + 6);
	sched_free(&s);
}

static int is_prime(uint32_t m)
{
	for (uint32_t d = 2; d * d <= m; d++)
		if (m % d == 0)
			return 0;
	return m > 1;
}

static void test_maglev_table_size(void **state)
{
	static const unsigned ns[] = {1, 3, 10, 11, 40, 64};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint32_t m = maglev_size_for(ns[i]);
		assert_true(m > 100 * ns[i]);
		assert_true(is_prime(m));
	}
	struct maglev mg = {0};
	const char *one[] = {"a"};
	unsigned zero = 0;
	assert_int_equal(maglev_build(&mg, one, &zero, 1), 0);
	assert_int_equal(maglev_lookup(&mg, "k", 1, 1), -1); /* no slots */
	assert_int_equal(maglev_build(&mg, one, &zero, 0), -EINVAL);
	maglev_free(&mg);
	/* the hash is fixed: a ClientID maps the same in every build */
	assert_true(maglev_hash("", 0, 0) == maglev_hash("", 0, 0));
	assert_true(maglev_hash("a", 1, 0) != maglev_hash("b", 1, 0));
}

static void test_sh_and_empty_clientid(void **state)
{
	struct sched sh, cid;
	struct sockaddr_storage a, b;
	assert_int_equal(sched_init(&sh, SCHED_KIND_SH, names3, 3, NULL, 1), 0);
	assert_int_equal(sched_init(&cid, SCHED_KIND_CLIENTID, names3, 3, NULL, 1), 0);
	/* sh: same host, any port -> same backend */
	unsigned cnt[3] = {0};
	for (int h = 0; h < 300; h++) {
		char s1[32], s2[32];
		snprintf(s1, sizeof(s1), "10.1.%d.%d:1000", h / 200, h % 200 + 1);
		snprintf(s2, sizeof(s2), "10.1.%d.%d:50000", h / 200, h % 200 + 1);
		assert_int_equal(addr_parse(s1, 0, &a), 0);
		assert_int_equal(addr_parse(s2, 0, &b), 0);
		struct sched_key ka = {NULL, 0, &a}, kb = {NULL, 0, &b};
		int x = sched_pick(&sh, &ka, NULL, 0);
		assert_int_equal(sched_pick(&sh, &kb, NULL, 0), x);
		cnt[x]++;
	}
	for (int j = 0; j < 3; j++)
		assert_in_range(cnt[j], 60, 140);
	/* clientid without a ClientID: source address and port, so one host spreads */
	memset(cnt, 0, sizeof(cnt));
	for (int p = 0; p < 300; p++) {
		char s1[32];
		snprintf(s1, sizeof(s1), "127.0.0.1:%d", 40000 + p);
		assert_int_equal(addr_parse(s1, 0, &a), 0);
		struct sched_key k = {(const uint8_t *)"", 0, &a};
		cnt[sched_pick(&cid, &k, NULL, 0)]++;
	}
	for (int j = 0; j < 3; j++)
		assert_in_range(cnt[j], 60, 140);
	/* no key at all: still a backend */
	assert_in_range(sched_pick(&cid, NULL, NULL, 0), 0, 2);
	sched_free(&sh);
	sched_free(&cid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_init_bounds),
	    cmocka_unit_test(test_rr_exact),
	    cmocka_unit_test(test_rr_shared_across_threads),
	    cmocka_unit_test(test_wrr_proportions),
	    cmocka_unit_test(test_lc_within_one),
	    cmocka_unit_test(test_wlc_weights),
	    cmocka_unit_test(test_p2c_balance),
	    cmocka_unit_test(test_maglev_same_key_across_instances),
	    cmocka_unit_test(test_maglev_minimal_disruption),
	    cmocka_unit_test(test_maglev_weights),
	    cmocka_unit_test(test_maglev_table_size),
	    cmocka_unit_test(test_sh_and_empty_clientid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
