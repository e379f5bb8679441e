/* mqtt.h — MQTT 3.1.1 / 5.0 codec: framing, decoding with validation, encoding.
 *
 * Pure and allocation-free. Decoders read a (buf, len) view and return:
 *   > 0   bytes of the whole packet (consumed),
 *   0     MQTT_NEED_MORE: the view holds only the start of a packet,
 *   < 0   -MQTT_ERR_x: malformed or forbidden; mqtt_err_str() says what was wrong,
 *         mqtt_err_reason() which 5.0 reason code a server answers with.
 * Everything decoded (strings, payloads, property blocks, filter lists) is a view
 * into buf (see mqtt-t.h). Encoders compute the exact size first, then write, and
 * return the bytes written or -MQTT_ERR_NOSPACE (buf untouched) / -MQTT_ERR_ENCODE.
 * Encoders check only what they need to write a packet (QoS <= 2, field lengths,
 * known property ids); the protocol rules are the decoder's job, so a test that
 * builds packets by hand should decode its own output.
 * Types and constants: mqtt-t.h. */
#ifndef MQLB_MQTT_H
#define MQLB_MQTT_H

#include "mqtt/mqtt-t.h"

/* ---- names ---- */

/* Message for an error value; accepts err or -err; never NULL (static string). */
const char *mqtt_err_str(int err);
/* 5.0 reason code a receiver should answer with for this error (5.0 §4.13). */
uint8_t mqtt_err_reason(int err);
/* "Success", "Packet too large" ...; "Unknown reason code" if not a 5.0 code. */
const char *mqtt_reason_name(uint8_t code);
/* 3.1.1 CONNACK return code name ("Connection Accepted" ...), 5.0 otherwise. */
const char *mqtt_connack_name(uint8_t code, uint8_t version);
/* true if a 5.0 packet of this type may carry this reason code. */
bool mqtt_reason_allowed(uint8_t type, uint8_t code);
/* "CONNECT" ... "AUTH"; "RESERVED" for 0 and out-of-range values. */
const char *mqtt_packet_name(int type);
/* "Topic Alias" ...; NULL for an unknown identifier. */
const char *mqtt_prop_name(uint8_t id);
/* Value type of a property; MQTT_PT_NONE for an unknown identifier. */
enum mqtt_prop_type mqtt_prop_type(uint8_t id);

/* ---- primitives (5.0 §1.5) ---- */

/* Variable Byte Integer at p: returns bytes used (1..4) and sets *out, 0 if len is
 * too short to tell, -MQTT_ERR_VARINT_TOO_LONG / -MQTT_ERR_VARINT_NONMINIMAL. */
int mqtt_varint_decode(const uint8_t *p, size_t len, uint32_t *out);
/* Writes v (<= MQTT_MAX_REMAINING) to out[0..4); returns bytes written (1..4). */
int mqtt_varint_encode(uint32_t v, uint8_t *out);
/* Bytes the varint for v takes (1..4); 0 if v > MQTT_MAX_REMAINING. */
static inline int mqtt_varint_size(uint32_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : v <= MQTT_MAX_REMAINING ? 4 : 0;
}
/* UTF-8 Encoded String rules (5.0 §1.5.4, 3.1.1 §1.5.3): well-formed, no overlong
 * forms, no surrogates, nothing above U+10FFFF, no U+0000. 0 or -MQTT_ERR_UTF8_x. */
int mqtt_utf8_check(const uint8_t *p, size_t len);
/* A Topic Name (5.0 §4.7.3): valid UTF-8, non-empty, no '+' or '#'. 0 or -err. */
int mqtt_topic_check(struct mqtt_str topic);
/* A Topic Filter (5.0 §4.7.1, §4.8.2 shared): non-empty UTF-8, '#' only as the whole
 * last level, '+' only as a whole level, "$share/<name>/<filter>" well formed. */
