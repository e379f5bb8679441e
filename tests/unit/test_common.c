/* Unit tests for src/common: value parsing, addresses, JSON escaping, the run
 * directory (the other-user cases are in tests/integration/cluster_rundir.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/cli.h"
#include "common/json.h"
#include "common/parse.h"
#include "common/opt.h"
#include "common/rundir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_parse_u64(void **state)
{
	uint64_t v = 7;
	assert_int_equal(parse_u64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("10", 0, 10, &v), 0);
	assert_int_equal(parse_u64("11", 0, 10, &v), -ERANGE);
	assert_int_equal(v, 10);
	assert_int_equal(parse_u64("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("5x", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
}

static void test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		uint64_t unit, want;
		int rc;
	} rows[] = {
	    {"400ms", 1000000000ULL, 400000000ULL, 0},
	    {"1s", 1, 1000000000ULL, 0},
	    {"2.5s", 1, 2500000000ULL, 0},
	    {"100us", 1, 100000ULL, 0},
	    {"3", 1000000ULL, 3000000ULL, 0},
	    {"1m", 1, 60000000000ULL, 0},
	    {"1x", 1, 0, -EINVAL},
	    {"", 1, 0, -EINVAL},
	    {"-1s", 1, 0, -EINVAL},
	    {"ms", 1, 0, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 0;
		assert_int_equal(parse_duration_ns(rows[i].in, rows[i].unit, &v), rows[i].rc);
		if (rows[i].rc == 0)
			assert_int_equal(v, rows[i].want);
	}
}

static void test_parse_size(void **state)
{
	uint64_t v;
	assert_int_equal(parse_size("128M", &v), 0);
	assert_int_equal(v, 128ULL << 20);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(parse_size("512k", &v), 0);
	assert_int_equal(v, 512ULL << 10);
	assert_int_equal(parse_size("64MiB", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("12Q", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
}

static void test_addr(void **state)
{
	struct sockaddr_storage a, b;
	char buf[ADDR_STRLEN];
	assert_int_equal(addr_parse("127.0.0.1:1883", 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "127.0.0.1:1883");
	assert_int_equal(addr_parse("[::1]:18831", 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "[::1]:18831");
	assert_int_equal(addr_parse("::1", 1883, &a), 0);
	assert_int_equal(addr_port(&a), 1883);
	assert_int_equal(addr_parse("localhost", 1883, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "127.0.0.1:1883");
	assert_int_equal(addr_parse("198.18.0.1", 0, &a), -EINVAL); /* port required */
	assert_int_equal(addr_parse("1.2.3.4:0", 0, &a), -EINVAL);
	assert_int_equal(addr_parse("1.2.3.4:65536", 0, &a), -EINVAL);
	assert_int_equal(addr_parse("1.2.3:80", 0, &a), -EINVAL);
	assert_int_equal(addr_parse("example.org:80", 0, &a), -EINVAL);
	assert_int_equal(addr_parse("[::1", 0, &a), -EINVAL);
	assert_int_equal(addr_parse("10.0.0.1:80", 0, &a), 0);
	assert_int_equal(addr_parse("10.0.0.1:80", 0, &b), 0);
	assert_true(addr_equal(&a, &b));
	addr_set_port(&b, 81);
	assert_false(addr_equal(&a, &b));
	/* loopback: 127.0.0.0/8 and ::1 only */
	static const struct {
		const char *s;
		int loop;
	} lb[] = {{"127.0.0.1:1", 1},	       {"127.255.255.254:1", 1}, {"126.255.255.255:1", 0},
		  {"128.0.0.1:1", 0},	       {"[::1]:1", 1},		 {"[::2]:1", 0},
		  {"[::ffff:127.0.0.1]:1", 0}, {"198.18.0.1:1", 0}};
	for (size_t i = 0; i < sizeof(lb) / sizeof(lb[0]); i++) {
		assert_int_equal(addr_parse(lb[i].s, 0, &a), 0);
		assert_int_equal(addr_is_loopback(&a), lb[i].loop);
	}
}

static void test_json(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "s", "a\"b\\c\n\x01");
	json_u64(&j, "n", 42);
	json_arr_begin(&j, "list");
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_arr_end(&j);
	json_obj_begin(&j, "o");
	json_double(&j, "x", 0.5);
	json_obj_end(&j);
	json_obj_end(&j);
	fclose(f);
	assert_string_equal(
	    out, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":42,\"list\":[1,2],\"o\":{\"x\":0.5}}\n");
	free(out);
}

