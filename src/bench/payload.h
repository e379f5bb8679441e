/* payload.h — the header at the start of every PUBLISH payload mqlb bench sends
 * (DESIGN.md "Bench payload header"): magic "MQLB" (4) · version (1) · flags (1) ·
 * publisher id (4) · sequence per publisher (8) · intended send ns (8) · actual
 * send ns (8), big-endian, 34 bytes; the payload is padded after it up to -s.
 * Intended time is the schedule slot (constant-rate load: latency is measured
 * from it, so a stalled sender cannot hide its own delay). */
#ifndef MQLB_BENCH_PAYLOAD_H
#define MQLB_BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_HDR_LEN	  34
#define BENCH_HDR_VERSION 1
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
};

/* Writes exactly BENCH_HDR_LEN bytes at out (caller guarantees room). */
void bench_hdr_encode(const struct bench_hdr *h, uint8_t *out);
/* Overwrites only the actual-send-time field of an encoded header. */
void bench_hdr_set_sent(uint8_t *hdr, uint64_t sent_ns);
/* Reads the header at p (len bytes of payload). Returns 0; -EMSGSIZE if len is
 * shorter than the header; -EBADMSG if the magic is not "MQLB" (not ours);
 * -EPROTO for an unknown version. *out is written only on success. */
int bench_hdr_decode(const uint8_t *p, size_t len, struct bench_hdr *out);

#endif
