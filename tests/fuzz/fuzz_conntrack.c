/* fuzz_conntrack.c — libFuzzer target for the ctnetlink dump parser
 * (director_ct_parse, conntrack.h): one batch of replies as recvfrom returns
 * it, counted against a director with a VIP and three backends (two IPv4
 * families' worth of tuples land in the same code). The batch is an exact-size
 * heap copy, so ASan catches a read past it. Invariants: the counts never
 * exceed the number of messages in the batch (each entry counts at most once)
 * and a batch parsed twice adds exactly the same counts again. Found here: a
 * message length of 2^31 or more passed libmnl's signed check and the walk left
 * the batch (director_ct_parse now checks the batch first). */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "director/conntrack.h"

static struct director d4, d6;

static void setup(struct director *d, const char *vip, const char *const *be)
{
	memset(d, 0, sizeof(*d));
	if (addr_parse(vip, 0, &d->cfg.listen) != 0)
		abort();
	for (unsigned i = 0; i < 3; i++)
		if (addr_parse(be[i], 0, &d->backends[i].addr) != 0)
			abort();
	d->n_backends = 3;
}

/* Messages libmnl would hand to the callback (an upper bound on entries). */
static uint64_t messages(const void *buf, size_t len)
{
	return len / sizeof(struct nlmsghdr); /* each message has a header at least */
}

static void check(const struct director *d, const void *buf, size_t len)
{
	struct director_ct_count a[3] = {0}, b[3] = {0};
	int r1 = director_ct_parse(d, buf, len, 0, 0, a);
	uint64_t total = 0;
	for (int i = 0; i < 3; i++)
		total += a[i].established + a[i].other;
	if (total > messages(buf, len))
		abort();
	memcpy(b, a, sizeof(a));
	int r2 = director_ct_parse(d, buf, len, 0, 0, b);
	if (r1 != r2)
		abort();
	for (int i = 0; i < 3; i++)
		if (b[i].established != 2 * a[i].established || b[i].other != 2 * a[i].other)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		static const char *const be4[] = {"10.0.0.1:1883", "10.0.0.2:1883",
						  "10.0.0.3:1884"};
		static const char *const be6[] = {"[2001:db8::1]:1883", "[2001:db8::2]:1883",
						  "[2001:db8::3]:1884"};
		setup(&d4, "10.0.0.100:1883", be4);
		setup(&d6, "[2001:db8::100]:1883", be6);
		ready = 1;
	}
	void *buf = malloc(size ? size : 1); /* malloc: aligned for struct nlmsghdr */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check(&d4, buf, size);
	check(&d6, buf, size);
	free(buf);
	return 0;
}
