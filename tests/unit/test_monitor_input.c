/* Unit tests for the monitor's parsers of bytes from outside, as pure
 * functions: the sock_diag reply walk (monitor_diag_parse) and the /metrics
 * request (monitor_prom_request) on hand-built buffers, each an exact-size
 * heap copy so the sanitizer build catches a read past it. The cases are those
 * fuzz_sock_diag and fuzz_metrics_request guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

#define SEQ 7

/* Appends one message (type, seq, payload of plen bytes) at b[*off]. */
static void put_msg(uint8_t *b, size_t *off, uint16_t type, uint32_t seq, const void *payload,
		    size_t plen)
{
	struct nlmsghdr h = {
	    .nlmsg_len = (uint32_t)NLMSG_LENGTH(plen), .nlmsg_type = type, .nlmsg_seq = seq};
	memcpy(b + *off, &h, sizeof(h));
	memcpy(b + *off + NLMSG_HDRLEN, payload, plen);
	*off += NLMSG_ALIGN(NLMSG_LENGTH(plen));
}

static void put_sock(uint8_t *b, size_t *off, uint32_t seq, uint16_t sport)
{
	struct inet_diag_msg m = {.idiag_family = AF_INET};
	m.id.idiag_sport = htons(sport);
	put_msg(b, off, SOCK_DIAG_BY_FAMILY, seq, &m, sizeof(m));
}

/* monitor_diag_parse on an exact-size heap copy of b[0..len). */
static int parse(const uint8_t *b, size_t len, uint64_t *counts)
{
	static const uint16_t ports[2] = {1883, 1884};
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, b, len);
	int r = monitor_diag_parse(copy, len, SEQ, ports, 2, counts);
	free(copy);
	return r;
}

static void test_diag_counts(void **state)
{
	uint8_t b[1024] __attribute__((aligned(4)));
	size_t off = 0;
	uint64_t c[2] = {0, 0};
	put_sock(b, &off, SEQ, 1883);
	put_sock(b, &off, SEQ, 1884);
	put_sock(b, &off, SEQ + 1, 1883); /* another dump's: skipped */
	put_sock(b, &off, SEQ, 1883);
	put_sock(b, &off, SEQ, 9999);
	assert_int_equal(parse(b, off, c), 0); /* no DONE yet: more to come */
	assert_int_equal(c[0], 2);
	assert_int_equal(c[1], 1);
	put_msg(b, &off, NLMSG_DONE, SEQ, "\0\0\0\0", 4);
	put_sock(b, &off, SEQ, 1883); /* after DONE: not read */
	c[0] = c[1] = 0;
	assert_int_equal(parse(b, off, c), 1);
	assert_int_equal(c[0], 2);
}

static void test_diag_error(void **state)
{
	uint8_t b[256] __attribute__((aligned(4)));
	size_t off = 0;
	uint64_t c[2] = {0, 0};
	struct nlmsgerr e = {.error = -EINVAL};
	put_sock(b, &off, SEQ, 1883);
	put_msg(b, &off, NLMSG_ERROR, SEQ, &e, sizeof(e));
	assert_int_equal(parse(b, off, c), -EINVAL);
	e.error = 5; /* no errno: not passed on as one (nor as "done") */
	off = 0;
	put_msg(b, &off, NLMSG_ERROR, SEQ, &e, sizeof(e));
	assert_int_equal(parse(b, off, c), -EIO);
	/* an error message of a bare header: its code is not in the buffer (the
	 * old walk read 4 bytes past it) */
	off = 0;
	put_msg(b, &off, NLMSG_ERROR, SEQ, "", 0);
	assert_int_equal(parse(b, off, c), -EPROTO);
}

static void test_diag_lengths(void **state)
{
	uint8_t b[256] __attribute__((aligned(4)));
	size_t off = 0;
	uint64_t c[2] = {0, 0};
	put_sock(b, &off, SEQ, 1883);
	size_t one = off;
	put_sock(b, &off, SEQ, 1883);
	struct nlmsghdr *h = (struct nlmsghdr *)(b + one);
	/* the last message one byte short and its length odd: the old walk's
	 * signed length went negative there and it read past the buffer */
	h->nlmsg_len = (uint32_t)(off - one - 1);
	assert_int_equal(parse(b, off - 1, c), 0);
	assert_int_equal(c[0], 1);		  /* a record one byte short is no record */
	h->nlmsg_len = (uint32_t)(off - one + 4); /* past the buffer */
	assert_int_equal(parse(b, off, c), -EPROTO);
	h->nlmsg_len = 0x80000010u; /* >= 2^31 */
	assert_int_equal(parse(b, off, c), -EPROTO);
	h->nlmsg_len = 8; /* under a header */
	assert_int_equal(parse(b, off, c), -EPROTO);
	assert_int_equal(parse(b, one + 6, c), -EPROTO); /* a piece of a header */
	assert_int_equal(parse(b, 0, c), 0);		 /* nothing yet */
}

/* monitor_prom_request on an exact-size heap copy of the string s. */
static int request(const char *s, size_t cap)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	int r = monitor_prom_request(copy, n, cap);
	free(copy);
	return r;
}

static void test_prom_request(void **state)
{
	assert_int_equal(request("GET /metrics HTTP/1.0\r\n", 2048), MONITOR_PROM_REQ_METRICS);
	assert_int_equal(request("GET /metrics?x=1 HTTP/1.1\r\n", 2048), MONITOR_PROM_REQ_METRICS);
	assert_int_equal(request("GET / HTTP/1.0\n", 2048), MONITOR_PROM_REQ_METRICS);
	assert_int_equal(request("GET /metricsx HTTP/1.0\n", 2048), MONITOR_PROM_REQ_NOT_FOUND);
	assert_int_equal(request("POST /metrics HTTP/1.0\n", 2048), MONITOR_PROM_REQ_NOT_FOUND);
	assert_int_equal(request("\n", 2048), MONITOR_PROM_REQ_NOT_FOUND);
	assert_int_equal(request("GET /\n", 2048), MONITOR_PROM_REQ_NOT_FOUND); /* short */
	/* no end of line yet: wait, however much of a good request is in */
	assert_int_equal(request("GET /metrics HTTP/1.0", 2048), MONITOR_PROM_REQ_MORE);
	assert_int_equal(request("", 2048), MONITOR_PROM_REQ_MORE);
	/* a full buffer (cap - 1 bytes, one kept for the NUL) is judged as it is */
	assert_int_equal(request("GET /metrics ", 14), MONITOR_PROM_REQ_METRICS);
	assert_int_equal(request("GET /metrics ", 15), MONITOR_PROM_REQ_MORE);
	assert_int_equal(request("GET /metric", 12), MONITOR_PROM_REQ_NOT_FOUND);
	/* a NUL inside is a byte like any other (the old strncmp stopped there) */
	assert_int_equal(monitor_prom_request("GET /\0metrics \n", 16, 2048),
			 MONITOR_PROM_REQ_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diag_counts),
	    cmocka_unit_test(test_diag_error),
	    cmocka_unit_test(test_diag_lengths),
	    cmocka_unit_test(test_prom_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