/* The choice, and what a planted directory or symlink gets. */
static void test_rundir(void **state)
{
	char d[] = "/tmp/mqlb-rdtest.XXXXXX", p[512], why[512], out[256];
	assert_non_null(mkdtemp(d));
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_int_equal(rundir_default(out, sizeof(out)), 0);
	if (geteuid() == 0)
		assert_string_equal(out, "/run/mqlb");
	else
		assert_string_equal(out, "/run/user/1000/mqlb");
	/* missing: -ENOENT, or made with its parents */
	snprintf(p, sizeof(p), "%s/a/run", d);
	assert_int_equal(rundir_check(p, 0, why, sizeof(why)), -ENOENT);
	assert_int_equal(rundir_check(p, 1, why, sizeof(why)), 0);
	struct stat sb;
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode) && !(sb.st_mode & 022));
	/* others may write: refused, in one line */
	chmod(p, 0777);
	assert_int_equal(rundir_check(p, 1, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "mode 0777"));
	assert_null(strchr(why, '\n'));
	chmod(p, 0700);
	assert_int_equal(rundir_check(p, 0, why, sizeof(why)), 0);
	/* a symlink to a good dir is refused all the same */
	snprintf(out, sizeof(out), "%s/link", d);
	assert_int_equal(symlink(p, out), 0);
	assert_int_equal(rundir_check(out, 1, why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "symlink"));
	/* files: a planted symlink is replaced on create, refused on read */
	snprintf(out, sizeof(out), "%s/victim", d);
	FILE *v = fopen(out, "w");
	fputs("precious", v);
	fclose(v);
	char f[512];
	snprintf(f, sizeof(f), "%s/state", p);
	assert_int_equal(symlink(out, f), 0);
	assert_null(rundir_fopen(p, "state", "r"));
	assert_int_equal(errno, ELOOP);
	FILE *w = rundir_fopen(p, "state", "w");
	assert_non_null(w);
	fputs("mine", w);
	fclose(w);
	v = fopen(out, "r");
	char buf[32] = "";
	assert_non_null(fgets(buf, sizeof(buf), v));
	fclose(v);
	assert_string_equal(buf, "precious");
	assert_int_equal(lstat(f, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	snprintf(p, sizeof(p), "rm -rf '%s'", d);
	assert_int_equal(system(p), 0);
}

static int took_n, took_flag;
static int take_n(void *ctx, const char *cmd, const char *v)
{
	(void)ctx;
	uint64_t u;
	if (parse_u64(v, 1, 9, &u))
		return cli_usage_error(cmd, "--n %s: want 1..9", v);
	took_n = (int)u;
	return 0;
}
static int take_flag(void *ctx, const char *cmd, const char *v)
{
	(void)ctx, (void)cmd;
	took_flag = v == NULL ? 1 : -1;
	return 0;
}

/* One table per subcommand: its flags taken in order, a sibling's refused,
 * values and positional arguments checked; --help made from the table. */
static void test_opt(void **state)
{
	static const struct opt o_n = {"n", "N", "a number\nsecond line", take_n};
	static const struct opt o_flag = {"flag", NULL, "a flag", take_flag};
	static const struct opt o_other = {"other", "X", "the sibling's", take_n};
	static const struct opt *const a_opts[] = {&o_n, &o_flag, NULL};
	static const struct opt *const b_opts[] = {&o_other, NULL};
	static const struct opt_cmd fam[] = {
	    {"t a", "[options]", "A.", a_opts, 1, NULL, " (hint %s)", NULL},
	    {"t b", "", "B.", b_opts, 0, NULL, NULL, NULL},
	};
	const char *args[1];
	unsigned na = 9;
	char *ok[] = {"a", "--n", "3", "--flag", "pos", NULL};
	took_n = took_flag = 0;
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 5, ok, args, &na), 0);
	assert_int_equal(took_n, 3);
	assert_int_equal(took_flag, 1);
	assert_int_equal(na, 1);
	assert_string_equal(args[0], "pos");
	char *sib[] = {"a", "--other=1", NULL};
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 2, sib, args, &na), CLI_USAGE);
	char *unk[] = {"a", "--nope", NULL};
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 2, unk, args, &na), CLI_USAGE);
	char *noval[] = {"a", "--n", NULL};
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 2, noval, args, &na), CLI_USAGE);
	char *bad[] = {"a", "--n", "10", NULL};
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 3, bad, args, &na), CLI_USAGE);
	char *two[] = {"a", "x", "y", NULL};
	assert_int_equal(opt_parse(&fam[0], fam, 2, NULL, 3, two, args, &na), CLI_USAGE);
	char *b_pos[] = {"b", "x", NULL};
	assert_int_equal(opt_parse(&fam[1], fam, 2, NULL, 2, b_pos, args, &na), CLI_USAGE);
	/* --help: the table's flags, aligned, continuation lines indented */
	char buf[1024] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	opt_help(f, &fam[0]);
	fclose(f);
	assert_non_null(strstr(buf, "Usage: mqlb t a [options]\n"));
	assert_non_null(strstr(buf, "  --n N                  a number\n"
				    "                         second line\n"));
	assert_non_null(strstr(buf, "  --flag                 a flag\n"));
	assert_null(strstr(buf, "--other"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_u64),  cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_parse_size), cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_json),       cmocka_unit_test(test_rundir),
	    cmocka_unit_test(test_opt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
