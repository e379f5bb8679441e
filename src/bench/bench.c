/* bench.c — `mqlb bench conn|sub|pub|run|merge`: sets the clients up, runs the
 * phases (connect -> publish -> drain -> stop) from the main thread while the
 * workers' event loops do the I/O, then accounts and reports. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench-t.h"
#include "bench/client.h"
#include "bench/merge.h"
#include "bench/payload.h"
#include "bench/report.h"
#include "bench/tls.h"
#include "bench/worker.h"
#include "common/addr.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/sigfd.h"
#include "common/time.h"
#include "mqtt/mqtt.h"

int cmd_bench(int argc, char **argv);

/* SIGINT/SIGTERM reach the bench through a signalfd (common/sigfd.h): they are
 * blocked before the workers start (the threads inherit the mask, so no worker
 * is ever interrupted) and the main thread's ticker waits on the fd, so a
 * Ctrl-C wakes it at once. Each one read counts: the first drains, the second
 * stops. Standard signals do not queue: two that come before the first is read
 * (microseconds apart, not a person's two Ctrl-C) count as one, as two that
 * came before the old handler ran did. */
static const int bench_sigs[] = {SIGINT, SIGTERM};

/* Waits up to ms on the signalfd; returns how many signals were read. */
static int signals_wait(int sfd, int ms)
{
	struct pollfd p = {.fd = sfd, .events = POLLIN};
	int n = 0;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	while (sigfd_read(sfd) > 0)
		n++;
	return n;
}

/* After the run: signals taken in but not yet read are dropped (they came
 * while the run was ending, as the old handler counted them to no effect),
 * then the default action is back (a Ctrl-C while the report is written
 * ends the process, as before). */
