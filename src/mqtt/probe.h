/* probe.h — small blocking-with-deadline MQTT 3.1.1 clients for health
 * checks and instruments: "does this broker answer CONNECT with an accepted
 * CONNACK?" and "what are the latest values of these $SYS topics?".
 *
 * Used by the director's health checker, `mqlb cluster up` readiness, `mqlb
 * monitor` (one long-lived $SYS subscription per broker) and the lab. Every
 * call has an exact deadline (non-blocking connect + poll); nothing is bound
 * to a fixed local address. Sockets can be opened inside a named network
 * namespace (/run/netns/NAME) for brokers that live there.
 *
 * MQTT 3.1.1 §3.1 CONNECT, §3.2 CONNACK, §3.8 SUBSCRIBE, §3.9 SUBACK, §3.3 PUBLISH,
 * §3.12 PINGREQ. $SYS values are retained by Mosquitto, so a fresh subscription
 * gets the latest value at once; with `sys_interval 1` they are at most ~1 s old.
 */
#ifndef MQLB_MQTT_PROBE_H
#define MQLB_MQTT_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* mqtt_probe_connack() returns this (positive) plus the CONNACK return code
 * (MQTT 3.1.1 §3.2.2.3: 1 bad protocol, 2 id rejected, 3 unavailable,
 * 4 bad user/password, 5 not authorized) when the broker refused the session. */
#define MQTT_PROBE_REFUSED 1000

#define MQTT_PROBE_SYS_TOPIC_MAX  128
#define MQTT_PROBE_SYS_VALUE_MAX  64
#define MQTT_PROBE_SYS_MAX_VALUES 64

/* TCP connect to addr, send CONNECT (clean session, keepalive 10 s, a unique
 * client id "mqlb-probe-<pid>-<n>"), wait for CONNACK, send DISCONNECT.
 * netns: NULL, or the name of a namespace in /run/netns to connect from.
 * Returns 0 when the CONNACK accepted the session; -ETIMEDOUT when the deadline
 * passed (connect or CONNACK); -ECONNREFUSED and other -errno from the socket;
 * -EPROTO when the reply is not a CONNACK; MQTT_PROBE_REFUSED + rc (1..255)
 * when the broker refused. On failure err (may be NULL) gets one line saying why. */
int mqtt_probe_connack(const struct sockaddr_storage *addr, uint64_t timeout_ns, char *err,
		       size_t errlen);
/* The same from inside network namespace netns (NULL: ours). */
int mqtt_probe_connack_ns(const struct sockaddr_storage *addr, const char *netns,
			  uint64_t timeout_ns, char *err, size_t errlen);

/* What a probe sends before its CONNECT, in the same write: e.g. the PROXY v2
 * LOCAL header a backend behind send-proxy-v2 requires (the director's health
 * checks). tag (may be NULL) goes into the client id, "mqlb-probe-<pid>-<tag><n>",
 * so that a broker's log tells these probes apart. */
#define MQTT_PROBE_PRE_MAX 64
struct mqtt_probe_pre {
	const uint8_t *bytes;
	size_t len; /* at most MQTT_PROBE_PRE_MAX (more: -EINVAL) */
	const char *tag;
};
/* mqtt_probe_connack() with pre (may be NULL) before the CONNECT; the same
 * returns. */
int mqtt_probe_connack_pre(const struct sockaddr_storage *addr, const struct mqtt_probe_pre *pre,
			   uint64_t timeout_ns, char *err, size_t errlen);

/* One value as last published on a topic (borrowed from struct mqtt_probe_sys_conn). */
struct mqtt_probe_sys_value {
	char topic[MQTT_PROBE_SYS_TOPIC_MAX];
	char value[MQTT_PROBE_SYS_VALUE_MAX]; /* payload, truncated, NUL-terminated */
	uint64_t updated_ns;		      /* time_mono_ns() of the last PUBLISH */
};

/* A long-lived subscription to $SYS (or any) topic filters. The caller owns the
 * struct; mqtt_probe_sys_close() releases the socket. */
struct mqtt_probe_sys_conn {
	int fd;
	uint8_t rx[8192];
	size_t rx_len;
	uint64_t last_tx_ns;
	uint64_t keepalive_ns;
	unsigned n_values;
	struct mqtt_probe_sys_value values[MQTT_PROBE_SYS_MAX_VALUES];
};

/* Connects, CONNECT/CONNACK, SUBSCRIBE to filters[0..n) at QoS 0 and waits for
 * the SUBACK, all within timeout_ns. netns may be NULL. Returns 0 (c->fd is then
 * non-blocking, poll it for POLLIN and call mqtt_probe_sys_pump) or the same codes as
 * mqtt_probe_connack(); -EINVAL for n == 0 or too long filters. */
int mqtt_probe_sys_open(struct mqtt_probe_sys_conn *c, const struct sockaddr_storage *addr,
			const char *netns, const char *const *filters, size_t n,
			uint64_t timeout_ns, char *err, size_t errlen);
/* Reads whatever is available without blocking and records every PUBLISH;
 * sends PINGREQ when half the keepalive has passed without sending.
 * Returns the number of PUBLISH packets taken in (>= 0), or -errno / -EPROTO
 * when the connection is gone or broken (then close and reopen). */
int mqtt_probe_sys_pump(struct mqtt_probe_sys_conn *c);
/* Latest value seen on exactly this topic, or NULL. Borrowed from c. */
const struct mqtt_probe_sys_value *mqtt_probe_sys_get(const struct mqtt_probe_sys_conn *c,
						      const char *topic);
/* Sends DISCONNECT (without waiting) and closes the socket; c->fd is -1 after,
 * the values stay readable. */
void mqtt_probe_sys_close(struct mqtt_probe_sys_conn *c);

/* One-shot: subscribe to topics (exact names or filters) and collect values
 * for window_ns, returning early once every exact topic in topics has a value.
 * values_out[i] receives the value of topics[i] ("" if none seen).
 * Returns how many topics got a value (>= 0), or an mqtt_probe_sys_open() error. */
int mqtt_probe_sys_read(const struct sockaddr_storage *addr, const char *netns,
			const char *const *topics, size_t n, uint64_t window_ns,
			char (*values_out)[MQTT_PROBE_SYS_VALUE_MAX]);

/* Builders exposed for unit tests: write the packet into buf (cap bytes) and
 * return its length, or -ENOSPC / -EINVAL. */
/* CONNECT (3.1.1, clean session) with client_id and keepalive_s. */
int mqtt_probe_build_connect(uint8_t *buf, size_t cap, const char *client_id, uint16_t keepalive_s);
/* SUBSCRIBE of filters[0..n) at QoS 0 (-EINVAL: n 0 or over 64, packet_id 0, an
 * empty or too long filter). */
int mqtt_probe_build_subscribe(uint8_t *buf, size_t cap, uint16_t packet_id,
			       const char *const *filters, size_t n);
/* Frames one packet at buf: returns total length (header + remaining) when a
 * whole packet is present, 0 when more bytes are needed, -EPROTO if malformed. */
int mqtt_probe_frame(const uint8_t *buf, size_t len, uint8_t *type_flags, size_t *body_off,
		     size_t *body_len);

#endif
