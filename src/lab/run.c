/* run.c — one run of the matrix: cluster up, directors, monitor, subscribers,
 * publishers, drain, evidence, teardown; then the summary row from the data.
 *
 * Clients. The study's clients sit on two hosts (its director VMs), half
 * publishers and half subscribers on each. One `mqlb bench run` process cannot
 * live in two network namespaces, and two `bench run`s would each count only
 * their own publishers (a subscriber on host 1 also receives host 2's messages:
 * half the fan-out would go uncounted). So per client host we start `bench sub`
 * (its subscribers connect and SUBACK first), then `bench pub` on both hosts at
 * once, each with half of the burst (-L is shared by the publishers of one
 * process, so the two halves add up to the study's total). Publisher ids are
 * distinct across hosts (-n ranges), so every (publisher, subscriber) stream is
 * unambiguous. Accounting is then exact over both hosts with `bench merge`:
 * first as one merge of all four files when bench accepts several files;
 * otherwise as the four pairwise merges sub_i x pub_j — each counts exactly
 * the streams from pub_j's publishers into sub_i's subscribers (expected =
 * pub_j's confirmed messages x sub_i's subscribers SUBACKed before they began,
 * unique = their intersection), the four stream sets are disjoint and cover
 * every stream, so their sums are the exact totals. Only latency percentiles do
 * not add up: with pairwise merges p50/p99 are those of the worse client host
 * (the larger value), which the report states. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/hasync.h"
#include "lab/run.h"
#include "lab/series.h"
#include "lab/spawn.h"

#define SUB_INDEX_BASE 100000u /* host h subscribers: -n h*BASE; publishers +BASE/2 */

struct run_ctx {
	const struct lab_opts *o;
	const struct lab_env *env;
	const struct lab_run *run;
	char dir[1024];
	char name[128]; /* the run folder's name (on SSH hosts too, under their work dir) */
	char cluster_dir[1100];
	uint64_t t0, deadline;
	pid_t dirs[LAB_DIRECTOR_HOSTS];
	char dir_sock[LAB_DIRECTOR_HOSTS][1100];
	char dir_name[LAB_DIRECTOR_HOSTS][32];
	int n_dirs;
	int client_dir[LAB_CLIENT_HOSTS]; /* which director each client host uses */
	pid_t monitor;
	pid_t subs[LAB_CLIENT_HOSTS], pubs[LAB_CLIENT_HOSTS];
	int cluster_up;
	const char *progress;
	char dataplane[16], scheduler[16];
	struct lab_inject inj; /* the run's faults (o->faults), timed from the first publish */
	struct lab_ha ha;      /* keepalived of the HA topologies */
	uint64_t subs_ns;      /* monotonic start of the subscribers */
	char faults_log[1200]; /* <run>/faults.log (the injector keeps the pointer) */
};

/* Runs the faults that are due; returns how long the caller may sleep (at most
 * want) before the next one. */
static uint64_t faults_poll(struct run_ctx *c, uint64_t want)
{
	uint64_t next = lab_inject_poll(&c->inj);
	return next < want ? (next ? next : 1) : want;
}

static uint64_t remaining(const struct run_ctx *c)
{
	uint64_t now = time_mono_ns();
	return now >= c->deadline ? 1 : c->deadline - now;
}

static uint64_t bound(const struct run_ctx *c, uint64_t want)
{
	uint64_t r = remaining(c);
	return want < r ? want : r;
}

static void path_in(const struct run_ctx *c, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->dir, name);
}

/* Where a step on host (NULL, a namespace or an SSH host) writes the file
 * name of this run: the run folder, or on an SSH host the run's folder under
 * its work dir (collect() copies it back). */
static void path_on(const struct run_ctx *c, const char *host, const char *name, char *buf,
		    size_t len)
{
	const struct lab_host *h = lab_host_find(host);
	if (h)
		lab_host_path(h, c->name, name, buf, len);
	else
		path_in(c, name, buf, len);
}

/* The host that runs the brokers' steps (cluster, monitor): SSH hosts run
 * them there; namespaces are entered by `cluster up --netns` from here. */
static const char *brokers_host(const struct run_ctx *c)
{
	return c->env->hosts == LAB_HOSTS_SSH ? c->env->broker_ns : NULL;
}

/* The host that answers director i's control socket. */
static const char *director_host(const struct run_ctx *c, int i)
{
	return c->env->hosts == LAB_HOSTS_SSH ? c->env->director_ns[i] : NULL;
}

/* Every SSH host gets the run's folder under its work dir. */
static int remote_dirs(const struct run_ctx *c)
{
	for (int i = 0; lab_host_at(i); i++) {
		char path[1200];
		const struct lab_host *h = lab_host_at(i);
		lab_host_path(h, c->name, "", path, sizeof(path));
		char *const argv[] = {"mkdir", "-p", path, NULL};
		if (lab_run_cmd(h->name, argv, NULL, NULL, 20 * NS_PER_S) != 0) {
			log_error("lab: mkdir %s on host %s (%s) failed", path, h->name, h->dest);
			return -EIO;
		}
	}
	return 0;
}

