/* merge.h — `mqlb bench merge SUB.json PUB.json`: the figures `bench run` would
 * have given, from the raw data a separate `bench sub` and `bench pub` wrote
 * (per-subscriber streams as sequence bitmaps, per-publisher confirmed seqs). */
#ifndef MQLB_BENCH_MERGE_H
#define MQLB_BENCH_MERGE_H

#include "bench/opts.h"

/* Reads o->merge_sub and o->merge_pub, prints the summary, writes o->json_path
 * if set. Returns CLI_OK, or CLI_FAIL with a message on stderr. */
int bench_merge(const struct bench_opts *o);

#endif
