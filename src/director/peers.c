/* peers.c — the --peers exchange of active connection counts (see peers.h). */
#include "director/peers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "director/director.h"

struct peer {
	char name[DIRECTOR_NAME_MAX];
	struct sockaddr_storage from;
	uint64_t boot, seq;
	uint64_t last_ns; /* 0 = slot free */
	uint64_t counts[DIRECTOR_MAX_BACKENDS];
	uint64_t found; /* backends it reported */
};

struct peers {
	struct director *d;
	int fd;
	int stop_pipe[2];
	pthread_t thr;
	int running;
	uint64_t boot, seq;
	struct sockaddr_storage to[PEERS_MAX];
	int n_to;
	pthread_mutex_t lock; /* over peer[] (thread vs status) */
	struct peer peer[PEERS_MAX];
	atomic_uint_fast64_t sum[DIRECTOR_MAX_BACKENDS];
	atomic_uint_fast64_t rx, rx_bad, tx_err; /* read by status without the lock */
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

size_t peers_encode(char *buf, size_t cap, const char *name, uint64_t boot, uint64_t seq,
		    const struct director *d, const uint64_t *counts)
{
	char a[ADDR_STRLEN];
	int n = snprintf(buf, cap, "MQLBPEER 1 %s %016" PRIx64 " %" PRIu64 "\n", name, boot, seq);
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
	return len;
}

int peers_decode(const char *buf, size_t len, const struct director *d, char *name, uint64_t *boot,
		 uint64_t *seq, uint64_t *counts, uint64_t *found)
{
	char text[PEERS_DGRAM_MAX + 1], *save = NULL;
	if (len == 0 || len > PEERS_DGRAM_MAX)
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	if (memchr(text, '\0', len))
		return -EINVAL;
	char *line = strtok_r(text, "\n", &save);
	char nm[DIRECTOR_NAME_MAX + 1];
	unsigned ver;
	int used = 0;
	if (!line ||
	    sscanf(line, "MQLBPEER %u %32s %" SCNx64 " %" SCNu64 "%n", &ver, nm, boot, seq,
		   &used) != 4 ||
	    ver != 1 || line[used] != '\0' || !director_name_valid(nm))
		return -EINVAL;
	snprintf(name, DIRECTOR_NAME_MAX, "%s", nm);
	*found = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char as[ADDR_STRLEN + 1];
		uint64_t v;
		struct sockaddr_storage a;
		used = 0;
		if (sscanf(line, "%64s %" SCNu64 "%n", as, &v, &used) != 2 || line[used] != '\0' ||
		    addr_parse(as, 0, &a) != 0)
			return -EINVAL;
		int i = director_backend_find(d, &a);
		if (i >= 0) {
			counts[i] = v;
			*found |= 1ULL << i;
		}
	}
	return 0;
}

/* Recomputes the sums from the peers heard within the expiry. Lock held. */
static void resum(struct peers *p, uint64_t now)
{
	uint64_t sum[DIRECTOR_MAX_BACKENDS] = {0};
	for (int k = 0; k < PEERS_MAX; k++) {
		struct peer *q = &p->peer[k];
		if (!q->last_ns)
			continue;
		if (now - q->last_ns > PEERS_EXPIRE_INTERVALS * PEERS_INTERVAL_NS) {
			log_info("peers: %s silent for %llu ms, forgotten", q->name,
				 (unsigned long long)((now - q->last_ns) / NS_PER_MS));
			q->last_ns = 0;
			continue;
		}
		for (unsigned i = 0; i < p->d->n_backends; i++)
			if (q->found >> i & 1)
				sum[i] += q->counts[i];
	}
	for (unsigned i = 0; i < p->d->n_backends; i++)
		atomic_store_explicit(&p->sum[i], sum[i], memory_order_relaxed);
}

static void receive(struct peers *p)
{
	char buf[PEERS_DGRAM_MAX + 1];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		char name[DIRECTOR_NAME_MAX];
		uint64_t boot, seq, found, counts[DIRECTOR_MAX_BACKENDS] = {0};
		if (n > PEERS_DGRAM_MAX ||
		    peers_decode(buf, (size_t)n, p->d, name, &boot, &seq, counts, &found) < 0) {
			p->rx_bad++;
			continue;
		}
		if (boot == p->boot && strcmp(name, p->d->cfg.name) == 0)
			continue; /* our own report (we are in our own --peers) */
		uint64_t now = time_mono_ns();
		pthread_mutex_lock(&p->lock);
		struct peer *q = NULL, *free_slot = NULL;
		for (int k = 0; k < PEERS_MAX; k++) {
			if (p->peer[k].last_ns && strcmp(p->peer[k].name, name) == 0)
				q = &p->peer[k];
			else if (!p->peer[k].last_ns && !free_slot)
				free_slot = &p->peer[k];
		}
		if (q && q->boot == boot && seq <= q->seq) {
			pthread_mutex_unlock(&p->lock);
			continue; /* reordered or duplicated */
		}
		if (!q) {
			if (!(q = free_slot)) {
				pthread_mutex_unlock(&p->lock);
				p->rx_bad++;
				continue;
			}
			char a[ADDR_STRLEN];
			log_info("peers: hearing %s from %s", name,
				 addr_format(&from, a, sizeof(a)));
		}
		snprintf(q->name, sizeof(q->name), "%s", name);
		q->from = from;
		q->boot = boot;
		q->seq = seq;
		q->last_ns = now;
		q->found = found;
		memcpy(q->counts, counts, sizeof(q->counts));
		p->rx++;
		resum(p, now);
		pthread_mutex_unlock(&p->lock);
	}
}

