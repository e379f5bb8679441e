/* cluster_status.c — `mqlb cluster status [--json]`: per broker pid, address,
 * alive, state (alive, stopped = frozen by SIGSTOP, dead), clients connected,
 * messages dropped, bridge states, limits in force (read back from the cgroup
 * files, not from the request). Exit 0 when every broker is alive and not
 * stopped, 1 otherwise (also when nothing runs). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "common/addr.h"
#include "common/cli.h"
#include "common/json.h"
#include "common/time.h"
#include "mqtt/probe.h"

struct broker_view {
	int alive;
	enum cluster_proc proc;
	char clients[MQTT_PROBE_SYS_VALUE_MAX], dropped[MQTT_PROBE_SYS_VALUE_MAX];
	double cpus;
	uint64_t mem_limit, mem_now;
	unsigned n_links;
	const struct cluster_link *links[CLUSTER_MAX_BROKERS];
	char state[CLUSTER_MAX_BROKERS][MQTT_PROBE_SYS_VALUE_MAX];
};

static void view_broker(const struct cluster_state *st, const struct cluster_broker *b,
			const struct cluster_link *links, unsigned nl, struct broker_view *v)
{
	const char *topics[2 + CLUSTER_MAX_BROKERS];
	char tbuf[CLUSTER_MAX_BROKERS][96];
	char vals[2 + CLUSTER_MAX_BROKERS][MQTT_PROBE_SYS_VALUE_MAX];
	size_t n = 2;
	memset(v, 0, sizeof(*v));
	v->proc = cluster_broker_proc(st, b);
	v->alive = v->proc != CLUSTER_PROC_DEAD;
	v->cpus = -1;
	topics[0] = "$SYS/broker/clients/connected";
	topics[1] = "$SYS/broker/publish/messages/dropped";
	for (unsigned k = 0; k < nl; k++)
		if (links[k].from == b->id) {
			snprintf(tbuf[v->n_links], sizeof(tbuf[0]),
				 "$SYS/broker/connection/%s/state", links[k].id);
			topics[n++] = tbuf[v->n_links];
			v->links[v->n_links++] = &links[k];
		}
	if (b->cg.version != CGROUP_NONE) {
		uint64_t cpu_ns;
		cgroup_read_limits(&b->cg, &v->cpus, &v->mem_limit);
		cgroup_usage(&b->cg, &cpu_ns, &v->mem_now);
	}
	if (v->proc != CLUSTER_PROC_ALIVE) /* a frozen broker would hold us 2 s */
		return;
	struct sockaddr_storage a;
	addr_parse_host(st->spec.host, b->port, &a);
	mqtt_probe_sys_read(&a, st->spec.netns, topics, n, 2 * NS_PER_S, vals);
	snprintf(v->clients, sizeof(v->clients), "%s", vals[0]);
	snprintf(v->dropped, sizeof(v->dropped), "%s", vals[1]);
	for (unsigned k = 0; k < v->n_links; k++)
		snprintf(v->state[k], sizeof(v->state[k]), "%s", vals[2 + k]);
}

/* No state to read: say so (--json: running false). */
static int report_missing(const char *run_dir, int json, int r)
{
	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "run_dir", run_dir);
		json_bool(&j, "running", 0);
		json_obj_end(&j);
	} else if (r == -ENOENT) {
		printf("no cluster in %s (start one with 'mqlb cluster up --run-dir %s')\n",
		       run_dir, run_dir);
	} else {
		fprintf(stderr, "mqlb: %s/state: %s\n", run_dir, strerror(-r));
	}
	return CLI_FAIL;
}

/* "host:port", "[v6]:port" for a broker. */
static void broker_address(const struct cluster_state *st, const struct cluster_broker *b, char *a,
			   size_t len)
{
	snprintf(a, len, strchr(st->spec.host, ':') ? "[%s]:%u" : "%s:%u", st->spec.host,
		 (unsigned)b->port);
}

/* A $SYS value as a number, or null when the broker gave none. */
static void json_sys(struct json *j, const char *key, const char *val)
{
	if (val[0])
		json_i64(j, key, strtoll(val, NULL, 10));
	else
		json_null(j, key);
}

