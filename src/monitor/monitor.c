/* monitor.c — `mqlb monitor`: the sampling loop and the CSV / Prometheus
 * writers. One event loop (src/event): a timer samples on a fixed grid
 * (start + k * interval, so no drift), one $SYS subscription per broker stays
 * open between samples as an fd on the loop (values arrive as Mosquitto
 * publishes them, every sys_interval = 1 s), /metrics is served there too
 * (monitor_prom.c, each connection with its own deadline), and SIGINT/SIGTERM
 * come through a signalfd and stop the loop between samples: rows are written
 * whole. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "common/addr.h"
#include "common/cli.h"
#include "common/log.h"
#include "mqtt/probe.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/rundir.h"
#include "common/sigfd.h"
#include "common/time.h"
#include "monitor/monitor.h"
#include "monitor/monitor_refused.h"

#define MAX_DIRECTORS 8

/* $SYS topics sampled, in sys.csv column order. */
static const char *const sys_topics[] = {
    "$SYS/broker/clients/connected",	     "$SYS/broker/publish/messages/received",
    "$SYS/broker/publish/messages/sent",     "$SYS/broker/publish/messages/dropped",
    "$SYS/broker/store/messages/count",	     "$SYS/broker/heap/current",
    "$SYS/broker/load/publish/dropped/1min",
};
static const char *const sys_cols[] = {
    "clients_connected", "publish_received", "publish_sent",	     "publish_dropped",
    "store_messages",	 "heap_bytes",	     "publish_dropped_1min",
};
#define N_SYS (sizeof(sys_topics) / sizeof(sys_topics[0]))

struct monitor;
struct mon_broker {
	struct monitor *m;
	const struct cluster_broker *b;
	struct sockaddr_storage addr;
	char addr_str[ADDR_STRLEN];
	struct mqtt_probe_sys_conn *sys; /* NULL while disconnected */
	uint64_t sys_retry_ns;
	uint64_t prev_cpu_ns, prev_t_ns;
	int have_prev;
	/* last sample, for /metrics */
	int alive;
	enum cluster_proc proc;
	double cpu_pct;
	uint64_t rss, cg_mem, conns;
};

struct monitor {
	const char *out_dir;
	uint64_t interval_ns, duration_ns;
	struct cluster_state st;
	int have_cluster;
	const char *run_dir;
	struct timespec state_mtime; /* of <run_dir>/state when st was read */
	ino_t state_ino;
	unsigned nb;
	struct mon_broker mb[CLUSTER_MAX_BROKERS];
	struct monitor_diag diag;
	unsigned nd;
	const char *directors[MAX_DIRECTORS];
	struct monitor_director dir_last[MAX_DIRECTORS];
	struct monitor_refused dir_refused[MAX_DIRECTORS];
	int dir_ok[MAX_DIRECTORS];
	FILE *f_brokers, *f_conns, *f_sys, *f_dir;
	struct monitor_prom prom;
	int prom_on;
	uint64_t samples;
	/* one event loop: the sampling grid, $SYS subscriptions, /metrics, signals */
	struct event_loop *el;
	struct event_timer t_sample, t_end;
	uint64_t start_ns, next_ns;
	int sig_fd;
};

static FILE *open_csv(const char *dir, const char *name, const char *header)
{
	FILE *f = rundir_fopen(dir, name, "w"); /* a planted symlink is replaced */
	if (!f)
		return NULL;
	fprintf(f, "timestamp,elapsed_s,%s\n", header);
	fflush(f);
	return f;
}

static void sys_drop(struct monitor *m, struct mon_broker *b, uint64_t now);
static void on_sys(struct event_loop *el, int fd, void *ctx, unsigned events);

static void sys_connect(struct monitor *m, struct mon_broker *b, uint64_t now)
{
	char err[256];
	if (b->sys || now < b->sys_retry_ns)
		return;
	struct mqtt_probe_sys_conn *c = malloc(sizeof(*c));
	if (!c)
		return;
	/* at most one interval: a broker that accepts and never answers (frozen,
	 * overloaded) costs one late sample, never a stalled grid */
	uint64_t t = m->interval_ns < 500 * NS_PER_MS ? m->interval_ns : 500 * NS_PER_MS;
	int r = mqtt_probe_sys_open(c, &b->addr, m->st.spec.netns, sys_topics, N_SYS, t, err,
				    sizeof(err));
	if (r) {
		log_debug("broker %u: $SYS: %s", b->b->id, err);
		free(c);
		b->sys_retry_ns = now + NS_PER_S;
		return;
	}
	b->sys = c;
	if (m->el && event_add(m->el, c->fd, EVENT_READ, on_sys, b) != 0)
		sys_drop(m, b, now);
}

