/* health.c — MQTT health checks for every dataplane: each round probes all
 * backends in parallel (one short-lived thread per backend, each an MQTT
 * CONNECT -> CONNACK within the timeout, health_probe.c), then applies
 * fall/rise under the controller's lock and wakes the controller (notify_fd)
 * when an effective weight changed. The controller thread, not this one, calls
 * the dataplane (dataplane.h: ops run on the controller thread only). */
#include "director/health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/time.h"

struct probe_job {
	pthread_t thr;
	int started;
	struct sockaddr_storage addr; /* a copy: a reload may move the backend meanwhile */
	int proxy_v2;		      /* it gets a PROXY v2 header: probe with LOCAL */
	uint64_t timeout_ns;
	int rc;
	char err[128];
};

static void *probe_thread(void *arg)
{
	struct probe_job *j = arg;
	j->err[0] = '\0';
	j->rc = director_health_probe(&j->addr, j->proxy_v2, j->timeout_ns, j->err, sizeof(j->err));
	return NULL;
}

/* Applies one verdict to backend b (lock held); director_weights_refresh turns
 * the verdicts into effective weights. */
static void apply_verdict(struct director *d, struct director_backend *b, int ok, const char *why)
{
	char a[ADDR_STRLEN];
	if (ok) {
		b->health_fails = 0;
		if (b->health_oks < 1000000)
			b->health_oks++;
		if (!b->healthy && b->health_oks >= d->cfg.health_rise) {
			b->healthy = 1;
			log_info("backend %s is UP after %u successful MQTT probes (CONNACK)",
				 addr_format(&b->addr, a, sizeof(a)), b->health_oks);
			return;
		}
	} else {
		b->health_oks = 0;
		if (b->health_fails < 1000000)
			b->health_fails++;
		if (b->healthy && b->health_fails >= d->cfg.health_fall) {
			b->healthy = 0;
			log_warn("backend %s is DOWN after %u failed MQTT probes: %s",
				 addr_format(&b->addr, a, sizeof(a)), b->health_fails, why);
			return;
		}
		log_debug("probe of %s failed (%u/%u): %s", addr_format(&b->addr, a, sizeof(a)),
			  b->health_fails, d->cfg.health_fall, why);
	}
}

static void round_once(struct director_health *h)
{
	struct director *d = h->d;
	struct probe_job jobs[DIRECTOR_MAX_BACKENDS];
	unsigned n = d->n_backends;
	for (unsigned i = 0; i < n; i++) {
		director_backend_addr(&d->backends[i], &jobs[i].addr);
		jobs[i].proxy_v2 = d->backends[i].send_proxy_v2 || director_edge.send_proxy_v2;
		jobs[i].timeout_ns = d->cfg.health_timeout_ns;
		jobs[i].rc = -EAGAIN;
		snprintf(jobs[i].err, sizeof(jobs[i].err), "no probe thread");
		jobs[i].started = pthread_create(&jobs[i].thr, NULL, probe_thread, &jobs[i]) == 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].started)
			pthread_join(jobs[i].thr, NULL);
	pthread_mutex_lock(h->lock);
	for (unsigned i = 0; i < n; i++) {
		struct director_backend *b = &d->backends[i];
		const char *why = jobs[i].err[0] ? jobs[i].err : strerror(-jobs[i].rc);
		if (!jobs[i].started) /* could not probe: no verdict either way */
			continue;
		apply_verdict(d, b, jobs[i].rc == 0, why);
	}
	int changed = director_weights_refresh(d);
	h->rounds++;
	pthread_mutex_unlock(h->lock);
	if (changed && h->notify_fd >= 0) {
		char c = 'h';
		if (write(h->notify_fd, &c, 1) == -1 && errno != EAGAIN)
			log_warn("health: cannot wake the controller: %s", strerror(errno));
	}
}

static void *health_thread(void *arg)
{
	struct director_health *h = arg;
	struct timespec until;
	pthread_mutex_lock(&h->stop_lock);
	while (!h->stopping) {
		pthread_mutex_unlock(&h->stop_lock);
		round_once(h);
		pthread_mutex_lock(&h->stop_lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		uint64_t ns = (uint64_t)until.tv_nsec + h->d->cfg.health_interval_ns;
		until.tv_sec += (time_t)(ns / NS_PER_S);
		until.tv_nsec = (long)(ns % NS_PER_S);
		while (!h->stopping &&
		       pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&h->stop_lock);
	return NULL;
}

int director_health_start(struct director_health *h, struct director *d, pthread_mutex_t *lock,
			  int notify_fd)
{
	pthread_condattr_t ca;
	int rc;
	memset(h, 0, sizeof(*h));
	h->d = d;
	h->lock = lock;
	h->notify_fd = notify_fd;
	if (d->cfg.health_interval_ns == 0)
		return 0; /* checks off: every backend stays healthy */
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&h->thr, NULL, health_thread, h);
	if (rc != 0) {
		pthread_cond_destroy(&h->stop_cond);
		pthread_mutex_destroy(&h->stop_lock);
		return -rc;
	}
	h->running = 1;
	return 0;
}

void director_health_stop(struct director_health *h)
{
	if (!h->running)
		return;
	pthread_mutex_lock(&h->stop_lock);
	h->stopping = 1;
	pthread_cond_signal(&h->stop_cond);
	pthread_mutex_unlock(&h->stop_lock);
	pthread_join(h->thr, NULL);
	pthread_cond_destroy(&h->stop_cond);
	pthread_mutex_destroy(&h->stop_lock);
	h->running = 0;
}