/* Copies what the steps on SSH hosts wrote into the run folder: the bench
 * JSON and CSV files of the client hosts, the monitor's CSVs and the cluster's
 * run dir (logs, configs) of the brokers' host. */
static void collect(const struct run_ctx *c)
{
	if (c->env->hosts != LAB_HOSTS_SSH)
		return;
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		char f[4][40];
		const char *names[5];
		for (int k = 0; k < 4; k++) {
			snprintf(f[k], sizeof(f[k]), "%s-client%d.%s", k & 2 ? "pub" : "sub", h + 1,
				 k & 1 ? "csv" : "json");
			names[k] = f[k];
		}
		names[4] = NULL;
		lab_host_fetch(lab_host_find(c->env->client_ns[h]), c->name, names, c->dir);
	}
	static const char *const b[] = {"monitor", "cluster", NULL};
	lab_host_fetch(lab_host_find(c->env->broker_ns), c->name, b, c->dir);
}

/* Live figures of client host h's bench from its progress lines on stderr
 * ("conn 5/5  pub/s 40  recv/s 400 ..." once a second; bench's --csv file is
 * block-buffered, so it is read only at the end): the last connected count and
 * the per-second rates summed (an estimate, for the progress line only). */
struct live {
	uint64_t connected;
	double published, received;
	/* the fewest trailing progress lines with "recv/s 0" over the hosts: how
	 * many of their own seconds every subscriber process has been quiet */
	unsigned quiet_lines;
};

static void live_read(const struct run_ctx *c, const char *kind, struct live *l)
{
	char name[64], path[1200], line[512];
	memset(l, 0, sizeof(*l));
	l->quiet_lines = ~0u;
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		snprintf(name, sizeof(name), "%s-client%d.log", kind, h + 1);
		path_in(c, name, path, sizeof(path));
		FILE *f = fopen(path, "r");
		if (!f) {
			l->quiet_lines = 0;
			continue;
		}
		uint64_t conn = 0;
		unsigned zero_tail = 0;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long cn;
			unsigned total;
			double pr, rr;
			char *p = strstr(line, " conn ");
			if (p && sscanf(p, " conn %llu/%u pub/s %lf recv/s %lf", &cn, &total, &pr,
					&rr) == 4) {
				conn = cn;
				l->published += pr;
				l->received += rr;
				zero_tail = rr == 0 ? zero_tail + 1 : 0;
			}
		}
		l->connected += conn;
		if (zero_tail < l->quiet_lines)
			l->quiet_lines = zero_tail;
		fclose(f);
	}
}

/* The live line of a run on a terminal (the final, exact line is printed by
 * lab_run_one once the merges are done). */
static void show_progress(const struct run_ctx *c)
{
	static int tty = -1;
	if (tty < 0)
		tty = isatty(2);
	if (!tty)
		return;
	double el = (double)(time_mono_ns() - c->t0) / 1e9;
	struct live lp, ls;
	live_read(c, "pub", &lp);
	live_read(c, "sub", &ls);
	fprintf(stderr,
		"\r\033[K[%s] %-18s QoS %d  %4" PRIu64
		" clients  %6.1fs  published ~%.0f  received ~%.0f",
		c->progress, lab_topology_name(c->run->topology), c->run->qos, c->run->clients, el,
		lp.published, ls.received);
}

/* mqlb <args> in netns, logged to <dir>/<log>, to completion. */
static int self_cmd(struct run_ctx *c, const char *netns, char *const argv[], const char *log,
		    uint64_t timeout)
{
	char path[1200];
	path_in(c, log, path, sizeof(path));
	int ret = lab_run_cmd(netns, argv, path, path, bound(c, timeout));
	if (ret != 0 && ret != -EINTR)
		log_error("lab: %s %s failed (%s), see %s", argv[1], argv[2] ? argv[2] : "",
			  ret == -ETIMEDOUT ? "timed out"
			  : ret < 0	    ? strerror(-ret)
					    : "exit code",
			  path);
	return ret;
}

static int cluster_up(struct run_ctx *c)
{
	char port[16];
	snprintf(port, sizeof(port), "%u", c->env->broker_base_port);
	/* SSH: cluster up runs on the brokers' host; namespaces: it enters one */
	const char *ns = !brokers_host(c) && c->env->broker_ns[0] ? c->env->broker_ns : NULL;
	char *argv[24 + LAB_CLUSTER_ARGV_MAX];
	int n = 0;
	argv[n++] = LAB_SELF;
	argv[n++] = "cluster";
	argv[n++] = "up";
	argv[n++] = "--profile";
	argv[n++] = (char *)c->o->profile;
	argv[n++] = "--host";
	argv[n++] = (char *)c->env->broker_addr;
	argv[n++] = "--base-port";
	argv[n++] = port;
	argv[n++] = "--run-dir";
	argv[n++] = c->cluster_dir;
	argv[n++] = "--name";
	argv[n++] = "lab";
	argv[n++] = "--timeout";
	argv[n++] = "30s";
	lab_cluster_argv(&c->o->cluster, argv, &n); /* after --profile: they override it */
	if (ns) {
		argv[n++] = "--netns";
		argv[n++] = (char *)ns;
	}
	argv[n] = NULL;
	if (!brokers_host(c)) /* a local cluster the next lab can bring down */
		lab_state_cluster(c->cluster_dir);
	/* `cluster up` enters the namespace itself (--netns): started from here */
	int ret = self_cmd(c, brokers_host(c), argv, "cluster.log", 45 * NS_PER_S);
	c->cluster_up = 1; /* even on failure: down is a no-op when nothing runs */
	return ret == 0 ? 0 : -EIO;
}

