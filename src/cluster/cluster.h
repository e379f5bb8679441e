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

/* "none" / "star" / "mesh" (static strings), "?" out of range. */
const char *cluster_bridge_name(enum cluster_bridge b);
/* "star" / "mesh" / "none" -> 0 and *out, else -EINVAL. */
int cluster_bridge_parse(const char *s, enum cluster_bridge *out);
/* The defaults of `cluster up`: 3 brokers, star, 127.0.0.1:18831.., 0.25 CPU,
 * 128 MiB (the whole struct is reset first). */
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
/* Reads <run_dir>/state into st (see above for the returns). */
int cluster_state_read(const char *run_dir, struct cluster_state *st);
/* <s->run_dir>/<file> into out (truncated to len). */
void cluster_run_path(const struct cluster_spec *s, const char *file, char *out, size_t len);

/* What a broker's process is now, from /proc/<pid>/stat after checking that the
 * pid is still mosquitto with this run dir's b<i>.conf (never a reused pid). */
enum cluster_proc {
	CLUSTER_PROC_DEAD = 0, /* pid 0 (killed), gone, a zombie, or not our mosquitto */
	CLUSTER_PROC_ALIVE,    /* running or sleeping */
	CLUSTER_PROC_STOPPED,  /* state T or t: SIGSTOPped (frozen), answers nothing */
};
enum cluster_proc cluster_broker_proc(const struct cluster_state *st,
				      const struct cluster_broker *b);
/* "dead", "alive", "stopped": the words of status, its JSON and monitor's CSV. */
const char *cluster_proc_name(enum cluster_proc p);
/* Is pid a live mosquitto started from this run dir (guards against pid reuse)?
 * A stopped (frozen) broker is alive: its process exists. */
int cluster_broker_alive(const struct cluster_state *st, const struct cluster_broker *b);

/* Shared by up and start (cluster_up.c), so that a restarted broker comes back
 * exactly as up started it. */
/* The mosquitto binary: $MQLB_MOSQUITTO, else the first of PATH, /usr/sbin.
 * 0 or -ENOENT. */
int cluster_find_mosquitto(char *out, size_t len);
/* An exclusive lock on <run_dir>/lock so concurrent up/down/kill/start in one
 * dir queue. Returns the fd to close, or -errno. */
int cluster_lock_run_dir(const struct cluster_spec *s);
/* Is s->host:port free (in s->netns)? 0, -EADDRINUSE, or another -errno. */
int cluster_port_free(const struct cluster_spec *s, uint16_t port);
/* Starts broker b->id detached (own session, stdout/stderr appended to
 * b<i>.log, in s->netns) from <run_dir>/b<i>.conf, joins it to b->cg before it
 * execs, sets b->pid and writes b<i>.pid. The caller records the state.
 * Returns 0 or -errno. The child is the caller's until the caller exits. */
int cluster_broker_spawn(const struct cluster_spec *s, const char *mosq, struct cluster_broker *b);
/* Waits until every broker of st (only = 0) or broker id `only` answers CONNECT
 * with an accepted CONNACK, by deadline (time_mono_ns). A broker that is our
 * child and exits fails at once with its log's last lines in why. 0, -ECHILD,
 * or -ETIMEDOUT (why says who did not answer and why). */
int cluster_wait_connack(const struct cluster_state *st, unsigned only, uint64_t deadline,
			 char *why, size_t whylen);

/* Subcommand bodies; return CLI_OK / CLI_FAIL / CLI_USAGE. */
/* up: starts the brokers of s and waits up to timeout_ns until each answers. */
int cluster_up(const struct cluster_spec *s, uint64_t timeout_ns);
/* down: stops every broker recorded in run_dir's state, each given
 * kill_timeout_ns to end; nothing running there is CLI_OK. */
int cluster_down(const char *run_dir, uint64_t kill_timeout_ns);
/* status: prints each broker's process, $SYS counts, bridges and limits (json:
 * one object). CLI_OK only when every broker runs. */
int cluster_status(const char *run_dir, int json);
/* render: writes the brokers' configs for s into out_dir, starts nothing. */
int cluster_render(const struct cluster_spec *s, const char *out_dir);
/* kill: sends sig to broker id (1-based) after checking its pid is still that
 * mosquitto. SIGKILL/SIGTERM: waits up to timeout_ns until it is dead (gone or
 * a zombie), then records pid 0 in the state. SIGSTOP/SIGCONT: waits until
 * /proc shows it stopped / running. CLI_USAGE for a broker that does not exist. */
int cluster_kill(const char *run_dir, unsigned id, int sig, uint64_t timeout_ns);
/* start: starts a dead broker again with its own config, cgroup, netns and port
 * (cluster_broker_spawn), records its pid, waits up to timeout_ns for CONNACK.
 * CLI_FAIL when it is still running (or stopped) or does not come up. */
int cluster_start(const char *run_dir, unsigned id, uint64_t timeout_ns);
/* --signal: KILL, TERM, STOP, CONT (any case, SIG prefix allowed) -> 0 and *sig,
 * else -EINVAL. cluster_signal_name gives "KILL" etc. back. */
int cluster_signal_parse(const char *s, int *sig);
/* "KILL", "TERM", "STOP", "CONT" (static), "?" for another signal. */
const char *cluster_signal_name(int sig);

/* `mqlb cluster SUBCOMMAND ...`: dispatches from the subcommand table; returns
 * the exit status (CLI_OK, CLI_FAIL, CLI_USAGE). */
int cmd_cluster(int argc, char **argv);

#endif
