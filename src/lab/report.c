/* report.c — report.md from an --out DIR's data alone (summary.csv, the run
 * folders, lab.json): the table per topology x QoS, the plots, and the
 * comparison with the study (reference/thesis.md: ~25 % lost centralized,
 * ~14 % distributed) with the evidence of where our messages were lost. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "lab/lab.h"
#include "lab/points.h"
#include "lab/series.h"

static const char *const cpu_words[] = {"cpu", NULL};
static const char *const cpu_avoid[] = {"limit", "max", "quota", NULL};
static const char *const drop_words[] = {"dropped", NULL};
static const char *const drop_avoid[] = {"1min", "5min", "15min", "load", NULL};
static const char *const rss_words[] = {"rss", NULL};
static const char *const pid_words[] = {"pid", NULL};
static const char *const alive_words[] = {"alive", NULL};
static const char *const store_words[] = {"store", "messages", NULL};
static const char *const store_avoid[] = {"bytes", NULL};

/* Index of broker name in ev (the CPU series named them), or -1. */
static int ev_broker(const struct lab_run_evidence *ev, const char *name)
{
	for (unsigned i = 0; i < ev->n_brokers; i++)
		if (strcmp(ev->broker_name[i], name) == 0)
			return (int)i;
	return -1;
}

/* Health verdicts from director.csv: the monitor writes one row per backend
 * per director per sample, a sample's rows together. A director whose every
 * backend is unhealthy in a sample counts the time to its next sample. */
static void evidence_directors(const char *path, struct lab_run_evidence *ev)
{
	struct lab_csv c;
	if (lab_csv_load(path, &c) < 0)
		return;
	int c_el = lab_csv_col(&c, "elapsed_s"), c_dir = lab_csv_col(&c, "director");
	int c_eff = lab_csv_col(&c, "effective_weight"), c_ok = lab_csv_col(&c, "healthy");
	/* the monitor writes a row with empty fields and an error for a director
	 * that did not answer (killed, hung): that is no verdict, not "all down" */
	int c_err = lab_csv_col(&c, "error");
	enum { MAX_DIRS = 8 };
	const char *name[MAX_DIRS];
	double last_t[MAX_DIRS], down_s[MAX_DIRS];
	int last_down[MAX_DIRS], nd = 0;
	if (c_el < 0 || c_dir < 0 || c_eff < 0 || c_ok < 0) {
		lab_csv_free(&c);
		return;
	}
	ev->have_dir = 1;
	for (unsigned r = 1; r < c.n_rows;) {
		const char *dn = lab_csv_get(&c, r, c_dir), *el = lab_csv_get(&c, r, c_el);
		int all_down = 1, open = 0;
		unsigned g = r;
		for (; g < c.n_rows && strcmp(lab_csv_get(&c, g, c_dir), dn) == 0 &&
		       strcmp(lab_csv_get(&c, g, c_el), el) == 0;
		     g++) {
			if (c_err >= 0 && lab_csv_get(&c, g, c_err)[0])
				all_down = 0;
			all_down &= atoi(lab_csv_get(&c, g, c_ok)) == 0;
			open |= atoi(lab_csv_get(&c, g, c_eff)) > 0;
		}
		double t = atof(el);
		int d = 0;
		while (d < nd && strcmp(name[d], dn) != 0)
			d++;
		if (d == nd && nd < MAX_DIRS) {
			name[nd] = dn, down_s[nd] = 0, last_down[nd] = 0, last_t[nd] = t;
			nd++;
		}
		if (d < nd) {
			if (last_down[d] && t > last_t[d])
				down_s[d] += t - last_t[d];
			last_down[d] = all_down;
			last_t[d] = t;
			if (all_down && open)
				ev->failed_open = 1;
			if (down_s[d] > ev->all_down_s)
				ev->all_down_s = down_s[d];
		}
		r = g; /* g > r: row r is in its own group */
	}
	lab_csv_free(&c);
}

/* Peak RSS and process changes per broker from brokers.csv: a pid that changes
 * between samples, or alive going 1 -> 0, is a broker that died (e.g. killed
 * at its cgroup memory limit). */
