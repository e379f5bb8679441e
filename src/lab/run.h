/* run.h — the experiment list (matrix.c), the hosts (topology_netns.c,
 * topology_loop.c) and one run (run.c). */
#ifndef MQLB_LAB_RUN_H
#define MQLB_LAB_RUN_H

#include <stdint.h>
#include <sys/types.h>

#include "lab/fault.h"
#include "lab/lab.h"

#define LAB_MAX_LIST   8
#define LAB_MAX_RUNS   128
#define LAB_MAX_REPEAT 20 /* --repeat 1..20 */
/* lab run's default repeat count: what `make lab` runs (15 minutes on two
 * cores, measured: docs/findings/2026-12-01-repeats.md) */
#define LAB_DEFAULT_REPEAT   3
#define LAB_DEFAULT_REPEAT_S "3"
/* --max-clock-offset default (ms): NTP-synchronised hosts on one LAN are
 * within about a millisecond of each other; 10 ms is far past that and still
 * small against the latencies the study compares */
#define LAB_DEFAULT_CLOCK_MS   10
#define LAB_DEFAULT_CLOCK_MS_S "10"
#define LAB_CLIENT_HOSTS       2
#define LAB_DIRECTOR_HOSTS     2

enum lab_topology {
	LAB_TOPO_DISTRIBUTED = 0, /* two directors, each its own client host, own state */
	LAB_TOPO_CENTRALIZED,	  /* one director for both client hosts */
	LAB_TOPO_SHARED,	  /* two proxy directors sharing counts (--peers) */
	LAB_TOPO_CLIENTID,	  /* two proxy directors, Maglev on the ClientID */
	LAB_TOPO_HA,		  /* two directors (the lab's dataplane) sharing a keepalived VIP */
	LAB_TOPO_HA_CLIENTID,	  /* the same with proxy directors, Maglev on the ClientID */
	LAB_TOPO_LC,		  /* two proxy directors, lc, each on its own connections */
	LAB_TOPO_COUNT
};

enum lab_hosts {
	LAB_HOSTS_AUTO = 0,
	LAB_HOSTS_NETNS,    /* root: namespaces mqlb-lab-*, veth + bridge, 198.18.0.0/15 */
	LAB_HOSTS_LOOPBACK, /* no root: 127.0.x.y and the user-space director */
	LAB_HOSTS_SSH,	    /* --inventory: SSH hosts (host.h, inventory.h) */
	LAB_HOSTS_COUNT
};

#define LAB_MAX_MOSQ_OPTS 8
/* argv entries lab_cluster_argv may append: 6 flags and the opts, with values,
 * and --persistence */
#define LAB_CLUSTER_ARGV_MAX (2 * (6 + LAB_MAX_MOSQ_OPTS) + 1)

/* Cluster overrides passed through to `mqlb cluster up` after --profile
 * (setup.c). An empty string = the profile's value. */
struct lab_cluster {
	char bridge[8];			   /* star | mesh */
	char cpus[16];			   /* "0.25"; "0" = no limit */
	char memory[16];		   /* "128M"; "0" = no limit */
	char max_queued[16];		   /* max_queued_messages; "0" = unlimited */
	char max_inflight[16];		   /* max_inflight_messages; "0" = unlimited */
	char bridge_qos[4];		   /* cluster --bridge-qos "0".."2" (thesis: 2) */
	char opts[LAB_MAX_MOSQ_OPTS][128]; /* --mosquitto-opt K=V */
	int n_opts;
	int persistence; /* cluster --persistence (sessions and queues survive a restart) */
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
	struct lab_cluster cluster;
	char setup[96]; /* label of the cluster setup ("" = lab_cluster_label) */
	/* faults (fault.h) and what the clients need to live through them */
	struct lab_fault faults[LAB_MAX_FAULTS];
	int n_faults;
	int persistent;		     /* bench -V 5 -C false --reconnect: sessions outlive a link */
	uint64_t keepalive_s;	     /* bench -k; 0 = bench's default */
	const char *reconnect_delay; /* bench --reconnect-delay MIN[,MAX]; NULL = default */
	const char *health_interval; /* director --health-interval; NULL = default */
	int repeat;		     /* every point this many times, interleaved (>= 1) */
	/* The lc pair of the default study (issue 16): distributed-lc (each
	 * director's own least-connection view) and distributed-shared (one view
	 * over --peers) run besides the topologies when lc_pair is set, at
	 * lc_pair_qos only. */
	int lc_pair, lc_pair_qos;
	/* --inventory FILE: the roles on SSH hosts (inventory.h), loaded at parse
	 * time; --max-clock-offset: the largest error a latency between the
	 * client hosts may carry (ms, 0 = no limit) */
	const char *inventory;
	uint64_t max_clock_offset_ms;
};

