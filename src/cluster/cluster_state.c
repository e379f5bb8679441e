/* cluster_state.c — the run dir's "state" file, the one thing `up` leaves for
 * `status`, `down`, `mqlb monitor` and the lab. Text, one "key<TAB>value" per
 * line; brokers as "broker<TAB>id<TAB>pid<TAB>port<TAB>cpu-dir<TAB>cpuacct-dir<TAB>memory-dir"
 * ("-" for a controller we have no group in). Written to state.tmp and renamed,
 * so a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "common/fdio.h"
#include "common/proc.h"
#include "common/rundir.h"

void cluster_run_path(const struct cluster_spec *s, const char *file, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", s->run_dir, file);
}

int cluster_state_write(const struct cluster_state *st)
{
	const struct cluster_spec *s = &st->spec;
	char tmp[PATH_MAX + 16], path[PATH_MAX + 16];
	cluster_run_path(s, "state.tmp", tmp, sizeof(tmp));
	cluster_run_path(s, "state", path, sizeof(path));
	FILE *f = rundir_fopen(s->run_dir, "state.tmp", "w"); /* new, never followed */
	if (!f)
		return -errno;
	fprintf(f, "version\t1\nname\t%s\nbrokers\t%u\nbridge\t%s\nhost\t%s\nbase_port\t%u\n",
		s->name, s->brokers, cluster_bridge_name(s->bridge), s->host,
		(unsigned)s->base_port);
	fprintf(f, "cpus\t%g\nmemory\t%" PRIu64 "\nmax_queued\t%ld\nmax_inflight\t%ld\n", s->cpus,
		s->mem_bytes, s->max_queued, s->max_inflight);
	fprintf(f, "queue_qos0\t%d\npersistence\t%d\nnetns\t%s\ncgroup\t%s\n", s->queue_qos0,
		s->persistence, s->netns[0] ? s->netns : "-", cgroup_version_name(st->cg_version));
	/* absent in older state files: the reader keeps the default, 2 */
	fprintf(f, "bridge_qos\t%d\n", s->bridge_qos);
	for (unsigned i = 0; i < st->n; i++) {
		const struct cluster_broker *b = &st->b[i];
		fprintf(f, "broker\t%u\t%d\t%u", b->id, b->pid, (unsigned)b->port);
		for (int c = 0; c < CGROUP_CTRL_COUNT; c++)
			fprintf(f, "\t%s", b->cg.dir[c][0] ? b->cg.dir[c] : "-");
		fputc('\n', f);
	}
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		unlink(tmp);
		return -EIO;
	}
	return rename(tmp, path) == -1 ? -errno : 0;
}

static int split_tabs(char *line, char **f, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, "\t\n", &save); t && n < max;
	     t = strtok_r(NULL, "\t\n", &save))
		f[n++] = t;
	return n;
}