static void evidence_procs(const char *path, struct lab_run_evidence *ev)
{
	struct lab_series_set set;
	if (lab_series_load(path, rss_words, NULL, &set) > 0) {
		ev->have_rss = 1;
		for (unsigned i = 0; i < set.n; i++) {
			int b = ev_broker(ev, set.s[i].name);
			if (b >= 0)
				ev->peak_rss[b] = lab_series_max(&set.s[i]);
		}
		lab_series_free(&set);
	}
	if (lab_series_load(path, pid_words, NULL, &set) > 0) {
		for (unsigned i = 0; i < set.n; i++) {
			int b = ev_broker(ev, set.s[i].name);
			for (unsigned k = 1; b >= 0 && k < set.s[i].n; k++)
				if (set.s[i].v[k] != set.s[i].v[k - 1])
					ev->restarts[b]++;
		}
		lab_series_free(&set);
	}
	if (lab_series_load(path, alive_words, NULL, &set) > 0) {
		for (unsigned i = 0; i < set.n; i++) {
			int b = ev_broker(ev, set.s[i].name);
			unsigned deaths = 0;
			for (unsigned k = 1; b >= 0 && k < set.s[i].n; k++)
				if (set.s[i].v[k] == 0 && set.s[i].v[k - 1] != 0)
					deaths++;
			if (b >= 0 && deaths > ev->restarts[b])
				ev->restarts[b] = deaths;
		}
		lab_series_free(&set);
	}
}

static void write_generator(FILE *f, const char *dir, const struct lab_row *rows, int n);

/* The generator's CPU: every bench process of the run (sub and pub, each
 * client host) reports its own getrusage in its JSON. */
static void evidence_generator(const char *dir, const char *run, struct lab_run_evidence *ev)
{
	static const char *const kinds[] = {"sub", "pub"};
	for (int k = 0; k < 2; k++)
		for (int h = 1; h <= 4; h++) {
			char path[1400];
			double u, s, d;
			snprintf(path, sizeof(path), "%s/%s/%s-client%d.json", dir, run, kinds[k],
				 h);
			char *text = lab_read_file(path, NULL);
			if (!text)
				continue;
			if (lab_json_num(text, "cpu_user_s", &u) == 0 &&
			    lab_json_num(text, "cpu_sys_s", &s) == 0) {
				ev->have_gen = 1;
				ev->gen_cpu_s += u + s;
				if (lab_json_num(text, "duration_s", &d) == 0 && d > ev->gen_wall_s)
					ev->gen_wall_s = d;
			}
			free(text);
		}
}

void lab_run_evidence(const char *dir, const struct lab_row *r, struct lab_run_evidence *ev)
{
	char run[128], path[1024];
	struct lab_series_set set;
	memset(ev, 0, sizeof(*ev));
	lab_run_dirname(r, run, sizeof(run));

	snprintf(path, sizeof(path), "%s/%s/monitor/brokers.csv", dir, run);
	if (lab_series_load(path, cpu_words, cpu_avoid, &set) > 0) {
		ev->have_cpu = 1;
		for (unsigned i = 0; i < set.n && i < LAB_MAX_BROKERS; i++) {
			snprintf(ev->broker_name[i], sizeof(ev->broker_name[i]), "%s",
				 set.s[i].name);
			ev->peak_cpu[i] = lab_series_max(&set.s[i]);
		}
		ev->n_brokers = set.n < LAB_MAX_BROKERS ? set.n : LAB_MAX_BROKERS;
		lab_series_free(&set);
		evidence_procs(path, ev);
	}
	snprintf(path, sizeof(path), "%s/%s/monitor/director.csv", dir, run);
	evidence_directors(path, ev);
	evidence_generator(dir, run, ev);
	snprintf(path, sizeof(path), "%s/%s/monitor/sys.csv", dir, run);
	if (lab_series_load(path, drop_words, drop_avoid, &set) > 0) {
		ev->have_sys = 1;
		for (unsigned i = 0; i < set.n && i < LAB_MAX_BROKERS; i++) {
			if (!ev->have_cpu || i >= ev->n_brokers)
				snprintf(ev->broker_name[i], sizeof(ev->broker_name[i]), "%s",
					 set.s[i].name);
			ev->dropped[i] = (uint64_t)llround(lab_series_delta(&set.s[i]));
		}
		if (set.n > ev->n_brokers)
			ev->n_brokers = set.n < LAB_MAX_BROKERS ? set.n : LAB_MAX_BROKERS;
		lab_series_free(&set);
	}
	/* messages the brokers still held: the first sample is the baseline
	 * ($SYS and retained messages), the last one is after the drain */
	if (lab_series_load(path, store_words, store_avoid, &set) > 0) {
		ev->have_store = 1;
		for (unsigned i = 0; i < set.n; i++) {
			int b = ev_broker(ev, set.s[i].name);
			if (b < 0 || !set.s[i].n)
				continue;
			ev->stored_first[b] = (uint64_t)llround(set.s[i].v[0]);
			ev->stored_last[b] = (uint64_t)llround(set.s[i].v[set.s[i].n - 1]);
		}
		lab_series_free(&set);
	}
}

