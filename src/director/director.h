/* director.h — the director's controller: what director.c, director_cli.c,
 * control.c, status.c and health.c share, and what the monitor and the proxy
 * dataplane may call. The dataplane contract itself is dataplane.h.
 *
 * Control socket protocol (unix stream socket, one request per connection):
 *   The client connects, writes ONE line (at most DIRECTOR_CTL_LINE_MAX bytes
 *   including the '\n'), and reads the answer until the server closes.
 *     status            -> one JSON object + "\n" (keys: DESIGN.md "director
 *                          status --json", plus name, mode, health_* and per
 *                          backend effective_weight, drained, inactive_connections,
 *                          packets_in, packets_out, health_fails, health_oks)
 *     table             -> an ipvsadm -Ln like text table
 *     table stats       -> the same with counters (ipvsadm -Ln --stats)
 *     set ADDR:PORT weight N | set ADDR:PORT drain | set ADDR:PORT enable
 *                       -> "ok\n" or "error: <reason>\n"
 *     drain             -> the whole director drains (proxy, --drain-time):
 *                          "ok draining\n", "ok already draining\n", "error: ..."
 *     reload            -> backends given by name resolved again:
 *                          "ok N backend(s) moved\n"
 *     ping              -> "pong\n" (`director check`, keepalived's vrrp_script)
 *     help              -> the list above
 *   Anything else -> "error: unknown request ...\n". The socket is created with
 *   mode 0600 (root/owner only: set changes traffic).
 *   Default path: /run/mqlb/director-<name>.sock as root, else
 *   $XDG_RUNTIME_DIR/mqlb/director-<name>.sock, else /tmp/mqlb-<uid>/director-<name>.sock.
 */
#ifndef MQLB_DIRECTOR_DIRECTOR_H
#define MQLB_DIRECTOR_DIRECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "director/dataplane.h"

#define DIRECTOR_CTL_LINE_MAX	256
#define DIRECTOR_CTL_TIMEOUT_NS (5ULL * 1000000000ULL) /* status/set clients */
#define DIRECTOR_WEIGHT_MAX	65535U
#define DIRECTOR_DEFAULT_NAME	"default"

/* NULL-terminated table of the dataplanes built into this binary (dataplanes.c). */
extern const struct dataplane *const director_dataplanes[];
/* The dataplane called name, or NULL. */
const struct dataplane *director_dataplane_find(const char *name);

/* 1 when name is 1..DIRECTOR_NAME_MAX-1 chars of [A-Za-z0-9_-], else 0. */
int director_name_valid(const char *name);

/* Writes the default control socket path for instance name into buf.
 * Returns 0, or -ENAMETOOLONG when it does not fit a sun_path. */
int director_control_default_path(const char *name, char *buf, size_t len);

/* Parses "HOST:PORT[,weight=W][,send-proxy-v2]" into b (address, resolved
 * now when HOST is a name, kept in b->name; weight default 1).
 * Returns 0 or -EINVAL with a reason in err. */
int director_backend_parse(const char *s, struct director_backend *b, char *err, size_t errlen);

/* Copies b's address into out, consistent even while the controller rewrites
 * it (director_backend_set_addr; a seqlock, any thread). */
void director_backend_addr(const struct director_backend *b, struct sockaddr_storage *out);
/* Rewrites b's address (controller thread only). */
void director_backend_set_addr(struct director_backend *b, const struct sockaddr_storage *a);
/* Resolves again every backend given by name (SIGHUP, `set reload`): a name
 * that now resolves elsewhere moves its backend there; one that no longer
 * resolves keeps its old address (logged). Caller holds the controller's lock.
 * Returns how many backends moved (the caller then updates the dataplane). */
unsigned director_resolve(struct director *d);

/* Recomputes what the dataplanes use, every backend's effective weight: 0 when
 * drained or unhealthy, else its weight. Fail open: when no backend that could
 * take connections (not drained, weight > 0) is healthy, the unhealthy ones
 * keep their weights, because under overload every broker misses its probe
 * deadline at once (seen in the lab) and a director that refuses every client
 * turns slow brokers into an outage; --fail-closed refuses instead. Logs
 * entering and leaving fail-open. Caller holds the controller's lock. Returns
 * 1 when an effective weight changed. */
int director_weights_refresh(struct director *d);

/* Index of the backend with address a, or -1. */
int director_backend_find(const struct director *d, const struct sockaddr_storage *a);

/* Parses argv of `director run` into d (zeroed by the caller) and *dp.
 * The control path, when not given, is written to path_buf (len bytes) and
 * d->cfg.control_path points at it. Returns 0; 1 when --help was printed;
 * CLI_USAGE after printing one line naming the bad flag or value. Touches no
 * kernel state. */
int director_run_parse(int argc, char **argv, struct director *d, const struct dataplane **dp,
		       char *path_buf, size_t len);

/* Smooth weighted round robin (as nginx): fills seq[0..total-1] with backend
 * indexes so each i appears w[i] times, interleaved. total = sum of w.
 * Returns total, or 0 when total is 0 or > cap. */
unsigned director_wrr_sequence(const unsigned *w, unsigned n, unsigned *seq, unsigned cap);

