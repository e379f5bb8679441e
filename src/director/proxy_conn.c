/* proxy_conn.c — one client connection through the proxy: accept, read and
 * judge the CONNECT, dial a backend (one retry), replay, forward both ways
 * with backpressure, pass on half-closes and resets (see proxy.h). Runs on a
 * worker thread's event loop; touches only that thread's state and atomics. */
#include "director/proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/time.h"
#include "director/director.h"
#include "mqtt/mqtt.h"

#include <openssl/ssl.h>

#define LINGER_NS	  (1ULL * NS_PER_S) /* after a refusal: wait for the client's FIN */
#define LINGER_MAX_BYTES  (1u << 20)	    /* ... discarding at most this much */
#define ACCEPT_BATCH	  64
#define ACCEPT_PAUSE_NS	  (100ULL * NS_PER_MS) /* out of fds: retry accept after */
#define PROXY_READ_ROUNDS 4		       /* reads per event while buffers fill up */
#define DRAIN_PACKET_NS	  (2ULL * NS_PER_S)    /* drain: to finish the packet under way */
#define HELLO_FIRST	  512 /* first CONNECT buffer: a slow client costs this, not 32 KiB */

enum conn_state {
	PC_HELLO = 0,	/* reading the CONNECT */
	PC_TLS_ACCEPT,	/* TLS handshake with the client (before PC_HELLO) */
	PC_TLS_CONNECT, /* TLS handshake with the backend (after PC_DIALING) */
	PC_PROXY_HDR,	/* --accept-proxy: reading the PROXY v2 header (first of all) */
	PC_DIALING,	/* connecting to a backend */
	PC_FORWARD,	/* both ways */
	PC_LINGER,	/* refused, CONNACK sent: draining until the client closes */
	PC_STATE_COUNT
};

/* One direction: bytes read from one side, not yet written to the other. */
struct proxy_dir {
	struct proxy_buf *buf; /* pending output or NULL: at most one per direction */
	uint32_t off, len;
	uint8_t eof;	      /* source said EOF and shutdown(SHUT_WR) went to the sink */
	uint64_t stall_since; /* the sink took no byte since then (0: not blocked) */
};

struct proxy_conn {
	struct proxy_thread *t;
	struct proxy_conn *prev, *next;
	int cfd, bfd;
	unsigned cmask, bmask; /* interest registered (0 = not in epoll) */
	enum conn_state state;
	int backend; /* counted in proxy_active (dialing or forwarding), else -1 */
	uint64_t tried;
	struct event_timer timer;
	struct sockaddr_storage src;
	struct proxy_buf *hello; /* the CONNECT and whatever followed it */
	uint32_t hello_len;
	uint32_t cid_off, cid_len; /* ClientID inside hello */
	struct proxy_hello h;
	uint32_t lingered;
	struct proxy_dir c2b, b2c;
	SSL *cssl, *bssl;	   /* TLS on that side, else NULL */
	enum conn_state after_hdr; /* --accept-proxy: the state once the header is read */
	uint8_t admitted;	   /* counted in the per-source table (release at close) */
	uint8_t pending;	   /* in the thread's --max-pending FIFO */
	struct proxy_conn *pprev, *pnext;
	uint64_t idle_ns;	 /* FORWARD: close after this long without client bytes */
	uint64_t last_c2b;	 /* ... the last time the client sent some */
	uint64_t fin_since;	 /* when the first side half-closed (0 = none) */
	struct proxy_frame b2cf; /* MQTT 5 with --drain-time: packet ends, broker -> client */
	uint8_t framed;		 /* b2cf is kept */
	uint8_t draining;	 /* its turn came: a DISCONNECT at the next boundary */
	unsigned want;		 /* the event a TLS handshake waits for */
	uint8_t cn_len;		 /* --hash-cn: the client certificate's CN */
	char cn[65];		 /* X.509 ub-common-name is 64 */
};

/* The TLS object of the side fd is (NULL: plain TCP). */
static SSL *ssl_of(const struct proxy_conn *c, int fd)
{
	return fd == c->cfd ? c->cssl : fd == c->bfd ? c->bssl : NULL;
}

static void conn_event(struct event_loop *el, int fd, void *ctx, unsigned events);
static int drain_try(struct proxy_conn *c);

/* ---- --max-pending: a FIFO per thread of the connections before their CONNECT ---- */

static void pending_enter(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	c->pending = 1;
	c->pnext = NULL;
	c->pprev = t->pend_tail;
	if (t->pend_tail)
		t->pend_tail->pnext = c;
	else
		t->pend_head = c;
	t->pend_tail = c;
	atomic_fetch_add_explicit(&t->px->pending, 1, memory_order_relaxed);
}

/* c has its CONNECT (or is gone): no longer pending. */
static void pending_leave(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	if (!c->pending)
		return;
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		t->pend_head = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	else
		t->pend_tail = c->pprev;
	c->pending = 0;
	atomic_fetch_sub_explicit(&t->px->pending, 1, memory_order_relaxed);
}
static void tls_failed(struct proxy_conn *c, enum proxy_tls_fail f, const char *why);

/* ---- buffers ---- */

static struct proxy_buf *pool_get(struct proxy_thread *t)
{
	struct proxy_buf *b = t->pool;
	if (b) {
		t->pool = b->next;
		t->pool_n--;
		return b;
	}
	b = malloc(sizeof(*b) + PROXY_BUF_SIZE);
	if (b)
		b->cap = PROXY_BUF_SIZE;
	return b;
}

