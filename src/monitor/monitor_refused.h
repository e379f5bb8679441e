/* monitor_refused.h — a director's refusals by reason, as its status JSON
 * counts them (the proxy's "proxy": {"rejects": {REASON: N, ...}}, one member
 * per reason of director/proxy.h PROXY_REJECT_LIST). Read generically: every
 * member of that object is a reason, in the director's order, so a reason
 * added to the director shows in director.csv and /metrics with no change
 * here. A director without the object (nft, ipvs) has none. */
#ifndef MQLB_MONITOR_REFUSED_H
#define MQLB_MONITOR_REFUSED_H

#include <stdint.h>

#include "monitor/monitor.h"

#define MONITOR_MAX_REASONS 32
struct monitor_refused {
	unsigned n; /* 0 when the status has no "rejects" object */
	char reason[MONITOR_MAX_REASONS][32];
	uint64_t count[MONITOR_MAX_REASONS];
	uint64_t total; /* the sum over every reason */
};

/* monitor_director_parse plus the refusals (ref may be NULL). Returns 0 or
 * -EINVAL, as monitor_director_parse. Members that are not numbers, and
 * reasons past MONITOR_MAX_REASONS or longer than 31 bytes, are skipped. */
int monitor_director_parse_all(const char *json, struct monitor_director *out,
			       struct monitor_refused *ref);
/* monitor_director_query plus the refusals (ref may be NULL). */
int monitor_director_query_all(const char *path, uint64_t timeout_ns, struct monitor_director *out,
			       struct monitor_refused *ref);

#endif
