/* pidset.h — a set of MQTT packet identifiers: the QoS 2 receiver's state of
 * MQTT 3.1.1 / 5.0 §4.3.3 ("method B"): the packet ids of PUBLISH packets we
 * acknowledged with PUBREC and whose PUBREL has not arrived yet. A PUBLISH
 * with one of these ids is the same message sent again (after a reconnect with
 * DUP=1, or by a broker that repeats itself): the receiver answers PUBREC again
 * and must not deliver it a second time (§4.3.3, [MQTT-4.3.3-9] in 5.0).
 *
 * A sorted array: the set holds at most what the broker keeps in flight to
 * one client (Mosquitto's max_inflight_messages, 20 by default; never more
 * than 65535), so lookups are a binary search and inserts a short memmove.
 * Nothing is allocated until the first id. Single-threaded (the client's). */
#ifndef MQLB_BENCH_PIDSET_H
#define MQLB_BENCH_PIDSET_H

#include <stdbool.h>
#include <stdint.h>

struct bench_pidset {
	uint16_t *ids; /* ascending, [n]; owned */
	uint32_t n, cap;
};

/* An empty set; the array is allocated on the first add. */
void bench_pidset_init(struct bench_pidset *s);
/* Frees the array; the set is empty and reusable afterwards. */
void bench_pidset_free(struct bench_pidset *s);
/* Empties the set (keeps the memory): a session that was not resumed. */
void bench_pidset_clear(struct bench_pidset *s);
/* Whether id is in the set (binary search). */
bool bench_pidset_has(const struct bench_pidset *s, uint16_t id);
/* Adds id. Returns 1 if added, 0 if it was there already, -ENOMEM. */
int bench_pidset_add(struct bench_pidset *s, uint16_t id);
/* Removes id. Returns true if it was there. */
bool bench_pidset_del(struct bench_pidset *s, uint16_t id);

#endif
