/* mqtt_peer.c — test-only MQTT peer built on our codec (compiled by
 * tests/integration/mqtt_real_broker.sh; not part of mqlb). Everything it sends is
 * encoded by src/mqtt and everything it receives is decoded by src/mqtt; it prints
 * one line per decoded packet so the test can assert on fields.
 *
 *   mqtt_peer session PORT VERSION CLIENTID ACTION...
 *       CONNECT, then ACTIONs in order, then DISCONNECT. ACTIONs:
 *         sub:FILTER:QOS            SUBSCRIBE, wait for SUBACK
 *         pub:TOPIC:QOS:PAYLOAD     PUBLISH and finish its QoS flow
 *         recv:N                    receive N PUBLISHes, acknowledging each
 *   mqtt_peer decode VERSION ROLE FILE
 *       decode a captured byte stream (ROLE: server = bytes a client sent,
 *       client = bytes a server sent) and print each packet
 *   mqtt_peer record LISTEN_PORT UPSTREAM_PORT PREFIX
 *       accept one connection, relay it to 127.0.0.1:UPSTREAM_PORT and save the
 *       bytes of each direction to PREFIX.c2s / PREFIX.s2c; PREFIX.ready appears
 *       once listening. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mqtt/mqtt.h"

static void put_str(FILE *f, struct mqtt_str s)
{
	for (uint32_t i = 0; i < s.len; i++) {
		uint8_t c = s.p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

static void put_props(FILE *f, const struct mqtt_props *ps)
{
	uint32_t off = 0;
	struct mqtt_prop pr;
	while (mqtt_prop_next(ps, &off, &pr) == 1) {
		fprintf(f, " prop[%s]=", mqtt_prop_name(pr.id));
		switch (mqtt_prop_type(pr.id)) {
		case MQTT_PT_UTF8:
		case MQTT_PT_BINARY:
			put_str(f, pr.str);
			break;
		case MQTT_PT_PAIR:
			put_str(f, pr.str);
			fputc(':', f);
			put_str(f, pr.val);
			break;
		default:
			fprintf(f, "%u", pr.num);
		}
	}
}

static void describe(FILE *f, const struct mqtt_packet *p)
{
	fprintf(f, "%s v%d", mqtt_packet_name(p->type), p->version == MQTT_V5 ? 5 : 4);
	switch (p->type) {
	case MQTT_CONNECT: {
		const struct mqtt_connect *c = &p->connect;
		fprintf(f, " client_id=");
		put_str(f, c->client_id);
		fprintf(f, " clean=%d keep_alive=%u will=%d", c->clean_start, c->keep_alive,
			c->has_will);
		if (c->has_will) {
			fprintf(f, " will_topic=");
			put_str(f, c->will.topic);
			fprintf(f, " will_qos=%d will_retain=%d will_payload=", c->will.qos,
				c->will.retain);
			put_str(f, c->will.payload);
		}
		if (c->has_username) {
			fprintf(f, " username=");
			put_str(f, c->username);
		}
		if (c->has_password) {
			fprintf(f, " password=");
			put_str(f, c->password);
		}
		put_props(f, &c->props);
		break;
	}
	case MQTT_CONNACK:
		fprintf(f, " session_present=%d reason=%u (%s)", p->connack.session_present,
			p->connack.reason, mqtt_connack_name(p->connack.reason, p->version));
		put_props(f, &p->connack.props);
		break;
	case MQTT_PUBLISH: {
		const struct mqtt_publish *pub = &p->publish;
		fprintf(f, " qos=%d dup=%d retain=%d id=%u topic=", pub->qos, pub->dup, pub->retain,
			pub->packet_id);
		put_str(f, pub->topic);
		fprintf(f, " payload=");
		put_str(f, pub->payload);
		put_props(f, &pub->props);
		break;
	}
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		fprintf(f, " id=%u reason=%u", p->ack.packet_id, p->ack.reason);
		put_props(f, &p->ack.props);
		break;
	case MQTT_SUBSCRIBE: {
		uint32_t off = 0;
		struct mqtt_subscription s;
		fprintf(f, " id=%u", p->subscribe.packet_id);
		while (mqtt_sub_next(&p->subscribe, &off, &s) == 1) {
			fprintf(f, " filter=");
			put_str(f, s.filter);
			fprintf(f, " qos=%d nl=%d rap=%d rh=%d", s.opts.qos, s.opts.no_local,
				s.opts.retain_as_published, s.opts.retain_handling);
		}
		put_props(f, &p->subscribe.props);
		break;
	}
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		fprintf(f, " id=%u reasons=", p->suback.packet_id);
		for (uint32_t i = 0; i < p->suback.reasons.len; i++)
			fprintf(f, "%s%u", i ? "," : "", p->suback.reasons.p[i]);
		put_props(f, &p->suback.props);
		break;
	case MQTT_UNSUBSCRIBE: {
		uint32_t off = 0;
		struct mqtt_str s;
		fprintf(f, " id=%u", p->unsubscribe.packet_id);
		while (mqtt_unsub_next(&p->unsubscribe, &off, &s) == 1) {
			fprintf(f, " filter=");
			put_str(f, s);
		}
		break;
	}
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		fprintf(f, " reason=%u (%s)", p->disconnect.reason,
			mqtt_reason_name(p->disconnect.reason));
		put_props(f, &p->disconnect.props);
		break;
	}
	fputc('\n', f);
	fflush(f);
}

/* ---- a blocking session ---- */