static void sys_drop(struct monitor *m, struct mon_broker *b, uint64_t now)
{
	if (!b->sys)
		return;
	if (m->el)
		event_del(m->el, b->sys->fd);
	mqtt_probe_sys_close(b->sys);
	free(b->sys);
	b->sys = NULL;
	b->sys_retry_ns = now + NS_PER_S;
}

/* Appends printf output to a growing buffer (for /metrics). */
struct sbuf {
	char *p;
	size_t len, cap;
};
static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? s->cap - s->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (s->p && s->len + (size_t)n < s->cap) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = (s->cap + (size_t)n + 1) * 2;
		char *np = realloc(s->p, cap);
		if (!np)
			return;
		s->p = np;
		s->cap = cap;
	}
}

static void csv_num(char *buf, size_t len, int have, long long v)
{
	if (have)
		snprintf(buf, len, "%lld", v);
	else
		buf[0] = '\0';
}

static void warn_director(const char *path, int r, uint64_t timeout_ns)
{
	if (r == -ENOENT || r == -ECONNREFUSED)
		log_warn("director %s: no director is running there (%s); its rows say 'not "
			 "running' until it answers (start it with 'mqlb director run ... "
			 "--control %s')",
			 path, strerror(-r), path);
	else if (r == -ETIMEDOUT)
		log_warn("director %s: no answer within %.0f ms (director stuck?); its rows say "
			 "'timeout' until it answers",
			 path, (double)timeout_ns / 1e6);
	else if (r == -EINVAL)
		log_warn("director %s: the answer is not a director status", path);
	else
		log_warn("director %s: %s; its rows say so until it answers", path, strerror(-r));
}

/* The error column of director.csv: one word or two, no commas. */
static const char *director_error(int r)
{
	switch (r) {
	case -ETIMEDOUT:
		return "timeout";
	case -ENOENT:
	case -ECONNREFUSED:
		return "not running";
	case -EINVAL:
		return "bad answer";
	default:
		return strerror(-r);
	}
}

/* One director's rows: one per backend, or, when it does not answer, one with
 * the director's name, empty fields and the error, so that a dead director
 * shows as dead and not as a gap that reads like "not monitored". */
/* The refused and refused_by_reason columns: the total and "reason=N;..." in
 * the director's order (no commas); both empty without refusal counters. */
static void refused_cols(const struct monitor_refused *ref, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	if (!ref->n) {
		snprintf(out, len, ",");
		return;
	}
	n += (size_t)snprintf(out, len, "%llu,", (unsigned long long)ref->total);
	for (unsigned i = 0; i < ref->n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s=%llu", i ? ";" : "", ref->reason[i],
				      (unsigned long long)ref->count[i]);
}

static void sample_director(struct monitor *m, unsigned d, uint64_t timeout_ns, const char *ts,
			    double el)
{
	char row[2048], ct[24], rf[1024];
	struct monitor_director *md = &m->dir_last[d];
	int r = monitor_director_query_all(m->directors[d], timeout_ns, md, &m->dir_refused[d]);
	if (r) {
		/* once per outage, not once per sample */
		if (m->dir_ok[d] != 0)
			warn_director(m->directors[d], r, timeout_ns);
		m->dir_ok[d] = 0;
		fprintf(m->f_dir, "%s,%.3f,%s,,,,,,,,,,,,,,%s,,\n", ts, el, m->directors[d],
			director_error(r));
		return;
	}
	if (m->dir_ok[d] == 0)
		log_info("director %s: answering again", m->directors[d]);
	m->dir_ok[d] = 1;
	csv_num(ct, sizeof(ct), md->conntrack >= 0, (long long)md->conntrack);
	refused_cols(&m->dir_refused[d], rf, sizeof(rf));
	for (unsigned k = 0; k < md->n; k++) {
		const struct monitor_backend *be = &md->b[k];
		int n = snprintf(
		    row, sizeof(row),
		    "%s,%.3f,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,,%s\n", ts,
		    el, m->directors[d], md->dataplane, md->scheduler, be->address,
		    (long long)be->weight, (long long)be->effective_weight, (long long)be->healthy,
		    (long long)be->active, (long long)be->inactive, (long long)be->total,
		    (long long)be->bytes_in, (long long)be->bytes_out, ct, md->vrrp_state, rf);
		fwrite(row, 1, (size_t)n < sizeof(row) ? (size_t)n : sizeof(row) - 1, m->f_dir);
	}
}

