/* proxy.h — internals of the user-space proxy dataplane (dataplane_proxy.c,
 * proxy_conn.c, proxy_hello.c, peers.c). Not an API for other components: the
 * controller sees only `dataplane_proxy` (dataplane.h).
 *
 * Shape: one epoll loop per worker thread, each with its own SO_REUSEPORT
 * listener, its own scheduler state and its own buffer pool; nothing is locked
 * on the data path. Threads share only atomics: per-backend active counts
 * (director_backend.proxy_active), the weight generation, the open-connection
 * count for --max-connections, and the rr ticket.
 *
 * A client connection goes [PROXY_HDR (--accept-proxy: a PROXY v2 header)]
 * -> [TLS_ACCEPT (--tls-cert: the handshake)] -> HELLO (read the CONNECT, at
 * most PROXY_CONNECT_MAX bytes; all of it within PROXY_CONNECT_TIMEOUT) ->
 * DIALING (non-blocking connect to the chosen backend; one retry on another;
 * --send-proxy-v2 writes the header first) -> [TLS_CONNECT (--backend-tls)]
 * -> FORWARD (bytes both ways, through
 * at most one pooled buffer per direction: a side is read only while the
 * other side's pending output is empty, so memory per connection is bounded
 * by 2 x PROXY_BUF_SIZE). Half-closes are passed on with shutdown(SHUT_WR);
 * a reset on one side becomes a reset (SO_LINGER 0) on the other. Limits
 * (--max-pending, per source) are checked at accept (after the PROXY header);
 * FORWARD ends after 1.5 x keepalive without client bytes; a drain
 * (--drain-time) closes connections one by one, MQTT 5 ones after a
 * DISCONNECT 0x9C between two packets of the broker's stream. */
#ifndef MQLB_DIRECTOR_PROXY_H
#define MQLB_DIRECTOR_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "director/dataplane.h"
#include "director/scheduler.h"
#include "event/event.h"

#define PROXY_BUF_SIZE	      (32u * 1024u)	  /* one read; one pending write */
#define PROXY_CONNECT_MAX     (64u * 1024u)	  /* largest CONNECT we accept */
#define PROXY_CONNECT_TIMEOUT (5ULL * 1000000000) /* ns: CONNECT must be complete */
#define PROXY_DIAL_TIMEOUT    (3ULL * 1000000000) /* ns: backend TCP connect */
#define PROXY_POOL_KEEP	      64		  /* free buffers a thread keeps */
#define PROXY_LOG_PER_SEC     5			  /* reject log lines per thread per second */

/* Why a client connection was closed before (or instead of) being forwarded.
 * Counted per reason; the names are status JSON keys (stable). */
#define PROXY_REJECT_LIST(X)                                                                       \
	X(NONE, "none")                                                                            \
	X(NOT_MQTT, "not_mqtt")		    /* first byte is not a CONNECT */                      \
	X(MALFORMED, "malformed")	    /* CONNECT fails validation */                         \
	X(TOO_LARGE, "too_large")	    /* CONNECT larger than PROXY_CONNECT_MAX */            \
	X(VERSION, "unsupported_version")   /* protocol name/level we do not speak */              \
	X(TIMEOUT, "timeout")		    /* no complete CONNECT within the timeout */           \
	X(CLOSED, "closed_early")	    /* client closed or reset before its CONNECT */        \
	X(LIMIT, "limit")		    /* --max-connections reached (or out of fds) */        \
	X(NO_BACKEND, "no_backend")	    /* every backend is down or drained */                 \
	X(BACKEND_FAILED, "backend_failed") /* connect failed on two backends */                   \
	X(TLS, "tls_handshake")		    /* TLS handshake failed (tls.failures says why) */     \
	X(PROXY_HDR, "proxy_header")	    /* --accept-proxy: header missing or malformed */      \
	X(SOURCE_CONNS, "source_conns")	    /* --max-conns-per-source reached */                   \
	X(SOURCE_RATE, "source_rate")	    /* --connect-rate-per-source exceeded */               \
	X(PENDING, "pending_evicted")	    /* oldest CONNECT-less connection, for a new one */

