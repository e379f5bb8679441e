/* mqtt_eq.c — field-by-field equality of decoded packets (tests, fuzzing, tools).
 * Views compare by content, not address; property blocks and filter lists compare
 * as their encoded bytes (decoded packets hold them in raw form). */
#include "mqtt/mqtt-int.h"

static bool str_eq(struct mqtt_str a, struct mqtt_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool props_eq(const struct mqtt_props *a, const struct mqtt_props *b)
{
	uint32_t oa = 0, ob = 0;
	struct mqtt_prop pa, pb;
	int ra, rb;
	for (;;) {
		ra = mqtt_prop_next(a, &oa, &pa);
		rb = mqtt_prop_next(b, &ob, &pb);
		if (ra != rb)
			return false;
		if (ra <= 0)
			return ra == 0;
		if (pa.id != pb.id || pa.num != pb.num || !str_eq(pa.str, pb.str) ||
		    !str_eq(pa.val, pb.val))
			return false;
	}
}

static bool subs_eq(const struct mqtt_subscribe *a, const struct mqtt_subscribe *b)
{
	uint32_t oa = 0, ob = 0;
	struct mqtt_subscription sa, sb;
	int ra, rb;
	if (a->count != b->count)
		return false;
	for (;;) {
		ra = mqtt_sub_next(a, &oa, &sa);
		rb = mqtt_sub_next(b, &ob, &sb);
		if (ra != rb)
			return false;
		if (ra <= 0)
			return true;
		if (!str_eq(sa.filter, sb.filter) || sa.opts.qos != sb.opts.qos ||
		    sa.opts.no_local != sb.opts.no_local ||
		    sa.opts.retain_as_published != sb.opts.retain_as_published ||
		    sa.opts.retain_handling != sb.opts.retain_handling)
			return false;
	}
}

static bool unsubs_eq(const struct mqtt_unsubscribe *a, const struct mqtt_unsubscribe *b)
{
	uint32_t oa = 0, ob = 0;
	struct mqtt_str sa, sb;
	int ra, rb;
	if (a->count != b->count)
		return false;
	for (;;) {
		ra = mqtt_unsub_next(a, &oa, &sa);
		rb = mqtt_unsub_next(b, &ob, &sb);
		if (ra != rb)
			return false;
		if (ra <= 0)
			return true;
		if (!str_eq(sa, sb))
			return false;
	}
}

bool mqtt_packet_eq(const struct mqtt_packet *a, const struct mqtt_packet *b)
{
	if (a->type != b->type || a->version != b->version)
		return false;
	switch (a->type) {
	case MQTT_CONNECT: {
		const struct mqtt_connect *x = &a->connect, *y = &b->connect;
		if (x->version != y->version || x->clean_start != y->clean_start ||
		    x->has_will != y->has_will || x->has_username != y->has_username ||
		    x->has_password != y->has_password || x->keep_alive != y->keep_alive ||
		    !props_eq(&x->props, &y->props) || !str_eq(x->client_id, y->client_id))
			return false;
		if (x->has_will &&
		    (x->will.qos != y->will.qos || x->will.retain != y->will.retain ||
		     !props_eq(&x->will.props, &y->will.props) ||
		     !str_eq(x->will.topic, y->will.topic) ||
		     !str_eq(x->will.payload, y->will.payload)))
			return false;
		return (!x->has_username || str_eq(x->username, y->username)) &&
		       (!x->has_password || str_eq(x->password, y->password));
	}
	case MQTT_CONNACK:
		return a->connack.session_present == b->connack.session_present &&
		       a->connack.reason == b->connack.reason &&
		       props_eq(&a->connack.props, &b->connack.props);
	case MQTT_PUBLISH: {
		const struct mqtt_publish *x = &a->publish, *y = &b->publish;
		return x->qos == y->qos && x->dup == y->dup && x->retain == y->retain &&
		       x->packet_id == y->packet_id && str_eq(x->topic, y->topic) &&
		       props_eq(&x->props, &y->props) && str_eq(x->payload, y->payload);
	}
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return a->ack.packet_id == b->ack.packet_id && a->ack.reason == b->ack.reason &&
		       props_eq(&a->ack.props, &b->ack.props);
	case MQTT_SUBSCRIBE:
		return a->subscribe.packet_id == b->subscribe.packet_id &&
		       props_eq(&a->subscribe.props, &b->subscribe.props) &&
		       subs_eq(&a->subscribe, &b->subscribe);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return a->suback.packet_id == b->suback.packet_id &&
		       props_eq(&a->suback.props, &b->suback.props) &&
		       str_eq(a->suback.reasons, b->suback.reasons);
	case MQTT_UNSUBSCRIBE:
		return a->unsubscribe.packet_id == b->unsubscribe.packet_id &&
		       props_eq(&a->unsubscribe.props, &b->unsubscribe.props) &&
		       unsubs_eq(&a->unsubscribe, &b->unsubscribe);
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return a->disconnect.reason == b->disconnect.reason &&
		       props_eq(&a->disconnect.props, &b->disconnect.props);
	default:
		return true;
	}
}