/* The bridges, limits and cgroup of one broker in --json. */
static void json_broker_parts(struct json *j, const struct cluster_broker *b,
			      const struct broker_view *v)
{
	json_arr_begin(j, "bridges");
	for (unsigned k = 0; k < v->n_links; k++) {
		json_obj_begin(j, NULL);
		json_str(j, "id", v->links[k]->id);
		json_u64(j, "to", v->links[k]->to);
		json_sys(j, "state", v->state[k]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_begin(j, "limits");
	if (v->cpus >= 0)
		json_double(j, "cpus", v->cpus);
	else
		json_null(j, "cpus");
	json_u64(j, "memory_bytes", v->mem_limit);
	json_obj_end(j);
	json_obj_begin(j, "cgroup");
	json_str(j, "cpu", b->cg.dir[CGROUP_CPU]);
	json_str(j, "cpuacct", b->cg.dir[CGROUP_CPUACCT]);
	json_str(j, "memory", b->cg.dir[CGROUP_MEMORY]);
	if (v->mem_now != UINT64_MAX && b->cg.version != CGROUP_NONE)
		json_u64(j, "memory_now_bytes", v->mem_now);
	json_obj_end(j);
}

static void print_json(const char *run_dir, const struct cluster_state *st,
		       const struct broker_view *views, unsigned alive)
{
	struct json j;
	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "run_dir", run_dir);
	json_str(&j, "name", st->spec.name);
	json_bool(&j, "running", alive > 0);
	json_str(&j, "bridge", cluster_bridge_name(st->spec.bridge));
	json_i64(&j, "bridge_qos", st->spec.bridge_qos);
	if (st->spec.bridge == CLUSTER_BRIDGE_MESH) /* extra key: where arrivals land */
		json_str(&j, "mesh_prefix", CLUSTER_MESH_PREFIX "<origin>/");
	json_str(&j, "netns", st->spec.netns);
	json_str(&j, "cgroup", cgroup_version_name(st->cg_version));
	json_arr_begin(&j, "brokers");
	for (unsigned i = 0; i < st->n; i++) {
		const struct cluster_broker *b = &st->b[i];
		const struct broker_view *v = &views[i];
		char a[ADDR_STRLEN + 8];
		broker_address(st, b, a, sizeof(a));
		json_obj_begin(&j, NULL);
		json_u64(&j, "id", b->id);
		json_i64(&j, "pid", b->pid);
		json_str(&j, "address", a);
		json_bool(&j, "alive", v->alive);
		json_str(&j, "process", cluster_proc_name(v->proc));
		json_sys(&j, "clients_connected", v->clients);
		json_sys(&j, "messages_dropped", v->dropped);
		json_broker_parts(&j, b, v);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}

/* One row of the table. */
static void print_row(const struct cluster_state *st, const struct cluster_broker *b,
		      const struct broker_view *v)
{
	char a[ADDR_STRLEN + 8], cpu[16], mem[24], br[512] = "", pid[16] = "-";
	if (b->pid > 0) /* 0: killed, recorded by cluster kill */
		snprintf(pid, sizeof(pid), "%d", b->pid);
	broker_address(st, b, a, sizeof(a));
	if (v->cpus > 0)
		snprintf(cpu, sizeof(cpu), "%g", v->cpus);
	else
		snprintf(cpu, sizeof(cpu), "%s", v->cpus == 0 ? "unlimited" : "-");
	if (v->mem_limit)
		snprintf(mem, sizeof(mem), "%" PRIu64 "M", v->mem_limit >> 20);
	else
		snprintf(mem, sizeof(mem), "%s", b->cg.version == CGROUP_NONE ? "-" : "unlimited");
	size_t used = 0;
	for (unsigned k = 0; k < v->n_links && used < sizeof(br); k++)
		used += (size_t)snprintf(br + used, sizeof(br) - used, "%s->b%u=%s", k ? " " : "",
					 v->links[k]->to,
					 !v->alive	  ? "-"
					 : v->state[k][0] ? v->state[k]
							  : "?");
	printf("%-6u %-8s %-22s %-5s %-7s %-7s %-7s %-9s %-10s %s\n", b->id, pid, a,
	       v->alive ? "yes" : "NO", cluster_proc_name(v->proc),
	       v->clients[0] ? v->clients : "-", v->dropped[0] ? v->dropped : "-", cpu, mem, br);
}

static void print_human(const char *run_dir, const struct cluster_state *st,
			const struct broker_view *views, unsigned alive, unsigned running)
{
	printf("cluster %s: %u of %u brokers alive%s, bridge %s, cgroup %s%s%s, run dir %s\n",
	       st->spec.name, alive, st->n,
	       alive > running ? " (some stopped: frozen by SIGSTOP)" : "",
	       cluster_bridge_name(st->spec.bridge), cgroup_version_name(st->cg_version),
	       st->spec.netns[0] ? ", netns " : "", st->spec.netns, run_dir);
	if (st->spec.bridge == CLUSTER_BRIDGE_MESH)
		printf("%s\n", CLUSTER_MESH_NOTE);
	printf("%-6s %-8s %-22s %-5s %-7s %-7s %-7s %-9s %-10s %s\n", "broker", "pid", "address",
	       "alive", "state", "clients", "dropped", "cpu", "memory", "bridges");
	for (unsigned i = 0; i < st->n; i++)
		print_row(st, &st->b[i], &views[i]);
}

int cluster_status(const char *run_dir, int json)
{
	struct cluster_state st;
	int r = cluster_state_read(run_dir, &st);
	if (r)
		return report_missing(run_dir, json, r);
	struct cluster_link links[CLUSTER_MAX_BROKERS * CLUSTER_MAX_BROKERS];
	unsigned nl = cluster_links(&st.spec, links, sizeof(links) / sizeof(links[0]));
	static struct broker_view views[CLUSTER_MAX_BROKERS];
	unsigned alive = 0, running = 0;
	for (unsigned i = 0; i < st.n; i++) {
		view_broker(&st, &st.b[i], links, nl, &views[i]);
		alive += views[i].alive != 0;
		running += views[i].proc == CLUSTER_PROC_ALIVE;
	}
	if (json)
		print_json(run_dir, &st, views, alive);
	else
		print_human(run_dir, &st, views, alive, running);
	return running == st.n ? CLI_OK : CLI_FAIL;
}