static void signals_close(int sfd, const sigset_t *old)
{
	while (sigfd_read(sfd) > 0)
		;
	close(sfd);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Raises RLIMIT_NOFILE to at least need. 0 or -EMFILE (with a message). */
static int raise_nofile(uint64_t need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need) {
		struct rlimit want = {need, need};
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			return 0;
		fprintf(stderr,
			"mqlb: %llu clients need %llu file descriptors, but the hard limit is "
			"%llu (raise it: ulimit -Hn, or run as root)\n",
			(unsigned long long)(need - 64), (unsigned long long)need,
			(unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		fprintf(stderr, "mqlb: cannot raise the open file limit to %llu: %s\n",
			(unsigned long long)need, strerror(errno));
		return -EMFILE;
	}
	return 0;
}

static uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int setup_clients(struct bench_run *run)
{
	const struct bench_opts *o = &run->o;
	uint32_t nsub = 0, npub = 0, nconn = 0;
	switch (o->mode) {
	case BENCH_CONN:
		nconn = o->count;
		break;
	case BENCH_SUB:
		nsub = o->count;
		break;
	case BENCH_PUB:
		npub = o->count;
		break;
	default:
		nsub = o->subs;
		npub = o->pubs;
	}
	run->nsubs = nsub;
	run->npubs = npub;
	run->nclients = nsub + npub + nconn;
	run->clients = calloc(run->nclients ? run->nclients : 1, sizeof(*run->clients));
	if (!run->clients)
		return -ENOMEM;
	/* connect order: subscribers first (they must be ready before publishing) */
	for (uint32_t k = 0; k < run->nclients; k++) {
		struct bench_client *c = &run->clients[k];
		uint32_t i;
		const char *tag;
		if (k < nsub) {
			c->role = BROLE_SUB;
			i = k;
			tag = "sub";
		} else if (k < nsub + npub) {
			c->role = BROLE_PUB;
			i = k - nsub;
			tag = "pub";
		} else {
			c->role = BROLE_CONN;
			i = k - nsub - npub;
			tag = "conn";
		}
		c->index = o->start_index + i;
		c->order = k;
		c->fd = -1;
		c->target = (uint8_t)(k % o->ntargets);
		c->ifaddr = (uint8_t)(o->nifaddrs ? k % o->nifaddrs : 0);
		char id[256], topic[1024];
		snprintf(id, sizeof(id), "%s_%s_%u", run->prefix, tag, c->index);
		if (bench_topic_expand(o->topic, c->index, id, topic, sizeof(topic)) < 0)
			return -ENAMETOOLONG;
		c->client_id = strdup(id);
		c->topic = strdup(topic);
		if (!c->client_id || !c->topic)
			return -ENOMEM;
		if (c->role == BROLE_SUB) {
			c->sub = calloc(1, sizeof(*c->sub));
			if (!c->sub)
				return -ENOMEM;
			bench_sub_acct_init(c->sub, c->index, c->topic);
		}
	}
	return 0;
}

/* run: the number of subscribers whose filter matches each publisher's topic,
 * so the live "expected" (and "lost so far") needs no lookups. */
static void count_matching(struct bench_run *run)
{
	for (uint32_t p = 0; p < run->nclients; p++) {
		struct bench_client *pc = &run->clients[p];
		if (!pc->pub)
			continue;
		for (uint32_t s = 0; s < run->nsubs; s++) {
			const char *f = run->clients[s].topic;
			if (!strcmp(f, pc->topic) ||
			    mqtt_topic_match(mqtt_str_c(f), mqtt_str_c(pc->topic)))
				pc->pub->matching_subs++;
		}
	}
}

struct sums {
	uint64_t connected, conn_ok, conn_failed, subscribed, sub_failed, reconnects, published,
	    acked, expected, received, unique, inflight, pubs_done, errors, gone;
};

static void sum_live(const struct bench_run *run, struct sums *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct bench_worker *w = &run->workers[i];
		s->connected += LIVE_GET(w, connected);
		s->conn_ok += LIVE_GET(w, conn_ok);
		s->conn_failed += LIVE_GET(w, conn_failed);
		s->subscribed += LIVE_GET(w, subscribed);
		s->sub_failed += LIVE_GET(w, sub_failed);
		s->reconnects += LIVE_GET(w, reconnects);
		s->published += LIVE_GET(w, published);
		s->acked += LIVE_GET(w, acked);
		s->expected += LIVE_GET(w, expected);
		s->received += LIVE_GET(w, received);
		s->unique += LIVE_GET(w, unique);
		s->inflight += LIVE_GET(w, inflight);
		s->pubs_done += LIVE_GET(w, pubs_done);
		s->errors += LIVE_GET(w, errors);
		s->gone += LIVE_GET(w, gone);
	}
}

static void set_phase(struct bench_run *run, int phase)
{
	atomic_store_explicit(&run->phase, phase, memory_order_release);
	for (unsigned i = 0; i < run->nworkers; i++)
		bench_worker_wake(&run->workers[i]);
}

static const char *phase_name(int ph)
{
	static const char *const n[BPH_COUNT] = {"connect", "publish", "drain", "stop"};
	return ph >= 0 && ph < BPH_COUNT ? n[ph] : "?";
}

/* Progress line, CSV row; rates over the last interval. */
struct progress {
	FILE *csv;
	uint64_t last_ns, last_pub, last_recv;
};

static void progress(struct bench_run *run, struct progress *pg, const struct sums *s, uint64_t now,
		     int phase)
{
	double dt = (double)(now - pg->last_ns) / 1e9;
	if (dt <= 0)
		dt = 1;
	double pub_rate = (double)(s->published - pg->last_pub) / dt;
	double recv_rate = (double)(s->received - pg->last_recv) / dt;
	uint64_t lost = s->expected > s->unique ? s->expected - s->unique : 0;
	double t = (double)(now - run->mono0_ns) / 1e9;
	if (!run->o.quiet)
		fprintf(stderr,
			"[%6.1fs] %-7s conn %llu/%u  pub/s %.0f  recv/s %.0f  in-flight %llu  "
			"lost so far %llu  errors %llu\n",
			t, phase_name(phase), (unsigned long long)s->connected, run->nclients,
			pub_rate, recv_rate, (unsigned long long)s->inflight,
			(unsigned long long)lost, (unsigned long long)s->errors);
	/* unix_ms: wall clock, so rows line up with fault times logged elsewhere */
	if (pg->csv)
		fprintf(pg->csv,
			"%.3f,%s,%llu,%llu,%llu,%llu,%llu,%llu,%.1f,%.1f,%llu,%llu,%llu,%llu\n", t,
			phase_name(phase), (unsigned long long)s->connected,
			(unsigned long long)s->published, (unsigned long long)s->acked,
			(unsigned long long)s->received, (unsigned long long)s->unique,
			(unsigned long long)s->expected, pub_rate, recv_rate,
			(unsigned long long)s->inflight, (unsigned long long)lost,
			(unsigned long long)s->errors,
			(unsigned long long)(time_real_ns() / NS_PER_MS));
	if (pg->csv) /* a controller may read the rows while the run goes on */
		fflush(pg->csv);
	pg->last_ns = now;
	pg->last_pub = s->published;
	pg->last_recv = s->received;
}

struct timing {
	uint64_t connected_ns; /* connect phase over */
	uint64_t pub_start_ns, pub_stop_ns, stop_ns;
	bool drain_cut;		  /* the drain ended at --drain, not complete */
	uint64_t last_arrival_ns; /* the received count last changed (monotonic) */
};

/* Messages that arrived this close to a cut drain's end were still on their
 * way: what is missing then is late, not known to be dropped. */
#define LATE_WINDOW_NS NS_PER_S

/* Every client connected (or failed) and every subscriber subscribed (or
 * refused). */
static bool connect_ready(const struct bench_run *run, const struct sums *s)
{
	return s->conn_ok + s->conn_failed >= run->nclients &&
	       s->subscribed + s->sub_failed >= run->nsubs;
}

/* The connect phase is over (all in, or its bound reached): publishers start
 * two ticks from now, conn/sub hold for --duration (*hold_end, 0 = forever). */
static void connect_over(struct bench_run *run, struct timing *tm, const struct sums *s,
			 uint64_t now, uint64_t *hold_end)
{
	const struct bench_opts *o = &run->o;
	if (!connect_ready(run, s))
		log_warn("bench: connect phase bound reached: %llu of %u connected, "
			 "%llu of %u subscribed; going on",
			 (unsigned long long)s->conn_ok, run->nclients,
			 (unsigned long long)s->subscribed, run->nsubs);
	tm->connected_ns = now;
	if (o->mode == BENCH_PUB || o->mode == BENCH_RUN) {
		uint64_t start = now + 2 * BENCH_TICK_NS;
		atomic_store(&run->pub_start_ns, start);
		run->pub_end_ns = o->duration_ns ? start + o->duration_ns : 0;
		tm->pub_start_ns = start;
		set_phase(run, BPH_PUBLISH);
	} else {
		*hold_end = o->duration_ns ? now + o->duration_ns : 0;
	}
}

/* The main thread's loop: phases, progress, signals. */
static void drive(struct bench_run *run, struct timing *tm, FILE *csv, int sfd)
{
	const struct bench_opts *o = &run->o;
	struct progress pg = {.csv = csv, .last_ns = time_mono_ns()};
	uint64_t connect_deadline = run->connect_start_ns +
				    (uint64_t)run->nclients * o->conn_interval_ns +
				    o->connect_timeout_ns + 5 * NS_PER_S;
	uint64_t next_progress = pg.last_ns + NS_PER_S, drain_start = 0, hold_end = 0;
	uint64_t last_recv = 0, last_recv_change = 0;
	int handled_signals = 0;
	for (;;) {
		int got = signals_wait(sfd, 20);
		uint64_t now = time_mono_ns();
		struct sums s;
		sum_live(run, &s);
		int phase = atomic_load(&run->phase);
		if (got) {
			handled_signals += got;
			if (handled_signals >= 2 || phase == BPH_DRAIN || phase == BPH_CONNECT ||
			    o->mode == BENCH_SUB || o->mode == BENCH_CONN) {
				set_phase(run, BPH_STOP);
			} else { /* first Ctrl-C while publishing: stop publishing, drain */
				set_phase(run, BPH_DRAIN);
				tm->pub_stop_ns = now;
				drain_start = now;
			}
			phase = atomic_load(&run->phase);
		}
		if (phase != BPH_CONNECT && s.received != last_recv) {
			last_recv = s.received;
			tm->last_arrival_ns = now;
		}
		if (now >= next_progress) {
			progress(run, &pg, &s, now, phase);
			next_progress += NS_PER_S;
			if (next_progress < now)
				next_progress = now + NS_PER_S;
		}
		if (phase == BPH_STOP) {
			tm->stop_ns = now;
			return;
		}
		if (phase == BPH_CONNECT && !tm->connected_ns) {
			if (now >= connect_deadline || connect_ready(run, &s))
				connect_over(run, tm, &s, now, &hold_end);
			continue;
		}
		if (phase == BPH_CONNECT) { /* conn/sub: holding */
			bool idle_stop = o->mode == BENCH_SUB && o->drain_set && s.received > 0 &&
					 last_recv_change && now - last_recv_change >= o->drain_ns;
			if (s.received != last_recv) {
				last_recv = s.received;
				last_recv_change = now;
			}
			/* nothing left to hold: every client closed for good */
			bool all_gone = s.gone >= run->nclients;
			if ((hold_end && now >= hold_end) || idle_stop || all_gone)
				set_phase(run, BPH_STOP);
			continue;
		}
		if (phase == BPH_PUBLISH) {
			bool ended = s.pubs_done >= run->npubs ||
				     (run->pub_end_ns && now >= run->pub_end_ns);
			if (ended) {
				tm->pub_stop_ns = now;
				drain_start = now;
				set_phase(run, BPH_DRAIN);
			}
			continue;
		}
		if (phase == BPH_DRAIN) {
			bool settled =
			    s.inflight == 0 && (o->mode != BENCH_RUN || s.unique >= s.expected);
			if (settled || now - drain_start >= o->drain_ns) {
				tm->drain_cut = !settled;
				set_phase(run, BPH_STOP);
			}
		}
	}
}

/* The workers' sums: histogram, bytes, sessions, targets, errors, TLS. */
static void report_workers(struct bench_run *run, struct bench_report *r)
{
	const struct bench_opts *o = &run->o;
	for (unsigned i = 0; i < run->nworkers; i++) {
		struct bench_worker *w = &run->workers[i];
		if (r->hist)
			bench_hist_merge(r->hist, w->hist);
		r->bytes_in += w->bytes_in;
		r->bytes_out += w->bytes_out;
		r->granted_downgrade += w->granted_downgrade;
		r->unconfirmed_qos0 += w->unconfirmed_qos0;
		r->pub_resent += w->pub_resent;
		r->disconnects += w->disconnects;
		r->sessions_resumed += w->sessions_resumed;
		r->sessions_lost += w->sessions_lost;
		r->coalesce_pauses += w->coalesce_pauses;
		r->coalesce_s += (double)w->coalesce_ns / 1e9;
		if (bench_msstat_join(&r->reconnect_ms, &w->reconnect_ms) < 0)
			bench_report_add_error(r, bench_err_name(BERR_NO_MEMORY), 1);
	}
	bench_msstat_sort(&r->reconnect_ms);
	for (unsigned t = 0; t < o->ntargets; t++) {
		uint64_t n = 0;
		for (unsigned i = 0; i < run->nworkers; i++)
			n += run->workers[i].conn_per_target[t];
		char key[ADDR_STRLEN];
		addr_format(&o->targets[t], key, sizeof(key));
		bench_report_add_target(r, key, n);
	}
	bench_report_collect_errors(r, run->workers, run->nworkers, o->version);
	if (o->tls)
		bench_tls_collect(r, run->workers, run->nworkers);
}

/* Durations and rates from the phase times; late messages of a cut drain. */
static void report_timing(const struct bench_run *run, const struct timing *tm, uint64_t conn_ok,
			  struct bench_report *r)
{
	const struct bench_opts *o = &run->o;
	uint64_t end = tm->stop_ns;
	if (tm->pub_start_ns) {
		uint64_t stop = tm->pub_stop_ns ? tm->pub_stop_ns : end;
		r->duration_s =
		    stop > tm->pub_start_ns ? (double)(stop - tm->pub_start_ns) / 1e9 : 0;
		double rx = end > tm->pub_start_ns ? (double)(end - tm->pub_start_ns) / 1e9 : 0;
		r->publish_rate = r->duration_s > 0 ? (double)r->t.published / r->duration_s : 0;
		r->receive_rate = rx > 0 ? (double)r->t.received / rx : 0;
	} else if (tm->connected_ns) {
		r->duration_s = (double)(end - tm->connected_ns) / 1e9;
		r->receive_rate = r->duration_s > 0 ? (double)r->t.received / r->duration_s : 0;
	}
	/* still arriving when the drain was cut: the missing ones are late */
	if (tm->drain_cut && o->mode == BENCH_RUN && r->t.lost && tm->last_arrival_ns &&
	    end - tm->last_arrival_ns <= LATE_WINDOW_NS) {
		r->late = r->t.lost;
		r->late_last_s = (double)(end - tm->last_arrival_ns) / 1e9;
	}
	r->drain_cut = tm->drain_cut;
	r->drain_s = (double)o->drain_ns / 1e9;
	r->payload_size = o->size;
	r->interval_us = o->pub_interval_ns / 1000;
	r->inflight = o->inflight;
	r->threads = run->nworkers;
	if (tm->connected_ns) {
		r->connect_s = (double)(tm->connected_ns - run->connect_start_ns) / 1e9;
		r->connect_rate = r->connect_s > 0 ? (double)conn_ok / r->connect_s : 0;
	}
}

static void fill_report(struct bench_run *run, const struct timing *tm, struct bench_report *r,
			struct bench_pub_acct **pubs, struct bench_sub_acct **subs)
{
	const struct bench_opts *o = &run->o;
	r->mode = bench_mode_name(o->mode);
	r->qos = o->qos;
	r->mqtt_version = o->version;
	r->hist = malloc(sizeof(*r->hist));
	if (r->hist)
		bench_hist_init(r->hist);
	struct sums s;
	sum_live(run, &s);
	r->connections_ok = s.conn_ok;
	r->connections_failed = run->nclients - s.conn_ok;
	r->reconnects = s.reconnects;
	report_workers(run, r);
	uint32_t np = 0, ns = 0;
	for (uint32_t k = 0; k < run->nclients; k++) {
		if (run->clients[k].pub)
			pubs[np++] = &run->clients[k].pub->acct;
		if (run->clients[k].sub)
			subs[ns++] = run->clients[k].sub;
	}
	bench_account(pubs, np, subs, ns, &r->t);
	if (o->mode == BENCH_SUB) {
		/* no publisher data here: figures per stream, as received */
		r->t.unique = r->t.unconfirmed;
		r->t.unconfirmed = 0;
		r->t.lost = 0;
		r->t.loss_ratio = 0;
	}
	r->pubs = pubs;
	r->subs = subs;
	r->npubs = np;
	r->nsubs = ns;
	r->raw_pubs = o->mode == BENCH_PUB;
	r->raw_subs = o->mode == BENCH_SUB;
	report_timing(run, tm, s.conn_ok, r);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		r->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
		r->cpu_sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	}
}

