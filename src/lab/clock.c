/* clock.c — the SSH hosts' clocks against this one (inventory.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/inventory.h"
#include "lab/lab.h"
#include "lab/spawn.h"

#define CLOCK_SAMPLES 8

/* Reads one line from fd into buf within timeout_ns. Returns its length or -1. */
static int read_line(int fd, char *buf, size_t len, uint64_t timeout_ns)
{
	size_t at = 0;
	uint64_t end = time_mono_ns() + timeout_ns;
	while (at + 1 < len) {
		uint64_t now = time_mono_ns();
		if (now >= end)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)((end - now) / NS_PER_MS) + 1) <= 0)
			continue;
		ssize_t r = read(fd, buf + at, 1);
		if (r <= 0)
			return -1;
		if (buf[at] == '\n')
			break;
		at++;
	}
	buf[at] = '\0';
	return (int)at;
}

/* The remote answerer: bash's $EPOCHREALTIME (a builtin: no fork between the
 * read and the clock, which would sit on one side of the round trip), else
 * date(1) where bash is missing or older than 5. */
#define ANSWER                                                                                     \
	"if command -v bash >/dev/null 2>&1 && [ -n \"$(bash -c 'echo $EPOCHREALTIME')\" ]; "      \
	"then exec bash -c 'while read -r x; do t=${EPOCHREALTIME/[.,]/}; echo ${t}000; done'; "   \
	"else while read -r x; do date +%s%N; done; fi"

/* One ssh session that answers each line we send with its clock: the round
 * trips then measure the established channel only (a new ssh per sample would
 * put the session's start-up, which is all on one side, into the round trip). */
static int sample_session(const struct lab_host *h, int samples, struct lab_clock *c)
{
	struct lab_ssh_cmd cmd;
	int in[2], out[2];
	if (lab_ssh_build(&cmd, h, NULL, ANSWER, 0) < 0)
		return -E2BIG;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return -errno;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		execvp(cmd.argv[0], cmd.argv);
		_exit(127);
	}
	close(in[0]), close(out[1]);
	for (int i = 0; pid > 0 && i < samples + 1; i++) {
		char line[64];
		uint64_t t0 = time_real_ns();
		if (write(in[1], "x\n", 2) != 2 ||
		    read_line(out[0], line, sizeof(line), 10 * NS_PER_S) < 0)
			break;
		uint64_t t1 = time_real_ns(), rtt = t1 - t0;
		unsigned long long remote = strtoull(line, NULL, 10);
		/* the first answer also waits for the session to start: not a sample */
		if (i == 0 || remote == 0 || (c->samples++ && rtt >= c->rtt_ns))
			continue;
		/* the remote read happened somewhere in [t0, t1]: its middle is the
		 * estimate, half the round trip the bound */
		c->rtt_ns = rtt;
		c->bound_ns = rtt / 2;
		c->offset_ns = (int64_t)(remote - (t0 + rtt / 2));
	}
	close(in[1]); /* the remote loop ends at EOF, and ssh with it */
	close(out[0]);
	if (pid > 0) {
		int st;
		for (int k = 0; k < 100 && waitpid(pid, &st, WNOHANG) == 0; k++)
			time_sleep_ns(50 * NS_PER_MS);
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
	}
	return c->samples ? 0 : -EIO;
}

int lab_clock_measure(const char *host, int samples, struct lab_clock *c)
{
	const struct lab_host *h = lab_host_find(host);
	memset(c, 0, sizeof(*c));
	return h ? sample_session(h, samples, c) : -ENOENT;
}

