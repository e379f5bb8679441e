/* addr.h — "HOST:PORT" parsing and printing for IPv4 and IPv6 ("[::1]:1883").
 * HOST is an IPv4/IPv6 literal or a host name. A name is resolved ONCE, when
 * it is parsed (getaddrinfo: /etc/hosts, then DNS as nsswitch.conf says), and
 * the first answer is kept: a load generator must not resolve per connection.
 * "localhost" is always 127.0.0.1, whatever /etc/hosts says. */
#ifndef MQLB_ADDR_H
#define MQLB_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_STRLEN   64  /* "[ffff:...:ffff]:65535" fits */
#define ADDR_NAME_MAX 254 /* a DNS name (253) + NUL */

/* Parses s into *out. A missing ":PORT" takes default_port (0 = port required).
 * Returns 0, or -EINVAL (bad syntax, or a name that does not resolve) with
 * nothing written. */
int addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out);
/* The same, with a one-line reason in err (may be NULL) on failure: -EINVAL for
 * bad syntax, -ENOENT for a name that does not resolve now. */
int addr_parse_err(const char *s, uint16_t default_port, struct sockaddr_storage *out, char *err,
		   size_t errlen);
/* Splits "HOST[:PORT]" / "[V6][:PORT]" into host (hostlen bytes) and *port
 * without resolving; default_port as addr_parse. Returns 0 or -EINVAL. */
int addr_split(const char *s, uint16_t default_port, char *host, size_t hostlen, uint16_t *port);
/* Host only (a literal or a name), port set to port: 0, -EINVAL or -ENOENT with
 * a reason in err (may be NULL). */
int addr_resolve(const char *host, uint16_t port, struct sockaddr_storage *out, char *err,
		 size_t errlen);
/* addr_resolve without the reason; any failure is -EINVAL. */
int addr_parse_host(const char *s, uint16_t port, struct sockaddr_storage *out);
/* 1 when host is an IPv4 or IPv6 literal (no resolution needed), else 0. */
int addr_is_literal(const char *host);
/* "1.2.3.4:1883" / "[::1]:1883" into buf (ADDR_STRLEN); returns buf. */
char *addr_format(const struct sockaddr_storage *sa, char *buf, unsigned len);
/* Host only, no port. */
char *addr_format_host(const struct sockaddr_storage *sa, char *buf, unsigned len);
uint16_t addr_port(const struct sockaddr_storage *sa);
void addr_set_port(struct sockaddr_storage *sa, uint16_t port);
socklen_t addr_len(const struct sockaddr_storage *sa);
int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* 1 for 127.0.0.0/8 and ::1, else 0. */
int addr_is_loopback(const struct sockaddr_storage *sa);

#endif
