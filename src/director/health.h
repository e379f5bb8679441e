/* health.h — the director's MQTT health checker (one implementation for every
 * dataplane). A thread probes all backends each --health-interval and applies
 * --health-fall / --health-rise: after fall consecutive failures a backend is
 * unhealthy (effective weight 0: no new connections), after rise consecutive
 * successes it is back. A backend that gets PROXY v2 headers is probed
 * with a v2 LOCAL header first. Transitions are logged with the time and the reason. */
#ifndef MQLB_DIRECTOR_HEALTH_H
#define MQLB_DIRECTOR_HEALTH_H

#include <pthread.h>

#include "director/director.h"

struct director_health {
	struct director *d;    /* borrowed */
	pthread_mutex_t *lock; /* borrowed: the controller's lock over d */
	int notify_fd;	       /* borrowed: one byte written when a weight changed */
	pthread_t thr;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int stopping, running;
	unsigned long rounds; /* completed probe rounds (under *lock) */
};

/* One probe of addr: MQTT CONNECT -> CONNACK within timeout_ns; with
 * proxy_v2 (a backend sent PROXY v2 headers, which refuses a connection
 * without one) a PROXY v2 LOCAL header goes first (health_probe.c). Returns
 * what mqtt_probe_connack returns (0: accepted); err gets one line on failure. */
int director_health_probe(const struct sockaddr_storage *addr, int proxy_v2, uint64_t timeout_ns,
			  char *err, size_t errlen);

/* Starts the checker (nothing when health_interval_ns is 0). The first round
 * starts at once. Returns 0 or -errno. */
int director_health_start(struct director_health *h, struct director *d, pthread_mutex_t *lock,
			  int notify_fd);
/* Stops and joins the thread (waits for a running round, at most the timeout). */
void director_health_stop(struct director_health *h);

#endif
