/* compare.c — the report's sections on repeated runs (issue 16): the table
 * per point with intervals, the sentence on the study's direction, every pair
 * of topologies compared with Welch's t-test, and which runs are the study's
 * mechanism (points.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lab/points.h"

/* "43.96 ± 1.23" (dec decimals), or "43.96 ± —" without an interval. */
static const char *ci_dec(const struct lab_stat *s, int dec, char *buf, size_t len)
{
	if (s->n == 0)
		snprintf(buf, len, "—");
	else if (isnan(s->half_width))
		snprintf(buf, len, "%.*f ± —", dec, s->mean);
	else
		snprintf(buf, len, "%.*f ± %.*f", dec, s->mean, dec, s->half_width);
	return buf;
}

static const char *ci(const struct lab_stat *s, char *buf, size_t len)
{
	return ci_dec(s, 2, buf, len);
}

static const char *diff_ci_dec(const struct lab_welch *w, int dec, char *buf, size_t len)
{
	if (isnan(w->diff))
		snprintf(buf, len, "—");
	else if (isnan(w->half_width))
		snprintf(buf, len, "%+.*f ± —", dec, w->diff);
	else
		snprintf(buf, len, "%+.*f ± %.*f", dec, w->diff, dec, w->half_width);
	return buf;
}

static const char *diff_ci(const struct lab_welch *w, char *buf, size_t len)
{
	return diff_ci_dec(w, 2, buf, len);
}

static const char *pval(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "—");
	else if (p < 0.001)
		snprintf(buf, len, "< 0.001");
	else
		snprintf(buf, len, "%.3f", p);
	return buf;
}

static uint64_t top_clients(const struct lab_point *pts, int np)
{
	uint64_t top = 0;
	for (int i = 0; i < np; i++)
		if (pts[i].clients > top)
			top = pts[i].clients;
	return top;
}

static void point_row(FILE *f, const struct lab_point *p)
{
	char loss[48], p99[48], conns[256] = "", jain[48];
	for (unsigned b = 0; b < p->n_brokers; b++) {
		char one[32];
		snprintf(one, sizeof(one), "%s%.0f", b ? " / " : "", p->conns[b]);
		strncat(conns, one, sizeof(conns) - strlen(conns) - 1);
	}
	snprintf(jain, sizeof(jain), "%.3f", p->jain.mean);
	fprintf(f, "| %" PRIu64 " | %s | %d | %d | %s | %.2f | %.2f | %s | %s | %s |\n", p->clients,
		p->topology, p->qos, p->n, ci(&p->loss, loss, sizeof(loss)), p->loss.min,
		p->loss.max, ci_dec(&p->p99_ms, p->p99_ms.mean >= 100 ? 0 : 2, p99, sizeof(p99)),
		conns[0] ? conns : "—", p->n_brokers ? jain : "—");
}

/* One clause: "distributed 43.96 ± 1.20 %, centralized ... (difference ...,
 * Welch's p = ..., 3 + 3 runs)". */
static void clause(FILE *f, const struct lab_stat *a, const struct lab_stat *b,
		   const struct lab_welch *w)
{
	char sa[48], sb[48], d[48], p[16];
	fprintf(f,
		"distributed %s %%, centralized %s %% (difference %s points, Welch's p = %s, "
		"%zu + %zu runs)",
		ci(a, sa, sizeof(sa)), ci(b, sb, sizeof(sb)), diff_ci(w, d, sizeof(d)),
		pval(w->p, p, sizeof(p)), a->n, b->n);
}

/* The sentence under the table: does distributed lose less than centralized
 * here, pooled over the QoS levels (the study's figure) and per QoS. */
