/* cluster.h — `mqlb cluster`: N real Mosquitto brokers, bridged (star as in the
 * study, an origin-prefixed mesh, or none), each with its own config, pid file,
 * log and cgroup limits, described by a state file in a run directory so that
 * `up`, `status`, `down` and `mqlb monitor` can be separate invocations.
 *
 * Files in the run dir: state (see cluster_state.c), b<i>.conf, b<i>.pid, b<i>.log.
 */
#ifndef MQLB_CLUSTER_H
#define MQLB_CLUSTER_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cgroup.h"

#define CLUSTER_MAX_BROKERS 16
#define CLUSTER_MAX_OPTS    32
#define CLUSTER_HOST_MAX    64
#define CLUSTER_NAME_MAX    32
#define CLUSTER_MESH_PREFIX "$mesh/" /* mesh: arrivals land under $mesh/<origin>/ */
/* What a mesh user must know; printed by `up --bridge mesh` and `status`. */
#define CLUSTER_MESH_NOTE                                                                          \
	"mesh: a message published on broker i reaches the other brokers as "                      \
	"$mesh/<i>/<topic>; subscribe to T and $mesh/+/T to get T from every broker, once"

enum cluster_bridge {
	CLUSTER_BRIDGE_NONE = 0,
	CLUSTER_BRIDGE_STAR, /* hub broker 1: one bridge per spoke, topic # both <qos> */
	CLUSTER_BRIDGE_MESH, /* every broker -> every other, out only, origin-prefixed */
	CLUSTER_BRIDGE_COUNT
};

/* What the user asked for (flags / profile); also what the state file records. */
struct cluster_spec {
	char name[CLUSTER_NAME_MAX]; /* cgroups mqlb/<name>-b<i>; default "p<base_port>" */
	unsigned brokers;
	enum cluster_bridge bridge;
	char host[CLUSTER_HOST_MAX];   /* listen address of every broker */
	uint16_t base_port;	       /* broker i listens on base_port + i - 1 */
	double cpus;		       /* per broker, 0 = unlimited */
	uint64_t mem_bytes;	       /* per broker, 0 = unlimited */
	long max_queued, max_inflight; /* -1 = Mosquitto default */
	int queue_qos0, persistence;   /* booleans; 0 = Mosquitto default (false) */
	int bridge_qos;		       /* QoS of the bridges' topic lines, 0..2 (study: 2) */
	unsigned n_opts;
	char opts[CLUSTER_MAX_OPTS][128]; /* "key value" lines */
	char netns[64];			  /* "" = current namespace */
	char run_dir[PATH_MAX];
};

/* One bridge: hosted on broker `from`, connecting to broker `to`. */
struct cluster_link {
	unsigned from, to;
	char id[48]; /* connection name = remote_clientid, "mqlb.b1-to-b2" */
};

/* What is running: the spec plus per-broker pid and cgroup (from the state file). */
struct cluster_broker {
	unsigned id;
	int pid;
	uint16_t port;
	struct cgroup cg;
};

struct cluster_state {
	struct cluster_spec spec;
	enum cgroup_version cg_version;
	unsigned n;
	struct cluster_broker b[CLUSTER_MAX_BROKERS];
};

const char *cluster_bridge_name(enum cluster_bridge b);
/* "star" / "mesh" / "none" -> 0 and *out, else -EINVAL. */
int cluster_bridge_parse(const char *s, enum cluster_bridge *out);
void cluster_spec_defaults(struct cluster_spec *s);
/* --profile thesis: 3 brokers, star (bridge QoS 2), 0.25 CPU, 128 MiB, Mosquitto
 * defaults. -EINVAL if unknown. */
int cluster_spec_profile(struct cluster_spec *s, const char *profile);

/* The bridges of a topology, in a fixed order. Returns how many (<= max). */
unsigned cluster_links(const struct cluster_spec *s, struct cluster_link *out, unsigned max);

/* Where a broker listens and how bridges reach peers, for the two renderings. */
enum cluster_conf_target {
	CLUSTER_CONF_LOCAL = 0, /* processes here: host:base_port+i-1 */
	CLUSTER_CONF_COMPOSE,	/* containers: listener 1883, peers "broker<j>:1883" */
	CLUSTER_CONF_TARGET_COUNT
};
/* Writes broker i's mosquitto.conf to f. Returns 0 or -EIO. */
int cluster_conf_write(FILE *f, const struct cluster_spec *s, unsigned i,
		       enum cluster_conf_target target);

/* State file: <run_dir>/state. write returns 0/-errno; read returns 0, -ENOENT
 * when there is no state file, -EINVAL when it is malformed. */
int cluster_state_write(const struct cluster_state *st);
int cluster_state_read(const char *run_dir, struct cluster_state *st);
void cluster_run_path(const struct cluster_spec *s, const char *file, char *out, size_t len);

/* Is pid a live mosquitto started from this run dir (guards against pid reuse)? */
int cluster_broker_alive(const struct cluster_state *st, const struct cluster_broker *b);

/* Subcommand bodies; return CLI_OK / CLI_FAIL / CLI_USAGE. */
int cluster_up(const struct cluster_spec *s, uint64_t timeout_ns);
int cluster_down(const char *run_dir, uint64_t kill_timeout_ns);
int cluster_status(const char *run_dir, int json);
int cluster_render(const struct cluster_spec *s, const char *out_dir);

/* Default run dir: $XDG_RUNTIME_DIR/mqlb, or /run/mqlb as root, else /tmp/mqlb-<uid>. */
void cluster_default_run_dir(char *out, size_t len);

int cmd_cluster(int argc, char **argv);

#endif