/* A broker killed and started again (mqlb cluster kill/start) has a new pid in
 * the state file, written by rename: a new inode or mtime means re-read it and
 * follow the pids. A state file gone (cluster down) keeps the last pids. */
static void reload_state(struct monitor *m)
{
	char p[PATH_MAX + 16];
	struct stat sb;
	static struct cluster_state st;
	if (!m->have_cluster)
		return;
	snprintf(p, sizeof(p), "%s/state", m->run_dir);
	if (stat(p, &sb) == -1 ||
	    (sb.st_ino == m->state_ino && sb.st_mtim.tv_sec == m->state_mtime.tv_sec &&
	     sb.st_mtim.tv_nsec == m->state_mtime.tv_nsec))
		return;
	if (cluster_state_read(m->run_dir, &st) != 0 || st.n != m->st.n)
		return; /* half a cluster, or another one: keep what we follow */
	m->state_ino = sb.st_ino;
	m->state_mtime = sb.st_mtim;
	for (unsigned i = 0; i < m->nb; i++) {
		struct cluster_broker *b = &m->st.b[i];
		if (st.b[i].pid == b->pid)
			continue;
		log_info("broker %u: pid %d -> %d (state file)", b->id, b->pid, st.b[i].pid);
		b->pid = st.b[i].pid;
		m->mb[i].have_prev = 0; /* a CPU delta across two processes means nothing */
		sys_drop(m, &m->mb[i], 0);
	}
}

/* CPU (ns, from the cgroup when it has one: ns resolution beats clock ticks),
 * RSS and cgroup memory of broker b now; sets b->alive, b->proc, b->cpu_pct
 * (-1 = unknown: no previous figure of the same process). */
static void broker_figures(struct monitor *m, struct mon_broker *b, uint64_t now_mono)
{
	uint64_t cpu_ns = UINT64_MAX, rss = 0, cg_mem = UINT64_MAX, cg_cpu = UINT64_MAX;
	b->proc = cluster_broker_proc(&m->st, b->b);
	b->alive = b->proc != CLUSTER_PROC_DEAD;
	if (b->alive) {
		if (monitor_proc_read(b->b->pid, &cpu_ns, &rss) != 0)
			b->alive = 0;
		if (b->b->cg.version != CGROUP_NONE)
			cgroup_usage(&b->b->cg, &cg_cpu, &cg_mem);
		if (cg_cpu != UINT64_MAX)
			cpu_ns = cg_cpu;
	}
	b->cpu_pct = -1;
	if (b->alive && cpu_ns != UINT64_MAX) {
		if (b->have_prev && now_mono > b->prev_t_ns && cpu_ns >= b->prev_cpu_ns)
			b->cpu_pct = 100.0 * (double)(cpu_ns - b->prev_cpu_ns) /
				     (double)(now_mono - b->prev_t_ns);
		b->prev_cpu_ns = cpu_ns;
		b->prev_t_ns = now_mono;
		b->have_prev = 1;
	} else {
		b->have_prev = 0;
	}
	b->rss = rss;
	b->cg_mem = cg_mem;
}

/* One broker's rows of brokers.csv, connections.csv and sys.csv. */
static void sample_broker(struct monitor *m, struct mon_broker *b, const char *ts, double el,
			  uint64_t now_mono, int diag_ok, uint64_t count)
{
	char row[1024], cpu_s[32] = "", rss_s[24], cg_s[24], pid_s[16], conn_s[24] = "";
	broker_figures(m, b, now_mono);
	if (b->cpu_pct >= 0)
		snprintf(cpu_s, sizeof(cpu_s), "%.2f", b->cpu_pct);
	csv_num(rss_s, sizeof(rss_s), b->alive, (long long)b->rss);
	csv_num(cg_s, sizeof(cg_s), b->alive && b->cg_mem != UINT64_MAX, (long long)b->cg_mem);
	/* pid 0 = killed (cluster kill): empty, so that a kill and a start read
	 * as one pid change (old -> new), as the lab counts restarts */
	csv_num(pid_s, sizeof(pid_s), b->b->pid > 0, b->b->pid);
	int n = snprintf(row, sizeof(row), "%s,%.3f,%u,%s,%s,%d,%s,%s,%s,%s\n", ts, el, b->b->id,
			 b->addr_str, pid_s, b->alive, cpu_s, rss_s, cg_s,
			 cluster_proc_name(b->alive ? b->proc : CLUSTER_PROC_DEAD));
	fwrite(row, 1, (size_t)n, m->f_brokers);

	b->conns = diag_ok ? count : 0;
	if (diag_ok)
		snprintf(conn_s, sizeof(conn_s), "%" PRIu64, count);
	n = snprintf(row, sizeof(row), "%s,%.3f,%u,%u,%s\n", ts, el, b->b->id, (unsigned)b->b->port,
		     conn_s);
	fwrite(row, 1, (size_t)n, m->f_conns);

	/* $SYS: take in what arrived, reconnect when needed */
	if (b->sys && mqtt_probe_sys_pump(b->sys) < 0)
		sys_drop(m, b, now_mono);
	if (!b->sys && b->proc == CLUSTER_PROC_ALIVE) /* a frozen one cannot answer */
		sys_connect(m, b, now_mono);
	n = snprintf(row, sizeof(row), "%s,%.3f,%u", ts, el, b->b->id);
	for (size_t k = 0; k < N_SYS; k++) {
		const struct mqtt_probe_sys_value *v =
		    b->sys ? mqtt_probe_sys_get(b->sys, sys_topics[k]) : NULL;
		n += snprintf(row + n, sizeof(row) - (size_t)n, ",%s", v ? v->value : "");
	}
	n += snprintf(row + n, sizeof(row) - (size_t)n, ",%d\n", b->sys != NULL);
	fwrite(row, 1, (size_t)n, m->f_sys);
}

