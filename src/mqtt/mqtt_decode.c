/* mqtt_decode.c — framing and decoding with validation of all 15 control packets
 * (5.0 §2-§3, 3.1.1 §2-§3). Pure: reads buf[0..len), writes only *out, allocates
 * nothing; every string handed back is a view into buf. */
#include "mqtt/mqtt-int.h"

/* Fixed-header flags each type must carry (5.0 §2.1.3 table 2-2); PUBLISH is free. */
static const uint8_t required_flags[MQTT_TYPE_COUNT] = {
    [MQTT_PUBREL] = 2,
    [MQTT_SUBSCRIBE] = 2,
    [MQTT_UNSUBSCRIBE] = 2,
};

/* Who may send what (5.0 §2.1.2 table 2-1). DISCONNECT from a server is 5.0 only. */
#define FROM_BOTH                                                                                  \
	(MQTT_PKT(MQTT_PUBLISH) | MQTT_PKT(MQTT_PUBACK) | MQTT_PKT(MQTT_PUBREC) |                  \
	 MQTT_PKT(MQTT_PUBREL) | MQTT_PKT(MQTT_PUBCOMP) | MQTT_PKT(MQTT_DISCONNECT) |              \
	 MQTT_PKT(MQTT_AUTH))
static const uint32_t from_client = FROM_BOTH | MQTT_PKT(MQTT_CONNECT) | MQTT_PKT(MQTT_SUBSCRIBE) |
				    MQTT_PKT(MQTT_UNSUBSCRIBE) | MQTT_PKT(MQTT_PINGREQ);
static const uint32_t from_server = FROM_BOTH | MQTT_PKT(MQTT_CONNACK) | MQTT_PKT(MQTT_SUBACK) |
				    MQTT_PKT(MQTT_UNSUBACK) | MQTT_PKT(MQTT_PINGRESP);

static inline int frame(const uint8_t *buf, size_t len, uint32_t max, struct mqtt_fixed *out)
{
	if (len == 0)
		return MQTT_NEED_MORE;
	uint8_t b0 = buf[0], type = b0 >> 4, flags = b0 & 0x0f;
	if (type == MQTT_RESERVED)
		return -MQTT_ERR_RESERVED_TYPE;
	if (type == MQTT_PUBLISH) {
		if ((flags & 0x06) == 0x06) /* 5.0 §3.3.1.2 [MQTT-3.3.1-4] */
			return -MQTT_ERR_QOS_INVALID;
	} else if (flags != required_flags[type]) {
		return -MQTT_ERR_FIXED_FLAGS; /* 5.0 §2.1.3 [MQTT-2.1.3-1] */
	}
	uint32_t rem;
	int hl;
	if (len >= 2 && buf[1] < 0x80) {
		rem = buf[1];
		hl = 2;
	} else {
		int r = mqtt_varint_decode(buf + 1, len - 1, &rem);
		if (r <= 0)
			return r;
		hl = 1 + r;
	}
	uint32_t total = (uint32_t)hl + rem;
	out->type = type;
	out->flags = flags;
	out->hdr_len = (uint8_t)hl;
	out->remaining = rem;
	out->total = total;
	if (total > (max ? max : MQTT_MAX_PACKET)) /* 5.0 §3.1.2.11.4, §4.13 */
		return -MQTT_ERR_PACKET_TOO_LARGE;
	return len >= total ? (int)total : MQTT_NEED_MORE;
}

int mqtt_frame(const uint8_t *buf, size_t len, uint32_t max_packet, struct mqtt_fixed *out)
{
	struct mqtt_fixed tmp;
	return frame(buf, len, max_packet, out ? out : &tmp);
}

/* ---- bounds-checked readers over [p, end) ---- */

struct rd {
	const uint8_t *p, *end;
};

static inline size_t left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return -MQTT_ERR_TRUNCATED;
	*v = *r->p++;
	return 0;
}

static inline int rd_u16(struct rd *r, uint16_t *v)
{
	if (left(r) < 2)
		return -MQTT_ERR_TRUNCATED;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return 0;
}

