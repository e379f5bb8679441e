/* client_rx.c — what a bench client receives: CONNACK, SUBACK, PUBLISH and
 * the acks, parsed from its input buffer, counted (see client-int.h). */
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
		bc_client_close(c, BERR_UNEXPECTED, -1, 0);
		return;
	}
	if (ca->reason != 0) {
		bc_client_close(c, -1, BCERR_CONNACK, ca->reason);
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
		if (bc_send_subscribe(c) < 0) {
			bc_client_close(c, BERR_NO_MEMORY, -1, 0);
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
		if (!c->pub->tmpl && bc_pub_prepare(c) < 0) {
			bc_client_close(c, BERR_NO_MEMORY, -1, 0);
			return;
		}
		if (ca->session_present && p_inflight(c))
			bc_pub_resume(c, rm);
		else
			bc_pub_reset_window(c, rm);
		bc_pub_skip_missed(c);
		bench_client_pump(c);
	}
}

static void on_suback(struct bench_client *c, const struct mqtt_suback *sa)
{
	struct bench_worker *w = c->w;
	if (c->state != BCS_WAIT_SUBACK || sa->packet_id != 1 ||
	    sa->reasons.len < (RUN(c)->o.also_sub ? 2u : 1u)) {
		bc_client_close(c, BERR_UNEXPECTED, -1, 0);
		return;
	}
	uint8_t rc = sa->reasons.p[0];
	if (RUN(c)->o.also_sub) { /* the worse of the two: a refusal, else the lower QoS */
		uint8_t r2 = sa->reasons.p[1];
		if (r2 >= 0x80 || (rc < 0x80 && r2 < rc))
			rc = r2;
	}
	if (rc >= 0x80) {
		bc_client_close(c, -1, BCERR_SUBACK, rc);
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
			bc_send_ack(c, MQTT_PUBREC, pb->packet_id);
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
		bc_send_ack(c, MQTT_PUBACK, pb->packet_id);
	else if (pb->qos == 2)
		bc_send_ack(c, MQTT_PUBREC, pb->packet_id);
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
		bc_confirm(c, p->slots[slot].seq);
		if (type == MQTT_PUBACK) {
			free_slot(p, (uint16_t)slot, w);
		} else {
			p->slots[slot].state = 2;
			bc_send_ack(c, MQTT_PUBREL, ack->packet_id);
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
		bc_send_ack(c, MQTT_PUBCOMP, pk->ack.packet_id);
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
		bc_client_close(c, -1, BCERR_DISCONNECT, pk->disconnect.reason);
		return false;
	default:
		break;
	}
	bc_client_close(c, BERR_UNEXPECTED, -1, 0);
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
			bc_client_close(c, -1, BCERR_MALFORMED, -r);
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

void bc_on_readable(struct bench_client *c)
{
	struct bench_worker *w = c->w;
	/* TLS: SSL_read gives one record (<= 16 KiB) a call, so read until it
	 * wants more; what a budget leaves inside OpenSSL wakes no epoll, the
	 * retry timer fetches it (bc_on_retry) */
	int reads = c->ssl ? TLS_READS_PER_EVT : READS_PER_EVT;
	for (int k = 0; k < reads; k++) {
		ssize_t n = bc_io_read(c, w->scratch, SCRATCH_SIZE);
		if (n == 0) {
			bc_client_close(c, BERR_BROKER_CLOSED, -1, 0);
			return;
		}
		if (n < 0) {
			if (n == -EINTR)
				continue;
			if (n != -EAGAIN && n != -EWOULDBLOCK)
				bc_close_io_error(c, (int)n);
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
				bc_client_close(c, BERR_NO_MEMORY, -1, 0);
				return;
			}
		} else {
			if (rx_keep(c, w->scratch, (size_t)n) < 0) {
				bc_client_close(c, BERR_NO_MEMORY, -1, 0);
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
	if (bc_send_connect(c) < 0)
		bc_client_close(c, BERR_NO_MEMORY, -1, 0);
}

/* One step of the TLS handshake (failures are counted in tls.c only). */
static void tls_step(struct bench_client *c)
{
	int r = bench_tls_handshake(c);
	if (r < 0)
		bc_client_close(c, -1, -1, 0);
	else if (r > 0)
		send_connect_now(c);
}

void bc_on_connected(struct bench_client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err) {
		bc_client_close(c, err == ECONNREFUSED ? BERR_CONNECT_REFUSED : BERR_CONNECT_ERROR,
				-1, 0);
		return;
	}
	if (RUN(c)->tls_ctx) {
		if (bench_tls_start(c) < 0) {
			LIVE_ADD(c->w, errors, 1);
			bc_client_close(c, -1, -1, 0);
			return;
		}
		tls_step(c);
		return;
	}
	send_connect_now(c);
}

void bc_on_io(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct bench_client *c = ctx;
	if (c->state == BCS_CONNECTING) {
		if (c->ssl)
			tls_step(c);
		else
			bc_on_connected(c);
		return;
	}
	if (events & EVENT_WRITE) {
		int r = bc_tx_flush(c);
		if (r < 0) {
			bc_close_io_error(c, r);
			return;
		}
	}
	if (events & (EVENT_READ | EVENT_ERROR))
		bc_on_readable(c);
}
