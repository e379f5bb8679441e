/* monitor_sources.c — the small readers: /proc/<pid> CPU and RSS (proc(5):
 * stat fields 14-15 utime/stime in clock ticks, statm field 2 resident pages)
 * and a director's control-socket status (director.h protocol, "status" line,
 * JSON answer as DESIGN.md "mqlb director status --json", read with the
 * shared reader, common/jsonread.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/jsonread.h"
#include "common/proc.h"
#include "director/director.h"
#include "monitor/monitor.h"
#include "monitor/monitor_refused.h"

int monitor_proc_read(int pid, uint64_t *cpu_ns, uint64_t *rss_bytes)
{
	static long tick, page;
	char path[64], buf[1024];
	if (!tick) {
		tick = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	struct proc_stat ps;
	int rc = proc_stat_read(pid, &ps);
	if (rc < 0)
		return rc;
	if (ps.state == 'Z' || ps.state == 'X')
		return -ESRCH;
	*cpu_ns = (ps.utime + ps.stime) * (1000000000ULL / (unsigned long long)tick);
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	unsigned long long size, res;
	if (sscanf(buf, "%llu %llu", &size, &res) != 2)
		return -EINVAL;
	*rss_bytes = res * (unsigned long long)page;
	return 0;
}

/* A number member of o as the monitor keeps it: true/false as 1/0, -1 when
 * absent or not a number (an older director, another dataplane). */
static int64_t member_num(const struct jr_value *o, const char *key)
{
	const struct jr_value *v = jr_get(o, key);
	if (v && v->type == JR_BOOL)
		return v->b;
	if (!v || v->type != JR_NUM)
		return -1;
	return v->is_u64 ? (int64_t)v->u : (int64_t)v->num;
}

/* A string member of o copied to out; "" when absent or not a string. */
static void member_text(const struct jr_value *o, const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s", jr_str(jr_get(o, key), ""));
}

static void backend_parse(const struct jr_value *o, struct monitor_backend *b)
{
	member_text(o, "address", b->address, sizeof(b->address));
	b->weight = member_num(o, "weight");
	b->effective_weight = member_num(o, "effective_weight");
	b->healthy = member_num(o, "healthy");
	b->active = member_num(o, "active_connections");
	b->inactive = member_num(o, "inactive_connections");
	b->total = member_num(o, "total_connections");
	b->bytes_in = member_num(o, "bytes_in");
	b->bytes_out = member_num(o, "bytes_out");
}

/* The number members of one "rejects" object as reasons, each named prefix
 * + its key. */
static void rejects_add(const struct jr_value *rj, const char *prefix, struct monitor_refused *ref)
{
	for (size_t i = 0; rj && rj->type == JR_OBJ && i < rj->n; i++) {
		const struct jr_value *v = &rj->items[i];
		if (v->type != JR_NUM || ref->n == MONITOR_MAX_REASONS ||
		    strlen(prefix) + strlen(rj->keys[i]) >= sizeof(ref->reason[0]))
			continue;
		snprintf(ref->reason[ref->n], sizeof(ref->reason[0]), "%s%s", prefix, rj->keys[i]);
		ref->count[ref->n] = jr_u64(v, 0);
		ref->total += ref->count[ref->n++];
	}
}

/* Every top-level object's "rejects" object: the proxy's reasons by their
 * name, another part's (e.g. "control", the control socket) as part.reason. */
static void refused_parse(const struct jr_value *root, struct monitor_refused *ref)
{
	memset(ref, 0, sizeof(*ref));
	rejects_add(jr_get(jr_get(root, "proxy"), "rejects"), "", ref);
	for (size_t i = 0; root->type == JR_OBJ && i < root->n; i++) {
		char prefix[32];
		if (!strcmp(root->keys[i], "proxy") || strlen(root->keys[i]) + 2 > sizeof(prefix))
			continue;
		snprintf(prefix, sizeof(prefix), "%s.", root->keys[i]);
		rejects_add(jr_get(&root->items[i], "rejects"), prefix, ref);
	}
}

int monitor_director_parse_all(const char *json, struct monitor_director *out,
			       struct monitor_refused *ref)
{
	memset(out, 0, sizeof(*out));
	if (ref)
		memset(ref, 0, sizeof(*ref));
	struct jr_value *root = jr_parse(json, NULL, 0);
	const struct jr_value *arr = jr_get(root, "backends");
	if (!arr || arr->type != JR_ARR) {
		jr_free(root);
		return -EINVAL;
	}
	/* top-level keys only: a backend's key never passes for the director's */
	member_text(root, "dataplane", out->dataplane, sizeof(out->dataplane));
	member_text(root, "scheduler", out->scheduler, sizeof(out->scheduler));
	out->conntrack = member_num(root, "conntrack_count");
	member_text(root, "vrrp_state", out->vrrp_state, sizeof(out->vrrp_state));
	for (size_t i = 0; i < arr->n && out->n < MONITOR_MAX_BACKENDS; i++)
		if (arr->items[i].type == JR_OBJ)
			backend_parse(&arr->items[i], &out->b[out->n++]);
	if (ref)
		refused_parse(root, ref);
	jr_free(root);
	return 0;
}

int monitor_director_parse(const char *json, struct monitor_director *out)
{
	return monitor_director_parse_all(json, out, NULL);
}

int monitor_director_query_all(const char *path, uint64_t timeout_ns, struct monitor_director *out,
			       struct monitor_refused *ref)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	int r = director_control_request_ns(path, "status", f, timeout_ns);
	fclose(f);
	if (r == 0)
		r = monitor_director_parse_all(text ? text : "", out, ref);
	free(text);
	return r;
}

int monitor_director_query(const char *path, uint64_t timeout_ns, struct monitor_director *out)
{
	return monitor_director_query_all(path, timeout_ns, out, NULL);
}
