/* ha_cli.c — `mqlb director ha render` (a keepalived.conf for one director
 * host), `mqlb director ha notify` (keepalived's notify hook: the state file)
 * and `mqlb director check` (keepalived's vrrp_script: is the director alive). */
#include "director/ha.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/time.h"
#include "director/director.h"

enum {
	R_VIP = 256,
	R_IF,
	R_PRIO,
	R_VRID,
	R_ADV,
	R_CTL,
	R_STATE,
	R_PEER,
	R_NETNS,
	R_NOPRE,
	R_FALL,
	R_RISE,
	R_MQLB,
	R_OUT,
	R_BVIP,
	R_BIF,
	R_CTDIR,
	R_SIF,
	R_SADDR,
	R_SPEER
};

/* The sync flags that need no other flag first (--back-vip is checked
 * against the VIP at the end). Returns 0 or -EINVAL with err set. */
static int sync_flag(int opt, const char *arg, struct ha_config *c, char *err, size_t errlen)
{
	char *ifname = opt == R_BIF ? c->back_interface : c->sync_interface;
	switch (opt) {
	case R_BIF:
	case R_SIF:
		if (ha_check_ifname(arg, err, errlen) != 0) {
			snprintf(err, errlen, "invalid --%s '%s' (an interface name, 1-15 chars)",
				 opt == R_BIF ? "back-interface" : "sync-interface", arg);
			return -EINVAL;
		}
		snprintf(ifname, 16, "%s", arg);
		return 0;
	case R_CTDIR:
		if (ha_check_path("--conntrackd", arg, err, errlen) != 0)
			return -EINVAL;
		c->ct_dir = arg;
		return 0;
	default:
		return ha_parse_sync_addr(opt == R_SADDR ? "--sync-address" : "--sync-peer", arg,
					  opt == R_SADDR ? c->sync_address : c->sync_peer, err,
					  errlen);
	}
}

/* One render flag into c. Returns 0, 1 (--help printed) or CLI_USAGE. */
static int render_flag(int opt, const char *arg, struct ha_config *c, const char **out)
{
	const char *cmd = "director ha render";
	char err[256];
	uint64_t v;
	int rc = 0;
	switch (opt) {
	case R_VIP:
		rc = ha_parse_vip(arg, c, err, sizeof(err));
		break;
	case R_IF:
		if ((rc = ha_check_ifname(arg, err, sizeof(err))) == 0)
			snprintf(c->interface, sizeof(c->interface), "%s", arg);
		break;
	case R_PRIO:
	case R_VRID:
		if (parse_u64(arg, 1, opt == R_PRIO ? 254 : 255, &v) != 0)
			return cli_usage_error(cmd, "invalid --%s '%s' (1-%d)",
					       opt == R_PRIO ? "priority" : "router-id", arg,
					       opt == R_PRIO ? 254 : 255);
		*(opt == R_PRIO ? &c->priority : &c->router_id) = (unsigned)v;
		break;
	case R_FALL:
	case R_RISE:
		if (parse_u64(arg, 1, 20, &v) != 0)
			return cli_usage_error(cmd, "invalid --%s '%s' (1-20)",
					       opt == R_FALL ? "fall" : "rise", arg);
		*(opt == R_FALL ? &c->fall : &c->rise) = (unsigned)v;
		break;
	case R_ADV:
		rc = ha_parse_advert(arg, &c->advert_cs, err, sizeof(err));
		break;
	case R_CTL:
		if ((rc = ha_check_path("--control", arg, err, sizeof(err))) == 0)
			c->control = arg;
		break;
	case R_STATE:
		if ((rc = ha_check_path("--state-file", arg, err, sizeof(err))) == 0)
			c->state_file = arg;
		break;
	case R_PEER:
		rc = ha_add_peer(c, arg, err, sizeof(err));
		break;
	case R_NETNS:
		if ((rc = ha_check_netns(arg, err, sizeof(err))) == 0)
			c->netns = arg;
		break;
	case R_NOPRE:
		c->nopreempt = 1;
		break;
	case R_MQLB:
		if ((rc = ha_check_path("--mqlb", arg, err, sizeof(err))) == 0)
			c->mqlb = arg;
		break;
	case R_OUT:
		*out = arg;
		break;
	case R_BIF:
	case R_SIF:
	case R_CTDIR:
	case R_SADDR:
	case R_SPEER:
		rc = sync_flag(opt, arg, c, err, sizeof(err));
		break;
	}
	return rc ? cli_usage_error(cmd, "%s", err) : 0;
}

/* Writes fn's text for c to path via a temporary file (mode) and rename, so
 * keepalived (or a reload) never reads half a file. */
