/* mqtt-t.h — types of the MQTT 3.1.1 / 5.0 codec (functions are in mqtt.h).
 *
 * Everything a decoder hands back is a VIEW into the caller's receive buffer:
 * struct mqtt_str, struct mqtt_props, the raw topic-filter list of SUBSCRIBE /
 * UNSUBSCRIBE and the reason-code arrays of SUBACK / UNSUBACK. Views are borrowed:
 * they stay valid only while that buffer is unchanged. Nothing here owns memory.
 *
 * Stability: other components build on these names. Add, never rename.
 * Spec references: "5.0 §x" = OASIS MQTT Version 5.0, "3.1.1 §x" = OASIS MQTT 3.1.1. */
#ifndef MQLB_MQTT_T_H
#define MQLB_MQTT_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol levels (5.0 §3.1.2.2, 3.1.1 §3.1.2.2). 3.1 ("MQIsdp") is recognised only
 * to say it is unsupported. */
#define MQTT_V31  3
#define MQTT_V311 4
#define MQTT_V5	  5

/* Largest Remaining Length a 4-byte variable byte integer holds (5.0 §1.5.5), and
 * the largest whole packet (1 type byte + 4 length bytes + that). */
#define MQTT_MAX_REMAINING 268435455u
#define MQTT_MAX_PACKET	   (MQTT_MAX_REMAINING + 5u)
/* Largest UTF-8 string / binary data field (two-byte length prefix, 5.0 §1.5.4). */
#define MQTT_MAX_STRING 65535u

/* Control packet types: byte 1 bits 7-4 (5.0 §2.1.2). */
enum mqtt_type {
	MQTT_RESERVED = 0,
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
	MQTT_AUTH = 15, /* 5.0 only */
	MQTT_TYPE_COUNT
};

/* Who sent the bytes being decoded. MQTT_ROLE_SERVER means "we are the server":
 * only client-to-server packets are accepted; MQTT_ROLE_CLIENT the reverse;
 * MQTT_ROLE_ANY accepts both (fuzzing, capture tools). 5.0 §2.1.2 table 2-1. */
enum mqtt_role { MQTT_ROLE_ANY = 0, MQTT_ROLE_SERVER, MQTT_ROLE_CLIENT, MQTT_ROLE_COUNT };

/* Bits of a mask of packet types: MQTT_PKT(MQTT_PUBLISH). Bit 0 (type 0 is
 * reserved) stands for "Will Properties" in property masks. */
#define MQTT_PKT(t)   (1u << (t))
#define MQTT_PKT_WILL 1u

/* Reason codes (5.0 §2.4) — X(NAME, value, "name", mask of packet types that may
 * carry it, per the tables in 5.0 §3.2.2.2, §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1,
 * §3.9.3, §3.11.3, §3.14.2.1, §3.15.2.1). 0x00..0x02 have several names in the spec
 * (Success / Normal disconnection / Granted QoS 0 ...); the first is used. */
#define MQTT__RC_ACK  (MQTT_PKT(MQTT_PUBACK) | MQTT_PKT(MQTT_PUBREC))
#define MQTT__RC_COMP (MQTT_PKT(MQTT_PUBREL) | MQTT_PKT(MQTT_PUBCOMP))
#define MQTT__RC_ALL                                                                               \
	(MQTT_PKT(MQTT_CONNACK) | MQTT__RC_ACK | MQTT__RC_COMP | MQTT_PKT(MQTT_SUBACK) |           \
	 MQTT_PKT(MQTT_UNSUBACK) | MQTT_PKT(MQTT_DISCONNECT) | MQTT_PKT(MQTT_AUTH))
#define MQTT__RC_CA MQTT_PKT(MQTT_CONNACK)
#define MQTT__RC_SA MQTT_PKT(MQTT_SUBACK)
#define MQTT__RC_UA MQTT_PKT(MQTT_UNSUBACK)
#define MQTT__RC_DI MQTT_PKT(MQTT_DISCONNECT)
#define MQTT__RC_AU MQTT_PKT(MQTT_AUTH)