/* Short label of a broker for tables: "broker1" stays, a long column header
 * ("broker1_cpu_pct") is cut at its first '_'. */
static const char *short_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s", name);
	char *u = strchr(buf, '_');
	if (u && u != buf)
		*u = '\0';
	return buf;
}

static void conns_str(const struct lab_row *r, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned b = 0; b < r->n_brokers; b++) {
		char one[32];
		snprintf(one, sizeof(one), "%s%" PRIu64, b ? " / " : "", r->conns[b]);
		strncat(buf, one, len - strlen(buf) - 1);
	}
	if (!buf[0])
		snprintf(buf, len, "—");
}

static uint64_t clients(const struct lab_row *r)
{
	return r->publishers + r->subscribers;
}

/* The topology of a row in the per-run tables: "distributed", or
 * "distributed #2" when the folder holds repeats (several > 1 set). */
static const char *run_label(const struct lab_row *r, int several, char *buf, size_t len)
{
	if (several)
		snprintf(buf, len, "%s #%u", r->topology, r->repeat ? r->repeat : 1);
	else
		snprintf(buf, len, "%s", r->topology);
	return buf;
}

static int has_repeats(const struct lab_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		if (rows[i].repeat > 1)
			return 1;
	return 0;
}

static void meta(const char *json, const char *key, char *out, size_t len, const char *dflt)
{
	if (!json || lab_json_get(json, key, out, len) < 0)
		snprintf(out, len, "%s", dflt);
}

static void write_table(FILE *f, const char *dir, const struct lab_row *rows, int n)
{
	int several = has_repeats(rows, n);
	fprintf(f, "| clients | topology | QoS | published | expected | unique | lost | loss %% "
		   "| duplicates | p50 µs | p99 µs | connections per broker | Jain | peak broker "
		   "CPU %% |\n");
	fprintf(f, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		const struct lab_row *r = &rows[i];
		struct lab_run_evidence ev;
		char conns[256], cpu[96] = "—", lbl[48];
		lab_run_evidence(dir, r, &ev);
		conns_str(r, conns, sizeof(conns));
		if (ev.have_cpu && ev.n_brokers) {
			unsigned best = 0;
			for (unsigned b = 1; b < ev.n_brokers; b++)
				if (ev.peak_cpu[b] > ev.peak_cpu[best])
					best = b;
			char nm[64];
			snprintf(cpu, sizeof(cpu), "%.1f (%s)", ev.peak_cpu[best],
				 short_name(ev.broker_name[best], nm, sizeof(nm)));
		}
		fprintf(f,
			"| %" PRIu64 " | %s | %d | %" PRIu64 " | %" PRIu64 " | %" PRIu64
			" | %" PRIu64 " | %.2f | %" PRIu64 " | %" PRIu64 " | %" PRIu64
			" | %s | %.3f | %s |\n",
			clients(r), run_label(r, several, lbl, sizeof(lbl)), r->qos, r->published,
			r->expected, r->unique, r->lost, 100 * r->loss_ratio, r->duplicates,
			r->p50_us, r->p99_us, conns, r->jain_index, cpu);
	}
}

