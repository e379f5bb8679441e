/* Unit tests for src/bench/opts: emqtt-bench flags, defaults, bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/opts.h"
#include "common/addr.h"
#include "common/time.h"

static int parse(struct bench_opts *o, enum bench_mode m, const char *line, char *err)
{
	char buf[512], *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = (char *)bench_mode_name(m);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	bench_opts_defaults(o, m);
	static char keep[64][64]; /* argv strings must outlive the opts (borrowed) */
	for (int i = 1; i < argc; i++) {
		snprintf(keep[i], sizeof(keep[i]), "%s", argv[i]);
		argv[i] = keep[i];
	}
	return bench_opts_parse(o, argc, argv, err, 256);
}

static void test_defaults(void **state)
{
	struct bench_opts o;
	char err[256] = "";
	assert_int_equal(parse(&o, BENCH_PUB, "", err), 0);
	assert_string_equal(o.topic, "bench/test");
	assert_int_equal(o.qos, 1);
	assert_int_equal(o.version, 5);
	assert_true(o.pub_interval_ns == 500 * NS_PER_MS);
	assert_int_equal(o.ntargets, 1);
	char a[ADDR_STRLEN];
	assert_string_equal(addr_format(&o.targets[0], a, sizeof(a)), "127.0.0.1:1883");
	assert_true(o.clean);
	assert_int_equal(o.size, 256);
	/* --reconnect-delay default: 100ms,5s */
	assert_true(o.reconnect_delay_ns == 100 * NS_PER_MS);
	assert_true(o.reconnect_max_ns == 5 * NS_PER_S);
}

static void test_flags(void **state)
{
	struct bench_opts o;
	char err[256] = "";
	assert_int_equal(
	    parse(&o, BENCH_RUN,
		  "-h 127.0.0.1,127.0.0.2:1999,[::1] -p 19100 --pubs 10 --subs 50 "
		  "-q 2 -V 4 -k 30 -C false -u me -P pw -n 5 --prefix x -I 20 -s 100 "
		  "-L 2000 -F 8 --drain 3 --json o.json --csv o.csv --quiet --reconnect "
		  "--threads 2 -R 500 --ifaddr 127.0.0.1,127.0.0.3 -t a/%i/%c",
		  err),
	    0);
	assert_int_equal(o.ntargets, 3);
	char a[ADDR_STRLEN];
	assert_string_equal(addr_format(&o.targets[0], a, sizeof(a)), "127.0.0.1:19100");
	assert_string_equal(addr_format(&o.targets[1], a, sizeof(a)), "127.0.0.2:1999");
	assert_string_equal(addr_format(&o.targets[2], a, sizeof(a)), "[::1]:19100");
	assert_int_equal(o.pubs, 10);
	assert_int_equal(o.subs, 50);
	assert_int_equal(o.qos, 2);
	assert_int_equal(o.version, 4);
	assert_int_equal(o.keepalive_s, 30);
	assert_false(o.clean);
	assert_string_equal(o.username, "me");
	assert_string_equal(o.password, "pw");
	assert_int_equal(o.start_index, 5);
	assert_string_equal(o.prefix, "x");
	assert_true(o.pub_interval_ns == 20 * NS_PER_MS);
	assert_int_equal(o.size, 100);
	assert_int_equal(o.limit, 2000);
	assert_int_equal(o.inflight, 8);
	assert_true(o.drain_ns == 3 * NS_PER_S);
	assert_string_equal(o.json_path, "o.json");
	assert_string_equal(o.csv_path, "o.csv");
	assert_true(o.quiet && o.reconnect);
	assert_int_equal(o.threads, 2);
	assert_true(o.conn_interval_ns == 2 * NS_PER_MS);
	assert_int_equal(o.nifaddrs, 2);
	assert_string_equal(o.topic, "a/%i/%c");
	/* -C alone, -Ctrue; --rate sets the per-publisher interval */
	assert_int_equal(parse(&o, BENCH_PUB, "-C -c 4 --rate 100", err), 0);
	assert_true(o.clean);
	assert_true(o.pub_interval_ns == 40 * NS_PER_MS);
	assert_int_equal(parse(&o, BENCH_PUB, "-Cfalse -F 0", err), 0);
	assert_false(o.clean);
	assert_int_equal(o.inflight, 65535);
	/* --reconnect-delay: MIN,MAX; MIN alone keeps MAX (raised to MIN if below) */
	assert_int_equal(parse(&o, BENCH_RUN, "--reconnect-delay 250ms,2s", err), 0);
	assert_true(o.reconnect_delay_ns == 250 * NS_PER_MS && o.reconnect_max_ns == 2 * NS_PER_S);
	assert_int_equal(parse(&o, BENCH_RUN, "--reconnect-delay 1", err), 0);
	assert_true(o.reconnect_delay_ns == NS_PER_S && o.reconnect_max_ns == 5 * NS_PER_S);
	assert_int_equal(parse(&o, BENCH_RUN, "--reconnect-delay 10s", err), 0);
	assert_true(o.reconnect_delay_ns == 10 * NS_PER_S && o.reconnect_max_ns == 10 * NS_PER_S);
	assert_int_equal(parse(&o, BENCH_RUN, "--reconnect-delay 1s,1s", err), 0);
	assert_true(o.reconnect_delay_ns == NS_PER_S && o.reconnect_max_ns == NS_PER_S);
}

