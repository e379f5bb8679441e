/* search.c — `mqlb lab search`: after reproducing the study, find cluster
 * setups that lose nothing. At the headline load it runs a fixed list of
 * setups (one knob at a time against the thesis profile, then a combination),
 * each as a complete lab folder DIR/<setup>/, and writes DIR/search.csv and
 * DIR/search.md: per setup and QoS the loss, duplicates, p99, peak broker CPU
 * and RSS, $SYS dropped, and a clause on why it lost or did not, read from the
 * evidence (the brokers' own dropped counters, RSS against the memory limit,
 * CPU against its limit, brokers that died). Nothing is estimated.
 *
 * A subcommand of its own rather than `lab run --search`: its output files,
 * defaults (QoS 1 and 2, one topology per setup) and options (--setups,
 * --first) differ from a run's, and the cluster flags of `lab run` would be
 * ambiguous next to the setups' own. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/time.h"
#include "lab/inventory.h"
#include "lab/run.h"
#include "lab/spawn.h"

/* The list, in the order it runs: the baseline, single knobs, topologies,
 * then the combination of the knobs that address the evidence of the
 * headline run (queue limits first). Changing it changes the documented
 * search: keep docs/mqlb-lab.1 and docs/readme/lab.md in step. */
static const struct lab_setup setups[] = {
    {"thesis",
     "the study's: star, 0.25 CPU, 128M, Mosquitto's queue 1000 + inflight 20",
     -1,
     {{NULL, NULL}}},
    {"queue-unlimited",
     "max_queued_messages 0 (no per-client queue limit), memory kept at 128M",
     -1,
     {{"--max-queued", "0"}, {NULL, NULL}}},
    {"inflight-unlimited",
     "max_inflight_messages 0 (no in-flight window), queue limit kept",
     -1,
     {{"--max-inflight", "0"}, {NULL, NULL}}},
    {"memory-512M", "512M per broker, queue limits kept", -1, {{"--memory", "512M"}, {NULL, NULL}}},
    {"cpu-unlimited",
     "no CPU limit (the brokers share this machine's cores)",
     -1,
     {{"--cpus", "0"}, {NULL, NULL}}},
    {"mesh",
     "bridges broker to broker, no hub (subscribers also take $mesh/+/T)",
     -1,
     {{"--bridge", "mesh"}, {NULL, NULL}}},
    {"distributed-shared",
     "two proxy directors sharing connection counts (lc), thesis cluster",
     LAB_TOPO_SHARED,
     {{NULL, NULL}}},
    {"clientid",
     "two proxy directors, Maglev on the ClientID, thesis cluster",
     LAB_TOPO_CLIENTID,
     {{NULL, NULL}}},
    {"combined",
     "no queue limit, 512M, no CPU limit together",
     -1,
     {{"--max-queued", "0"}, {"--memory", "512M"}, {"--cpus", "0"}, {NULL, NULL}}},
    /* Mosquitto 2.0.11 leaks its in-flight window for queued messages and
     * then reads the QoS 2 acknowledgements one per socket per loop pass:
     * without a window nothing is queued behind a PUBCOMP
     * (tests/integration/qos2_stall.sh, bench/qos2_stall.sh). */
    {"unlimited",
     "combined + max_inflight_messages 0 (no queue limit, no in-flight window)",
     -1,
     {{"--max-queued", "0"},
      {"--max-inflight", "0"},
      {"--memory", "512M"},
      {"--cpus", "0"},
      {NULL, NULL}}},
    /* QoS 2 through the bridges stalls even then (the hub's bridge sockets
     * held 245-261 KB unread): a QoS 1 bridge needs half the packets per
     * message (PUBLISH + PUBACK), and QoS 1 never stalled. It gives up exactly-once
     * across a bridge reconnect (cluster(1) --bridge-qos). */
    {"unlimited-bridge-qos1",
     "unlimited + QoS 1 bridges (topic # both 1)",
     -1,
     {{"--max-queued", "0"},
      {"--max-inflight", "0"},
      {"--memory", "512M"},
      {"--cpus", "0"},
      {"--bridge-qos", "1"},
      {NULL, NULL}}},
};
#define N_SETUPS ((int)(sizeof(setups) / sizeof(setups[0])))

const struct lab_setup *lab_setups(int *n)
{
	*n = N_SETUPS;
	return setups;
}

