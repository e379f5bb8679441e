/* proxy_hello.c — judging a client's first bytes (its CONNECT) and the CONNACK
 * that answers a refusal. Pure: no I/O, no allocation (see proxy.h). */
#include "director/proxy.h"

#include <string.h>

#include "mqtt/mqtt.h"

static const char *const reject_names[PROXY_REJ_COUNT] = {
#define PROXY__REJ_STR(name, str) str,
    PROXY_REJECT_LIST(PROXY__REJ_STR)
#undef PROXY__REJ_STR
};

const char *proxy_reject_name(enum proxy_reject r)
{
	return (unsigned)r < PROXY_REJ_COUNT ? reject_names[r] : "?";
}

/* The protocol level byte of a (possibly malformed or partial) CONNECT, read
 * without the codec: fixed header, Protocol Name "MQTT" (5.0 §3.1.2.1) or
 * "MQIsdp" (3.1), then the level (§3.1.2.2). 0 when it is not there. */
static uint8_t raw_level(const uint8_t *b, size_t len, size_t *name_len)
{
	size_t i = 1;
	if (len < 2 || b[0] >> 4 != MQTT_CONNECT)
		return 0;
	while (i < len && i < 5 && (b[i] & 0x80))
		i++;
	i++; /* last length byte */
	if (i + 2 > len)
		return 0;
	size_t nlen = (size_t)b[i] << 8 | b[i + 1];
	i += 2;
	if (i + nlen + 1 > len)
		return 0;
	if (!((nlen == 4 && memcmp(b + i, "MQTT", 4) == 0) ||
	      (nlen == 6 && memcmp(b + i, "MQIsdp", 6) == 0)))
		return 0;
	if (name_len)
		*name_len = nlen;
	return b[i + nlen];
}

/* A length-prefixed field at b[*i] inside a packet ending at end: its bytes
 * in *p, *n; advances *i. 0, or -1 when it overruns. */
static int field(const uint8_t *b, size_t *i, size_t end, const uint8_t **p, uint32_t *n)
{
	if (*i + 2 > end)
		return -1;
	*n = (uint32_t)b[*i] << 8 | b[*i + 1];
	if (*i + 2 + *n > end)
		return -1;
	*p = b + *i + 2;
	*i += 2 + *n;
	return 0;
}

/* A complete MQTT 3.1 CONNECT (MQIsdp, level 3: the codec knows only 3.1.1 and
 * 5.0) of fx.total bytes: its ClientID, and that the will, user name and
 * password fields its flags announce fit the packet exactly (3.1 §3.1; the
 * layout is 3.1.1's without its later rules). 1 with h set, or -1. */
static int peek_v31(const uint8_t *b, const struct mqtt_fixed *fx, struct proxy_hello *h)
{
	size_t i = fx->hdr_len + 2 + 6 + 1, end = fx->total;
	const uint8_t *p;
	uint32_t n;
	if (i + 3 > end)
		return -1;
	uint8_t fl = b[i];
	i += 3; /* flags, keepalive */
	if ((fl & 0x01) || (!(fl & 0x04) && (fl & 0x38)) || ((fl >> 3) & 3) == 3)
		return -1; /* reserved bit; will QoS/retain without a will */
	if (field(b, &i, end, &h->clientid, &h->clientid_len) < 0)
		return -1;
	if ((fl & 0x04) && (field(b, &i, end, &p, &n) < 0 || field(b, &i, end, &p, &n) < 0))
		return -1;
	if ((fl & 0x80) && field(b, &i, end, &p, &n) < 0)
		return -1;
	if ((fl & 0x40) && field(b, &i, end, &p, &n) < 0)
		return -1;
	if (i != end)
		return -1;
	h->connect_len = fx->total;
	return 1;
}