/* Two-byte length + bytes (5.0 §1.5.4 / §1.5.6), no content check. */
static inline int rd_bin(struct rd *r, struct mqtt_str *s)
{
	if (left(r) < 2)
		return -MQTT_ERR_TRUNCATED;
	uint32_t n = (uint32_t)(r->p[0] << 8 | r->p[1]);
	if (left(r) - 2 < n)
		return -MQTT_ERR_TRUNCATED;
	s->p = r->p + 2;
	s->len = n;
	r->p += 2 + n;
	return 0;
}

static inline int rd_utf8(struct rd *r, struct mqtt_str *s)
{
	int e = rd_bin(r, s);
	return e < 0 ? e : mqtt_utf8_check(s->p, s->len);
}

static inline int rd_packet_id(struct rd *r, uint16_t *id)
{
	int e = rd_u16(r, id);
	if (e < 0)
		return e;
	/* 5.0 §2.2.1 [MQTT-2.2.1-3..5]: non-zero in QoS>0 PUBLISH, PUBACK..PUBCOMP,
	 * SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK. */
	return *id ? 0 : -MQTT_ERR_PACKET_ID_ZERO;
}

/* Property Length + block (5.0 §2.2.2.1), validated for this packet type. */
static inline int rd_props(struct rd *r, unsigned type, unsigned role, struct mqtt_props *ps,
			   uint64_t *seen)
{
	uint32_t n;
	int e;
	if (r->p < r->end && *r->p == 0) { /* the common empty block */
		r->p++;
		*ps = (struct mqtt_props){r->p, 0, NULL, 0};
		*seen = 0;
		return 0;
	}
	e = mqtt_varint_decode(r->p, left(r), &n);
	if (e == 0)
		return -MQTT_ERR_TRUNCATED;
	if (e < 0)
		return e;
	r->p += e;
	if (left(r) < n)
		return -MQTT_ERR_PROP_TRUNCATED;
	*ps = (struct mqtt_props){r->p, n, NULL, 0};
	r->p += n;
	return mqtt__props_parse(ps->raw, n, type, role, seen);
}

static inline int done(const struct rd *r)
{
	return r->p == r->end ? 0 : -MQTT_ERR_TRAILING;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		int e_ = (x);                                                                      \
		if (e_ < 0)                                                                        \
			return e_;                                                                 \
	} while (0)

/* ---- packets ---- */

/* CONNECT: 5.0 §3.1, 3.1.1 §3.1. */
static int dec_connect(struct rd *r, struct mqtt_connect *c)
{
	struct mqtt_str name;
	uint8_t level, fl;
	uint64_t seen;

	*c = (struct mqtt_connect){0};
	TRY(rd_bin(r, &name));
	TRY(rd_u8(r, &level));
	/* 5.0 §3.1.2.1-2; 3.1 used "MQIsdp" with level 3: recognised, unsupported. */
	if (name.len == 4 && memcmp(name.p, "MQTT", 4) == 0) {
		if (level != MQTT_V311 && level != MQTT_V5)
			return -MQTT_ERR_PROTOCOL_VERSION;
	} else if (name.len == 6 && memcmp(name.p, "MQIsdp", 6) == 0) {
		return -MQTT_ERR_PROTOCOL_VERSION;
	} else {
		return -MQTT_ERR_PROTOCOL_NAME;
	}
	c->version = level;
	bool v5 = level == MQTT_V5;
	TRY(rd_u8(r, &fl));
	if (fl & 0x01) /* 5.0 §3.1.2.3 [MQTT-3.1.2-3] */
		return -MQTT_ERR_CONNECT_RESERVED;
	c->clean_start = fl & 0x02;
	c->has_will = fl & 0x04;
	c->will.qos = (fl >> 3) & 3;
	c->will.retain = fl & 0x20;
	c->has_password = fl & 0x40;
	c->has_username = fl & 0x80;
	if (!c->has_will && (c->will.qos || c->will.retain)) /* [MQTT-3.1.2-11], -13 */
		return -MQTT_ERR_WILL_FLAGS;
	if (c->will.qos == 3) /* [MQTT-3.1.2-12] */
		return -MQTT_ERR_WILL_QOS;
	if (!v5 && c->has_password && !c->has_username) /* 3.1.1 [MQTT-3.1.2-22] */
		return -MQTT_ERR_PASSWORD_NO_USERNAME;
	TRY(rd_u16(r, &c->keep_alive));
	if (v5)
		TRY(rd_props(r, MQTT_CONNECT, MQTT_ROLE_SERVER, &c->props, &seen));
	TRY(rd_utf8(r, &c->client_id));
	/* 3.1.1 §3.1.3.1 [MQTT-3.1.3-8]: empty ClientID needs CleanSession = 1.
	 * (5.0 lets the server assign one, §3.1.3.1.) */
	if (!v5 && c->client_id.len == 0 && !c->clean_start)
		return -MQTT_ERR_CLIENT_ID_REJECTED;
	if (c->has_will) {
		if (v5)
			TRY(rd_props(r, MQTT_RESERVED, MQTT_ROLE_SERVER, &c->will.props, &seen));
		TRY(rd_bin(r, &c->will.topic));
		TRY(mqtt_topic_check(c->will.topic)); /* §3.1.3.3: a Topic Name */
		TRY(rd_bin(r, &c->will.payload));
	}
	if (c->has_username)
		TRY(rd_utf8(r, &c->username));
	if (c->has_password)
		TRY(rd_bin(r, &c->password));
	return done(r);
}

