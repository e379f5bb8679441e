/* cluster_up.c — `mqlb cluster up` and `down`: start the brokers detached
 * (setsid, own process group, stdout/stderr to b<i>.log) so that they outlive
 * this invocation, put each in its cgroup before it execs, and wait until every
 * broker answers CONNECT with CONNACK and every bridge reports
 * $SYS/broker/connection/<id>/state = 1. Anything short of that: say what did
 * not come up and stop everything started. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "common/addr.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/mkdirp.h"
#include "mqtt/probe.h"
#include "common/netns.h"
#include "common/rundir.h"
#include "common/time.h"

int cluster_find_mosquitto(char *out, size_t len)
{
	const char *env = getenv("MQLB_MOSQUITTO");
	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, X_OK) == 0 ? 0 : -ENOENT;
	}
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/usr/local/sbin", path ? path : "/usr/bin");
	char *save = NULL;
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/mosquitto", d);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int cluster_lock_run_dir(const struct cluster_spec *s)
{
	/* kept, not replaced: another up/down may hold it */
	int fd = rundir_open(s->run_dir, "lock", O_RDWR | O_CREAT, 0644, 1);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX) == -1) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Mosquitto started as root drops to user "mosquitto" ("nobody" when that
 * user does not exist) before it ever saves its store, so a root-owned data dir
 * made every autosave fail ("unable to remove mosquitto.db.new: Permission
 * denied") and a restarted broker came back empty. */
static void give_to_broker_user(const char *dir)
{
	if (geteuid() != 0)
		return;
	const struct passwd *pw = getpwnam("mosquitto");
	if (!pw)
		pw = getpwnam("nobody");
	if (!pw)
		return;
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1)
		log_warn("%s: chown to %s: %s; the broker cannot save its store", dir, pw->pw_name,
			 strerror(errno));
	/* it must also get there: every parent searchable by others (a mktemp -d
	 * run dir is 0700 root) */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", dir);
	for (char *slash = strrchr(p, '/'); slash && slash > p; slash = strrchr(p, '/')) {
		struct stat sb;
		*slash = '\0';
		if (stat(p, &sb) == 0 && !(sb.st_mode & S_IXOTH) && sb.st_uid != pw->pw_uid) {
			log_warn("%s is not searchable by user %s, whom mosquitto runs as: it "
				 "cannot save its store (chmod o+x %s)",
				 p, pw->pw_name, p);
			return;
		}
	}
}

