/* dataplane_nft.c — the director's nftables dataplane (libnftables).
 *
 * Each instance owns exactly one table, `ip mqlb-<name>` (`ip6` for an IPv6
 * VIP), created with `create table` (fails if another instance has it) and
 * deleted on stop; nothing outside it is touched. Inside:
 *   lb     nat chain (output hook in --mode local, prerouting in --mode nat):
 *          `<fam> daddr VIP tcp dport PORT dnat <fam> to EXPR map { ... }` where
 *          EXPR is the scheduler: rr `numgen inc mod N`, wrr `numgen inc mod
 *          SUM(w)` over interleaved weighted slots, random `numgen random mod
 *          SUM(w)`, sh `jhash <fam> saddr . tcp sport mod SUM(w)`. Only a
 *          connection's first packet is evaluated; conntrack does the rest, so
 *          replacing the map never cuts an existing connection.
 *   guard  filter chain before lb (priority -150): empty, except when every
 *          backend has effective weight 0: then new connections to VIP:PORT
 *          are rejected with a TCP reset. A reset (not a silent drop) because
 *          an MQTT client then fails at once and starts its reconnect backoff
 *          instead of hanging in SYN retries for a minute, and the answer does
 *          not depend on whether something happens to listen on VIP:PORT.
 *   masq   (--mode nat) postrouting: masquerade our connections only (matched by
 *          their original tuple), so brokers reply through the director; with
 *          --snat ADDR, snat to ADDR instead (a back VIP shared by an HA pair).
 *   nopick (--snat) filter prerouting, after conntrack, before lb: a TCP packet
 *          to VIP:PORT or to ADDR that is not a SYN and belongs to no known
 *          connection is dropped. After a failover the new master must not
 *          pick such a packet up as a new connection (nf_conntrack_tcp_loose):
 *          lb would balance it anew, likely to another broker (a reset), and
 *          its entry would block conntrackd's commit of the synced one; a
 *          packet to ADDR would reach the local stack (a reset to the broker).
 *          Dropped, it is retransmitted and finds the committed entry.
 *   cnt_*  filter chains with per-backend named counters b<i>_in (client ->
 *          broker packets/bytes), b<i>_out (broker -> client), b<i>_new (new
 *          connections). Backends are matched by conntrack's reply tuple, which
 *          names the broker in both directions, before or after NAT. Local mode
 *          counts the original direction at output and replies at input (on
 *          loopback each packet crosses both, so one direction per hook);
 *          nat mode counts both directions at forward.
 * Weight changes replace lb + guard in one transaction (atomic). Live
 * connection counts come from conntrack (conntrack.c).
 * nftables cannot evaluate least-connection per packet: lc, wlc & co are
 * refused with a pointer at --dataplane ipvs or proxy. */
#include "director/dataplane_nft.h"

#include <errno.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/jsonread.h"
#include "common/proc.h"
#include "common/log.h"
#include "director/conntrack.h"
#include "director/director.h"

#define SH_SEED                                                                                    \
	0x6d716c62U /* "mqlb": every instance hashes alike, so independent
			      * directors with the same backends agree */

/* --snat ADDR; family 0 = masquerade. A module value like director_edge: the
 * director config belongs to every dataplane, this flag to nft alone. */
static struct sockaddr_storage snat_addr;

int director_nft_set_snat(const char *s, char *err, size_t errlen)
{
	memset(&snat_addr, 0, sizeof(snat_addr));
	if (!s)
		return 0;
	if (addr_parse_host(s, 0, &snat_addr) != 0) {
		memset(&snat_addr, 0, sizeof(snat_addr));
		snprintf(err, errlen, "invalid --snat '%s' (an IPv4 or IPv6 address, no port)", s);
		return -EINVAL;
	}
	return 0;
}

int director_nft_has_snat(void)
{
	return snat_addr.ss_family != 0;
}

struct nft_state {
	struct nft_ctx *ctx;
	char table[DIRECTOR_NAME_MAX + 8];
	int created;
};

const char *director_nft_family(const struct director *d)
{
	return d->cfg.listen.ss_family == AF_INET6 ? "ip6" : "ip";
}

void director_nft_table(const struct director *d, char *buf, size_t len)
{
	snprintf(buf, len, "mqlb-%s", d->cfg.name);
}

