/* dataplane_proxy.c — `--dataplane proxy`: the MQTT-aware user-space proxy.
 * This file is the contract side (dataplane.h ops: check, start, update,
 * stats, stop) and the worker threads; a connection's life is proxy_conn.c,
 * the CONNECT judgement proxy_hello.c, the peer exchange peers.c. */
#include "director/proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "director/director.h"
#include "director/peers.h"

#define LISTEN_BACKLOG 4096
#define FDS_RESERVED   64 /* kept for the controller, health checks, logs */

uint64_t proxy_active_global(struct proxy *px, unsigned i)
{
	uint64_t n = atomic_load_explicit(&px->d->backends[i].proxy_active, memory_order_relaxed);
	return px->peers ? n + peers_active(px->peers, i) : n;
}

static int proxy_check(const struct director *d, char *err, size_t errlen)
{
	enum sched_kind k;
	if (sched_kind_parse(d->cfg.scheduler, &k) != 0) {
		snprintf(err, errlen, "invalid --scheduler '%s' for the proxy (%s)",
			 d->cfg.scheduler, sched_kind_list());
		return -EINVAL;
	}
	if (d->cfg.mode == DIRECTOR_MODE_DR) {
		snprintf(err, errlen,
			 "--mode dr is IPVS direct routing; the proxy terminates TCP "
			 "(use --mode local or nat, or --dataplane ipvs)");
		return -EINVAL;
	}
	if (d->cfg.peers && peers_parse(d->cfg.peers, NULL, PEERS_MAX, err, errlen) < 0)
		return -EINVAL;
	if (d->n_backends > SCHED_MAX_BACKENDS) {
		snprintf(err, errlen, "too many backends for the proxy (max %d)",
			 SCHED_MAX_BACKENDS);
		return -EINVAL;
	}
	return 0;
}

/* Raises the fd limit to its hard maximum; returns the resulting soft limit. */
static unsigned raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > 1u << 30 ? 1u << 30 : (unsigned)rl.rlim_cur;
}

static int make_listener(const struct sockaddr_storage *a, int reuseport, int freebind)
{
	int fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd == -1)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* SOL_IP works on IPv6 sockets too. */
	if (freebind)
		setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)a, addr_len(a)) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void *worker_main(void *arg)
{
	struct proxy_thread *t = arg;
	int rc = event_loop_run(t->el);
	if (rc < 0)
		log_error("proxy thread %u: event loop: %s", t->id, strerror(-rc));
	return NULL;
}

static uint64_t sum(struct proxy *px, size_t off, unsigned i);

/* Tells the threads to drain (once): they close their listeners and their
 * connections spread over span ns (0: nothing to drain with), then stop their
 * loops. */
static int drain_begin(struct proxy *px, uint64_t span)
{
	unsigned started = 0;
	for (unsigned k = 0; px->threads && k < px->n_threads; k++)
		started += px->threads[k].started != 0;
	if (px->drain_began)
		return -EALREADY;
	if (!span || !started)
		return -EOPNOTSUPP;
	px->drain_began = time_mono_ns();
	px->drain_span = span; /* published to the workers by the store below */
	px->drain_open = (unsigned)atomic_load(&px->open);
	px->drain_threads = started;
	log_info("proxy: draining %u connections over %.1f s (no new ones)%s", px->drain_open,
		 (double)span / 1e9, px->drain_ns ? "" : " (set --drain without --drain-time)");
	atomic_store(&px->drain, 1);
	for (unsigned k = 0; k < px->n_threads; k++)
		if (px->threads[k].started)
			event_loop_wake(px->threads[k].el);
	return 0;
}

/* `director set --drain`: over --drain-time, or DIRECTOR_DRAIN_DEFAULT_NS
 * without one (MQTT 5 clients then get no DISCONNECT: their stream is framed
 * only with --drain-time). */
static int proxy_drain_start(struct director *d)
{
	struct proxy *px = d->dp_state;
	if (!px)
		return -EOPNOTSUPP;
	return drain_begin(px, px->drain_ns ? px->drain_ns : DIRECTOR_DRAIN_DEFAULT_NS);
}

static int proxy_drain_finished(const struct director *d)
{
	const struct proxy *px = d->dp_state;
	return px && px->drain_began && atomic_load(&px->drained) >= px->drain_threads;
}

/* --drain-time: the threads stop taking clients and close theirs spread over
 * the drain time, then stop (bounded from the drain's start: the drain time +
 * 3 s). A drain already begun (set --drain, SIGTERM) is waited for; without
 * --drain-time a stop closes everything at once, even during a set --drain. */
