/* faults.c — `mqlb lab faults`: named fault scenarios, each with the variants
 * its comparison needs, run one after the other in one lab session at a load
 * the cluster carries without loss (the `none` scenario proves it), QoS 1 and
 * persistent sessions, so that every message lost is the fault's. Each
 * variant is an ordinary lab folder (DIR/<scenario>/<variant>/: summary.csv,
 * lab.json, the run folder with faults.log); DIR/faults.csv has one row per
 * run and DIR/faults.md the tables and timelines (faultmd.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/mkdirp.h"
#include "common/time.h"
#include "lab/hasync.h"
#include "lab/inventory.h"
#include "lab/run.h"
#include "lab/spawn.h"

/* The director-failover variants with the back VIP (hasync.h): SNAT and
 * conntrackd, and SNAT alone (the control: what conntrackd adds). */
#define SYNC_VARIANT "nft-conntrackd"
#define SNAT_VARIANT "nft-snat"

/* The fault formats take the start (ms), then the length (ms, fault_len_ms);
 * netem's takes the publish time (ms, the whole phase). */
static const struct lab_scenario scenarios[] = {
    {"none",
     "no fault: the baseline, which must lose nothing (every loss below is the fault's)",
     NULL,
     0,
     {{"nft-rr", LAB_TOPO_DISTRIBUTED, "star", 0}}},
    {"client-flap",
     "client host 1's link down 2.5 keepalive intervals (5 s at the default 2 s): L4 (nft rr) "
     "sends a reconnecting client to any broker, "
     "where its session and queued messages do not exist; the ClientID-affine proxy sends it "
     "back to its own",
     "client-flap:1@%" PRIu64 "ms+%" PRIu64 "ms",
     0,
     {{"nft-rr", LAB_TOPO_DISTRIBUTED, "star", 0},
      {"proxy-clientid", LAB_TOPO_CLIENTID, "star", 0}}},
    {"broker-restart",
     "spoke broker 2 SIGKILLed and started again 1.5 keepalive intervals (3 s) later, without and "
     "with persistence; "
     "out_of_rotation = until every director's health check marks it down (fall 2; interval "
     "1 s, 250 ms in hc250ms); nft rr, and the ClientID proxy in the last variant (a client "
     "that comes back to its own broker finds its persisted session there)",
     "broker-kill:2@%" PRIu64 "ms+%" PRIu64 "ms",
     0,
     {{"no-persistence", LAB_TOPO_DISTRIBUTED, "star", 0, NULL},
      {"persistence", LAB_TOPO_DISTRIBUTED, "star", 1, NULL},
      {"persistence-hc250ms", LAB_TOPO_DISTRIBUTED, "star", 1, "250ms"},
      {"persistence-clientid", LAB_TOPO_CLIENTID, "star", 1, NULL}}},
    {"hub-kill",
     "broker 1 SIGKILLed for good: the star's hub against a mesh",
     "broker-kill:1@%" PRIu64 "ms",
     0,
     {{"star", LAB_TOPO_DISTRIBUTED, "star", 0}, {"mesh", LAB_TOPO_DISTRIBUTED, "mesh", 0}}},
    {"broker-freeze",
     "spoke broker 2 SIGSTOPped for 1.5 keepalive intervals (3 s): alive for TCP, silent for "
     "MQTT",
     "broker-freeze:2@%" PRIu64 "ms+%" PRIu64 "ms",
     0,
     {{"star", LAB_TOPO_DISTRIBUTED, "star", 0}}},
    {"bridge-cut",
     "every packet between the hub and spoke 2 dropped for 2 keepalive intervals (4 s)",
     "bridge-cut:2@%" PRIu64 "ms+%" PRIu64 "ms",
     0,
     {{"star", LAB_TOPO_DISTRIBUTED, "star", 0}}},
    {"director-failover",
     "the active director host of an HA pair (keepalived VIP " LAB_HA_VIP
     ", advert 0.5 s) dies: its links, keepalived, conntrackd and director; nft (no connection "
     "state on the standby), nft with conntrackd (both SNAT to the back VIP " LAB_HA_BACK_VIP
     ", the standby holds the active's NAT entries and commits them when it takes over), the "
     "ClientID proxy, and the same SNAT without conntrackd (the control)",
     "director-kill:1@%" PRIu64 "ms",
     1,
     {{"nft", LAB_TOPO_HA, "star", 0},
      {SYNC_VARIANT, LAB_TOPO_HA, "star", 0},
      {"proxy-clientid", LAB_TOPO_HA_CLIENTID, "star", 0},
      {SNAT_VARIANT, LAB_TOPO_HA, "star", 0}}},
    {"netem",
     "50 ms delay each way and 1 % loss on both client links for the whole publish phase",
     "netem:all=delay=50ms,loss=1%%@0s+%" PRIu64 "ms",
     2,
     {{"nft-rr", LAB_TOPO_DISTRIBUTED, "star", 0}}},
};
#define N_SCENARIOS (int)(sizeof(scenarios) / sizeof(scenarios[0]))

