/* client.c — the MQTT client state machine of mqlb bench (see client.h). */
#include "bench/client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/backoff.h"
#include "bench/pace.h"
#include "bench/payload.h"
#include "bench/tls.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/time.h"
#include "mqtt/mqtt.h"

#define SCRATCH_SIZE	  65536
#define TX_KEEP_MAX	  16384 /* larger tx buffers are freed once empty */
#define RX_KEEP_MAX	  4096
#define PUMP_BUDGET	  1024 /* messages per publisher per loop iteration */
#define READS_PER_EVT	  4
#define TLS_READS_PER_EVT 64 /* records (16 KiB at most each) */

static void client_close(struct bench_client *c, int err, int cerr_kind, int code);
#define RUN_COALESCE_NS(w) ((w)->run->o.coalesce_ns)

static inline struct bench_run *RUN(const struct bench_client *c)
{
	return c->w->run;
}

static void count_err(struct bench_worker *w, int err)
{
	w->err[err]++;
	LIVE_ADD(w, errors, 1);
}

static void count_cerr(struct bench_worker *w, int kind, int code)
{
	w->cerr[kind][code & 0xff]++;
	LIVE_ADD(w, errors, 1);
}

/* ---- output: per-client buffer, flushed once per loop iteration ---- */

static uint8_t *tx_reserve(struct bench_client *c, uint32_t n)
{
	if (c->tx_len + n > c->tx_cap) {
		uint32_t cap = c->tx_cap ? c->tx_cap : 256;
		while (cap < c->tx_len + n)
			cap *= 2;
		uint8_t *b = realloc(c->tx, cap);
		if (!b)
			return NULL;
		c->tx = b;
		c->tx_cap = cap;
	}
	if (!c->dirty) {
		c->dirty = true;
		c->next_dirty = c->w->dirty;
		c->w->dirty = c;
	}
	return c->tx + c->tx_len;
}

static void tx_reset(struct bench_client *c)
{
	c->tx_len = c->tx_off = 0;
	if (c->tx_cap > TX_KEEP_MAX) {
		free(c->tx);
		c->tx = NULL;
		c->tx_cap = 0;
	}
}

static void confirm(struct bench_client *c, uint64_t seq)
{
	struct bench_pub *p = c->pub;
	if (bench_pub_confirm(&p->acct, seq) == 1) {
		LIVE_ADD(c->w, acked, 1);
		LIVE_ADD(c->w, expected, p->matching_subs);
	}
}

static void arm_pump_now(struct bench_client *c)
{
	event_timer_arm(c->w->el, &c->pub->timer, 0);
}

/* send(), or SSL_write with --tls: bytes written, -EAGAIN, or -errno. */
static ssize_t io_write(struct bench_client *c, const void *buf, size_t len)
{
	if (c->ssl)
		return bench_tls_write(c, buf, len);
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n >= 0 ? n : -errno;
}

/* recv(), or SSL_read with --tls: bytes, 0 at EOF, -EAGAIN, or -errno. */
static ssize_t io_read(struct bench_client *c, void *buf, size_t len)
{
	if (c->ssl)
		return bench_tls_read(c, buf, len);
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
	return n >= 0 ? n : -errno;
}

/* Writes the pending bytes. Returns 0 (all written or the socket is full) or
 * -errno (connection broken). */
static int tx_flush(struct bench_client *c)
{
	while (c->tx_off < c->tx_len) {
		/* with TLS, one SSL_write per record: the acks of an iteration
		 * still leave together (one record holds up to 16 KiB) */
		ssize_t n = io_write(c, c->tx + c->tx_off, c->tx_len - c->tx_off);
		if (n > 0) {
			c->tx_off += (uint32_t)n;
			c->w->bytes_out += (uint64_t)n;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == 0)
			return -EPIPE;
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (!c->wr_interest) {
				c->wr_interest = true;
				event_set(c->w->el, c->fd, EVENT_READ | EVENT_WRITE);
			}
			return 0;
		}
		return (int)n;
	}
	c->last_tx_ns = event_loop_now(c->w->el);
	tx_reset(c);
	if (c->wr_interest) {
		c->wr_interest = false;
		event_set(c->w->el, c->fd, EVENT_READ);
	}
	struct bench_pub *p = c->pub;
	if (p && p->q0_hi > p->q0_lo) { /* QoS 0: "published" = written to the socket */
		for (uint64_t s = p->q0_lo; s < p->q0_hi; s++)
			confirm(c, s);
		p->q0_lo = p->q0_hi = 0;
		if (!p->done)
			arm_pump_now(c);
	}
	return 0;
}

/* Closes after a failed read or write (-errno): a TLS failure before the
 * CONNACK was counted by tls.c already, anything else is a socket error. */
static void close_io_error(struct bench_client *c, int r)
{
	if (r == -EPROTO && c->ssl && c->state == BCS_WAIT_CONNACK)
		client_close(c, -1, -1, 0);
	else
		client_close(c, BERR_SOCKET_ERROR, -1, 0);
}

/* After a busy iteration, the pause that lets the next reads batch up: it
 * ends no later than the next timer that is still in the future (a
 * publisher's slot or the tick), so a schedule is not delayed by it. */