/* The study's headline per topology (thesis.md), or < 0 when it had none. */
static double study_loss(const char *topology)
{
	if (strcmp(topology, "centralized") == 0)
		return 25;
	if (strcmp(topology, "distributed") == 0)
		return 14;
	return -1;
}

static void write_study(FILE *f, const struct lab_row *rows, int n)
{
	uint64_t top = 0;
	for (int i = 0; i < n; i++)
		if (clients(&rows[i]) > top)
			top = clients(&rows[i]);
	fprintf(f, "## Against the study\n\n");
	fprintf(f,
		"The study (3 Mosquitto brokers of 0.25 CPU behind IPVS, up to 480 clients, "
		"bursts of 6,000 messages, QoS 0/1/2) reports about **25 %%** of messages lost "
		"with one central director and about **14 %%** with two distributed ones; it "
		"publishes no per-QoS table. Ours at %" PRIu64 " clients, pooled over the QoS "
		"levels run (lost / expected over every run; per QoS the mean over the runs):\n\n",
		top);
	fprintf(f, "| topology | study loss %% | our loss %% | QoS 0 | QoS 1 | QoS 2 | "
		   "mean Jain |\n|---|---:|---:|---:|---:|---:|---:|\n");
	const char *seen[16];
	unsigned n_seen = 0;
	for (int i = 0; i < n; i++) {
		const char *t = rows[i].topology;
		int dup = 0;
		for (unsigned k = 0; k < n_seen; k++)
			dup |= strcmp(seen[k], t) == 0;
		if (dup || n_seen == 16)
			continue;
		seen[n_seen++] = t;
		uint64_t lost = 0, exp = 0;
		double per_q[3] = {0, 0, 0}, jain = 0;
		unsigned nj = 0, nq[3] = {0, 0, 0};
		for (int j = 0; j < n; j++) {
			const struct lab_row *r = &rows[j];
			if (strcmp(r->topology, t) != 0 || clients(r) != top)
				continue;
			lost += r->lost;
			exp += r->expected;
			per_q[r->qos] += 100 * r->loss_ratio; /* mean over the repeats */
			nq[r->qos]++;
			jain += r->jain_index;
			nj++;
		}
		char study[16] = "—", q[3][16];
		if (study_loss(t) >= 0)
			snprintf(study, sizeof(study), "~%.0f", study_loss(t));
		for (int k = 0; k < 3; k++) {
			if (!nq[k])
				snprintf(q[k], sizeof(q[k]), "—");
			else
				snprintf(q[k], sizeof(q[k]), "%.2f", per_q[k] / nq[k]);
		}
		fprintf(f, "| %s | %s | %.2f | %s | %s | %s | %.3f |\n", t, study,
			100 * lab_loss_ratio(lost, exp), q[0], q[1], q[2], nj ? jain / nj : 0);
	}
	fprintf(f, "\n");
}

/* Where to go from a lossy run: the search answers "what loses nothing". */
static void write_next(FILE *f, const struct lab_row *rows, int n)
{
	int seen[3] = {0, 0, 0}, lv[3], n_lv = 0;
	for (int i = 0; i < n; i++)
		if (rows[i].lost > 0 && rows[i].qos >= 0 && rows[i].qos <= 2)
			seen[rows[i].qos] = 1;
	for (int q = 0; q < 3; q++)
		if (seen[q])
			lv[n_lv++] = q;
	if (!n_lv)
		return;
	char lossy[32];
	if (n_lv == 1)
		snprintf(lossy, sizeof(lossy), "%d", lv[0]);
	else if (n_lv == 2)
		snprintf(lossy, sizeof(lossy), "%d and %d", lv[0], lv[1]);
	else
		snprintf(lossy, sizeof(lossy), "%d, %d and %d", lv[0], lv[1], lv[2]);
	fprintf(f,
		"## Setups that lose nothing\n\n"
		"Messages were lost at QoS %s. `mqlb lab search` runs a fixed list of cluster "
		"setups (queue and in-flight limits, memory, CPU, mesh, proxy topologies, QoS 1 "
		"bridges) at the headline load and says which lose nothing, from the same kind of "
		"evidence (mqlb-lab(1), SEARCH).\n\n",
		lossy);
}