/* A fault's length in tenths of the clients' keepalive: what it does depends
 * on that ratio (a client notices a dead link after about 1.5 intervals,
 * Mosquitto drops a client silent for 1.5), so --keepalive 1 halves the
 * faults with it (the test's short timeline). At the default 2 s: 5, 3, 3, 4 s. */
static uint64_t fault_len_ms(const struct lab_scenario *sc, uint64_t keepalive_s)
{
	static const struct {
		const char *name;
		unsigned tenths;
	} len[] = {
	    {"client-flap", 25}, {"broker-restart", 15}, {"broker-freeze", 15}, {"bridge-cut", 20}};
	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++)
		if (strcmp(sc->name, len[i].name) == 0)
			return len[i].tenths * (keepalive_s ? keepalive_s : 2) * 100;
	return 0; /* the format takes no length */
}

const struct lab_scenario *lab_scenarios(int *n)
{
	*n = N_SCENARIOS;
	return scenarios;
}

/* A pick is the scenario's index | a mask of its chosen variants << 8 (mask
 * 0 = all): "NAME/V1+V2" picks variants V1 and V2 of NAME only. */
#define PICK_SCENARIO(p) ((p)&0xff)
#define PICK_MASK(p)	 ((unsigned)(p) >> 8)

/* The variant mask of "V1+V2" (names of sc's variants) into *mask. Returns 0
 * or -EINVAL with err set. */
static int pick_variants(const struct lab_scenario *sc, char *list, unsigned *mask, char *err,
			 size_t errlen)
{
	char *save = NULL;
	*mask = 0;
	for (char *t = strtok_r(list, "+", &save); t; t = strtok_r(NULL, "+", &save)) {
		int v;
		for (v = 0; v < LAB_MAX_VARIANTS && sc->v[v].name && strcmp(sc->v[v].name, t); v++)
			;
		if (v == LAB_MAX_VARIANTS || !sc->v[v].name) {
			char names[160] = "";
			for (v = 0; v < LAB_MAX_VARIANTS && sc->v[v].name; v++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", v ? ", " : "", sc->v[v].name);
			snprintf(err, errlen, "--scenario: %s has no variant '%s' (%s)", sc->name,
				 t, names);
			return -EINVAL;
		}
		*mask |= 1u << v;
	}
	if (!*mask) {
		snprintf(err, errlen, "--scenario: %s/: no variant named", sc->name);
		return -EINVAL;
	}
	return 0;
}

int lab_scenarios_pick(const char *list, int *idx, int cap, char *err, size_t errlen)
{
	char buf[256], *save = NULL;
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(t, '/');
		unsigned mask = 0;
		int k;
		if (slash)
			*slash = '\0';
		for (k = 0; k < N_SCENARIOS && strcmp(scenarios[k].name, t) != 0; k++)
			;
		int dup = 0;
		for (int j = 0; j < n; j++)
			dup |= PICK_SCENARIO(idx[j]) == k;
		if (k == N_SCENARIOS || dup || n == cap) {
			snprintf(
			    err, errlen,
			    "--scenario: %s '%s' (none, client-flap, broker-restart, hub-kill, "
			    "broker-freeze, bridge-cut, director-failover, netem)",
			    k == N_SCENARIOS ? "unknown scenario" : "repeated scenario", t);
			return -EINVAL;
		}
		if (slash && pick_variants(&scenarios[k], slash + 1, &mask, err, errlen) < 0)
			return -EINVAL;
		idx[n++] = k | (int)(mask << 8);
	}
	if (!n) {
		snprintf(err, errlen, "--scenario: empty list");
		return -EINVAL;
	}
	return n;
}