static void cluster_down(struct run_ctx *c)
{
	if (!c->cluster_up)
		return;
	char *argv[] = {LAB_SELF,	"cluster",   "down", "--run-dir",
			c->cluster_dir, "--timeout", "5s",   NULL};
	char path[1200];
	path_in(c, "cluster.log", path, sizeof(path));
	if (lab_run_cmd_always(brokers_host(c), argv, path, path, 30 * NS_PER_S) != 0)
		log_warn("lab: cluster down failed, see %s", path);
	c->cluster_up = 0;
	if (!brokers_host(c))
		lab_state_cluster(NULL);
}

/* Waits until director i answers status (its rules are in place). */
static int director_wait(struct run_ctx *c, int i)
{
	char *argv[] = {LAB_SELF, "director", "status", "--control", c->dir_sock[i], NULL};
	uint64_t end = time_mono_ns() + bound(c, 15 * NS_PER_S);
	while (time_mono_ns() < end && !lab_stop) {
		if (lab_run_cmd(director_host(c, i), argv, NULL, NULL, 5 * NS_PER_S) == 0)
			return 0;
		int st = lab_wait(c->dirs[i], 1);
		if (st >= 0) {
			c->dirs[i] = 0;
			log_error("lab: director %s exited (%d), see %s/%s.log", c->dir_name[i], st,
				  c->dir, c->dir_name[i]);
			return -EIO;
		}
		lab_sleep(100 * NS_PER_MS);
	}
	log_error("lab: director %s did not answer within 15 s", c->dir_name[i]);
	return lab_stop ? -EINTR : -ETIMEDOUT;
}

/* The shared key of the distributed-shared directors' --peers datagrams
 * (the director requires one off loopback): 32 random bytes, hex, in
 * <run>/peers.key, mode 0600. Returns 0 or -errno. */
static int peers_key_write(struct run_ctx *c, char *path, size_t len)
{
	unsigned char key[32];
	path_in(c, "peers.key", path, len);
	FILE *r = fopen("/dev/urandom", "rb");
	if (!r)
		return -errno;
	size_t got = fread(key, 1, sizeof(key), r);
	fclose(r);
	if (got != sizeof(key))
		return -EIO;
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return -errno;
	char hex[2 * sizeof(key) + 2];
	for (size_t i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * sizeof(key)] = '\n';
	ssize_t w = write(fd, hex, 2 * sizeof(key) + 1);
	close(fd);
	return w == (ssize_t)(2 * sizeof(key) + 1) ? 0 : -EIO;
}

/* Appends director i's mode flags to argv at n (8 slots at most): --mode for
 * the kernel dataplanes, --snat to the back VIP when the ha topology syncs,
 * --vrrp-state (vrrp, len bytes, holds the path) in an ha topology, and the
 * lab's --health-interval. Returns the new n. */
static int director_mode_flags(struct run_ctx *c, int i, char **argv, int n, char *vrrp, size_t len)
{
	enum lab_topology t = c->run->topology;
	if (strcmp(c->dataplane, "proxy") != 0) {
		argv[n++] = "--mode";
		argv[n++] = c->env->hosts == LAB_HOSTS_LOOPBACK ? "local" : "nat";
	}
	if (lab_topology_ha(t) && lab_ha_sync_active(c->env)) {
		argv[n++] = "--snat"; /* the back VIP keepalived moves (hasync.h) */
		argv[n++] = LAB_HA_BACK_VIP;
	}
	if (lab_topology_ha(t)) { /* status shows keepalived's state */
		snprintf(vrrp, len, "%s/vrrp-d%d.state", c->dir, i + 1);
		argv[n++] = "--vrrp-state";
		argv[n++] = vrrp;
	}
	if (c->o->health_interval) {
		argv[n++] = "--health-interval";
		argv[n++] = (char *)c->o->health_interval;
	}
	return n;
}