static int write_file(const struct ha_config *c, const char *path,
		      void (*fn)(const struct ha_config *, FILE *), mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return cli_usage_error("director ha render", "--out path too long");
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "mqlb: director ha render: %s: %s\n", tmp, strerror(errno));
		return CLI_FAIL;
	}
	fn(c, f);
	if (fchmod(fileno(f), mode) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "mqlb: director ha render: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* keepalived.conf to out (or stdout), and with --conntrackd DIR the
 * conntrackd.conf and the notify hook there (written first: keepalived may
 * run the hook as soon as it reads the new config). */
static int write_all(const struct ha_config *c, const char *out)
{
	char path[PATH_MAX];
	int rc;
	if (c->ct_dir) {
		ha_sync_path(c, "conntrackd.conf", path, sizeof(path));
		if ((rc = write_file(c, path, ha_render_conntrackd, 0644)) != CLI_OK)
			return rc;
		ha_sync_path(c, "primary-backup.sh", path, sizeof(path));
		if ((rc = write_file(c, path, ha_render_ct_hook, 0755)) != CLI_OK)
			return rc;
	}
	if (!out) {
		ha_render(c, stdout);
		return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
	}
	return write_file(c, out, ha_render, 0644);
}

/* The VIP must be given before --unicast-peer can be checked: peers are
 * re-checked here once every flag is read. */
static int render_finish(struct ha_config *c, const char *const *peers, unsigned n_peers,
			 const char *back_vip, char *self, size_t selflen)
{
	const char *cmd = "director ha render";
	char err[256];
	if (!c->vip[0])
		return cli_usage_error(cmd, "--vip ADDR/PLEN is required");
	if (!c->interface[0])
		return cli_usage_error(cmd, "--interface IF is required");
	if (!c->router_id)
		return cli_usage_error(cmd, "--router-id N (1-255) is required");
	if (!c->control)
		return cli_usage_error(cmd, "--control SOCK (the director's socket) is required");
	c->n_peers = 0;
	for (unsigned i = 0; i < n_peers; i++)
		if (ha_add_peer(c, peers[i], err, sizeof(err)) != 0)
			return cli_usage_error(cmd, "%s", err);
	if (back_vip && ha_parse_back_vip(back_vip, c, err, sizeof(err)) != 0)
		return cli_usage_error(cmd, "%s", err);
	if (ha_sync_check(c, err, sizeof(err)) != 0)
		return cli_usage_error(cmd, "%s", err);
	if (!c->mqlb) {
		ssize_t n = readlink("/proc/self/exe", self, selflen - 1);
		if (n <= 0)
			return cli_usage_error(cmd, "cannot find this binary's path; give --mqlb");
		self[n] = '\0';
		if (ha_check_path("--mqlb", self, err, sizeof(err)) != 0)
			return cli_usage_error(cmd,
					       "this binary's path '%s' cannot go into a "
					       "keepalived script; give --mqlb PATH",
					       self);
		c->mqlb = self;
	}
	return 0;
}

/* What the render flags fill (opt.h take() context). */
struct render_args {
	struct ha_config *c;
	const char *out, *back_vip, *peers[HA_MAX_PEERS];
	unsigned n_peers;
};

/* One render flag (opt is its R_ id). Returns 0 or CLI_USAGE. */
static int render_take(void *ctx, const char *cmd, int opt, const char *v)
{
	struct render_args *a = ctx;
	if (opt == R_PEER) { /* checked against the VIP's family at the end */
		if (a->n_peers >= HA_MAX_PEERS)
			return cli_usage_error(cmd, "too many --unicast-peer (max %d)",
					       HA_MAX_PEERS);
		a->peers[a->n_peers++] = v;
		return 0;
	}
	if (opt == R_BVIP) { /* checked against the VIP at the end */
		a->back_vip = v;
		return 0;
	}
	return render_flag(opt, v, a->c, &a->out);
}

/* One opt.h entry per flag: a take() that passes its R_ id on. */
#define RENDER_OPT(var, id, name, arg, help)                                                       \
	static int take_##var(void *ctx, const char *cmd, const char *v)                           \
	{                                                                                          \
		return render_take(ctx, cmd, id, v);                                               \
	}                                                                                          \
	static const struct opt var = {name, arg, help, take_##var};

RENDER_OPT(r_vip, R_VIP, "vip", "ADDR/PLEN",
	   "the virtual IP clients connect to (director run\n--listen VIP:PORT on both hosts)")
RENDER_OPT(r_if, R_IF, "interface", "IF", "where the VIP lives and VRRP adverts go")
RENDER_OPT(r_vrid, R_VRID, "router-id", "N", "virtual_router_id, 1-255, the same on both hosts")
RENDER_OPT(r_prio, R_PRIO, "priority", "N", "1-254 (default 100); the higher one is master")
RENDER_OPT(r_adv, R_ADV, "advert-int", "S",
	   "seconds between adverts (default 1, keepalived's);\na fraction (0.01-40.95) uses VRRP "
	   "version 3")
RENDER_OPT(r_ctl, R_CTL, "control", "SOCK", "the director's control socket (absolute path)")
RENDER_OPT(r_state, R_STATE, "state-file", "FILE",
	   "the notify hook writes MASTER/BACKUP/FAULT/STOP\nthere (director run --vrrp-state FILE "
	   "reads it)")
RENDER_OPT(r_peer, R_PEER, "unicast-peer", "ADDR", "the other host (unicast VRRP); repeat for more")
RENDER_OPT(r_netns, R_NETNS, "netns", "NAME", "run keepalived in network namespace NAME")
RENDER_OPT(r_nopre, R_NOPRE, "nopreempt", NULL,
	   "a recovered higher-priority host does not take the\nVIP back")
RENDER_OPT(r_fall, R_FALL, "fall", "N", "failed checks (1 s apart) before FAULT (default 2;\n1-20)")
RENDER_OPT(r_rise, R_RISE, "rise", "N", "passed checks before back (default 2; 1-20)")
RENDER_OPT(r_mqlb, R_MQLB, "mqlb", "PATH", "the mqlb binary the scripts run (default: this one)")
RENDER_OPT(r_out, R_OUT, "out", "FILE", "write there (atomically) instead of stdout")
RENDER_OPT(
    r_bvip, R_BVIP, "back-vip", "ADDR/PLEN",
    "a second VIP on the brokers' side, in the same\ninstance (nft directors SNAT to it: run "
    "--snat)")
RENDER_OPT(r_bif, R_BIF, "back-interface", "IF", "its device")
RENDER_OPT(r_ctdir, R_CTDIR, "conntrackd", "DIR",
	   "connection sync: write DIR/conntrackd.conf (FTFW,\nUDP unicast) and "
	   "DIR/primary-backup.sh, which\nkeepalived runs on every transition (commit the\npeer's "
	   "entries on MASTER); needs --back-vip")
RENDER_OPT(r_sif, R_SIF, "sync-interface", "IF", "the link conntrackd's datagrams use")
RENDER_OPT(r_saddr, R_SADDR, "sync-address", "ADDR", "this host's IPv4 address on it")
RENDER_OPT(r_speer, R_SPEER, "sync-peer", "ADDR", "the other host's address on it")

static const struct opt *const render_opts[] = {
    &r_vip,  &r_if,    &r_vrid,	 &r_prio, &r_adv,   &r_ctl,   &r_state,
    &r_peer, &r_netns, &r_nopre, &r_fall, &r_rise,  &r_mqlb,  &r_out,
    &r_bvip, &r_bif,   &r_ctdir, &r_sif,  &r_saddr, &r_speer, NULL,
};
static const struct opt_cmd render_cmd = {
    "director ha render",
    "--vip ADDR/PLEN --interface IF --router-id N\n"
    "                               --control SOCK [--priority N] [--advert-int S]\n"
    "                               [--state-file FILE] [--unicast-peer ADDR ...]\n"
    "                               [--netns NAME] [--nopreempt] [--fall N]\n"
    "                               [--rise N] [--mqlb PATH] [--out FILE]\n"
    "                               [--back-vip ADDR/PLEN --back-interface IF]\n"
    "                               [--conntrackd DIR --sync-interface IF\n"
    "                                --sync-address ADDR --sync-peer ADDR]",
    "Writes the keepalived.conf of one director host of an HA pair: the VIP\n"
    "moves to the peer when this host's director stops answering on its\n"
    "control socket (vrrp_script `mqlb director check`) or the host dies.",
    render_opts,
    0,
    NULL,
    NULL,
    NULL,
};

static int cmd_render(int argc, char **argv)
{
	static struct ha_config c;
	static char self[PATH_MAX];
	static struct render_args a;
	unsigned nargs;
	int rc;
	ha_config_defaults(&c);
	memset(&a, 0, sizeof(a));
	a.c = &c;
	rc = opt_parse(&render_cmd, &render_cmd, 1, &a, argc, argv, NULL, &nargs);
	if (rc == OPT_HELP_SHOWN)
		return CLI_OK;
	if (rc != 0)
		return rc;
	if ((rc = render_finish(&c, a.peers, a.n_peers, a.back_vip, self, sizeof(self))) != 0)
		return rc;
	return write_all(&c, a.out);
}

/* keepalived runs the notify hook as SCRIPT TYPE NAME STATE PRIORITY. */
/* keepalived runs the notify hook as SCRIPT TYPE NAME STATE PRIORITY, and a
 * notify FIFO script as SCRIPT FIFO (what render writes: --fifo). */
static int cmd_notify(int argc, char **argv)
{
	const char *cmd = "director ha notify";
	const char *file = NULL;
	int i = 1;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: mqlb director ha notify --state-file FILE --fifo FIFO\n"
		       "       mqlb director ha notify --state-file FILE TYPE NAME STATE "
		       "[PRIORITY]\n"
		       "\n"
		       "keepalived's notify hook (ha render writes the --fifo form into the\n"
		       "config): writes each VRRP state (MASTER, BACKUP, FAULT, STOP) to FILE\n"
		       "atomically; with --fifo it follows keepalived's vrrp_notify_fifo until\n"
		       "keepalived closes it, so the states land in order.\n");
		return CLI_OK;
	}
	if (argc >= 3 && strcmp(argv[1], "--state-file") == 0) {
		file = argv[2];
		i = 3;
	}
	if (!file || !*file)
		return cli_usage_error(cmd, "--state-file FILE is required (first)");
	if (argc - i == 2 && strcmp(argv[i], "--fifo") == 0) {
		int rc = ha_state_follow_fifo(argv[i + 1], file);
		if (rc < 0) {
			fprintf(stderr, "mqlb: director ha notify: %s: %s\n", argv[i + 1],
				strerror(-rc));
			return CLI_FAIL;
		}
		return CLI_OK;
	}
	if (argc - i < 3 || argc - i > 4)
		return cli_usage_error(cmd, "want --fifo FIFO or TYPE NAME STATE [PRIORITY] after "
					    "--state-file FILE");
	const char *state = argv[i + 2];
	if (strcmp(state, "DELETED") == 0) /* instance removed by a reload */
		state = "STOP";
	if (!ha_state_valid(state))
		return cli_usage_error(cmd, "invalid state '%s' (MASTER, BACKUP, FAULT, STOP)",
				       state);
	int rc = ha_state_write(file, state);
	if (rc < 0) {
		fprintf(stderr, "mqlb: director ha notify: %s: %s\n", file, strerror(-rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int director_ha_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: mqlb director ha <render|notify> [options]\n"
			"\n"
			"  render   write a keepalived.conf for one director host of an HA pair\n"
			"  notify   keepalived's notify hook: write the VRRP state to a file\n");
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "render") == 0)
		return cmd_render(argc - 1, argv + 1);
	if (strcmp(argv[1], "notify") == 0)
		return cmd_notify(argc - 1, argv + 1);
	return cli_usage_error("director ha", "unknown subcommand '%s' (render, notify)", argv[1]);
}

