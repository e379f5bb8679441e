/* proxy_drain.c — what a graceful drain needs to know of the broker-to-client
 * stream: where its MQTT packets end (so a DISCONNECT goes in between two of
 * them, never inside one), and the MQTT 5 DISCONNECT "Use another server"
 * itself. Pure: no I/O. */
#include "director/proxy.h"

#include <string.h>

void proxy_frame_feed(struct proxy_frame *f, const uint8_t *p, size_t n)
{
	while (n) {
		if (f->left) { /* inside a packet's body */
			size_t k = n < f->left ? n : f->left;
			f->left -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		/* a fixed header: type byte, then 1-4 remaining-length bytes */
		uint8_t b = *p++;
		n--;
		if (f->hdr == 0) {
			f->hdr = 1;
			f->len = 0;
			continue;
		}
		f->len |= (uint32_t)(b & 0x7f) << (7 * (f->hdr - 1));
		if ((b & 0x80) && f->hdr < 4) {
			f->hdr++;
			continue;
		}
		f->left = f->len; /* a malformed 5th length byte: the broker's problem */
		f->hdr = 0;
	}
}

size_t proxy_frame_room(const struct proxy_frame *f)
{
	if (f->left)
		return f->left;
	return f->hdr ? 1 : 0; /* a header: byte by byte, its length is unknown */
}

size_t proxy_disconnect_use_another(uint8_t *out, size_t cap, const char *ref)
{
	size_t rl = ref ? strlen(ref) : 0;
	/* reason code, property length, [0x1C Server Reference: 2-byte length + UTF-8] */
	size_t props = rl ? 3 + rl : 0;
	size_t body = 1 + (props > 127 ? 2 : 1) + props;
	if (rl > PROXY_SERVER_REF_MAX || cap < 3 + body)
		return 0;
	size_t i = 0;
	out[i++] = 0xe0; /* DISCONNECT (5.0 §3.14) */
	if (body > 127) {
		out[i++] = (uint8_t)(body & 0x7f) | 0x80;
		out[i++] = (uint8_t)(body >> 7);
	} else {
		out[i++] = (uint8_t)body;
	}
	out[i++] = 0x9c; /* Use another server (5.0 §3.14.2.1) */
	if (props > 127) {
		out[i++] = (uint8_t)(props & 0x7f) | 0x80;
		out[i++] = (uint8_t)(props >> 7);
	} else {
		out[i++] = (uint8_t)props;
	}
	if (rl) {
		out[i++] = 0x1c;
		out[i++] = (uint8_t)(rl >> 8);
		out[i++] = (uint8_t)rl;
		memcpy(out + i, ref, rl);
		i += rl;
	}
	return i;
}
