/* topology_netns.c — the study's hosts as network namespaces (root only).
 *
 *   mqlb-lab-client1 198.18.0.11 ─┐                    ┌─ mqlb-lab-dir1 198.18.0.21 | 198.18.1.21
 *   mqlb-lab-client2 198.18.0.12 ─┤ br-front           │  mqlb-lab-dir2 198.18.0.22 | 198.18.1.22
 *                                 └── mqlb-lab-sw ──────┤
 *                                     br-back          └─ mqlb-lab-brokers 198.18.1.31
 *
 * Two segments, as the study's NAT directors: clients know only 198.18.0.0/24
 * and reach the brokers only through a director's DNAT + masquerade; brokers
 * answer the director's back address. IPVS NAT does not masquerade: for it the
 * brokers get a /32 route per client host via its director's back address
 * (lab_netns_route_clients, per run, as the topology decides). Every veth is created directly between
 * two lab namespaces (`ip link add ... netns A ... peer ... netns B`), so the
 * root namespace's interfaces are never touched. No default route anywhere;
 * ip_forward only in the director namespaces. Everything is made with `ip`
 * and `sysctl` child processes: what an operator would type, and simple to
 * audit. Teardown = deleting the namespaces (their veths go with them). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/hasync.h"
#include "lab/run.h"
#include "lab/spawn.h"

#define NS_PREFIX  "mqlb-lab-"
#define NS_SW	   NS_PREFIX "sw"
#define NS_BROKERS NS_PREFIX "brokers"

struct host {
	const char *ns;
	const char *front; /* address on br-front, or NULL */
	const char *back;  /* address on br-back, or NULL */
	int forward;
};

static const struct host hosts[] = {
    {NS_PREFIX "client1", "198.18.0.11", NULL, 0},
    {NS_PREFIX "client2", "198.18.0.12", NULL, 0},
    {NS_PREFIX "dir1", "198.18.0.21", "198.18.1.21", 1},
    {NS_PREFIX "dir2", "198.18.0.22", "198.18.1.22", 1},
    {NS_BROKERS, NULL, "198.18.1.31", 0},
};
#define N_HOSTS (sizeof(hosts) / sizeof(hosts[0]))

static char ip_log[1024];

/* Runs one command (argv NULL-terminated) in netns (NULL = here); logs it. */
static int sh(const char *netns, char *const argv[])
{
	int ret = lab_run_cmd(netns, argv, ip_log, ip_log, 10 * NS_PER_S);
	if (ret != 0) {
		char line[512] = "";
		for (int i = 0; argv[i]; i++) {
			strncat(line, argv[i], sizeof(line) - strlen(line) - 2);
			strcat(line, " ");
		}
		log_error("lab: '%s' failed (%d)%s%s", line, ret, ip_log[0] ? ", see " : "",
			  ip_log);
		return ret < 0 ? ret : -EIO;
	}
	return 0;
}

#define SH(ns, ...)                                                                                \
	do {                                                                                       \
		char *const argv_[] = {__VA_ARGS__, NULL};                                         \
		if ((ret = sh(ns, argv_)) != 0)                                                    \
			goto out;                                                                  \
	} while (0)

void lab_netns_cleanup(void)
{
	DIR *d = opendir("/run/netns");
	if (!d)
		return;
	struct dirent *e;
	char names[64][256];
	int n = 0;
	while ((e = readdir(d)) && n < 64)
		if (strncmp(e->d_name, NS_PREFIX, strlen(NS_PREFIX)) == 0)
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	for (int i = 0; i < n; i++) {
		char *const argv[] = {"ip", "netns", "del", names[i], NULL};
		if (lab_run_cmd_always(NULL, argv, NULL, NULL, 10 * NS_PER_S) != 0)
			log_warn("lab: could not delete namespace %s", names[i]);
	}
}

void lab_netns_reset_directors(const struct lab_env *env)
{
	char vip[32], bvip[32];
	snprintf(vip, sizeof(vip), "%s/24", LAB_HA_VIP);
	snprintf(bvip, sizeof(bvip), "%s/24", LAB_HA_BACK_VIP);
	for (int i = 0; i < LAB_DIRECTOR_HOSTS; i++) {
		const char *ns = env->director_ns[i];
		if (!ns[0])
			continue;
		char *const flush[] = {"nft", "flush", "ruleset", NULL};
		const char *log = ip_log[0] ? ip_log : NULL;
		if (lab_run_cmd_always(ns, flush, log, log, 10 * NS_PER_S) != 0)
			log_warn("lab: nft flush ruleset in %s failed", ns);
		char *const ct[] = {"conntrack", "-F", NULL};
		lab_run_cmd_always(ns, ct, NULL, NULL, 10 * NS_PER_S); /* none: nothing to do */
		if (strcmp(env->dataplane, "ipvs") == 0) {
			char *const ipvs[] = {"ipvsadm", "-C", NULL};
			lab_run_cmd_always(ns, ipvs, NULL, NULL, 10 * NS_PER_S);
		}
		char *const del[] = {"ip", "addr", "del", vip, "dev", "front", NULL};
		lab_run_cmd_always(ns, del, NULL, NULL, 10 * NS_PER_S); /* absent: fine */
		/* the back VIP of the conntrackd pair (hasync.h), left by a killed
		 * keepalived: the next run's brokers would answer the wrong host */
		char *const bdel[] = {"ip", "addr", "del", bvip, "dev", "back", NULL};
		lab_run_cmd_always(ns, bdel, NULL, NULL, 10 * NS_PER_S);
	}
}

