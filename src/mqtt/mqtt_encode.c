/* mqtt_encode.c — encoders: the exact size is computed first, then the packet is
 * written in one pass and the written length asserted against it. Canonical forms:
 * shortest varints, and 5.0's short acks / DISCONNECT / AUTH when the reason is 0
 * and there are no properties (5.0 §3.4.2.1, §3.14.2.1, §3.15.2.1). */
#include <assert.h>

#include "mqtt/mqtt-int.h"

/* Size of a property block on the wire: Property Length varint + contents. */
static int64_t props_block(const struct mqtt_props *ps, uint32_t *plen)
{
	int n = mqtt_props_size(ps);
	if (n < 0)
		return n;
	*plen = (uint32_t)n;
	return mqtt_varint_size((uint32_t)n) + n;
}

static inline uint8_t *put_props(uint8_t *w, const struct mqtt_props *ps, uint32_t plen)
{
	w = mqtt__put_varint(w, plen);
	return mqtt__props_write(w, ps);
}

static inline bool str_ok(struct mqtt_str s)
{
	return s.len <= MQTT_MAX_STRING && (s.p || s.len == 0);
}

static inline bool bin_ok(struct mqtt_str s)
{
	return s.p || s.len == 0;
}

/* Whole-packet size from the Remaining Length; 0 if too large. */
static inline uint64_t total_of(uint64_t rem)
{
	return rem > MQTT_MAX_REMAINING ? 0 : 1 + (uint64_t)mqtt_varint_size((uint32_t)rem) + rem;
}

static inline uint8_t *put_fixed(uint8_t *w, uint8_t type, uint8_t flags, uint32_t rem)
{
	*w++ = (uint8_t)(type << 4 | flags);
	return mqtt__put_varint(w, rem);
}

/* ---- per-packet remaining length (rem) and writer ---- */

struct sizes {
	uint64_t rem;
	uint32_t plen, wplen; /* property lengths (packet, will) */
};

static int size_connect(const struct mqtt_connect *c, struct sizes *sz)
{
	bool v5 = c->version == MQTT_V5;
	int64_t b;

	if (c->version != MQTT_V311 && c->version != MQTT_V5)
		return -MQTT_ERR_BAD_ARG;
	if (!str_ok(c->client_id) || (c->has_will && c->will.qos > 2))
		return -MQTT_ERR_ENCODE;
	sz->rem = 2 + 4 + 1 + 1 + 2 + 2 + (uint64_t)c->client_id.len;
	if (v5) {
		if ((b = props_block(&c->props, &sz->plen)) < 0)
			return (int)b;
		sz->rem += (uint64_t)b;
	}
	if (c->has_will) {
		if (!str_ok(c->will.topic) || !str_ok(c->will.payload))
			return -MQTT_ERR_ENCODE;
		if (v5) {
			if ((b = props_block(&c->will.props, &sz->wplen)) < 0)
				return (int)b;
			sz->rem += (uint64_t)b;
		}
		sz->rem += 4 + (uint64_t)c->will.topic.len + c->will.payload.len;
	}
	if (c->has_username) {
		if (!str_ok(c->username))
			return -MQTT_ERR_ENCODE;
		sz->rem += 2 + (uint64_t)c->username.len;
	}
	if (c->has_password) {
		if (!str_ok(c->password))
			return -MQTT_ERR_ENCODE;
		sz->rem += 2 + (uint64_t)c->password.len;
	}
	return 0;
}

static uint8_t *write_connect(uint8_t *w, const struct mqtt_connect *c, const struct sizes *sz)
{
	bool v5 = c->version == MQTT_V5;
	uint8_t fl = (uint8_t)((c->clean_start ? 0x02 : 0) | (c->has_username ? 0x80 : 0) |
			       (c->has_password ? 0x40 : 0));
	if (c->has_will)
		fl |= (uint8_t)(0x04 | (c->will.qos & 3) << 3 | (c->will.retain ? 0x20 : 0));
	w = put_fixed(w, MQTT_CONNECT, 0, (uint32_t)sz->rem);
	w = mqtt__put_str(w, (struct mqtt_str){(const uint8_t *)"MQTT", 4});
	*w++ = c->version;
	*w++ = fl;
	w = mqtt__put_u16(w, c->keep_alive);
	if (v5)
		w = put_props(w, &c->props, sz->plen);
	w = mqtt__put_str(w, c->client_id);
	if (c->has_will) {
		if (v5)
			w = put_props(w, &c->will.props, sz->wplen);
		w = mqtt__put_str(w, c->will.topic);
		w = mqtt__put_str(w, c->will.payload);
	}
	if (c->has_username)
		w = mqtt__put_str(w, c->username);
	if (c->has_password)
		w = mqtt__put_str(w, c->password);
	return w;
}