enum proxy_reject {
#define PROXY__REJ_ENUM(name, str) PROXY_REJ_##name,
	PROXY_REJECT_LIST(PROXY__REJ_ENUM)
#undef PROXY__REJ_ENUM
	    PROXY_REJ_COUNT
};

/* "malformed" ...; "?" when out of range. */
const char *proxy_reject_name(enum proxy_reject r);

/* ---- the CONNECT (proxy_hello.c: pure, no I/O; the fuzz target drives it) ---- */

struct proxy_hello {
	enum proxy_reject reject; /* PROXY_REJ_NONE when the CONNECT is good */
	int mqtt_err;		  /* the codec's -MQTT_ERR_x when it said no, else 0 */
	uint8_t level;		  /* protocol level byte when it could be read, else 0 */
	uint32_t connect_len;	  /* bytes of the CONNECT when complete */
	const uint8_t *clientid;  /* view into the caller's buffer */
	uint32_t clientid_len;
	uint32_t want; /* total bytes of the CONNECT once its header is known, else 0 */
};

/* Looks at the first len bytes a client sent. Returns 1: a complete, valid
 * CONNECT (h->connect_len, h->clientid set); 0: need more bytes (h->want says
 * how many in total when known); -1: refuse (h->reject, h->mqtt_err, h->level
 * set). max: largest CONNECT accepted (5.0 §3.1; the codec's checks). */
int proxy_hello_peek(const uint8_t *buf, size_t len, uint32_t max, struct proxy_hello *h);

/* The CONNACK to send before closing for a refusal, in the client's protocol
 * version (5.0 §3.2.2.2 reason codes; 3.1.1 §3.2.2.3 return codes), or nothing
 * where the protocol has no code for it (3.1.1 malformed: just close, 3.1.1
 * §4.8). reject may be NO_BACKEND/BACKEND_FAILED (0x88 / return code 3).
 * Returns bytes written to out (0 = send nothing); out needs 8 bytes. */
size_t proxy_hello_connack(const struct proxy_hello *h, enum proxy_reject reject, uint8_t *out,
			   size_t cap);

/* ---- TLS (proxy_tls.c) ---- */

/* Why a client's TLS handshake failed; status JSON keys under tls.failures. */
#define PROXY_TLS_FAIL_LIST(X)                                                                     \
	X(NOT_TLS, "not_tls")	     /* first byte is not a TLS handshake record */                \
	X(NO_CERT, "no_client_cert") /* --tls-ca and the client sent none */                       \
	X(EXPIRED, "cert_expired")   /* client certificate expired or not yet valid */             \
	X(UNKNOWN_CA, "unknown_ca")  /* not signed by --tls-ca */                                  \
	X(BAD_CERT, "bad_cert")	     /* any other verification failure */                          \
	X(PROTOCOL, "protocol")	     /* version, ciphers, malformed records */                     \
	X(CLOSED, "closed")	     /* EOF or reset during the handshake */                       \
	X(TIMEOUT, "timeout")	     /* no handshake within PROXY_CONNECT_TIMEOUT */               \
	X(BACKEND, "backend")	     /* handshake with a broker failed (--backend-tls) */

enum proxy_tls_fail {
#define PROXY__TLS_ENUM(name, str) PROXY_TLS_##name,
	PROXY_TLS_FAIL_LIST(PROXY__TLS_ENUM)
#undef PROXY__TLS_ENUM
	    PROXY_TLS_FAIL_COUNT
};

/* "not_tls" ...; "?" when out of range. */
const char *proxy_tls_fail_name(enum proxy_tls_fail f);

struct proxy_tls;
struct director_edge;
typedef struct ssl_st SSL;

/* Builds the TLS contexts the edge options ask for into *out (NULL when they
 * ask for none). Returns 0, or -EINVAL with a one-line reason (file, OpenSSL's
 * words) in err. */
