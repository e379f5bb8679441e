/* health_probe.c — one health probe of one backend (see health.h). A plain
 * backend gets the MQTT probe of mqtt/probe.h. A backend that is sent a PROXY
 * v2 header (--send-proxy-v2, or --backend ADDR,send-proxy-v2) refuses a
 * connection that does not start with one, so its probe starts with a v2 LOCAL
 * header (proxy-protocol.txt §2.2: "the connection was established on purpose
 * by the proxy without being relayed", the health check case) and then speaks
 * the same CONNECT -> CONNACK. */
#include "director/health.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/fdio.h"
#include "common/time.h"
#include "director/proxy.h"
#include "mqtt/probe.h"

static unsigned local_probes; /* client ids: unique within this process */

/* Non-blocking connect to addr, finished by the deadline. Returns the fd or -errno. */
static int dial(const struct sockaddr_storage *addr, uint64_t deadline)
{
	int e = 0, fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t sl = sizeof(e);
	if (fd == -1)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, addr_len(addr)) == -1 &&
	    errno != EINPROGRESS)
		e = errno;
	else if ((e = -fd_wait(fd, POLLOUT, deadline)) == 0 &&
		 getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		e = errno;
	if (e) {
		close(fd);
		return -e;
	}
	return fd;
}

/* Reads until rx holds one whole MQTT packet. Returns its length or -errno
 * (-ECONNRESET: closed, -EPROTO: not MQTT). */
static int read_reply(int fd, uint8_t *rx, size_t cap, uint64_t deadline, uint8_t *tf, size_t *boff,
		      size_t *blen)
{
	size_t len = 0;
	for (;;) {
		int n = mqtt_probe_frame(rx, len, tf, boff, blen);
		if (n != 0)
			return n;
		if (len == cap)
			return -EPROTO;
		ssize_t r = recv(fd, rx + len, cap - len, 0);
		if (r == 0)
			return -ECONNRESET;
		if (r > 0)
			len += (size_t)r;
		else if (errno != EAGAIN && errno != EINTR)
			return -errno;
		else if ((n = fd_wait(fd, POLLIN, deadline)) != 0)
			return n;
	}
}

/* The LOCAL header and a CONNECT in one write, then the CONNACK. */
static int probe_local(const struct sockaddr_storage *addr, uint64_t timeout_ns, char *err,
		       size_t errlen)
{
	uint64_t deadline = time_mono_ns() + timeout_ns;
	uint8_t out[PROXY_V2_HDR + 128], rx[64], tf;
	size_t boff, blen, hl = proxy_v2_build_local(out, sizeof(out));
	char a[ADDR_STRLEN], id[64];
	addr_format(addr, a, sizeof(a));
	snprintf(id, sizeof(id), "mqlb-probe-%d-v2-%u", (int)getpid(),
		 __atomic_fetch_add(&local_probes, 1, __ATOMIC_RELAXED));
	int cl = mqtt_probe_build_connect(out + hl, sizeof(out) - hl, id, 10);
	int fd = dial(addr, deadline);
	if (fd < 0) {
		snprintf(err, errlen, "%s: connect: %s", a,
			 fd == -ETIMEDOUT ? "timed out" : strerror(-fd));
		return fd;
	}
	int r = cl < 0 ? cl : send_all(fd, out, hl + (size_t)cl, deadline);
	if (r == 0)
		r = read_reply(fd, rx, sizeof(rx), deadline, &tf, &boff, &blen);
	if (r < 0) {
		snprintf(err, errlen, "%s: PROXY v2 LOCAL + CONNECT, no CONNACK: %s", a,
			 r == -ETIMEDOUT    ? "timed out"
			 : r == -ECONNRESET ? "connection closed (the header refused?)"
					    : strerror(-r));
	} else if (tf >> 4 != 2 || blen != 2) { /* CONNACK (MQTT 3.1.1 §3.2) */
		snprintf(err, errlen, "%s: expected CONNACK, got packet type %u", a, tf >> 4);
		r = -EPROTO;
	} else if (rx[boff + 1] != 0) {
		snprintf(err, errlen, "%s: CONNACK refused (return code %u)", a, rx[boff + 1]);
		r = MQTT_PROBE_REFUSED + rx[boff + 1];
	} else {
		static const uint8_t disconnect[2] = {0xe0, 0x00};
		(void)send(fd, disconnect, sizeof(disconnect), MSG_NOSIGNAL | MSG_DONTWAIT);
		r = 0;
	}
	close(fd);
	return r;
}

int director_health_probe(const struct sockaddr_storage *addr, int proxy_v2, uint64_t timeout_ns,
			  char *err, size_t errlen)
{
	if (proxy_v2)
		return probe_local(addr, timeout_ns, err, errlen);
	return mqtt_probe_connack(addr, timeout_ns, err, errlen);
}
