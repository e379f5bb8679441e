/* report.h — what a bench run (or a merge) reports: the human summary on
 * stdout, --json (DESIGN.md keys, plus extras; sub/pub add the raw data merge
 * needs), and the per-second CSV row. */
#ifndef MQLB_BENCH_REPORT_H
#define MQLB_BENCH_REPORT_H

#include <stdio.h>

#include "bench/account.h"
#include "bench/bench-t.h"
#include "bench/hist.h"
#include "bench/msstat.h"

#define BENCH_ERRKEY_MAX 96

/* One counted error: "connack: Not authorized" -> 3. */
struct bench_errcount {
	char key[BENCH_ERRKEY_MAX];
	uint64_t n;
};

struct bench_target_count {
	char key[64]; /* HOST:PORT */
	uint64_t n;
};

/* Everything the outputs print; filled from a run (bench.c) or from two JSON
 * files (merge.c). Arrays are owned by the report (bench_report_free). */
struct bench_report {
	const char *mode;
	int qos, mqtt_version;
	struct bench_totals t;
	/* run nonce of the messages counted (merge: the pub JSON's); 0 = this
	 * process's in run and pub mode, none in sub and conn mode */
	uint64_t run_nonce;
	uint64_t connections_ok, connections_failed, reconnects;
	double duration_s, publish_rate, receive_rate;
	struct bench_hist *hist; /* owned */
	struct bench_target_count *targets;
	unsigned ntargets;
	struct bench_errcount *errors;
	unsigned nerrors;
	/* extras */
	uint32_t payload_size;
	uint64_t interval_us, inflight, threads;
	double connect_s, connect_rate;
	uint64_t rss_bytes;
	double cpu_user_s, cpu_sys_s;
	uint64_t bytes_in, bytes_out;
	uint64_t granted_downgrade, unconfirmed_qos0;
	uint64_t pub_resent; /* PUBLISH re-sent with DUP=1 on resumed sessions */
	/* the drain ended at its bound with messages missing (drain_cut); when
	 * some arrived within its last second, late = the missing ones (still on
	 * their way, not known dropped; JSON lost still counts them as missing)
	 * and late_last_s = the time from that last arrival to the end */
	bool drain_cut;
	uint64_t late;
	double late_last_s, drain_s;
	uint64_t coalesce_pauses; /* --coalesce pauses taken, their sum */
	double coalesce_s;
	/* faults: connections lost after their CONNACK, reconnect CONNACKs with
	 * -C false by session present, and loss -> next CONNACK per reconnect
	 * (owned, sorted ascending before the outputs) */
	uint64_t disconnects, sessions_resumed, sessions_lost;
	struct bench_msstat reconnect_ms;
	/* --tls: handshakes done, of them resumed (abbreviated), failures by
	 * reason ("verify: <X509 error>", "protocol: <OpenSSL reason>",
	 * "timeout", "closed"; owned) */
	bool tls;
	uint64_t tls_handshakes, tls_resumed;
	struct bench_errcount *tls_fail;
	unsigned ntls_fail;
	/* raw data for merge (sub/pub modes): borrowed */
	struct bench_pub_acct *const *pubs;
	struct bench_sub_acct *const *subs;
	uint32_t npubs, nsubs;
	bool raw_pubs, raw_subs;
};

/* An empty report (all zero). */
void bench_report_init(struct bench_report *r);
/* Frees what the report owns (histogram, counters by name, reconnect times). */
void bench_report_free(struct bench_report *r);
/* Adds n to the error counter named key (merging equal keys). */
int bench_report_add_error(struct bench_report *r, const char *key, uint64_t n);
/* Adds n to the TLS failure counter named key (merging equal keys). */
int bench_report_add_tls_fail(struct bench_report *r, const char *key, uint64_t n);
/* Adds n to the count of the target (broker address) key, merging equal keys;
 * key is copied (truncated to fit). Returns 0 or -ENOMEM. */
int bench_report_add_target(struct bench_report *r, const char *key, uint64_t n);
/* Collects the workers' error counters (enum names and reason code names). */
void bench_report_collect_errors(struct bench_report *r, const struct bench_worker *ws, unsigned nw,
				 int mqtt_version);

/* Writes the summary a person reads (what the mode measured) to f. */
void bench_report_human(const struct bench_report *r, FILE *f);
/* Writes --json. Returns 0 or -errno. */
int bench_report_json(const struct bench_report *r, const char *path);

/* Name of an error kind, for keys ("connect_refused" ...). */
const char *bench_err_name(int err);

#endif
