/* cgroup.h — per-process CPU and memory limits through cgroups, v2 or v1.
 *
 * v2 (cgroup2 mounted at /sys/fs/cgroup): groups <self>/mqlb/<name> inside the
 *   (delegated) cgroup <self> this process runs in, never at the root;
 *   cpu.max "QUOTA PERIOD", memory.max, usage from cpu.stat usage_usec and
 *   memory.current. cgroup_v2_prepare() enables the controllers there only.
 * v1 (per-controller hierarchies /sys/fs/cgroup/<ctrl>, possibly with a cgroup2
 *   "unified" mount beside them that holds no cpu/memory controller): groups
 *   mqlb/<name> under the calling process's own group of each controller (so
 *   brokers stay inside whatever limits their starter already lives under),
 *   cpu.cfs_quota_us / cpu.cfs_period_us, memory.limit_in_bytes, usage from
 *   cpuacct.usage and memory.usage_in_bytes.
 * Without permission nothing is fatal: the caller gets which limit is missing
 * and warns. Paths are kept in struct cgroup so another process (mqlb cluster
 * down) can remove the group from a state file.
 */
#ifndef MQLB_CGROUP_H
#define MQLB_CGROUP_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_NAME_MAX 64

enum cgroup_version {
	CGROUP_NONE = 0, /* nothing usable mounted */
	CGROUP_V1,
	CGROUP_V2,
	CGROUP_VERSION_COUNT
};

enum cgroup_ctrl {
	CGROUP_CPU = 0, /* v1: cpu (quota) ; v2: the one directory */
	CGROUP_CPUACCT, /* v1: cpuacct (usage); may be the same dir as cpu */
	CGROUP_MEMORY,	/* v1: memory */
	CGROUP_CTRL_COUNT
};

/* One group. dir[c] is "" where that controller is not available to us. */
struct cgroup {
	enum cgroup_version version;
	char dir[CGROUP_CTRL_COUNT][PATH_MAX];
};

/* Where cgroups live on this machine: the cgroupfs root (normally
 * /sys/fs/cgroup; tests pass a fake tree) is inspected for cgroup.controllers
 * (v2) or per-controller directories (v1). */
enum cgroup_version cgroup_detect(const char *root);
/* "none", "v1", "v2" (static strings), "?" out of range. */
const char *cgroup_version_name(enum cgroup_version v);

/* Builds the paths of group mqlb/<name> without touching the file system.
 * self_cg: this process's /proc/self/cgroup text (v1: each controller's path;
 * v2: the "0::" path; NULL = read it). Both nest under where we run.
 * Returns 0 or -EINVAL (bad name: empty, '/', "..", too long). */
int cgroup_paths(struct cgroup *cg, const char *root, enum cgroup_version v, const char *name,
		 const char *self_cg);
/* Finds controller ctrl ("memory", "cpu", "" for v2) in /proc/PID/cgroup text;
 * copies its path ("/a/b") into out. Returns 0 or -ENOENT. */
int cgroup_parse_self(const char *text, const char *ctrl, char *out, size_t len);

/* v2 only, once before cgroup_create: readies the subtree this process runs in
 * (root + the "0::" path of self_cg; NULL = read /proc/self/cgroup), which
 * must be delegated to us (systemd Delegate=, systemd-run --scope -p
 * Delegate=yes): refuses the real root cgroup; checks that its parent offers
 * cpu and memory; creates <base>/mqlb; enables +cpu +memory in <base> (moving
 * this process to the leaf <base>/mqlb-cli first when it is the only one
 * there: a cgroup with processes cannot hand controllers down) and in
 * <base>/mqlb. Nothing above <base> is ever written. Returns 0, or -errno with
 * why set to one line naming the missing controller or permission and the
 * command that fixes it. */
int cgroup_v2_prepare(const char *root, const char *self_cg, char *why, size_t len);

/* Creates the group directories (and mqlb/ parents). Returns 0 if at least one
 * controller directory exists afterwards, else -errno of the first failure. */
int cgroup_create(struct cgroup *cg);

/* Limits, as requested: cpus (0 = none) in CPUs (0.25 = a quarter of a core,
 * period 100 ms), mem_bytes (0 = none). Each returns 0 or -errno; not_limited
 * gets a human list of what could not be set ("cpu (EACCES), memory ..."), "" if all. */
int cgroup_set_limits(const struct cgroup *cg, double cpus, uint64_t mem_bytes, char *not_limited,
		      size_t len);
/* Formats the v2 cpu.max value ("25000 100000", or "max 100000" for cpus <= 0). */
void cgroup_cpu_max_str(double cpus, char *buf, size_t len);

/* Moves pid into every controller directory of cg. Returns 0 if it landed in
 * at least one, else -errno. */
int cgroup_attach(const struct cgroup *cg, pid_t pid);

/* Usage: cpu_ns total CPU time, mem_bytes current memory (each set to
 * UINT64_MAX when unreadable). Returns 0 when both were read, -errno otherwise. */
int cgroup_usage(const struct cgroup *cg, uint64_t *cpu_ns, uint64_t *mem_bytes);
/* Limits in force as read back: cpus (0 = unlimited, < 0 unknown), mem (0 = unlimited). */
int cgroup_read_limits(const struct cgroup *cg, double *cpus, uint64_t *mem_bytes);

/* Removes the group directories (processes must be gone), then the empty mqlb/
 * parents. Returns 0, or -errno of the first failure other than ENOENT. */
int cgroup_remove(const struct cgroup *cg);

/* Parsers, exposed for unit tests. */
int cgroup_parse_cpu_max(const char *text, double *cpus); /* "25000 100000" / "max 100000" */
int cgroup_parse_key_u64(const char *text, const char *key, uint64_t *out); /* cpu.stat */

#endif