static int size_publish(const struct mqtt_publish *p, uint8_t version, struct sizes *sz)
{
	if (p->qos > 2 || !str_ok(p->topic) || !bin_ok(p->payload))
		return -MQTT_ERR_ENCODE;
	sz->rem = 2 + (uint64_t)p->topic.len + (p->qos ? 2 : 0) + p->payload.len;
	if (version == MQTT_V5) {
		if (!p->props.list && p->props.len == 0) {
			sz->plen = 0;
			sz->rem += 1;
		} else {
			int64_t b = props_block(&p->props, &sz->plen);
			if (b < 0)
				return (int)b;
			sz->rem += (uint64_t)b;
		}
	}
	return 0;
}

static inline uint8_t *write_publish_header(uint8_t *w, const struct mqtt_publish *p,
					    uint8_t version, const struct sizes *sz)
{
	uint8_t fl = (uint8_t)((p->dup ? 8 : 0) | p->qos << 1 | (p->retain ? 1 : 0));
	w = put_fixed(w, MQTT_PUBLISH, fl, (uint32_t)sz->rem);
	w = mqtt__put_str(w, p->topic);
	if (p->qos)
		w = mqtt__put_u16(w, p->packet_id);
	if (version == MQTT_V5)
		w = put_props(w, &p->props, sz->plen);
	return w;
}

/* Acks, DISCONNECT, AUTH: reason + properties, each left out when possible. */
static int size_reason_props(uint8_t reason, const struct mqtt_props *ps, struct sizes *sz,
			     uint64_t *extra)
{
	int64_t b;
	if ((b = props_block(ps, &sz->plen)) < 0)
		return (int)b;
	*extra = sz->plen ? (uint64_t)(1 + b) : reason ? 1 : 0;
	return 0;
}

static uint8_t *write_reason_props(uint8_t *w, uint8_t reason, const struct mqtt_props *ps,
				   const struct sizes *sz)
{
	if (sz->plen || reason)
		*w++ = reason;
	if (sz->plen)
		w = put_props(w, ps, sz->plen);
	return w;
}

static int size_subscribe(const struct mqtt_subscribe *s, bool v5, struct sizes *sz)
{
	sz->rem = 2;
	if (v5) {
		int64_t b = props_block(&s->props, &sz->plen);
		if (b < 0)
			return (int)b;
		sz->rem += (uint64_t)b;
	}
	if (s->subs) {
		if (s->count == 0)
			return -MQTT_ERR_ENCODE;
		for (uint32_t i = 0; i < s->count; i++) {
			if (!str_ok(s->subs[i].filter) || s->subs[i].opts.qos > 2)
				return -MQTT_ERR_ENCODE;
			sz->rem += 3 + (uint64_t)s->subs[i].filter.len;
		}
	} else {
		if (s->filters_raw.len == 0 || !bin_ok(s->filters_raw))
			return -MQTT_ERR_ENCODE;
		sz->rem += s->filters_raw.len;
	}
	return 0;
}

static int size_unsubscribe(const struct mqtt_unsubscribe *u, bool v5, struct sizes *sz)
{
	sz->rem = 2;
	if (v5) {
		int64_t b = props_block(&u->props, &sz->plen);
		if (b < 0)
			return (int)b;
		sz->rem += (uint64_t)b;
	}
	if (u->filters) {
		if (u->count == 0)
			return -MQTT_ERR_ENCODE;
		for (uint32_t i = 0; i < u->count; i++) {
			if (!str_ok(u->filters[i]))
				return -MQTT_ERR_ENCODE;
			sz->rem += 2 + (uint64_t)u->filters[i].len;
		}
	} else {
		if (u->filters_raw.len == 0 || !bin_ok(u->filters_raw))
			return -MQTT_ERR_ENCODE;
		sz->rem += u->filters_raw.len;
	}
	return 0;
}

