/* seqmap.h — the set of sequence numbers seen on one stream (one publisher as
 * seen by one subscriber, or the publishes one publisher got acknowledged).
 *
 * Compact when messages arrive in order: a stream that has seen exactly
 * 0..base-1 is just a counter (no allocation). Once a gap appears a bitmap
 * window starting at word `wstart` holds the bits (everything below wstart*64
 * is set); the window grows on demand, slides forward when its first word is
 * full and is freed when the gap closes. Exact: nothing is estimated. */
#ifndef MQLB_BENCH_SEQMAP_H
#define MQLB_BENCH_SEQMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_seqmap {
	uint64_t base;	 /* no window: every seq < base is set, nothing else */
	uint64_t top;	 /* highest seq set + 1 (0 when empty) */
	uint64_t count;	 /* distinct seqs set */
	uint64_t wstart; /* window mode: first word of win (seqs < wstart*64 set) */
	uint64_t *win;	 /* NULL: no window */
	uint32_t nwords; /* words allocated in win */
};

/* Largest sequence number accepted (this stops one corrupt 2^63 from asking
 * for exabytes). */
#define BENCH_SEQ_MAX (1ull << 40)
/* Largest jump accepted past the highest seq set (top): a publisher sends
 * every seq in turn, so a bigger jump is 16.7 M messages of one stream lost in
 * a row, or a bogus seq. Bounds what one arrival can make the bitmap allocate
 * (2 MiB), where a seq near 2^37 alone would ask for 16 GiB. */
#define BENCH_SEQ_JUMP (1ull << 24)

/* An empty map; the window is allocated as seqs arrive. */
void bench_seqmap_init(struct bench_seqmap *m);
/* Frees the window; m is empty and reusable afterwards. */
void bench_seqmap_free(struct bench_seqmap *m);
/* Adds seq. Returns 1 if it was new, 0 if already set, -ENOMEM, -ERANGE (seq >
 * BENCH_SEQ_MAX, or seq >= top + BENCH_SEQ_JUMP: nothing allocated or set). */
int bench_seqmap_set(struct bench_seqmap *m, uint64_t seq);
/* Whether seq is set (everything below the window is, nothing past it). */
bool bench_seqmap_has(const struct bench_seqmap *m, uint64_t seq);
/* All seqs below this are set (the contiguous prefix known without scanning). */
uint64_t bench_seqmap_prefix(const struct bench_seqmap *m);
/* Word w (seqs 64w..64w+63) as a bit mask, bit i = seq 64w+i. */
uint64_t bench_seqmap_word(const struct bench_seqmap *m, uint64_t w);
/* How many seqs below n are set. */
uint64_t bench_seqmap_count_below(const struct bench_seqmap *m, uint64_t n);
/* Bytes the map holds on the heap (its bitmap window). */
size_t bench_seqmap_heap(const struct bench_seqmap *m);
/* |a ∩ b| */
uint64_t bench_seqmap_common(const struct bench_seqmap *a, const struct bench_seqmap *b);

/* Serialisation for `bench sub/pub --json` (merged later by `bench merge`):
 * prefix P (every seq < P is set; P is a multiple of 64 when bits follow) and
 * the bits from P on as lowercase hex, 16 digits per 64-bit word, word order
 * ascending. Writes a NUL-terminated hex string the caller frees into *hex
 * ("" when there are no bits beyond P). Returns 0 or -ENOMEM. */
int bench_seqmap_export(const struct bench_seqmap *m, uint64_t *prefix, char **hex);
/* Rebuilds a map from export() output. Returns 0, -EINVAL (bad hex), -ENOMEM. */
int bench_seqmap_import(struct bench_seqmap *m, uint64_t prefix, const char *hex);

#endif
