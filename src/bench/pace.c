/* pace.c — wake-up rules of the bench workers (see pace.h). */
#include "bench/pace.h"

uint64_t bench_coalesce_pause_ns(uint64_t cap_ns, uint64_t pkts, uint64_t min_lat_ns)
{
	if (!cap_ns || pkts < BENCH_COALESCE_MIN)
		return 0;
	/* the bound relative to the latency keeps latency runs exact: at 1 ms
	 * latency the pause is <= 62 us, under a backlog of seconds it is cap */
	uint64_t rel = min_lat_ns / BENCH_COALESCE_LAT_DIV;
	return rel < cap_ns ? rel : cap_ns;
}

uint64_t bench_pub_wake_ns(uint64_t intended_ns, uint64_t interval_ns)
{
	if (interval_ns >= BENCH_PUB_BATCH_NS)
		return intended_ns;
	uint64_t r = intended_ns % BENCH_PUB_BATCH_NS;
	return r ? intended_ns + (BENCH_PUB_BATCH_NS - r) : intended_ns;
}