static void coalesce_pause(struct event_loop *el, struct bench_worker *w)
{
	uint64_t pause = bench_coalesce_pause_ns(RUN_COALESCE_NS(w), w->iter_pkts,
						 w->iter_min_lat_ns, w->window_ns);
	w->iter_pkts = 0;
	w->iter_min_lat_ns = UINT64_MAX;
	if (!pause)
		return;
	uint64_t now = time_mono_ns(), next = event_timer_next(el);
	if (next > now && next - now < pause)
		pause = next - now;
	w->coalesce_pauses++;
	w->coalesce_ns += pause;
	time_sleep_ns(pause);
}

void bench_worker_flush(struct event_loop *el, void *arg)
{
	struct bench_worker *w = arg;
	/* write first: acks and publishes leave before the pause, so the broker
	 * is not kept waiting by it */
	while (w->dirty) {
		struct bench_client *c = w->dirty;
		w->dirty = c->next_dirty;
		c->dirty = false;
		c->next_dirty = NULL;
		if (c->fd < 0 || c->state == BCS_CONNECTING)
			continue;
		int r = tx_flush(c);
		if (r < 0)
			close_io_error(c, r);
	}
	coalesce_pause(el, w);
}

/* ---- packets we send ---- */

static int send_connect(struct bench_client *c)
{
	const struct bench_opts *o = &RUN(c)->o;
	struct mqtt_prop props[1];
	struct mqtt_connect cn = {
	    .version = o->version,
	    .clean_start = o->clean,
	    .keep_alive = o->keepalive_s,
	    .client_id = mqtt_str_c(c->client_id),
	};
	if (o->username) {
		cn.has_username = true;
		cn.username = mqtt_str_c(o->username);
	}
	if (o->password) {
		cn.has_password = true;
		cn.password = mqtt_str_c(o->password);
	}
	if (o->version == MQTT_V5 && !o->clean) {
		/* 5.0 §3.1.2.11.2: without an expiry the session ends with the
		 * connection; -C false asks for one that survives a reconnect. */
		props[0] = (struct mqtt_prop){.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .num = 3600};
		cn.props.list = props;
		cn.props.count = 1;
	}
	struct mqtt_packet pk = {.type = MQTT_CONNECT, .connect = cn};
	int n = mqtt_size(&pk, o->version);
	if (n <= 0)
		return -EINVAL;
	uint8_t *b = tx_reserve(c, (uint32_t)n);
	if (!b)
		return -ENOMEM;
	n = mqtt_encode(&pk, o->version, b, (size_t)n);
	if (n <= 0)
		return -EINVAL;
	c->tx_len += (uint32_t)n;
	return 0;
}

static int send_subscribe(struct bench_client *c)
{
	const struct bench_opts *o = &RUN(c)->o;
	struct mqtt_subscription s[2] = {
	    {.filter = mqtt_str_c(c->topic), .opts = {.qos = o->qos}},
	    {.filter = mqtt_str_c(o->also_sub ? o->also_sub : ""), .opts = {.qos = o->qos}}};
	struct mqtt_packet pk = {
	    .type = MQTT_SUBSCRIBE,
	    .subscribe = {.packet_id = 1, .count = o->also_sub ? 2 : 1, .subs = s}};
	int n = mqtt_size(&pk, o->version);
	if (n <= 0)
		return -EINVAL;
	uint8_t *b = tx_reserve(c, (uint32_t)n);
	if (!b)
		return -ENOMEM;
	n = mqtt_encode(&pk, o->version, b, (size_t)n);
	if (n <= 0)
		return -EINVAL;
	c->tx_len += (uint32_t)n;
	return 0;
}

static void send_ack(struct bench_client *c, uint8_t type, uint16_t pid)
{
	uint8_t *b = tx_reserve(c, 4);
	if (!b) {
		count_err(c->w, BERR_NO_MEMORY);
		return;
	}
	c->tx_len += (uint32_t)mqtt_encode_ack(type, pid, 0, RUN(c)->o.version, b, 4);
}

static void send_small(struct bench_client *c, uint8_t b0)
{
	uint8_t *b = tx_reserve(c, 2);
	if (!b)
		return;
	b[0] = b0;
	b[1] = 0;
	c->tx_len += 2;
}

/* ---- publisher ---- */

/* The whole PUBLISH with a zero payload; per message only the packet id and
 * the MQLB header are patched (the payload is the last field, 5.0 §3.3.3). */
static int pub_prepare(struct bench_client *c)
{
	const struct bench_opts *o = &RUN(c)->o;
	struct bench_pub *p = c->pub;
	uint8_t *zero = calloc(1, o->size);
	if (!zero)
		return -ENOMEM;
	struct mqtt_publish pb = {.qos = o->qos,
				  .packet_id = o->qos ? 1 : 0,
				  .topic = mqtt_str_c(c->topic),
				  .payload = {zero, o->size}};
	size_t n = mqtt_size_publish(&pb, o->version);
	free(p->tmpl);
	p->tmpl = n ? malloc(n) : NULL;
	if (!p->tmpl || mqtt_encode_publish(&pb, o->version, p->tmpl, n) != (int)n) {
		free(zero);
		return -EINVAL;
	}
	free(zero);
	p->tmpl_len = (uint32_t)n;
	p->hdr_off = (uint32_t)n - o->size;
	/* fixed header, then topic (2 + len), then the packet id */
	uint32_t fh = 1;
	while (p->tmpl[fh] & 0x80)
		fh++;
	fh++;
	p->pid_off = fh + 2 + (uint32_t)strlen(c->topic);
	return 0;
}

