/* inject.c — applies and undoes a run's faults on their timeline (fault.h).
 *
 * How each fault is made, and undone:
 *   broker-kill    `mqlb cluster kill --signal KILL` / `cluster start` (its
 *                  own config, cgroup, namespace and persistence file); on
 *                  SSH hosts both run on the brokers' host, over ssh
 *   broker-freeze  SIGSTOP / SIGCONT (cluster kill --signal STOP|CONT)
 *   client-flap    ip link set dev front down / up in mqlb-lab-client<N>;
 *                  the lab has no default route and the connected /24 comes
 *                  back with the address on link up (checked after up)
 *   bridge-cut     an nft table in the brokers' namespace dropping, on input,
 *                  the hub <-> spoke N packets: all brokers share one address,
 *                  so saddr = daddr = broker address with tcp dport or sport =
 *                  spoke N's port is exactly the hub's bridge connection to N
 *                  (clients and health checks come from the directors' back
 *                  addresses). Dropped on input, not output: a drop on output
 *                  fails the sender's send() at once (EPERM), a cut link does not.
 *   director-kill  its front and back links down, then SIGKILL to its
 *                  keepalived, conntrackd (hasync.h) and director (a SIGKILLed
 *                  nft director leaves its rules in the kernel: killing the
 *                  process alone is not a host death; a live back link would
 *                  keep answering the brokers on the back VIP a killed
 *                  keepalived leaves behind); undone at the end by links up
 *                  only (a dead host stays dead)
 *   netem          tc qdisc netem on both ends of the client link(s) (the
 *                  client's front and its switch port), so each direction
 *                  gets the delay and loss */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/fault.h"
#include "lab/hasync.h"
#include "lab/run.h"
#include "lab/spawn.h"

#define NS_SW "mqlb-lab-sw"

static void note(struct lab_inject *x, int undo, const struct lab_fault *f, const char *fmt, ...)
{
	if (!x->log)
		return;
	uint64_t now = time_mono_ns();
	double off = x->t0 ? ((double)now - (double)x->t0) / 1e6 : 0;
	fprintf(x->log, "%" PRIu64 " %.0f %s %s ", (uint64_t)(time_real_ns() / NS_PER_MS), off,
		undo ? "undo" : "apply", f->spec);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(x->log, fmt, ap);
	va_end(ap);
	fputc('\n', x->log);
	fflush(x->log);
}

/* Runs argv (NULL-terminated) in netns; logs the command and its result. */
static int act(struct lab_inject *x, int undo, const struct lab_fault *f, const char *netns,
	       char *const argv[])
{
	char line[512] = "";
	for (int i = 0; argv[i]; i++) {
		strncat(line, i ? " " : "", sizeof(line) - strlen(line) - 1);
		strncat(line, strcmp(argv[i], LAB_SELF) ? argv[i] : "mqlb",
			sizeof(line) - strlen(line) - 1);
	}
	/* a fault's action must finish even after Ctrl-C: undoing is what follows it */
	int ret = lab_run_cmd_always(netns, argv, x->e.log_path, x->e.log_path, 20 * NS_PER_S);
	if (x->log)
		fseek(x->log, 0, SEEK_END); /* the child appended its output */
	note(x, undo, f, "%s%s%s%s: %s (%d)", netns ? "[" : "", netns ? netns : "",
	     netns ? "] " : "", line, ret == 0 ? "ok" : "failed", ret);
	if (ret != 0)
		log_warn("lab: fault %s: '%s' failed (%d), see %s", f->spec, line, ret,
			 x->e.log_path);
	return ret == 0 ? 0 : -EIO;
}

/* kill --signal KILL|STOP|CONT through the cluster (it knows the pid and
 * checks it is still that broker). */
static int broker_signal(struct lab_inject *x, int undo, const struct lab_fault *f, int sig)
{
	char b[8];
	snprintf(b, sizeof(b), "%d", f->target);
	char *argv[] = {LAB_SELF,
			"cluster",
			"kill",
			"--run-dir",
			(char *)x->e.cluster_dir,
			"--broker",
			b,
			"--signal",
			sig == SIGKILL	 ? "KILL"
			: sig == SIGSTOP ? "STOP"
					 : "CONT",
			NULL};
	return act(x, undo, f, x->e.broker_host, argv);
}

/* Broker N again with its own config, cgroup and namespace; `cluster start`
 * returns once it accepts MQTT. */
