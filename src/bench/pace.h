/* pace.h — how often a `mqlb bench` worker wakes up, so that what it costs
 * follows the work and not the message count: the pause after a busy loop
 * iteration (reads batch up, one syscall per many messages) and the wake-up
 * time of a publisher at high rates (one timer per batch, not per message).
 * Pure functions (no clock, no state): the callers pass the figures. */
#ifndef MQLB_BENCH_PACE_H
#define MQLB_BENCH_PACE_H

#include <stdint.h>

#ifndef BENCH_COALESCE_MIN
#define BENCH_COALESCE_MIN 16 /* packets in one iteration that make it "busy" */
#endif
/* The pause is at most this fraction (1/N) of the smallest latency measured in
 * the iteration before it: a message read after the pause waited at most that
 * much longer in the socket, so every latency then reads at most ~1/N high. */
#define BENCH_COALESCE_LAT_DIV 16
/* Publishers whose interval is below this wake on a grid of this step (all
 * publishers of a worker together) and send every slot that came due. */
#define BENCH_PUB_BATCH_NS 100000ull

/* The pause after an iteration that handled pkts MQTT packets (received and
 * acknowledgements), the smallest latency measured in it min_lat_ns
 * (UINT64_MAX: none measured), the --coalesce bound cap_ns and window_ns (the
 * time the broker takes to acknowledge half the QoS 1/2 window of the
 * worker's publishers, see bench_window_ns; UINT64_MAX: no window): 0 when
 * the iteration was not busy or cap_ns is 0, else the least of cap_ns,
 * min_lat_ns / 16 and window_ns. */
uint64_t bench_coalesce_pause_ns(uint64_t cap_ns, uint64_t pkts, uint64_t min_lat_ns,
				 uint64_t window_ns);

/* How long the broker takes to acknowledge half of window messages when it
 * acknowledged acks of them in the last dt_ns: a publisher whose window is
 * full waits for acks, and a pause longer than that would leave the broker
 * without work from it (a pause caps it at window / pause msg/s).
 * UINT64_MAX when window is 0 (no QoS 1/2 publisher) or nothing was
 * acknowledged (no rate known: the cap alone bounds the pause). */
uint64_t bench_window_ns(uint64_t window, uint64_t acks, uint64_t dt_ns);

/* When a publisher whose next slot is intended_ns (monotonic) and whose slots
 * are interval_ns apart wakes: intended_ns itself when interval_ns >=
 * BENCH_PUB_BATCH_NS (latency runs: exact), else intended_ns rounded up to the
 * next multiple of BENCH_PUB_BATCH_NS. The slots keep their intended times
 * (the latency still counts from them: no coordinated omission); a message is
 * at most BENCH_PUB_BATCH_NS late. */
uint64_t bench_pub_wake_ns(uint64_t intended_ns, uint64_t interval_ns);

#endif
