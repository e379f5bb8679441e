/* fuzz_control_line.c — libFuzzer target for the control socket's request
 * path (control.c, director.c): the framing of the bytes a client sent
 * (director_control_frame) and the handler of the line (director_control_handle:
 * status, table, set, ping, help, anything else) over a director with three
 * backends and a stand-in dataplane. The socket is mode 0600, but every local
 * process of that user (a monitor, a script, keepalived's check) talks to it.
 * Input: the bytes as received; an exact-size heap copy, so ASan catches a
 * read past it. Invariants: a complete line ends at the first '\n' with no
 * NUL before it and fits DIRECTOR_CTL_LINE_MAX; -1 only for a NUL or a full
 * buffer without '\n'; every answer is non-empty and ends in '\n'; weights stay
 * within 0..DIRECTOR_WEIGHT_MAX and only "set" changes a backend. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "director/director.h"

static int dp_ok(struct director *d)
{
	(void)d;
	return 0;
}
static int dp_check(const struct director *d, char *err, size_t errlen)
{
	(void)d, (void)err, (void)errlen;
	return 0;
}
static const struct dataplane fake = {
    .name = "fuzz", .check = dp_check, .update = dp_ok, .stats = dp_ok};
static struct director d;

static void setup(void)
{
	static const char *const b[] = {"10.0.0.1:1883", "10.0.0.2:1883", "[2001:db8::3]:1883"};
	char err[128];
	memset(&d, 0, sizeof(d));
	snprintf(d.cfg.name, sizeof(d.cfg.name), "fuzz");
	snprintf(d.cfg.scheduler, sizeof(d.cfg.scheduler), "rr");
	if (addr_parse("10.0.0.100:1883", 0, &d.cfg.listen) != 0)
		abort();
	for (unsigned i = 0; i < 3; i++)
		if (director_backend_parse(b[i], &d.backends[i], err, sizeof(err)) != 0)
			abort();
	d.n_backends = 3;
	d.dp = &fake;
}

static void frame_invariants(const char *buf, size_t len, int n)
{
	const char *nl = memchr(buf, '\n', len);
	const char *nul = memchr(buf, '\0', len);
	if (n >= 0 && (buf[n] != '\n' || (size_t)n >= DIRECTOR_CTL_LINE_MAX ||
		       memchr(buf, '\n', (size_t)n) || memchr(buf, '\0', (size_t)n)))
		abort();
	if (n == -2 && (len >= DIRECTOR_CTL_LINE_MAX || nl || nul))
		abort();
	if (n == -1 && !(nul && (!nl || nul < nl)) && len < DIRECTOR_CTL_LINE_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		log_threshold = LOG_ERROR; /* the handler logs every set */
		ready = 1;
	}
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int n = director_control_frame(buf, size);
	frame_invariants(buf, size, n);
	if (n >= 0) {
		char line[DIRECTOR_CTL_LINE_MAX];
		memcpy(line, buf, (size_t)n);
		line[n] = '\0';
		char *ans = NULL;
		size_t ans_len = 0;
		FILE *out = open_memstream(&ans, &ans_len);
		if (!out)
			abort();
		struct director before = d;
		director_control_handle(&d, line, out);
		fclose(out);
		if (ans_len == 0 || ans[ans_len - 1] != '\n')
			abort();
		for (unsigned i = 0; i < d.n_backends; i++)
			if (d.backends[i].weight > DIRECTOR_WEIGHT_MAX)
				abort();
		if (strncmp(line, "set ", 4) != 0 &&
		    memcmp(before.backends, d.backends, sizeof(d.backends)) != 0)
			abort();
		free(ans);
		d = before; /* every input starts from the same director */
	}
	free(buf);
	return 0;
}
