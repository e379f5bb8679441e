/* faultrow.c — the figures of one run under faults (faults.csv): what the
 * clients saw (bench's reconnect keys, summed over the four sub/pub files;
 * reconnect times are the worst file's, as latency in run.c), when delivery
 * came back, and when the directors took a failed broker out. */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/fault.h"
#include "lab/lab.h"

uint64_t lab_iso_ms(const char *s)
{
	struct tm tm;
	int ms = 0, off = 0;
	char sign = '+';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%d%c%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &ms, &sign, &off) < 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t t = (int64_t)timegm(&tm) * 1000 + ms;
	int64_t off_ms = ((off / 100) * 60 + off % 100) * 60000LL;
	t += sign == '-' ? off_ms : -off_ms; /* local = UTC + offset */
	return t > 0 ? (uint64_t)t : 0;
}

/* The first publish: faults.log's, else bench pub's start on client host 1
 * (its first CSV row's wall clock less its t_s; a run without faults). */
static uint64_t first_publish(const char *rundir)
{
	char path[1200], line[512];
	unsigned long long t0 = 0;
	snprintf(path, sizeof(path), "%s/faults.log", rundir);
	FILE *f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "# first_publish_unix_ms=%llu", &t0) == 1)
				break;
		fclose(f);
	}
	struct lab_csv c;
	snprintf(path, sizeof(path), "%s/pub-client1.csv", rundir);
	if (t0 || lab_csv_load(path, &c) < 0)
		return t0;
	int cu = lab_csv_col(&c, "unix_ms"), ct = lab_csv_col(&c, "t_s");
	if (cu >= 0 && ct >= 0 && c.n_rows > 1)
		t0 = (unsigned long long)(strtod(lab_csv_get(&c, 1, cu), NULL) -
					  1000 * strtod(lab_csv_get(&c, 1, ct), NULL));
	lab_csv_free(&c);
	return t0;
}

