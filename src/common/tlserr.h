/* tlserr.h — OpenSSL's error queue as one short line, the same way for every
 * caller (bench's client TLS, the director's proxy TLS). */
#ifndef MQLB_COMMON_TLSERR_H
#define MQLB_COMMON_TLSERR_H

#include <stddef.h>

/* The oldest error queued in this thread (the cause: "No such file", "no
 * start line"; the later ones only say which call gave up), formatted into buf
 * by ERR_error_string_n. Returns buf, or "unknown error" when the queue is
 * empty. The queue is left as it is (peeked, not taken). */
const char *tls_err_string(char *buf, size_t len);

#endif