int lab_clocks(const char *out, uint64_t max_ms, uint64_t *latency_err_ns)
{
	char path[PATH_MAX];
	struct lab_clock cl[2];
	snprintf(path, sizeof(path), "%s/clocks.csv", out);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "host,destination,offset_ms,bound_ms,rtt_ms,samples\n");
	for (int i = 0; lab_host_at(i); i++) {
		const struct lab_host *h = lab_host_at(i);
		struct lab_clock c;
		if (lab_clock_measure(h->name, CLOCK_SAMPLES, &c) < 0) {
			log_error("lab: host %s (%s): no clock sample answered", h->name, h->dest);
			fclose(f);
			return -EIO;
		}
		fprintf(f, "%s,%s,%.3f,%.3f,%.3f,%d\n", h->name, h->dest, c.offset_ns / 1e6,
			c.bound_ns / 1e6, c.rtt_ns / 1e6, c.samples);
		if (strncmp(h->name, "client", 6) == 0)
			cl[h->name[6] == '2'] = c;
	}
	fclose(f);
	int64_t d = cl[0].offset_ns - cl[1].offset_ns;
	*latency_err_ns = (uint64_t)(d < 0 ? -d : d) + cl[0].bound_ns + cl[1].bound_ns;
	if (max_ms && *latency_err_ns > max_ms * NS_PER_MS) {
		log_error("lab: the clocks of client1 and client2 differ by %.3f ms +- %.3f ms: "
			  "latency between them would be off by up to %.3f ms, more than "
			  "--max-clock-offset %" PRIu64 " ms (synchronise them: chrony/NTP)",
			  d / 1e6, (cl[0].bound_ns + cl[1].bound_ns) / 1e6, *latency_err_ns / 1e6,
			  max_ms);
		return -ERANGE;
	}
	return 0;
}

void lab_clocks_report(const char *out, uint64_t max_ms)
{
	lab_clocks_section(out, out, "report.md", max_ms);
}

void lab_clocks_section(const char *csv_dir, const char *md_dir, const char *md, uint64_t max_ms)
{
	char path[PATH_MAX], line[512];
	snprintf(path, sizeof(path), "%s/clocks.csv", csv_dir);
	FILE *in = fopen(path, "r");
	if (!in)
		return;
	snprintf(path, sizeof(path), "%s/%s", md_dir, md);
	FILE *f = fopen(path, "a");
	if (!f) {
		fclose(in);
		return;
	}
	fprintf(f, "\n## Clocks\n\n"
		   "Each host's clock against the controlling host (clocks.csv): the sample "
		   "with the smallest SSH round trip of several, offset = remote - "
		   "(t0 + t1) / 2, true offset within +- bound. Publishers and subscribers "
		   "sit on different client hosts, so a latency between them is off by up to "
		   "|offset(client1) - offset(client2)| + both bounds");
	if (max_ms)
		fprintf(f, "; the lab refuses to run past --max-clock-offset %" PRIu64 " ms",
			max_ms);
	fprintf(f, ".\n\n| host | destination | offset ms | bound ms | rtt ms |\n"
		   "|---|---|---|---|---|\n");
	int first = 1, n_cl = 0;
	double cl_o[2] = {0, 0}, cl_b[2] = {0, 0};
	while (fgets(line, sizeof(line), in)) {
		char host[64], dest[160];
		double o, b, r;
		if (first) {
			first = 0;
			continue;
		}
		if (sscanf(line, "%63[^,],%159[^,],%lf,%lf,%lf", host, dest, &o, &b, &r) != 5)
			continue;
		fprintf(f, "| %s | %s | %.3f | %.3f | %.3f |\n", host, dest, o, b, r);
		if (strncmp(host, "client", 6) == 0 && n_cl < 2) {
			cl_o[n_cl] = o;
			cl_b[n_cl++] = b;
		}
	}
	if (n_cl == 2) {
		double d = cl_o[0] - cl_o[1];
		fprintf(f,
			"\nThe latency percentiles of this report (p50, p99) are therefore "
			"+- %.3f ms.\n",
			(d < 0 ? -d : d) + cl_b[0] + cl_b[1]);
	}
	fclose(in);
	fclose(f);
}

void lab_clocks_rebuild(const char *csv_dir, const char *md_dir, const char *md,
			const char *lab_json)
{
	double max = 0;
	char *text = lab_json && *lab_json ? lab_read_file(lab_json, NULL) : NULL;
	if (text && lab_json_num(text, "max_clock_offset_ms", &max) < 0)
		max = 0;
	free(text);
	lab_clocks_section(csv_dir, md_dir, md, max > 0 ? (uint64_t)max : 0);
}
