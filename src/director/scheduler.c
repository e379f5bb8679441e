/* scheduler.c — the user-space schedulers (see scheduler.h). */
#include "director/scheduler.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[SCHED_KIND_COUNT] = {"rr",	"wrr", "lc",	  "wlc",
							 "p2c", "sh",  "clientid"};

const char *sched_kind_name(enum sched_kind k)
{
	return (unsigned)k < SCHED_KIND_COUNT ? kind_names[k] : "?";
}

int sched_kind_parse(const char *name, enum sched_kind *out)
{
	for (unsigned k = 0; k < SCHED_KIND_COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0) {
			*out = (enum sched_kind)k;
			return 0;
		}
	return -EINVAL;
}

const char *sched_kind_list(void)
{
	return "rr, wrr, lc, wlc, p2c, sh, clientid";
}

int sched_init(struct sched *s, enum sched_kind kind, const char *const *names, unsigned n,
	       struct sched_shared *shared, uint64_t rng_seed)
{
	if ((unsigned)kind >= SCHED_KIND_COUNT || n == 0 || n > SCHED_MAX_BACKENDS)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->n = n;
	s->shared = shared ? shared : &s->own;
	s->rng = rng_seed ? rng_seed : 0x9e3779b97f4a7c15ULL;
	for (unsigned i = 0; i < n; i++) {
		if (strlen(names[i]) >= SCHED_NAME_MAX)
			return -EINVAL;
		snprintf(s->names[i], SCHED_NAME_MAX, "%s", names[i]);
		s->cfg_w[i] = s->eff_w[i] = 1;
	}
	s->up = n == 64 ? UINT64_MAX : (1ULL << n) - 1;
	if (kind == SCHED_KIND_SH || kind == SCHED_KIND_CLIENTID) {
		const char *np[SCHED_MAX_BACKENDS];
		for (unsigned i = 0; i < n; i++)
			np[i] = s->names[i];
		int rc = maglev_build(&s->mg, np, s->cfg_w, n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void sched_free(struct sched *s)
{
	maglev_free(&s->mg);
}

void sched_set_weights(struct sched *s, const unsigned *cfg, const unsigned *eff)
{
	uint64_t up = 0;
	int eff_changed = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->cfg_w[i] != cfg[i]) {
			s->cfg_w[i] = cfg[i];
			s->mg_dirty = 1;
		}
		if (s->eff_w[i] != eff[i]) {
			s->eff_w[i] = eff[i];
			eff_changed = 1;
		}
		if (eff[i])
			up |= 1ULL << i;
	}
	s->up = up;
	if (eff_changed) /* smooth wrr restarts from a clean state for the new weights */
		memset(s->wrr_cur, 0, sizeof(s->wrr_cur));
}

int sched_needs_active(const struct sched *s)
{
	return s->kind == SCHED_KIND_LC || s->kind == SCHED_KIND_WLC || s->kind == SCHED_KIND_P2C;
}

static uint64_t rng_next(struct sched *s)
{
	/* xorshift64* (Vigna): fast, good enough to pick two backends. */
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int pick_rr(struct sched *s, uint64_t ok)
{
	unsigned cnt = (unsigned)__builtin_popcountll(ok);
	uint64_t t = atomic_fetch_add_explicit(&s->shared->ticket, 1, memory_order_relaxed);
	unsigned k = (unsigned)(t % cnt);
	for (unsigned i = 0; i < s->n; i++)
		if ((ok >> i & 1) && k-- == 0)
			return (int)i;
	return -EAGAIN; /* not reached: k < popcount(ok) */
}

/* Smooth weighted round robin (nginx ngx_http_upstream_get_peer): every
 * eligible backend gains its weight, the largest wins and pays the total. */
static int pick_wrr(struct sched *s, uint64_t ok)
{
	long long total = 0;
	int best = -1;
	for (unsigned i = 0; i < s->n; i++) {
		if (!(ok >> i & 1))
			continue;
		s->wrr_cur[i] += s->eff_w[i];
		total += s->eff_w[i];
		if (best < 0 || s->wrr_cur[i] > s->wrr_cur[best])
			best = (int)i;
	}
	s->wrr_cur[best] -= total;
	return best;
}

/* a_i/w_i < a_j/w_j without division; lc is wlc with all weights 1. */
static int less_loaded(uint64_t ai, unsigned wi, uint64_t aj, unsigned wj)
{
	return (unsigned __int128)ai * wj < (unsigned __int128)aj * wi;
}

static int pick_least(struct sched *s, uint64_t ok, const uint64_t *active, int weighted)
{
	int best = -1;
	unsigned start = s->lc_start++ % s->n;
	for (unsigned k = 0; k < s->n; k++) {
		unsigned i = (start + k) % s->n;
		if (!(ok >> i & 1))
			continue;
		unsigned wi = weighted ? s->eff_w[i] : 1, wb = 0;
		if (best >= 0)
			wb = weighted ? s->eff_w[best] : 1;
		if (best < 0 || less_loaded(active[i], wi, active[best], wb))
			best = (int)i;
	}
	return best;
}

/* One weighted draw among ok. */
static int draw(struct sched *s, uint64_t ok)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (ok >> i & 1)
			total += s->eff_w[i];
	uint64_t r = rng_next(s) % total;
	for (unsigned i = 0; i < s->n; i++) {
		if (!(ok >> i & 1))
			continue;
		if (r < s->eff_w[i])
			return (int)i;
		r -= s->eff_w[i];
	}
	return -EAGAIN; /* not reached */
}

static int pick_p2c(struct sched *s, uint64_t ok, const uint64_t *active)
{
	int a = draw(s, ok);
	uint64_t rest = ok & ~(1ULL << a);
	if (!rest)
		return a;
	int b = draw(s, rest);
	return less_loaded(active[b], s->eff_w[b], active[a], s->eff_w[a]) ? b : a;
}

/* Bytes of the source address: IP only (sh) or IP and port. */
static size_t src_bytes(const struct sockaddr_storage *ss, int with_port, uint8_t *out)
{
	size_t n = 0;
	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		memcpy(out, &a->sin_addr, 4);
		n = 4;
		if (with_port) {
			memcpy(out + n, &a->sin_port, 2);
			n += 2;
		}
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		memcpy(out, &a->sin6_addr, 16);
		n = 16;
		if (with_port) {
			memcpy(out + n, &a->sin6_port, 2);
			n += 2;
		}
	}
	return n;
}