unsigned lab_fault_rate(const char *rundir, double *rate, unsigned cap, uint64_t *t0_ms)
{
	char pat[1200];
	unsigned top = 0;
	glob_t g;
	*t0_ms = first_publish(rundir);
	memset(rate, 0, cap * sizeof(*rate));
	snprintf(pat, sizeof(pat), "%s/sub-*.csv", rundir);
	if (!*t0_ms || glob(pat, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct lab_csv c;
		if (lab_csv_load(g.gl_pathv[i], &c) < 0)
			continue;
		int cu = lab_csv_col(&c, "unix_ms"), cr = lab_csv_col(&c, "recv_rate");
		for (unsigned r = 1; cu >= 0 && cr >= 0 && r < c.n_rows; r++) {
			double ms = strtod(lab_csv_get(&c, r, cu), NULL) - (double)*t0_ms;
			/* a row is the second that ends at its time stamp */
			double sec = floor((ms - 500) / 1000);
			if (sec < 0 || sec >= cap)
				continue;
			rate[(unsigned)sec] += strtod(lab_csv_get(&c, r, cr), NULL);
			if ((unsigned)sec + 1 > top)
				top = (unsigned)sec + 1;
		}
		lab_csv_free(&c);
	}
	globfree(&g);
	return top;
}

/* From the fault's start: the first second that falls below 90 % of the mean
 * rate before the fault, then the first one back at >= 90 %; 0 when it never
 * fell, LAB_NEVER when it was not back before the publishers stopped. */
static double recovery(const double *rate, unsigned n, uint64_t start_ms, uint64_t publish_ms)
{
	unsigned s0 = (unsigned)(start_ms / 1000), end = (unsigned)(publish_ms / 1000);
	double base = 0;
	unsigned nb = 0;
	for (unsigned k = 1; k < s0 && k < n; k++, nb++)
		base += rate[k];
	if (!nb || base <= 0)
		return LAB_NA; /* nothing before the fault to compare with */
	base /= nb;
	if (end > n)
		end = n;
	unsigned k = s0;
	while (k < end && rate[k] >= 0.9 * base)
		k++;
	if (k >= end)
		return 0;
	while (k < end && rate[k] < 0.9 * base)
		k++;
	if (k >= end)
		return LAB_NEVER;
	return (double)k - (double)start_ms / 1000;
}

/* Sums the reconnect keys of the four bench files; missing keys read 0. */
static void reconnect_keys(struct lab_fault_row *r, const char *rundir)
{
	static const char *const files[] = {"sub-client1", "sub-client2", "pub-client1",
					    "pub-client2"};
	for (unsigned i = 0; i < 4; i++) {
		char path[1200];
		double v;
		snprintf(path, sizeof(path), "%s/%s.json", rundir, files[i]);
		char *t = lab_read_file(path, NULL);
		if (!t)
			continue;
		uint64_t *sum[] = {&r->disconnects, &r->reconnects, &r->sessions_resumed,
				   &r->sessions_lost};
		static const char *const keys[] = {"disconnects", "reconnects", "sessions_resumed",
						   "sessions_lost"};
		for (unsigned k = 0; k < 4; k++)
			if (lab_json_num(t, keys[k], &v) == 0)
				*sum[k] += (uint64_t)v;
		double *mx[] = {&r->reconnect_p50_ms, &r->reconnect_p99_ms, &r->reconnect_max_ms};
		static const char *const pk[] = {"reconnect_ms/p50", "reconnect_ms/p99",
						 "reconnect_ms/max"};
		for (unsigned k = 0; k < 3; k++)
			if (lab_json_num(t, pk[k], &v) == 0 && v > *mx[k])
				*mx[k] = v;
		free(t);
	}
}

/* Seconds from the fault's start until every director reports the broker
 * unhealthy (monitor/director.csv); LAB_NEVER when one never did. */
static double out_of_rotation(const char *rundir, uint64_t at_ms, uint16_t port)
{
	char path[1200], suffix[16];
	struct lab_csv c;
	snprintf(path, sizeof(path), "%s/monitor/director.csv", rundir);
	snprintf(suffix, sizeof(suffix), ":%u", (unsigned)port);
	if (lab_csv_load(path, &c) < 0)
		return LAB_NA;
	int ct = lab_csv_col(&c, "timestamp"), cd = lab_csv_col(&c, "director"),
	    cb = lab_csv_col(&c, "backend"), ch = lab_csv_col(&c, "healthy");
	char dirs[4][128];
	uint64_t first[4] = {0};
	unsigned nd = 0;
	for (unsigned r = 1; ct >= 0 && cd >= 0 && cb >= 0 && ch >= 0 && r < c.n_rows; r++) {
		const char *b = lab_csv_get(&c, r, cb), *d = lab_csv_get(&c, r, cd);
		size_t bl = strlen(b);
		if (bl < strlen(suffix) || strcmp(b + bl - strlen(suffix), suffix) != 0)
			continue;
		unsigned i;
		for (i = 0; i < nd && strcmp(dirs[i], d) != 0; i++)
			;
		if (i == nd && nd < 4)
			snprintf(dirs[nd++], sizeof(dirs[0]), "%s", d);
		uint64_t t = lab_iso_ms(lab_csv_get(&c, r, ct));
		if (i < nd && !first[i] && t >= at_ms && strcmp(lab_csv_get(&c, r, ch), "0") == 0)
			first[i] = t;
	}
	lab_csv_free(&c);
	double worst = nd ? 0 : LAB_NA;
	for (unsigned i = 0; i < nd; i++) {
		if (!first[i])
			return LAB_NEVER;
		if ((double)(first[i] - at_ms) / 1000 > worst)
			worst = (double)(first[i] - at_ms) / 1000;
	}
	return worst;
}

void lab_fault_row_fill(struct lab_fault_row *r, const char *rundir, const struct lab_fault *f,
			int n, uint64_t publish_ms, uint16_t base_port)
{
	static double rate[3600];
	uint64_t t0;
	reconnect_keys(r, rundir);
	r->recovery_s = r->out_of_rotation_s = LAB_NA;
	if (!n)
		return;
	unsigned secs = lab_fault_rate(rundir, rate, 3600, &t0);
	if (f[0].kind != LAB_FAULT_NETEM && secs)
		r->recovery_s = recovery(rate, secs, f[0].start_ms, publish_ms);
	if (t0 && (f[0].kind == LAB_FAULT_BROKER_KILL || f[0].kind == LAB_FAULT_BROKER_FREEZE))
		r->out_of_rotation_s = out_of_rotation(rundir, t0 + f[0].start_ms,
						       (uint16_t)(base_port + f[0].target - 1));
}

const char *lab_fault_secs(double s, char *buf, size_t len)
{
	if (s == LAB_NEVER)
		snprintf(buf, len, "never");
	else if (s == LAB_NA)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", s);
	return buf;
}

void lab_fault_row_write(FILE *f, const struct lab_fault_row *r)
{
	char fault[128], rec[16], rot[16];
	snprintf(fault, sizeof(fault), "%s", r->fault);
	for (char *p = fault; *p; p++)
		if (*p == ',')
			*p = ';'; /* netem's params: no commas in a CSV field */
	fprintf(f,
		"%s,%s,%s,%s,%s,%d,%s,%d,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.0f,%.0f,%.0f,%s,%s,%s,%u\n",
		r->scenario, r->variant, r->topology, r->dataplane, r->scheduler, r->qos, r->bridge,
		r->persistence, fault[0] ? fault : "none", r->expected, r->unique, r->lost,
		r->duplicates, r->disconnects, r->reconnects, r->sessions_resumed, r->sessions_lost,
		r->reconnect_p50_ms, r->reconnect_p99_ms, r->reconnect_max_ms,
		lab_fault_secs(r->recovery_s, rec, sizeof(rec)),
		lab_fault_secs(r->out_of_rotation_s, rot, sizeof(rot)), r->run,
		r->repeat ? r->repeat : 1);
}

static double secs_parse(const char *s)
{
	if (strcmp(s, "never") == 0)
		return LAB_NEVER;
	if (strcmp(s, "-") == 0 || !*s)
		return LAB_NA;
	return strtod(s, NULL);
}

static void row_parse(const struct lab_csv *c, unsigned i, struct lab_fault_row *r)
{
	static const char *const names[] = {"scenario",	 "variant", "topology", "dataplane",
					    "scheduler", "bridge",  "fault",	"run"};
	char *dst[] = {r->scenario,  r->variant, r->topology, r->dataplane,
		       r->scheduler, r->bridge,	 r->fault,    r->run};
	size_t len[] = {sizeof(r->scenario),  sizeof(r->variant),   sizeof(r->topology),
			sizeof(r->dataplane), sizeof(r->scheduler), sizeof(r->bridge),
			sizeof(r->fault),     sizeof(r->run)};
	memset(r, 0, sizeof(*r));
	for (unsigned k = 0; k < 8; k++)
		snprintf(dst[k], len[k], "%s", lab_csv_get(c, i, lab_csv_col(c, names[k])));
	for (char *p = r->fault; *p; p++)
		if (*p == ';')
			*p = ',';
	if (strcmp(r->fault, "none") == 0)
		r->fault[0] = '\0';
#define NUM(col) strtod(lab_csv_get(c, i, lab_csv_col(c, col)), NULL)
	r->qos = (int)NUM("qos");
	r->persistence = (int)NUM("persistence");
	r->repeat = lab_csv_col(c, "repeat") < 0 ? 1 : (unsigned)NUM("repeat");
	if (!r->repeat)
		r->repeat = 1;
	r->expected = (uint64_t)NUM("expected");
	r->unique = (uint64_t)NUM("unique");
	r->lost = (uint64_t)NUM("lost");
	r->duplicates = (uint64_t)NUM("duplicates");
	r->disconnects = (uint64_t)NUM("disconnects");
	r->reconnects = (uint64_t)NUM("reconnects");
	r->sessions_resumed = (uint64_t)NUM("sessions_resumed");
	r->sessions_lost = (uint64_t)NUM("sessions_lost");
	r->reconnect_p50_ms = NUM("reconnect_p50_ms");
	r->reconnect_p99_ms = NUM("reconnect_p99_ms");
	r->reconnect_max_ms = NUM("reconnect_max_ms");
#undef NUM
	r->recovery_s = secs_parse(lab_csv_get(c, i, lab_csv_col(c, "recovery_s")));
	r->out_of_rotation_s = secs_parse(lab_csv_get(c, i, lab_csv_col(c, "out_of_rotation_s")));
}

int lab_fault_rows_read(const char *path, struct lab_fault_row **rows)
{
	struct lab_csv c;
	int ret = lab_csv_load(path, &c);
	if (ret < 0)
		return ret;
	if (c.n_rows == 0 || lab_csv_col(&c, "scenario") < 0 || lab_csv_col(&c, "run") < 0) {
		lab_csv_free(&c);
		return -EINVAL;
	}
	*rows = calloc(c.n_rows, sizeof(**rows));
	if (!*rows) {
		lab_csv_free(&c);
		return -ENOMEM;
	}
	int n = 0;
	for (unsigned i = 1; i < c.n_rows; i++)
		if (c.n_fields[i] > 1)
			row_parse(&c, i, &(*rows)[n++]);
	lab_csv_free(&c);
	return n;
}
