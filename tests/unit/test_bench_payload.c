/* Unit tests for src/bench/payload: the MQLB payload header (DESIGN.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/payload.h"

static void test_roundtrip(void **state)
{
	static const struct bench_hdr rows[] = {
	    {BENCH_HDR_VERSION, 0, 0, 0, 0, 0},
	    {BENCH_HDR_VERSION, BENCH_FLAG_MONO, 1, 1, 1, 1},
	    {BENCH_HDR_VERSION, 0xff, UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	    {BENCH_HDR_VERSION, 0, 0x01020304u, 0x0102030405060708ull, 0x1112131415161718ull,
	     0x2122232425262728ull},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[BENCH_HDR_LEN + 1];
		memset(buf, 0xAA, sizeof(buf));
		bench_hdr_encode(&rows[i], buf);
		assert_int_equal(buf[BENCH_HDR_LEN], 0xAA); /* writes exactly 34 bytes */
		struct bench_hdr h;
		assert_int_equal(bench_hdr_decode(buf, BENCH_HDR_LEN, &h), 0);
		assert_int_equal(h.flags, rows[i].flags);
		assert_int_equal(h.pub_id, rows[i].pub_id);
		assert_true(h.seq == rows[i].seq);
		assert_true(h.intended_ns == rows[i].intended_ns);
		assert_true(h.sent_ns == rows[i].sent_ns);
	}
}

static void test_wire_layout(void **state)
{
	struct bench_hdr h = {BENCH_HDR_VERSION,     1,
			      0x01020304u,	     0x0506070809101112ull,
			      0x1314151617181920ull, 0x2122232425262728ull};
	static const uint8_t want[BENCH_HDR_LEN] = {
	    'M',  'Q',	'L',  'B',  1,	  1,	0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x08, 0x09, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	    0x19, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28};
	uint8_t buf[BENCH_HDR_LEN];
	bench_hdr_encode(&h, buf);
	assert_memory_equal(buf, want, BENCH_HDR_LEN);
	bench_hdr_set_sent(buf, 0x0102030405060708ull);
	struct bench_hdr g;
	assert_int_equal(bench_hdr_decode(buf, sizeof(buf), &g), 0);
	assert_true(g.sent_ns == 0x0102030405060708ull);
	assert_true(g.intended_ns == h.intended_ns);
}

static void test_rejects(void **state)
{
	uint8_t buf[64];
	struct bench_hdr h = {BENCH_HDR_VERSION, 0, 7, 9, 0, 0}, g = {0};
	bench_hdr_encode(&h, buf);
	/* boundary: 0, 3, 4, 33 bytes are too short; 34 is enough */
	assert_int_equal(bench_hdr_decode(buf, 0, &g), -EMSGSIZE);
	assert_int_equal(bench_hdr_decode(buf, 3, &g), -EMSGSIZE);
	assert_int_equal(bench_hdr_decode(buf, 33, &g), -EMSGSIZE);
	assert_int_equal(g.pub_id, 0); /* untouched on error */
	assert_int_equal(bench_hdr_decode(buf, 34, &g), 0);
	buf[4] = 2;
	assert_int_equal(bench_hdr_decode(buf, 34, &g), -EPROTO);
	memcpy(buf, "mqlb", 4);
	assert_int_equal(bench_hdr_decode(buf, 34, &g), -EBADMSG);
	assert_int_equal(bench_hdr_decode((const uint8_t *)"hello world", 11, &g), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_wire_layout),
	    cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
