/* ha_sync.c — connection sync for an HA pair of nft directors: the values of
 * the `ha render` sync flags, conntrackd.conf and the notify hook.
 *
 * Why a back VIP: the nft director NATs client connections to the brokers; a
 * masquerading director gives them its own back address, which the peer does
 * not have, so a synced conntrack entry would be useless there (the brokers
 * answer an address nobody holds any more). With `director run --snat
 * BACKVIP` both hosts SNAT to one address keepalived moves with the front VIP,
 * and the entry conntrackd copied is valid on the new master. Pure: no files
 * (ha_cli.c writes them). */
#include "director/ha.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define CONNTRACKD_BIN "/usr/sbin/conntrackd"
#define CT_PORT	       3780 /* conntrackd's documented default */

int ha_parse_back_vip(const char *s, struct ha_config *c, char *err, size_t errlen)
{
	struct ha_config tmp;
	ha_config_defaults(&tmp);
	if (ha_parse_vip(s, &tmp, err, errlen) != 0) {
		snprintf(err, errlen,
			 "invalid --back-vip '%s' (want ADDR/PLEN, e.g. 198.18.1.10/24)", s);
		return -EINVAL;
	}
	if (c->family && tmp.family != c->family) {
		snprintf(err, errlen, "invalid --back-vip '%s' (not of the --vip's family)", s);
		return -EINVAL;
	}
	if (strcmp(tmp.vip, c->vip) == 0) {
		snprintf(err, errlen, "invalid --back-vip '%s' (the same as --vip)", s);
		return -EINVAL;
	}
	snprintf(c->back_vip, sizeof(c->back_vip), "%s", tmp.vip);
	return 0;
}

int ha_parse_sync_addr(const char *what, const char *s, char *out, char *err, size_t errlen)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0 || IN_MULTICAST(ntohl(a.s_addr))) {
		snprintf(err, errlen, "invalid %s '%s' (a unicast IPv4 address)", what, s);
		return -EINVAL;
	}
	inet_ntop(AF_INET, &a, out, 48);
	return 0;
}

int ha_sync_check(const struct ha_config *c, char *err, size_t errlen)
{
	int any_sync = c->sync_interface[0] || c->sync_address[0] || c->sync_peer[0];
	if (c->back_vip[0] && !c->back_interface[0])
		snprintf(err, errlen, "--back-vip needs --back-interface IF");
	else if (!c->back_vip[0] && c->back_interface[0])
		snprintf(err, errlen, "--back-interface needs --back-vip ADDR/PLEN");
	else if (any_sync && !c->ct_dir)
		snprintf(err, errlen, "--sync-interface/-address/-peer need --conntrackd DIR");
	else if (c->ct_dir && (!c->sync_interface[0] || !c->sync_address[0] || !c->sync_peer[0]))
		snprintf(err, errlen,
			 "--conntrackd needs --sync-interface IF, --sync-address ADDR and "
			 "--sync-peer ADDR");
	else if (c->ct_dir && strcmp(c->sync_address, c->sync_peer) == 0)
		snprintf(err, errlen, "--sync-address and --sync-peer are the same address");
	else if (c->ct_dir && !c->back_vip[0])
		snprintf(err, errlen,
			 "--conntrackd needs --back-vip ADDR/PLEN --back-interface IF (the "
			 "address the directors SNAT to: director run --snat)");
	else
		return 0;
	return -EINVAL;
}

void ha_sync_path(const struct ha_config *c, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->ct_dir, file);
}

