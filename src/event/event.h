/* event.h — a small epoll event loop with timers; one loop per thread.
 *
 * File events: interest in EVENT_READ and/or EVENT_WRITE on a file descriptor,
 * with one callback and a borrowed `void *ctx` per fd. Timers: caller-owned
 * struct event_timer records (no allocation per timer) kept in a min-heap keyed
 * on a CLOCK_MONOTONIC deadline in nanoseconds; epoll_pwait2 gives the wait
 * nanosecond resolution (falls back to epoll_wait rounded up to the millisecond).
 *
 * Callbacks may do anything to the loop, including deleting or closing any fd
 * and re-adding a new fd with the same number: the loop re-reads its state after
 * every callback and drops events that were reported for a registration that no
 * longer exists (each registration carries a generation number).
 *
 * Threads: a loop is used by the thread that runs it. Only event_loop_stop() and
 * event_loop_wake() may be called from another thread or a signal handler.
 * Modelled on Redis ae.c / ae_epoll.c.
 */
#ifndef MQLB_EVENT_H
#define MQLB_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define EVENT_NONE  0u
#define EVENT_READ  1u /* EPOLLIN; also reported on hang-up and error */
#define EVENT_WRITE 2u /* EPOLLOUT; also reported on error */
#define EVENT_ERROR 4u /* only in the `events` passed to a callback: EPOLLERR/EPOLLHUP */

struct event_loop;

/* events: the EVENT_* bits that are ready (EVENT_ERROR may accompany them). */
typedef void (*event_file_fn)(struct event_loop *el, int fd, void *ctx, unsigned events);
/* Called once when the deadline passes; the timer is disarmed before the call and
 * may be re-armed from inside. */
typedef void (*event_timer_fn)(struct event_loop *el, void *ctx);
/* Called before each wait (e.g. to flush batched writes). */
typedef void (*event_hook_fn)(struct event_loop *el, void *ctx);

/* A timer. Owned by the caller; must stay at its address while armed. */
struct event_timer {
	uint64_t when_ns; /* CLOCK_MONOTONIC deadline */
	event_timer_fn fn;
	void *ctx;
	uint32_t heap_idx; /* EVENT_TIMER_IDLE when not armed */
};
#define EVENT_TIMER_IDLE UINT32_MAX

/* New loop sized for about size_hint fds (grows on demand). Returns NULL with
 * errno set on failure. The loop owns its epoll fd and a wake-up eventfd. */
struct event_loop *event_loop_new(int size_hint);
/* Frees the loop (NULL accepted). Registered fds are not closed (the caller owns
 * them); armed timers are simply forgotten. */
void event_loop_free(struct event_loop *el);

/* Registers fd with interest mask (EVENT_READ|EVENT_WRITE, may be 0) and a
 * callback; ctx is borrowed. Returns 0, -EEXIST if fd is already registered,
 * -EINVAL, or -errno from epoll_ctl / allocation. */
int event_add(struct event_loop *el, int fd, unsigned mask, event_file_fn fn, void *ctx);
/* Changes the interest mask of a registered fd. Returns 0, -ENOENT, -errno.
 * A no-op (no syscall) when the mask is unchanged. */
int event_set(struct event_loop *el, int fd, unsigned mask);
/* Unregisters fd (before closing it). Pending events for it are dropped.
 * Returns 0 or -ENOENT. */
int event_del(struct event_loop *el, int fd);
/* Current interest mask, or -ENOENT. */
int event_mask(const struct event_loop *el, int fd);
/* Number of registered fds. */
unsigned event_count(const struct event_loop *el);

/* A disarmed timer that calls fn(ctx) when it fires; t is the caller's and
 * must outlive any arming. */
void event_timer_init(struct event_timer *t, event_timer_fn fn, void *ctx);
/* Arms (or moves) t to fire at when_ns (CLOCK_MONOTONIC); a time in the past fires
 * on the next loop iteration. Returns 0 or -ENOMEM. */
int event_timer_arm(struct event_loop *el, struct event_timer *t, uint64_t when_ns);
/* Disarms t if armed (no-op otherwise). */
void event_timer_cancel(struct event_loop *el, struct event_timer *t);
static inline bool event_timer_armed(const struct event_timer *t)
{
	return t->heap_idx != EVENT_TIMER_IDLE;
}
/* Earliest armed deadline, or UINT64_MAX. */
uint64_t event_timer_next(const struct event_loop *el);

/* Called before every wait; NULL removes it. */
void event_loop_set_before_wait(struct event_loop *el, event_hook_fn fn, void *ctx);

/* Time cached at the start of the current iteration (CLOCK_MONOTONIC ns): cheap,
 * and the same for every callback of one iteration. */
uint64_t event_loop_now(const struct event_loop *el);

/* One iteration: waits at most timeout_ns (0 = poll, UINT64_MAX = until an event
 * or timer), dispatches ready fds, then due timers. Returns the number of
 * callbacks made, or -errno if epoll failed (EINTR is not an error: returns 0). */
int event_loop_once(struct event_loop *el, uint64_t timeout_ns);
/* Runs iterations until event_loop_stop(). Returns 0, or -errno from epoll. */
int event_loop_run(struct event_loop *el);
/* Makes event_loop_run() return after the current iteration. Thread- and
 * async-signal-safe. */
void event_loop_stop(struct event_loop *el);
/* Interrupts a wait from another thread or a signal handler (async-signal-safe). */
void event_loop_wake(struct event_loop *el);
/* Whether event_loop_stop() was called (the loop ends after this iteration). */
bool event_loop_stopped(const struct event_loop *el);

#endif
