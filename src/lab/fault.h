/* fault.h — failures injected into a lab run (fault.c: the spec; inject.c: the
 * timeline that applies and undoes them; faults.c: `mqlb lab faults`).
 *
 * A spec is KIND[:TARGET][=PARAMS]@START[+DURATION], times from the first
 * publish (bench pub start), e.g.
 *   broker-kill:2@5s+3s     SIGKILL broker 2 at 5 s, start it again 3 s later
 *   broker-freeze:3@5s+3s   SIGSTOP broker 3, SIGCONT 3 s later
 *   client-flap:1@5s+4s     client host 1's link down, up 4 s later
 *   bridge-cut:2@5s+4s      drop every packet of broker 2's bridge(s)
 *   director-kill:1@5s      director host 1 dies (director, keepalived, link);
 *                           no +DURATION: a dead host stays dead
 *   netem:all=delay=50ms,loss=1%@0s+20s   tc netem on the client links
 * Without +DURATION the fault stays until the run ends (then it is undone). */
#ifndef MQLB_LAB_FAULT_H
#define MQLB_LAB_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"

#define LAB_MAX_FAULTS 8

enum lab_fault_kind {
	LAB_FAULT_BROKER_KILL = 0,
	LAB_FAULT_BROKER_FREEZE,
	LAB_FAULT_CLIENT_FLAP,
	LAB_FAULT_BRIDGE_CUT,
	LAB_FAULT_DIRECTOR_KILL,
	LAB_FAULT_NETEM,
	LAB_FAULT_KINDS
};

struct lab_fault {
	enum lab_fault_kind kind;
	int target;		   /* broker / client host / director, from 1; 0 = all */
	uint64_t start_ms, dur_ms; /* dur_ms 0 = until the run ends */
	uint64_t delay_ms;	   /* netem */
	double loss_pct;	   /* netem */
	char spec[128];		   /* as written (faults.log, faults.csv) */
};

/* What a spec is checked against (lab_fault_check). */
struct lab_fault_limits {
	int brokers;	     /* cluster size (3) */
	int directors;	     /* directors of the run's topology */
	int mesh;	     /* bridges are a mesh (any broker may be cut off) */
	uint64_t publish_ms; /* the publishers' schedule */
};

/* "broker-kill" ... for kind, or "?" */
const char *lab_fault_kind_name(enum lab_fault_kind k);
/* Parses s (grammar above) into f. Returns 0, or -EINVAL with err saying what
 * is wrong in one line (no trailing newline). Checks what the spec alone can:
 * kind, target present and in 1..16 (client hosts 1..2, netem also "all"),
 * params only for netem (delay=D and/or loss=P%), times. */
int lab_fault_parse(const char *s, struct lab_fault *f, char *err, size_t errlen);
/* Checks f against the run: target within the cluster / directors, the hub
 * (broker 1) not a bridge-cut target and bridge-cut only in a star, START+DURATION within the publish
 * time. Returns 0 or -EINVAL with err set. */
int lab_fault_check(const struct lab_fault *f, const struct lab_fault_limits *l, char *err,
		    size_t errlen);

/* inject.c — the timeline of one run's faults. No thread: the run's wait
 * loops (publishers, drain) call lab_inject_poll at least every 250 ms and
 * sleep no longer than it says, so an action is late by at most the time the
 * previous action took. Every action is logged to faults.log:
 *   <unix_ms> <offset_ms from the first publish> <apply|undo> <spec> <what>: ok|failed ...
 */
#include <stdio.h>
#include <sys/types.h>

struct lab_env;
struct lab_ha;

struct lab_inject_env {
	const struct lab_env *env;
	const char *cluster_dir; /* mqlb cluster --run-dir */
	const char *broker_host; /* where `cluster kill|start` runs: NULL here, or the
				  * brokers' SSH host (host.h; cluster_dir is its path there) */
	const char *log_path;	 /* <run>/faults.log */
	int brokers;
	pid_t *directors;  /* the run's director pids; director-kill reaps and zeroes one */
	struct lab_ha *ha; /* keepalived of the HA topologies (ka[i] 0 = none), or NULL */
	int n_directors;
};

struct lab_inject {
	struct lab_inject_env e;
	struct lab_fault f[LAB_MAX_FAULTS];
	int n;
	int state[LAB_MAX_FAULTS]; /* 0 pending, 1 applied, 2 undone / done */
	uint64_t t0;		   /* first publish (monotonic ns); 0 = not yet */
	FILE *log;
};

