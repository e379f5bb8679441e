/* fuzz_peers_decode.c — libFuzzer target for the --peers datagram reader
 * (peers_decode): anyone who can send a UDP datagram to a director's VIP port
 * reaches it. The input is an exact-size heap copy, so ASan catches a read past
 * it. Invariants: a datagram it accepts names a valid director, reports only
 * backends the director has, and encodes back (peers_encode) to a datagram that
 * decodes to the same sender, boot, sequence and counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "director/director.h"
#include "director/peers.h"

static struct director d;
static int ready;

static void setup(void)
{
	static const char *const b[] = {"10.0.0.1:1883", "10.0.0.2:1883", "[2001:db8::3]:1883"};
	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < 3; i++)
		if (addr_parse(b[i], 0, &d.backends[i].addr) != 0)
			abort();
	d.n_backends = 3;
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char name[DIRECTOR_NAME_MAX];
	uint64_t boot = 0, seq = 0, found = 0, counts[DIRECTOR_MAX_BACKENDS] = {0};
	int rc = peers_decode(buf, size, &d, name, &boot, &seq, counts, &found);
	free(buf);
	if (rc != 0)
		return 0;
	if (!director_name_valid(name) || (found >> d.n_backends) != 0)
		abort();
	/* what it accepted, said again, reads the same */
	uint64_t all[DIRECTOR_MAX_BACKENDS] = {0};
	for (unsigned i = 0; i < d.n_backends; i++)
		all[i] = (found >> i) & 1 ? counts[i] : 0;
	char out[PEERS_DGRAM_MAX];
	size_t n = peers_encode(out, sizeof(out), name, boot, seq, &d, all);
	if (n == 0)
		abort();
	char name2[DIRECTOR_NAME_MAX];
	uint64_t boot2, seq2, found2, counts2[DIRECTOR_MAX_BACKENDS] = {0};
	if (peers_decode(out, n, &d, name2, &boot2, &seq2, counts2, &found2) != 0 ||
	    strcmp(name, name2) != 0 || boot != boot2 || seq != seq2 ||
	    found2 != (1ULL << d.n_backends) - 1)
		abort();
	for (unsigned i = 0; i < d.n_backends; i++)
		if (counts2[i] != all[i])
			abort();
	return 0;
}
