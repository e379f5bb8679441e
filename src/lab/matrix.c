/* matrix.c — the experiment list: every client count x topology x QoS. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lab/run.h"

static const char *const topo_names[LAB_TOPO_COUNT] = {
    "distributed", "centralized", "distributed-shared", "clientid",
    "ha",	   "ha-clientid", "distributed-lc"};

const char *lab_topology_name(enum lab_topology t)
{
	return (unsigned)t < LAB_TOPO_COUNT ? topo_names[t] : "?";
}

int lab_topology_ha(enum lab_topology t)
{
	return t == LAB_TOPO_HA || t == LAB_TOPO_HA_CLIENTID;
}

const char *lab_topology_dataplane(enum lab_topology t, const char *dp)
{
	return t == LAB_TOPO_SHARED || t == LAB_TOPO_CLIENTID || t == LAB_TOPO_HA_CLIENTID ||
		       t == LAB_TOPO_LC
		   ? "proxy"
		   : dp;
}

const char *lab_topology_scheduler(enum lab_topology t, const char *sched)
{
	if (t == LAB_TOPO_CLIENTID || t == LAB_TOPO_HA_CLIENTID)
		return "clientid";
	return t == LAB_TOPO_SHARED || t == LAB_TOPO_LC ? "lc" : sched;
}

int lab_topology_parse(const char *s)
{
	for (int i = 0; i < LAB_TOPO_COUNT; i++)
		if (strcmp(s, topo_names[i]) == 0)
			return i;
	return -1;
}

/* Adds one run unless runs is full (then only counts it). */
static void plan(struct lab_run *runs, int *n, enum lab_topology t, int qos, uint64_t clients,
		 unsigned repeat)
{
	if (runs && *n < LAB_MAX_RUNS)
		runs[*n] = (struct lab_run){
		    .topology = t, .qos = qos, .clients = clients, .repeat = repeat};
	(*n)++;
}

/* The whole plan into runs (NULL = count only). Returns the count. */
static int matrix(const struct lab_opts *o, struct lab_run *runs)
{
	static const enum lab_topology pair[] = {LAB_TOPO_LC, LAB_TOPO_SHARED};
	int n = 0, reps = o->repeat > 0 ? o->repeat : 1;
	for (int r = 1; r <= reps; r++)
		for (int c = 0; c < o->n_clients; c++) {
			for (int t = 0; t < o->n_topologies; t++)
				for (int q = 0; q < o->n_qos; q++)
					plan(runs, &n, (enum lab_topology)o->topologies[t],
					     o->qos[q], o->clients[c], (unsigned)r);
			for (int p = 0; o->lc_pair && p < 2; p++)
				plan(runs, &n, pair[p], o->lc_pair_qos, o->clients[c], (unsigned)r);
		}
	return n;
}

int lab_matrix(const struct lab_opts *o, struct lab_run *runs)
{
	int n = matrix(o, runs);
	return n < LAB_MAX_RUNS ? n : LAB_MAX_RUNS;
}

int lab_matrix_size(const struct lab_opts *o)
{
	return matrix(o, NULL);
}

uint64_t lab_publish_ms(const struct lab_opts *o, uint64_t clients)
{
	uint64_t per_host = clients / LAB_CLIENT_HOSTS / 2; /* run.c bench_start */
	uint64_t lim = o->burst / LAB_CLIENT_HOSTS + (o->burst % LAB_CLIENT_HOSTS != 0);
	if (!per_host)
		return 0;
	return (lim + per_host - 1) / per_host * o->interval_ms;
}

const char *lab_fault_ssh_why(enum lab_fault_kind k)
{
	switch (k) {
	case LAB_FAULT_BROKER_KILL:
	case LAB_FAULT_BROKER_FREEZE: /* a signal sent by `cluster kill` on the brokers' host */
		return NULL;
	case LAB_FAULT_CLIENT_FLAP:
		return "it takes the client host's own link down, which carries the SSH "
		       "connection that would bring it back up";
	case LAB_FAULT_DIRECTOR_KILL:
		return "a host death downs the director host's links, the SSH connection's "
		       "among them (a real one needs the host's power control)";
	case LAB_FAULT_NETEM:
		return "netem on the client link delays and drops the SSH traffic on it too, and "
		       "its switch side is no host of the inventory";
	case LAB_FAULT_BRIDGE_CUT:
		return "it needs a firewall table on the brokers' host that a lost SSH "
		       "connection would leave in place; not over SSH yet";
	default:
		return "unknown fault";
	}
}

int lab_faults_validate(const struct lab_opts *o, const struct lab_run *runs, int n, char *err,
			size_t errlen)
{
	int netns = o->hosts == LAB_HOSTS_NETNS || (o->hosts == LAB_HOSTS_AUTO && geteuid() == 0);
	if (o->n_faults && !netns && !o->inventory) {
		snprintf(err, errlen, "--fault needs the lab's namespaces (root, --hosts netns)");
		return -EINVAL;
	}
	for (int i = 0; o->inventory && i < o->n_faults; i++) {
		const char *why = lab_fault_ssh_why(o->faults[i].kind);
		if (why) {
			snprintf(err, errlen, "--fault %s with --inventory: %s", o->faults[i].spec,
				 why);
			return -EINVAL;
		}
	}
	for (int r = 0; r < n; r++) {
		struct lab_fault_limits l = {
		    .brokers = 3, /* the lab's cluster (run.c: three backends) */
		    .directors = runs[r].topology == LAB_TOPO_CENTRALIZED ? 1 : LAB_DIRECTOR_HOSTS,
		    .mesh = lab_cluster_is_mesh(&o->cluster),
		    .publish_ms = lab_publish_ms(o, runs[r].clients)};
		for (int i = 0; i < o->n_faults; i++)
			if (lab_fault_check(&o->faults[i], &l, err, errlen) < 0)
				return -EINVAL;
	}
	return 0;
}