int proxy_tls_new(struct proxy_tls **out, const struct director_edge *e, char *err, size_t errlen);
/* Frees t (NULL is fine); live SSL objects keep their own references. */
void proxy_tls_free(struct proxy_tls *t);
/* Re-reads the certificate, key and CA files when one of them changed (inode,
 * size or mtime) since the last load; new handshakes use the new ones, open
 * connections keep theirs. A bad set is logged and the old one kept. Called by
 * the controller thread. Returns 1 reloaded, 0 unchanged, -1 failed. */
int proxy_tls_reload_if_changed(struct proxy_tls *t);
/* 1 when the listener terminates TLS / the backends are dialled with TLS. */
int proxy_tls_server(const struct proxy_tls *t);
int proxy_tls_client(const struct proxy_tls *t);
/* A server-side SSL on fd (listener) or client-side on fd to backend addr
 * (its certificate must name that IP when --backend-ca is set); NULL when out
 * of memory. Thread-safe. */
SSL *proxy_tls_accept_new(struct proxy_tls *t, int fd);
SSL *proxy_tls_connect_new(struct proxy_tls *t, int fd, const struct sockaddr_storage *addr);
/* One step of the handshake. Returns 1 done, 0 in progress (*want set to
 * EVENT_READ or EVENT_WRITE), -1 failed: *fail and a short reason in why. */
int proxy_tls_handshake(SSL *ssl, unsigned *want, enum proxy_tls_fail *fail, char *why,
			size_t whylen);
/* The verified peer certificate's CN into out (NUL-terminated); its length,
 * or 0 when there is none. */
size_t proxy_tls_peer_cn(SSL *ssl, char *out, size_t cap);
/* "TLSv1.3" ... of an established ssl. */
const char *proxy_tls_version(const SSL *ssl);
/* read(2)/write(2) through ssl when not NULL, else on fd: >0 bytes, 0 EOF
 * (close_notify, or a TCP FIN without one), -1 with errno (EAGAIN while TLS
 * needs more bytes either way; ECONNRESET for a TLS protocol error). */
ssize_t proxy_io_read(SSL *ssl, int fd, void *buf, size_t len);
ssize_t proxy_io_write(SSL *ssl, int fd, const void *buf, size_t len);
/* Half-close: close_notify (TLS), then shutdown(SHUT_WR). */
void proxy_io_shutdown_wr(SSL *ssl, int fd);
/* Bytes already decrypted in ssl that epoll cannot announce (0 without TLS). */
int proxy_io_pending(SSL *ssl);
/* Counters of one proxy_tls, for the status JSON (controller thread). */
void proxy_tls_status_json(const struct proxy_tls *t, struct json *j);

/* ---- PROXY protocol v2 (proxy_v2.c: pure, no I/O) ---- */

#define PROXY_V2_HDR 16	  /* signature, version/command, family, length */
#define PROXY_V2_MAX 1024 /* whole header we accept (addresses + a cloud LB's TLVs) */

/* Writes a v2 PROXY header for a TCP connection from src to dst into out (cap
 * >= PROXY_V2_HDR + 36). Families that differ or are not IP give an AF_UNSPEC
 * header (the broker keeps the real peer). Returns its length, 0 if cap is short. */
size_t proxy_v2_build(uint8_t *out, size_t cap, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst);
/* Writes a v2 LOCAL header (the balancer's own connection, e.g. a health
 * probe: the receiver keeps the real addresses; no address block) into out.
 * Returns PROXY_V2_HDR, or 0 if cap is short. */
size_t proxy_v2_build_local(uint8_t *out, size_t cap);
/* Looks at the first len bytes of a connection. Returns 1: a complete header of
 * *need bytes, *src set to the client it names (left alone for LOCAL, UNSPEC
 * and unix); 0: *need bytes are needed in total (read no more than that: what
 * follows is the client's); -1: not a v2 header or malformed, *why says which. */
