#include "bench/payload.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
	out[4] = BENCH_HDR_VERSION;
	put_be64(out + 34, h->nonce);
}

void bench_hdr_set_sent(uint8_t *hdr, uint64_t sent_ns)
{
	put_be64(hdr + 26, sent_ns);
}

int bench_hdr_decode(const uint8_t *p, size_t len, struct bench_hdr *out)
{
	if (len < 4 || memcmp(p, "MQLB", 4) != 0)
		return len < 4 ? -EMSGSIZE : -EBADMSG;
	if (len < 5)
		return -EMSGSIZE;
	if (p[4] != BENCH_HDR_VERSION && p[4] != BENCH_HDR_VERSION_V1)
		return len < BENCH_HDR_V1_LEN ? -EMSGSIZE : -EPROTO;
	if (len < (p[4] == BENCH_HDR_VERSION_V1 ? BENCH_HDR_V1_LEN : BENCH_HDR_LEN))
		return -EMSGSIZE;
	out->version = p[4];
	out->flags = p[5];
	out->pub_id = get_be32(p + 6);
	out->seq = get_be64(p + 10);
	out->intended_ns = get_be64(p + 18);
	out->sent_ns = get_be64(p + 26);
	out->nonce = p[4] == BENCH_HDR_VERSION ? get_be64(p + 34) : 0;
	return 0;
}

static uint64_t run_nonce;
static pthread_once_t nonce_once = PTHREAD_ONCE_INIT;

/* getrandom; without it (old kernel) time and pid still differ between runs. */
static void nonce_init(void)
{
	uint64_t n = 0;
	if (getrandom(&n, sizeof(n), GRND_NONBLOCK) != (ssize_t)sizeof(n)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		n = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
		    ((uint64_t)getpid() << 40);
	}
	run_nonce = n ? n : 1; /* 0 means "version 1, no nonce" */
}

uint64_t bench_run_nonce(void)
{
	pthread_once(&nonce_once, nonce_init);
	return run_nonce;
}

void bench_nonce_hex(uint64_t nonce, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)nonce);
}

int bench_nonce_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; s[i]; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0 || i >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (!i)
		return -EINVAL;
	*out = v;
	return 0;
}
