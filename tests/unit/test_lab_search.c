/* Unit tests for the lab's cluster overrides (src/lab/setup.c) and the search
 * (src/lab/search.c): flag values at their boundaries, the setup label and the
 * `cluster up` arguments, --setups parsing, and the "why" clause per evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/run.h"

static void test_cluster_flag_table(void **state)
{
	(void)state;
	static const struct {
		const char *flag, *v;
		int want; /* 0 ok, 1 not a cluster flag, -EINVAL */
	} cases[] = {
	    {"--bridge", "star", 0},
	    {"--bridge", "mesh", 0},
	    {"--bridge", "none", -EINVAL},
	    {"--bridge", "", -EINVAL},
	    {"--cpus", "0", 0},
	    {"--cpus", "0.01", 0},
	    {"--cpus", "0.009", -EINVAL},
	    {"--cpus", "1024", 0},
	    {"--cpus", "1025", -EINVAL},
	    {"--cpus", "-1", -EINVAL},
	    {"--cpus", "x", -EINVAL},
	    {"--memory", "0", 0},
	    {"--memory", "4M", 0},
	    {"--memory", "3M", -EINVAL},
	    {"--memory", "512M", 0},
	    {"--memory", "12Q", -EINVAL},
	    {"--max-queued", "0", 0},
	    {"--max-queued", "1000000000", 0},
	    {"--max-queued", "1000000001", -EINVAL},
	    {"--max-queued", "-1", -EINVAL},
	    {"--max-inflight", "0", 0},
	    {"--max-inflight", "20x", -EINVAL},
	    {"--bridge-qos", "0", 0},
	    {"--bridge-qos", "1", 0},
	    {"--bridge-qos", "2", 0},
	    {"--bridge-qos", "3", -EINVAL},
	    {"--bridge-qos", "-1", -EINVAL},
	    {"--bridge-qos", "01", -EINVAL},
	    {"--bridge-qos", "1 ", -EINVAL},
	    {"--bridge-qos", "", -EINVAL},
	    {"--mosquitto-opt", "a=b", 0},
	    {"--mosquitto-opt", "=b", -EINVAL},
	    {"--mosquitto-opt", "a=", -EINVAL},
	    {"--mosquitto-opt", "ab", -EINVAL},
	    {"--mosquitto-opt", "a=b,c", -EINVAL},
	    {"--profile", "thesis", 1},
	    {"--out", "x", 1},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lab_cluster c;
		char err[256] = "";
		memset(&c, 0, sizeof(c));
		int r = lab_cluster_flag(&c, cases[i].flag, cases[i].v, err, sizeof(err));
		if (r != cases[i].want)
			fail_msg("%s '%s': got %d, want %d", cases[i].flag, cases[i].v, r,
				 cases[i].want);
		if (r < 0) {
			assert_non_null(strstr(err, cases[i].flag)); /* names the flag */
			assert_true(lab_cluster_empty(&c));	     /* nothing half-set */
		}
	}
}

static void test_cluster_opts_cap(void **state)
{
	(void)state;
	struct lab_cluster c;
	char err[256];
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < LAB_MAX_MOSQ_OPTS; i++)
		assert_int_equal(lab_cluster_flag(&c, "--mosquitto-opt", "k=v", err, sizeof(err)),
				 0);
	assert_int_equal(lab_cluster_flag(&c, "--mosquitto-opt", "k=v", err, sizeof(err)), -EINVAL);
	assert_int_equal(c.n_opts, LAB_MAX_MOSQ_OPTS);
}

