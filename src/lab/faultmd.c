/* faultmd.c — DIR/faults.md from DIR/faults.csv and the run folders: per
 * scenario what was done, a table of its variants, one sentence comparing
 * them from the figures, and per run a timeline (plot.c). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "lab/fault.h"
#include "lab/run.h"
#include "lab/stats.h"

static const char *scenario_what(const char *name)
{
	int n;
	const struct lab_scenario *s = lab_scenarios(&n);
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return s[i].what;
	return "";
}

static void table(FILE *md, const struct lab_fault_row *rows, int n, const char *scenario)
{
	fprintf(md, "| variant | topology | dataplane | sched | bridge | persist | expected | "
		    "lost | dups | disc | reconn | resumed | sess. lost | reconn p50/p99/max ms | "
		    "recovery s | out of rotation s |\n"
		    "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
	for (int i = 0; i < n; i++) {
		const struct lab_fault_row *r = &rows[i];
		char rec[16], rot[16];
		if (strcmp(r->scenario, scenario) != 0)
			continue;
		char var[48];
		snprintf(var, sizeof(var), r->repeat > 1 ? "%s #%u" : "%s", r->variant, r->repeat);
		fprintf(md,
			"| %s | %s | %s | %s | %s | %s | %" PRIu64 " | %" PRIu64
			" (%.2f %%) | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
			" | %" PRIu64 " | %.0f / %.0f / %.0f | %s | %s |\n",
			var, r->topology, r->dataplane, r->scheduler, r->bridge,
			r->persistence ? "yes" : "no", r->expected, r->lost,
			100 * lab_loss_ratio(r->lost, r->expected), r->duplicates, r->disconnects,
			r->reconnects, r->sessions_resumed, r->sessions_lost, r->reconnect_p50_ms,
			r->reconnect_p99_ms, r->reconnect_max_ms,
			lab_fault_secs(r->recovery_s, rec, sizeof(rec)),
			lab_fault_secs(r->out_of_rotation_s, rot, sizeof(rot)));
	}
}

/* One sentence from the figures: each variant's loss and sessions, then which
 * lost least (or that they did not differ). */
static void compare(FILE *md, const struct lab_fault_row *rows, int n, const char *scenario)
{
	int best = -1, count = 0, all_same = 1;
	fprintf(md, "\n");
	for (int i = 0; i < n; i++) {
		const struct lab_fault_row *r = &rows[i];
		char rec[16], var[48];
		if (strcmp(r->scenario, scenario) != 0)
			continue;
		snprintf(var, sizeof(var), r->repeat > 1 ? "%s #%u" : "%s", r->variant, r->repeat);
		fprintf(md,
			"%s%s lost %" PRIu64 " of %" PRIu64 " (%.2f %%) with %" PRIu64
			" of %" PRIu64 " reconnects resuming their session",
			count ? "; " : "", var, r->lost, r->expected,
			100 * lab_loss_ratio(r->lost, r->expected), r->sessions_resumed,
			r->reconnects);
		if (r->recovery_s == LAB_NEVER)
			fprintf(md, ", delivery not back before the publishers stopped");
		else if (r->recovery_s == 0)
			fprintf(md, ", delivery never below 90 %%");
		else if (r->recovery_s > 0)
			fprintf(md, ", delivery back after %s s",
				lab_fault_secs(r->recovery_s, rec, sizeof(rec)));
		if (best >= 0 && rows[best].lost != r->lost)
			all_same = 0;
		if (best < 0 || r->lost < rows[best].lost)
			best = i;
		count++;
	}
	if (count > 1)
		fprintf(md, all_same ? ": the variants lost the same.\n" : ": %s lost least.\n",
			rows[best].variant);
	else
		fprintf(md, ".\n");
}

/* Loss % of every run of scenario/variant into s. */
static void variant_loss(const struct lab_fault_row *rows, int n, const char *scenario,
			 const char *variant, struct lab_stat *s)
{
	double x[64];
	size_t k = 0;
	for (int i = 0; i < n && k < 64; i++)
		if (strcmp(rows[i].scenario, scenario) == 0 &&
		    strcmp(rows[i].variant, variant) == 0)
			x[k++] = 100 * lab_loss_ratio(rows[i].lost, rows[i].expected);
	lab_stat_of(x, k, s);
}

/* With repeats (--repeat): per variant the mean loss with its 95 % interval,
 * and each variant against the first with Welch's t-test. */