/* The brokers' metrics of /metrics, from the sample just taken. */
static void prom_brokers(struct monitor *m, struct sbuf *prom, int diag_ok)
{
	sb_printf(prom, "# HELP mqlb_broker_up 1 when the broker process is alive\n"
			"# TYPE mqlb_broker_up gauge\n");
	for (unsigned i = 0; i < m->nb; i++)
		sb_printf(prom, "mqlb_broker_up{broker=\"%u\",address=\"%s\"} %d\n", m->mb[i].b->id,
			  m->mb[i].addr_str, m->mb[i].alive);
	if (!m->nb)
		return;
	sb_printf(prom, "# HELP mqlb_broker_cpu_percent CPU use of the broker, %% of one "
			"core, over the last interval\n# TYPE mqlb_broker_cpu_percent gauge\n");
	for (unsigned i = 0; i < m->nb; i++)
		if (m->mb[i].cpu_pct >= 0)
			sb_printf(prom, "mqlb_broker_cpu_percent{broker=\"%u\"} %.3f\n",
				  m->mb[i].b->id, m->mb[i].cpu_pct);
	sb_printf(prom, "# HELP mqlb_broker_rss_bytes resident set size of the broker\n"
			"# TYPE mqlb_broker_rss_bytes gauge\n");
	for (unsigned i = 0; i < m->nb; i++)
		if (m->mb[i].alive)
			sb_printf(prom, "mqlb_broker_rss_bytes{broker=\"%u\"} %" PRIu64 "\n",
				  m->mb[i].b->id, m->mb[i].rss);
	if (diag_ok) {
		sb_printf(prom, "# HELP mqlb_broker_established_connections established "
				"TCP connections on the broker's port\n"
				"# TYPE mqlb_broker_established_connections gauge\n");
		for (unsigned i = 0; i < m->nb; i++)
			sb_printf(prom,
				  "mqlb_broker_established_connections{broker=\"%u\"} "
				  "%" PRIu64 "\n",
				  m->mb[i].b->id, m->mb[i].conns);
	}
	for (size_t k = 0; k < N_SYS; k++) {
		int counter = strstr(sys_cols[k], "publish_") && !strstr(sys_cols[k], "1min");
		sb_printf(prom, "# HELP mqlb_broker_%s%s %s\n# TYPE mqlb_broker_%s%s %s\n",
			  sys_cols[k], counter ? "_total" : "", sys_topics[k], sys_cols[k],
			  counter ? "_total" : "", counter ? "counter" : "gauge");
		for (unsigned i = 0; i < m->nb; i++) {
			const struct mqtt_probe_sys_value *v =
			    m->mb[i].sys ? mqtt_probe_sys_get(m->mb[i].sys, sys_topics[k]) : NULL;
			if (v && v->value[0])
				sb_printf(prom, "mqlb_broker_%s%s{broker=\"%u\"} %s\n", sys_cols[k],
					  counter ? "_total" : "", m->mb[i].b->id, v->value);
		}
	}
}

/* Refusals by reason, every reason the director counts (0 included). */
static void prom_refused(struct monitor *m, struct sbuf *prom)
{
	sb_printf(prom, "# HELP mqlb_director_refused_total connections the director refused, "
			"by reason\n# TYPE mqlb_director_refused_total counter\n");
	for (unsigned d = 0; d < m->nd; d++) {
		const struct monitor_refused *ref = &m->dir_refused[d];
		for (unsigned i = 0; m->dir_ok[d] == 1 && i < ref->n; i++)
			sb_printf(prom,
				  "mqlb_director_refused_total{director=\"%s\",reason=\"%s\"} "
				  "%llu\n",
				  m->directors[d], ref->reason[i],
				  (unsigned long long)ref->count[i]);
	}
}