static void known_names(char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < N_SETUPS; i++) {
		strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
		strncat(buf, setups[i].name, len - strlen(buf) - 1);
	}
}

int lab_setups_pick(const char *list, int *idx, int cap, char *err, size_t errlen)
{
	char buf[512], names[512], *save = NULL;
	int n = 0;
	known_names(names, sizeof(names));
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "--setups: list too long");
		return -EINVAL;
	}
	if (strcmp(list, "all") == 0) {
		for (int i = 0; i < N_SETUPS && i < cap; i++)
			idx[n++] = i;
		return n;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int found = -1;
		for (int i = 0; i < N_SETUPS; i++)
			if (strcmp(t, setups[i].name) == 0)
				found = i;
		if (found < 0) {
			snprintf(err, errlen, "--setups: unknown setup '%s' (%s, or all)", t,
				 names);
			return -EINVAL;
		}
		for (int k = 0; k < n; k++)
			if (idx[k] == found) {
				snprintf(err, errlen, "--setups: '%s' given twice", t);
				return -EINVAL;
			}
		if (n == cap) {
			snprintf(err, errlen, "--setups: at most %d", cap);
			return -EINVAL;
		}
		idx[n++] = found;
	}
	if (!n) {
		snprintf(err, errlen, "--setups: empty list (%s, or all)", names);
		return -EINVAL;
	}
	return n;
}

int lab_setup_cluster(const struct lab_setup *s, struct lab_cluster *c)
{
	char err[256];
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 8 && s->flags[i][0]; i++)
		if (lab_cluster_flag(c, s->flags[i][0], s->flags[i][1], err, sizeof(err)) != 0) {
			log_error("lab search: setup %s: %s", s->name, err);
			return -EINVAL;
		}
	return 0;
}

double lab_cluster_cpu_pct(const struct lab_cluster *c)
{
	double d = 0.25;
	if (c->cpus[0] && parse_double(c->cpus, 0, 1024, &d) < 0)
		return 0;
	return 100 * d;
}

static double mib(double bytes)
{
	return bytes / (1024.0 * 1024.0);
}