int lab_netns_count(void)
{
	DIR *d = opendir("/run/netns");
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, NS_PREFIX, strlen(NS_PREFIX)) == 0;
	closedir(d);
	return n;
}

int lab_netns_setup(struct lab_env *env, const char *logdir)
{
	int ret = 0;
	char cidr[32], sw_if[16];
	snprintf(ip_log, sizeof(ip_log), "%s/hosts.log", logdir);
	lab_netns_cleanup();

	SH(NULL, "ip", "netns", "add", NS_SW);
	SH(NULL, "ip", "-n", NS_SW, "link", "set", "lo", "up");
	SH(NULL, "ip", "-n", NS_SW, "link", "add", "br-front", "type", "bridge");
	SH(NULL, "ip", "-n", NS_SW, "link", "add", "br-back", "type", "bridge");
	SH(NULL, "ip", "-n", NS_SW, "link", "set", "br-front", "up");
	SH(NULL, "ip", "-n", NS_SW, "link", "set", "br-back", "up");
	for (unsigned h = 0; h < N_HOSTS; h++) {
		const struct host *x = &hosts[h];
		SH(NULL, "ip", "netns", "add", (char *)x->ns);
		SH(NULL, "ip", "-n", (char *)x->ns, "link", "set", "lo", "up");
		const char *seg_addr[2] = {x->front, x->back};
		static char *const seg_if[2] = {"front", "back"};
		static char *const seg_br[2] = {"br-front", "br-back"};
		for (int s = 0; s < 2; s++) {
			if (!seg_addr[s])
				continue;
			/* switch side: "<s><h>", e.g. f2 / b2 (short: IFNAMSIZ) */
			snprintf(sw_if, sizeof(sw_if), "%c%u", s ? 'b' : 'f', h);
			SH(NULL, "ip", "link", "add", seg_if[s], "netns", (char *)x->ns, "type",
			   "veth", "peer", "name", sw_if, "netns", NS_SW);
			SH(NULL, "ip", "-n", NS_SW, "link", "set", sw_if, "master", seg_br[s],
			   "up");
			snprintf(cidr, sizeof(cidr), "%s/24", seg_addr[s]);
			SH(NULL, "ip", "-n", (char *)x->ns, "addr", "add", cidr, "dev", seg_if[s]);
			SH(NULL, "ip", "-n", (char *)x->ns, "link", "set", seg_if[s], "up");
		}
		if (x->forward) {
			SH(x->ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
			/* a director forwards on two segments; redirects would only confuse */
			SH(x->ns, "sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0");
		}
	}
	/* client ports: 240 clients per host need no tuning; keep the defaults */
	for (int i = 0; i < LAB_CLIENT_HOSTS; i++) {
		snprintf(env->client_ns[i], sizeof(env->client_ns[i]), "%s", hosts[i].ns);
		snprintf(env->client_addr[i], sizeof(env->client_addr[i]), "%s", hosts[i].front);
	}
	for (int i = 0; i < LAB_DIRECTOR_HOSTS; i++) {
		snprintf(env->director_ns[i], sizeof(env->director_ns[i]), "%s", hosts[2 + i].ns);
		snprintf(env->director_addr[i], sizeof(env->director_addr[i]), "%s",
			 hosts[2 + i].front);
		snprintf(env->director_back[i], sizeof(env->director_back[i]), "%s",
			 hosts[2 + i].back);
	}
	snprintf(env->broker_ns, sizeof(env->broker_ns), "%s", NS_BROKERS);
	snprintf(env->broker_addr, sizeof(env->broker_addr), "%s", hosts[4].back);
	env->vip_port = 1883;
	env->broker_base_port = 1883;
	env->hosts = LAB_HOSTS_NETNS;
out:
	if (ret != 0)
		lab_netns_cleanup();
	return ret;
}

int lab_netns_route_clients(const struct lab_env *env, const int client_dir[LAB_CLIENT_HOSTS])
{
	int ret = 0;
	char dst[40];
	for (int h = 0; h < LAB_CLIENT_HOSTS; h++) {
		snprintf(dst, sizeof(dst), "%s/32", env->client_addr[h]);
		/* replace: the previous run may have routed it via the other director */
		SH(NS_BROKERS, "ip", "route", "replace", dst, "via",
		   (char *)env->director_back[client_dir[h]]);
	}
out:
	return ret;
}

int lab_loop_setup(struct lab_env *env)
{
	/* No namespaces: every "host" is an address on lo (127.0.0.0/8 is all
	 * loopback on Linux), ports from the lab's range 19600-19699. */
	for (int i = 0; i < LAB_CLIENT_HOSTS; i++) {
		env->client_ns[i][0] = '\0';
		snprintf(env->client_addr[i], sizeof(env->client_addr[i]), "127.0.96.%d", 11 + i);
	}
	for (int i = 0; i < LAB_DIRECTOR_HOSTS; i++) {
		env->director_ns[i][0] = '\0';
		snprintf(env->director_addr[i], sizeof(env->director_addr[i]), "127.0.96.%d",
			 21 + i);
	}
	env->broker_ns[0] = '\0';
	snprintf(env->broker_addr, sizeof(env->broker_addr), "127.0.96.31");
	env->vip_port = 19600;
	env->broker_base_port = 19611;
	env->hosts = LAB_HOSTS_LOOPBACK;
	return 0;
}
