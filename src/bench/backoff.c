/* backoff.c — reconnect delays (see backoff.h). */
#include "bench/backoff.h"

uint64_t bench_backoff_ns(uint32_t attempt, uint64_t min_ns, uint64_t max_ns, uint64_t rnd)
{
	uint64_t d = min_ns;
	/* double until the cap; stops before overflowing (max_ns bounds d) */
	for (uint32_t i = 0; i < attempt && d < max_ns; i++)
		d = d > max_ns / 2 ? max_ns : d * 2;
	if (d > max_ns)
		d = max_ns;
	uint64_t lo = d / 2;
	return lo + rnd % (d - lo + 1);
}

uint64_t bench_rand_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}
