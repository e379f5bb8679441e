/* test_mqtt_codec.c — every control packet in both versions round-trips
 * (decode(encode(x)) == x, fields and bytes), every property, every error kind,
 * size limits, and streaming in arbitrary slices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt/mqtt.h"

#define S(lit)	   ((struct mqtt_str){(const uint8_t *)(lit), sizeof(lit) - 1})
#define ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t versions[] = {MQTT_V311, MQTT_V5};

/* Encode p, decode it back (in an exact-size heap copy so ASan sees over-reads),
 * compare fields, re-encode and compare bytes. Returns the encoded size. */
static int roundtrip(const struct mqtt_packet *p, uint8_t version)
{
	static uint8_t buf[1 << 17], buf2[1 << 17];
	int n = mqtt_encode(p, version, buf, sizeof buf);
	if (n <= 0)
		fail_msg("encode %s v%d: %s", mqtt_packet_name(p->type), version, mqtt_err_str(n));
	assert_int_equal(mqtt_size(p, version), n);
	/* one byte short: NOSPACE, nothing written past cap */
	assert_int_equal(mqtt_encode(p, version, buf2, (size_t)n - 1), -MQTT_ERR_NOSPACE);
	uint8_t *copy = malloc((size_t)n);
	memcpy(copy, buf, (size_t)n);
	struct mqtt_packet d;
	struct mqtt_decode_opts o = {version, MQTT_ROLE_ANY, 0};
	int m = mqtt_decode(copy, (size_t)n, &o, &d);
	if (m != n)
		fail_msg("decode %s v%d: %d %s", mqtt_packet_name(p->type), version, m,
			 mqtt_err_str(m));
	struct mqtt_packet want = *p;
	want.version = p->type == MQTT_CONNECT ? p->connect.version : version;
	if (!mqtt_packet_eq(&d, &want))
		fail_msg("%s v%d: decoded fields differ", mqtt_packet_name(p->type), version);
	assert_int_equal(d.size, n);
	/* every strict prefix needs more */
	for (int k = 0; k < n && k < 64; k++)
		assert_int_equal(mqtt_decode(copy, (size_t)k, &o, &d), MQTT_NEED_MORE);
	m = mqtt_decode(copy, (size_t)n, &o, &d);
	int n2 = mqtt_encode(&d, version, buf2, sizeof buf2);
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, (size_t)n);
	free(copy);
	return n;
}

static const struct mqtt_prop user_props[] = {
    {.id = MQTT_PROP_USER_PROPERTY,
     .str = {(const uint8_t *)"k", 1},
     .val = {(const uint8_t *)"v", 1}},
    {.id = MQTT_PROP_USER_PROPERTY,
     .str = {(const uint8_t *)"k", 1},
     .val = {(const uint8_t *)"w2", 2}},
    {.id = MQTT_PROP_REASON_STRING, .str = {(const uint8_t *)"why", 3}},
};

static void test_connect(void **state)
{
	static const struct mqtt_prop cprops[] = {
	    {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .num = 3600},
	    {.id = MQTT_PROP_RECEIVE_MAXIMUM, .num = 20},
	    {.id = MQTT_PROP_MAXIMUM_PACKET_SIZE, .num = 1048576},
	    {.id = MQTT_PROP_TOPIC_ALIAS_MAXIMUM, .num = 10},
	    {.id = MQTT_PROP_REQUEST_RESPONSE_INFORMATION, .num = 1},
	    {.id = MQTT_PROP_REQUEST_PROBLEM_INFORMATION, .num = 0},
	    {.id = MQTT_PROP_AUTHENTICATION_METHOD, .str = {(const uint8_t *)"SCRAM", 5}},
	    {.id = MQTT_PROP_AUTHENTICATION_DATA, .str = {(const uint8_t *)"\0\1", 2}},
	    {.id = MQTT_PROP_USER_PROPERTY,
	     .str = {(const uint8_t *)"a", 1},
	     .val = {(const uint8_t *)"b", 1}},
	};
	static const struct mqtt_prop wprops[] = {
	    {.id = MQTT_PROP_WILL_DELAY_INTERVAL, .num = 5},
	    {.id = MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, .num = 1},
	    {.id = MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, .num = 60},
	    {.id = MQTT_PROP_CONTENT_TYPE, .str = {(const uint8_t *)"text/plain", 10}},
	    {.id = MQTT_PROP_RESPONSE_TOPIC, .str = {(const uint8_t *)"resp/x", 6}},
	    {.id = MQTT_PROP_CORRELATION_DATA, .str = {(const uint8_t *)"\xff\x00", 2}},
	};
	for (size_t v = 0; v < 2; v++) {
		for (unsigned mask = 0; mask < 32; mask++) {
			struct mqtt_packet p = {.type = MQTT_CONNECT};
			struct mqtt_connect *c = &p.connect;
			c->version = versions[v];
			c->clean_start = mask & 1;
			c->keep_alive = 65535;
			c->client_id = (mask & 2) ? S("client-\xc3\xa9") : S("");
			if (!c->clean_start && c->client_id.len == 0 && c->version == MQTT_V311)
				continue; /* rejected, tested below */
			c->has_will = mask & 4;
			if (c->has_will) {
				c->will.qos = (uint8_t)(mask >> 3 & 3) % 3;
				c->will.retain = mask & 8;
				c->will.topic = S("will/topic");
				c->will.payload = S("bye\0bye");
			}
			c->has_username = mask & 16;
			c->has_password = (mask & 16) || (mask & 2 && c->version == MQTT_V5);
			c->username = S("user");
			c->password = S("p\0ss");
			if (c->version == MQTT_V5) {
				c->props.list = cprops;
				c->props.count = ARRAY_N(cprops);
				c->will.props.list = wprops;
				c->will.props.count = ARRAY_N(wprops);
			}
			roundtrip(&p, versions[v]);
		}
	}
	/* the canonical 3.1.1 CONNECT byte for byte (3.1.1 §3.1 example shape) */
	struct mqtt_connect c = {
	    .version = MQTT_V311, .clean_start = true, .keep_alive = 60, .client_id = S("abc")};
	uint8_t b[64];
	static const uint8_t want[] = {0x10, 0x0f, 0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04,
				       0x02, 0x00, 0x3c, 0x00, 0x03, 'a', 'b', 'c'};
	assert_int_equal(mqtt_encode_connect(&c, b, sizeof b), sizeof want);
	assert_memory_equal(b, want, sizeof want);
	struct mqtt_connect pc;
	assert_int_equal(mqtt_peek_connect(b, sizeof want, 0, &pc), sizeof want);
	assert_true(mqtt_str_eq(pc.client_id, "abc"));
	assert_int_equal(pc.version, MQTT_V311);
	assert_int_equal(mqtt_peek_connect(b, 5, 0, &pc), MQTT_NEED_MORE);
	assert_int_equal(mqtt_peek_connect(b, sizeof want, 10, &pc), -MQTT_ERR_PACKET_TOO_LARGE);
	c.version = 3;
	assert_int_equal(mqtt_encode_connect(&c, b, sizeof b), -MQTT_ERR_BAD_ARG);
}

