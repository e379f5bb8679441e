/* worker.h — one thread, one event loop, a share of the clients. */
#ifndef MQLB_BENCH_WORKER_H
#define MQLB_BENCH_WORKER_H

#include "bench/bench-t.h"

#define BENCH_TICK_NS (100 * NS_PER_MS)

/* Creates the loop and buffers of w (clients already assigned). 0 or -errno. */
int bench_worker_init(struct bench_worker *w, struct bench_run *run, unsigned idx);
/* Starts the thread. 0 or -errno. */
int bench_worker_start(struct bench_worker *w);
/* Wakes the loop so a phase change is seen at once (any thread). */
void bench_worker_wake(struct bench_worker *w);
/* After the thread was joined: frees the loop and buffers (not the clients). */
void bench_worker_free(struct bench_worker *w);

#endif
