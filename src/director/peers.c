/* peers.c — the --peers exchange of active connection counts (see peers.h).
 * Runs on the director controller's event loop (src/event): its UDP socket
 * and its report timer, no thread of its own. The table (peer[]) is touched on
 * that thread only (datagrams in, reports out, the status JSON); the proxy's
 * workers read the sums, which are atomics. */
#include "director/peers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/json.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/time.h"
#include "director/director.h"
#include "event/event.h"

/* One slot per --peers address: only that source address fills it. */
struct peer {
	struct sockaddr_storage addr;
	char name[DIRECTOR_NAME_MAX];
	uint64_t boot, seq; /* last taken; kept after expiry so a replay stays one */
	int heard;	    /* boot/seq are set */
	int warned;	    /* a wrong MAC from it was logged (once) */
	uint64_t last_ns;   /* 0 = not fresh */
	uint64_t counts[DIRECTOR_MAX_BACKENDS];
	uint64_t found; /* backends it reported */
};

struct peers {
	struct director *d;
	int fd;
	struct event_loop *el; /* the controller's (borrowed); NULL without a socket */
	struct event_timer report;
	uint64_t boot, seq;
	unsigned char key[PEERS_KEY_MAX];
	size_t keylen;
	int n_peer;
	struct peer peer[PEERS_MAX]; /* the controller thread's only */
	/* read by the proxy's workers */
	atomic_uint_fast64_t sum[DIRECTOR_MAX_BACKENDS];
	atomic_uint_fast64_t rx, rx_bad, rx_stranger, rx_bad_mac, rx_replay, tx, tx_err;
};

int peers_parse(const char *list, struct sockaddr_storage *out, size_t max, char *err,
		size_t errlen)
{
	char buf[PEERS_MAX * (ADDR_STRLEN + 1)];
	char *save = NULL;
	int n = 0;
	if (strlen(list) == 0 || strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "invalid --peers '%s' (want ADDR:PORT,...)", list);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_storage a;
		if (addr_parse(tok, 0, &a) != 0) {
			snprintf(err, errlen, "invalid --peers address '%s' (want ADDR:PORT)", tok);
			return -EINVAL;
		}
		if ((size_t)n >= max || n >= PEERS_MAX) {
			snprintf(err, errlen, "too many --peers (max %d)", PEERS_MAX);
			return -EINVAL;
		}
		if (out)
			out[n] = a;
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "invalid --peers '%s' (want ADDR:PORT,...)", list);
		return -EINVAL;
	}
	return n;
}

int peers_key_load(const char *path, unsigned char *key, char *err, size_t errlen)
{
	unsigned char buf[PEERS_KEY_MAX + 1];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1) {
		int e = errno;
		snprintf(err, errlen, "--peers-key %s: %s", path, strerror(e));
		if (fd != -1)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		snprintf(err, errlen,
			 "--peers-key %s: want a regular file that only its owner can read "
			 "(chmod 600)",
			 path);
		return -EINVAL;
	}
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	if (n < PEERS_KEY_MIN || n > PEERS_KEY_MAX) {
		snprintf(err, errlen,
			 "--peers-key %s: want %d..%d bytes (e.g. head -c 32 /dev/urandom | "
			 "base64 > FILE)",
			 path, PEERS_KEY_MIN, PEERS_KEY_MAX);
		return -EINVAL;
	}
	memcpy(key, buf, (size_t)n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (int)n;
}

int peers_config_check(const char *list, const char *key_path,
		       const struct sockaddr_storage *listen, char *err, size_t errlen)
{
	struct sockaddr_storage to[PEERS_MAX];
	unsigned char key[PEERS_KEY_MAX];
	char a[ADDR_STRLEN];
	int n = peers_parse(list, to, PEERS_MAX, err, errlen);
	if (n < 0)
		return n;
	if (key_path) {
		int rc = peers_key_load(key_path, key, err, errlen);
		OPENSSL_cleanse(key, sizeof(key));
		return rc < 0 ? -EINVAL : 0;
	}
	const struct sockaddr_storage *open_one = addr_is_loopback(listen) ? NULL : listen;
	for (int k = 0; k < n && !open_one; k++)
		if (!addr_is_loopback(&to[k]))
			open_one = &to[k];
	if (open_one) {
		snprintf(err, errlen,
			 "--peers without --peers-key only on loopback: %s is not, and "
			 "anyone who reaches it could set the counts (give every director "
			 "the same --peers-key FILE)",
			 addr_format(open_one, a, sizeof(a)));
		return -EINVAL;
	}
	return 0;
}

