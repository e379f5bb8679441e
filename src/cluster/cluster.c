/* cluster.c — `mqlb cluster up|down|status|kill|start|render|probe`: flag
 * parsing only, one option table per subcommand (src/common/opt.h: the table
 * makes both getopt's options and --help, each option has its own function,
 * a sibling's flag is refused); the work is in cluster_up.c,
 * cluster_status.c, cluster_fault.c, cluster_render.c. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "common/addr.h"
#include "common/cli.h"
#include "mqtt/probe.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/rundir.h"
#include "common/time.h"

struct cluster_args {
	struct cluster_spec spec;
	int json, name_set;
	uint64_t timeout_ns;
	int timeout_set;
	const char *out;
	const char *sys[16];
	unsigned n_sys;
	const char *target;
	unsigned broker; /* kill, start: 1-based, 0 = not given */
	int sig;
};

static int valid_name(const char *s)
{
	size_t l = strlen(s);
	if (l == 0 || l > 24)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* "key=value" -> "key value"; key [a-z0-9_], value without newlines. */
static int mosq_opt(const char *arg, char *out, size_t len)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1] || strpbrk(arg, "\n\r#"))
		return -EINVAL;
	for (const char *p = arg; p < eq; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return -EINVAL;
	int n = snprintf(out, len, "%.*s %s", (int)(eq - arg), arg, eq + 1);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

/* One function per option; ctx is the struct cluster_args being filled. */
static int take_brokers(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	uint64_t u;
	if (parse_u64(v, 1, CLUSTER_MAX_BROKERS, &u))
		return cli_usage_error(cmd, "--brokers %s: want 1..%d", v, CLUSTER_MAX_BROKERS);
	a->spec.brokers = (unsigned)u;
	return 0;
}

static int take_bridge(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	if (cluster_bridge_parse(v, &a->spec.bridge))
		return cli_usage_error(cmd, "--bridge %s: want star, mesh or none", v);
	return 0;
}

static int take_bridge_qos(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	uint64_t u;
	if (parse_u64(v, 0, 2, &u))
		return cli_usage_error(cmd, "--bridge-qos %s: want 0, 1 or 2", v);
	a->spec.bridge_qos = (int)u;
	return 0;
}

static int take_host(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	struct sockaddr_storage ss;
	if (addr_parse_host(v, 1, &ss))
		return cli_usage_error(cmd, "--host %s: not a numeric IP address", v);
	addr_format_host(&ss, a->spec.host, sizeof(a->spec.host));
	return 0;
}

static int take_base_port(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	uint64_t u;
	if (parse_u64(v, 1, 65535, &u))
		return cli_usage_error(cmd, "--base-port %s: want 1..65535", v);
	a->spec.base_port = (uint16_t)u;
	return 0;
}

static int take_cpus(void *ctx, const char *cmd, const char *v)
{
	struct cluster_spec *s = &((struct cluster_args *)ctx)->spec;
	if (parse_double(v, 0, 1024, &s->cpus) || (s->cpus > 0 && s->cpus < 0.01))
		return cli_usage_error(cmd, "--cpus %s: want 0 (none) or 0.01..1024", v);
	return 0;
}

static int take_memory(void *ctx, const char *cmd, const char *v)
{
	struct cluster_spec *s = &((struct cluster_args *)ctx)->spec;
	if (parse_size(v, &s->mem_bytes) || (s->mem_bytes > 0 && s->mem_bytes < (4ULL << 20)))
		return cli_usage_error(cmd, "--memory %s: want 0 (none) or >= 4M", v);
	return 0;
}

/* --profile is applied before every other flag (apply_profile), so that flags
 * before or after it refine it; here it is only accepted. */
static int take_profile(void *ctx, const char *cmd, const char *v)
{
	(void)ctx, (void)cmd, (void)v;
	return 0;
}

static int take_count(const char *cmd, const char *flag, const char *v, long *out)
{
	uint64_t u;
	if (parse_u64(v, 0, 1000000000, &u))
		return cli_usage_error(cmd, "%s %s: want a count >= 0", flag, v);
	*out = (long)u;
	return 0;
}

static int take_max_queued(void *ctx, const char *cmd, const char *v)
{
	return take_count(cmd, "--max-queued", v, &((struct cluster_args *)ctx)->spec.max_queued);
}

static int take_max_inflight(void *ctx, const char *cmd, const char *v)
{
	return take_count(cmd, "--max-inflight", v,
			  &((struct cluster_args *)ctx)->spec.max_inflight);
}

static int take_queue_qos0(void *ctx, const char *cmd, const char *v)
{
	(void)cmd, (void)v;
	((struct cluster_args *)ctx)->spec.queue_qos0 = 1;
	return 0;
}

static int take_persistence(void *ctx, const char *cmd, const char *v)
{
	(void)cmd, (void)v;
	((struct cluster_args *)ctx)->spec.persistence = 1;
	return 0;
}

static int take_mosq_opt(void *ctx, const char *cmd, const char *v)
{
	struct cluster_spec *s = &((struct cluster_args *)ctx)->spec;
	if (s->n_opts == CLUSTER_MAX_OPTS)
		return cli_usage_error(cmd, "--mosquitto-opt: at most %d", CLUSTER_MAX_OPTS);
	if (mosq_opt(v, s->opts[s->n_opts], sizeof(s->opts[0])))
		return cli_usage_error(cmd, "--mosquitto-opt %s: want KEY=VALUE", v);
	s->n_opts++;
	return 0;
}

static int take_netns(void *ctx, const char *cmd, const char *v)
{
	struct cluster_spec *s = &((struct cluster_args *)ctx)->spec;
	if (!valid_name(v))
		return cli_usage_error(cmd, "--netns %s: not a namespace name", v);
	snprintf(s->netns, sizeof(s->netns), "%s", v);
	return 0;
}

static int take_run_dir(void *ctx, const char *cmd, const char *v)
{
	struct cluster_spec *s = &((struct cluster_args *)ctx)->spec;
	if (!*v || strlen(v) >= sizeof(s->run_dir) - 32 || strpbrk(v, "\t\n"))
		return cli_usage_error(cmd, "--run-dir %s: unusable path", v);
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", v);
	return 0;
}

static int take_name(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	if (!valid_name(v))
		return cli_usage_error(cmd, "--name %s: want 1..24 of [A-Za-z0-9._-]", v);
	snprintf(a->spec.name, sizeof(a->spec.name), "%s", v);
	a->name_set = 1;
	return 0;
}

static int take_timeout(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	if (parse_duration_ns(v, NS_PER_S, &a->timeout_ns) || a->timeout_ns == 0)
		return cli_usage_error(cmd, "--timeout %s: want a duration like 10s", v);
	a->timeout_set = 1;
	return 0;
}

static int take_json(void *ctx, const char *cmd, const char *v)
{
	(void)cmd, (void)v;
	((struct cluster_args *)ctx)->json = 1;
	return 0;
}

static int take_out(void *ctx, const char *cmd, const char *v)
{
	(void)cmd;
	((struct cluster_args *)ctx)->out = v;
	return 0;
}

static int take_sys(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	if (a->n_sys == 16)
		return cli_usage_error(cmd, "--sys: at most 16");
	a->sys[a->n_sys++] = v;
	return 0;
}

static int take_broker(void *ctx, const char *cmd, const char *v)
{
	struct cluster_args *a = ctx;
	uint64_t u;
	/* any number: kill/start name the cluster's own range */
	if (parse_u64(v, 1, 1000000, &u))
		return cli_usage_error(cmd, "--broker %s: want a broker number >= 1", v);
	a->broker = (unsigned)u;
	return 0;
}

static int take_signal(void *ctx, const char *cmd, const char *v)
{
	if (cluster_signal_parse(v, &((struct cluster_args *)ctx)->sig))
		return cli_usage_error(cmd, "--signal %s: want KILL, TERM, STOP or CONT", v);
	return 0;
}

#define XSTR(x) STR(x)
#define STR(x)	#x

/* The options, once each; the subcommands' tables below point at them. */
static const struct opt o_brokers = {
    "brokers", "N", "number of brokers (default 3, max " XSTR(CLUSTER_MAX_BROKERS) ")",
    take_brokers};
static const struct opt o_bridge = {"bridge", "star|mesh|none",
				    "star: hub broker 1 (default); mesh: every broker\n"
				    "to every other, origin-prefixed ($mesh/<i>/...)",
				    take_bridge};
static const struct opt o_bridge_qos = {"bridge-qos", "0|1|2",
					"QoS of the bridges' topic lines (default 2, as the\n"
					"study); 1: fewer packets, duplicates after reconnects",
					take_bridge_qos};
static const struct opt o_host = {"host", "ADDR",
				  "listen address of every broker (default 127.0.0.1)", take_host};
static const struct opt o_base_port = {"base-port", "P",
				       "broker i listens on P+i-1 (default 18831)", take_base_port};
static const struct opt o_cpus = {"cpus", "C", "CPU limit per broker (default 0.25; 0 = none)",
				  take_cpus};
static const struct opt o_memory = {
    "memory", "SIZE", "memory limit per broker (default 128M; 0 = none)", take_memory};
static const struct opt o_profile = {"profile", "thesis",
				     "the study's PoC: 3 brokers, star, 0.25 CPU, 128M,\n"
				     "Mosquitto defaults (other flags still apply after it)",
				     take_profile};
static const struct opt o_max_queued = {
    "max-queued", "N", "max_queued_messages (default: Mosquitto's, 1000)", take_max_queued};
static const struct opt o_max_inflight = {
    "max-inflight", "N", "max_inflight_messages (default: Mosquitto's, 20)", take_max_inflight};
static const struct opt o_queue_qos0 = {"queue-qos0", NULL, "queue_qos0_messages true",
					take_queue_qos0};
static const struct opt o_persistence = {"persistence", NULL,
					 "persistence true (in the run dir), autosave_interval 1",
					 take_persistence};
static const struct opt o_mosq_opt = {
    "mosquitto-opt", "K=V", "extra mosquitto.conf line \"K V\" (repeatable)", take_mosq_opt};
static const struct opt o_netns = {"netns", "NAME", "run the brokers in network namespace NAME",
				   take_netns};
static const struct opt o_run_dir = {"run-dir", "DIR",
				     "state, configs, pid files, logs (default /run/mqlb\n"
				     "as root, else $XDG_RUNTIME_DIR/mqlb, else\n"
				     "/tmp/mqlb-<uid>; refused when not yours or open to others)",
				     take_run_dir};
static const struct opt o_name = {"name", "NAME",
				  "cluster name, used for cgroups mqlb/NAME-b<i>\n"
				  "(default p<base-port>, or <netns>-p<base-port>)",
				  take_name};
static const struct opt o_timeout_up = {"timeout", "D", "readiness deadline (default 15s)",
					take_timeout};
static const struct opt o_timeout_down = {
    "timeout", "D", "SIGKILL what ignored SIGTERM after D (default 5s)", take_timeout};
static const struct opt o_timeout_kill = {
    "timeout", "D", "how long to wait for the broker to die/stop (default 5s)", take_timeout};
static const struct opt o_timeout_start = {"timeout", "D", "until it answers CONNECT (default 10s)",
					   take_timeout};
static const struct opt o_timeout_probe = {"timeout", "D", "for CONNACK and $SYS (default 1s)",
					   take_timeout};
static const struct opt o_timeout_render = {"timeout", "D", "accepted, as up takes it; unused",
					    take_timeout};
static const struct opt o_json = {"json", NULL, "the state as JSON", take_json};
static const struct opt o_out = {"out", "DIR", "where docker-compose.yml and configs go", take_out};
static const struct opt o_sys = {"sys", "TOPIC", "also print this $SYS topic (repeatable, 16)",
				 take_sys};
static const struct opt o_netns_probe = {"netns", "NAME", "probe from network namespace NAME",
					 take_netns};
static const struct opt o_broker = {"broker", "N", "which broker, 1..brokers (broker1 is the hub)",
				    take_broker};
static const struct opt o_signal = {"signal", "S",
				    "KILL (default), TERM (both wait until it is\n"
				    "dead and record that), STOP (freeze), CONT (resume)",
				    take_signal};

#define SPEC_OPTS                                                                                  \
	&o_brokers, &o_bridge, &o_bridge_qos, &o_host, &o_base_port, &o_cpus, &o_memory,           \
	    &o_profile, &o_max_queued, &o_max_inflight, &o_queue_qos0, &o_persistence,             \
	    &o_mosq_opt, &o_netns, &o_run_dir, &o_name
static const struct opt *const spec_opts[] = {SPEC_OPTS, NULL};
static const struct opt *const up_opts[] = {SPEC_OPTS, &o_timeout_up, NULL};
static const struct opt *const render_opts[] = {&o_out, SPEC_OPTS, &o_timeout_render, NULL};
static const struct opt *const status_opts[] = {&o_json, &o_run_dir, NULL};
static const struct opt *const down_opts[] = {&o_run_dir, &o_timeout_down, NULL};
static const struct opt *const kill_opts[] = {&o_broker, &o_signal, &o_run_dir, &o_timeout_kill,
					      NULL};
static const struct opt *const start_opts[] = {&o_broker, &o_run_dir, &o_timeout_start, NULL};
static const struct opt *const probe_opts[] = {&o_netns_probe, &o_timeout_probe, &o_sys, NULL};

/* status/down/kill/start read the cluster's flags from its state file */
#define BY_DIR " (a cluster is found by its --run-dir)"

static const struct opt_cmd cmds[] = {
    {"cluster up", "[options]", "Starts N Mosquitto brokers, bridged, limited.", up_opts, 0,
     "up returns once every broker answers CONNECT with CONNACK and every bridge\n"
     "reports $SYS/broker/connection/<id>/state = 1; otherwise it stops everything.\n"
     "--persistence also sets autosave_interval 1: a SIGKILLed broker comes back\n"
     "with its sessions and queued messages up to its last save (~2 s old at most).\n"
     "cgroup v2: the limits need a delegated cgroup (systemd-run --scope -p\n"
     "Delegate=yes mqlb cluster up ...); without one up says so and runs unlimited.\n"
     "MQLB_MOSQUITTO=PATH picks the broker binary; MQLB_CGROUP_ROOT replaces\n"
     "/sys/fs/cgroup (tests).\n",
     NULL, NULL},
    {"cluster status", "[--json] [--run-dir DIR]", "Shows the brokers of a cluster.", status_opts,
     0, NULL, BY_DIR, spec_opts},
    {"cluster down", "[--run-dir DIR] [--timeout 5s]",
     "Stops every broker (SIGTERM, then SIGKILL), removes cgroups and state.", down_opts, 0, NULL,
     BY_DIR, spec_opts},
    {"cluster kill", "--broker N [--signal KILL|TERM|STOP|CONT] [--run-dir DIR] [--timeout 5s]",
     "Sends a signal to one broker after checking its pid is still that broker.", kill_opts, 0,
     NULL, BY_DIR, spec_opts},
    {"cluster start", "--broker N [--run-dir DIR] [--timeout 10s]", "Starts a dead broker again.",
     start_opts, 0,
     "start brings a dead broker back with its own config, cgroup, netns and port,\n"
     "and returns once it answers CONNECT; it refuses a broker that still runs.\n",
     BY_DIR, spec_opts},
    {"cluster render", "--out DIR [options of up]",
     "Writes docker-compose.yml and one mosquitto.conf per broker.", render_opts, 0, NULL, NULL,
     NULL},
    {"cluster probe", "HOST:PORT [--netns NAME] [--timeout 1s] [--sys TOPIC]...",
     "Waits for an accepted CONNACK from one broker.", probe_opts, 1, NULL, NULL, NULL},
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* `mqlb cluster --help`: every subcommand's line, then up's options. */
static void usage(FILE *f)
{
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "%s mqlb %s %s\n", i ? "      " : "Usage:", cmds[i].name, cmds[i].usage);
	fprintf(f, "\nOptions of up (and render):\n");
	opt_help_options(f, up_opts);
	fprintf(f, "\n'mqlb cluster CMD --help' shows the options of CMD; a flag of another\n"
		   "subcommand is refused.\n");
}

/* --profile first, so that flags after or before it refine it. */
static int apply_profile(const char *cmd, int argc, char **argv, struct cluster_spec *s)
{
	for (int i = 1; i < argc; i++) {
		const char *p = NULL;
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			p = argv[i + 1];
		else if (strncmp(argv[i], "--profile=", 10) == 0)
			p = argv[i] + 10;
		if (p && cluster_spec_profile(s, p))
			return cli_usage_error(cmd, "--profile %s: unknown profile (known: thesis)",
					       p);
	}
	return 0;
}

static int parse_args(const struct opt_cmd *c, int argc, char **argv, struct cluster_args *a)
{
	struct cluster_spec *s = &a->spec;
	const char *args[1];
	unsigned nargs = 0;
	int r = c->opts == up_opts || c->opts == render_opts ? apply_profile(c->name, argc, argv, s)
							     : 0;
	if (r || (r = opt_parse(c, cmds, N_CMDS, a, argc, argv, args, &nargs)) != 0)
		return r;
	if (nargs)
		a->target = args[0];
	if ((unsigned)s->base_port + s->brokers - 1 > 65535)
		return cli_usage_error(c->name, "--base-port %u: %u brokers do not fit below 65536",
				       (unsigned)s->base_port, s->brokers);
	if (!s->run_dir[0])
		rundir_default(s->run_dir, sizeof(s->run_dir));
	/* Default name: unique per (namespace, port) so clusters on the same ports in
	 * different namespaces get different cgroups. */
	if (!a->name_set && s->netns[0])
		snprintf(s->name, sizeof(s->name), "%.20s-p%u", s->netns, (unsigned)s->base_port);
	else if (!a->name_set)
		snprintf(s->name, sizeof(s->name), "p%u", (unsigned)s->base_port);
	return 0;
}

static int do_probe(struct cluster_args *a)
{
	struct sockaddr_storage ss;
	char err[256] = "";
	if (!a->target)
		return cli_usage_error(
		    "cluster probe",
		    "missing HOST:PORT, the broker to probe (e.g. 127.0.0.1:1883)");
	if (addr_parse(a->target, 1883, &ss))
		return cli_usage_error("cluster probe", "want HOST:PORT (numeric), got '%s'",
				       a->target);
	uint64_t timeout = a->timeout_set ? a->timeout_ns : NS_PER_S;
	const char *ns = a->spec.netns[0] ? a->spec.netns : NULL;
	uint64_t t0 = time_mono_ns();
	int r = mqtt_probe_connack_ns(&ss, ns, timeout, err, sizeof(err));
	double ms = (double)(time_mono_ns() - t0) / 1e6;
	if (r) {
		printf("%s: not ready after %.1f ms: %s\n", a->target, ms, err);
		return CLI_FAIL;
	}
	printf("%s: CONNACK accepted in %.1f ms\n", a->target, ms);
	if (a->n_sys) {
		char vals[16][MQTT_PROBE_SYS_VALUE_MAX];
		r = mqtt_probe_sys_read(&ss, ns, a->sys, a->n_sys, timeout, vals);
		if (r < 0) {
			printf("%s: $SYS: %s\n", a->target, strerror(-r));
			return CLI_FAIL;
		}
		for (unsigned i = 0; i < a->n_sys; i++)
			printf("%s %s\n", a->sys[i], vals[i][0] ? vals[i] : "(none)");
	}
	return CLI_OK;
}

/* A run dir someone else planted is refused, never read (up vets and
 * creates its own). */
static int check_run_dir(const char *cmd, const char *sub, const char *dir)
{
	char why[PATH_MAX + 160];
	if (!strcmp(sub, "up") || !strcmp(sub, "probe") || !strcmp(sub, "render"))
		return 0;
	int r = rundir_check(dir, 0, why, sizeof(why));
	if (r && r != -ENOENT) {
		fprintf(stderr, "mqlb: %s: %s\n", cmd, why);
		return CLI_FAIL;
	}
	return 0;
}

static int dispatch(const char *sub, struct cluster_args *a)
{
	uint64_t t = a->timeout_ns;
	if (!strcmp(sub, "up"))
		return cluster_up(&a->spec, a->timeout_set ? t : 15 * NS_PER_S);
	if (!strcmp(sub, "down"))
		return cluster_down(a->spec.run_dir, a->timeout_set ? t : 5 * NS_PER_S);
	if (!strcmp(sub, "status"))
		return cluster_status(a->spec.run_dir, a->json);
	if (!strcmp(sub, "kill") || !strcmp(sub, "start")) {
		if (!a->broker)
			return cli_usage_error(!strcmp(sub, "kill") ? "cluster kill"
								    : "cluster start",
					       "--broker N is required (1 = broker1)");
		if (!strcmp(sub, "kill"))
			return cluster_kill(a->spec.run_dir, a->broker, a->sig ? a->sig : SIGKILL,
					    a->timeout_set ? t : 5 * NS_PER_S);
		return cluster_start(a->spec.run_dir, a->broker,
				     a->timeout_set ? t : 10 * NS_PER_S);
	}
	if (!strcmp(sub, "probe"))
		return do_probe(a);
	if (!a->out)
		return cli_usage_error("cluster render", "--out DIR is required");
	return cluster_render(&a->spec, a->out);
}

int cmd_cluster(int argc, char **argv)
{
	static struct cluster_args a;
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return CLI_OK;
	}
	const struct opt_cmd *c = NULL;
	for (size_t i = 0; i < N_CMDS && !c; i++)
		if (!strcmp(cmds[i].name + strlen("cluster "), sub))
			c = &cmds[i];
	if (!c)
		return cli_usage_error("cluster",
				       "unknown cluster command '%s' (up, down, status, kill, "
				       "start, render, probe)",
				       sub);
	memset(&a, 0, sizeof(a));
	cluster_spec_defaults(&a.spec);
	int r = parse_args(c, argc - 1, argv + 1, &a);
	if (r == OPT_HELP_SHOWN)
		return CLI_OK;
	if (r)
		return r;
	if ((r = check_run_dir(c->name, sub, a.spec.run_dir)) != 0)
		return r;
	return dispatch(sub, &a);
}