static void write_evidence(FILE *f, const char *dir, const struct lab_row *rows, int n)
{
	fprintf(f, "## Where the messages were lost\n\n");
	fprintf(f,
		"Mosquitto drops a message for a client (bridges are clients too) when that "
		"client's queue is full and counts it in `$SYS/broker/publish/messages/dropped`. "
		"Per run: the rise of that counter on each broker (monitor sys.csv), the hub's "
		"(broker 1, which relays every message between spokes) share of all drops, and "
		"how the directors spread the connections. One message dropped on a bridge "
		"becomes many lost deliveries (one per subscriber behind it), so drops and lost "
		"deliveries are different units. \"All down\" is the longest time one director "
		"saw every broker fail its MQTT health probe (monitor director.csv; a busy broker "
		"answers CONNECT late): a client connecting then is refused, unless the "
		"director fails open (\"open\"), as mqlb's does by default.\n\n");
	fprintf(f, "| clients | topology | QoS | dropped per broker | hub share %% | lost "
		   "deliveries | connections per broker | all down s |\n"
		   "|---:|---|---:|---|---:|---:|---|---:|\n");
	uint64_t hub_total = 0, all_total = 0;
	int any = 0;
	char undropped[1024] = ""; /* runs that lost deliveries the brokers never dropped */
	int several = has_repeats(rows, n);
	for (int i = 0; i < n; i++) {
		const struct lab_row *r = &rows[i];
		struct lab_run_evidence ev;
		char drops[256] = "—", share[16] = "—", conns[256], lbl[48];
		lab_run_evidence(dir, r, &ev);
		conns_str(r, conns, sizeof(conns));
		if (ev.have_sys) {
			uint64_t tot = 0;
			drops[0] = '\0';
			for (unsigned b = 0; b < ev.n_brokers; b++) {
				char one[160], nm[64];
				snprintf(one, sizeof(one), "%s%s %" PRIu64, b ? ", " : "",
					 short_name(ev.broker_name[b], nm, sizeof(nm)),
					 ev.dropped[b]);
				strncat(drops, one, sizeof(drops) - strlen(drops) - 1);
				tot += ev.dropped[b];
			}
			if (tot) {
				snprintf(share, sizeof(share), "%.1f",
					 100.0 * (double)ev.dropped[0] / (double)tot);
			}
			if (tot == 0 && r->lost > 0) {
				char one[96];
				snprintf(one, sizeof(one), "%s%s QoS %d (%" PRIu64 " clients)",
					 undropped[0] ? ", " : "",
					 run_label(r, several, lbl, sizeof(lbl)), r->qos,
					 clients(r));
				strncat(undropped, one, sizeof(undropped) - strlen(undropped) - 1);
			}
			hub_total += ev.n_brokers ? ev.dropped[0] : 0;
			all_total += tot;
			any = 1;
		}
		char down[32] = "—";
		if (ev.have_dir)
			snprintf(down, sizeof(down), "%.1f%s", ev.all_down_s,
				 ev.failed_open ? " (open)" : "");
		fprintf(f, "| %" PRIu64 " | %s | %d | %s | %s | %" PRIu64 " | %s | %s |\n",
			clients(r), run_label(r, several, lbl, sizeof(lbl)), r->qos, drops, share,
			r->lost, conns, down);
	}
	fprintf(f, "\n");
	if (!any) {
		fprintf(f, "No monitor `sys.csv` was found in the run folders, so the brokers' own "
			   "drop counts are not shown.\n\n");
		return;
	}
	if (undropped[0])
		fprintf(f,
			"Lost although no broker counted a drop: %s. Those deliveries were not "
			"refused by a full queue; look at the run's subscriber logs (gaps between "
			"their once-a-second progress lines mean the process, or the machine, "
			"stalled), the brokers' logs and monitor/brokers.csv.\n\n",
			undropped);
	if (all_total)
		fprintf(f,
			"Over all runs the brokers dropped %" PRIu64 " messages; %.1f %% of them "
			"on the hub.\n\n",
			all_total, 100.0 * (double)hub_total / (double)all_total);
	else
		fprintf(f, "No broker dropped a message in any run (`$SYS` dropped did not rise); "
			   "any loss above happened elsewhere (client queues or sockets).\n\n");
}