static void test_connack(void **state)
{
	static const struct mqtt_prop props[] = {
	    {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .num = 0},
	    {.id = MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, .str = {(const uint8_t *)"auto-1", 6}},
	    {.id = MQTT_PROP_SERVER_KEEP_ALIVE, .num = 30},
	    {.id = MQTT_PROP_RESPONSE_INFORMATION, .str = {(const uint8_t *)"ri", 2}},
	    {.id = MQTT_PROP_SERVER_REFERENCE, .str = {(const uint8_t *)"other:1883", 10}},
	    {.id = MQTT_PROP_RECEIVE_MAXIMUM, .num = 65535},
	    {.id = MQTT_PROP_TOPIC_ALIAS_MAXIMUM, .num = 0},
	    {.id = MQTT_PROP_MAXIMUM_QOS, .num = 1},
	    {.id = MQTT_PROP_RETAIN_AVAILABLE, .num = 0},
	    {.id = MQTT_PROP_MAXIMUM_PACKET_SIZE, .num = 268435460},
	    {.id = MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, .num = 1},
	    {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, .num = 1},
	    {.id = MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, .num = 1},
	    {.id = MQTT_PROP_REASON_STRING, .str = {(const uint8_t *)"ok", 2}},
	    {.id = MQTT_PROP_AUTHENTICATION_METHOD, .str = {(const uint8_t *)"m", 1}},
	    {.id = MQTT_PROP_AUTHENTICATION_DATA, .str = {(const uint8_t *)"d", 1}},
	};
	for (unsigned rc = 0; rc < 256; rc++) {
		struct mqtt_packet p = {.type = MQTT_CONNACK};
		p.connack.reason = (uint8_t)rc;
		if (rc < MQTT_V3_CONNACK_COUNT) {
			p.connack.session_present = rc == 0;
			assert_int_equal(roundtrip(&p, MQTT_V311), 4);
		}
		if (mqtt_reason_allowed(MQTT_CONNACK, (uint8_t)rc)) {
			p.connack.session_present = rc == 0;
			p.connack.props.list = props;
			p.connack.props.count = ARRAY_N(props);
			roundtrip(&p, MQTT_V5);
		}
	}
}

static void test_publish(void **state)
{
	static const struct mqtt_prop props[] = {
	    {.id = MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, .num = 0},
	    {.id = MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, .num = 0xffffffffu},
	    {.id = MQTT_PROP_TOPIC_ALIAS, .num = 3},
	    {.id = MQTT_PROP_RESPONSE_TOPIC, .str = {(const uint8_t *)"r", 1}},
	    {.id = MQTT_PROP_CORRELATION_DATA, .str = {(const uint8_t *)"c", 1}},
	    {.id = MQTT_PROP_USER_PROPERTY,
	     .str = {(const uint8_t *)"k", 1},
	     .val = {(const uint8_t *)"v", 1}},
	    {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .num = 1},
	    {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .num = 268435455},
	    {.id = MQTT_PROP_CONTENT_TYPE, .str = {(const uint8_t *)"ct", 2}},
	};
	for (size_t v = 0; v < 2; v++) {
		for (unsigned f = 0; f < 16; f++) {
			struct mqtt_packet p = {.type = MQTT_PUBLISH};
			struct mqtt_publish *pub = &p.publish;
			pub->qos = f & 3;
			if (pub->qos == 3)
				continue;
			pub->retain = f & 4;
			pub->dup = (f & 8) && pub->qos;
			pub->packet_id = pub->qos ? (uint16_t)(f * 4099 + 1) : 0;
			pub->topic = S("bench/test");
			pub->payload = (f & 1) ? S("") : S("MQLB\x01\x00payload");
			if (versions[v] == MQTT_V5 && (f & 4)) {
				pub->props.list = props;
				pub->props.count = ARRAY_N(props);
			}
			int n = roundtrip(&p, versions[v]);
			assert_int_equal((size_t)n, mqtt_size_publish(pub, versions[v]));
			uint8_t a[256], b[256];
			assert_int_equal(mqtt_encode_publish(pub, versions[v], a, sizeof a), n);
			int h = mqtt_encode_publish_header(pub, versions[v], b, sizeof b);
			assert_int_equal(h + (int)pub->payload.len, n);
			assert_memory_equal(a, b, (size_t)h);
		}
	}
	/* 5.0: empty topic with a Topic Alias */
	static const struct mqtt_prop alias[] = {{.id = MQTT_PROP_TOPIC_ALIAS, .num = 1}};
	struct mqtt_packet p = {.type = MQTT_PUBLISH};
	p.publish.props.list = alias;
	p.publish.props.count = 1;
	p.publish.payload = S("x");
	roundtrip(&p, MQTT_V5);
	/* a known small QoS 1 PUBLISH, byte for byte */
	struct mqtt_publish q = {.qos = 1, .packet_id = 10, .topic = S("a/b"), .payload = S("hi")};
	static const uint8_t w4[] = {0x32, 0x09, 0, 3, 'a', '/', 'b', 0, 10, 'h', 'i'};
	static const uint8_t w5[] = {0x32, 0x0a, 0, 3, 'a', '/', 'b', 0, 10, 0, 'h', 'i'};
	uint8_t b[32];
	assert_int_equal(mqtt_encode_publish(&q, MQTT_V311, b, sizeof b), sizeof w4);
	assert_memory_equal(b, w4, sizeof w4);
	assert_int_equal(mqtt_encode_publish(&q, MQTT_V5, b, sizeof b), sizeof w5);
	assert_memory_equal(b, w5, sizeof w5);
	q.qos = 3;
	assert_int_equal(mqtt_encode_publish(&q, MQTT_V5, b, sizeof b), -MQTT_ERR_ENCODE);
	assert_int_equal(mqtt_size_publish(&q, MQTT_V5), 0);
}