/* One worker (thread, event loop) per core or --threads, never more than
 * clients; clients dealt round robin; the publishers' state. 0, or -1 (said). */
static int setup_workers(struct bench_run *run)
{
	const struct bench_opts *o = &run->o;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	run->nworkers = o->threads ? o->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
	if (run->nworkers > run->nclients && run->nclients)
		run->nworkers = run->nclients;
	if (!run->nworkers)
		run->nworkers = 1;
	if (raise_nofile((uint64_t)run->nclients + 64 + 4 * run->nworkers) < 0)
		return -1;
	run->workers = calloc(run->nworkers, sizeof(*run->workers));
	if (!run->workers)
		return -1;
	for (unsigned i = 0; i < run->nworkers; i++) {
		struct bench_worker *w = &run->workers[i];
		w->run = run;
		w->clients = calloc(run->nclients / run->nworkers + 1, sizeof(*w->clients));
		if (!w->clients)
			return -1;
	}
	for (uint32_t k = 0; k < run->nclients; k++) {
		struct bench_worker *w = &run->workers[k % run->nworkers];
		run->clients[k].w = w;
		w->clients[w->nclients++] = &run->clients[k];
	}
	for (uint32_t k = 0; k < run->nclients; k++)
		if (run->clients[k].role == BROLE_PUB &&
		    bench_client_init_pub(&run->clients[k]) < 0)
			return -1;
	if (o->mode == BENCH_RUN)
		count_matching(run);
	for (unsigned i = 0; i < run->nworkers; i++)
		if (bench_worker_init(&run->workers[i], run, i) < 0) {
			fprintf(stderr, "mqlb: bench: %s\n", strerror(errno ? errno : ENOMEM));
			return -1;
		}
	return 0;
}

