#include "bench/account.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"

void bench_sub_acct_init(struct bench_sub_acct *s, uint32_t id, const char *filter)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->filter = filter;
}

void bench_sub_acct_free(struct bench_sub_acct *s)
{
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->streams[i].used)
			bench_seqmap_free(&s->streams[i].seen);
	free(s->streams);
	s->streams = NULL;
	s->cap = s->nstreams = 0;
}

static inline uint32_t hash_id(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return x;
}

static struct bench_stream *find_slot(struct bench_stream *t, uint32_t cap, uint32_t pub_id,
				      uint64_t nonce)
{
	uint32_t i = hash_id(pub_id ^ (uint32_t)nonce ^ (uint32_t)(nonce >> 32)) & (cap - 1);
	while (t[i].used && (t[i].pub_id != pub_id || t[i].nonce != nonce))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

struct bench_stream *bench_sub_stream(struct bench_sub_acct *s, uint32_t pub_id)
{
	return bench_sub_stream_of(s, pub_id, 0);
}

struct bench_stream *bench_sub_stream_of(struct bench_sub_acct *s, uint32_t pub_id, uint64_t nonce)
{
	if (s->cap) {
		struct bench_stream *st = find_slot(s->streams, s->cap, pub_id, nonce);
		if (st->used)
			return st;
	}
	if ((s->nstreams + 1) * 4 > s->cap * 3) { /* keep load <= 3/4 */
		uint32_t cap = s->cap ? s->cap * 2 : 2;
		struct bench_stream *t = calloc(cap, sizeof(*t));
		if (!t)
			return NULL;
		for (uint32_t i = 0; i < s->cap; i++)
			if (s->streams[i].used)
				*find_slot(t, cap, s->streams[i].pub_id, s->streams[i].nonce) =
				    s->streams[i];
		free(s->streams);
		s->streams = t;
		s->cap = cap;
	}
	struct bench_stream *st = find_slot(s->streams, s->cap, pub_id, nonce);
	st->used = true;
	st->pub_id = pub_id;
	st->nonce = nonce;
	s->nstreams++;
	return st;
}

int bench_sub_arrive(struct bench_sub_acct *s, uint32_t pub_id, uint64_t seq, uint64_t nonce,
		     uint64_t run_nonce)
{
	if (run_nonce && nonce != run_nonce) {
		s->stale++; /* no stream: an old run's seqs must not fill bitmaps */
		return -ESTALE;
	}
	struct bench_stream *st = bench_sub_stream_of(s, pub_id, nonce);
	if (!st)
		return -ENOMEM;
	uint64_t top = st->seen.top;
	int r = bench_seqmap_set(&st->seen, seq);
	if (r == -ERANGE) {
		s->invalid++;
		return r;
	}
	st->received++;
	if (r == 0)
		st->duplicates++;
	else if (r == 1 && seq + 1 < top)
		st->reordered++;
	return r;
}

int bench_sub_record(struct bench_sub_acct *s, uint32_t pub_id, uint64_t seq)
{
	return bench_sub_arrive(s, pub_id, seq, 0, 0);
}

uint64_t bench_sub_latency(struct bench_sub_acct *s, uint64_t now_ns, uint64_t intended_ns)
{
	if (now_ns >= intended_ns)
		return now_ns - intended_ns;
	uint64_t skew = intended_ns - now_ns;
	s->skewed++;
	s->skew_sum_ns = s->skew_sum_ns + skew < skew ? UINT64_MAX : s->skew_sum_ns + skew;
	if (skew > s->skew_max_ns)
		s->skew_max_ns = skew;
	return 0;
}

uint64_t bench_sub_unique_raw(const struct bench_sub_acct *s)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->streams[i].used)
			n += s->streams[i].seen.count;
	return n;
}

void bench_pub_acct_init(struct bench_pub_acct *p, uint32_t id, const char *topic)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->topic = topic;
}

void bench_pub_acct_free(struct bench_pub_acct *p)
{
	bench_seqmap_free(&p->confirmed);
}

int bench_pub_confirm(struct bench_pub_acct *p, uint64_t seq)
{
	int r = bench_seqmap_set(&p->confirmed, seq);
	if (r == 1)
		p->acked++;
	return r;
}

/* Publisher lookup by id: sorted index. */
struct pub_ix {
	uint32_t id;
	uint32_t i;
};

