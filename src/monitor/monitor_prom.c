/* monitor_prom.c — /metrics in the Prometheus text exposition format 0.0.4
 * over HTTP/1.0, one request per connection, answered from the last sample
 * (scrapes never trigger a measurement). Served on the monitor's event loop:
 * every connection is non-blocking with one absolute deadline for reading its
 * request and writing the answer, and at most MONITOR_PROM_MAX_CONNS are open
 * at once (beyond that new ones wait in the listen backlog). A client that
 * drips bytes (it used to restart a 200 ms receive timeout on every byte, on
 * the thread that samples) costs one slot until its deadline, nothing more.
 * The request is judged by a pure function (monitor_prom_request), fuzzed by
 * tests/fuzz/fuzz_metrics_request.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/time.h"
#include "monitor/monitor.h"

int monitor_prom_listen(struct monitor_prom *p, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage a;
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	for (size_t i = 0; i < MONITOR_PROM_MAX_CONNS; i++)
		p->conns[i].fd = -1;
	p->deadline_ns = MONITOR_PROM_DEADLINE_NS;
	if (addr_parse(spec, 0, &a) || addr_port(&a) == 0) { /* port 0 would be a random one */
		snprintf(err, errlen, "--prometheus %s: want HOST:PORT, e.g. 127.0.0.1:9464", spec);
		return -EINVAL;
	}
	int fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, addr_len(&a)) == -1 || listen(fd, 16) == -1) {
		int e = errno;
		snprintf(err, errlen, "--prometheus %s: %s%s", spec, strerror(e),
			 e == EADDRINUSE ? " (pick another port)" : "");
		close(fd);
		return -e;
	}
	p->fd = fd;
	return 0;
}

static void on_listen(struct event_loop *el, int fd, void *ctx, unsigned events);

static void conn_close(struct monitor_prom *p, struct monitor_prom_conn *c)
{
	if (c->fd < 0)
		return;
	event_del(p->el, c->fd);
	event_timer_cancel(p->el, &c->deadline);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	if (p->n_conns-- == MONITOR_PROM_MAX_CONNS) /* a slot is free: accept again */
		event_set(p->el, p->fd, EVENT_READ);
}

static void on_deadline(struct event_loop *el, void *ctx)
{
	struct monitor_prom_conn *c = ctx;
	(void)el;
	c->p->cut++;
	conn_close(c->p, c);
}

/* Nonzero when the request starts with prefix (got bytes of it are in). */
static int starts(const char *req, size_t got, const char *prefix)
{
	size_t n = strlen(prefix);
	return got >= n && memcmp(req, prefix, n) == 0;
}

int monitor_prom_request(const char *req, size_t got, size_t cap)
{
	/* the request line is all we read: wait for its end, or for a full buffer
	 * (whatever a client sends past cap - 1 bytes is never read) */
	if (!memchr(req, '\n', got) && got + 1 < cap)
		return MONITOR_PROM_REQ_MORE;
	if (starts(req, got, "GET /metrics ") || starts(req, got, "GET /metrics?") ||
	    starts(req, got, "GET / "))
		return MONITOR_PROM_REQ_METRICS;
	return MONITOR_PROM_REQ_NOT_FOUND;
}

/* The answer to verdict (monitor_prom_request), copied (the body changes
 * with the next sample while this client may still be reading). */
static int conn_answer(struct monitor_prom_conn *c, int verdict)
{
	static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
				 "Content-Length: 17\r\nConnection: close\r\n\r\n"
				 "try GET /metrics\n";
	const struct monitor_prom *p = c->p;
	char hdr[256];
	if (verdict != MONITOR_PROM_REQ_METRICS) {
		c->out = strdup(nf);
		c->out_len = sizeof(nf) - 1;
		return c->out ? 0 : -ENOMEM;
	}
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
			 "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 p->len);
	c->out = malloc((size_t)n + p->len);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, hdr, (size_t)n);
	if (p->len)
		memcpy(c->out + n, p->body, p->len);
	c->out_len = (size_t)n + p->len;
	return 0;
}

/* Writes what the socket takes; closes when all is out or the peer is gone. */
static void conn_write(struct monitor_prom_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w == -1 && (errno == EAGAIN || errno == EINTR))
			return; /* EVENT_WRITE brings us back, the deadline bounds it */
		break;
	}
	c->p->served += c->out_off == c->out_len;
	conn_close(c->p, c);
}

static void on_conn(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct monitor_prom_conn *c = ctx;
	(void)fd;
	if (c->out) {
		conn_write(c);
		return;
	}
	if (!(events & EVENT_READ))
		return;
	ssize_t r = recv(c->fd, c->req + c->got, sizeof(c->req) - 1 - c->got, MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c->p, c);
		return;
	}
	c->got += (size_t)r;
	c->req[c->got] = '\0';
	int verdict = monitor_prom_request(c->req, c->got, sizeof(c->req));
	if (verdict == MONITOR_PROM_REQ_MORE)
		return;
	if (conn_answer(c, verdict)) {
		conn_close(c->p, c);
		return;
	}
	event_set(el, c->fd, EVENT_WRITE);
	conn_write(c);
}

static void on_listen(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct monitor_prom *p = ctx;
	(void)events;
	while (p->n_conns < MONITOR_PROM_MAX_CONNS) {
		int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (s == -1)
			return;
		struct monitor_prom_conn *c = NULL;
		for (size_t i = 0; i < MONITOR_PROM_MAX_CONNS && !c; i++)
			if (p->conns[i].fd < 0)
				c = &p->conns[i];
		memset(c, 0, sizeof(*c));
		c->fd = s;
		c->p = p;
		event_timer_init(&c->deadline, on_deadline, c);
		if (event_add(el, s, EVENT_READ, on_conn, c) != 0 ||
		    event_timer_arm(el, &c->deadline, time_mono_ns() + p->deadline_ns) != 0) {
			event_del(el, s);
			close(s);
			c->fd = -1;
			continue;
		}
		p->n_conns++;
	}
	event_set(el, fd, EVENT_NONE); /* full: new ones wait in the backlog */
}

int monitor_prom_attach(struct monitor_prom *p, struct event_loop *el)
{
	p->el = el;
	return event_add(el, p->fd, EVENT_READ, on_listen, p);
}

void monitor_prom_close(struct monitor_prom *p)
{
	for (size_t i = 0; p->el && i < MONITOR_PROM_MAX_CONNS; i++)
		conn_close(p, &p->conns[i]);
	if (p->fd >= 0) {
		if (p->el)
			event_del(p->el, p->fd);
		close(p->fd);
	}
	p->fd = -1;
	free(p->body);
	p->body = NULL;
}
