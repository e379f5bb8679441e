/* mqlb — one binary, a table of subcommands (like wg, ip, git).
 * A subcommand is listed here only once it works. Each lives in its own folder
 * and exposes int cmd_<name>(int argc, char **argv); argv[0] is its name. */
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/log.h"

int cmd_bench(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_director(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* Keep alphabetical. */
static const struct subcommand subcommands[] = {
    {"bench", cmd_bench, "load generator that counts every message: conn/sub/pub/run/merge"},
    {"cluster", cmd_cluster, "Mosquitto brokers, bridged and limited: up/down/status"},
    {"director", cmd_director, "L4/L7 load balancing of MQTT: nft, ipvs, proxy"},
    {"lab", cmd_lab,
     "the study end to end + report, a search for lossless setups: run/search/report"},
    {"monitor", cmd_monitor, "broker, connection and director time series to CSV/Prometheus"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: mqlb <command> [options]\n"
		   "\n"
		   "mqlb balances MQTT load over a cluster of Mosquitto brokers and measures,\n"
		   "message by message, what the cluster delivers.\n"
		   "\n"
		   "Commands:\n");
	for (const struct subcommand *c = subcommands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f, "\n"
		   "  mqlb <command> --help   options of one command\n"
		   "  mqlb --version          print the version\n"
		   "\n"
		   "Environment: MQLB_LOG=error|warning|info|debug sets the log level.\n");
}

int main(int argc, char **argv)
{
	log_init_from_env();
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("mqlb %s\n", MQLB_VERSION);
		return CLI_OK;
	}
	for (const struct subcommand *c = subcommands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "mqlb: unknown command '%s'\n(try 'mqlb --help')\n", argv[1]);
	return CLI_USAGE;
}
