/* msstat.h — a list of durations in whole milliseconds (reconnect times of
 * `mqlb bench`), kept raw so `bench merge` can join two lists and give exactly
 * the percentiles one process would have given. */
#ifndef MQLB_BENCH_MSSTAT_H
#define MQLB_BENCH_MSSTAT_H

#include <stddef.h>
#include <stdint.h>

struct bench_msstat {
	uint64_t *v; /* owned; in insertion order until bench_msstat_sort */
	size_t n, cap;
};

/* Appends one value. 0 or -ENOMEM (the list is unchanged then). */
int bench_msstat_add(struct bench_msstat *s, uint64_t ms);
/* Appends every value of src. 0 or -ENOMEM. */
int bench_msstat_join(struct bench_msstat *dst, const struct bench_msstat *src);
/* Sorts ascending (percentiles need it). */
void bench_msstat_sort(struct bench_msstat *s);
/* Nearest-rank percentile of a sorted list: the ceil(p/100 * n)-th smallest
 * value (0 < p <= 100); 0 when empty. The same rule as the latency histogram. */
uint64_t bench_msstat_percentile(const struct bench_msstat *s, double p);
/* Largest value of a sorted list, 0 when empty. */
uint64_t bench_msstat_max(const struct bench_msstat *s);
/* Frees the values; s is empty and reusable afterwards. */
void bench_msstat_free(struct bench_msstat *s);

#endif