/* One planned run. */
struct lab_run {
	enum lab_topology topology;
	int qos;
	uint64_t clients;
	unsigned repeat; /* 1..opts.repeat; run folders -r<k> for k >= 2 */
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
	char director_back[LAB_DIRECTOR_HOSTS]
			  [32]; /* its address towards the brokers ("" = none) */
	uint16_t vip_port;
	char broker_ns[32];
	char broker_addr[32];
	uint16_t broker_base_port;
	/* SSH: how far a latency between the client hosts may be off (clocks) */
	uint64_t clock_err_ns;
};

const char *lab_topology_name(enum lab_topology t);
/* Both client hosts connect to one VIP held by keepalived (ha.c). */
int lab_topology_ha(enum lab_topology t);
/* The director dataplane (proxy for the proxy-only topologies, else dp) and
 * scheduler (clientid / lc for those, else sched) of topology t. */
const char *lab_topology_dataplane(enum lab_topology t, const char *dp);
const char *lab_topology_scheduler(enum lab_topology t, const char *sched);

/* ha.c — keepalived for the HA topologies. */
#define LAB_HA_VIP "198.18.0.20"
struct lab_ha {
	pid_t ka[LAB_DIRECTOR_HOSTS]; /* keepalived (parent), 0 = none */
	char conf[LAB_DIRECTOR_HOSTS][1200], state[LAB_DIRECTOR_HOSTS][1200];
	char vrrp_pid[LAB_DIRECTOR_HOSTS][1200]; /* its VRRP child's pid file */
};
/* Renders keepalived.conf per director (director ha render, into rundir),
 * starts keepalived for each and waits until director 1 holds the VIP.
 * socks: the directors' control sockets. Returns 0 or < 0 (logged). */
int lab_ha_start(struct lab_ha *h, const struct lab_env *env, const char *rundir,
		 char socks[][1100], int n);
/* SIGTERM to each keepalived (it removes the VIP), reaped. */
void lab_ha_stop(struct lab_ha *h, int n);
/* SIGKILL to the keepalived VRRP child named in pid file path (if it is one). */
void lab_ha_kill_vrrp(const char *path);
/* Returns the topology or -1. */
int lab_topology_parse(const char *s);

/* setup.c */
/* Applies one cluster override flag (--bridge, --cpus, --memory, --max-queued,
 * --max-inflight, --bridge-qos, --mosquitto-opt) with value v to c. Returns 0, 1 when flag is
 * not one of them, or -EINVAL (v is invalid: err says why, for the usage line). */
int lab_cluster_flag(struct lab_cluster *c, const char *flag, const char *v, char *err,
		     size_t errlen);
/* Nonzero when c overrides nothing. */
int lab_cluster_empty(const struct lab_cluster *c);
/* "thesis" or "thesis+max-queued=0+memory=512M+opt:K=V": the profile, then
 * every override in flag order. No ',' (summary.csv) and no spaces. */
void lab_cluster_label(const char *profile, const struct lab_cluster *c, char *buf, size_t len);
/* Appends the overrides as `cluster up` arguments to argv[*n..] (pointers into
 * c, which must outlive argv); at most LAB_CLUSTER_ARGV_MAX entries. */
void lab_cluster_argv(const struct lab_cluster *c, char **argv, int *n);
/* Memory limit in bytes the brokers ran with (cluster up's default and the
 * thesis profile: 128M unless overridden), 0 = none. */
uint64_t lab_cluster_memory(const char *profile, const struct lab_cluster *c);
/* Subscribers need the mesh's second filter ($mesh/+/T, cluster(1)). */
int lab_cluster_is_mesh(const struct lab_cluster *c);

/* search.c — `mqlb lab search`: a fixed list of cluster setups. */
#define LAB_MAX_SETUPS 16

struct lab_setup {
	const char *name;	 /* label in search.csv and the folder name */
	const char *what;	 /* one line: what changes against the thesis profile */
	int topology;		 /* enum lab_topology, or -1 = the search's --topology */
	const char *flags[8][2]; /* cluster overrides (lab_cluster_flag), {NULL} ends */
};

struct lab_search_opts {
	struct lab_opts base;		  /* load, hosts, dataplane; its cluster stays empty */
	int pick[LAB_MAX_SETUPS], n_pick; /* indexes into lab_setups(); 0 = all */
	int first;			  /* --first: stop at the first setup losing 0 */
};