static void mac_of(const char *buf, size_t len, const unsigned char *key, size_t keylen,
		   unsigned char *mac)
{
	static const unsigned char empty[1];
	unsigned int ml = PEERS_MAC_LEN;
	if (!HMAC(EVP_sha256(), keylen ? key : empty, (int)keylen, (const unsigned char *)buf, len,
		  mac, &ml))
		memset(mac, 0, PEERS_MAC_LEN); /* cannot happen with SHA-256; never matches */
}

size_t peers_encode(char *buf, size_t cap, const char *name, uint64_t boot, uint64_t seq,
		    const struct director *d, const uint64_t *counts, const unsigned char *key,
		    size_t keylen)
{
	char a[ADDR_STRLEN];
	unsigned char mac[PEERS_MAC_LEN];
	int n = snprintf(buf, cap, "MQLBPEER %d %s %016" PRIx64 " %" PRIu64 "\n", PEERS_VERSION,
			 name, boot, seq);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	size_t len = (size_t)n;
	for (unsigned i = 0; i < d->n_backends; i++) {
		n = snprintf(buf + len, cap - len, "%s %" PRIu64 "\n",
			     addr_format(&d->backends[i].addr, a, sizeof(a)), counts[i]);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	mac_of(buf, len, key, keylen, mac);
	if (cap - len < 4 + 2 * PEERS_MAC_LEN + 2)
		return 0;
	len += (size_t)snprintf(buf + len, cap - len, "MAC ");
	for (int i = 0; i < PEERS_MAC_LEN; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%02x", mac[i]);
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2*n lowercase hex digits into out. Returns 0 or -EINVAL. */
static int hex_bytes(const char *s, unsigned char *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* "MQLBPEER 2 <name> <boot> <seq>" (line without its "\n"). */
static int decode_head(char *line, struct peers_dgram *dg)
{
	char *save = NULL;
	char *magic = strtok_r(line, " ", &save), *ver = strtok_r(NULL, " ", &save);
	char *name = strtok_r(NULL, " ", &save), *boot = strtok_r(NULL, " ", &save);
	char *seq = strtok_r(NULL, " ", &save);
	unsigned char b[8];
	if (!seq || strtok_r(NULL, " ", &save) || strcmp(magic, "MQLBPEER") != 0 ||
	    strcmp(ver, "2") != 0 || !director_name_valid(name) || hex_bytes(boot, b, 8) != 0 ||
	    parse_u64(seq, 0, UINT64_MAX, &dg->seq) != 0)
		return -EINVAL;
	dg->boot = 0;
	for (int i = 0; i < 8; i++)
		dg->boot = dg->boot << 8 | b[i];
	snprintf(dg->name, sizeof(dg->name), "%s", name);
	return 0;
}

/* "<ADDR:PORT> <count>": counts a backend d has; others are skipped. */
static int decode_count(char *line, const struct director *d, struct peers_dgram *dg)
{
	char *save = NULL;
	char *as = strtok_r(line, " ", &save), *cs = strtok_r(NULL, " ", &save);
	struct sockaddr_storage a;
	uint64_t v;
	if (!cs || strtok_r(NULL, " ", &save) || addr_parse(as, 0, &a) != 0 ||
	    parse_u64(cs, 0, PEERS_COUNT_MAX, &v) != 0)
		return -EINVAL;
	int i = director_backend_find(d, &a);
	if (i >= 0) {
		dg->counts[i] = v;
		dg->found |= 1ULL << i;
	}
	return 0;
}

int peers_decode(const char *buf, size_t len, const struct director *d, struct peers_dgram *dg)
{
	char text[PEERS_DGRAM_MAX + 1];
	memset(dg, 0, sizeof(*dg));
	if (len == 0 || len > PEERS_DGRAM_MAX || memchr(buf, '\0', len) || buf[len - 1] != '\n')
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	int head = 1;
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n'); /* every line ends in \n: the last byte is one */
		*nl = '\0';
		size_t off = (size_t)(line - text);
		int rc;
		if (!head && strncmp(line, "MAC ", 4) == 0) {
			/* the last line: nothing may follow it */
			if (nl + 1 != text + len ||
			    hex_bytes(line + 4, dg->mac, PEERS_MAC_LEN) != 0)
				return -EINVAL;
			dg->signed_len = off;
			return 0;
		}
		rc = head ? decode_head(line, dg) : decode_count(line, d, dg);
		if (rc != 0)
			return rc;
		head = 0;
		line = nl + 1;
	}
	return -EINVAL; /* no MAC line */
}

int peers_mac_ok(const char *buf, const struct peers_dgram *dg, const unsigned char *key,
		 size_t keylen)
{
	unsigned char mac[PEERS_MAC_LEN];
	mac_of(buf, dg->signed_len, key, keylen, mac);
	return CRYPTO_memcmp(mac, dg->mac, PEERS_MAC_LEN) == 0;
}

struct peers *peers_new(struct director *d, const unsigned char *key, size_t keylen, char *err,
			size_t errlen)
{
	struct sockaddr_storage to[PEERS_MAX];
	if (keylen > PEERS_KEY_MAX) {
		snprintf(err, errlen, "peers: key too long");
		return NULL;
	}
	int n = peers_parse(d->cfg.peers ? d->cfg.peers : "", to, PEERS_MAX, err, errlen);
	if (n < 0)
		return NULL;
	struct peers *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "peers: out of memory");
		return NULL;
	}
	p->d = d;
	p->fd = -1;
	for (int k = 0; k < n; k++)
		p->peer[k].addr = to[k];
	p->n_peer = n;
	memcpy(p->key, key, keylen);
	p->keylen = keylen;
	/* CLOCK_REALTIME: a restarted director's boot is larger than before */
	p->boot = time_real_ns();
	return p;
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p->key, sizeof(p->key));
	free(p);
}

