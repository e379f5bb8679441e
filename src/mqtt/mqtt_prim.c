/* mqtt_prim.c — data representation rules (5.0 §1.5): Variable Byte Integer,
 * UTF-8 strings, and the Topic Name / Topic Filter rules (5.0 §4.7, §4.8.2). */
#include "mqtt/mqtt-int.h"

int mqtt_varint_decode(const uint8_t *p, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	for (size_t i = 0; i < 4; i++) {
		if (i >= len)
			return MQTT_NEED_MORE;
		uint8_t b = p[i];
		v |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			/* 5.0 §1.5.5: "MUST use the minimum number of bytes": a last
			 * byte of 0 after the first means a shorter form existed. */
			if (i > 0 && b == 0)
				return -MQTT_ERR_VARINT_NONMINIMAL;
			*out = v;
			return (int)i + 1;
		}
	}
	return -MQTT_ERR_VARINT_TOO_LONG;
}

int mqtt_varint_encode(uint32_t v, uint8_t *out)
{
	return (int)(mqtt__put_varint(out, v) - out);
}

/* Byte classes for the ASCII fast path: 0 = plain, 1 = U+0000, 2 = '+' or '#',
 * 3 = start of a multi-byte sequence (or invalid byte). */
static const uint8_t cls[256] = {
    [0] = 1,   ['+'] = 2, ['#'] = 2,
#define R16(b)                                                                                     \
	[b] = 3, [b + 1] = 3, [b + 2] = 3, [b + 3] = 3, [b + 4] = 3, [b + 5] = 3, [b + 6] = 3,     \
	[b + 7] = 3, [b + 8] = 3, [b + 9] = 3, [b + 10] = 3, [b + 11] = 3, [b + 12] = 3,           \
	[b + 13] = 3, [b + 14] = 3, [b + 15] = 3
    R16(0x80), R16(0x90), R16(0xa0), R16(0xb0), R16(0xc0), R16(0xd0), R16(0xe0), R16(0xf0),
#undef R16
};

/* One multi-byte sequence at p[0..n) (p[0] >= 0x80), per Unicode 15 table 3-7 and
 * 5.0 §1.5.4 [MQTT-1.5.4-1] (no surrogates), [MQTT-1.5.4-2] (no U+0000, which
 * includes the overlong C0 80). Returns its length or -err. */
static int utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t need;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	int err_lo = MQTT_ERR_UTF8_MALFORMED, err_hi = MQTT_ERR_UTF8_MALFORMED;

	if (c < 0xc0)
		return -MQTT_ERR_UTF8_MALFORMED; /* stray continuation byte */
	if (c < 0xc2)
		return -MQTT_ERR_UTF8_OVERLONG; /* C0/C1: 2-byte form of ASCII */
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0, err_lo = MQTT_ERR_UTF8_OVERLONG;
		else if (c == 0xed)
			hi = 0x9f, err_hi = MQTT_ERR_UTF8_SURROGATE;
	} else if (c < 0xf5) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90, err_lo = MQTT_ERR_UTF8_OVERLONG;
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return -MQTT_ERR_UTF8_MALFORMED;
	}
	if (n < need)
		return -MQTT_ERR_UTF8_MALFORMED;
	if (p[1] < 0x80 || p[1] > 0xbf)
		return -MQTT_ERR_UTF8_MALFORMED;
	if (p[1] < lo)
		return -err_lo;
	if (p[1] > hi)
		return -err_hi;
	for (size_t i = 2; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return -MQTT_ERR_UTF8_MALFORMED;
	return (int)need;
}

/* Shared loop: UTF-8 rules, plus (when topic) no wildcard characters. */
static inline int scan(const uint8_t *p, size_t len, bool topic)
{
	size_t i = 0;
	while (i < len) {
		uint8_t k = cls[p[i]];
		if (k == 0) {
			i++;
			continue;
		}
		if (k == 1)
			return -MQTT_ERR_UTF8_NUL;
		if (k == 2) {
			if (topic)
				return -MQTT_ERR_TOPIC_WILDCARD;
			i++;
			continue;
		}
		int n = utf8_seq(p + i, len - i);
		if (n < 0)
			return n;
		i += (size_t)n;
	}
	return 0;
}