/* Dataplane/scheduler per topology, once each ("distributed nft/rr, ..."). */
static void write_directors(FILE *f, const struct lab_row *rows, int n)
{
	if (n == 0)
		return;
	fprintf(f, " Directors:");
	for (int i = 0; i < n; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(rows[j].topology, rows[i].topology) == 0;
		if (!seen)
			fprintf(f, "%s %s **%s/%s**", i ? "," : "", rows[i].topology,
				rows[i].dataplane, rows[i].scheduler);
	}
	fprintf(f, ".");
}

/* 1 when the run folder holds bench merges per (subscriber host, publisher
 * host) pair rather than one merge of all files. */
static int pairwise_merges(const char *dir, const struct lab_row *r)
{
	char run[128], path[1200];
	struct stat st;
	lab_run_dirname(r, run, sizeof(run));
	snprintf(path, sizeof(path), "%s/%s/merged-s1-p1.json", dir, run);
	return stat(path, &st) == 0;
}

/* How much CPU the load generator took from the machine the brokers share. */
static void write_generator(FILE *f, const char *dir, const struct lab_row *rows, int n)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int several = has_repeats(rows, n), any = 0;
	if (ncpu < 1)
		ncpu = 1;
	for (int i = 0; i < n; i++) {
		struct lab_run_evidence ev;
		char lbl[48], run[128];
		/* only the bench files: write_evidence already read the monitor's */
		memset(&ev, 0, sizeof(ev));
		lab_run_dirname(&rows[i], run, sizeof(run));
		evidence_generator(dir, run, &ev);
		if (!ev.have_gen || ev.gen_wall_s <= 0)
			continue;
		if (!any)
			fprintf(
			    f,
			    "## What the load generator took\n\n"
			    "The bench processes (subscribers and publishers of both client "
			    "hosts) share the machine with the brokers and directors; every "
			    "CPU-second they spend is one the brokers do not get. CPU from each "
			    "process's own getrusage (bench JSON `cpu_user_s` + `cpu_sys_s`), "
			    "as a share of this machine's %ld cores over the longest process's "
			    "run time.\n\n"
			    "| clients | topology | QoS | bench CPU s | run s | share of the "
			    "machine %% |\n|---:|---|---:|---:|---:|---:|\n",
			    ncpu);
		any = 1;
		fprintf(f, "| %" PRIu64 " | %s | %d | %.2f | %.1f | %.1f |\n", clients(&rows[i]),
			run_label(&rows[i], several, lbl, sizeof(lbl)), rows[i].qos, ev.gen_cpu_s,
			ev.gen_wall_s, 100.0 * ev.gen_cpu_s / (ev.gen_wall_s * (double)ncpu));
	}
	if (any)
		fprintf(f, "\n");
}