/* The run itself: signals to the signalfd, the workers started, the phases
 * driven until the stop, the workers joined. 0, or -1 (said). */
static int run_phases(struct bench_run *run, FILE *csv, struct timing *tm)
{
	sigset_t old_mask;
	pthread_sigmask(SIG_SETMASK, NULL, &old_mask);
	int sfd = sigfd_open(bench_sigs, sizeof(bench_sigs) / sizeof(bench_sigs[0]));
	if (sfd < 0) {
		fprintf(stderr, "mqlb: bench: signalfd: %s\n", strerror(-sfd));
		return -1;
	}
	run->mono0_ns = time_mono_ns();
	run->real0_ns = time_real_ns();
	run->connect_start_ns = run->mono0_ns + 10 * NS_PER_MS;
	unsigned started = 0;
	for (; started < run->nworkers; started++)
		if (bench_worker_start(&run->workers[started]) < 0)
			break;
	if (started == run->nworkers)
		drive(run, tm, csv, sfd);
	set_phase(run, BPH_STOP);
	if (!tm->stop_ns)
		tm->stop_ns = time_mono_ns();
	for (unsigned i = 0; i < started; i++)
		pthread_join(run->workers[i].thread, NULL);
	signals_close(sfd, &old_mask);
	if (started != run->nworkers) {
		fprintf(stderr, "mqlb: bench: cannot start threads\n");
		return -1;
	}
	return 0;
}

