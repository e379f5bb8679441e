/* pace.c — wake-up rules of the bench workers (see pace.h). */
#include "bench/pace.h"

uint64_t bench_coalesce_pause_ns(uint64_t cap_ns, uint64_t pkts, uint64_t min_lat_ns,
				 uint64_t window_ns)
{
	if (!cap_ns || pkts < BENCH_COALESCE_MIN)
		return 0;
	/* the bound relative to the latency keeps latency runs exact: at 1 ms
	 * latency the pause is <= 62 us, under a backlog of seconds it is cap */
	uint64_t p = min_lat_ns / BENCH_COALESCE_LAT_DIV;
	if (cap_ns < p)
		p = cap_ns;
	return window_ns < p ? window_ns : p;
}

uint64_t bench_window_ns(uint64_t window, uint64_t acks, uint64_t dt_ns)
{
	if (!window || !acks)
		return UINT64_MAX;
	/* window / 2 / (acks / dt); 128-bit: dt_ns * window can pass 2^64 */
	unsigned __int128 t = (unsigned __int128)dt_ns * window / 2 / acks;
	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t bench_pub_wake_ns(uint64_t intended_ns, uint64_t interval_ns)
{
	if (interval_ns >= BENCH_PUB_BATCH_NS)
		return intended_ns;
	uint64_t r = intended_ns % BENCH_PUB_BATCH_NS;
	return r ? intended_ns + (BENCH_PUB_BATCH_NS - r) : intended_ns;
}