static void test_acks(void **state)
{
	static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};
	for (size_t t = 0; t < 4; t++) {
		struct mqtt_packet p = {.type = types[t]};
		p.ack.packet_id = 65535;
		assert_int_equal(roundtrip(&p, MQTT_V311), 4);
		assert_int_equal(roundtrip(&p, MQTT_V5), 4);
		for (unsigned rc = 1; rc < 256; rc++) {
			if (!mqtt_reason_allowed(types[t], (uint8_t)rc))
				continue;
			p.ack.reason = (uint8_t)rc;
			p.ack.props = (struct mqtt_props){0};
			assert_int_equal(roundtrip(&p, MQTT_V5), 5);
			p.ack.props.list = user_props;
			p.ack.props.count = ARRAY_N(user_props);
			roundtrip(&p, MQTT_V5);
		}
		/* reason 0 with properties keeps the reason byte */
		p.ack.reason = 0;
		roundtrip(&p, MQTT_V5);
		uint8_t a[8], b[8];
		struct mqtt_packet q = {.type = types[t], .ack = {.packet_id = 7, .reason = 0x80}};
		for (size_t v = 0; v < 2; v++) {
			int n = mqtt_encode_ack(types[t], 7, 0x80, versions[v], a, sizeof a);
			assert_int_equal(n, mqtt_encode(&q, versions[v], b, sizeof b));
			assert_memory_equal(a, b, (size_t)n);
		}
		assert_int_equal(mqtt_encode_ack(types[t], 7, 0, MQTT_V5, a, 3), -MQTT_ERR_NOSPACE);
	}
	uint8_t a[8];
	assert_int_equal(mqtt_encode_ack(MQTT_CONNECT, 1, 0, MQTT_V5, a, 8), -MQTT_ERR_BAD_ARG);
}

static void test_subscribe(void **state)
{
	struct mqtt_subscription subs[] = {
	    {S("bench/test"), {.qos = 0}},
	    {S("a/+/c"), {.qos = 1, .no_local = true}},
	    {S("#"), {.qos = 2, .retain_as_published = true, .retain_handling = 2}},
	    {S("$share/grp/x/#"), {.qos = 1, .retain_handling = 1}},
	};
	static const struct mqtt_prop props[] = {
	    {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .num = 16384},
	    {.id = MQTT_PROP_USER_PROPERTY,
	     .str = {(const uint8_t *)"k", 1},
	     .val = {(const uint8_t *)"v", 1}},
	};
	for (size_t v = 0; v < 2; v++) {
		for (uint32_t n = 1; n <= ARRAY_N(subs); n++) {
			struct mqtt_packet p = {.type = MQTT_SUBSCRIBE};
			p.subscribe.packet_id = (uint16_t)n;
			p.subscribe.count = n;
			p.subscribe.subs = subs;
			if (versions[v] == MQTT_V5) {
				p.subscribe.props.list = props;
				p.subscribe.props.count = ARRAY_N(props);
				roundtrip(&p, MQTT_V5);
			} else {
				/* 3.1.1 carries only the QoS bits */
				struct mqtt_subscription s4[ARRAY_N(subs)];
				for (uint32_t i = 0; i < n; i++)
					s4[i] = (struct mqtt_subscription){
					    subs[i].filter, {.qos = subs[i].opts.qos}};
				p.subscribe.subs = s4;
				roundtrip(&p, MQTT_V311);
			}
		}
	}
	/* decoded options and the iterator */
	uint8_t b[128];
	struct mqtt_subscribe s = {.packet_id = 9, .count = 4, .subs = subs};
	int n = mqtt_encode_subscribe(&s, MQTT_V5, b, sizeof b);
	assert_true(n > 0);
	struct mqtt_packet d;
	struct mqtt_decode_opts o = {MQTT_V5, MQTT_ROLE_SERVER, 0};
	assert_int_equal(mqtt_decode(b, (size_t)n, &o, &d), n);
	assert_int_equal(d.subscribe.count, 4);
	uint32_t off = 0, i = 0;
	struct mqtt_subscription got;
	while (mqtt_sub_next(&d.subscribe, &off, &got) == 1) {
		assert_true(got.filter.len == subs[i].filter.len &&
			    memcmp(got.filter.p, subs[i].filter.p, got.filter.len) == 0);
		assert_int_equal(got.opts.qos, subs[i].opts.qos);
		assert_int_equal(got.opts.no_local, subs[i].opts.no_local);
		assert_int_equal(got.opts.retain_as_published, subs[i].opts.retain_as_published);
		assert_int_equal(got.opts.retain_handling, subs[i].opts.retain_handling);
		i++;
	}
	assert_int_equal(i, 4);
	/* SUBSCRIBE from a server is wrong */
	o.role = MQTT_ROLE_CLIENT;
	assert_int_equal(mqtt_decode(b, (size_t)n, &o, &d), -MQTT_ERR_WRONG_DIRECTION);
}