/* Rules that leave the counting chain early for anything not to VIP:PORT/tcp. */
static void skip_others(const struct director *d, FILE *out, const char *fam, const char *t,
			const char *chain)
{
	char h[ADDR_STRLEN];
	fprintf(out, "add rule %s %s %s ct original %s daddr != %s return\n", fam, t, chain, fam,
		addr_format_host(&d->cfg.listen, h, sizeof(h)));
	fprintf(out, "add rule %s %s %s ct original protocol != tcp return\n", fam, t, chain);
	fprintf(out,
		"add rule %s %s %s ct original protocol tcp ct original proto-dst != %u return\n",
		fam, t, chain, addr_port(&d->cfg.listen));
}

static void match_backend(const struct director *d, unsigned i, FILE *out)
{
	char h[ADDR_STRLEN];
	const struct director_backend *b = &d->backends[i];
	fprintf(out, "ct original protocol tcp ct reply %s saddr %s ct reply proto-src %u",
		director_nft_family(d), addr_format_host(&b->addr, h, sizeof(h)),
		addr_port(&b->addr));
}

/* One map entry "K : ADDR . PORT" or "A-B : ADDR . PORT". */
static void map_entry(const struct director *d, FILE *out, int *first, unsigned lo, unsigned hi,
		      unsigned be)
{
	char h[ADDR_STRLEN];
	const struct director_backend *b = &d->backends[be];
	fprintf(out, "%s", *first ? "" : ", ");
	*first = 0;
	if (lo == hi)
		fprintf(out, "%u", lo);
	else
		fprintf(out, "%u-%u", lo, hi);
	fprintf(out, " : %s . %u", addr_format_host(&b->addr, h, sizeof(h)), addr_port(&b->addr));
}

int director_nft_lb_cmds(const struct director *d, FILE *out)
{
	const char *fam = director_nft_family(d);
	const char *sched = d->cfg.scheduler;
	char t[DIRECTOR_NAME_MAX + 8], h[ADDR_STRLEN];
	unsigned w[DIRECTOR_MAX_BACKENDS], total = 0, n = d->n_backends;
	int rr = strcmp(sched, "rr") == 0;

	director_nft_table(d, t, sizeof(t));
	for (unsigned i = 0; i < n; i++) {
		w[i] = atomic_load(&d->backends[i].effective_weight);
		if (rr && w[i])
			w[i] = 1; /* rr: equal turns for every backend with weight > 0 (as IPVS) */
		total += w[i];
	}
	fprintf(out, "flush chain %s %s lb\nflush chain %s %s guard\n", fam, t, fam, t);
	addr_format_host(&d->cfg.listen, h, sizeof(h));
	if (total == 0) {
		fprintf(
		    out,
		    "add rule %s %s guard %s daddr %s tcp dport %u ct state new reject with tcp "
		    "reset\n",
		    fam, t, fam, h, addr_port(&d->cfg.listen));
		return 0;
	}
	fprintf(out, "add rule %s %s lb %s daddr %s tcp dport %u dnat %s to ", fam, t, fam, h,
		addr_port(&d->cfg.listen), fam);
	if (strcmp(sched, "random") == 0)
		fprintf(out, "numgen random mod %u", total);
	else if (strcmp(sched, "sh") == 0)
		fprintf(out, "jhash %s saddr . tcp sport mod %u seed 0x%x", fam, total, SH_SEED);
	else
		fprintf(out, "numgen inc mod %u", total);
	fprintf(out, " map { ");

	int first = 1;
	unsigned *seq = NULL;
	if (strcmp(sched, "wrr") == 0 && total <= NFT_WRR_INTERLEAVE_MAX) {
		seq = calloc(total, sizeof(*seq));
		if (!seq)
			return -ENOMEM;
		director_wrr_sequence(w, n, seq, total);
		/* runs of the same backend become one interval */
		for (unsigned k = 0; k < total;) {
			unsigned e = k;
			while (e + 1 < total && seq[e + 1] == seq[k])
				e++;
			map_entry(d, out, &first, k, e, seq[k]);
			k = e + 1;
		}
		free(seq);
	} else {
		unsigned lo = 0;
		for (unsigned i = 0; i < n; i++) {
			if (!w[i])
				continue;
			map_entry(d, out, &first, lo, lo + w[i] - 1, i);
			lo += w[i];
		}
	}
	fprintf(out, " }\n");
	return 0;
}

