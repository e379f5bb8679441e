/* ipvs_owner.c — the owner record of an IPVS service (see ipvs_owner.h). */
#include "director/ipvs_owner.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/proc.h"

/* "<control>.ipvs" into buf; 0 or -ENAMETOOLONG. */
static int owner_path(const char *control_path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.ipvs", control_path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ipvs_owner_write(const char *control_path, const struct sockaddr_storage *svc)
{
	char path[160], tmp[170], a[ADDR_STRLEN];
	if (owner_path(control_path, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "owner %ld %llu %s\n", (long)getpid(), proc_start_time(getpid()),
		addr_format(svc, a, sizeof(a)));
	if (fclose(f) != 0 || rename(tmp, path) != 0) { /* whole or not at all */
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

void ipvs_owner_remove(const char *control_path)
{
	char path[160];
	if (owner_path(control_path, path, sizeof(path)) == 0)
		unlink(path);
}

int ipvs_owner_stale(const char *control_path, const struct sockaddr_storage *svc, long *pid)
{
	char path[160], addr[ADDR_STRLEN + 1], a[ADDR_STRLEN];
	unsigned long long start;
	*pid = 0;
	if (owner_path(control_path, path, sizeof(path)) < 0)
		return 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int n = fscanf(f, "owner %ld %llu %64s", pid, &start, addr);
	fclose(f);
	if (n != 3 || *pid <= 0 || strcmp(addr, addr_format(svc, a, sizeof(a))) != 0) {
		*pid = n == 3 ? *pid : 0;
		return 0; /* not a record of this service */
	}
	return proc_start_time((pid_t)*pid) != start;
}