int lab_report(const char *dir)
{
	char path[1024], tmp[1040];
	struct lab_row *rows = NULL;
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	int n = lab_summary_read(path, &rows);
	if (n < 0) {
		log_error("lab report: cannot read %s: %s", path,
			  n == -EINVAL ? "not a summary.csv (header or a row does not parse)"
				       : strerror(-n));
		return n;
	}
	snprintf(path, sizeof(path), "%s/lab.json", dir);
	char *lj = lab_read_file(path, NULL);
	char started[64], machine[256], hosts[512], sched_note[512];
	meta(lj, "started", started, sizeof(started), "unknown date");
	meta(lj, "machine", machine, sizeof(machine), "unknown machine");
	meta(lj, "hosts", hosts, sizeof(hosts), "unknown");
	meta(lj, "scheduler_note", sched_note, sizeof(sched_note), "");
	char setup[128], cflags[512];
	meta(lj, "setup", setup, sizeof(setup), "");
	meta(lj, "cluster_flags", cflags, sizeof(cflags), "");
	if (!setup[0] && n > 0 && rows[0].setup[0])
		snprintf(setup, sizeof(setup), "%s", rows[0].setup);

	int plots = lab_plots(dir, rows, n);

	snprintf(path, sizeof(path), "%s/report.md", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		int e = -errno;
		log_error("lab report: %s: %s", tmp, strerror(-e));
		free(rows);
		free(lj);
		return e;
	}
	fprintf(f, "# mqlb lab report\n\n");
	fprintf(f, "Run %s on %s. Hosts: %s.", started, machine, hosts);
	if (setup[0])
		fprintf(f, " Cluster setup: **%s**%s%s%s.", setup,
			cflags[0] ? " (`mqlb cluster up " : "", cflags,
			cflags[0] ? "` after the profile)" : "");
	write_directors(f, rows, n);
	if (sched_note[0])
		fprintf(f, " %s", sched_note);
	fprintf(f,
		"\n\nEvery figure is counted, not estimated: expected = messages published "
		"(QoS 0 written, QoS 1/2 acknowledged) x subscribers SUBACKed before publishing; "
		"unique = distinct (publisher, sequence) received per subscriber; lost = "
		"expected - unique after the drain; loss %% = lost / expected. Jain's index is "
		"over the connections per broker (1 = perfectly even, 1/3 = all on one).\n\n");
	if (n > 0 && pairwise_merges(dir, &rows[0]))
		fprintf(f,
			"Latency percentiles are those of the worse of the two client hosts "
			"(each host's subscribers were merged with `mqlb bench merge` separately; "
			"percentiles do not add up, the counts above do).\n\n");
	fprintf(f, "## Summary\n\n");
	if (n == 0)
		fprintf(f, "summary.csv holds no runs.\n\n");
	else
		lab_write_points(f, rows, n);
	if (n > 0) {
		fprintf(f, "## Every run\n\n");
		write_table(f, dir, rows, n);
		fprintf(f, "\n");
		lab_write_compare(f, rows, n);
		write_study(f, rows, n);
		write_evidence(f, dir, rows, n);
		write_generator(f, dir, rows, n);
		write_next(f, rows, n);
	}
	fprintf(f, "## Plots\n\n");
	if (plots < 0) {
		fprintf(f,
			"The plots could not be drawn (%s); install gnuplot-nox "
			"(scripts/install-deps) and run `mqlb lab report %s`.\n\n",
			strerror(-plots), dir);
	} else {
		static const char *const names[][2] = {
		    {"loss", "Loss % by topology and QoS (mean, 95 % CI as error bars)"},
		    {"repeats", "Loss % of every run"},
		    {"conns", "Connections per broker"},
		    {"cpu", "Broker CPU over time"},
		    {"rate", "Delivery rate over time"},
		    {"latency", "Latency percentiles"},
		};
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char png[1100];
			snprintf(png, sizeof(png), "%s/plots/%s.png", dir, names[i][0]);
			struct stat st;
			if (stat(png, &st) == 0)
				fprintf(f,
					"### %s\n\n![%s](plots/%s.png) ([SVG](plots/%s.svg))\n\n",
					names[i][1], names[i][1], names[i][0], names[i][0]);
		}
	}
	fprintf(f,
		"## Files\n\n`summary.csv` (one row per run, its repeat in the last column), one "
		"folder per run (`<topology>-c<clients>-q<qos>/`, `-r<k>` for repeat k >= 2: bench "
		"JSON and per-second CSV, monitor CSVs, "
		"director status), `plots/` (PNG, SVG, the gnuplot script and its data). "
		"`mqlb lab report %s` rebuilds this page from them.\n",
		dir);
	int ret = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) == -1)
		ret = -errno;
	if (ret < 0)
		log_error("lab report: writing %s: %s", path, strerror(-ret));
	free(rows);
	free(lj);
	return ret;
}
