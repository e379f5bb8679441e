/* monitor_prom.c — /metrics in the Prometheus text exposition format 0.0.4
 * over HTTP/1.0, one request per connection, answered from the last sample
 * (scrapes never trigger a measurement). Single-threaded: the monitor's poll
 * loop calls monitor_prom_serve() when the listening socket is readable. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "monitor/monitor.h"

int monitor_prom_listen(struct monitor_prom *p, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage a;
	p->fd = -1;
	p->body = NULL;
	p->len = 0;
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

static void send_all(int fd, const char *b, size_t len)
{
	while (len) {
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		ssize_t w = send(fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			b += w;
			len -= (size_t)w;
		} else if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (poll(&pf, 1, 500) <= 0)
				return; /* a stalled scraper does not stall the monitor long */
		} else {
			return;
		}
	}
}

void monitor_prom_serve(struct monitor_prom *p)
{
	for (;;) {
		int c = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c == -1)
			return;
		char req[2048];
		size_t got = 0;
		/* read the request line (bounded: 200 ms, 2 KiB) */
		while (got < sizeof(req) - 1 && !memchr(req, '\n', got)) {
			struct pollfd pf = {.fd = c, .events = POLLIN};
			if (poll(&pf, 1, 200) <= 0)
				break;
			ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		req[got] = '\0';
		char hdr[256];
		if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13) ||
		    !strncmp(req, "GET / ", 6)) {
			int n = snprintf(hdr, sizeof(hdr),
					 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
					 "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
					 "Connection: close\r\n\r\n",
					 p->len);
			send_all(c, hdr, (size_t)n);
			if (p->body)
				send_all(c, p->body, p->len);
		} else {
			static const char nf[] =
			    "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 17\r\nConnection: close\r\n\r\n"
			    "try GET /metrics\n";
			send_all(c, nf, sizeof(nf) - 1);
		}
		close(c);
	}
}

void monitor_prom_close(struct monitor_prom *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->body);
	p->body = NULL;
}
