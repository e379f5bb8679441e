/* orchestrate.c — `mqlb lab run`: decides hosts, dataplane and scheduler,
 * clears what an earlier lab left behind, runs the matrix, writes summary.csv
 * and the report, and on any exit (also Ctrl-C) takes down everything it made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mkdirp.h"
#include "common/rundir.h"
#include "common/time.h"
#include "director/director.h"
#include "director/ipvs_nl.h"
#include "lab/host.h"
#include "lab/inventory.h"
#include "lab/run.h"
#include "lab/spawn.h"

int lab_state_dir(char *buf, size_t len)
{
	/* the run dir cluster and monitor use (rundir.h): private, ours, no symlink */
	char why[PATH_MAX + 160];
	int r = rundir_default(buf, len);
	if (r == 0 && (r = rundir_check(buf, 1, why, sizeof(why))) != 0)
		log_error("lab: %s", why);
	return r;
}

static void state_path(char *buf, size_t len)
{
	lab_state_dir(buf, len);
	strncat(buf, "/lab.state", len - strlen(buf) - 1);
}

void lab_state_cluster(const char *run_dir)
{
	char path[PATH_MAX];
	state_path(path, sizeof(path));
	if (!run_dir) {
		unlink(path);
		return;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", run_dir);
	fclose(f);
}

/* Brings down a cluster an earlier (killed) lab run left running. */
static void leftover_cluster(void)
{
	char path[PATH_MAX], dir[PATH_MAX];
	state_path(path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(dir, sizeof(dir), f)) {
		dir[strcspn(dir, "\n")] = '\0';
		if (dir[0]) {
			log_info("lab: bringing down the cluster a previous lab left in %s", dir);
			char *argv[] = {LAB_SELF, "cluster", "down", "--run-dir", dir, NULL};
			lab_run_cmd_always(NULL, argv, NULL, NULL, 30 * NS_PER_S);
		}
	}
	fclose(f);
	unlink(path);
}

/* Ends processes that live in one of the lab's namespaces (mqlb-lab-*): they
 * can only be the lab's own brokers, directors or clients of an earlier run. */
static void leftover_processes(void)
{
	struct stat ns[16];
	int n = 0;
	DIR *d = opendir("/run/netns");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && n < 16) {
		char p[PATH_MAX];
		if (strncmp(e->d_name, "mqlb-lab-", 9) != 0)
			continue;
		snprintf(p, sizeof(p), "/run/netns/%s", e->d_name);
		if (stat(p, &ns[n]) == 0)
			n++;
	}
	closedir(d);
	if (!n || !(d = opendir("/proc")))
		return;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 1 || pid == getpid())
			continue;
		snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
		if (stat(p, &st) != 0)
			continue;
		for (int i = 0; i < n; i++)
			if (st.st_dev == ns[i].st_dev && st.st_ino == ns[i].st_ino) {
				log_info("lab: ending process %d left in a lab namespace",
					 (int)pid);
				kill(pid, SIGTERM);
				usleep(200000);
				kill(pid, SIGKILL);
				break;
			}
	}
	closedir(d);
}

/* Every subcommand the lab drives must be in this binary. */
static int need_subcommands(void)
{
	static const char *const cmds[][2] = {
	    {"cluster", "up"},
	    {"director", "run"},
	    {"monitor", NULL},
	    {"bench", "sub"},
	    {"cluster", "kill"}}; /* faults: kill/start; they came together */
	int missing = 0;
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *argv[] = {LAB_SELF, (char *)cmds[i][0],
				cmds[i][1] ? (char *)cmds[i][1] : "--help", "--help", NULL};
		if (!cmds[i][1])
			argv[3] = NULL;
		if (lab_run_cmd(NULL, argv, NULL, NULL, 10 * NS_PER_S) != 0) {
			log_error("lab: 'mqlb %s' is not available in this build", cmds[i][0]);
			missing = 1;
		}
	}
	return missing ? -ENOENT : 0;
}

