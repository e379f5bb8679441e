/* cgroup.c — see cgroup.h. Kernel docs: Documentation/admin-guide/cgroup-v2.rst
 * (cpu.max, memory.max, cpu.stat), cgroup-v1/{cpuacct,memory}.rst, scheduler/
 * sched-bwc.rst (cfs_quota_us / cfs_period_us). */
#include "common/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/mkdirp.h"

#define CPU_PERIOD_US 100000

static const char *const v1_ctrl_dir[CGROUP_CTRL_COUNT] = {"cpu", "cpuacct", "memory"};

const char *cgroup_version_name(enum cgroup_version v)
{
	static const char *const names[CGROUP_VERSION_COUNT] = {"none", "v1", "v2"};
	return v < CGROUP_VERSION_COUNT ? names[v] : "?";
}

static int path_fmt(char *out, size_t len, const char *fmt, const char *a, const char *b,
		    const char *c)
{
	int n = snprintf(out, len, fmt, a, b, c);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

enum cgroup_version cgroup_detect(const char *root)
{
	char p[PATH_MAX];
	if (path_fmt(p, sizeof(p), "%s/cgroup.controllers%s%s", root, "", "") == 0 &&
	    access(p, F_OK) == 0)
		return CGROUP_V2;
	for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
		if (path_fmt(p, sizeof(p), "%s/%s/tasks%s", root, v1_ctrl_dir[c], "") == 0 &&
		    access(p, F_OK) == 0)
			return CGROUP_V1;
	}
	return CGROUP_NONE;
}

int cgroup_parse_self(const char *text, const char *ctrl, char *out, size_t len)
{
	/* Lines "ID:CONTROLLERS:PATH"; v2 has ID 0 and empty CONTROLLERS. */
	const char *line = text;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t ll = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll);
		const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			const char *ctrls = c1 + 1;
			size_t cl = (size_t)(c2 - ctrls);
			int match = 0;
			if (!*ctrl) {
				match = cl == 0;
			} else {
				/* comma-separated list, e.g. "cpu,cpuacct" */
				const char *s = ctrls;
				while (s < c2) {
					const char *e = memchr(s, ',', (size_t)(c2 - s));
					if (!e)
						e = c2;
					if ((size_t)(e - s) == strlen(ctrl) &&
					    strncmp(s, ctrl, (size_t)(e - s)) == 0)
						match = 1;
					s = e + 1;
				}
			}
			if (match) {
				size_t pl = ll - (size_t)(c2 + 1 - line);
				if (pl + 1 > len)
					return -ENAMETOOLONG;
				memcpy(out, c2 + 1, pl);
				out[pl] = '\0';
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

static int valid_name(const char *name)
{
	size_t l = strlen(name);
	return l > 0 && l < CGROUP_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* buf with path's text, or NULL (the form the tests below read best). */
static char *read_small(const char *path, char *buf, size_t len)
{
	return read_small_file(path, buf, len) < 0 ? NULL : buf;
}

/* root + the "0::" path of self_cg (NULL: no text, the root itself). A
 * process that cgroup_v2_prepare moved into its own leaf <base>/mqlb-cli still
 * has <base> as its base: the groups go beside that leaf, where the
 * controllers were enabled, not under it. */
static int v2_base(const char *root, const char *self_cg, char *out, size_t len)
{
	char self[PATH_MAX] = "/";
	if (self_cg)
		(void)cgroup_parse_self(self_cg, "", self, sizeof(self));
	size_t n = strlen(self), leaf = strlen("/mqlb-cli");
	if (n > leaf && strcmp(self + n - leaf, "/mqlb-cli") == 0)
		self[n - leaf] = '\0';
	return path_fmt(out, len, "%s%s%s", root, strcmp(self, "/") ? self : "", "");
}

int cgroup_paths(struct cgroup *cg, const char *root, enum cgroup_version v, const char *name,
		 const char *self_cg)
{
	char selfbuf[4096];
	memset(cg, 0, sizeof(*cg));
	cg->version = v;
	if (!valid_name(name))
		return -EINVAL;
	if (v != CGROUP_V1 && v != CGROUP_V2)
		return 0;
	if (!self_cg)
		self_cg = read_small("/proc/self/cgroup", selfbuf, sizeof(selfbuf));
	if (v == CGROUP_V2) {
		/* inside the subtree we run in (delegated), never at the root */
		char base[PATH_MAX];
		int r = v2_base(root, self_cg, base, sizeof(base));
		return r ? r
			 : path_fmt(cg->dir[CGROUP_CPU], PATH_MAX, "%s/mqlb/%s%s", base, name, "");
	}
	for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
		char self[PATH_MAX] = "/";
		if (self_cg)
			(void)cgroup_parse_self(self_cg, v1_ctrl_dir[c], self, sizeof(self));
		if (strcmp(self, "/") == 0)
			self[0] = '\0';
		char base[PATH_MAX];
		if (path_fmt(base, sizeof(base), "%s/%s%s", root, v1_ctrl_dir[c], self))
			return -ENAMETOOLONG;
		if (path_fmt(cg->dir[c], PATH_MAX, "%s/mqlb/%s%s", base, name, ""))
			return -ENAMETOOLONG;
	}
	return 0;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char p[PATH_MAX];
	if (path_fmt(p, sizeof(p), "%s/%s%s", dir, file, ""))
		return -ENAMETOOLONG;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	size_t l = strlen(val);
	ssize_t w = write(fd, val, l);
	int ret = w == (ssize_t)l ? 0 : w == -1 ? -errno : -EIO;
	close(fd);
	return ret;
}

int cgroup_create(struct cgroup *cg)
{
	int first = 0, any = 0;
	for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
		if (!cg->dir[c][0])
			continue;
		/* v2: the controllers were enabled by cgroup_v2_prepare(), in the
		 * delegated subtree only; nothing is written above it. Only .../mqlb
		 * and the group itself are new: the base above them is our own
		 * cgroup (/proc/self/cgroup), which exists */
		int r = mkdir_p(cg->dir[c], 0755);
		if (r == 0)
			any = 1;
		else if (!first)
			first = r;
	}
	return any ? 0 : (first ? first : -ENOENT);
}

