/* client_pub.c — a bench publisher: the schedule (pace), the in-flight window
 * and what is sent when (see client-int.h). */
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

/* ---- publisher ---- */

/* The whole PUBLISH with a zero payload; per message only the packet id and
 * the MQLB header are patched (the payload is the last field, 5.0 §3.3.3). */
int bc_pub_prepare(struct bench_client *c)
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

void bc_pub_reset_window(struct bench_client *c, uint32_t window)
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
void bc_pub_resume(struct bench_client *c, uint32_t receive_max)
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
			bc_send_ack(c, MQTT_PUBREL, pid);
			continue;
		}
		uint8_t *b = bc_tx_reserve(c, p->tmpl_len);
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
	uint8_t *b = bc_tx_reserve(c, p->tmpl_len);
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

void bc_pub_finish(struct bench_client *c)
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
			bc_pub_finish(c);
		return;
	}
	if (!run->o.qos && c->tx_len > 0)
		return; /* QoS 0: next batch once this one is written (bc_tx_flush re-arms) */
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
			bc_pub_finish(c);
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
			bc_pub_finish(c);
			return;
		}
		pub_send_one(c, intended, now);
		p->next_slot++;
	}
	bc_arm_pump_now(c); /* budget spent: continue next iteration */
}

void bc_on_pub_timer(struct event_loop *el, void *ctx)
{
	bench_client_pump(ctx);
}

/* After a reconnect the slots that passed meanwhile are skipped, not burst. */
void bc_pub_skip_missed(struct bench_client *c)
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
