/* proxy_limits.c — per-source limits of the proxy (--max-conns-per-source,
 * --connect-rate-per-source): one table shared by the worker threads (a
 * client's connections land on any thread with SO_REUSEPORT), under a mutex
 * taken once at accept and once at close. Its size is fixed at start, so its
 * memory is too; and the CONNECT's keepalive for the idle timeout. */
#include "director/proxy.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET_SLOTS 8

struct src_slot {	 /* 32 bytes */
	uint8_t key[16]; /* IPv6, or IPv4-mapped IPv6 */
	uint64_t tat;	 /* GCRA: theoretical arrival time of the next connect */
	uint32_t conns;	 /* open connections from it */
	uint8_t used;
};

struct proxy_limits {
	pthread_mutex_t lock;
	unsigned per_source, rate;
	uint64_t interval_ns; /* 1 s / rate */
	size_t buckets;	      /* power of two */
	struct src_slot *slots;
};

static void src_key(const struct sockaddr_storage *a, uint8_t key[16])
{
	memset(key, 0, 16);
	if (a->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	} else if (a->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
	}
}

static size_t src_hash(const uint8_t key[16])
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29);
}

int proxy_limits_new(struct proxy_limits **out, unsigned per_source, unsigned rate,
		     unsigned max_conns)
{
	*out = NULL;
	if (!per_source && !rate)
		return 0;
	struct proxy_limits *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	/* twice the connections' worth of slots, at most 2^20 (32 MiB) */
	_Static_assert(sizeof(struct src_slot) == 32, "slot size in the man page");
	size_t want = (size_t)max_conns * 2 / BUCKET_SLOTS + 1, b = 1;
	while (b < want && b < (1u << 17))
		b <<= 1;
	l->buckets = b;
	l->slots = calloc(b * BUCKET_SLOTS, sizeof(*l->slots));
	if (!l->slots) {
		free(l);
		return -1;
	}
	l->per_source = per_source;
	l->rate = rate;
	l->interval_ns = rate ? 1000000000ULL / rate : 0;
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;
}

void proxy_limits_free(struct proxy_limits *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->slots);
	free(l);
}

size_t proxy_limits_bytes(const struct proxy_limits *l)
{
	return l ? sizeof(*l) + l->buckets * BUCKET_SLOTS * sizeof(struct src_slot) : 0;
}

/* The slot of key, or a free one for it (unused, or no connections and no rate
 * debt left), or NULL when its bucket is full of live sources. */
static struct src_slot *find(struct proxy_limits *l, const uint8_t key[16], uint64_t now)
{
	struct src_slot *b = l->slots + (src_hash(key) & (l->buckets - 1)) * BUCKET_SLOTS;
	struct src_slot *spare = NULL;
	for (int i = 0; i < BUCKET_SLOTS; i++) {
		if (b[i].used && memcmp(b[i].key, key, 16) == 0)
			return &b[i];
		if (!spare && (!b[i].used || (b[i].conns == 0 && b[i].tat <= now)))
			spare = &b[i];
	}
	if (spare) {
		memset(spare, 0, sizeof(*spare));
		memcpy(spare->key, key, 16);
		spare->used = 1;
	}
	return spare;
}

enum proxy_reject proxy_limits_admit(struct proxy_limits *l, const struct sockaddr_storage *src,
				     uint64_t now)
{
	uint8_t key[16];
	enum proxy_reject r = PROXY_REJ_NONE;
	if (!l)
		return r;
	src_key(src, key);
	pthread_mutex_lock(&l->lock);
	struct src_slot *s = find(l, key, now);
	if (!s) {
		/* Fail open: 8 live sources in one bucket of a table twice the size
		 * of --max-connections is a hash accident, not an attack on one IP. */
		pthread_mutex_unlock(&l->lock);
		return PROXY_REJ_NONE;
	}
	if (l->per_source && s->conns >= l->per_source) {
		r = PROXY_REJ_SOURCE_CONNS;
	} else if (l->rate) {
		/* GCRA with a burst of one second's worth: rate connects at once,
		 * then one every interval */
		uint64_t tat = s->tat > now ? s->tat : now;
		if (tat - now > (uint64_t)(l->rate - 1) * l->interval_ns)
			r = PROXY_REJ_SOURCE_RATE;
		else
			s->tat = tat + l->interval_ns;
	}
	if (r == PROXY_REJ_NONE)
		s->conns++;
	pthread_mutex_unlock(&l->lock);
	return r;
}

void proxy_limits_release(struct proxy_limits *l, const struct sockaddr_storage *src)
{
	uint8_t key[16];
	if (!l)
		return;
	src_key(src, key);
	pthread_mutex_lock(&l->lock);
	struct src_slot *b = l->slots + (src_hash(key) & (l->buckets - 1)) * BUCKET_SLOTS;
	for (int i = 0; i < BUCKET_SLOTS; i++)
		if (b[i].used && memcmp(b[i].key, key, 16) == 0 && b[i].conns) {
			b[i].conns--;
			break;
		}
	pthread_mutex_unlock(&l->lock);
}

uint32_t proxy_connect_keepalive(const uint8_t *b, size_t len)
{
	size_t i = 1;
	while (i < len && i < 5 && (b[i] & 0x80))
		i++;
	i++; /* past the remaining length */
	if (i + 2 > len)
		return 0;
	size_t nlen = (size_t)b[i] << 8 | b[i + 1];
	i += 2 + nlen + 2; /* name, level, flags (5.0 §3.1.2) */
	if (i + 2 > len)
		return 0;
	return (uint32_t)b[i] << 8 | b[i + 1];
}