static void machine(char *buf, size_t len)
{
	struct utsname u;
	char model[128] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');
				if (c) {
					snprintf(model, sizeof(model), "%s", c + 2);
					model[strcspn(model, "\n")] = '\0';
				}
				break;
			}
		fclose(f);
	}
	uname(&u);
	snprintf(buf, len, "Linux %s %s, %ld cores%s%s", u.release, u.machine,
		 sysconf(_SC_NPROCESSORS_ONLN), model[0] ? ", " : "", model);
}

static int write_lab_json(const char *out, const struct lab_env *env, const struct lab_opts *o)
{
	char path[PATH_MAX], when[40], mach[512], hosts[512];
	if (snprintf(path, sizeof(path), "%s/lab.json", out) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	time_iso8601_ms(time_real_ns(), when, sizeof(when));
	machine(mach, sizeof(mach));
	if (env->hosts == LAB_HOSTS_SSH)
		snprintf(hosts, sizeof(hosts),
			 "SSH hosts (--inventory %s): clients %s, %s; directors %s, %s; brokers %s",
			 o->inventory, env->client_addr[0], env->client_addr[1],
			 env->director_addr[0], env->director_addr[1], env->broker_addr);
	else if (env->hosts == LAB_HOSTS_NETNS)
		snprintf(hosts, sizeof(hosts),
			 "network namespaces mqlb-lab-* (client1/2 %s, %s; directors %s, %s; "
			 "brokers %s), veth + bridges, no route out",
			 env->client_addr[0], env->client_addr[1], env->director_addr[0],
			 env->director_addr[1], env->broker_addr);
	else
		snprintf(hosts, sizeof(hosts),
			 "loopback addresses (no root): clients %s, %s; directors %s, %s; brokers "
			 "%s",
			 env->client_addr[0], env->client_addr[1], env->director_addr[0],
			 env->director_addr[1], env->broker_addr);
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "started", when);
	json_str(&j, "machine", mach);
	json_str(&j, "hosts", hosts);
	json_str(&j, "dataplane", env->dataplane);
	json_str(&j, "scheduler", env->scheduler);
	json_str(&j, "scheduler_note", env->scheduler_note);
	json_str(&j, "profile", o->profile);
	json_str(&j, "setup", o->setup);
	{
		char *argv[LAB_CLUSTER_ARGV_MAX + 1], flags[1024] = "";
		int n = 0;
		lab_cluster_argv(&o->cluster, argv, &n);
		for (int i = 0; i < n; i++) {
			strncat(flags, i ? " " : "", sizeof(flags) - strlen(flags) - 1);
			strncat(flags, argv[i], sizeof(flags) - strlen(flags) - 1);
		}
		json_str(&j, "cluster_flags", flags);
	}
	json_u64(&j, "burst", o->burst);
	json_u64(&j, "interval_ms", o->interval_ms);
	json_u64(&j, "drain_s", o->drain_s);
	json_u64(&j, "repeat", (uint64_t)(o->repeat > 0 ? o->repeat : 1)); /* runs per point */
	if (env->hosts == LAB_HOSTS_SSH) { /* clocks.csv: the bound of cross-host latency */
		json_double(&j, "clock_error_ms", (double)env->clock_err_ns / 1e6);
		json_u64(&j, "max_clock_offset_ms", o->max_clock_offset_ms);
	}
	json_obj_end(&j);
	return fclose(f) == 0 ? 0 : -errno;
}

/* IPVS as the director sees it: /proc/net/ip_vs when the module is loaded,
 * else whether the generic netlink family "IPVS" resolves (which loads the
 * module where the kernel has it). */
static int kernel_has_ipvs(void)
{
	char err[256];
	struct ipvs_nl *h = NULL;
	if (!director_dataplane_find("ipvs"))
		return 0;
	if (access("/proc/net/ip_vs", F_OK) == 0)
		return 1;
	if (ipvs_nl_open(&h, err, sizeof(err)) < 0) {
		log_debug("lab: no IPVS: %s", err);
		return 0;
	}
	ipvs_nl_close(h);
	return 1;
}

