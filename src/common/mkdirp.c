/* mkdirp.c — see mkdirp.h. */
#include "common/mkdirp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

static int make(const char *dir, mode_t mode)
{
	return mkdir(dir, mode) == -1 && errno != EEXIST ? -errno : 0;
}

/* Every directory above the last component of p (edited in place, restored). */
static int above(char *p)
{
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int r = make(p, 0755);
		*s = '/';
		if (r)
			return r;
	}
	return 0;
}

int mkdir_parents(const char *path)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	return above(p);
}

int mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	int r = above(p);
	return r ? r : make(p, mode);
}