/* CONNACK: 5.0 §3.2, 3.1.1 §3.2. */
static int dec_connack(struct rd *r, uint8_t version, struct mqtt_connack *c)
{
	uint8_t fl;
	uint64_t seen;

	*c = (struct mqtt_connack){0};
	if (version == MQTT_V311 && left(r) != 2)
		return -MQTT_ERR_BAD_LENGTH;
	TRY(rd_u8(r, &fl));
	if (fl & 0xfe) /* [MQTT-3.2.2-1] */
		return -MQTT_ERR_CONNACK_FLAGS;
	c->session_present = fl & 1;
	TRY(rd_u8(r, &c->reason));
	if (version == MQTT_V311 ? c->reason >= MQTT_V3_CONNACK_COUNT
				 : !(mqtt__reason_mask[c->reason] & MQTT_PKT(MQTT_CONNACK)))
		return -MQTT_ERR_REASON_CODE;
	if (c->session_present && c->reason) /* 5.0 [MQTT-3.2.2-6], 3.1.1 [MQTT-3.2.2-4] */
		return -MQTT_ERR_CONNACK_SESSION;
	if (version == MQTT_V5)
		TRY(rd_props(r, MQTT_CONNACK, MQTT_ROLE_CLIENT, &c->props, &seen));
	return done(r);
}

/* PUBLISH: 5.0 §3.3, 3.1.1 §3.3. The hot path. */
static inline int dec_publish(struct rd *r, uint8_t flags, uint8_t version, unsigned role,
			      struct mqtt_publish *p)
{
	uint64_t seen = 0;

