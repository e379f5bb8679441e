/* fuzz_peers_decode.c — libFuzzer target for the --peers datagram reader
 * (peers_decode, version 2) and the receive judgement (peers_input): anyone
 * who can send a UDP datagram to a director's VIP port reaches them. The input
 * is an exact-size heap copy, so ASan catches a read past it. Invariants: a
 * datagram it accepts names a valid director, reports only backends the
 * director has, counts at most PEERS_COUNT_MAX, and its MAC covers exactly
 * the bytes before "MAC "; encoded back (peers_encode) it decodes to the same
 * sender, boot, sequence and counts with a MAC that verifies. The raw input
 * fed to peers_input from a listed address is never taken (a fuzzer does not
 * guess HMAC-SHA256), and the same body re-signed with the key is taken once
 * and then refused as a replay. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "director/director.h"
#include "common/log.h"
#include "director/peers.h"

static const unsigned char key[] = "fuzz-key-0123456789abcdef";
static struct director d;
static struct sockaddr_storage from;

static void setup(void)
{
	static const char *const b[] = {"10.0.0.1:1883", "10.0.0.2:1883", "[2001:db8::3]:1883"};
	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < 3; i++)
		if (addr_parse(b[i], 0, &d.backends[i].addr) != 0)
			abort();
	d.n_backends = 3;
	d.cfg.peers = "10.0.0.9:1883,10.0.0.10:1883";
	if (addr_parse("10.0.0.8:1883", 0, &d.cfg.listen) != 0 ||
	    addr_parse("10.0.0.9:1883", 0, &from) != 0)
		abort();
}

/* The decoded datagram, encoded and signed again, reads the same. */
static void roundtrip(const struct peers_dgram *dg)
{
	uint64_t all[DIRECTOR_MAX_BACKENDS] = {0};
	for (unsigned i = 0; i < d.n_backends; i++)
		all[i] = (dg->found >> i) & 1 ? dg->counts[i] : 0;
	char out[PEERS_DGRAM_MAX + 1];
	size_t n = peers_encode(out, sizeof(out), dg->name, dg->boot, dg->seq, &d, all, key,
				sizeof(key) - 1);
	struct peers_dgram dg2;
	if (n == 0 || peers_decode(out, n, &d, &dg2) != 0 ||
	    !peers_mac_ok(out, &dg2, key, sizeof(key) - 1) || strcmp(dg->name, dg2.name) != 0 ||
	    dg->boot != dg2.boot || dg->seq != dg2.seq || dg2.found != (1ULL << d.n_backends) - 1)
		abort();
	for (unsigned i = 0; i < d.n_backends; i++)
		if (dg2.counts[i] != all[i])
			abort();
	/* the re-signed datagram is taken by a fresh table, then is a replay */
	char err[128];
	struct peers *p = peers_new(&d, key, sizeof(key) - 1, err, sizeof(err));
	if (!p || peers_input(p, &from, out, n, 1) != PEERS_TAKEN ||
	    peers_input(p, &from, out, n, 2) != PEERS_REPLAY)
		abort();
	peers_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		log_threshold = LOG_ERROR; /* a datagram taken is logged */
		ready = 1;
	}
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct peers_dgram dg;
	int rc = peers_decode(buf, size, &d, &dg);
	char err[128];
	struct peers *p = peers_new(&d, key, sizeof(key) - 1, err, sizeof(err));
	if (!p || peers_input(p, &from, buf, size, 1) == PEERS_TAKEN)
		abort(); /* unsigned bytes never get in */
	peers_free(p);
	if (rc == 0 && (dg.signed_len >= size || memcmp(buf + dg.signed_len, "MAC ", 4) != 0))
		abort();
	free(buf);
	if (rc != 0)
		return 0;
	if (!director_name_valid(dg.name) || (dg.found >> d.n_backends) != 0)
		abort();
	for (unsigned i = 0; i < d.n_backends; i++)
		if (dg.counts[i] > PEERS_COUNT_MAX)
			abort();
	roundtrip(&dg);
	return 0;
}
