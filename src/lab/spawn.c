/* spawn.c — child processes of the lab (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/netns.h"
#include "common/time.h"
#include "lab/host.h"
#include "lab/spawn.h"

#define LAB_MAX_CHILDREN 64

volatile sig_atomic_t lab_stop;
static pid_t children[LAB_MAX_CHILDREN];
/* a child that is a local ssh running a step on an SSH host: the host and the
 * step's pid record there (host.h), so the step is ended on the host */
static struct lab_host *remote_host[LAB_MAX_CHILDREN];
static unsigned remote_seq[LAB_MAX_CHILDREN];
static unsigned n_children, next_seq;

static void on_signal(int sig)
{
	(void)sig;
	lab_stop = 1;
}

void lab_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void forget(pid_t pid)
{
	for (unsigned i = 0; i < n_children; i++)
		if (children[i] == pid) {
			n_children--;
			children[i] = children[n_children];
			remote_host[i] = remote_host[n_children];
			remote_seq[i] = remote_seq[n_children];
			return;
		}
}

static int open_out(const char *path)
{
	return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static pid_t spawn_local(const char *netns, char *const argv[], const char *out_path,
			 const char *err_path)
{
	if (n_children == LAB_MAX_CHILDREN)
		return -EMFILE;
	int out = open_out(out_path);
	if (out == -1)
		return -errno;
	int err = open_out(err_path);
	if (err == -1) {
		int e = -errno;
		close(out);
		return e;
	}
	pid_t pid = fork();
	if (pid == -1) {
		int e = -errno;
		close(out);
		close(err);
		return e;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here (the parent may have threads). */
		setpgid(0, 0);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		int in = open("/dev/null", O_RDONLY);
		if (in != -1)
			dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (netns && netns_enter(netns) < 0)
			_exit(126);
		if (strcmp(argv[0], LAB_SELF) == 0)
			execv("/proc/self/exe", argv);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	close(out);
	close(err);
	remote_host[n_children] = NULL;
	remote_seq[n_children] = 0;
	children[n_children++] = pid;
	return pid;
}

pid_t lab_spawn(const char *netns, char *const argv[], const char *out_path, const char *err_path)
{
	struct lab_host *h = lab_host_find(netns);
	if (!h)
		return spawn_local(netns, argv, out_path, err_path);
	struct lab_ssh_cmd c;
	unsigned seq = ++next_seq;
	if (lab_ssh_build(&c, h, argv, NULL, seq) < 0)
		return -E2BIG;
	pid_t pid = spawn_local(NULL, c.argv, out_path, err_path);
	if (pid > 0) {
		remote_host[n_children - 1] = h;
		remote_seq[n_children - 1] = seq;
	}
	return pid;
}

/* The remote step behind child pid, or NULL (a local child). */
static struct lab_host *remote_of(pid_t pid, unsigned *seq)
{
	for (unsigned i = 0; i < n_children; i++)
		if (children[i] == pid) {
			*seq = remote_seq[i];
			return remote_host[i];
		}
	return NULL;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* Polls pid every 20 ms: its status code (>= 0) once it exits, -errno when
 * waitpid fails (it is forgotten either way), -ETIMEDOUT at end (0: none),
 * -EINTR on Ctrl-C when interruptible. */
static int reap_by(pid_t pid, uint64_t end, bool interruptible)
{
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			forget(pid);
			return status_code(st);
		}
		if (r == -1 && errno != EINTR) {
			int e = -errno;
			forget(pid);
			return e;
		}
		if (interruptible && lab_stop)
			return -EINTR;
		if (end && time_mono_ns() >= end)
			return -ETIMEDOUT;
		time_sleep_ns(20 * NS_PER_MS);
	}
}

int lab_wait(pid_t pid, uint64_t timeout_ns)
{
	return reap_by(pid, timeout_ns ? time_mono_ns() + timeout_ns : 0, true);
}

int lab_kill(pid_t pid, int sig, uint64_t grace_ns)
{
	if (pid <= 0)
		return -EINVAL;
	unsigned seq = 0;
	struct lab_host *h = remote_of(pid, &seq);
	/* a remote step: signal its process group on the host; its ssh ends with it */
	if (h)
		lab_host_signal(h, seq, sig);
	else
		kill(pid, sig);
	int ret = reap_by(pid, time_mono_ns() + grace_ns, false);
	if (h && ret == 255) /* ssh's code for "the remote command died of a signal" */
		return 128 + sig;
	if (ret != -ETIMEDOUT)
		return ret;
	log_warn("child %d did not stop after signal %d; killing it", (int)pid, sig);
	if (h)
		lab_host_signal(h, seq, SIGKILL);
	kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	forget(pid);
	return 128 + SIGKILL;
}

void lab_kill_all(void)
{
	while (n_children > 0)
		lab_kill(children[n_children - 1], SIGTERM, 5 * NS_PER_S);
}

int lab_run_cmd(const char *netns, char *const argv[], const char *out_path, const char *err_path,
		uint64_t timeout_ns)
{
	pid_t pid = lab_spawn(netns, argv, out_path, err_path);
	if (pid < 0)
		return pid;
	int ret = lab_wait(pid, timeout_ns);
	if (ret < 0 && ret != -ECHILD)
		lab_kill(pid, SIGTERM, 3 * NS_PER_S);
	return ret;
}

int lab_run_cmd_always(const char *netns, char *const argv[], const char *out_path,
		       const char *err_path, uint64_t timeout_ns)
{
	pid_t pid = lab_spawn(netns, argv, out_path, err_path);
	if (pid < 0)
		return pid;
	int ret = reap_by(pid, time_mono_ns() + timeout_ns, false);
	if (ret < 0 && ret != -ECHILD)
		lab_kill(pid, SIGTERM, 3 * NS_PER_S);
	return ret;
}

int lab_sleep(uint64_t ns)
{
	uint64_t end = time_mono_ns() + ns;
	while (!lab_stop) {
		uint64_t now = time_mono_ns();
		if (now >= end)
			return 0;
		uint64_t step = end - now < 50 * NS_PER_MS ? end - now : 50 * NS_PER_MS;
		time_sleep_ns(step);
	}
	return -EINTR;
}
