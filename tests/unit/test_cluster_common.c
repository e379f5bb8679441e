/* Unit tests for the cluster's shared helpers: cgroup path building and
 * parsing (src/common/cgroup.c), MQTT probe packet building and framing
 * (src/mqtt/probe.c), kill's --signal names, the reused-pid guard and
 * the persistence lines of a broker's config (src/cluster). The real files and a real broker are exercised in
 * tests/integration/cluster_probe_cgroup.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "common/cgroup.h"
#include "mqtt/probe.h"

static const char self_v1[] = "9:name=systemd:/\n"
			      "8:pids:/\n"
			      "4:memory:/process_api/abc\n"
			      "2:cpu,cpuacct:/user.slice\n"
			      "0::/init.scope\n";

static void test_parse_self(void **state)
{
	char p[256];
	assert_int_equal(cgroup_parse_self(self_v1, "memory", p, sizeof(p)), 0);
	assert_string_equal(p, "/process_api/abc");
	assert_int_equal(cgroup_parse_self(self_v1, "cpu", p, sizeof(p)), 0);
	assert_string_equal(p, "/user.slice");
	assert_int_equal(cgroup_parse_self(self_v1, "cpuacct", p, sizeof(p)), 0);
	assert_string_equal(p, "/user.slice");
	assert_int_equal(cgroup_parse_self(self_v1, "", p, sizeof(p)), 0);
	assert_string_equal(p, "/init.scope");
	assert_int_equal(cgroup_parse_self(self_v1, "blkio", p, sizeof(p)), -ENOENT);
	assert_int_equal(cgroup_parse_self(self_v1, "cpu,", p, sizeof(p)), -ENOENT);
	assert_int_equal(cgroup_parse_self("", "cpu", p, sizeof(p)), -ENOENT);
	assert_int_equal(cgroup_parse_self(self_v1, "memory", p, 4), -ENAMETOOLONG);
}

static void test_paths(void **state)
{
	struct cgroup cg;
	assert_int_equal(cgroup_paths(&cg, "/sys/fs/cgroup", CGROUP_V2, "b1", self_v1), 0);
	/* v2: inside the cgroup we run in ("0::/init.scope"), never at the root */
	assert_string_equal(cg.dir[CGROUP_CPU], "/sys/fs/cgroup/init.scope/mqlb/b1");
	assert_string_equal(cg.dir[CGROUP_MEMORY], "");
	assert_int_equal(cgroup_paths(&cg, "/sys/fs/cgroup", CGROUP_V1, "b1", self_v1), 0);
	assert_string_equal(cg.dir[CGROUP_CPU], "/sys/fs/cgroup/cpu/user.slice/mqlb/b1");
	assert_string_equal(cg.dir[CGROUP_CPUACCT], "/sys/fs/cgroup/cpuacct/user.slice/mqlb/b1");
	assert_string_equal(cg.dir[CGROUP_MEMORY], "/sys/fs/cgroup/memory/process_api/abc/mqlb/b1");
	assert_int_equal(cgroup_paths(&cg, "/r", CGROUP_V1, "x", "1:cpu:/\n"), 0);
	assert_string_equal(cg.dir[CGROUP_CPU], "/r/cpu/mqlb/x");
	static const char *const bad[] = {
	    "", "a/b", "..", ".",
	    "0123456789012345678901234567890123456789012345678901234567890123456789"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cgroup_paths(&cg, "/r", CGROUP_V1, bad[i], self_v1), -EINVAL);
}

static void test_cpu_max(void **state)
{
	static const struct {
		double cpus;
		const char *s;
	} rows[] = {{0.25, "25000 100000"},
		    {1, "100000 100000"},
		    {0, "max 100000"},
		    {2.5, "250000 100000"},
		    {0.001, "100 100000"}};
	char buf[64];
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double back = -1;
		cgroup_cpu_max_str(rows[i].cpus, buf, sizeof(buf));
		assert_string_equal(buf, rows[i].s);
		assert_int_equal(cgroup_parse_cpu_max(buf, &back), 0);
		assert_true(back > rows[i].cpus - 1e-9 && back < rows[i].cpus + 1e-9);
	}
	double c;
	assert_int_equal(cgroup_parse_cpu_max("", &c), -EINVAL);
	assert_int_equal(cgroup_parse_cpu_max("12x 100000", &c), -EINVAL);
	assert_int_equal(cgroup_parse_cpu_max("100 0", &c), -EINVAL);
}