#define MQTT_REASON_LIST(X)                                                                        \
	X(SUCCESS, 0x00, "Success", MQTT__RC_ALL)                                                  \
	X(GRANTED_QOS1, 0x01, "Granted QoS 1", MQTT__RC_SA)                                        \
	X(GRANTED_QOS2, 0x02, "Granted QoS 2", MQTT__RC_SA)                                        \
	X(DISCONNECT_WITH_WILL, 0x04, "Disconnect with Will Message", MQTT__RC_DI)                 \
	X(NO_MATCHING_SUBSCRIBERS, 0x10, "No matching subscribers", MQTT__RC_ACK)                  \
	X(NO_SUBSCRIPTION_EXISTED, 0x11, "No subscription existed", MQTT__RC_UA)                   \
	X(CONTINUE_AUTHENTICATION, 0x18, "Continue authentication", MQTT__RC_AU)                   \
	X(REAUTHENTICATE, 0x19, "Re-authenticate", MQTT__RC_AU)                                    \
	X(UNSPECIFIED_ERROR, 0x80, "Unspecified error",                                            \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_SA | MQTT__RC_UA | MQTT__RC_DI)                    \
	X(MALFORMED_PACKET, 0x81, "Malformed Packet", MQTT__RC_CA | MQTT__RC_DI)                   \
	X(PROTOCOL_ERROR, 0x82, "Protocol Error", MQTT__RC_CA | MQTT__RC_DI)                       \
	X(IMPLEMENTATION_SPECIFIC_ERROR, 0x83, "Implementation specific error",                    \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_SA | MQTT__RC_UA | MQTT__RC_DI)                    \
	X(UNSUPPORTED_PROTOCOL_VERSION, 0x84, "Unsupported Protocol Version", MQTT__RC_CA)         \
	X(CLIENT_IDENTIFIER_NOT_VALID, 0x85, "Client Identifier not valid", MQTT__RC_CA)           \
	X(BAD_USER_NAME_OR_PASSWORD, 0x86, "Bad User Name or Password", MQTT__RC_CA)               \
	X(NOT_AUTHORIZED, 0x87, "Not authorized",                                                  \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_SA | MQTT__RC_UA | MQTT__RC_DI)                    \
	X(SERVER_UNAVAILABLE, 0x88, "Server unavailable", MQTT__RC_CA)                             \
	X(SERVER_BUSY, 0x89, "Server busy", MQTT__RC_CA | MQTT__RC_DI)                             \
	X(BANNED, 0x8A, "Banned", MQTT__RC_CA)                                                     \
	X(SERVER_SHUTTING_DOWN, 0x8B, "Server shutting down", MQTT__RC_DI)                         \
	X(BAD_AUTHENTICATION_METHOD, 0x8C, "Bad authentication method", MQTT__RC_CA)               \
	X(KEEP_ALIVE_TIMEOUT, 0x8D, "Keep Alive timeout", MQTT__RC_DI)                             \
	X(SESSION_TAKEN_OVER, 0x8E, "Session taken over", MQTT__RC_DI)                             \
	X(TOPIC_FILTER_INVALID, 0x8F, "Topic Filter invalid",                                      \
	  MQTT__RC_SA | MQTT__RC_UA | MQTT__RC_DI)                                                 \
	X(TOPIC_NAME_INVALID, 0x90, "Topic Name invalid",                                          \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_DI)                                                \
	X(PACKET_IDENTIFIER_IN_USE, 0x91, "Packet Identifier in use",                              \
	  MQTT__RC_ACK | MQTT__RC_SA | MQTT__RC_UA)                                                \
	X(PACKET_IDENTIFIER_NOT_FOUND, 0x92, "Packet Identifier not found", MQTT__RC_COMP)         \
	X(RECEIVE_MAXIMUM_EXCEEDED, 0x93, "Receive Maximum exceeded", MQTT__RC_DI)                 \
	X(TOPIC_ALIAS_INVALID, 0x94, "Topic Alias invalid", MQTT__RC_DI)                           \
	X(PACKET_TOO_LARGE, 0x95, "Packet too large", MQTT__RC_CA | MQTT__RC_DI)                   \
	X(MESSAGE_RATE_TOO_HIGH, 0x96, "Message rate too high", MQTT__RC_DI)                       \
	X(QUOTA_EXCEEDED, 0x97, "Quota exceeded",                                                  \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_SA | MQTT__RC_DI)                                  \
	X(ADMINISTRATIVE_ACTION, 0x98, "Administrative action", MQTT__RC_DI)                       \
	X(PAYLOAD_FORMAT_INVALID, 0x99, "Payload format invalid",                                  \
	  MQTT__RC_CA | MQTT__RC_ACK | MQTT__RC_DI)                                                \
	X(RETAIN_NOT_SUPPORTED, 0x9A, "Retain not supported", MQTT__RC_CA | MQTT__RC_DI)           \
	X(QOS_NOT_SUPPORTED, 0x9B, "QoS not supported", MQTT__RC_CA | MQTT__RC_DI)                 \
	X(USE_ANOTHER_SERVER, 0x9C, "Use another server", MQTT__RC_CA | MQTT__RC_DI)               \
	X(SERVER_MOVED, 0x9D, "Server moved", MQTT__RC_CA | MQTT__RC_DI)                           \
	X(SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, 0x9E, "Shared Subscriptions not supported",          \
	  MQTT__RC_SA | MQTT__RC_DI)                                                               \
	X(CONNECTION_RATE_EXCEEDED, 0x9F, "Connection rate exceeded", MQTT__RC_CA | MQTT__RC_DI)   \
	X(MAXIMUM_CONNECT_TIME, 0xA0, "Maximum connect time", MQTT__RC_DI)                         \
	X(SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 0xA1, "Subscription Identifiers not supported",  \
	  MQTT__RC_SA | MQTT__RC_DI)                                                               \
	X(WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, 0xA2, "Wildcard Subscriptions not supported",      \
	  MQTT__RC_SA | MQTT__RC_DI)

