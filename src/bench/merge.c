/* merge.c — accounting from a sub JSON and a pub JSON (see merge.h). */
#include "bench/merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/account.h"
#include "common/jsonread.h"
#include "bench/payload.h"
#include "bench/report.h"
#include "common/cli.h"

static int load_seqmap(const struct jr_value *o, struct bench_seqmap *m)
{
	bench_seqmap_free(m); /* a stream listed twice: the last one counts */
	return bench_seqmap_import(m, jr_u64(jr_get(o, "prefix"), 0),
				   jr_str(jr_get(o, "bits"), ""));
}

/* Adds the counters both sides carry. 0 or -ENOMEM. */
static int add_common(struct bench_report *r, const struct jr_value *doc)
{
	r->connections_ok += jr_u64(jr_get(doc, "connections_ok"), 0);
	r->connections_failed += jr_u64(jr_get(doc, "connections_failed"), 0);
	r->reconnects += jr_u64(jr_get(doc, "reconnects"), 0);
	r->bytes_in += jr_u64(jr_get(doc, "bytes_in"), 0);
	r->bytes_out += jr_u64(jr_get(doc, "bytes_out"), 0);
	r->pub_resent += jr_u64(jr_get(doc, "publish_resent"), 0);
	r->disconnects += jr_u64(jr_get(doc, "disconnects"), 0);
	r->sessions_resumed += jr_u64(jr_get(doc, "sessions_resumed"), 0);
	r->sessions_lost += jr_u64(jr_get(doc, "sessions_lost"), 0);
	/* every reconnect time of both sides: the percentiles of the joined list
	 * are what one process would have reported */
	const struct jr_value *rm = jr_get(jr_get(doc, "raw"), "reconnect_ms");
	for (size_t i = 0; rm && rm->type == JR_ARR && i < rm->n; i++)
		if (bench_msstat_add(&r->reconnect_ms, jr_u64(&rm->items[i], 0)) < 0)
			return -ENOMEM;
	const struct jr_value *pt = jr_get(doc, "per_target");
	if (pt && pt->type == JR_OBJ)
		for (size_t i = 0; i < pt->n; i++)
			bench_report_add_target(r, pt->keys[i], jr_u64(&pt->items[i], 0));
	const struct jr_value *tls = jr_get(doc, "tls");
	if (tls && tls->type == JR_OBJ) { /* either side ran with --tls */
		r->tls = true;
		r->tls_handshakes += jr_u64(jr_get(tls, "handshakes"), 0);
		r->tls_resumed += jr_u64(jr_get(tls, "resumed"), 0);
		const struct jr_value *tf = jr_get(tls, "failures");
		for (size_t i = 0; tf && tf->type == JR_OBJ && i < tf->n; i++)
			if (bench_report_add_tls_fail(r, tf->keys[i], jr_u64(&tf->items[i], 0)) < 0)
				return -ENOMEM;
	}
	const struct jr_value *er = jr_get(doc, "errors");
	if (er && er->type == JR_OBJ)
		for (size_t i = 0; i < er->n; i++)
			bench_report_add_error(r, er->keys[i], jr_u64(&er->items[i], 0));
	return 0;
}

/* The run nonce a JSON names (16 hex digits; absent: 0, a file older than
 * the nonce). 0 or -EINVAL. */
static int read_nonce(const struct jr_value *v, uint64_t *out)
{
	*out = 0;
	return v ? bench_nonce_parse(jr_str(v, ""), out) : 0;
}

/* Whether the sub file is of the pub file's run: at least one stream carries
 * its nonce, or nothing arrived at all. Prints why not; CLI_OK or CLI_USAGE. */