/* The nopick chain of --snat (see the top of this file). */
static void nopick_cmds(const struct director *d, FILE *out, const char *fam, const char *t)
{
	char h[ADDR_STRLEN];
	const char *midstream = "tcp flags & (syn | ack) != syn ct state new,invalid drop";
	fprintf(out,
		"add chain %s %s nopick { type filter hook prerouting priority -150; policy "
		"accept; }\n",
		fam, t);
	fprintf(out, "add rule %s %s nopick %s daddr %s tcp dport %u %s\n", fam, t, fam,
		addr_format_host(&d->cfg.listen, h, sizeof(h)), addr_port(&d->cfg.listen),
		midstream);
	fprintf(out, "add rule %s %s nopick %s daddr %s %s\n", fam, t, fam,
		addr_format_host(&snat_addr, h, sizeof(h)), midstream);
}

int director_nft_start_cmds(const struct director *d, FILE *out)
{
	const char *fam = director_nft_family(d);
	char t[DIRECTOR_NAME_MAX + 8];
	int local = d->cfg.mode == DIRECTOR_MODE_LOCAL;
	director_nft_table(d, t, sizeof(t));

	fprintf(out, "create table %s %s\n", fam, t);
	for (unsigned i = 0; i < d->n_backends; i++)
		fprintf(out,
			"add counter %s %s b%u_in\nadd counter %s %s b%u_out\n"
			"add counter %s %s b%u_new\n",
			fam, t, i, fam, t, i, fam, t, i);
	fprintf(out, "add chain %s %s lb { type nat hook %s priority -100; policy accept; }\n", fam,
		t, local ? "output" : "prerouting");
	fprintf(out,
		"add chain %s %s guard { type filter hook %s priority -150; policy accept; }\n",
		fam, t, local ? "output" : "prerouting");
	if (!local) {
		fprintf(out,
			"add chain %s %s masq { type nat hook postrouting priority 100; "
			"policy accept; }\n",
			fam, t);
		char h[ADDR_STRLEN], s[ADDR_STRLEN], sn[ADDR_STRLEN + 16] = "masquerade";
		if (director_nft_has_snat())
			snprintf(sn, sizeof(sn), "snat %s to %s", fam,
				 addr_format_host(&snat_addr, s, sizeof(s)));
		fprintf(out,
			"add rule %s %s masq ct original %s daddr %s ct original protocol tcp ct "
			"original proto-dst %u %s\n",
			fam, t, fam, addr_format_host(&d->cfg.listen, h, sizeof(h)),
			addr_port(&d->cfg.listen), sn);
	}
	if (!local && director_nft_has_snat())
		nopick_cmds(d, out, fam, t);
	/* counting: chain for the original direction, and for replies */
	const char *co = local ? "cnt_out" : "cnt_fwd", *cr = local ? "cnt_in" : "cnt_fwd";
	fprintf(out, "add chain %s %s %s { type filter hook %s priority 0; policy accept; }\n", fam,
		t, co, local ? "output" : "forward");
	if (local)
		fprintf(
		    out,
		    "add chain %s %s %s { type filter hook input priority 0; policy accept; }\n",
		    fam, t, cr);
	for (int k = 0; k < (local ? 2 : 1); k++)
		skip_others(d, out, fam, t, k ? cr : co);
	for (unsigned i = 0; i < d->n_backends; i++) {
		fprintf(out, "add rule %s %s %s ct state new ", fam, t, co);
		match_backend(d, i, out);
		fprintf(out, " counter name b%u_new\n", i);
		fprintf(out, "add rule %s %s %s ct direction original ", fam, t, co);
		match_backend(d, i, out);
		fprintf(out, " counter name b%u_in\n", i);
		fprintf(out, "add rule %s %s %s ct direction reply ", fam, t, cr);
		match_backend(d, i, out);
		fprintf(out, " counter name b%u_out\n", i);
	}
	return director_nft_lb_cmds(d, out);
}

/* ---- the dataplane ---- */

