#include "common/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"

int addr_is_literal(const char *host)
{
	unsigned char bin[16];
	return inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1;
}

/* A literal into ss; 0 or -EINVAL. */
static int parse_literal(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* 1 when s can be a DNS name (RFC 1123 letters, digits, '-', '.', '_'), so
 * that nothing odd ("a b", "1.2.3", "") reaches the resolver as a name. */
static int name_syntax_ok(const char *s)
{
	size_t n = strlen(s);
	int alpha = 0;
	if (n == 0 || n > ADDR_NAME_MAX - 1 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_')
			alpha = 1;
		else if (!((c >= '0' && c <= '9') || c == '.'))
			return 0;
	}
	return alpha; /* all digits and dots: a bad IPv4 literal, not a name */
}

int addr_resolve(const char *s, uint16_t port, struct sockaddr_storage *out, char *err,
		 size_t errlen)
{
	struct sockaddr_storage ss;
	if (strcmp(s, "localhost") == 0) /* always 127.0.0.1, as before names were resolved */
		s = "127.0.0.1";
	if (parse_literal(s, port, &ss) == 0) {
		*out = ss;
		return 0;
	}
	if (!name_syntax_ok(s)) {
		if (err)
			snprintf(err, errlen, "'%s' is not an IP address or host name", s);
		return -EINVAL;
	}
	/* Once, here: callers resolve at parse time, never per connection. The
	 * first answer wins (getaddrinfo's RFC 6724 order); no AI_ADDRCONFIG, which
	 * would drop every address on a host with loopback only. */
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc != 0 || !res) {
		if (err)
			snprintf(err, errlen, "cannot resolve host name '%.*s': %s", 200, s,
				 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -ENOENT;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	addr_set_port(&ss, port);
	*out = ss;
	return 0;
}

int addr_parse_host(const char *s, uint16_t port, struct sockaddr_storage *out)
{
	return addr_resolve(s, port, out, NULL, 0) == 0 ? 0 : -EINVAL;
}

int addr_split(const char *s, uint16_t default_port, char *host, size_t hostlen, uint16_t *port)
{
	const char *port_str = NULL;
	size_t hlen;
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
		s++;
	} else {
		const char *colon = strrchr(s, ':');
		/* more than one ':' without brackets: a bare IPv6 address, no port */
		if (colon && strchr(s, ':') == colon) {
			hlen = (size_t)(colon - s);
			port_str = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen == 0 || hlen >= hostlen)
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	uint64_t p = default_port;
	if (port_str && parse_u64(port_str, 1, 65535, &p) != 0)
		return -EINVAL;
	if (p == 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int addr_parse_err(const char *s, uint16_t default_port, struct sockaddr_storage *out, char *err,
		   size_t errlen)
{
	char host[ADDR_NAME_MAX];
	uint16_t port;
	if (addr_split(s, default_port, host, sizeof(host), &port) != 0) {
		if (err)
			snprintf(err, errlen, "'%.*s' is not HOST:PORT (port 1-65535)", 200,
				 s ? s : "");
		return -EINVAL;
	}
	return addr_resolve(host, port, out, err, errlen);
}

int addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out)
{
	return addr_parse_err(s, default_port, out, NULL, 0) == 0 ? 0 : -EINVAL;
}

char *addr_format_host(const struct sockaddr_storage *sa, char *buf, unsigned len)
{
	if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
	else if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else
		snprintf(buf, len, "?");
	return buf;
}

char *addr_format(const struct sockaddr_storage *sa, char *buf, unsigned len)
{
	char host[INET6_ADDRSTRLEN];
	addr_format_host(sa, host, sizeof(host));
	snprintf(buf, len, sa->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, addr_port(sa));
	return buf;
}

uint16_t addr_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

void addr_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons(port);
}

socklen_t addr_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || addr_port(a) != addr_port(b))
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

int addr_is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}
