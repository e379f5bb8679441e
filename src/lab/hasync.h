/* hasync.h — connection sync for the lab's HA nft pair (hasync.c): the
 * `nft-conntrackd` variant of `lab faults` director-failover. Both directors
 * SNAT to a back VIP (LAB_HA_BACK_VIP on their back links, moved by the same
 * keepalived instance as the front VIP), and conntrackd (FTFW over the back
 * link) keeps the active director's NAT entries in the standby's external
 * cache; keepalived's notify hook commits them when the standby becomes
 * master. The mode is a switch set around the runs that want it (the run's
 * options have no field for it: lab_opts belongs to run.h). */
#ifndef MQLB_LAB_HASYNC_H
#define MQLB_LAB_HASYNC_H

#include <sys/types.h>

#define LAB_HA_BACK_VIP "198.18.1.20"

struct lab_env;

enum lab_ha_sync_mode {
	LAB_HA_SYNC_OFF = 0,
	LAB_HA_SYNC_SNAT,     /* SNAT to the back VIP, no conntrackd: the control */
	LAB_HA_SYNC_CONNTRACK /* SNAT to the back VIP and conntrackd */
};
/* The mode of the HA runs that start from now on. */
void lab_ha_sync_set(enum lab_ha_sync_mode m);
/* The mode when it is not off and the hosts are namespaces with the nft
 * dataplane (the only place it runs), else LAB_HA_SYNC_OFF. */
int lab_ha_sync_active(const struct lab_env *env);
/* Appends to argv (at *n, room for 12 more) the `director ha render` flags of
 * director i: --back-vip, --back-interface back and, with conntrackd,
 * --conntrackd DIR and --sync-interface/-address/-peer (the other director's
 * back address). DIR is <state dir>/ct-d<i+1> (short: conntrackd's control
 * socket lives there). The strings live in static storage until the next
 * call for i. */
void lab_ha_sync_render_args(const struct lab_env *env, int i, char **argv, int *n);
/* Director i (started by run.c with `--snat LAB_HA_BACK_VIP`) has its table
 * listed into the run folder (snat-d<i+1>.log), then, with conntrackd,
 * conntrackd starts in its namespace (stale lock and socket removed) and
 * answers `-s`. Call after the director is up and before keepalived starts.
 * Returns 0 or < 0 (logged). */
int lab_ha_sync_start(const struct lab_env *env, const char *rundir, int i);
/* Host death of director i: its conntrackd SIGKILLed (no goodbye to the
 * peer), reaped. Returns the pid it killed, 0 when none runs. */
pid_t lab_ha_sync_kill(int i);
/* SIGTERM to every conntrackd started here (after keepalived stopped: its
 * backup hook may start one), then `conntrackd -k` for any such stray. */
void lab_ha_sync_stop(void);

#endif
