#include "common/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_netns(const char *name)
{
	char path[PATH_MAX];
	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd == -1 ? -errno : fd;
}

int netns_enter(const char *name)
{
	int fd = open_netns(name);
	if (fd < 0)
		return fd;
	int ret = setns(fd, CLONE_NEWNET) == -1 ? -errno : 0;
	close(fd);
	return ret;
}

int netns_socket(const char *name, int domain, int type, int proto)
{
	if (!name || !*name) {
		int fd = socket(domain, type, proto);
		return fd == -1 ? -errno : fd;
	}
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self == -1)
		return -errno;
	int ret = netns_enter(name);
	if (ret == 0) {
		ret = socket(domain, type, proto);
		if (ret == -1)
			ret = -errno;
		/* Back home; if this fails the thread is stranded: say so loudly. */
		if (setns(self, CLONE_NEWNET) == -1) {
			int e = -errno;
			if (ret >= 0)
				close(ret);
			ret = e;
		}
	}
	close(self);
	return ret;
}