static void pub_reset_window(struct bench_client *c, uint32_t window)
{
	struct bench_pub *p = c->pub;
	uint32_t cap = RUN(c)->o.inflight;
	if (!RUN(c)->o.qos)
		return;
	if (window > cap)
		window = cap;
	if (window == 0)
		window = 1;
	if (p->inflight)
		LIVE_ADD(c->w, inflight, -(uint64_t)p->inflight);
	p->window = window;
	p->send_max = window;
	p->inflight = 0;
	p->nfree = 0;
	for (uint32_t i = window; i-- > 0;) {
		p->slots[i].state = 0;
		p->free_ids[p->nfree++] = (uint16_t)i;
	}
}

/* Writes the MQLB header of message seq at out (monotonic times converted to
 * the run's header clock). */
static void put_hdr(struct bench_client *c, uint8_t *out, uint64_t seq, uint64_t intended_mono,
		    uint64_t now_mono)
{
	struct bench_run *run = RUN(c);
	uint64_t off = (run->hdr_flags & BENCH_FLAG_MONO) ? 0 : run->real0_ns - run->mono0_ns;
	struct bench_hdr h = {.version = BENCH_HDR_VERSION,
			      .flags = run->hdr_flags,
			      .pub_id = c->index,
			      .seq = seq,
			      .intended_ns = intended_mono + off,
			      .sent_ns = now_mono + off,
			      .nonce = bench_run_nonce()};
	bench_hdr_encode(&h, out);
}

/* The session was resumed (CONNACK session present): 3.1.1 §4.4 and 5.0 §4.4
 * say the client MUST re-send, with their original packet ids and in their
 * original order, every PUBLISH not yet acknowledged (DUP=1) and every PUBREL
 * not yet completed. Reusing those ids for new messages instead would make the
 * broker take a new QoS 2 PUBLISH for the old one (not delivered: a false
 * loss) and leave the old one unreleased. The slots keep their ids; a lower
 * Receive Maximum in the new CONNACK (5.0 §4.9: no more unacknowledged QoS 1
 * and 2 PUBLISH than that) holds new messages back until enough of the
 * re-sent ones are acknowledged. */
static void pub_resume(struct bench_client *c, uint32_t receive_max)
{
	struct bench_pub *p = c->pub;
	p->send_max = receive_max < p->window ? receive_max : p->window;
	if (p->send_max == 0)
		p->send_max = 1;
	uint16_t *order = malloc(p->window * sizeof(*order));
	uint32_t n = 0;
	if (!order) {
		count_err(c->w, BERR_NO_MEMORY);
		return;
	}
	for (uint32_t i = 0; i < p->window; i++)
		if (p->slots[i].state)
			order[n++] = (uint16_t)i;
	/* insertion sort by seq: n is the in-flight count (small) */
	for (uint32_t i = 1; i < n; i++) {
		uint16_t x = order[i];
		uint32_t j = i;
		for (; j > 0 && p->slots[order[j - 1]].seq > p->slots[x].seq; j--)
			order[j] = order[j - 1];
		order[j] = x;
	}
	uint64_t now = time_mono_ns();
	for (uint32_t k = 0; k < n; k++) {
		struct bench_slot *sl = &p->slots[order[k]];
		uint16_t pid = (uint16_t)(order[k] + 1);
		if (sl->state == 2) {
			send_ack(c, MQTT_PUBREL, pid);
			continue;
		}
		uint8_t *b = tx_reserve(c, p->tmpl_len);
		if (!b) {
			count_err(c->w, BERR_NO_MEMORY);
			break;
		}
		memcpy(b, p->tmpl, p->tmpl_len);
		b[0] |= 0x08; /* DUP (§3.3.1.1) */
		b[p->pid_off] = (uint8_t)(pid >> 8);
		b[p->pid_off + 1] = (uint8_t)pid;
		put_hdr(c, b + p->hdr_off, sl->seq, sl->intended_mono, now);
		c->tx_len += p->tmpl_len;
		c->w->pub_resent++;
	}
	free(order);
}

static void pub_send_one(struct bench_client *c, uint64_t intended_mono, uint64_t now_mono)
{
	struct bench_run *run = RUN(c);
	struct bench_pub *p = c->pub;
	uint8_t *b = tx_reserve(c, p->tmpl_len);
	if (!b) {
		count_err(c->w, BERR_NO_MEMORY);
		return;
	}
	memcpy(b, p->tmpl, p->tmpl_len);
	uint64_t seq = p->next_seq++;
	if (run->o.qos) {
		uint16_t slot = p->free_ids[--p->nfree];
		p->slots[slot] =
		    (struct bench_slot){.seq = seq, .intended_mono = intended_mono, .state = 1};
		uint16_t pid = (uint16_t)(slot + 1);
		b[p->pid_off] = (uint8_t)(pid >> 8);
		b[p->pid_off + 1] = (uint8_t)pid;
		p->inflight++;
		LIVE_ADD(c->w, inflight, 1);
	} else {
		if (p->q0_hi == p->q0_lo)
			p->q0_lo = seq;
		p->q0_hi = seq + 1;
	}
	put_hdr(c, b + p->hdr_off, seq, intended_mono, now_mono);
	c->tx_len += p->tmpl_len;
	p->acct.published++;
	if (!p->acct.first_pub_ns)
		p->acct.first_pub_ns = time_real_ns();
	LIVE_ADD(c->w, published, 1);
}

