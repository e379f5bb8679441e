/* control.c — the director's control socket: a unix stream socket, one request
 * line per connection (protocol in director.h). Server side: create/replace the
 * socket file, then serve it on the controller's event loop (non-blocking
 * connections, an absolute deadline each, a cap on how many are open). Client
 * side: send a line, copy the answer. */
#include "director/director.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/mkdirp.h"
#include "common/rundir.h"
#include "common/time.h"
#include "event/event.h"

static int fill_un(const char *path, struct sockaddr_un *un)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	memcpy(un->sun_path, path, strlen(path));
	return 0;
}

/* The socket's directory: mqlb's run dir is vetted (owned by us, not open to
 * others: a planted /tmp/mqlb-<uid> must not catch our socket) and made as
 * rundir.h says; any other directory is made 0700 when missing. Returns 0 or
 * -errno with why set. */
static int make_parent(const char *path, char *why, size_t whylen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], run[sizeof(dir)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (rundir_default(run, sizeof(run)) == 0 && strcmp(dir, run) == 0)
		return rundir_check(dir, 1, why, whylen);
	int rc = mkdir_p(dir, 0700);
	if (rc != 0)
		snprintf(why, whylen, "cannot create the directory of %s: %s", path, strerror(-rc));
	return rc;
}

int director_control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un un;
	int fd = -1, rc;
	if ((rc = fill_un(path, &un)) != 0) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return rc;
	}
	if ((rc = make_parent(path, err, errlen)) != 0)
		return rc;
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

/* ---- server on an event loop ---- */

struct ctl_conn {
	struct director_control_server *s;
	int fd; /* -1 = free slot */
	char in[DIRECTOR_CTL_LINE_MAX];
	size_t in_len;
	char *reply; /* malloc'd answer being written */
	size_t reply_len, reply_off;
	struct event_timer deadline; /* absolute: accept + DIRECTOR_CTL_DEADLINE_NS */
};

struct director_control_server {
	struct event_loop *el;
	int listen_fd;
	director_control_fn fn;
	void *ctx;
	int accepting;		  /* the listen fd has EVENT_READ interest */
	struct event_timer retry; /* accept failed (EMFILE...): listen again later */
	unsigned open;
	struct director_control_stats stats;
	struct ctl_conn conn[DIRECTOR_CTL_MAX_CONNS];
};

int director_control_frame(const char *buf, size_t len)
{
	for (size_t i = 0; i < len && i < DIRECTOR_CTL_LINE_MAX; i++) {
		if (buf[i] == '\n')
			return (int)i;
		if (buf[i] == '\0')
			return -1;
	}
	return len >= DIRECTOR_CTL_LINE_MAX ? -1 : -2;
}

static void ctl_accepting(struct director_control_server *s, int on)
{
	if (s->accepting != on && event_set(s->el, s->listen_fd, on ? EVENT_READ : 0) == 0)
		s->accepting = on;
}

static void ctl_close(struct ctl_conn *c)
{
	struct director_control_server *s = c->s;
	event_timer_cancel(s->el, &c->deadline);
	event_del(s->el, c->fd);
	close(c->fd);
	c->fd = -1;
	free(c->reply);
	c->reply = NULL;
	s->open--;
	ctl_accepting(s, 1); /* a slot is free again */
}

/* Writes what the socket takes; closes when all is out or the client is gone. */
static void ctl_write(struct ctl_conn *c)
{
	while (c->reply_off < c->reply_len) {
		ssize_t w =
		    send(c->fd, c->reply + c->reply_off, c->reply_len - c->reply_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			event_set(c->s->el, c->fd, EVENT_WRITE);
			return;
		}
		if (w <= 0)
			break;
		c->reply_off += (size_t)w;
	}
	ctl_close(c);
}

/* The request line is complete (or broken: line NULL): build the answer. */
static void ctl_answer(struct ctl_conn *c, const char *line)
{
	static const char bad[] = "error: request must be one line ending in \\n\n";
	FILE *out = open_memstream(&c->reply, &c->reply_len);
	if (!out) {
		ctl_close(c);
		return;
	}
	if (line) {
		c->s->fn(c->s->ctx, line, out);
		c->s->stats.served++;
	} else {
		fputs(bad, out);
		c->s->stats.bad++;
	}
	fclose(out);
	c->reply_off = 0;
	ctl_write(c);
}

