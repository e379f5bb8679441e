/* points.c — runs grouped by point, their statistics and the verdict on the
 * study's direction (points.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lab/points.h"

static uint64_t clients_of(const struct lab_row *r)
{
	return r->publishers + r->subscribers;
}

static int same_point(const struct lab_row *r, const char *topology, int qos, uint64_t clients)
{
	return strcmp(r->topology, topology) == 0 && r->qos == qos && clients_of(r) == clients;
}

/* The statistics of point p from the rows that belong to it. */
static void point_fill(struct lab_point *p, const struct lab_row *rows, int n)
{
	double loss[LAB_MAX_RUNS_PER_POINT], p99[LAB_MAX_RUNS_PER_POINT],
	    jain[LAB_MAX_RUNS_PER_POINT];
	size_t k = 0;
	memset(p->conns, 0, sizeof(p->conns));
	p->n_brokers = 0;
	for (int i = p->first; i < n && k < LAB_MAX_RUNS_PER_POINT; i++) {
		const struct lab_row *r = &rows[i];
		if (!same_point(r, p->topology, p->qos, p->clients))
			continue;
		loss[k] = 100 * r->loss_ratio;
		p99[k] = (double)r->p99_us / 1000;
		jain[k] = r->jain_index;
		for (unsigned b = 0; b < r->n_brokers; b++)
			p->conns[b] += (double)r->conns[b];
		if (r->n_brokers > p->n_brokers)
			p->n_brokers = r->n_brokers;
		k++;
	}
	p->n = (int)k;
	for (unsigned b = 0; k && b < p->n_brokers; b++)
		p->conns[b] /= (double)k;
	lab_stat_of(loss, k, &p->loss);
	lab_stat_of(p99, k, &p->p99_ms);
	lab_stat_of(jain, k, &p->jain);
}

int lab_points(const struct lab_row *rows, int n, struct lab_point *pts, int cap)
{
	int np = 0;
	for (int i = 0; i < n; i++) {
		const struct lab_row *r = &rows[i];
		if (lab_point_find(pts, np, r->topology, r->qos, clients_of(r)) || np == cap)
			continue;
		struct lab_point *p = &pts[np++];
		memset(p, 0, sizeof(*p));
		snprintf(p->topology, sizeof(p->topology), "%s", r->topology);
		p->qos = r->qos;
		p->clients = clients_of(r);
		p->first = i;
		point_fill(p, rows, n);
	}
	return np;
}

const struct lab_point *lab_point_find(const struct lab_point *pts, int n, const char *topology,
				       int qos, uint64_t clients)
{
	for (int i = 0; i < n; i++)
		if (strcmp(pts[i].topology, topology) == 0 && pts[i].qos == qos &&
		    pts[i].clients == clients)
			return &pts[i];
	return NULL;
}

int lab_pooled_loss(const struct lab_row *rows, int n, const char *topology, uint64_t clients,
		    struct lab_stat *s)
{
	double x[LAB_MAX_RUNS_PER_POINT];
	size_t k = 0;
	for (unsigned rep = 1; rep <= LAB_MAX_RUNS_PER_POINT; rep++) {
		uint64_t lost = 0, exp = 0;
		int any = 0;
		for (int i = 0; i < n; i++) {
			const struct lab_row *r = &rows[i];
			unsigned rr = r->repeat ? r->repeat : 1;
			if (rr != rep || strcmp(r->topology, topology) != 0 ||
			    clients_of(r) != clients)
				continue;
			lost += r->lost;
			exp += r->expected;
			any = 1;
		}
		if (any)
			x[k++] = 100 * lab_loss_ratio(lost, exp);
	}
	lab_stat_of(x, k, s);
	return (int)k;
}

enum lab_verdict lab_verdict_of(const struct lab_stat *a, const struct lab_stat *b,
				struct lab_welch *w)
{
	if (lab_welch(a, b, w) == 0) {
		if (w->diff + w->half_width < 0)
			return LAB_VERDICT_HOLDS;
		if (w->diff - w->half_width > 0)
			return LAB_VERDICT_REVERSED;
		return LAB_VERDICT_UNCLEAR;
	}
	if (a->n < 2 || b->n < 2)
		return LAB_VERDICT_UNKNOWN;
	/* no spread on either side: every repeat gave the same figure */
	return a->mean == b->mean ? LAB_VERDICT_UNCLEAR : LAB_VERDICT_NO_SPREAD;
}

const char *lab_verdict_words(enum lab_verdict v)
{
	switch (v) {
	case LAB_VERDICT_HOLDS:
		return "holds at 95 %";
	case LAB_VERDICT_REVERSED:
		return "is reversed at 95 %";
	case LAB_VERDICT_UNCLEAR:
		return "cannot be told apart";
	case LAB_VERDICT_NO_SPREAD:
		return "differs in every run by the same amount (no spread: no test)";
	default:
		return "cannot be judged (one run per point: no interval)";
	}
}
