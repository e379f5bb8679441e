/* test_mqtt_prim.c — the codec's data representation rules (5.0 §1.5, §4.7) and
 * name tables, as boundary tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt/mqtt.h"

#define S(lit) ((struct mqtt_str){(const uint8_t *)(lit), sizeof(lit) - 1})

/* 5.0 §1.5.5 table 1-1 edges, both ways. */
static void test_varint_edges(void **state)
{
	static const struct {
		uint32_t v;
		int n;
		uint8_t b[4];
	} t[] = {
	    {0, 1, {0x00}},
	    {127, 1, {0x7f}},
	    {128, 2, {0x80, 0x01}},
	    {16383, 2, {0xff, 0x7f}},
	    {16384, 3, {0x80, 0x80, 0x01}},
	    {2097151, 3, {0xff, 0xff, 0x7f}},
	    {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
	    {268435455, 4, {0xff, 0xff, 0xff, 0x7f}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t out[4];
		uint32_t v = 0;
		assert_int_equal(mqtt_varint_size(t[i].v), t[i].n);
		assert_int_equal(mqtt_varint_encode(t[i].v, out), t[i].n);
		assert_memory_equal(out, t[i].b, (size_t)t[i].n);
		assert_int_equal(mqtt_varint_decode(t[i].b, (size_t)t[i].n, &v), t[i].n);
		assert_int_equal(v, t[i].v);
		/* every shorter prefix is "need more" */
		for (int k = 0; k < t[i].n; k++)
			assert_int_equal(mqtt_varint_decode(t[i].b, (size_t)k, &v), MQTT_NEED_MORE);
	}
	assert_int_equal(mqtt_varint_size(268435456u), 0);
}

static void test_varint_invalid(void **state)
{
	static const struct {
		uint8_t b[5];
		size_t n;
		int want;
	} t[] = {
	    /* 268435456 would need a 5th byte */
	    {{0x80, 0x80, 0x80, 0x80, 0x01}, 5, -MQTT_ERR_VARINT_TOO_LONG},
	    {{0xff, 0xff, 0xff, 0xff, 0x7f}, 5, -MQTT_ERR_VARINT_TOO_LONG},
	    {{0xff, 0xff, 0xff, 0xff}, 4, -MQTT_ERR_VARINT_TOO_LONG},
	    /* non-minimal: 0 written as 2 bytes, 127 as 2, 128 as 3, 16384 as 4 */
	    {{0x80, 0x00}, 2, -MQTT_ERR_VARINT_NONMINIMAL},
	    {{0xff, 0x00}, 2, -MQTT_ERR_VARINT_NONMINIMAL},
	    {{0x80, 0x81, 0x00}, 3, -MQTT_ERR_VARINT_NONMINIMAL},
	    {{0x80, 0x80, 0x81, 0x00}, 4, -MQTT_ERR_VARINT_NONMINIMAL},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t v;
		assert_int_equal(mqtt_varint_decode(t[i].b, t[i].n, &v), t[i].want);
	}
}

/* 5.0 §1.5.4 and Unicode table 3-7 boundaries. */
static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		int want;
	} t[] = {
	    {"", 0, 0},
	    {"plain/ascii", 11, 0},
	    {"\x7f", 1, 0},
	    {"\xc2\x80", 2, 0},		/* U+0080 */
	    {"\xdf\xbf", 2, 0},		/* U+07FF */
	    {"\xe0\xa0\x80", 3, 0},	/* U+0800 */
	    {"\xed\x9f\xbf", 3, 0},	/* U+D7FF */
	    {"\xee\x80\x80", 3, 0},	/* U+E000 */
	    {"\xef\xbf\xbf", 3, 0},	/* U+FFFF (non-character: allowed, SHOULD NOT) */
	    {"\xf0\x90\x80\x80", 4, 0}, /* U+10000 */
	    {"\xf4\x8f\xbf\xbf", 4, 0}, /* U+10FFFF */
	    {"caf\xc3\xa9", 5, 0},
	    {"\x00", 1, -MQTT_ERR_UTF8_NUL},
	    {"a\x00", 2, -MQTT_ERR_UTF8_NUL},
	    {"\xc0\x80", 2, -MQTT_ERR_UTF8_OVERLONG}, /* overlong U+0000 */
	    {"\xc1\xbf", 2, -MQTT_ERR_UTF8_OVERLONG},
	    {"\xe0\x9f\xbf", 3, -MQTT_ERR_UTF8_OVERLONG},
	    {"\xf0\x8f\xbf\xbf", 4, -MQTT_ERR_UTF8_OVERLONG},
	    {"\xed\xa0\x80", 3, -MQTT_ERR_UTF8_SURROGATE},     /* U+D800 */
	    {"\xed\xbf\xbf", 3, -MQTT_ERR_UTF8_SURROGATE},     /* U+DFFF */
	    {"\xf4\x90\x80\x80", 4, -MQTT_ERR_UTF8_MALFORMED}, /* U+110000 */
	    {"\xf5\x80\x80\x80", 4, -MQTT_ERR_UTF8_MALFORMED},
	    {"\xff", 1, -MQTT_ERR_UTF8_MALFORMED},
	    {"\x80", 1, -MQTT_ERR_UTF8_MALFORMED},
	    {"\xc3", 1, -MQTT_ERR_UTF8_MALFORMED}, /* truncated */
	    {"\xe2\x82", 2, -MQTT_ERR_UTF8_MALFORMED},
	    {"\xc3\x28", 2, -MQTT_ERR_UTF8_MALFORMED},
	    {"\xe2\x28\xa1", 3, -MQTT_ERR_UTF8_MALFORMED},
	    {"\xf0\x90\x28\xbc", 4, -MQTT_ERR_UTF8_MALFORMED},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int got = mqtt_utf8_check((const uint8_t *)t[i].s, t[i].n);
		if (got != t[i].want)
			fail_msg("utf8 case %zu: got %d want %d", i, got, t[i].want);
	}
}