static int cmp_pub_ix(const void *a, const void *b)
{
	const struct pub_ix *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool matches(const char *filter, const char *topic)
{
	if (!filter || !topic)
		return false;
	if (strcmp(filter, topic) == 0)
		return true;
	return mqtt_topic_match(mqtt_str_c(filter), mqtt_str_c(topic));
}

/* Adds one stream of a counted subscriber. pub: its publisher when that one's
 * topic matches the filter (NULL: none does). run_nonce: 0 = not known. */
static void add_stream(struct bench_totals *out, const struct bench_stream *st,
		       const struct bench_pub_acct *pub, uint64_t run_nonce)
{
	out->received += st->received;
	if (run_nonce && st->nonce != run_nonce) { /* another run's messages */
		out->stale += st->received;
		return;
	}
	out->duplicates += st->duplicates;
	out->reordered += st->reordered;
	uint64_t common = 0, beyond = 0;
	if (pub) {
		common = bench_seqmap_common(&st->seen, &pub->confirmed);
		/* seqs at or past what the publisher published: it never sent them */
		beyond = st->seen.count - bench_seqmap_count_below(&st->seen, pub->published);
		if (beyond > st->seen.count - common)
			beyond = st->seen.count - common;
	}
	out->unique += common;
	out->invalid += beyond;
	out->unconfirmed += st->seen.count - common - beyond;
}

/* The run nonce the publishers share (the first one set), 0 if none is. */
static uint64_t pubs_nonce(struct bench_pub_acct *const *pubs, uint32_t npubs)
{
	for (uint32_t i = 0; i < npubs; i++)
		if (pubs[i]->nonce)
			return pubs[i]->nonce;
	return 0;
}

int bench_account(struct bench_pub_acct *const *pubs, uint32_t npubs,
		  struct bench_sub_acct *const *subs, uint32_t nsubs, struct bench_totals *out)
{
	memset(out, 0, sizeof(*out));
	out->publishers = npubs;
	out->subscribers = nsubs;
	struct pub_ix *ix = calloc(npubs ? npubs : 1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	for (uint32_t i = 0; i < npubs; i++) {
		ix[i] = (struct pub_ix){pubs[i]->id, i};
		out->published += pubs[i]->published;
		out->acked += pubs[i]->acked;
	}
	qsort(ix, npubs, sizeof(*ix), cmp_pub_ix);
	uint64_t run_nonce = pubs_nonce(pubs, npubs);
	/* cache: when every topic and filter is the same string, match once */
	for (uint32_t s = 0; s < nsubs; s++) {
		const struct bench_sub_acct *sub = subs[s];
		out->qos2_resent += sub->qos2_resent;
		if (!sub->subscribed) {
			out->unsubscribed++;
			continue;
		}
		bool late = false;
		for (uint32_t p = 0; p < npubs; p++)
			if (pubs[p]->first_pub_ns && sub->suback_ns > pubs[p]->first_pub_ns &&
			    matches(sub->filter, pubs[p]->topic))
				late = true;
		if (late) {
			out->late_subscribers++;
			continue;
		}
		out->foreign += sub->foreign;
		out->stale += sub->stale;
		out->invalid += sub->invalid;
		out->received += sub->stale + sub->invalid;
		out->skewed += sub->skewed;
		out->skew_sum_ns = out->skew_sum_ns + sub->skew_sum_ns < sub->skew_sum_ns
				       ? UINT64_MAX
				       : out->skew_sum_ns + sub->skew_sum_ns;
		if (sub->skew_max_ns > out->skew_max_ns)
			out->skew_max_ns = sub->skew_max_ns;
		for (uint32_t p = 0; p < npubs; p++)
			if (matches(sub->filter, pubs[p]->topic))
				out->expected += pubs[p]->acked;
		for (uint32_t k = 0; k < sub->cap; k++) {
			const struct bench_stream *st = &sub->streams[k];
			if (!st->used)
				continue;
			struct pub_ix key = {st->pub_id, 0};
			struct pub_ix *hit = bsearch(&key, ix, npubs, sizeof(*ix), cmp_pub_ix);
			const struct bench_pub_acct *pub = NULL;
			if (hit && matches(sub->filter, pubs[hit->i]->topic))
				pub = pubs[hit->i];
			add_stream(out, st, pub, run_nonce);
		}
	}
	out->lost = out->expected > out->unique ? out->expected - out->unique : 0;
	out->loss_ratio = out->expected ? (double)out->lost / (double)out->expected : 0.0;
	free(ix);
	return 0;
}