static void pub_finish(struct bench_client *c)
{
	if (!c->pub->done) {
		c->pub->done = true;
		LIVE_ADD(c->w, pubs_done, 1);
	}
}

void bench_client_pump(struct bench_client *c)
{
	struct bench_run *run = RUN(c);
	struct bench_pub *p = c->pub;
	if (!p || p->done || c->state != BCS_READY)
		return;
	int phase = atomic_load_explicit(&run->phase, memory_order_acquire);
	if (phase != BPH_PUBLISH) {
		if (phase > BPH_PUBLISH)
			pub_finish(c);
		return;
	}
	if (!run->o.qos && c->tx_len > 0)
		return; /* QoS 0: next batch once this one is written (tx_flush re-arms) */
	uint64_t now = time_mono_ns();
	uint64_t start = atomic_load_explicit(&run->pub_start_ns, memory_order_acquire);
	for (int budget = PUMP_BUDGET; budget > 0; budget--) {
		/* -I 0: no schedule; the window (QoS 1/2) or the socket (QoS 0:
		 * one batch per write) paces, latency counts from the send */
		uint64_t intended =
		    run->o.pub_interval_ns
			? start + p->phase_ns + p->next_slot * run->o.pub_interval_ns
			: (now > start ? now : start);
		if (run->pub_end_ns && intended >= run->pub_end_ns) {
			pub_finish(c);
			return;
		}
		if (intended > now) {
			event_timer_arm(c->w->el, &p->timer,
					bench_pub_wake_ns(intended, run->o.pub_interval_ns));
			return;
		}
		if (run->o.qos && p->inflight >= p->send_max)
			return; /* an ack re-pumps */
		if (run->o.limit && atomic_fetch_add_explicit(
					&run->claimed, 1, memory_order_relaxed) >= run->o.limit) {
			pub_finish(c);
			return;
		}
		pub_send_one(c, intended, now);
		p->next_slot++;
	}
	arm_pump_now(c); /* budget spent: continue next iteration */
}

static void on_pub_timer(struct event_loop *el, void *ctx)
{
	bench_client_pump(ctx);
}

/* After a reconnect the slots that passed meanwhile are skipped, not burst. */
static void pub_skip_missed(struct bench_client *c)
{
	struct bench_run *run = RUN(c);
	struct bench_pub *p = c->pub;
	uint64_t start = atomic_load_explicit(&run->pub_start_ns, memory_order_acquire);
	uint64_t now = time_mono_ns();
	if (atomic_load(&run->phase) != BPH_PUBLISH || !start || now <= start + p->phase_ns ||
	    !run->o.pub_interval_ns) /* -I 0: no slots to miss */
		return;
	uint64_t due = (now - start - p->phase_ns) / run->o.pub_interval_ns;
	if (due > p->next_slot) {
		c->w->err[BERR_PUBLISH_SKIPPED] += due - p->next_slot;
		p->next_slot = due;
	}
}

/* ---- packets we receive ---- */

static uint32_t p_inflight(const struct bench_client *c)
{
	return c->pub && RUN(c)->o.qos ? c->pub->inflight : 0;
}

/* A CONNACK after the client's first: counts it, its session (-C false: kept
 * or forgotten by the broker) and the time since the connection was lost. */
static void count_reconnect(struct bench_client *c, bool session_present)
{
	struct bench_worker *w = c->w;
	LIVE_ADD(w, reconnects, 1);
	if (!RUN(c)->o.clean)
		*(session_present ? &w->sessions_resumed : &w->sessions_lost) += 1;
	if (c->lost_at_ns) {
		uint64_t now = event_loop_now(w->el);
		if (bench_msstat_add(&w->reconnect_ms, (now - c->lost_at_ns) / NS_PER_MS) < 0)
			count_err(w, BERR_NO_MEMORY);
		c->lost_at_ns = 0;
	}
}

static void on_connack(struct bench_client *c, const struct mqtt_connack *ca)
{
	struct bench_worker *w = c->w;
	const struct bench_opts *o = &RUN(c)->o;
	if (c->state != BCS_WAIT_CONNACK) {
		client_close(c, BERR_UNEXPECTED, -1, 0);
		return;
	}
	if (ca->reason != 0) {
		client_close(c, -1, BCERR_CONNACK, ca->reason);
		return;
	}
	if (!c->ever_connected) {
		c->ever_connected = true;
		LIVE_ADD(w, conn_ok, 1);
		w->conn_per_target[c->target]++;
	} else {
		count_reconnect(c, ca->session_present);
	}
	LIVE_ADD(w, connected, 1);
	c->since_ns = event_loop_now(w->el);
	c->attempt = 0;		    /* the backoff starts over */
	if (!ca->session_present) { /* a new session: the broker forgot its ids and filters */
		bench_pidset_clear(&c->qos2_rx);
		c->sess_subscribed = false;
	}
	/* a resumed session keeps the subscription: a device does not SUBSCRIBE
	 * again (3.1.1 §3.2.2.2, 5.0 §3.2.2.1.1) and the broker's queued messages
	 * arrive now; it waits for no SUBACK */
	bool keeps_sub = !o->clean && ca->session_present && c->sess_subscribed;
	if (c->role == BROLE_SUB && !keeps_sub) {
		if (send_subscribe(c) < 0) {
			client_close(c, BERR_NO_MEMORY, -1, 0);
			return;
		}
		c->state = BCS_WAIT_SUBACK;
		return;
	}
	c->state = BCS_READY;
	if (c->role == BROLE_PUB) {
		uint32_t rm = 65535;
		struct mqtt_prop pr;
		if (o->version == MQTT_V5 &&
		    mqtt_prop_find(&ca->props, MQTT_PROP_RECEIVE_MAXIMUM, &pr) == 1)
			rm = pr.num;
		if (!c->pub->tmpl && pub_prepare(c) < 0) {
			client_close(c, BERR_NO_MEMORY, -1, 0);
			return;
		}
		if (ca->session_present && p_inflight(c))
			pub_resume(c, rm);
		else
			pub_reset_window(c, rm);
		pub_skip_missed(c);
		bench_client_pump(c);
	}
}