	p->qos = (flags >> 1) & 3;
	p->dup = flags & 8;
	p->retain = flags & 1;
	p->packet_id = 0;
	if (p->dup && p->qos == 0) /* 5.0 [MQTT-3.3.1-2], 3.1.1 [MQTT-3.3.1-2] */
		return -MQTT_ERR_DUP_QOS0;
	TRY(rd_bin(r, &p->topic));
	if (p->qos)
		TRY(rd_packet_id(r, &p->packet_id));
	if (version == MQTT_V5)
		TRY(rd_props(r, MQTT_PUBLISH, role, &p->props, &seen));
	else
		p->props = (struct mqtt_props){0};
	if (p->topic.len == 0) {
		/* 5.0 §3.3.2.1: empty only with a Topic Alias; 3.1.1 [MQTT-4.7.3-1]. */
		if (!(seen & (1ull << MQTT_PROP_TOPIC_ALIAS)))
			return -MQTT_ERR_TOPIC_EMPTY;
	} else {
		TRY(mqtt__topic_chars(p->topic.p, p->topic.len));
	}
	p->payload = (struct mqtt_str){r->p, (uint32_t)left(r)};
	r->p = r->end;
	return 0;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP: 5.0 §3.4-§3.7, 3.1.1 §3.4-§3.7. */
static int dec_ack(struct rd *r, uint8_t type, uint8_t version, unsigned role, struct mqtt_ack *a)
{
	uint64_t seen;

	*a = (struct mqtt_ack){0};
	if (version == MQTT_V311 && left(r) != 2)
		return -MQTT_ERR_BAD_LENGTH;
	TRY(rd_packet_id(r, &a->packet_id));
	if (left(r) == 0) { /* 5.0 §3.4.2.1: no Reason Code means 0x00 */
		a->props.raw = r->p;
		return 0;
	}
	TRY(rd_u8(r, &a->reason));
	if (!(mqtt__reason_mask[a->reason] & MQTT_PKT(type)))
		return -MQTT_ERR_REASON_CODE;
	if (left(r) == 0) { /* §3.4.2.2.1: no Property Length means none */
		a->props.raw = r->p;
		return 0;
	}
	TRY(rd_props(r, type, role, &a->props, &seen));
	return done(r);
}

/* SUBSCRIBE: 5.0 §3.8, 3.1.1 §3.8. */
static int dec_subscribe(struct rd *r, uint8_t version, struct mqtt_subscribe *s)
{
	uint64_t seen;
	bool v5 = version == MQTT_V5;

	*s = (struct mqtt_subscribe){0};
	TRY(rd_packet_id(r, &s->packet_id));
	if (v5)
		TRY(rd_props(r, MQTT_SUBSCRIBE, MQTT_ROLE_SERVER, &s->props, &seen));
	s->filters_raw = (struct mqtt_str){r->p, (uint32_t)left(r)};
	if (left(r) == 0) /* 5.0 [MQTT-3.8.3-2], 3.1.1 [MQTT-3.8.3-3] */
		return -MQTT_ERR_NO_FILTERS;
	while (left(r)) {
		struct mqtt_str f;
		uint8_t o;
		bool shared;
		TRY(rd_bin(r, &f));
		TRY(mqtt__filter_check(f.p, f.len, v5, &shared));
		TRY(rd_u8(r, &o));
		/* 5.0 §3.8.3.1 / 3.1.1 §3.8.3: QoS 3, Retain Handling 3 and the reserved
		 * bits (7-6 in 5.0, 7-2 in 3.1.1) are malformed. */
		if ((o & 3) == 3)
			return -MQTT_ERR_SUB_QOS;
		if (o & (v5 ? 0xc0 : 0xfc))
			return -MQTT_ERR_SUB_RESERVED;
		if (((o >> 4) & 3) == 3)
			return -MQTT_ERR_SUB_RETAIN_HANDLING;
		if (shared && (o & 0x04)) /* [MQTT-3.8.3-4] */
			return -MQTT_ERR_SUB_SHARED_NO_LOCAL;
		s->count++;
	}
	return 0;
}

/* UNSUBSCRIBE: 5.0 §3.10, 3.1.1 §3.10. */
static int dec_unsubscribe(struct rd *r, uint8_t version, struct mqtt_unsubscribe *u)
{
	uint64_t seen;
	bool v5 = version == MQTT_V5;

	*u = (struct mqtt_unsubscribe){0};
	TRY(rd_packet_id(r, &u->packet_id));
	if (v5)
		TRY(rd_props(r, MQTT_UNSUBSCRIBE, MQTT_ROLE_SERVER, &u->props, &seen));
	u->filters_raw = (struct mqtt_str){r->p, (uint32_t)left(r)};
	if (left(r) == 0) /* 5.0 [MQTT-3.10.3-2], 3.1.1 [MQTT-3.10.3-2] */
		return -MQTT_ERR_NO_FILTERS;
	while (left(r)) {
		struct mqtt_str f;
		bool shared;
		TRY(rd_bin(r, &f));
		TRY(mqtt__filter_check(f.p, f.len, v5, &shared));
		u->count++;
	}
	return 0;
}

/* SUBACK (5.0 §3.9) and UNSUBACK (§3.11). */
static int dec_suback(struct rd *r, uint8_t type, uint8_t version, struct mqtt_suback *s)
{
	uint64_t seen;

	*s = (struct mqtt_suback){0};
	if (type == MQTT_UNSUBACK && version == MQTT_V311) {
		if (left(r) != 2) /* 3.1.1 §3.11.1: Remaining Length 2 */
			return -MQTT_ERR_BAD_LENGTH;
		TRY(rd_packet_id(r, &s->packet_id));
		s->reasons.p = r->p;
		return 0;
	}
	TRY(rd_packet_id(r, &s->packet_id));
	if (version == MQTT_V5)
		TRY(rd_props(r, type, MQTT_ROLE_CLIENT, &s->props, &seen));
	s->reasons = (struct mqtt_str){r->p, (uint32_t)left(r)};
	if (s->reasons.len == 0)
		return -MQTT_ERR_NO_REASONS;
	for (uint32_t i = 0; i < s->reasons.len; i++) {
		uint8_t c = s->reasons.p[i];
		/* 3.1.1 §3.9.3: 0x00, 0x01, 0x02, 0x80 */
		if (version == MQTT_V311 ? (c > 2 && c != MQTT_V3_SUBACK_FAILURE)
					 : !(mqtt__reason_mask[c] & MQTT_PKT(type)))
			return -MQTT_ERR_REASON_CODE;
	}
	r->p = r->end;
	return 0;
}

/* DISCONNECT (5.0 §3.14, 3.1.1 §3.14) and AUTH (5.0 §3.15): Reason Code and
 * properties may be left out (Remaining Length 0 or 1). */
static int dec_disconnect(struct rd *r, uint8_t type, uint8_t version, unsigned role,
			  struct mqtt_disconnect *d)
{
	uint64_t seen;