void cgroup_cpu_max_str(double cpus, char *buf, size_t len)
{
	if (cpus <= 0)
		snprintf(buf, len, "max %d", CPU_PERIOD_US);
	else
		snprintf(buf, len, "%lld %d", (long long)llround(cpus * CPU_PERIOD_US),
			 CPU_PERIOD_US);
}

static void note(char *buf, size_t len, const char *what, int err)
{
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%s%s (%s)", used ? ", " : "", what, strerror(-err));
}

int cgroup_set_limits(const struct cgroup *cg, double cpus, uint64_t mem_bytes, char *not_limited,
		      size_t len)
{
	char v[64];
	int ret = 0, r;
	if (len)
		not_limited[0] = '\0';
	const char *cpu_dir = cg->dir[CGROUP_CPU];
	const char *mem_dir =
	    cg->version == CGROUP_V2 ? cg->dir[CGROUP_CPU] : cg->dir[CGROUP_MEMORY];
	if (cpus > 0) {
		if (!cpu_dir[0] || cg->version == CGROUP_NONE) {
			r = -ENOTSUP;
		} else if (cg->version == CGROUP_V2) {
			cgroup_cpu_max_str(cpus, v, sizeof(v));
			r = write_str(cpu_dir, "cpu.max", v);
		} else {
			snprintf(v, sizeof(v), "%d", CPU_PERIOD_US);
			r = write_str(cpu_dir, "cpu.cfs_period_us", v);
			if (r == 0) {
				snprintf(v, sizeof(v), "%lld",
					 (long long)llround(cpus * CPU_PERIOD_US));
				r = write_str(cpu_dir, "cpu.cfs_quota_us", v);
			}
		}
		if (r) {
			note(not_limited, len, "cpu", r);
			ret = ret ? ret : r;
		}
	}
	if (mem_bytes > 0) {
		snprintf(v, sizeof(v), "%" PRIu64, mem_bytes);
		if (!mem_dir[0] || cg->version == CGROUP_NONE)
			r = -ENOTSUP;
		else
			r = write_str(
			    mem_dir,
			    cg->version == CGROUP_V2 ? "memory.max" : "memory.limit_in_bytes", v);
		if (r) {
			note(not_limited, len, "memory", r);
			ret = ret ? ret : r;
		}
	}
	return ret;
}

int cgroup_attach(const struct cgroup *cg, pid_t pid)
{
	char v[32];
	int any = 0, first = 0;
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
		if (!cg->dir[c][0])
			continue;
		int r = write_str(cg->dir[c], "cgroup.procs", v);
		if (r == 0)
			any = 1;
		else if (!first)
			first = r;
	}
	return any ? 0 : (first ? first : -ENOENT);
}

int cgroup_parse_key_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l;) {
		if (strncmp(l, key, kl) == 0 && (l[kl] == ' ' || l[kl] == '\t')) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(l + kl + 1, &end, 10);
			if (errno || end == l + kl + 1)
				return -EINVAL;
			*out = v;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -ENOENT;
}

