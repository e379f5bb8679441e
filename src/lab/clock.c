/* clock.c — the SSH hosts' clocks against this one (inventory.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/inventory.h"
#include "lab/spawn.h"

#define CLOCK_SAMPLES 7

int lab_clock_measure(const char *host, int samples, const char *tmpdir, struct lab_clock *c)
{
	char out[PATH_MAX];
	char *const argv[] = {"date", "+%s%N", NULL};
	snprintf(out, sizeof(out), "%s/.clock-%s", tmpdir, host);
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < samples; i++) {
		unlink(out);
		uint64_t t0 = time_real_ns();
		int r = lab_run_cmd(host, argv, out, NULL, 10 * NS_PER_S);
		uint64_t t1 = time_real_ns();
		if (r != 0)
			continue;
		FILE *f = fopen(out, "r");
		unsigned long long remote = 0;
		int ok = f && fscanf(f, "%llu", &remote) == 1 && remote > 0;
		if (f)
			fclose(f);
		if (!ok)
			continue;
		uint64_t rtt = t1 - t0;
		if (c->samples++ && rtt >= c->rtt_ns)
			continue;
		/* the remote read happened somewhere in [t0, t1]: its middle is the
		 * estimate, half the round trip the bound */
		c->rtt_ns = rtt;
		c->bound_ns = rtt / 2;
		c->offset_ns = (int64_t)(remote - (t0 + rtt / 2));
	}
	unlink(out);
	return c->samples ? 0 : -EIO;
}

int lab_clocks(const char *out, uint64_t max_ms, uint64_t *latency_err_ns)
{
	char path[PATH_MAX];
	struct lab_clock cl[2];
	snprintf(path, sizeof(path), "%s/clocks.csv", out);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "host,destination,offset_ms,bound_ms,rtt_ms,samples\n");
	for (int i = 0; lab_host_at(i); i++) {
		const struct lab_host *h = lab_host_at(i);
		struct lab_clock c;
		if (lab_clock_measure(h->name, CLOCK_SAMPLES, out, &c) < 0) {
			log_error("lab: host %s (%s): no clock sample answered", h->name, h->dest);
			fclose(f);
			return -EIO;
		}
		fprintf(f, "%s,%s,%.3f,%.3f,%.3f,%d\n", h->name, h->dest, c.offset_ns / 1e6,
			c.bound_ns / 1e6, c.rtt_ns / 1e6, c.samples);
		if (strncmp(h->name, "client", 6) == 0)
			cl[h->name[6] == '2'] = c;
	}
	fclose(f);
	int64_t d = cl[0].offset_ns - cl[1].offset_ns;
	*latency_err_ns = (uint64_t)(d < 0 ? -d : d) + cl[0].bound_ns + cl[1].bound_ns;
	if (max_ms && *latency_err_ns > max_ms * NS_PER_MS) {
		log_error("lab: the clocks of client1 and client2 differ by %.3f ms +- %.3f ms: "
			  "latency between them would be off by up to %.3f ms, more than "
			  "--max-clock-offset %" PRIu64 " ms (synchronise them: chrony/NTP)",
			  d / 1e6, (cl[0].bound_ns + cl[1].bound_ns) / 1e6, *latency_err_ns / 1e6,
			  max_ms);
		return -ERANGE;
	}
	return 0;
}

void lab_clocks_report(const char *out, uint64_t max_ms)
{
	char path[PATH_MAX], line[512];
	snprintf(path, sizeof(path), "%s/clocks.csv", out);
	FILE *in = fopen(path, "r");
	if (!in)
		return;
	snprintf(path, sizeof(path), "%s/report.md", out);
	FILE *f = fopen(path, "a");
	if (!f) {
		fclose(in);
		return;
	}
	fprintf(f, "\n## Clocks\n\n"
		   "Each host's clock against the controlling host (clocks.csv): the sample "
		   "with the smallest SSH round trip of several, offset = remote - "
		   "(t0 + t1) / 2, true offset within +- bound. Publishers and subscribers "
		   "sit on different client hosts, so a latency between them is off by up to "
		   "|offset(client1) - offset(client2)| + both bounds");
	if (max_ms)
		fprintf(f, "; the lab refuses to run past --max-clock-offset %" PRIu64 " ms",
			max_ms);
	fprintf(f, ".\n\n| host | destination | offset ms | bound ms | rtt ms |\n"
		   "|---|---|---|---|---|\n");
	int first = 1;
	while (fgets(line, sizeof(line), in)) {
		char host[64], dest[160];
		double o, b, r;
		if (first) {
			first = 0;
			continue;
		}
		if (sscanf(line, "%63[^,],%159[^,],%lf,%lf,%lf", host, dest, &o, &b, &r) == 5)
			fprintf(f, "| %s | %s | %.3f | %.3f | %.3f |\n", host, dest, o, b, r);
	}
	fclose(in);
	fclose(f);
}