static int broker_start(struct lab_inject *x, const struct lab_fault *f)
{
	char b[8];
	snprintf(b, sizeof(b), "%d", f->target);
	char *argv[] = {LAB_SELF,   "cluster", "start", "--run-dir", (char *)x->e.cluster_dir,
			"--broker", b,	       NULL};
	return act(x, 1, f, x->e.broker_host, argv);
}

static int link_set(struct lab_inject *x, int undo, const struct lab_fault *f, const char *ns,
		    int up)
{
	char *argv[] = {"ip", "link", "set", "dev", "front", up ? "up" : "down", NULL};
	int ret = act(x, undo, f, ns, argv);
	if (ret == 0 && up) {
		/* the connected /24 comes back with the address; nothing else to restore */
		char *check[] = {"ip", "route", "get", (char *)x->e.env->director_addr[0], NULL};
		char *check_c[] = {"ip", "route", "get", (char *)x->e.env->client_addr[0], NULL};
		act(x, undo, f, ns, strstr(ns, "client") ? check : check_c);
	}
	return ret;
}

static int bridge_cut(struct lab_inject *x, int undo, const struct lab_fault *f, int idx)
{
	char table[32], rules[1400], path[1200];
	snprintf(table, sizeof(table), "mqlb_fault%d", idx);
	if (undo) {
		char *argv[] = {"nft", "delete", "table", "ip", table, NULL};
		return act(x, 1, f, x->e.env->broker_ns, argv);
	}
	unsigned port = x->e.env->broker_base_port + (unsigned)f->target - 1;
	const char *a = x->e.env->broker_addr;
	snprintf(rules, sizeof(rules),
		 "table ip %s {\n chain in {\n  type filter hook input priority -10; policy "
		 "accept;\n  ip saddr %s ip daddr %s tcp dport %u drop\n  ip saddr %s ip daddr "
		 "%s tcp sport %u drop\n }\n}\n",
		 table, a, a, port, a, a, port);
	snprintf(path, sizeof(path), "%s.%s.nft", x->e.log_path, table);
	FILE *o = fopen(path, "w");
	if (!o)
		return -errno;
	fputs(rules, o);
	fclose(o);
	char *argv[] = {"nft", "-f", path, NULL};
	return act(x, 0, f, x->e.env->broker_ns, argv);
}

static int netem(struct lab_inject *x, int undo, const struct lab_fault *f)
{
	int ret = 0;
	char delay[32], loss[32];
	snprintf(delay, sizeof(delay), "%" PRIu64 "ms", f->delay_ms);
	snprintf(loss, sizeof(loss), "%g%%", f->loss_pct);
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		if (f->target && f->target != h + 1)
			continue;
		char sw_if[8];
		snprintf(sw_if, sizeof(sw_if), "f%d", h); /* topology_netns.c: switch side */
		const char *ns[2] = {x->e.env->client_ns[h], NS_SW};
		char *dev[2] = {"front", sw_if};
		for (int s = 0; s < 2; s++) {
			/* netem holds every delayed packet in its queue: the default limit
			 * (1000 packets) is 20k packets/s at 50 ms, which the lab's full
			 * load can pass, and the overflow would be a loss nobody asked
			 * for; 100000 leaves only the loss asked */
			char *add[] = {"tc",	"qdisc",  "replace", "dev", dev[s], "root", "netem",
				       "limit", "100000", "delay",   delay, "loss", loss,   NULL};
			char *del[] = {"tc", "qdisc", "del", "dev", dev[s], "root", NULL};
			ret |= act(x, undo, f, ns[s], undo ? del : add);
		}
	}
	return ret ? -EIO : 0;
}

/* A director host's back link (towards the brokers) up or down. */
static int back_set(struct lab_inject *x, int undo, const struct lab_fault *f, const char *ns,
		    int up)
{
	char *argv[] = {"ip", "link", "set", "dev", "back", up ? "up" : "down", NULL};
	return act(x, undo, f, ns, argv);
}

/* Host death as a power cut: the front and back links go down first (no
 * farewell advert reaches the peer, no conntrackd message either), then
 * keepalived stops without a word (the parent frozen so it cannot respawn its
 * VRRP child or pass it the SIGTERM on which it would send a priority-0
 * advert; the child SIGKILLed, then the parent), then conntrackd, then the
 * director. */
