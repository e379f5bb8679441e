/* monitor_refused.h — a director's refusals by reason, as its status JSON
 * counts them: every top-level object's "rejects" object ({REASON: N, ...}).
 * The proxy's ("proxy": {"rejects": ...}, director/proxy.h
 * PROXY_REJECT_LIST) keep their names; another part's are named part.reason
 * (the control socket's: control.bad_request, control.timed_out). Read
 * generically, in the director's order, so a reason or a part added to the
 * director shows in director.csv and /metrics with no change here. A
 * director with no such object (nft, ipvs, an older one) has none. */
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
