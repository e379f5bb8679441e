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

static struct bench_stream *find_slot(struct bench_stream *t, uint32_t cap, uint32_t pub_id)
{
	uint32_t i = hash_id(pub_id) & (cap - 1);
	while (t[i].used && t[i].pub_id != pub_id)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

struct bench_stream *bench_sub_stream(struct bench_sub_acct *s, uint32_t pub_id)
{
	if (s->cap) {
		struct bench_stream *st = find_slot(s->streams, s->cap, pub_id);
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
				*find_slot(t, cap, s->streams[i].pub_id) = s->streams[i];
		free(s->streams);
		s->streams = t;
		s->cap = cap;
	}
	struct bench_stream *st = find_slot(s->streams, s->cap, pub_id);
	st->used = true;
	st->pub_id = pub_id;
	s->nstreams++;
	return st;
}

int bench_sub_record(struct bench_sub_acct *s, uint32_t pub_id, uint64_t seq)
{
	struct bench_stream *st = bench_sub_stream(s, pub_id);
	if (!st)
		return -ENOMEM;
	st->received++;
	uint64_t top = st->seen.top;
	int r = bench_seqmap_set(&st->seen, seq);
	if (r == 0)
		st->duplicates++;
	else if (r == 1 && seq + 1 < top)
		st->reordered++;
	return r;
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
		for (uint32_t p = 0; p < npubs; p++)
			if (matches(sub->filter, pubs[p]->topic))
				out->expected += pubs[p]->acked;
		for (uint32_t k = 0; k < sub->cap; k++) {
			const struct bench_stream *st = &sub->streams[k];
			if (!st->used)
				continue;
			out->received += st->received;
			out->duplicates += st->duplicates;
			out->reordered += st->reordered;
			struct pub_ix key = {st->pub_id, 0};
			struct pub_ix *hit = bsearch(&key, ix, npubs, sizeof(*ix), cmp_pub_ix);
			uint64_t common = 0;
			if (hit && matches(sub->filter, pubs[hit->i]->topic))
				common = bench_seqmap_common(&st->seen, &pubs[hit->i]->confirmed);
			out->unique += common;
			out->unconfirmed += st->seen.count - common;
		}
	}
	out->lost = out->expected > out->unique ? out->expected - out->unique : 0;
	out->loss_ratio = out->expected ? (double)out->lost / (double)out->expected : 0.0;
	free(ix);
	return 0;
}