/* Recomputes the sums from the peers heard within the expiry. */
static void resum(struct peers *p, uint64_t now)
{
	uint64_t sum[DIRECTOR_MAX_BACKENDS] = {0};
	for (int k = 0; k < p->n_peer; k++) {
		struct peer *q = &p->peer[k];
		if (!q->last_ns)
			continue;
		if (now - q->last_ns > PEERS_EXPIRE_INTERVALS * PEERS_INTERVAL_NS) {
			log_info("peers: %s silent for %llu ms, forgotten", q->name,
				 (unsigned long long)((now - q->last_ns) / NS_PER_MS));
			q->last_ns = 0;
			continue;
		}
		/* each count <= PEERS_COUNT_MAX, at most PEERS_MAX peers: no overflow */
		for (unsigned i = 0; i < p->d->n_backends; i++)
			if (q->found >> i & 1)
				sum[i] += q->counts[i];
	}
	for (unsigned i = 0; i < p->d->n_backends; i++)
		atomic_store_explicit(&p->sum[i], sum[i], memory_order_relaxed);
}

/* The slot of source address from, or NULL for a stranger. */
static struct peer *slot_of(struct peers *p, const struct sockaddr_storage *from)
{
	for (int k = 0; k < p->n_peer; k++)
		if (addr_equal(&p->peer[k].addr, from))
			return &p->peer[k];
	return NULL;
}

