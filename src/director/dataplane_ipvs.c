/* dataplane_ipvs.c — the director's IPVS dataplane (struct dataplane, see
 * dataplane.h): one IPVS virtual service per instance, one destination per
 * backend, driven over generic netlink (ipvs_nl.c).
 *
 * What each op does:
 *   check   scheduler is a kernel IPVS scheduler; mode nat/local -> masquerading
 *           (NAT), dr -> direct routing (backend port must equal the VIP port:
 *           DR cannot rewrite ports); no loopback VIP or backends; CAP_NET_ADMIN.
 *   start   NEW_SERVICE, then NEW_DEST per backend with its effective weight;
 *           on any failure the service (and so its destinations) is deleted.
 *   update  SET_DEST for each backend whose effective weight changed; weight 0
 *           is IPVS's "quiescent": no new connections, existing ones go on.
 *   stats   dumps the destinations (GET_DEST) into d->backends counters.
 *   stop    DEL_SERVICE of exactly our (TCP, VIP, port); never a flush.
 *   A service that already exists is refused, unless our owner record
 *   (ipvs_owner.h) says a director of this name made it and is gone (killed):
 *   then it is taken over in place (scheduler set, destinations made ours),
 *   so the connections it carries go on and a systemd Restart= works.
 *
 * Mode "local" (clients on the director host itself) is NAT as well: IPVS
 * schedules locally originated connections in its LOCAL_OUT hook
 * (ip_vs_local_request4), so the same masquerading destinations serve them.
 * What IPVS cannot do is balance loopback addresses (a VIP or backend in
 * 127.0.0.0/8 or ::1: the rewritten packets would be martians), so those are
 * refused with a pointer to the nft dataplane's local mode or the proxy.
 */
#include "director/director.h"

#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "director/ipvs_nl.h"
#include "director/ipvs_owner.h"

struct ipvs_state {
	struct ipvs_nl *nl;
	struct ipvs_nl_service svc;
	uint32_t applied[DIRECTOR_MAX_BACKENDS]; /* weight the kernel has */
	/* the destination address the kernel has (a reload may move a backend) */
	struct sockaddr_storage applied_addr[DIRECTOR_MAX_BACKENDS];
	int warned_gone; /* logged "service vanished" once */
};