static void test_key_u64(void **state)
{
	const char *stat = "usage_usec 123456\nuser_usec 100\nsystem_usec 23456\n";
	uint64_t v = 0;
	assert_int_equal(cgroup_parse_key_u64(stat, "usage_usec", &v), 0);
	assert_int_equal(v, 123456);
	assert_int_equal(cgroup_parse_key_u64(stat, "system_usec", &v), 0);
	assert_int_equal(v, 23456);
	assert_int_equal(cgroup_parse_key_u64(stat, "usage", &v), -ENOENT);
	assert_int_equal(cgroup_parse_key_u64("usage_usec x\n", "usage_usec", &v), -EINVAL);
}

/* A fake v1 tree in /tmp: detection, create, limits, usage read-back, remove. */
static void test_fake_tree(void **state)
{
	char root[] = "/tmp/mqlb-cgtest.XXXXXX";
	assert_non_null(mkdtemp(root));
	char p[512];
	struct cgroup cg;
	assert_int_equal(cgroup_detect(root), CGROUP_NONE);
	const char *ctrls[] = {"cpu", "cpuacct", "memory"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, ctrls[i]);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/%s/tasks", root, ctrls[i]);
		fclose(fopen(p, "w"));
	}
	assert_int_equal(cgroup_detect(root), CGROUP_V1);
	assert_int_equal(cgroup_paths(&cg, root, CGROUP_V1, "t", "1:cpu:/\n"), 0);
	assert_int_equal(cgroup_create(&cg), 0);
	/* a real cgroupfs makes the files; here pre-create them */
	const char *files[][2] = {{"cpu", "cpu.cfs_quota_us"},
				  {"cpu", "cpu.cfs_period_us"},
				  {"memory", "memory.limit_in_bytes"}};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s/mqlb/t/%s", root, files[i][0], files[i][1]);
		fclose(fopen(p, "w"));
	}
	char nl[256];
	assert_int_equal(cgroup_set_limits(&cg, 0.25, 128ULL << 20, nl, sizeof(nl)), 0);
	assert_string_equal(nl, "");
	double cpus;
	uint64_t mem;
	assert_int_equal(cgroup_read_limits(&cg, &cpus, &mem), 0);
	assert_true(cpus > 0.2499 && cpus < 0.2501);
	assert_int_equal(mem, 128ULL << 20);
	uint64_t cpu_ns, mem_now;
	assert_int_not_equal(cgroup_usage(&cg, &cpu_ns, &mem_now), 0); /* no usage files */
	assert_true(cpu_ns == UINT64_MAX);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s/mqlb/t/%s", root, files[i][0], files[i][1]);
		unlink(p);
	}
	assert_int_equal(cgroup_remove(&cg), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s/mqlb", root, ctrls[i]);
		assert_int_equal(access(p, F_OK), -1);
		snprintf(p, sizeof(p), "%s/%s/tasks", root, ctrls[i]);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%s", root, ctrls[i]);
		rmdir(p);
	}
	rmdir(root);
}

static void put(const char *dir, const char *file, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *dir, const char *file, char *out, size_t len)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	out[0] = '\0';
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* A fake v2 tree: root (no cgroup.type) and a delegated scope. cluster up used
 * to write "+cpu +memory" into the root's subtree_control and make root/mqlb;
 * now it works inside the scope only, and refuses the root and a scope whose
 * parent does not offer cpu. */