/* The directors' metrics of /metrics. */
static void prom_directors(struct monitor *m, struct sbuf *prom)
{
	static const char *const names[] = {
	    "weight",	      "healthy",	"active_connections", "total_connections",
	    "bytes_in_total", "bytes_out_total"};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		sb_printf(prom, "# TYPE mqlb_director_backend_%s %s\n", names[k],
			  strstr(names[k], "total") ? "counter" : "gauge");
		for (unsigned d = 0; d < m->nd; d++) {
			if (!m->dir_ok[d])
				continue;
			for (unsigned j = 0; j < m->dir_last[d].n; j++) {
				const struct monitor_backend *be = &m->dir_last[d].b[j];
				int64_t v[] = {be->weight, be->healthy,	 be->active,
					       be->total,  be->bytes_in, be->bytes_out};
				sb_printf(prom,
					  "mqlb_director_backend_%s{director=\"%s\","
					  "backend=\"%s\"} %lld\n",
					  names[k], m->directors[d], be->address, (long long)v[k]);
			}
		}
	}
	sb_printf(prom, "# HELP mqlb_director_up 1 when the director answered its status\n"
			"# TYPE mqlb_director_up gauge\n");
	for (unsigned d = 0; d < m->nd; d++)
		sb_printf(prom, "mqlb_director_up{director=\"%s\"} %d\n", m->directors[d],
			  m->dir_ok[d] == 1);
	sb_printf(prom, "# HELP mqlb_director_conntrack_entries entries in the director "
			"host's conntrack table\n# TYPE mqlb_director_conntrack_entries gauge\n");
	for (unsigned d = 0; d < m->nd; d++)
		if (m->dir_ok[d] == 1 && m->dir_last[d].conntrack >= 0)
			sb_printf(prom, "mqlb_director_conntrack_entries{director=\"%s\"} %lld\n",
				  m->directors[d], (long long)m->dir_last[d].conntrack);
	prom_refused(m, prom);
}

static void sample(struct monitor *m, uint64_t start_mono, uint64_t now_mono)
{
	char ts[40];
	time_iso8601_ms(time_real_ns(), ts, sizeof(ts));
	double el = (double)(now_mono - start_mono) / 1e9;
	struct sbuf prom = {0};
	reload_state(m);

	/* connections: one sock_diag dump for every broker port */
	uint16_t ports[CLUSTER_MAX_BROKERS];
	uint64_t counts[CLUSTER_MAX_BROKERS] = {0};
	int diag_ok = 0;
	for (unsigned i = 0; i < m->nb; i++)
		ports[i] = m->mb[i].b->port;
	if (m->nb && m->diag.fd >= 0)
		diag_ok = monitor_diag_count(&m->diag, m->mb[0].addr.ss_family, ports, m->nb,
					     counts) == 0;
	for (unsigned i = 0; i < m->nb; i++)
		sample_broker(m, &m->mb[i], ts, el, now_mono, diag_ok, counts[i]);
	if (m->prom_on)
		prom_brokers(m, &prom, diag_ok);

	/* A director gets at most one interval (200 ms..2 s) to answer: one that
	 * hangs costs a late sample, never a stalled monitor. */
	uint64_t dir_timeout = m->interval_ns;
	if (dir_timeout < 200 * NS_PER_MS)
		dir_timeout = 200 * NS_PER_MS;
	if (dir_timeout > 2 * NS_PER_S)
		dir_timeout = 2 * NS_PER_S;
	for (unsigned d = 0; d < m->nd; d++)
		sample_director(m, d, dir_timeout, ts, el);
	if (m->prom_on && m->nd)
		prom_directors(m, &prom);
	fflush(m->f_brokers);
	fflush(m->f_conns);
	fflush(m->f_sys);
	fflush(m->f_dir);
	if (m->prom_on) {
		sb_printf(&prom,
			  "# TYPE mqlb_monitor_samples_total counter\n"
			  "mqlb_monitor_samples_total %" PRIu64 "\n",
			  m->samples + 1);
		free(m->prom.body);
		m->prom.body = prom.p;
		m->prom.len = prom.len;
	}
	m->samples++;
}