int proxy_hello_peek(const uint8_t *buf, size_t len, uint32_t max, struct proxy_hello *h)
{
	struct mqtt_connect c;
	memset(h, 0, sizeof(*h));
	int n = mqtt_peek_connect(buf, len, max, &c);
	size_t nlen = 0;
	if (n == -MQTT_ERR_PROTOCOL_VERSION && raw_level(buf, len, &nlen) == MQTT_V31 &&
	    nlen == 6) {
		/* "MQIsdp" level 3, complete (the codec read the level): 3.1 clients
		 * still exist in the field and Mosquitto accepts them, so do we */
		struct mqtt_fixed fx = {0};
		h->level = MQTT_V31;
		if (mqtt_frame(buf, len, max, &fx) > 0 && fx.total <= len &&
		    peek_v31(buf, &fx, h) > 0)
			return 1;
		h->clientid = NULL;
		h->clientid_len = 0;
		h->mqtt_err = -MQTT_ERR_TRUNCATED;
		h->reject = PROXY_REJ_MALFORMED;
		return -1;
	}
	if (n > 0) {
		h->level = c.version;
		h->connect_len = (uint32_t)n;
		h->clientid = c.client_id.p;
		h->clientid_len = c.client_id.len;
		return 1;
	}
	h->level = raw_level(buf, len, NULL);
	if (n == MQTT_NEED_MORE) {
		/* zeroed: the codec sets total only once the header is complete */
		struct mqtt_fixed fx = {0};
		if (mqtt_frame(buf, len, max, &fx) == MQTT_NEED_MORE && fx.total <= max)
			h->want = fx.total;
		return 0;
	}
	h->mqtt_err = n;
	switch (-n) {
	case MQTT_ERR_NOT_CONNECT:
		h->reject = PROXY_REJ_NOT_MQTT;
		break;
	case MQTT_ERR_PACKET_TOO_LARGE:
		h->reject = PROXY_REJ_TOO_LARGE;
		break;
	case MQTT_ERR_PROTOCOL_NAME:
	case MQTT_ERR_PROTOCOL_VERSION:
		h->reject = PROXY_REJ_VERSION;
		break;
	default:
		h->reject = PROXY_REJ_MALFORMED;
		break;
	}
	return -1;
}

size_t proxy_hello_connack(const struct proxy_hello *h, enum proxy_reject reject, uint8_t *out,
			   size_t cap)
{
	struct mqtt_connack ca = {0};
	uint8_t version;
	if (h->level == MQTT_V5) {
		version = MQTT_V5;
		switch (reject) {
		case PROXY_REJ_NO_BACKEND:
		case PROXY_REJ_BACKEND_FAILED:
			ca.reason = MQTT_RC_SERVER_UNAVAILABLE;
			break;
		case PROXY_REJ_MALFORMED:
		case PROXY_REJ_TOO_LARGE:
		case PROXY_REJ_VERSION:
			/* the codec's mapping (5.0 §4.13): 0x81, 0x82, 0x84, 0x85, 0x95 */
			ca.reason =
			    h->mqtt_err ? mqtt_err_reason(h->mqtt_err) : MQTT_RC_MALFORMED_PACKET;
			if (!mqtt_reason_allowed(MQTT_CONNACK, ca.reason))
				ca.reason = MQTT_RC_UNSPECIFIED_ERROR;
			break;
		default:
			return 0;
		}
	} else if (h->level != 0) {
		/* 3.1.1 (and anything else that called itself MQTT / MQIsdp): the
		 * 3.1.1 CONNACK, which 3.1 clients read the same way. */
		version = MQTT_V311;
		switch (reject) {
		case PROXY_REJ_NO_BACKEND:
		case PROXY_REJ_BACKEND_FAILED:
			ca.reason = MQTT_V3_SERVER_UNAVAILABLE;
			break;
		case PROXY_REJ_VERSION:
			ca.reason = MQTT_V3_UNACCEPTABLE_PROTOCOL_VERSION;
			break;
		case PROXY_REJ_MALFORMED:
			if (h->mqtt_err == -MQTT_ERR_CLIENT_ID_REJECTED) {
				ca.reason = MQTT_V3_IDENTIFIER_REJECTED;
				break;
			}
			return 0; /* 3.1.1 §4.8: close without a CONNACK */
		default:
			return 0;
		}
	} else {
		return 0; /* not MQTT enough to answer */
	}
	int w = mqtt_encode_connack(&ca, version, out, cap);
	return w > 0 ? (size_t)w : 0;
}
