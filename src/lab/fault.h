/* fault.h — failures injected into a lab run (fault.c: the spec; inject.c: the
 * timeline that applies and undoes them; faults.c: `mqlb lab faults`).
 *
 * A spec is KIND[:TARGET][=PARAMS]@START[+DURATION], times from the first
 * publish (bench pub start), e.g.
 *   broker-kill:2@5s+3s     SIGKILL broker 2 at 5 s, start it again 3 s later
 *   broker-freeze:3@5s+3s   SIGSTOP broker 3, SIGCONT 3 s later
 *   client-flap:1@5s+4s     client host 1's link down, up 4 s later
 *   bridge-cut:2@5s+4s      drop every packet of broker 2's bridge(s)
 *   director-kill:1@5s      director host 1 dies (director, keepalived, link)
 *   netem:all=delay=50ms,loss=1%@0s+20s   tc netem on the client links
 * Without +DURATION the fault stays until the run ends (then it is undone). */
#ifndef MQLB_LAB_FAULT_H
#define MQLB_LAB_FAULT_H

#include <stddef.h>
#include <stdint.h>

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
 * (broker 1) not a star's bridge-cut target, START+DURATION within the publish
 * time. Returns 0 or -EINVAL with err set. */
int lab_fault_check(const struct lab_fault *f, const struct lab_fault_limits *l, char *err,
		    size_t errlen);

#endif
