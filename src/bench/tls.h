/* tls.h — TLS for `mqlb bench` (--tls): the run's client context (CA, client
 * certificate, versions, verification), the non-blocking handshake on the
 * worker's event loop, read/write wrappers that behave like recv()/send(),
 * one saved session per client for resumption on reconnect, and handshake
 * failures counted by reason. Every per-client function runs on the client's
 * worker thread. */
#ifndef MQLB_BENCH_TLS_H
#define MQLB_BENCH_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bench/bench-t.h"

struct bench_report;

/* Builds run->tls_ctx from the options (nothing without --tls). Returns 0, or
 * -1 with one line in err (a file that cannot be read, a key that does not
 * match its certificate). */
int bench_tls_ctx_new(struct bench_run *run, char *err, size_t errlen);
/* Frees run->tls_ctx (after the workers stopped). */
void bench_tls_ctx_free(struct bench_run *run);

/* Starts the client side on c->fd once TCP is up: SNI, the name to verify,
 * the saved session if any. Returns 0, or -1 (counted as a failure). */
int bench_tls_start(struct bench_client *c);
/* Advances the handshake. Returns 1 when done (counted, resumed or not), 0
 * while it waits (the fd's event interest is set for what it waits for), -1
 * when it failed (counted by reason; the caller closes). */
int bench_tls_handshake(struct bench_client *c);
/* Like recv(): bytes (> 0), 0 at the end of the stream, -EAGAIN when nothing
 * is buffered, or -errno (-EPROTO for a TLS error; a failure before the
 * CONNACK, such as an alert refusing our certificate, is counted). */
ssize_t bench_tls_read(struct bench_client *c, void *buf, size_t len);
/* Like send(): bytes written (> 0, partial writes allowed; a retry after
 * -EAGAIN may pass a longer buffer at another address), -EAGAIN, -errno. */
ssize_t bench_tls_write(struct bench_client *c, const void *buf, size_t len);
/* Decrypted or raw bytes already inside OpenSSL: the fd will not wake the loop
 * for them. */
bool bench_tls_pending(const struct bench_client *c);
/* Counts a handshake that did not finish within --connect-timeout. */
void bench_tls_count_timeout(struct bench_client *c);
/* Ends the connection's TLS state before its fd closes (close_notify when
 * orderly is true); the saved session stays for the next connect. */
void bench_tls_close(struct bench_client *c, bool orderly);
/* Frees the client's TLS state and saved session. */
void bench_tls_free(struct bench_client *c);

/* Sums the workers' TLS counters into the report (r->tls and its fields). */
void bench_tls_collect(struct bench_report *r, const struct bench_worker *ws, unsigned nw);

#endif
