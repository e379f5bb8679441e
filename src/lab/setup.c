/* setup.c — the cluster a lab run uses: the profile (thesis) plus overrides
 * passed through to `mqlb cluster up` (its flags, cluster(1)), and the label
 * that names the setup in summary.csv, lab.json, the report and the search.
 * Values are checked here with the same rules as cluster up, so a bad value
 * fails at once (exit 2) instead of at the first run's cluster up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "lab/run.h"

static int fail(char *err, size_t errlen, const char *flag, const char *v, const char *want)
{
	snprintf(err, errlen, "%s '%s': want %s", flag, v, want);
	return -EINVAL;
}

int lab_cluster_flag(struct lab_cluster *c, const char *flag, const char *v, char *err,
		     size_t errlen)
{
	uint64_t u;
	double d;
	if (strcmp(flag, "--bridge") == 0) {
		if (strcmp(v, "star") && strcmp(v, "mesh"))
			return fail(err, errlen, flag, v, "star or mesh");
		snprintf(c->bridge, sizeof(c->bridge), "%s", v);
	} else if (strcmp(flag, "--cpus") == 0) {
		if (strlen(v) >= sizeof(c->cpus) || parse_double(v, 0, 1024, &d) < 0 ||
		    (d > 0 && d < 0.01))
			return fail(err, errlen, flag, v, "0 (no limit) or 0.01..1024");
		snprintf(c->cpus, sizeof(c->cpus), "%s", v);
	} else if (strcmp(flag, "--memory") == 0) {
		if (strlen(v) >= sizeof(c->memory) || parse_size(v, &u) < 0 ||
		    (u > 0 && u < (4ULL << 20)))
			return fail(err, errlen, flag, v, "0 (no limit) or a size >= 4M");
		snprintf(c->memory, sizeof(c->memory), "%s", v);
	} else if (strcmp(flag, "--max-queued") == 0 || strcmp(flag, "--max-inflight") == 0) {
		char *dst = flag[6] == 'q' ? c->max_queued : c->max_inflight;
		if (strlen(v) >= sizeof(c->max_queued) || parse_u64(v, 0, 1000000000, &u) < 0)
			return fail(err, errlen, flag, v, "a count, 0 = unlimited");
		snprintf(dst, sizeof(c->max_queued), "%s", v);
	} else if (strcmp(flag, "--bridge-qos") == 0) {
		if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "2"))
			return fail(err, errlen, flag, v, "0, 1 or 2");
		snprintf(c->bridge_qos, sizeof(c->bridge_qos), "%s", v);
	} else if (strcmp(flag, "--mosquitto-opt") == 0) {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v || !eq[1] || strlen(v) >= sizeof(c->opts[0]) ||
		    strpbrk(v, "\n\r,"))
			return fail(err, errlen, flag, v, "KEY=VALUE (no ',' or newline)");
		if (c->n_opts == LAB_MAX_MOSQ_OPTS) {
			snprintf(err, errlen, "%s: at most %d", flag, LAB_MAX_MOSQ_OPTS);
			return -EINVAL;
		}
		snprintf(c->opts[c->n_opts++], sizeof(c->opts[0]), "%s", v);
	} else {
		return 1;
	}
	return 0;
}

int lab_cluster_empty(const struct lab_cluster *c)
{
	return !c->bridge[0] && !c->cpus[0] && !c->memory[0] && !c->max_queued[0] &&
	       !c->max_inflight[0] && !c->bridge_qos[0] && !c->n_opts && !c->persistence;
}

static void add(char *buf, size_t len, const char *key, const char *v)
{
	size_t at = strlen(buf);
	if (v[0] && at < len)
		snprintf(buf + at, len - at, "+%s%s%s", key, key[0] ? "=" : "", v);
}

void lab_cluster_label(const char *profile, const struct lab_cluster *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s", profile && *profile ? profile : "default");
	add(buf, len, "bridge", c->bridge);
	add(buf, len, "cpus", c->cpus);
	add(buf, len, "memory", c->memory);
	add(buf, len, "max-queued", c->max_queued);
	add(buf, len, "max-inflight", c->max_inflight);
	add(buf, len, "bridge-qos", c->bridge_qos);
	if (c->persistence)
		add(buf, len, "", "persistence");
	for (int i = 0; i < c->n_opts; i++) {
		char o[140];
		snprintf(o, sizeof(o), "opt:%s", c->opts[i]);
		add(buf, len, "", o);
	}
	for (char *p = buf; *p; p++)
		if (*p == ',' || *p == ' ' || *p == '\t')
			*p = '_';
}

void lab_cluster_argv(const struct lab_cluster *c, char **argv, int *n)
{
	static const char *const flags[] = {"--bridge",	    "--cpus",	      "--memory",
					    "--max-queued", "--max-inflight", "--bridge-qos"};
	const char *const vals[] = {c->bridge,	   c->cpus,	    c->memory,
				    c->max_queued, c->max_inflight, c->bridge_qos};
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (vals[i][0]) {
			argv[(*n)++] = (char *)flags[i];
			argv[(*n)++] = (char *)vals[i];
		}
	for (int i = 0; i < c->n_opts; i++) {
		argv[(*n)++] = "--mosquitto-opt";
		argv[(*n)++] = (char *)c->opts[i];
	}
	if (c->persistence)
		argv[(*n)++] = "--persistence";
}

uint64_t lab_cluster_memory(const char *profile, const struct lab_cluster *c)
{
	uint64_t u = 0;
	if (c->memory[0])
		return parse_size(c->memory, &u) == 0 ? u : 0;
	(void)profile; /* cluster up's default and the thesis profile: 128M */
	return 128ULL << 20;
}

int lab_cluster_is_mesh(const struct lab_cluster *c)
{
	return strcmp(c->bridge, "mesh") == 0;
}
