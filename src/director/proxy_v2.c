/* proxy_v2.c — the PROXY protocol version 2 header (haproxy.org
 * proxy-protocol.txt §2.2): built for the brokers with --send-proxy-v2, parsed
 * from the listener with --accept-proxy; the LOCAL header for the health
 * probes of those brokers. Pure functions, no I/O. */
#include "director/proxy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const uint8_t SIG[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

size_t proxy_v2_build(uint8_t *out, size_t cap, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst)
{
	int v6 = src->ss_family == AF_INET6;
	size_t alen = v6 ? 36 : 12;
	if (cap < PROXY_V2_HDR + 36)
		return 0;
	memcpy(out, SIG, sizeof(SIG));
	out[12] = 0x21; /* version 2, PROXY */
	out[14] = 0;
	if (src->ss_family != dst->ss_family || (src->ss_family != AF_INET && !v6)) {
		out[13] = 0x00; /* AF_UNSPEC: the receiver keeps the real peer (§2.2) */
		out[15] = 0;
		return PROXY_V2_HDR;
	}
	out[13] = v6 ? 0x21 : 0x11; /* TCP over IPv6 / IPv4 */
	out[15] = (uint8_t)alen;
	uint8_t *p = out + PROXY_V2_HDR;
	if (v6) {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;
		memcpy(p, &s->sin6_addr, 16);
		memcpy(p + 16, &d->sin6_addr, 16);
		memcpy(p + 32, &s->sin6_port, 2); /* already network order */
		memcpy(p + 34, &d->sin6_port, 2);
	} else {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;
		memcpy(p, &s->sin_addr, 4);
		memcpy(p + 4, &d->sin_addr, 4);
		memcpy(p + 8, &s->sin_port, 2);
		memcpy(p + 10, &d->sin_port, 2);
	}
	return PROXY_V2_HDR + alen;
}

size_t proxy_v2_build_local(uint8_t *out, size_t cap)
{
	if (cap < PROXY_V2_HDR)
		return 0;
	memcpy(out, SIG, sizeof(SIG));
	out[12] = 0x20; /* version 2, LOCAL */
	out[13] = 0x00; /* AF_UNSPEC: no address block */
	out[14] = out[15] = 0;
	return PROXY_V2_HDR;
}

int proxy_v2_parse(const uint8_t *buf, size_t len, struct sockaddr_storage *src, size_t *need,
		   const char **why)
{
	size_t n = len < sizeof(SIG) ? len : sizeof(SIG);
	*need = PROXY_V2_HDR;
	if (memcmp(buf, SIG, n) != 0) {
		*why = buf[0] == 'P' ? "a version 1 (text) header: only version 2 is accepted"
				     : "no PROXY protocol v2 header";
		return -1;
	}
	if (len < PROXY_V2_HDR)
		return 0;
	size_t body = (size_t)buf[14] << 8 | buf[15];
	if ((buf[12] & 0xf0) != 0x20 || (buf[12] & 0x0f) > 1) {
		*why = "bad version/command byte";
		return -1;
	}
	if (body > PROXY_V2_MAX - PROXY_V2_HDR) {
		*why = "header longer than we accept";
		return -1;
	}
	*need = PROXY_V2_HDR + body;
	if (len < *need)
		return 0;
	if ((buf[12] & 0x0f) == 0 || (buf[13] & 0x0f) != 1 || buf[13] >> 4 == 0 || buf[13] >> 4 > 2)
		return 1; /* LOCAL (the balancer's own probe), UNSPEC, unix: keep the peer */
	const uint8_t *p = buf + PROXY_V2_HDR;
	if (buf[13] >> 4 == 1 && body >= 12) {
		struct sockaddr_in *s = (struct sockaddr_in *)src;
		memset(src, 0, sizeof(*src));
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, p, 4);
		memcpy(&s->sin_port, p + 8, 2);
		return 1;
	}
	if (buf[13] >> 4 == 2 && body >= 36) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)src;
		memset(src, 0, sizeof(*src));
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, p, 16);
		memcpy(&s->sin6_port, p + 32, 2);
		return 1;
	}
	*why = "address block too short for its family";
	return -1;
}