int proxy_v2_parse(const uint8_t *buf, size_t len, struct sockaddr_storage *src, size_t *need,
		   const char **why);

/* ---- limits (proxy_limits.c) ---- */

struct proxy_limits;
/* The per-source table for limits per_source (open connections) and rate
 * (connects per second, burst of one second), sized for max_conns; *out NULL
 * when both are 0. Returns 0 or -1 (out of memory). */
int proxy_limits_new(struct proxy_limits **out, unsigned per_source, unsigned rate,
		     unsigned max_conns);
/* Frees l and its per-source table; NULL is a no-op. */
void proxy_limits_free(struct proxy_limits *l);
/* Its memory (0 for NULL). */
size_t proxy_limits_bytes(const struct proxy_limits *l);
/* A connection from src at now: PROXY_REJ_NONE (counted: release it later),
 * PROXY_REJ_SOURCE_CONNS or PROXY_REJ_SOURCE_RATE. Thread-safe; NULL admits. */
enum proxy_reject proxy_limits_admit(struct proxy_limits *l, const struct sockaddr_storage *src,
				     uint64_t now);
/* The admitted connection from src has closed: its count for src goes down.
 * Call once per PROXY_REJ_NONE admit. Thread-safe; NULL is a no-op. */
void proxy_limits_release(struct proxy_limits *l, const struct sockaddr_storage *src);
/* The Keep Alive (seconds) of a complete CONNECT in b[0..len), 0 if absent. */
uint32_t proxy_connect_keepalive(const uint8_t *b, size_t len);

/* ---- graceful drain (proxy_drain.c: pure) ---- */

#define PROXY_SERVER_REF_MAX 1024 /* --server-reference bytes */

/* Where the MQTT packets of a byte stream end. Zeroed = at a packet boundary. */
struct proxy_frame {
	uint32_t left; /* body bytes of the current packet still to come */
	uint32_t len;  /* remaining length being decoded */
	uint8_t hdr;   /* fixed-header bytes seen of the next packet (0 = none) */
};
/* Follows n more bytes of the stream. */
void proxy_frame_feed(struct proxy_frame *f, const uint8_t *p, size_t n);
/* How many bytes may be read before the next packet boundary (a header is
 * read byte by byte); 0 at a boundary. */
size_t proxy_frame_room(const struct proxy_frame *f);
/* An MQTT 5 DISCONNECT with reason 0x9C (Use another server) and, when ref is
 * not NULL, a Server Reference property. Returns its length, 0 when cap is
 * short or ref longer than PROXY_SERVER_REF_MAX. */
size_t proxy_disconnect_use_another(uint8_t *out, size_t cap, const char *ref);

/* ---- buffers ---- */

struct proxy_buf {
	struct proxy_buf *next; /* free list */
	uint32_t cap;
	uint8_t data[];
};

/* ---- counters ---- */

/* Per thread, written by its owner only (relaxed atomics so the controller can
 * read them at any time without tearing). */
struct proxy_counters {
	atomic_uint_fast64_t total[DIRECTOR_MAX_BACKENDS];
	atomic_uint_fast64_t bytes_in[DIRECTOR_MAX_BACKENDS];  /* client -> backend */
	atomic_uint_fast64_t bytes_out[DIRECTOR_MAX_BACKENDS]; /* backend -> client */
	atomic_uint_fast64_t rejects[PROXY_REJ_COUNT];
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t retries;	      /* dials that went to a second backend */
	atomic_uint_fast64_t tls_handshakes;  /* client handshakes completed */
	atomic_uint_fast64_t tls_versions[2]; /* ... of them TLS 1.2, TLS 1.3 */
	atomic_uint_fast64_t tls_backend;     /* backend handshakes completed */
	atomic_uint_fast64_t tls_fail[PROXY_TLS_FAIL_COUNT];
	atomic_uint_fast64_t idle_closed;	/* no client bytes for 1.5 x keepalive */
	atomic_uint_fast64_t fin_closed;	/* half-closed longer than --client-fin-timeout */
	atomic_uint_fast64_t stall_client;	/* the client read nothing for --stall-timeout */
	atomic_uint_fast64_t stall_backend;	/* the broker read nothing for --stall-timeout */
	atomic_uint_fast64_t drain_closed;	/* closed by a drain */
	atomic_uint_fast64_t drain_disconnects; /* ... of them after a DISCONNECT 0x9C */
};