static void test_v2_delegated(void **state)
{
	char root[] = "/tmp/mqlb-cgv2.XXXXXX", base[512], p[512], buf[256], why[768];
	const char *self = "0::/user.slice/x.scope\n";
	assert_non_null(mkdtemp(root));
	put(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(root, "cgroup.subtree_control", "");
	snprintf(base, sizeof(base), "%s/user.slice", root);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(base, sizeof(base), "%s/user.slice/x.scope", root);
	assert_int_equal(mkdir(base, 0755), 0);
	put(base, "cgroup.type", "domain\n");
	put(base, "cgroup.controllers", "cpu io memory pids\n");
	put(base, "cgroup.subtree_control", "");
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	put(base, "cgroup.procs", buf);
	/* a real cgroupfs makes these files itself */
	snprintf(p, sizeof(p), "%s/mqlb", base);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "cgroup.subtree_control", "");
	snprintf(p, sizeof(p), "%s/mqlb-cli", base);
	assert_int_equal(mkdir(p, 0755), 0);
	put(p, "cgroup.procs", "");
	assert_int_equal(cgroup_detect(root), CGROUP_V2);

	struct cgroup cg;
	assert_int_equal(cgroup_v2_prepare(root, self, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(cgroup_paths(&cg, root, CGROUP_V2, "t-b1", self), 0);
	snprintf(p, sizeof(p), "%s/mqlb/t-b1", base);
	assert_string_equal(cg.dir[CGROUP_CPU], p);
	assert_int_equal(cgroup_create(&cg), 0);
	assert_int_equal(access(p, F_OK), 0);
	/* nothing at or above the root changed */
	get(root, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "");
	snprintf(p, sizeof(p), "%s/mqlb", root);
	assert_int_equal(access(p, F_OK), -1);
	/* the scope hands cpu and memory down, after we left it for a leaf */
	get(base, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "+cpu +memory");
	snprintf(p, sizeof(p), "%s/mqlb", base);
	get(p, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "+cpu +memory");
	snprintf(p, sizeof(p), "%s/mqlb-cli", base);
	get(p, "cgroup.procs", buf, sizeof(buf));
	assert_int_equal(atoi(buf), (int)getpid());

	/* in the root cgroup: refused, one line that says what to run */
	assert_int_equal(cgroup_v2_prepare(root, "0::/\n", why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "root cgroup"));
	assert_non_null(strstr(why, "systemd-run"));
	assert_null(strchr(why, '\n'));
	get(root, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* a parent that does not offer cpu: named, with the fix */
	put(base, "cgroup.controllers", "io memory pids\n");
	assert_int_equal(cgroup_v2_prepare(root, self, why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "controller cpu"));
	assert_non_null(strstr(why, "+cpu"));
	assert_int_equal(system(NULL) != 0, 1);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

static void test_build_connect(void **state)
{
	uint8_t b[64];
	int n = mqtt_probe_build_connect(b, sizeof(b), "ab", 10);
	static const uint8_t want[] = {0x10, 14,   0, 4,  'M', 'Q', 'T', 'T',
				       4,    0x02, 0, 10, 0,   2,   'a', 'b'};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(mqtt_probe_build_connect(b, 15, "ab", 10), -ENOSPC);
}

static void test_build_subscribe(void **state)
{
	uint8_t b[64];
	const char *f[] = {"$SYS/#", "a"};
	int n = mqtt_probe_build_subscribe(b, sizeof(b), 1, f, 2);
	static const uint8_t want[] = {0x82, 15,  0,   1, 0, 6, '$', 'S', 'Y',
				       'S',  '/', '#', 0, 0, 1, 'a', 0};
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(mqtt_probe_build_subscribe(b, sizeof(b), 1, f, 0), -EINVAL);
	const char *empty[] = {""};
	assert_int_equal(mqtt_probe_build_subscribe(b, sizeof(b), 1, empty, 1), -EINVAL);
	assert_int_equal(mqtt_probe_build_subscribe(b, 10, 1, f, 2), -ENOSPC);
}

/* §2.2.3 remaining length boundaries: 127/128, 16383/16384; short reads need more. */
static void test_frame(void **state)
{
	static uint8_t buf[16384 + 8];
	static const struct {
		size_t rem;
		size_t hdr;
	} rows[] = {{0, 2}, {127, 2}, {128, 3}, {16383, 3}, {16384, 4}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t v = rows[i].rem, k = 1;
		memset(buf, 0, sizeof(buf));
		buf[0] = 0x30;
		do {
			uint8_t d = v % 128;
			v /= 128;
			buf[k++] = (uint8_t)(d | (v ? 0x80 : 0));
		} while (v);
		assert_int_equal(k, rows[i].hdr);
		uint8_t tf;
		size_t off, len;
		size_t total = rows[i].hdr + rows[i].rem;
		assert_int_equal(mqtt_probe_frame(buf, total, &tf, &off, &len), (int)total);
		assert_int_equal(off, rows[i].hdr);
		assert_int_equal(len, rows[i].rem);
		if (total > 1)
			assert_int_equal(mqtt_probe_frame(buf, total - 1, &tf, &off, &len), 0);
	}
	uint8_t bad[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
	uint8_t tf;
	size_t off, len;
	assert_int_equal(mqtt_probe_frame(bad, sizeof(bad), &tf, &off, &len), -EPROTO);
	assert_int_equal(mqtt_probe_frame(bad, 1, &tf, &off, &len), 0);
}

static void test_signal_parse(void **state)
{
	int sig = 0;
	assert_int_equal(cluster_signal_parse("KILL", &sig), 0);
	assert_int_equal(sig, SIGKILL);
	assert_int_equal(cluster_signal_parse("sigterm", &sig), 0);
	assert_int_equal(sig, SIGTERM);
	assert_int_equal(cluster_signal_parse("STOP", &sig), 0);
	assert_int_equal(sig, SIGSTOP);
	assert_int_equal(cluster_signal_parse("SIGCONT", &sig), 0);
	assert_int_equal(sig, SIGCONT);
	assert_string_equal(cluster_signal_name(SIGSTOP), "STOP");
	/* only the four a fault needs */
	assert_int_equal(cluster_signal_parse("HUP", &sig), -EINVAL);
	assert_int_equal(cluster_signal_parse("9", &sig), -EINVAL);
	assert_int_equal(cluster_signal_parse("", &sig), -EINVAL);
	assert_int_equal(cluster_signal_parse("SIG", &sig), -EINVAL);
}

/* A pid that is not mosquitto with this run dir's config is dead to the
 * cluster (the kernel may have handed a killed broker's pid to anyone). */
static void test_proc_guard(void **state)
{
	struct cluster_state st;
	memset(&st, 0, sizeof(st));
	cluster_spec_defaults(&st.spec);
	snprintf(st.spec.run_dir, sizeof(st.spec.run_dir), "/nonexistent");
	struct cluster_broker b = {.id = 1, .pid = getpid()};
	assert_int_equal(cluster_broker_proc(&st, &b), CLUSTER_PROC_DEAD);
	b.pid = 0; /* what kill records */
	assert_int_equal(cluster_broker_proc(&st, &b), CLUSTER_PROC_DEAD);
	assert_false(cluster_broker_alive(&st, &b));
	assert_string_equal(cluster_proc_name(CLUSTER_PROC_STOPPED), "stopped");
	assert_string_equal(cluster_proc_name(CLUSTER_PROC_ALIVE), "alive");
	assert_string_equal(cluster_proc_name(CLUSTER_PROC_DEAD), "dead");
}

/* --persistence: saved every second, so a SIGKILL loses ~2 s, not 30 min */
static void test_conf_persistence(void **state)
{
	struct cluster_spec s;
	char *text = NULL;
	size_t len = 0;
	cluster_spec_defaults(&s);
	snprintf(s.run_dir, sizeof(s.run_dir), "/run/x");
	s.persistence = 1;
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(cluster_conf_write(f, &s, 2, CLUSTER_CONF_LOCAL), 0);
	fclose(f);
	assert_non_null(strstr(text, "persistence true\npersistence_location /run/x/b2.data/\n"));
	assert_non_null(strstr(text, "\nautosave_interval 1\n"));
	free(text);
	s.persistence = 0;
	f = open_memstream(&text, &len);
	assert_int_equal(cluster_conf_write(f, &s, 2, CLUSTER_CONF_LOCAL), 0);
	fclose(f);
	assert_null(strstr(text, "autosave"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_self),	     cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_cpu_max),	     cmocka_unit_test(test_key_u64),
	    cmocka_unit_test(test_fake_tree),	     cmocka_unit_test(test_build_connect),
	    cmocka_unit_test(test_build_subscribe),  cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_signal_parse),     cmocka_unit_test(test_proc_guard),
	    cmocka_unit_test(test_conf_persistence), cmocka_unit_test(test_v2_delegated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