struct check_args {
	const char *control;
	uint64_t timeout;
};

static int take_check_control(void *ctx, const char *cmd, const char *v)
{
	((struct check_args *)ctx)->control = v;
	return 0;
}

static int take_check_timeout(void *ctx, const char *cmd, const char *v)
{
	struct check_args *a = ctx;
	if (parse_duration_ns(v, NS_PER_S, &a->timeout) != 0 || a->timeout < NS_PER_MS ||
	    a->timeout > 60 * NS_PER_S)
		return cli_usage_error(cmd, "invalid --timeout '%s' (1ms-60s)", v);
	return 0;
}

static const struct opt c_control = {"control", "SOCK", "the director's control socket",
				     take_check_control};
static const struct opt c_timeout = {"timeout", "D", "for the answer (default 750ms; 1ms-60s)",
				     take_check_timeout};
static const struct opt *const check_opts[] = {&c_control, &c_timeout, NULL};
static const struct opt_cmd check_cmd = {
    "director check",
    "--control SOCK [--timeout 750ms]",
    "Exit 0 when the director at SOCK answers a ping within the timeout\n"
    "(its controller is alive and not stuck on its lock), else 1 with\n"
    "the reason on stderr. keepalived's vrrp_script runs it.",
    check_opts,
    0,
    NULL,
    NULL,
    NULL,
};

int director_check_main(int argc, char **argv)
{
	const char *cmd = "director check";
	struct check_args a = {NULL, 750 * NS_PER_MS};
	unsigned nargs;
	int c = opt_parse(&check_cmd, &check_cmd, 1, &a, argc, argv, NULL, &nargs);
	if (c == OPT_HELP_SHOWN)
		return CLI_OK;
	if (c != 0)
		return c;
	const char *control = a.control;
	uint64_t timeout = a.timeout;
	if (!control || !*control || strlen(control) >= 108)
		return cli_usage_error(cmd, "--control SOCK is required (1-107 chars)");
	char *reply = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&reply, &len);
	if (!out)
		return CLI_FAIL;
	int rc = director_control_request_ns(control, "ping", out, timeout);
	fclose(out);
	int alive = rc == 0 && len >= 4 && strncmp(reply, "pong", 4) == 0;
	if (!alive)
		fprintf(stderr, "mqlb: director check: %s: %s\n", control,
			rc < 0 ? strerror(-rc) : "no pong");
	free(reply);
	return alive ? CLI_OK : CLI_FAIL;
}
