/* cluster_fault.c — `mqlb cluster kill` and `start`: faults for lab runs on one
 * broker of a running cluster, and its return.
 *
 * Reaping. `up` and `start` fork the brokers and exit, so a broker's parent is
 * init (or the nearest PR_SET_CHILD_SUBREAPER above the caller, e.g. a systemd
 * user manager). Nothing here can reap it: a killed broker is dead once /proc
 * shows it as a zombie (Z), and stays one until its parent reaps it. In this
 * container PID 1 never does; a zombie holds no port and no cgroup charge, and
 * the state file forgets its pid (0), so neither `start` nor a recycled pid are
 * confused by it. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "common/cli.h"
#include "common/time.h"

static const struct {
	const char *name;
	int sig;
} signals[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}};

int cluster_signal_parse(const char *s, int *sig)
{
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(s, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return 0;
		}
	return -EINVAL;
}

const char *cluster_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return "?";
}

/* Locks the run dir and reads its state; finds broker id. Returns the lock fd
 * (>= 0) with *b set, or -CLI_FAIL / -CLI_USAGE after saying why. */
static int open_cluster(const char *cmd, const char *run_dir, unsigned id, struct cluster_state *st,
			struct cluster_broker **b)
{
	struct cluster_spec tmp;
	snprintf(tmp.run_dir, sizeof(tmp.run_dir), "%s", run_dir);
	int r = cluster_state_read(run_dir, st);
	if (r) {
		if (r == -ENOENT)
			fprintf(stderr, "mqlb: %s: no cluster in %s\n", cmd, run_dir);
		else
			fprintf(stderr, "mqlb: %s: %s/state: %s\n", cmd, run_dir, strerror(-r));
		return -CLI_FAIL;
	}
	*b = NULL;
	for (unsigned i = 0; i < st->n; i++)
		if (st->b[i].id == id)
			*b = &st->b[i];
	if (!*b) {
		cli_usage_error(cmd,
				"--broker %u: no such broker; the cluster in %s has brokers 1..%u",
				id, run_dir, st->n);
		return -CLI_USAGE;
	}
	int lock = cluster_lock_run_dir(&tmp);
	if (lock < 0) {
		fprintf(stderr, "mqlb: %s: cannot lock %s: %s\n", cmd, run_dir, strerror(-lock));
		return -CLI_FAIL;
	}
	/* read again under the lock: an up/down/start may have run meanwhile */
	if ((r = cluster_state_read(run_dir, st)) != 0) {
		fprintf(stderr, "mqlb: %s: %s/state: %s\n", cmd, run_dir, strerror(-r));
		close(lock);
		return -CLI_FAIL;
	}
	for (unsigned i = 0; i < st->n; i++)
		if (st->b[i].id == id)
			*b = &st->b[i];
	return lock;
}

/* Polls until broker b is in a state `done` accepts, or the deadline. */
static int wait_proc(const struct cluster_state *st, const struct cluster_broker *b, int sig,
		     uint64_t deadline)
{
	for (;;) {
		(void)waitpid(b->pid, NULL, WNOHANG); /* reaps it if it happens to be ours */
		enum cluster_proc p = cluster_broker_proc(st, b);
		if (sig == SIGSTOP   ? p != CLUSTER_PROC_ALIVE
		    : sig == SIGCONT ? p != CLUSTER_PROC_STOPPED
				     : p == CLUSTER_PROC_DEAD)
			return 0;
		if (time_mono_ns() >= deadline)
			return -ETIMEDOUT;
		time_sleep_ns(5 * NS_PER_MS);
	}
}

/* Records a dead broker: pid 0 in the state (so no later command trusts the
 * old pid, which the kernel may hand to another process), no pid file. */
static int forget_pid(struct cluster_state *st, struct cluster_broker *b)
{
	char p[PATH_MAX + 16], name[16];
	b->pid = 0;
	snprintf(name, sizeof(name), "b%u.pid", b->id);
	cluster_run_path(&st->spec, name, p, sizeof(p));
	unlink(p);
	return cluster_state_write(st);
}

