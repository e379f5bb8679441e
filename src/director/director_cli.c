/* director_cli.c — flags of `mqlb director run` into a struct director, and the
 * small pure helpers around it (names, backends, weights). Nothing here touches
 * the kernel: bad input is refused before any dataplane is started. */
#include "director/director.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/parse.h"
#include "common/rundir.h"
#include "common/time.h"
#include "director/dataplane_nft.h"
#include "director/peers.h"

int director_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= DIRECTOR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int director_control_default_path(const char *name, char *buf, size_t len)
{
	struct sockaddr_un un;
	char dir[sizeof(un.sun_path)];
	if (len > sizeof(un.sun_path))
		len = sizeof(un.sun_path);
	if (rundir_default(dir, sizeof(dir)) != 0)
		return -ENAMETOOLONG;
	int n = snprintf(buf, len, "%s/director-%s.sock", dir, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* One ",OPTION" of a --backend: weight=W or send-proxy-v2. 0 or -EINVAL. */
static int backend_option(const char *opt, size_t n, struct director_backend *b, char *err,
			  size_t errlen)
{
	char v[32];
	uint64_t w;
	if (n == 13 && strncmp(opt, "send-proxy-v2", 13) == 0) {
		b->send_proxy_v2 = 1;
		return 0;
	}
	if (n < 7 || strncmp(opt, "weight=", 7) != 0) {
		snprintf(err, errlen, "invalid backend option '%.*s' (weight=W or send-proxy-v2)",
			 (int)n, opt);
		return -EINVAL;
	}
	snprintf(v, sizeof(v), "%.*s", (int)(n - 7 < sizeof(v) - 1 ? n - 7 : sizeof(v) - 1),
		 opt + 7);
	if (n - 7 >= sizeof(v) || parse_u64(v, 0, DIRECTOR_WEIGHT_MAX, &w) != 0) {
		snprintf(err, errlen, "invalid weight '%s' (0-%u)", v, DIRECTOR_WEIGHT_MAX);
		return -EINVAL;
	}
	b->weight = (unsigned)w;
	return 0;
}

int director_backend_parse(const char *s, struct director_backend *b, char *err, size_t errlen)
{
	char addr[ADDR_NAME_MAX + 8], host[ADDR_NAME_MAX], why[320];
	const char *comma = strchr(s, ',');
	size_t alen = comma ? (size_t)(comma - s) : strlen(s);
	uint16_t port;
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen,
			 "invalid backend '%.*s' (want ADDR:PORT[,weight=W][,send-proxy-v2])", 200,
			 s);
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(b, 0, sizeof(*b));
	if (addr_split(addr, 0, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "invalid backend address '%s' (want HOST:PORT, port 1-65535)",
			 addr);
		return -EINVAL;
	}
	if (addr_resolve(host, port, &b->addr, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid backend address: %s", why);
		return -EINVAL;
	}
	if (!addr_is_literal(host) && strcmp(host, "localhost") != 0)
		snprintf(b->name, sizeof(b->name), "%s", host); /* re-resolved on reload */
	b->weight = 1;
	while (comma) {
		const char *opt = comma + 1, *next = strchr(opt, ',');
		size_t n = next ? (size_t)(next - opt) : strlen(opt);
		if (backend_option(opt, n, b, err, errlen) != 0)
			return -EINVAL;
		comma = next;
	}
	b->healthy = 1; /* until the health checker says otherwise */
	atomic_store(&b->effective_weight, b->weight);
	return 0;
}

void director_backend_addr(const struct director_backend *b, struct sockaddr_storage *out)
{
	unsigned s0, s1;
	do {
		s0 = atomic_load_explicit(&b->addr_seq, memory_order_acquire);
		memcpy(out, &b->addr, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		s1 = atomic_load_explicit(&b->addr_seq, memory_order_relaxed);
	} while ((s0 & 1) || s0 != s1);
}

void director_backend_set_addr(struct director_backend *b, const struct sockaddr_storage *a)
{
	atomic_fetch_add_explicit(&b->addr_seq, 1, memory_order_acq_rel);
	memcpy(&b->addr, a, sizeof(*a));
	atomic_fetch_add_explicit(&b->addr_seq, 1, memory_order_release);
}

unsigned director_resolve(struct director *d)
{
	unsigned moved = 0;
	for (unsigned i = 0; i < d->n_backends; i++) {
		struct director_backend *b = &d->backends[i];
		struct sockaddr_storage a;
		char why[320], was[ADDR_STRLEN], now[ADDR_STRLEN];
		if (!b->name[0])
			continue;
		addr_format(&b->addr, was, sizeof(was));
		if (addr_resolve(b->name, addr_port(&b->addr), &a, why, sizeof(why)) != 0) {
			log_warn("backend %s (%s): %s; keeping %s", b->name, was, why, was);
			continue;
		}
		if (addr_equal(&a, &b->addr))
			continue;
		if (director_backend_find(d, &a) >= 0) {
			log_warn("backend %s now resolves to %s, another backend's address; "
				 "keeping %s",
				 b->name, addr_format(&a, now, sizeof(now)), was);
			continue;
		}
		director_backend_set_addr(b, &a);
		log_info("backend %s: %s -> %s (resolved again)", b->name, was,
			 addr_format(&a, now, sizeof(now)));
		moved++;
	}
	return moved;
}

int director_weights_refresh(struct director *d)
{
	int usable = 0, healthy = 0, changed = 0;
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct director_backend *b = &d->backends[i];
		if (!b->drained && b->weight > 0) {
			usable = 1;
			healthy |= b->healthy;
		}
	}
	int open = usable && !healthy && !d->cfg.fail_closed;
	if (open != d->failing_open) {
		if (open)
			log_warn("every backend failed its health checks: failing open (new "
				 "connections spread over all of them by weight until one "
				 "passes; --fail-closed refuses them instead)");
		else
			log_info(
			    "a backend passed its health checks again: no longer failing open");
		d->failing_open = open;
	}
	for (unsigned i = 0; i < d->n_backends; i++) {
		struct director_backend *b = &d->backends[i];
		unsigned eff = (b->drained || (!b->healthy && !open)) ? 0 : b->weight;
		if (eff != atomic_load(&b->effective_weight)) {
			atomic_store(&b->effective_weight, eff);
			changed = 1;
		}
	}
	return changed;
}

int director_backend_find(const struct director *d, const struct sockaddr_storage *a)
{
	for (unsigned i = 0; i < d->n_backends; i++)
		if (addr_equal(&d->backends[i].addr, a))
			return (int)i;
	return -1;
}

unsigned director_wrr_sequence(const unsigned *w, unsigned n, unsigned *seq, unsigned cap)
{
	unsigned long long total = 0;
	long long cur[DIRECTOR_MAX_BACKENDS] = {0};
	for (unsigned i = 0; i < n; i++)
		total += w[i];
	if (total == 0 || total > cap || n > DIRECTOR_MAX_BACKENDS)
		return 0;
	for (unsigned k = 0; k < total; k++) {
		int best = -1;
		for (unsigned i = 0; i < n; i++) {
			if (!w[i])
				continue;
			cur[i] += w[i];
			if (best < 0 || cur[i] > cur[best])
				best = (int)i;
		}
		cur[best] -= (long long)total;
		seq[k] = (unsigned)best;
	}
	return (unsigned)total;
}

enum {
	OPT_LISTEN = 256,
	OPT_BACKEND,
	OPT_DATAPLANE,
	OPT_SCHEDULER,
	OPT_MODE,
	OPT_NAME,
	OPT_CONTROL,
	OPT_HINTERVAL,
	OPT_HTIMEOUT,
	OPT_HFALL,
	OPT_HRISE,
	OPT_FAILCLOSED,
	OPT_PEERS,
	OPT_PEERSKEY,
	OPT_MAXCONN,
	OPT_THREADS,
	OPT_VRRPSTATE,
	OPT_TLSCERT,
	OPT_TLSKEY,
	OPT_TLSCA,
	OPT_HASHCN,
	OPT_BTLS,
	OPT_BCA,
	OPT_BCERT,
	OPT_BKEY,
	OPT_SENDPROXY,
	OPT_ACCEPTPROXY,
	OPT_MAXPENDING,
	OPT_PERSOURCE,
	OPT_RATESOURCE,
	OPT_IDLE,
	OPT_FINTIMEOUT,
	OPT_STALL,
	OPT_DRAINTIME,
	OPT_SERVERREF,
	OPT_SNAT,
};

struct director_edge director_edge;

/* The flag name and the slot of an edge file option. */
static const char **edge_slot(int opt, const char **name)
{
	struct director_edge *e = &director_edge;
	switch (opt) {
	case OPT_TLSCERT:
		*name = "tls-cert";
		return &e->tls_cert;
	case OPT_TLSKEY:
		*name = "tls-key";
		return &e->tls_key;
	case OPT_TLSCA:
		*name = "tls-ca";
		return &e->tls_ca;
	case OPT_BCERT:
		*name = "backend-cert";
		return &e->backend_cert;
	case OPT_BKEY:
		*name = "backend-key";
		return &e->backend_key;
	default:
		*name = "backend-ca";
		return &e->backend_ca;
	}
}

/* Takes a limit or timeout of the edge. Returns 0, or -1 with err set. */
static int edge_limit(int opt, const char *arg, char *err, size_t errlen)
{
	struct director_edge *e = &director_edge;
	uint64_t v;
	char num[32];
	const char *slash = strchr(arg, '/');
	switch (opt) {
	case OPT_MAXPENDING:
	case OPT_PERSOURCE:
		if (parse_u64(arg, 1, 10000000, &v) != 0)
			break;
		*(opt == OPT_MAXPENDING ? &e->max_pending : &e->max_per_source) = (unsigned)v;
		return 0;
	case OPT_RATESOURCE: /* N or N/s */
		if (strlen(arg) >= sizeof(num) || (slash && strcmp(slash, "/s") != 0))
			break;
		snprintf(num, sizeof(num), "%.*s", (int)(slash ? slash - arg : (long)strlen(arg)),
			 arg);
		if (parse_u64(num, 1, 1000000, &v) != 0)
			break;
		e->rate_per_source = (unsigned)v;
		return 0;
	case OPT_STALL: /* 0 = never */
		if (parse_duration_ns(arg, NS_PER_S, &v) != 0 || (v && v < 100 * NS_PER_MS) ||
		    v > 86400 * NS_PER_S)
			break;
		e->stall_ns = v;
		e->stall_set = 1;
		return 0;
	case OPT_DRAINTIME: /* 0 = close at once, as without it */
		if (parse_duration_ns(arg, NS_PER_S, &v) != 0 || v > 3600 * NS_PER_S)
			break;
		e->drain_ns = v;
		return 0;
	default: /* durations: 1s-1d */
		if (parse_duration_ns(arg, NS_PER_S, &v) != 0 || v < NS_PER_S ||
		    v > 86400 * NS_PER_S)
			break;
		*(opt == OPT_IDLE ? &e->idle_ns : &e->fin_ns) = v;
		return 0;
	}
	snprintf(err, errlen, "invalid --%s '%s' (%s)",
		 opt == OPT_MAXPENDING	 ? "max-pending"
		 : opt == OPT_PERSOURCE	 ? "max-conns-per-source"
		 : opt == OPT_RATESOURCE ? "connect-rate-per-source"
		 : opt == OPT_IDLE	 ? "idle-timeout"
		 : opt == OPT_DRAINTIME	 ? "drain-time"
		 : opt == OPT_STALL	 ? "stall-timeout"
					 : "client-fin-timeout",
		 arg,
		 opt == OPT_RATESOURCE				 ? "N or N/s, 1-1000000"
		 : opt == OPT_MAXPENDING || opt == OPT_PERSOURCE ? "1-10000000"
		 : opt == OPT_DRAINTIME				 ? "a duration, 0-1h"
		 : opt == OPT_STALL ? "0 (never) or a duration, 100ms-1d"
				    : "a duration, 1s-1d");
	return -1;
}

/* The edge flags make sense together and with the rest (proxy only). Returns
 * 0, or -1 with one line in err. */
static int edge_check(const struct director_config *cfg, const char *dp_name, char *err,
		      size_t errlen)
{
	const struct director_edge *e = &director_edge;
	int any = e->tls_cert || e->tls_key || e->tls_ca || e->hash_cn || e->backend_tls ||
		  e->backend_ca || e->backend_cert || e->backend_key || e->send_proxy_v2 ||
		  e->accept_proxy || e->max_pending || e->max_per_source || e->rate_per_source ||
		  e->idle_ns || e->fin_ns || e->drain_ns || e->server_ref || e->stall_set;
	if (any && strcmp(dp_name, "proxy") != 0)
		snprintf(err, errlen,
			 "TLS, PROXY protocol, limit and timeout flags need --dataplane proxy "
			 "(nft and ipvs pass TLS through untouched)");
	else if (!e->tls_cert != !e->tls_key)
		snprintf(err, errlen, "--tls-cert and --tls-key go together");
	else if (e->tls_ca && !e->tls_cert)
		snprintf(err, errlen, "--tls-ca needs --tls-cert and --tls-key");
	else if (e->hash_cn && (!e->tls_ca || strcmp(cfg->scheduler, "clientid") != 0))
		snprintf(err, errlen,
			 "--hash-cn needs --scheduler clientid and --tls-ca "
			 "(a verified client certificate)");
	else if (e->server_ref && !e->drain_ns)
		snprintf(err, errlen, "--server-reference goes with --drain-time");
	else if ((e->backend_ca || e->backend_cert || e->backend_key) && !e->backend_tls)
		snprintf(err, errlen, "--backend-ca/-cert/-key need --backend-tls");
	else if (!e->backend_cert != !e->backend_key)
		snprintf(err, errlen, "--backend-cert and --backend-key go together");
	else if (e->backend_tls && cfg->health_interval_ns)
		snprintf(err, errlen,
			 "--backend-tls: the health checks speak plain MQTT; add "
			 "--health-interval 0");
	else
		return 0;
	return -1;
}

/* --peers / --peers-key (peers.h: a key, unless everything is loopback).
 * Returns 0, or CLI_USAGE after one line. */
static int peers_flags_check(const struct director_config *cfg)
{
	char err[320];
	if (cfg->peers_key && !cfg->peers)
		return cli_usage_error("director run", "--peers-key needs --peers");
	if (cfg->peers &&
	    peers_config_check(cfg->peers, cfg->peers_key, &cfg->listen, err, sizeof(err)) != 0)
		return cli_usage_error("director run", "%s", err);
	return 0;
}

/* What director run's flags fill (opt.h take() context). */
struct run_args {
	struct director *d;
	const char *dp_name;
	int have_listen, have_mode, have_timeout;
};

/* The addresses and the controller's flags. 0 or CLI_USAGE. */
static int run_take_core(struct run_args *r, const char *cmd, int opt, const char *arg)
{
	struct director *d = r->d;
	struct director_config *cfg = &d->cfg;
	char err[400];
	switch (opt) {
	case OPT_LISTEN:
		if (addr_parse_err(arg, 0, &cfg->listen, err, sizeof(err)) != 0)
			return cli_usage_error(cmd, "invalid --listen: %s (want VIP:PORT)", err);
		r->have_listen = 1;
		return 0;
	case OPT_BACKEND: {
		struct director_backend b;
		if (d->n_backends >= DIRECTOR_MAX_BACKENDS)
			return cli_usage_error(cmd, "too many --backend (max %d)",
					       DIRECTOR_MAX_BACKENDS);
		if (director_backend_parse(arg, &b, err, sizeof(err)) != 0)
			return cli_usage_error(cmd, "--backend: %s", err);
		if (director_backend_find(d, &b.addr) >= 0)
			return cli_usage_error(cmd, "duplicate --backend '%s'", arg);
		d->backends[d->n_backends++] = b;
		return 0;
	}
	case OPT_DATAPLANE:
		r->dp_name = arg;
		return 0;
	case OPT_SCHEDULER:
		if (strlen(arg) == 0 || strlen(arg) >= sizeof(cfg->scheduler))
			return cli_usage_error(cmd, "invalid --scheduler '%s'", arg);
		snprintf(cfg->scheduler, sizeof(cfg->scheduler), "%s", arg);
		return 0;
	case OPT_MODE:
		if (strcmp(arg, "local") == 0)
			cfg->mode = DIRECTOR_MODE_LOCAL;
		else if (strcmp(arg, "nat") == 0)
			cfg->mode = DIRECTOR_MODE_NAT;
		else if (strcmp(arg, "dr") == 0)
			cfg->mode = DIRECTOR_MODE_DR;
		else
			return cli_usage_error(cmd, "invalid --mode '%s' (local, nat, dr)", arg);
		r->have_mode = 1;
		return 0;
	case OPT_NAME:
		if (!director_name_valid(arg))
			return cli_usage_error(
			    cmd, "invalid --name '%s' (1-%d chars of A-Z a-z 0-9 _ -)", arg,
			    DIRECTOR_NAME_MAX - 1);
		snprintf(cfg->name, sizeof(cfg->name), "%s", arg);
		return 0;
	case OPT_CONTROL: {
		struct sockaddr_un un;
		if (strlen(arg) == 0 || strlen(arg) >= sizeof(un.sun_path))
			return cli_usage_error(cmd, "invalid --control '%s' (1-%zu chars)", arg,
					       sizeof(un.sun_path) - 1);
		cfg->control_path = arg;
		return 0;
	}
	}
	return -1; /* not one of these */
}

/* Health checks, the proxy's sizing, HA. 0, CLI_USAGE, or -1: not one of these. */
static int run_take_health(struct run_args *r, const char *cmd, int opt, const char *arg)
{
	struct director_config *cfg = &r->d->cfg;
	uint64_t v;
	switch (opt) {
	case OPT_HINTERVAL:
		if (parse_duration_ns(arg, NS_PER_S, &v) != 0 || v > 3600 * NS_PER_S ||
		    (v != 0 && v < 10 * NS_PER_MS))
			return cli_usage_error(
			    cmd, "invalid --health-interval '%s' (0 = off, or 10ms-1h)", arg);
		cfg->health_interval_ns = v;
		return 0;
	case OPT_HTIMEOUT:
		if (parse_duration_ns(arg, NS_PER_S, &v) != 0 || v < NS_PER_MS || v > 60 * NS_PER_S)
			return cli_usage_error(cmd, "invalid --health-timeout '%s' (1ms-60s)", arg);
		cfg->health_timeout_ns = v;
		r->have_timeout = 1;
		return 0;
	case OPT_HFALL:
	case OPT_HRISE:
		if (parse_u64(arg, 1, 100, &v) != 0)
			return cli_usage_error(cmd, "invalid --health-%s '%s' (1-100)",
					       opt == OPT_HFALL ? "fall" : "rise", arg);
		*(opt == OPT_HFALL ? &cfg->health_fall : &cfg->health_rise) = (unsigned)v;
		return 0;
	case OPT_FAILCLOSED:
		cfg->fail_closed = 1;
		return 0;
	case OPT_PEERS:
		cfg->peers = arg;
		return 0;
	case OPT_PEERSKEY:
		cfg->peers_key = arg;
		return 0;
	case OPT_MAXCONN:
		if (parse_u64(arg, 1, 10000000, &v) != 0)
			return cli_usage_error(cmd, "invalid --max-connections '%s'", arg);
		cfg->max_connections = (unsigned)v;
		return 0;
	case OPT_THREADS:
		if (parse_u64(arg, 1, 256, &v) != 0)
			return cli_usage_error(cmd, "invalid --threads '%s' (1-256)", arg);
		cfg->threads = (unsigned)v;
		return 0;
	case OPT_VRRPSTATE:
		if (strlen(arg) == 0 || strlen(arg) > 4000)
			return cli_usage_error(cmd, "invalid --vrrp-state '%s' (a file path)", arg);
		cfg->vrrp_state_file = arg;
		return 0;
	}
	return -1;
}

/* The edge flags (TLS, PROXY protocol, limits, drain) and --snat. 0 or CLI_USAGE. */
static int run_take_edge(const char *cmd, int opt, const char *arg)
{
	char err[400];
	switch (opt) {
	case OPT_TLSCERT:
	case OPT_TLSKEY:
	case OPT_TLSCA:
	case OPT_BCA:
	case OPT_BCERT:
	case OPT_BKEY: {
		const char *flag, **slot = edge_slot(opt, &flag);
		if (access(arg, R_OK) != 0) /* now: not in a log after the start */
			return cli_usage_error(cmd, "cannot read --%s '%s': %s", flag, arg,
					       strerror(errno));
		*slot = arg;
		return 0;
	}
	case OPT_HASHCN:
		director_edge.hash_cn = 1;
		return 0;
	case OPT_BTLS:
		director_edge.backend_tls = 1;
		return 0;
	case OPT_SENDPROXY:
		director_edge.send_proxy_v2 = 1;
		return 0;
	case OPT_ACCEPTPROXY:
		director_edge.accept_proxy = 1;
		return 0;
	case OPT_SERVERREF:
		/* 1024: proxy.h PROXY_SERVER_REF_MAX (a UTF-8 string, 5.0 §3.14.2.2.5) */
		if (strlen(arg) == 0 || strlen(arg) > 1024 || strchr(arg, ' '))
			return cli_usage_error(
			    cmd, "invalid --server-reference '%s' (1-1024 bytes, no spaces)", arg);
		director_edge.server_ref = arg;
		return 0;
	case OPT_SNAT:
		if (director_nft_set_snat(arg, err, sizeof(err)) != 0)
			return cli_usage_error(cmd, "%s", err);
		return 0;
	default: /* OPT_MAXPENDING ... OPT_DRAINTIME */
		if (edge_limit(opt, arg, err, sizeof(err)) != 0)
			return cli_usage_error(cmd, "%s", err);
		return 0;
	}
}

/* One flag of director run (opt is its OPT_ id). 0 or CLI_USAGE. */
static int run_take(void *ctx, const char *cmd, int opt, const char *arg)
{
	int rc = run_take_core(ctx, cmd, opt, arg);
	if (rc < 0)
		rc = run_take_health(ctx, cmd, opt, arg);
	return rc < 0 ? run_take_edge(cmd, opt, arg) : rc;
}

/* One opt.h entry per flag: a take() that passes its OPT_ id on. */
#define RUN_OPT(var, id, name, arg, help)                                                          \
	static int take_##var(void *ctx, const char *cmd, const char *v)                           \
	{                                                                                          \
		return run_take(ctx, cmd, id, v);                                                  \
	}                                                                                          \
	static const struct opt var = {name, arg, help, take_##var};

RUN_OPT(o_listen, OPT_LISTEN, "listen", "VIP:PORT",
	"the address clients connect to (IP or host name,\nresolved once at start)")
RUN_OPT(o_backend, OPT_BACKEND, "backend", "ADDR:PORT[,OPT]",
	"a broker (IP or host name: resolved again on\nSIGHUP and `director set --reload`); "
	"repeat (max\n64); OPT: weight=W (0-65535, default 1) and/or\nsend-proxy-v2 (a PROXY v2 "
	"header to this one; proxy;\nits health probes start with a v2 LOCAL header)")
RUN_OPT(o_dataplane, OPT_DATAPLANE, "dataplane", "NAME",
	"nft (default), ipvs, proxy (those built in: below)")
RUN_OPT(o_scheduler, OPT_SCHEDULER, "scheduler", "NAME",
	"nft: rr (default), wrr, random, sh; ipvs: any kernel\nscheduler; proxy: its own list")
RUN_OPT(o_mode, OPT_MODE, "mode", "MODE",
	"local: clients on this host (nft output hook);\nnat: clients from elsewhere (DNAT + "
	"masquerade);\ndr: IPVS direct routing. Default: local for a\nloopback VIP, else nat")
RUN_OPT(o_name, OPT_NAME, "name", "NAME",
	"instance name (default '" DIRECTOR_DEFAULT_NAME
	"'): nft table mqlb-NAME,\ncontrol socket; "
	"[A-Za-z0-9_-], at most 31 chars")
RUN_OPT(o_control, OPT_CONTROL, "control", "PATH",
	"control socket (default /run/mqlb/director-NAME.sock\nas root, else "
	"$XDG_RUNTIME_DIR/mqlb/...)")
RUN_OPT(o_hint, OPT_HINTERVAL, "health-interval", "D",
	"between probe rounds (default 1s; 0 = no checks)")
RUN_OPT(o_htimeout, OPT_HTIMEOUT, "health-timeout", "D",
	"CONNECT -> CONNACK deadline (default 500ms)")
RUN_OPT(o_hfall, OPT_HFALL, "health-fall", "N", "failures before weight 0 (default 2)")
RUN_OPT(o_hrise, OPT_HRISE, "health-rise", "N", "successes before it comes back (default 2)")
RUN_OPT(o_failclosed, OPT_FAILCLOSED, "fail-closed", NULL,
	"when every backend fails its checks, refuse new\nconnections (default: fail open, keep "
	"them all in)")
RUN_OPT(o_snat, OPT_SNAT, "snat", "ADDR",
	"nft --mode nat: SNAT to ADDR instead of masquerade\n(a back VIP an HA pair shares, for "
	"conntrackd)")
RUN_OPT(
    o_vrrp, OPT_VRRPSTATE, "vrrp-state", "FILE",
    "keepalived's state file (director ha render\n--state-file): status shows vrrp_state from it")
RUN_OPT(o_peers, OPT_PEERS, "peers", "ADDR,...",
	"proxy: the other directors (UDP), sharing their\nactive connection counts")
RUN_OPT(o_peerskey, OPT_PEERSKEY, "peers-key", "FILE",
	"HMAC-SHA256 key of the --peers datagrams (the same\nfile, mode 0600, on every director); "
	"required\nunless --listen and every peer are loopback")
RUN_OPT(o_maxconn, OPT_MAXCONN, "max-connections", "N", "proxy: open connections at most")
RUN_OPT(o_threads, OPT_THREADS, "threads", "N", "proxy: worker threads (default: one per core)")
RUN_OPT(o_tlscert, OPT_TLSCERT, "tls-cert", "FILE",
	"proxy: terminate TLS 1.2/1.3 with this PEM chain;")
RUN_OPT(o_tlskey, OPT_TLSKEY, "tls-key", "FILE", "... and its key (both re-read when they change)")
RUN_OPT(o_tlsca, OPT_TLSCA, "tls-ca", "FILE", "proxy: require client certificates signed by it")
RUN_OPT(o_hashcn, OPT_HASHCN, "hash-cn", NULL,
	"proxy, --scheduler clientid: hash the client\ncertificate's CN instead of the ClientID")
RUN_OPT(o_btls, OPT_BTLS, "backend-tls", NULL,
	"proxy: TLS to the brokers (needs --health-interval 0:\nhealth probes are plain MQTT)")
RUN_OPT(o_bca, OPT_BCA, "backend-ca", "FILE", "verify the brokers' certificates (IP SAN) with it")
RUN_OPT(o_bcert, OPT_BCERT, "backend-cert", "FILE",
	"a client certificate for brokers that require one")
RUN_OPT(o_bkey, OPT_BKEY, "backend-key", "FILE", "... and its key")
RUN_OPT(o_sendproxy, OPT_SENDPROXY, "send-proxy-v2", NULL,
	"proxy: a PROXY protocol v2 header to every backend\n(the broker must accept it: not "
	"mosquitto 2.0;\nhealth probes start with a v2 LOCAL header)")
RUN_OPT(o_acceptproxy, OPT_ACCEPTPROXY, "accept-proxy", NULL,
	"proxy: every client starts with a PROXY v2 header\n(a balancer in front); "
	"missing/malformed: refused")
RUN_OPT(o_maxpending, OPT_MAXPENDING, "max-pending", "N",
	"proxy: at most N connections without a complete\nCONNECT; a new one closes the oldest "
	"(default: off)")
RUN_OPT(o_persource, OPT_PERSOURCE, "max-conns-per-source", "N",
	"proxy: open connections per client address")
RUN_OPT(o_ratesource, OPT_RATESOURCE, "connect-rate-per-source", "N/s",
	"proxy: new connections per address and second\n(a burst of N allowed)")
RUN_OPT(o_idle, OPT_IDLE, "idle-timeout", "D",
	"proxy: close a tunnel whose CONNECT had keepalive 0\nafter D without client bytes (1.5 x "
	"keepalive\notherwise, always on); default: never")
RUN_OPT(o_fin, OPT_FINTIMEOUT, "client-fin-timeout", "D",
	"proxy: close a half-closed tunnel after D (default:\nnever)")
RUN_OPT(o_stall, OPT_STALL, "stall-timeout", "D",
	"proxy: reset a tunnel when one side has read nothing\nfor D (its send queue stayed full); "
	"default 60s,\n0 = never")
RUN_OPT(o_draintime, OPT_DRAINTIME, "drain-time", "D",
	"proxy: on SIGTERM (or director set --drain) stop\naccepting, then close the connections "
	"spread over D\n(MQTT 5: DISCONNECT 0x9C first); default 0: all at once")
RUN_OPT(o_serverref, OPT_SERVERREF, "server-reference", "S",
	"proxy: the Server Reference in that DISCONNECT")

static const struct opt *const run_opts[] = {
    &o_listen,	   &o_backend, &o_dataplane, &o_scheduler,   &o_mode,	    &o_name,
    &o_control,	   &o_hint,    &o_htimeout,  &o_hfall,	     &o_hrise,	    &o_failclosed,
    &o_snat,	   &o_vrrp,    &o_peers,     &o_peerskey,    &o_maxconn,    &o_threads,
    &o_tlscert,	   &o_tlskey,  &o_tlsca,     &o_hashcn,	     &o_btls,	    &o_bca,
    &o_bcert,	   &o_bkey,    &o_sendproxy, &o_acceptproxy, &o_maxpending, &o_persource,
    &o_ratesource, &o_idle,    &o_fin,	     &o_stall,	     &o_draintime,  &o_serverref,
    NULL,
};
static const struct opt_cmd run_cmd = {
    "director run",
    "--listen VIP:PORT --backend ADDR:PORT[,weight=W] ...\n"
    "                         [--dataplane nft|ipvs|proxy] [--scheduler NAME]\n"
    "                         [--mode local|nat|dr] [--name NAME] [--control PATH]\n"
    "                         [--health-interval 1s] [--health-timeout 500ms]\n"
    "                         [--health-fall 2] [--health-rise 2] [--fail-closed]\n"
    "                         [--peers ADDR,... [--peers-key FILE]]\n"
    "                         [--max-connections N] [--threads N]\n"
    "                         [--vrrp-state FILE] [--snat ADDR]\n"
    "                         [--tls-cert FILE --tls-key FILE [--tls-ca FILE]\n"
    "                          [--hash-cn]] [--backend-tls [--backend-ca FILE]\n"
    "                          [--backend-cert FILE --backend-key FILE]]\n"
    "                         [--send-proxy-v2] [--accept-proxy]\n"
    "                         [--max-pending N] [--max-conns-per-source N]\n"
    "                         [--connect-rate-per-source N/s] [--idle-timeout D]\n"
    "                         [--client-fin-timeout D] [--stall-timeout D]\n"
    "                         [--drain-time D [--server-reference HOST:PORT]]",
    "\nPrograms the dataplane, then stays in the foreground as its controller:\n"
    "MQTT health checks (CONNECT -> CONNACK), weights, drain, stats, and a control\n"
    "socket for `mqlb director status` and `mqlb director set`. SIGINT/SIGTERM\n"
    "removes exactly this instance's rules and exits 0.",
    run_opts,
    0,
    NULL,
    NULL,
    NULL,
};

/* After the flags: what they mean together. 0 or CLI_USAGE. */
static int run_finish(struct run_args *r, const struct dataplane **dp, char *path_buf, size_t len)
{
	const char *cmd = "director run", *dp_name = r->dp_name;
	struct director *d = r->d;
	struct director_config *cfg = &d->cfg;
	char err[400];
	if (!r->have_listen)
		return cli_usage_error(cmd, "--listen VIP:PORT is required");
	if (d->n_backends == 0)
		return cli_usage_error(cmd, "at least one --backend ADDR:PORT is required");
	for (unsigned i = 0; i < d->n_backends; i++) {
		if (d->backends[i].addr.ss_family != cfg->listen.ss_family)
			return cli_usage_error(
			    cmd, "backend %u and --listen are of different address families",
			    i + 1);
		if (addr_equal(&d->backends[i].addr, &cfg->listen))
			return cli_usage_error(cmd, "a backend cannot be the --listen address");
	}
	if (!r->have_mode)
		cfg->mode =
		    addr_is_loopback(&cfg->listen) ? DIRECTOR_MODE_LOCAL : DIRECTOR_MODE_NAT;
	if (cfg->health_interval_ns) {
		if (!r->have_timeout && cfg->health_timeout_ns > cfg->health_interval_ns)
			cfg->health_timeout_ns = cfg->health_interval_ns;
		if (cfg->health_timeout_ns > cfg->health_interval_ns)
			return cli_usage_error(cmd, "--health-timeout must not exceed "
						    "--health-interval");
	}
	if (peers_flags_check(cfg) != 0)
		return CLI_USAGE;
	*dp = director_dataplane_find(dp_name);
	if (!*dp) {
		if (strcmp(dp_name, "nft") == 0 || strcmp(dp_name, "ipvs") == 0 ||
		    strcmp(dp_name, "proxy") == 0)
			return cli_usage_error(
			    cmd, "--dataplane %s is not built into this mqlb yet", dp_name);
		return cli_usage_error(cmd, "invalid --dataplane '%s' (nft, ipvs, proxy)", dp_name);
	}
	if (edge_check(cfg, dp_name, err, sizeof(err)) != 0)
		return cli_usage_error(cmd, "%s", err);
	if (!director_edge.stall_set)
		director_edge.stall_ns = DIRECTOR_STALL_DEFAULT_NS;
	for (unsigned i = 0; i < d->n_backends; i++) {
		if (!d->backends[i].send_proxy_v2)
			continue;
		if (strcmp(dp_name, "proxy") != 0)
			return cli_usage_error(cmd, "--backend ...,send-proxy-v2 needs --dataplane "
						    "proxy");
	}
	if (director_nft_has_snat() && (strcmp(dp_name, "nft") || cfg->mode != DIRECTOR_MODE_NAT))
		return cli_usage_error(cmd, "--snat needs --dataplane nft --mode nat");
	if (!cfg->control_path) {
		if (director_control_default_path(cfg->name, path_buf, len) != 0)
			return cli_usage_error(cmd, "control socket path too long; use --control");
		cfg->control_path = path_buf;
	}
	return 0;
}

int director_run_parse(int argc, char **argv, struct director *d, const struct dataplane **dp,
		       char *path_buf, size_t len)
{
	struct run_args r = {.d = d, .dp_name = "nft"};
	struct director_config *cfg = &d->cfg;
	unsigned nargs;
	snprintf(cfg->name, sizeof(cfg->name), "%s", DIRECTOR_DEFAULT_NAME);
	snprintf(cfg->scheduler, sizeof(cfg->scheduler), "rr");
	cfg->health_interval_ns = NS_PER_S;
	cfg->health_timeout_ns = 500 * NS_PER_MS;
	cfg->health_fall = 2;
	cfg->health_rise = 2;
	cfg->threads = 0; /* proxy: 0 = one worker per core (dataplane_proxy.c) */
	memset(&director_edge, 0, sizeof(director_edge));
	director_nft_set_snat(NULL, NULL, 0);
	static char built[128]; /* --help names the dataplanes of this binary */
	struct opt_cmd c = run_cmd;
	size_t n = (size_t)snprintf(built, sizeof(built), "Dataplanes built in:");
	for (const struct dataplane *const *p = director_dataplanes; *p && n < sizeof(built); p++)
		n += (size_t)snprintf(built + n, sizeof(built) - n, " %s", (*p)->name);
	if (n < sizeof(built) - 1)
		strcat(built, "\n");
	c.about = built;
	int rc = opt_parse(&c, &c, 1, &r, argc, argv, NULL, &nargs);
	if (rc == OPT_HELP_SHOWN)
		return 1;
	if (rc != 0)
		return rc;
	return run_finish(&r, dp, path_buf, len);
}