static int have_cap_net_admin(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return geteuid() == 0;
	return (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

static int nft_check(const struct director *d, char *err, size_t errlen)
{
	static const char *const other[] = {"lc", "wlc", "sed", "nq",	"lblc", "lblcr",    "dh",
					    "mh", "fo",	 "ovf", "twos", "p2c",	"clientid", NULL};
	const char *s = d->cfg.scheduler;
	if (d->cfg.mode == DIRECTOR_MODE_DR) {
		snprintf(err, errlen,
			 "--mode dr (direct routing) is an IPVS forwarding method; "
			 "use --dataplane ipvs, or --mode local|nat with nft");
		return -EOPNOTSUPP;
	}
	if (strcmp(s, "rr") && strcmp(s, "wrr") && strcmp(s, "random") && strcmp(s, "sh")) {
		for (const char *const *o = other; *o; o++) {
			if (strcmp(s, *o) != 0)
				continue;
			snprintf(err, errlen,
				 "scheduler '%s' is not available with --dataplane nft: nftables "
				 "picks a backend per new connection from a static map and cannot "
				 "see live connection counts or MQTT ClientIDs; use --dataplane "
				 "ipvs (kernel %s) or --dataplane proxy",
				 s, s);
			return -EOPNOTSUPP;
		}
		snprintf(err, errlen, "unknown scheduler '%s' (nft: rr, wrr, random, sh)", s);
		return -EINVAL;
	}
	if (d->cfg.listen.ss_family != AF_INET && d->cfg.listen.ss_family != AF_INET6) {
		snprintf(err, errlen, "--listen must be an IPv4 or IPv6 address");
		return -EINVAL;
	}
	if (director_nft_has_snat() &&
	    (d->cfg.mode != DIRECTOR_MODE_NAT || snat_addr.ss_family != d->cfg.listen.ss_family)) {
		snprintf(err, errlen,
			 "--snat needs --mode nat and an address of the --listen address's family");
		return -EINVAL;
	}
	if (!have_cap_net_admin()) {
		snprintf(err, errlen,
			 "the nft dataplane needs CAP_NET_ADMIN to program nftables "
			 "(run as root, or grant cap_net_admin); without it use "
			 "--dataplane proxy");
		return -EPERM;
	}
	return 0;
}

/* Runs cmds as one transaction; on failure copies the first error line to err. */
static int run(struct nft_state *st, const char *cmds, char *err, size_t errlen)
{
	int rc = nft_run_cmd_from_buffer(st->ctx, cmds);
	const char *e = nft_ctx_get_error_buffer(st->ctx);
	if (rc != 0) {
		if (err && errlen) {
			const char *nl = e ? strchr(e, '\n') : NULL;
			int n = e ? (nl ? (int)(nl - e) : (int)strlen(e)) : 0;
			snprintf(err, errlen, "nft: %.*s", n, e ? e : "failed");
		}
		log_debug("nft transaction failed:\n%s\n%s", cmds, e ? e : "");
		return e && strstr(e, "File exists")		   ? -EEXIST
		       : e && strstr(e, "Operation not permitted") ? -EPERM
								   : -EIO;
	}
	return 0;
}

static int build(const struct director *d, int (*fn)(const struct director *, FILE *), char **buf)
{
	size_t len = 0;
	FILE *f = open_memstream(buf, &len);
	if (!f)
		return -ENOMEM;
	int rc = fn(d, f);
	fclose(f);
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static void warn_sysctl(const struct director *d)
{
	char v = '1';
	const char *p = d->cfg.listen.ss_family == AF_INET6
			    ? "/proc/sys/net/ipv6/conf/all/forwarding"
			    : "/proc/sys/net/ipv4/ip_forward";
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fread(&v, 1, 1, f) == 1 && v == '0')
		log_warn("%s is 0: --mode nat forwards client traffic to the brokers, so enable "
			 "it in this network namespace (sysctl -w %s=1); mqlb does not change "
			 "sysctls",
			 p, p + strlen("/proc/sys/"));
	fclose(f);
}

static void nft_stop(struct director *d)
{
	struct nft_state *st = d->dp_state;
	char cmd[96];
	if (!st)
		return;
	if (st->created) {
		snprintf(cmd, sizeof(cmd), "delete table %s %s\n", director_nft_family(d),
			 st->table);
		char err[256];
		if (run(st, cmd, err, sizeof(err)) != 0)
			log_error("could not remove nft table %s: %s", st->table, err);
	}
	nft_ctx_free(st->ctx);
	free(st);
	d->dp_state = NULL;
}

/* Another mqlb director in this network namespace already balancing the same
 * VIP:PORT (under another --name) would race ours for the same packets: which
 * table's dnat wins is not defined. Finds such a table by the lb rule both
 * would hold. Returns 1 with its name in owner, else 0 (also when listing fails:
 * the check is a courtesy, create table still guards our own name). */
static int vip_taken(struct nft_state *st, const struct director *d, char *owner, size_t len)
{
	char h[ADDR_STRLEN], pat[ADDR_STRLEN + 64], cmd[96], line[128];
	const char *fam = director_nft_family(d);
	snprintf(pat, sizeof(pat), " %s daddr %s tcp dport %u dnat ", fam,
		 addr_format_host(&d->cfg.listen, h, sizeof(h)), addr_port(&d->cfg.listen));
	if (nft_run_cmd_from_buffer(st->ctx, "list tables\n") != 0)
		return 0;
	const char *out = nft_ctx_get_output_buffer(st->ctx);
	char *tables = strdup(out ? out : "");
	if (!tables)
		return 0;
	int found = 0;
	for (char *p = tables, *nl; !found && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		char tfam[8], name[64];
		if (sscanf(line, "table %7s %63s", tfam, name) != 2 || strcmp(tfam, fam) != 0 ||
		    strncmp(name, "mqlb-", 5) != 0 || strcmp(name, st->table) == 0)
			continue;
		snprintf(cmd, sizeof(cmd), "list table %s %s\n", fam, name);
		if (nft_run_cmd_from_buffer(st->ctx, cmd) != 0)
			continue;
		out = nft_ctx_get_output_buffer(st->ctx);
		if (out && strstr(out, pat)) {
			snprintf(owner, len, "%s %s", fam, name);
			found = 1;
		}
	}
	free(tables);
	return found;
}

/* The owner mark of our table: a named counter "owner_<pid>_<start time>", so
 * a director restarted after a crash (SIGKILL: no cleanup) can tell its dead
 * predecessor's table from a live director's of the same name. */
static void mark_owner(struct nft_state *st, const struct director *d)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "add counter %s %s owner_%ld_%llu\n", director_nft_family(d),
		 st->table, (long)getpid(), proc_start_time(getpid()));
	if (run(st, cmd, NULL, 0) < 0)
		log_warn("nft: could not mark table %s as ours (a restart after a crash will "
			 "not take it over)",
			 st->table);
}