static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	if (at + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

void lab_search_why(const struct lab_search_fig *f, char *buf, size_t len)
{
	buf[0] = '\0';
	if (f->failed) {
		cat(buf, len, "the run did not complete (see its folder's logs)");
		return;
	}
	int rss_high = f->have_rss && f->mem_limit > 0 && f->peak_rss >= 0.9 * f->mem_limit;
	int cpu_high = f->cpu_limit_pct > 0 && f->peak_cpu_pct >= 0.9 * f->cpu_limit_pct;
	if (f->expected == 0) {
		cat(buf, len, "nothing was expected (no publish confirmed), nothing to judge");
		return;
	}
	if (f->lost == 0) {
		cat(buf, len, "lost nothing");
		if (f->have_sys)
			cat(buf, len, ": the brokers dropped %s",
			    f->dropped ? "" : "nothing ($SYS)");
		if (f->have_sys && f->dropped)
			cat(buf, len, "%" PRIu64 " ($SYS) yet every subscriber got every message",
			    f->dropped);
		if (f->have_rss)
			cat(buf, len, "%s peak RSS %.0f MiB%s", f->have_sys ? "," : ":",
			    mib(f->peak_rss), f->mem_limit > 0 ? "" : " (no memory limit)");
		if (f->have_rss && f->mem_limit > 0)
			cat(buf, len, " of %.0f MiB", mib(f->mem_limit));
		if (f->peak_cpu_pct > 0)
			cat(buf, len, ", peak CPU %.0f %%%s", f->peak_cpu_pct,
			    cpu_high ? " (at its limit: slower, not lossy)" : "");
		if (f->duplicates)
			cat(buf, len, "; %" PRIu64 " duplicates", f->duplicates);
		return;
	}
	cat(buf, len, "lost %.2f %%", 100.0 * (double)f->lost / (double)f->expected);
	const char *sep = ": ";
	if (f->restarts) {
		cat(buf, len, "%s%u broker process%s died or restarted%s", sep, f->restarts,
		    f->restarts == 1 ? "" : "es",
		    rss_high ? " with RSS at its memory limit (killed by the cgroup)" : "");
		sep = "; ";
	}
	if (f->bridge_errors) {
		cat(buf, len,
		    "%sbridge connections broke %u times (\"Bad socket read/write\" in the broker "
		    "logs) and reconnected",
		    sep, f->bridge_errors);
		sep = "; ";
	}
	if (f->have_sys && f->dropped) {
		cat(buf, len,
		    "%sthe brokers dropped %" PRIu64 " messages ($SYS publish/messages/dropped",
		    sep, f->dropped);
		if (!f->mesh)
			cat(buf, len, ", %.0f %% on the hub broker 1",
			    100.0 * (double)f->hub_dropped / (double)f->dropped);
		cat(buf, len,
		    "): per-client queues (max_queued_messages + max_inflight_messages) "
		    "overflowed");
		sep = "; ";
	}
	if (rss_high && !f->restarts) {
		cat(buf, len, "%sRSS reached %.0f of its %.0f MiB limit", sep, mib(f->peak_rss),
		    mib(f->mem_limit));
		sep = "; ";
	}
	if (cpu_high) {
		cat(buf, len, "%sCPU at its limit (peak %.0f %% of a core, limit %.0f %%)", sep,
		    f->peak_cpu_pct, f->cpu_limit_pct);
		sep = "; ";
	}
	if (f->have_sys && !f->dropped && !f->restarts) {
		cat(buf, len,
		    "%sno broker dropped anything ($SYS): the messages were still queued or in "
		    "flight when the drain ended",
		    sep);
		if (f->have_store && f->held)
			cat(buf, len,
			    " (the brokers still held %" PRIu64 " messages in their stores)",
			    f->held);
	} else if (!f->have_sys && !f->restarts && !rss_high && !cpu_high)
		cat(buf, len, "%sno $SYS figures to say where", sep);
}

/* What a search keeps per row. */
struct srow {
	const struct lab_setup *setup;
	struct lab_row row;
	struct lab_search_fig fig;
	uint64_t clients;
	int qos;
	char topology[32];
};

/* Bridge connections that broke during the run: lines of the brokers' logs
 * (cluster/b<i>.log) saying "Bad socket read/write on client" for a bridge's
 * client id (mqlb.b<i>-to-b<j>, local.mqlb.b<i>-to-b<j>). */
static unsigned bridge_errors(const char *dir, const struct lab_row *r)
{
	char run[128], path[PATH_MAX + 160], line[1024];
	unsigned n = 0;
	lab_run_dirname(r, run, sizeof(run));
	for (int b = 1; b <= LAB_MAX_BROKERS; b++) {
		snprintf(path, sizeof(path), "%s/%s/cluster/b%d.log", dir, run, b);
		FILE *f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "Bad socket read/write on client") &&
			    strstr(line, "-to-b"))
				n++;
		fclose(f);
	}
	return n;
}

static void fig_fill(const char *dir, const struct lab_row *r, const struct lab_cluster *cl,
		     struct lab_search_fig *f)
{
	struct lab_run_evidence ev;
	memset(f, 0, sizeof(*f));
	lab_run_evidence(dir, r, &ev);
	f->expected = r->expected;
	f->lost = r->lost;
	f->duplicates = r->duplicates;
	f->have_sys = ev.have_sys;
	f->have_rss = ev.have_rss;
	f->cpu_limit_pct = lab_cluster_cpu_pct(cl);
	f->mem_limit = (double)lab_cluster_memory(NULL, cl);
	f->mesh = lab_cluster_is_mesh(cl);
	for (unsigned b = 0; b < ev.n_brokers; b++) {
		f->dropped += ev.dropped[b];
		if (b == 0)
			f->hub_dropped = ev.dropped[b];
		if (ev.peak_cpu[b] > f->peak_cpu_pct)
			f->peak_cpu_pct = ev.peak_cpu[b];
		if (ev.peak_rss[b] > f->peak_rss)
			f->peak_rss = ev.peak_rss[b];
		f->restarts += ev.restarts[b];
		if (ev.stored_last[b] > ev.stored_first[b])
			f->held += ev.stored_last[b] - ev.stored_first[b];
	}
	f->have_store = ev.have_store;
	f->bridge_errors = bridge_errors(dir, r);
}

/* A rough duration of one run, for the estimate printed at the start: cluster
 * and directors (~8 s), subscribers connecting (bench's 10 ms gap per host),
 * the publishers' schedule, the quiet drain and teardown (~6 s). */