/* The fixed list (static storage); *n = its length. */
const struct lab_setup *lab_setups(int *n);
/* Parses "a,b" of setup names ("all" = every setup) into idx (cap entries),
 * in the order given, without repeats. Returns the count, or -EINVAL with
 * err naming the unknown or repeated name and the known ones. */
int lab_setups_pick(const char *list, int *idx, int cap, char *err, size_t errlen);
/* Applies setup s's overrides to c (zeroed first). Returns 0 or -EINVAL. */
int lab_setup_cluster(const struct lab_setup *s, struct lab_cluster *c);
/* CPU limit of one broker in % of one core (cluster up's and the thesis
 * default: 25); 0 = none. */
double lab_cluster_cpu_pct(const struct lab_cluster *c);

/* The figures of one search row that explain it (lab_search_why). */
struct lab_search_fig {
	int failed; /* the run did not complete */
	uint64_t expected, lost, duplicates;
	uint64_t dropped, hub_dropped; /* $SYS publish/messages/dropped: all, broker 1 */
	int have_sys;
	double peak_cpu_pct, cpu_limit_pct; /* one broker's peak; limit 0 = none */
	double peak_rss, mem_limit;	    /* bytes; limit 0 = none */
	int have_rss;
	unsigned restarts; /* broker processes that changed or died */
	uint64_t held;	   /* messages still in the brokers' stores at the end, over baseline */
	unsigned bridge_errors; /* "Bad socket read/write" on a bridge in the broker logs */
	int have_store;
	int mesh;
};
/* One clause (no trailing period) saying why the row lost or did not, from the
 * evidence only: e.g. "lost 54.21 %: the brokers dropped 183000 messages
 * ($SYS, 41 % on the hub broker 1): per-client queues (max_queued_messages +
 * max_inflight_messages) overflowed". */
void lab_search_why(const struct lab_search_fig *f, char *buf, size_t len);
int lab_cmd_search(const struct lab_search_opts *x);
/* Rewrites DIR/search.md and DIR/search.csv from the setup folders in DIR
 * (those of lab_setups() that hold a summary.csv), as `lab report` does for a
 * run. Returns 0, -ENOENT (no setup folder) or -ENOMEM. */
int lab_search_rebuild(const char *dir);

/* faults.c — `mqlb lab faults`: named scenarios, each with its variants. */
#define LAB_MAX_VARIANTS 4
struct lab_variant {
	const char *name; /* folder and label, NULL ends the list */
	int topology;	  /* enum lab_topology */
	const char *bridge;
	int persistence;
	const char *health; /* director --health-interval, NULL = default (1s) */
};
struct lab_scenario {
	const char *name;
	const char *what; /* one line for faults.md */
	const char
	    *fault; /* printf format of the spec (start ms; netem: publish ms); NULL = none */
	int when;   /* 0 = at a third of the publish time, 1 = needs HA, 2 = netem */
	struct lab_variant v[LAB_MAX_VARIANTS];
};
struct lab_faults_opts {
	struct lab_opts base;
	int pick[16], n_pick; /* indexes into lab_scenarios(); 0 = all */
};
/* The fixed list (static storage); *n = its length. */
const struct lab_scenario *lab_scenarios(int *n);
/* Parses "a,b" of scenario names into idx (cap entries). Returns the count or
 * -EINVAL with err set. */
int lab_scenarios_pick(const char *list, int *idx, int cap, char *err, size_t errlen);
int lab_cmd_faults(struct lab_faults_opts *x);

/* matrix.c: fills runs (cap LAB_MAX_RUNS): repeat 1 of every point in the
 * order clients, topology, QoS (then the lc pair at its QoS), then repeat 2 of
 * every point, ...: interleaved (A B A B), so that drift of a shared machine
 * hits every point alike. Returns the count. */
int lab_matrix(const struct lab_opts *o, struct lab_run *runs);
/* The number of runs lab_matrix would plan without its cap. */
int lab_matrix_size(const struct lab_opts *o);
/* How long the publishers of a run with `clients` clients publish: the larger
 * host's share of the burst per publisher times -I, in ms. */
uint64_t lab_publish_ms(const struct lab_opts *o, uint64_t clients);
/* Why a fault of kind k cannot run on SSH hosts (--inventory), one clause for
 * a usage error, or NULL when it can: broker-kill and broker-freeze signal a
 * broker on the brokers' host; the others cut the link that carries SSH or
 * need what the inventory's hosts do not give (docs/hosts.md). */
