/* sigfd.c — see sigfd.h. */
#include "common/sigfd.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int sigfd_open(const int *sigs, size_t n)
{
	sigset_t mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < n; i++)
		sigaddset(&mask, sigs[i]);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -EINVAL;
	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd == -1 ? -errno : fd;
}

int sigfd_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t r = read(fd, &si, sizeof(si));
	if (r == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return r == -1 ? -errno : -EIO;
}
