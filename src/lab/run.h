/* run.h — the experiment list (matrix.c), the hosts (topology_netns.c,
 * topology_loop.c) and one run (run.c). */
#ifndef MQLB_LAB_RUN_H
#define MQLB_LAB_RUN_H

#include <stdint.h>

#include "lab/lab.h"

#define LAB_MAX_LIST	   8
#define LAB_MAX_RUNS	   128
#define LAB_CLIENT_HOSTS   2
#define LAB_DIRECTOR_HOSTS 2

enum lab_topology {
	LAB_TOPO_DISTRIBUTED = 0, /* two directors, each its own client host, own state */
	LAB_TOPO_CENTRALIZED,	  /* one director for both client hosts */
	LAB_TOPO_SHARED,	  /* two proxy directors sharing counts (--peers) */
	LAB_TOPO_CLIENTID,	  /* two proxy directors, Maglev on the ClientID */
	LAB_TOPO_COUNT
};

enum lab_hosts {
	LAB_HOSTS_AUTO = 0,
	LAB_HOSTS_NETNS,    /* root: namespaces mqlb-lab-*, veth + bridge, 198.18.0.0/15 */
	LAB_HOSTS_LOOPBACK, /* no root: 127.0.x.y and the user-space director */
	LAB_HOSTS_COUNT
};

struct lab_opts {
	const char *out;
	int topologies[LAB_MAX_LIST], n_topologies;
	int qos[3], n_qos;
	uint64_t clients[LAB_MAX_LIST];
	int n_clients;
	uint64_t burst;
	uint64_t interval_ms;	/* bench -I */
	uint64_t drain_s;	/* at most this long after publishing */
	uint64_t quiet_s;	/* bench sub --drain: stop after this long without a message */
	uint64_t run_timeout_s; /* hard limit per run */
	const char *dataplane;	/* auto|nft|ipvs|proxy */
	const char *scheduler;	/* NULL = as the study (lc, else rr) */
	const char *profile;	/* cluster --profile */
	enum lab_hosts hosts;
	int quick;
};

/* One planned run. */
struct lab_run {
	enum lab_topology topology;
	int qos;
	uint64_t clients;
};

/* How the hosts were made, for the runs and lab.json. */
struct lab_env {
	enum lab_hosts hosts;
	char dataplane[16];		      /* resolved: nft|ipvs|proxy */
	char scheduler[16];		      /* resolved */
	char scheduler_note[256];	      /* why this scheduler (the report prints it) */
	char client_ns[LAB_CLIENT_HOSTS][32]; /* "" in loopback mode */
	char client_addr[LAB_CLIENT_HOSTS][32];
	char director_ns[LAB_DIRECTOR_HOSTS][32];
	char director_addr[LAB_DIRECTOR_HOSTS][32]; /* VIP of director i */
	uint16_t vip_port;
	char broker_ns[32];
	char broker_addr[32];
	uint16_t broker_base_port;
};

const char *lab_topology_name(enum lab_topology t);
/* Returns the topology or -1. */
int lab_topology_parse(const char *s);

/* matrix.c: fills runs (cap LAB_MAX_RUNS) in the order clients, topology, QoS.
 * Returns the count. */
int lab_matrix(const struct lab_opts *o, struct lab_run *runs);

/* topology_netns.c: namespaces. lab_netns_cleanup removes every namespace whose
 * name starts with "mqlb-lab-" (what this lab owns) and nothing else. */
int lab_netns_setup(struct lab_env *env, const char *logdir);
void lab_netns_cleanup(void);
/* Counts leftover mqlb-lab-* namespaces (for the checks after a run). */
int lab_netns_count(void);
/* topology_loop.c: loopback hosts (no root). */
int lab_loop_setup(struct lab_env *env);

/* orchestrate.c: remembers the cluster run dir of the run in progress (NULL =
 * none) in the lab's state file, so the next lab run can bring down what a
 * killed one left behind. */
void lab_state_cluster(const char *run_dir);
/* The lab's state folder (created 0700): /run/mqlb as root, else
 * $XDG_RUNTIME_DIR/mqlb or /tmp/mqlb-<uid>. Directors' control sockets live here. */
void lab_state_dir(char *buf, size_t len);

/* run.c: one run into DIR/<run>; fills row. Returns 0, or -errno (-EINTR on
 * Ctrl-C) after tearing down everything it started. progress: "i/N". */
int lab_run_one(const struct lab_opts *o, const struct lab_env *env, const struct lab_run *run,
		const char *dir, const char *progress, struct lab_row *row);

#endif