static void test_suback_unsub(void **state)
{
	static const uint8_t rc4[] = {0, 1, 2, 0x80};
	static const uint8_t rc5s[] = {0,    1,	   2,	 0x80, 0x83, 0x87,
				       0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2};
	static const uint8_t rc5u[] = {0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91};
	struct mqtt_packet p = {.type = MQTT_SUBACK};
	p.suback.packet_id = 1;
	p.suback.reasons = (struct mqtt_str){rc4, sizeof rc4};
	roundtrip(&p, MQTT_V311);
	p.suback.reasons = (struct mqtt_str){rc5s, sizeof rc5s};
	p.suback.props.list = user_props;
	p.suback.props.count = ARRAY_N(user_props);
	roundtrip(&p, MQTT_V5);
	p.type = MQTT_UNSUBACK;
	p.suback.reasons = (struct mqtt_str){rc5u, sizeof rc5u};
	roundtrip(&p, MQTT_V5);
	struct mqtt_packet u4 = {.type = MQTT_UNSUBACK, .suback = {.packet_id = 2}};
	assert_int_equal(roundtrip(&u4, MQTT_V311), 4);

	struct mqtt_str filters[] = {S("a/b"), S("+/#"), S("$share/g/t")};
	struct mqtt_packet u = {.type = MQTT_UNSUBSCRIBE};
	u.unsubscribe.packet_id = 3;
	u.unsubscribe.count = 3;
	u.unsubscribe.filters = filters;
	roundtrip(&u, MQTT_V311);
	u.unsubscribe.props.list = user_props;
	u.unsubscribe.props.count = 2; /* Reason String is not allowed here */
	roundtrip(&u, MQTT_V5);
	uint8_t b[128];
	int n = mqtt_encode_unsubscribe(&u.unsubscribe, MQTT_V5, b, sizeof b);
	struct mqtt_packet d;
	assert_int_equal(mqtt_decode(b, (size_t)n, NULL, &d), n);
	uint32_t off = 0, i = 0;
	struct mqtt_str f;
	while (mqtt_unsub_next(&d.unsubscribe, &off, &f) == 1) {
		assert_int_equal(f.len, filters[i].len);
		assert_memory_equal(f.p, filters[i].p, f.len);
		i++;
	}
	assert_int_equal(i, 3);
	/* unsubscribe with Reason String: property not allowed */
	u.unsubscribe.props.count = 3;
	n = mqtt_encode_unsubscribe(&u.unsubscribe, MQTT_V5, b, sizeof b);
	assert_int_equal(mqtt_decode(b, (size_t)n, NULL, &d), -MQTT_ERR_PROP_NOT_ALLOWED);
}

static void test_ping_disconnect_auth(void **state)
{
	struct mqtt_packet p = {.type = MQTT_PINGREQ};
	assert_int_equal(roundtrip(&p, MQTT_V311), 2);
	assert_int_equal(roundtrip(&p, MQTT_V5), 2);
	p.type = MQTT_PINGRESP;
	assert_int_equal(roundtrip(&p, MQTT_V311), 2);
	p.type = MQTT_DISCONNECT;
	assert_int_equal(roundtrip(&p, MQTT_V311), 2);
	assert_int_equal(roundtrip(&p, MQTT_V5), 2);
	static const struct mqtt_prop dprops[] = {
	    {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .num = 10},
	    {.id = MQTT_PROP_REASON_STRING, .str = {(const uint8_t *)"bye", 3}},
	    {.id = MQTT_PROP_SERVER_REFERENCE, .str = {(const uint8_t *)"b2", 2}},
	    {.id = MQTT_PROP_USER_PROPERTY,
	     .str = {(const uint8_t *)"k", 1},
	     .val = {(const uint8_t *)"v", 1}},
	};
	for (unsigned rc = 0; rc < 256; rc++) {
		if (!mqtt_reason_allowed(MQTT_DISCONNECT, (uint8_t)rc))
			continue;
		p.disconnect.reason = (uint8_t)rc;
		p.disconnect.props = (struct mqtt_props){0};
		assert_int_equal(roundtrip(&p, MQTT_V5), rc ? 3 : 2);
		p.disconnect.props.list = dprops;
		p.disconnect.props.count = ARRAY_N(dprops);
		roundtrip(&p, MQTT_V5);
	}
	uint8_t b[8];
	assert_int_equal(mqtt_encode_disconnect(0x8b, MQTT_V5, b, sizeof b), 3);
	assert_memory_equal(b, "\xe0\x01\x8b", 3);
	assert_int_equal(mqtt_encode_disconnect(0x8b, MQTT_V311, b, sizeof b), 2);
	assert_memory_equal(b, "\xe0\x00", 2);
	assert_int_equal(mqtt_encode_pingreq(b, sizeof b), 2);
	assert_memory_equal(b, "\xc0\x00", 2);
	assert_int_equal(mqtt_encode_pingreq(b, 1), -MQTT_ERR_NOSPACE);

	static const struct mqtt_prop aprops[] = {
	    {.id = MQTT_PROP_AUTHENTICATION_METHOD, .str = {(const uint8_t *)"SCRAM-SHA-1", 11}},
	    {.id = MQTT_PROP_AUTHENTICATION_DATA, .str = {(const uint8_t *)"\x01\x02", 2}},
	    {.id = MQTT_PROP_REASON_STRING, .str = {(const uint8_t *)"more", 4}},
	};
	struct mqtt_packet a = {.type = MQTT_AUTH};
	assert_int_equal(roundtrip(&a, MQTT_V5), 2);
	a.auth.reason = MQTT_RC_CONTINUE_AUTHENTICATION;
	a.auth.props.list = aprops;
	a.auth.props.count = ARRAY_N(aprops);
	roundtrip(&a, MQTT_V5);
	assert_int_equal(mqtt_encode(&a, MQTT_V311, b, sizeof b), -MQTT_ERR_BAD_ARG);
}

/* Every property: carried in a packet that allows it, decoded back with its value;
 * and refused (PROP_NOT_ALLOWED) in a packet that does not. */
