/* monitor_sources.c — the small readers: /proc/<pid> CPU and RSS (proc(5):
 * stat fields 14-15 utime/stime in clock ticks, statm field 2 resident pages)
 * and a director's control-socket status (director.h protocol, "status" line,
 * JSON answer as DESIGN.md "mqlb director status --json"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "director/director.h"
#include "monitor/monitor.h"

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

int monitor_proc_read(int pid, uint64_t *cpu_ns, uint64_t *rss_bytes)
{
	static long tick, page;
	char path[64], buf[1024];
	if (!tick) {
		tick = sysconf(_SC_CLK_TCK);
		page = sysconf(_SC_PAGESIZE);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	ssize_t n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	/* comm may hold spaces and ')': fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	unsigned long long ut, st;
	char state;
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut,
		   &st) != 3)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*cpu_ns = (ut + st) * (1000000000ULL / (unsigned long long)tick);
	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	unsigned long long size, res;
	if (sscanf(buf, "%llu %llu", &size, &res) != 2)
		return -EINVAL;
	*rss_bytes = res * (unsigned long long)page;
	return 0;
}

/* The value after "key": in [s, end), as text; NULL if absent. */
static const char *json_find(const char *s, const char *end, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	size_t pl = strlen(pat);
	for (const char *p = s; p && p + pl < end; p++) {
		p = strstr(p, pat);
		if (!p || p >= end)
			return NULL;
		const char *q = p + pl;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n'))
			q++;
		if (q < end && *q == ':') {
			q++;
			while (q < end && (*q == ' ' || *q == '\t' || *q == '\n'))
				q++;
			return q;
		}
	}
	return NULL;
}

static int64_t json_num(const char *s, const char *end, const char *key)
{
	const char *v = json_find(s, end, key);
	if (!v)
		return -1;
	if (!strncmp(v, "true", 4))
		return 1;
	if (!strncmp(v, "false", 5))
		return 0;
	char *e;
	long long x = strtoll(v, &e, 10);
	return e == v ? -1 : (int64_t)x;
}

static void json_text(const char *s, const char *end, const char *key, char *out, size_t len)
{
	const char *v = json_find(s, end, key);
	out[0] = '\0';
	if (!v || *v != '"')
		return;
	v++;
	size_t i = 0;
	while (v < end && *v != '"' && i + 1 < len)
		out[i++] = *v++;
	out[i] = '\0';
}

int monitor_director_parse(const char *json, struct monitor_director *out)
{
	const char *end = json + strlen(json);
	memset(out, 0, sizeof(*out));
	const char *arr = json_find(json, end, "backends");
	if (!arr || *arr != '[')
		return -EINVAL;
	/* top-level keys live outside the backends array */
	json_text(json, arr, "dataplane", out->dataplane, sizeof(out->dataplane));
	json_text(json, arr, "scheduler", out->scheduler, sizeof(out->scheduler));
	const char *p = arr + 1;
	for (;;) {
		const char *o = strchr(p, '{');
		const char *close_arr = strchr(p, ']');
		if (!o || (close_arr && close_arr < o))
			break;
		/* backend objects are flat: the next '}' closes this one */
		const char *c = strchr(o, '}');
		if (!c)
			return -EINVAL;
		p = c + 1;
		if (out->n == MONITOR_MAX_BACKENDS)
			continue; /* skipped, but walked over: the array's end is needed */
		struct monitor_backend *b = &out->b[out->n++];
		json_text(o, c, "address", b->address, sizeof(b->address));
		b->weight = json_num(o, c, "weight");
		b->effective_weight = json_num(o, c, "effective_weight");
		b->healthy = json_num(o, c, "healthy");
		b->active = json_num(o, c, "active_connections");
		b->inactive = json_num(o, c, "inactive_connections");
		b->total = json_num(o, c, "total_connections");
		b->bytes_in = json_num(o, c, "bytes_in");
		b->bytes_out = json_num(o, c, "bytes_out");
	}
	/* the HA keys: before the array today; after it is top level too */
	const char *arr_end = strchr(p, ']');
	out->conntrack = json_num(json, arr, "conntrack_count");
	if (out->conntrack < 0 && arr_end)
		out->conntrack = json_num(arr_end, end, "conntrack_count");
	if (json_find(json, arr, "vrrp_state"))
		json_text(json, arr, "vrrp_state", out->vrrp_state, sizeof(out->vrrp_state));
	else if (arr_end)
		json_text(arr_end, end, "vrrp_state", out->vrrp_state, sizeof(out->vrrp_state));
	return 0;
}

int monitor_director_query(const char *path, uint64_t timeout_ns, struct monitor_director *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	int r = director_control_request_ns(path, "status", f, timeout_ns);
	fclose(f);
	if (r == 0)
		r = monitor_director_parse(text ? text : "", out);
	free(text);
	return r;
}