static void direction(FILE *f, const struct lab_row *rows, int n, const struct lab_point *pts,
		      int np)
{
	uint64_t top = top_clients(pts, np);
	struct lab_stat a, b;
	struct lab_welch w;
	if (!lab_pooled_loss(rows, n, "distributed", top, &a) ||
	    !lab_pooled_loss(rows, n, "centralized", top, &b)) {
		fprintf(f, "This folder holds no distributed/centralized pair: the study's "
			   "direction (distributed loses less) is not tested here.\n\n");
		return;
	}
	enum lab_verdict v = lab_verdict_of(&a, &b, &w);
	if (v == LAB_VERDICT_UNKNOWN) {
		fprintf(
		    f,
		    "**The study's direction (distributed loses less than centralized) %s** at "
		    "%" PRIu64 " clients: pooled over the QoS levels distributed lost %.2f %%, "
		    "centralized %.2f %%, one run each. One run per point cannot tell a finding "
		    "from noise: run with --repeat 3 or more.\n\n",
		    lab_verdict_words(v), top, a.mean, b.mean);
		return;
	}
	fprintf(f,
		"**The study's direction (distributed loses less than centralized) %s** at "
		"%" PRIu64 " clients: pooled over the QoS levels per repeat, ",
		lab_verdict_words(v), top);
	clause(f, &a, &b, &w);
	for (int q = 0; q < 3; q++) {
		const struct lab_point *pa = lab_point_find(pts, np, "distributed", q, top);
		const struct lab_point *pb = lab_point_find(pts, np, "centralized", q, top);
		if (!pa || !pb)
			continue;
		enum lab_verdict vq = lab_verdict_of(&pa->loss, &pb->loss, &w);
		fprintf(f, "; at QoS %d it %s: ", q, lab_verdict_words(vq));
		clause(f, &pa->loss, &pb->loss, &w);
	}
	fprintf(f, ".\n\n");
}