static void on_suback(struct bench_client *c, const struct mqtt_suback *sa)
{
	struct bench_worker *w = c->w;
	if (c->state != BCS_WAIT_SUBACK || sa->packet_id != 1 ||
	    sa->reasons.len < (RUN(c)->o.also_sub ? 2u : 1u)) {
		client_close(c, BERR_UNEXPECTED, -1, 0);
		return;
	}
	uint8_t rc = sa->reasons.p[0];
	if (RUN(c)->o.also_sub) { /* the worse of the two: a refusal, else the lower QoS */
		uint8_t r2 = sa->reasons.p[1];
		if (r2 >= 0x80 || (rc < 0x80 && r2 < rc))
			rc = r2;
	}
	if (rc >= 0x80) {
		client_close(c, -1, BCERR_SUBACK, rc);
		return;
	}
	if (rc < RUN(c)->o.qos)
		w->granted_downgrade++;
	c->state = BCS_READY;
	c->sess_subscribed = true;
	if (!c->sub->subscribed) {
		c->sub->subscribed = true;
		c->sub->suback_ns = time_real_ns();
		LIVE_ADD(w, subscribed, 1);
	}
}

static void on_publish(struct bench_client *c, const struct mqtt_publish *pb, uint64_t now_mono,
		       uint64_t now_real)
{
	struct bench_worker *w = c->w;
	if (pb->qos == 2) {
		/* MQTT 3.1.1 / 5.0 §4.3.3: until its PUBREL, a PUBLISH with this
		 * packet id is the same message again (a re-send after a
		 * reconnect, DUP=1): PUBREC it, do not deliver (count) it again. */
		int r = bench_pidset_add(&c->qos2_rx, pb->packet_id);
		if (r == 0) {
			if (c->sub)
				c->sub->qos2_resent++;
			send_ack(c, MQTT_PUBREC, pb->packet_id);
			return;
		}
		if (r < 0) /* counted as delivered: the accounting may show a duplicate */
			count_err(w, BERR_NO_MEMORY);
	}
	if (c->sub) {
		struct bench_hdr h;
		if (bench_hdr_decode(pb->payload.p, pb->payload.len, &h) == 0) {
			/* bench run: its publishers are in this process, so
			 * another nonce is an earlier run's (counted stale) */
			uint64_t run_nonce =
			    (RUN(c)->hdr_flags & BENCH_FLAG_MONO) ? bench_run_nonce() : 0;
			int r = bench_sub_arrive(c->sub, h.pub_id, h.seq, h.nonce, run_nonce);
			LIVE_ADD(w, received, 1);
			if (r == 1) {
				LIVE_ADD(w, unique, 1);
				uint64_t now = (h.flags & BENCH_FLAG_MONO) ? now_mono : now_real;
				uint64_t lat = bench_sub_latency(c->sub, now, h.intended_ns);
				bench_hist_record_ns(w->hist, lat);
				if (lat < w->iter_min_lat_ns)
					w->iter_min_lat_ns = lat;
			} else if (r == -ENOMEM) {
				count_err(w, BERR_NO_MEMORY);
			}
		} else {
			c->sub->foreign++;
		}
	} else {
		count_err(w, BERR_UNEXPECTED);
	}
	if (pb->qos == 1)
		send_ack(c, MQTT_PUBACK, pb->packet_id);
	else if (pb->qos == 2)
		send_ack(c, MQTT_PUBREC, pb->packet_id);
}

static void free_slot(struct bench_pub *p, uint16_t slot, struct bench_worker *w)
{
	p->slots[slot].state = 0;
	p->free_ids[p->nfree++] = slot;
	p->inflight--;
	LIVE_ADD(w, inflight, -(uint64_t)1);
}

/* PUBACK (QoS 1), PUBREC / PUBCOMP (QoS 2) for our publishes. */
static void on_pub_ack(struct bench_client *c, uint8_t type, const struct mqtt_ack *ack)
{
	struct bench_pub *p = c->pub;
	struct bench_worker *w = c->w;
	uint32_t slot = (uint32_t)ack->packet_id - 1;
	uint8_t want = type == MQTT_PUBCOMP ? 2 : 1;
	if (!p || slot >= p->window || p->slots[slot].state != want ||
	    (type == MQTT_PUBACK) != (RUN(c)->o.qos == 1)) {
		count_err(w, BERR_UNKNOWN_PACKET_ID);
		return;
	}
	if (type == MQTT_PUBCOMP) {
		free_slot(p, (uint16_t)slot, w);
	} else if (ack->reason >= 0x80) {
		count_cerr(w, BCERR_PUBACK, ack->reason);
		free_slot(p, (uint16_t)slot, w);
	} else {
		confirm(c, p->slots[slot].seq);
		if (type == MQTT_PUBACK) {
			free_slot(p, (uint16_t)slot, w);
		} else {
			p->slots[slot].state = 2;
			send_ack(c, MQTT_PUBREL, ack->packet_id);
			return; /* the slot frees on PUBCOMP */
		}
	}
	bench_client_pump(c);
}

