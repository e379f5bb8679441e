/* mqtt_props.c — 5.0 properties (§2.2.2): validation, iteration, size, writing. */
#include "mqtt/mqtt-int.h"

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads one property at p[*i..len) into *out without judging where it may appear.
 * Returns 0 or -err (truncation, unknown id, non-minimal varint). */
static int prop_read(const uint8_t *p, uint32_t len, uint32_t *i, struct mqtt_prop *out)
{
	uint32_t k = *i, id, n;
	int r;

	/* The identifier is a Variable Byte Integer (5.0 §2.2.2.2); all defined ones
	 * fit in one byte. */
	if (p[k] & 0x80) {
		r = mqtt_varint_decode(p + k, len - k, &id);
		if (r == 0)
			return -MQTT_ERR_PROP_TRUNCATED;
		if (r < 0)
			return r;
		return -MQTT_ERR_PROP_UNKNOWN;
	}
	id = p[k++];
	if (id >= MQTT_PROP_COUNT || mqtt__prop_info[id].type == MQTT_PT_NONE)
		return -MQTT_ERR_PROP_UNKNOWN;
	out->id = (uint8_t)id;
	out->num = 0;
	out->str = (struct mqtt_str){NULL, 0};
	out->val = (struct mqtt_str){NULL, 0};
	switch (mqtt__prop_info[id].type) {
	case MQTT_PT_BYTE:
		if (len - k < 1)
			return -MQTT_ERR_PROP_TRUNCATED;
		out->num = p[k++];
		break;
	case MQTT_PT_U16:
		if (len - k < 2)
			return -MQTT_ERR_PROP_TRUNCATED;
		out->num = get16(p + k);
		k += 2;
		break;
	case MQTT_PT_U32:
		if (len - k < 4)
			return -MQTT_ERR_PROP_TRUNCATED;
		out->num = get32(p + k);
		k += 4;
		break;
	case MQTT_PT_VARINT:
		r = mqtt_varint_decode(p + k, len - k, &out->num);
		if (r == 0)
			return -MQTT_ERR_PROP_TRUNCATED;
		if (r < 0)
			return r;
		k += (uint32_t)r;
		break;
	case MQTT_PT_PAIR:
	case MQTT_PT_UTF8:
	case MQTT_PT_BINARY:
		if (len - k < 2)
			return -MQTT_ERR_PROP_TRUNCATED;
		n = get16(p + k);
		k += 2;
		if (len - k < n)
			return -MQTT_ERR_PROP_TRUNCATED;
		out->str = (struct mqtt_str){p + k, n};
		k += n;
		if (mqtt__prop_info[id].type != MQTT_PT_PAIR)
			break;
		if (len - k < 2)
			return -MQTT_ERR_PROP_TRUNCATED;
		n = get16(p + k);
		k += 2;
		if (len - k < n)
			return -MQTT_ERR_PROP_TRUNCATED;
		out->val = (struct mqtt_str){p + k, n};
		k += n;
		break;
	}
	*i = k;
	return 0;
}

int mqtt__props_parse(const uint8_t *p, uint32_t len, unsigned type, unsigned role, uint64_t *seen)
{
	uint64_t s = 0;
	uint32_t i = 0;
	struct mqtt_prop pr;
	int r;

	while (i < len) {
		r = prop_read(p, len, &i, &pr);
		if (r < 0)
			return r;
		const struct mqtt__prop_info *in = &mqtt__prop_info[pr.id];
		if (!(in->mask & (1u << type)))
			return -MQTT_ERR_PROP_NOT_ALLOWED;
		/* 5.0 §3.3.4 [MQTT-3.3.4-6]: a client's PUBLISH carries no Subscription
		 * Identifier; §3.14.2.2.2 [MQTT-3.14.2-2]: no Session Expiry Interval in a
		 * server's DISCONNECT. */
		if ((pr.id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER && type == MQTT_PUBLISH &&
		     role == MQTT_ROLE_SERVER) ||
		    (pr.id == MQTT_PROP_SESSION_EXPIRY_INTERVAL && type == MQTT_DISCONNECT &&
		     role == MQTT_ROLE_CLIENT))
			return -MQTT_ERR_PROP_NOT_ALLOWED;
		uint64_t bit = 1ull << pr.id;
		/* 5.0 §2.2.2.2: "It is a Protocol Error to include the same property more
		 * than once", except User Property, and Subscription Identifier in PUBLISH
		 * (§3.3.2.3.8) but not in SUBSCRIBE (§3.8.2.1.2). */
		if ((s & bit) && !(in->multi && (pr.id != MQTT_PROP_SUBSCRIPTION_IDENTIFIER ||
						 type == MQTT_PUBLISH)))
			return -MQTT_ERR_PROP_DUPLICATE;
		s |= bit;
		switch (in->type) {
		case MQTT_PT_BYTE:
			/* Every byte property is a 0/1 switch (Payload Format Indicator,
			 * Request Problem/Response Information, Maximum QoS, the four
			 * "Available" flags): anything else is a Protocol Error. */
			if (pr.num > 1)
				return -MQTT_ERR_PROP_VALUE;
			break;
		case MQTT_PT_U16:
			/* Receive Maximum 0 (§3.1.2.11.3) and Topic Alias 0 (§3.3.2.3.4) */
			if (pr.num == 0 &&
			    (pr.id == MQTT_PROP_RECEIVE_MAXIMUM || pr.id == MQTT_PROP_TOPIC_ALIAS))
				return -MQTT_ERR_PROP_VALUE;
			break;
		case MQTT_PT_U32:
			if (pr.num == 0 && pr.id == MQTT_PROP_MAXIMUM_PACKET_SIZE) /* §3.1.2.11.4 */
				return -MQTT_ERR_PROP_VALUE;
			break;
		case MQTT_PT_VARINT:
			if (pr.num == 0) /* Subscription Identifier 1..268435455 (§3.3.2.3.8) */
				return -MQTT_ERR_PROP_VALUE;
			break;
		case MQTT_PT_UTF8:
			if (pr.id == MQTT_PROP_RESPONSE_TOPIC) {
				/* a Topic Name (§3.3.2.3.5 [MQTT-3.3.2-14]) */
				r = mqtt_topic_check(pr.str);
			} else {
				r = mqtt_utf8_check(pr.str.p, pr.str.len);
			}
			if (r < 0)
				return r;
			break;
		case MQTT_PT_PAIR:
			r = mqtt_utf8_check(pr.str.p, pr.str.len);
			if (r == 0)
				r = mqtt_utf8_check(pr.val.p, pr.val.len);
			if (r < 0)
				return r;
			break;
		}
	}
	/* 5.0 §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3: Authentication Data only with an
	 * Authentication Method. */
	if ((s & (1ull << MQTT_PROP_AUTHENTICATION_DATA)) &&
	    !(s & (1ull << MQTT_PROP_AUTHENTICATION_METHOD)))
		return -MQTT_ERR_AUTH_DATA_NO_METHOD;
	if (seen)
		*seen = s;
	return 0;
}