void lab_write_points(FILE *f, const struct lab_row *rows, int n)
{
	struct lab_point pts[LAB_MAX_POINTS];
	int np = lab_points(rows, n, pts, LAB_MAX_POINTS);
	fprintf(f, "Per point (client count, topology, QoS) over its runs: the mean with its 95 %% "
		   "confidence interval (Student's t: mean ± half width; none from one run), the "
		   "smallest and the largest run's loss. Connections per broker and Jain's index "
		   "are means over the runs.\n\n");
	fprintf(f, "| clients | topology | QoS | runs | loss %% (mean ± 95 %% CI) | min | max | "
		   "p99 ms (mean ± 95 %% CI) | connections per broker | Jain |\n"
		   "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
	for (int i = 0; i < np; i++)
		point_row(f, &pts[i]);
	fprintf(f, "\n");
	direction(f, rows, n, pts, np);
}

/* The pair table's row for points a and b. */
static void pair_row(FILE *f, const struct lab_point *a, const struct lab_point *b)
{
	struct lab_welch w, wp;
	char la[48], lb[48], d[48], p[16], dp[48], pp[16];
	enum lab_verdict v = lab_verdict_of(&a->loss, &b->loss, &w);
	lab_welch(&a->p99_ms, &b->p99_ms, &wp);
	const char *says = v == LAB_VERDICT_HOLDS	? "first loses less"
			   : v == LAB_VERDICT_REVERSED	? "second loses less"
			   : v == LAB_VERDICT_UNCLEAR	? "cannot be told apart"
			   : v == LAB_VERDICT_NO_SPREAD ? "no spread: no test"
							: "one run: no test";
	fprintf(f, "| %" PRIu64 " | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		a->clients, a->qos, a->topology, b->topology, ci(&a->loss, la, sizeof(la)),
		ci(&b->loss, lb, sizeof(lb)), diff_ci(&w, d, sizeof(d)), pval(w.p, p, sizeof(p)),
		diff_ci_dec(&wp, fabs(wp.diff) >= 100 ? 0 : 2, dp, sizeof(dp)),
		pval(wp.p, pp, sizeof(pp)), says);
}

/* What a topology's runs are, against the study's mechanism: least-connection
 * directors that each see only their own connections. */
static const char *mechanism(const char *topology, const char *scheduler)
{
	int lc = strcmp(scheduler, "lc") == 0;
	if (strcmp(topology, "distributed-lc") == 0 || (lc && strcmp(topology, "distributed") == 0))
		return "**the study's mechanism**: two least-connection directors, each seeing "
		       "only its own connections";
	if (lc && strcmp(topology, "centralized") == 0)
		return "the study's centralized topology: one least-connection director, which "
		       "sees every connection";
	if (strcmp(topology, "distributed-shared") == 0)
		return "the mechanism removed: two least-connection directors sharing one view "
		       "(--peers), choosing as one central director would";
	if (strcmp(scheduler, "rr") == 0)
		return "not the study's mechanism: round robin needs no view of the connections "
		       "and spreads them by turns, alike in both topologies";
	return "not part of the study";
}

/* The lc pair: does the local view lose more than the shared one? */
static void lc_pair(FILE *f, const struct lab_point *pts, int np)
{
	for (int i = 0; i < np; i++) {
		const struct lab_point *a = &pts[i];
		if (strcmp(a->topology, "distributed-lc") != 0)
			continue;
		const struct lab_point *b =
		    lab_point_find(pts, np, "distributed-shared", a->qos, a->clients);
		if (!b)
			continue;
		struct lab_welch w;
		char la[48], lb[48], d[48], p[16];
		enum lab_verdict v = lab_verdict_of(&a->loss, &b->loss, &w);
		fprintf(f,
			"The lc pair at QoS %d, %" PRIu64 " clients: each director's own view lost "
			"%s %% with Jain %.3f, one shared view %s %% with Jain %.3f (difference %s "
			"points, Welch's p = %s): the shared view losing less %s.\n\n",
			a->qos, a->clients, ci(&a->loss, la, sizeof(la)), a->jain.mean,
			ci(&b->loss, lb, sizeof(lb)), b->jain.mean, diff_ci(&w, d, sizeof(d)),
			pval(w.p, p, sizeof(p)),
			v == LAB_VERDICT_REVERSED ? "holds at 95 %"
			: v == LAB_VERDICT_HOLDS  ? "is reversed at 95 % (the local view lost less)"
						  : lab_verdict_words(v));
		if (a->jain.mean >= 0.99 && b->jain.mean >= 0.99)
			fprintf(f, "Both views spread the connections evenly (Jain >= 0.99): each "
				   "director got the same share of clients at once and no broker "
				   "left or joined, so the local view had nothing to drift from; "
				   "the imbalance the study blames did not arise here.\n\n");
	}
}

void lab_write_compare(FILE *f, const struct lab_row *rows, int n)
{
	struct lab_point pts[LAB_MAX_POINTS];
	int np = lab_points(rows, n, pts, LAB_MAX_POINTS), any = 0;
	fprintf(f, "## Topologies compared\n\n"
		   "Every pair of topologies at the same client count and QoS: the difference of "
		   "the mean loss (first minus second, percentage points) and of the mean p99 (ms) "
		   "with its 95 %% confidence interval, and Welch's two-sided t-test (unequal "
		   "variances; with 3 + 3 runs a permutation test could never reach p < 0.05). "
		   "An interval that excludes 0 is a difference the runs tell from noise.\n\n"
		   "| clients | QoS | first | second | loss %% first | loss %% second | "
		   "difference (points) | p | p99 difference (ms) | p | verdict |\n"
		   "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n");
	for (int i = 0; i < np; i++)
		for (int j = i + 1; j < np; j++)
			if (pts[i].qos == pts[j].qos && pts[i].clients == pts[j].clients) {
				pair_row(f, &pts[i], &pts[j]);
				any = 1;
			}
	if (!any)
		fprintf(f, "| — | — | — | — | — | — | — | — | — | — | one topology only |\n");
	fprintf(f, "\nWhich runs are the study's mechanism (its lc on IPVS: each director "
		   "balances by the connections it sees itself):\n\n");
	for (int i = 0; i < np; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(pts[j].topology, pts[i].topology) == 0;
		if (!seen)
			fprintf(f, "- %s (%s/%s): %s.\n", pts[i].topology,
				rows[pts[i].first].dataplane, rows[pts[i].first].scheduler,
				mechanism(pts[i].topology, rows[pts[i].first].scheduler));
	}
	fprintf(f, "\n");
	lc_pair(f, pts, np);
}