static void test_label_and_argv(void **state)
{
	(void)state;
	struct lab_cluster c;
	char err[256], label[256];
	memset(&c, 0, sizeof(c));
	lab_cluster_label("thesis", &c, label, sizeof(label));
	assert_string_equal(label, "thesis");
	assert_true(lab_cluster_empty(&c));
	assert_int_equal(lab_cluster_memory("thesis", &c), 128ULL << 20);
	assert_true(lab_cluster_cpu_pct(&c) == 25);

	assert_int_equal(lab_cluster_flag(&c, "--memory", "512M", err, sizeof(err)), 0);
	assert_int_equal(lab_cluster_flag(&c, "--max-queued", "0", err, sizeof(err)), 0);
	assert_int_equal(lab_cluster_flag(&c, "--bridge", "mesh", err, sizeof(err)), 0);
	assert_int_equal(lab_cluster_flag(&c, "--mosquitto-opt", "x=y z", err, sizeof(err)), 0);
	assert_int_equal(lab_cluster_flag(&c, "--cpus", "0", err, sizeof(err)), 0);
	lab_cluster_label("thesis", &c, label, sizeof(label));
	assert_string_equal(label, "thesis+bridge=mesh+cpus=0+memory=512M+max-queued=0+opt:x=y_z");
	assert_int_equal(lab_cluster_memory("thesis", &c), 512ULL << 20);
	assert_true(lab_cluster_cpu_pct(&c) == 0);
	assert_true(lab_cluster_is_mesh(&c));

	char *argv[LAB_CLUSTER_ARGV_MAX];
	int n = 0;
	lab_cluster_argv(&c, argv, &n);
	assert_int_equal(n, 10);
	assert_string_equal(argv[0], "--bridge");
	assert_string_equal(argv[1], "mesh");
	assert_string_equal(argv[6], "--max-queued");
	assert_string_equal(argv[7], "0");
	assert_string_equal(argv[8], "--mosquitto-opt");
	assert_string_equal(argv[9], "x=y z"); /* the value itself is passed unchanged */

	/* --bridge-qos: the same path as --max-inflight, last of the flags */
	memset(&c, 0, sizeof(c));
	assert_int_equal(lab_cluster_flag(&c, "--max-inflight", "0", err, sizeof(err)), 0);
	assert_int_equal(lab_cluster_flag(&c, "--bridge-qos", "1", err, sizeof(err)), 0);
	assert_false(lab_cluster_empty(&c));
	lab_cluster_label("thesis", &c, label, sizeof(label));
	assert_string_equal(label, "thesis+max-inflight=0+bridge-qos=1");
	n = 0;
	lab_cluster_argv(&c, argv, &n);
	assert_int_equal(n, 4);
	assert_string_equal(argv[2], "--bridge-qos");
	assert_string_equal(argv[3], "1");
	/* every flag and every opt fit LAB_CLUSTER_ARGV_MAX */
	const char *all[][2] = {{"--bridge", "star"},	 {"--cpus", "1"},
				{"--memory", "64M"},	 {"--max-queued", "5"},
				{"--max-inflight", "5"}, {"--bridge-qos", "0"}};
	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(lab_cluster_flag(&c, all[i][0], all[i][1], err, sizeof(err)), 0);
	for (int i = 0; i < LAB_MAX_MOSQ_OPTS; i++)
		assert_int_equal(lab_cluster_flag(&c, "--mosquitto-opt", "k=v", err, sizeof(err)),
				 0);
	c.persistence = 1; /* a flag without a value, last */
	n = 0;
	lab_cluster_argv(&c, argv, &n);
	assert_int_equal(n, LAB_CLUSTER_ARGV_MAX);
	assert_string_equal(argv[n - 1], "--persistence");
	memset(&c, 0, sizeof(c));
	c.persistence = 1;
	assert_false(lab_cluster_empty(&c));
	lab_cluster_label("thesis", &c, label, sizeof(label));
	assert_string_equal(label, "thesis+persistence");
}