/* Takes dg into slot q: replay check, then the new state. */
static enum peers_verdict take(struct peers *p, struct peer *q, const struct peers_dgram *dg,
			       uint64_t now)
{
	char a[ADDR_STRLEN];
	if (q->heard && (dg->boot < q->boot || (dg->boot == q->boot && dg->seq <= q->seq)))
		return PEERS_REPLAY; /* reordered, duplicated or replayed */
	if (!q->last_ns || strcmp(q->name, dg->name) != 0)
		log_info("peers: hearing %s from %s%s", dg->name,
			 addr_format(&q->addr, a, sizeof(a)),
			 q->heard && dg->boot != q->boot ? " (restarted)" : "");
	snprintf(q->name, sizeof(q->name), "%s", dg->name);
	q->boot = dg->boot;
	q->seq = dg->seq;
	q->heard = 1;
	q->last_ns = now ? now : 1;
	q->found = dg->found;
	memcpy(q->counts, dg->counts, sizeof(q->counts));
	resum(p, now);
	return PEERS_TAKEN;
}

enum peers_verdict peers_input(struct peers *p, const struct sockaddr_storage *from,
			       const void *buf, size_t len, uint64_t now_ns)
{
	struct peers_dgram dg;
	enum peers_verdict v;
	struct peer *q = slot_of(p, from); /* cheap first: a stranger costs no HMAC */
	if (!q) {
		p->rx_stranger++;
		return PEERS_STRANGER;
	}
	if (addr_equal(from, &p->d->cfg.listen))
		return PEERS_SELF; /* our own report (we are in our own --peers) */
	if (peers_decode(buf, len, p->d, &dg) != 0) {
		p->rx_bad++;
		return PEERS_BAD;
	}
	if (!peers_mac_ok(buf, &dg, p->key, p->keylen)) {
		char a[ADDR_STRLEN];
		if (!q->warned) /* once per address: a flood must not flood the log */
			log_warn("peers: a datagram from %s failed its MAC (not the same "
				 "--peers-key on both directors?); counted in peers_rx_bad_mac",
				 addr_format(from, a, sizeof(a)));
		q->warned = 1;
		p->rx_bad_mac++;
		return PEERS_BAD_MAC;
	}
	v = take(p, q, &dg, now_ns);
	if (v == PEERS_REPLAY)
		p->rx_replay++;
	else
		p->rx++;
	return v;
}

/* The socket is readable: reads at most PEERS_RX_BUDGET datagrams, so that
 * under a flood the loop gets back to its timers (our reports) and to the
 * control socket. */
static void on_readable(struct event_loop *el, int fd, void *ctx, unsigned events)
{
	struct peers *p = ctx;
	char buf[PEERS_DGRAM_MAX + 1];
	for (int k = 0; k < PEERS_RX_BUDGET; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (n > PEERS_DGRAM_MAX) { /* truncated: too long to be ours */
			p->rx_bad++;
			continue;
		}
		peers_input(p, &from, buf, (size_t)n, event_loop_now(el));
	}
}

static void send_report(struct peers *p)
{
	char buf[PEERS_DGRAM_MAX];
	uint64_t counts[DIRECTOR_MAX_BACKENDS];
	for (unsigned i = 0; i < p->d->n_backends; i++) {
		uint64_t c =
		    atomic_load_explicit(&p->d->backends[i].proxy_active, memory_order_relaxed);
		counts[i] = c > PEERS_COUNT_MAX ? PEERS_COUNT_MAX : c;
	}
	size_t len = peers_encode(buf, sizeof(buf), p->d->cfg.name, p->boot, ++p->seq, p->d, counts,
				  p->key, p->keylen);
	for (int k = 0; k < p->n_peer && len; k++) {
		if (addr_equal(&p->peer[k].addr, &p->d->cfg.listen))
			continue; /* ourselves */
		if (sendto(p->fd, buf, len, 0, (const struct sockaddr *)&p->peer[k].addr,
			   addr_len(&p->peer[k].addr)) < 0)
			p->tx_err++; /* a peer not up yet: ECONNREFUSED comes back; fine */
		else
			p->tx++;
	}
}

/* Every PEERS_INTERVAL_NS: our report out, silent peers forgotten. */
static void on_report(struct event_loop *el, void *ctx)
{
	struct peers *p = ctx;
	uint64_t now = event_loop_now(el);
	send_report(p);
	resum(p, now);
	event_timer_arm(el, &p->report, now + PEERS_INTERVAL_NS);
}