static void pool_put(struct proxy_thread *t, struct proxy_buf *b)
{
	if (!b)
		return;
	if (b->cap != PROXY_BUF_SIZE || t->pool_n >= PROXY_POOL_KEEP) {
		free(b);
		return;
	}
	b->next = t->pool;
	t->pool = b;
	t->pool_n++;
}

void proxy_pool_free(struct proxy_thread *t)
{
	while (t->pool) {
		struct proxy_buf *b = t->pool;
		t->pool = b->next;
		free(b);
	}
	t->pool_n = 0;
}

/* ---- helpers ---- */

static void set_mask(struct proxy_conn *c, int fd, unsigned *cur, unsigned mask)
{
	/* An fd with no interest leaves epoll altogether: a hung-up socket we are
	 * not reading yet would otherwise be reported (EPOLLHUP) in a busy loop. */
	if (mask == *cur)
		return;
	struct event_loop *el = c->t->el;
	if (*cur == 0) {
		if (event_add(el, fd, mask, conn_event, c) < 0)
			return; /* only -ENOMEM: the fd stays out; the timer or peer ends it */
	} else if (mask == 0) {
		event_del(el, fd);
	} else {
		event_set(el, fd, mask);
	}
	*cur = mask;
}

static void update_masks(struct proxy_conn *c)
{
	unsigned cm = 0, bm = 0;
	switch (c->state) {
	case PC_HELLO:
	case PC_LINGER:
	case PC_PROXY_HDR:
		cm = EVENT_READ;
		break;
	case PC_DIALING:
		bm = EVENT_WRITE;
		break;
	case PC_TLS_ACCEPT:
		cm = c->want;
		break;
	case PC_TLS_CONNECT:
		bm = c->want;
		break;
	case PC_FORWARD:
		cm = (!c->c2b.buf && !c->c2b.eof ? EVENT_READ : 0) | (c->b2c.buf ? EVENT_WRITE : 0);
		bm = (!c->b2c.buf && !c->b2c.eof && !(c->draining && !proxy_frame_room(&c->b2cf))
			  ? EVENT_READ
			  : 0) |
		     (c->c2b.buf ? EVENT_WRITE : 0);
		break;
	case PC_STATE_COUNT:
		break;
	}
	set_mask(c, c->cfd, &c->cmask, cm);
	if (c->bfd >= 0)
		set_mask(c, c->bfd, &c->bmask, bm);
}

static void close_fd(struct proxy_conn *c, int *fd, unsigned *mask, int reset)
{
	if (*fd < 0)
		return;
	if (*mask)
		event_del(c->t->el, *fd);
	*mask = 0;
	if (reset) { /* close() then sends RST instead of FIN */
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(*fd);
	*fd = -1;
}

static void release_backend(struct proxy_conn *c)
{
	if (c->backend < 0)
		return;
	atomic_fetch_sub_explicit(&c->t->px->d->backends[c->backend].proxy_active, 1,
				  memory_order_relaxed);
	c->backend = -1;
}

/* Frees c. reset_c / reset_b: close that side with RST. */
static void conn_destroy(struct proxy_conn *c, int reset_c, int reset_b)
{
	struct proxy_thread *t = c->t;
	event_timer_cancel(t->el, &c->timer);
	release_backend(c);
	pending_leave(c);
	if (c->admitted)
		proxy_limits_release(t->px->limits, &c->src);
	SSL_free(c->cssl); /* no close_notify: a refusal or a reset */
	SSL_free(c->bssl);
	close_fd(c, &c->cfd, &c->cmask, reset_c);
	close_fd(c, &c->bfd, &c->bmask, reset_b);
	pool_put(t, c->hello);
	pool_put(t, c->c2b.buf);
	pool_put(t, c->b2c.buf);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_fetch_sub_explicit(&t->px->open, 1, memory_order_relaxed);
	free(c);
}

void proxy_close_all(struct proxy_thread *t)
{
	while (t->conns)
		conn_destroy(t->conns, 0, 0);
}

static void count_reject(struct proxy_thread *t, enum proxy_reject r)
{
	atomic_fetch_add_explicit(&t->ctr.rejects[r], 1, memory_order_relaxed);
}

/* Logs a refusal, at most PROXY_LOG_PER_SEC lines per thread and second. */
static void log_reject(struct proxy_thread *t, const struct sockaddr_storage *src,
		       enum proxy_reject r, const char *detail)
{
	uint64_t sec = event_loop_now(t->el) / NS_PER_S;
	char a[ADDR_STRLEN];
	if (sec != t->log_sec) {
		if (t->log_dropped)
			log_warn("proxy: %u more refusals in the last second not logged "
				 "(see status: rejects)",
				 t->log_dropped);
		t->log_sec = sec;
		t->log_n = 0;
		t->log_dropped = 0;
	}
	if (t->log_n++ >= PROXY_LOG_PER_SEC) {
		t->log_dropped++;
		return;
	}
	log_warn("proxy: client %s refused: %s%s%s", src ? addr_format(src, a, sizeof(a)) : "?",
		 proxy_reject_name(r), detail ? ": " : "", detail ? detail : "");
}

static void linger_timeout(struct event_loop *el, void *ctx)
{
	conn_destroy(ctx, 0, 0);
}

/* Refuses c: counted, logged, CONNACK where the protocol has one, then a
 * lingering close (so the CONNACK is not lost to a RST from unread bytes). */
static void conn_refuse(struct proxy_conn *c, enum proxy_reject r, const char *detail)
{
	struct proxy_thread *t = c->t;
	uint8_t ack[8];
	count_reject(t, r);
	log_reject(t, &c->src, r, detail);
	pending_leave(c); /* lingering is bounded by LINGER_NS */
	size_t n = proxy_hello_connack(&c->h, r, ack, sizeof(ack));
	SSL_free(c->bssl);
	c->bssl = NULL;
	close_fd(c, &c->bfd, &c->bmask, 0);
	release_backend(c);
	if (n == 0 || proxy_io_write(c->cssl, c->cfd, ack, n) != (ssize_t)n) {
		conn_destroy(c, r == PROXY_REJ_NOT_MQTT, 0);
		return;
	}
	proxy_io_shutdown_wr(c->cssl, c->cfd);
	c->state = PC_LINGER;
	c->timer.fn = linger_timeout;
	event_timer_arm(t->el, &c->timer, event_loop_now(t->el) + LINGER_NS);
	update_masks(c);
}

static void linger_read(struct proxy_conn *c)
{
	uint8_t sink[4096];
	ssize_t n = proxy_io_read(c->cssl, c->cfd, sink, sizeof(sink));
	if (n > 0)
		c->lingered += (uint32_t)n;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
	    c->lingered > LINGER_MAX_BYTES)
		conn_destroy(c, 0, 0);
}