static int directors_start(struct run_ctx *c)
{
	enum lab_topology t = c->run->topology;
	c->n_dirs = t == LAB_TOPO_CENTRALIZED ? 1 : 2;
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++)
		c->client_dir[h] = c->n_dirs == 1 ? 0 : h;
	/* nft and the proxy masquerade (brokers answer the director); IPVS NAT does
	 * not, so the brokers need a way back to each client through its director */
	if (c->env->hosts == LAB_HOSTS_NETNS && strcmp(c->dataplane, "ipvs") == 0) {
		int ret = lab_netns_route_clients(c->env, c->client_dir);
		if (ret < 0)
			return ret;
	}
	char key[1200];
	if (t == LAB_TOPO_SHARED && peers_key_write(c, key, sizeof(key)) < 0) {
		log_error("lab: cannot write %s", key);
		return -EIO;
	}
	for (int i = 0; i < c->n_dirs; i++) {
		char listen[64], backends[LAB_MAX_BROKERS][64], log[1200], peers[128] = "";
		char state[900], name[64];
		char *argv[48];
		int n = 0;
		snprintf(c->dir_name[i], sizeof(c->dir_name[i]), "lab-d%d", i + 1);
		/* control sockets in the short state dir: a sun_path holds 108 bytes;
		 * on an SSH host its work dir (/tmp/mqlb-lab.XXXXXXXX) */
		if (lab_host_find(director_host(c, i)))
			lab_host_path(lab_host_find(director_host(c, i)), "", "", state,
				      sizeof(state));
		else
			lab_state_dir(state, sizeof(state));
		snprintf(c->dir_sock[i], sizeof(c->dir_sock[i]), "%s/lab-d%d.sock", state, i + 1);
		snprintf(listen, sizeof(listen), "%s:%u",
			 lab_topology_ha(t) ? LAB_HA_VIP : c->env->director_addr[i],
			 c->env->vip_port);
		argv[n++] = LAB_SELF;
		argv[n++] = "director";
		argv[n++] = "run";
		argv[n++] = "--listen";
		argv[n++] = listen;
		for (int b = 0; b < 3; b++) {
			snprintf(backends[b], sizeof(backends[b]), "%s:%u", c->env->broker_addr,
				 c->env->broker_base_port + b);
			argv[n++] = "--backend";
			argv[n++] = backends[b];
		}
		argv[n++] = "--dataplane";
		argv[n++] = c->dataplane;
		argv[n++] = "--scheduler";
		argv[n++] = c->scheduler;
		char vrrp[1200];
		n = director_mode_flags(c, i, argv, n, vrrp, sizeof(vrrp));
		argv[n++] = "--name";
		argv[n++] = c->dir_name[i];
		argv[n++] = "--control";
		argv[n++] = c->dir_sock[i];
		if (t == LAB_TOPO_SHARED) {
			/* the other director's --listen (peers.h: UDP on the VIP's address) */
			snprintf(peers, sizeof(peers), "%s:%u", c->env->director_addr[1 - i],
				 c->env->vip_port);
			argv[n++] = "--peers";
			argv[n++] = peers;
			argv[n++] = "--peers-key";
			argv[n++] = key;
		}
		argv[n] = NULL;
		snprintf(name, sizeof(name), "%s.log", c->dir_name[i]);
		path_in(c, name, log, sizeof(log));
		const char *ns = c->env->director_ns[i][0] ? c->env->director_ns[i] : NULL;
		pid_t pid = lab_spawn(ns, argv, log, log);
		if (pid < 0) {
			log_error("lab: cannot start director: %s", strerror((int)-pid));
			return (int)pid;
		}
		c->dirs[i] = pid;
	}
	for (int i = 0; i < c->n_dirs; i++) {
		int ret = director_wait(c, i);
		if (ret < 0)
			return ret;
	}
	return lab_topology_ha(t) ? lab_ha_start(&c->ha, c->env, c->dir, c->dir_sock, c->n_dirs)
				  : 0;
}

static void directors_status(struct run_ctx *c)
{
	for (int i = 0; i < c->n_dirs; i++) {
		if (!c->dirs[i])
			continue;
		char path[1200], name[64];
		snprintf(name, sizeof(name), "director-%s.json", c->dir_name[i]);
		path_in(c, name, path, sizeof(path));
		unlink(path);
		char *argv[] = {LAB_SELF,    "director",     "status", "--json",
				"--control", c->dir_sock[i], NULL};
		if (lab_run_cmd(director_host(c, i), argv, path, NULL, 10 * NS_PER_S) != 0)
			log_warn("lab: director %s status failed", c->dir_name[i]);
	}
}

static void directors_stop(struct run_ctx *c)
{
	for (int i = c->n_dirs; i-- > 0;)
		if (c->dirs[i] > 0) {
			int st = lab_kill(c->dirs[i], SIGTERM, 10 * NS_PER_S);
			if (st != 0 && st != 128 + SIGTERM)
				log_warn("lab: director %s ended with %d", c->dir_name[i], st);
			c->dirs[i] = 0;
		}
}

static int faults_open(struct run_ctx *c)
{
	char *path = c->faults_log;
	path_in(c, "faults.log", path, sizeof(c->faults_log));
	unlink(path);
	struct lab_inject_env e = {.env = c->env,
				   .cluster_dir = c->cluster_dir,
				   .broker_host = brokers_host(c),
				   .log_path = path,
				   .brokers = 3,
				   .directors = c->dirs,
				   .ha = &c->ha,
				   .n_directors = c->n_dirs};
	int ret = lab_inject_open(&c->inj, c->o->faults, c->o->n_faults, &e);
	if (ret < 0)
		log_error("lab: %s: %s", path, strerror(-ret));
	return ret;
}