/* The UDP socket on the VIP's address. Returns 0 or -errno. */
static int open_socket(struct peers *p, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	const struct sockaddr_storage *l = &p->d->cfg.listen;
	int rcvbuf = 1 << 20; /* room for the peers' datagrams among a flood's */
	p->fd = socket(l->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		snprintf(err, errlen, "peers: socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(p->fd, (const struct sockaddr *)l, addr_len(l)) == -1) {
		int e = errno;
		snprintf(err, errlen, "peers: cannot bind UDP %s: %s", addr_format(l, a, sizeof(a)),
			 strerror(e));
		return -e;
	}
	return 0;
}

int peers_start(struct peers **out, struct director *d, struct event_loop *el, char *err,
		size_t errlen)
{
	unsigned char key[PEERS_KEY_MAX];
	char a[ADDR_STRLEN];
	int keylen = 0, rc;
	if (!el) {
		snprintf(err, errlen, "peers: no controller event loop");
		return -EINVAL;
	}
	if (d->cfg.peers_key && (keylen = peers_key_load(d->cfg.peers_key, key, err, errlen)) < 0)
		return keylen;
	struct peers *p = peers_new(d, key, (size_t)keylen, err, errlen);
	OPENSSL_cleanse(key, sizeof(key));
	if (!p)
		return -EINVAL;
	if ((rc = open_socket(p, err, errlen)) < 0)
		goto fail;
	event_timer_init(&p->report, on_report, p);
	if ((rc = event_add(el, p->fd, EVENT_READ, on_readable, p)) < 0) {
		snprintf(err, errlen, "peers: event loop: %s", strerror(-rc));
		goto fail;
	}
	p->el = el;
	if ((rc = event_timer_arm(el, &p->report, time_mono_ns())) < 0) { /* the first at once */
		snprintf(err, errlen, "peers: event loop: %s", strerror(-rc));
		goto fail;
	}
	log_info("peers: exchanging active counts with %d peer(s) every %llu ms on UDP %s, %s",
		 p->n_peer, (unsigned long long)(PEERS_INTERVAL_NS / NS_PER_MS),
		 addr_format(&d->cfg.listen, a, sizeof(a)),
		 p->keylen ? "signed with --peers-key" : "no key (loopback only)");
	*out = p;
	return 0;
fail:
	peers_stop(p);
	return rc;
}

void peers_stop(struct peers *p)
{
	if (!p)
		return;
	if (p->el) {
		event_timer_cancel(p->el, &p->report);
		event_del(p->el, p->fd);
	}
	if (p->fd >= 0)
		close(p->fd);
	peers_free(p);
}

uint64_t peers_active(const struct peers *p, unsigned i)
{
	return atomic_load_explicit(&((struct peers *)p)->sum[i], memory_order_relaxed);
}

void peers_status_json(struct peers *p, struct json *j)
{
	char a[ADDR_STRLEN];
	uint64_t now = time_mono_ns();
	json_bool(j, "peers_key", p->keylen > 0);
	json_u64(j, "peers_rx", p->rx);
	json_u64(j, "peers_rx_bad", p->rx_bad);
	json_u64(j, "peers_rx_stranger", p->rx_stranger);
	json_u64(j, "peers_rx_bad_mac", p->rx_bad_mac);
	json_u64(j, "peers_rx_replay", p->rx_replay);
	json_u64(j, "peers_tx", p->tx);
	json_arr_begin(j, "peers");
	for (int k = 0; k < p->n_peer; k++) {
		struct peer *q = &p->peer[k];
		if (!q->last_ns)
			continue;
		uint64_t total = 0;
		for (unsigned i = 0; i < p->d->n_backends; i++)
			total += q->found >> i & 1 ? q->counts[i] : 0;
		json_obj_begin(j, NULL);
		json_str(j, "name", q->name);
		json_str(j, "address", addr_format(&q->addr, a, sizeof(a)));
		json_u64(j, "age_ms", (now - q->last_ns) / NS_PER_MS);
		json_u64(j, "seq", q->seq);
		json_u64(j, "active", total);
		json_obj_end(j);
	}
	json_arr_end(j);
}