/* ---- dialing ---- */

static int pick(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	struct proxy *px = t->px;
	unsigned cfg[DIRECTOR_MAX_BACKENDS], eff[DIRECTOR_MAX_BACKENDS];
	uint64_t active[DIRECTOR_MAX_BACKENDS];
	for (unsigned i = 0; i < px->n; i++) {
		cfg[i] = atomic_load_explicit(&px->cfg_w[i], memory_order_relaxed);
		eff[i] = atomic_load_explicit(&px->d->backends[i].effective_weight,
					      memory_order_relaxed);
	}
	sched_set_weights(&t->sched, cfg, eff);
	if (sched_needs_active(&t->sched))
		for (unsigned i = 0; i < px->n; i++)
			active[i] = proxy_active_global(px, i);
	struct sched_key key = {c->hello->data + c->cid_off, c->cid_len, &c->src};
	if (px->hash_cn) { /* verified at the handshake: the CN names the device */
		key.clientid = (const uint8_t *)c->cn;
		key.clientid_len = c->cn_len;
	}
	return sched_pick(&t->sched, &key, active, c->tried);
}

static void dial_timeout(struct event_loop *el, void *ctx);
static void dial_failed(struct proxy_conn *c, int err);

static void dial(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	struct proxy *px = t->px;
	int b = pick(c);
	if (b < 0) {
		conn_refuse(c, c->tried ? PROXY_REJ_BACKEND_FAILED : PROXY_REJ_NO_BACKEND, NULL);
		return;
	}
	struct sockaddr_storage ba_copy; /* a reload may rewrite it under us */
	const struct sockaddr_storage *ba = &ba_copy;
	director_backend_addr(&px->d->backends[b], &ba_copy);
	c->tried |= 1ULL << b;
	c->backend = b;
	atomic_fetch_add_explicit(&px->d->backends[b].proxy_active, 1, memory_order_relaxed);
	c->state = PC_DIALING;
	c->bfd = socket(ba->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->bfd == -1) {
		dial_failed(c, errno);
		return;
	}
	int one = 1;
	setsockopt(c->bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->bfd, (const struct sockaddr *)ba, addr_len(ba)) == -1 &&
	    errno != EINPROGRESS) {
		dial_failed(c, errno);
		return;
	}
	c->timer.fn = dial_timeout;
	event_timer_arm(t->el, &c->timer, event_loop_now(t->el) + PROXY_DIAL_TIMEOUT);
	update_masks(c);
}

static void dial_failed(struct proxy_conn *c, int err)
{
	struct proxy_thread *t = c->t;
	char a[ADDR_STRLEN];
	log_warn("proxy: backend %s: connect failed: %s",
		 addr_format(&t->px->d->backends[c->backend].addr, a, sizeof(a)), strerror(err));
	SSL_free(c->bssl);
	c->bssl = NULL;
	close_fd(c, &c->bfd, &c->bmask, 0);
	release_backend(c);
	event_timer_cancel(t->el, &c->timer);
	if (__builtin_popcountll(c->tried) >= 2) {
		conn_refuse(c, PROXY_REJ_BACKEND_FAILED, strerror(err));
		return;
	}
	atomic_fetch_add_explicit(&t->ctr.retries, 1, memory_order_relaxed);
	dial(c); /* the next one the scheduler would choose, this one excluded */
}

static void dial_timeout(struct event_loop *el, void *ctx)
{
	dial_failed(ctx, ETIMEDOUT);
}

/* ---- forwarding ---- */

