/* fuzz_bench_payload.c — libFuzzer target for the bench's path from a PUBLISH
 * a broker delivers to the sequence bitmap (what client.c's on_publish does):
 * mqtt_decode (client role) -> bench_hdr_decode -> bench_sub_arrive ->
 * bench_sub_latency, then bench_account and the JSON export/import merge
 * reads. Anyone who can publish on the bench topic reaches it.
 *
 * Input: byte 0 picks the MQTT version (bit 0: 5.0, else 3.1.1) and whether
 * the subscriber knows its run nonce (bit 1: bench run, nonce
 * FUZZ_RUN_NONCE; else bench sub); the rest is the byte stream from the
 * broker, an exact-size heap copy (ASan catches a read past it).
 *
 * Invariants: the bitmaps never hold more heap than BENCH_SEQ_JUMP/4 bytes per
 * arrival (a bogus seq near 2^37 must not allocate gigabytes); every MQLB
 * PUBLISH is received exactly once in the totals, as a stream copy, stale or
 * invalid; unique never exceeds the distinct seqs set; stale in bench run mode
 * only for another nonce; export -> import gives the same set. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/account.h"
#include "bench/payload.h"
#include "bench/seqmap.h"
#include "mqtt/mqtt.h"

#define FUZZ_RUN_NONCE 0x0123456789abcdefull

static size_t heap_of(const struct bench_sub_acct *s)
{
	size_t n = 0;
	for (uint32_t k = 0; k < s->cap; k++)
		if (s->streams[k].used)
			n += bench_seqmap_heap(&s->streams[k].seen);
	return n;
}

/* Export -> import reads back the same set (what bench merge relies on). */
static void check_roundtrip(const struct bench_seqmap *m)
{
	uint64_t prefix = 0;
	char *hex = NULL;
	if (bench_seqmap_export(m, &prefix, &hex) < 0)
		abort();
	struct bench_seqmap b;
	if (bench_seqmap_import(&b, prefix, hex) != 0 || b.count != m->count ||
	    bench_seqmap_common(&b, m) != m->count)
		abort();
	bench_seqmap_free(&b);
	free(hex);
}

/* One MQLB PUBLISH as on_publish counts it. Returns what arrive returned. */
static int arrive(struct bench_sub_acct *s, const struct bench_hdr *h, uint64_t run_nonce)
{
	int r = bench_sub_arrive(s, h->pub_id, h->seq, h->nonce, run_nonce);
	if (r == -ESTALE && (!run_nonce || h->nonce == run_nonce))
		abort();
	if (r == 1) {
		uint64_t now = h->sent_ns; /* any clock: skew when before intended */
		uint64_t before = s->skewed;
		uint64_t lat = bench_sub_latency(s, now, h->intended_ns);
		if ((now < h->intended_ns) != (s->skewed == before + 1) ||
		    (now >= h->intended_ns && lat != now - h->intended_ns))
			abort();
	}
	return r;
}

/* Totals against a publisher of run FUZZ_RUN_NONCE that published seqs 0..63
 * of pub 0, and what the subscriber counted. */
static void check_account(struct bench_sub_acct *s, uint64_t mqlb)
{
	struct bench_pub_acct p;
	bench_pub_acct_init(&p, 0, "bench/test");
	p.first_pub_ns = 1;
	p.nonce = FUZZ_RUN_NONCE; /* bench sub: merge tells stale streams by it */
	for (uint64_t q = 0; q < 64; q++) {
		p.published++;
		bench_pub_confirm(&p, q);
	}
	s->subscribed = true;
	struct bench_pub_acct *pp[1] = {&p};
	struct bench_sub_acct *sp[1] = {s};
	struct bench_totals t;
	if (bench_account(pp, 1, sp, 1, &t) != 0)
		abort();
	if (t.received != mqlb || t.unique > 64 || t.unique + t.unconfirmed + t.invalid > mqlb ||
	    t.stale + t.invalid > mqlb)
		abort();
	bench_pub_acct_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	uint64_t run_nonce = (mode & 2) ? FUZZ_RUN_NONCE : 0;
	struct mqtt_decode_opts dopts = {.version = (mode & 1) ? MQTT_V5 : MQTT_V311,
					 .role = MQTT_ROLE_CLIENT};
	struct bench_sub_acct s;
	bench_sub_acct_init(&s, 0, "bench/#");
	uint64_t mqlb = 0, arrivals = 0;
	size_t off = 0;
	while (off < len) {
		struct mqtt_packet pk;
		int r = mqtt_decode(buf + off, len - off, &dopts, &pk);
		if (r <= 0)
			break;
		off += (size_t)r;
		if (pk.type != MQTT_PUBLISH)
			continue;
		struct bench_hdr h;
		if (bench_hdr_decode(pk.publish.payload.p, pk.publish.payload.len, &h) != 0) {
			s.foreign++;
			continue;
		}
		mqlb++;
		if (arrive(&s, &h, run_nonce) == -ENOMEM)
			abort(); /* nothing here may need that much */
		arrivals++;
		/* memory bound: what the bitmaps may hold after this many arrivals */
		if (heap_of(&s) > arrivals * (BENCH_SEQ_JUMP / 4 + 64))
			abort();
	}
	for (uint32_t k = 0; k < s.cap; k++)
		if (s.streams[k].used)
			check_roundtrip(&s.streams[k].seen);
	check_account(&s, mqlb);
	bench_sub_acct_free(&s);
	free(buf);
	return 0;
}
