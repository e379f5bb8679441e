/* peers.h — directors sharing their per-backend active connection counts
 * (`--peers ADDR,...`), so lc / wlc / p2c in several independent directors
 * choose from the global view instead of each from its own.
 *
 * Transport: UDP datagrams, PEERS_INTERVAL apart, from and to each director's
 * --listen address: a director listens for peers on the SAME IP and port as its
 * TCP VIP (UDP and TCP ports are separate), so `--peers` simply lists the other
 * directors' --listen addresses and no extra flag is needed. Meant for loopback
 * or a lab network namespace: there is no authentication.
 *
 * Datagram (text, one line each, at most PEERS_DGRAM_MAX bytes):
 *   MQLBPEER 1 <name> <boot> <seq>          version 1; sender's --name; a random
 *                                           64-bit hex per process start; seq
 *                                           counts up per datagram
 *   <backend ADDR:PORT> <active>            one line per backend
 * A receiver takes the lines whose backend it also has (by address; order does
 * not matter), ignores a datagram older than the last one from that sender
 * (same boot, seq not larger), and forgets a sender that has been silent for
 * PEERS_EXPIRE_INTERVALS intervals. Its own datagrams (same name and boot) are
 * ignored, so listing every director in every --peers is fine. */
#ifndef MQLB_DIRECTOR_PEERS_H
#define MQLB_DIRECTOR_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "director/dataplane.h"

#define PEERS_INTERVAL_NS      (200ULL * 1000000) /* 5 reports a second */
#define PEERS_EXPIRE_INTERVALS 3
#define PEERS_MAX	       16
#define PEERS_DGRAM_MAX	       4096

struct peers;
struct json;

/* Parses "ADDR:PORT,..." (1..PEERS_MAX entries). Returns the count, or -EINVAL
 * with a reason in err. out may be NULL (validation only). */
int peers_parse(const char *list, struct sockaddr_storage *out, size_t max, char *err,
		size_t errlen);

/* Starts the exchange thread for director d (borrowed; its backends' addresses
 * and proxy_active counts are what is sent). Binds UDP on d->cfg.listen.
 * Returns 0 with *out set, or -errno with err set. */
int peers_start(struct peers **out, struct director *d, char *err, size_t errlen);
/* Stops the thread and frees p (NULL accepted). */
void peers_stop(struct peers *p);

/* Sum of the fresh peers' latest counts for backend i (relaxed atomic read). */
uint64_t peers_active(const struct peers *p, unsigned i);

/* Encodes a datagram (exposed for tests). Returns its length or 0 if it does
 * not fit. */
size_t peers_encode(char *buf, size_t cap, const char *name, uint64_t boot, uint64_t seq,
		    const struct director *d, const uint64_t *counts);

/* Parses a datagram into name (>= DIRECTOR_NAME_MAX bytes), boot, seq, and
 * counts[i] for d's backend i found in it (found bit i set in *found).
 * Returns 0, or -EINVAL for anything that is not a version 1 datagram. */
int peers_decode(const char *buf, size_t len, const struct director *d, char *name, uint64_t *boot,
		 uint64_t *seq, uint64_t *counts, uint64_t *found);

/* "peers": [{name, address, age_ms, seq, active}] for the status JSON. */
void peers_status_json(struct peers *p, struct json *j);

#endif