static void test_topic_names(void **state)
{
	static const struct {
		const char *s;
		int want;
	} t[] = {
	    {"a", 0},
	    {"/", 0},
	    {"a/b/c", 0},
	    {"$SYS/broker/load", 0},
	    {"sport/tennis player1/#x", -MQTT_ERR_TOPIC_WILDCARD},
	    {"", -MQTT_ERR_TOPIC_EMPTY},
	    {"a/+", -MQTT_ERR_TOPIC_WILDCARD},
	    {"#", -MQTT_ERR_TOPIC_WILDCARD},
	    {"a/\xc3", -MQTT_ERR_UTF8_MALFORMED},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(mqtt_topic_check(mqtt_str_c(t[i].s)), t[i].want);
	/* an embedded U+0000 */
	assert_int_equal(mqtt_topic_check(S("a\0b")), -MQTT_ERR_UTF8_NUL);
}

/* 5.0 §4.7.1 examples and §4.8.2 shared subscriptions. */
static void test_filters(void **state)
{
	static const struct {
		const char *s;
		int want;
	} t[] = {
	    {"#", 0},
	    {"+", 0},
	    {"sport/tennis/player1/#", 0},
	    {"sport/#", 0},
	    {"+/tennis/#", 0},
	    {"sport/+/player1", 0},
	    {"/+", 0},
	    {"+/+", 0},
	    {"a//b", 0},
	    {"$share/grp/a/b", 0},
	    {"$share/grp/#", 0},
	    {"$shared/x", 0}, /* not the share prefix */
	    {"", -MQTT_ERR_FILTER_EMPTY},
	    {"sport/tennis#", -MQTT_ERR_FILTER_WILDCARD},
	    {"sport/tennis/#/ranking", -MQTT_ERR_FILTER_WILDCARD},
	    {"sport+", -MQTT_ERR_FILTER_WILDCARD},
	    {"+a", -MQTT_ERR_FILTER_WILDCARD},
	    {"a/++", -MQTT_ERR_FILTER_WILDCARD},
	    {"##", -MQTT_ERR_FILTER_WILDCARD},
	    {"$share/", -MQTT_ERR_FILTER_SHARED},
	    {"$share/grp", -MQTT_ERR_FILTER_SHARED},
	    {"$share/grp/", -MQTT_ERR_FILTER_SHARED},
	    {"$share//a", -MQTT_ERR_FILTER_SHARED},
	    {"$share/g+/a", -MQTT_ERR_FILTER_SHARED},
	    {"$share/g#/a", -MQTT_ERR_FILTER_SHARED},
	    {"$share/g/a#", -MQTT_ERR_FILTER_WILDCARD},
	    {"\xed\xa0\x80", -MQTT_ERR_UTF8_SURROGATE},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int got = mqtt_filter_check(mqtt_str_c(t[i].s));
		if (got != t[i].want)
			fail_msg("filter '%s': got %d (%s) want %d", t[i].s, got, mqtt_err_str(got),
				 t[i].want);
	}
}

static void test_match(void **state)
{
	static const struct {
		const char *f, *t;
		bool want;
	} t[] = {
	    {"sport/tennis/player1/#", "sport/tennis/player1", true},
	    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
	    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
	    {"sport/#", "sport", true},
	    {"#", "a/b", true},
	    {"sport/tennis/+", "sport/tennis/player1", true},
	    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
	    {"sport/+", "sport", false},
	    {"sport/+", "sport/", true},
	    {"+/+", "/finance", true},
	    {"/+", "/finance", true},
	    {"+", "/finance", false},
	    {"a/b", "a/b", true},
	    {"a/b", "a/bc", false},
	    {"a/bc", "a/b", false},
	    {"a/b", "a", false},
	    {"a", "a/b", false},
	    {"#", "$SYS/x", false},
	    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
	    {"$SYS/#", "$SYS/monitor/Clients", true},
	    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
	    {"$share/g/a/+", "a/b", true},
	    {"$share/g/a/+", "b/b", false},
	    {"bench/test", "bench/test", true},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (mqtt_topic_match(mqtt_str_c(t[i].f), mqtt_str_c(t[i].t)) != t[i].want)
			fail_msg("match '%s' vs '%s' want %d", t[i].f, t[i].t, t[i].want);
}

static void test_names(void **state)
{
	for (int e = 0; e < MQTT_ERR_COUNT; e++) {
		assert_non_null(mqtt_err_str(e));
		assert_string_equal(mqtt_err_str(e), mqtt_err_str(-e));
		assert_true(strlen(mqtt_err_str(e)) > 5);
		for (int k = 0; k < e; k++) /* each error has its own message */
			assert_string_not_equal(mqtt_err_str(e), mqtt_err_str(k));
	}
	assert_string_equal(mqtt_err_str(MQTT_ERR_COUNT), "unknown error");
	assert_int_equal(mqtt_err_reason(-MQTT_ERR_PACKET_TOO_LARGE), MQTT_RC_PACKET_TOO_LARGE);
	assert_int_equal(mqtt_err_reason(-MQTT_ERR_UTF8_NUL), MQTT_RC_MALFORMED_PACKET);
	assert_int_equal(mqtt_err_reason(-MQTT_ERR_PROP_DUPLICATE), MQTT_RC_PROTOCOL_ERROR);
	assert_string_equal(mqtt_reason_name(0x00), "Success");
	assert_string_equal(mqtt_reason_name(0x95), "Packet too large");
	assert_string_equal(mqtt_reason_name(0xA2), "Wildcard Subscriptions not supported");
	assert_string_equal(mqtt_reason_name(0x03), "Unknown reason code");
	assert_string_equal(mqtt_connack_name(5, MQTT_V311), "Connection Refused, not authorized");
	assert_string_equal(mqtt_connack_name(0x86, MQTT_V5), "Bad User Name or Password");
	assert_true(mqtt_reason_allowed(MQTT_PUBACK, 0x10));
	assert_false(mqtt_reason_allowed(MQTT_PUBREL, 0x10));
	assert_true(mqtt_reason_allowed(MQTT_PUBCOMP, 0x92));
	assert_true(mqtt_reason_allowed(MQTT_AUTH, 0x18));
	assert_false(mqtt_reason_allowed(MQTT_CONNACK, 0x18));
	static const char *const pk[] = {"RESERVED",  "CONNECT",  "CONNACK",	 "PUBLISH",
					 "PUBACK",    "PUBREC",	  "PUBREL",	 "PUBCOMP",
					 "SUBSCRIBE", "SUBACK",	  "UNSUBSCRIBE", "UNSUBACK",
					 "PINGREQ",   "PINGRESP", "DISCONNECT",	 "AUTH"};
	for (int i = 0; i < 16; i++)
		assert_string_equal(mqtt_packet_name(i), pk[i]);
	assert_string_equal(mqtt_packet_name(16), "RESERVED");
	assert_string_equal(mqtt_prop_name(0x23), "Topic Alias");
	assert_int_equal(mqtt_prop_type(0x26), MQTT_PT_PAIR);
	assert_int_equal(mqtt_prop_type(0x0B), MQTT_PT_VARINT);
	assert_int_equal(mqtt_prop_type(0x04), MQTT_PT_NONE);
	assert_null(mqtt_prop_name(0x04));
	assert_null(mqtt_prop_name(0x7f));
	/* 27 properties are defined in 5.0 */
	int n = 0;
	for (int id = 0; id < 0x80; id++)
		n += mqtt_prop_type((uint8_t)id) != MQTT_PT_NONE;
	assert_int_equal(n, 27);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_varint_edges), cmocka_unit_test(test_varint_invalid),
	    cmocka_unit_test(test_utf8),	 cmocka_unit_test(test_topic_names),
	    cmocka_unit_test(test_filters),	 cmocka_unit_test(test_match),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