static void test_every_property(void **state)
{
	static const uint8_t carriers[] = {
	    MQTT_CONNECT,  MQTT_CONNACK,    MQTT_PUBLISH,   MQTT_PUBACK,  MQTT_PUBREC,
	    MQTT_PUBREL,   MQTT_PUBCOMP,    MQTT_SUBSCRIBE, MQTT_SUBACK,  MQTT_UNSUBSCRIBE,
	    MQTT_UNSUBACK, MQTT_DISCONNECT, MQTT_AUTH,	    MQTT_RESERVED /* Will */};
	int covered = 0;
	for (unsigned id = 1; id < MQTT_PROP_COUNT; id++) {
		enum mqtt_prop_type t = mqtt_prop_type((uint8_t)id);
		if (t == MQTT_PT_NONE)
			continue;
		struct mqtt_prop pr = {.id = (uint8_t)id, .num = 1};
		if (t == MQTT_PT_UTF8 || t == MQTT_PT_BINARY || t == MQTT_PT_PAIR)
			pr.str = S("sv"), pr.val = S("vv");
		if (t == MQTT_PT_VARINT)
			pr.num = 2097152; /* a 4-byte varint value */
		if (t == MQTT_PT_U32)
			pr.num = 0x01020304;
		if (t == MQTT_PT_U16)
			pr.num = 0x0102;
		int allowed = 0, refused = 0;
		for (size_t c = 0; c < ARRAY_N(carriers); c++) {
			struct mqtt_packet p = {.type = carriers[c]};
			struct mqtt_props *ps;
			struct mqtt_subscription sub = {S("t"), {0}};
			struct mqtt_str filt = S("t");
			switch (carriers[c]) {
			case MQTT_RESERVED:
				p.type = MQTT_CONNECT;
				p.connect = (struct mqtt_connect){.version = MQTT_V5,
								  .has_will = true,
								  .will = {.topic = S("w")}};
				ps = &p.connect.will.props;
				break;
			case MQTT_CONNECT:
				p.connect.version = MQTT_V5;
				ps = &p.connect.props;
				break;
			case MQTT_CONNACK:
				ps = &p.connack.props;
				break;
			case MQTT_PUBLISH:
				p.publish.topic = S("t");
				ps = &p.publish.props;
				break;
			case MQTT_SUBSCRIBE:
				p.subscribe = (struct mqtt_subscribe){
				    .packet_id = 1, .count = 1, .subs = &sub};
				ps = &p.subscribe.props;
				break;
			case MQTT_UNSUBSCRIBE:
				p.unsubscribe = (struct mqtt_unsubscribe){
				    .packet_id = 1, .count = 1, .filters = &filt};
				ps = &p.unsubscribe.props;
				break;
			case MQTT_SUBACK:
			case MQTT_UNSUBACK:
				p.suback = (struct mqtt_suback){.packet_id = 1, .reasons = S("\0")};
				ps = &p.suback.props;
				break;
			case MQTT_DISCONNECT:
			case MQTT_AUTH:
				ps = &p.disconnect.props;
				break;
			default:
				p.ack.packet_id = 1;
				ps = &p.ack.props;
				break;
			}
			/* Authentication Data needs its Method next to it */
			struct mqtt_prop two[2] = {
			    pr, {.id = MQTT_PROP_AUTHENTICATION_METHOD, .str = S("m")}};
			ps->list = two;
			ps->count = id == MQTT_PROP_AUTHENTICATION_DATA ? 2 : 1;
			uint8_t b[256];
			int n = mqtt_encode(&p, MQTT_V5, b, sizeof b);
			assert_true(n > 0);
			struct mqtt_packet d;
			int r = mqtt_decode(b, (size_t)n, NULL, &d);
			if (r == -MQTT_ERR_PROP_NOT_ALLOWED) {
				refused++;
				continue;
			}
			if (r != n)
				fail_msg("prop 0x%02x in %s: %s", id, mqtt_packet_name(carriers[c]),
					 mqtt_err_str(r));
			const struct mqtt_props *dp =
			    carriers[c] == MQTT_RESERVED      ? &d.connect.will.props
			    : carriers[c] == MQTT_CONNECT     ? &d.connect.props
			    : carriers[c] == MQTT_CONNACK     ? &d.connack.props
			    : carriers[c] == MQTT_PUBLISH     ? &d.publish.props
			    : carriers[c] == MQTT_SUBSCRIBE   ? &d.subscribe.props
			    : carriers[c] == MQTT_UNSUBSCRIBE ? &d.unsubscribe.props
			    : (carriers[c] == MQTT_SUBACK || carriers[c] == MQTT_UNSUBACK)
				? &d.suback.props
			    : (carriers[c] == MQTT_DISCONNECT || carriers[c] == MQTT_AUTH)
				? &d.disconnect.props
				: &d.ack.props;
			struct mqtt_prop got;
			assert_int_equal(mqtt_prop_find(dp, (uint8_t)id, &got), 1);
			assert_int_equal(
			    got.num, (t == MQTT_PT_UTF8 || t == MQTT_PT_BINARY || t == MQTT_PT_PAIR)
					 ? 0
					 : pr.num);
			assert_int_equal(got.str.len, pr.str.len * (got.str.len != 0));
			if (t == MQTT_PT_PAIR)
				assert_true(mqtt_str_eq(got.val, "vv"));
			assert_int_equal(mqtt_prop_find(dp, 0x26 == id ? 0x1f : 0x26, NULL), 0);
			allowed++;
		}
		if (!allowed)
			fail_msg("property 0x%02x (%s) not carried anywhere", id,
				 mqtt_prop_name((uint8_t)id));
		assert_true(refused > 0 || id == MQTT_PROP_USER_PROPERTY);
		covered++;
	}
	assert_int_equal(covered, 27);
}

/* One malformed input per error kind (5.0 / 3.1.1 rule cited by the decoder). */
struct bad {
	const char *hex;
	uint8_t version, role;
	uint32_t max;
	int want;
};

