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
 * A client connection goes HELLO (read the CONNECT, at most PROXY_CONNECT_MAX
 * bytes within PROXY_CONNECT_TIMEOUT) -> DIALING (non-blocking connect to the
 * chosen backend; one retry on another) -> FORWARD (bytes both ways, through
 * at most one pooled buffer per direction: a side is read only while the
 * other side's pending output is empty, so memory per connection is bounded
 * by 2 x PROXY_BUF_SIZE). Half-closes are passed on with shutdown(SHUT_WR);
 * a reset on one side becomes a reset (SO_LINGER 0) on the other. */
#ifndef MQLB_DIRECTOR_PROXY_H
#define MQLB_DIRECTOR_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

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
	X(BACKEND_FAILED, "backend_failed") /* connect failed on two backends */

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
	atomic_uint_fast64_t retries; /* dials that went to a second backend */
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
	struct proxy_conn *conns; /* every open connection: cleanup at stop */
	uint64_t log_sec;	  /* rate limit of reject logs */
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
	struct peers *peers; /* NULL without --peers */
};

/* ---- proxy_conn.c ---- */

/* Listener callback (ctx = struct proxy_thread). */
void proxy_accept(struct event_loop *el, int fd, void *ctx, unsigned events);
/* Closes every connection of t (thread stopped). */
void proxy_close_all(struct proxy_thread *t);
/* Frees t's buffer pool. */
void proxy_pool_free(struct proxy_thread *t);

/* Active connections to backend i as the scheduler should see them: this
 * director's (all threads) plus the peers' fresh reports. */
uint64_t proxy_active_global(struct proxy *px, unsigned i);

#endif
