/* monitor.h — `mqlb monitor`: sub-second time series of the brokers of a
 * cluster (CPU %, RSS, established connections by sock_diag, $SYS counters over
 * one long-lived subscription each) and of directors (their control socket's
 * status), to CSV files and optionally a Prometheus /metrics endpoint. */
#ifndef MQLB_MONITOR_H
#define MQLB_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/time.h"
#include "event/event.h"

/* Established TCP connections whose local port is one of ports[0..n), counted
 * through NETLINK_SOCK_DIAG (inet_diag, the kernel interface ss uses) in the
 * network namespace netns ("" / NULL = ours). family AF_INET or AF_INET6.
 * counts[i] gets the number for ports[i]. Returns 0 or -errno. */
struct monitor_diag {
	int fd;
	uint32_t seq;
};
/* Opens the sock_diag netlink socket in netns. 0 or -errno. */
int monitor_diag_open(struct monitor_diag *d, const char *netns);
/* Fills counts[0..n) as above (one dump per call). 0 or -errno. */
int monitor_diag_count(struct monitor_diag *d, int family, const uint16_t *ports, size_t n,
		       uint64_t *counts);
/* Closes the socket (d may be opened again). */
void monitor_diag_close(struct monitor_diag *d);
/* The dump request of monitor_diag_count alone: sends it for family and gives
 * its sequence number in *seq (the replies carry it). 0 or -errno. */
int monitor_diag_send(struct monitor_diag *d, int family, uint32_t *seq);
/* One buffer of replies to the dump seq (as one recv returns it), walked with
 * no syscall: counts[i] += the inet_diag_msg records whose local port is
 * ports[i]; messages of another seq are skipped. Reads only buf[0..len) (4-byte
 * aligned), whatever the lengths inside say. Returns 1 at NLMSG_DONE (the dump
 * is over; what follows is not read), 0 when more buffers are to come, the
 * kernel's -errno for NLMSG_ERROR (-EIO when it carries none), -EPROTO for a
 * message whose length is under a header or past the buffer. */
int monitor_diag_parse(const void *buf, size_t len, uint32_t seq, const uint16_t *ports, size_t n,
		       uint64_t *counts);

/* Process figures from /proc/<pid>: cpu_ns (utime+stime), rss_bytes.
 * Returns 0 or -errno (-ESRCH when gone). */
int monitor_proc_read(int pid, uint64_t *cpu_ns, uint64_t *rss_bytes);

/* One backend of a director, from its control socket's "status" JSON. */
struct monitor_backend {
	char address[64];
	int64_t weight, effective_weight, healthy, active, inactive, total, bytes_in, bytes_out;
};
#define MONITOR_MAX_BACKENDS 64
struct monitor_director {
	char dataplane[32], scheduler[32];
	int64_t conntrack;   /* "conntrack_count": entries in the director host's
			     * conntrack table; -1 when absent (unknown) */
	char vrrp_state[16]; /* "vrrp_state": MASTER, BACKUP, FAULT, STOP; "" when
			      * absent or not in an HA pair */
	unsigned n;
	struct monitor_backend b[MONITOR_MAX_BACKENDS];
};
/* Parses the JSON text of `mqlb director status --json`. Returns 0 or -EINVAL.
 * Missing numbers read as -1. Top-level keys are looked up outside the backends
 * array only (a backend's key never passes for the director's). */
int monitor_director_parse(const char *json, struct monitor_director *out);
/* Asks the director at control socket path, giving up after timeout_ns (a hung
 * director must not stall the sampling grid). Returns 0 or -errno (-ETIMEDOUT). */
int monitor_director_query(const char *path, uint64_t timeout_ns, struct monitor_director *out);

/* Prometheus text exposition (format 0.0.4) over a tiny HTTP/1.0 server on the
 * monitor's event loop: one request per connection, each with an absolute
 * deadline (MONITOR_PROM_DEADLINE_NS from accept to the last byte written;
 * cut there, however it drips), at most MONITOR_PROM_MAX_CONNS at once. */
#define MONITOR_PROM_MAX_CONNS	 8
#define MONITOR_PROM_DEADLINE_NS (2 * NS_PER_S)
struct monitor_prom;
struct monitor_prom_conn {
	int fd; /* -1 = free slot */
	struct monitor_prom *p;
	struct event_timer deadline;
	char req[2048];
	size_t got;
	char *out; /* the answer (a copy), NULL until the request line is in */
	size_t out_len, out_off;
};
struct monitor_prom {
	int fd;	    /* listening socket */
	char *body; /* the current exposition, rebuilt each sample; owned */
	size_t len;
	struct event_loop *el;
	uint64_t deadline_ns;
	unsigned n_conns;
	struct monitor_prom_conn conns[MONITOR_PROM_MAX_CONNS];
	uint64_t served, cut; /* answered in full; cut at the deadline */
};
/* What the request bytes read so far, req[0..got) in a buffer of cap bytes
 * (one kept for a NUL), ask for: _MORE until a '\n' is in or the buffer is
 * full (a request line longer than cap - 1 bytes is judged on its start), then
 * _METRICS for "GET /metrics " (or "?") or "GET / ", else _NOT_FOUND. Pure:
 * reads req[0..got) only, NUL bytes included. */
#define MONITOR_PROM_REQ_MORE	   0
#define MONITOR_PROM_REQ_METRICS   1
#define MONITOR_PROM_REQ_NOT_FOUND 2
/* Classifies the request (see above): one of MONITOR_PROM_REQ_*. */
int monitor_prom_request(const char *req, size_t got, size_t cap);
/* Binds and listens on spec (HOST:PORT, port not 0). 0, or -errno with err set. */
int monitor_prom_listen(struct monitor_prom *p, const char *addr, char *err, size_t errlen);
/* Serves on el from now on. 0 or -errno. */
int monitor_prom_attach(struct monitor_prom *p, struct event_loop *el);
/* Closes the listener and every open connection; frees the body. */
void monitor_prom_close(struct monitor_prom *p);

/* `mqlb monitor [options]`: samples until SIGINT/SIGTERM or --duration;
 * returns the exit status (CLI_OK, CLI_FAIL, CLI_USAGE). */
int cmd_monitor(int argc, char **argv);

#endif