/* Our table exists already. Returns 1 when its owner mark names a process that
 * is gone (or another one with that pid: other start time) — the table is
 * stale; 0 when the owner lives or the table has no mark (made by hand or by
 * an older mqlb: left alone); *pid is the owner's, 0 if none. */
static int stale_table(struct nft_state *st, const struct director *d, long *pid)
{
	char cmd[96];
	unsigned long long start = 0;
	*pid = 0;
	snprintf(cmd, sizeof(cmd), "list counters table %s %s\n", director_nft_family(d),
		 st->table);
	if (nft_run_cmd_from_buffer(st->ctx, cmd) != 0)
		return 0;
	const char *out = nft_ctx_get_output_buffer(st->ctx);
	const char *m = out ? strstr(out, "counter owner_") : NULL;
	if (!m || sscanf(m, "counter owner_%ld_%llu", pid, &start) != 2 || *pid <= 0)
		return 0;
	return proc_start_time((pid_t)*pid) != start;
}

/* Creates the table; a stale one of ours (see stale_table) is deleted and the
 * creation tried once more. */
static int create(struct nft_state *st, struct director *d, const char *cmds, char *err,
		  size_t errlen)
{
	char del[96];
	long pid;
	int rc = run(st, cmds, err, errlen);
	if (rc != -EEXIST)
		return rc;
	if (!stale_table(st, d, &pid)) {
		char who[32] = "";
		if (pid)
			snprintf(who, sizeof(who), " as pid %ld", pid);
		snprintf(err, errlen,
			 "nft table %s %s already exists: another director named '%s' is running%s "
			 "(use another --name), or one made by hand (nft delete table %s %s)",
			 director_nft_family(d), st->table, d->cfg.name, who,
			 director_nft_family(d), st->table);
		return rc;
	}
	log_warn("nft table %s %s was left by director pid %ld, which is gone (killed?): "
		 "taking it over",
		 director_nft_family(d), st->table, pid);
	snprintf(del, sizeof(del), "delete table %s %s\n", director_nft_family(d), st->table);
	rc = run(st, del, err, errlen);
	return rc < 0 ? rc : run(st, cmds, err, errlen);
}