/* Remaining Length of any packet; fills sz. 0 or -err. */
static int size_any(const struct mqtt_packet *p, uint8_t version, struct sizes *sz)
{
	bool v5 = version == MQTT_V5;
	uint64_t extra;
	int64_t b;
	int e;

	*sz = (struct sizes){0};
	if (p->type != MQTT_CONNECT && version != MQTT_V311 && version != MQTT_V5)
		return -MQTT_ERR_BAD_ARG;
	switch (p->type) {
	case MQTT_CONNECT:
		return size_connect(&p->connect, sz);
	case MQTT_CONNACK:
		sz->rem = 2;
		if (v5) {
			if ((b = props_block(&p->connack.props, &sz->plen)) < 0)
				return (int)b;
			sz->rem += (uint64_t)b;
		}
		return 0;
	case MQTT_PUBLISH:
		return size_publish(&p->publish, version, sz);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		sz->rem = 2;
		if (v5) {
			if ((e = size_reason_props(p->ack.reason, &p->ack.props, sz, &extra)) < 0)
				return e;
			sz->rem += extra;
		}
		return 0;
	case MQTT_SUBSCRIBE:
		return size_subscribe(&p->subscribe, v5, sz);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		sz->rem = 2;
		if (p->type == MQTT_UNSUBACK && !v5)
			return 0;
		if (!bin_ok(p->suback.reasons))
			return -MQTT_ERR_ENCODE;
		if (v5) {
			if ((b = props_block(&p->suback.props, &sz->plen)) < 0)
				return (int)b;
			sz->rem += (uint64_t)b;
		}
		sz->rem += p->suback.reasons.len;
		return 0;
	case MQTT_UNSUBSCRIBE:
		return size_unsubscribe(&p->unsubscribe, v5, sz);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return 0;
	case MQTT_AUTH:
		if (!v5)
			return -MQTT_ERR_BAD_ARG;
		/* fall through */
	case MQTT_DISCONNECT:
		if (v5) {
			e = size_reason_props(p->disconnect.reason, &p->disconnect.props, sz,
					      &extra);
			if (e < 0)
				return e;
			sz->rem = extra;
		}
		return 0;
	}
	return -MQTT_ERR_BAD_ARG;
}

static uint8_t *write_any(uint8_t *w, const struct mqtt_packet *p, uint8_t version,
			  const struct sizes *sz)
{
	bool v5 = version == MQTT_V5;
	uint32_t rem = (uint32_t)sz->rem;

	switch (p->type) {
	case MQTT_CONNECT:
		return write_connect(w, &p->connect, sz);
	case MQTT_CONNACK:
		w = put_fixed(w, MQTT_CONNACK, 0, rem);
		*w++ = p->connack.session_present ? 1 : 0;
		*w++ = p->connack.reason;
		if (v5)
			w = put_props(w, &p->connack.props, sz->plen);
		return w;
	case MQTT_PUBLISH:
		w = write_publish_header(w, &p->publish, version, sz);
		return mqtt__put_bytes(w, p->publish.payload.p, p->publish.payload.len);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		w = put_fixed(w, p->type, p->type == MQTT_PUBREL ? 2 : 0, rem);
		w = mqtt__put_u16(w, p->ack.packet_id);
		if (v5)
			w = write_reason_props(w, p->ack.reason, &p->ack.props, sz);
		return w;
	case MQTT_SUBSCRIBE: {
		const struct mqtt_subscribe *s = &p->subscribe;
		w = put_fixed(w, MQTT_SUBSCRIBE, 2, rem);
		w = mqtt__put_u16(w, s->packet_id);
		if (v5)
			w = put_props(w, &s->props, sz->plen);
		if (!s->subs)
			return mqtt__put_bytes(w, s->filters_raw.p, s->filters_raw.len);
		for (uint32_t i = 0; i < s->count; i++) {
			w = mqtt__put_str(w, s->subs[i].filter);
			uint8_t o = mqtt_sub_opts_byte(&s->subs[i].opts);
			*w++ = v5 ? o : (o & 3);
		}
		return w;
	}
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		w = put_fixed(w, p->type, 0, rem);
		w = mqtt__put_u16(w, p->suback.packet_id);
		if (p->type == MQTT_UNSUBACK && !v5)
			return w;
		if (v5)
			w = put_props(w, &p->suback.props, sz->plen);
		return mqtt__put_bytes(w, p->suback.reasons.p, p->suback.reasons.len);
	case MQTT_UNSUBSCRIBE: {
		const struct mqtt_unsubscribe *u = &p->unsubscribe;
		w = put_fixed(w, MQTT_UNSUBSCRIBE, 2, rem);
		w = mqtt__put_u16(w, u->packet_id);
		if (v5)
			w = put_props(w, &u->props, sz->plen);
		if (!u->filters)
			return mqtt__put_bytes(w, u->filters_raw.p, u->filters_raw.len);
		for (uint32_t i = 0; i < u->count; i++)
			w = mqtt__put_str(w, u->filters[i]);
		return w;
	}
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return put_fixed(w, p->type, 0, 0);
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		w = put_fixed(w, p->type, 0, rem);
		if (v5)
			w = write_reason_props(w, p->disconnect.reason, &p->disconnect.props, sz);
		return w;
	}
	return w;
}

int mqtt_size(const struct mqtt_packet *p, uint8_t version)
{
	struct sizes sz;
	int e = size_any(p, version, &sz);
	if (e < 0)
		return e;
	uint64_t total = total_of(sz.rem);
	return total ? (int)total : -MQTT_ERR_ENCODE;
}