	*d = (struct mqtt_disconnect){0};
	d->props.raw = r->p;
	if (version == MQTT_V311)
		return left(r) ? -MQTT_ERR_BAD_LENGTH : 0;
	if (left(r) == 0)
		return 0;
	TRY(rd_u8(r, &d->reason));
	if (!(mqtt__reason_mask[d->reason] & MQTT_PKT(type)))
		return -MQTT_ERR_REASON_CODE;
	if (left(r) == 0)
		return 0;
	TRY(rd_props(r, type, role, &d->props, &seen));
	return done(r);
}

static int dec_body(const uint8_t *buf, const struct mqtt_fixed *fx, uint8_t version, unsigned role,
		    struct mqtt_packet *out)
{
	struct rd r = {buf + fx->hdr_len, buf + fx->total};
	uint8_t t = fx->type;

	/* AUTH does not exist in 3.1.1 (type 15 is reserved there, §2.2.1). */
	if (t == MQTT_AUTH && version == MQTT_V311)
		return -MQTT_ERR_AUTH_IN_V311;
	if ((role == MQTT_ROLE_SERVER && !(from_client & MQTT_PKT(t))) ||
	    (role == MQTT_ROLE_CLIENT &&
	     (!(from_server & MQTT_PKT(t)) || (t == MQTT_DISCONNECT && version == MQTT_V311))))
		return -MQTT_ERR_WRONG_DIRECTION;
	out->type = t;
	out->version = version;
	out->size = fx->total;
	switch (t) {
	case MQTT_CONNECT:
		TRY(dec_connect(&r, &out->connect));
		out->version = out->connect.version;
		return 0;
	case MQTT_CONNACK:
		return dec_connack(&r, version, &out->connack);
	case MQTT_PUBLISH:
		return dec_publish(&r, fx->flags, version, role, &out->publish);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return dec_ack(&r, t, version, role, &out->ack);
	case MQTT_SUBSCRIBE:
		return dec_subscribe(&r, version, &out->subscribe);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return dec_suback(&r, t, version, &out->suback);
	case MQTT_UNSUBSCRIBE:
		return dec_unsubscribe(&r, version, &out->unsubscribe);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return fx->remaining ? -MQTT_ERR_BAD_LENGTH : 0; /* §3.12.1, §3.13.1 */
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return dec_disconnect(&r, t, version, role, &out->disconnect);
	}
	return -MQTT_ERR_RESERVED_TYPE;
}

int mqtt_decode(const uint8_t *buf, size_t len, const struct mqtt_decode_opts *opts,
		struct mqtt_packet *out)
{
	uint8_t version = opts ? opts->version : MQTT_V5;
	unsigned role = opts ? opts->role : MQTT_ROLE_ANY;
	uint32_t max = opts ? opts->max_packet : 0;
	struct mqtt_fixed fx;