/* enum mqtt_reason: MQTT_RC_SUCCESS = 0x00 ... (values are the wire bytes). */
enum mqtt_reason {
#define MQTT__RC_ENUM(name, val, str, mask) MQTT_RC_##name = (val),
	MQTT_REASON_LIST(MQTT__RC_ENUM)
#undef MQTT__RC_ENUM
	    MQTT_RC_NORMAL_DISCONNECTION = 0x00, /* 5.0 §3.14.2.1 */
	MQTT_RC_GRANTED_QOS0 = 0x00,		 /* 5.0 §3.9.3 */
	MQTT_RC_COUNT = 0x100			 /* reason codes are one byte */
};

/* MQTT 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3) and SUBACK failure (§3.9.3). */
enum mqtt_v3_connack {
	MQTT_V3_ACCEPTED = 0,
	MQTT_V3_UNACCEPTABLE_PROTOCOL_VERSION = 1,
	MQTT_V3_IDENTIFIER_REJECTED = 2,
	MQTT_V3_SERVER_UNAVAILABLE = 3,
	MQTT_V3_BAD_USER_NAME_OR_PASSWORD = 4,
	MQTT_V3_NOT_AUTHORIZED = 5,
	MQTT_V3_CONNACK_COUNT
};
#define MQTT_V3_SUBACK_FAILURE 0x80