static int monitor_start(struct run_ctx *c)
{
	char out[1200], log[1200];
	char *argv[24];
	int n = 0;
	path_on(c, brokers_host(c), "monitor", out, sizeof(out));
	path_in(c, "monitor.log", log, sizeof(log));
	argv[n++] = LAB_SELF;
	argv[n++] = "monitor";
	argv[n++] = "--out";
	argv[n++] = out;
	argv[n++] = "--interval";
	argv[n++] = "400ms";
	argv[n++] = "--run-dir";
	argv[n++] = c->cluster_dir;
	/* directors on other SSH hosts: their sockets are not reachable from the
	 * brokers' host (their status is read at the end instead) */
	for (int i = 0; i < c->n_dirs && !brokers_host(c); i++) {
		argv[n++] = "--director";
		argv[n++] = c->dir_sock[i];
	}
	argv[n] = NULL;
	pid_t pid = lab_spawn(brokers_host(c), argv, log, log);
	if (pid < 0)
		return (int)pid;
	c->monitor = pid;
	return 0;
}

/* bench sub|pub on client host h. */
static pid_t bench_start(struct run_ctx *c, int h, int pub)
{
	char target[64], port[16], count[24], index[24], qos[8], limit[32], interval[24];
	char ifaddr[64], json[1200], csv[1200], log[1200], prefix[32], name[64], dur[32];
	const struct lab_run *r = c->run;
	uint64_t per_host = r->clients / LAB_CLIENT_HOSTS / 2;
	char *argv[64];
	int n = 0;
	snprintf(target, sizeof(target), "%s",
		 lab_topology_ha(r->topology) ? LAB_HA_VIP
					      : c->env->director_addr[c->client_dir[h]]);
	snprintf(port, sizeof(port), "%u", c->env->vip_port);
	snprintf(count, sizeof(count), "%" PRIu64, per_host);
	snprintf(index, sizeof(index), "%u",
		 (unsigned)h * SUB_INDEX_BASE + (pub ? SUB_INDEX_BASE / 2 : 0));
	snprintf(qos, sizeof(qos), "%d", r->qos);
	/* -L is shared by one process's publishers: split the burst over the hosts */
	uint64_t lim = c->o->burst / LAB_CLIENT_HOSTS + (h < (int)(c->o->burst % LAB_CLIENT_HOSTS));
	snprintf(limit, sizeof(limit), "%" PRIu64, lim);
	snprintf(interval, sizeof(interval), "%" PRIu64, c->o->interval_ms);
	snprintf(ifaddr, sizeof(ifaddr), "%s", c->env->client_addr[h]);
	snprintf(prefix, sizeof(prefix), "lab-h%d%s-", h + 1, pub ? "p" : "s");
	const char *ns = c->env->client_ns[h][0] ? c->env->client_ns[h] : NULL;
	snprintf(name, sizeof(name), "%s-client%d.json", pub ? "pub" : "sub", h + 1);
	path_on(c, ns, name, json, sizeof(json));
	snprintf(name, sizeof(name), "%s-client%d.csv", pub ? "pub" : "sub", h + 1);
	path_on(c, ns, name, csv, sizeof(csv));
	snprintf(name, sizeof(name), "%s-client%d.log", pub ? "pub" : "sub", h + 1);
	path_in(c, name, log, sizeof(log));
	/* a bound of its own, past which bench stops by itself; publishers get
	 * twice their schedule (+20 s): a publisher whose QoS 1/2 window never
	 * opens again must not hold the run until its hard limit */
	uint64_t dur_s = remaining(c) / NS_PER_S + 1;
	if (pub && per_host) {
		uint64_t msgs = (lim + per_host - 1) / per_host;
		uint64_t sched_s = msgs * c->o->interval_ms / 1000;
		if (2 * sched_s + 20 < dur_s)
			dur_s = 2 * sched_s + 20;
	}
	snprintf(dur, sizeof(dur), "%" PRIu64, dur_s);
	argv[n++] = LAB_SELF;
	argv[n++] = "bench";
	argv[n++] = pub ? "pub" : "sub";
	argv[n++] = "-h";
	argv[n++] = target;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-c";
	argv[n++] = count;
	argv[n++] = "-n";
	argv[n++] = index;
	argv[n++] = "-t";
	argv[n++] = "bench/test";
	argv[n++] = "-q";
	argv[n++] = qos;
	argv[n++] = "--prefix";
	argv[n++] = prefix;
	argv[n++] = "--ifaddr";
	argv[n++] = ifaddr;
	char keepalive[24];
	if (c->o->persistent) { /* sessions that outlive a connection (MQTT 5 expiry) */
		argv[n++] = "-V";
		argv[n++] = "5";
		argv[n++] = "-C";
		argv[n++] = "false";
		argv[n++] = "--reconnect";
		if (c->o->reconnect_delay) {
			argv[n++] = "--reconnect-delay";
			argv[n++] = (char *)c->o->reconnect_delay;
		}
	}
	if (c->o->keepalive_s) {
		snprintf(keepalive, sizeof(keepalive), "%" PRIu64, c->o->keepalive_s);
		argv[n++] = "-k";
		argv[n++] = keepalive;
	}
	if (!pub && lab_cluster_is_mesh(&c->o->cluster)) {
		/* a mesh lands other brokers' messages under $mesh/<origin>/T (cluster(1)) */
		argv[n++] = "--also-subscribe";
		argv[n++] = "$mesh/+/bench/test";
	}
	if (pub) {
		argv[n++] = "-I";
		argv[n++] = interval;
		argv[n++] = "-L";
		argv[n++] = limit;
		argv[n++] = "--drain";
		argv[n++] = "1";
	}
	argv[n++] = "--duration";
	argv[n++] = dur;
	argv[n++] = "--json";
	argv[n++] = json;
	argv[n++] = "--csv";
	argv[n++] = csv;
	argv[n] = NULL;
	unlink(json);
	pid_t pid = lab_spawn(ns, argv, log, log);
	if (pid < 0)
		log_error("lab: cannot start bench %s: %s", argv[2], strerror((int)-pid));
	return pid;
}