static void drain(struct proxy *px)
{
	int rc = drain_begin(px, px->drain_ns);
	if (rc == -EOPNOTSUPP || !px->drain_ns)
		return;
	unsigned started = px->drain_threads;
	uint64_t end = px->drain_began + px->drain_span + 3 * NS_PER_S;
	while (atomic_load(&px->drained) < started && time_mono_ns() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	log_info("proxy: drained: %llu connections closed, %llu of them after a DISCONNECT "
		 "0x9C (Use another server)%s",
		 (unsigned long long)sum(px, offsetof(struct proxy_counters, drain_closed), 0),
		 (unsigned long long)sum(px, offsetof(struct proxy_counters, drain_disconnects), 0),
		 atomic_load(&px->drained) < started ? "; time out: the rest closed at once" : "");
}

static void proxy_stop(struct director *d)
{
	struct proxy *px = d->dp_state;
	if (!px)
		return;
	drain(px);
	peers_stop(px->peers);
	px->peers = NULL;
	for (unsigned k = 0; px->threads && k < px->n_threads; k++) { /* NULL: failed early */
		struct proxy_thread *t = &px->threads[k];
		if (t->started) {
			event_loop_stop(t->el);
			event_loop_wake(t->el);
			pthread_join(t->tid, NULL);
		}
		/* the thread is gone: its state is ours now */
		proxy_close_all(t);
		if (t->listen_fd >= 0) {
			if (t->el)
				event_del(t->el, t->listen_fd);
			close(t->listen_fd);
		}
		event_loop_free(t->el);
		sched_free(&t->sched);
		proxy_pool_free(t);
	}
	free(px->threads);
	proxy_tls_free(px->tls);
	proxy_limits_free(px->limits);
	free(px);
	d->dp_state = NULL;
}

/* The edge options (director_edge): TLS contexts, PROXY protocol, limits. */
static int edge_start(struct proxy *px, char *err, size_t errlen)
{
	const struct director_edge *e = &director_edge;
	int rc = proxy_tls_new(&px->tls, e, err, errlen);
	if (rc < 0)
		return rc;
	px->hash_cn = e->hash_cn;
	px->send_v2 = e->send_proxy_v2;
	px->accept_v2 = e->accept_proxy;
	px->max_pending = e->max_pending;
	px->idle_ns = e->idle_ns;
	px->fin_ns = e->fin_ns;
	px->stall_ns = e->stall_ns;
	px->drain_ns = e->drain_ns;
	px->server_ref = e->server_ref;
	if (proxy_limits_new(&px->limits, e->max_per_source, e->rate_per_source, px->max_conns) <
	    0) {
		snprintf(err, errlen, "per-source table: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Worker k's scheduler, event loop and SO_REUSEPORT listener (not started). */
static int thread_init(struct proxy *px, unsigned k, const char *const *np, int freebind, char *err,
		       size_t errlen)
{
	struct proxy_thread *t = &px->threads[k];
	const struct sockaddr_storage *listen = &px->d->cfg.listen;
	char a[ADDR_STRLEN];
	uint64_t seed = 0;
	t->px = px;
	t->id = k;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)k * 0x9e3779b97f4a7c15ULL + 1;
	int rc = sched_init(&t->sched, px->kind, np, px->n, &px->sched_shared, seed | 1);
	if (rc < 0) {
		snprintf(err, errlen, "scheduler: %s", strerror(-rc));
		return rc;
	}
	t->el = event_loop_new(1024);
	if (!t->el) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -errno;
	}
	rc = make_listener(listen, 1, freebind);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr_format(listen, a, sizeof(a)),
			 strerror(-rc));
		return rc;
	}
	t->listen_fd = rc;
	/* always: `director set --drain` drains without --drain-time too */
	event_loop_set_before_wait(t->el, proxy_drain_check, t);
	rc = event_add(t->el, t->listen_fd, EVENT_READ, proxy_accept, t);
	if (rc < 0)
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
	return rc;
}

/* SO_REUSEPORT would let a second instance on the same VIP silently take
 * half the clients: a plain bind to listen first makes sure nobody else has
 * it. *freebind is set when the address is not this host's (yet). Returns 0,
 * or -errno with err set. */
static int listen_alone(const struct sockaddr_storage *listen, int *freebind, char *err,
			size_t errlen)
{
	char a[ADDR_STRLEN];
	int rc = make_listener(listen, 0, 0);
	if (rc == -EADDRNOTAVAIL) {
		/* The standby of an HA pair listens on the VIP before keepalived moves
		 * it here: IP_FREEBIND binds an address this host does not hold yet,
		 * for these sockets only (no ip_nonlocal_bind sysctl). A plain bind
		 * first, so a mistyped --listen still shows in the log. */
		log_warn("proxy: %s is not an address of this host (yet): listening anyway "
			 "(IP_FREEBIND), clients reach it once it is here (a VIP)",
			 addr_format(listen, a, sizeof(a)));
		*freebind = 1;
		rc = make_listener(listen, 0, 1);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr_format(listen, a, sizeof(a)),
			 strerror(-rc));
		return rc;
	}
	close(rc);
	return 0;
}

