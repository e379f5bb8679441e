/* dataplane.h — the contract between the director's controller (director.c:
 * flags, backends, health checks, weights, control socket, status) and the
 * dataplanes that move the packets: nftables, IPVS, the user-space proxy.
 *
 * The controller owns struct director and everything in it. A dataplane reads
 * the configuration and the backends' effective weights, programs its kernel
 * objects (or starts its proxy threads), and fills in the per-backend counters
 * when asked. It never decides health or weights itself.
 *
 * Threading: every op is called from the controller thread only. The proxy's
 * worker threads read backend weights through the atomics below.
 */
#ifndef MQLB_DIRECTOR_DATAPLANE_H
#define MQLB_DIRECTOR_DATAPLANE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/addr.h"

#define DIRECTOR_MAX_BACKENDS 64
#define DIRECTOR_NAME_MAX     32 /* nft table "mqlb-<name>" must stay short */

enum director_mode {
	DIRECTOR_MODE_LOCAL = 0, /* clients on this host (nft output hook, loopback) */
	DIRECTOR_MODE_NAT,	 /* clients from other hosts/namespaces: DNAT + masquerade */
	DIRECTOR_MODE_DR,	 /* IPVS direct routing */
	DIRECTOR_MODE_COUNT
};

struct director_backend {
	struct sockaddr_storage addr;
	/* The host name it was given as ("" for a literal): resolved at parse
	 * time, again on SIGHUP / `director set --reload` (director_resolve). */
	char name[ADDR_NAME_MAX];
	/* Seqlock of addr: odd while the controller rewrites it after a reload,
	 * so a proxy worker never dials a half-written address. */
	atomic_uint addr_seq;
	int send_proxy_v2;	      /* --backend ADDR,send-proxy-v2: a PROXY v2 header to it */
	unsigned weight;	      /* configured (director set --weight) */
	atomic_uint effective_weight; /* what the dataplane uses (director_weights_refresh) */
	int healthy;		      /* last verdict of the health checker */
	int drained;		      /* director set --drain */
	unsigned health_fails, health_oks; /* consecutive, for fall/rise */

	/* Counters, refreshed by dataplane->stats(). */
	uint64_t active_connections;
	uint64_t inactive_connections;
	uint64_t total_connections;
	uint64_t packets_in, packets_out;
	uint64_t bytes_in, bytes_out;
	/* Proxy-only: connections currently open to this backend, updated by workers. */
	atomic_uint_fast64_t proxy_active;
	/* Rates per second from the kernel's estimator (IPVS only, refreshed every
	 * 2 s on 6.1), set by stats(); has_rates = 0 for dataplanes without them.
	 * inbps/outbps are BYTES per second, as IPVS names them. */
	int has_rates;
	uint64_t cps, inpps, outpps, inbps, outbps;
};

struct director_config {
	char name[DIRECTOR_NAME_MAX];	/* instance name: nft table mqlb-<name>, control socket */
	struct sockaddr_storage listen; /* the VIP:PORT clients connect to */
	enum director_mode mode;
	char scheduler[16];	  /* "rr", "wrr", "lc", "sh", "clientid", ... */
	const char *control_path; /* unix socket for status/set; borrowed from argv or static */
	uint64_t health_interval_ns;
	uint64_t health_timeout_ns;
	unsigned health_fall, health_rise;
	int fail_closed; /* --fail-closed: every backend down = refuse new connections */
	const char
	    *vrrp_state_file; /* --vrrp-state: keepalived's notify hook writes it; borrowed */
	/* Proxy options (ignored by kernel dataplanes). */
	const char *peers;     /* "ADDR,..." for --peers; borrowed */
	const char *peers_key; /* --peers-key FILE (peers.h); borrowed; NULL = none */
	unsigned max_connections;
	unsigned threads;
};

struct dataplane;
struct json;

struct director_control_stats; /* director.h */
struct event_loop;	       /* event/event.h */

struct director {
	struct director_config cfg;
	struct director_backend backends[DIRECTOR_MAX_BACKENDS];
	unsigned n_backends;
	int failing_open; /* every usable backend failed its checks: all kept in */
	const struct dataplane *dp;
	void *dp_state; /* owned by the dataplane: allocated in start, freed in stop */
	/* The control server's counters (refusals of requests by reason), set
	 * while it serves; NULL before. Read under the controller's lock. */
	const struct director_control_stats *ctl_stats;
	/* The controller's event loop (src/event), made before start and freed
	 * after stop: a dataplane may put its own fds and timers on it (the
	 * proxy's --peers exchange); callbacks run on the controller thread,
	 * without the controller's lock. NULL outside `director run`. */
	struct event_loop *el;
};

struct dataplane {
	const char *name; /* "nft", "ipvs", "proxy" */
	/* Validates cfg (scheduler, mode, address family) before anything is touched.
	 * Returns 0, or -EINVAL / -EOPNOTSUPP / -EPERM with a one-line reason in err
	 * that tells the user what to use instead. */
	int (*check)(const struct director *d, char *err, size_t errlen);
	/* Programs the kernel (or starts listeners). Returns 0 or -errno with err set;
	 * on failure nothing of this instance is left behind. */
	int (*start)(struct director *d, char *err, size_t errlen);
	/* Effective weights changed (health, drain, set --weight): apply them. */
	int (*update)(struct director *d);
	/* Refreshes the counters in d->backends. */
	int (*stats)(struct director *d);
	/* Removes exactly what start created; safe to call after a failed start. */
	void (*stop)(struct director *d);
	/* Optional (NULL = none): extra keys of this dataplane for the status JSON
	 * (the proxy: refusals by reason, peers). Added by the proxy engineer. */
	void (*status_json)(const struct director *d, struct json *j);
	/* Optional (NULL = cannot): starts a graceful drain of the whole director
	 * (`director set --drain`, SIGTERM with --drain-time) and returns at once:
	 * no new connections, the open ones closed spread over the drain time while
	 * the controller goes on serving status. Returns 0, -EALREADY, or
	 * -EOPNOTSUPP (nothing to drain with: no --drain-time). */
	int (*drain_start)(struct director *d);
	/* Optional: 1 once the drain drain_start began is over, else 0. */
	int (*drain_finished)(const struct director *d);
};

extern const struct dataplane dataplane_nft;
extern const struct dataplane dataplane_ipvs;
extern const struct dataplane dataplane_proxy;

#endif
