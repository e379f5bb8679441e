/* client.h — one MQTT client of `mqlb bench` on its worker's event loop:
 * non-blocking connect, CONNECT/CONNACK, SUBSCRIBE/SUBACK, the publish schedule
 * with an in-flight window, QoS 1/2 flows (PUBACK; PUBREC/PUBREL/PUBCOMP both
 * ways), keepalive pings, batched writes, and faults counted by reason.
 * MQTT 3.1.1 §3 / 5.0 §3 (all packets via src/mqtt). Every function runs on
 * the client's worker thread. */
#ifndef MQLB_BENCH_CLIENT_H
#define MQLB_BENCH_CLIENT_H

#include "bench/bench-t.h"

/* Starts a TCP connect (first time or reconnect). Failures are counted and
 * handled like any later loss of the connection. */
void bench_client_connect(struct bench_client *c);
/* Periodic checks (connect/SUBACK timeouts, keepalive, reconnect time). */
void bench_client_tick(struct bench_client *c, uint64_t now);
/* Sends what the schedule says is due (publishers), arms the next slot. */
void bench_client_pump(struct bench_client *c);
/* Sends DISCONNECT (if connected), flushes best-effort, closes; no reconnect. */
void bench_client_finish(struct bench_client *c);
/* Writes every client's pending output (the loop's before-wait hook). */
void bench_worker_flush(struct event_loop *el, void *worker);
/* Allocates the publisher state (c->topic and c->index set). 0 or -ENOMEM. */
int bench_client_init_pub(struct bench_client *c);
/* Frees the client's buffers and records (after its worker stopped). */
void bench_client_free(struct bench_client *c);

#endif