/* The one line that says what this proxy does. */
static void log_started(const struct proxy *px)
{
	log_info("proxy: %u thread(s), scheduler %s%s, max %u connections, CONNECT <= %u bytes "
		 "within %llu s%s%s%s%s%s",
		 px->n_threads, sched_kind_name(px->kind), px->hash_cn ? " (certificate CN)" : "",
		 px->max_conns, PROXY_CONNECT_MAX,
		 (unsigned long long)(PROXY_CONNECT_TIMEOUT / 1000000000ULL),
		 proxy_tls_server(px->tls) ? ", TLS listener" : "",
		 director_edge.tls_ca ? " (client certificates required)" : "",
		 proxy_tls_client(px->tls) ? ", TLS to backends" : "",
		 px->accept_v2 ? ", PROXY v2 header from clients" : "",
		 px->send_v2 ? ", PROXY v2 header to backends" : "");
}

static int proxy_start(struct director *d, char *err, size_t errlen)
{
	char names[DIRECTOR_MAX_BACKENDS][ADDR_STRLEN];
	const char *np[DIRECTOR_MAX_BACKENDS];
	int rc, freebind = 0;
	struct proxy *px = calloc(1, sizeof(*px));
	if (!px)
		return -ENOMEM;
	d->dp_state = px;
	px->d = d;
	px->n = d->n_backends;
	sched_kind_parse(d->cfg.scheduler, &px->kind); /* checked by proxy_check */
	for (unsigned i = 0; i < px->n; i++) {
		atomic_store(&px->cfg_w[i], d->backends[i].weight);
		atomic_store(&d->backends[i].proxy_active, 0);
		np[i] = addr_format(&d->backends[i].addr, names[i], sizeof(names[i]));
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	px->n_threads = d->cfg.threads ? d->cfg.threads : (cores > 0 ? (unsigned)cores : 1);
	unsigned nofile = raise_nofile();
	unsigned fit = nofile > FDS_RESERVED + 2 * px->n_threads + 2
			   ? (nofile - FDS_RESERVED - 2 * px->n_threads) / 2
			   : 1;
	px->max_conns = d->cfg.max_connections ? d->cfg.max_connections : fit;
	rc = edge_start(px, err, errlen);
	if (rc < 0)
		goto fail;
	if (px->max_conns > fit)
		log_warn("proxy: --max-connections %u exceeds what %u file descriptors allow "
			 "(%u); accept pauses when they run out",
			 px->max_conns, nofile, fit);
	rc = listen_alone(&d->cfg.listen, &freebind, err, errlen);
	if (rc < 0)
		goto fail;

	px->threads = calloc(px->n_threads, sizeof(*px->threads));
	if (!px->threads) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned k = 0; k < px->n_threads; k++)
		px->threads[k].listen_fd = -1;
	for (unsigned k = 0; k < px->n_threads; k++) {
		rc = thread_init(px, k, np, freebind, err, errlen);
		if (rc < 0)
			goto fail;
	}
	if (d->cfg.peers) {
		rc = peers_start(&px->peers, d, d->el, err, errlen);
		if (rc < 0)
			goto fail;
	}
	for (unsigned k = 0; k < px->n_threads; k++) {
		struct proxy_thread *t = &px->threads[k];
		rc = -pthread_create(&t->tid, NULL, worker_main, t);
		if (rc < 0) {
			snprintf(err, errlen, "thread: %s", strerror(-rc));
			goto fail;
		}
		t->started = 1;
	}
	log_started(px);
	return 0;
fail:
	proxy_stop(d);
	return rc;
}

static int proxy_update(struct director *d)
{
	struct proxy *px = d->dp_state;
	/* Workers read the configured weights from here and the effective ones
	 * from d->backends[].effective_weight on every pick. */
	for (unsigned i = 0; i < px->n; i++)
		atomic_store(&px->cfg_w[i], d->backends[i].weight);
	atomic_fetch_add(&px->gen, 1);
	return 0;
}

static uint64_t sum(struct proxy *px, size_t off, unsigned i)
{
	uint64_t s = 0;
	for (unsigned k = 0; k < px->n_threads; k++) {
		atomic_uint_fast64_t *a =
		    (atomic_uint_fast64_t *)((char *)&px->threads[k].ctr + off) + i;
		s += atomic_load_explicit(a, memory_order_relaxed);
	}
	return s;
}