/* The options of one variant: the base with its topology, bridge,
 * persistence and fault (start at a third of the publish time). */
static int variant_opts(const struct lab_opts *base, const struct lab_scenario *sc,
			const struct lab_variant *v, struct lab_opts *o, char *err, size_t errlen)
{
	char spec[128];
	*o = *base;
	o->topologies[0] = v->topology;
	o->n_topologies = 1;
	snprintf(o->cluster.bridge, sizeof(o->cluster.bridge), "%s", v->bridge);
	o->cluster.persistence = v->persistence;
	if (v->health)
		o->health_interval = v->health;
	o->n_faults = 0;
	uint64_t pub = lab_publish_ms(o, o->clients[0]);
	if (sc->fault) {
		if (sc->when == 2) /* the whole publish phase */
			snprintf(spec, sizeof(spec), sc->fault, pub);
		else /* a format without a length ignores the second argument */
			snprintf(spec, sizeof(spec), sc->fault, pub / 3,
				 fault_len_ms(sc, o->keepalive_s));
		if (lab_fault_parse(spec, &o->faults[0], err, errlen) < 0)
			return -EINVAL;
		o->n_faults = 1;
	}
	lab_cluster_label(o->profile, &o->cluster, o->setup, sizeof(o->setup));
	struct lab_run run = {.topology = v->topology, .qos = o->qos[0], .clients = o->clients[0]};
	return lab_faults_validate(o, &run, 1, err, errlen);
}

/* Whether the kernel has netem: a qdisc on client host 1's loopback. */
static int have_netem(const struct lab_session *s)
{
	char *add[] = {"tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms", NULL};
	char *del[] = {"tc", "qdisc", "del", "dev", "lo", "root", NULL};
	if (lab_run_cmd(s->env.client_ns[0], add, NULL, NULL, 10 * NS_PER_S) != 0)
		return 0;
	lab_run_cmd(s->env.client_ns[0], del, NULL, NULL, 10 * NS_PER_S);
	return 1;
}

static enum lab_ha_sync_mode sync_mode(const struct lab_variant *v)
{
	if (strcmp(v->name, SYNC_VARIANT) == 0)
		return LAB_HA_SYNC_CONNTRACK;
	return strcmp(v->name, SNAT_VARIANT) == 0 ? LAB_HA_SYNC_SNAT : LAB_HA_SYNC_OFF;
}

/* Why variant v cannot run here (beyond its scenario's reason), or 0. */
static int variant_skip(const struct lab_session *s, const struct lab_variant *v, char *why,
			size_t len)
{
	char *ct[] = {"conntrackd", "-v", NULL};
	if (!sync_mode(v))
		return 0;
	if (s->env.hosts != LAB_HOSTS_NETNS || strcmp(s->env.dataplane, "nft") != 0) {
		snprintf(why, len, "the back VIP needs namespaces and the nft dataplane; not run");
		return 1;
	}
	if (sync_mode(v) == LAB_HA_SYNC_CONNTRACK &&
	    lab_run_cmd(NULL, ct, NULL, NULL, 10 * NS_PER_S) != 0) {
		snprintf(why, len, "conntrackd is not installed (package conntrackd); not run");
		return 1;
	}
	return 0;
}