int cgroup_parse_cpu_max(const char *text, double *cpus)
{
	char q[32];
	unsigned long long period;
	if (sscanf(text, "%31s %llu", q, &period) != 2 || period == 0)
		return -EINVAL;
	if (strcmp(q, "max") == 0) {
		*cpus = 0;
		return 0;
	}
	char *end;
	unsigned long long quota = strtoull(q, &end, 10);
	if (*end)
		return -EINVAL;
	*cpus = (double)quota / (double)period;
	return 0;
}

static int read_u64_file(const char *dir, const char *file, uint64_t *out)
{
	char p[PATH_MAX], buf[64];
	if (!dir[0] || path_fmt(p, sizeof(p), "%s/%s%s", dir, file, ""))
		return -ENOENT;
	if (!read_small(p, buf, sizeof(buf)))
		return -errno;
	if (strncmp(buf, "max", 3) == 0) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*out = v < 0 ? 0 : (uint64_t)v; /* v1 quota -1 = unlimited */
	return 0;
}

int cgroup_usage(const struct cgroup *cg, uint64_t *cpu_ns, uint64_t *mem_bytes)
{
	int r1, r2;
	*cpu_ns = *mem_bytes = UINT64_MAX;
	if (cg->version == CGROUP_V2) {
		char p[PATH_MAX], buf[1024];
		uint64_t us;
		r1 = -ENOENT;
		if (path_fmt(p, sizeof(p), "%s/cpu.stat%s%s", cg->dir[CGROUP_CPU], "", "") == 0 &&
		    read_small(p, buf, sizeof(buf)))
			r1 = cgroup_parse_key_u64(buf, "usage_usec", &us);
		if (r1 == 0)
			*cpu_ns = us * 1000;
		r2 = read_u64_file(cg->dir[CGROUP_CPU], "memory.current", mem_bytes);
	} else if (cg->version == CGROUP_V1) {
		r1 = read_u64_file(cg->dir[CGROUP_CPUACCT], "cpuacct.usage", cpu_ns);
		r2 = read_u64_file(cg->dir[CGROUP_MEMORY], "memory.usage_in_bytes", mem_bytes);
	} else {
		return -ENOTSUP;
	}
	if (r1)
		*cpu_ns = UINT64_MAX;
	if (r2)
		*mem_bytes = UINT64_MAX;
	return r1 ? r1 : r2;
}

int cgroup_read_limits(const struct cgroup *cg, double *cpus, uint64_t *mem_bytes)
{
	int r = 0;
	*cpus = -1;
	*mem_bytes = 0;
	if (cg->version == CGROUP_V2) {
		char p[PATH_MAX], buf[64];
		if (path_fmt(p, sizeof(p), "%s/cpu.max%s%s", cg->dir[CGROUP_CPU], "", "") == 0 &&
		    read_small(p, buf, sizeof(buf)))
			r = cgroup_parse_cpu_max(buf, cpus);
		else
			r = -errno;
		int r2 = read_u64_file(cg->dir[CGROUP_CPU], "memory.max", mem_bytes);
		return r ? r : r2;
	}
	if (cg->version != CGROUP_V1)
		return -ENOTSUP;
	uint64_t quota, period;
	r = read_u64_file(cg->dir[CGROUP_CPU], "cpu.cfs_quota_us", &quota);
	if (r == 0)
		r = read_u64_file(cg->dir[CGROUP_CPU], "cpu.cfs_period_us", &period);
	if (r == 0)
		*cpus = period ? (double)quota / (double)period : 0;
	int r2 = read_u64_file(cg->dir[CGROUP_MEMORY], "memory.limit_in_bytes", mem_bytes);
	/* v1 "unlimited" is a huge page-rounded number */
	if (r2 == 0 && *mem_bytes >= (1ULL << 62))
		*mem_bytes = 0;
	return r ? r : r2;
}

int cgroup_remove(const struct cgroup *cg)
{
	int first = 0;
	for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
		if (!cg->dir[c][0])
			continue;
		if (rmdir(cg->dir[c]) == -1 && errno != ENOENT && !first)
			first = -errno;
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", cg->dir[c]);
		char *slash = strrchr(parent, '/');
		if (slash) {
			*slash = '\0';
			(void)rmdir(parent); /* the shared mqlb/ dir: only if empty */
		}
	}
	return first;
}

/* Is word one of the space-separated words of text? */
static int has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	for (const char *s = text; (s = strstr(s, word)) != NULL; s += wl)
		if ((s == text || s[-1] == ' ') && (s[wl] == ' ' || s[wl] == '\n' || !s[wl]))
			return 1;
	return 0;
}

/* The command that gives mqlb a delegated cgroup of its own. */
static const char *v2_fix(void)
{
	return geteuid() == 0 ? "systemd-run --scope -p Delegate=yes mqlb cluster up ..."
			      : "systemd-run --user --scope -p Delegate=yes mqlb cluster up ...";
}