/* What the lab does not do over SSH yet: said before anything starts. */
static int ssh_refuse(const struct lab_opts *o)
{
	for (int i = 0; i < o->n_faults; i++)
		if (lab_fault_ssh_why(o->faults[i].kind)) {
			log_error("lab: --fault %s with --inventory: %s", o->faults[i].spec,
				  lab_fault_ssh_why(o->faults[i].kind));
			return -EINVAL;
		}
	if (!strcmp(o->dataplane, "ipvs")) { /* the brokers would need routes per client */
		log_error("lab: --dataplane ipvs with --inventory: use nft or proxy");
		return -EINVAL;
	}
	for (int t = 0; t < o->n_topologies; t++)
		if (lab_topology_ha((enum lab_topology)o->topologies[t])) {
			log_error("lab: topology %s with --inventory: HA runs on namespaces only",
				  lab_topology_name((enum lab_topology)o->topologies[t]));
			return -EINVAL;
		}
	return 0;
}

static int resolve(const struct lab_opts *o, struct lab_env *env)
{
	int root = geteuid() == 0;
	enum lab_hosts h =
	    o->hosts == LAB_HOSTS_AUTO ? (root ? LAB_HOSTS_NETNS : LAB_HOSTS_LOOPBACK) : o->hosts;
	if (o->inventory && ssh_refuse(o) < 0)
		return -EINVAL;
	if (o->inventory)
		h = LAB_HOSTS_SSH;
	if (h == LAB_HOSTS_NETNS && !root) {
		log_error(
		    "lab: --hosts netns needs root (network namespaces); use --hosts loopback");
		return -EPERM;
	}
	env->hosts = h;
	const char *dp = o->dataplane;
	if (strcmp(dp, "auto") == 0) {
		if (h == LAB_HOSTS_LOOPBACK)
			dp = "proxy";
		else if (h == LAB_HOSTS_SSH) /* the hosts' kernels: nft needs no module */
			dp = "nft";
		else
			dp = kernel_has_ipvs() ? "ipvs" : "nft";
	}
	if (!director_dataplane_find(dp)) {
		if (strcmp(dp, "proxy") == 0)
			log_error(
			    "lab: without root the lab needs the user-space director "
			    "(mqlb director --dataplane proxy), which this build does not have "
			    "yet; run as root for namespaces and the kernel director");
		else
			log_error("lab: dataplane %s is not built into this mqlb", dp);
		return -ENOENT;
	}
	if (h == LAB_HOSTS_LOOPBACK && strcmp(dp, "proxy") != 0 && !root) {
		log_error("lab: the %s dataplane needs root; without root use --dataplane proxy",
			  dp);
		return -EPERM;
	}
	snprintf(env->dataplane, sizeof(env->dataplane), "%s", dp);
	if (o->scheduler) {
		snprintf(env->scheduler, sizeof(env->scheduler), "%s", o->scheduler);
		snprintf(env->scheduler_note, sizeof(env->scheduler_note),
			 "Scheduler %s was chosen on the command line (the study used lc).",
			 o->scheduler);
	} else if (strcmp(dp, "nft") == 0) {
		snprintf(env->scheduler, sizeof(env->scheduler), "rr");
		snprintf(
		    env->scheduler_note, sizeof(env->scheduler_note),
		    "The study's lc (least-connection) cannot be expressed in nftables and this "
		    "kernel has no IPVS, so the study's rr variant is used.");
	} else {
		snprintf(env->scheduler, sizeof(env->scheduler), "lc");
		snprintf(env->scheduler_note, sizeof(env->scheduler_note),
			 "lc (least-connection) as the study.");
	}
	for (int t = 0; t < o->n_topologies; t++)
		if (lab_topology_ha((enum lab_topology)o->topologies[t]) && h != LAB_HOSTS_NETNS) {
			log_error("lab: topology %s needs root (namespaces, keepalived)",
				  lab_topology_name((enum lab_topology)o->topologies[t]));
			return -EPERM;
		}
	for (int t = 0; t < o->n_topologies + 2 * !!o->lc_pair; t++)
		if (strcmp(lab_topology_dataplane(t < o->n_topologies
						      ? (enum lab_topology)o->topologies[t]
						      : LAB_TOPO_LC,
						  "x"),
			   "proxy") == 0 &&
		    !director_dataplane_find("proxy")) {
			log_error("lab: topology %s needs the user-space director (--dataplane "
				  "proxy), not in this build yet",
				  t < o->n_topologies
				      ? lab_topology_name((enum lab_topology)o->topologies[t])
				      : "distributed-lc (the lc pair; --topology without it)");
			return -ENOENT;
		}
	return 0;
}