static int skip_reason(const struct lab_session *s, const struct lab_scenario *sc, char *why,
		       size_t len)
{
	char *ha[] = {LAB_SELF, "director", "ha", "render", "--help", NULL};
	char *ka[] = {"keepalived", "--version", NULL};
	if (sc->when == 1 && lab_run_cmd(NULL, ha, NULL, NULL, 10 * NS_PER_S) != 0) {
		snprintf(why, len, "this build has no 'mqlb director ha render'; not run");
		return 1;
	}
	if (sc->when == 1 && lab_run_cmd(NULL, ka, NULL, NULL, 10 * NS_PER_S) != 0) {
		snprintf(why, len, "keepalived is not installed; not run");
		return 1;
	}
	if (sc->when == 2 && !have_netem(s)) {
		snprintf(why, len,
			 "this kernel has no sch_netem (tc qdisc add ... netem fails, no module "
			 "to load); not run");
		return 1;
	}
	return 0;
}

/* One variant's repeat rep: its folder (repeats >= 2 append to the same
 * summary.csv, their run folders end in -r<rep>), the run, the row. Returns 0
 * or < 0. */
static int run_variant(const struct lab_opts *o, struct lab_session *s, const char *out,
		       const struct lab_scenario *sc, const struct lab_variant *v, int k, int total,
		       unsigned rep, FILE *csv)
{
	char dir[1200], rel[160], name[128];
	struct lab_run run = {
	    .topology = v->topology, .qos = o->qos[0], .clients = o->clients[0], .repeat = rep};
	struct lab_row row;
	int failed = 0;
	snprintf(dir, sizeof(dir), "%s/%s/%s", out, sc->name, v->name);
	int rc = mkdir_p(dir, 0755);
	if (rc < 0)
		return rc;
	struct lab_opts o2 = *o;
	snprintf(o2.setup, sizeof(o2.setup), "%s/%s", sc->name, v->name);
	lab_ha_sync_set(sync_mode(v));
	int n = lab_run_list(&o2, s, dir, &run, 1, k, total, &row, &failed);
	lab_ha_sync_set(LAB_HA_SYNC_OFF);
	if (n != 1)
		return -EIO;
	struct lab_fault_row r;
	memset(&r, 0, sizeof(r));
	lab_run_dirname(&row, name, sizeof(name));
	snprintf(rel, sizeof(rel), "%s/%s/%s", sc->name, v->name, name);
	snprintf(r.scenario, sizeof(r.scenario), "%s", sc->name);
	snprintf(r.variant, sizeof(r.variant), "%s", v->name);
	snprintf(r.topology, sizeof(r.topology), "%s", row.topology);
	snprintf(r.dataplane, sizeof(r.dataplane), "%s", row.dataplane);
	snprintf(r.scheduler, sizeof(r.scheduler), "%s", row.scheduler);
	snprintf(r.bridge, sizeof(r.bridge), "%s", v->bridge);
	snprintf(r.run, sizeof(r.run), "%s", rel);
	snprintf(r.fault, sizeof(r.fault), "%s", o->n_faults ? o->faults[0].spec : "");
	r.qos = row.qos;
	r.repeat = rep;
	r.persistence = v->persistence;
	r.expected = row.expected;
	r.unique = row.unique;
	r.lost = row.lost;
	r.duplicates = row.duplicates;
	snprintf(dir, sizeof(dir), "%s/%s", out, rel);
	lab_fault_row_fill(&r, dir, o->faults, o->n_faults, lab_publish_ms(o, o->clients[0]),
			   s->env.broker_base_port);
	lab_fault_row_write(csv, &r);
	fflush(csv);
	return 0;
}

/* Why scenario sc cannot run on SSH hosts (--inventory), or NULL. */
static const char *ssh_why(const struct lab_scenario *sc)
{
	if (sc->when == 1)
		return "HA (keepalived's VRRP VIP, a director host's death) runs on the lab's "
		       "namespaces only";
	for (int k = 0; sc->fault && k < LAB_FAULT_KINDS; k++) {
		const char *name = lab_fault_kind_name((enum lab_fault_kind)k);
		size_t len = strlen(name);
		if (strncmp(sc->fault, name, len) == 0 && strchr(":=@", sc->fault[len]))
			return lab_fault_ssh_why((enum lab_fault_kind)k);
	}
	return NULL;
}

