/* fault.c — the fault spec KIND[:TARGET][=PARAMS]@START[+DURATION] (fault.h).
 * '@' separates what from when because no other part may contain it; times
 * are durations as everywhere in mqlb ("5s", "500ms", a bare number = s). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/time.h"
#include "lab/fault.h"

static const char *const kind_names[LAB_FAULT_KINDS] = {
    "broker-kill", "broker-freeze", "client-flap", "bridge-cut", "director-kill", "netem"};

const char *lab_fault_kind_name(enum lab_fault_kind k)
{
	return (unsigned)k < LAB_FAULT_KINDS ? kind_names[k] : "?";
}

static int fail(char *err, size_t errlen, const char *spec, const char *why)
{
	snprintf(err, errlen, "--fault '%s': %s", spec, why);
	return -EINVAL;
}

/* "delay=50ms,loss=1%" into f; 0 or -EINVAL. */
static int netem_params(const char *p, struct lab_fault *f)
{
	char buf[96], *save = NULL;
	int any = 0;
	if (strlen(p) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", p);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t ns;
		size_t n = strlen(t);
		if (strncmp(t, "delay=", 6) == 0) {
			if (parse_duration_ns(t + 6, NS_PER_MS, &ns) < 0 || ns > 10 * NS_PER_S)
				return -EINVAL;
			f->delay_ms = ns / NS_PER_MS;
		} else if (strncmp(t, "loss=", 5) == 0 && n > 5 && t[n - 1] == '%') {
			t[n - 1] = '\0';
			if (parse_double(t + 5, 0, 100, &f->loss_pct) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		any = 1;
	}
	return any ? 0 : -EINVAL;
}

/* "5s+3s" into f's times; 0 or -EINVAL. */
static int times(const char *w, struct lab_fault *f)
{
	char buf[64];
	uint64_t ns;
	if (strlen(w) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", w);
	char *plus = strchr(buf, '+');
	if (plus) {
		*plus = '\0';
		if (parse_duration_ns(plus + 1, NS_PER_S, &ns) < 0 || ns < NS_PER_MS)
			return -EINVAL;
		f->dur_ms = ns / NS_PER_MS;
	}
	if (parse_duration_ns(buf, NS_PER_S, &ns) < 0)
		return -EINVAL;
	f->start_ms = ns / NS_PER_MS;
	return 0;
}

int lab_fault_parse(const char *s, struct lab_fault *f, char *err, size_t errlen)
{
	char buf[128];
	memset(f, 0, sizeof(*f));
	if (!s || !*s || strlen(s) >= sizeof(buf))
		return fail(err, errlen, s ? s : "", "empty or longer than 127 characters");
	snprintf(f->spec, sizeof(f->spec), "%s", s);
	snprintf(buf, sizeof(buf), "%s", s);
	char *at = strchr(buf, '@');
	if (!at)
		return fail(err, errlen, s, "no @START (KIND[:TARGET][=PARAMS]@START[+DURATION])");
	*at = '\0';
	char *params = strchr(buf, '=');
	if (params)
		*params++ = '\0';
	char *target = strchr(buf, ':');
	if (target)
		*target++ = '\0';
	int k;
	for (k = 0; k < LAB_FAULT_KINDS; k++)
		if (strcmp(buf, kind_names[k]) == 0)
			break;
	if (k == LAB_FAULT_KINDS)
		return fail(err, errlen, s,
			    "unknown kind (broker-kill, broker-freeze, client-flap, bridge-cut, "
			    "director-kill, netem)");
	f->kind = (enum lab_fault_kind)k;
	int max = f->kind == LAB_FAULT_CLIENT_FLAP || f->kind == LAB_FAULT_NETEM ? 2 : 16;
	if (!target || !*target)
		return fail(err, errlen, s, "needs :TARGET (a number; netem also 'all')");
	if (f->kind == LAB_FAULT_NETEM && strcmp(target, "all") == 0)
		f->target = 0;
	else if (parse_int(target, 1, max, &f->target) < 0)
		return fail(err, errlen, s,
			    max == 2 ? "TARGET is a client host, 1 or 2"
				     : "TARGET is a number from 1 (broker or director)");
	if (f->kind == LAB_FAULT_NETEM) {
		if (!params || netem_params(params, f) < 0)
			return fail(err, errlen, s,
				    "netem needs =delay=D and/or loss=P% (e.g. "
				    "netem:all=delay=50ms,loss=1%@0s+20s)");
	} else if (params) {
		return fail(err, errlen, s, "only netem takes =PARAMS");
	}
	if (times(at + 1, f) < 0)
		return fail(err, errlen, s,
			    "START[+DURATION] are durations, e.g. 5s+3s or 500ms (duration > 0)");
	if (f->kind == LAB_FAULT_DIRECTOR_KILL && f->dur_ms)
		return fail(err, errlen, s,
			    "a dead director host does not come back (no +DURATION)");
	return 0;
}

int lab_fault_check(const struct lab_fault *f, const struct lab_fault_limits *l, char *err,
		    size_t errlen)
{
	char why[160];
	switch (f->kind) {
	case LAB_FAULT_BROKER_KILL:
	case LAB_FAULT_BROKER_FREEZE:
	case LAB_FAULT_BRIDGE_CUT:
		if (f->target > l->brokers) {
			snprintf(why, sizeof(why), "broker %d, but the cluster has %d", f->target,
				 l->brokers);
			return fail(err, errlen, f->spec, why);
		}
		if (f->kind == LAB_FAULT_BRIDGE_CUT && l->mesh)
			return fail(err, errlen, f->spec,
				    "bridge-cut is for a star (a mesh broker's own bridges "
				    "cannot be told apart by port)");
		if (f->kind == LAB_FAULT_BRIDGE_CUT && f->target == 1)
			return fail(err, errlen, f->spec,
				    "broker 1 is the star's hub; cut a spoke (2..n) from it");
		break;
	case LAB_FAULT_DIRECTOR_KILL:
		if (f->target > l->directors) {
			snprintf(why, sizeof(why), "director %d, but the run has %d", f->target,
				 l->directors);
			return fail(err, errlen, f->spec, why);
		}
		break;
	default:
		break;
	}
	if (f->start_ms + f->dur_ms > l->publish_ms || f->start_ms >= l->publish_ms) {
		snprintf(why, sizeof(why), "ends past the publish time (%.1f s)",
			 (double)l->publish_ms / 1000);
		return fail(err, errlen, f->spec, why);
	}
	return 0;
}