static int proxy_stats(struct director *d)
{
	struct proxy *px = d->dp_state;
	/* Every second on the controller thread: certificates renewed in place
	 * (certbot, a Kubernetes secret) are picked up without a restart. */
	proxy_tls_reload_if_changed(px->tls);
	for (unsigned i = 0; i < px->n; i++) {
		struct director_backend *b = &d->backends[i];
		b->active_connections = atomic_load(&b->proxy_active);
		b->inactive_connections = 0;
		b->total_connections = sum(px, offsetof(struct proxy_counters, total), i);
		b->bytes_in = sum(px, offsetof(struct proxy_counters, bytes_in), i);
		b->bytes_out = sum(px, offsetof(struct proxy_counters, bytes_out), i);
	}
	return 0;
}

/* "tls": handshakes by version, failures by reason, reloads. */
static void tls_status_json(struct proxy *px, struct json *j)
{
	json_obj_begin(j, "tls");
	proxy_tls_status_json(px->tls, j);
	json_u64(j, "handshakes", sum(px, offsetof(struct proxy_counters, tls_handshakes), 0));
	json_u64(j, "tls1_2", sum(px, offsetof(struct proxy_counters, tls_versions), 0));
	json_u64(j, "tls1_3", sum(px, offsetof(struct proxy_counters, tls_versions), 1));
	json_u64(j, "backend_handshakes", sum(px, offsetof(struct proxy_counters, tls_backend), 0));
	json_obj_begin(j, "failures");
	for (unsigned f = 0; f < PROXY_TLS_FAIL_COUNT; f++)
		json_u64(j, proxy_tls_fail_name(f),
			 sum(px, offsetof(struct proxy_counters, tls_fail), f));
	json_obj_end(j);
	json_obj_end(j);
}

static void proxy_status_json(const struct director *d, struct json *j)
{
	struct proxy *px = d->dp_state;
	if (!px)
		return;
	json_obj_begin(j, "proxy");
	json_u64(j, "threads", px->n_threads);
	json_u64(j, "max_connections", px->max_conns);
	json_u64(j, "open_connections", atomic_load(&px->open));
	json_u64(j, "accepted", sum(px, offsetof(struct proxy_counters, accepted), 0));
	json_u64(j, "retries", sum(px, offsetof(struct proxy_counters, retries), 0));
	json_u64(j, "pending", atomic_load(&px->pending));
	json_u64(j, "max_pending", px->max_pending);
	json_u64(j, "stall_timeout_ms", px->stall_ns / 1000000);
	json_u64(j, "max_conns_per_source", director_edge.max_per_source);
	json_u64(j, "connect_rate_per_source", director_edge.rate_per_source);
	json_u64(j, "source_table_bytes", proxy_limits_bytes(px->limits));
	json_obj_begin(j, "drain");
	json_str(j, "state",
		 !px->drain_began	   ? "none"
		 : proxy_drain_finished(d) ? "done"
					   : "draining");
	json_u64(j, "drain_time_ms", (px->drain_began ? px->drain_span : px->drain_ns) / 1000000);
	json_u64(j, "elapsed_ms",
		 px->drain_began ? (time_mono_ns() - px->drain_began) / 1000000 : 0);
	json_u64(j, "connections_at_start", px->drain_open);
	json_u64(j, "closed", sum(px, offsetof(struct proxy_counters, drain_closed), 0));
	json_u64(j, "disconnects", sum(px, offsetof(struct proxy_counters, drain_disconnects), 0));
	json_obj_end(j);
	json_obj_begin(j, "timeouts");
	json_u64(j, "idle", sum(px, offsetof(struct proxy_counters, idle_closed), 0));
	json_u64(j, "client_fin", sum(px, offsetof(struct proxy_counters, fin_closed), 0));
	json_u64(j, "client_stalled", sum(px, offsetof(struct proxy_counters, stall_client), 0));
	json_u64(j, "backend_stalled", sum(px, offsetof(struct proxy_counters, stall_backend), 0));
	json_obj_end(j);
	json_obj_begin(j, "rejects");
	for (unsigned r = 1; r < PROXY_REJ_COUNT; r++)
		json_u64(j, proxy_reject_name(r),
			 sum(px, offsetof(struct proxy_counters, rejects), r));
	json_obj_end(j);
	if (px->tls)
		tls_status_json(px, j);
	if (px->peers) {
		json_arr_begin(j, "global_active");
		for (unsigned i = 0; i < px->n; i++)
			json_u64(j, NULL, proxy_active_global(px, i));
		json_arr_end(j);
		peers_status_json(px->peers, j);
	}
	json_obj_end(j);
}

const struct dataplane dataplane_proxy = {
    .name = "proxy",
    .check = proxy_check,
    .start = proxy_start,
    .update = proxy_update,
    .stats = proxy_stats,
    .stop = proxy_stop,
    .status_json = proxy_status_json,
    .drain_start = proxy_drain_start,
    .drain_finished = proxy_drain_finished,
};