static uint64_t estimate_s(const struct lab_opts *o, uint64_t clients)
{
	uint64_t per_host = clients / 4 ? clients / 4 : 1;
	uint64_t msgs = (o->burst / 2 + per_host - 1) / per_host;
	uint64_t s = 8 + per_host / 100 + 1 + msgs * o->interval_ms / 1000 + o->quiet_s + 6;
	return s < o->run_timeout_s ? s : o->run_timeout_s;
}

static void write_csv(const char *out, const struct srow *rs, int n)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/search.csv", out);
	FILE *f = fopen(path, "w");
	if (!f) {
		log_error("lab search: %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "setup,topology,dataplane,scheduler,qos,clients,published,expected,unique,lost,"
		   "loss_ratio,duplicates,p99_us,peak_cpu_pct,cpu_limit_pct,peak_rss_bytes,"
		   "memory_limit_bytes,sys_dropped,hub_dropped,broker_restarts,status,repeat\n");
	for (int i = 0; i < n; i++) {
		const struct srow *s = &rs[i];
		const struct lab_row *r = &s->row;
		const struct lab_search_fig *g = &s->fig;
		fprintf(f,
			"%s,%s,%s,%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%.6f,%" PRIu64 ",%" PRIu64 ",%.1f,%.0f,%.0f,%.0f,%" PRIu64 ",%" PRIu64
			",%u,%s,%u\n",
			s->setup->name, s->topology, r->dataplane, r->scheduler, s->qos, s->clients,
			r->published, r->expected, r->unique, r->lost, r->loss_ratio, r->duplicates,
			r->p99_us, g->peak_cpu_pct, g->cpu_limit_pct, g->peak_rss, g->mem_limit,
			g->dropped, g->hub_dropped, g->restarts, g->failed ? "failed" : "ok",
			r->repeat ? r->repeat : 1);
	}
	fclose(f);
}

static int setup_lost_nothing(const struct srow *rs, int n, const struct lab_setup *s, int n_qos)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (rs[i].setup == s) {
			if (rs[i].fig.failed || rs[i].row.lost || !rs[i].row.expected)
				return 0;
			k++;
		}
	return k >= n_qos; /* every run of every QoS (repeats: more than n_qos) */
}

/* What search.md's first paragraph says (from the options, or when rebuilt
 * from a folder, from its data). */
struct search_head {
	char started[40], machine[512], hosts[32], dataplane[16], scheduler[16];
	double minutes; /* 0 = unknown */
	uint64_t clients, burst, interval_ms;
	int qos[3], n_qos;
	int topology;
};

