/* peers.h — directors sharing their per-backend active connection counts
 * (`--peers ADDR,...`), so lc / wlc / p2c in several independent directors
 * choose from the global view instead of each from its own.
 *
 * Transport: UDP datagrams, PEERS_INTERVAL apart, from and to each director's
 * --listen address: a director listens for peers on the SAME IP and port as its
 * TCP VIP (UDP and TCP ports are separate), so `--peers` simply lists the other
 * directors' --listen addresses and no extra flag is needed.
 *
 * Trust: anyone who can reach the VIP's UDP port can send a datagram, so a
 * receiver takes one only when
 *   - it comes from an ADDR:PORT listed in --peers (each listed address owns one
 *     slot: strangers never get one, so they cannot fill the table);
 *   - its HMAC-SHA256 under the shared key (--peers-key FILE, the same file on
 *     every director) is right; without --peers-key the key is empty, which is
 *     allowed only when --listen and every --peers address are loopback
 *     (peers_config_check refuses the rest);
 *   - it is newer than the last one taken from that address: a larger boot, or
 *     the same boot and a larger seq (boot is the sender's CLOCK_REALTIME at
 *     start, so a restarted peer is newer and a datagram recorded before its
 *     restart is a replay; the last boot/seq is kept after the peer is forgotten);
 *   - every count is at most PEERS_COUNT_MAX (so 16 peers cannot overflow a sum).
 * The exchange runs on the director controller's event loop (no thread): one
 * wake-up reads at most PEERS_RX_BUDGET datagrams before the loop gets back to
 * its timers, so a flood cannot stop this director's own reports (nor its
 * control socket).
 *
 * Datagram (text, version 2, at most PEERS_DGRAM_MAX bytes, every line ends "\n"):
 *   MQLBPEER 2 <name> <boot> <seq>          sender's --name; boot as 16 hex
 *                                           digits; seq counts up per datagram
 *   <backend ADDR:PORT> <active>            one line per backend, 0..PEERS_COUNT_MAX
 *   MAC <64 hex digits>                     HMAC-SHA256(key, every byte before "MAC")
 * A receiver takes the lines whose backend it also has (by address; order does
 * not matter) and forgets a sender that has been silent for
 * PEERS_EXPIRE_INTERVALS intervals. Datagrams from its own --listen address
 * are ignored, so listing every director in every --peers is fine. */
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
#define PEERS_VERSION	       2
#define PEERS_MAC_LEN	       32 /* HMAC-SHA256 */
#define PEERS_KEY_MIN	       16 /* bytes in the key file (after trailing whitespace) */
#define PEERS_KEY_MAX	       1024
#define PEERS_COUNT_MAX	       10000000ULL /* the cap of --max-connections */
#define PEERS_RX_BUDGET	       256	   /* datagrams per wake-up before the send clock */

struct peers;
struct json;
struct event_loop;

/* One parsed datagram (peers_decode). */
struct peers_dgram {
	char name[DIRECTOR_NAME_MAX];
	uint64_t boot, seq;
	uint64_t counts[DIRECTOR_MAX_BACKENDS]; /* by the receiver's backend index */
	uint64_t found;				/* bit i: backend i was reported */
	size_t signed_len;			/* bytes the MAC covers (all before "MAC ") */
	unsigned char mac[PEERS_MAC_LEN];
};

/* Why peers_input took or dropped a datagram. */
enum peers_verdict {
	PEERS_TAKEN,
	PEERS_STRANGER, /* source not listed in --peers */
	PEERS_SELF,	/* from our own --listen address */
	PEERS_BAD,	/* not a version 2 datagram, or a count above PEERS_COUNT_MAX */
	PEERS_BAD_MAC,	/* wrong key or altered */
	PEERS_REPLAY,	/* not newer than the last one from that address */
};

/* Parses "ADDR:PORT,..." (1..PEERS_MAX entries). Returns the count, or -EINVAL
 * with a reason in err. out may be NULL (validation only). */
int peers_parse(const char *list, struct sockaddr_storage *out, size_t max, char *err,
		size_t errlen);

/* Reads the shared key from path into key (PEERS_KEY_MAX bytes): the file's
 * bytes without trailing whitespace, PEERS_KEY_MIN..PEERS_KEY_MAX of them, the
 * file not readable or writable by group or others. Returns the key length, or
 * -errno / -EINVAL with a one-line reason in err. */
int peers_key_load(const char *path, unsigned char *key, char *err, size_t errlen);

/* The flags' checks (director run, before anything starts): list parses; a key
 * file, when given, loads; without one, listen and every peer must be loopback.
 * Returns 0 or -EINVAL with a one-line reason in err. */
int peers_config_check(const char *list, const char *key_path,
		       const struct sockaddr_storage *listen, char *err, size_t errlen);

/* A peers table for director d (borrowed: d->cfg.peers, its backends) and key
 * (copied; keylen 0 = the empty key), with no socket or thread: peers_input
 * feeds it. Returns NULL with err set. */
struct peers *peers_new(struct director *d, const unsigned char *key, size_t keylen, char *err,
			size_t errlen);
/* Frees a table from peers_new (NULL accepted). */
void peers_free(struct peers *p);

/* Starts the exchange for director d (borrowed; its backends' addresses and
 * proxy_active counts are what is sent; d->cfg.peers_key is loaded) on the
 * event loop el (borrowed; the controller's: the callbacks, peers_status_json
 * and peers_stop must all run on its thread). Binds UDP on d->cfg.listen; the
 * first report goes on the loop's next iteration, then every PEERS_INTERVAL_NS.
 * Returns 0 with *out set, or -errno with err set. */
int peers_start(struct peers **out, struct director *d, struct event_loop *el, char *err,
		size_t errlen);
/* Takes the socket and the timer off the loop, closes it and frees p (NULL
 * accepted). */
void peers_stop(struct peers *p);

/* Sum of the fresh peers' latest counts for backend i (relaxed atomic read:
 * any thread, e.g. the proxy's workers). */
uint64_t peers_active(const struct peers *p, unsigned i);

/* Judges one datagram of len bytes from address from, received at now_ns
 * (CLOCK_MONOTONIC), and takes it into the table when it passes (rules above).
 * Counted in the status counters either way. */
enum peers_verdict peers_input(struct peers *p, const struct sockaddr_storage *from,
			       const void *buf, size_t len, uint64_t now_ns);

/* Encodes and signs a datagram with key (keylen 0 = empty key). Returns its
 * length or 0 if it does not fit. */
size_t peers_encode(char *buf, size_t cap, const char *name, uint64_t boot, uint64_t seq,
		    const struct director *d, const uint64_t *counts, const unsigned char *key,
		    size_t keylen);

/* Parses a datagram into out (counts for d's backends found in it). Does not
 * check the MAC (peers_mac_ok does). Returns 0, or -EINVAL for anything that is
 * not a well-formed version 2 datagram or has a count above PEERS_COUNT_MAX. */
int peers_decode(const char *buf, size_t len, const struct director *d, struct peers_dgram *out);

/* 1 when out->mac is the HMAC-SHA256 of buf's first out->signed_len bytes
 * under key (compared in constant time), else 0. */
int peers_mac_ok(const char *buf, const struct peers_dgram *dg, const unsigned char *key,
		 size_t keylen);

/* "peers": [{name, address, age_ms, seq, active}] and the peers_rx* counters
 * for the status JSON. */
void peers_status_json(struct peers *p, struct json *j);

#endif
