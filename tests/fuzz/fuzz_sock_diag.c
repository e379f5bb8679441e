/* fuzz_sock_diag.c — libFuzzer target for the monitor's sock_diag reply walk
 * (monitor_diag_parse, monitor.h): one buffer as recv returns it from
 * NETLINK_SOCK_DIAG. Input: the dump's sequence number (4 bytes, host order),
 * two local ports to count (2 bytes each), then the buffer, copied to an
 * exact-size heap block so ASan catches a read past it. Seeds are real kernel
 * replies (tests/fuzz/capture_sock_diag.c, in a netns of its own) and edits of
 * them: NLMSG_DONE or NLMSG_ERROR in the middle, a short error, lengths under a
 * header, past the buffer, >= 2^31, odd at the end. Invariants: each record
 * counts at most once per port (the counts never exceed the records that fit),
 * the result is 1, 0 or -errno, and a second walk adds exactly the same counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include "monitor/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq;
	uint16_t ports[2];
	if (size < 8)
		return 0;
	memcpy(&seq, data, 4);
	memcpy(ports, data + 4, 4);
	size_t len = size - 8;
	uint8_t *buf = malloc(len ? len : 1); /* malloc: aligned as recv's buffer is */
	if (!buf)
		abort();
	memcpy(buf, data + 8, len);

	uint64_t a[2] = {0, 0}, b[2];
	int r1 = monitor_diag_parse(buf, len, seq, ports, 2, a);
	if (r1 > 1)
		abort();
	uint64_t records = len / NLMSG_LENGTH(sizeof(struct inet_diag_msg));
	if (a[0] > records || a[1] > records)
		abort();
	memcpy(b, a, sizeof(a));
	int r2 = monitor_diag_parse(buf, len, seq, ports, 2, b);
	if (r1 != r2 || b[0] != 2 * a[0] || b[1] != 2 * a[1])
		abort();
	free(buf);
	return 0;
}
