/* fuzz_connect_read.c — libFuzzer target for the proxy's CONNECT read path at
 * the real limit (PROXY_CONNECT_MAX, 64 KiB) with the buffer growth of
 * proxy_conn.c's hello_read: a first buffer of HELLO_FIRST (512) bytes, grown
 * once to exactly h.want when it is full and the CONNECT is longer, each read
 * as large as the room left, cut where the network cuts it. The input's first
 * byte picks the cut sizes, the rest is what the client sent; every buffer is
 * an exact-size heap block, so ASan catches a write or read past it.
 * Invariants: the read path never asks for a read into a full buffer (that
 * read returns 0 and would be taken for the client's EOF) unless the verdict
 * is in; h.want never passes PROXY_CONNECT_MAX (no growth beyond the limit);
 * the verdict is the one proxy_hello_peek gives the whole input (as far as it
 * was read); a complete CONNECT and its ClientID lie inside what was read.
 * Mirrors hello_read (static in proxy_conn.c): keep the two
 * in step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "director/proxy.h"

#define HELLO_FIRST 512 /* proxy_conn.c */

struct rbuf {
	uint32_t cap;
	uint8_t *data;
};

/* The network delivers at most cut bytes per read; cut from the seed byte. */
static size_t cut_of(uint8_t seed, size_t k)
{
	static const size_t cuts[] = {1, 2, 7, 64, 511, 512, 513, 4096, 65536};
	return cuts[(seed + k) % (sizeof(cuts) / sizeof(cuts[0]))];
}

/* Grows b to want like hello_read: only when full and the CONNECT is longer. */
static int grow(struct rbuf *b, uint32_t len, uint32_t want)
{
	if (len != b->cap || want <= b->cap)
		return 0;
	if (want > PROXY_CONNECT_MAX + 5) /* fixed header + 64 KiB: the limit */
		abort();
	uint8_t *big = malloc(want);
	if (!big)
		return -1;
	memcpy(big, b->data, len);
	free(b->data);
	b->data = big;
	b->cap = want;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > PROXY_CONNECT_MAX + 1024)
		return 0;
	uint8_t seed = data[0];
	const uint8_t *in = data + 1;
	size_t n_in = size - 1, off = 0;
	struct rbuf b = {HELLO_FIRST, malloc(HELLO_FIRST)};
	struct proxy_hello h = {0};
	uint32_t len = 0;
	int r = 0;
	for (size_t k = 0; b.data && r == 0 && off < n_in; k++) {
		if (grow(&b, len, h.want) < 0)
			break;
		size_t room = b.cap - len;
		if (room == 0)
			abort(); /* a read of 0 bytes: taken for EOF while the CONNECT is unread */
		size_t take = cut_of(seed, k);
		take = take < room ? take : room;
		take = take < n_in - off ? take : n_in - off;
		memcpy(b.data + len, in + off, take);
		off += take;
		len += (uint32_t)take;
		r = proxy_hello_peek(b.data, len, PROXY_CONNECT_MAX, &h);
		if (r == 0 && h.want > PROXY_CONNECT_MAX + 5)
			abort();
	}
	if (b.data) {
		struct proxy_hello whole;
		int rw = proxy_hello_peek(in, len, PROXY_CONNECT_MAX, &whole);
		if (rw != r || (r != 0 && whole.reject != h.reject))
			abort();
		if (r == 1) {
			if (h.connect_len == 0 || h.connect_len > len ||
			    (h.clientid_len &&
			     (h.clientid < b.data || h.clientid + h.clientid_len > b.data + len)))
				abort();
		}
	}
	free(b.data);
	return 0;
}