static int director_kill(struct lab_inject *x, int undo, const struct lab_fault *f)
{
	int d = f->target - 1;
	const char *ns = x->e.env->director_ns[d];
	if (undo)
		return link_set(x, 1, f, ns, 1) | back_set(x, 1, f, ns, 1);
	int ret = link_set(x, 0, f, ns, 0) | back_set(x, 0, f, ns, 0);
	if (x->e.ha && x->e.ha->ka[d] > 0) {
		pid_t ka = x->e.ha->ka[d];
		kill(ka, SIGSTOP);
		lab_ha_kill_vrrp(x->e.ha->vrrp_pid[d]);
		kill(ka, SIGKILL);
		lab_wait(ka, 5 * NS_PER_S);
		note(x, 0, f, "keepalived %d (pid %d and its VRRP child) SIGKILLed", f->target,
		     (int)ka);
		x->e.ha->ka[d] = 0;
	}
	pid_t ct = lab_ha_sync_kill(d);
	if (ct > 0)
		note(x, 0, f, "conntrackd %d (pid %d) SIGKILLed", f->target, (int)ct);
	if (d < x->e.n_directors && x->e.directors[d] > 0) {
		kill(x->e.directors[d], SIGKILL);
		int st = lab_wait(x->e.directors[d], 5 * NS_PER_S);
		note(x, 0, f, "director %d (pid %d) SIGKILLed: %d", f->target,
		     (int)x->e.directors[d], st);
		x->e.directors[d] = 0;
	}
	return ret;
}

static int apply(struct lab_inject *x, int i, int undo)
{
	const struct lab_fault *f = &x->f[i];
	switch (f->kind) {
	case LAB_FAULT_BROKER_KILL:
		return undo ? broker_start(x, f) : broker_signal(x, 0, f, SIGKILL);
	case LAB_FAULT_BROKER_FREEZE:
		return broker_signal(x, undo, f, undo ? SIGCONT : SIGSTOP);
	case LAB_FAULT_CLIENT_FLAP:
		return link_set(x, undo, f, x->e.env->client_ns[f->target - 1], undo);
	case LAB_FAULT_BRIDGE_CUT:
		return bridge_cut(x, undo, f, i);
	case LAB_FAULT_DIRECTOR_KILL:
		return director_kill(x, undo, f);
	case LAB_FAULT_NETEM:
		return netem(x, undo, f);
	default:
		return -EINVAL;
	}
}

int lab_inject_open(struct lab_inject *x, const struct lab_fault *f, int n,
		    const struct lab_inject_env *e)
{
	memset(x, 0, sizeof(*x));
	if (n > LAB_MAX_FAULTS)
		n = LAB_MAX_FAULTS;
	memcpy(x->f, f, (size_t)n * sizeof(*f));
	x->n = n;
	x->e = *e;
	if (!n)
		return 0;
	x->log = fopen(e->log_path, "a");
	if (!x->log)
		return -errno;
	fprintf(x->log, "# unix_ms offset_ms action spec what (offset from the first publish)\n");
	fflush(x->log);
	return 0;
}

void lab_inject_start(struct lab_inject *x, uint64_t subs_ns)
{
	if (!x->n)
		return;
	x->t0 = time_mono_ns();
	fprintf(x->log, "# first_publish_unix_ms=%" PRIu64 " subs_started_before_ms=%" PRIu64 "\n",
		(uint64_t)(time_real_ns() / NS_PER_MS), (uint64_t)((x->t0 - subs_ns) / NS_PER_MS));
	fflush(x->log);
}

uint64_t lab_inject_poll(struct lab_inject *x)
{
	uint64_t next = UINT64_MAX;
	if (!x->t0)
		return next;
	for (int i = 0; i < x->n; i++) {
		const struct lab_fault *f = &x->f[i];
		uint64_t at = x->t0 + f->start_ms * NS_PER_MS;
		if (x->state[i] == 1 && f->dur_ms)
			at += f->dur_ms * NS_PER_MS;
		else if (x->state[i] != 0)
			continue;
		uint64_t now = time_mono_ns();
		if (at > now) {
			if (at - now < next)
				next = at - now;
			continue;
		}
		int undo = x->state[i] == 1;
		apply(x, i, undo);
		x->state[i] = undo ? 2 : 1;
		if (!undo && f->dur_ms)
			i--; /* its undo may be due already (a zero-length wait) */
	}
	return next;
}

void lab_inject_close(struct lab_inject *x)
{
	for (int i = 0; i < x->n; i++) {
		if (x->state[i] != 1)
			continue;
		/* a killed broker stays dead (cluster down reaps nothing of it) */
		if (x->f[i].kind != LAB_FAULT_BROKER_KILL)
			apply(x, i, 1);
		x->state[i] = 2;
	}
	if (x->log)
		fclose(x->log);
	x->log = NULL;
}
