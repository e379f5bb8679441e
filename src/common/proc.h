/* proc.h — what /proc/PID/stat says of a process: its state letter, CPU times
 * and start time. One parser for the cluster (is a broker alive, stopped,
 * dead), the monitor (a broker's CPU) and the directors (is the owner of a
 * stale nft table or IPVS service still running). PID 1 here may never reap
 * an orphan, so "gone" includes a zombie: liveness is read from the state,
 * never from kill(pid, 0). */
#ifndef MQLB_PROC_H
#define MQLB_PROC_H

#include <sys/types.h>

struct proc_stat {
	char state;		       /* R, S, D, T, t, Z, X, ... */
	unsigned long long utime;      /* clock ticks in user mode (field 14) */
	unsigned long long stime;      /* in kernel mode (field 15) */
	unsigned long long start_time; /* ticks after boot it started (field 22) */
};

/* Reads /proc/<pid>/stat into *out. The command name may hold spaces and ')':
 * the fields are read after the last ')'. Returns 0 (a zombie too: look at
 * state), -ESRCH when there is no such process, -EINVAL for a line that does
 * not parse, or the -errno of the read. */
int proc_stat_read(pid_t pid, struct proc_stat *out);

/* pid's start time when it runs (not a zombie, not dead), else 0: with the pid
 * it names one process for good, as a pid alone does not once it is reused. */
unsigned long long proc_start_time(pid_t pid);

#endif