/* Subscribers of both hosts connected (bench CSV "connected"), then a margin
 * for their SUBACKs. Late subscribers are not counted by bench (exactness
 * holds either way); this only keeps the fan-out at the planned size. */
static int subs_wait(struct run_ctx *c)
{
	uint64_t want = c->run->clients / 2;
	uint64_t end = time_mono_ns() + bound(c, 60 * NS_PER_S);
	while (time_mono_ns() < end) {
		if (lab_sleep(200 * NS_PER_MS) < 0)
			return -EINTR;
		for (int h = 0; h < LAB_CLIENT_HOSTS; h++)
			if (lab_wait(c->subs[h], 1) >= 0) {
				c->subs[h] = 0;
				log_error("lab: bench sub on client host %d exited early, see "
					  "%s/sub-client%d.log",
					  h + 1, c->dir, h + 1);
				return -EIO;
			}
		show_progress(c);
		struct live l;
		live_read(c, "sub", &l);
		if (l.connected >= want)
			return lab_sleep(NS_PER_S);
	}
	struct live l;
	live_read(c, "sub", &l);
	log_warn("lab: only %" PRIu64 " of %" PRIu64 " subscribers connected; publishing anyway",
		 l.connected, want);
	return 0;
}

static int pubs_wait(struct run_ctx *c)
{
	int ret = 0;
	for (;;) {
		int running = 0;
		for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
			if (!c->pubs[h])
				continue;
			int st = lab_wait(c->pubs[h], 1);
			if (st == -ETIMEDOUT) {
				running = 1;
				continue;
			}
			if (st < 0 && st != -EINTR)
				return st;
			if (st == -EINTR)
				return st;
			c->pubs[h] = 0;
			if (st != 0) {
				log_error("lab: bench pub on client host %d exited %d, see "
					  "%s/pub-client%d.log",
					  h + 1, st, c->dir, h + 1);
				ret = -EIO;
			}
		}
		if (!running)
			return ret;
		if (remaining(c) <= 1) {
			log_error("lab: run timeout (%" PRIu64 " s) while publishing",
				  c->o->run_timeout_s);
			return -ETIMEDOUT;
		}
		show_progress(c);
		if (lab_sleep(faults_poll(c, 250 * NS_PER_MS)) < 0)
			return -EINTR;
	}
}

/* SIGINT ends a bench sub cleanly (it writes its JSON). */
static int subs_stop(struct run_ctx *c)
{
	int ret = 0;
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		if (!c->subs[h])
			continue;
		int st = lab_kill(c->subs[h], SIGINT, 20 * NS_PER_S);
		c->subs[h] = 0;
		if (st != 0 && st != 128 + SIGINT) {
			log_error("lab: bench sub on client host %d ended with %d, see "
				  "%s/sub-client%d.log",
				  h + 1, st, c->dir, h + 1);
			ret = -EIO;
		}
	}
	return ret;
}

static void teardown(struct run_ctx *c)
{
	/* faults first: links up, brokers CONT, rules and qdiscs gone, so that
	 * cluster down and the directors stop as after any run */
	lab_inject_close(&c->inj);
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		if (c->pubs[h])
			lab_kill(c->pubs[h], SIGTERM, 5 * NS_PER_S);
		if (c->subs[h])
			lab_kill(c->subs[h], SIGTERM, 5 * NS_PER_S);
		c->pubs[h] = c->subs[h] = 0;
	}
	if (c->monitor) {
		lab_kill(c->monitor, SIGTERM, 5 * NS_PER_S);
		c->monitor = 0;
	}
	lab_ha_stop(&c->ha, LAB_DIRECTOR_HOSTS);
	directors_stop(c);
	if (c->env->hosts == LAB_HOSTS_NETNS)
		lab_netns_reset_directors(c->env);
	cluster_down(c);
}

struct merged {
	uint64_t published, expected, unique, lost, duplicates, p50, p99;
};

