/* ha.c — the lab's HA topologies (ha, ha-clientid): both directors listen on
 * one VIP (LAB_HA_VIP on br-front) that keepalived, one per director
 * namespace, gives to director 1 (priority 150) and moves to director 2
 * (100) when director 1's host dies or its director stops answering.
 * keepalived.conf comes from `mqlb director ha render`; keepalived runs in the
 * foreground (-n) with its own pid files, started here and stopped with the
 * run. Its scripts run a copy of this binary in the run folder: a rebuild of
 * ./mqlb during a run must not fail them (a spurious FAULT would move the VIP).
 * With connection sync on (hasync.h), the same keepalived instance also moves
 * the back VIP, and conntrackd starts in each namespace before keepalived. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/hasync.h"
#include "lab/run.h"
#include "lab/spawn.h"

static int copy_self(const char *to)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	struct stat st;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0 || fstat(in, &st) < 0) {
		int e = -errno;
		close(in);
		if (out >= 0)
			close(out);
		return e;
	}
	off_t off = 0;
	while (off < st.st_size)
		if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
			break;
	close(in);
	close(out);
	return off == st.st_size ? 0 : -EIO;
}

/* ip -n NS addr show dev front has the VIP. */
static int holds_vip(const char *ns)
{
	char cmd[256], line[256];
	snprintf(cmd, sizeof(cmd), "ip -n %s -4 addr show dev front 2>/dev/null", ns);
	FILE *p = popen(cmd, "r");
	int found = 0;
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		found |= strstr(line, " " LAB_HA_VIP "/") != NULL;
	pclose(p);
	return found;
}

static int render(struct lab_ha *h, const struct lab_env *env, const char *rundir, int i,
		  const char *sock, const char *self)
{
	char vip[40], prio[8], log[1200];
	snprintf(vip, sizeof(vip), "%s/24", LAB_HA_VIP);
	snprintf(prio, sizeof(prio), "%d", i == 0 ? 150 : 100);
	snprintf(h->conf[i], sizeof(h->conf[i]), "%s/keepalived-d%d.conf", rundir, i + 1);
	snprintf(h->state[i], sizeof(h->state[i]), "%s/vrrp-d%d.state", rundir, i + 1);
	snprintf(log, sizeof(log), "%s/keepalived-d%d.log", rundir, i + 1);
	char *argv[40] = {LAB_SELF,
			  "director",
			  "ha",
			  "render",
			  "--vip",
			  vip,
			  "--interface",
			  "front",
			  "--router-id",
			  "51",
			  "--priority",
			  prio,
			  "--advert-int",
			  "0.5",
			  "--control",
			  (char *)sock,
			  "--state-file",
			  h->state[i],
			  "--netns",
			  (char *)env->director_ns[i],
			  "--mqlb",
			  (char *)self,
			  "--out",
			  h->conf[i],
			  NULL};       /* the rest NULL too: room for the sync flags */
	if (lab_ha_sync_active(env)) { /* the back VIP and conntrackd (hasync.h) */
		int n = 24;
		lab_ha_sync_render_args(env, i, argv, &n);
	}
	int ret = lab_run_cmd(NULL, argv, log, log, 20 * NS_PER_S);
	if (ret != 0)
		log_error("lab: director ha render failed (%d), see %s", ret, log);
	return ret == 0 ? 0 : -EIO;
}

int lab_ha_start(struct lab_ha *h, const struct lab_env *env, const char *rundir,
		 char socks[][1100], int n)
{
	char self[1200], log[1200];
	snprintf(self, sizeof(self), "%s/mqlb-ha", rundir);
	if (copy_self(self) < 0) {
		log_error("lab: cannot copy the mqlb binary to %s", self);
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		if (render(h, env, rundir, i, socks[i], self) < 0)
			return -EIO;
		if (lab_ha_sync_active(env) && lab_ha_sync_start(env, rundir, i) < 0)
			return -EIO;
		char pid[1200];
		snprintf(pid, sizeof(pid), "%s/keepalived-d%d.pid", rundir, i + 1);
		snprintf(h->vrrp_pid[i], sizeof(h->vrrp_pid[i]), "%s/keepalived-d%d.vrrp.pid",
			 rundir, i + 1);
		snprintf(log, sizeof(log), "%s/keepalived-d%d.log", rundir, i + 1);
		char *argv[] = {"keepalived", "-n", "-l", "-D", "-P",		"-f",
				h->conf[i],   "-p", pid,  "-r", h->vrrp_pid[i], NULL};
		pid_t p = lab_spawn(NULL, argv, log, log);
		if (p < 0) {
			log_error("lab: cannot start keepalived: %s", strerror((int)-p));
			return (int)p;
		}
		h->ka[i] = p;
	}
	/* the first election: 3 adverts + skew, about 2 s */
	for (int k = 0; k < 100 && !lab_stop; k++) {
		if (holds_vip(env->director_ns[0]))
			return 0;
		lab_sleep(100 * NS_PER_MS);
	}
	log_error("lab: director 1 did not take the VIP %s within 10 s, see %s", LAB_HA_VIP, log);
	return lab_stop ? -EINTR : -ETIMEDOUT;
}

void lab_ha_kill_vrrp(const char *vrrp_pid)
{
	char comm[64], path[64];
	int pid = 0;
	FILE *f = fopen(vrrp_pid, "r");
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = pid > 1 ? fopen(path, "r") : NULL;
	if (!f)
		return;
	if (fgets(comm, sizeof(comm), f) && strncmp(comm, "keepalived", 10) == 0)
		kill(pid, SIGKILL);
	fclose(f);
}

void lab_ha_stop(struct lab_ha *h, int n)
{
	for (int i = 0; i < n; i++)
		if (h->ka[i] > 0) {
			lab_kill(h->ka[i], SIGTERM, 5 * NS_PER_S);
			h->ka[i] = 0;
			lab_ha_kill_vrrp(h->vrrp_pid[i]); /* only when it outlived its parent */
		}
	lab_ha_sync_stop(); /* after keepalived: its backup hook may start conntrackd */
}
