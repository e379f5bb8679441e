/* status.c — the director's state as JSON (DESIGN.md "director status --json",
 * keys are stable: add, never rename) and as an ipvsadm -Ln [--stats] like table. */
#include "director/director.h"

#include <inttypes.h>

#include "common/addr.h"
#include "common/json.h"
#include "director/ha.h"

static const char *const mode_names[DIRECTOR_MODE_COUNT] = {"local", "nat", "dr"};

static const char *mode_name(enum director_mode m)
{
	return (unsigned)m < DIRECTOR_MODE_COUNT ? mode_names[m] : "?";
}

/* The HA keys (names fixed: the monitor reads them into director.csv):
 * vrrp_state is "" without --vrrp-state or before keepalived wrote the file;
 * conntrack_count is left out when this namespace has no conntrack table. */
static void ha_status_json(const struct director *d, struct json *j)
{
	char state[16] = "";
	uint64_t n;
	if (d->cfg.vrrp_state_file)
		ha_state_read(d->cfg.vrrp_state_file, state, sizeof(state));
	json_str(j, "vrrp_state", state);
	if (ha_conntrack_count(&n) == 0)
		json_u64(j, "conntrack_count", n);
}

void director_status_json(const struct director *d, FILE *f)
{
	struct json j;
	char a[ADDR_STRLEN];
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "name", d->cfg.name);
	json_str(&j, "dataplane", d->dp ? d->dp->name : "");
	json_str(&j, "scheduler", d->cfg.scheduler);
	json_str(&j, "mode", mode_name(d->cfg.mode));
	json_str(&j, "listen", addr_format(&d->cfg.listen, a, sizeof(a)));
	json_u64(&j, "health_interval_ms", d->cfg.health_interval_ns / 1000000);
	json_u64(&j, "health_timeout_ms", d->cfg.health_timeout_ns / 1000000);
	json_u64(&j, "health_fall", d->cfg.health_fall);
	json_u64(&j, "health_rise", d->cfg.health_rise);
	json_bool(&j, "fail_closed", d->cfg.fail_closed);
	json_bool(&j, "failing_open", d->failing_open);
	ha_status_json(d, &j);
	if (d->ctl_stats) { /* control requests refused, by reason */
		json_obj_begin(&j, "control");
		json_u64(&j, "accepted", d->ctl_stats->accepted);
		json_u64(&j, "served", d->ctl_stats->served);
		json_u64(&j, "full", d->ctl_stats->full); /* accept paused: 8 open, backlog waits */
		json_obj_begin(&j, "rejects");
		json_u64(&j, "bad_request", d->ctl_stats->bad);
		json_u64(&j, "timed_out", d->ctl_stats->timed_out);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_begin(&j, "backends");
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct director_backend *b = &d->backends[i];
		json_obj_begin(&j, NULL);
		json_str(&j, "address", addr_format(&b->addr, a, sizeof(a)));
		if (b->name[0]) /* given by name: resolved again on reload */
			json_str(&j, "host_name", b->name);
		json_bool(&j, "send_proxy_v2", b->send_proxy_v2);
		json_u64(&j, "weight", b->weight);
		json_u64(&j, "effective_weight", atomic_load(&b->effective_weight));
		json_bool(&j, "healthy", b->healthy);
		json_bool(&j, "drained", b->drained);
		json_u64(&j, "active_connections", b->active_connections);
		json_u64(&j, "inactive_connections", b->inactive_connections);
		json_u64(&j, "total_connections", b->total_connections);
		json_u64(&j, "packets_in", b->packets_in);
		json_u64(&j, "packets_out", b->packets_out);
		json_u64(&j, "bytes_in", b->bytes_in);
		json_u64(&j, "bytes_out", b->bytes_out);
		json_u64(&j, "health_fails", b->health_fails);
		json_u64(&j, "health_oks", b->health_oks);
		if (b->has_rates) { /* extra keys (IPVS): per second, kernel estimator */
			json_u64(&j, "cps", b->cps);
			json_u64(&j, "inpps", b->inpps);
			json_u64(&j, "outpps", b->outpps);
			json_u64(&j, "inbps", b->inbps);
			json_u64(&j, "outbps", b->outbps);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (d->dp && d->dp->status_json)
		d->dp->status_json(d, &j); /* dataplane-specific keys, e.g. "proxy" */
	json_obj_end(&j);
}

static const char *state_of(const struct director_backend *b)
{
	if (b->drained)
		return "drained";
	return b->healthy ? "up" : "down";
}

/* The IPVS rates as ipvsadm -Ln --rate prints them (per second; BPS are bytes),
 * below the --stats table; nothing for dataplanes without rates. */
static void rates_table(const struct director *d, FILE *f)
{
	char a[ADDR_STRLEN];
	uint64_t t[5] = {0};
	int any = 0;
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct director_backend *b = &d->backends[i];
		if (!b->has_rates)
			continue;
		any = 1;
		t[0] += b->cps;
		t[1] += b->inpps;
		t[2] += b->outpps;
		t[3] += b->inbps;
		t[4] += b->outbps;
	}
	if (!any)
		return;
	fprintf(f, "%-4s %-26s %6s %10s %10s %14s %14s\n", "Prot", "LocalAddress:Port", "CPS",
		"InPPS", "OutPPS", "InBPS", "OutBPS");
	fprintf(f, "  -> RemoteAddress:Port\n");
	fprintf(f,
		"%-4s %-26s %6" PRIu64 " %10" PRIu64 " %10" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n",
		"TCP", addr_format(&d->cfg.listen, a, sizeof(a)), t[0], t[1], t[2], t[3], t[4]);
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct director_backend *b = &d->backends[i];
		if (!b->has_rates)
			continue;
		fprintf(f,
			"  -> %-27s %6" PRIu64 " %10" PRIu64 " %10" PRIu64 " %14" PRIu64
			" %14" PRIu64 "\n",
			addr_format(&b->addr, a, sizeof(a)), b->cps, b->inpps, b->outpps, b->inbps,
			b->outbps);
	}
}

