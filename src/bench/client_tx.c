/* client_tx.c — a bench client's output: the per-client buffer flushed once
 * per loop iteration, and the packets it sends (see client-int.h). */
#include "bench/client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/backoff.h"
#include "bench/client-int.h"
#include "bench/pace.h"
#include "bench/payload.h"
#include "bench/tls.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/time.h"
#include "mqtt/mqtt.h"

/* ---- output: per-client buffer, flushed once per loop iteration ---- */

uint8_t *bc_tx_reserve(struct bench_client *c, uint32_t n)
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

void bc_tx_reset(struct bench_client *c)
{
	c->tx_len = c->tx_off = 0;
	if (c->tx_cap > TX_KEEP_MAX) {
		free(c->tx);
		c->tx = NULL;
		c->tx_cap = 0;
	}
}

void bc_confirm(struct bench_client *c, uint64_t seq)
{
	struct bench_pub *p = c->pub;
	if (bench_pub_confirm(&p->acct, seq) == 1) {
		LIVE_ADD(c->w, acked, 1);
		LIVE_ADD(c->w, expected, p->matching_subs);
	}
}

void bc_arm_pump_now(struct bench_client *c)
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
ssize_t bc_io_read(struct bench_client *c, void *buf, size_t len)
{
	if (c->ssl)
		return bench_tls_read(c, buf, len);
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
	return n >= 0 ? n : -errno;
}

/* Writes the pending bytes. Returns 0 (all written or the socket is full) or
 * -errno (connection broken). */
int bc_tx_flush(struct bench_client *c)
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
	bc_tx_reset(c);
	if (c->wr_interest) {
		c->wr_interest = false;
		event_set(c->w->el, c->fd, EVENT_READ);
	}
	struct bench_pub *p = c->pub;
	if (p && p->q0_hi > p->q0_lo) { /* QoS 0: "published" = written to the socket */
		for (uint64_t s = p->q0_lo; s < p->q0_hi; s++)
			bc_confirm(c, s);
		p->q0_lo = p->q0_hi = 0;
		if (!p->done)
			bc_arm_pump_now(c);
	}
	return 0;
}

/* Closes after a failed read or write (-errno): a TLS failure before the
 * CONNACK was counted by tls.c already, anything else is a socket error. */
void bc_close_io_error(struct bench_client *c, int r)
{
	if (r == -EPROTO && c->ssl && c->state == BCS_WAIT_CONNACK)
		bc_client_close(c, -1, -1, 0);
	else
		bc_client_close(c, BERR_SOCKET_ERROR, -1, 0);
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
		int r = bc_tx_flush(c);
		if (r < 0)
			bc_close_io_error(c, r);
	}
	coalesce_pause(el, w);
}

/* ---- packets we send ---- */

/* pk encoded at the end of the output buffer. 0, -ENOMEM or -EINVAL (not
 * encodable). */
static int queue_packet(struct bench_client *c, const struct mqtt_packet *pk)
{
	uint8_t version = (uint8_t)RUN(c)->o.version;
	int n = mqtt_size(pk, version);
	if (n <= 0)
		return -EINVAL;
	uint8_t *b = bc_tx_reserve(c, (uint32_t)n);
	if (!b)
		return -ENOMEM;
	n = mqtt_encode(pk, version, b, (size_t)n);
	if (n <= 0)
		return -EINVAL;
	c->tx_len += (uint32_t)n;
	return 0;
}

int bc_send_connect(struct bench_client *c)
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
	return queue_packet(c, &pk);
}

int bc_send_subscribe(struct bench_client *c)
{
	const struct bench_opts *o = &RUN(c)->o;
	struct mqtt_subscription s[2] = {
	    {.filter = mqtt_str_c(c->topic), .opts = {.qos = o->qos}},
	    {.filter = mqtt_str_c(o->also_sub ? o->also_sub : ""), .opts = {.qos = o->qos}}};
	struct mqtt_packet pk = {
	    .type = MQTT_SUBSCRIBE,
	    .subscribe = {.packet_id = 1, .count = o->also_sub ? 2 : 1, .subs = s}};
	return queue_packet(c, &pk);
}

void bc_send_ack(struct bench_client *c, uint8_t type, uint16_t pid)
{
	uint8_t *b = bc_tx_reserve(c, 4);
	if (!b) {
		count_err(c->w, BERR_NO_MEMORY);
		return;
	}
	c->tx_len += (uint32_t)mqtt_encode_ack(type, pid, 0, RUN(c)->o.version, b, 4);
}

void bc_send_small(struct bench_client *c, uint8_t b0)
{
	uint8_t *b = bc_tx_reserve(c, 2);
	if (!b)
		return;
	b[0] = b0;
	b[1] = 0;
	c->tx_len += 2;
}
