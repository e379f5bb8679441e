/* Unit tests for which flags each `mqlb bench` mode takes (src/bench/opts.c's
 * tables): a flag of another mode is refused by name, and every flag the lab
 * and the tests give each mode is still taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench/opts.h"

static int parse(struct bench_opts *o, enum bench_mode m, const char *line, char *err)
{
	static char buf[512];
	char *argv[64];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = (char *)bench_mode_name(m);
	for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	bench_opts_defaults(o, m);
	return bench_opts_parse(o, argc, argv, err, 256);
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		enum bench_mode m;
		const char *line, *needle;
	} rows[] = {
	    {BENCH_SUB, "--pubs 2", "--pubs does not apply to 'bench sub'"},
	    {BENCH_SUB, "-L 5", "-L does not apply to 'bench sub'"},
	    {BENCH_SUB, "--rate 10", "--rate does not apply"},
	    {BENCH_SUB, "-s 100", "-s does not apply"},
	    {BENCH_SUB, "-F 4", "-F does not apply"},
	    {BENCH_PUB, "--subs 2", "--subs does not apply to 'bench pub'"},
	    {BENCH_PUB, "--also-subscribe x/#", "--also-subscribe does not apply"},
	    {BENCH_RUN, "-c 3", "-c does not apply to 'bench run' (run counts its clients"},
	    {BENCH_RUN, "--count=3", "--count does not apply to 'bench run'"},
	    {BENCH_CONN, "-q 1", "-q does not apply to 'bench conn'"},
	    {BENCH_CONN, "-t a/b", "-t does not apply"},
	    {BENCH_CONN, "--drain 1", "--drain does not apply"},
	    {BENCH_CONN, "-I 5", "-I does not apply"},
	    {BENCH_MERGE, "s.json p.json -c 2", "-c does not apply to 'bench merge'"},
	    {BENCH_MERGE, "s.json p.json --quiet", "--quiet does not apply"},
	    /* not a flag of any mode: unknown, as before */
	    {BENCH_SUB, "--bogus", "unknown option '--bogus'"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bench_opts o;
		char err[256] = "";
		int r = parse(&o, rows[i].m, rows[i].line, err);
		if (r != -EINVAL || !strstr(err, rows[i].needle))
			fail_msg("%s '%s': rc %d, message '%s' (wanted '%s')",
				 bench_mode_name(rows[i].m), rows[i].line, r, err, rows[i].needle);
	}
}

/* What src/lab/run.c gives bench sub and pub, what the tests give conn and
 * run: all taken. */
static void test_taken(void **state)
{
	(void)state;
	static const struct {
		enum bench_mode m;
		const char *line;
	} rows[] = {
	    {BENCH_SUB,
	     "-h 127.0.0.1 -p 1883 -c 4 -n 0 -t bench/test -q 1 --prefix s --ifaddr "
	     "127.0.0.1 -V 5 -C false --reconnect --reconnect-delay 1s -k 30 "
	     "--also-subscribe $mesh/+/bench/test --duration 5 --json s.json --csv s.csv "
	     "--drain 2 -I 0 -i 0 --quiet --threads 1"},
	    {BENCH_PUB, "-h 127.0.0.1 -p 1883 -c 4 -n 4 -t bench/test -q 1 --prefix p --ifaddr "
			"127.0.0.1 -V 5 -C false --reconnect -k 30 -I 10 -L 100 --drain 1 "
			"--duration 5 --json p.json --csv p.csv -s 64 -F 2"},
	    {BENCH_RUN, "--pubs 1 --subs 2 -L 50 -I 5 -q 2 -s 64 -F 8 -t a/%i "
			"--also-subscribe b/# --drain 1 --quiet"},
	    {BENCH_CONN,
	     "-h 127.0.0.1 -p 1883 -c 5 -i 1 -V 4 --duration 1 --connect-timeout 3 "
	     "--threads 1 --reconnect --reconnect-delay 20ms,50ms --quiet --json c.json"},
	    {BENCH_RUN, "--pubs 2 --rate 100 -L 10"},
	    {BENCH_MERGE, "s.json p.json --json m.json"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bench_opts o;
		char err[256] = "";
		int r = parse(&o, rows[i].m, rows[i].line, err);
		if (r != 0)
			fail_msg("%s '%s': rc %d, message '%s'", bench_mode_name(rows[i].m),
				 rows[i].line, r, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