static const struct bad bad[] = {
    {"30", 4, 0, 0, MQTT_NEED_MORE},
    {"300a00", 4, 0, 0, MQTT_NEED_MORE},
    {"30ff", 4, 0, 0, MQTT_NEED_MORE},
    {"30ffffffff01", 4, 0, 0, -MQTT_ERR_VARINT_TOO_LONG},
    {"30ffffffff", 4, 0, 0, -MQTT_ERR_VARINT_TOO_LONG},
    {"308000", 4, 0, 0, -MQTT_ERR_VARINT_NONMINIMAL},
    {"300a", 4, 0, 10, -MQTT_ERR_PACKET_TOO_LARGE},
    {"0000", 4, 0, 0, -MQTT_ERR_RESERVED_TYPE},
    {"f000", 4, 0, 0, -MQTT_ERR_AUTH_IN_V311},
    {"20020000", 4, MQTT_ROLE_SERVER, 0, -MQTT_ERR_WRONG_DIRECTION},
    {"e000", 4, MQTT_ROLE_CLIENT, 0, -MQTT_ERR_WRONG_DIRECTION},
    {"c000", 5, MQTT_ROLE_CLIENT, 0, -MQTT_ERR_WRONG_DIRECTION},
    {"c100", 4, 0, 0, -MQTT_ERR_FIXED_FLAGS},
    {"60020001", 4, 0, 0, -MQTT_ERR_FIXED_FLAGS},
    {"8002000100", 4, 0, 0, -MQTT_ERR_FIXED_FLAGS},
    {"3600", 4, 0, 0, -MQTT_ERR_QOS_INVALID},
    {"3803000161", 4, 0, 0, -MQTT_ERR_DUP_QOS0},
    {"30020005", 4, 0, 0, -MQTT_ERR_TRUNCATED},
    {"3203000161", 4, 0, 0, -MQTT_ERR_TRUNCATED},
    {"40050001000000", 5, 0, 0, -MQTT_ERR_TRAILING},
    {"100e00044d5154540402003c00016100", 4, 0, 0, -MQTT_ERR_TRAILING},
    {"4003000100", 4, 0, 0, -MQTT_ERR_BAD_LENGTH},
    {"c00100", 4, 0, 0, -MQTT_ERR_BAD_LENGTH},
    {"e00100", 4, 0, 0, -MQTT_ERR_BAD_LENGTH},
    {"b003000100", 4, 0, 0, -MQTT_ERR_BAD_LENGTH},
    {"2003000000", 4, 0, 0, -MQTT_ERR_BAD_LENGTH},
    {"100d00044d5154580402003c000161", 4, 0, 0, -MQTT_ERR_PROTOCOL_NAME},
    {"100d00044d5154540602003c000161", 4, 0, 0, -MQTT_ERR_PROTOCOL_VERSION},
    {"100f00064d514973647003 02003c000161", 4, 0, 0, -MQTT_ERR_PROTOCOL_VERSION},
    {"100d00044d5154540403003c000161", 4, 0, 0, -MQTT_ERR_CONNECT_RESERVED},
    {"100d00044d515454040a003c000161", 4, 0, 0, -MQTT_ERR_WILL_FLAGS},
    {"100d00044d5154540422003c000161", 4, 0, 0, -MQTT_ERR_WILL_FLAGS},
    {"100d00044d515454041e003c000161", 4, 0, 0, -MQTT_ERR_WILL_QOS},
    {"100d00044d5154540442003c000161", 4, 0, 0, -MQTT_ERR_PASSWORD_NO_USERNAME},
    {"100c00044d5154540400003c0000", 4, 0, 0, -MQTT_ERR_CLIENT_ID_REJECTED},
    {"20020200", 4, 0, 0, -MQTT_ERR_CONNACK_FLAGS},
    {"20020105", 4, 0, 0, -MQTT_ERR_CONNACK_SESSION},
    {"2003018700", 5, 0, 0, -MQTT_ERR_CONNACK_SESSION},
    {"20020006", 4, 0, 0, -MQTT_ERR_REASON_CODE},
    {"2003000100", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"4003000104", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"62030001 10", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"9003000103", 4, 0, 0, -MQTT_ERR_REASON_CODE},
    {"900400010011", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"e00110", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"f00104", 5, 0, 0, -MQTT_ERR_REASON_CODE},
    {"30030001ff", 4, 0, 0, -MQTT_ERR_UTF8_MALFORMED},
    {"30040002c0af", 4, 0, 0, -MQTT_ERR_UTF8_OVERLONG},
    {"30050003eda080", 4, 0, 0, -MQTT_ERR_UTF8_SURROGATE},
    {"30050003610062", 4, 0, 0, -MQTT_ERR_UTF8_NUL},
    {"100d00044d5154540402003c000100", 4, 0, 0, -MQTT_ERR_UTF8_NUL},
    {"30020000", 4, 0, 0, -MQTT_ERR_TOPIC_EMPTY},
    {"3003000000", 5, 0, 0, -MQTT_ERR_TOPIC_EMPTY},
    {"300500036 12f2b", 4, 0, 0, -MQTT_ERR_TOPIC_WILDCARD},
    {"3003000123", 4, 0, 0, -MQTT_ERR_TOPIC_WILDCARD},
    {"82050001000000", 4, 0, 0, -MQTT_ERR_FILTER_EMPTY},
    {"820600010002612300", 4, 0, 0, -MQTT_ERR_FILTER_WILDCARD},
    {"a20600010002612b", 4, 0, 0, -MQTT_ERR_FILTER_WILDCARD},
    {"820e00010000082473686172652f6700", 5, 0, 0, -MQTT_ERR_FILTER_SHARED},
    {"40020000", 4, 0, 0, -MQTT_ERR_PACKET_ID_ZERO},
    {"32050001610000", 4, 0, 0, -MQTT_ERR_PACKET_ID_ZERO},
    {"82060000000161 00", 4, 0, 0, -MQTT_ERR_PACKET_ID_ZERO},
    {"82020001", 4, 0, 0, -MQTT_ERR_NO_FILTERS},
    {"8203000100", 5, 0, 0, -MQTT_ERR_NO_FILTERS},
    {"a2020001", 4, 0, 0, -MQTT_ERR_NO_FILTERS},
    {"90020001", 4, 0, 0, -MQTT_ERR_NO_REASONS},
    {"b003000100", 5, 0, 0, -MQTT_ERR_NO_REASONS},
    {"82060001000161 04", 4, 0, 0, -MQTT_ERR_SUB_RESERVED},
    {"8207000100000161 40", 5, 0, 0, -MQTT_ERR_SUB_RESERVED},
    {"82060001000161 03", 4, 0, 0, -MQTT_ERR_SUB_QOS},
    {"8207000100000161 30", 5, 0, 0, -MQTT_ERR_SUB_RETAIN_HANDLING},
    {"82100001000 00a2473686172652f672f6104", 5, 0, 0, -MQTT_ERR_SUB_SHARED_NO_LOCAL},
    {"300600016102 2300", 5, 0, 0, -MQTT_ERR_PROP_TRUNCATED},
    {"30050001610 3 26", 5, 0, 0, -MQTT_ERR_PROP_TRUNCATED},
    {"30050001610104", 5, 0, 0, -MQTT_ERR_PROP_UNKNOWN},
    {"3006000161028001", 5, 0, 0, -MQTT_ERR_PROP_UNKNOWN},
    {"30090001610511 00000001", 5, 0, 0, -MQTT_ERR_PROP_NOT_ALLOWED},
    {"3006000161 02 0b01", 5, MQTT_ROLE_SERVER, 0, -MQTT_ERR_PROP_NOT_ALLOWED},
    {"e0070005 11 00000001", 5, MQTT_ROLE_CLIENT, 0, -MQTT_ERR_PROP_NOT_ALLOWED},
    {"300a00016106 2300012300 02", 5, 0, 0, -MQTT_ERR_PROP_DUPLICATE},
    {"820b0001 04 0b01 0b02 000161 00", 5, 0, 0, -MQTT_ERR_PROP_DUPLICATE},
    {"300600016102 0102", 5, 0, 0, -MQTT_ERR_PROP_VALUE},
    {"300700016103 230000", 5, 0, 0, -MQTT_ERR_PROP_VALUE},
    {"300600016102 0b00", 5, 0, 0, -MQTT_ERR_PROP_VALUE},
    {"30080001610 4 08 00 01 2b", 5, 0, 0, -MQTT_ERR_TOPIC_WILDCARD},
    {"f005 18 03 160000", 5, 0, 0, -MQTT_ERR_AUTH_DATA_NO_METHOD},
};

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	int hi = -1;
	for (; *h; h++) {
		int v;
		if (*h == ' ')
			continue;
		v = *h <= '9' ? *h - '0' : (*h | 0x20) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void test_errors(void **state)
{
	bool seen[MQTT_ERR_COUNT] = {0};
	for (size_t i = 0; i < ARRAY_N(bad); i++) {
		uint8_t tmp[64];
		size_t n = unhex(bad[i].hex, tmp);
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, tmp, n);
		struct mqtt_decode_opts o = {bad[i].version, bad[i].role, bad[i].max};
		struct mqtt_packet p;
		int got = mqtt_decode(b, n, &o, &p);
		if (got != bad[i].want)
			fail_msg("case %zu (%s): got %d (%s), want %d (%s)", i, bad[i].hex, got,
				 mqtt_err_str(got), bad[i].want, mqtt_err_str(bad[i].want));
		seen[-got] = true;
		free(b);
	}
	/* the API-level errors */
	struct mqtt_decode_opts o = {3, 0, 0};
	struct mqtt_packet p;
	assert_int_equal(mqtt_decode((const uint8_t *)"\xc0\x00", 2, &o, &p), -MQTT_ERR_BAD_ARG);
	seen[MQTT_ERR_BAD_ARG] = true;
	uint8_t b[4];
	assert_int_equal(mqtt_encode_pingreq(b, 1), -MQTT_ERR_NOSPACE);
	seen[MQTT_ERR_NOSPACE] = true;
	struct mqtt_publish q = {.qos = 3, .topic = S("a")};
	assert_int_equal(mqtt_encode_publish(&q, MQTT_V5, b, sizeof b), -MQTT_ERR_ENCODE);
	seen[MQTT_ERR_ENCODE] = true;
	assert_int_equal(mqtt_peek_connect((const uint8_t *)"\x30", 1, 0, &p.connect),
			 -MQTT_ERR_NOT_CONNECT);
	seen[MQTT_ERR_NOT_CONNECT] = true;
	for (int e = 0; e < MQTT_ERR_COUNT; e++)
		if (!seen[e])
			fail_msg("error %d (%s) never triggered", e, mqtt_err_str(e));
}

