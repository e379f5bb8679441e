/* proc.c — /proc/PID/stat (see proc.h). */
#include "common/proc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/fdio.h"

int proc_stat_read(pid_t pid, struct proc_stat *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	ssize_t n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	const char *p = strrchr(buf, ')'); /* after "pid (comm)" */
	if (!p)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(p + 1,
		   " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
		   "%*d %llu",
		   &out->state, &out->utime, &out->stime, &out->start_time) != 4)
		return -EINVAL;
	return 0;
}

unsigned long long proc_start_time(pid_t pid)
{
	struct proc_stat ps;
	if (pid <= 0 || proc_stat_read(pid, &ps) != 0 || ps.state == 'Z' || ps.state == 'X')
		return 0;
	return ps.start_time;
}
