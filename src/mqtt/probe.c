/* probe.c — see probe.h. Packets are encoded and decoded with the
 * codec (mqtt.h); this file adds sockets, exact deadlines and the $SYS table:
 * the one part of src/mqtt that does I/O. */
#include "mqtt/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/fdio.h"
#include "common/log.h"
#include "common/netns.h"
#include "common/time.h"
#include "mqtt/mqtt.h"

static unsigned probe_counter;

/* The probes speak MQTT 3.1.1 as a client: decode what the broker sends. */
static const struct mqtt_decode_opts client_opts = {.version = MQTT_V311, .role = MQTT_ROLE_CLIENT};

static int codec_err(int r)
{
	return r == -MQTT_ERR_NOSPACE ? -ENOSPC : -EINVAL;
}

int mqtt_probe_build_connect(uint8_t *buf, size_t cap, const char *client_id, uint16_t keepalive_s)
{
	size_t idlen = strlen(client_id);
	if (idlen > MQTT_MAX_STRING)
		return -EINVAL;
	struct mqtt_connect c = {.version = MQTT_V311,
				 .clean_start = true,
				 .keep_alive = keepalive_s,
				 .client_id = {(const uint8_t *)client_id, (uint32_t)idlen}};
	int r = mqtt_encode_connect(&c, buf, cap);
	return r < 0 ? codec_err(r) : r;
}

#define MAX_FILTERS 64

int mqtt_probe_build_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
			       const char *const *filters, size_t n)
{
	struct mqtt_subscription subs[MAX_FILTERS];
	if (n == 0 || n > MAX_FILTERS || packet_id == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(filters[i]);
		if (l == 0 || l > MQTT_MAX_STRING)
			return -EINVAL;
		subs[i] = (struct mqtt_subscription){
		    .filter = {(const uint8_t *)filters[i], (uint32_t)l}, .opts = {.qos = 0}};
	}
	struct mqtt_subscribe sub = {.packet_id = packet_id, .count = (uint32_t)n, .subs = subs};
	int r = mqtt_encode_subscribe(&sub, MQTT_V311, buf, cap);
	return r < 0 ? codec_err(r) : r;
}

int mqtt_probe_frame(const uint8_t *buf, size_t len, uint8_t *type_flags, size_t *body_off,
		     size_t *body_len)
{
	struct mqtt_fixed fx;
	int r = mqtt_frame(buf, len, 0, &fx);
	if (r == MQTT_NEED_MORE)
		return 0;
	if (r < 0)
		return -EPROTO;
	*type_flags = (uint8_t)(fx.type << 4 | fx.flags);
	*body_off = fx.hdr_len;
	*body_len = fx.remaining;
	return r;
}

/* Non-blocking TCP connect with a deadline. Returns a connected non-blocking fd or -errno. */
static int connect_deadline(const struct sockaddr_storage *addr, const char *netns,
			    uint64_t deadline, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	addr_format(addr, a, sizeof(a));
	int fd =
	    netns_socket(netns, addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		errbuf_printf(err, errlen, "%s: socket%s%s: %s", a, netns ? " in netns " : "",
			      netns ? netns : "", strerror(-fd));
		return fd;
	}
	if (connect(fd, (const struct sockaddr *)addr, addr_len(addr)) == -1) {
		int e = errno;
		if (e != EINPROGRESS) {
			close(fd);
			errbuf_printf(err, errlen, "%s: connect: %s", a, strerror(e));
			return -e;
		}
		int r = fd_wait(fd, POLLOUT, deadline);
		if (r == 0) {
			socklen_t sl = sizeof(e);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
				e = errno;
			r = -e;
		}
		if (r) {
			close(fd);
			errbuf_printf(err, errlen, "%s: connect: %s", a,
				      r == -ETIMEDOUT ? "timed out" : strerror(-r));
			return r;
		}
	}
	return fd;
}

/* Reads into c->rx until one whole packet is there (or the deadline passes).
 * Returns the packet length, 0 never, or -errno / -EPROTO. */