const char *lab_fault_ssh_why(enum lab_fault_kind k);
/* Checks every fault of o against every run (lab_fault_check) and, with
 * --inventory, that each runs over SSH (lab_fault_ssh_why). Returns 0, or
 * -EINVAL with err set (one line, for the usage error). */
int lab_faults_validate(const struct lab_opts *o, const struct lab_run *runs, int n, char *err,
			size_t errlen);

/* topology_netns.c: namespaces. lab_netns_cleanup removes every namespace whose
 * name starts with "mqlb-lab-" (what this lab owns) and nothing else. */
int lab_netns_setup(struct lab_env *env, const char *logdir);
void lab_netns_cleanup(void);
/* Routes each client host's address, in the brokers' namespace, via the back
 * address of the director that serves it (client_dir[h]): IPVS NAT rewrites
 * only the destination, so a broker answers the client's own address and must
 * send that answer back through the same director. Returns 0 or < 0. */
int lab_netns_route_clients(const struct lab_env *env, const int client_dir[LAB_CLIENT_HOSTS]);
/* Counts leftover mqlb-lab-* namespaces (for the checks after a run). */
#define LAB_NETNS_COUNT 6 /* what lab_netns_setup makes: 2 clients, 2 directors, brokers, sw */
int lab_netns_count(void);
/* Leaves the director hosts as lab_netns_setup made them, after a run: no nft
 * ruleset, no conntrack entries, no HA VIP. A director killed by a fault
 * (director-kill) cannot remove its own nft table, and a killed keepalived can
 * leave the VIP on its link; the next run's directors must not inherit either
 * (a stale DNAT rule would take the proxy's connections before it sees them).
 * Failures are logged, not fatal. */
void lab_netns_reset_directors(const struct lab_env *env);
/* topology_loop.c: loopback hosts (no root). */
int lab_loop_setup(struct lab_env *env);

/* orchestrate.c: remembers the cluster run dir of the run in progress (NULL =
 * none) in the lab's state file, so the next lab run can bring down what a
 * killed one left behind. */
void lab_state_cluster(const char *run_dir);
/* The lab's state folder: mqlb's run dir (rundir_default: /run/mqlb as root,
 * else $XDG_RUNTIME_DIR/mqlb or /tmp/mqlb-<euid>), vetted and created as
 * rundir_check does (a real directory, ours, closed to others). Directors'
 * control sockets, the lab's lock and SSH control sockets live here. Returns
 * 0, or -errno with the reason logged (buf still holds the path). */
int lab_state_dir(char *buf, size_t len);

/* orchestrate.c: what every lab command shares. A session holds the lock (one
 * lab at a time), the out folder (absolute) and the hosts; close takes down
 * everything the lab made (children, cluster, namespaces). */
struct lab_session {
	struct lab_env env;
	char out[1024];	       /* absolute when it fits */
	int lock;	       /* flock fd, -1 = none */
	int netns;	       /* namespaces to remove on close */
	int ssh;	       /* SSH hosts to clean and close on close */
	uint64_t clock_err_ns; /* SSH: error bound of a latency between client hosts */
};
/* Resolves hosts/dataplane/scheduler for o (its topologies), takes the lock,
 * creates o->out (or results/<timestamp>), clears leftovers and builds the
 * hosts. Returns 0, or -1 with a message logged and nothing left behind. */
int lab_session_open(const struct lab_opts *o, struct lab_session *s);
void lab_session_close(struct lab_session *s);
/* Runs runs[0..n-1] into dir (lab.json, summary.csv, run folders) with o's
 * cluster setup; progress "first+i+1/total [setup]" (", repeat k/N" when
 * o->repeat > 1). A list whose first run is repeat 1 starts dir's summary.csv
 * and lab.json; a later repeat's list appends its rows to them (lab faults and
 * lab search run a folder's repeats in several lists). Fills rows (cap n) and
 * counts failures in *failed. Returns the rows written, or -errno. */
int lab_run_list(const struct lab_opts *o, struct lab_session *s, const char *dir,
		 const struct lab_run *runs, int n, int first, int total, struct lab_row *rows,
		 int *failed);
int lab_cmd_run(const struct lab_opts *o);

/* run.c: one run into DIR/<run>; fills row. Returns 0, or -errno (-EINTR on
 * Ctrl-C) after tearing down everything it started. progress: "i/N". */
int lab_run_one(const struct lab_opts *o, const struct lab_env *env, const struct lab_run *run,
		const char *dir, const char *progress, struct lab_row *row);

#endif