int mqtt_utf8_check(const uint8_t *p, size_t len)
{
	return scan(p, len, false);
}

int mqtt__topic_chars(const uint8_t *p, uint32_t len)
{
	return scan(p, len, true);
}

int mqtt_topic_check(struct mqtt_str topic)
{
	if (topic.len == 0)
		return -MQTT_ERR_TOPIC_EMPTY; /* 5.0 §4.7.3 [MQTT-4.7.3-1] */
	return scan(topic.p, topic.len, true);
}

/* Wildcard placement (5.0 §4.7.1.2, §4.7.1.3): '#' alone as the last level, '+'
 * alone in its level. */
static int filter_levels(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (p[i] == '#') {
			if ((i > 0 && p[i - 1] != '/') || i + 1 != len)
				return -MQTT_ERR_FILTER_WILDCARD;
		} else if (p[i] == '+') {
			if ((i > 0 && p[i - 1] != '/') || (i + 1 < len && p[i + 1] != '/'))
				return -MQTT_ERR_FILTER_WILDCARD;
		}
	}
	return 0;
}

static const uint8_t share_prefix[] = "$share/";
#define SHARE_LEN 7u

static bool is_shared(const uint8_t *p, uint32_t len)
{
	return len >= SHARE_LEN && memcmp(p, share_prefix, SHARE_LEN) == 0;
}

int mqtt__filter_check(const uint8_t *p, uint32_t len, bool v5, bool *shared)
{
	*shared = false;
	if (len == 0)
		return -MQTT_ERR_FILTER_EMPTY; /* 5.0 §4.7.3 [MQTT-4.7.3-1] */
	int rc = scan(p, len, false);
	if (rc < 0)
		return rc;
	if (v5 && is_shared(p, len)) {
		/* 5.0 §4.8.2: $share/{ShareName}/{filter}; ShareName non-empty, no '/',
		 * '+' or '#'; a filter must follow. */
		uint32_t i = SHARE_LEN;
		while (i < len && p[i] != '/') {
			if (p[i] == '+' || p[i] == '#')
				return -MQTT_ERR_FILTER_SHARED;
			i++;
		}
		if (i == SHARE_LEN || i + 1 >= len)
			return -MQTT_ERR_FILTER_SHARED;
		*shared = true;
		return filter_levels(p + i + 1, len - i - 1);
	}
	return filter_levels(p, len);
}

int mqtt_filter_check(struct mqtt_str filter)
{
	bool shared;
	return mqtt__filter_check(filter.p, filter.len, true, &shared);
}

bool mqtt_topic_match(struct mqtt_str filter, struct mqtt_str topic)
{
	const uint8_t *f = filter.p, *t = topic.p;
	uint32_t fl = filter.len, tl = topic.len, i = 0, j = 0;

	if (is_shared(f, fl)) {
		uint32_t k = SHARE_LEN;
		while (k < fl && f[k] != '/')
			k++;
		if (k >= fl)
			return false;
		f += k + 1;
		fl -= k + 1;
	}
	/* 5.0 §4.7.2: a leading wildcard does not match topics starting with '$'. */
	if (tl > 0 && t[0] == '$' && fl > 0 && (f[0] == '+' || f[0] == '#'))
		return false;
	while (i < fl) {
		if (f[i] == '#')
			return true; /* matches the parent level too: "a/#" matches "a" */
		if (f[i] == '+') {
			while (j < tl && t[j] != '/')
				j++;
			i++;
		} else {
			/* literal level */
			while (i < fl && f[i] != '/') {
				if (j >= tl || t[j] != f[i])
					return false;
				i++, j++;
			}
			if (j < tl && t[j] != '/')
				return false;
		}
		/* here f[i] is '/' or the end; so must t[j] be */
		if (i >= fl)
			return j >= tl;
		/* f[i] == '/' */
		if (j >= tl) {
			/* topic ended: only "/#" may follow ("a/#" matches "a") */
			return i + 2 == fl && f[i + 1] == '#';
		}
		i++, j++;
	}
	return j >= tl && fl > 0;
}
