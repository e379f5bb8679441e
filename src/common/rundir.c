/* rundir.c — see rundir.h. */
#include "common/rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mkdirp.h"

int rundir_default(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (geteuid() == 0)
		n = snprintf(out, len, "/run/mqlb");
	else if (xdg && *xdg == '/')
		n = snprintf(out, len, "%s/mqlb", xdg);
	else
		n = snprintf(out, len, "/tmp/mqlb-%u", (unsigned)geteuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The shared-/tmp fallback, which must be closed to everyone else. */
static int is_tmp_fallback(const char *dir)
{
	char p[64];
	snprintf(p, sizeof(p), "/tmp/mqlb-%u", (unsigned)geteuid());
	return strcmp(dir, p) == 0;
}

/* Why an existing dir (lstat in sb) is not ours to use, or 0. */
static int vet(const char *dir, const struct stat *sb, char *why, size_t len)
{
	if (S_ISLNK(sb->st_mode)) {
		snprintf(why, len, "refusing run dir %s: it is a symlink (planted?); remove it",
			 dir);
		return -ELOOP;
	}
	if (!S_ISDIR(sb->st_mode)) {
		snprintf(why, len, "refusing run dir %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (sb->st_uid != geteuid()) {
		snprintf(why, len,
			 "refusing run dir %s: owned by uid %u, not you (uid %u); remove it or "
			 "pick another --run-dir",
			 dir, (unsigned)sb->st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	mode_t open_bits = is_tmp_fallback(dir) ? 077 : 022;
	if (sb->st_mode & open_bits) {
		snprintf(why, len,
			 "refusing run dir %s: mode %04o is open to %s; chmod 0700 %s (or remove "
			 "it)",
			 dir, (unsigned)(sb->st_mode & 07777),
			 open_bits == 077 ? "group or others" : "group or others for writing", dir);
		return -EPERM;
	}
	return 0;
}

int rundir_check(const char *dir, int create, char *why, size_t len)
{
	struct stat sb;
	if (len)
		why[0] = '\0';
	if (!dir || !*dir) {
		snprintf(why, len, "empty run dir");
		return -EINVAL;
	}
	if (lstat(dir, &sb) == 0)
		return vet(dir, &sb, why, len);
	if (errno != ENOENT || !create) {
		int e = errno;
		snprintf(why, len, "run dir %s: %s", dir, strerror(e));
		return -e;
	}
	int r = mkdir_parents(dir);
	/* no umask games: the mode is set explicitly after mkdir */
	mode_t mode = geteuid() == 0 ? 0755 : 0700;
	if (r == 0 && mkdir(dir, 0700) == -1 && errno != EEXIST)
		r = -errno;
	if (r == 0 && lstat(dir, &sb) == 0 && (r = vet(dir, &sb, why, len)) == 0 &&
	    chmod(dir, mode) == -1)
		r = -errno;
	if (r && !why[0])
		snprintf(why, len, "cannot create run dir %s: %s", dir, strerror(-r));
	return r;
}

int rundir_open(const char *dir, const char *name, int flags, mode_t mode, int keep)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	flags |= O_NOFOLLOW | O_CLOEXEC;
	if ((flags & O_CREAT) && !(flags & O_APPEND) && !keep) {
		if (unlink(p) == -1 && errno != ENOENT)
			return -errno;
		flags |= O_EXCL;
	}
	int fd = open(p, flags, mode);
	return fd == -1 ? -errno : fd;
}

FILE *rundir_fopen(const char *dir, const char *name, const char *mode)
{
	int w = mode[0] == 'w';
	int fd = rundir_open(dir, name, w ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY, 0644, 0);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	FILE *f = fdopen(fd, w ? "w" : "r");
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}
