/* control.c — the director's control socket: a unix stream socket, one request
 * line per connection (protocol in director.h). Server side: create/replace the
 * socket file. Client side: send a line, copy the answer. */
#include "director/director.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/time.h"

static int fill_un(const char *path, struct sockaddr_un *un)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	memcpy(un->sun_path, path, strlen(path));
	return 0;
}

/* mkdir -p of path's directory, mode 0700 for what we create. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

int director_control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un un;
	int fd = -1, rc;
	if ((rc = fill_un(path, &un)) != 0) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return rc;
	}
	if ((rc = make_parent(path)) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(-rc));
		return rc;
	}
	/* A live instance answers a connect: refuse. A stale file does not: replace it. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0) {
		close(fd);
		snprintf(err, errlen,
			 "control socket %s is in use: a director is already running "
			 "there (pick another --name or --control)",
			 path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	mode_t old = umask(0077);
	rc = bind(fd, (struct sockaddr *)&un, sizeof(un));
	umask(old);
	if (rc == -1 || listen(fd, 64) == -1)
		goto fail;
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return rc;
}

int director_control_request_ns(const char *path, const char *line, FILE *out, uint64_t timeout_ns)
{
	struct sockaddr_un un;
	char buf[4096];
	int fd, rc = 0;
	size_t len = strlen(line);
	uint64_t deadline = time_mono_ns() + timeout_ns;
	if ((rc = fill_un(path, &un)) != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	/* A director that is stuck (or a backlog that is full) must not stall the
	 * caller: the monitor samples on a grid. SO_SNDTIMEO bounds connect() on a
	 * unix socket and the write; the reads below are bounded by the deadline. */
	struct timeval tv = {.tv_sec = (time_t)(timeout_ns / NS_PER_S),
			     .tv_usec = (suseconds_t)(timeout_ns % NS_PER_S / 1000)};
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == -1) {
		rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	if (write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	for (;;) {
		uint64_t now = time_mono_ns();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, (int)((deadline - now + NS_PER_MS - 1) / NS_PER_MS));
		if (n == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (r == 0)
			break;
		fwrite(buf, 1, (size_t)r, out);
	}
out:
	close(fd);
	return rc;
}

int director_control_request(const char *path, const char *line, FILE *out)
{
	return director_control_request_ns(path, line, out, DIRECTOR_CTL_TIMEOUT_NS);
}