static void write_md(const char *out, const struct search_head *h, const struct srow *rs, int n,
		     const int *pick, int n_pick)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/search.md", out);
	FILE *f = fopen(path, "w");
	if (!f) {
		log_error("lab search: %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "# mqlb lab search: setups that lose nothing\n\n");
	fprintf(f, "Run %s on %s (%s; %s, %s)", h->started, h->machine, h->hosts, h->dataplane,
		h->scheduler);
	if (h->minutes > 0)
		fprintf(f, ", %.1f min", h->minutes);
	fprintf(f,
		". Load: %" PRIu64 " clients (half publishers, half subscribers on bench/test), a "
		"burst of %" PRIu64 " messages, -I %" PRIu64 ", QoS",
		h->clients, h->burst, h->interval_ms);
	for (int q = 0; q < h->n_qos; q++)
		fprintf(f, "%s %d", q ? (q == h->n_qos - 1 ? " and" : ",") : "", h->qos[q]);
	fprintf(f, ". Topology %s unless the setup names another.\n\n",
		lab_topology_name((enum lab_topology)h->topology));
	fprintf(f, "## Setups\n\n| setup | what changes against the thesis profile | flags |\n"
		   "|---|---|---|\n");
	for (int i = 0; i < n_pick; i++) {
		const struct lab_setup *s = &setups[pick[i]];
		char flags[256] = "";
		for (int k = 0; k < 8 && s->flags[k][0]; k++)
			cat(flags, sizeof(flags), "%s%s %s", k ? " " : "", s->flags[k][0],
			    s->flags[k][1]);
		if (s->topology >= 0)
			cat(flags, sizeof(flags), "%s--topology %s", flags[0] ? " " : "",
			    lab_topology_name((enum lab_topology)s->topology));
		fprintf(f, "| %s | %s | %s%s%s |\n", s->name, s->what, flags[0] ? "`" : "",
			flags[0] ? flags : "—", flags[0] ? "`" : "");
	}
	fprintf(f,
		"\n## Results\n\n| setup | QoS | lost | loss %% | dups | p99 ms | peak broker CPU "
		"%% | peak broker RSS MiB | $SYS dropped |\n"
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		const struct srow *s = &rs[i];
		char name[64]; /* a repeat >= 2 of the setup: "name #k" */
		snprintf(name, sizeof(name), s->row.repeat > 1 ? "%s #%u" : "%s", s->setup->name,
			 s->row.repeat);
		if (s->fig.failed) {
			fprintf(f, "| %s | %d | failed | — | — | — | — | — | — |\n", name, s->qos);
			continue;
		}
		char cpu[32] = "—", rss[32] = "—", drop[32] = "—";
		if (s->fig.peak_cpu_pct > 0)
			snprintf(cpu, sizeof(cpu), "%.0f / %s", s->fig.peak_cpu_pct,
				 s->fig.cpu_limit_pct > 0 ? "" : "none");
		if (s->fig.peak_cpu_pct > 0 && s->fig.cpu_limit_pct > 0)
			cat(cpu, sizeof(cpu), "%.0f", s->fig.cpu_limit_pct);
		if (s->fig.have_rss)
			snprintf(rss, sizeof(rss), "%.0f / %.0f", mib(s->fig.peak_rss),
				 mib(s->fig.mem_limit));
		if (s->fig.have_rss && s->fig.mem_limit <= 0)
			snprintf(rss, sizeof(rss), "%.0f / none", mib(s->fig.peak_rss));
		if (s->fig.have_sys)
			snprintf(drop, sizeof(drop), "%" PRIu64, s->fig.dropped);
		fprintf(f, "| %s | %d | %" PRIu64 " | %.2f | %" PRIu64 " | %.0f | %s | %s | %s |\n",
			name, s->qos, s->row.lost, 100 * s->row.loss_ratio, s->row.duplicates,
			(double)s->row.p99_us / 1000, cpu, rss, drop);
	}
	fprintf(f, "\nCPU is the peak of one broker in %% of one core against its limit; RSS "
		   "the peak of one broker against its memory limit; $SYS dropped the sum over "
		   "the brokers of `$SYS/broker/publish/messages/dropped` during the run.\n\n");
	fprintf(f, "## Why\n\n");
	for (int i = 0; i < n_pick; i++) {
		const struct lab_setup *s = &setups[pick[i]];
		int any = 0;
		for (int k = 0; k < n; k++) {
			if (rs[k].setup != s)
				continue;
			char why[768];
			lab_search_why(&rs[k].fig, why, sizeof(why));
			if (!any)
				fprintf(f, "- **%s**:", s->name);
			fprintf(f, "%s QoS %d %s", any ? ";" : "", rs[k].qos, why);
			any = 1;
		}
		if (any)
			fprintf(f, ".\n");
	}
	fprintf(f, "\n## Verdict\n\n");
	int zero = 0;
	for (int i = 0; i < n_pick; i++)
		if (setup_lost_nothing(rs, n, &setups[pick[i]], h->n_qos)) {
			fprintf(f, "%s**%s**",
				zero ? ", " : "Lost nothing at every QoS: ", setups[pick[i]].name);
			zero++;
		}
	if (zero)
		fprintf(f, ".\n\n");
	else
		fprintf(f, "No setup lost 0 at every QoS.\n\n");
	/* per QoS: which setups lost nothing, else the one that came closest */
	for (int q = 0; q < h->n_qos; q++) {
		int k = 0;
		const struct srow *best = NULL;
		fprintf(f, "- QoS %d: ", h->qos[q]);
		for (int i = 0; i < n; i++) {
			const struct srow *r = &rs[i];
			if (r->qos != h->qos[q] || r->fig.failed)
				continue;
			if (!r->row.lost && r->row.expected)
				fprintf(f, "%s**%s**", k++ ? ", " : "lost nothing with ",
					r->setup->name);
			if (!best || r->row.loss_ratio < best->row.loss_ratio)
				best = r;
		}
		if (k)
			fprintf(f, ".\n");
		else if (best)
			fprintf(f, "no setup lost 0; closest **%s** (%.2f %% lost).\n",
				best->setup->name, 100 * best->row.loss_ratio);
		else
			fprintf(f, "no run completed.\n");
	}
	fprintf(f,
		"\nEach setup's runs are a complete lab folder: `%s/<setup>/` (summary.csv, "
		"report.md with plots, one folder per run with bench, monitor and director "
		"data); `search.csv` holds this table with every figure.\n",
		out);
	fclose(f);
}

/* How the hosts were made, for the log line and search.md's head (netns: the
 * caller's wording). */
static const char *hosts_name(enum lab_hosts h, const char *netns)
{
	return h == LAB_HOSTS_NETNS ? netns : h == LAB_HOSTS_SSH ? "SSH hosts" : "loopback";
}

/* search.md's hosts from a setup's lab.json text (NULL: loopback). */
static const char *hosts_of(const char *lab_json)
{
	char v[64];
	if (!lab_json || lab_json_get(lab_json, "hosts", v, sizeof(v)) < 0)
		return "loopback";
	return strncmp(v, "network namespaces", 18) == 0 ? "network namespaces"
	       : strncmp(v, "SSH hosts", 9) == 0	 ? "SSH hosts"
							 : "loopback";
}

/* Each setup's own report (plots); over SSH with the clocks of the whole
 * search (DIR/clocks.csv). */
static void setup_reports(const struct lab_search_opts *x, const char *out, const int *pick,
			  int done)
{
	for (int i = 0; i < done; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/%s", out, setups[pick[i]].name);
		lab_report(dir);
		if (x->base.inventory)
			lab_clocks_section(out, dir, "report.md", x->base.max_clock_offset_ms);
	}
}

int lab_cmd_search(const struct lab_search_opts *x)
{
	int pick[LAB_MAX_SETUPS], n_pick = x->n_pick;
	if (n_pick)
		memcpy(pick, x->pick, sizeof(int) * (size_t)n_pick);
	else
		for (int i = 0; i < N_SETUPS; i++)
			pick[n_pick++] = i;
	/* the session is resolved for every topology the picked setups use */
	struct lab_opts all = x->base;
	all.n_topologies = 0;
	for (int i = 0; i < n_pick; i++) {
		int t = setups[pick[i]].topology >= 0 ? setups[pick[i]].topology
						      : x->base.topologies[0];
		int have = 0;
		for (int k = 0; k < all.n_topologies; k++)
			have |= all.topologies[k] == t;
		if (!have && all.n_topologies < LAB_MAX_LIST)
			all.topologies[all.n_topologies++] = t;
	}
	struct lab_cluster cl[LAB_MAX_SETUPS];
	for (int i = 0; i < n_pick; i++)
		if (lab_setup_cluster(&setups[pick[i]], &cl[i]) < 0)
			return CLI_FAIL;

	struct lab_session ss;
	if (lab_session_open(&all, &ss) < 0)
		return CLI_FAIL;
	int reps = x->base.repeat > 0 ? x->base.repeat : 1;
	int per = x->base.n_qos * x->base.n_clients * reps, total = n_pick * per;
	uint64_t est = 0;
	for (int c = 0; c < x->base.n_clients; c++)
		est += estimate_s(&x->base, x->base.clients[c]) *
		       (uint64_t)(n_pick * x->base.n_qos * reps);
	log_info("lab search: %d setups x %d QoS x %d load%s = %d runs (%s, %s, hosts: %s) into "
		 "%s; estimated %.0f min (at most %.0f min: --run-timeout %" PRIu64 " s per run)",
		 n_pick, x->base.n_qos, x->base.n_clients, x->base.n_clients == 1 ? "" : "s", total,
		 ss.env.dataplane, ss.env.scheduler, hosts_name(ss.env.hosts, "namespaces"), ss.out,
		 ceil((double)est / 60), ceil((double)total * (double)x->base.run_timeout_s / 60),
		 x->base.run_timeout_s);

	struct srow *rs = calloc((size_t)total, sizeof(*rs));
	struct lab_row *rows = calloc((size_t)per, sizeof(*rows));
	char started[40];
	time_iso8601_ms(time_real_ns(), started, sizeof(started));
	uint64_t t0 = time_mono_ns();
	int n = 0, failed = 0, done = 0, ran = 0;
	for (int i = 0; rs && rows && i < n_pick && !lab_stop; i++) {
		const struct lab_setup *s = &setups[pick[i]];
		struct lab_opts o = x->base;
		struct lab_run runs[LAB_MAX_RUNS];
		char dir[PATH_MAX];
		o.cluster = cl[i];
		o.topologies[0] = s->topology >= 0 ? s->topology : x->base.topologies[0];
		o.n_topologies = 1;
		snprintf(o.setup, sizeof(o.setup), "%s", s->name);
		snprintf(dir, sizeof(dir), "%s/%s", ss.out, s->name);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			log_error("lab search: mkdir %s: %s", dir, strerror(errno));
			break;
		}
		int nr = lab_matrix(&o, runs);
		int ok = lab_run_list(&o, &ss, dir, runs, nr, ran, total, rows, &failed);
		ran += nr;
		if (ok < 0)
			break;
		/* one search row per planned run: those that failed say so */
		for (int r = 0, k = 0; r < nr; r++) {
			struct srow *sr = &rs[n++];
			sr->setup = s;
			sr->qos = runs[r].qos;
			sr->clients = runs[r].clients;
			snprintf(sr->topology, sizeof(sr->topology), "%s",
				 lab_topology_name(runs[r].topology));
			sr->row.repeat = runs[r].repeat;
			if (k < ok && rows[k].qos == runs[r].qos &&
			    rows[k].repeat == runs[r].repeat &&
			    rows[k].publishers + rows[k].subscribers == runs[r].clients) {
				sr->row = rows[k++];
				fig_fill(dir, &sr->row, &o.cluster, &sr->fig);
			} else {
				sr->fig.failed = 1;
				snprintf(sr->row.dataplane, sizeof(sr->row.dataplane), "-");
				snprintf(sr->row.scheduler, sizeof(sr->row.scheduler), "-");
			}
		}
		done++;
		if (x->first && setup_lost_nothing(rs, n, s, nr)) {
			log_info("lab search: %s lost nothing at every QoS; stopping (--first)",
				 s->name);
			break;
		}
	}
	lab_session_close(&ss);
	double minutes = (double)(time_mono_ns() - t0) / 1e9 / 60;
	int ret = lab_stop || !rs || !rows ? CLI_FAIL : failed ? CLI_FAIL : CLI_OK;
	if (lab_stop)
		log_error("lab search: interrupted; everything the lab started is down");
	if (n > 0) {
		/* each setup's own report (plots), then the search's files */
		setup_reports(x, ss.out, pick, done);
		struct search_head h;
		memset(&h, 0, sizeof(h));
		char lj[PATH_MAX];
		snprintf(lj, sizeof(lj), "%s/%s/lab.json", ss.out, setups[pick[0]].name);
		char *text = lab_read_file(lj, NULL);
		if (!text || lab_json_get(text, "machine", h.machine, sizeof(h.machine)) < 0)
			snprintf(h.machine, sizeof(h.machine), "unknown machine");
		free(text);
		snprintf(h.started, sizeof(h.started), "%s", started);
		snprintf(h.hosts, sizeof(h.hosts), "%s",
			 hosts_name(ss.env.hosts, "network namespaces"));
		snprintf(h.dataplane, sizeof(h.dataplane), "%s", ss.env.dataplane);
		snprintf(h.scheduler, sizeof(h.scheduler), "%s", ss.env.scheduler);
		h.minutes = minutes;
		h.clients = x->base.clients[0];
		h.burst = x->base.burst;
		h.interval_ms = x->base.interval_ms;
		memcpy(h.qos, x->base.qos, sizeof(h.qos));
		h.n_qos = x->base.n_qos;
		h.topology = x->base.topologies[0];
		write_csv(ss.out, rs, n);
		write_md(ss.out, &h, rs, n, pick, done);
		if (x->base.inventory)
			lab_clocks_section(ss.out, ss.out, "search.md",
					   x->base.max_clock_offset_ms);
		char sj[PATH_MAX + 16];
		snprintf(sj, sizeof(sj), "%s/search.json", ss.out);
		FILE *jf = fopen(sj, "w"); /* what the data alone cannot tell a rebuild */
		if (jf) {
			fprintf(jf, "{\"started\":\"%s\",\"minutes\":%.2f}\n", started, minutes);
			fclose(jf);
		}
		printf("%-22s %3s %10s %8s %6s %8s %8s %9s %10s\n", "setup", "qos", "lost", "loss%",
		       "dups", "p99_ms", "cpu%", "rss_MiB", "dropped");
		for (int i = 0; i < n; i++) {
			const struct srow *s = &rs[i];
			if (s->fig.failed) {
				printf("%-22s %3d %10s\n", s->setup->name, s->qos, "failed");
				continue;
			}
			printf("%-22s %3d %10" PRIu64 " %7.2f%% %6" PRIu64
			       " %8.0f %8.0f %9.0f %10" PRIu64 "\n",
			       s->setup->name, s->qos, s->row.lost, 100 * s->row.loss_ratio,
			       s->row.duplicates, (double)s->row.p99_us / 1000, s->fig.peak_cpu_pct,
			       mib(s->fig.peak_rss), s->fig.dropped);
		}
		printf("\nsearch: %s/search.md\n", ss.out);
	}
	free(rs);
	free(rows);
	return ret;
}