/* Handles one decoded packet. Returns false if the client was closed. */
static bool handle(struct bench_client *c, const struct mqtt_packet *pk, uint64_t now_mono,
		   uint64_t now_real)
{
	switch (pk->type) {
	case MQTT_PUBLISH:
		if (c->state != BCS_READY && c->state != BCS_WAIT_SUBACK)
			break;
		on_publish(c, &pk->publish, now_mono, now_real);
		return true;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBCOMP:
		on_pub_ack(c, pk->type, &pk->ack);
		return c->fd >= 0;
	case MQTT_PUBREL: /* QoS 2 delivery to us, step 3: the id is free again */
		bench_pidset_del(&c->qos2_rx, pk->ack.packet_id);
		send_ack(c, MQTT_PUBCOMP, pk->ack.packet_id);
		return true;
	case MQTT_CONNACK:
		on_connack(c, &pk->connack);
		return c->fd >= 0;
	case MQTT_SUBACK:
		on_suback(c, &pk->suback);
		return c->fd >= 0;
	case MQTT_PINGRESP:
		c->ping_out = false;
		return true;
	case MQTT_DISCONNECT:
		client_close(c, -1, BCERR_DISCONNECT, pk->disconnect.reason);
		return false;
	default:
		break;
	}
	client_close(c, BERR_UNEXPECTED, -1, 0);
	return false;
}

/* Decodes whole packets from buf. Returns bytes consumed, or -1 if the client
 * was closed meanwhile. */
static long parse(struct bench_client *c, const uint8_t *buf, size_t len)
{
	struct mqtt_decode_opts dopts = {.version = RUN(c)->o.version, .role = MQTT_ROLE_CLIENT};
	/* read now, not the loop's time of this iteration: another worker may
	 * have sent the message after this iteration began (with -I 0 its
	 * intended time is its send time), and it would read as sent in the
	 * future */
	uint64_t now_mono = time_mono_ns();
	uint64_t now_real = (RUN(c)->hdr_flags & BENCH_FLAG_MONO) ? 0 : time_real_ns();
	size_t off = 0;
	while (off < len) {
		struct mqtt_packet pk;
		int r = mqtt_decode(buf + off, len - off, &dopts, &pk);
		if (r == 0)
			break;
		if (r < 0) {
			log_debug("bench: %s: malformed packet from broker: %s", c->client_id,
				  mqtt_err_str(r));
			client_close(c, -1, BCERR_MALFORMED, -r);
			return -1;
		}
		off += (size_t)r;
		/* only message traffic makes an iteration busy: a pause while
		 * CONNACKs arrive would slow the connect rate bench measures */
		if (pk.type >= MQTT_PUBLISH && pk.type <= MQTT_PUBCOMP)
			c->w->iter_pkts++;
		if (!handle(c, &pk, now_mono, now_real))
			return -1;
	}
	return (long)off;
}

static int rx_keep(struct bench_client *c, const uint8_t *p, size_t n)
{
	if (c->rx_len + n > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 256;
		while (cap < c->rx_len + n)
			cap *= 2;
		if (cap > MQTT_MAX_PACKET)
			return -ENOMEM;
		uint8_t *b = realloc(c->rx, cap);
		if (!b)
			return -ENOMEM;
		c->rx = b;
		c->rx_cap = (uint32_t)cap;
	}
	if (p != c->rx + c->rx_len)
		memmove(c->rx + c->rx_len, p, n);
	c->rx_len += (uint32_t)n;
	return 0;
}

static void on_readable(struct bench_client *c)
{
	struct bench_worker *w = c->w;
	/* TLS: SSL_read gives one record (<= 16 KiB) a call, so read until it
	 * wants more; what a budget leaves inside OpenSSL wakes no epoll, the
	 * retry timer fetches it (on_retry) */
	int reads = c->ssl ? TLS_READS_PER_EVT : READS_PER_EVT;
	for (int k = 0; k < reads; k++) {
		ssize_t n = io_read(c, w->scratch, SCRATCH_SIZE);
		if (n == 0) {
			client_close(c, BERR_BROKER_CLOSED, -1, 0);
			return;
		}
		if (n < 0) {
			if (n == -EINTR)
				continue;
			if (n != -EAGAIN && n != -EWOULDBLOCK)
				close_io_error(c, (int)n);
			return;
		}
		w->bytes_in += (uint64_t)n;
		long used;
		if (c->rx_len == 0) {
			used = parse(c, w->scratch, (size_t)n);
			if (used < 0)
				return;
			if ((size_t)used < (size_t)n &&
			    rx_keep(c, w->scratch + used, (size_t)n - (size_t)used) < 0) {
				client_close(c, BERR_NO_MEMORY, -1, 0);
				return;
			}
		} else {
			if (rx_keep(c, w->scratch, (size_t)n) < 0) {
				client_close(c, BERR_NO_MEMORY, -1, 0);
				return;
			}
			used = parse(c, c->rx, c->rx_len);
			if (used < 0)
				return;
			memmove(c->rx, c->rx + used, c->rx_len - (size_t)used);
			c->rx_len -= (uint32_t)used;
			if (c->rx_len == 0 && c->rx_cap > RX_KEEP_MAX) {
				free(c->rx);
				c->rx = NULL;
				c->rx_cap = 0;
			}
		}
		if (!c->ssl && n < SCRATCH_SIZE)
			return;
	}
	if (bench_tls_pending(c))
		event_timer_arm(w->el, &c->retry, 0);
}

