/* fuzz_connect_peek.c — libFuzzer target for the proxy's first look at a client:
 * proxy_hello_peek() over every prefix length the network could deliver (as the
 * proxy reads in pieces), the CONNACK for each refusal, and the backend choice
 * by ClientID (clientid and sh schedulers, a backend down, one excluded).
 * The view is an exact-size heap copy, so ASan catches any read past it.
 * Invariants: a prefix never judges differently from the whole (once complete
 * or refused, longer input gives the same verdict); a good CONNECT's ClientID
 * lies inside it; a CONNACK is a well-formed 4- or 5-byte CONNACK; the same
 * ClientID always picks the same backend in two independent schedulers. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "director/proxy.h"
#include "director/scheduler.h"
#include "mqtt/mqtt.h"

static const char *const names[] = {"10.0.0.1:1883", "10.0.0.2:1883", "10.0.0.3:1883",
				    "10.0.0.4:1883"};
static struct sched s_a, s_b, s_sh;
static int ready;

static void setup(void)
{
	static const char *const rev[] = {"10.0.0.4:1883", "10.0.0.3:1883", "10.0.0.2:1883",
					  "10.0.0.1:1883"};
	if (sched_init(&s_a, SCHED_KIND_CLIENTID, names, 4, NULL, 1) != 0 ||
	    sched_init(&s_b, SCHED_KIND_CLIENTID, rev, 4, NULL, 2) != 0 ||
	    sched_init(&s_sh, SCHED_KIND_SH, names, 4, NULL, 3) != 0)
		abort();
	ready = 1;
}

static void check_connack(const struct proxy_hello *h)
{
	uint8_t ack[8];
	for (int r = 0; r < PROXY_REJ_COUNT; r++) {
		size_t n = proxy_hello_connack(h, (enum proxy_reject)r, ack, sizeof(ack));
		if (n == 0)
			continue;
		/* a CONNACK: 3.1.1 20 02 00 rc, 5.0 20 03 00 reason 00 */
		if (ack[0] != 0x20 || !((n == 4 && ack[1] == 2) || (n == 5 && ack[1] == 3)) ||
		    ack[2] != 0)
			abort();
		if (ack[3] == 0) /* never "accepted" */
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	if (size > PROXY_CONNECT_MAX + 64)
		return 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct proxy_hello whole, part;
	int rw = proxy_hello_peek(buf, size, 4096, &whole);
	/* prefixes as the network might cut them: a verdict, once reached, stays */
	size_t step = size / 16 + 1;
	for (size_t k = 0; k < size; k += step) {
		uint8_t *pre = malloc(k ? k : 1);
		if (!pre)
			break;
		memcpy(pre, data, k);
		int rp = proxy_hello_peek(pre, k, 4096, &part);
		if (rp != 0 && (rp != rw || part.reject != whole.reject ||
				(rp == 1 && part.connect_len != whole.connect_len)))
			abort();
		if (rp == 0 && part.want && part.want <= k)
			abort();
		free(pre);
	}
	check_connack(&whole);
	if (rw == 1) {
		if (whole.connect_len == 0 || whole.connect_len > size)
			abort();
		if (whole.clientid_len &&
		    (whole.clientid < buf || whole.clientid + whole.clientid_len > buf + size))
			abort();
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(40000)};
		memcpy(&sin.sin_addr, data, size >= 4 ? 4 : 0);
		struct sockaddr_storage src;
		memset(&src, 0, sizeof(src));
		memcpy(&src, &sin, sizeof(sin));
		struct sched_key key = {whole.clientid, whole.clientid_len, &src};
		int a = sched_pick(&s_a, &key, NULL, 0);
		int b = sched_pick(&s_b, &key, NULL, 0);
		if (a < 0 || b < 0 || strcmp(s_a.names[a], s_b.names[b]) != 0)
			abort();
		/* its backend excluded: another one, never it */
		int c = sched_pick(&s_a, &key, NULL, 1ULL << a);
		if (c < 0 || c == a)
			abort();
		if (sched_pick(&s_sh, &key, NULL, 0) < 0)
			abort();
	}
	free(buf);
	return 0;
}
