/* preflight.c — every SSH host checked before the lab starts anything on any
 * of them (inventory.h): one probe per host over its master connection. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/inventory.h"
#include "lab/spawn.h"

/* What one probe found. */
struct probe {
	char version[128];
	int uid, have_mosquitto, have_nft, forward;
};

/* The last non-empty line of a log (ssh's reason), into buf. */
static void last_line(const char *path, char *buf, size_t len)
{
	char line[512];
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

static int probe_run(const struct lab_host *h, const char *log, struct probe *p)
{
	char text[1024] = "echo \"version $(", out[PATH_MAX];
	lab_sh_quote(text, sizeof(text), lab_ssh_mqlb());
	strncat(text,
		" --version 2>/dev/null | head -n 1)\"; echo \"uid $(id -u)\"; "
		"for p in mosquitto nft; do command -v $p >/dev/null 2>&1 && echo \"have $p\"; "
		"done; echo \"forward $(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)\"",
		sizeof(text) - strlen(text) - 1);
	char *const argv[] = {"sh", "-c", text, NULL};
	snprintf(out, sizeof(out), "%s.probe", log);
	unlink(out);
	memset(p, 0, sizeof(*p));
	p->uid = -1;
	int r = lab_run_cmd(h->name, argv, out, log, 30 * NS_PER_S);
	FILE *f = fopen(out, "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "version ", 8) == 0)
			snprintf(p->version, sizeof(p->version), "%s", line + 8);
		sscanf(line, "uid %d", &p->uid);
		sscanf(line, "forward %d", &p->forward);
		p->have_mosquitto |= strcmp(line, "have mosquitto") == 0;
		p->have_nft |= strcmp(line, "have nft") == 0;
	}
	if (f)
		fclose(f);
	unlink(out);
	return r;
}

/* Logs each problem of host h for its role; returns how many. */
static int judge(const struct lab_host *h, const struct probe *p, const char *dataplane)
{
	int n = 0, dir = strncmp(h->name, "dir", 3) == 0, brokers = !strcmp(h->name, "brokers");
	char want[160];
	snprintf(want, sizeof(want), "mqlb %s", MQLB_VERSION);
	if (strcmp(p->version, want) != 0) {
		if (p->version[0])
			log_error("lab: host %s (%s): %s is %s, not %s (install the same version)",
				  h->name, h->dest, lab_ssh_mqlb(), p->version, want);
		else
			log_error("lab: host %s (%s): %s --version gave nothing (not installed? "
				  "--remote-mqlb PATH); want %s",
				  h->name, h->dest, lab_ssh_mqlb(), want);
		n++;
	}
	if ((dir || brokers) && p->uid != 0) {
		log_error("lab: host %s (%s): logs in as uid %d; the %s need root (%s)", h->name,
			  h->dest, p->uid, dir ? "directors" : "brokers",
			  dir ? "kernel dataplane" : "cgroups for their CPU and memory limits");
		n++;
	}
	if (brokers && !p->have_mosquitto) {
		log_error("lab: host %s (%s): no mosquitto in PATH (apt install mosquitto)",
			  h->name, h->dest);
		n++;
	}
	int kernel = strcmp(dataplane, "proxy") != 0;
	if (dir && !strcmp(dataplane, "nft") && !p->have_nft) {
		log_error("lab: host %s (%s): no nft in PATH (apt install nftables)", h->name,
			  h->dest);
		n++;
	}
	if (dir && kernel && p->forward != 1) {
		log_error("lab: host %s (%s): net.ipv4.ip_forward is not 1; NAT directors forward "
			  "(sysctl -w net.ipv4.ip_forward=1; mqlb does not change sysctls)",
			  h->name, h->dest);
		n++;
	}
	return n;
}

int lab_inventory_preflight(const char *dataplane, const char *logdir)
{
	int problems = 0;
	for (int i = 0; lab_host_at(i); i++) {
		struct lab_host *h = lab_host_at(i);
		char log[PATH_MAX], why[512];
		snprintf(log, sizeof(log), "%s/hosts-%s.log", logdir, h->name);
		unlink(log);
		int r = lab_host_open(h, log);
		if (r != 0) {
			last_line(log, why, sizeof(why));
			log_error("lab: host %s (%s): unreachable over ssh%s%s", h->name, h->dest,
				  why[0] ? ": " : "", why);
			problems++;
			continue;
		}
		struct probe p;
		if ((r = probe_run(h, log, &p)) != 0) {
			last_line(log, why, sizeof(why));
			log_error("lab: host %s (%s): the probe failed (%d)%s%s", h->name, h->dest,
				  r, why[0] ? ": " : "", why);
			problems++;
			continue;
		}
		problems += judge(h, &p, dataplane);
	}
	if (!problems)
		return 0;
	log_error("lab: %d problem%s on the hosts; nothing started", problems,
		  problems == 1 ? "" : "s");
	lab_inventory_close();
	return -1;
}

void lab_inventory_close(void)
{
	for (int i = 0; lab_host_at(i); i++) {
		struct lab_host *h = lab_host_at(i);
		lab_host_close(h, strncmp(h->name, "dir", 3) == 0);
	}
}
