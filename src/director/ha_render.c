/* ha_render.c — the keepalived.conf of one director host: value checks for
 * the `director ha render` flags and the text itself. Pure: no files, no
 * kernel; `keepalived -t -f FILE` is the judge of the output (unit and
 * integration tests run it). */
#include "director/ha.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"

void ha_config_defaults(struct ha_config *c)
{
	memset(c, 0, sizeof(*c));
	c->priority = 100;
	c->advert_cs = 100; /* keepalived's own default advert_int 1 */
	c->fall = 2;
	c->rise = 2;
}

int ha_parse_vip(const char *s, struct ha_config *c, char *err, size_t errlen)
{
	char addr[64];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	uint64_t plen;
	size_t alen = slash ? (size_t)(slash - s) : 0;
	if (!slash || alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "invalid --vip '%s' (want ADDR/PLEN, e.g. 198.18.0.10/24)",
			 s);
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	int fam = inet_pton(AF_INET, addr, bin) == 1	? AF_INET
		  : inet_pton(AF_INET6, addr, bin) == 1 ? AF_INET6
							: 0;
	unsigned max = fam == AF_INET ? 32 : 128;
	if (!fam || parse_u64(slash + 1, 1, max, &plen) != 0) {
		snprintf(err, errlen, "invalid --vip '%s' (want ADDR/PLEN, prefix 1-%u)", s,
			 fam ? max : 32);
		return -EINVAL;
	}
	char norm[INET6_ADDRSTRLEN];
	inet_ntop(fam, bin, norm, sizeof(norm));
	snprintf(c->vip, sizeof(c->vip), "%s/%u", norm, (unsigned)plen);
	c->family = fam;
	return 0;
}

int ha_parse_advert(const char *s, unsigned *cs, char *err, size_t errlen)
{
	/* Seconds with at most two decimals: keepalived keeps centiseconds, and a
	 * value it would round silently is refused here instead. */
	const char *dot = strchr(s, '.');
	size_t frac = dot ? strlen(dot + 1) : 0;
	double v;
	if (!*s || (dot && (frac == 0 || frac > 2)) || parse_double(s, 0, 255, &v) != 0) {
		snprintf(err, errlen,
			 "invalid --advert-int '%s' (seconds: 1-255, or 0.01-40.95 with "
			 "VRRP v3)",
			 s);
		return -EINVAL;
	}
	unsigned c = (unsigned)(v * 100 + 0.5);
	if (c < HA_ADVERT_MIN_CS || (c % 100 && c > HA_ADVERT_MAX_CS)) {
		snprintf(err, errlen,
			 "invalid --advert-int '%s' (seconds: 1-255, or 0.01-40.95 with "
			 "VRRP v3)",
			 s);
		return -EINVAL;
	}
	*cs = c;
	return 0;
}

int ha_check_ifname(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	int bad = n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	for (size_t i = 0; i < n && !bad; i++)
		bad = s[i] <= ' ' || s[i] == '/' || s[i] == ':' || s[i] > '~' || s[i] == '"' ||
		      s[i] == '\'';
	if (bad) {
		snprintf(err, errlen, "invalid --interface '%s' (an interface name, 1-15 chars)",
			 s);
		return -EINVAL;
	}
	return 0;
}

int ha_check_netns(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	int bad = n == 0 || n > 64 || s[0] == '.';
	for (size_t i = 0; i < n && !bad; i++) {
		char ch = s[i];
		bad = !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.');
	}
	if (bad) {
		snprintf(err, errlen,
			 "invalid --netns '%s' (a name under /run/netns: 1-64 chars of A-Z a-z "
			 "0-9 _ - .)",
			 s);
		return -EINVAL;
	}
	return 0;
}

int ha_check_path(const char *what, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	int bad = n < 2 || n > HA_PATH_MAX || s[0] != '/';
	for (size_t i = 0; i < n && !bad; i++) {
		char ch = s[i];
		bad = !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			(ch >= '0' && ch <= '9') || strchr("._/+@:=-", ch));
	}
	if (bad) {
		snprintf(err, errlen,
			 "invalid %s '%s' (an absolute path of at most %d chars of A-Z a-z 0-9 "
			 "._/+@:=-: keepalived runs it unquoted)",
			 what, s, HA_PATH_MAX);
		return -EINVAL;
	}
	return 0;
}