struct proxy;
struct proxy_conn;

struct proxy_thread {
	struct proxy *px; /* borrowed */
	unsigned id;
	pthread_t tid;
	int started;
	struct event_loop *el;
	int listen_fd;
	int accept_paused;
	struct event_timer accept_timer; /* re-enables accept after EMFILE */
	struct sched sched;
	unsigned weights_gen;
	struct proxy_counters ctr;
	struct proxy_buf *pool;
	unsigned pool_n;
	struct proxy_conn *conns;		  /* every open connection: cleanup at stop */
	struct proxy_conn *pend_head, *pend_tail; /* --max-pending: oldest first */
	int draining;				  /* saw px->drain: listener closed */
	uint64_t drain_start;			  /* ... at */
	unsigned drain_total, drain_done;	  /* connections then / closed (or closing) since */
	struct event_timer drain_timer;
	uint64_t log_sec; /* rate limit of reject logs */
	unsigned log_n, log_dropped;
};

struct peers;

struct proxy {
	struct director *d; /* borrowed: lives for the whole run */
	unsigned n_threads;
	struct proxy_thread *threads;
	struct sched_shared sched_shared;
	enum sched_kind kind;
	unsigned n;	 /* backends */
	atomic_uint gen; /* bumped by update(): cfg_w changed */
	atomic_uint cfg_w[DIRECTOR_MAX_BACKENDS];
	atomic_uint open; /* client connections open (all threads) */
	unsigned max_conns;
	struct peers *peers;	     /* NULL without --peers */
	struct proxy_tls *tls;	     /* NULL without TLS flags */
	int hash_cn;		     /* --hash-cn */
	int send_v2, accept_v2;	     /* --send-proxy-v2, --accept-proxy */
	struct proxy_limits *limits; /* NULL without per-source limits */
	unsigned max_pending;	     /* 0 = off */
	atomic_uint pending;	     /* connections without a complete CONNECT */
	uint64_t idle_ns, fin_ns;    /* --idle-timeout (keepalive 0), --client-fin-timeout */
	uint64_t stall_ns;	     /* --stall-timeout (0 = never) */
	uint64_t drain_ns;	     /* --drain-time (0: close at once on stop) */
	const char *server_ref;	     /* --server-reference or NULL */
	atomic_int drain;	     /* set by proxy_stop: threads drain, then stop */
	atomic_uint drained;	     /* threads done draining */
	uint64_t drain_began;	     /* time_mono_ns of drain_start (0: not begun) */
	uint64_t drain_span;	     /* ... its time: drain_ns, or the set --drain default */
	unsigned drain_open;	     /* ... open connections then */
	unsigned drain_threads;	     /* ... threads that will drain */
};

/* ---- proxy_conn.c ---- */

/* Listener callback (ctx = struct proxy_thread). */
void proxy_accept(struct event_loop *el, int fd, void *ctx, unsigned events);
/* Before each wait of t's loop (ctx = t): starts the drain once px->drain is
 * set: closes the listener, then t's connections spread evenly over
 * px->drain_ns (MQTT 5 ones after a DISCONNECT 0x9C between two packets of
 * the broker's stream), then stops the loop. */
void proxy_drain_check(struct event_loop *el, void *ctx);
/* Closes every connection of t (thread stopped). */
void proxy_close_all(struct proxy_thread *t);
/* Frees t's buffer pool. */
void proxy_pool_free(struct proxy_thread *t);

/* Active connections to backend i as the scheduler should see them: this
 * director's (all threads) plus the peers' fresh reports. */
uint64_t proxy_active_global(struct proxy *px, unsigned i);

#endif