int cluster_kill(const char *run_dir, unsigned id, int sig, uint64_t timeout_ns)
{
	static struct cluster_state st;
	struct cluster_broker *b;
	int lock = open_cluster("cluster kill", run_dir, id, &st, &b);
	if (lock < 0)
		return -lock;
	int ret = CLI_FAIL, pid = b->pid;
	const char *name = cluster_signal_name(sig);
	enum cluster_proc before = cluster_broker_proc(&st, b);
	if (before == CLUSTER_PROC_DEAD) {
		fprintf(stderr,
			"mqlb: cluster kill: broker %u is not running (dead%s); nothing to "
			"send SIG%s to ('mqlb cluster start' starts it again)\n",
			id, pid ? ", a zombie or a reused pid" : ", killed earlier", name);
		goto out;
	}
	uint64_t t0 = time_mono_ns();
	if (kill(pid, sig) == -1) {
		fprintf(stderr, "mqlb: cluster kill: SIG%s to broker %u (pid %d): %s\n", name, id,
			pid, strerror(errno));
		goto out;
	}
	/* SIGTERM to a frozen process stays pending until it runs again */
	if (sig == SIGTERM && before == CLUSTER_PROC_STOPPED)
		kill(pid, SIGCONT);
	if (wait_proc(&st, b, sig, t0 + timeout_ns) != 0) {
		fprintf(stderr,
			"mqlb: cluster kill: broker %u (pid %d) is still %s %.1f s after SIG%s\n",
			id, pid, cluster_proc_name(cluster_broker_proc(&st, b)),
			(double)timeout_ns / 1e9, name);
		goto out;
	}
	double ms = (double)(time_mono_ns() - t0) / 1e6;
	if (sig == SIGKILL || sig == SIGTERM) {
		int r = forget_pid(&st, b);
		if (r)
			fprintf(stderr, "mqlb: cluster kill: recording it in %s/state: %s\n",
				run_dir, strerror(-r));
		else
			ret = CLI_OK;
	} else {
		ret = CLI_OK;
	}
	if (ret == CLI_OK)
		printf("broker %u (pid %d, port %u): SIG%s, %s after %.1f ms\n", id, pid,
		       (unsigned)b->port, name, cluster_proc_name(cluster_broker_proc(&st, b)), ms);
out:
	close(lock);
	return ret;
}

/* Says why a broker that is not dead cannot be started. */
static void refuse_running(const struct cluster_broker *b, enum cluster_proc p)
{
	if (p == CLUSTER_PROC_STOPPED)
		fprintf(stderr,
			"mqlb: cluster start: broker %u is stopped (frozen, pid %d), not "
			"dead; resume it with 'mqlb cluster kill --broker %u --signal CONT'\n",
			b->id, b->pid, b->id);
	else
		fprintf(stderr,
			"mqlb: cluster start: broker %u is still running (pid %d); "
			"'mqlb cluster kill --broker %u' first\n",
			b->id, b->pid, b->id);
}

int cluster_start(const char *run_dir, unsigned id, uint64_t timeout_ns)
{
	static struct cluster_state st;
	struct cluster_broker *b;
	char mosq[PATH_MAX], why[1024] = "";
	int lock = open_cluster("cluster start", run_dir, id, &st, &b);
	if (lock < 0)
		return -lock;
	int ret = CLI_FAIL, r;
	uint64_t t0 = time_mono_ns();
	enum cluster_proc p = cluster_broker_proc(&st, b);
	if (p != CLUSTER_PROC_DEAD) {
		refuse_running(b, p);
		goto out;
	}
	if (cluster_find_mosquitto(mosq, sizeof(mosq))) {
		fprintf(stderr, "mqlb: cluster start: mosquitto not found\n");
		goto out;
	}
	if ((r = cluster_port_free(&st.spec, b->port)) != 0) {
		fprintf(stderr, "mqlb: cluster start: broker %u's port %s:%u: %s\n", id,
			st.spec.host, (unsigned)b->port,
			r == -EADDRINUSE ? "in use by another process" : strerror(-r));
		goto out;
	}
	if ((r = cluster_broker_spawn(&st.spec, mosq, b)) != 0) {
		fprintf(stderr, "mqlb: cluster start: fork: %s\n", strerror(-r));
		goto out;
	}
	/* recorded before the wait: `down` finds it even if we die now */
	if ((r = cluster_state_write(&st)) != 0)
		fprintf(stderr, "mqlb: cluster start: writing %s/state: %s\n", run_dir,
			strerror(-r));
	r = cluster_wait_connack(&st, id, t0 + timeout_ns, why, sizeof(why));
	if (r) {
		fprintf(stderr,
			"mqlb: cluster start: broker %u did not come up within %.1f s: %s\n", id,
			(double)timeout_ns / 1e9, why);
		kill(b->pid, SIGKILL); /* ours: reaped right here */
		waitpid(b->pid, NULL, 0);
		forget_pid(&st, b);
		goto out;
	}
	printf("broker %u started again: pid %d, %s:%u%s%s, cgroup %s, answering after %.1f ms\n",
	       id, b->pid, st.spec.host, (unsigned)b->port, st.spec.netns[0] ? ", netns " : "",
	       st.spec.netns, b->cg.dir[0][0] ? b->cg.dir[0] : "none",
	       (double)(time_mono_ns() - t0) / 1e6);
	ret = CLI_OK;
out:
	close(lock);
	return ret;
}