static int read_packet(int fd, uint8_t *rx, size_t cap, size_t *rx_len, uint64_t deadline,
		       uint8_t *tf, size_t *boff, size_t *blen)
{
	for (;;) {
		int n = mqtt_probe_frame(rx, *rx_len, tf, boff, blen);
		if (n != 0)
			return n;
		if (*rx_len == cap)
			return -EMSGSIZE;
		ssize_t r = recv(fd, rx + *rx_len, cap - *rx_len, 0);
		if (r > 0) {
			*rx_len += (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int w = fd_wait(fd, POLLIN, deadline);
		if (w)
			return w;
	}
}

static void consume(uint8_t *rx, size_t *rx_len, size_t n)
{
	memmove(rx, rx + n, *rx_len - n);
	*rx_len -= n;
}

/* CONNECT -> CONNACK on a connected fd; pre (may be NULL) goes first, in the
 * same write. */
static int handshake(int fd, uint8_t *rx, size_t cap, size_t *rx_len, uint16_t keepalive_s,
		     const struct mqtt_probe_pre *pre, uint64_t deadline, const char *a, char *err,
		     size_t errlen)
{
	uint8_t buf[MQTT_PROBE_PRE_MAX + 128];
	size_t pl = pre ? pre->len : 0;
	char id[64];
	if (pl > MQTT_PROBE_PRE_MAX)
		return -EINVAL;
	if (pl)
		memcpy(buf, pre->bytes, pl);
	snprintf(id, sizeof(id), "mqlb-probe-%d-%s%u", (int)getpid(),
		 pre && pre->tag ? pre->tag : "",
		 __atomic_fetch_add(&probe_counter, 1, __ATOMIC_RELAXED));
	int len = mqtt_probe_build_connect(buf + pl, sizeof(buf) - pl, id, keepalive_s);
	int r = len < 0 ? len : send_all(fd, buf, pl + (size_t)len, deadline);
	if (r) {
		errbuf_printf(err, errlen, "%s: sending CONNECT: %s", a, strerror(-r));
		return r;
	}
	uint8_t tf;
	size_t boff, blen;
	int n = read_packet(fd, rx, cap, rx_len, deadline, &tf, &boff, &blen);
	if (n < 0) {
		errbuf_printf(err, errlen, "%s: waiting for CONNACK: %s", a,
			      n == -ETIMEDOUT	 ? "timed out"
			      : n == -ECONNRESET ? "connection closed by broker"
			      : n == -EPROTO	 ? "malformed reply"
			      : n == -EMSGSIZE	 ? "the reply is not MQTT"
						 : strerror(-n));
		return n;
	}
	struct mqtt_packet pkt;
	if ((tf >> 4) != MQTT_CONNACK) {
		errbuf_printf(err, errlen, "%s: expected CONNACK, got packet type %u", a, tf >> 4);
		return -EPROTO;
	}
	int d = mqtt_decode(rx, (size_t)n, &client_opts, &pkt);
	if (d <= 0) {
		errbuf_printf(err, errlen, "%s: malformed CONNACK: %s", a, mqtt_err_str(-d));
		return -EPROTO;
	}
	uint8_t rc = pkt.connack.reason;
	consume(rx, rx_len, (size_t)n);
	if (rc != 0) {
		static const char *const why[] = {"",
						  "unacceptable protocol version",
						  "identifier rejected",
						  "server unavailable",
						  "bad user name or password",
						  "not authorized"};
		errbuf_printf(err, errlen, "%s: CONNACK refused: %s (return code %u)", a,
			      rc < 6 ? why[rc] : "unknown", rc);
		return MQTT_PROBE_REFUSED + rc;
	}
	return 0;
}

/* mqtt_probe_connack_ns with pre (may be NULL) before the CONNECT. */
static int probe_connack(const struct sockaddr_storage *addr, const char *netns,
			 const struct mqtt_probe_pre *pre, uint64_t timeout_ns, char *err,
			 size_t errlen)
{
	uint64_t deadline = time_mono_ns() + timeout_ns;
	char a[ADDR_STRLEN];
	uint8_t rx[64];
	size_t rx_len = 0;
	addr_format(addr, a, sizeof(a));
	int fd = connect_deadline(addr, netns, deadline, err, errlen);
	if (fd < 0)
		return fd;
	int r = handshake(fd, rx, sizeof(rx), &rx_len, 10, pre, deadline, a, err, errlen);
	if (r == 0) {
		uint8_t disc[2];
		mqtt_encode_disconnect(0, MQTT_V311, disc, sizeof(disc));
		(void)send(fd, disc, sizeof(disc), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	close(fd);
	return r;
}

int mqtt_probe_connack_ns(const struct sockaddr_storage *addr, const char *netns,
			  uint64_t timeout_ns, char *err, size_t errlen)
{
	return probe_connack(addr, netns, NULL, timeout_ns, err, errlen);
}

int mqtt_probe_connack_pre(const struct sockaddr_storage *addr, const struct mqtt_probe_pre *pre,
			   uint64_t timeout_ns, char *err, size_t errlen)
{
	return probe_connack(addr, NULL, pre, timeout_ns, err, errlen);
}

int mqtt_probe_connack(const struct sockaddr_storage *addr, uint64_t timeout_ns, char *err,
		       size_t errlen)
{
	return mqtt_probe_connack_ns(addr, NULL, timeout_ns, err, errlen);
}

/* Records one decoded PUBLISH (§3.3): topic and payload are views into c->rx. */
static int take_publish(struct mqtt_probe_sys_conn *c, const struct mqtt_publish *pub)
{
	size_t tl = pub->topic.len;
	if (tl >= MQTT_PROBE_SYS_TOPIC_MAX)
		return 0; /* not one of ours; ignore */
	char topic[MQTT_PROBE_SYS_TOPIC_MAX];
	memcpy(topic, pub->topic.p, tl);
	topic[tl] = '\0';
	struct mqtt_probe_sys_value *v = NULL;
	for (unsigned i = 0; i < c->n_values; i++)
		if (strcmp(c->values[i].topic, topic) == 0)
			v = &c->values[i];
	if (!v) {
		if (c->n_values == MQTT_PROBE_SYS_MAX_VALUES)
			return 0;
		v = &c->values[c->n_values++];
		memcpy(v->topic, topic, tl + 1);
	}
	size_t pl = pub->payload.len;
	if (pl >= MQTT_PROBE_SYS_VALUE_MAX)
		pl = MQTT_PROBE_SYS_VALUE_MAX - 1;
	memcpy(v->value, pub->payload.p, pl);
	v->value[pl] = '\0';
	v->updated_ns = time_mono_ns();
	return 1;
}

int mqtt_probe_sys_open(struct mqtt_probe_sys_conn *c, const struct sockaddr_storage *addr,
			const char *netns, const char *const *filters, size_t n,
			uint64_t timeout_ns, char *err, size_t errlen)
{
	uint64_t deadline = time_mono_ns() + timeout_ns;
	char a[ADDR_STRLEN];
	uint8_t buf[4096];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	addr_format(addr, a, sizeof(a));
	int len = mqtt_probe_build_subscribe(buf, sizeof(buf), 1, filters, n);
	if (len < 0) {
		errbuf_printf(err, errlen, "%s: bad subscription list", a);
		return -EINVAL;
	}
	int fd = connect_deadline(addr, netns, deadline, err, errlen);
	if (fd < 0)
		return fd;
	c->keepalive_ns = 30 * NS_PER_S;
	int r = handshake(fd, c->rx, sizeof(c->rx), &c->rx_len, 30, NULL, deadline, a, err, errlen);
	if (r == 0)
		r = send_all(fd, buf, (size_t)len, deadline);
	/* Retained PUBLISHes may arrive before the SUBACK (Mosquitto sends SUBACK
	 * first, but nothing in §3.8.4 forbids either order): take them in. */
	while (r == 0) {
		uint8_t tf;
		size_t boff, blen;
		int p =
		    read_packet(fd, c->rx, sizeof(c->rx), &c->rx_len, deadline, &tf, &boff, &blen);
		if (p < 0) {
			r = p;
			errbuf_printf(err, errlen, "%s: waiting for SUBACK: %s", a,
				      p == -ETIMEDOUT ? "timed out" : strerror(-p));
			break;
		}
		struct mqtt_packet pkt;
		if (mqtt_decode(c->rx, (size_t)p, &client_opts, &pkt) <= 0) {
			errbuf_printf(err, errlen, "%s: malformed packet type %u", a, tf >> 4);
			r = -EPROTO;
			break;
		}
		if (pkt.type == MQTT_PUBLISH) {
			take_publish(c, &pkt.publish);
		} else if (pkt.type == MQTT_SUBACK) {
			/* 3.1.1 §3.9.3: 0x80 = failure, per filter in order */
			for (uint32_t i = 0; i < pkt.suback.reasons.len && i < n; i++)
				if (pkt.suback.reasons.p[i] & 0x80) {
					errbuf_printf(err, errlen, "%s: subscription %s refused", a,
						      filters[i]);
					r = -EACCES;
				}
			consume(c->rx, &c->rx_len, (size_t)p);
			break;
		}
		if (r == 0)
			consume(c->rx, &c->rx_len, (size_t)p);
	}
	if (r) {
		close(fd);
		return r;
	}
	c->fd = fd;
	c->last_tx_ns = time_mono_ns();
	return 0;
}

int mqtt_probe_sys_pump(struct mqtt_probe_sys_conn *c)
{
	int got = 0;
	if (c->fd < 0)
		return -EBADF;
	for (;;) {
		uint8_t tf;
		size_t boff, blen;
		int p = mqtt_probe_frame(c->rx, c->rx_len, &tf, &boff, &blen);
		if (p < 0)
			return p;
		if (p > 0) {
			struct mqtt_packet pkt;
			if (mqtt_decode(c->rx, (size_t)p, &client_opts, &pkt) <= 0)
				return -EPROTO;
			if (pkt.type == MQTT_PUBLISH)
				got += take_publish(c, &pkt.publish);
			consume(c->rx, &c->rx_len, (size_t)p);
			continue;
		}
		if (c->rx_len == sizeof(c->rx))
			return -EMSGSIZE;
		ssize_t r = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len, MSG_DONTWAIT);
		if (r > 0) {
			c->rx_len += (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return -errno;
	}
	uint64_t now = time_mono_ns();
	if (now - c->last_tx_ns > c->keepalive_ns / 2) {
		uint8_t ping[2];
		mqtt_encode_pingreq(ping, sizeof(ping));
		if (send(c->fd, ping, sizeof(ping), MSG_NOSIGNAL | MSG_DONTWAIT) == -1 &&
		    errno != EAGAIN)
			return -errno;
		c->last_tx_ns = now;
	}
	return got;
}

const struct mqtt_probe_sys_value *mqtt_probe_sys_get(const struct mqtt_probe_sys_conn *c,
						      const char *topic)
{
	for (unsigned i = 0; i < c->n_values; i++)
		if (strcmp(c->values[i].topic, topic) == 0)
			return &c->values[i];
	return NULL;
}

void mqtt_probe_sys_close(struct mqtt_probe_sys_conn *c)
{
	if (c->fd >= 0) {
		uint8_t disc[2];
		mqtt_encode_disconnect(0, MQTT_V311, disc, sizeof(disc));
		(void)send(c->fd, disc, sizeof(disc), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(c->fd);
	}
	c->fd = -1;
}

static int count_seen(const struct mqtt_probe_sys_conn *c, const char *const *topics, size_t n,
		      int *all_exact)
{
	int seen = 0;
	*all_exact = 1;
	for (size_t i = 0; i < n; i++) {
		if (strpbrk(topics[i], "+#"))
			*all_exact = 0;
		else if (mqtt_probe_sys_get(c, topics[i]))
			seen++;
		else
			*all_exact = 0;
	}
	return seen;
}

int mqtt_probe_sys_read(const struct sockaddr_storage *addr, const char *netns,
			const char *const *topics, size_t n, uint64_t window_ns,
			char (*values_out)[MQTT_PROBE_SYS_VALUE_MAX])
{
	struct mqtt_probe_sys_conn *c;
	uint64_t deadline = time_mono_ns() + window_ns;
	int all, r;
	for (size_t i = 0; i < n; i++)
		values_out[i][0] = '\0';
	/* struct mqtt_probe_sys_conn is ~13 KB: keep it off small thread stacks. */
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = mqtt_probe_sys_open(c, addr, netns, topics, n, window_ns, NULL, 0);
	if (r)
		goto out;
	while (count_seen(c, topics, n, &all) >= 0 && !all) {
		if (fd_wait(c->fd, POLLIN, deadline))
			break;
		if (mqtt_probe_sys_pump(c) < 0)
			break;
	}
	r = 0;
	for (size_t i = 0; i < n; i++) {
		const struct mqtt_probe_sys_value *v = mqtt_probe_sys_get(c, topics[i]);
		snprintf(values_out[i], MQTT_PROBE_SYS_VALUE_MAX, "%s", v ? v->value : "");
		r += v != NULL;
	}
	mqtt_probe_sys_close(c);
out:
	free(c);
	return r;
}
