/* payload.h — the header at the start of every PUBLISH payload mqlb bench sends
 * (DESIGN.md "Bench payload header"): magic "MQLB" (4) · version (1) · flags (1) ·
 * publisher id (4) · sequence per publisher (8) · intended send ns (8) · actual
 * send ns (8) · run nonce (8, version 2 only), big-endian, 42 bytes (version 1:
 * 34, no nonce); the payload is padded after it up to -s. Intended time is the
 * schedule slot (constant-rate load: latency is measured from it, so a stalled
 * sender cannot hide its own delay). The nonce tells this run's messages from
 * an earlier run's (a persistent session or a bridge backlog delivers those
 * too). Version 2 is written; both are read. */
#ifndef MQLB_BENCH_PAYLOAD_H
#define MQLB_BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_HDR_LEN	     42 /* what is written (version 2) */
#define BENCH_HDR_V1_LEN     34 /* version 1: no nonce */
#define BENCH_HDR_VERSION    2
#define BENCH_HDR_VERSION_V1 1
/* flags: times are CLOCK_MONOTONIC (publisher and subscriber in one process);
 * without it they are CLOCK_REALTIME (comparable across hosts). */
#define BENCH_FLAG_MONO 0x01u

struct bench_hdr {
	uint8_t version;
	uint8_t flags;
	uint32_t pub_id;
	uint64_t seq;
	uint64_t intended_ns;
	uint64_t sent_ns;
	uint64_t nonce; /* run nonce (never 0 when written); 0 = version 1 header */
};

/* Writes exactly BENCH_HDR_LEN bytes at out (caller guarantees room), as
 * version 2 whatever h->version says. */
void bench_hdr_encode(const struct bench_hdr *h, uint8_t *out);
/* Overwrites only the actual-send-time field of an encoded header. */
void bench_hdr_set_sent(uint8_t *hdr, uint64_t sent_ns);
/* Reads the header at p (len bytes of payload), version 1 (nonce 0) or 2.
 * Returns 0; -EMSGSIZE if len is shorter than that version's header; -EBADMSG
 * if the magic is not "MQLB" (not ours); -EPROTO for an unknown version. *out
 * is written only on success. */
int bench_hdr_decode(const uint8_t *p, size_t len, struct bench_hdr *out);
/* This process's run nonce: random, never 0, the same for every call (thread
 * safe). `bench run` and `bench pub` put it in every header they write and in
 * their JSON (run_nonce), so `bench merge` and the accounting can tell this
 * run's messages from an earlier run's. */
uint64_t bench_run_nonce(void);
/* The nonce as 16 lowercase hex digits (out holds 17 bytes). */
void bench_nonce_hex(uint64_t nonce, char out[17]);
/* Parses 1..16 hex digits (bench_nonce_hex output). 0 or -EINVAL. */
int bench_nonce_parse(const char *s, uint64_t *out);

#endif