/* cpu and memory must be offered to base by its parent (cgroup.controllers). */
static int v2_check_offered(const char *base, char *why, size_t len)
{
	static const char *const need[] = {"cpu", "memory"};
	char p[PATH_MAX], buf[1024], parent[PATH_MAX];
	if (path_fmt(p, sizeof(p), "%s/cgroup.controllers%s%s", base, "", "") ||
	    !read_small(p, buf, sizeof(buf)))
		buf[0] = '\0';
	snprintf(parent, sizeof(parent), "%s", base);
	char *slash = strrchr(parent, '/');
	if (slash && slash > parent)
		*slash = '\0';
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (has_word(buf, need[i]))
			continue;
		snprintf(why, len,
			 "cgroup v2: controller %s is not enabled for %s by its parent (see its "
			 "cgroup.controllers); run in a delegated scope: %s, or as root: echo +%s "
			 "> %s/cgroup.subtree_control",
			 need[i], base, v2_fix(), need[i], parent);
		return -ENOTSUP;
	}
	return 0;
}

/* A cgroup with processes cannot hand cpu/memory to its children (the "no
 * internal processes" rule): if we are the only one in base, move ourselves to
 * the leaf base/mqlb-cli first; then enable them in base's subtree_control. */
static int v2_enable_in_base(const char *base, char *why, size_t len)
{
	char p[PATH_MAX], buf[4096], pid[24];
	if (path_fmt(p, sizeof(p), "%s/cgroup.subtree_control%s%s", base, "", "") == 0 &&
	    read_small(p, buf, sizeof(buf)) && has_word(buf, "cpu") && has_word(buf, "memory"))
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (path_fmt(p, sizeof(p), "%s/cgroup.procs%s%s", base, "", "") == 0 &&
	    read_small(p, buf, sizeof(buf)) && buf[0]) {
		char leaf[PATH_MAX];
		if (path_fmt(leaf, sizeof(leaf), "%s/mqlb-cli%s%s", base, "", "") == 0 &&
		    (mkdir(leaf, 0755) == 0 || errno == EEXIST))
			(void)write_str(leaf, "cgroup.procs", pid);
	}
	int r = write_str(base, "cgroup.subtree_control", "+cpu +memory");
	if (r == -EBUSY)
		snprintf(why, len,
			 "cgroup v2: other processes live in %s (cgroup.procs), so it cannot hand "
			 "cpu and memory to mqlb's groups; run mqlb in a scope of its own: %s",
			 base, v2_fix());
	else if (r)
		snprintf(why, len,
			 "cgroup v2: cannot enable cpu and memory in %s/cgroup.subtree_control "
			 "(%s): that cgroup is not delegated to uid %u; run: %s",
			 base, strerror(-r), (unsigned)geteuid(), v2_fix());
	return r;
}

int cgroup_v2_prepare(const char *root, const char *self_cg, char *why, size_t len)
{
	char selfbuf[4096], base[PATH_MAX], p[PATH_MAX];
	if (len)
		why[0] = '\0';
	if (!self_cg)
		self_cg = read_small("/proc/self/cgroup", selfbuf, sizeof(selfbuf));
	int r = v2_base(root, self_cg, base, sizeof(base));
	if (r)
		return r;
	if (access(base, F_OK) != 0) {
		r = -errno;
		snprintf(why, len, "cgroup v2: this process's cgroup %s is not there (%s)", base,
			 strerror(-r));
		return r;
	}
	/* the real root cgroup is the only one without cgroup.type */
	if (path_fmt(p, sizeof(p), "%s/cgroup.type%s%s", base, "", "") || access(p, F_OK) != 0) {
		snprintf(why, len,
			 "cgroup v2: mqlb runs in the root cgroup (%s), which it does not change; "
			 "run it in a delegated scope: %s",
			 base, v2_fix());
		return -EPERM;
	}
	if ((r = v2_check_offered(base, why, len)) != 0)
		return r;
	if (path_fmt(p, sizeof(p), "%s/mqlb%s%s", base, "", "") ||
	    (mkdir(p, 0755) == -1 && errno != EEXIST)) {
		r = -errno;
		snprintf(why, len,
			 "cgroup v2: cannot create %s (%s): that cgroup is not delegated to uid "
			 "%u; run: %s",
			 p, strerror(errno), (unsigned)geteuid(), v2_fix());
		return r;
	}
	if ((r = v2_enable_in_base(base, why, len)) != 0)
		return r;
	r = write_str(p, "cgroup.subtree_control", "+cpu +memory");
	if (r) {
		snprintf(why, len, "cgroup v2: cannot enable cpu and memory in %s: %s; run: %s", p,
			 strerror(-r), v2_fix());
		(void)rmdir(p); /* leave nothing behind: only if empty */
	}
	return r;
}
