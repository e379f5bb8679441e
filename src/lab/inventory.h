/* inventory.h — `mqlb lab run --inventory FILE`: the study's roles on SSH hosts.
 *
 * FILE is line based; '#' starts a comment, blank lines are skipped:
 *   brokers  DEST ADDRESS    exactly once: the host of the Mosquitto cluster
 *   director DEST ADDRESS    exactly twice: the directors (ADDRESS = the VIP
 *                            the clients connect to)
 *   client   DEST ADDRESS    exactly twice: the client hosts (ADDRESS = the
 *                            source address of their connections)
 *   ssh-config PATH          optional: `ssh -F PATH` for every host
 *   mqlb PATH                optional: the mqlb the hosts run (default: mqlb
 *                            in the remote PATH; --remote-mqlb overrides it)
 * DEST is an ssh destination ([user@]host, or a Host of the ssh config);
 * ADDRESS an IPv4 address the other parts reach that host by. The hosts are
 * registered (host.h) as brokers, dir1, dir2, client1, client2. */
#ifndef MQLB_LAB_INVENTORY_H
#define MQLB_LAB_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

struct lab_env;

/* Reads path and registers its hosts. remote_mqlb (NULL = the file's or
 * "mqlb") is what the hosts run. Returns 0, or -EINVAL / -errno with err set
 * to one line naming the file and the line ("inv.txt:3: unknown role 'x'"). */
int lab_inventory_load(const char *path, const char *remote_mqlb, char *err, size_t errlen);
/* Fills env's hosts and addresses from the registered hosts (hosts = SSH). */
void lab_inventory_env(struct lab_env *env);

/* Checks every host before anything starts (preflight.c): reachable (opens its
 * master connection and work dir), `mqlb --version` equal to ours, and what its
 * role needs (brokers: mosquitto, root; directors: root, nft for the nft
 * dataplane, ip_forward = 1 for NAT). Every problem is logged, named per host.
 * logdir: where ssh's messages go (hosts-<name>.log). Returns 0, or -1 after
 * closing every host again (nothing started). */
int lab_inventory_preflight(const char *dataplane, const char *logdir);
/* Ends every host: its work dir, the directors' nft tables, the master. */
void lab_inventory_close(void);

/* clock.c: one SSH host's clock against this one, as NTP does: over one ssh
 * session that answers each line sent with `date +%s%N`, `samples` round trips
 * (after one that waits for the session), the one with the smallest round trip
 * kept: offset = remote - (t0 + t1) / 2, bound = rtt / 2 (the true offset lies
 * within offset +- bound). Returns 0, -ENOENT (no such SSH host) or -EIO. */
struct lab_clock {
	int64_t offset_ns;
	uint64_t bound_ns, rtt_ns;
	int samples;
};
int lab_clock_measure(const char *host, int samples, struct lab_clock *c);
/* Measures every registered host, writes <out>/clocks.csv (host, destination,
 * offset_ms, bound_ms, rtt_ms) and returns in *latency_err_ns the error bound
 * of a latency measured between the client hosts (|o1 - o2| + b1 + b2).
 * Refuses (-ERANGE, logged with the hosts named) when that exceeds max_ms
 * (0 = no limit). Returns 0 or < 0. */
int lab_clocks(const char *out, uint64_t max_ms, uint64_t *latency_err_ns);
/* Appends the "Clocks" section to <out>/report.md from clocks.csv. */
void lab_clocks_report(const char *out, uint64_t max_ms);
/* The same section from <csv_dir>/clocks.csv appended to <md_dir>/<md>: a
 * search's or a faults folder's one clocks.csv under each report it writes. */
void lab_clocks_section(const char *csv_dir, const char *md_dir, const char *md, uint64_t max_ms);
/* lab_clocks_section for `lab report DIR`, the limit read from lab_json (a
 * run's lab.json: max_clock_offset_ms; NULL, "" or missing: not stated). A
 * no-op without <csv_dir>/clocks.csv (a run not over SSH). */
void lab_clocks_rebuild(const char *csv_dir, const char *md_dir, const char *md,
			const char *lab_json);

#endif
