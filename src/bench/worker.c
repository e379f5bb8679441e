/* worker.c — the thread body: connect pacing, the 100 ms tick (timeouts,
 * keepalive, reconnects, phase changes), and the loop itself. */
#include "bench/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bench/client.h"
#include "bench/pace.h"
#include "common/log.h"
#include "common/time.h"

#define CONNECTS_PER_ITER 256 /* keep the loop responsive when -i 0 */

static void on_connect_timer(struct event_loop *el, void *ctx)
{
	struct bench_worker *w = ctx;
	struct bench_run *run = w->run;
	uint64_t now = time_mono_ns();
	if (atomic_load(&run->phase) >= BPH_STOP)
		return;
	for (int n = 0; w->next_connect < w->nclients; n++) {
		struct bench_client *c = w->clients[w->next_connect];
		uint64_t due = run->connect_start_ns + (uint64_t)c->order * run->o.conn_interval_ns;
		if (due > now) {
			event_timer_arm(el, &w->connect_timer, due);
			return;
		}
		if (n == CONNECTS_PER_ITER) {
			event_timer_arm(el, &w->connect_timer, 0);
			return;
		}
		w->next_connect++;
		bench_client_connect(c);
	}
}

/* Once per tick: how long half the publishers' QoS 1/2 window lasts at the
 * broker's current ack rate (the --coalesce pause stays below it). */
static void update_window(struct bench_worker *w, uint64_t now)
{
	uint64_t window = 0, acked = LIVE_GET(w, acked);
	if (w->run->o.qos)
		for (uint32_t i = 0; i < w->nclients; i++) {
			const struct bench_client *c = w->clients[i];
			if (c->pub && !c->pub->done && c->state == BCS_READY)
				window += c->pub->send_max;
		}
	if (w->win_ns)
		w->window_ns = bench_window_ns(window, acked - w->win_acked, now - w->win_ns);
	w->win_acked = acked;
	w->win_ns = now;
}

static void on_tick(struct event_loop *el, void *ctx)
{
	struct bench_worker *w = ctx;
	int phase = atomic_load_explicit(&w->run->phase, memory_order_acquire);
	uint64_t now = time_mono_ns();
	if (phase == BPH_STOP) {
		for (uint32_t i = 0; i < w->nclients; i++)
			bench_client_finish(w->clients[i]);
		event_loop_stop(el);
		return;
	}
	if (phase != w->seen_phase) {
		w->seen_phase = phase;
		for (uint32_t i = 0; i < w->nclients; i++)
			if (w->clients[i]->pub)
				bench_client_pump(w->clients[i]);
	}
	for (uint32_t i = 0; i < w->next_connect; i++)
		bench_client_tick(w->clients[i], now);
	update_window(w, now);
	event_timer_arm(el, &w->tick, now + BENCH_TICK_NS);
}

static void *worker_main(void *arg)
{
	struct bench_worker *w = arg;
	event_loop_set_before_wait(w->el, bench_worker_flush, w);
	event_timer_arm(w->el, &w->tick, 0);
	event_timer_arm(w->el, &w->connect_timer, w->run->connect_start_ns);
	int r = event_loop_run(w->el);
	if (r < 0) {
		log_error("bench: worker %u: event loop: %s", w->idx, strerror(-r));
		w->exit_err = r;
	}
	bench_worker_flush(w->el, w);
	return NULL;
}

int bench_worker_init(struct bench_worker *w, struct bench_run *run, unsigned idx)
{
	w->idx = idx;
	w->run = run;
	w->seen_phase = BPH_CONNECT;
	w->iter_min_lat_ns = UINT64_MAX;
	w->window_ns = UINT64_MAX;
	w->el = event_loop_new((int)w->nclients + 16);
	w->scratch = malloc(65536);
	w->hist = malloc(sizeof(*w->hist));
	if (!w->el || !w->scratch || !w->hist)
		return -ENOMEM;
	bench_hist_init(w->hist);
	/* jitter differs per worker and per run; it needs no more than that */
	w->rng = time_mono_ns() ^ ((uint64_t)(idx + 1) * 0x9e3779b97f4a7c15ull);
	event_timer_init(&w->tick, on_tick, w);
	event_timer_init(&w->connect_timer, on_connect_timer, w);
	return 0;
}

int bench_worker_start(struct bench_worker *w)
{
	/* signals go to the main thread only */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

void bench_worker_wake(struct bench_worker *w)
{
	if (w->el)
		event_loop_wake(w->el);
}

void bench_worker_free(struct bench_worker *w)
{
	event_loop_free(w->el);
	free(w->scratch);
	free(w->hist);
	free(w->clients);
	bench_msstat_free(&w->reconnect_ms);
	w->el = NULL;
	w->scratch = NULL;
	w->hist = NULL;
	w->clients = NULL;
}
