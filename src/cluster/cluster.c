/* cluster.c — `mqlb cluster up|down|status|kill|start|render|probe`: flag
 * parsing only; the work is in cluster_up.c, cluster_status.c,
 * cluster_fault.c, cluster_render.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "common/addr.h"
#include "common/cli.h"
#include "common/mqtt_probe.h"
#include "common/parse.h"
#include "common/rundir.h"
#include "common/time.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: mqlb cluster up [options]     start N Mosquitto brokers, bridged, limited\n"
	    "       mqlb cluster status [--json] [--run-dir DIR]\n"
	    "       mqlb cluster down [--run-dir DIR] [--timeout 5s]\n"
	    "       mqlb cluster kill --broker N [--signal KILL|TERM|STOP|CONT] [--run-dir DIR]\n"
	    "                         [--timeout 5s]\n"
	    "       mqlb cluster start --broker N [--run-dir DIR] [--timeout 10s]\n"
	    "       mqlb cluster render --out DIR [options]   docker-compose.yml + configs\n"
	    "       mqlb cluster probe HOST:PORT [--netns NAME] [--timeout 1s] [--sys TOPIC]...\n"
	    "\n"
	    "Options of up and render:\n"
	    "  --brokers N            number of brokers (default 3, max %d)\n"
	    "  --bridge star|mesh|none  star: hub broker 1 (default); mesh: every broker\n"
	    "                         to every other, origin-prefixed ($mesh/<i>/...)\n"
	    "  --bridge-qos 0|1|2     QoS of the bridges' topic lines (default 2, as the\n"
	    "                         study); 1: fewer packets, duplicates after reconnects\n"
	    "  --host ADDR            listen address of every broker (default 127.0.0.1)\n"
	    "  --base-port P          broker i listens on P+i-1 (default 18831)\n"
	    "  --cpus C               CPU limit per broker (default 0.25; 0 = none)\n"
	    "  --memory SIZE          memory limit per broker (default 128M; 0 = none)\n"
	    "  --profile thesis       the study's PoC: 3 brokers, star, 0.25 CPU, 128M,\n"
	    "                         Mosquitto defaults (other flags still apply after it)\n"
	    "  --max-queued N         max_queued_messages (default: Mosquitto's, 1000)\n"
	    "  --max-inflight N       max_inflight_messages (default: Mosquitto's, 20)\n"
	    "  --queue-qos0           queue_qos0_messages true\n"
	    "  --persistence          persistence true (in the run dir)\n"
	    "  --mosquitto-opt K=V    extra mosquitto.conf line \"K V\" (repeatable)\n"
	    "  --netns NAME           run the brokers in network namespace NAME\n"
	    "  --run-dir DIR          state, configs, pid files, logs (default\n"
	    "                         /run/mqlb as root, else $XDG_RUNTIME_DIR/mqlb)\n"
	    "  --name NAME            cluster name, used for cgroups mqlb/NAME-b<i>\n"
	    "                         (default p<base-port>, or <netns>-p<base-port>)\n"
	    "  --timeout D            up: readiness deadline (default 15s);\n"
	    "                         down: SIGKILL after (default 5s); kill: how long\n"
	    "                         to wait for the broker to die/stop (default 5s);\n"
	    "                         start: until it answers CONNECT (default 10s)\n"
	    "\n"
	    "Options of kill and start:\n"
	    "  --broker N             which broker, 1..brokers (broker1 is the hub)\n"
	    "  --signal S             kill: KILL (default), TERM (both wait until it is\n"
	    "                         dead and record that), STOP (freeze), CONT (resume)\n"
	    "\n"
	    "up returns once every broker answers CONNECT with CONNACK and every bridge\n"
	    "reports $SYS/broker/connection/<id>/state = 1; otherwise it stops everything.\n"
	    "start brings a dead broker back with its own config, cgroup, netns and port,\n"
	    "and returns once it answers CONNECT; it refuses a broker that still runs.\n"
	    "--persistence also sets autosave_interval 1: a SIGKILLed broker comes back\n"
	    "with its sessions and queued messages up to its last save (~2 s old at most).\n"
	    "MQLB_MOSQUITTO=PATH picks the broker binary.\n",
	    CLUSTER_MAX_BROKERS);
}

enum {
	OPT_BROKERS = 256,
	OPT_BRIDGE,
	OPT_BRIDGE_QOS,
	OPT_HOST,
	OPT_BASE_PORT,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_PROFILE,
	OPT_MAX_QUEUED,
	OPT_MAX_INFLIGHT,
	OPT_QUEUE_QOS0,
	OPT_PERSISTENCE,
	OPT_MOSQ_OPT,
	OPT_NETNS,
	OPT_RUN_DIR,
	OPT_NAME,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_OUT,
	OPT_SYS,
	OPT_BROKER,
	OPT_SIGNAL,
};

static const struct option long_opts[] = {
    {"brokers", required_argument, NULL, OPT_BROKERS},
    {"bridge", required_argument, NULL, OPT_BRIDGE},
    {"bridge-qos", required_argument, NULL, OPT_BRIDGE_QOS},
    {"host", required_argument, NULL, OPT_HOST},
    {"base-port", required_argument, NULL, OPT_BASE_PORT},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
    {"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
    {"queue-qos0", no_argument, NULL, OPT_QUEUE_QOS0},
    {"persistence", no_argument, NULL, OPT_PERSISTENCE},
    {"mosquitto-opt", required_argument, NULL, OPT_MOSQ_OPT},
    {"netns", required_argument, NULL, OPT_NETNS},
    {"run-dir", required_argument, NULL, OPT_RUN_DIR},
    {"name", required_argument, NULL, OPT_NAME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"out", required_argument, NULL, OPT_OUT},
    {"sys", required_argument, NULL, OPT_SYS},
    {"broker", required_argument, NULL, OPT_BROKER},
    {"signal", required_argument, NULL, OPT_SIGNAL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
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

/* Which options a subcommand takes. A status/down/probe given an up option used
 * to ignore it silently: `status --base-port 19701` showed the cluster in the
 * default run dir, whatever its ports. render takes every up option (a user
 * turns an up line into a render line) and ignores the local-only ones. */