/* Property value types (5.0 §2.2.2.2, §1.5). */
enum mqtt_prop_type {
	MQTT_PT_NONE = 0, /* unknown identifier */
	MQTT_PT_BYTE,	  /* 5.0 §1.5.1 */
	MQTT_PT_U16,	  /* Two Byte Integer §1.5.2 */
	MQTT_PT_U32,	  /* Four Byte Integer §1.5.3 */
	MQTT_PT_VARINT,	  /* Variable Byte Integer §1.5.5 */
	MQTT_PT_UTF8,	  /* UTF-8 Encoded String §1.5.4 */
	MQTT_PT_BINARY,	  /* Binary Data §1.5.6 */
	MQTT_PT_PAIR,	  /* UTF-8 String Pair §1.5.7 */
	MQTT_PT_COUNT
};

/* Properties (5.0 §2.2.2.2 table 2-4): X(NAME, id, type, mask of packets that may
 * carry it (MQTT_PKT_WILL = Will Properties), may repeat?, "name"). */
#define MQTT__PP_WP (MQTT_PKT(MQTT_PUBLISH) | MQTT_PKT_WILL)
#define MQTT__PP_ACK                                                                               \
	(MQTT_PKT(MQTT_PUBACK) | MQTT_PKT(MQTT_PUBREC) | MQTT_PKT(MQTT_PUBREL) |                   \
	 MQTT_PKT(MQTT_PUBCOMP))
#define MQTT__PP_RS                                                                                \
	(MQTT_PKT(MQTT_CONNACK) | MQTT__PP_ACK | MQTT_PKT(MQTT_SUBACK) | MQTT_PKT(MQTT_UNSUBACK) | \
	 MQTT_PKT(MQTT_DISCONNECT) | MQTT_PKT(MQTT_AUTH))
#define MQTT__PP_UP                                                                                \
	(MQTT__PP_RS | MQTT_PKT(MQTT_CONNECT) | MQTT__PP_WP | MQTT_PKT(MQTT_SUBSCRIBE) |           \
	 MQTT_PKT(MQTT_UNSUBSCRIBE))
#define MQTT__PP_C   MQTT_PKT(MQTT_CONNECT)
#define MQTT__PP_CA  MQTT_PKT(MQTT_CONNACK)
#define MQTT__PP_CCA (MQTT__PP_C | MQTT__PP_CA)