int mqtt_filter_check(struct mqtt_str filter);
/* Does topic match filter (5.0 §4.7)? '$'-topics don't match leading wildcards.
 * Inputs assumed valid (checked elsewhere). A shared filter matches on its filter part. */
bool mqtt_topic_match(struct mqtt_str filter, struct mqtt_str topic);

/* A view of a NUL-terminated C string (borrowed). */
static inline struct mqtt_str mqtt_str_c(const char *s)
{
	size_t n = 0;
	if (s)
		while (s[n])
			n++;
	return (struct mqtt_str){(const uint8_t *)s, (uint32_t)n};
}
static inline bool mqtt_str_eq(struct mqtt_str a, const char *s)
{
	struct mqtt_str b = mqtt_str_c(s);
	if (a.len != b.len)
		return false;
	for (uint32_t i = 0; i < a.len; i++)
		if (a.p[i] != b.p[i])
			return false;
	return true;
}

/* ---- framing (hot path) ---- */

/* Reads the fixed header at buf (5.0 §2.1.1): type, flags, Remaining Length.
 * Returns total packet bytes when the whole packet is in buf; MQTT_NEED_MORE when
 * not (out->total is set as soon as the header is complete, so a reader knows
 * how much to wait for); -MQTT_ERR_VARINT_*, -MQTT_ERR_PACKET_TOO_LARGE (checked as
 * soon as the length is known, before the body arrives), -MQTT_ERR_RESERVED_TYPE,
 * -MQTT_ERR_FIXED_FLAGS, -MQTT_ERR_QOS_INVALID. max_packet: whole-packet limit,
 * 0 = MQTT_MAX_PACKET. out may be NULL. Does not look at the body. */
int mqtt_frame(const uint8_t *buf, size_t len, uint32_t max_packet, struct mqtt_fixed *out);

/* ---- decoding ---- */

/* Frames and fully decodes + validates the first packet in buf into *out (a view
 * into buf). Returns bytes consumed, MQTT_NEED_MORE or -MQTT_ERR_x (see top).
 * opts: version (CONNECT decodes with the level it carries and sets out->version),
 * role (direction check), max_packet; NULL = defaults (mqtt-t.h). */
int mqtt_decode(const uint8_t *buf, size_t len, const struct mqtt_decode_opts *opts,
		struct mqtt_packet *out);

/* Proxy helper: the first packet of a connection must be CONNECT (5.0 §3.1,
 * [MQTT-3.1.0-1]). Decodes and validates it like mqtt_decode (role server) and
 * fills *out (ClientID, version, will, user name ... as views into buf).
 * Returns CONNECT bytes, MQTT_NEED_MORE, -MQTT_ERR_NOT_CONNECT or another -err. */
int mqtt_peek_connect(const uint8_t *buf, size_t len, uint32_t max_packet,
		      struct mqtt_connect *out);

/* Iterates a property block (struct mqtt_props from a decoder, raw/len form).
 * *off starts at 0. Returns 1 with *out filled, 0 at the end, -MQTT_ERR_PROP_* if
 * the block is malformed (never for blocks a decoder validated). */
int mqtt_prop_next(const struct mqtt_props *props, uint32_t *off, struct mqtt_prop *out);
/* First property with this id: 1 found (*out filled), 0 not present. Works on both
 * the raw and list forms. */
int mqtt_prop_find(const struct mqtt_props *props, uint8_t id, struct mqtt_prop *out);
/* Validates a raw property block for a packet type (MQTT_PKT_WILL-style: pass
 * MQTT_RESERVED for Will Properties): types, lengths, UTF-8, allowed-in-packet,
 * duplicates, value ranges (5.0 §2.2.2). 0 or -MQTT_ERR_PROP_* / -MQTT_ERR_UTF8_*. */
int mqtt_props_check(const uint8_t *p, uint32_t len, uint8_t type);