/* A $SYS subscription has bytes: take them in, or drop it when broken. */
static void on_sys(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct mon_broker *b = ctx;
	(void)el;
	(void)fd;
	(void)events;
	if (b->sys && mqtt_probe_sys_pump(b->sys) < 0)
		sys_drop(b->m, b, time_mono_ns());
}

/* The grid: start + k * interval, so no drift. */
static void on_sample(struct event_loop *el, void *ctx)
{
	struct monitor *m = ctx;
	uint64_t now = time_mono_ns();
	sample(m, m->start_ns, now);
	m->next_ns += m->interval_ns;
	if (m->next_ns <= now) /* we fell behind (stopped?): skip, don't burst */
		m->next_ns = now + m->interval_ns;
	event_timer_arm(el, &m->t_sample, m->next_ns);
}

static void on_end(struct event_loop *el, void *ctx)
{
	(void)ctx;
	event_loop_stop(el);
}

/* SIGINT/SIGTERM: stop between samples, so rows are written whole. */
static void on_signal_fd(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	(void)ctx;
	(void)events;
	int sig;
	while ((sig = sigfd_read(fd)) > 0)
		if (sig == SIGINT || sig == SIGTERM)
			event_loop_stop(el);
}

/* The retained $SYS values follow the SUBACK at once: let the first row have them. */
static void first_sys(struct monitor *m)
{
	uint64_t now = time_mono_ns();
	for (unsigned i = 0; i < m->nb; i++)
		if (cluster_broker_proc(&m->st, m->mb[i].b) == CLUSTER_PROC_ALIVE)
			sys_connect(m, &m->mb[i], now);
	for (unsigned i = 0; i < m->nb; i++) {
		struct pollfd pf = {.fd = m->mb[i].sys ? m->mb[i].sys->fd : -1, .events = POLLIN};
		while (pf.fd >= 0 && m->mb[i].sys->n_values < N_SYS && poll(&pf, 1, 100) > 0)
			if (mqtt_probe_sys_pump(m->mb[i].sys) <= 0)
				break;
	}
}

static int run(struct monitor *m)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	m->sig_fd = sigfd_open(sigs, 2);
	m->el = event_loop_new(64);
	if (m->sig_fd < 0 || !m->el) {
		log_error("monitor: event loop: %s", strerror(m->sig_fd < 0 ? -m->sig_fd : errno));
		return -1;
	}
	event_add(m->el, m->sig_fd, EVENT_READ, on_signal_fd, m);
	if (m->prom_on && monitor_prom_attach(&m->prom, m->el) != 0)
		log_warn("/metrics: cannot serve on the event loop");
	first_sys(m);
	m->start_ns = m->next_ns = time_mono_ns();
	event_timer_init(&m->t_sample, on_sample, m);
	event_timer_init(&m->t_end, on_end, m);
	event_timer_arm(m->el, &m->t_sample, m->start_ns);
	if (m->duration_ns)
		event_timer_arm(m->el, &m->t_end, m->start_ns + m->duration_ns);
	int r = event_loop_run(m->el);
	return r;
}

/* Everything run() set up, in reverse. */
static void run_end(struct monitor *m)
{
	for (unsigned i = 0; i < m->nb; i++)
		sys_drop(m, &m->mb[i], 0);
	monitor_prom_close(&m->prom);
	if (m->el) {
		if (m->sig_fd >= 0)
			event_del(m->el, m->sig_fd);
		event_loop_free(m->el);
		m->el = NULL;
	}
	if (m->sig_fd >= 0)
		close(m->sig_fd);
	m->sig_fd = -1;
}

/* Options: one function each, one table for getopt and --help (common/opt.h). */
struct monitor_args {
	struct monitor *m;
	const char *run_dir, *prom_addr;
};

static int take_out(void *ctx, const char *cmd, const char *v)
{
	(void)cmd;
	((struct monitor_args *)ctx)->m->out_dir = v;
	return 0;
}

static int take_interval(void *ctx, const char *cmd, const char *v)
{
	struct monitor *m = ((struct monitor_args *)ctx)->m;
	if (parse_duration_ns(v, NS_PER_MS, &m->interval_ns) || m->interval_ns < 10 * NS_PER_MS ||
	    m->interval_ns > 3600 * NS_PER_S)
		return cli_usage_error(cmd, "--interval %s: want 10ms..1h, e.g. 400ms", v);
	return 0;
}

static int take_duration(void *ctx, const char *cmd, const char *v)
{
	struct monitor *m = ((struct monitor_args *)ctx)->m;
	if (parse_duration_ns(v, NS_PER_S, &m->duration_ns) || !m->duration_ns)
		return cli_usage_error(cmd, "--duration %s: want e.g. 60 or 2.5s", v);
	return 0;
}