static int have_cap_net_admin(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 1; /* cannot tell: let the kernel answer (-EPERM is explained too) */
	return (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

static uint32_t fwd_of(enum director_mode m)
{
	return m == DIRECTOR_MODE_DR ? IPVS_NL_FWD_DROUTE : IPVS_NL_FWD_MASQ;
}

static int ipvs_check(const struct director *d, char *err, size_t errlen)
{
	const struct director_config *c = &d->cfg;
	char a[ADDR_STRLEN];
	if (!ipvs_nl_sched_known(c->scheduler)) {
		const char *hint = strcmp(c->scheduler, "random") == 0
				       ? " ('random' is an nft scheduler)"
				   : strcmp(c->scheduler, "clientid") == 0
				       ? " ('clientid' needs MQTT: --dataplane proxy)"
				       : "";
		snprintf(err, errlen, "unknown IPVS scheduler '%s'%s; the kernel has: %s",
			 c->scheduler, hint, ipvs_nl_sched_list());
		return -EINVAL;
	}
	if (c->mode != DIRECTOR_MODE_LOCAL && c->mode != DIRECTOR_MODE_NAT &&
	    c->mode != DIRECTOR_MODE_DR) {
		snprintf(err, errlen, "IPVS supports --mode nat, local or dr");
		return -EINVAL;
	}
	if (c->listen.ss_family != AF_INET && c->listen.ss_family != AF_INET6) {
		snprintf(err, errlen, "IPVS needs an IPv4 or IPv6 --listen address");
		return -EINVAL;
	}
	if (addr_is_loopback(&c->listen)) {
		snprintf(err, errlen,
			 "IPVS cannot balance a loopback VIP (%s); use a non-loopback address, "
			 "or --dataplane nft --mode local, or --dataplane proxy",
			 addr_format(&c->listen, a, sizeof a));
		return -EOPNOTSUPP;
	}
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct sockaddr_storage *b = &d->backends[i].addr;
		addr_format(b, a, sizeof a);
		if (b->ss_family != c->listen.ss_family) {
			snprintf(err, errlen,
				 "backend %s: IPVS NAT/DR needs the VIP's address family", a);
			return -EINVAL;
		}
		if (addr_is_loopback(b)) {
			snprintf(err, errlen,
				 "backend %s: IPVS cannot forward to loopback addresses; use the "
				 "broker's interface address, or --dataplane nft or proxy",
				 a);
			return -EOPNOTSUPP;
		}
		if (c->mode == DIRECTOR_MODE_DR && addr_port(b) != addr_port(&c->listen)) {
			snprintf(err, errlen,
				 "backend %s: --mode dr cannot change ports (IPVS direct routing "
				 "keeps the VIP port %u); use the same port or --mode nat",
				 a, addr_port(&c->listen));
			return -EINVAL;
		}
	}
	if (!have_cap_net_admin()) {
		snprintf(err, errlen,
			 "the IPVS dataplane needs CAP_NET_ADMIN (run as root, or grant "
			 "cap_net_admin); without it use --dataplane proxy");
		return -EPERM;
	}
	return 0;
}

static void fill_dest(const struct director *d, unsigned i, struct ipvs_nl_dest *out)
{
	memset(out, 0, sizeof *out);
	out->addr = d->backends[i].addr;
	out->fwd = fwd_of(d->cfg.mode);
	out->weight = atomic_load(&d->backends[i].effective_weight);
}

static void state_free(struct director *d)
{
	struct ipvs_state *s = d->dp_state;
	if (!s)
		return;
	ipvs_nl_close(s->nl);
	free(s);
	d->dp_state = NULL;
}

/* Makes an existing service ours: our scheduler, our destinations with our
 * weights (kept ones keep their connections), others removed. 0 or -errno. */
static int take_over(struct director *d, struct ipvs_state *s)
{
	struct ipvs_nl_dest have[DIRECTOR_MAX_BACKENDS];
	unsigned n = 0;
	int r = ipvs_nl_service_set(s->nl, &s->svc);
	if (r < 0 || (r = ipvs_nl_dest_dump(s->nl, &s->svc, have, DIRECTOR_MAX_BACKENDS, &n)) < 0)
		return r;
	if (n > DIRECTOR_MAX_BACKENDS)
		n = DIRECTOR_MAX_BACKENDS;
	for (unsigned k = 0; k < n; k++)
		if (director_backend_find(d, &have[k].addr) < 0 &&
		    (r = ipvs_nl_dest_del(s->nl, &s->svc, &have[k])) < 0)
			return r;
	for (unsigned i = 0; i < d->n_backends; i++) {
		struct ipvs_nl_dest dest;
		int there = 0;
		fill_dest(d, i, &dest);
		for (unsigned k = 0; k < n; k++)
			there |= addr_equal(&have[k].addr, &dest.addr);
		r = there ? ipvs_nl_dest_set(s->nl, &s->svc, &dest)
			  : ipvs_nl_dest_add(s->nl, &s->svc, &dest);
		if (r < 0)
			return r;
		s->applied[i] = dest.weight;
		s->applied_addr[i] = dest.addr;
	}
	return 0;
}

/* NEW_SERVICE said EEXIST: ours from a killed run (taken over, returns 0) or
 * someone else's (-EEXIST, err says so). */
static int service_exists(struct director *d, struct ipvs_state *s, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	long pid = 0;
	addr_format(&d->cfg.listen, a, sizeof(a));
	if (!ipvs_owner_stale(d->cfg.control_path, &d->cfg.listen, &pid)) {
		snprintf(err, errlen, "%s%s", ipvs_nl_error(s->nl),
			 pid ? " (its director still runs)" : "");
		return -EEXIST;
	}
	log_warn("IPVS service TCP %s was left by director pid %ld, which is gone (killed?): "
		 "taking it over",
		 a, pid);
	int r = take_over(d, s);
	if (r < 0) {
		snprintf(err, errlen, "taking over IPVS service %s: %s", a, ipvs_nl_error(s->nl));
		return r;
	}
	return 0;
}

static int ipvs_start(struct director *d, char *err, size_t errlen)
{
	struct ipvs_state *s = calloc(1, sizeof *s);
	int r;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->dp_state = s;
	r = ipvs_nl_open(&s->nl, err, errlen);
	if (r < 0)
		goto fail;
	uint32_t version = 0, tab = 0;
	r = ipvs_nl_info(s->nl, &version, &tab);
	if (r < 0) {
		snprintf(err, errlen, "%s", ipvs_nl_error(s->nl));
		goto fail;
	}
	log_info("IPVS %u.%u.%u, connection table %u entries", (version >> 16) & 0xff,
		 (version >> 8) & 0xff, version & 0xff, tab);

	s->svc.addr = d->cfg.listen;
	s->svc.protocol = IPPROTO_TCP;
	snprintf(s->svc.sched, sizeof s->svc.sched, "%s", d->cfg.scheduler);
	r = ipvs_nl_service_add(s->nl, &s->svc);
	if (r == -EEXIST) {
		if ((r = service_exists(d, s, err, errlen)) < 0)
			goto fail;
		goto owned;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s", ipvs_nl_error(s->nl));
		goto fail;
	}
	for (unsigned i = 0; i < d->n_backends; i++) {
		struct ipvs_nl_dest dest;
		fill_dest(d, i, &dest);
		r = ipvs_nl_dest_add(s->nl, &s->svc, &dest);
		if (r < 0) {
			snprintf(err, errlen, "%s", ipvs_nl_error(s->nl));
			/* the service was ours: deleting it removes the destinations too */
			if (ipvs_nl_service_del(s->nl, &s->svc) < 0)
				log_error("cleanup: %s", ipvs_nl_error(s->nl));
			goto fail;
		}
		s->applied[i] = dest.weight;
		s->applied_addr[i] = dest.addr;
	}
owned:
	if ((r = ipvs_owner_write(d->cfg.control_path, &d->cfg.listen)) < 0)
		log_warn("cannot record this director as the IPVS service's owner (%s): a "
			 "restart after a crash will not take it over",
			 strerror(-r));
	return 0;
fail:
	state_free(d);
	return r;
}

/* Backend i was given by name and now resolves elsewhere (director set
 * --reload): its destination moves (connections to the old one are IPVS's). */
static int move_dest(struct ipvs_state *s, unsigned i, const struct ipvs_nl_dest *dest)
{
	struct ipvs_nl_dest old = *dest;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	old.addr = s->applied_addr[i];
	int r = ipvs_nl_dest_add(s->nl, &s->svc, dest);
	if (r < 0 || (r = ipvs_nl_dest_del(s->nl, &s->svc, &old)) < 0) {
		log_error("%s", ipvs_nl_error(s->nl));
		return r;
	}
	log_info("IPVS destination %s -> %s (resolved again)", addr_format(&old.addr, a, sizeof a),
		 addr_format(&dest->addr, b, sizeof b));
	s->applied_addr[i] = dest->addr;
	s->applied[i] = dest->weight;
	return 0;
}

static int ipvs_update(struct director *d)
{
	struct ipvs_state *s = d->dp_state;
	int ret = 0;
	if (!s)
		return -ENOTCONN;
	for (unsigned i = 0; i < d->n_backends; i++) {
		struct ipvs_nl_dest dest;
		fill_dest(d, i, &dest);
		if (!addr_equal(&dest.addr, &s->applied_addr[i])) {
			int r = move_dest(s, i, &dest);
			if (r < 0 && !ret)
				ret = r;
			continue;
		}
		if (dest.weight == s->applied[i])
			continue;
		int r = ipvs_nl_dest_set(s->nl, &s->svc, &dest);
		if (r < 0) {
			log_error("%s", ipvs_nl_error(s->nl));
			if (!ret)
				ret = r;
			continue;
		}
		char a[ADDR_STRLEN];
		log_info("IPVS destination %s: weight %u -> %u%s",
			 addr_format(&dest.addr, a, sizeof a), s->applied[i], dest.weight,
			 dest.weight ? "" : " (quiescent)");
		s->applied[i] = dest.weight;
		s->applied_addr[i] = dest.addr;
	}
	return ret;
}

static int ipvs_stats(struct director *d)
{
	struct ipvs_state *s = d->dp_state;
	struct ipvs_nl_dest dests[DIRECTOR_MAX_BACKENDS];
	unsigned n = 0;
	if (!s)
		return -ENOTCONN;
	int r = ipvs_nl_dest_dump(s->nl, &s->svc, dests, DIRECTOR_MAX_BACKENDS, &n);
	if (r < 0) {
		if (!s->warned_gone)
			log_warn("%s", ipvs_nl_error(s->nl));
		s->warned_gone = 1;
		return r;
	}
	s->warned_gone = 0;
	if (n > DIRECTOR_MAX_BACKENDS)
		n = DIRECTOR_MAX_BACKENDS;
	for (unsigned k = 0; k < n; k++) {
		int i = director_backend_find(d, &dests[k].addr);
		if (i < 0)
			continue; /* someone added a destination by hand: not ours to report */
		struct director_backend *b = &d->backends[i];
		b->active_connections = dests[k].active_conns;
		b->inactive_connections = dests[k].inact_conns;
		b->total_connections = dests[k].stats.conns;
		b->packets_in = dests[k].stats.inpkts;
		b->packets_out = dests[k].stats.outpkts;
		b->bytes_in = dests[k].stats.inbytes;
		b->bytes_out = dests[k].stats.outbytes;
		b->has_rates = 1;
		b->cps = dests[k].stats.cps;
		b->inpps = dests[k].stats.inpps;
		b->outpps = dests[k].stats.outpps;
		b->inbps = dests[k].stats.inbps;
		b->outbps = dests[k].stats.outbps;
	}
	return 0;
}

static void ipvs_stop(struct director *d)
{
	struct ipvs_state *s = d->dp_state;
	if (!s)
		return;
	if (ipvs_nl_service_del(s->nl, &s->svc) < 0)
		log_warn("%s", ipvs_nl_error(s->nl));
	ipvs_owner_remove(d->cfg.control_path);
	state_free(d);
}

const struct dataplane dataplane_ipvs = {
    .name = "ipvs",
    .check = ipvs_check,
    .start = ipvs_start,
    .update = ipvs_update,
    .stats = ipvs_stats,
    .stop = ipvs_stop,
};