#define MQTT_PROP_LIST(X)                                                                          \
	X(PAYLOAD_FORMAT_INDICATOR, 0x01, MQTT_PT_BYTE, MQTT__PP_WP, 0,                            \
	  "Payload Format Indicator")                                                              \
	X(MESSAGE_EXPIRY_INTERVAL, 0x02, MQTT_PT_U32, MQTT__PP_WP, 0, "Message Expiry Interval")   \
	X(CONTENT_TYPE, 0x03, MQTT_PT_UTF8, MQTT__PP_WP, 0, "Content Type")                        \
	X(RESPONSE_TOPIC, 0x08, MQTT_PT_UTF8, MQTT__PP_WP, 0, "Response Topic")                    \
	X(CORRELATION_DATA, 0x09, MQTT_PT_BINARY, MQTT__PP_WP, 0, "Correlation Data")              \
	X(SUBSCRIPTION_IDENTIFIER, 0x0B, MQTT_PT_VARINT,                                           \
	  MQTT_PKT(MQTT_PUBLISH) | MQTT_PKT(MQTT_SUBSCRIBE), 1, "Subscription Identifier")         \
	X(SESSION_EXPIRY_INTERVAL, 0x11, MQTT_PT_U32, MQTT__PP_CCA | MQTT_PKT(MQTT_DISCONNECT), 0, \
	  "Session Expiry Interval")                                                               \
	X(ASSIGNED_CLIENT_IDENTIFIER, 0x12, MQTT_PT_UTF8, MQTT__PP_CA, 0,                          \
	  "Assigned Client Identifier")                                                            \
	X(SERVER_KEEP_ALIVE, 0x13, MQTT_PT_U16, MQTT__PP_CA, 0, "Server Keep Alive")               \
	X(AUTHENTICATION_METHOD, 0x15, MQTT_PT_UTF8, MQTT__PP_CCA | MQTT_PKT(MQTT_AUTH), 0,        \
	  "Authentication Method")                                                                 \
	X(AUTHENTICATION_DATA, 0x16, MQTT_PT_BINARY, MQTT__PP_CCA | MQTT_PKT(MQTT_AUTH), 0,        \
	  "Authentication Data")                                                                   \
	X(REQUEST_PROBLEM_INFORMATION, 0x17, MQTT_PT_BYTE, MQTT__PP_C, 0,                          \
	  "Request Problem Information")                                                           \
	X(WILL_DELAY_INTERVAL, 0x18, MQTT_PT_U32, MQTT_PKT_WILL, 0, "Will Delay Interval")         \
	X(REQUEST_RESPONSE_INFORMATION, 0x19, MQTT_PT_BYTE, MQTT__PP_C, 0,                         \
	  "Request Response Information")                                                          \
	X(RESPONSE_INFORMATION, 0x1A, MQTT_PT_UTF8, MQTT__PP_CA, 0, "Response Information")        \
	X(SERVER_REFERENCE, 0x1C, MQTT_PT_UTF8, MQTT__PP_CA | MQTT_PKT(MQTT_DISCONNECT), 0,        \
	  "Server Reference")                                                                      \
	X(REASON_STRING, 0x1F, MQTT_PT_UTF8, MQTT__PP_RS, 0, "Reason String")                      \
	X(RECEIVE_MAXIMUM, 0x21, MQTT_PT_U16, MQTT__PP_CCA, 0, "Receive Maximum")                  \
	X(TOPIC_ALIAS_MAXIMUM, 0x22, MQTT_PT_U16, MQTT__PP_CCA, 0, "Topic Alias Maximum")          \
	X(TOPIC_ALIAS, 0x23, MQTT_PT_U16, MQTT_PKT(MQTT_PUBLISH), 0, "Topic Alias")                \
	X(MAXIMUM_QOS, 0x24, MQTT_PT_BYTE, MQTT__PP_CA, 0, "Maximum QoS")                          \
	X(RETAIN_AVAILABLE, 0x25, MQTT_PT_BYTE, MQTT__PP_CA, 0, "Retain Available")                \
	X(USER_PROPERTY, 0x26, MQTT_PT_PAIR, MQTT__PP_UP, 1, "User Property")                      \
	X(MAXIMUM_PACKET_SIZE, 0x27, MQTT_PT_U32, MQTT__PP_CCA, 0, "Maximum Packet Size")          \
	X(WILDCARD_SUBSCRIPTION_AVAILABLE, 0x28, MQTT_PT_BYTE, MQTT__PP_CA, 0,                     \
	  "Wildcard Subscription Available")                                                       \
	X(SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0x29, MQTT_PT_BYTE, MQTT__PP_CA, 0,                   \
	  "Subscription Identifier Available")                                                     \
	X(SHARED_SUBSCRIPTION_AVAILABLE, 0x2A, MQTT_PT_BYTE, MQTT__PP_CA, 0,                       \
	  "Shared Subscription Available")

/* enum mqtt_prop_id: MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01 ... (wire values). */
enum mqtt_prop_id {
	MQTT_PROP_NONE = 0,
#define MQTT__PP_ENUM(name, id, type, mask, multi, str) MQTT_PROP_##name = (id),
	MQTT_PROP_LIST(MQTT__PP_ENUM)
#undef MQTT__PP_ENUM
	    MQTT_PROP_COUNT /* one past the largest identifier (0x2B) */
};

/* Errors: X(NAME, reason code a server would answer with (5.0 §4.13), "message").
 * Decoders return -MQTT_ERR_x; MQTT_ERR_NEED_MORE is 0 (== MQTT_NEED_MORE), so
 * every real error is negative and every success is positive. */