static int merged_read(const char *path, struct merged *m, int add_published)
{
	char *text = lab_read_file(path, NULL);
	if (!text)
		return -errno;
	double v[7] = {0};
	static const char *const keys[] = {"published",	 "expected",	   "unique",	    "lost",
					   "duplicates", "latency_us/p50", "latency_us/p99"};
	int ret = 0;
	for (int k = 0; k < 7 && ret == 0; k++)
		ret = lab_json_num(text, keys[k], &v[k]);
	free(text);
	if (ret < 0) {
		log_error("lab: %s: missing a key of DESIGN.md's bench JSON", path);
		return ret;
	}
	if (add_published)
		m->published += (uint64_t)v[0];
	m->expected += (uint64_t)v[1];
	m->unique += (uint64_t)v[2];
	m->lost += (uint64_t)v[3];
	m->duplicates += (uint64_t)v[4];
	if ((uint64_t)v[5] > m->p50)
		m->p50 = (uint64_t)v[5];
	if ((uint64_t)v[6] > m->p99)
		m->p99 = (uint64_t)v[6];
	return 0;
}

static int merge_all(struct run_ctx *c, struct merged *m, int *pairwise)
{
	char sub[LAB_CLIENT_HOSTS][1200], pub[LAB_CLIENT_HOSTS][1200], out[1200], name[64];
	memset(m, 0, sizeof(*m));
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		snprintf(name, sizeof(name), "sub-client%d.json", h + 1);
		path_in(c, name, sub[h], sizeof(sub[h]));
		snprintf(name, sizeof(name), "pub-client%d.json", h + 1);
		path_in(c, name, pub[h], sizeof(pub[h]));
	}
	/* one merge of all four, when bench accepts several files */
	path_in(c, "merged.json", out, sizeof(out));
	char *all[] = {LAB_SELF, "bench", "merge",  sub[0], sub[1],
		       pub[0],	 pub[1],  "--json", out,    NULL};
	char log[1200];
	path_in(c, "merge.log", log, sizeof(log));
	unlink(log);
	*pairwise = 0;
	if (lab_run_cmd(NULL, all, log, log, 60 * NS_PER_S) == 0)
		return merged_read(out, m, 1);
	*pairwise = 1;
	for (int s = 0; s < LAB_CLIENT_HOSTS; s++)
		for (int p = 0; p < LAB_CLIENT_HOSTS; p++) {
			snprintf(name, sizeof(name), "merged-s%d-p%d.json", s + 1, p + 1);
			path_in(c, name, out, sizeof(out));
			char *argv[] = {LAB_SELF, "bench",  "merge", sub[s],
					pub[p],	  "--json", out,     NULL};
			int ret = lab_run_cmd(NULL, argv, log, log, 60 * NS_PER_S);
			if (ret != 0) {
				log_error("lab: bench merge %s %s failed (%d), see %s", sub[s],
					  pub[p], ret, log);
				return -EIO;
			}
			/* each publisher once: with the first subscriber file */
			if ((ret = merged_read(out, m, s == 0)) < 0)
				return ret;
		}
	return 0;
}

struct conn_ctx {
	char addr[LAB_MAX_BROKERS][64];
	uint64_t total[LAB_MAX_BROKERS];
	unsigned n;
	char cur_addr[64];
};

static void conn_cb(const char *path, const char *value, void *ctx)
{
	struct conn_ctx *k = ctx;
	unsigned idx;
	char field[64];
	if (sscanf(path, "backends/%u/%63s", &idx, field) != 2)
		return;
	if (strcmp(field, "address") == 0) {
		snprintf(k->cur_addr, sizeof(k->cur_addr), "%s", value);
		return;
	}
	if (strcmp(field, "total_connections") != 0)
		return;
	unsigned i;
	for (i = 0; i < k->n; i++)
		if (strcmp(k->addr[i], k->cur_addr) == 0)
			break;
	if (i == k->n) {
		if (k->n == LAB_MAX_BROKERS)
			return;
		snprintf(k->addr[k->n++], sizeof(k->addr[0]), "%s", k->cur_addr);
	}
	k->total[i] += strtoull(value, NULL, 10);
}

/* Connections per broker = total_connections of every director, summed per
 * backend address, in broker order (backends are given in port order). */
static void conns_from_directors(struct run_ctx *c, struct lab_row *row)
{
	struct conn_ctx k;
	memset(&k, 0, sizeof(k));
	for (int i = 0; i < c->n_dirs; i++) {
		char path[1200], name[64];
		snprintf(name, sizeof(name), "director-%s.json", c->dir_name[i]);
		path_in(c, name, path, sizeof(path));
		char *text = lab_read_file(path, NULL);
		if (!text)
			continue;
		if (lab_json_walk(text, conn_cb, &k) < 0)
			log_warn("lab: %s: not JSON", path);
		free(text);
	}
	row->n_brokers = k.n;
	for (unsigned i = 0; i < k.n; i++)
		row->conns[i] = k.total[i];
	row->jain_index = lab_jain(row->conns, row->n_brokers);
}

