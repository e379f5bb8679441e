/* hasync.c — conntrackd for the lab's HA nft pair (see hasync.h). */
#include "lab/hasync.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time.h"
#include "lab/run.h"
#include "lab/spawn.h"

static enum lab_ha_sync_mode mode;
static pid_t ct_pid[LAB_DIRECTOR_HOSTS];
static char ct_dir[LAB_DIRECTOR_HOSTS][900];

void lab_ha_sync_set(enum lab_ha_sync_mode m)
{
	mode = m;
}

int lab_ha_sync_active(const struct lab_env *env)
{
	int here = env->hosts == LAB_HOSTS_NETNS && strcmp(env->dataplane, "nft") == 0;
	return here ? (int)mode : LAB_HA_SYNC_OFF;
}

/* <state dir>/ct-d<i+1>: a sun_path holds 108 bytes, a run folder may not. */
static void dir_of(int i, char *buf, size_t len)
{
	char state[800];
	lab_state_dir(state, sizeof(state));
	snprintf(buf, len, "%s/ct-d%d", state, i + 1);
}

void lab_ha_sync_render_args(const struct lab_env *env, int i, char **argv, int *n)
{
	static char vip[LAB_DIRECTOR_HOSTS][40];
	snprintf(vip[i], sizeof(vip[i]), "%s/24", LAB_HA_BACK_VIP);
	char **a = argv + *n;
	*a++ = "--back-vip";
	*a++ = vip[i];
	*a++ = "--back-interface";
	*a++ = "back";
	*n += 4;
	if (mode != LAB_HA_SYNC_CONNTRACK)
		return;
	dir_of(i, ct_dir[i], sizeof(ct_dir[i]));
	mkdir(ct_dir[i], 0700); /* exists from an earlier run: fine */
	*a++ = "--conntrackd";
	*a++ = ct_dir[i];
	*a++ = "--sync-interface";
	*a++ = "back";
	*a++ = "--sync-address";
	*a++ = (char *)env->director_back[i];
	*a++ = "--sync-peer";
	*a++ = (char *)env->director_back[1 - i];
	*n += 8;
}

/* What director i's table holds in the kernel (the SNAT to the back VIP that
 * `director run --snat` wrote), kept as snat-d<i+1>.log in the run folder. */
static int snat_listing(const struct lab_env *env, const char *rundir, int i)
{
	char log[1200], t[32];
	snprintf(t, sizeof(t), "mqlb-lab-d%d", i + 1);
	snprintf(log, sizeof(log), "%s/snat-d%d.log", rundir, i + 1);
	char *list[] = {"nft", "list", "table", "ip", t, NULL};
	int ret = lab_run_cmd(env->director_ns[i], list, log, log, 10 * NS_PER_S);
	if (ret != 0)
		log_error("lab: cannot list director %d's table (%d), see %s", i + 1, ret, log);
	return ret == 0 ? 0 : -EIO;
}

int lab_ha_sync_start(const struct lab_env *env, const char *rundir, int i)
{
	char conf[1000], path[1000], log[1200];
	if (snat_listing(env, rundir, i) < 0)
		return -EIO;
	if (mode != LAB_HA_SYNC_CONNTRACK)
		return 0;
	snprintf(conf, sizeof(conf), "%s/conntrackd.conf", ct_dir[i]);
	snprintf(path, sizeof(path), "%s/conntrackd.lock", ct_dir[i]);
	unlink(path); /* a killed conntrackd leaves both behind; the next refuses to start */
	snprintf(path, sizeof(path), "%s/conntrackd.ctl", ct_dir[i]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/conntrackd.log", ct_dir[i]);
	unlink(path); /* this run's only (its console copy is in the run folder) */
	snprintf(log, sizeof(log), "%s/conntrackd-d%d.log", rundir, i + 1);
	char *argv[] = {"conntrackd", "-C", conf, NULL};
	pid_t p = lab_spawn(env->director_ns[i], argv, log, log);
	if (p < 0) {
		log_error("lab: cannot start conntrackd: %s", strerror((int)-p));
		return (int)p;
	}
	ct_pid[i] = p;
	char *stats[] = {"conntrackd", "-C", conf, "-s", NULL};
	for (int k = 0; k < 100 && !lab_stop; k++) {
		if (lab_run_cmd(NULL, stats, NULL, NULL, 5 * NS_PER_S) == 0)
			return 0;
		lab_sleep(50 * NS_PER_MS);
	}
	log_error("lab: conntrackd of director %d does not answer within 5 s, see %s and %s/"
		  "conntrackd.log",
		  i + 1, log, ct_dir[i]);
	return lab_stop ? -EINTR : -ETIMEDOUT;
}

pid_t lab_ha_sync_kill(int i)
{
	pid_t p = i >= 0 && i < LAB_DIRECTOR_HOSTS ? ct_pid[i] : 0;
	if (p > 0) {
		kill(p, SIGKILL);
		lab_wait(p, 5 * NS_PER_S);
		ct_pid[i] = 0;
	}
	return p;
}

void lab_ha_sync_stop(void)
{
	for (int i = 0; i < LAB_DIRECTOR_HOSTS; i++) {
		if (ct_pid[i] > 0)
			lab_kill(ct_pid[i], SIGTERM, 5 * NS_PER_S);
		ct_pid[i] = 0;
		if (!ct_dir[i][0])
			continue;
		char conf[1000];
		snprintf(conf, sizeof(conf), "%s/conntrackd.conf", ct_dir[i]);
		char *argv[] = {"conntrackd", "-C", conf, "-k", NULL};
		lab_run_cmd_always(NULL, argv, NULL, NULL, 5 * NS_PER_S); /* none: fails, fine */
		ct_dir[i][0] = '\0';
	}
}