static void test_setups_pick(void **state)
{
	(void)state;
	int idx[LAB_MAX_SETUPS], n;
	char err[512];
	const struct lab_setup *s = lab_setups(&n);
	assert_true(n >= 8 && n <= LAB_MAX_SETUPS);
	assert_string_equal(s[0].name, "thesis");
	for (int i = 0; i < n; i++) { /* every setup's flags are valid */
		struct lab_cluster c;
		assert_int_equal(lab_setup_cluster(&s[i], &c), 0);
		assert_null(strchr(s[i].name, ','));
	}
	assert_int_equal(lab_setups_pick("all", idx, LAB_MAX_SETUPS, err, sizeof(err)), n);
	assert_int_equal(lab_setups_pick("mesh,thesis", idx, LAB_MAX_SETUPS, err, sizeof(err)), 2);
	assert_string_equal(s[idx[0]].name, "mesh");
	assert_string_equal(s[idx[1]].name, "thesis");
	assert_int_equal(lab_setups_pick("thesis,nope", idx, LAB_MAX_SETUPS, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'nope'"));
	assert_non_null(strstr(err, "queue-unlimited")); /* lists the known ones */
	assert_int_equal(lab_setups_pick("thesis,thesis", idx, LAB_MAX_SETUPS, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(lab_setups_pick(",", idx, LAB_MAX_SETUPS, err, sizeof(err)), -EINVAL);
	assert_int_equal(lab_setups_pick("thesis,mesh", idx, 1, err, sizeof(err)), -EINVAL);
	struct lab_cluster c;
	int q = -1;
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].name, "queue-unlimited") == 0)
			q = i;
	assert_true(q >= 0);
	assert_int_equal(lab_setup_cluster(&s[q], &c), 0);
	assert_string_equal(c.max_queued, "0");
	assert_string_equal(c.memory, ""); /* memory kept */

	/* unlimited-bridge-qos1 = unlimited + --bridge-qos 1 */
	int u = -1, uq = -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(s[i].name, "unlimited") == 0)
			u = i;
		if (strcmp(s[i].name, "unlimited-bridge-qos1") == 0)
			uq = i;
	}
	assert_true(u >= 0 && uq >= 0);
	struct lab_cluster cu, cq;
	assert_int_equal(lab_setup_cluster(&s[u], &cu), 0);
	assert_int_equal(lab_setup_cluster(&s[uq], &cq), 0);
	assert_string_equal(cu.bridge_qos, "");
	assert_string_equal(cq.bridge_qos, "1");
	memset(cq.bridge_qos, 0, sizeof(cq.bridge_qos));
	assert_memory_equal(&cu, &cq, sizeof(cu));
	assert_int_equal(s[uq].topology, s[u].topology);
}

static void test_why(void **state)
{
	(void)state;
	char buf[768];
	struct lab_search_fig f = {.expected = 1000,
				   .lost = 0,
				   .have_sys = 1,
				   .have_rss = 1,
				   .peak_rss = 50.0 * 1048576,
				   .mem_limit = 128.0 * 1048576,
				   .peak_cpu_pct = 24,
				   .cpu_limit_pct = 25};
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "lost nothing"));
	assert_non_null(strstr(buf, "dropped nothing"));
	assert_non_null(strstr(buf, "50 MiB of 128 MiB"));
	assert_non_null(strstr(buf, "at its limit"));

	f.lost = 500, f.dropped = 400, f.hub_dropped = 100, f.peak_cpu_pct = 10;
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "lost 50.00 %"));
	assert_non_null(strstr(buf, "dropped 400 messages"));
	assert_non_null(strstr(buf, "25 % on the hub"));
	assert_non_null(strstr(buf, "max_queued_messages"));
	assert_null(strstr(buf, "CPU at its limit"));

	f.dropped = 0, f.hub_dropped = 0, f.restarts = 2, f.peak_rss = 127.0 * 1048576;
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "2 broker processes died"));
	assert_non_null(strstr(buf, "memory limit"));
	assert_null(strstr(buf, "still queued")); /* a death explains it */

	f.restarts = 0, f.peak_rss = 10.0 * 1048576;
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "still queued or in flight"));

	f.peak_rss = 0.9 * 128 * 1048576; /* boundary: 90 % of the limit counts as full */
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "RSS reached"));

	f.held = 2000, f.have_store = 1, f.bridge_errors = 3;
	lab_search_why(&f, buf, sizeof(buf));
	assert_non_null(strstr(buf, "still held 2000 messages"));
	assert_non_null(strstr(buf, "bridge connections broke 3 times"));
	f.bridge_errors = 0;

	f.mesh = 1, f.dropped = 10, f.hub_dropped = 10;
	lab_search_why(&f, buf, sizeof(buf));
	assert_null(strstr(buf, "hub")); /* a mesh has none */

	struct lab_search_fig g = {.failed = 1};
	lab_search_why(&g, buf, sizeof(buf));
	assert_non_null(strstr(buf, "did not complete"));
	struct lab_search_fig z = {.expected = 0};
	lab_search_why(&z, buf, sizeof(buf));
	assert_non_null(strstr(buf, "nothing was expected"));
	char tiny[8];
	f.mesh = 0;
	lab_search_why(&f, tiny, sizeof(tiny)); /* truncates, stays a string */
	assert_true(strlen(tiny) < sizeof(tiny));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cluster_flag_table),
	    cmocka_unit_test(test_cluster_opts_cap),
	    cmocka_unit_test(test_label_and_argv),
	    cmocka_unit_test(test_setups_pick),
	    cmocka_unit_test(test_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
