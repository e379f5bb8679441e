/* report.c — human summary and JSON of a bench run or merge. */
#include "bench/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/payload.h"
#include "bench/seqmap.h"
#include "common/json.h"
#include "mqtt/mqtt.h"

static const char *const err_names[BERR_COUNT] = {
    [BERR_CONNECT_REFUSED] = "connect_refused",
    [BERR_CONNECT_TIMEOUT] = "connect_timeout",
    [BERR_CONNECT_ERROR] = "connect_error",
    [BERR_SUBACK_TIMEOUT] = "suback_timeout",
    [BERR_BROKER_CLOSED] = "broker_closed",
    [BERR_SOCKET_ERROR] = "socket_error",
    [BERR_PING_TIMEOUT] = "ping_timeout",
    [BERR_UNEXPECTED] = "unexpected_packet",
    [BERR_UNKNOWN_PACKET_ID] = "unknown_packet_id",
    [BERR_PUBLISH_SKIPPED] = "publish_skipped_while_disconnected",
    [BERR_NO_MEMORY] = "out_of_memory",
};

static const char *const cerr_names[BCERR_COUNT] = {
    [BCERR_CONNACK] = "connack",
    [BCERR_SUBACK] = "suback",
    [BCERR_DISCONNECT] = "disconnect_by_broker",
    [BCERR_PUBACK] = "puback",
    [BCERR_MALFORMED] = "malformed",
};

const char *bench_err_name(int err)
{
	return err >= 0 && err < BERR_COUNT ? err_names[err] : "?";
}

void bench_report_init(struct bench_report *r)
{
	memset(r, 0, sizeof(*r));
}

void bench_report_free(struct bench_report *r)
{
	free(r->hist);
	free(r->targets);
	free(r->errors);
	free(r->tls_fail);
	bench_msstat_free(&r->reconnect_ms);
	r->tls_fail = NULL;
	r->hist = NULL;
	r->targets = NULL;
	r->errors = NULL;
}

/* Adds n to the counter key of (*v)[0..*count), merging equal keys (a new key
 * is copied, truncated to fit). */
