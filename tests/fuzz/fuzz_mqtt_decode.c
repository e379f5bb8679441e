/* fuzz_mqtt_decode.c — libFuzzer target for the MQTT decoder.
 * The input is a byte stream: decode packet after packet with every version and
 * role. The view is an exact-size heap copy, so ASan catches any read past it.
 * Every packet that decodes must survive encode -> decode with equal fields, and
 * re-encode to the same bytes (the encoder's canonical form). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"

static uint8_t out1[1 << 20], out2[1 << 20];

static void walk(const struct mqtt_packet *p)
{
	/* exercise the iterators on validated blocks: they must agree with the decoder */
	const struct mqtt_props *ps = NULL;
	struct mqtt_prop pr;
	uint32_t off = 0;
	switch (p->type) {
	case MQTT_PUBLISH:
		ps = &p->publish.props;
		break;
	case MQTT_CONNECT:
		ps = &p->connect.props;
		break;
	case MQTT_SUBSCRIBE: {
		struct mqtt_subscription s;
		uint32_t n = 0;
		while (mqtt_sub_next(&p->subscribe, &off, &s) == 1)
			n++;
		if (n != p->subscribe.count)
			abort();
		return;
	}
	case MQTT_UNSUBSCRIBE: {
		struct mqtt_str f;
		uint32_t n = 0;
		while (mqtt_unsub_next(&p->unsubscribe, &off, &f) == 1)
			n++;
		if (n != p->unsubscribe.count)
			abort();
		return;
	}
	default:
		return;
	}
	int r;
	while ((r = mqtt_prop_next(ps, &off, &pr)) == 1)
		if (mqtt_prop_name(pr.id) == NULL)
			abort();
	if (r != 0)
		abort(); /* a validated block never fails to iterate */
}

static void one(const uint8_t *buf, size_t len, uint8_t version, uint8_t role)
{
	struct mqtt_decode_opts o = {version, role, 0};
	size_t off = 0;
	while (off < len) {
		struct mqtt_packet p, q;
		int n = mqtt_decode(buf + off, len - off, &o, &p);
		if (n <= 0)
			return;
		if ((uint32_t)n != p.size || mqtt_frame(buf + off, len - off, 0, NULL) != n)
			abort();
		walk(&p);
		int e1 = mqtt_encode(&p, p.version, out1, sizeof out1);
		if (e1 < 0) {
			if (e1 == -MQTT_ERR_NOSPACE)
				return; /* larger than our scratch buffer */
			abort();	/* everything we accept we can write */
		}
		if (mqtt_size(&p, p.version) != e1)
			abort();
		struct mqtt_decode_opts o2 = {p.version, role, 0};
		int m = mqtt_decode(out1, (size_t)e1, &o2, &q);
		if (m != e1 || !mqtt_packet_eq(&p, &q))
			abort();
		int e2 = mqtt_encode(&q, q.version, out2, sizeof out2);
		if (e2 != e1 || memcmp(out1, out2, (size_t)e1) != 0)
			abort();
		off += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	static const uint8_t versions[] = {MQTT_V311, MQTT_V5};
	for (int v = 0; v < 2; v++)
		for (uint8_t role = 0; role < MQTT_ROLE_COUNT; role++)
			one(buf, size, versions[v], role);
	struct mqtt_connect c;
	int n = mqtt_peek_connect(buf, size, 0, &c);
	if (n > 0 && (c.version != MQTT_V311 && c.version != MQTT_V5))
		abort();
	/* every prefix of a framed packet is "need more", never an error it did not have */
	struct mqtt_fixed fx;
	int f = mqtt_frame(buf, size, 0, &fx);
	if (f > 0 && mqtt_frame(buf, (size_t)f - 1, 0, NULL) < 0 && f - 1 >= fx.hdr_len)
		abort();
	free(buf);
	return 0;
}