int lab_run_one(const struct lab_opts *o, const struct lab_env *env, const struct lab_run *run,
		const char *dir, const char *progress, struct lab_row *row)
{
	struct run_ctx c;
	struct lab_row tmp;
	char name[128];
	int ret;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.env = env;
	c.run = run;
	c.progress = progress;
	c.t0 = time_mono_ns();
	c.deadline = c.t0 + o->run_timeout_s * NS_PER_S;
	memset(&tmp, 0, sizeof(tmp));
	snprintf(tmp.topology, sizeof(tmp.topology), "%s", lab_topology_name(run->topology));
	tmp.qos = run->qos;
	tmp.publishers = tmp.subscribers = run->clients / 2;
	tmp.repeat = run->repeat ? run->repeat : 1;
	lab_run_dirname(&tmp, name, sizeof(name));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.dir, sizeof(c.dir), "%s/%s", dir, name);
	path_on(&c, brokers_host(&c), "cluster", c.cluster_dir, sizeof(c.cluster_dir));
	/* the extra topologies need the proxy (its --peers, its clientid scheduler) */
	snprintf(c.dataplane, sizeof(c.dataplane), "%s",
		 lab_topology_dataplane(run->topology, env->dataplane));
	snprintf(c.scheduler, sizeof(c.scheduler), "%s",
		 lab_topology_scheduler(run->topology, env->scheduler));
	if (mkdir(c.dir, 0755) == -1 && errno != EEXIST) {
		log_error("lab: mkdir %s: %s", c.dir, strerror(errno));
		return -errno;
	}

	if ((ret = remote_dirs(&c)) < 0)
		return ret;
	if ((ret = cluster_up(&c)) < 0)
		goto out;
	if ((ret = directors_start(&c)) < 0)
		goto out;
	if ((ret = monitor_start(&c)) < 0)
		goto out;
	if ((ret = faults_open(&c)) < 0)
		goto out;
	c.subs_ns = time_mono_ns();
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++)
		if ((c.subs[h] = bench_start(&c, h, 0)) < 0) {
			ret = (int)c.subs[h];
			c.subs[h] = 0;
			goto out;
		}
	if ((ret = subs_wait(&c)) < 0)
		goto out;
	lab_inject_start(&c.inj, c.subs_ns);
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++)
		if ((c.pubs[h] = bench_start(&c, h, 1)) < 0) {
			ret = (int)c.pubs[h];
			c.pubs[h] = 0;
			goto out;
		}
	if ((ret = pubs_wait(&c)) < 0)
		goto out;
	/* every client is still connected: the directors' view of the run */
	directors_status(&c);
	/* drain: until every subscriber process has received nothing for quiet_s
	 * of its own progress seconds (counted in bench's lines, not by our clock:
	 * when the whole machine stalls for a while, a wall-clock quiet period
	 * would end the drain while the brokers still hold messages), at most
	 * drain_s; then SIGINT ends them (they write their JSON). */
	uint64_t end = time_mono_ns() + bound(&c, o->drain_s * NS_PER_S);
	for (;;) {
		for (int h = 0; h < LAB_CLIENT_HOSTS; h++)
			if (c.subs[h] && lab_wait(c.subs[h], 1) >= 0) {
				c.subs[h] = 0;
				log_error("lab: bench sub on client host %d ended early, see "
					  "%s/sub-client%d.log",
					  h + 1, c.dir, h + 1);
				ret = -EIO;
				goto out;
			}
		struct live l;
		live_read(&c, "sub", &l);
		if ((l.received > 0 && l.quiet_lines >= o->quiet_s) || time_mono_ns() >= end)
			break;
		if ((ret = lab_sleep(faults_poll(&c, 250 * NS_PER_MS))) < 0)
			goto out;
		show_progress(&c);
	}
	if ((ret = subs_stop(&c)) < 0)
		goto out;
	lab_sleep(500 * NS_PER_MS); /* one more monitor sample after the load */
out:
	if (ret < 0 && c.n_dirs)
		directors_status(&c);
	teardown(&c);
	collect(&c); /* the SSH hosts' files, also of a failed run (logs) */
	if (ret < 0)
		return ret;

	struct merged m;
	int pairwise;
	if ((ret = merge_all(&c, &m, &pairwise)) < 0)
		return ret;
	if (pairwise)
		log_debug("lab: %s: pairwise merges (bench merge takes two files)", c.dir);
	fprintf(stderr,
		"%s[%s] %-18s QoS %d  %4" PRIu64 " clients  %6.1fs  published %" PRIu64
		"  expected %" PRIu64 "  unique %" PRIu64 "  lost %.2f %%\n",
		isatty(2) ? "\r\033[K" : "", progress, lab_topology_name(run->topology), run->qos,
		run->clients, (double)(time_mono_ns() - c.t0) / 1e9, m.published, m.expected,
		m.unique, 100 * lab_loss_ratio(m.lost, m.expected));
	*row = tmp;
	snprintf(row->setup, sizeof(row->setup), "%s", o->setup);
	snprintf(row->dataplane, sizeof(row->dataplane), "%s", c.dataplane);
	snprintf(row->scheduler, sizeof(row->scheduler), "%s", c.scheduler);
	row->burst = o->burst;
	row->published = m.published;
	row->expected = m.expected;
	row->unique = m.unique;
	row->lost = m.lost;
	row->duplicates = m.duplicates;
	row->loss_ratio = lab_loss_ratio(m.lost, m.expected);
	row->p50_us = m.p50;
	row->p99_us = m.p99;
	conns_from_directors(&c, row);
	return 0;
}
