/* Unit tests for src/monitor: the director status parser, /proc readers, and
 * sock_diag counting against sockets this test opens itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "monitor/monitor_refused.h"

static void test_director_parse(void **state)
{
	const char *js =
	    "{\"name\":\"a\",\"dataplane\":\"nft\",\"scheduler\":\"rr\",\"listen\":\"127.0.0.1:"
	    "1883\","
	    "\"backends\":[{\"address\":\"127.0.0.1:18831\",\"weight\":1,\"effective_weight\":0,"
	    "\"healthy\":false,\"active_connections\":7,\"total_connections\":9,\"bytes_in\":100,"
	    "\"bytes_out\":200},{\"address\":\"[::1]:18832\",\"weight\":3,\"healthy\":true}]}\n";
	struct monitor_director d;
	assert_int_equal(monitor_director_parse(js, &d), 0);
	assert_string_equal(d.dataplane, "nft");
	assert_string_equal(d.scheduler, "rr");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.b[0].address, "127.0.0.1:18831");
	assert_int_equal(d.b[0].weight, 1);
	assert_int_equal(d.b[0].effective_weight, 0);
	assert_int_equal(d.b[0].healthy, 0);
	assert_int_equal(d.b[0].active, 7);
	assert_int_equal(d.b[0].total, 9);
	assert_int_equal(d.b[0].bytes_out, 200);
	assert_int_equal(d.b[0].inactive, -1); /* missing */
	assert_string_equal(d.b[1].address, "[::1]:18832");
	assert_int_equal(d.b[1].healthy, 1);
	assert_int_equal(monitor_director_parse("{\"backends\":[]}", &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(monitor_director_parse("error: unknown request\n", &d), -EINVAL);
	assert_int_equal(monitor_director_parse("", &d), -EINVAL);
}

/* The HA keys of the director's status: top level, before the backends (as
 * director/status.c writes them) or after; absent = -1 / "". */
static void test_director_ha_keys(void **state)
{
	struct monitor_director d;
	assert_int_equal(
	    monitor_director_parse("{\"dataplane\":\"nft\",\"vrrp_state\":\"BACKUP\","
				   "\"conntrack_count\":4242,\"backends\":[{\"address\":"
				   "\"127.0.0.1:1\",\"weight\":1}]}",
				   &d),
	    0);
	assert_int_equal(d.conntrack, 4242);
	assert_string_equal(d.vrrp_state, "BACKUP");
	assert_int_equal(d.n, 1);
	/* after the array (a dataplane's extra keys come there) */
	assert_int_equal(monitor_director_parse("{\"backends\":[{\"address\":\"[::1]:1\"}],"
						"\"conntrack_count\":0,\"vrrp_state\":\"MASTER\"}",
						&d),
			 0);
	assert_int_equal(d.conntrack, 0);
	assert_string_equal(d.vrrp_state, "MASTER");
	/* absent: an older director, or no conntrack table; "" = not in a pair */
	assert_int_equal(monitor_director_parse("{\"vrrp_state\":\"\",\"backends\":[]}", &d), 0);
	assert_int_equal(d.conntrack, -1);
	assert_string_equal(d.vrrp_state, "");
	/* a backend's key of the same name is not the director's */
	assert_int_equal(monitor_director_parse("{\"backends\":[{\"conntrack_count\":7,"
						"\"vrrp_state\":\"FAULT\"}]}",
						&d),
			 0);
	assert_int_equal(d.conntrack, -1);
	assert_string_equal(d.vrrp_state, "");
	/* more backends than fit: the keys after the array are still found */
	char big[16384];
	size_t n = (size_t)snprintf(big, sizeof(big), "{\"backends\":[");
	for (int i = 0; i < MONITOR_MAX_BACKENDS + 5; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{\"address\":\"10.0.0.%d:1\"}",
				      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "],\"conntrack_count\":9}");
	assert_int_equal(monitor_director_parse(big, &d), 0);
	assert_int_equal(d.n, MONITOR_MAX_BACKENDS);
	assert_int_equal(d.conntrack, 9);
}

/* Refusals: every number member of proxy.rejects, in order, whatever its name
 * (a reason added to the director needs no change in the monitor), and of any
 * other top-level part's rejects as part.reason; none for a director without
 * them; a backend's "rejects" is not the director's. */
static void test_director_refused(void **state)
{
	struct monitor_director d;
	struct monitor_refused r;
	assert_int_equal(monitor_director_parse_all(
			     "{\"backends\":[{\"rejects\":{\"x\":9}}],\"proxy\":{\"threads\":2,"
			     "\"rejects\":{\"not_mqtt\":1,\"brand_new\":18446744073709551615,"
			     "\"odd\":\"x\",\"source_conns\":3}}}",
			     &d, &r),
			 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.reason[0], "not_mqtt");
	assert_string_equal(r.reason[1], "brand_new");
	assert_true(r.count[1] == UINT64_MAX); /* exact, not through a double */
	assert_string_equal(r.reason[2], "source_conns");
	assert_true(r.count[2] == 3);
	/* another part's rejects (the control socket's) are part.reason; an object
	 * nested deeper (proxy.tls) is not a part */
	assert_int_equal(monitor_director_parse_all(
			     "{\"backends\":[],\"proxy\":{\"tls\":{\"rejects\":{\"a\":1}}},"
			     "\"control\":{\"full\":2,\"rejects\":{\"timed_out\":14}}}",
			     &d, &r),
			 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.reason[0], "control.timed_out");
	assert_true(r.total == 14);
	assert_int_equal(monitor_director_parse_all("{\"backends\":[]}", &d, &r), 0);
	assert_int_equal(r.n, 0);
	assert_true(r.total == 0);
}

static void test_proc(void **state)
{
	uint64_t cpu, rss;
	assert_int_equal(monitor_proc_read(getpid(), &cpu, &rss), 0);
	assert_true(rss > 100000);
	assert_int_equal(monitor_proc_read(0x7ffffff0, &cpu, &rss), -ESRCH);
}

/* Three connections to a listener on an ephemeral port: sock_diag sees 3 with
 * that local port (server side) and none on a port nobody uses. */
static void test_diag(void **state)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 8), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	int c[3], s[3];
	for (int i = 0; i < 3; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(c[i], (struct sockaddr *)&a, sizeof(a)), 0);
		s[i] = accept(l, NULL, NULL);
		assert_true(s[i] >= 0);
	}
	struct monitor_diag d;
	assert_int_equal(monitor_diag_open(&d, NULL), 0);
	uint16_t ports[2] = {ntohs(a.sin_port), 1};
	uint64_t counts[2];
	assert_int_equal(monitor_diag_count(&d, AF_INET, ports, 2, counts), 0);
	assert_int_equal(counts[0], 3);
	assert_int_equal(counts[1], 0);
	close(s[0]);
	close(c[0]);
	assert_int_equal(monitor_diag_count(&d, AF_INET, ports, 1, counts), 0);
	assert_int_equal(counts[0], 2);
	monitor_diag_close(&d);
	for (int i = 1; i < 3; i++) {
		close(s[i]);
		close(c[i]);
	}
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_director_parse),
	    cmocka_unit_test(test_director_ha_keys),
	    cmocka_unit_test(test_director_refused),
	    cmocka_unit_test(test_proc),
	    cmocka_unit_test(test_diag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
