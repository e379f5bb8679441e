/* client-int.h — what the four files of a bench client share (client.c the
 * lifecycle, client_tx.c output and the packets sent, client_pub.c the publish
 * schedule, client_rx.c what is received). Not for use outside src/bench/
 * client*.c; every function runs on the client's worker thread. */
#ifndef MQLB_BENCH_CLIENT_INT_H
#define MQLB_BENCH_CLIENT_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "bench/bench-t.h"

#define SCRATCH_SIZE	  65536
#define TX_KEEP_MAX	  16384 /* larger tx buffers are freed once empty */
#define RX_KEEP_MAX	  4096
#define PUMP_BUDGET	  1024 /* messages per publisher per loop iteration */
#define READS_PER_EVT	  4
#define TLS_READS_PER_EVT 64 /* records (16 KiB at most each) */

#define RUN_COALESCE_NS(w) ((w)->run->o.coalesce_ns)

static inline struct bench_run *RUN(const struct bench_client *c)
{
	return c->w->run;
}

/* Counts a fault of kind err (enum bench_err) on w. */
static inline void count_err(struct bench_worker *w, int err)
{
	w->err[err]++;
	LIVE_ADD(w, errors, 1);
}

/* Counts a refused connect: kind (enum bench_cerr) and the reason code. */
static inline void count_cerr(struct bench_worker *w, int kind, int code)
{
	w->cerr[kind][code & 0xff]++;
	LIVE_ADD(w, errors, 1);
}

/* client.c: lifecycle */
/* Closes the connection and counts why: err (enum bench_err) or, when err < 0,
 * cerr_kind/code. Then schedules a reconnect or gives up. */
void bc_client_close(struct bench_client *c, int err, int cerr_kind, int code);
/* The reconnect timer's callback (ctx is the client): connects again. */
void bc_on_retry(struct event_loop *el, void *ctx);

/* client_tx.c: output */
/* Room for n more bytes at the end of the output buffer (grown as needed),
 * the client put on its worker's dirty list; NULL out of memory. */
uint8_t *bc_tx_reserve(struct bench_client *c, uint32_t n);
/* Empties the output buffer, freeing it when it grew past TX_KEEP_MAX. */
void bc_tx_reset(struct bench_client *c);
/* A publisher's message seq is confirmed (PUBACK/PUBREC, or written at QoS 0). */
void bc_confirm(struct bench_client *c, uint64_t seq);
/* Schedules the publisher's pump for the next loop iteration. */
void bc_arm_pump_now(struct bench_client *c);
/* recv(), or SSL_read with --tls: bytes, 0 at EOF, -EAGAIN, or -errno. */
ssize_t bc_io_read(struct bench_client *c, void *buf, size_t len);
/* Writes the pending bytes. Returns 0 (all written or the socket is full) or
 * -errno (connection broken). */
int bc_tx_flush(struct bench_client *c);
/* Closes after a failed read or write (-errno): a TLS failure before the
 * CONNACK was counted by tls.c already, anything else is a socket error. */
void bc_close_io_error(struct bench_client *c, int r);
/* CONNECT (3.1.1 or 5.0, the client's id, keepalive, clean start) queued.
 * 0, -ENOMEM or -EINVAL (not encodable). */
int bc_send_connect(struct bench_client *c);
/* SUBSCRIBE to the client's filter at the run's QoS queued. 0 or -errno. */
int bc_send_subscribe(struct bench_client *c);
/* PUBACK/PUBREC/PUBREL/PUBCOMP (type) for packet id pid queued. */
void bc_send_ack(struct bench_client *c, uint8_t type, uint16_t pid);
/* A two-byte packet (PINGREQ, DISCONNECT: first byte b0) queued. */
void bc_send_small(struct bench_client *c, uint8_t b0);

/* client_pub.c: the publish schedule */
/* The whole PUBLISH with a zero payload; per message only the packet id and
 * the MQLB header are patched. 0 or -ENOMEM. */
int bc_pub_prepare(struct bench_client *c);
/* The in-flight window set to window slots (at least 1, at most --inflight;
 * QoS 0 has none), the slots in flight dropped (a new session). */
void bc_pub_reset_window(struct bench_client *c, uint32_t window);
/* After a CONNACK that resumed the session: the unacknowledged messages are
 * sent again (DUP=1), at most receive_max unacknowledged at once. */
void bc_pub_resume(struct bench_client *c, uint32_t receive_max);
/* The publisher is done (count or duration reached): counted once. */
void bc_pub_finish(struct bench_client *c);
/* The pump timer's callback (ctx is the client). */
void bc_on_pub_timer(struct event_loop *el, void *ctx);
/* After a reconnect the slots that passed meanwhile are skipped, not burst. */
void bc_pub_skip_missed(struct bench_client *c);

/* client_rx.c: what is received */
/* Reads what the socket has (bounded per event) and handles every whole
 * packet; closes the client on EOF, errors or a protocol violation. */
void bc_on_readable(struct bench_client *c);
/* The TCP connect completed: TLS handshake or CONNECT next. */
void bc_on_connected(struct bench_client *c);
/* The socket's event callback on the worker's loop (ctx is the client). */
void bc_on_io(struct event_loop *el, int fd, void *ctx, unsigned events);

#endif