int ha_add_peer(struct ha_config *c, const char *s, char *err, size_t errlen)
{
	unsigned char bin[sizeof(struct in6_addr)];
	if (c->n_peers >= HA_MAX_PEERS) {
		snprintf(err, errlen, "too many --unicast-peer (max %d)", HA_MAX_PEERS);
		return -EINVAL;
	}
	if (inet_pton(c->family ? c->family : AF_INET, s, bin) != 1) {
		snprintf(err, errlen, "invalid --unicast-peer '%s' (an %s address, like the VIP)",
			 s, c->family == AF_INET6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	inet_ntop(c->family ? c->family : AF_INET, bin, c->peers[c->n_peers], sizeof(c->peers[0]));
	c->n_peers++;
	return 0;
}

unsigned ha_vrrp_version(unsigned advert_cs)
{
	return advert_cs % 100 == 0 && advert_cs <= 25500 ? 2 : 3;
}

unsigned ha_script_interval_s(unsigned advert_cs)
{
	unsigned s = (advert_cs + 99) / 100;
	return s < 1 ? 1 : s;
}

static void render_globals(const struct ha_config *c, FILE *f)
{
	/* keepalived 2.2.7 takes net_namespace only at the top level: inside
	 * global_defs (where its man page lists it) it is an "Unknown keyword" and
	 * keepalived runs in its own namespace. It also makes keepalived keep its
	 * pid files under /run/keepalived/NAME, so pairs on one machine do not mix. */
	if (c->netns)
		fprintf(f, "net_namespace %s\n\n", c->netns);
	fprintf(f, "global_defs {\n");
	fprintf(f, "\trouter_id mqlb-vrid%u-prio%u\n", c->router_id, c->priority);
	/* The scripts run as root (the control socket is 0600 root) and keepalived
	 * refuses a root script on a path a non-root user could write. */
	fprintf(f, "\tscript_user root\n\tenable_script_security\n");
	fprintf(f, "\tvrrp_version %u\n", ha_vrrp_version(c->advert_cs));
	/* One burst of gratuitous ARPs on becoming master; the default second burst
	 * 5 s later is for switches that missed the first. */
	fprintf(f, "\tvrrp_garp_master_repeat 3\n");
	/* The state file through keepalived's notify FIFO and one reader: notify
	 * scripts are a process per transition and may finish out of order. */
	if (c->state_file) {
		fprintf(f, "\tvrrp_notify_fifo %s.fifo\n", c->state_file);
		fprintf(
		    f,
		    "\tvrrp_notify_fifo_script \"%s director ha notify --state-file %s --fifo\"\n",
		    c->mqlb, c->state_file);
	}
	fprintf(f, "}\n\n");
}

static void render_script(const struct ha_config *c, FILE *f)
{
	unsigned iv = ha_script_interval_s(c->advert_cs);
	/* The check gives up before keepalived's own timeout, so a stuck director
	 * counts as a failure rather than as a killed script. */
	fprintf(f,
		"# The director answers on its control socket, or this host gives up the VIP\n"
		"# (FAULT) after %u failed check%s, %u s apart: keepalived runs scripts at whole\n"
		"# seconds only.\n",
		c->fall, c->fall == 1 ? "" : "s", iv);
	fprintf(f, "vrrp_script mqlb_director {\n");
	fprintf(f, "\tscript \"%s director check --control %s --timeout %ums\"\n", c->mqlb,
		c->control, iv * 750);
	fprintf(f, "\tinterval %u\n\ttimeout %u\n\tfall %u\n\trise %u\n}\n\n", iv, iv, c->fall,
		c->rise);
}

static void render_instance(const struct ha_config *c, FILE *f)
{
	fprintf(f, "vrrp_instance mqlb_vip {\n");
	/* Both hosts start as BACKUP: the higher priority takes the VIP after one
	 * master-down interval, and nopreempt is only allowed from BACKUP. */
	fprintf(f, "\tstate BACKUP\n\tinterface %s\n", c->interface);
	fprintf(f, "\tvirtual_router_id %u\n\tpriority %u\n", c->router_id, c->priority);
	if (c->advert_cs % 100 == 0)
		fprintf(f, "\tadvert_int %u\n", c->advert_cs / 100);
	else if (c->advert_cs % 10 == 0)
		fprintf(f, "\tadvert_int %u.%u\n", c->advert_cs / 100, c->advert_cs % 100 / 10);
	else
		fprintf(f, "\tadvert_int %u.%02u\n", c->advert_cs / 100, c->advert_cs % 100);
	if (c->nopreempt)
		fprintf(f, "\tnopreempt\n");
	if (c->n_peers) {
		fprintf(f, "\tunicast_peer {\n");
		for (unsigned i = 0; i < c->n_peers; i++)
			fprintf(f, "\t\t%s\n", c->peers[i]);
		fprintf(f, "\t}\n");
	}
	fprintf(f, "\tvirtual_ipaddress {\n\t\t%s dev %s\n", c->vip, c->interface);
	/* the back VIP moves with the front one: the directors SNAT to it */
	if (c->back_vip[0])
		fprintf(f, "\t\t%s dev %s\n", c->back_vip, c->back_interface);
	fprintf(f, "\t}\n");
	if (c->ct_dir) {
		char hook[HA_PATH_MAX + 32];
		ha_sync_path(c, "primary-backup.sh", hook, sizeof(hook));
		fprintf(f, "\tnotify_master \"%s primary\"\n\tnotify_backup \"%s backup\"\n", hook,
			hook);
		fprintf(f, "\tnotify_fault \"%s fault\"\n", hook);
	}
	fprintf(f, "\ttrack_script {\n\t\tmqlb_director\n\t}\n");
	fprintf(f, "}\n");
}

void ha_render(const struct ha_config *c, FILE *f)
{
	fprintf(f, "# keepalived.conf for one mqlb director host, written by\n"
		   "# `mqlb director ha render`; check it with `keepalived -t -f FILE`.\n\n");
	render_globals(c, f);
	render_script(c, f);
	render_instance(c, f);
}
