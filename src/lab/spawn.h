/* spawn.h — the lab's child processes: other mqlb subcommands (run from
 * /proc/self/exe) and tools (ip, gnuplot), optionally inside a network
 * namespace. Every child is recorded so a failure or Ctrl-C can end them all,
 * by PID, in reverse start order. Children get their own process group so a
 * terminal's Ctrl-C reaches only the lab, which then tears down in order. */
#ifndef MQLB_LAB_SPAWN_H
#define MQLB_LAB_SPAWN_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define LAB_SELF "mqlb" /* argv[0] meaning "this binary" (/proc/self/exe) */

/* Set by SIGINT/SIGTERM (lab_signals_install); every wait loop checks it. */
extern volatile sig_atomic_t lab_stop;
void lab_signals_install(void);

/* Starts argv (NULL-terminated; argv[0] = LAB_SELF or a program found in PATH)
 * on host netns: NULL = here, an SSH host registered with lab_host_add (host.h:
 * a local ssh runs it there; its stdout and stderr come back into the local
 * files, lab_kill signals it on the host), else the network namespace of that
 * name. stdout to out_path and stderr to err_path
 * (NULL = /dev/null; the same path twice appends both). Returns the pid or
 * -errno. The child is recorded for lab_kill_all. */
pid_t lab_spawn(const char *netns, char *const argv[], const char *out_path, const char *err_path);
/* Waits for pid up to timeout_ns (0 = no limit), polling so lab_stop is seen.
 * Returns the exit code (0..255), 128+signal, -ETIMEDOUT or -EINTR (lab_stop)
 * with the child still running, or -errno. Reaped children are forgotten. */
int lab_wait(pid_t pid, uint64_t timeout_ns);
/* sig, then SIGKILL after grace_ns; reaps. Returns the exit status as lab_wait. */
int lab_kill(pid_t pid, int sig, uint64_t grace_ns);
/* Ends every recorded child (newest first). */
void lab_kill_all(void);
/* Runs argv to completion within timeout_ns: 0 when it exited 0, else the
 * lab_wait result or a positive exit code. Output as lab_spawn. */
int lab_run_cmd(const char *netns, char *const argv[], const char *out_path, const char *err_path,
		uint64_t timeout_ns);
/* lab_run_cmd that Ctrl-C does not cut short (timeout_ns > 0 still bounds
 * it): for teardown and for undoing faults, which must finish after Ctrl-C. */
int lab_run_cmd_always(const char *netns, char *const argv[], const char *out_path,
		       const char *err_path, uint64_t timeout_ns);
/* Sleeps up to ns, returning early (-EINTR) when lab_stop is set. */
int lab_sleep(uint64_t ns);

#endif
