/* mqtt-int.h — internals shared by the codec's files (not part of the API). */
#ifndef MQLB_MQTT_INT_H
#define MQLB_MQTT_INT_H

#include <string.h>

#include "mqtt/mqtt.h"

/* Property table row, indexed by identifier (5.0 §2.2.2.2). */
struct mqtt__prop_info {
	uint8_t type;  /* enum mqtt_prop_type; MQTT_PT_NONE = unknown id */
	uint8_t multi; /* may appear more than once */
	uint32_t mask; /* MQTT_PKT() of packets that may carry it; bit 0 = Will Properties */
};
extern const struct mqtt__prop_info mqtt__prop_info[MQTT_PROP_COUNT];
/* Allowed-in mask per reason code (MQTT_PKT bits), 0 = not a 5.0 reason code. */
extern const uint32_t mqtt__reason_mask[256];

/* Validates a property block for packet type (0 = Will Properties); role tells who
 * sent it (MQTT_ROLE_SERVER: a client did). Sets *seen to the bit set of the
 * identifiers found (bit id). 0 or -err. */
int mqtt__props_parse(const uint8_t *p, uint32_t len, unsigned type, unsigned role, uint64_t *seen);
/* Topic Name without the emptiness rule (the caller knows about Topic Alias). */
int mqtt__topic_chars(const uint8_t *p, uint32_t len);
/* Topic Filter; v5 enables $share rules; *shared set when it is one. */
int mqtt__filter_check(const uint8_t *p, uint32_t len, bool v5, bool *shared);
/* Writes the property contents (no length prefix); plen = mqtt_props_size(). */
uint8_t *mqtt__props_write(uint8_t *w, const struct mqtt_props *ps);

static inline uint8_t *mqtt__put_u16(uint8_t *w, uint16_t v)
{
	w[0] = (uint8_t)(v >> 8);
	w[1] = (uint8_t)v;
	return w + 2;
}
static inline uint8_t *mqtt__put_varint(uint8_t *w, uint32_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		*w++ = v ? (uint8_t)(b | 0x80) : b;
	} while (v);
	return w;
}
static inline uint8_t *mqtt__put_bytes(uint8_t *w, const uint8_t *p, uint32_t n)
{
	if (n) /* memcpy(_, NULL, 0) is undefined */
		memcpy(w, p, n);
	return w + n;
}
static inline uint8_t *mqtt__put_str(uint8_t *w, struct mqtt_str s)
{
	w = mqtt__put_u16(w, (uint16_t)s.len);
	return mqtt__put_bytes(w, s.p, s.len);
}

#endif
