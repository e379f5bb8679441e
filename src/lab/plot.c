/* plot.c — the report's plots: data files and one gnuplot script under
 * DIR/plots, rendered to PNG (pngcairo when gnuplot has it, else png) and SVG.
 *   loss     loss % by topology x QoS (mean over the repeats, 95 % CI as error
 *            bars), with the study's figure beside ours
 *   repeats  the loss % of every run as a point, per topology x QoS
 *   conns    connections per broker per topology x QoS
 *   cpu      broker CPU over time, one panel per run (largest client count)
 *   rate     delivery rate over time (subscribers of both client hosts summed)
 *   latency  p50 / p99 latency per topology x QoS */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/fault.h"
#include "lab/lab.h"
#include "lab/points.h"
#include "lab/series.h"
#include "lab/spawn.h"

#define RATE_MAX_S 3600

static uint64_t top_clients(const struct lab_row *rows, int n)
{
	uint64_t top = 0;
	for (int i = 0; i < n; i++)
		if (rows[i].publishers + rows[i].subscribers > top)
			top = rows[i].publishers + rows[i].subscribers;
	return top;
}

static int several_sizes(const struct lab_row *rows, int n)
{
	for (int i = 1; i < n; i++)
		if (rows[i].publishers + rows[i].subscribers !=
		    rows[0].publishers + rows[0].subscribers)
			return 1;
	return 0;
}

static FILE *open_dat(const char *pdir, const char *name)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		log_error("lab report: %s: %s", path, strerror(errno));
	return f;
}

/* "distributed" / "distributed q1" / "distributed 480 q1": labels without spaces
 * issues in gnuplot are avoided by quoting them in the data files. */
static void label(const struct lab_row *r, int with_qos, int with_size, char *buf, size_t len)
{
	char sz[32] = "", q[16] = "";
	if (with_size)
		snprintf(sz, sizeof(sz), " %" PRIu64, r->publishers + r->subscribers);
	if (with_qos)
		snprintf(q, sizeof(q), " q%d", r->qos);
	snprintf(buf, len, "\"%s%s%s\"", r->topology, sz, q);
}

/* The loss table: one line per (topology, size), per QoS 0/1/2 the mean and
 * the half width of its 95 % interval (0 from one run), then the study. */
static int write_loss(const char *pdir, const struct lab_row *rows, int n)
{
	struct lab_point pts[LAB_MAX_POINTS];
	int np = lab_points(rows, n, pts, LAB_MAX_POINTS);
	FILE *f = open_dat(pdir, "loss.dat");
	if (!f)
		return -errno;
	int sizes = several_sizes(rows, n);
	fprintf(f, "# label qos0 ci0 qos1 ci1 qos2 ci2 study (loss %%, mean and 95 %% CI half "
		   "width; - = not run)\n");
	for (int i = 0; i < np; i++) {
		int first = 1;
		for (int j = 0; j < i; j++)
			first &= strcmp(pts[j].topology, pts[i].topology) != 0 ||
				 pts[j].clients != pts[i].clients;
		if (!first)
			continue;
		char lb[96], v[3][48];
		label(&rows[pts[i].first], 0, sizes, lb, sizeof(lb));
		for (int q = 0; q < 3; q++)
			snprintf(v[q], sizeof(v[q]), "- -");
		for (int j = i; j < np; j++)
			if (strcmp(pts[j].topology, pts[i].topology) == 0 &&
			    pts[j].clients == pts[i].clients && pts[j].qos >= 0 && pts[j].qos <= 2)
				snprintf(v[pts[j].qos], sizeof(v[0]), "%.3f %.3f", pts[j].loss.mean,
					 isnan(pts[j].loss.half_width) ? 0
								       : pts[j].loss.half_width);
		const char *study = strcmp(pts[i].topology, "centralized") == 0	  ? "25"
				    : strcmp(pts[i].topology, "distributed") == 0 ? "14"
										  : "-";
		fprintf(f, "%s %s %s %s %s\n", lb, v[0], v[1], v[2], study);
	}
	fclose(f);
	return 0;
}

/* Every run's loss as a point: x = its point's place (points in order, the
 * repeats spread a little around it), one block per QoS present. Writes the
 * x tic labels to xtics ("'label' x, ...") and the QoS of each block to qos.
 * Returns the number of blocks. */