/* The transport is up (TCP, and TLS if asked): CONNECT. */
static void send_connect_now(struct bench_client *c)
{
	c->state = BCS_WAIT_CONNACK;
	c->wr_interest = false;
	event_set(c->w->el, c->fd, EVENT_READ);
	if (send_connect(c) < 0)
		client_close(c, BERR_NO_MEMORY, -1, 0);
}

/* One step of the TLS handshake (failures are counted in tls.c only). */
static void tls_step(struct bench_client *c)
{
	int r = bench_tls_handshake(c);
	if (r < 0)
		client_close(c, -1, -1, 0);
	else if (r > 0)
		send_connect_now(c);
}

static void on_connected(struct bench_client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err) {
		client_close(c, err == ECONNREFUSED ? BERR_CONNECT_REFUSED : BERR_CONNECT_ERROR, -1,
			     0);
		return;
	}
	if (RUN(c)->tls_ctx) {
		if (bench_tls_start(c) < 0) {
			LIVE_ADD(c->w, errors, 1);
			client_close(c, -1, -1, 0);
			return;
		}
		tls_step(c);
		return;
	}
	send_connect_now(c);
}

static void on_io(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct bench_client *c = ctx;
	if (c->state == BCS_CONNECTING) {
		if (c->ssl)
			tls_step(c);
		else
			on_connected(c);
		return;
	}
	if (events & EVENT_WRITE) {
		int r = tx_flush(c);
		if (r < 0) {
			close_io_error(c, r);
			return;
		}
	}
	if (events & (EVENT_READ | EVENT_ERROR))
		on_readable(c);
}

/* ---- lifecycle ---- */

static void on_retry(struct event_loop *el, void *ctx)
{
	struct bench_client *c = ctx;
	if (c->fd >= 0 && bench_tls_pending(c)) { /* records left by on_readable */
		on_readable(c);
		return;
	}
	if (c->state == BCS_IDLE && c->reconnect_at_ns &&
	    atomic_load_explicit(&RUN(c)->phase, memory_order_acquire) < BPH_STOP)
		bench_client_connect(c);
}

void bench_client_connect(struct bench_client *c)
{
	struct bench_run *run = RUN(c);
	struct bench_worker *w = c->w;
	const struct sockaddr_storage *dst = &run->o.targets[c->target];
	if (!c->retry.fn) /* first connect: the client is at its final address */
		event_timer_init(&c->retry, on_retry, c);
	c->since_ns = event_loop_now(w->el);
	c->reconnect_at_ns = 0;
	c->ping_out = false;
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_debug("bench: socket: %s", strerror(errno));
		client_close(c, BERR_CONNECT_ERROR, -1, 0);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (run->o.nifaddrs) {
		struct sockaddr_storage src = run->o.ifaddrs[c->ifaddr];
		addr_set_port(&src, 0);
#ifdef IP_BIND_ADDRESS_NO_PORT
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
#endif
		if (bind(fd, (struct sockaddr *)&src, addr_len(&src)) == -1) {
			close(fd);
			client_close(c, BERR_CONNECT_ERROR, -1, 0);
			return;
		}
	}
	c->fd = fd;
	if (event_add(w->el, fd, EVENT_WRITE, on_io, c) < 0) {
		close(fd);
		c->fd = -1;
		client_close(c, BERR_CONNECT_ERROR, -1, 0);
		return;
	}
	c->state = BCS_CONNECTING;
	if (connect(fd, (struct sockaddr *)dst, addr_len(dst)) == -1 && errno != EINPROGRESS) {
		client_close(c, errno == ECONNREFUSED ? BERR_CONNECT_REFUSED : BERR_CONNECT_ERROR,
			     -1, 0);
		return;
	}
	/* connected or in progress: writable tells (on_connected) */
}

/* Closes the connection and counts why: err (enum bench_err) or, when err < 0,
 * cerr_kind/code. Then schedules a reconnect or gives up. */