static int take_run_dir(void *ctx, const char *cmd, const char *v)
{
	(void)cmd;
	((struct monitor_args *)ctx)->run_dir = v;
	return 0;
}

static int take_director(void *ctx, const char *cmd, const char *v)
{
	struct monitor *m = ((struct monitor_args *)ctx)->m;
	if (m->nd == MAX_DIRECTORS)
		return cli_usage_error(cmd, "--director: at most %d", MAX_DIRECTORS);
	m->directors[m->nd++] = v;
	return 0;
}

static int take_prometheus(void *ctx, const char *cmd, const char *v)
{
	(void)cmd;
	((struct monitor_args *)ctx)->prom_addr = v;
	return 0;
}

static const struct opt o_out = {"out", "DIR", "where the CSV files go (required)", take_out};
static const struct opt o_interval = {"interval", "D",
				      "sampling interval, 10ms..1h (default 400ms)", take_interval};
static const struct opt o_duration = {"duration", "S", "stop after S (default: at SIGINT/SIGTERM)",
				      take_duration};
static const struct opt o_run_dir = {"run-dir", "DIR",
				     "the cluster's run dir (default as mqlb cluster's;\n"
				     "refused when not yours or open to others)",
				     take_run_dir};
static const struct opt o_director = {
    "director", "CONTROL", "a director's control socket (repeatable, up to 8)", take_director};
static const struct opt o_prometheus = {"prometheus", "HOST:PORT",
					"serve the latest sample at http://HOST:PORT/metrics\n"
					"(2 s per connection, at most 8 at once)",
					take_prometheus};
static const struct opt *const monitor_opts[] = {
    &o_out, &o_interval, &o_duration, &o_run_dir, &o_director, &o_prometheus, NULL};
static const struct opt_cmd monitor_cmd = {
    "monitor",
    "--out DIR [--interval 400ms] [--duration S] [--run-dir DIR]\n"
    "                    [--director CONTROL]... [--prometheus HOST:PORT]",
    "Samples the brokers of the cluster in --run-dir (see mqlb cluster) and the\n"
    "directors at the given control sockets every interval.",
    monitor_opts,
    0,
    "It writes\n"
    "  brokers.csv      CPU % (of one core) and RSS per broker\n"
    "  connections.csv  established TCP connections on each broker's port\n"
    "                   (netlink sock_diag, inside the cluster's netns)\n"
    "  sys.csv          $SYS counters over one subscription per broker\n"
    "  director.csv     per director backend: weight, health, connections, bytes,\n"
    "                   the director host's conntrack entries and VRRP state;\n"
    "                   a director that does not answer gets one row per sample\n"
    "                   with empty fields and its error (timeout, not running);\n"
    "                   refused: connections the director refused, and\n"
    "                   refused_by_reason as reason=N;... (a proxy director)\n"
    "Every row starts with an ISO-8601 ms timestamp and seconds since start.\n"
    "A broker killed, frozen (SIGSTOP) or restarted (mqlb cluster kill/start) is\n"
    "followed: brokers.csv state alive/stopped/dead, the new pid from the state file.\n"
    "Ends after --duration, or cleanly on SIGINT/SIGTERM.\n",
    NULL,
    NULL};

/* The cluster (from its run dir, vetted) and /metrics. CLI_OK or what to return. */
static int open_inputs(struct monitor *m, const char *run_dir, const char *prom_addr)
{
	static char run_buf[PATH_MAX];
	char why[PATH_MAX + 160], state_path[PATH_MAX + 16];
	struct stat sb;
	if (!run_dir) {
		rundir_default(run_buf, sizeof(run_buf));
		run_dir = run_buf;
	}
	int r = rundir_check(run_dir, 0, why, sizeof(why));
	if (r && r != -ENOENT) { /* planted by someone else: never read */
		fprintf(stderr, "mqlb: monitor: %s\n", why);
		return CLI_FAIL;
	}
	snprintf(state_path, sizeof(state_path), "%s/state", run_dir);
	if (stat(state_path, &sb) == 0) { /* before the read: a newer file is re-read */
		m->state_ino = sb.st_ino;
		m->state_mtime = sb.st_mtim;
	}
	m->run_dir = run_dir;
	r = cluster_state_read(run_dir, &m->st);
	if (r == 0) {
		m->have_cluster = 1;
	} else if (!m->nd) {
		fprintf(stderr,
			"mqlb: no cluster in %s (%s) and no --director: nothing to monitor "
			"(start one with 'mqlb cluster up --run-dir %s')\n",
			run_dir, r == -ENOENT ? "no state file" : strerror(-r), run_dir);
		return CLI_FAIL;
	}
	if (prom_addr) {
		char err[256] = "";
		r = monitor_prom_listen(&m->prom, prom_addr, err, sizeof(err));
		if (r) {
			fprintf(stderr, "mqlb: %s\n", err[0] ? err : strerror(-r));
			/* a port in use or an address not here is a bad value, as in cluster up */
			return r == -EINVAL || r == -EADDRINUSE || r == -EADDRNOTAVAIL ? CLI_USAGE
										       : CLI_FAIL;
		}
		m->prom_on = 1;
	}
	return CLI_OK;
}

