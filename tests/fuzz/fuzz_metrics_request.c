/* fuzz_metrics_request.c — libFuzzer target for the /metrics server's request
 * reading (monitor_prom.c): the bytes a client sends, delivered in pieces as
 * recv would hand them to on_conn, into a connection's real request buffer
 * (struct monitor_prom_conn.req, 2 KiB) with its bound (recv never asks for
 * more than fits), judged by monitor_prom_request after every piece. Input:
 * one byte of piece sizes (1..16, cycling through its bits), then the request.
 * Invariants: the buffer never overflows; the verdict once given is the one
 * any longer prefix would get (pieces do not matter); it equals the verdict of
 * the strncmp test the server used before the split (on the NUL-terminated
 * buffer); a request still waiting has no '\n' and fits the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"

/* The request test of monitor_prom.c before monitor_prom_request. */
static int old_verdict(const char *r)
{
	if (strncmp(r, "GET /metrics ", 13) && strncmp(r, "GET /metrics?", 13) &&
	    strncmp(r, "GET / ", 6))
		return MONITOR_PROM_REQ_NOT_FOUND;
	return MONITOR_PROM_REQ_METRICS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct monitor_prom_conn c;
	const size_t cap = sizeof(c.req);
	if (size < 1)
		return 0;
	unsigned sizes = data[0];
	data++, size--;
	memset(c.req, 0x55, cap); /* not NUL: a read past got would see junk */
	c.got = 0;
	size_t off = 0;
	int verdict = MONITOR_PROM_REQ_MORE;
	for (unsigned i = 0; verdict == MONITOR_PROM_REQ_MORE; i++) {
		size_t want = 1 + ((sizes >> (i % 5)) & 15), room = cap - 1 - c.got;
		size_t k = want < room ? want : room;
		if (k > size - off)
			k = size - off;
		if (k == 0)
			break; /* the client went quiet: the deadline ends it */
		memcpy(c.req + c.got, data + off, k);
		off += k;
		c.got += k;
		if (c.got > cap - 1)
			abort();
		c.req[c.got] = '\0';
		verdict = monitor_prom_request(c.req, c.got, cap);
	}
	if (verdict == MONITOR_PROM_REQ_MORE) {
		if (memchr(c.req, '\n', c.got) || c.got >= cap - 1 || c.got != size)
			abort();
		return 0;
	}
	if (verdict != old_verdict(c.req))
		abort();
	/* the whole input (as much as fits) gets the same verdict */
	size_t all = size < cap - 1 ? size : cap - 1;
	char *full = malloc(all ? all : 1); /* exact size: ASan sees a read past it */
	if (!full)
		abort();
	memcpy(full, data, all);
	if (monitor_prom_request(full, all, cap) != verdict)
		abort();
	free(full);
	return 0;
}