static void client_close(struct bench_client *c, int err, int cerr_kind, int code)
{
	struct bench_worker *w = c->w;
	struct bench_run *run = RUN(c);
	if (err >= 0)
		count_err(w, err);
	else if (cerr_kind >= 0)
		count_cerr(w, cerr_kind, code);
	bench_tls_close(c, false);
	if (c->fd >= 0) {
		event_del(w->el, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == BCS_READY || c->state == BCS_WAIT_SUBACK) { /* had its CONNACK */
		LIVE_ADD(w, connected, -(uint64_t)1);
		w->disconnects++;
		c->lost_at_ns = event_loop_now(w->el);
	}
	c->wr_interest = false;
	tx_reset(c);
	c->rx_len = 0;
	if (c->pub) {
		struct bench_pub *p = c->pub;
		event_timer_cancel(w->el, &p->timer);
		if (p->q0_hi > p->q0_lo)
			w->unconfirmed_qos0 += p->q0_hi - p->q0_lo;
		p->q0_lo = p->q0_hi = 0;
	}
	int phase = atomic_load_explicit(&run->phase, memory_order_acquire);
	bool again = run->o.reconnect && phase < BPH_STOP && err != BERR_NO_MEMORY;
	if (c->pub && !(again && !run->o.clean)) {
		/* no session to resume: what was in flight is never acknowledged
		 * and not counted as published (with -C false and --reconnect it
		 * is kept for pub_resume, if the broker resumes the session) */
		struct bench_pub *p = c->pub;
		if (p->inflight)
			LIVE_ADD(w, inflight, -(uint64_t)p->inflight);
		p->inflight = 0;
		p->window = 0;
	}
	if (again) {
		c->state = BCS_IDLE;
		c->reconnect_at_ns =
		    event_loop_now(w->el) + bench_backoff_ns(c->attempt, run->o.reconnect_delay_ns,
							     run->o.reconnect_max_ns,
							     bench_rand_next(&w->rng));
		if (c->attempt < UINT32_MAX)
			c->attempt++;
		/* if arming fails (-ENOMEM) the 100 ms tick reconnects */
		event_timer_arm(w->el, &c->retry, c->reconnect_at_ns);
		return;
	}
	c->state = BCS_DONE;
	LIVE_ADD(w, gone, 1);
	if (!c->ever_connected && !c->gave_up) {
		c->gave_up = true;
		LIVE_ADD(w, conn_failed, 1);
	}
	if (c->sub && !c->sub->subscribed)
		LIVE_ADD(w, sub_failed, 1);
	if (c->pub)
		pub_finish(c);
}

void bench_client_tick(struct bench_client *c, uint64_t now)
{
	const struct bench_opts *o = &RUN(c)->o;
	switch (c->state) {
	case BCS_CONNECTING:
	case BCS_WAIT_CONNACK:
		if (now - c->since_ns <= o->connect_timeout_ns)
			break;
		if (c->ssl && !c->tls_up) { /* counted once: as a TLS failure */
			bench_tls_count_timeout(c);
			client_close(c, -1, -1, 0);
			break;
		}
		client_close(c, BERR_CONNECT_TIMEOUT, -1, 0);
		break;
	case BCS_WAIT_SUBACK:
		if (now - c->since_ns > o->connect_timeout_ns)
			client_close(c, BERR_SUBACK_TIMEOUT, -1, 0);
		break;
	case BCS_READY:
		if (!o->keepalive_s)
			break;
		if (c->ping_out && now - c->since_ns > (uint64_t)o->keepalive_s * NS_PER_S) {
			client_close(c, BERR_PING_TIMEOUT, -1, 0);
			break;
		}
		/* ping at 3/4 of the keepalive without output (3.1.1 §3.1.2.10) */
		if (!c->ping_out &&
		    now - c->last_tx_ns > (uint64_t)o->keepalive_s * NS_PER_S * 3 / 4) {
			send_small(c, MQTT_PINGREQ << 4);
			c->ping_out = true;
			c->since_ns = now;
		}
		break;
	case BCS_IDLE: /* normally the retry timer fired already */
		if (c->reconnect_at_ns && now >= c->reconnect_at_ns &&
		    !event_timer_armed(&c->retry))
			bench_client_connect(c);
		break;
	default:
		break;
	}
}

void bench_client_finish(struct bench_client *c)
{
	if (c->fd >= 0 && (c->state == BCS_READY || c->state == BCS_WAIT_SUBACK)) {
		uint8_t *b = tx_reserve(c, 3);
		if (b)
			c->tx_len += (uint32_t)mqtt_encode_disconnect(0, RUN(c)->o.version, b, 3);
		tx_flush(c);
	}
	bench_tls_close(c, true);
	if (c->fd >= 0) {
		event_del(c->w->el, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == BCS_READY || c->state == BCS_WAIT_SUBACK)
		LIVE_ADD(c->w, connected, -(uint64_t)1);
	if (c->pub)
		event_timer_cancel(c->w->el, &c->pub->timer);
	if (c->retry.fn)
		event_timer_cancel(c->w->el, &c->retry);
	c->state = BCS_DONE;
}

int bench_client_init_pub(struct bench_client *c)
{
	uint32_t cap = RUN(c)->o.inflight;
	struct bench_pub *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (RUN(c)->o.qos) {
		p->slots = calloc(cap, sizeof(*p->slots));
		p->free_ids = calloc(cap, sizeof(*p->free_ids));
		if (!p->slots || !p->free_ids) {
			free(p->slots);
			free(p->free_ids);
			free(p);
			return -ENOMEM;
		}
	}
	bench_pub_acct_init(&p->acct, c->index, c->topic);
	event_timer_init(&p->timer, on_pub_timer, c);
	c->pub = p;
	return 0;
}

void bench_client_free(struct bench_client *c)
{
	if (c->pub) {
		bench_pub_acct_free(&c->pub->acct);
		free(c->pub->slots);
		free(c->pub->free_ids);
		free(c->pub->tmpl);
		free(c->pub);
		c->pub = NULL;
	}
	if (c->sub) {
		bench_sub_acct_free(c->sub);
		free(c->sub);
		c->sub = NULL;
	}
	bench_pidset_free(&c->qos2_rx);
	bench_tls_free(c);
	free(c->tx);
	free(c->rx);
	free(c->client_id);
	free(c->topic);
	c->tx = c->rx = NULL;
}