static void send_report(struct peers *p)
{
	char buf[PEERS_DGRAM_MAX];
	uint64_t counts[DIRECTOR_MAX_BACKENDS];
	for (unsigned i = 0; i < p->d->n_backends; i++)
		counts[i] =
		    atomic_load_explicit(&p->d->backends[i].proxy_active, memory_order_relaxed);
	size_t len =
	    peers_encode(buf, sizeof(buf), p->d->cfg.name, p->boot, ++p->seq, p->d, counts);
	for (int k = 0; k < p->n_to && len; k++)
		if (sendto(p->fd, buf, len, 0, (const struct sockaddr *)&p->to[k],
			   addr_len(&p->to[k])) < 0)
			p->tx_err++; /* a peer not up yet: ECONNREFUSED comes back; fine */
}

static void *peers_main(void *arg)
{
	struct peers *p = arg;
	uint64_t next = time_mono_ns();
	for (;;) {
		uint64_t now = time_mono_ns();
		if (now >= next) {
			send_report(p);
			pthread_mutex_lock(&p->lock);
			resum(p, now);
			pthread_mutex_unlock(&p->lock);
			next = now + PEERS_INTERVAL_NS;
		}
		struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN},
				       {.fd = p->stop_pipe[0], .events = POLLIN}};
		int ms = (int)((next - now + NS_PER_MS - 1) / NS_PER_MS);
		int n = poll(pf, 2, ms);
		if (n > 0 && pf[1].revents)
			return NULL;
		if (n > 0 && pf[0].revents)
			receive(p);
	}
}

int peers_start(struct peers **out, struct director *d, char *err, size_t errlen)
{
	struct peers *p = calloc(1, sizeof(*p));
	char a[ADDR_STRLEN];
	int rc;
	if (!p)
		return -ENOMEM;
	p->d = d;
	p->fd = p->stop_pipe[0] = p->stop_pipe[1] = -1;
	pthread_mutex_init(&p->lock, NULL);
	rc = peers_parse(d->cfg.peers, p->to, PEERS_MAX, err, errlen);
	if (rc < 0)
		goto fail;
	p->n_to = rc;
	if (getrandom(&p->boot, sizeof(p->boot), 0) != sizeof(p->boot))
		p->boot = time_real_ns() ^ (uint64_t)getpid();
	p->fd = socket(d->cfg.listen.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd == -1 || pipe2(p->stop_pipe, O_CLOEXEC) == -1) {
		rc = -errno;
		snprintf(err, errlen, "peers: socket: %s", strerror(errno));
		goto fail;
	}
	if (bind(p->fd, (const struct sockaddr *)&d->cfg.listen, addr_len(&d->cfg.listen)) == -1) {
		rc = -errno;
		snprintf(err, errlen, "peers: cannot bind UDP %s: %s",
			 addr_format(&d->cfg.listen, a, sizeof(a)), strerror(errno));
		goto fail;
	}
	rc = -pthread_create(&p->thr, NULL, peers_main, p);
	if (rc < 0) {
		snprintf(err, errlen, "peers: thread: %s", strerror(-rc));
		goto fail;
	}
	p->running = 1;
	log_info("peers: exchanging active counts with %d peer(s) every %llu ms on UDP %s", p->n_to,
		 (unsigned long long)(PEERS_INTERVAL_NS / NS_PER_MS),
		 addr_format(&d->cfg.listen, a, sizeof(a)));
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
	if (p->running) {
		if (write(p->stop_pipe[1], "x", 1) != 1)
			log_error("peers: cannot stop the thread");
		pthread_join(p->thr, NULL);
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->stop_pipe[0] >= 0) {
		close(p->stop_pipe[0]);
		close(p->stop_pipe[1]);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

uint64_t peers_active(const struct peers *p, unsigned i)
{
	return atomic_load_explicit(&((struct peers *)p)->sum[i], memory_order_relaxed);
}

void peers_status_json(struct peers *p, struct json *j)
{
	char a[ADDR_STRLEN];
	uint64_t now = time_mono_ns();
	json_u64(j, "peers_rx", p->rx);
	json_u64(j, "peers_rx_bad", p->rx_bad);
	json_arr_begin(j, "peers");
	pthread_mutex_lock(&p->lock);
	for (int k = 0; k < PEERS_MAX; k++) {
		struct peer *q = &p->peer[k];
		if (!q->last_ns)
			continue;
		uint64_t total = 0;
		for (unsigned i = 0; i < p->d->n_backends; i++)
			total += q->counts[i];
		json_obj_begin(j, NULL);
		json_str(j, "name", q->name);
		json_str(j, "address", addr_format(&q->from, a, sizeof(a)));
		json_u64(j, "age_ms", (now - q->last_ns) / NS_PER_MS);
		json_u64(j, "seq", q->seq);
		json_u64(j, "active", total);
		json_obj_end(j);
	}
	pthread_mutex_unlock(&p->lock);
	json_arr_end(j);
}