static void test_bad(void **state)
{
	static const struct {
		enum bench_mode m;
		const char *line;
		const char *needle; /* must appear in the message */
	} rows[] = {
	    {BENCH_PUB, "-q 3", "-q"},
	    {BENCH_PUB, "-q x", "-q"},
	    {BENCH_PUB, "-V 3", "3.1"},
	    {BENCH_PUB, "-V 6", "-V"},
	    {BENCH_PUB, "-p 0", "-p"},
	    {BENCH_PUB, "-p 65536", "-p"},
	    {BENCH_PUB, "-s 33", "header"},
	    {BENCH_PUB, "-c -1", "-c"},
	    {BENCH_PUB, "-h nosuchhost.example", "-h"},
	    {BENCH_PUB, "-I 0", "--duration or -L"},
	    {BENCH_RUN, "-I -1", "-I"},
	    {BENCH_PUB, "--cafile ca.crt", "needs --tls"},
	    {BENCH_PUB, "--insecure", "needs --tls"},
	    {BENCH_PUB, "--sni x.example", "needs --tls"},
	    {BENCH_PUB, "--tls-version 1.3", "needs --tls"},
	    {BENCH_PUB, "--tls --cert c.pem", "go together"},
	    {BENCH_PUB, "--tls --key k.pem", "go together"},
	    {BENCH_PUB, "--tls --tls-version 1.1", "1.2 or 1.3"},
	    {BENCH_PUB, "--tls --tls-version 13", "1.2 or 1.3"},
	    {BENCH_PUB, "--tls --sni a/b", "not a host name"},
	    {BENCH_PUB, "--tls --insecure --cafile ca.crt", "--insecure"},
	    {BENCH_PUB, "--tls --cafile", "--cafile"},
	    {BENCH_PUB, "-I 5 --rate 10", "--rate"},
	    {BENCH_PUB, "-i 5 -R 10", "-R"},
	    {BENCH_PUB, "--bogus", "--bogus"},
	    {BENCH_PUB, "-Z", "-Z"},
	    {BENCH_PUB, "-q", "-q"},
	    {BENCH_PUB, "-C maybe", "unexpected"},
	    {BENCH_PUB, "--duration 0", "--duration"},
	    {BENCH_PUB, "-F 65536", "-F"},
	    {BENCH_PUB, "--ifaddr 1.2.3.4:5", "--ifaddr"},
	    {BENCH_RUN, "--pubs 0 --subs 0", "--pubs"},
	    {BENCH_MERGE, "a.json", "two files"},
	    {BENCH_PUB, "stray", "stray"},
	    {BENCH_RUN, "--reconnect-delay 0", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay 5s,1s", "MAX is below MIN"},
	    {BENCH_RUN, "--reconnect-delay x", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay 1s,", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay ,1s", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay 1s,2s,3s", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay 2h", "--reconnect-delay"},
	    {BENCH_RUN, "--reconnect-delay", "--reconnect-delay"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bench_opts o;
		char err[256] = "";
		int r = parse(&o, rows[i].m, rows[i].line, err);
		if (r != -EINVAL || !strstr(err, rows[i].needle))
			fail_msg("'%s': rc %d, message '%s' (wanted '%s')", rows[i].line, r, err,
				 rows[i].needle);
	}
}

/* --tls and its flags; the default SNI is the -h entry when it is a name */
static void test_tls(void **state)
{
	struct bench_opts o;
	char err[256] = "";
	assert_int_equal(parse(&o, BENCH_RUN, "-L 1", err), 0);
	assert_false(o.tls);
	assert_int_equal(
	    parse(&o, BENCH_RUN,
		  "--tls --cafile ca.crt --cert c.pem --key k.pem --sni broker.example "
		  "--tls-version 1.2",
		  err),
	    0);
	assert_true(o.tls && !o.tls_insecure);
	assert_string_equal(o.tls_cafile, "ca.crt");
	assert_string_equal(o.tls_cert, "c.pem");
	assert_string_equal(o.tls_key, "k.pem");
	assert_string_equal(o.tls_sni, "broker.example");
	assert_int_equal(o.tls_version, 12);
	assert_int_equal(parse(&o, BENCH_RUN, "--tls --insecure --tls-version 1.3", err), 0);
	assert_true(o.tls_insecure);
	assert_int_equal(o.tls_version, 13);
	assert_int_equal(parse(&o, BENCH_RUN, "--tls -h localhost:8883,127.0.0.1,[::1]:8883", err),
			 0);
	assert_int_equal(o.ntargets, 3);
	assert_string_equal(o.target_name[0], "localhost");
	assert_string_equal(o.target_name[1], "");
	assert_string_equal(o.target_name[2], "");
}

/* -I 0: as fast as the window allows, bounded by --duration or -L */
static void test_interval_zero(void **state)
{
	struct bench_opts o;
	char err[256] = "";
	assert_int_equal(parse(&o, BENCH_RUN, "-I 0 -L 1000", err), 0);
	assert_true(o.pub_interval_ns == 0);
	assert_int_equal(parse(&o, BENCH_PUB, "-I 0 --duration 5", err), 0);
	assert_true(o.pub_interval_ns == 0);
	/* nobody publishes: nothing to bound */
	assert_int_equal(parse(&o, BENCH_SUB, "-I 0", err), 0);
}

static void test_help_merge(void **state)
{
	struct bench_opts o;
	char err[256];
	assert_int_equal(parse(&o, BENCH_RUN, "--help", err), 1);
	assert_int_equal(parse(&o, BENCH_MERGE, "s.json p.json --json m.json", err), 0);
	assert_string_equal(o.merge_sub, "s.json");
	assert_string_equal(o.merge_pub, "p.json");
	assert_string_equal(o.json_path, "m.json");
	assert_int_equal(bench_mode_parse("run"), BENCH_RUN);
	assert_int_equal(bench_mode_parse("walk"), -EINVAL);
}

static void test_topic_expand(void **state)
{
	char out[32];
	assert_int_equal(bench_topic_expand("bench/test", 3, "c", out, sizeof(out)), 10);
	assert_string_equal(out, "bench/test");
	assert_int_equal(bench_topic_expand("t/%i/%c/%x%", 42, "id_1", out, sizeof(out)), 13);
	assert_string_equal(out, "t/42/id_1/%x%");
	assert_int_equal(bench_topic_expand("%i", 4294967295u, "", out, sizeof(out)), 10);
	assert_int_equal(bench_topic_expand("0123456789", 0, "", out, 10), -ENOSPC);
	assert_int_equal(bench_topic_expand("012345678", 0, "", out, 10), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_bad),		  cmocka_unit_test(test_help_merge),
	    cmocka_unit_test(test_topic_expand),  cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_interval_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