static int write_repeats(const char *pdir, const struct lab_row *rows, int n, char *xtics,
			 size_t len, int qos[3])
{
	struct lab_point pts[LAB_MAX_POINTS];
	int np = lab_points(rows, n, pts, LAB_MAX_POINTS), nb = 0, sizes = several_sizes(rows, n);
	FILE *f = open_dat(pdir, "repeats.dat");
	if (!f)
		return 0;
	xtics[0] = '\0';
	for (int i = 0; i < np; i++) {
		char lb[96], one[128];
		label(&rows[pts[i].first], 1, sizes, lb, sizeof(lb));
		lb[0] = lb[strlen(lb) - 1] = '\''; /* gnuplot's quotes inside a macro */
		snprintf(one, sizeof(one), "%s%s %d", i ? ", " : "", lb, i);
		strncat(xtics, one, len - strlen(xtics) - 1);
	}
	fprintf(f, "# x (point, spread by repeat) loss %%; one block per QoS\n");
	for (int q = 0; q < 3; q++) {
		int any = 0;
		for (int i = 0; i < np; i++) {
			if (pts[i].qos != q)
				continue;
			for (int k = 0; k < n; k++) {
				const struct lab_row *r = &rows[k];
				if (strcmp(r->topology, pts[i].topology) != 0 || r->qos != q ||
				    r->publishers + r->subscribers != pts[i].clients)
					continue;
				double rep = r->repeat ? r->repeat : 1;
				fprintf(f, "%.3f %.4f\n", i + 0.06 * (rep - (pts[i].n + 1) / 2.0),
					100 * r->loss_ratio);
				any = 1;
			}
		}
		if (any) {
			fprintf(f, "\n\n");
			qos[nb++] = q;
		}
	}
	fclose(f);
	return nb;
}

static unsigned write_conns(const char *pdir, const struct lab_row *rows, int n)
{
	FILE *f = open_dat(pdir, "conns.dat");
	unsigned nb = 0;
	if (!f)
		return 0;
	uint64_t top = top_clients(rows, n);
	for (int i = 0; i < n; i++)
		if (rows[i].n_brokers > nb)
			nb = rows[i].n_brokers;
	fprintf(f, "# label then connections of broker 1..%u (largest client count)\n", nb);
	for (int i = 0; i < n; i++) {
		if (rows[i].publishers + rows[i].subscribers != top)
			continue;
		char lb[96];
		label(&rows[i], 1, 0, lb, sizeof(lb));
		fprintf(f, "%s", lb);
		for (unsigned b = 0; b < nb; b++) {
			if (b < rows[i].n_brokers)
				fprintf(f, " %" PRIu64, rows[i].conns[b]);
			else
				fprintf(f, " -");
		}
		fprintf(f, "\n");
	}
	fclose(f);
	return nb;
}

static int write_latency(const char *pdir, const struct lab_row *rows, int n)
{
	FILE *f = open_dat(pdir, "latency.dat");
	if (!f)
		return -errno;
	int sizes = several_sizes(rows, n);
	fprintf(f, "# label p50_us p99_us\n");
	for (int i = 0; i < n; i++) {
		char lb[96];
		label(&rows[i], 1, sizes, lb, sizeof(lb));
		/* log scale: a zero would vanish; 1 us is below anything we measure */
		fprintf(f, "%s %" PRIu64 " %" PRIu64 "\n", lb, rows[i].p50_us ? rows[i].p50_us : 1,
			rows[i].p99_us ? rows[i].p99_us : 1);
	}
	fclose(f);
	return 0;
}

/* Broker CPU of one run as gnuplot "index" blocks, one per broker. Returns the
 * number of blocks written (0 when the run has no monitor data). */
