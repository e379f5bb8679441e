/* addr.h — "HOST:PORT" parsing and printing for IPv4 and IPv6 ("[::1]:1883").
 * Numeric addresses only, plus "localhost": mqlb never resolves names over the
 * network, and a load generator must not depend on DNS. */
#ifndef MQLB_ADDR_H
#define MQLB_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

#define ADDR_STRLEN 64 /* "[ffff:...:ffff]:65535" fits */

/* Parses s into *out. A missing ":PORT" takes default_port (0 = port required).
 * Returns 0, or -EINVAL with nothing written. */
int addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out);
/* Host only ("127.0.0.1", "::1"), port set to port. */
int addr_parse_host(const char *s, uint16_t port, struct sockaddr_storage *out);
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