static int opt_applies(const char *cmd, int c)
{
	const char *sub = cmd + strlen("cluster ");
	switch (c) {
	case 'h':
		return 1;
	case OPT_RUN_DIR:
		return strcmp(sub, "probe") != 0;
	case OPT_TIMEOUT:
		return strcmp(sub, "status") != 0;
	case OPT_NETNS:
		return !strcmp(sub, "up") || !strcmp(sub, "render") || !strcmp(sub, "probe");
	case OPT_JSON:
		return !strcmp(sub, "status");
	case OPT_OUT:
		return !strcmp(sub, "render");
	case OPT_SYS:
		return !strcmp(sub, "probe");
	case OPT_BROKER:
		return !strcmp(sub, "kill") || !strcmp(sub, "start");
	case OPT_SIGNAL:
		return !strcmp(sub, "kill");
	default: /* the options that describe a cluster */
		return !strcmp(sub, "up") || !strcmp(sub, "render");
	}
}

static int parse_args(const char *cmd, int argc, char **argv, struct cluster_args *a)
{
	struct cluster_spec *s = &a->spec;
	int c;
	/* --profile first, so that flags after or before it refine it */
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
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		uint64_t u;
		if (c != '?' && c != ':' && !opt_applies(cmd, c)) {
			const char *o = argv[optind - 1];
			if (optarg && optarg == o)
				o = argv[optind - 2]; /* "--flag value": name the flag */
			/* status/down read the cluster's flags from its state file */
			int by_dir =
			    (!strcmp(cmd, "cluster status") || !strcmp(cmd, "cluster down") ||
			     !strcmp(cmd, "cluster kill") || !strcmp(cmd, "cluster start")) &&
			    c != OPT_JSON && c != OPT_TIMEOUT && c != OPT_OUT && c != OPT_SYS &&
			    c != OPT_BROKER && c != OPT_SIGNAL;
			return cli_usage_error(
			    cmd, "%.*s does not apply to '%s'%s", (int)strcspn(o, "="), o, cmd,
			    by_dir ? " (a cluster is found by its --run-dir)" : "");
		}
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case OPT_BROKERS:
			if (parse_u64(optarg, 1, CLUSTER_MAX_BROKERS, &u))
				return cli_usage_error(cmd, "--brokers %s: want 1..%d", optarg,
						       CLUSTER_MAX_BROKERS);
			s->brokers = (unsigned)u;
			break;
		case OPT_BRIDGE:
			if (cluster_bridge_parse(optarg, &s->bridge))
				return cli_usage_error(cmd, "--bridge %s: want star, mesh or none",
						       optarg);
			break;
		case OPT_BRIDGE_QOS:
			if (parse_u64(optarg, 0, 2, &u))
				return cli_usage_error(cmd, "--bridge-qos %s: want 0, 1 or 2",
						       optarg);
			s->bridge_qos = (int)u;
			break;
		case OPT_HOST: {
			struct sockaddr_storage ss;
			if (addr_parse_host(optarg, 1, &ss))
				return cli_usage_error(cmd, "--host %s: not a numeric IP address",
						       optarg);
			addr_format_host(&ss, s->host, sizeof(s->host));
			break;
		}
		case OPT_BASE_PORT:
			if (parse_u64(optarg, 1, 65535, &u))
				return cli_usage_error(cmd, "--base-port %s: want 1..65535",
						       optarg);
			s->base_port = (uint16_t)u;
			break;
		case OPT_CPUS:
			if (parse_double(optarg, 0, 1024, &s->cpus) ||
			    (s->cpus > 0 && s->cpus < 0.01))
				return cli_usage_error(
				    cmd, "--cpus %s: want 0 (none) or 0.01..1024", optarg);
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &s->mem_bytes) ||
			    (s->mem_bytes > 0 && s->mem_bytes < (4ULL << 20)))
				return cli_usage_error(cmd, "--memory %s: want 0 (none) or >= 4M",
						       optarg);
			break;
		case OPT_PROFILE:
			break; /* applied above */
		case OPT_MAX_QUEUED:
		case OPT_MAX_INFLIGHT:
			if (parse_u64(optarg, 0, 1000000000, &u))
				return cli_usage_error(cmd, "%s %s: want a count >= 0",
						       c == OPT_MAX_QUEUED ? "--max-queued"
									   : "--max-inflight",
						       optarg);
			if (c == OPT_MAX_QUEUED)
				s->max_queued = (long)u;
			else
				s->max_inflight = (long)u;
			break;
		case OPT_QUEUE_QOS0:
			s->queue_qos0 = 1;
			break;
		case OPT_PERSISTENCE:
			s->persistence = 1;
			break;
		case OPT_MOSQ_OPT:
			if (s->n_opts == CLUSTER_MAX_OPTS)
				return cli_usage_error(cmd, "--mosquitto-opt: at most %d",
						       CLUSTER_MAX_OPTS);
			if (mosq_opt(optarg, s->opts[s->n_opts], sizeof(s->opts[0])))
				return cli_usage_error(cmd, "--mosquitto-opt %s: want KEY=VALUE",
						       optarg);
			s->n_opts++;
			break;
		case OPT_NETNS:
			if (!valid_name(optarg))
				return cli_usage_error(cmd, "--netns %s: not a namespace name",
						       optarg);
			snprintf(s->netns, sizeof(s->netns), "%s", optarg);
			break;
		case OPT_RUN_DIR:
			if (!*optarg || strlen(optarg) >= sizeof(s->run_dir) - 32 ||
			    strpbrk(optarg, "\t\n"))
				return cli_usage_error(cmd, "--run-dir %s: unusable path", optarg);
			snprintf(s->run_dir, sizeof(s->run_dir), "%s", optarg);
			break;
		case OPT_NAME:
			if (!valid_name(optarg))
				return cli_usage_error(
				    cmd, "--name %s: want 1..24 of [A-Za-z0-9._-]", optarg);
			snprintf(s->name, sizeof(s->name), "%s", optarg);
			a->name_set = 1;
			break;
		case OPT_TIMEOUT:
			if (parse_duration_ns(optarg, NS_PER_S, &a->timeout_ns) ||
			    a->timeout_ns == 0)
				return cli_usage_error(
				    cmd, "--timeout %s: want a duration like 10s", optarg);
			a->timeout_set = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_SYS:
			if (a->n_sys == 16)
				return cli_usage_error(cmd, "--sys: at most 16");
			a->sys[a->n_sys++] = optarg;
			break;
		case OPT_BROKER:
			/* any number: kill/start name the cluster's own range */
			if (parse_u64(optarg, 1, 1000000, &u))
				return cli_usage_error(
				    cmd, "--broker %s: want a broker number >= 1", optarg);
			a->broker = (unsigned)u;
			break;
		case OPT_SIGNAL:
			if (cluster_signal_parse(optarg, &a->sig))
				return cli_usage_error(
				    cmd, "--signal %s: want KILL, TERM, STOP or CONT", optarg);
			break;
		case ':':
			return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(cmd, "cluster probe") != 0 || optind + 1 < argc)
			return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		a->target = argv[optind];
	}
	if ((unsigned)s->base_port + s->brokers - 1 > 65535)
		return cli_usage_error(cmd, "--base-port %u: %u brokers do not fit below 65536",
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
		char vals[16][MQTT_SYS_VALUE_MAX];
		r = mqtt_sys_read(&ss, ns, a->sys, a->n_sys, timeout, vals);
		if (r < 0) {
			printf("%s: $SYS: %s\n", a->target, strerror(-r));
			return CLI_FAIL;
		}
		for (unsigned i = 0; i < a->n_sys; i++)
			printf("%s %s\n", a->sys[i], vals[i][0] ? vals[i] : "(none)");
	}
	return CLI_OK;
}

