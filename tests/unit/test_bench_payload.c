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
	    {BENCH_HDR_VERSION, 0, 0, 0, 0, 0, 1},
	    {BENCH_HDR_VERSION, BENCH_FLAG_MONO, 1, 1, 1, 1, 1},
	    {BENCH_HDR_VERSION, 0xff, UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX},
	    {BENCH_HDR_VERSION, 0, 0x01020304u, 0x0102030405060708ull, 0x1112131415161718ull,
	     0x2122232425262728ull, 0x3132333435363738ull},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[BENCH_HDR_LEN + 1];
		memset(buf, 0xAA, sizeof(buf));
		bench_hdr_encode(&rows[i], buf);
		assert_int_equal(buf[BENCH_HDR_LEN], 0xAA); /* writes exactly 42 bytes */
		struct bench_hdr h;
		assert_int_equal(bench_hdr_decode(buf, BENCH_HDR_LEN, &h), 0);
		assert_int_equal(h.flags, rows[i].flags);
		assert_int_equal(h.pub_id, rows[i].pub_id);
		assert_true(h.seq == rows[i].seq);
		assert_true(h.intended_ns == rows[i].intended_ns);
		assert_true(h.sent_ns == rows[i].sent_ns);
		assert_true(h.nonce == rows[i].nonce);
		assert_int_equal(h.version, BENCH_HDR_VERSION);
	}
}

static void test_wire_layout(void **state)
{
	struct bench_hdr h = {BENCH_HDR_VERSION,     1,
			      0x01020304u,	     0x0506070809101112ull,
			      0x1314151617181920ull, 0x2122232425262728ull,
			      0x3132333435363738ull};
	static const uint8_t want[BENCH_HDR_LEN] = {
	    'M',  'Q',	'L',  'B',  2,	  1,	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	    0x09, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x20, 0x21, 0x22,
	    0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38};
	uint8_t buf[BENCH_HDR_LEN];
	bench_hdr_encode(&h, buf);
	assert_memory_equal(buf, want, BENCH_HDR_LEN);
	bench_hdr_set_sent(buf, 0x0102030405060708ull);
	struct bench_hdr g;
	assert_int_equal(bench_hdr_decode(buf, sizeof(buf), &g), 0);
	assert_true(g.sent_ns == 0x0102030405060708ull);
	assert_true(g.intended_ns == h.intended_ns);
	assert_true(g.nonce == 0x3132333435363738ull);
}

/* A version 1 header (34 bytes, no nonce), as an older mqlb writes it, still
 * reads: nonce 0. */
static void test_reads_v1(void **state)
{
	static const uint8_t v1[34] = {'M',  'Q',  'L',	 'B',  1,    1,	   0x01, 0x02, 0x03,
				       0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12,
				       0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x20, 0x21,
				       0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28};
	struct bench_hdr g = {0};
	assert_int_equal(bench_hdr_decode(v1, 33, &g), -EMSGSIZE);
	assert_int_equal(bench_hdr_decode(v1, 34, &g), 0);
	assert_int_equal(g.version, 1);
	assert_int_equal(g.pub_id, 0x01020304u);
	assert_true(g.seq == 0x0506070809101112ull);
	assert_true(g.sent_ns == 0x2122232425262728ull);
	assert_true(g.nonce == 0);
}

static void test_nonce(void **state)
{
	uint64_t n = bench_run_nonce();
	assert_true(n != 0);
	assert_true(bench_run_nonce() == n); /* one per process */
	char hex[17];
	bench_nonce_hex(0x00ab0000000000cdull, hex);
	assert_string_equal(hex, "00ab0000000000cd");
	uint64_t v = 0;
	assert_int_equal(bench_nonce_parse(hex, &v), 0);
	assert_true(v == 0x00ab0000000000cdull);
	assert_int_equal(bench_nonce_parse("", &v), -EINVAL);
	assert_int_equal(bench_nonce_parse("12345678901234567", &v), -EINVAL); /* 17 digits */
	assert_int_equal(bench_nonce_parse("12g4", &v), -EINVAL);
}

static void test_rejects(void **state)
{
	uint8_t buf[64];
	struct bench_hdr h = {BENCH_HDR_VERSION, 0, 7, 9, 0, 0, 5}, g = {0};
	bench_hdr_encode(&h, buf);
	/* boundary: 0, 3, 4, 5, 33, 34, 41 bytes are too short for version 2; 42 is enough */
	static const size_t short_lens[] = {0, 3, 4, 5, 33, 34, 41};
	for (size_t i = 0; i < sizeof(short_lens) / sizeof(short_lens[0]); i++)
		assert_int_equal(bench_hdr_decode(buf, short_lens[i], &g), -EMSGSIZE);
	assert_int_equal(g.pub_id, 0); /* untouched on error */
	assert_int_equal(bench_hdr_decode(buf, 42, &g), 0);
	buf[4] = 3;
	assert_int_equal(bench_hdr_decode(buf, 42, &g), -EPROTO);
	buf[4] = 0;
	assert_int_equal(bench_hdr_decode(buf, 42, &g), -EPROTO);
	memcpy(buf, "mqlb", 4);
	assert_int_equal(bench_hdr_decode(buf, 42, &g), -EBADMSG);
	assert_int_equal(bench_hdr_decode((const uint8_t *)"hello world", 11, &g), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_wire_layout),
	    cmocka_unit_test(test_rejects),   cmocka_unit_test(test_reads_v1),
	    cmocka_unit_test(test_nonce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