	if ((version != MQTT_V311 && version != MQTT_V5) || role >= MQTT_ROLE_COUNT)
		return -MQTT_ERR_BAD_ARG;
	int n = frame(buf, len, max, &fx);
	if (n <= 0)
		return n;
	/* Fast path: a PUBLISH (the bulk of any MQTT stream). */
	if (fx.type == MQTT_PUBLISH) {
		struct rd r = {buf + fx.hdr_len, buf + n};
		out->type = MQTT_PUBLISH;
		out->version = version;
		out->size = (uint32_t)n;
		int e = dec_publish(&r, fx.flags, version, role, &out->publish);
		return e < 0 ? e : n;
	}
	int e = dec_body(buf, &fx, version, role, out);
	return e < 0 ? e : n;
}

int mqtt_peek_connect(const uint8_t *buf, size_t len, uint32_t max_packet, struct mqtt_connect *out)
{
	struct mqtt_fixed fx;
	struct mqtt_packet p;

	/* Judge the first byte before waiting for more (5.0 [MQTT-3.1.0-1]). */
	if (len > 0 && buf[0] >> 4 != MQTT_CONNECT)
		return -MQTT_ERR_NOT_CONNECT;
	int n = frame(buf, len, max_packet, &fx);
	if (n <= 0)
		return n;
	int e = dec_body(buf, &fx, MQTT_V5, MQTT_ROLE_SERVER, &p);
	if (e < 0)
		return e;
	*out = p.connect;
	return n;
}

int mqtt_sub_next(const struct mqtt_subscribe *s, uint32_t *off, struct mqtt_subscription *out)
{
	const uint8_t *p = s->filters_raw.p;
	uint32_t len = s->filters_raw.len, k = *off;

	if (s->subs) {
		if (k >= s->count)
			return 0;
		*out = s->subs[k];
		*off = k + 1;
		return 1;
	}
	if (k + 3 > len)
		return 0;
	uint32_t n = (uint32_t)(p[k] << 8 | p[k + 1]);
	if (k + 3 + n > len)
		return 0;
	out->filter = (struct mqtt_str){p + k + 2, n};
	uint8_t o = p[k + 2 + n];
	out->opts.qos = o & 3;
	out->opts.no_local = o & 0x04;
	out->opts.retain_as_published = o & 0x08;
	out->opts.retain_handling = (o >> 4) & 3;
	*off = k + 3 + n;
	return 1;
}

int mqtt_unsub_next(const struct mqtt_unsubscribe *u, uint32_t *off, struct mqtt_str *out)
{
	const uint8_t *p = u->filters_raw.p;
	uint32_t len = u->filters_raw.len, k = *off;

	if (u->filters) {
		if (k >= u->count)
			return 0;
		*out = u->filters[k];
		*off = k + 1;
		return 1;
	}
	if (k + 2 > len)
		return 0;
	uint32_t n = (uint32_t)(p[k] << 8 | p[k + 1]);
	if (k + 2 + n > len)
		return 0;
	*out = (struct mqtt_str){p + k + 2, n};
	*off = k + 2 + n;
	return 1;
}

uint8_t mqtt_sub_opts_byte(const struct mqtt_sub_opts *o)
{
	return (uint8_t)((o->qos & 3) | (o->no_local ? 0x04 : 0) |
			 (o->retain_as_published ? 0x08 : 0) | (o->retain_handling & 3) << 4);
}