void director_status_table(const struct director *d, FILE *f, int with_stats)
{
	char a[ADDR_STRLEN];
	fprintf(f, "mqlb director %s: dataplane %s, mode %s%s\n", d->cfg.name,
		d->dp ? d->dp->name : "?", mode_name(d->cfg.mode),
		d->failing_open ? ", FAILING OPEN (every backend down: all kept in)" : "");
	if (d->cfg.vrrp_state_file) {
		char state[16] = "";
		uint64_t n;
		ha_state_read(d->cfg.vrrp_state_file, state, sizeof(state));
		fprintf(f, "VRRP state %s", state[0] ? state : "unknown (no state file yet)");
		if (ha_conntrack_count(&n) == 0)
			fprintf(f, ", conntrack entries %" PRIu64, n);
		fprintf(f, "\n");
	}
	if (with_stats)
		fprintf(f, "%-4s %-26s %6s %10s %10s %14s %14s\n", "Prot", "LocalAddress:Port",
			"Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
	else
		fprintf(f, "%-4s %-26s %s\n", "Prot", "LocalAddress:Port", "Scheduler");
	if (with_stats)
		fprintf(f, "  -> %-27s %6s %10s %10s %14s %14s %s\n", "RemoteAddress:Port", "", "",
			"", "", "", "State");
	else
		fprintf(f, "  -> %-27s %6s %6s %10s %10s %s\n", "RemoteAddress:Port", "Weight",
			"Eff", "ActiveConn", "InActConn", "State");
	if (with_stats) {
		uint64_t c = 0, pi = 0, po = 0, bi = 0, bo = 0;
		for (unsigned i = 0; i < d->n_backends; i++) {
			const struct director_backend *b = &d->backends[i];
			c += b->total_connections;
			pi += b->packets_in;
			po += b->packets_out;
			bi += b->bytes_in;
			bo += b->bytes_out;
		}
		fprintf(f,
			"%-4s %-26s %6" PRIu64 " %10" PRIu64 " %10" PRIu64 " %14" PRIu64
			" %14" PRIu64 "\n",
			"TCP", addr_format(&d->cfg.listen, a, sizeof(a)), c, pi, po, bi, bo);
	} else {
		fprintf(f, "%-4s %-26s %s\n", "TCP", addr_format(&d->cfg.listen, a, sizeof(a)),
			d->cfg.scheduler);
	}
	for (unsigned i = 0; i < d->n_backends; i++) {
		const struct director_backend *b = &d->backends[i];
		addr_format(&b->addr, a, sizeof(a));
		if (with_stats)
			fprintf(f,
				"  -> %-27s %6" PRIu64 " %10" PRIu64 " %10" PRIu64 " %14" PRIu64
				" %14" PRIu64 " %s\n",
				a, b->total_connections, b->packets_in, b->packets_out, b->bytes_in,
				b->bytes_out, state_of(b));
		else
			fprintf(f, "  -> %-27s %6u %6u %10" PRIu64 " %10" PRIu64 " %s\n", a,
				b->weight, (unsigned)atomic_load(&b->effective_weight),
				b->active_connections, b->inactive_connections, state_of(b));
	}
	if (with_stats)
		rates_table(d, f);
}