static int run_bench(struct bench_run *run)
{
	struct bench_opts *o = &run->o;
	int rc = CLI_FAIL;
	FILE *csv = NULL;
	struct bench_pub_acct **pubs = NULL;
	struct bench_sub_acct **subs = NULL;
	struct bench_report rep;
	bench_report_init(&rep);
	char prefix[64];
	if (!o->prefix) {
		snprintf(prefix, sizeof(prefix), "mqlb%d", (int)getpid());
		run->prefix = prefix;
	} else {
		run->prefix = o->prefix;
	}
	run->hdr_flags = o->mode == BENCH_RUN ? BENCH_FLAG_MONO : 0;
	int r = setup_clients(run);
	if (r < 0) {
		fprintf(stderr, "mqlb: bench: setting up clients: %s\n", strerror(-r));
		goto out;
	}
	if (setup_workers(run) < 0)
		goto out;
	if (o->csv_path) {
		csv = fopen(o->csv_path, "w");
		if (!csv) {
			fprintf(stderr, "mqlb: bench: --csv %s: %s\n", o->csv_path,
				strerror(errno));
			goto out;
		}
		fprintf(csv, "t_s,phase,connected,published,acked,received,unique,expected,"
			     "pub_rate,recv_rate,inflight,lost_so_far,errors,unix_ms\n");
	}
	struct timing tm = {0};
	if (run_phases(run, csv, &tm) < 0)
		goto out;
	pubs = calloc(run->npubs + 1, sizeof(*pubs));
	subs = calloc(run->nsubs + 1, sizeof(*subs));
	if (!pubs || !subs)
		goto out;
	fill_report(run, &tm, &rep, pubs, subs);
	rep.rss_bytes = rss_bytes();
	bench_report_human(&rep, stdout);
	fflush(stdout);
	if (o->json_path && (r = bench_report_json(&rep, o->json_path)) < 0) {
		fprintf(stderr, "mqlb: bench: --json %s: %s\n", o->json_path, strerror(-r));
		goto out;
	}
	rc = CLI_OK;
	if (run->nclients && !rep.connections_ok) {
		fprintf(stderr, "mqlb: bench: no client could connect (see the errors above)\n");
		rc = CLI_FAIL;
	}
	for (unsigned i = 0; i < run->nworkers; i++)
		if (run->workers[i].exit_err)
			rc = CLI_FAIL;
out:
	if (csv)
		fclose(csv);
	bench_report_free(&rep);
	free(pubs);
	free(subs);
	if (run->workers)
		for (unsigned i = 0; i < run->nworkers; i++)
			bench_worker_free(&run->workers[i]);
	free(run->workers);
	if (run->clients)
		for (uint32_t k = 0; k < run->nclients; k++)
			bench_client_free(&run->clients[k]);
	free(run->clients);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	int mode = bench_mode_parse(argv[1]);
	if (mode < 0)
		return cli_usage_error(
		    "bench", "bench: unknown mode '%s' (conn, sub, pub, run, merge)", argv[1]);
	struct bench_run *run = calloc(1, sizeof(*run));
	if (!run)
		return CLI_FAIL;
	bench_opts_defaults(&run->o, (enum bench_mode)mode);
	char err[256];
	int r = bench_opts_parse(&run->o, argc - 1, argv + 1, err, sizeof(err));
	int rc;
	if (r == 1) {
		bench_usage(stdout);
		rc = CLI_OK;
	} else if (r < 0) {
		rc = cli_usage_error("bench", "bench %s: %s", argv[1], err);
	} else if (mode == BENCH_MERGE) {
		rc = bench_merge(&run->o);
	} else if (bench_tls_ctx_new(run, err, sizeof(err)) < 0) {
		rc = cli_usage_error("bench", "bench %s: %s", argv[1], err);
	} else {
		rc = run_bench(run);
		bench_tls_ctx_free(run);
	}
	free(run);
	return rc;
}