/* Next subscription of a decoded SUBSCRIBE: *off starts at 0; 1 / 0 at end. */
int mqtt_sub_next(const struct mqtt_subscribe *s, uint32_t *off, struct mqtt_subscription *out);
/* Next filter of a decoded UNSUBSCRIBE: *off starts at 0; 1 / 0 at end. */
int mqtt_unsub_next(const struct mqtt_unsubscribe *u, uint32_t *off, struct mqtt_str *out);

/* Options byte <-> struct (5.0 §3.8.3.1). */
uint8_t mqtt_sub_opts_byte(const struct mqtt_sub_opts *o);

/* ---- encoding ---- */

/* Exact encoded size of p for version (MQTT_V311/MQTT_V5): > 0 bytes, or
 * -MQTT_ERR_ENCODE / -MQTT_ERR_BAD_ARG if it cannot be encoded. CONNECT uses
 * p->connect.version. */
int mqtt_size(const struct mqtt_packet *p, uint8_t version);
/* Encodes any packet (p->type selects the member). Returns bytes written (exactly
 * mqtt_size()), -MQTT_ERR_NOSPACE if cap is smaller (nothing written), or
 * -MQTT_ERR_ENCODE / -MQTT_ERR_BAD_ARG. 5.0 acks/DISCONNECT/AUTH use the short
 * forms when reason is 0 and there are no properties (5.0 §3.4.2.1, §3.14.2.1). */
int mqtt_encode(const struct mqtt_packet *p, uint8_t version, uint8_t *buf, size_t cap);

/* Fast dedicated encoders (same return convention). */
/* Whole PUBLISH; size first with mqtt_size_publish() (0 = cannot be encoded). */
size_t mqtt_size_publish(const struct mqtt_publish *pub, uint8_t version);
/* Whole PUBLISH into buf (cap >= mqtt_size_publish()). */
int mqtt_encode_publish(const struct mqtt_publish *pub, uint8_t version, uint8_t *buf, size_t cap);
/* PUBLISH without its payload bytes (the Remaining Length still counts
 * pub->payload.len): for writev / writing the payload in place right after. */
int mqtt_encode_publish_header(const struct mqtt_publish *pub, uint8_t version, uint8_t *buf,
			       size_t cap);
/* PUBACK/PUBREC/PUBREL/PUBCOMP without properties: 4 bytes, or 5 in 5.0 when
 * reason != 0. type must be one of those four (else -MQTT_ERR_BAD_ARG). */
int mqtt_encode_ack(uint8_t type, uint16_t packet_id, uint8_t reason, uint8_t version, uint8_t *buf,
		    size_t cap);
/* CONNECT, in the version c carries (c->version). */
int mqtt_encode_connect(const struct mqtt_connect *c, uint8_t *buf, size_t cap);
/* CONNACK (5.0: with its properties). */
int mqtt_encode_connack(const struct mqtt_connack *c, uint8_t version, uint8_t *buf, size_t cap);
/* SUBSCRIBE with every filter of s and its options. */
int mqtt_encode_subscribe(const struct mqtt_subscribe *s, uint8_t version, uint8_t *buf,
			  size_t cap);
/* UNSUBSCRIBE with every filter of u. */
int mqtt_encode_unsubscribe(const struct mqtt_unsubscribe *u, uint8_t version, uint8_t *buf,
			    size_t cap);
/* PINGREQ: 2 bytes C0 00. */
int mqtt_encode_pingreq(uint8_t *buf, size_t cap);
/* DISCONNECT without properties: 2 bytes (3.1.1, or 5.0 reason 0), 3 otherwise. */
int mqtt_encode_disconnect(uint8_t reason, uint8_t version, uint8_t *buf, size_t cap);

/* Field-by-field equality of two packets (views compared by content; property
 * blocks and filter lists by their entries, so raw and list forms compare equal). */
bool mqtt_packet_eq(const struct mqtt_packet *a, const struct mqtt_packet *b);

/* Encoded size of a property block's contents (without its length varint), from
 * list or raw form; -MQTT_ERR_ENCODE if a value cannot be encoded. */
int mqtt_props_size(const struct mqtt_props *props);

#endif
