/* mqtt_names.c — tables generated from the X-macros in mqtt-t.h: error messages,
 * reason code names and where each may appear, packet and property names. */
#include "mqtt/mqtt-int.h"

static const char *const err_str[MQTT_ERR_COUNT] = {
#define X(name, rc, str) [MQTT_ERR_##name] = str,
    MQTT_ERR_LIST(X)
#undef X
};

static const uint8_t err_rc[MQTT_ERR_COUNT] = {
#define X(name, rc, str) [MQTT_ERR_##name] = rc,
    MQTT_ERR_LIST(X)
#undef X
};

static const char *const reason_str[256] = {
#define X(name, val, str, mask) [val] = str,
    MQTT_REASON_LIST(X)
#undef X
};

const uint32_t mqtt__reason_mask[256] = {
#define X(name, val, str, mask) [val] = (mask),
    MQTT_REASON_LIST(X)
#undef X
};

const struct mqtt__prop_info mqtt__prop_info[MQTT_PROP_COUNT] = {
#define X(name, id, type, mask, multi, str) [id] = {type, multi, mask},
    MQTT_PROP_LIST(X)
#undef X
};

static const char *const prop_str[MQTT_PROP_COUNT] = {
#define X(name, id, type, mask, multi, str) [id] = str,
    MQTT_PROP_LIST(X)
#undef X
};

static const char *const packet_str[MQTT_TYPE_COUNT] = {
    "RESERVED", "CONNECT",  "CONNACK",	  "PUBLISH", "PUBACK",	    "PUBREC",
    "PUBREL",	"PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
    "PINGREQ",	"PINGRESP", "DISCONNECT", "AUTH",
};

/* 3.1.1 §3.2.2.3 table 3.1 */
static const char *const v3_connack_str[MQTT_V3_CONNACK_COUNT] = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

const char *mqtt_err_str(int err)
{
	if (err < 0)
		err = -err;
	if (err >= MQTT_ERR_COUNT)
		return "unknown error";
	return err_str[err];
}

uint8_t mqtt_err_reason(int err)
{
	if (err < 0)
		err = -err;
	if (err >= MQTT_ERR_COUNT)
		return MQTT_RC_UNSPECIFIED_ERROR;
	return err_rc[err];
}

const char *mqtt_reason_name(uint8_t code)
{
	return reason_str[code] ? reason_str[code] : "Unknown reason code";
}

const char *mqtt_connack_name(uint8_t code, uint8_t version)
{
	if (version == MQTT_V5)
		return mqtt_reason_name(code);
	return code < MQTT_V3_CONNACK_COUNT ? v3_connack_str[code] : "Unknown return code";
}

bool mqtt_reason_allowed(uint8_t type, uint8_t code)
{
	return type < MQTT_TYPE_COUNT && (mqtt__reason_mask[code] & MQTT_PKT(type));
}

const char *mqtt_packet_name(int type)
{
	return type > 0 && type < MQTT_TYPE_COUNT ? packet_str[type] : packet_str[0];
}

const char *mqtt_prop_name(uint8_t id)
{
	return id < MQTT_PROP_COUNT ? prop_str[id] : NULL;
}

enum mqtt_prop_type mqtt_prop_type(uint8_t id)
{
	return id < MQTT_PROP_COUNT ? (enum mqtt_prop_type)mqtt__prop_info[id].type : MQTT_PT_NONE;
}
