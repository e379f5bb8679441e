#include "bench/seqmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_seqmap_init(struct bench_seqmap *m)
{
	memset(m, 0, sizeof(*m));
}

void bench_seqmap_free(struct bench_seqmap *m)
{
	free(m->win);
	bench_seqmap_init(m);
}

static int win_grow(struct bench_seqmap *m, uint64_t need_words)
{
	uint64_t n = m->nwords ? m->nwords : 4;
	while (n < need_words)
		n *= 2;
	if (n > UINT32_MAX)
		return -ENOMEM;
	uint64_t *w = realloc(m->win, n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	memset(w + m->nwords, 0, (n - m->nwords) * sizeof(*w));
	m->win = w;
	m->nwords = (uint32_t)n;
	return 0;
}

/* Enter window mode: the prefix 0..base-1 becomes wstart words + leading bits. */
static int win_open(struct bench_seqmap *m)
{
	m->wstart = m->base / 64;
	if (win_grow(m, 4) < 0)
		return -ENOMEM;
	unsigned low = (unsigned)(m->base % 64);
	m->win[0] = low ? (~0ull >> (64 - low)) : 0;
	return 0;
}

/* Slide past full leading words; leave window mode when no gap is left. */
static void win_settle(struct bench_seqmap *m)
{
	if (m->count == m->top) { /* 0..top-1 all set: back to a counter */
		m->base = m->top;
		free(m->win);
		m->win = NULL;
		m->nwords = 0;
		m->wstart = 0;
		return;
	}
	uint32_t full = 0;
	while (full < m->nwords && m->win[full] == ~0ull)
		full++;
	if (full) {
		memmove(m->win, m->win + full, (m->nwords - full) * sizeof(*m->win));
		memset(m->win + m->nwords - full, 0, full * sizeof(*m->win));
		m->wstart += full;
	}
}

int bench_seqmap_set(struct bench_seqmap *m, uint64_t seq)
{
	if (seq > BENCH_SEQ_MAX || (seq >= m->top && seq - m->top >= BENCH_SEQ_JUMP))
		return -ERANGE;
	if (!m->win) {
		if (seq == m->base) { /* the common case: in order */
			m->base++;
			m->count++;
			m->top = m->base;
			return 1;
		}
		if (seq < m->base)
			return 0;
		if (win_open(m) < 0)
			return -ENOMEM;
	}
	uint64_t w = seq / 64;
	if (w < m->wstart)
		return 0;
	uint64_t i = w - m->wstart;
	if (i >= m->nwords && win_grow(m, i + 1) < 0)
		return -ENOMEM;
	uint64_t bit = 1ull << (seq % 64);
	if (m->win[i] & bit)
		return 0;
	m->win[i] |= bit;
	m->count++;
	if (seq >= m->top)
		m->top = seq + 1;
	if (i == 0 || m->count == m->top)
		win_settle(m);
	return 1;
}

uint64_t bench_seqmap_word(const struct bench_seqmap *m, uint64_t w)
{
	if (!m->win) {
		if ((w + 1) * 64 <= m->base)
			return ~0ull;
		if (w * 64 >= m->base)
			return 0;
		return ~0ull >> (64 - (m->base - w * 64));
	}
	if (w < m->wstart)
		return ~0ull;
	if (w - m->wstart < m->nwords)
		return m->win[w - m->wstart];
	return 0;
}

bool bench_seqmap_has(const struct bench_seqmap *m, uint64_t seq)
{
	return (bench_seqmap_word(m, seq / 64) >> (seq % 64)) & 1u;
}

uint64_t bench_seqmap_prefix(const struct bench_seqmap *m)
{
	return m->win ? m->wstart * 64 : m->base;
}

uint64_t bench_seqmap_count_below(const struct bench_seqmap *m, uint64_t n)
{
	if (n >= m->top)
		return m->count;
	uint64_t p = bench_seqmap_prefix(m);
	if (n <= p)
		return n;
	uint64_t c = p; /* p is a multiple of 64 here (window mode) */
	for (uint64_t w = p / 64; w * 64 < n; w++) {
		uint64_t bits = bench_seqmap_word(m, w);
		if (n - w * 64 < 64)
			bits &= ~0ull >> (64 - (n - w * 64));
		c += (uint64_t)__builtin_popcountll(bits);
	}
	return c;
}

size_t bench_seqmap_heap(const struct bench_seqmap *m)
{
	return m->win ? (size_t)m->nwords * sizeof(*m->win) : 0;
}

uint64_t bench_seqmap_common(const struct bench_seqmap *a, const struct bench_seqmap *b)
{
	uint64_t pa = bench_seqmap_prefix(a), pb = bench_seqmap_prefix(b);
	uint64_t p = pa < pb ? pa : pb;
	uint64_t full_words = p / 64;
	uint64_t n = full_words * 64;
	uint64_t top = a->top < b->top ? a->top : b->top;
	uint64_t end_word = (top + 63) / 64;
	for (uint64_t w = full_words; w < end_word; w++)
		n += (uint64_t)__builtin_popcountll(bench_seqmap_word(a, w) &
						    bench_seqmap_word(b, w));
	return n;
}

int bench_seqmap_export(const struct bench_seqmap *m, uint64_t *prefix, char **hex)
{
	*prefix = bench_seqmap_prefix(m);
	uint64_t words = 0;
	if (m->win) {
		uint64_t end = (m->top + 63) / 64;
		words = end > m->wstart ? end - m->wstart : 0;
	}
	char *s = malloc(words * 16 + 1);
	if (!s)
		return -ENOMEM;
	for (uint64_t i = 0; i < words; i++)
		snprintf(s + i * 16, 17, "%016llx", (unsigned long long)m->win[i]);
	s[words * 16] = 0;
	*hex = s;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bench_seqmap_import(struct bench_seqmap *m, uint64_t prefix, const char *hex)
{
	size_t len = strlen(hex);
	bench_seqmap_init(m);
	if (len % 16 || prefix > BENCH_SEQ_MAX || (len && prefix % 64))
		return -EINVAL;
	m->base = m->count = m->top = prefix;
	for (size_t i = 0; i < len / 16; i++) {
		uint64_t v = 0;
		for (int k = 0; k < 16; k++) {
			int d = hexval(hex[i * 16 + k]);
			if (d < 0) {
				bench_seqmap_free(m);
				return -EINVAL;
			}
			v = v << 4 | (uint64_t)d;
		}
		for (unsigned b = 0; b < 64; b++)
			if (v >> b & 1) {
				int r = bench_seqmap_set(m, prefix + i * 64 + b);
				if (r < 0) {
					bench_seqmap_free(m);
					return r;
				}
			}
	}
	return 0;
}
