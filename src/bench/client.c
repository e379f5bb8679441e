/* client.c — the MQTT client of mqlb bench (see client.h): its lifecycle,
 * connect, close, reconnect, ticks and teardown. Output and the packets it
 * sends are in client_tx.c, the publish schedule in client_pub.c, what it
 * receives in client_rx.c; client-int.h is what they share. */
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

/* ---- lifecycle ---- */

void bc_on_retry(struct event_loop *el, void *ctx)
{
	struct bench_client *c = ctx;
	if (c->fd >= 0 && bench_tls_pending(c)) { /* records left by bc_on_readable */
		bc_on_readable(c);
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
		event_timer_init(&c->retry, bc_on_retry, c);
	c->since_ns = event_loop_now(w->el);
	c->reconnect_at_ns = 0;
	c->ping_out = false;
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_debug("bench: socket: %s", strerror(errno));
		bc_client_close(c, BERR_CONNECT_ERROR, -1, 0);
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
			bc_client_close(c, BERR_CONNECT_ERROR, -1, 0);
			return;
		}
	}
	c->fd = fd;
	if (event_add(w->el, fd, EVENT_WRITE, bc_on_io, c) < 0) {
		close(fd);
		c->fd = -1;
		bc_client_close(c, BERR_CONNECT_ERROR, -1, 0);
		return;
	}
	c->state = BCS_CONNECTING;
	if (connect(fd, (struct sockaddr *)dst, addr_len(dst)) == -1 && errno != EINPROGRESS) {
		bc_client_close(
		    c, errno == ECONNREFUSED ? BERR_CONNECT_REFUSED : BERR_CONNECT_ERROR, -1, 0);
		return;
	}
	/* connected or in progress: writable tells (bc_on_connected) */
}

/* Closes the connection and counts why: err (enum bench_err) or, when err < 0,
 * cerr_kind/code. Then schedules a reconnect or gives up. */
void bc_client_close(struct bench_client *c, int err, int cerr_kind, int code)
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
	bc_tx_reset(c);
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
		 * is kept for bc_pub_resume, if the broker resumes the session) */
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
		bc_pub_finish(c);
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
			bc_client_close(c, -1, -1, 0);
			break;
		}
		bc_client_close(c, BERR_CONNECT_TIMEOUT, -1, 0);
		break;
	case BCS_WAIT_SUBACK:
		if (now - c->since_ns > o->connect_timeout_ns)
			bc_client_close(c, BERR_SUBACK_TIMEOUT, -1, 0);
		break;
	case BCS_READY:
		if (!o->keepalive_s)
			break;
		if (c->ping_out && now - c->since_ns > (uint64_t)o->keepalive_s * NS_PER_S) {
			bc_client_close(c, BERR_PING_TIMEOUT, -1, 0);
			break;
		}
		/* ping at 3/4 of the keepalive without output (3.1.1 §3.1.2.10) */
		if (!c->ping_out &&
		    now - c->last_tx_ns > (uint64_t)o->keepalive_s * NS_PER_S * 3 / 4) {
			bc_send_small(c, MQTT_PINGREQ << 4);
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
		uint8_t *b = bc_tx_reserve(c, 3);
		if (b)
			c->tx_len += (uint32_t)mqtt_encode_disconnect(0, RUN(c)->o.version, b, 3);
		bc_tx_flush(c);
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
	event_timer_init(&p->timer, bc_on_pub_timer, c);
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