int cmd_cluster(int argc, char **argv)
{
	static struct cluster_args a;
	char cmd[32];
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(sub, "up") && strcmp(sub, "down") && strcmp(sub, "status") &&
	    strcmp(sub, "kill") && strcmp(sub, "start") && strcmp(sub, "render") &&
	    strcmp(sub, "probe"))
		return cli_usage_error("cluster",
				       "unknown cluster command '%s' (up, down, status, kill, "
				       "start, render, probe)",
				       sub);
	snprintf(cmd, sizeof(cmd), "cluster %s", sub);
	memset(&a, 0, sizeof(a));
	cluster_spec_defaults(&a.spec);
	int r = parse_args(cmd, argc - 1, argv + 1, &a);
	if (r < 0)
		return CLI_OK; /* --help */
	if (r)
		return r;
	/* a run dir someone else planted is refused, never read (up vets and
	 * creates it itself) */
	if (strcmp(sub, "up") && strcmp(sub, "probe") && strcmp(sub, "render")) {
		char why[PATH_MAX + 160];
		r = rundir_check(a.spec.run_dir, 0, why, sizeof(why));
		if (r && r != -ENOENT) {
			fprintf(stderr, "mqlb: %s: %s\n", cmd, why);
			return CLI_FAIL;
		}
	}
	if (!strcmp(sub, "up"))
		return cluster_up(&a.spec, a.timeout_set ? a.timeout_ns : 15 * NS_PER_S);
	if (!strcmp(sub, "down"))
		return cluster_down(a.spec.run_dir, a.timeout_set ? a.timeout_ns : 5 * NS_PER_S);
	if (!strcmp(sub, "status"))
		return cluster_status(a.spec.run_dir, a.json);
	if (!strcmp(sub, "kill") || !strcmp(sub, "start")) {
		if (!a.broker)
			return cli_usage_error(cmd, "--broker N is required (1 = broker1)");
		if (!strcmp(sub, "kill"))
			return cluster_kill(a.spec.run_dir, a.broker, a.sig ? a.sig : SIGKILL,
					    a.timeout_set ? a.timeout_ns : 5 * NS_PER_S);
		return cluster_start(a.spec.run_dir, a.broker,
				     a.timeout_set ? a.timeout_ns : 10 * NS_PER_S);
	}
	if (!strcmp(sub, "probe"))
		return do_probe(&a);
	if (!a.out)
		return cli_usage_error(cmd, "--out DIR is required");
	return cluster_render(&a.spec, a.out);
}
