/* account.h — exact message accounting (DESIGN.md "Accounting").
 *
 *   expected = for each message a publisher published (QoS 0: written to the
 *              socket; QoS 1/2: acknowledged by PUBACK / PUBREC), the number of
 *              subscribers whose filter matches its topic and whose SUBACK came
 *              before that publisher's first publish;
 *   received   every MQLB PUBLISH a counted subscriber got (duplicates included;
 *              not a QoS 2 PUBLISH re-sent with a packet id still awaiting its
 *              PUBREL: MQTT §4.3.3 makes that the same message, counted apart
 *              as qos2_resent);
 *   unique     distinct (publisher, subscriber, seq) that were also confirmed
 *              published (a message written but never acknowledged is counted
 *              in `unconfirmed` instead, not in unique);
 *   duplicates received copies of a seq already seen on that stream;
 *   reordered  first arrivals of a seq lower than one already seen;
 *   lost       expected - unique, after the drain;
 *   stale      received copies from another run (the header's run nonce is
 *              not this run's: a persistent session or a bridge backlog
 *              delivers an earlier run's messages): never unique;
 *   invalid    received copies whose seq no publisher of this run sent: past
 *              what its publisher published, or a jump past BENCH_SEQ_JUMP
 *              (refused before the bitmap grows): never unique;
 *   skewed     first copies whose receive time is before their intended send
 *              time (a negative latency: the clocks of two hosts disagree);
 *              the latency histogram holds them as 0, skew_max_ns and
 *              skew_sum_ns say by how much.
 * received counts every MQLB PUBLISH of a counted subscriber, stale and
 * invalid included.
 *
 * Streams are kept per subscriber in a small hash table keyed by publisher id.
 * The same structures serve `bench run` (filled live) and `bench merge` (read
 * back from the JSON of `bench sub` and `bench pub`). Single-threaded: each
 * record is owned by the thread of its client until the run ends. */
#ifndef MQLB_BENCH_ACCOUNT_H
#define MQLB_BENCH_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/seqmap.h"

struct bench_stream {
	uint32_t pub_id;
	bool used;
	uint64_t nonce; /* the run it came from (0: version 1 header, no nonce) */
	uint64_t received;
	uint64_t duplicates;
	uint64_t reordered;
	struct bench_seqmap seen;
};

struct bench_sub_acct {
	uint32_t id;
	const char *filter;   /* borrowed (owned by the client / merge input) */
	bool subscribed;      /* got a successful SUBACK at least once */
	uint64_t suback_ns;   /* CLOCK_REALTIME of the first successful SUBACK */
	uint64_t foreign;     /* PUBLISH without an MQLB header */
	uint64_t qos2_resent; /* QoS 2 PUBLISH again before its PUBREL (§4.3.3): not received */
	uint64_t stale;	      /* another run's, known on arrival (bench run): in no stream */
	uint64_t invalid;     /* seq refused by the bitmap (seqmap -ERANGE): in no stream */
	uint64_t skewed, skew_max_ns, skew_sum_ns; /* negative latencies, their size */
	struct bench_stream *streams;		   /* open-addressing table, cap a power of 2 */
	uint32_t nstreams, cap;
};

struct bench_pub_acct {
	uint32_t id;
	const char *topic;	       /* borrowed */
	uint64_t first_pub_ns;	       /* CLOCK_REALTIME of the first publish; 0 = none */
	uint64_t published;	       /* PUBLISH packets written */
	uint64_t acked;		       /* confirmed (see top) */
	struct bench_seqmap confirmed; /* seqs counted as published */
	/* the run nonce its headers carry: streams of another nonce are stale.
	 * 0 = not known (bench run tells stale on arrival instead; a merge of a
	 * pub JSON older than the nonce) */
	uint64_t nonce;
};

struct bench_totals {
	uint64_t publishers, subscribers;
	uint64_t published, acked, expected;
	uint64_t received, unique, duplicates, reordered, lost;
	uint64_t unconfirmed; /* received, distinct, but never confirmed published */
	uint64_t foreign;     /* PUBLISH without our header */
	uint64_t qos2_resent; /* QoS 2 re-sends discarded as MQTT §4.3.3 says (all subscribers) */
	uint64_t stale;	      /* another run's messages (see top) */
	uint64_t invalid;     /* seqs no publisher of this run sent (see top) */
	uint64_t skewed;      /* negative latencies (see top) */
	uint64_t skew_max_ns, skew_sum_ns;
	uint64_t late_subscribers; /* SUBACK after a matching publisher began: not counted */
	uint64_t unsubscribed;	   /* never SUBACKed: not counted */
	double loss_ratio;	   /* lost / expected (0 when nothing expected) */
};

/* An empty subscriber account: no streams yet; filter is borrowed (must
 * outlive s). */
void bench_sub_acct_init(struct bench_sub_acct *s, uint32_t id, const char *filter);
/* Frees the streams and their bitmaps; s is empty afterwards (filter kept). */
void bench_sub_acct_free(struct bench_sub_acct *s);
/* The stream of publisher pub_id in run nonce (created empty on first use).
 * NULL on ENOMEM. */
struct bench_stream *bench_sub_stream_of(struct bench_sub_acct *s, uint32_t pub_id, uint64_t nonce);
/* bench_sub_stream_of(s, pub_id, 0): version 1 headers, no nonce. */
struct bench_stream *bench_sub_stream(struct bench_sub_acct *s, uint32_t pub_id);
/* Records one arrival of (pub_id, seq, nonce). run_nonce: this run's nonce
 * when the subscriber knows it (bench run: publishers in this process), else 0
 * (bench sub: every nonce gets its own streams, merge tells which is stale).
 * Returns 1 new, 0 duplicate, -ESTALE (another run's: counted stale, in no
 * stream), -ERANGE (seq refused by the bitmap: counted invalid), -ENOMEM. */
int bench_sub_arrive(struct bench_sub_acct *s, uint32_t pub_id, uint64_t seq, uint64_t nonce,
		     uint64_t run_nonce);
/* bench_sub_arrive(s, pub_id, seq, 0, 0). */
int bench_sub_record(struct bench_sub_acct *s, uint32_t pub_id, uint64_t seq);
/* The latency of a first copy received at now_ns, intended for intended_ns
 * (both in the header's clock). A receive time before the intended time is
 * counted skewed (with its size) and returns 0. */
uint64_t bench_sub_latency(struct bench_sub_acct *s, uint64_t now_ns, uint64_t intended_ns);
/* Unique so far (all streams, not yet intersected with confirmations). */
uint64_t bench_sub_unique_raw(const struct bench_sub_acct *s);

/* An empty publisher account; topic is borrowed (must outlive p). */
void bench_pub_acct_init(struct bench_pub_acct *p, uint32_t id, const char *topic);
/* Frees the confirmed-seq bitmap; the counters stay readable. */
void bench_pub_acct_free(struct bench_pub_acct *p);
/* seq confirmed published (QoS 0 written, QoS 1/2 acknowledged). */
int bench_pub_confirm(struct bench_pub_acct *p, uint64_t seq);

/* Computes the totals over all publishers and subscribers (borrowed arrays of
 * pointers). Topic matching uses MQTT 5.0 §4.7 rules. Returns 0 or -ENOMEM. */
int bench_account(struct bench_pub_acct *const *pubs, uint32_t npubs,
		  struct bench_sub_acct *const *subs, uint32_t nsubs, struct bench_totals *out);

#endif