/* The brokers to follow, sock_diag, and the four CSV files. 0 or -1 (said why). */
static int open_outputs(struct monitor *m)
{
	int r;
	if (mkdir(m->out_dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "mqlb: cannot create %s: %s\n", m->out_dir, strerror(errno));
		return -1;
	}
	m->nb = m->have_cluster ? m->st.n : 0;
	for (unsigned i = 0; i < m->nb; i++) {
		struct mon_broker *b = &m->mb[i];
		b->m = m;
		b->b = &m->st.b[i];
		addr_parse_host(m->st.spec.host, b->b->port, &b->addr);
		addr_format(&b->addr, b->addr_str, sizeof(b->addr_str));
	}
	if (m->nb && (r = monitor_diag_open(&m->diag, m->st.spec.netns)) != 0)
		log_warn("sock_diag%s%s: %s; connections.csv stays empty",
			 m->st.spec.netns[0] ? " in netns " : "", m->st.spec.netns, strerror(-r));
	m->f_brokers =
	    open_csv(m->out_dir, "brokers.csv",
		     "broker,address,pid,alive,cpu_percent,rss_bytes,cgroup_memory_bytes,state");
	m->f_conns = open_csv(m->out_dir, "connections.csv", "broker,port,established");
	char sys_hdr[512] = "broker";
	for (size_t k = 0; k < N_SYS; k++) {
		strcat(sys_hdr, ",");
		strcat(sys_hdr, sys_cols[k]);
	}
	strcat(sys_hdr, ",sys_connected");
	m->f_sys = open_csv(m->out_dir, "sys.csv", sys_hdr);
	m->f_dir = open_csv(m->out_dir, "director.csv",
			    "director,dataplane,scheduler,backend,weight,effective_weight,healthy,"
			    "active_connections,inactive_connections,total_connections,bytes_in,"
			    "bytes_out,conntrack,vrrp_state,error,refused,refused_by_reason");
	if (!m->f_brokers || !m->f_conns || !m->f_sys || !m->f_dir) {
		fprintf(stderr, "mqlb: cannot write CSV files in %s: %s\n", m->out_dir,
			strerror(errno));
		return -1;
	}
	for (unsigned d = 0; d < m->nd; d++)
		m->dir_ok[d] = -1;
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	static struct monitor m;
	struct monitor_args a = {.m = &m};
	const char *args[1];
	unsigned nargs;
	memset(&m, 0, sizeof(m));
	m.interval_ns = 400 * NS_PER_MS;
	m.diag.fd = -1;
	m.prom.fd = -1;
	m.sig_fd = -1;
	int r = opt_parse(&monitor_cmd, &monitor_cmd, 1, &a, argc, argv, args, &nargs);
	if (r == OPT_HELP_SHOWN)
		return CLI_OK;
	if (r)
		return r;
	if (!m.out_dir)
		return cli_usage_error("monitor", "--out DIR is required");
	if ((r = open_inputs(&m, a.run_dir, a.prom_addr)) != CLI_OK)
		return r;
	int ret = CLI_FAIL;
	if (open_outputs(&m) == 0) {
		log_info("monitoring %u broker%s and %u director%s every %.0f ms into %s%s%s", m.nb,
			 m.nb == 1 ? "" : "s", m.nd, m.nd == 1 ? "" : "s",
			 (double)m.interval_ns / 1e6, m.out_dir,
			 a.prom_addr ? ", /metrics on " : "", a.prom_addr ? a.prom_addr : "");
		if (run(&m) == 0) {
			log_info("%" PRIu64 " samples written to %s", m.samples, m.out_dir);
			ret = CLI_OK;
		}
	}
	run_end(&m);
	monitor_diag_close(&m.diag);
	FILE *fs[] = {m.f_brokers, m.f_conns, m.f_sys, m.f_dir};
	for (size_t k = 0; k < 4; k++)
		if (fs[k])
			fclose(fs[k]);
	return ret;
}