static unsigned write_cpu(const char *dir, const char *pdir, const struct lab_row *r, int k,
			  char names[][64])
{
	static const char *const words[] = {"cpu", NULL};
	static const char *const avoid[] = {"limit", "max", "quota", NULL};
	char run[128], path[1100], dat[64];
	struct lab_series_set set;
	lab_run_dirname(r, run, sizeof(run));
	snprintf(path, sizeof(path), "%s/%s/monitor/brokers.csv", dir, run);
	if (lab_series_load(path, words, avoid, &set) <= 0)
		return 0;
	snprintf(dat, sizeof(dat), "cpu%d.dat", k);
	FILE *f = open_dat(pdir, dat);
	if (!f) {
		lab_series_free(&set);
		return 0;
	}
	unsigned nb = set.n < LAB_MAX_BROKERS ? set.n : LAB_MAX_BROKERS;
	for (unsigned b = 0; b < nb; b++) {
		snprintf(names[b], 64, "%s", set.s[b].name);
		fprintf(f, "# %s\n", set.s[b].name);
		for (unsigned i = 0; i < set.s[b].n; i++)
			fprintf(f, "%.3f %.2f\n", set.s[b].t[i], set.s[b].v[i]);
		fprintf(f, "\n\n");
	}
	fclose(f);
	lab_series_free(&set);
	return nb;
}

/* Received messages per second of one run, summed over its subscriber CSVs
 * (sub-*.csv, bench --csv). A per-second rate column is used as is; a
 * cumulative "received" column is differenced. Returns seconds written. */
static unsigned write_rate(const char *dir, const char *pdir, const struct lab_row *r, int k)
{
	static const char *const try_rate[][4] = {{"recv", "/s", NULL},
						  {"recv", "rate", NULL},
						  {"recv", "per_s", NULL},
						  {"received", "rate", NULL}};
	static const char *const cumul[] = {"received", NULL};
	static const char *const cumul_avoid[] = {"rate", "/s", "per_s", NULL};
	char run[128], pat[1100], dat[64];
	static double sum[RATE_MAX_S];
	unsigned top = 0;
	glob_t g;
	memset(sum, 0, sizeof(sum));
	lab_run_dirname(r, run, sizeof(run));
	snprintf(pat, sizeof(pat), "%s/%s/sub-*.csv", dir, run);
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	for (size_t fi = 0; fi < g.gl_pathc; fi++) {
		struct lab_series_set set;
		int cumulative = 0, got = -1;
		for (unsigned t = 0; t < sizeof(try_rate) / sizeof(try_rate[0]) && got <= 0; t++)
			got = lab_series_load(g.gl_pathv[fi], try_rate[t], NULL, &set);
		if (got <= 0) {
			got = lab_series_load(g.gl_pathv[fi], cumul, cumul_avoid, &set);
			cumulative = 1;
		}
		if (got <= 0)
			continue;
		const struct lab_series *s = &set.s[0];
		for (unsigned i = 0; i < s->n; i++) {
			double v = s->v[i];
			if (cumulative)
				v = i ? s->v[i] - s->v[i - 1] : s->v[i];
			double ts = s->t[i] < 0 ? 0 : floor(s->t[i]);
			unsigned sec = ts < RATE_MAX_S ? (unsigned)ts : RATE_MAX_S - 1;
			sum[sec] += v;
			if (sec + 1 > top)
				top = sec + 1;
		}
		lab_series_free(&set);
	}
	globfree(&g);
	if (!top)
		return 0;
	snprintf(dat, sizeof(dat), "rate%d.dat", k);
	FILE *f = open_dat(pdir, dat);
	if (!f)
		return 0;
	for (unsigned s = 0; s < top; s++)
		fprintf(f, "%u %.0f\n", s, sum[s]);
	fclose(f);
	return top;
}

/* "cd '<dir>'" for gnuplot -e: a ' doubles inside gnuplot's single quotes,
 * and a newline (which would end the command) is refused. Returns 0 or -EINVAL. */