int mqtt_encode(const struct mqtt_packet *p, uint8_t version, uint8_t *buf, size_t cap)
{
	struct sizes sz;
	int e = size_any(p, version, &sz);
	if (e < 0)
		return e;
	uint64_t total = total_of(sz.rem);
	if (!total)
		return -MQTT_ERR_ENCODE;
	if (total > cap)
		return -MQTT_ERR_NOSPACE;
	uint8_t *w = write_any(buf, p, version, &sz);
	assert((uint64_t)(w - buf) == total);
	return (int)(w - buf);
}

/* ---- dedicated encoders ---- */

size_t mqtt_size_publish(const struct mqtt_publish *pub, uint8_t version)
{
	struct sizes sz = {0};
	if ((version != MQTT_V311 && version != MQTT_V5) || size_publish(pub, version, &sz) < 0)
		return 0;
	return (size_t)total_of(sz.rem);
}

static inline int encode_publish(const struct mqtt_publish *pub, uint8_t version, uint8_t *buf,
				 size_t cap, bool with_payload)
{
	struct sizes sz = {0};
	if (version != MQTT_V311 && version != MQTT_V5)
		return -MQTT_ERR_BAD_ARG;
	int e = size_publish(pub, version, &sz);
	if (e < 0)
		return e;
	uint64_t total = total_of(sz.rem);
	if (!total)
		return -MQTT_ERR_ENCODE;
	uint64_t need = with_payload ? total : total - pub->payload.len;
	if (need > cap)
		return -MQTT_ERR_NOSPACE;
	uint8_t *w = write_publish_header(buf, pub, version, &sz);
	if (with_payload)
		w = mqtt__put_bytes(w, pub->payload.p, pub->payload.len);
	assert((uint64_t)(w - buf) == need);
	return (int)need;
}

int mqtt_encode_publish(const struct mqtt_publish *pub, uint8_t version, uint8_t *buf, size_t cap)
{
	return encode_publish(pub, version, buf, cap, true);
}

int mqtt_encode_publish_header(const struct mqtt_publish *pub, uint8_t version, uint8_t *buf,
			       size_t cap)
{
	return encode_publish(pub, version, buf, cap, false);
}

int mqtt_encode_ack(uint8_t type, uint16_t packet_id, uint8_t reason, uint8_t version, uint8_t *buf,
		    size_t cap)
{
	if (type < MQTT_PUBACK || type > MQTT_PUBCOMP ||
	    (version != MQTT_V311 && version != MQTT_V5))
		return -MQTT_ERR_BAD_ARG;
	size_t n = version == MQTT_V5 && reason ? 5 : 4;
	if (cap < n)
		return -MQTT_ERR_NOSPACE;
	buf[0] = (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0));
	buf[1] = (uint8_t)(n - 2);
	buf[2] = (uint8_t)(packet_id >> 8);
	buf[3] = (uint8_t)packet_id;
	if (n == 5)
		buf[4] = reason;
	return (int)n;
}

int mqtt_encode_connect(const struct mqtt_connect *c, uint8_t *buf, size_t cap)
{
	struct mqtt_packet p = {.type = MQTT_CONNECT, .connect = *c};
	return mqtt_encode(&p, c->version, buf, cap);
}

int mqtt_encode_connack(const struct mqtt_connack *c, uint8_t version, uint8_t *buf, size_t cap)
{
	struct mqtt_packet p = {.type = MQTT_CONNACK, .connack = *c};
	return mqtt_encode(&p, version, buf, cap);
}

int mqtt_encode_subscribe(const struct mqtt_subscribe *s, uint8_t version, uint8_t *buf, size_t cap)
{
	struct mqtt_packet p = {.type = MQTT_SUBSCRIBE, .subscribe = *s};
	return mqtt_encode(&p, version, buf, cap);
}

int mqtt_encode_unsubscribe(const struct mqtt_unsubscribe *u, uint8_t version, uint8_t *buf,
			    size_t cap)
{
	struct mqtt_packet p = {.type = MQTT_UNSUBSCRIBE, .unsubscribe = *u};
	return mqtt_encode(&p, version, buf, cap);
}

int mqtt_encode_pingreq(uint8_t *buf, size_t cap)
{
	if (cap < 2)
		return -MQTT_ERR_NOSPACE;
	buf[0] = MQTT_PINGREQ << 4;
	buf[1] = 0;
	return 2;
}

int mqtt_encode_disconnect(uint8_t reason, uint8_t version, uint8_t *buf, size_t cap)
{
	if (version != MQTT_V311 && version != MQTT_V5)
		return -MQTT_ERR_BAD_ARG;
	size_t n = version == MQTT_V5 && reason ? 3 : 2;
	if (cap < n)
		return -MQTT_ERR_NOSPACE;
	buf[0] = MQTT_DISCONNECT << 4;
	buf[1] = (uint8_t)(n - 2);
	if (n == 3)
		buf[2] = reason;
	return (int)n;
}