/* Remaining Length at every varint boundary, through real packets, and the
 * max_packet limit at exactly its value. */
static void test_sizes(void **state)
{
	static const uint32_t rems[] = {127, 128, 16383, 16384, 2097151, 2097152};
	uint8_t *payload = calloc(1, 2097152);
	uint8_t *buf = malloc(2097152 + 16);
	for (size_t i = 0; i < ARRAY_N(rems); i++) {
		/* QoS 0, topic "t": rem = 2 + 1 + payload */
		struct mqtt_publish pub = {.topic = S("t"), .payload = {payload, rems[i] - 3}};
		int n = mqtt_encode_publish(&pub, MQTT_V311, buf, 2097152 + 16);
		assert_int_equal(n, (int)(rems[i] + 1 + (uint32_t)mqtt_varint_size(rems[i])));
		struct mqtt_fixed fx;
		assert_int_equal(mqtt_frame(buf, (size_t)n, 0, &fx), n);
		assert_int_equal(fx.remaining, rems[i]);
		assert_int_equal(fx.hdr_len, 1 + mqtt_varint_size(rems[i]));
		assert_int_equal(mqtt_frame(buf, (size_t)n, (uint32_t)n, &fx), n);
		assert_int_equal(mqtt_frame(buf, (size_t)n, (uint32_t)n - 1, &fx),
				 -MQTT_ERR_PACKET_TOO_LARGE);
		/* header complete, body not: need more, but the total is known */
		assert_int_equal(mqtt_frame(buf, fx.hdr_len, 0, &fx), MQTT_NEED_MORE);
		assert_int_equal(fx.total, (uint32_t)n);
		struct mqtt_packet d;
		struct mqtt_decode_opts o = {MQTT_V311, 0, 0};
		assert_int_equal(mqtt_decode(buf, (size_t)n, &o, &d), n);
		assert_int_equal(d.publish.payload.len, rems[i] - 3);
	}
	/* the largest Remaining Length is framed (and refused by max) without the body */
	static const uint8_t huge[] = {0x30, 0xff, 0xff, 0xff, 0x7f};
	struct mqtt_fixed fx;
	assert_int_equal(mqtt_frame(huge, sizeof huge, 0, &fx), MQTT_NEED_MORE);
	assert_int_equal(fx.total, MQTT_MAX_PACKET);
	assert_int_equal(mqtt_frame(huge, sizeof huge, 1 << 20, &fx), -MQTT_ERR_PACKET_TOO_LARGE);
	/* strings at 65535 bytes encode; 65536 do not */
	struct mqtt_publish big = {.topic = {payload, 65535}};
	memset(payload, 'a', 65536);
	int n = mqtt_encode_publish(&big, MQTT_V5, buf, 2097152);
	assert_int_equal(n, 1 + 3 + 2 + 65535 + 1);
	struct mqtt_packet d;
	assert_int_equal(mqtt_decode(buf, (size_t)n, NULL, &d), n);
	assert_int_equal(d.publish.topic.len, 65535);
	big.topic.len = 65536;
	assert_int_equal(mqtt_encode_publish(&big, MQTT_V5, buf, 2097152), -MQTT_ERR_ENCODE);
	struct mqtt_connect c = {.version = MQTT_V5, .client_id = {payload, 65536}};
	assert_int_equal(mqtt_encode_connect(&c, buf, 2097152), -MQTT_ERR_ENCODE);
	free(payload);
	free(buf);
}

