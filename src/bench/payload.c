#include "bench/payload.h"

#include <errno.h>
#include <string.h>

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

void bench_hdr_encode(const struct bench_hdr *h, uint8_t *out)
{
	memcpy(out, "MQLB", 4);
	out[4] = h->version;
	out[5] = h->flags;
	put_be32(out + 6, h->pub_id);
	put_be64(out + 10, h->seq);
	put_be64(out + 18, h->intended_ns);
	put_be64(out + 26, h->sent_ns);
}

void bench_hdr_set_sent(uint8_t *hdr, uint64_t sent_ns)
{
	put_be64(hdr + 26, sent_ns);
}

int bench_hdr_decode(const uint8_t *p, size_t len, struct bench_hdr *out)
{
	if (len < 4 || memcmp(p, "MQLB", 4) != 0)
		return len < 4 ? -EMSGSIZE : -EBADMSG;
	if (len < BENCH_HDR_LEN)
		return -EMSGSIZE;
	if (p[4] != BENCH_HDR_VERSION)
		return -EPROTO;
	out->version = p[4];
	out->flags = p[5];
	out->pub_id = get_be32(p + 6);
	out->seq = get_be64(p + 10);
	out->intended_ns = get_be64(p + 18);
	out->sent_ns = get_be64(p + 26);
	return 0;
}