static int add_count(struct bench_errcount **v, unsigned *count, const char *key, uint64_t n)
{
	if (!n)
		return 0;
	for (unsigned i = 0; i < *count; i++)
		if (!strcmp((*v)[i].key, key)) {
			(*v)[i].n += n;
			return 0;
		}
	struct bench_errcount *e = realloc(*v, (*count + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	*v = e;
	snprintf(e[*count].key, sizeof(e[*count].key), "%s", key);
	e[(*count)++].n = n;
	return 0;
}

int bench_report_add_error(struct bench_report *r, const char *key, uint64_t n)
{
	return add_count(&r->errors, &r->nerrors, key, n);
}

int bench_report_add_tls_fail(struct bench_report *r, const char *key, uint64_t n)
{
	return add_count(&r->tls_fail, &r->ntls_fail, key, n);
}

int bench_report_add_target(struct bench_report *r, const char *key, uint64_t n)
{
	for (unsigned i = 0; i < r->ntargets; i++)
		if (!strcmp(r->targets[i].key, key)) {
			r->targets[i].n += n;
			return 0;
		}
	struct bench_target_count *t = realloc(r->targets, (r->ntargets + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	r->targets = t;
	snprintf(t[r->ntargets].key, sizeof(t[r->ntargets].key), "%s", key);
	t[r->ntargets++].n = n;
	return 0;
}

void bench_report_collect_errors(struct bench_report *r, const struct bench_worker *ws, unsigned nw,
				 int mqtt_version)
{
	for (unsigned i = 0; i < nw; i++) {
		for (int e = 0; e < BERR_COUNT; e++)
			bench_report_add_error(r, err_names[e], ws[i].err[e]);
		for (int k = 0; k < BCERR_COUNT; k++)
			for (int code = 0; code < 256; code++) {
				uint64_t n = ws[i].cerr[k][code];
				if (!n)
					continue;
				char key[BENCH_ERRKEY_MAX];
				const char *name;
				if (k == BCERR_MALFORMED)
					name = mqtt_err_str(code);
				else if (k == BCERR_CONNACK)
					name =
					    mqtt_connack_name((uint8_t)code, (uint8_t)mqtt_version);
				else if (k == BCERR_DISCONNECT && mqtt_version != 5)
					name = "DISCONNECT";
				else
					name = mqtt_reason_name((uint8_t)code);
				snprintf(key, sizeof(key), "%s: %s (0x%02x)", cerr_names[k], name,
					 code);
				bench_report_add_error(r, key, n);
			}
	}
}

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_keys[] = {"p50", "p90", "p99", "p999"};

/* What a mode's summary shows: a subscriber-only run has no publish figures,
 * a publisher-only run no receive figures, conn neither (their JSON keeps
 * every key: the contract is stable). run and merge show everything. */
enum { SHOW_PUB = 1, SHOW_RECV = 2, SHOW_LOSS = 4 };

static unsigned show_mask(const char *mode)
{
	if (!strcmp(mode, "sub"))
		return SHOW_RECV;
	if (!strcmp(mode, "pub"))
		return SHOW_PUB;
	if (!strcmp(mode, "conn"))
		return 0;
	return SHOW_PUB | SHOW_RECV | SHOW_LOSS;
}

/* Lost connections and what reconnecting cost; nothing on a run without any. */
static void human_faults(const struct bench_report *r, FILE *f)
{
	const struct bench_msstat *m = &r->reconnect_ms;
	if (!r->disconnects && !m->n && !r->sessions_resumed && !r->sessions_lost)
		return;
	fprintf(f,
		"  disconnects  %llu lost after CONNACK; reconnect ms p50 %llu  p99 %llu  max %llu "
		"(%zu reconnected)\n",
		(unsigned long long)r->disconnects,
		(unsigned long long)bench_msstat_percentile(m, 50),
		(unsigned long long)bench_msstat_percentile(m, 99),
		(unsigned long long)bench_msstat_max(m), m->n);
	if (r->sessions_resumed || r->sessions_lost)
		fprintf(f,
			"  sessions     %llu resumed, %llu lost on reconnect (a lost session's "
			"queued messages are gone)\n",
			(unsigned long long)r->sessions_resumed,
			(unsigned long long)r->sessions_lost);
}

/* Whether the raw subscribers hold streams of more than one run nonce. */
static bool raw_many_runs(const struct bench_report *r)
{
	bool any = false;
	uint64_t first = 0;
	for (uint32_t i = 0; r->raw_subs && i < r->nsubs; i++)
		for (uint32_t k = 0; k < r->subs[i]->cap; k++) {
			const struct bench_stream *st = &r->subs[i]->streams[k];
			if (!st->used)
				continue;
			if (any && st->nonce != first)
				return true;
			any = true;
			first = st->nonce;
		}
	return false;
}

/* What arrived but is not this run's message, and clock skew; nothing on a
 * run without any. */
static void human_untrusted(const struct bench_report *r, FILE *f)
{
	const struct bench_totals *t = &r->t;
	if (t->stale)
		fprintf(f,
			"  stale        %llu from an earlier run (another run nonce: a persistent "
			"session or bridge backlog): not unique\n",
			(unsigned long long)t->stale);
	else if (raw_many_runs(r))
		fprintf(f, "  stale        messages of more than one run (run nonce) arrived: "
			   "bench merge with the pub JSON counts the other runs' as stale\n");
	if (t->invalid)
		fprintf(f,
			"  invalid      %llu with a seq no publisher sent (past what it published, "
			"or a jump past %llu): not unique\n",
			(unsigned long long)t->invalid, (unsigned long long)BENCH_SEQ_JUMP);
	if (t->skewed)
		fprintf(f,
			"  skewed       %llu received before their send time (clock skew): up to "
			"%llu us, mean %llu us; their latency counts as 0\n",
			(unsigned long long)t->skewed, (unsigned long long)(t->skew_max_ns / 1000),
			(unsigned long long)(t->skew_sum_ns / t->skewed / 1000));
}

/* The loss lines: late (a cut drain still receiving), lost, not counted. */
static void human_loss(const struct bench_report *r, unsigned show, FILE *f)
{
	const struct bench_totals *t = &r->t;
	if ((show & SHOW_LOSS) && r->late) {
		fprintf(f,
			"  late         %llu (%.4f %%): still arriving when the drain ended after "
			"%.1f s (the last %.2f s before the end): late, not lost; a longer "
			"--drain counts them\n",
			(unsigned long long)r->late, t->loss_ratio * 100.0, r->drain_s,
			r->late_last_s);
		fprintf(f, "  lost         not known (%llu missing, all of them late)\n",
			(unsigned long long)t->lost);
	} else if (show & SHOW_LOSS) {
		fprintf(f, "  lost         %llu (%.4f %%)%s\n", (unsigned long long)t->lost,
			t->loss_ratio * 100.0,
			r->drain_cut ? " (the drain ended at its bound, nothing arrived in its "
				       "last second)"
				     : "");
		if (t->unconfirmed || t->foreign || t->late_subscribers || t->unsubscribed)
			fprintf(f,
				"  not counted  %llu unconfirmed, %llu foreign, %llu late "
				"subscribers, %llu never subscribed\n",
				(unsigned long long)t->unconfirmed, (unsigned long long)t->foreign,
				(unsigned long long)t->late_subscribers,
				(unsigned long long)t->unsubscribed);
	} else if (show & SHOW_RECV) {
		if (t->foreign || t->unsubscribed)
			fprintf(f, "  not counted  %llu foreign, %llu never subscribed\n",
				(unsigned long long)t->foreign,
				(unsigned long long)t->unsubscribed);
	}
}

/* Latency, targets, errors, TLS, memory and CPU lines. */
static void human_tail(const struct bench_report *r, unsigned show, FILE *f)
{
	if ((show & SHOW_RECV) && r->hist && r->hist->count) {
		fprintf(f, "  latency us   ");
		for (int i = 0; i < 4; i++)
			fprintf(f, "%s %llu  ", pct_keys[i],
				(unsigned long long)bench_hist_percentile(r->hist, pcts[i]));
		fprintf(f, "max %llu\n", (unsigned long long)r->hist->max);
	}
	for (unsigned i = 0; i < r->ntargets; i++)
		fprintf(f, "  target       %s: %llu connections\n", r->targets[i].key,
			(unsigned long long)r->targets[i].n);
	for (unsigned i = 0; i < r->nerrors; i++)
		fprintf(f, "  error        %s: %llu\n", r->errors[i].key,
			(unsigned long long)r->errors[i].n);
	if (r->tls) {
		fprintf(f, "  tls          %llu handshakes, %llu resumed",
			(unsigned long long)r->tls_handshakes, (unsigned long long)r->tls_resumed);
		for (unsigned i = 0; i < r->ntls_fail; i++)
			fprintf(f, "%s%s %llu", i ? ", " : "; failed: ", r->tls_fail[i].key,
				(unsigned long long)r->tls_fail[i].n);
		fprintf(f, "\n");
	}
	if (r->rss_bytes && r->connections_ok)
		fprintf(f, "  memory       RSS %.1f MiB, %.1f KiB per connection\n",
			(double)r->rss_bytes / 1048576.0,
			(double)r->rss_bytes / 1024.0 / (double)r->connections_ok);
	if (r->cpu_user_s + r->cpu_sys_s > 0)
		fprintf(f, "  cpu          %.2f s user, %.2f s system\n", r->cpu_user_s,
			r->cpu_sys_s);
}

void bench_report_human(const struct bench_report *r, FILE *f)
{
	const struct bench_totals *t = &r->t;
	unsigned show = show_mask(r->mode);
	fprintf(f, "mqlb bench %s: ", r->mode);
	if (show)
		fprintf(f, "QoS %d, ", r->qos);
	fprintf(f, "MQTT %s", r->mqtt_version == 5 ? "5.0" : "3.1.1");
	if ((show & SHOW_PUB) && (show & SHOW_RECV))
		fprintf(f, ", %llu publishers, %llu subscribers\n",
			(unsigned long long)t->publishers, (unsigned long long)t->subscribers);
	else if (show & SHOW_PUB)
		fprintf(f, ", %llu publishers\n", (unsigned long long)t->publishers);
	else if (show & SHOW_RECV)
		fprintf(f, ", %llu subscribers\n", (unsigned long long)t->subscribers);
	else
		fprintf(f, ", %llu clients\n",
			(unsigned long long)(r->connections_ok + r->connections_failed));
	fprintf(f, "  connections  %llu ok, %llu failed, %llu reconnects\n",
		(unsigned long long)r->connections_ok, (unsigned long long)r->connections_failed,
		(unsigned long long)r->reconnects);
	human_faults(r, f);
	if (r->connect_rate > 0)
		fprintf(f, "  connect      %.2f s, %.0f connections/s\n", r->connect_s,
			r->connect_rate);
	if (show & SHOW_PUB) {
		fprintf(f, "  published    %llu (acked %llu) in %.2f s: %.0f msg/s\n",
			(unsigned long long)t->published, (unsigned long long)t->acked,
			r->duration_s, r->publish_rate);
		if (r->pub_resent)
			fprintf(f,
				"  re-sent      %llu PUBLISH with DUP=1 on resumed sessions "
				"(MQTT 4.4)\n",
				(unsigned long long)r->pub_resent);
		if (!(show & SHOW_RECV)) /* pub: what never got its PUBACK/PUBREC (or written) */
			fprintf(f, "  in-flight    %llu (published, never %s)\n",
				(unsigned long long)(t->published > t->acked
							 ? t->published - t->acked
							 : 0),
				r->qos ? "acknowledged" : "written out");
	}
	if (show & SHOW_LOSS)
		fprintf(f, "  expected     %llu\n", (unsigned long long)t->expected);
	if (show & SHOW_RECV) {
		fprintf(f,
			"  received     %llu (%.0f msg/s), unique %llu, duplicates %llu, "
			"reordered %llu\n",
			(unsigned long long)t->received, r->receive_rate,
			(unsigned long long)t->unique, (unsigned long long)t->duplicates,
			(unsigned long long)t->reordered);
		if (t->qos2_resent)
			fprintf(f,
				"  QoS 2 resent %llu (a packet id again before its PUBREL: the "
				"same message, not counted, MQTT 4.3.3)\n",
				(unsigned long long)t->qos2_resent);
	}
	if (show & SHOW_RECV)
		human_untrusted(r, f);
	human_loss(r, show, f);
	if (show && !(show & SHOW_LOSS))
		fprintf(f, "  lost         needs both sides: mqlb bench merge SUB.json PUB.json\n");
	human_tail(r, show, f);
}

static void json_seqmap(struct json *j, const struct bench_seqmap *m)
{
	uint64_t prefix = 0;
	char *hex = NULL;
	if (bench_seqmap_export(m, &prefix, &hex) < 0) {
		json_null(j, "bits");
		return;
	}
	json_u64(j, "prefix", prefix);
	json_str(j, "bits", hex);
	free(hex);
}

static void json_raw(struct json *j, const struct bench_report *r)
{
	json_obj_begin(j, "raw");
	json_str(j, "clock", "realtime");
	if (r->raw_pubs) {
		json_arr_begin(j, "publishers");
		for (uint32_t i = 0; i < r->npubs; i++) {
			const struct bench_pub_acct *p = r->pubs[i];
			json_obj_begin(j, NULL);
			json_u64(j, "id", p->id);
			json_str(j, "topic", p->topic ? p->topic : "");
			json_u64(j, "first_pub_ns", p->first_pub_ns);
			json_u64(j, "published", p->published);
			json_u64(j, "acked", p->acked);
			json_seqmap(j, &p->confirmed);
			json_obj_end(j);
		}
		json_arr_end(j);
	}
	if (r->raw_subs) {
		json_arr_begin(j, "subscribers");
		for (uint32_t i = 0; i < r->nsubs; i++) {
			const struct bench_sub_acct *s = r->subs[i];
			json_obj_begin(j, NULL);
			json_u64(j, "id", s->id);
			json_str(j, "filter", s->filter ? s->filter : "");
			json_bool(j, "subscribed", s->subscribed);
			json_u64(j, "suback_ns", s->suback_ns);
			json_u64(j, "foreign", s->foreign);
			json_u64(j, "qos2_resent", s->qos2_resent);
			json_u64(j, "stale", s->stale);
			json_u64(j, "invalid", s->invalid);
			json_u64(j, "skewed", s->skewed);
			json_u64(j, "skew_max_ns", s->skew_max_ns);
			json_u64(j, "skew_sum_ns", s->skew_sum_ns);
			json_arr_begin(j, "streams");
			for (uint32_t k = 0; k < s->cap; k++) {
				const struct bench_stream *st = &s->streams[k];
				if (!st->used)
					continue;
				json_obj_begin(j, NULL);
				json_u64(j, "pub", st->pub_id);
				char nonce[17];
				bench_nonce_hex(st->nonce, nonce);
				json_str(j, "nonce", nonce);
				json_u64(j, "received", st->received);
				json_u64(j, "duplicates", st->duplicates);
				json_u64(j, "reordered", st->reordered);
				json_seqmap(j, &st->seen);
				json_obj_end(j);
			}
			json_arr_end(j);
			json_obj_end(j);
		}
		json_arr_end(j);
		if (r->hist) {
			json_obj_begin(j, "latency_hist");
			json_u64(j, "count", r->hist->count);
			json_u64(j, "min", r->hist->count ? r->hist->min : 0);
			json_u64(j, "max", r->hist->max);
			json_u64(j, "sum", r->hist->sum);
			json_arr_begin(j, "buckets"); /* [index, count] pairs */
			for (unsigned b = 0; b < HIST_BUCKETS; b++)
				if (r->hist->buckets[b]) {
					json_arr_begin(j, NULL);
					json_u64(j, NULL, b);
					json_u64(j, NULL, r->hist->buckets[b]);
					json_arr_end(j);
				}
			json_arr_end(j);
			json_obj_end(j);
		}
	}
	/* every reconnect time (ms): merge joins the two lists for exact percentiles */
	json_arr_begin(j, "reconnect_ms");
	for (size_t i = 0; i < r->reconnect_ms.n; i++)
		json_u64(j, NULL, r->reconnect_ms.v[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* The run nonce the JSON names: merge's from its pub file, this process's
 * when it published (run, pub), none for sub and conn. */
static uint64_t report_nonce(const struct bench_report *r)
{
	if (r->run_nonce)
		return r->run_nonce;
	if (r->mode && (!strcmp(r->mode, "run") || !strcmp(r->mode, "pub")))
		return bench_run_nonce();
	return 0;
}

/* The keys every consumer reads: counts, rates, latency, per target. */
static void json_head(struct json *j, const struct bench_report *r)
{
	const struct bench_totals *t = &r->t;
	json_str(j, "mode", r->mode);
	json_u64(j, "qos", (uint64_t)r->qos);
	json_u64(j, "mqtt_version", (uint64_t)r->mqtt_version);
	json_u64(j, "publishers", t->publishers);
	json_u64(j, "subscribers", t->subscribers);
	json_u64(j, "connections_ok", r->connections_ok);
	json_u64(j, "connections_failed", r->connections_failed);
	json_u64(j, "published", t->published);
	json_u64(j, "acked", t->acked);
	json_u64(j, "expected", t->expected);
	json_u64(j, "received", t->received);
	json_u64(j, "unique", t->unique);
	json_u64(j, "lost", t->lost);
	json_u64(j, "duplicates", t->duplicates);
	json_u64(j, "reordered", t->reordered);
	json_double(j, "loss_ratio", t->loss_ratio);
	json_double(j, "duration_s", r->duration_s);
	json_double(j, "publish_rate", r->publish_rate);
	json_double(j, "receive_rate", r->receive_rate);
	json_obj_begin(j, "latency_us");
	for (int i = 0; i < 4; i++)
		json_u64(j, pct_keys[i], r->hist ? bench_hist_percentile(r->hist, pcts[i]) : 0);
	json_u64(j, "max", r->hist ? r->hist->max : 0);
	json_u64(j, "min", r->hist && r->hist->count ? r->hist->min : 0);
	json_double(j, "mean",
		    r->hist && r->hist->count ? (double)r->hist->sum / (double)r->hist->count : 0);
	json_u64(j, "count", r->hist ? r->hist->count : 0);
	json_obj_end(j);
	json_obj_begin(j, "per_target");
	for (unsigned i = 0; i < r->ntargets; i++)
		json_u64(j, r->targets[i].key, r->targets[i].n);
	json_obj_end(j);
}

/* The keys added since (add, never rename). */
static void json_extras(struct json *j, const struct bench_report *r)
{
	const struct bench_totals *t = &r->t;
	/* extras (add, never rename) */
	json_u64(j, "unconfirmed", t->unconfirmed);
	json_u64(j, "foreign", t->foreign);
	json_u64(j, "qos2_resent", t->qos2_resent);
	json_u64(j, "late_subscribers", t->late_subscribers);
	json_u64(j, "unsubscribed", t->unsubscribed);
	json_u64(j, "stale", t->stale);
	json_u64(j, "invalid", t->invalid);
	json_u64(j, "skewed", t->skewed);
	json_u64(j, "skew_max_us", t->skew_max_ns / 1000);
	json_u64(j, "skew_mean_us", t->skewed ? t->skew_sum_ns / t->skewed / 1000 : 0);
	uint64_t nonce = report_nonce(r);
	if (nonce) {
		char hex[17];
		bench_nonce_hex(nonce, hex);
		json_str(j, "run_nonce", hex);
	}
	json_u64(j, "reconnects", r->reconnects);
	json_u64(j, "payload_size", r->payload_size);
	json_u64(j, "interval_us", r->interval_us);
	json_u64(j, "inflight", r->inflight);
	json_u64(j, "threads", r->threads);
	json_double(j, "connect_s", r->connect_s);
	json_double(j, "connect_rate", r->connect_rate);
	json_u64(j, "rss_bytes", r->rss_bytes);
	json_double(j, "cpu_user_s", r->cpu_user_s);
	json_double(j, "cpu_sys_s", r->cpu_sys_s);
	json_u64(j, "bytes_in", r->bytes_in);
	json_u64(j, "bytes_out", r->bytes_out);
	json_u64(j, "granted_qos_downgraded", r->granted_downgrade);
	json_u64(j, "qos0_unwritten_at_disconnect", r->unconfirmed_qos0);
	json_u64(j, "publish_resent", r->pub_resent);
	json_u64(j, "late", r->late);
	json_bool(j, "drain_cut", r->drain_cut);
	json_u64(j, "coalesce_pauses", r->coalesce_pauses);
	json_double(j, "coalesce_s", r->coalesce_s);
	json_u64(j, "disconnects", r->disconnects);
	json_u64(j, "sessions_resumed", r->sessions_resumed);
	json_u64(j, "sessions_lost", r->sessions_lost);
}

int bench_report_json(const struct bench_report *r, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f)
		return -errno;
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_head(&j, r);
	json_extras(&j, r);
	json_obj_begin(&j, "reconnect_ms");
	json_u64(&j, "count", r->reconnect_ms.n);
	json_u64(&j, "p50", bench_msstat_percentile(&r->reconnect_ms, 50));
	json_u64(&j, "p99", bench_msstat_percentile(&r->reconnect_ms, 99));
	json_u64(&j, "max", bench_msstat_max(&r->reconnect_ms));
	json_obj_end(&j);
	json_obj_begin(&j, "errors");
	for (unsigned i = 0; i < r->nerrors; i++)
		json_u64(&j, r->errors[i].key, r->errors[i].n);
	json_obj_end(&j);
	if (r->tls) { /* --tls runs only */
		json_obj_begin(&j, "tls");
		json_u64(&j, "handshakes", r->tls_handshakes);
		json_u64(&j, "resumed", r->tls_resumed);
		json_obj_begin(&j, "failures");
		for (unsigned i = 0; i < r->ntls_fail; i++)
			json_u64(&j, r->tls_fail[i].key, r->tls_fail[i].n);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	if (r->raw_pubs || r->raw_subs)
		json_raw(&j, r);
	json_obj_end(&j);
	int rc = 0;
	if (f != stdout) {
		if (fclose(f) != 0)
			rc = -errno;
	} else {
		fflush(f);
	}
	return rc;
}