int cluster_state_read(const char *run_dir, struct cluster_state *st)
{
	char line[PATH_MAX * 3 + 128];
	memset(st, 0, sizeof(*st));
	cluster_spec_defaults(&st->spec);
	snprintf(st->spec.run_dir, sizeof(st->spec.run_dir), "%s", run_dir);
	FILE *f = rundir_fopen(run_dir, "state", "r");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	int ret = 0;
	struct cluster_spec *s = &st->spec;
	while (fgets(line, sizeof(line), f)) {
		char *fl[8];
		int n = split_tabs(line, fl, 8);
		if (n < 2)
			continue;
		const char *k = fl[0], *v = fl[1];
		if (!strcmp(k, "name"))
			snprintf(s->name, sizeof(s->name), "%s", v);
		else if (!strcmp(k, "brokers"))
			s->brokers = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(k, "bridge"))
			ret = cluster_bridge_parse(v, &s->bridge) ? -EINVAL : ret;
		else if (!strcmp(k, "host"))
			snprintf(s->host, sizeof(s->host), "%s", v);
		else if (!strcmp(k, "base_port"))
			s->base_port = (uint16_t)strtoul(v, NULL, 10);
		else if (!strcmp(k, "cpus"))
			s->cpus = strtod(v, NULL);
		else if (!strcmp(k, "memory"))
			s->mem_bytes = strtoull(v, NULL, 10);
		else if (!strcmp(k, "max_queued"))
			s->max_queued = strtol(v, NULL, 10);
		else if (!strcmp(k, "max_inflight"))
			s->max_inflight = strtol(v, NULL, 10);
		else if (!strcmp(k, "queue_qos0"))
			s->queue_qos0 = atoi(v);
		else if (!strcmp(k, "persistence"))
			s->persistence = atoi(v);
		else if (!strcmp(k, "bridge_qos")) {
			s->bridge_qos = atoi(v);
			if (s->bridge_qos < 0 || s->bridge_qos > 2 || v[1])
				ret = -EINVAL;
		} else if (!strcmp(k, "netns"))
			snprintf(s->netns, sizeof(s->netns), "%s", strcmp(v, "-") ? v : "");
		else if (!strcmp(k, "cgroup"))
			st->cg_version = !strcmp(v, "v2")   ? CGROUP_V2
					 : !strcmp(v, "v1") ? CGROUP_V1
							    : CGROUP_NONE;
		else if (!strcmp(k, "broker")) {
			if (n < 4 + CGROUP_CTRL_COUNT || st->n == CLUSTER_MAX_BROKERS) {
				ret = -EINVAL;
				continue;
			}
			struct cluster_broker *b = &st->b[st->n++];
			b->id = (unsigned)strtoul(fl[1], NULL, 10);
			b->pid = atoi(fl[2]);
			b->port = (uint16_t)strtoul(fl[3], NULL, 10);
			b->cg.version = CGROUP_NONE; /* a broker without any group has none */
			for (int c = 0; c < CGROUP_CTRL_COUNT; c++)
				if (strcmp(fl[4 + c], "-") != 0) {
					snprintf(b->cg.dir[c], sizeof(b->cg.dir[c]), "%s",
						 fl[4 + c]);
					b->cg.version = st->cg_version;
				}
		}
	}
	fclose(f);
	if (ret == 0 && (st->n == 0 || s->brokers != st->n))
		ret = -EINVAL;
	return ret;
}

/* The state letter of /proc/<pid>/stat (after the last ')': comm may hold any
 * byte), or 0 when it cannot be read. */
static char proc_state_letter(int pid)
{
	struct proc_stat ps;
	return proc_stat_read(pid, &ps) == 0 ? ps.state : 0;
}

/* Is pid mosquitto with this broker's config on its command line? */
static int is_our_mosquitto(const struct cluster_state *st, const struct cluster_broker *b)
{
	char path[64], cmd[PATH_MAX + 64], conf[PATH_MAX + 16], name[16];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", b->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0; /* a zombie has an empty cmdline */
	cmd[n] = '\0';
	snprintf(name, sizeof(name), "b%u.conf", b->id);
	cluster_run_path(&st->spec, name, conf, sizeof(conf));
	/* cmdline is NUL-separated: "mosquitto\0-c\0<conf>\0" */
	const char *arg = cmd;
	int is_mosq = strstr(cmd, "mosquitto") != NULL, has_conf = 0;
	while (arg < cmd + n) {
		if (strcmp(arg, conf) == 0)
			has_conf = 1;
		arg += strlen(arg) + 1;
	}
	return is_mosq && has_conf;
}

enum cluster_proc cluster_broker_proc(const struct cluster_state *st,
				      const struct cluster_broker *b)
{
	if (b->pid <= 0 || !is_our_mosquitto(st, b))
		return CLUSTER_PROC_DEAD;
	switch (proc_state_letter(b->pid)) {
	case 0:
	case 'Z': /* a zombie is not a broker; PID 1 may never reap it */
	case 'X':
		return CLUSTER_PROC_DEAD;
	case 'T': /* SIGSTOP */
	case 't': /* stopped by a tracer: frozen all the same */
		return CLUSTER_PROC_STOPPED;
	default:
		return CLUSTER_PROC_ALIVE;
	}
}

const char *cluster_proc_name(enum cluster_proc p)
{
	return p == CLUSTER_PROC_ALIVE ? "alive" : p == CLUSTER_PROC_STOPPED ? "stopped" : "dead";
}

int cluster_broker_alive(const struct cluster_state *st, const struct cluster_broker *b)
{
	return cluster_broker_proc(st, b) != CLUSTER_PROC_DEAD;
}