#define MQTT_ERR_LIST(X)                                                                           \
	X(NEED_MORE, 0x00, "need more data")                                                       \
	X(NOSPACE, 0x83, "output buffer too small")                                                \
	X(BAD_ARG, 0x83, "invalid argument (unknown version, role or packet type)")                \
	X(ENCODE, 0x83, "fields cannot be encoded (QoS > 2, string > 65535 bytes, size > limit)")  \
	X(VARINT_TOO_LONG, 0x81, "variable byte integer longer than 4 bytes")                      \
	X(VARINT_NONMINIMAL, 0x81, "variable byte integer not in its shortest form")               \
	X(PACKET_TOO_LARGE, 0x95, "packet larger than the maximum packet size")                    \
	X(RESERVED_TYPE, 0x81, "reserved packet type 0")                                           \
	X(AUTH_IN_V311, 0x81, "AUTH (type 15) does not exist in MQTT 3.1.1")                       \
	X(WRONG_DIRECTION, 0x82, "packet type not allowed in this direction")                      \
	X(FIXED_FLAGS, 0x81, "reserved fixed-header flag bits wrong for this packet type")         \
	X(QOS_INVALID, 0x81, "PUBLISH QoS 3 is invalid")                                           \
	X(DUP_QOS0, 0x81, "DUP flag set on a QoS 0 PUBLISH")                                       \
	X(TRUNCATED, 0x81, "field runs past the end of the packet")                                \
	X(TRAILING, 0x81, "bytes left over after the last field")                                  \
	X(BAD_LENGTH, 0x81, "remaining length wrong for this packet type")                         \
	X(NOT_CONNECT, 0x82, "first packet is not CONNECT")                                        \
	X(PROTOCOL_NAME, 0x84, "protocol name is not \"MQTT\"")                                    \
	X(PROTOCOL_VERSION, 0x84, "unsupported protocol level (not 4 = 3.1.1 or 5 = 5.0)")         \
	X(CONNECT_RESERVED, 0x81, "CONNECT reserved flag (bit 0) set")                             \
	X(WILL_FLAGS, 0x81, "Will QoS or Will Retain set without the Will flag")                   \
	X(WILL_QOS, 0x81, "Will QoS 3 is invalid")                                                 \
	X(PASSWORD_NO_USERNAME, 0x81, "password flag without user name flag (3.1.1)")              \
	X(CLIENT_ID_REJECTED, 0x85, "empty ClientID without clean session (3.1.1)")                \
	X(CONNACK_FLAGS, 0x81, "reserved CONNACK acknowledge flag bits set")                       \
	X(CONNACK_SESSION, 0x82, "session present with a failure reason code")                     \
	X(REASON_CODE, 0x82, "reason code not valid for this packet type")                         \
	X(UTF8_MALFORMED, 0x81, "malformed UTF-8 (bad or truncated sequence, > U+10FFFF)")         \
	X(UTF8_OVERLONG, 0x81, "overlong UTF-8 encoding")                                          \
	X(UTF8_SURROGATE, 0x81, "UTF-16 surrogate (U+D800..U+DFFF) in UTF-8 string")               \
	X(UTF8_NUL, 0x81, "U+0000 in a UTF-8 string")                                              \
	X(TOPIC_EMPTY, 0x82, "empty topic name (and no topic alias)")                              \
	X(TOPIC_WILDCARD, 0x90, "wildcard '+' or '#' in a topic name")                             \
	X(FILTER_EMPTY, 0x8F, "empty topic filter")                                                \
	X(FILTER_WILDCARD, 0x8F, "'#' not last or '+'/'#' not a whole topic level")                \
	X(FILTER_SHARED, 0x8F, "malformed shared subscription ($share/name/filter)")               \
	X(PACKET_ID_ZERO, 0x82, "packet identifier 0 where a non-zero one is required")            \
	X(NO_FILTERS, 0x82, "SUBSCRIBE/UNSUBSCRIBE without a topic filter")                        \
	X(NO_REASONS, 0x82, "SUBACK/UNSUBACK without a reason code")                               \
	X(SUB_RESERVED, 0x81, "reserved subscription option bits set")                             \
	X(SUB_QOS, 0x81, "subscription maximum QoS 3 is invalid")                                  \
	X(SUB_RETAIN_HANDLING, 0x82, "retain handling 3 is invalid")                               \
	X(SUB_SHARED_NO_LOCAL, 0x82, "no-local set on a shared subscription")                      \
	X(PROP_TRUNCATED, 0x81, "property runs past the property block")                           \
	X(PROP_UNKNOWN, 0x81, "unknown property identifier")                                       \
	X(PROP_NOT_ALLOWED, 0x82, "property not allowed in this packet type")                      \
	X(PROP_DUPLICATE, 0x82, "property that may appear once appears twice")                     \
	X(PROP_VALUE, 0x82, "property value out of range")                                         \
	X(AUTH_DATA_NO_METHOD, 0x82, "Authentication Data without Authentication Method")

