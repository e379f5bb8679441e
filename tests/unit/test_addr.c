/* Unit tests for src/common/addr.c beyond test_common's literals: HOST:PORT
 * splitting, what may reach the resolver as a name, and the reasons given.
 * Names that resolve are tested in tests/integration/director_names.sh with a
 * hosts file of its own (a unit test must not depend on /etc/hosts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/addr.h"

static void test_split(void **state)
{
	char host[ADDR_NAME_MAX];
	uint16_t port = 0;
	assert_int_equal(addr_split("broker.example:1883", 0, host, sizeof(host), &port), 0);
	assert_string_equal(host, "broker.example");
	assert_int_equal(port, 1883);
	assert_int_equal(addr_split("[::1]:8883", 0, host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8883);
	assert_int_equal(addr_split("fe80::1", 1883, host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(port, 1883);
	assert_int_equal(addr_split("vm", 1883, host, sizeof(host), &port), 0);
	assert_string_equal(host, "vm");
	assert_int_equal(addr_split("vm", 0, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(addr_split("vm:0", 0, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(addr_split(":1883", 0, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(addr_split("[::1]x", 0, host, sizeof(host), &port), -EINVAL);
	assert_int_equal(addr_split("abcdef:1", 0, host, 4, &port), -EINVAL); /* too long */
}

static void test_literal(void **state)
{
	assert_true(addr_is_literal("127.0.0.1"));
	assert_true(addr_is_literal("::1"));
	assert_true(addr_is_literal("198.18.0.1"));
	assert_false(addr_is_literal("localhost"));
	assert_false(addr_is_literal("1.2.3"));
	assert_false(addr_is_literal("vm"));
}

static void test_refused(void **state)
{
	struct sockaddr_storage a;
	char err[320] = "";
	/* never sent to the resolver: not a name */
	static const char *const bad[] = {"1.2.3", "256.0.0.1", "a b", "-x",	   ".x",
					  "x/y",   "x;y",	"",    "1.2.3.4.5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(addr_resolve(bad[i], 1, &a, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "is not an IP address or host name"));
	}
	/* .invalid never resolves (RFC 6761): the reason names the host */
	assert_int_equal(addr_parse_err("mqlb-e5.invalid:1883", 0, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot resolve host name 'mqlb-e5.invalid'"));
	assert_int_equal(addr_parse("mqlb-e5.invalid:1883", 0, &a), -EINVAL);
	assert_int_equal(addr_parse_err("x:99999", 0, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not HOST:PORT"));
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(addr_resolve(longname, 1, &a, err, sizeof(err)), -EINVAL);
}

static void test_localhost(void **state)
{
	struct sockaddr_storage a;
	char buf[ADDR_STRLEN];
	/* always 127.0.0.1, whatever /etc/hosts says (it may list ::1 first) */
	assert_int_equal(addr_resolve("localhost", 1883, &a, NULL, 0), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "127.0.0.1:1883");
	assert_int_equal(addr_parse("[::1]:1", 0, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "[::1]:1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_literal),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_localhost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