/* One lab at a time: the namespaces have fixed names, and a new run clears
 * leftovers — which must never be a live lab's. Returns the lock fd or -1. */
static int lab_lock(void)
{
	char path[PATH_MAX];
	if (lab_state_dir(path, sizeof(path)) != 0)
		return -1;
	strncat(path, "/lab.lock", sizeof(path) - strlen(path) - 1);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_error("lab: %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_error("lab: another mqlb lab run is in progress (lock %s)", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* SSH hosts: every host checked (nothing started when one fails), then the
 * clocks measured; the hosts' addresses become the session's. */
static int ssh_open(const struct lab_opts *o, struct lab_session *s)
{
	s->ssh = 1;
	if (lab_inventory_preflight(s->env.dataplane, s->out) < 0) {
		s->ssh = 0;
		lab_session_close(s);
		return -1;
	}
	uint64_t err_ns = 0;
	int r = lab_clocks(s->out, o->max_clock_offset_ms, &err_ns);
	if (r < 0) {
		lab_session_close(s);
		return -1;
	}
	lab_inventory_env(&s->env);
	s->env.clock_err_ns = err_ns;
	log_info("lab: %d SSH hosts ready; latency between the client hosts within +- %.3f ms",
		 lab_host_count(), (double)err_ns / 1e6);
	return 0;
}

int lab_session_open(const struct lab_opts *o, struct lab_session *s)
{
	memset(s, 0, sizeof(*s));
	s->lock = -1;
	lab_signals_install();
	if (resolve(o, &s->env) < 0 || need_subcommands() < 0)
		return -1;
	if ((s->lock = lab_lock()) < 0)
		return -1;
	char *out = s->out;
	size_t outlen = sizeof(s->out);
	if (o->out) {
		snprintf(out, outlen, "%s", o->out);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(out, outlen, "results/%Y%m%d-%H%M%S", &tm);
	}
	if (strlen(out) > 400) { /* setup and run folders, logs and files go below it */
		log_error("lab: --out path longer than 400 bytes");
		goto fail;
	}
	int mk = mkdir_p(out, 0755);
	if (mk < 0) {
		log_error("lab: cannot create %s: %s", out, strerror(-mk));
		goto fail;
	}
	if (out[0] != '/') { /* children log and write here: make it absolute */
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd))) {
			char abs[PATH_MAX * 2];
			int w = snprintf(abs, sizeof(abs), "%s/%s", cwd, out);
			if (w > 0 && (size_t)w < outlen)
				memcpy(out, abs, (size_t)w + 1);
		}
	}
	/* What an earlier, killed lab left: its cluster, processes, namespaces. */
	leftover_cluster();
	if (s->env.hosts == LAB_HOSTS_SSH)
		return ssh_open(o, s);
	leftover_processes();
	if (s->env.hosts == LAB_HOSTS_NETNS) {
		lab_netns_cleanup();
		s->netns = 1;
		if (lab_netns_setup(&s->env, out) < 0) {
			lab_session_close(s);
			return -1;
		}
	} else {
		lab_loop_setup(&s->env);
		log_warn("lab: not root: loopback addresses and the user-space director "
			 "(--dataplane proxy); no namespaces, no kernel director");
	}
	return 0;
fail:
	close(s->lock);
	s->lock = -1;
	return -1;
}

void lab_session_close(struct lab_session *s)
{
	lab_kill_all();
	leftover_cluster();
	if (s->ssh) { /* work dirs, directors' nft tables, master connections */
		lab_inventory_close();
		s->ssh = 0;
	}
	if (s->netns) {
		leftover_processes();
		lab_netns_cleanup();
		s->netns = 0;
	}
	if (s->lock >= 0)
		close(s->lock);
	s->lock = -1;
}

/* The session's namespaces were removed under it (by hand, or by a program
 * that does not take the lab's lock): every further run would fail at once. */
static int hosts_gone(const struct lab_session *s)
{
	if (!s->netns || lab_netns_count() >= LAB_NETNS_COUNT)
		return 0;
	log_error("lab: the lab's namespaces (mqlb-lab-*) are gone; not running the rest");
	return 1;
}