static void compare_repeats(FILE *md, const struct lab_fault_row *rows, int n, const char *scenario)
{
	const char *first = NULL;
	struct lab_stat s0;
	int any = 0;
	for (int i = 0; i < n; i++)
		any |= strcmp(rows[i].scenario, scenario) == 0 && rows[i].repeat > 1;
	if (!any)
		return;
	fprintf(md, "\nOver the repeats (loss %%, mean ± 95 %% CI):");
	for (int i = 0; i < n; i++) {
		const struct lab_fault_row *r = &rows[i];
		if (strcmp(r->scenario, scenario) != 0 || r->repeat != 1)
			continue;
		struct lab_stat s;
		struct lab_welch w;
		variant_loss(rows, n, scenario, r->variant, &s);
		fprintf(md, "%s %s %.2f ± %.2f (%zu runs, %.2f..%.2f)", first ? ";" : "",
			r->variant, s.mean, isnan(s.half_width) ? 0 : s.half_width, s.n, s.min,
			s.max);
		if (!first) {
			first = r->variant, s0 = s;
			continue;
		}
		if (lab_welch(&s, &s0, &w) == 0)
			fprintf(md, ", %+.2f ± %.2f points against %s (Welch's p = %.3f: %s)",
				w.diff, w.half_width, first, w.p,
				w.p < 0.05 ? "a difference at 95 %" : "cannot be told apart");
	}
	fprintf(md, ".\n");
}

/* The timeline of row r as plots/<scenario>-<variant>.png. */
static void timeline(FILE *md, const char *dir, const struct lab_fault_row *r)
{
	char rundir[1200], pdir[1100], name[80], title[256];
	double marks[2 * LAB_MAX_FAULTS];
	int nm = 0;
	char buf[128], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", r->fault);
	for (char *t = strtok_r(buf, " ", &save); t && nm < 2 * LAB_MAX_FAULTS - 1;
	     t = strtok_r(NULL, " ", &save)) {
		struct lab_fault f;
		char err[256];
		if (lab_fault_parse(t, &f, err, sizeof(err)) < 0)
			continue;
		marks[nm++] = (double)f.start_ms / 1000;
		if (f.dur_ms)
			marks[nm++] = (double)(f.start_ms + f.dur_ms) / 1000;
	}
	snprintf(rundir, sizeof(rundir), "%s/%s", dir, r->run);
	snprintf(pdir, sizeof(pdir), "%s/plots", dir);
	if (r->repeat > 1)
		snprintf(name, sizeof(name), "%s-%s-r%u", r->scenario, r->variant, r->repeat);
	else
		snprintf(name, sizeof(name), "%s-%s", r->scenario, r->variant);
	snprintf(title, sizeof(title), "%s, %s%s: %s", r->scenario, r->variant,
		 r->repeat > 1 ? " (repeat)" : "", r->fault[0] ? r->fault : "no fault");
	for (char *p = title; *p; p++)
		if (*p == '\'')
			*p = ' ';
	if (lab_plot_timeline(rundir, pdir, name, title, r, marks, nm) == 0)
		fprintf(md, "\n![%s](plots/%s.png)\n", name, name);
	else
		fprintf(md, "\n(no timeline for %s: no per-second data or no gnuplot)\n", name);
}

int lab_faults_report(const char *dir)
{
	char path[1200];
	struct lab_fault_row *rows = NULL;
	snprintf(path, sizeof(path), "%s/faults.csv", dir);
	int n = lab_fault_rows_read(path, &rows);
	if (n < 0) {
		log_error("lab report: %s: %s", path, strerror(-n));
		return n;
	}
	snprintf(path, sizeof(path), "%s/plots", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/faults.md", dir);
	FILE *md = fopen(path, "w");
	if (!md) {
		free(rows);
		return -errno;
	}
	fprintf(md, "# Faults: what clients lose\n\n"
		    "Written by `mqlb lab faults` (rebuild: `mqlb lab report DIR`). QoS 1, "
		    "persistent sessions (bench -V 5 -C false --reconnect), times from the first "
		    "publish; recovery = from the fault's start until the subscribers' summed "
		    "delivery rate is back at >= 90 %% of its mean before the fault. Data: "
		    "faults.csv; every run's actions with times: <run>/faults.log.\n");
	for (int i = 0; i < n; i++) {
		int first = 1;
		for (int j = 0; j < i; j++)
			first &= strcmp(rows[j].scenario, rows[i].scenario) != 0;
		if (!first)
			continue;
		fprintf(md, "\n## %s\n\n%s. Fault: `%s`.\n\n", rows[i].scenario,
			scenario_what(rows[i].scenario), rows[i].fault[0] ? rows[i].fault : "none");
		table(md, rows, n, rows[i].scenario);
		compare(md, rows, n, rows[i].scenario);
		compare_repeats(md, rows, n, rows[i].scenario);
		for (int j = i; j < n; j++)
			if (strcmp(rows[j].scenario, rows[i].scenario) == 0)
				timeline(md, dir, &rows[j]);
	}
	fclose(md);
	free(rows);
	return 0;
}