static int check_same_run(const struct bench_opts *o, struct bench_sub_acct *const *sp, size_t ns,
			  uint64_t nonce)
{
	bool any = false, match = false;
	uint64_t other = 0;
	for (size_t i = 0; i < ns; i++)
		for (uint32_t k = 0; k < sp[i]->cap; k++) {
			const struct bench_stream *st = &sp[i]->streams[k];
			if (!st->used)
				continue;
			any = true;
			if (st->nonce == nonce)
				match = true;
			else
				other = st->nonce;
		}
	char want[17], got[17];
	bench_nonce_hex(nonce, want);
	bench_nonce_hex(other, got);
	if (!nonce && other) /* an older pub file: stale cannot be told */
		fprintf(stderr,
			"mqlb: bench merge: warning: %s has no run_nonce (an older mqlb): messages "
			"of other runs in %s count as this run's\n",
			o->merge_pub, o->merge_sub);
	if (nonce && any && !match) {
		fprintf(stderr,
			"mqlb: bench merge: %s and %s are not of the same run: no message in the "
			"sub file has the pub file's run nonce %s (one has %s)\n",
			o->merge_sub, o->merge_pub, want, got);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* raw.<key> of a bench file as an array; NULL, said, when it is not there. */
static const struct jr_value *raw_array(const struct jr_value *doc, const char *key,
					const char *path, const char *mode)
{
	const struct jr_value *a = jr_get(jr_get(doc, "raw"), key);
	if (a && a->type == JR_ARR)
		return a;
	fprintf(stderr, "mqlb: bench merge: %s has no raw.%s (not from 'bench %s --json'?)\n", path,
		key, mode);
	return NULL;
}

/* One publisher of raw.publishers. 0, or -1 when its bitmap is bad. */
static int load_pub(const struct jr_value *e, uint64_t nonce, struct bench_pub_acct *p)
{
	bench_pub_acct_init(p, (uint32_t)jr_u64(jr_get(e, "id"), 0),
			    jr_str(jr_get(e, "topic"), ""));
	p->first_pub_ns = jr_u64(jr_get(e, "first_pub_ns"), 0);
	p->published = jr_u64(jr_get(e, "published"), 0);
	p->nonce = nonce;
	if (load_seqmap(e, &p->confirmed) < 0)
		return -1;
	p->acked = p->confirmed.count;
	return 0;
}

/* One subscriber of raw.subscribers with its streams. 0, or -1 when a stream
 * is bad (its nonce or its bitmap). */
static int load_sub(const struct jr_value *e, struct bench_sub_acct *s)
{
	bench_sub_acct_init(s, (uint32_t)jr_u64(jr_get(e, "id"), 0),
			    jr_str(jr_get(e, "filter"), ""));
	s->subscribed = jr_bool(jr_get(e, "subscribed"), false);
	s->suback_ns = jr_u64(jr_get(e, "suback_ns"), 0);
	s->foreign = jr_u64(jr_get(e, "foreign"), 0);
	s->qos2_resent = jr_u64(jr_get(e, "qos2_resent"), 0);
	s->stale = jr_u64(jr_get(e, "stale"), 0);
	s->invalid = jr_u64(jr_get(e, "invalid"), 0);
	s->skewed = jr_u64(jr_get(e, "skewed"), 0);
	s->skew_max_ns = jr_u64(jr_get(e, "skew_max_ns"), 0);
	s->skew_sum_ns = jr_u64(jr_get(e, "skew_sum_ns"), 0);
	const struct jr_value *st = jr_get(e, "streams");
	for (size_t k = 0; st && st->type == JR_ARR && k < st->n; k++) {
		const struct jr_value *x = &st->items[k];
		uint64_t sn = 0;
		struct bench_stream *str =
		    read_nonce(jr_get(x, "nonce"), &sn) < 0
			? NULL
			: bench_sub_stream_of(s, (uint32_t)jr_u64(jr_get(x, "pub"), 0), sn);
		if (!str || load_seqmap(x, &str->seen) < 0)
			return -1;
		str->received = jr_u64(jr_get(x, "received"), 0);
		str->duplicates = jr_u64(jr_get(x, "duplicates"), 0);
		str->reordered = jr_u64(jr_get(x, "reordered"), 0);
	}
	return 0;
}

/* The subscriber's raw.latency_hist (h may be NULL: an empty histogram). */
static void load_hist(const struct jr_value *h, struct bench_hist *hist)
{
	if (!h)
		return;
	hist->count = jr_u64(jr_get(h, "count"), 0);
	hist->min = hist->count ? jr_u64(jr_get(h, "min"), 0) : UINT64_MAX;
	hist->max = jr_u64(jr_get(h, "max"), 0);
	hist->sum = jr_u64(jr_get(h, "sum"), 0);
	const struct jr_value *b = jr_get(h, "buckets");
	for (size_t k = 0; b && b->type == JR_ARR && k < b->n; k++) {
		const struct jr_value *pair = &b->items[k];
		if (pair->type != JR_ARR || pair->n != 2)
			continue;
		uint64_t idx = jr_u64(&pair->items[0], HIST_BUCKETS);
		if (idx < HIST_BUCKETS)
			hist->buckets[idx] += jr_u64(&pair->items[1], 0);
	}
}

/* The merged report's figures other than the accounting: the run's nonce,
 * QoS and version, the pub file's rates and settings, what both files counted
 * (add_common). 0, or -1 out of memory. */
static int merge_meta(struct bench_report *r, const struct jr_value *sd, const struct jr_value *pd,
		      uint64_t nonce)
{
	r->run_nonce = nonce;
	r->mode = "merge";
	r->qos = (int)jr_u64(jr_get(pd, "qos"), 0);
	r->mqtt_version = (int)jr_u64(jr_get(pd, "mqtt_version"), 5);
	if (jr_u64(jr_get(sd, "qos"), (uint64_t)r->qos) != (uint64_t)r->qos)
		fprintf(stderr, "mqlb: bench merge: warning: sub QoS %llu, pub QoS %d\n",
			(unsigned long long)jr_u64(jr_get(sd, "qos"), 0), r->qos);
	if (add_common(r, sd) < 0 || add_common(r, pd) < 0)
		return -1;
	bench_msstat_sort(&r->reconnect_ms);
	r->duration_s = jr_num(jr_get(pd, "duration_s"), 0);
	r->publish_rate = jr_num(jr_get(pd, "publish_rate"), 0);
	double sub_dur = jr_num(jr_get(sd, "duration_s"), 0);
	r->receive_rate = sub_dur > 0 ? (double)r->t.received / sub_dur : 0;
	r->payload_size = (uint32_t)jr_u64(jr_get(pd, "payload_size"), 0);
	r->interval_us = jr_u64(jr_get(pd, "interval_us"), 0);
	r->inflight = jr_u64(jr_get(pd, "inflight"), 0);
	return 0;
}

/* Every publisher and subscriber of the raw arrays into pubs/subs (pp/sp
 * point at them, for bench_account). 0, or -1 (said). */
static int load_all(const struct bench_opts *o, const struct jr_value *praw,
		    const struct jr_value *sraw, uint64_t nonce, struct bench_pub_acct *pubs,
		    struct bench_pub_acct **pp, struct bench_sub_acct *subs,
		    struct bench_sub_acct **sp)
{
	for (size_t i = 0; i < praw->n; i++) {
		pp[i] = &pubs[i];
		if (load_pub(&praw->items[i], nonce, &pubs[i]) < 0) {
			fprintf(stderr, "mqlb: bench merge: %s: publisher %zu: bad bitmap\n",
				o->merge_pub, i);
			return -1;
		}
	}
	for (size_t i = 0; i < sraw->n; i++) {
		sp[i] = &subs[i];
		if (load_sub(&sraw->items[i], &subs[i]) < 0) {
			fprintf(stderr, "mqlb: bench merge: %s: subscriber %zu: bad stream\n",
				o->merge_sub, i);
			return -1;
		}
	}
	return 0;
}

int bench_merge(const struct bench_opts *o)
{
	int rc = CLI_FAIL;
	char err[256];
	struct jr_value *sd = NULL, *pd = NULL;
	struct bench_pub_acct *pubs = NULL, **pp = NULL;
	struct bench_sub_acct *subs = NULL, **sp = NULL;
	size_t np = 0, ns = 0;
	struct bench_report r;
	bench_report_init(&r);
	sd = jr_parse_file(o->merge_sub, err, sizeof(err));
	if (!sd) {
		fprintf(stderr, "mqlb: bench merge: %s: %s\n", o->merge_sub, err);
		goto out;
	}
	pd = jr_parse_file(o->merge_pub, err, sizeof(err));
	if (!pd) {
		fprintf(stderr, "mqlb: bench merge: %s: %s\n", o->merge_pub, err);
		goto out;
	}
	const struct jr_value *sraw = raw_array(sd, "subscribers", o->merge_sub, "sub");
	const struct jr_value *praw = raw_array(pd, "publishers", o->merge_pub, "pub");
	if (!sraw || !praw)
		goto out;
	uint64_t nonce = 0;
	if (read_nonce(jr_get(pd, "run_nonce"), &nonce) < 0) {
		fprintf(stderr, "mqlb: bench merge: %s: run_nonce is not 1-16 hex digits\n",
			o->merge_pub);
		rc = CLI_USAGE;
		goto out;
	}
	np = praw->n;
	ns = sraw->n;
	pubs = calloc(np + 1, sizeof(*pubs));
	pp = calloc(np + 1, sizeof(*pp));
	subs = calloc(ns + 1, sizeof(*subs));
	sp = calloc(ns + 1, sizeof(*sp));
	if (!pubs || !pp || !subs || !sp)
		goto out;
	if (load_all(o, praw, sraw, nonce, pubs, pp, subs, sp) < 0)
		goto out;
	if ((rc = check_same_run(o, sp, ns, nonce)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (bench_account(pp, (uint32_t)np, sp, (uint32_t)ns, &r.t) < 0)
		goto out;
	if (merge_meta(&r, sd, pd, nonce) < 0)
		goto out;
	r.hist = calloc(1, sizeof(*r.hist));
	if (!r.hist)
		goto out;
	bench_hist_init(r.hist);
	load_hist(jr_get(jr_get(sd, "raw"), "latency_hist"), r.hist);
	bench_report_human(&r, stdout);
	fflush(stdout);
	if (o->json_path) {
		int e = bench_report_json(&r, o->json_path);
		if (e < 0) {
			fprintf(stderr, "mqlb: bench merge: --json %s: %s\n", o->json_path,
				strerror(-e));
			goto out;
		}
	}
	rc = CLI_OK;
out:
	for (size_t i = 0; pubs && i < np; i++)
		bench_pub_acct_free(&pubs[i]);
	for (size_t i = 0; subs && i < ns; i++)
		bench_sub_acct_free(&subs[i]);
	free(pubs);
	free(pp);
	free(subs);
	free(sp);
	jr_free(sd);
	jr_free(pd);
	bench_report_free(&r);
	return rc;
}