enum mqtt_err {
#define MQTT__ERR_ENUM(name, rc, str) MQTT_ERR_##name,
	MQTT_ERR_LIST(MQTT__ERR_ENUM)
#undef MQTT__ERR_ENUM
	    MQTT_ERR_COUNT
};
#define MQTT_NEED_MORE 0

/* A borrowed byte range (UTF-8 string, binary data, payload). p == NULL with
 * len == 0 means "absent" where a field is optional. Never NUL-terminated. */
struct mqtt_str {
	const uint8_t *p;
	uint32_t len;
};

/* One property (5.0 §2.2.2). Which members hold the value depends on its type:
 * BYTE/U16/U32/VARINT -> num; UTF8/BINARY -> str; PAIR -> str (name), val (value). */
struct mqtt_prop {
	uint8_t id; /* enum mqtt_prop_id */
	uint32_t num;
	struct mqtt_str str;
	struct mqtt_str val;
};

/* A property block. Decoders fill raw/len with the validated bytes AFTER the
 * Property Length varint and leave list NULL; iterate with mqtt_prop_next().
 * Encoders write list[0..count) when list != NULL, otherwise copy raw/len verbatim
 * (so a decoded packet re-encodes byte for byte). Both borrowed. */
struct mqtt_props {
	const uint8_t *raw;
	uint32_t len;
	const struct mqtt_prop *list;
	uint32_t count;
};

/* Result of mqtt_frame(): the fixed header (5.0 §2.1.1). */
struct mqtt_fixed {
	uint8_t type;	    /* enum mqtt_type */
	uint8_t flags;	    /* byte 1 bits 3-0 */
	uint8_t hdr_len;    /* 2..5: type byte + Remaining Length varint */
	uint32_t remaining; /* Remaining Length */
	uint32_t total;	    /* hdr_len + remaining = whole packet */
};

/* CONNECT (5.0 §3.1, 3.1.1 §3.1). */
struct mqtt_will {
	uint8_t qos;
	bool retain;
	struct mqtt_props props; /* Will Properties, 5.0 only */
	struct mqtt_str topic;
	struct mqtt_str payload;
};

struct mqtt_connect {
	uint8_t version;  /* MQTT_V311 or MQTT_V5 (protocol level byte) */
	bool clean_start; /* 3.1.1: Clean Session */
	bool has_will;
	bool has_username;
	bool has_password;
	uint16_t keep_alive;	 /* seconds */
	struct mqtt_props props; /* 5.0 only */
	struct mqtt_str client_id;
	struct mqtt_will will;	  /* valid when has_will */
	struct mqtt_str username; /* valid when has_username */
	struct mqtt_str password; /* binary; valid when has_password */
};

/* CONNACK (5.0 §3.2). reason: 5.0 reason code, or the 3.1.1 return code 0..5. */
struct mqtt_connack {
	bool session_present;
	uint8_t reason;
	struct mqtt_props props; /* 5.0 only */
};