static int gp_cd(char *buf, size_t len, const char *dir)
{
	size_t o = 0;
	if (len < 8 || strchr(dir, '\n') || strchr(dir, '\r'))
		return -EINVAL;
	o += (size_t)snprintf(buf, len, "cd '");
	for (const char *p = dir; *p; p++) {
		if (o + 4 >= len)
			return -EINVAL;
		if (*p == '\'')
			buf[o++] = '\'';
		buf[o++] = *p;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return 0;
}

/* Renders one plot to PNG and SVG: the body is a gnuplot macro string. */
static void gp_both(FILE *gp, const char *name, const char *size_png, const char *size_svg)
{
	fprintf(gp,
		"set terminal @PNGTERM size %s; set output '%s.png'; @%s\n"
		"set terminal svg size %s dynamic; set output '%s.svg'; @%s\n"
		"unset output\n",
		size_png, name, name, size_svg, name, name);
}

int lab_plots(const char *dir, const struct lab_row *rows, int n)
{
	char pdir[1024], script[1100];
	snprintf(pdir, sizeof(pdir), "%s/plots", dir);
	if (mkdir(pdir, 0755) == -1 && errno != EEXIST) {
		int e = -errno;
		log_error("lab report: mkdir %s: %s", pdir, strerror(errno));
		return e;
	}
	if (n == 0)
		return 0;
	int ret = write_loss(pdir, rows, n);
	if (ret < 0)
		return ret;
	unsigned nb = write_conns(pdir, rows, n);
	if ((ret = write_latency(pdir, rows, n)) < 0)
		return ret;

	snprintf(script, sizeof(script), "%s/plots.gp", pdir);
	FILE *gp = fopen(script, "w");
	if (!gp)
		return -errno;
	fprintf(gp, "# written by mqlb lab report; run: gnuplot plots.gp (in this folder)\n"
		    "set encoding utf8\n"
		    "PNGTERM = (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) ? "
		    "\"pngcairo enhanced font 'sans,10'\" : \"png\"\n"
		    "set datafile missing '-'\n"
		    "set style data histograms\nset style histogram clustered gap 1\n"
		    "set style fill solid 0.85 border -1\nset grid ytics\nset key top left\n"
		    "set xtics nomirror noenhanced\nset key noenhanced\n");
	/* loss */
	fprintf(
	    gp,
	    "loss = \"set title 'Messages lost (lost / expected; mean over the runs, 95 %% CI)'; "
	    "set ylabel 'loss %%'; set style histogram errorbars gap 1 lw 1; "
	    "set yrange [0:*]; set offsets 0,0,graph 0.15,0; unset logscale y; "
	    "plot 'loss.dat' using 2:3:xtic(1) title 'QoS 0', '' using 4:5 title 'QoS 1', "
	    "'' using 6:7 title 'QoS 2', '' using 8:(0) title 'study (all QoS)' lc rgb "
	    "'gray60'; set style histogram clustered gap 1\"\n");
	gp_both(gp, "loss", "900,500", "900,500");
	/* repeats: every run as a point */
	char xtics[4096];
	int rq[3], nrq = write_repeats(pdir, rows, n, xtics, sizeof(xtics), rq);
	if (nrq > 0) {
		fprintf(gp,
			"repeats = \"set title 'Loss of every run (each point one repeat)'; "
			"set ylabel 'loss %%'; set yrange [0:*]; set offsets 0.5,0.5,graph 0.15,0; "
			"unset logscale y; set xtics (%s) rotate by -20; plot ",
			xtics);
		for (int k = 0; k < nrq; k++)
			fprintf(gp,
				"%s'repeats.dat' index %d using 1:2 with points pt 7 ps 1.3 "
				"title 'QoS %d'",
				k ? ", " : "", k, rq[k]);
		fprintf(gp, "; set xtics norotate; set xtics auto\"\n");
		gp_both(gp, "repeats", "900,500", "900,500");
	}
	/* conns */
	if (nb) {
		fprintf(gp, "conns = \"set title 'Connections per broker (the directors choice)'; "
			    "set ylabel 'connections'; set yrange [0:*]; set offsets 0,0,graph "
			    "0.15,0; unset logscale y; plot ");
		for (unsigned b = 0; b < nb; b++)
			fprintf(gp, "%s'conns.dat' using %u%s title 'broker %u'", b ? ", " : "",
				b + 2, b ? "" : ":xtic(1)", b + 1);
		fprintf(gp, "\"\n");
		gp_both(gp, "conns", "900,500", "900,500");
	}
	/* latency */
	fprintf(gp,
		"latency = \"set title 'End-to-end latency (from the intended send time)'; "
		"set ylabel 'microseconds'; set offsets 0,0,0,0; set logscale y; set yrange [1:*]; "
		"plot 'latency.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\"\n");
	gp_both(gp, "latency", "900,500", "900,500");
	fprintf(gp, "unset logscale y\nset style data lines\nset yrange [0:*]\n");

	/* cpu and rate: the runs at the largest client count */
	uint64_t top = top_clients(rows, n);
	int runs[64], nr = 0;
	for (int i = 0; i < n && nr < 64; i++)
		if (rows[i].publishers + rows[i].subscribers == top)
			runs[nr++] = i;
	unsigned cpu_blocks[64];
	char cpu_names[64][LAB_MAX_BROKERS][64];
	int any_cpu = 0, any_rate = 0;
	unsigned rate_secs[64];
	for (int k = 0; k < nr; k++) {
		cpu_blocks[k] = write_cpu(dir, pdir, &rows[runs[k]], k, cpu_names[k]);
		rate_secs[k] = write_rate(dir, pdir, &rows[runs[k]], k);
		any_cpu |= cpu_blocks[k] > 0;
		any_rate |= rate_secs[k] > 0;
	}
	if (any_cpu) {
		int cols = nr < 3 ? nr : 3, lines = (nr + cols - 1) / cols;
		fprintf(gp,
			"cpu = \"set multiplot layout %d,%d title 'Broker CPU (%% of one core; "
			"limit 25 %% in the thesis profile)'; set xlabel 's'; set ylabel 'CPU %%'; "
			"set key top right; ",
			lines, cols);
		for (int k = 0; k < nr; k++) {
			char lb[96];
			label(&rows[runs[k]], 1, 0, lb, sizeof(lb));
			lb[strlen(lb) - 1] = '\0';
			fprintf(gp, "set title '%s'; ", lb + 1);
			if (!cpu_blocks[k]) {
				fprintf(gp, "plot 0 notitle; ");
				continue;
			}
			fprintf(gp, "plot ");
			for (unsigned b = 0; b < cpu_blocks[k]; b++)
				fprintf(gp,
					"%s'cpu%d.dat' index %u using 1:2 with lines title '%s'",
					b ? ", " : "", k, b, cpu_names[k][b]);
			fprintf(gp, "; ");
		}
		fprintf(gp, "unset multiplot\"\n");
		char sz[32];
		snprintf(sz, sizeof(sz), "%d,%d", cols * 420, lines * 320 + 40);
		gp_both(gp, "cpu", sz, sz);
	}
	if (any_rate) {
		fprintf(gp,
			"rate = \"set title 'Messages delivered to subscribers per second'; "
			"set xlabel 's since the subscribers started'; set ylabel 'messages/s'; "
			"set key top right; plot ");
		int first = 1;
		for (int k = 0; k < nr; k++) {
			if (!rate_secs[k])
				continue;
			char lb[96];
			label(&rows[runs[k]], 1, 0, lb, sizeof(lb));
			lb[strlen(lb) - 1] = '\0';
			fprintf(gp, "%s'rate%d.dat' using 1:2 with lines lw 2 title '%s'",
				first ? "" : ", ", k, lb + 1);
			first = 0;
		}
		fprintf(gp, "\"\n");
		gp_both(gp, "rate", "900,500", "900,500");
	}
	fclose(gp);

	char cd[2300];
	if (gp_cd(cd, sizeof(cd), pdir) < 0) {
		log_error("lab report: %s: a folder name with a newline cannot be given to gnuplot",
			  pdir);
		return -EINVAL;
	}
	char log[1100];
	snprintf(log, sizeof(log), "%s/gnuplot.log", pdir);
	unlink(log);
	char *argv[] = {"gnuplot", "-e", cd, "plots.gp", NULL}; /* loaded after the cd */
	ret = lab_run_cmd(NULL, argv, log, log, 60 * NS_PER_S);
	if (ret == 127) {
		log_warn("lab report: gnuplot not found (install gnuplot-nox); no plots");
		return -ENOENT;
	}
	if (ret != 0) {
		log_error("lab report: gnuplot failed (%d), see %s", ret, log);
		return -EIO;
	}
	return 0;
}

/* connections.csv of a run as gnuplot index blocks, one per broker, time in s
 * from t0_ms. Returns the number of blocks. */
static unsigned timeline_conns(const char *rundir, FILE *f, uint64_t t0_ms, double *top)
{
	char path[1200];
	struct lab_csv c;
	snprintf(path, sizeof(path), "%s/monitor/connections.csv", rundir);
	if (lab_csv_load(path, &c) < 0)
		return 0;
	int ct = lab_csv_col(&c, "timestamp"), cb = lab_csv_col(&c, "broker"),
	    ce = lab_csv_col(&c, "established");
	unsigned nb = 0;
	for (unsigned b = 1; b <= LAB_MAX_BROKERS && ct >= 0 && cb >= 0 && ce >= 0; b++) {
		int any = 0;
		for (unsigned r = 1; r < c.n_rows; r++) {
			if ((unsigned)atoi(lab_csv_get(&c, r, cb)) != b)
				continue;
			double t =
			    ((double)lab_iso_ms(lab_csv_get(&c, r, ct)) - (double)t0_ms) / 1000;
			double v = strtod(lab_csv_get(&c, r, ce), NULL);
			fprintf(f, "%.3f %.0f\n", t, v);
			if (v > *top)
				*top = v;
			any = 1;
		}
		if (!any)
			break;
		fprintf(f, "\n\n");
		nb = b;
	}
	lab_csv_free(&c);
	return nb;
}

int lab_plot_timeline(const char *rundir, const char *pdir, const char *name, const char *title,
		      const struct lab_fault_row *r, const double *marks, int n_marks)
{
	static double rate[RATE_MAX_S];
	char path[1200], safe[256];
	uint64_t t0;
	(void)r;
	/* name and title come from faults.csv, which anyone may have edited: the
	 * name must be a plain label, and the title loses every character that
	 * could leave gnuplot's quotes or run a command (' " ` \ newline) */
	if (!lab_label_ok(name))
		return -EINVAL;
	snprintf(safe, sizeof(safe), "%s", title);
	for (char *p = safe; *p; p++)
		if (strchr("'\"`\\\n\r", *p))
			*p = '_';
	title = safe;
	unsigned secs = lab_fault_rate(rundir, rate, RATE_MAX_S, &t0);
	if (!secs)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s.dat", pdir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# s from the first publish, messages delivered per second\n");
	for (unsigned s = 0; s < secs; s++)
		fprintf(f, "%u.5 %.0f\n", s, rate[s]);
	fprintf(f, "\n\n");
	double top = 0; /* the connections axis leaves room above the highest line */
	unsigned nb = timeline_conns(rundir, f, t0, &top);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.gp", pdir, name);
	FILE *gp = fopen(path, "w");
	if (!gp)
		return -errno;
	fprintf(
	    gp,
	    "set encoding utf8\nPNGTERM = (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) ? "
	    "\"pngcairo enhanced font 'sans,10'\" : \"png\"\n"
	    "set key top right noenhanced\nset grid\nset xlabel 's from the first publish'\n"
	    "set ylabel 'messages/s'\nset y2label 'connections'\nset y2tics\nset ytics nomirror\n"
	    "set yrange [0:*]\nset y2range [0:%.0f]\nset xrange [-2:*]\n",
	    top * 1.15 + 1);
	for (int m = 0; m < n_marks; m++)
		fprintf(gp,
			"set arrow from %.2f, graph 0 to %.2f, graph 1 nohead dt 2 lw 2 lc "
			"rgb 'red'\n",
			marks[m], marks[m]);
	fprintf(gp,
		"tl = \"set title '%s' noenhanced; plot '%s.dat' index 0 using 1:2 with lines lw 2 "
		"title 'delivered/s'",
		title, name);
	for (unsigned b = 0; b < nb; b++)
		fprintf(gp, ", '%s.dat' index %u using 1:2 axes x1y2 with steps title 'broker %u'",
			name, b + 1, b + 1);
	fprintf(gp, "\"\n");
	gp_both(gp, "tl", "900,420", "900,420");
	fclose(gp);
	/* gp_both names the outputs after the macro: rename them to name */
	char cd[2900], log[1200], script[64];
	if (gp_cd(cd, sizeof(cd), pdir) < 0)
		return -EINVAL;
	snprintf(log, sizeof(log), "%s/gnuplot.log", pdir);
	snprintf(script, sizeof(script), "%s.gp", name);
	char *argv[] = {"gnuplot", "-e", cd, script, NULL};
	int ret = lab_run_cmd(NULL, argv, log, log, 60 * NS_PER_S);
	if (ret == 127)
		return -ENOENT;
	if (ret != 0)
		return -EIO;
	for (int k = 0; k < 2; k++) {
		char from[1200], to[1200];
		snprintf(from, sizeof(from), "%s/tl.%s", pdir, k ? "svg" : "png");
		snprintf(to, sizeof(to), "%s/%s.%s", pdir, name, k ? "svg" : "png");
		if (rename(from, to) < 0)
			return -errno;
	}
	return 0;
}