/* The earliest FORWARD deadline (idle, half-close), UINT64_MAX for none. */
static uint64_t fwd_deadline(const struct proxy_conn *c)
{
	uint64_t d = UINT64_MAX, fin = c->t->px->fin_ns;
	if (c->idle_ns)
		d = c->last_c2b + c->idle_ns;
	if (fin && c->fin_since && c->fin_since + fin < d)
		d = c->fin_since + fin;
	uint64_t st = c->t->px->stall_ns;
	if (st && c->c2b.stall_since && c->c2b.stall_since + st < d)
		d = c->c2b.stall_since + st;
	if (st && c->b2c.stall_since && c->b2c.stall_since + st < d)
		d = c->b2c.stall_since + st;
	return d;
}

static void fwd_arm(struct proxy_conn *c)
{
	uint64_t d = fwd_deadline(c);
	if (d != UINT64_MAX)
		event_timer_arm(c->t->el, &c->timer, d);
}

/* Armed for the earliest deadline; client bytes move the idle one without
 * touching the timer, so this re-arms until one has really passed. */
static void fwd_timeout(struct event_loop *el, void *ctx)
{
	struct proxy_conn *c = ctx;
	struct proxy_thread *t = c->t;
	uint64_t now = event_loop_now(el), fin = t->px->fin_ns;
	if (fin && c->fin_since && now >= c->fin_since + fin) {
		atomic_fetch_add_explicit(&t->ctr.fin_closed, 1, memory_order_relaxed);
		conn_destroy(c, 0, 0);
		return;
	}
	if (c->idle_ns && now >= c->last_c2b + c->idle_ns) {
		atomic_fetch_add_explicit(&t->ctr.idle_closed, 1, memory_order_relaxed);
		conn_destroy(c, 0, 0);
		return;
	}
	uint64_t st = t->px->stall_ns;
	if (st && ((c->b2c.stall_since && now >= c->b2c.stall_since + st) ||
		   (c->c2b.stall_since && now >= c->c2b.stall_since + st))) {
		/* a peer that reads nothing holds a buffer and a broker session:
		 * reset both sides, the reader may never drain what is queued */
		int client = c->b2c.stall_since && now >= c->b2c.stall_since + st;
		atomic_fetch_add_explicit(client ? &t->ctr.stall_client : &t->ctr.stall_backend, 1,
					  memory_order_relaxed);
		conn_destroy(c, 1, 1);
		return;
	}
	fwd_arm(c);
}