int lab_run_list(const struct lab_opts *o, struct lab_session *s, const char *dir,
		 const struct lab_run *runs, int n, int first, int total, struct lab_row *rows,
		 int *failed)
{
	char path[PATH_MAX + 32];
	int n_ok = 0, append = n > 0 && runs[0].repeat > 1;
	if (!append && write_lab_json(dir, &s->env, o) < 0)
		log_warn("lab: cannot write %s/lab.json", dir);
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	FILE *sum = fopen(path, append ? "a" : "w");
	if (!sum) {
		log_error("lab: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!append)
		fprintf(sum, "%s\n", LAB_SUMMARY_HEADER_REPEAT);
	fflush(sum);
	for (int i = 0; i < n && !lab_stop; i++) {
		char prog[160], rep[32] = "";
		if (o->repeat > 1)
			snprintf(rep, sizeof(rep), " repeat %u/%d", runs[i].repeat, o->repeat);
		if (dir == s->out) /* lab run: one setup, named in its first line */
			snprintf(prog, sizeof(prog), "%d/%d%s", first + i + 1, total, rep);
		else
			snprintf(prog, sizeof(prog), "%d/%d%s %s", first + i + 1, total, rep,
				 o->setup);
		int r = lab_run_one(o, &s->env, &runs[i], dir, prog, &rows[n_ok]);
		if (r < 0) {
			if (!lab_stop)
				log_error("lab: run %s (%s, QoS %d, %" PRIu64 " clients) failed",
					  prog, lab_topology_name(runs[i].topology), runs[i].qos,
					  runs[i].clients);
			(*failed)++;
			if (hosts_gone(s)) {
				*failed += n - i - 1;
				break;
			}
			continue;
		}
		lab_row_write(sum, &rows[n_ok]);
		fflush(sum);
		n_ok++;
	}
	fclose(sum);
	return n_ok;
}

static int any_lost(const struct lab_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		if (rows[i].lost > 0)
			return 1;
	return 0;
}

int lab_cmd_run(const struct lab_opts *o)
{
	struct lab_session s;
	struct lab_run runs[LAB_MAX_RUNS];
	int ret = CLI_FAIL, n_ok = 0, failed = 0;

	int n = lab_matrix(o, runs), reps = o->repeat > 0 ? o->repeat : 1;
	char err[256];
	/* a bad fault is a usage error: nothing may start for it */
	if (lab_faults_validate(o, runs, n, err, sizeof(err)) < 0)
		return cli_usage_error("lab run", "%s", err);
	if (lab_session_open(o, &s) < 0)
		return CLI_FAIL;
	struct lab_row *rows = calloc((size_t)n, sizeof(*rows));
	if (!rows) {
		lab_session_close(&s);
		return CLI_FAIL;
	}
	log_info("lab: %d runs (%d point%s x %d, interleaved; %s, %s, hosts: %s, cluster %s) "
		 "into %s",
		 n, n / reps, n / reps == 1 ? "" : "s", reps, s.env.dataplane, s.env.scheduler,
		 s.env.hosts == LAB_HOSTS_NETNS ? "namespaces"
		 : s.env.hosts == LAB_HOSTS_SSH ? "SSH"
						: "loopback",
		 o->setup, s.out);
	n_ok = lab_run_list(o, &s, s.out, runs, n, 0, n, rows, &failed);
	if (n_ok >= 0 && !lab_stop)
		ret = failed ? CLI_FAIL : CLI_OK;
	lab_session_close(&s);
	if (lab_stop) {
		log_error("lab: interrupted; everything the lab started is down");
	} else if (n_ok > 0) {
		if (lab_report(s.out) == 0) {
			if (o->inventory)
				lab_clocks_report(s.out, o->max_clock_offset_ms);
			lab_summary_print(stdout, rows, n_ok);
			printf("\nreport: %s/report.md\n", s.out);
			if (any_lost(rows, n_ok))
				printf("next: mqlb lab search  (which cluster setups lose nothing "
				       "at this load)\n");
		} else {
			ret = CLI_FAIL;
		}
	}
	free(rows);
	return ret;
}