int cluster_port_free(const struct cluster_spec *s, uint16_t port)
{
	struct sockaddr_storage a;
	if (addr_parse_host(s->host, port, &a))
		return -EINVAL;
	int fd = netns_socket(s->netns, a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int r = bind(fd, (struct sockaddr *)&a, addr_len(&a)) == -1 ? -errno : 0;
	close(fd);
	return r;
}

static int broker_addr(const struct cluster_spec *s, unsigned i, struct sockaddr_storage *a)
{
	return addr_parse_host(s->host, (uint16_t)(s->base_port + i - 1), a);
}

/* Forks a child that waits for the go byte, enters the netns, and execs mosquitto. */
static pid_t spawn_broker(const struct cluster_spec *s, const char *mosq, unsigned i, int *go_fd)
{
	char conf[PATH_MAX + 16], logn[16], name[16];
	int pfd[2];
	snprintf(name, sizeof(name), "b%u.conf", i);
	cluster_run_path(s, name, conf, sizeof(conf));
	snprintf(logn, sizeof(logn), "b%u.log", i);
	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == -1) {
		int e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		char c;
		close(pfd[1]);
		/* wait until the parent has put us in our cgroup */
		while (read(pfd[0], &c, 1) == -1 && errno == EINTR)
			;
		close(pfd[0]);
		if (s->netns[0] && netns_enter(s->netns) != 0)
			_exit(126);
		setsid();
		int null = open("/dev/null", O_RDONLY);
		int log = rundir_open(s->run_dir, logn, O_WRONLY | O_CREAT | O_APPEND, 0644, 0);
		if (null >= 0)
			dup2(null, 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		signal(SIGPIPE, SIG_DFL);
		execl(mosq, "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	*go_fd = pfd[1];
	return pid;
}

static void write_pid_file(const struct cluster_spec *s, unsigned i, pid_t pid)
{
	char name[16];
	snprintf(name, sizeof(name), "b%u.pid", i);
	FILE *f = rundir_fopen(s->run_dir, name, "w");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
}

int cluster_broker_spawn(const struct cluster_spec *s, const char *mosq, struct cluster_broker *b)
{
	int go = -1, r;
	pid_t pid = spawn_broker(s, mosq, b->id, &go);
	if (pid < 0)
		return (int)pid;
	b->pid = pid;
	/* joined before it execs: every byte mosquitto allocates is charged there */
	if (b->cg.version != CGROUP_NONE && (r = cgroup_attach(&b->cg, pid)) != 0)
		log_warn("broker %u: not limited: cannot join cgroup %s: %s", b->id, b->cg.dir[0],
			 strerror(-r));
	if (write(go, "g", 1) != 1)
		log_warn("broker %u: start signal: %s", b->id, strerror(errno));
	close(go);
	write_pid_file(s, b->id, pid);
	return 0;
}

/* Last non-empty line of a broker's log, for error messages. */
static void log_tail(const struct cluster_spec *s, unsigned i, char *out, size_t len)
{
	char name[16], line[512], prev[512] = "";
	out[0] = '\0';
	snprintf(name, sizeof(name), "b%u.log", i);
	FILE *f = rundir_fopen(s->run_dir, name, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0]) {
			/* the last two lines: Mosquitto says what, then where */
			snprintf(out, len, "%.200s%s%.300s", prev, prev[0] ? " " : "", line);
			snprintf(prev, sizeof(prev), "%.200s", line);
		}
	}
	fclose(f);
}

/* Stops every live broker of st (SIGTERM, then SIGKILL after kill_timeout_ns),
 * reaping children of ours, then removes cgroups, pid files and the state file. */
static int stop_all(struct cluster_state *st, uint64_t kill_timeout_ns, int quiet)
{
	unsigned stopped = 0, killed = 0;
	int alive[CLUSTER_MAX_BROKERS] = {0};
	for (unsigned i = 0; i < st->n; i++) {
		enum cluster_proc p = cluster_broker_proc(st, &st->b[i]);
		alive[i] = p != CLUSTER_PROC_DEAD;
		/* a frozen broker would keep SIGTERM pending forever: thaw it first */
		if (p == CLUSTER_PROC_STOPPED)
			kill(st->b[i].pid, SIGCONT);
		if (alive[i]) {
			kill(st->b[i].pid, SIGTERM);
			stopped++;
		}
	}
	uint64_t deadline = time_mono_ns() + kill_timeout_ns;
	for (int pass = 0; pass < 2; pass++) {
		for (;;) {
			unsigned left = 0;
			for (unsigned i = 0; i < st->n; i++) {
				if (!alive[i])
					continue;
				(void)waitpid(st->b[i].pid, NULL, WNOHANG); /* if ours */
				alive[i] = cluster_broker_alive(st, &st->b[i]);
				left += alive[i] != 0;
			}
			if (!left || time_mono_ns() >= deadline)
				break;
			time_sleep_ns(20 * NS_PER_MS);
		}
		if (pass == 0) {
			for (unsigned i = 0; i < st->n; i++)
				if (alive[i]) {
					log_warn(
					    "broker %u (pid %d) ignored SIGTERM; sending SIGKILL",
					    st->b[i].id, st->b[i].pid);
					kill(st->b[i].pid, SIGKILL);
					killed++;
				}
			deadline = time_mono_ns() + 2 * NS_PER_S;
		}
	}
	int ret = 0;
	for (unsigned i = 0; i < st->n; i++) {
		char p[PATH_MAX + 16], name[16];
		if (alive[i]) {
			log_error("broker %u (pid %d) is still running", st->b[i].id, st->b[i].pid);
			ret = -EBUSY;
			continue;
		}
		/* A cgroup is removable only once the kernel has let go of the task. */
		int r = 0;
		for (int tries = 0; tries < 50; tries++) {
			r = cgroup_remove(&st->b[i].cg);
			if (r != -EBUSY)
				break;
			time_sleep_ns(20 * NS_PER_MS);
		}
		if (r)
			log_warn("broker %u: removing its cgroup: %s", st->b[i].id, strerror(-r));
		snprintf(name, sizeof(name), "b%u.pid", st->b[i].id);
		cluster_run_path(&st->spec, name, p, sizeof(p));
		unlink(p);
	}
	if (ret == 0) {
		char p[PATH_MAX + 16];
		cluster_run_path(&st->spec, "state", p, sizeof(p));
		unlink(p);
	}
	if (!quiet)
		printf("stopped %u broker%s%s in %s\n", stopped, stopped == 1 ? "" : "s",
		       killed ? " (some with SIGKILL)" : "", st->spec.run_dir);
	return ret;
}

int cluster_wait_connack(const struct cluster_state *st, unsigned only, uint64_t deadline,
			 char *why, size_t whylen)
{
	const struct cluster_spec *s = &st->spec;
	int ok[CLUSTER_MAX_BROKERS] = {0};
	char err[CLUSTER_MAX_BROKERS][256];
	unsigned left = 0;
	memset(err, 0, sizeof(err));
	for (unsigned i = 0; i < st->n; i++) {
		ok[i] = only && st->b[i].id != only; /* not waited for */
		left += !ok[i];
	}
	while (left) {
		for (unsigned i = 0; i < st->n; i++) {
			if (ok[i])
				continue;
			int status;
			if (waitpid(st->b[i].pid, &status, WNOHANG) == st->b[i].pid) {
				char tail[512];
				log_tail(s, st->b[i].id, tail, sizeof(tail));
				snprintf(why, whylen,
					 "broker %u exited (%s %d) before answering: %s",
					 st->b[i].id, WIFEXITED(status) ? "status" : "signal",
					 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
					 tail[0] ? tail : "(empty log)");
				return -ECHILD;
			}
			struct sockaddr_storage a;
			broker_addr(s, st->b[i].id, &a);
			if (mqtt_probe_connack_ns(&a, s->netns, 250 * NS_PER_MS, err[i],
						  sizeof(err[i])) == 0) {
				ok[i] = 1;
				left--;
			}
		}
		if (!left)
			break;
		if (time_mono_ns() >= deadline) {
			size_t used = 0;
			for (unsigned i = 0; i < st->n && used < whylen; i++)
				if (!ok[i])
					used += (size_t)snprintf(
					    why + used, whylen - used,
					    "%sbroker %u did not answer CONNECT: %s",
					    used ? "; " : "", st->b[i].id, err[i]);
			return -ETIMEDOUT;
		}
		time_sleep_ns(50 * NS_PER_MS);
	}
	return 0;
}

/* Waits for CONNACK from every broker, then state 1 from every bridge. */
static int wait_ready(const struct cluster_state *st, uint64_t deadline, char *why, size_t whylen)
{
	const struct cluster_spec *s = &st->spec;
	int r = cluster_wait_connack(st, 0, deadline, why, whylen);
	if (r)
		return r;
	struct cluster_link links[CLUSTER_MAX_BROKERS * CLUSTER_MAX_BROKERS];
	unsigned nl = cluster_links(s, links, sizeof(links) / sizeof(links[0]));
	for (unsigned i = 1; i <= s->brokers; i++) {
		const char *topics[CLUSTER_MAX_BROKERS];
		char tbuf[CLUSTER_MAX_BROKERS][96];
		const char *ids[CLUSTER_MAX_BROKERS];
		size_t n = 0;
		for (unsigned k = 0; k < nl; k++)
			if (links[k].from == i) {
				snprintf(tbuf[n], sizeof(tbuf[n]),
					 "$SYS/broker/connection/%s/state", links[k].id);
				topics[n] = tbuf[n];
				ids[n++] = links[k].id;
			}
		if (!n)
			continue;
		struct mqtt_probe_sys_conn *c = malloc(sizeof(*c));
		struct sockaddr_storage a;
		char e[256] = "";
		if (!c)
			return -ENOMEM;
		broker_addr(s, i, &a);
		uint64_t now = time_mono_ns();
		r = mqtt_probe_sys_open(c, &a, s->netns, topics, n,
					deadline > now ? deadline - now : 1, e, sizeof(e));
		if (r) {
			snprintf(why, whylen, "broker %u: reading bridge states: %s", i, e);
			free(c);
			return r;
		}
		for (;;) {
			size_t up = 0;
			for (size_t k = 0; k < n; k++) {
				const struct mqtt_probe_sys_value *v =
				    mqtt_probe_sys_get(c, topics[k]);
				up += v && strcmp(v->value, "1") == 0;
			}
			if (up == n)
				break;
			now = time_mono_ns();
			struct pollfd p = {.fd = c->fd, .events = POLLIN};
			if (now >= deadline ||
			    (poll(&p, 1, (int)((deadline - now) / NS_PER_MS) + 1) >= 0 &&
			     mqtt_probe_sys_pump(c) < 0) ||
			    time_mono_ns() >= deadline) {
				size_t used = 0;
				for (size_t k = 0; k < n && used < whylen; k++) {
					const struct mqtt_probe_sys_value *v =
					    mqtt_probe_sys_get(c, topics[k]);
					if (v && strcmp(v->value, "1") == 0)
						continue;
					used += (size_t)snprintf(why + used, whylen - used,
								 "%sbridge %s (broker %u -> %s) "
								 "not connected (state %s)",
								 used ? "; " : "", ids[k], i,
								 strchr(ids[k], '-') + 4,
								 v ? v->value : "never published");
				}
				mqtt_probe_sys_close(c);
				free(c);
				return -ETIMEDOUT;
			}
		}
		mqtt_probe_sys_close(c);
		free(c);
	}
	return 0;
}

static int up_check_old(const struct cluster_spec *s);
static int up_check_ports(const struct cluster_spec *s);

/* Checks before anything starts: mosquitto, the netns, the run dir, no live
 * cluster there, free ports. Returns the run dir's lock fd, or -CLI_* to return. */
static int up_preflight(const struct cluster_spec *s, char *mosq, size_t mosqlen)
{
	char path[PATH_MAX + 16], why[PATH_MAX + 160];
	int r;
	if (cluster_find_mosquitto(mosq, mosqlen)) {
		fprintf(stderr,
			"mqlb: mosquitto not found%s%s (install it with scripts/install-deps, "
			"or apt-get install mosquitto)\n",
			getenv("MQLB_MOSQUITTO") ? " at MQLB_MOSQUITTO=" : " in PATH or /usr/sbin",
			getenv("MQLB_MOSQUITTO") ? getenv("MQLB_MOSQUITTO") : "");
		return -CLI_USAGE;
	}
	if (s->netns[0]) {
		snprintf(path, sizeof(path), "/run/netns/%s", s->netns);
		if (access(path, F_OK) != 0)
			return -cli_usage_error("cluster up", "--netns %s: no such namespace (%s)",
						s->netns, path);
	}
	if (rundir_check(s->run_dir, 1, why, sizeof(why)) != 0) {
		fprintf(stderr, "mqlb: cluster up: %s\n", why);
		return -CLI_FAIL;
	}
	int lock = cluster_lock_run_dir(s);
	if (lock < 0) {
		fprintf(stderr, "mqlb: cannot lock %s: %s\n", s->run_dir, strerror(-lock));
		return -CLI_FAIL;
	}
	if ((r = up_check_old(s)) != 0 || (r = up_check_ports(s)) != 0) {
		close(lock);
		return -r;
	}
	return lock;
}

/* A live cluster in the run dir refuses up; a dead one's leftovers go. */
static int up_check_old(const struct cluster_spec *s)
{
	static struct cluster_state old;
	if (cluster_state_read(s->run_dir, &old) != 0)
		return 0;
	unsigned live = 0;
	for (unsigned i = 0; i < old.n; i++)
		live += cluster_broker_alive(&old, &old.b[i]) != 0;
	if (live) {
		fprintf(stderr,
			"mqlb: a cluster is already running in %s (%u of %u brokers alive, "
			"first port %u); 'mqlb cluster down --run-dir %s' stops it\n",
			s->run_dir, live, old.n, (unsigned)old.spec.base_port, s->run_dir);
		return CLI_FAIL;
	}
	log_info("removing the leftovers of a cluster that is no longer running");
	stop_all(&old, NS_PER_S, 1);
	return 0;
}

static int up_check_ports(const struct cluster_spec *s)
{
	for (unsigned i = 1; i <= s->brokers; i++) {
		uint16_t port = (uint16_t)(s->base_port + i - 1);
		int r = cluster_port_free(s, port);
		if (r == -EADDRINUSE) {
			fprintf(
			    stderr,
			    "mqlb: port %u on %s is already in use (broker %u)%s%s; pick another "
			    "--base-port, or see who listens: ss -ltnp 'sport = :%u'\n",
			    (unsigned)port, s->host, i, s->netns[0] ? " in netns " : "", s->netns,
			    (unsigned)port);
			return CLI_USAGE;
		}
		if (r) {
			fprintf(stderr, "mqlb: cannot listen on %s port %u: %s\n", s->host,
				(unsigned)port, strerror(-r));
			return r == -EADDRNOTAVAIL || r == -EINVAL ? CLI_USAGE : CLI_FAIL;
		}
	}
	return 0;
}

/* The cgroupfs root: /sys/fs/cgroup, or $MQLB_CGROUP_ROOT (tests: a fake tree). */
static const char *cgroup_root(void)
{
	const char *r = getenv("MQLB_CGROUP_ROOT");
	return r && *r ? r : "/sys/fs/cgroup";
}

/* Fills st->b[] and creates and limits one cgroup per broker when limits are
 * wanted; a warning, never a failure. Returns how many brokers got a group;
 * warned gets the first thing that could not be limited. */
static unsigned up_cgroups(struct cluster_state *st, char *warned, size_t wlen)
{
	const struct cluster_spec *s = &st->spec;
	const char *root = cgroup_root();
	int want_limits = s->cpus > 0 || s->mem_bytes > 0;
	unsigned limited = 0;
	char why[768] = "";
	st->cg_version = cgroup_detect(root);
	/* v2: only inside the delegated subtree we run in, or not at all */
	int usable =
	    want_limits && st->cg_version != CGROUP_NONE &&
	    (st->cg_version != CGROUP_V2 || cgroup_v2_prepare(root, NULL, why, sizeof(why)) == 0);
	for (unsigned i = 1; i <= s->brokers; i++) {
		struct cluster_broker *b = &st->b[st->n++];
		char cgname[CLUSTER_NAME_MAX + 8], nl[256] = "";
		b->id = i;
		b->port = (uint16_t)(s->base_port + i - 1);
		b->cg.version = CGROUP_NONE;
		snprintf(cgname, sizeof(cgname), "%s-b%u", s->name, i);
		if (!usable)
			continue;
		int r = cgroup_paths(&b->cg, root, st->cg_version, cgname, NULL);
		if (r == 0)
			r = cgroup_create(&b->cg);
		if (r) {
			snprintf(nl, sizeof(nl), "cpu and memory (%s: %s)", b->cg.dir[0],
				 strerror(-r));
			/* no group: nothing to join later (one warning, not one per broker) */
			memset(&b->cg, 0, sizeof(b->cg));
			b->cg.version = CGROUP_NONE;
		} else {
			cgroup_set_limits(&b->cg, s->cpus, s->mem_bytes, nl, sizeof(nl));
			limited++;
		}
		if (nl[0] && !warned[0])
			snprintf(warned, wlen, "%s", nl);
	}
	if (want_limits && st->cg_version == CGROUP_NONE)
		log_warn("no cgroup file system at %s: brokers run WITHOUT cpu and memory limits",
			 root);
	else if (why[0])
		log_warn("%s; brokers run WITHOUT cpu and memory limits", why);
	else if (warned[0])
		log_warn("cgroup %s: not limited: %s; brokers run anyway%s",
			 cgroup_version_name(st->cg_version), warned,
			 geteuid() != 0 ? " (cgroups need root or a delegated group)" : "");
	return limited;
}

/* b<i>.conf, the persistence dirs, empty logs. Returns 0 or -1 (said why). */
static int up_write_configs(const struct cluster_spec *s)
{
	char path[PATH_MAX + 16], name[16];
	for (unsigned i = 1; i <= s->brokers; i++) {
		snprintf(name, sizeof(name), "b%u.conf", i);
		cluster_run_path(s, name, path, sizeof(path));
		FILE *f = rundir_fopen(s->run_dir, name, "w");
		if (!f || cluster_conf_write(f, s, i, CLUSTER_CONF_LOCAL) || fclose(f)) {
			fprintf(stderr, "mqlb: writing %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (s->persistence) {
			snprintf(path, sizeof(path), "%s/b%u.data", s->run_dir, i);
			mkdir_p(path, 0755);
			give_to_broker_user(path);
		}
		snprintf(name, sizeof(name), "b%u.log", i);
		int lf = rundir_open(s->run_dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
		if (lf >= 0)
			close(lf);
	}
	return 0;
}

/* Start brokers that host no bridge first (star: spokes before the hub) so
 * first bridge attempts find their peers listening. Records what runs as soon
 * as it runs: down works even if we die now. Returns 0 or -1 (said why). */
static int up_spawn_all(struct cluster_state *st, const char *mosq)
{
	const struct cluster_spec *s = &st->spec;
	struct cluster_link links[CLUSTER_MAX_BROKERS * CLUSTER_MAX_BROKERS];
	unsigned nl = cluster_links(s, links, sizeof(links) / sizeof(links[0]));
	int r;
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < st->n; i++) {
			int hosts = 0;
			for (unsigned k = 0; k < nl; k++)
				hosts |= links[k].from == st->b[i].id;
			if (hosts != pass)
				continue;
			if ((r = cluster_broker_spawn(s, mosq, &st->b[i])) != 0) {
				fprintf(stderr, "mqlb: fork: %s\n", strerror(-r));
				return -1;
			}
		}
		if ((r = cluster_state_write(st)) != 0) {
			fprintf(stderr, "mqlb: writing the state file in %s: %s\n", s->run_dir,
				strerror(-r));
			return -1;
		}
	}
	return 0;
}

static void up_print(const struct cluster_state *st, double secs, unsigned limited,
		     const char *warned)
{
	const struct cluster_spec *s = &st->spec;
	int v6 = strchr(s->host, ':') != NULL;
	printf("cluster %s up in %.2f s: %u broker%s on %s%s%s:%u-%u, bridge %s", s->name, secs,
	       s->brokers, s->brokers == 1 ? "" : "s", v6 ? "[" : "", s->host, v6 ? "]" : "",
	       (unsigned)s->base_port, (unsigned)(s->base_port + s->brokers - 1),
	       cluster_bridge_name(s->bridge));
	if (s->bridge != CLUSTER_BRIDGE_NONE && s->bridge_qos != 2) /* not the study's */
		printf(" (QoS %d)", s->bridge_qos);
	printf(", ");
	if (!(s->cpus > 0 || s->mem_bytes > 0))
		printf("no limits");
	else if (!limited)
		printf("NO limits (cgroup %s not writable, see the warning)",
		       cgroup_version_name(st->cg_version));
	else
		printf("limits cpu %g memory %" PRIu64 " MiB (cgroup %s%s)", s->cpus,
		       s->mem_bytes >> 20, cgroup_version_name(st->cg_version),
		       warned[0] ? ", partly" : "");
	printf(", run dir %s\n", s->run_dir);
	if (s->bridge == CLUSTER_BRIDGE_MESH)
		printf("%s\n", CLUSTER_MESH_NOTE);
}

int cluster_up(const struct cluster_spec *spec, uint64_t timeout_ns)
{
	static struct cluster_state st;
	char mosq[PATH_MAX], warned[512] = "", why[2048] = "";
	uint64_t t0 = time_mono_ns();

	memset(&st, 0, sizeof(st));
	st.spec = *spec;
	int lock = up_preflight(&st.spec, mosq, sizeof(mosq));
	if (lock < 0)
		return -lock;
	unsigned limited = up_cgroups(&st, warned, sizeof(warned));
	if (up_write_configs(&st.spec) || up_spawn_all(&st, mosq))
		goto fail;
	int r = wait_ready(&st, t0 + timeout_ns, why, sizeof(why));
	if (r) {
		fprintf(stderr, "mqlb: cluster did not come up within %.1f s: %s\n",
			(double)timeout_ns / 1e9, why);
		fprintf(stderr, "mqlb: stopping everything started (logs kept in %s)\n",
			st.spec.run_dir);
		goto fail;
	}
	up_print(&st, (double)(time_mono_ns() - t0) / 1e9, limited, warned);
	close(lock);
	return CLI_OK;
fail:
	stop_all(&st, 3 * NS_PER_S, 1);
	close(lock);
	return CLI_FAIL;
}

int cluster_down(const char *run_dir, uint64_t kill_timeout_ns)
{
	struct cluster_state st;
	struct cluster_spec tmp;
	snprintf(tmp.run_dir, sizeof(tmp.run_dir), "%s", run_dir);
	if (access(run_dir, F_OK) != 0) {
		printf("nothing running in %s\n", run_dir);
		return CLI_OK;
	}
	int lock = cluster_lock_run_dir(&tmp);
	int r = cluster_state_read(run_dir, &st);
	if (r == -ENOENT) {
		printf("nothing running in %s\n", run_dir);
		if (lock >= 0)
			close(lock);
		return CLI_OK;
	}
	if (r) {
		fprintf(stderr,
			"mqlb: %s/state is unreadable (%s); stop the brokers by their pid "
			"files b<i>.pid\n",
			run_dir, strerror(-r));
		if (lock >= 0)
			close(lock);
		return CLI_FAIL;
	}
	r = stop_all(&st, kill_timeout_ns, 0);
	if (lock >= 0)
		close(lock);
	return r ? CLI_FAIL : CLI_OK;
}
