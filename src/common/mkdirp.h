/* mkdirp.h — the one mkdir -p (issue 15: the run directory, cgroups, the
 * cluster's broker stores, the lab's output and the control socket's
 * directory each had their own). */
#ifndef MQLB_MKDIRP_H
#define MQLB_MKDIRP_H

#include <sys/types.h>

/* Creates path and every missing directory above it. The directories above
 * are made 0755, path itself mode (both less the umask); what exists already
 * is left as it is (its mode is not changed, and it is not checked to be a
 * directory: whoever opens something in it finds out). Returns 0, or
 * -ENAMETOOLONG (path of PATH_MAX or more), or the -errno of the first
 * mkdir(2) that failed otherwise than EEXIST. */
int mkdir_p(const char *path, mode_t mode);

/* The same for the directories above path's last component only (path itself
 * is not made, nor is anything for a path without '/'), all 0755: for a caller
 * that makes path its own way (O_EXCL, another mode) or for a file's
 * directory. Returns as mkdir_p. */
int mkdir_parents(const char *path);

#endif