void ha_render_conntrackd(const struct ha_config *c, FILE *f)
{
	char ctl[HA_PATH_MAX + 32], lock[HA_PATH_MAX + 32], log[HA_PATH_MAX + 32];
	ha_sync_path(c, "conntrackd.ctl", ctl, sizeof(ctl));
	ha_sync_path(c, "conntrackd.lock", lock, sizeof(lock));
	ha_sync_path(c, "conntrackd.log", log, sizeof(log));
	fprintf(f, "# conntrackd.conf for one mqlb director host, written by\n"
		   "# `mqlb director ha render --conntrackd`. FTFW: reliable sync, the\n"
		   "# backup keeps the master's entries in its external cache and commits\n"
		   "# them to its kernel table when keepalived makes it master.\n");
	fprintf(f, "Sync {\n\tMode FTFW {\n\t\tDisableExternalCache Off\n\t}\n");
	fprintf(f,
		"\tUDP {\n\t\tIPv4_address %s\n\t\tIPv4_Destination_Address %s\n"
		"\t\tPort %d\n\t\tInterface %s\n\t\tSndSocketBuffer 1249280\n"
		"\t\tRcvSocketBuffer 1249280\n\t\tChecksum on\n\t}\n}\n",
		c->sync_address, c->sync_peer, CT_PORT, c->sync_interface);
	fprintf(f, "General {\n\tHashSize 32768\n\tHashLimit 131072\n\tSyslog off\n");
	fprintf(f, "\tLogFile %s\n\tLockFile %s\n\tUNIX {\n\t\tPath %s\n\t}\n", log, lock, ctl);
	fprintf(f, "\tNetlinkBufferSize 2097152\n\tNetlinkBufferSizeMaxGrowth 8388608\n");
	/* Client connections only: the address filter looks at the original
	 * source and the reply source, so the directors' own health checks (from
	 * the sync address's host) and loopback stay out. */
	fprintf(f,
		"\tFilter From Userspace {\n\t\tProtocol Accept {\n\t\t\tTCP\n\t\t}\n"
		"\t\tAddress Ignore {\n\t\t\tIPv4_address 127.0.0.1\n"
		"\t\t\tIPv4_address %s\n\t\t}\n\t}\n}\n",
		c->sync_address);
}

void ha_render_ct_hook(const struct ha_config *c, FILE *f)
{
	char conf[HA_PATH_MAX + 32], lock[HA_PATH_MAX + 32];
	ha_sync_path(c, "conntrackd.conf", conf, sizeof(conf));
	ha_sync_path(c, "conntrackd.lock", lock, sizeof(lock));
	fprintf(
	    f,
	    "#!/bin/sh\n"
	    "# keepalived's notify hook for conntrackd, written by `mqlb director ha\n"
	    "# render --conntrackd`: the semantics of conntrackd's primary-backup.sh.\n"
	    "C=\"%s -C %s\"\n"
	    "case \"$1\" in\n"
	    "primary)\n"
	    "\t$C -c || logger -t mqlb-ha \"conntrackd -c failed\"  # commit the peer's entries\n"
	    "\t$C -f || logger -t mqlb-ha \"conntrackd -f failed\"  # flush both caches\n"
	    "\t$C -R || logger -t mqlb-ha \"conntrackd -R failed\"  # resync from the kernel\n"
	    "\t$C -B || logger -t mqlb-ha \"conntrackd -B failed\"  # bulk send to the peer\n"
	    "\t;;\n"
	    "backup)\n"
	    "\tif ! $C -s >/dev/null 2>&1; then  # not running: (re)start it\n"
	    "\t\trm -f %s\n"
	    "\t\t$C -d || { logger -t mqlb-ha \"cannot start conntrackd\"; exit 1; }\n"
	    "\tfi\n"
	    "\t$C -t || logger -t mqlb-ha \"conntrackd -t failed\"  # age out stale entries\n"
	    "\t$C -n || logger -t mqlb-ha \"conntrackd -n failed\"  # resync from the master\n"
	    "\t;;\n"
	    "fault)\n"
	    "\t$C -t || logger -t mqlb-ha \"conntrackd -t failed\"\n"
	    "\t;;\n"
	    "*)\n"
	    "\techo \"usage: $0 primary|backup|fault\" >&2\n"
	    "\texit 1\n"
	    "\t;;\n"
	    "esac\n"
	    "exit 0\n",
	    CONNTRACKD_BIN, conf, lock);
}
