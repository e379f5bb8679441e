/* rundir.h — the one place that chooses and vets mqlb's run (state) directory,
 * where the cluster's state, configs, pid files, logs and the directors'
 * control sockets live.
 *
 * The default is /run/mqlb as root (euid 0), else $XDG_RUNTIME_DIR/mqlb, else
 * /tmp/mqlb-<euid> (sudo -u, cron, CI). /tmp is shared: another local user who
 * creates /tmp/mqlb-<uid> first could redirect the state, plant symlinks that
 * clobber our files, or swap a broker's config. So a run directory is used
 * only when it is a real directory (not a symlink), owned by us, and not
 * writable by group or others (the /tmp fallback: not open to them at all);
 * a new one is made 0700 (0755 as root, whose brokers drop to user mosquitto
 * and must reach their store). Files in it are opened O_NOFOLLOW, and O_EXCL
 * where they are new. */
#ifndef MQLB_RUNDIR_H
#define MQLB_RUNDIR_H

#include <stdio.h>
#include <sys/types.h>

/* Writes the default run directory into out (see above; decided by euid, the
 * same for everyone). Returns 0 or -ENAMETOOLONG. */
int rundir_default(char *out, size_t len);

/* Vets dir: lstat must show a directory owned by euid, without group/other
 * write (and without any group/other bit for the /tmp/mqlb-<euid> fallback).
 * create: make it (parents 0755, itself as above) when missing. Returns 0,
 * -ENOENT (missing, create = 0), or -errno with why set to one line that says
 * what is wrong and what to do ("refusing run dir X: owned by uid N, not you
 * (uid M); remove it or pick --run-dir"). */
int rundir_check(const char *dir, int create, char *why, size_t len);

/* Opens dir/name with O_NOFOLLOW | O_CLOEXEC added to flags; with O_CREAT the
 * file is first unlinked and created O_EXCL (a symlink or file planted in its
 * place is replaced, never followed), unless flags hold O_APPEND (a log shared
 * with a running broker) or keep = 1 (a lock file others hold open). Returns
 * an fd or -errno. */
int rundir_open(const char *dir, const char *name, int flags, mode_t mode, int keep);

/* fopen() over rundir_open: "r" reads, "w" makes a new file (as above).
 * NULL with errno set on failure. */
FILE *rundir_fopen(const char *dir, const char *name, const char *mode);

#endif
