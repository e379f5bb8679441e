/* Unit tests for src/lab/fault.c: the fault spec grammar, good and bad specs,
 * and the checks against a run (targets, the star's hub, the publish time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lab/fault.h"

static void test_good_specs(void **state)
{
	static const struct {
		const char *s;
		enum lab_fault_kind kind;
		int target;
		uint64_t start, dur;
	} rows[] = {
	    {"broker-kill:2@5s+3s", LAB_FAULT_BROKER_KILL, 2, 5000, 3000},
	    {"broker-kill:2@5s", LAB_FAULT_BROKER_KILL, 2, 5000, 0},
	    {"broker-freeze:3@5s+3s", LAB_FAULT_BROKER_FREEZE, 3, 5000, 3000},
	    {"client-flap:1@5s+4s", LAB_FAULT_CLIENT_FLAP, 1, 5000, 4000},
	    {"bridge-cut:2@500ms+4.5s", LAB_FAULT_BRIDGE_CUT, 2, 500, 4500},
	    {"director-kill:1@5", LAB_FAULT_DIRECTOR_KILL, 1, 5000, 0},
	    {"netem:all=delay=50ms,loss=1%@0s+20s", LAB_FAULT_NETEM, 0, 0, 20000},
	    {"netem:2=loss=0.5%@1s", LAB_FAULT_NETEM, 2, 1000, 0},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lab_fault f;
		char err[256] = "";
		assert_int_equal(lab_fault_parse(rows[i].s, &f, err, sizeof(err)), 0);
		assert_int_equal(f.kind, rows[i].kind);
		assert_int_equal(f.target, rows[i].target);
		assert_int_equal(f.start_ms, rows[i].start);
		assert_int_equal(f.dur_ms, rows[i].dur);
		assert_string_equal(f.spec, rows[i].s);
	}
	struct lab_fault f;
	char err[256];
	assert_int_equal(lab_fault_parse("netem:all=delay=50ms,loss=1%@0s+20s", &f, err, 256), 0);
	assert_int_equal(f.delay_ms, 50);
	assert_true(fabs(f.loss_pct - 1.0) < 1e-9);
	assert_string_equal(lab_fault_kind_name(LAB_FAULT_BRIDGE_CUT), "bridge-cut");
}

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "broker-kill:2",	       /* no @ */
	    "broker-nap:2@5s",	       /* unknown kind */
	    "broker-kill@5s",	       /* no target */
	    "broker-kill:@5s",	       /* empty target */
	    "broker-kill:0@5s",	       /* targets count from 1 */
	    "broker-kill:x@5s",	       /* not a number */
	    "client-flap:3@5s",	       /* two client hosts */
	    "broker-kill:all@5s",      /* 'all' only for netem */
	    "broker-kill:2=x@5s",      /* params only for netem */
	    "netem:all@5s",	       /* netem needs params */
	    "netem:all=jitter=5ms@5s", /* unknown param */
	    "netem:all=loss=1@5s",     /* loss without % */
	    "netem:all=loss=101%@5s",  /* beyond 100 % */
	    "broker-kill:2@",	       /* no start */
	    "broker-kill:2@5q",	       /* bad unit */
	    "broker-kill:2@5s+",       /* empty duration */
	    "broker-kill:2@5s+0s",     /* zero duration */
	    "broker-kill:2@-1s",       /* negative */
	    "director-kill:1@5s+3s",   /* a dead host stays dead */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab_fault f;
		char err[256] = "";
		assert_int_equal(lab_fault_parse(bad[i], &f, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--fault '"));
		assert_null(strchr(err, '\n'));
	}
}

static void test_check_against_run(void **state)
{
	struct lab_fault_limits star = {.brokers = 3, .directors = 2, .publish_ms = 20000};
	struct lab_fault_limits mesh = star;
	mesh.mesh = 1;
	static const struct {
		const char *s;
		int ok_star, ok_mesh;
	} rows[] = {
	    {"broker-kill:3@5s+3s", 1, 1},  {"broker-kill:9@5s", 0, 0},
	    {"broker-kill:2@15s+5s", 1, 1}, /* ends exactly at the publish end */
	    {"broker-kill:2@15s+6s", 0, 0}, {"broker-kill:2@20s", 0, 0},
	    {"bridge-cut:1@5s+4s", 0, 0},   {"bridge-cut:2@5s+4s", 1, 0},
	    {"director-kill:2@5s", 1, 1},   {"director-kill:3@5s", 0, 0},
	    {"client-flap:2@1s+1s", 1, 1},
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lab_fault f;
		char err[256] = "";
		assert_int_equal(lab_fault_parse(rows[i].s, &f, err, sizeof(err)), 0);
		assert_int_equal(lab_fault_check(&f, &star, err, sizeof(err)) == 0,
				 rows[i].ok_star);
		assert_int_equal(lab_fault_check(&f, &mesh, err, sizeof(err)) == 0,
				 rows[i].ok_mesh);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_specs),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test(test_check_against_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
