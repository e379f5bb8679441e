/* fdio.c — see fdio.h. */
#include "common/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/time.h"

int fd_wait(int fd, short events, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = time_mono_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		uint64_t left_ms = (deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, left_ms > 60000 ? 60000 : (int)left_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -errno;
		if (r > 0)
			return 0;
	}
}

int send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns)
{
	const char *b = buf;
	size_t off = 0;
	while (off < len) {
		ssize_t w = send(fd, b + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = fd_wait(fd, POLLOUT, deadline_ns);
			if (r)
				return r;
			continue;
		}
		return -errno;
	}
	return 0;
}

ssize_t read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}