static void ctl_read(struct ctl_conn *c)
{
	for (;;) {
		ssize_t r = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return; /* more later, within the deadline */
		if (r <= 0) {
			ctl_answer(c, NULL); /* closed before a full line */
			return;
		}
		c->in_len += (size_t)r;
		int n = director_control_frame(c->in, c->in_len);
		if (n == -2)
			continue;
		if (n >= 0)
			c->in[n] = '\0';
		event_set(c->s->el, c->fd, 0); /* one request per connection */
		ctl_answer(c, n >= 0 ? c->in : NULL);
		return;
	}
}

static void ctl_on_conn(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct ctl_conn *c = ctx;
	if (c->reply)
		ctl_write(c);
	else
		ctl_read(c);
}

static void ctl_on_deadline(struct event_loop *el, void *ctx)
{
	struct ctl_conn *c = ctx;
	c->s->stats.timed_out++;
	ctl_close(c);
}

/* Takes one accepted fd into a free slot (the caller checked there is one). */
static void ctl_take(struct director_control_server *s, int fd)
{
	struct ctl_conn *c = NULL;
	for (unsigned k = 0; k < DIRECTOR_CTL_MAX_CONNS && !c; k++)
		if (s->conn[k].fd < 0)
			c = &s->conn[k];
	c->fd = fd;
	c->in_len = 0;
	c->reply = NULL;
	c->reply_len = c->reply_off = 0;
	if (event_add(s->el, fd, EVENT_READ, ctl_on_conn, c) != 0) {
		close(fd);
		c->fd = -1;
		return;
	}
	s->open++;
	s->stats.accepted++;
	event_timer_arm(s->el, &c->deadline, event_loop_now(s->el) + DIRECTOR_CTL_DEADLINE_NS);
}

static void ctl_on_listen(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct director_control_server *s = ctx;
	while (s->open < DIRECTOR_CTL_MAX_CONNS) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd == -1 && (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED))
			return;
		if (cfd == -1) { /* EMFILE and the like: the fd stays readable, do not spin */
			ctl_accepting(s, 0);
			event_timer_arm(el, &s->retry, event_loop_now(el) + 100 * NS_PER_MS);
			return;
		}
		ctl_take(s, cfd);
	}
	s->stats.full++;
	ctl_accepting(s, 0); /* at the cap: the rest wait in the backlog */
}

static void ctl_on_retry(struct event_loop *el, void *ctx)
{
	struct director_control_server *s = ctx;
	if (s->open < DIRECTOR_CTL_MAX_CONNS)
		ctl_accepting(s, 1);
}

int director_control_serve(struct director_control_server **out, struct event_loop *el,
			   int listen_fd, director_control_fn fn, void *ctx)
{
	struct director_control_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->el = el;
	s->listen_fd = listen_fd;
	s->fn = fn;
	s->ctx = ctx;
	event_timer_init(&s->retry, ctl_on_retry, s);
	for (unsigned k = 0; k < DIRECTOR_CTL_MAX_CONNS; k++) {
		s->conn[k].s = s;
		s->conn[k].fd = -1;
		event_timer_init(&s->conn[k].deadline, ctl_on_deadline, &s->conn[k]);
	}
	int rc = event_add(el, listen_fd, EVENT_READ, ctl_on_listen, s);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->accepting = 1;
	*out = s;
	return 0;
}

void director_control_server_free(struct director_control_server *s)
{
	if (!s)
		return;
	for (unsigned k = 0; k < DIRECTOR_CTL_MAX_CONNS; k++)
		if (s->conn[k].fd >= 0)
			ctl_close(&s->conn[k]);
	event_timer_cancel(s->el, &s->retry);
	event_del(s->el, s->listen_fd);
	free(s);
}

const struct director_control_stats *director_control_stats(const struct director_control_server *s)
{
	return &s->stats;
}