int sched_pick(struct sched *s, const struct sched_key *key, const uint64_t *active,
	       uint64_t exclude)
{
	uint64_t ok = s->up & ~exclude;
	int rc = 0;
	if (!ok)
		return -EAGAIN;
	switch (s->kind) {
	case SCHED_KIND_RR:
		return pick_rr(s, ok);
	case SCHED_KIND_WRR:
		return pick_wrr(s, ok);
	case SCHED_KIND_LC:
	case SCHED_KIND_WLC:
		return pick_least(s, ok, active, s->kind == SCHED_KIND_WLC);
	case SCHED_KIND_P2C:
		return pick_p2c(s, ok, active);
	case SCHED_KIND_SH:
	case SCHED_KIND_CLIENTID: {
		if (s->mg_dirty) {
			const char *np[SCHED_MAX_BACKENDS];
			for (unsigned i = 0; i < s->n; i++)
				np[i] = s->names[i];
			rc = maglev_build(&s->mg, np, s->cfg_w, s->n);
			if (rc == 0)
				s->mg_dirty = 0; /* else: keep the old table, retry next time */
		}
		uint8_t buf[18];
		const void *k = buf;
		size_t len;
		if (s->kind == SCHED_KIND_CLIENTID && key && key->clientid_len) {
			k = key->clientid;
			len = key->clientid_len;
		} else {
			/* sh, or no ClientID (nothing to stay with): the source address;
			 * with its port when there is no ClientID, so one host's
			 * anonymous clients still spread. */
			len = src_bytes(key ? key->src : NULL, s->kind == SCHED_KIND_CLIENTID, buf);
			if (len == 0)
				return pick_rr(s, ok);
		}
		int b = maglev_lookup(&s->mg, k, len, ok);
		if (b < 0) /* eligible backends with no slots (configured weight 0) */
			return pick_rr(s, ok);
		return b;
	}
	case SCHED_KIND_COUNT:
		break;
	}
	return -EINVAL;
}