static int nft_start(struct director *d, char *err, size_t errlen)
{
	struct nft_state *st = calloc(1, sizeof(*st));
	char *cmds = NULL;
	int rc;
	if (!st)
		return -ENOMEM;
	d->dp_state = st;
	director_nft_table(d, st->table, sizeof(st->table));
	st->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!st->ctx) {
		snprintf(err, errlen, "nft_ctx_new failed");
		rc = -ENOMEM;
		goto fail;
	}
	nft_ctx_buffer_output(st->ctx);
	nft_ctx_buffer_error(st->ctx);
	char owner[80], a[ADDR_STRLEN];
	if (vip_taken(st, d, owner, sizeof(owner))) {
		snprintf(err, errlen,
			 "%s is already balanced by nft table %s (another director): give this "
			 "one another --listen, or stop that one",
			 addr_format(&d->cfg.listen, a, sizeof(a)), owner);
		rc = -EADDRINUSE;
		goto fail;
	}
	if ((rc = build(d, director_nft_start_cmds, &cmds)) < 0)
		goto fail;
	rc = create(st, d, cmds, err, errlen);
	free(cmds);
	if (rc < 0)
		goto fail;
	st->created = 1;
	mark_owner(st, d);
	if (d->cfg.mode == DIRECTOR_MODE_NAT)
		warn_sysctl(d);
	return 0;
fail:
	nft_stop(d);
	return rc;
}

static int nft_update(struct director *d)
{
	struct nft_state *st = d->dp_state;
	char *cmds = NULL, err[256];
	int rc;
	if (!st)
		return -EINVAL;
	if ((rc = build(d, director_nft_lb_cmds, &cmds)) < 0)
		return rc;
	rc = run(st, cmds, err, sizeof(err));
	if (rc < 0)
		log_error("nft update failed: %s", err);
	else
		log_debug("nft map replaced:\n%s", cmds);
	free(cmds);
	return rc;
}

/* The named counter of `nft -j list counters` ({"nftables": [{"counter":
 * {"name": ..., "packets": N, "bytes": N}}, ...]}), read with the shared
 * reader. Returns 0, or -ENOENT when that counter is not listed. */
static int counter_value(const struct jr_value *root, const char *name, uint64_t *packets,
			 uint64_t *bytes)
{
	const struct jr_value *list = jr_get(root, "nftables");
	for (size_t i = 0; list && list->type == JR_ARR && i < list->n; i++) {
		const struct jr_value *c = jr_get(&list->items[i], "counter");
		const struct jr_value *pk = jr_get(c, "packets"), *by = jr_get(c, "bytes");
		if (!pk || !by || strcmp(jr_str(jr_get(c, "name"), ""), name))
			continue;
		*packets = jr_u64(pk, 0);
		*bytes = jr_u64(by, 0);
		return 0;
	}
	return -ENOENT;
}

static int nft_stats(struct director *d)
{
	struct nft_state *st = d->dp_state;
	struct director_ct_count ct[DIRECTOR_MAX_BACKENDS];
	char cmd[96], name[32];
	uint64_t p, b;
	int rc;
	if (!st)
		return -EINVAL;
	snprintf(cmd, sizeof(cmd), "list counters table %s %s", director_nft_family(d), st->table);
	nft_ctx_output_set_flags(st->ctx, NFT_CTX_OUTPUT_JSON);
	rc = run(st, cmd, NULL, 0);
	nft_ctx_output_set_flags(st->ctx, 0);
	if (rc == 0) {
		const char *text = nft_ctx_get_output_buffer(st->ctx);
		struct jr_value *out = text ? jr_parse(text, NULL, 0) : NULL;
		for (unsigned i = 0; out && i < d->n_backends; i++) {
			struct director_backend *be = &d->backends[i];
			snprintf(name, sizeof(name), "b%u_in", i);
			if (counter_value(out, name, &p, &b) == 0) {
				be->packets_in = p;
				be->bytes_in = b;
			}
			snprintf(name, sizeof(name), "b%u_out", i);
			if (counter_value(out, name, &p, &b) == 0) {
				be->packets_out = p;
				be->bytes_out = b;
			}
			snprintf(name, sizeof(name), "b%u_new", i);
			if (counter_value(out, name, &p, &b) == 0)
				be->total_connections = p;
		}
		jr_free(out);
	}
	int crc = director_ct_count(d, ct);
	if (crc == 0) {
		for (unsigned i = 0; i < d->n_backends; i++) {
			d->backends[i].active_connections = ct[i].established;
			d->backends[i].inactive_connections = ct[i].other;
		}
	} else {
		log_debug("conntrack dump: %s", strerror(-crc));
	}
	return rc < 0 ? rc : crc;
}

const struct dataplane dataplane_nft = {
    .name = "nft",
    .check = nft_check,
    .start = nft_start,
    .update = nft_update,
    .stats = nft_stats,
    .stop = nft_stop,
};
