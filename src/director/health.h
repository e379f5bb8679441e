/* health.h — the director's MQTT health checker (one implementation for every
 * dataplane). A thread probes all backends each --health-interval and applies
 * --health-fall / --health-rise: after fall consecutive failures a backend is
 * unhealthy (effective weight 0: no new connections), after rise consecutive
 * successes it is back. Transitions are logged with the time and the reason. */
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

/* Starts the checker (nothing when health_interval_ns is 0). The first round
 * starts at once. Returns 0 or -errno. */
int director_health_start(struct director_health *h, struct director *d, pthread_mutex_t *lock,
			  int notify_fd);
/* Stops and joins the thread (waits for a running round, at most the timeout). */
void director_health_stop(struct director_health *h);

#endif