int mqtt_props_check(const uint8_t *p, uint32_t len, uint8_t type)
{
	if (type >= MQTT_TYPE_COUNT)
		return -MQTT_ERR_BAD_ARG;
	return mqtt__props_parse(p, len, type, MQTT_ROLE_ANY, NULL);
}

int mqtt_prop_next(const struct mqtt_props *props, uint32_t *off, struct mqtt_prop *out)
{
	if (props->list) {
		if (*off >= props->count)
			return 0;
		*out = props->list[(*off)++];
		return 1;
	}
	if (*off >= props->len)
		return 0;
	int r = prop_read(props->raw, props->len, off, out);
	return r < 0 ? r : 1;
}

int mqtt_prop_find(const struct mqtt_props *props, uint8_t id, struct mqtt_prop *out)
{
	uint32_t off = 0;
	struct mqtt_prop pr;
	while (mqtt_prop_next(props, &off, &pr) > 0) {
		if (pr.id == id) {
			if (out)
				*out = pr;
			return 1;
		}
	}
	return 0;
}

int mqtt_props_size(const struct mqtt_props *props)
{
	if (!props->list)
		return props->len <= MQTT_MAX_REMAINING ? (int)props->len : -MQTT_ERR_ENCODE;
	uint64_t n = 0;
	for (uint32_t i = 0; i < props->count; i++) {
		const struct mqtt_prop *pr = &props->list[i];
		if (pr->id >= MQTT_PROP_COUNT)
			return -MQTT_ERR_ENCODE;
		n += 1;
		switch (mqtt__prop_info[pr->id].type) {
		case MQTT_PT_BYTE:
			if (pr->num > 255)
				return -MQTT_ERR_ENCODE;
			n += 1;
			break;
		case MQTT_PT_U16:
			if (pr->num > 65535)
				return -MQTT_ERR_ENCODE;
			n += 2;
			break;
		case MQTT_PT_U32:
			n += 4;
			break;
		case MQTT_PT_VARINT:
			if (pr->num > MQTT_MAX_REMAINING)
				return -MQTT_ERR_ENCODE;
			n += (uint64_t)mqtt_varint_size(pr->num);
			break;
		case MQTT_PT_PAIR:
			if (pr->val.len > MQTT_MAX_STRING)
				return -MQTT_ERR_ENCODE;
			n += 2 + pr->val.len;
			/* fall through */
		case MQTT_PT_UTF8:
		case MQTT_PT_BINARY:
			if (pr->str.len > MQTT_MAX_STRING)
				return -MQTT_ERR_ENCODE;
			n += 2 + pr->str.len;
			break;
		default:
			return -MQTT_ERR_ENCODE;
		}
		if (n > MQTT_MAX_REMAINING)
			return -MQTT_ERR_ENCODE;
	}
	return (int)n;
}

uint8_t *mqtt__props_write(uint8_t *w, const struct mqtt_props *ps)
{
	if (!ps->list)
		return mqtt__put_bytes(w, ps->raw, ps->len);
	for (uint32_t i = 0; i < ps->count; i++) {
		const struct mqtt_prop *pr = &ps->list[i];
		*w++ = pr->id;
		switch (mqtt__prop_info[pr->id].type) {
		case MQTT_PT_BYTE:
			*w++ = (uint8_t)pr->num;
			break;
		case MQTT_PT_U16:
			w = mqtt__put_u16(w, (uint16_t)pr->num);
			break;
		case MQTT_PT_U32:
			w[0] = (uint8_t)(pr->num >> 24);
			w[1] = (uint8_t)(pr->num >> 16);
			w[2] = (uint8_t)(pr->num >> 8);
			w[3] = (uint8_t)pr->num;
			w += 4;
			break;
		case MQTT_PT_VARINT:
			w = mqtt__put_varint(w, pr->num);
			break;
		case MQTT_PT_UTF8:
		case MQTT_PT_BINARY:
			w = mqtt__put_str(w, pr->str);
			break;
		case MQTT_PT_PAIR:
			w = mqtt__put_str(w, pr->str);
			w = mqtt__put_str(w, pr->val);
			break;
		}
	}
	return w;
}