int lab_search_rebuild(const char *dir)
{
	struct srow *rs = calloc(LAB_MAX_SETUPS * LAB_MAX_RUNS, sizeof(*rs));
	int pick[LAB_MAX_SETUPS], n_pick = 0, n = 0;
	struct search_head h;
	memset(&h, 0, sizeof(h));
	h.topology = LAB_TOPO_DISTRIBUTED;
	if (!rs)
		return -ENOMEM;
	for (int i = 0; i < N_SETUPS; i++) {
		char sd[PATH_MAX], path[PATH_MAX + 32];
		struct lab_row *rows = NULL;
		snprintf(sd, sizeof(sd), "%s/%s", dir, setups[i].name);
		snprintf(path, sizeof(path), "%s/summary.csv", sd);
		int k = lab_summary_read(path, &rows);
		if (k <= 0) {
			free(rows);
			continue;
		}
		struct lab_cluster cl;
		lab_setup_cluster(&setups[i], &cl);
		if (!n_pick) { /* the head from the first setup's data */
			snprintf(path, sizeof(path), "%s/lab.json", sd);
			char *lj = lab_read_file(path, NULL);
			if (!lj || lab_json_get(lj, "started", h.started, sizeof(h.started)) < 0)
				snprintf(h.started, sizeof(h.started), "unknown date");
			if (!lj || lab_json_get(lj, "machine", h.machine, sizeof(h.machine)) < 0)
				snprintf(h.machine, sizeof(h.machine), "unknown machine");
			snprintf(h.hosts, sizeof(h.hosts), "%s", hosts_of(lj));
			double iv = 0;
			if (lj && lab_json_num(lj, "interval_ms", &iv) == 0)
				h.interval_ms = (uint64_t)iv;
			free(lj);
			snprintf(h.dataplane, sizeof(h.dataplane), "%s", rows[0].dataplane);
			snprintf(h.scheduler, sizeof(h.scheduler), "%s", rows[0].scheduler);
			h.clients = rows[0].publishers + rows[0].subscribers;
			h.burst = rows[0].burst;
			h.topology = setups[i].topology >= 0 ? LAB_TOPO_DISTRIBUTED
							     : lab_topology_parse(rows[0].topology);
			for (int r = 0; r < k && h.n_qos < 3; r++) { /* each QoS once */
				int seen = 0;
				for (int q = 0; q < h.n_qos; q++)
					seen |= h.qos[q] == rows[r].qos;
				if (!seen)
					h.qos[h.n_qos++] = rows[r].qos;
			}
		}
		pick[n_pick++] = i;
		for (int r = 0; r < k && n < LAB_MAX_SETUPS * LAB_MAX_RUNS; r++) {
			struct srow *sr = &rs[n++];
			sr->setup = &setups[i];
			sr->row = rows[r];
			sr->qos = rows[r].qos;
			sr->clients = rows[r].publishers + rows[r].subscribers;
			snprintf(sr->topology, sizeof(sr->topology), "%s", rows[r].topology);
			fig_fill(sd, &sr->row, &cl, &sr->fig);
		}
		free(rows);
	}
	if (!n_pick) {
		free(rs);
		return -ENOENT;
	}
	if (h.topology < 0)
		h.topology = LAB_TOPO_DISTRIBUTED;
	char sj[PATH_MAX + 16];
	snprintf(sj, sizeof(sj), "%s/search.json", dir);
	char *js = lab_read_file(sj, NULL);
	if (js) {
		lab_json_get(js, "started", h.started, sizeof(h.started));
		lab_json_num(js, "minutes", &h.minutes);
		free(js);
	}
	write_csv(dir, rs, n);
	write_md(dir, &h, rs, n, pick, n_pick);
	free(rs);
	return 0;
}