/* Status rendering (status.c). The caller holds the director's lock. */
void director_status_json(const struct director *d, FILE *f);
void director_status_table(const struct director *d, FILE *f, int with_stats);

/* Control socket server (control.c). director_control_listen creates the
 * socket (refusing when another live instance owns it; a stale file is
 * replaced). Returns the listening fd or -errno with err set. */
int director_control_listen(const char *path, char *err, size_t errlen);
/* Client: sends line to path, writes the answer to out (borrowed). The whole
 * exchange (connect, write, read until close) ends within timeout_ns. Returns 0,
 * or -errno (connect failed: -ENOENT / -ECONNREFUSED mean no such instance;
 * -ETIMEDOUT: no complete answer in time, out may hold part of one). */
int director_control_request_ns(const char *path, const char *line, FILE *out, uint64_t timeout_ns);
/* The same with DIRECTOR_CTL_TIMEOUT_NS. */
int director_control_request(const char *path, const char *line, FILE *out);

/* Request handler the server calls (director.c): line without '\n'; the
 * answer goes to out. */
void director_control_handle(struct director *d, const char *line, FILE *out);

/* The control server on an event loop (control.c). Each connection is
 * non-blocking and has ONE absolute deadline, DIRECTOR_CTL_DEADLINE_NS from
 * accept to the last byte of the answer (a client that drips bytes is cut
 * then, whatever it sends); at most DIRECTOR_CTL_MAX_CONNS are open, more wait
 * in the listen backlog. Nothing blocks the loop, so the controller's timers
 * (stats) and wake-ups (health verdicts) go on while clients are slow. */
#define DIRECTOR_CTL_DEADLINE_NS (2ULL * 1000000000ULL)
#define DIRECTOR_CTL_MAX_CONNS	 8

struct event_loop;
struct director_control_server;
/* Answers one request line (without its '\n') into out; ctx as given. */
typedef void (*director_control_fn)(void *ctx, const char *line, FILE *out);
/* Counters of the server (for tests and logs). */
struct director_control_stats {
	uint64_t accepted, served, bad, timed_out, full;
};
/* Serves listen_fd (non-blocking, from director_control_listen) on el, calling
 * fn for each request. Returns 0 with *out set, or -errno. */
int director_control_serve(struct director_control_server **out, struct event_loop *el,
			   int listen_fd, director_control_fn fn, void *ctx);
/* Closes the open connections and unregisters listen_fd (not closed). NULL ok. */
void director_control_server_free(struct director_control_server *s);
/* The server's counters (accepted, served, full, refusals by reason), owned by
 * s and updated on its loop: read them on that thread (status does). */
const struct director_control_stats *
director_control_stats(const struct director_control_server *s);
/* Framing of a request: the bytes received so far, buf[0..len). Returns the
 * index of the '\n' that ends a complete line, -2 when more bytes may still
 * make one, -1 when they cannot (a NUL, or DIRECTOR_CTL_LINE_MAX bytes and no
 * '\n'). */
int director_control_frame(const char *buf, size_t len);

/* Edge options of the proxy dataplane (issue 13: TLS). Kept outside struct
 * director_config, whose home (dataplane.h) is shared by every dataplane; set by
 * director_run_parse (zeroed there first), read by the proxy at start. Paths are
 * borrowed from argv. */
#define DIRECTOR_STALL_DEFAULT_NS (60ULL * 1000000000ULL) /* --stall-timeout */
/* The spread of a `director set --drain` of a proxy run without --drain-time:
 * long enough that thousands of clients do not reconnect in one storm. */
#define DIRECTOR_DRAIN_DEFAULT_NS (30ULL * 1000000000ULL)

struct director_edge {
	const char *tls_cert, *tls_key; /* --tls-cert/--tls-key: terminate TLS */
	const char *tls_ca;		/* --tls-ca: require and verify client certs */
	int hash_cn;			/* --hash-cn: clientid scheduler hashes the cert CN */
	int backend_tls;		/* --backend-tls: TLS to the brokers */
	const char *backend_ca;		/* --backend-ca: verify the brokers against it */
	const char *backend_cert, *backend_key; /* --backend-cert/-key: ours to them */
	int send_proxy_v2;	  /* --send-proxy-v2: a PROXY v2 header to every backend */
	int accept_proxy;	  /* --accept-proxy: clients come with a PROXY v2 header */
	unsigned max_pending;	  /* --max-pending: connections before their CONNECT */
	unsigned max_per_source;  /* --max-conns-per-source */
	unsigned rate_per_source; /* --connect-rate-per-source, per second */
	uint64_t idle_ns;	  /* --idle-timeout: keepalive 0 tunnels (0 = never) */
	uint64_t fin_ns;	  /* --client-fin-timeout (0 = never) */
	uint64_t stall_ns;	  /* --stall-timeout: a peer reads nothing (0 = never) */
	int stall_set;		  /* --stall-timeout given (the default is the proxy's) */
	uint64_t drain_ns;	  /* --drain-time: spread closes over it on SIGTERM */
	const char *server_ref;	  /* --server-reference: in the DISCONNECT 0x9C */
};
extern struct director_edge director_edge;

#endif
