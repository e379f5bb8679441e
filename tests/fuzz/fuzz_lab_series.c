/* fuzz_lab_series.c — libFuzzer target for the time series the report plots
 * out of the monitor's and bench's CSV files (lab_series_parse, series.h;
 * lab_series_load after reading the file). Input: one byte choosing the column
 * words (those report.c and plot.c ask for), then the CSV text. Invariants: at
 * most LAB_MAX_SERIES series, each with at most one point per data row per
 * matching column (two columns of one name feed one series) and cap >= n; the result is the series count or -ENOENT;
 * max and delta (the figures the report prints) are computed on each. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/series.h"

struct words {
	const char *const *words, *const *avoid;
};
static const char *const cpu[] = {"cpu", NULL}, *const cpu_avoid[] = {"limit", "max", NULL};
static const char *const drop[] = {"dropped", NULL}, *const drop_avoid[] = {"1min", "load", NULL};
static const char *const rss[] = {"rss", NULL}, *const alive[] = {"alive", NULL};
static const char *const store[] = {"store", "messages", NULL}, *const bytes[] = {"bytes", NULL};
static const char *const rate[] = {"recv", "/s", NULL}, *const recv_[] = {"received", NULL};
static const char *const rate_avoid[] = {"rate", "/s", "per_s", NULL};
static const struct words choice[] = {{cpu, cpu_avoid},	  {drop, drop_avoid}, {rss, NULL},
				      {alive, NULL},	  {store, bytes},     {rate, NULL},
				      {recv_, rate_avoid}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_series_set set;
	if (size < 1)
		return 0;
	const struct words *w = &choice[data[0] % (sizeof(choice) / sizeof(choice[0]))];
	const char *in = (const char *)data + 1;
	size_t len = size - 1, lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += in[i] == '\n';
	int n = lab_series_parse(in, len, w->words, w->avoid, &set);
	if (n < 0) {
		if (n != -ENOENT || set.n != 0)
			abort();
		return 0;
	}
	if ((unsigned)n != set.n || set.n > LAB_MAX_SERIES)
		abort();
	uint64_t points = 0;
	for (unsigned i = 0; i < set.n; i++) {
		const struct lab_series *s = &set.s[i];
		if (s->n > s->cap || s->n > lines * LAB_MAX_SERIES ||
		    !memchr(s->name, '\0', sizeof(s->name)))
			abort();
		points += s->n;
		(void)lab_series_max(s);
		(void)lab_series_delta(s);
	}
	if (points > (uint64_t)lines * LAB_MAX_SERIES)
		abort();
	lab_series_free(&set);
	return 0;
}