/* Copies f[0..n-1] and e; opens e->log_path. Returns 0 or -errno. */
int lab_inject_open(struct lab_inject *x, const struct lab_fault *f, int n,
		    const struct lab_inject_env *e);
/* The first publish is now; subs_ns = monotonic start of the subscribers
 * (logged so their per-second rows can be lined up). */
void lab_inject_start(struct lab_inject *x, uint64_t subs_ns);
/* Runs the actions that are due. Returns ns until the next one (UINT64_MAX
 * when none is left or the timeline has not started). */
uint64_t lab_inject_poll(struct lab_inject *x);
/* Undoes every fault still in force (links up, brokers CONT, rules and qdiscs
 * removed; a killed broker stays dead), closes the log. Safe to
 * call twice and on a zeroed struct. */
void lab_inject_close(struct lab_inject *x);

/* faultrow.c — one row of faults.csv: a run's figures under a fault. */
#define LAB_FAULTS_HEADER                                                                          \
	"scenario,variant,topology,dataplane,scheduler,qos,bridge,persistence,fault,expected,"     \
	"unique,lost,duplicates,disconnects,reconnects,sessions_resumed,sessions_lost,"            \
	"reconnect_p50_ms,reconnect_p99_ms,reconnect_max_ms,recovery_s,out_of_rotation_s,run,"     \
	"repeat"	 /* since --repeat; older files read repeat 1 */
#define LAB_NEVER (-1.0) /* recovery / out of rotation: not within the run */
#define LAB_NA	  (-2.0) /* no fault, or the figure does not apply */

struct lab_fault_row {
	char scenario[32], variant[32], topology[32], dataplane[16], scheduler[16], bridge[8];
	char fault[128]; /* the specs, ' ' separated ("" = none) */
	char run[160];	 /* run folder, relative to the faults folder */
	int qos, persistence;
	unsigned repeat; /* 1..N (lab faults --repeat) */
	uint64_t expected, unique, lost, duplicates;
	uint64_t disconnects, reconnects, sessions_resumed, sessions_lost;
	double reconnect_p50_ms, reconnect_p99_ms, reconnect_max_ms;
	double recovery_s;	  /* first fault's start until the rate is back; LAB_NEVER/NA */
	double out_of_rotation_s; /* broker faults: until every director has it unhealthy */
};

/* Per-second delivery rate of a run folder (sub-*.csv summed), second k =
 * [k, k+1) s after the first publish (faults.log); rate[] has cap entries.
 * Returns the seconds filled (0 when nothing is known), *t0_ms = the first
 * publish (unix ms). */
unsigned lab_fault_rate(const char *rundir, double *rate, unsigned cap, uint64_t *t0_ms);
/* "2026-12-01T02:54:45.475+0000" (the monitor's timestamps) to unix ms; 0 = bad. */
uint64_t lab_iso_ms(const char *s);
/* Fills the row's bench and timing figures from the run folder rundir (the
 * accounting figures expected..duplicates come from the caller). f[0..n-1]:
 * the run's faults; publish_ms: the publishers' schedule. */
void lab_fault_row_fill(struct lab_fault_row *r, const char *rundir, const struct lab_fault *f,
			int n, uint64_t publish_ms, uint16_t base_port);
/* One line under LAB_FAULTS_HEADER. */
void lab_fault_row_write(FILE *f, const struct lab_fault_row *r);
/* Reads DIR/faults.csv into a malloc'd array. Returns the count or -errno. */
int lab_fault_rows_read(const char *path, struct lab_fault_row **rows);
/* "12.0" / "never" / "-" for a recovery or rotation figure. */
const char *lab_fault_secs(double s, char *buf, size_t len);

/* faultmd.c / plot.c — faults.md and the per-run timelines (plots/) */
int lab_faults_report(const char *dir);
/* Timeline of one run into pdir/<name>.{png,svg}: delivery rate per second
 * and connections per broker (monitor/connections.csv) against seconds from
 * the first publish, the faults' start and end as vertical lines. Returns 0
 * or -errno (-ENOENT: no gnuplot or no data). */
int lab_plot_timeline(const char *rundir, const char *pdir, const char *name, const char *title,
		      const struct lab_fault_row *r, const double *marks, int n_marks);

#endif