/* PUBLISH (5.0 §3.3). */
struct mqtt_publish {
	uint8_t qos;
	bool dup;
	bool retain;
	uint16_t packet_id;	 /* QoS 1/2 only, non-zero */
	struct mqtt_str topic;	 /* may be empty in 5.0 when props carry a Topic Alias */
	struct mqtt_props props; /* 5.0 only */
	struct mqtt_str payload;
};

/* PUBACK, PUBREC, PUBREL, PUBCOMP (5.0 §3.4-§3.7): same layout. */
struct mqtt_ack {
	uint16_t packet_id;
	uint8_t reason; /* 5.0; 0 in 3.1.1 */
	struct mqtt_props props;
};

/* Subscription Options byte (5.0 §3.8.3.1; 3.1.1 has only the QoS bits). */
struct mqtt_sub_opts {
	uint8_t qos;		  /* maximum QoS 0..2 */
	bool no_local;		  /* 5.0 */
	bool retain_as_published; /* 5.0 */
	uint8_t retain_handling;  /* 5.0: 0 send at subscribe, 1 only if new, 2 never */
};

struct mqtt_subscription {
	struct mqtt_str filter;
	struct mqtt_sub_opts opts;
};

/* SUBSCRIBE (5.0 §3.8). Decoders set filters_raw (the validated payload: filter +
 * options byte, repeated) and count; walk it with mqtt_sub_next(). Encoders use
 * subs[0..count) when subs != NULL, else copy filters_raw verbatim. */
struct mqtt_subscribe {
	uint16_t packet_id;
	struct mqtt_props props; /* 5.0 only */
	uint32_t count;
	struct mqtt_str filters_raw;
	const struct mqtt_subscription *subs;
};

/* SUBACK (5.0 §3.9) / UNSUBACK (§3.11): one reason code byte per filter, a view.
 * 3.1.1 UNSUBACK carries none (reasons.len == 0). */
struct mqtt_suback {
	uint16_t packet_id;
	struct mqtt_props props; /* 5.0 only */
	struct mqtt_str reasons;
};

/* UNSUBSCRIBE (5.0 §3.10): like SUBSCRIBE without options; mqtt_unsub_next(). */
struct mqtt_unsubscribe {
	uint16_t packet_id;
	struct mqtt_props props; /* 5.0 only */
	uint32_t count;
	struct mqtt_str filters_raw;
	const struct mqtt_str *filters;
};

/* DISCONNECT (5.0 §3.14) and AUTH (§3.15). 3.1.1 DISCONNECT has no fields. */
struct mqtt_disconnect {
	uint8_t reason;
	struct mqtt_props props;
};

/* Any control packet: type selects the union member. PINGREQ/PINGRESP have none;
 * PUBACK/PUBREC/PUBREL/PUBCOMP use ack; SUBACK and UNSUBACK use suback; DISCONNECT
 * and AUTH use disconnect (alias auth). */
struct mqtt_packet {
	uint8_t type;	 /* enum mqtt_type */
	uint8_t version; /* version the packet was decoded with / is encoded for */
	uint32_t size;	 /* decoders: bytes of the whole packet */
	union {
		struct mqtt_connect connect;
		struct mqtt_connack connack;
		struct mqtt_publish publish;
		struct mqtt_ack ack;
		struct mqtt_subscribe subscribe;
		struct mqtt_suback suback;
		struct mqtt_suback unsuback;
		struct mqtt_unsubscribe unsubscribe;
		struct mqtt_disconnect disconnect;
		struct mqtt_disconnect auth;
	};
};

/* Decoder options. A NULL opts means {MQTT_V5, MQTT_ROLE_ANY, MQTT_MAX_PACKET}. */
struct mqtt_decode_opts {
	uint8_t version;     /* MQTT_V311 or MQTT_V5; CONNECT carries its own level */
	uint8_t role;	     /* enum mqtt_role */
	uint32_t max_packet; /* whole-packet limit in bytes; 0 = MQTT_MAX_PACKET */
};

#endif