static int fd = -1;
static uint8_t version;
static uint8_t rbuf[1 << 16];
static size_t rlen;

static int send_all(const uint8_t *b, int n)
{
	if (n < 0) {
		fprintf(stderr, "mqtt_peer: encode: %s\n", mqtt_err_str(n));
		return -1;
	}
	for (int off = 0; off < n;) {
		ssize_t w = write(fd, b + off, (size_t)(n - off));
		if (w <= 0)
			return -1;
		off += (int)w;
	}
	return 0;
}

/* Next packet from the server (decoded in place; valid until the next call). */
static int next_packet(struct mqtt_packet *p)
{
	static size_t consumed;
	struct mqtt_decode_opts o = {version, MQTT_ROLE_CLIENT, 0};
	memmove(rbuf, rbuf + consumed, rlen - consumed);
	rlen -= consumed;
	consumed = 0;
	for (;;) {
		int n = mqtt_decode(rbuf, rlen, &o, p);
		if (n < 0) {
			fprintf(stderr, "mqtt_peer: decode: %s\n", mqtt_err_str(n));
			return -1;
		}
		if (n > 0) {
			consumed = (size_t)n;
			describe(stdout, p);
			return 0;
		}
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 10000) != 1) {
			fprintf(stderr, "mqtt_peer: timeout waiting for a packet\n");
			return -1;
		}
		ssize_t r = read(fd, rbuf + rlen, sizeof rbuf - rlen);
		if (r <= 0) {
			fprintf(stderr, "mqtt_peer: connection closed\n");
			return -1;
		}
		rlen += (size_t)r;
	}
}

static int expect(struct mqtt_packet *p, uint8_t type)
{
	if (next_packet(p) < 0)
		return -1;
	if (p->type != type) {
		fprintf(stderr, "mqtt_peer: expected %s, got %s\n", mqtt_packet_name(type),
			mqtt_packet_name(p->type));
		return -1;
	}
	return 0;
}

static int connect_port(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("mqtt_peer: connect");
		if (s >= 0)
			close(s);
		return -1;
	}
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return s;
}

static uint16_t next_id = 1;

static int do_pub(char *arg)
{
	/* pub:TOPIC:QOS:PAYLOAD */
	char *topic = strtok(arg, ":"), *qs = strtok(NULL, ":"), *payload = strtok(NULL, "");
	if (!topic || !qs)
		return -1;
	uint8_t b[4096];
	struct mqtt_packet p;
	struct mqtt_publish pub = {.qos = (uint8_t)atoi(qs),
				   .topic = mqtt_str_c(topic),
				   .payload = mqtt_str_c(payload ? payload : "")};
	if (pub.qos)
		pub.packet_id = next_id++;
	if (send_all(b, mqtt_encode_publish(&pub, version, b, sizeof b)) < 0)
		return -1;
	if (pub.qos == 1)
		return expect(&p, MQTT_PUBACK);
	if (pub.qos == 2) {
		if (expect(&p, MQTT_PUBREC) < 0)
			return -1;
		if (send_all(b, mqtt_encode_ack(MQTT_PUBREL, pub.packet_id, 0, version, b,
						sizeof b)) < 0)
			return -1;
		return expect(&p, MQTT_PUBCOMP);
	}
	return 0;
}

static int do_sub(char *arg)
{
	char *filter = strtok(arg, ":"), *qs = strtok(NULL, ":");
	if (!filter || !qs)
		return -1;
	uint8_t b[1024];
	struct mqtt_packet p;
	struct mqtt_subscription s = {mqtt_str_c(filter), {.qos = (uint8_t)atoi(qs)}};
	struct mqtt_subscribe sub = {.packet_id = next_id++, .count = 1, .subs = &s};
	if (send_all(b, mqtt_encode_subscribe(&sub, version, b, sizeof b)) < 0)
		return -1;
	return expect(&p, MQTT_SUBACK);
}

static int do_recv(int n)
{
	uint8_t b[16];
	struct mqtt_packet p;
	int pending = 0; /* QoS 2 flows waiting for their PUBREL */
	for (int got = 0; got < n || pending > 0;) {
		if (next_packet(&p) < 0)
			return -1;
		if (p.type == MQTT_PUBLISH) {
			got++;
			if (p.publish.qos == 1 &&
			    send_all(b, mqtt_encode_ack(MQTT_PUBACK, p.publish.packet_id, 0,
							version, b, sizeof b)) < 0)
				return -1;
			pending += p.publish.qos == 2;
			if (p.publish.qos == 2 &&
			    send_all(b, mqtt_encode_ack(MQTT_PUBREC, p.publish.packet_id, 0,
							version, b, sizeof b)) < 0)
				return -1;
		} else if (p.type == MQTT_PUBREL) {
			pending--;
			if (send_all(b, mqtt_encode_ack(MQTT_PUBCOMP, p.ack.packet_id, 0, version,
							b, sizeof b)) < 0)
				return -1;
		}
	}
	return 0;
}