/* Every variant's options, checked before anything starts. */
static int plan(const struct lab_faults_opts *x, struct lab_opts *opts, int *sc_of, int *v_of)
{
	int n = 0;
	for (int p = 0; p < x->n_pick; p++) {
		const struct lab_scenario *sc = &scenarios[PICK_SCENARIO(x->pick[p])];
		unsigned mask = PICK_MASK(x->pick[p]);
		if (x->base.inventory && ssh_why(sc))
			return -cli_usage_error("lab faults", "--scenario %s with --inventory: %s",
						sc->name, ssh_why(sc));
		for (int v = 0; v < LAB_MAX_VARIANTS && sc->v[v].name; v++) {
			char err[256];
			if (mask && !(mask & 1u << v))
				continue;
			if (variant_opts(&x->base, sc, &sc->v[v], &opts[n], err, sizeof(err)) < 0)
				return -cli_usage_error("lab faults", "%s/%s: %s", sc->name,
							sc->v[v].name, err);
			sc_of[n] = PICK_SCENARIO(x->pick[p]);
			v_of[n++] = v;
		}
	}
	return n;
}

int lab_cmd_faults(struct lab_faults_opts *x)
{
	static struct lab_opts opts[N_SCENARIOS * LAB_MAX_VARIANTS];
	int sc_of[N_SCENARIOS * LAB_MAX_VARIANTS], v_of[N_SCENARIOS * LAB_MAX_VARIANTS];
	struct lab_session s;
	char path[1200], why[256];
	if (!x->n_pick) /* all: on SSH hosts, those that run there */
		for (int i = 0; i < N_SCENARIOS; i++)
			if (!x->base.inventory || !ssh_why(&scenarios[i]))
				x->pick[x->n_pick++] = i;
	int n = plan(x, opts, sc_of, v_of);
	if (n <= 0)
		return CLI_USAGE;
	if (lab_session_open(&x->base, &s) < 0)
		return CLI_FAIL;
	snprintf(path, sizeof(path), "%s/faults.csv", s.out);
	FILE *csv = fopen(path, "w");
	if (!csv) {
		log_error("lab: %s: %s", path, strerror(errno));
		lab_session_close(&s);
		return CLI_FAIL;
	}
	fprintf(csv, "%s\n", LAB_FAULTS_HEADER);
	int failed = 0, done = 0, reps = x->base.repeat > 0 ? x->base.repeat : 1;
	uint64_t t0 = time_mono_ns();
	/* interleaved: every variant once, then every variant again */
	for (int r = 1; r <= reps && !lab_stop; r++)
		for (int i = 0; i < n && !lab_stop; i++) {
			const struct lab_scenario *sc = &scenarios[sc_of[i]];
			if (skip_reason(&s, sc, why, sizeof(why))) {
				if (v_of[i] == 0 && r == 1)
					log_warn("lab faults: scenario %s skipped: %s", sc->name,
						 why);
				continue;
			}
			if (variant_skip(&s, &sc->v[v_of[i]], why, sizeof(why))) {
				if (r == 1)
					log_warn("lab faults: %s/%s skipped: %s", sc->name,
						 sc->v[v_of[i]].name, why);
				continue;
			}
			if (run_variant(&opts[i], &s, s.out, sc, &sc->v[v_of[i]], (r - 1) * n + i,
					n * reps, (unsigned)r, csv) < 0) {
				failed++;
				continue;
			}
			done++;
		}
	fclose(csv);
	lab_session_close(&s);
	if (lab_stop) {
		log_error("lab: interrupted; every fault undone and everything the lab started is "
			  "down");
		return CLI_FAIL;
	}
	log_info("lab faults: %d runs in %.1f min, %d failed", done,
		 (double)(time_mono_ns() - t0) / 60e9, failed);
	if (lab_faults_report(s.out) < 0)
		return CLI_FAIL;
	if (x->base.inventory)
		lab_clocks_section(s.out, s.out, "faults.md", x->base.max_clock_offset_ms);
	printf("report: %s/faults.md\n", s.out);
	return failed ? CLI_FAIL : CLI_OK;
}