/* Streaming: a byte stream of many packets decoded whole, then fed in arbitrary
 * slices through a small accumulating reader, yields the same packets. */
struct stream {
	uint8_t buf[16384];
	size_t have;
};

/* Appends data; decodes every complete packet, appending its re-encoding to out.
 * Returns packets decoded or -err. */
static int stream_feed(struct stream *s, const uint8_t *data, size_t n, uint8_t version,
		       uint8_t *out, size_t *outlen)
{
	int count = 0;
	memcpy(s->buf + s->have, data, n);
	s->have += n;
	for (;;) {
		struct mqtt_packet p;
		struct mqtt_decode_opts o = {version, 0, 0};
		int r = mqtt_decode(s->buf, s->have, &o, &p);
		if (r < 0)
			return r;
		if (r == 0)
			return count;
		int w = mqtt_encode(&p, version, out + *outlen, 65536);
		if (w < 0)
			return w;
		*outlen += (size_t)w;
		memmove(s->buf, s->buf + r, s->have - (size_t)r);
		s->have -= (size_t)r;
		count++;
	}
}

static void test_streaming(void **state)
{
	for (size_t v = 0; v < 2; v++) {
		uint8_t stream[16384], whole[16384], sliced[16384];
		size_t n = 0;
		int packets = 0;
		/* a session's worth of packets */
		struct mqtt_connect c = {.version = versions[v],
					 .clean_start = true,
					 .keep_alive = 30,
					 .client_id = S("streamer")};
		n += (size_t)mqtt_encode_connect(&c, stream + n, sizeof stream - n);
		packets++;
		for (int i = 0; i < 60; i++) {
			struct mqtt_publish pub = {.qos = (uint8_t)(i % 3),
						   .packet_id = (uint16_t)(i + 1),
						   .topic = S("bench/test")};
			uint8_t pl[200];
			memset(pl, i, sizeof pl);
			pub.payload = (struct mqtt_str){pl, (uint32_t)(i * 3)};
			n += (size_t)mqtt_encode_publish(&pub, versions[v], stream + n,
							 sizeof stream - n);
			n += (size_t)mqtt_encode_ack(MQTT_PUBACK, (uint16_t)(i + 1), 0, versions[v],
						     stream + n, sizeof stream - n);
			n += (size_t)mqtt_encode_pingreq(stream + n, sizeof stream - n);
			packets += 3;
		}
		n += (size_t)mqtt_encode_disconnect(0, versions[v], stream + n, sizeof stream - n);
		packets++;
		assert_true(n > 5000); /* some packets have 2-byte remaining lengths */

		struct stream s = {.have = 0};
		size_t wl = 0;
		assert_int_equal(stream_feed(&s, stream, n, versions[v], whole, &wl), packets);
		assert_int_equal(wl, n); /* canonical input re-encodes byte for byte */
		assert_memory_equal(whole, stream, n);

		unsigned seed = 12345;
		for (int round = 0; round < 50; round++) {
			size_t off = 0, sl = 0;
			int got = 0;
			s.have = 0;
			while (off < n) {
				seed = seed * 1103515245u + 12345u;
				size_t k = round == 0 ? 1 : 1 + (seed >> 16) % (round * 7 + 1);
				if (k > n - off)
					k = n - off;
				int r = stream_feed(&s, stream + off, k, versions[v], sliced, &sl);
				assert_true(r >= 0);
				got += r;
				off += k;
			}
			assert_int_equal(got, packets);
			assert_int_equal(s.have, 0);
			assert_int_equal(sl, wl);
			assert_memory_equal(sliced, whole, wl);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect),
	    cmocka_unit_test(test_connack),
	    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_acks),
	    cmocka_unit_test(test_subscribe),
	    cmocka_unit_test(test_suback_unsub),
	    cmocka_unit_test(test_ping_disconnect_auth),
	    cmocka_unit_test(test_every_property),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_streaming),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