static int session(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	version = (uint8_t)atoi(argv[2]);
	if ((fd = connect_port(atoi(argv[1]))) < 0)
		return 1;
	uint8_t b[1024];
	struct mqtt_packet p;
	static const struct mqtt_prop cprops[] = {
	    {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .num = 0},
	    {.id = MQTT_PROP_RECEIVE_MAXIMUM, .num = 100},
	    {.id = MQTT_PROP_USER_PROPERTY,
	     .str = {(const uint8_t *)"from", 4},
	     .val = {(const uint8_t *)"mqlb", 4}},
	};
	struct mqtt_connect c = {.version = version,
				 .clean_start = true,
				 .keep_alive = 30,
				 .client_id = mqtt_str_c(argv[3])};
	if (version == MQTT_V5)
		c.props = (struct mqtt_props){.list = cprops, .count = 3};
	if (send_all(b, mqtt_encode_connect(&c, b, sizeof b)) < 0 || expect(&p, MQTT_CONNACK) < 0)
		return 1;
	if (p.connack.reason != 0)
		return 1;
	for (int i = 4; i < argc; i++) {
		int r;
		if (strncmp(argv[i], "pub:", 4) == 0)
			r = do_pub(argv[i] + 4);
		else if (strncmp(argv[i], "sub:", 4) == 0)
			r = do_sub(argv[i] + 4);
		else if (strncmp(argv[i], "recv:", 5) == 0)
			r = do_recv(atoi(argv[i] + 5));
		else
			return 2;
		if (r < 0)
			return 1;
	}
	if (send_all(b, mqtt_encode_disconnect(0, version, b, sizeof b)) < 0)
		return 1;
	close(fd);
	return 0;
}

static int decode_file(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct mqtt_decode_opts o = {
	    (uint8_t)atoi(argv[1]),
	    strcmp(argv[2], "server") == 0 ? MQTT_ROLE_SERVER : MQTT_ROLE_CLIENT, 0};
	FILE *f = fopen(argv[3], "rb");
	if (!f)
		return 1;
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	size_t off = 0;
	while (off < len) {
		struct mqtt_packet p;
		int n = mqtt_decode(buf + off, len - off, &o, &p);
		if (n == 0) {
			fprintf(stderr, "mqtt_peer: %zu trailing bytes (incomplete packet)\n",
				len - off);
			return 1;
		}
		if (n < 0) {
			fprintf(stderr, "mqtt_peer: at byte %zu: %s\n", off, mqtt_err_str(n));
			return 1;
		}
		/* a CONNECT fixes the version of the rest of the stream */
		if (p.type == MQTT_CONNECT)
			o.version = p.connect.version;
		describe(stdout, &p);
		off += (size_t)n;
	}
	return 0;
}

static int record(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
		perror("mqtt_peer: listen");
		return 1;
	}
	char path[512];
	snprintf(path, sizeof path, "%s.ready", argv[3]);
	fclose(fopen(path, "w"));
	struct pollfd lp = {ls, POLLIN, 0};
	if (poll(&lp, 1, 20000) != 1)
		return 1;
	int c = accept(ls, NULL, NULL);
	int u = connect_port(atoi(argv[2]));
	if (c < 0 || u < 0)
		return 1;
	snprintf(path, sizeof path, "%s.c2s", argv[3]);
	FILE *fc = fopen(path, "wb");
	snprintf(path, sizeof path, "%s.s2c", argv[3]);
	FILE *fs = fopen(path, "wb");
	struct pollfd pf[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
	uint8_t buf[65536];
	for (;;) {
		if (poll(pf, 2, 20000) <= 0)
			break;
		int from = (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 0 : 1;
		ssize_t n = read(pf[from].fd, buf, sizeof buf);
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, from == 0 ? fc : fs);
		fflush(from == 0 ? fc : fs);
		if (write(pf[1 - from].fd, buf, (size_t)n) != n)
			break;
	}
	fclose(fc);
	fclose(fs);
	close(c);
	close(u);
	close(ls);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;
	if (argc > 1 && strcmp(argv[1], "session") == 0)
		r = session(argc - 1, argv + 1);
	else if (argc > 1 && strcmp(argv[1], "decode") == 0)
		r = decode_file(argc - 1, argv + 1);
	else if (argc > 1 && strcmp(argv[1], "record") == 0)
		r = record(argc - 1, argv + 1);
	if (r == 2)
		fprintf(stderr, "usage: mqtt_peer session|decode|record ... (see source)\n");
	return r;
}
