/* backoff.h — when a `mqlb bench` client tries to reconnect: exponential
 * backoff with jitter, as real devices do it, so a thousand clients cut off at
 * the same moment do not come back in lockstep. Pure functions (no clock, no
 * global state): the caller passes the random value. */
#ifndef MQLB_BENCH_BACKOFF_H
#define MQLB_BENCH_BACKOFF_H

#include <stdint.h>

/* Delay before reconnect attempt number attempt (0 = the first one after a
 * lost connection or a first failed connect): d = min_ns * 2^attempt, capped
 * at max_ns, then jittered uniformly into [d/2, d] by rnd (any 64-bit value;
 * rnd mod (d - d/2 + 1) is added to d/2). min_ns <= max_ns, both > 0. */
uint64_t bench_backoff_ns(uint32_t attempt, uint64_t min_ns, uint64_t max_ns, uint64_t rnd);

/* Next value of a xorshift64* generator (state must not be 0; a 0 state is
 * replaced by a fixed constant). Enough for jitter, not for secrets. */
uint64_t bench_rand_next(uint64_t *state);

#endif