static void forward_start(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	int b = c->backend;
	event_timer_cancel(t->el, &c->timer);
	c->state = PC_FORWARD;
	atomic_fetch_add_explicit(&t->ctr.total[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->ctr.bytes_in[b], c->hello_len, memory_order_relaxed);
	/* Replay: the CONNECT (and anything after it) is the first pending output. */
	c->c2b.buf = c->hello;
	c->c2b.off = 0;
	c->c2b.len = c->hello_len;
	c->hello = NULL;
	c->last_c2b = event_loop_now(t->el);
	c->timer.fn = fwd_timeout;
	fwd_arm(c);
}

/* The sink of d took no byte (its kernel send queue is full): from now on
 * --stall-timeout runs, unless the next write makes progress. */
static void stall_mark(struct proxy_conn *c, struct proxy_dir *d)
{
	if (d->stall_since || !c->t->px->stall_ns || c->state != PC_FORWARD)
		return;
	d->stall_since = event_loop_now(c->t->el);
	if (c->timer.fn == fwd_timeout) /* not the drain's timer */
		fwd_arm(c);
}

/* Writes d's pending bytes to fd. Returns 0, or -1 when the sink failed
 * (EPIPE/ECONNRESET: the caller resets the other side). */
static int dir_flush(struct proxy_conn *c, struct proxy_dir *d, int fd)
{
	while (d->buf && d->off < d->len) {
		ssize_t w =
		    proxy_io_write(ssl_of(c, fd), fd, d->buf->data + d->off, d->len - d->off);
		if (w > 0) {
			d->off += (uint32_t)w;
			d->stall_since = 0; /* the peer reads: progress */
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			stall_mark(c, d);
			return 0;
		}
		return -1;
	}
	d->stall_since = 0;
	pool_put(c->t, d->buf);
	d->buf = NULL;
	return 0;
}

/* Reads from src into d and writes through to sink. Returns 0, 1 when src said
 * EOF (half-close passed on), -1 when src was reset or failed, -2 when the sink
 * failed. A reset is passed on as a reset (both sides closed with SO_LINGER 0:
 * RST on a socket that already got one costs nothing). */
static int dir_pump(struct proxy_conn *c, struct proxy_dir *d, int src, int sink,
		    atomic_uint_fast64_t *bytes)
{
	for (int round = 0; round < PROXY_READ_ROUNDS && !d->buf; round++) {
		struct proxy_buf *b = pool_get(c->t);
		if (!b)
			return 0; /* out of memory: try again on the next event */
		size_t want = b->cap;
		if (c->draining && d == &c->b2c) { /* up to the next packet boundary only */
			want = proxy_frame_room(&c->b2cf);
			want = want < b->cap ? want : b->cap;
			if (!want) {
				pool_put(c->t, b);
				return 0;
			}
		}
		ssize_t n = proxy_io_read(ssl_of(c, src), src, b->data, want);
		if (n <= 0) {
			pool_put(c->t, b);
			if (n == 0) {
				d->eof = 1;
				proxy_io_shutdown_wr(ssl_of(c, sink), sink);
				if (c->t->px->fin_ns && !c->fin_since) {
					c->fin_since = event_loop_now(c->t->el);
					fwd_arm(c);
				}
				return 1;
			}
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		atomic_fetch_add_explicit(bytes, (uint64_t)n, memory_order_relaxed);
		if (d == &c->c2b)
			c->last_c2b = event_loop_now(c->t->el);
		else if (c->framed)
			proxy_frame_feed(&c->b2cf, b->data, (size_t)n);
		d->buf = b;
		d->off = 0;
		d->len = (uint32_t)n;
		if (dir_flush(c, d, sink) < 0)
			return -2;
		if ((size_t)n < want && !proxy_io_pending(ssl_of(c, src)))
			break; /* drained the socket (most likely): back to epoll */
	}
	return 0;
}

static void forward_event(struct proxy_conn *c, int fd, unsigned events)
{
	struct proxy_thread *t = c->t;
	int b = c->backend, rc;
	int from_client = fd == c->cfd;
	struct proxy_dir *in = from_client ? &c->c2b : &c->b2c;	 /* fd is its source */
	struct proxy_dir *out = from_client ? &c->b2c : &c->c2b; /* fd is its sink */
	int other = from_client ? c->bfd : c->cfd;

	if (events & EVENT_WRITE) {
		if (dir_flush(c, out, fd) < 0) {
			/* fd cannot take bytes (reset): reset the other side too */
			conn_destroy(c, 1, 1);
			return;
		}
	}
	if (events & (EVENT_READ | EVENT_ERROR)) {
		if (!in->buf && !in->eof) {
			rc = dir_pump(c, in, fd, other,
				      from_client ? &t->ctr.bytes_in[b] : &t->ctr.bytes_out[b]);
			if (rc < 0) { /* one side was reset: pass it on to the other */
				conn_destroy(c, 1, 1);
				return;
			}
		} else if (events & EVENT_ERROR) {
			int err = 0;
			socklen_t l = sizeof(err);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err) {
				conn_destroy(c, 1, 1);
				return;
			}
		}
	}
	if (c->c2b.eof && c->b2c.eof && !c->c2b.buf && !c->b2c.buf) {
		conn_destroy(c, 0, 0); /* both halves closed and flushed */
		return;
	}
	update_masks(c);
	if (c->draining && drain_try(c))
		return;
	/* Bytes TLS decrypted already do not make the socket readable again. */
	if (!c->c2b.buf && !c->c2b.eof && proxy_io_pending(c->cssl))
		forward_event(c, c->cfd, EVENT_READ);
	else if (!c->b2c.buf && !c->b2c.eof && proxy_io_pending(c->bssl))
		forward_event(c, c->bfd, EVENT_READ);
}

/* ---- the CONNECT ---- */

static void hello_timeout(struct event_loop *el, void *ctx)
{
	struct proxy_conn *c = ctx;
	char why[48];
	if (c->state == PC_TLS_ACCEPT) {
		tls_failed(c, PROXY_TLS_TIMEOUT, "no TLS handshake within the CONNECT timeout");
		return;
	}
	snprintf(why, sizeof(why), "%u bytes in %llu s", c->hello_len,
		 (unsigned long long)(PROXY_CONNECT_TIMEOUT / NS_PER_S));
	count_reject(c->t, PROXY_REJ_TIMEOUT);
	log_reject(c->t, &c->src, PROXY_REJ_TIMEOUT, why);
	conn_destroy(c, 0, 0);
}

/* A buffer for the first bytes of a connection (freed, not pooled: cap differs). */
static struct proxy_buf *small_buf(uint32_t cap)
{
	struct proxy_buf *b = malloc(sizeof(*b) + cap);
	if (b)
		b->cap = cap;
	return b;
}

static void hello_read(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	if (!c->hello && !(c->hello = small_buf(HELLO_FIRST)))
		return;
	if (c->hello_len == c->hello->cap && c->h.want > c->hello->cap) {
		/* a CONNECT larger than a pool buffer (up to PROXY_CONNECT_MAX) */
		struct proxy_buf *big = malloc(sizeof(*big) + c->h.want);
		if (!big)
			return;
		big->cap = c->h.want;
		memcpy(big->data, c->hello->data, c->hello_len);
		pool_put(t, c->hello);
		c->hello = big;
	}
	ssize_t n = proxy_io_read(c->cssl, c->cfd, c->hello->data + c->hello_len,
				  c->hello->cap - c->hello_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		count_reject(t, PROXY_REJ_CLOSED);
		log_reject(t, &c->src, PROXY_REJ_CLOSED,
			   n == 0 ? "EOF before a complete CONNECT" : strerror(errno));
		conn_destroy(c, 0, 0);
		return;
	}
	if (n < 0)
		return;
	c->hello_len += (uint32_t)n;
	int r = proxy_hello_peek(c->hello->data, c->hello_len, PROXY_CONNECT_MAX, &c->h);
	if (r == 0) { /* more to come (the buffer grows to h.want on the next read) */
		if (proxy_io_pending(c->cssl))
			hello_read(c); /* already decrypted: epoll will not say so */
		return;
	}
	if (r < 0) {
		conn_refuse(c, c->h.reject, c->h.mqtt_err ? mqtt_err_str(c->h.mqtt_err) : NULL);
		return;
	}
	c->cid_off = (uint32_t)(c->h.clientid ? c->h.clientid - c->hello->data : 0);
	c->cid_len = c->h.clientid_len;
	pending_leave(c);
	/* the broker closes after 1.5 x keepalive without a packet (3.1.1 §3.1.2.10):
	 * so does the tunnel, or after --idle-timeout when the client has none */
	uint32_t ka = proxy_connect_keepalive(c->hello->data, c->h.connect_len);
	c->idle_ns = ka ? (uint64_t)ka * 3 * NS_PER_S / 2 : t->px->idle_ns;
	c->framed = c->h.level == 5 && t->px->drain_ns; /* only they get a DISCONNECT */
	if (t->px->hash_cn && c->cssl)
		c->cn_len = (uint8_t)proxy_tls_peer_cn(c->cssl, c->cn, sizeof(c->cn));
	event_timer_cancel(t->el, &c->timer);
	dial(c);
}

/* ---- TLS handshakes ---- */

/* A client handshake failed: counted by reason, logged, closed (OpenSSL has
 * sent its alert where there is one). */
static void tls_failed(struct proxy_conn *c, enum proxy_tls_fail f, const char *why)
{
	struct proxy_thread *t = c->t;
	char detail[200];
	snprintf(detail, sizeof(detail), "%s (%s)", proxy_tls_fail_name(f), why);
	atomic_fetch_add_explicit(&t->ctr.tls_fail[f], 1, memory_order_relaxed);
	count_reject(t, PROXY_REJ_TLS);
	log_reject(t, &c->src, PROXY_REJ_TLS, detail);
	conn_destroy(c, f == PROXY_TLS_NOT_TLS, 0);
}

/* A plain MQTT client on the TLS port sends 0x10 where TLS sends 0x16: say so
 * instead of OpenSSL's "wrong version number". Returns 1 when it is not TLS. */
static int not_tls(struct proxy_conn *c, char *why, size_t whylen)
{
	uint8_t b;
	if (SSL_in_before(c->cssl) == 0 || recv(c->cfd, &b, 1, MSG_PEEK) != 1 || b == 0x16)
		return 0;
	snprintf(why, whylen, "first byte 0x%02x%s", b,
		 b == 0x10 ? ", an MQTT CONNECT: plain TCP on the TLS port" : "");
	return 1;
}

static void tls_accept_step(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	enum proxy_tls_fail f = PROXY_TLS_PROTOCOL;
	char why[160];
	if (not_tls(c, why, sizeof(why))) {
		tls_failed(c, PROXY_TLS_NOT_TLS, why);
		return;
	}
	int r = proxy_tls_handshake(c->cssl, &c->want, &f, why, sizeof(why));
	if (r < 0) {
		tls_failed(c, f, why);
		return;
	}
	if (r == 0) {
		update_masks(c);
		return;
	}
	atomic_fetch_add_explicit(&t->ctr.tls_handshakes, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(
	    &t->ctr.tls_versions[strcmp(proxy_tls_version(c->cssl), "TLSv1.3") == 0], 1,
	    memory_order_relaxed);
	c->state = PC_HELLO; /* the CONNECT timer keeps running */
	update_masks(c);
	hello_read(c); /* the CONNECT may have come with the client's Finished */
}

static void tls_connect_step(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	enum proxy_tls_fail f = PROXY_TLS_PROTOCOL;
	char why[160], a[ADDR_STRLEN];
	int r = proxy_tls_handshake(c->bssl, &c->want, &f, why, sizeof(why));
	if (r == 0) {
		update_masks(c);
		return;
	}
	if (r < 0) {
		atomic_fetch_add_explicit(&t->ctr.tls_fail[PROXY_TLS_BACKEND], 1,
					  memory_order_relaxed);
		log_warn("proxy: backend %s: TLS handshake failed: %s (%s)",
			 addr_format(&t->px->d->backends[c->backend].addr, a, sizeof(a)),
			 proxy_tls_fail_name(f), why);
		dial_failed(c, EPROTO);
		return;
	}
	atomic_fetch_add_explicit(&t->ctr.tls_backend, 1, memory_order_relaxed);
	forward_start(c);
	forward_event(c, c->bfd, EVENT_WRITE); /* the replay */
}

/* TCP to the backend is up: TLS over it (the dial timer bounds both). */
static void tls_connect_start(struct proxy_conn *c)
{
	c->bssl =
	    proxy_tls_connect_new(c->t->px->tls, c->bfd, &c->t->px->d->backends[c->backend].addr);
	if (!c->bssl) {
		dial_failed(c, ENOMEM);
		return;
	}
	c->state = PC_TLS_CONNECT;
	c->want = EVENT_WRITE;
	tls_connect_step(c);
}

/* ---- admission ---- */

/* Per-source limits for c->src (the real client: after --accept-proxy's
 * header). Returns 1 admitted, 0 refused and destroyed. */
static int admit(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	enum proxy_reject r = proxy_limits_admit(t->px->limits, &c->src, event_loop_now(t->el));
	if (r == PROXY_REJ_NONE) {
		c->admitted = t->px->limits != NULL;
		return 1;
	}
	count_reject(t, r);
	log_reject(t, &c->src, r, NULL);
	conn_destroy(c, 1, 0);
	return 0;
}

/* --max-pending reached: the oldest connection of this thread still without
 * its CONNECT makes room (a silent one would hold its slot for the whole
 * CONNECT timeout; a real client sends its CONNECT within a round trip).
 * Returns 1 when there is room now. */
static int pending_room(struct proxy_thread *t)
{
	struct proxy *px = t->px;
	if (!px->max_pending ||
	    atomic_load_explicit(&px->pending, memory_order_relaxed) < px->max_pending)
		return 1;
	struct proxy_conn *old = t->pend_head;
	if (!old)
		return 0; /* every pending one is on other threads */
	count_reject(t, PROXY_REJ_PENDING);
	log_reject(t, &old->src, PROXY_REJ_PENDING, "--max-pending reached: the oldest goes");
	conn_destroy(old, 1, 0);
	return 1;
}

/* ---- PROXY protocol v2 ---- */

/* --accept-proxy: reads the header, exactly its bytes (what follows is TLS or
 * the CONNECT), then the connection goes on as if accepted from the client the
 * header names. */
static void proxy_hdr_read(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	const char *why = NULL;
	size_t need = PROXY_V2_HDR;
	if (!c->hello && !(c->hello = small_buf(PROXY_V2_MAX)))
		return;
	if (c->hello_len)
		proxy_v2_parse(c->hello->data, c->hello_len, &c->src, &need, &why);
	ssize_t n = read(c->cfd, c->hello->data + c->hello_len, need - c->hello_len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		count_reject(t, PROXY_REJ_PROXY_HDR);
		log_reject(t, &c->src, PROXY_REJ_PROXY_HDR, "closed before a complete header");
		conn_destroy(c, 0, 0);
		return;
	}
	if (n < 0)
		return;
	c->hello_len += (uint32_t)n;
	int r = proxy_v2_parse(c->hello->data, c->hello_len, &c->src, &need, &why);
	if (r < 0) {
		count_reject(t, PROXY_REJ_PROXY_HDR);
		log_reject(t, &c->src, PROXY_REJ_PROXY_HDR, why);
		conn_destroy(c, 1, 0);
		return;
	}
	if (r == 0)
		return;
	c->hello_len = 0; /* the buffer is the CONNECT's from here */
	if (!admit(c))
		return;
	c->state = c->after_hdr;
	update_masks(c);
}

/* --send-proxy-v2: the header goes first on a fresh connection (before any
 * TLS), so one write takes it whole. Returns 0, or -1 after dial_failed. */
static int send_proxy_hdr(struct proxy_conn *c)
{
	uint8_t h[PROXY_V2_HDR + 36];
	struct sockaddr_storage dst;
	socklen_t dl = sizeof(dst);
	if (getsockname(c->cfd, (struct sockaddr *)&dst, &dl) != 0)
		memset(&dst, 0, sizeof(dst));
	size_t n = proxy_v2_build(h, sizeof(h), &c->src, &dst);
	if (write(c->bfd, h, n) != (ssize_t)n) {
		dial_failed(c, errno ? errno : EIO);
		return -1;
	}
	return 0;
}

/* ---- drain ---- */

/* A draining MQTT 5 connection at a packet boundary with nothing queued for
 * the client: DISCONNECT 0x9C, then closed. Returns 1 when c is gone. */
static int drain_try(struct proxy_conn *c)
{
	struct proxy_thread *t = c->t;
	uint8_t pkt[8 + PROXY_SERVER_REF_MAX];
	if (c->b2c.buf || proxy_frame_room(&c->b2cf))
		return 0;
	size_t n = proxy_disconnect_use_another(pkt, sizeof(pkt), t->px->server_ref);
	/* the socket's buffer is empty (b2c flushed): it takes these bytes whole */
	if (n && proxy_io_write(c->cssl, c->cfd, pkt, n) == (ssize_t)n)
		atomic_fetch_add_explicit(&t->ctr.drain_disconnects, 1, memory_order_relaxed);
	conn_destroy(c, 0, 0);
	return 1;
}

static void drain_force(struct event_loop *el, void *ctx)
{
	conn_destroy(ctx, 0, 0); /* a packet that never ended: no DISCONNECT */
}

/* c's turn in the drain. */
static void drain_one(struct proxy_conn *c)
{
	atomic_fetch_add_explicit(&c->t->ctr.drain_closed, 1, memory_order_relaxed);
	if (c->state != PC_FORWARD || !c->framed) {
		conn_destroy(c, 0, 0); /* FIN: 3.1.1 has no DISCONNECT from the server */
		return;
	}
	c->draining = 1;
	c->timer.fn = drain_force;
	/* a client that takes no bytes for this long is cut, like any other */
	event_timer_arm(c->t->el, &c->timer, event_loop_now(c->t->el) + DRAIN_PACKET_NS);
	if (!drain_try(c))
		update_masks(c);
}

/* Closes the connections whose time has come: the k-th of n at k/n of the
 * drain time, so clients reconnect elsewhere spread out, not in a storm. */
static void drain_tick(struct event_loop *el, void *ctx)
{
	struct proxy_thread *t = ctx;
	uint64_t now = event_loop_now(el), span = t->px->drain_span;
	while (t->drain_done < t->drain_total &&
	       now >= t->drain_start + span * t->drain_done / t->drain_total) {
		struct proxy_conn *c = t->conns;
		while (c && c->draining)
			c = c->next;
		if (!c)
			break;
		t->drain_done++;
		drain_one(c);
	}
	if (!t->conns) {
		atomic_fetch_add(&t->px->drained, 1);
		event_loop_stop(el);
		return;
	}
	uint64_t next = t->drain_done < t->drain_total
			    ? t->drain_start + span * t->drain_done / t->drain_total
			    : now + 10 * NS_PER_MS; /* the last ones finish their packet */
	event_timer_arm(el, &t->drain_timer, next);
}

void proxy_drain_check(struct event_loop *el, void *ctx)
{
	struct proxy_thread *t = ctx;
	if (t->draining || !atomic_load_explicit(&t->px->drain, memory_order_relaxed))
		return;
	t->draining = 1;
	if (t->accept_paused) /* out of fds a moment ago: no resume now */
		event_timer_cancel(el, &t->accept_timer);
	if (t->listen_fd >= 0) { /* no new clients here: the kernel resets its backlog */
		event_del(el, t->listen_fd);
		close(t->listen_fd);
		t->listen_fd = -1;
	}
	t->drain_start = event_loop_now(el);
	t->drain_total = 0;
	for (struct proxy_conn *c = t->conns; c; c = c->next)
		t->drain_total++;
	t->drain_done = 0;
	event_timer_init(&t->drain_timer, drain_tick, t);
	event_timer_arm(el, &t->drain_timer, t->drain_start);
}

/* ---- events ---- */

static void conn_event(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct proxy_conn *c = ctx;
	switch (c->state) {
	case PC_HELLO:
		hello_read(c);
		return;
	case PC_LINGER:
		linger_read(c);
		return;
	case PC_DIALING:
		if (fd == c->bfd) {
			int err = 0;
			socklen_t l = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == -1)
				err = errno;
			if (err) {
				dial_failed(c, err);
				return;
			}
			if ((c->t->px->send_v2 ||
			     c->t->px->d->backends[c->backend].send_proxy_v2) &&
			    send_proxy_hdr(c) < 0)
				return;
			if (proxy_tls_client(c->t->px->tls)) {
				tls_connect_start(c);
				return;
			}
			forward_start(c);
			forward_event(c, c->bfd, EVENT_WRITE); /* the replay */
		}
		return;
	case PC_TLS_ACCEPT:
		tls_accept_step(c);
		return;
	case PC_TLS_CONNECT:
		tls_connect_step(c);
		return;
	case PC_PROXY_HDR:
		proxy_hdr_read(c);
		return;
	case PC_FORWARD:
		forward_event(c, fd, events);
		return;
	case PC_STATE_COUNT:
		break;
	}
}

static void accept_resume(struct event_loop *el, void *ctx)
{
	struct proxy_thread *t = ctx;
	t->accept_paused = 0;
	event_set(el, t->listen_fd, EVENT_READ);
}

void proxy_accept(struct event_loop *el, int lfd, void *ctx, unsigned events)
{
	struct proxy_thread *t = ctx;
	struct proxy *px = t->px;
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of fds: the pending connection stays in the backlog;
				 * stop polling the listener for a moment instead of
				 * spinning on it. */
				log_reject(t, NULL, PROXY_REJ_LIMIT, strerror(errno));
				t->accept_paused = 1;
				event_set(el, lfd, 0);
				event_timer_init(&t->accept_timer, accept_resume, t);
				event_timer_arm(el, &t->accept_timer,
						event_loop_now(el) + ACCEPT_PAUSE_NS);
			}
			return;
		}
		atomic_fetch_add_explicit(&t->ctr.accepted, 1, memory_order_relaxed);
		unsigned open = atomic_fetch_add_explicit(&px->open, 1, memory_order_relaxed);
		struct proxy_conn *c = NULL;
		if (!pending_room(t)) {
			atomic_fetch_sub_explicit(&px->open, 1, memory_order_relaxed);
			count_reject(t, PROXY_REJ_PENDING);
			log_reject(t, &ss, PROXY_REJ_PENDING, "--max-pending reached");
			close(fd);
			continue;
		}
		if (open >= px->max_conns || !(c = calloc(1, sizeof(*c)))) {
			atomic_fetch_sub_explicit(&px->open, 1, memory_order_relaxed);
			count_reject(t, PROXY_REJ_LIMIT);
			log_reject(t, &ss, PROXY_REJ_LIMIT,
				   c ? "--max-connections reached" : "out of memory");
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->t = t;
		c->cfd = fd;
		c->bfd = -1;
		c->backend = -1;
		c->src = ss;
		c->state = PC_HELLO;
		if (proxy_tls_server(px->tls)) {
			c->state = PC_TLS_ACCEPT;
			c->want = EVENT_READ;
			c->cssl = proxy_tls_accept_new(px->tls, fd);
		}
		if (px->accept_v2) {
			c->after_hdr = c->state;
			c->state = PC_PROXY_HDR;
		}
		pending_enter(c);
		c->next = t->conns;
		if (t->conns)
			t->conns->prev = c;
		t->conns = c;
		event_timer_init(&c->timer, hello_timeout, c);
		event_timer_arm(el, &c->timer, event_loop_now(el) + PROXY_CONNECT_TIMEOUT);
		if (!px->accept_v2 && !admit(c))
			continue;
		update_masks(c);
		if (c->cmask == 0 || (c->state == PC_TLS_ACCEPT && !c->cssl))
			conn_destroy(c, 1, 0);
	}
}
