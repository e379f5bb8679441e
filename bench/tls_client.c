/* bench/tls_client.c — the TLS MQTT client of bench/proxy_tls.sh (mqlb bench
 * has no TLS yet). Server authentication only (CA file), TLS 1.2+ as OpenSSL
 * negotiates (1.3 here), full handshakes (no session resumption: the cost a
 * reconnect storm of new devices puts on the balancer).
 *
 *   tls_client hs HOST PORT CAFILE SECONDS PROCS
 *       PROCS processes, each in a loop until SECONDS: TCP connect, TLS
 *       handshake, CONNECT, CONNACK (accepted), DISCONNECT, close. Prints
 *       "sessions N failed F seconds S rate R" (R = N / S).
 *   tls_client loop HOST PORT CAFILE COUNT WINDOW RATE
 *       One session subscribed to its own topic publishes COUNT QoS 0 messages
 *       of 64 bytes (a send timestamp inside), at most WINDOW unanswered, at
 *       RATE per second (0 = as fast as the window allows); each comes back
 *       through the broker. Prints "sent N received M seconds S rate R p50 A
 *       p99 B" (round trip, microseconds). Gives up 10 s after the last send.
 * Exit 0 when every session / message made it, else 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 64

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A TLS session to host:port with CONNECT/CONNACK done; NULL on failure. */
static SSL *session(SSL_CTX *ctx, const char *host, int port, const char *id)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	uint8_t pkt[64], ack[4];
	size_t il = strlen(id), n = 0;
	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, host);
	/* CONNECT 3.1.1, clean session, keepalive 60 */
	uint8_t hdr[] = {0x10, (uint8_t)(12 + il), 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60,
			 0,    (uint8_t)il};
	memcpy(pkt, hdr, sizeof(hdr));
	memcpy(pkt + sizeof(hdr), id, il);
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, pkt, (int)(sizeof(hdr) + il)) <= 0)
		goto fail;
	while (n < 4) {
		int r = SSL_read(ssl, ack + n, (int)(4 - n));
		if (r <= 0)
			goto fail;
		n += (size_t)r;
	}
	if (ack[0] != 0x20 || ack[3] != 0)
		goto fail;
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void end(SSL *ssl)
{
	static const uint8_t disc[2] = {0xe0, 0};
	int fd = SSL_get_fd(ssl);
	SSL_write(ssl, disc, 2);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

static int run_hs(SSL_CTX *ctx, const char *host, int port, double secs, int procs)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		return 1;
	uint64_t t0 = now_ns(), until = t0 + (uint64_t)(secs * 1e9);
	for (int p = 0; p < procs; p++) {
		if (fork() != 0)
			continue;
		uint64_t ok = 0, bad = 0;
		char id[32];
		while (now_ns() < until) {
			snprintf(id, sizeof(id), "hs%d-%llu", (int)getpid(),
				 (unsigned long long)ok);
			SSL *ssl = session(ctx, host, port, id);
			if (ssl) {
				end(ssl);
				ok++;
			} else {
				bad++;
				usleep(10000);
			}
		}
		uint64_t r[2] = {ok, bad};
		ssize_t w = write(pfd[1], r, sizeof(r));
		_exit(w == sizeof(r) ? 0 : 1);
	}
	close(pfd[1]);
	uint64_t ok = 0, bad = 0, r[2];
	while (read(pfd[0], r, sizeof(r)) == sizeof(r)) {
		ok += r[0];
		bad += r[1];
	}
	while (wait(NULL) > 0)
		;
	double s = (double)(now_ns() - t0) / 1e9;
	printf("sessions %llu failed %llu seconds %.2f rate %.0f\n", (unsigned long long)ok,
	       (unsigned long long)bad, s, (double)ok / s);
	return bad || !ok;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Takes the complete PUBLISH packets out of buf[0..*len): their round trips
 * into rtt[]. Returns how many. */
static size_t take(uint8_t *buf, size_t *len, uint64_t *rtt, size_t cap, size_t have)
{
	size_t off = 0, got = 0;
	for (;;) {
		size_t rl = 0, k = 1;
		int shift = 0;
		while (off + k < *len && k < 5) {
			rl |= (size_t)(buf[off + k] & 0x7f) << shift;
			shift += 7;
			if (!(buf[off + k++] & 0x80))
				goto whole;
		}
		break;
	whole:
		if (off + k + rl > *len)
			break;
		if ((buf[off] & 0xf0) == 0x30 && rl >= 2 + 8) {
			size_t tl = (size_t)buf[off + k] << 8 | buf[off + k + 1];
			uint64_t sent;
			memcpy(&sent, buf + off + k + 2 + tl, 8);
			if (have + got < cap)
				rtt[have + got] = now_ns() - sent;
			got++;
		}
		off += k + rl;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return got;
}

static int run_loop(SSL_CTX *ctx, const char *host, int port, size_t count, size_t window,
		    double rate)
{
	char id[32], topic[32];
	snprintf(id, sizeof(id), "loop%d", (int)getpid());
	snprintf(topic, sizeof(topic), "tlsb/%d", (int)getpid());
	SSL *ssl = session(ctx, host, port, id);
	if (!ssl)
		return fprintf(stderr, "tls_client: no session\n"), 1;
	size_t tl = strlen(topic);
	uint8_t sub[64] = {0x82, (uint8_t)(5 + tl), 0, 1, 0, (uint8_t)tl}, buf[65536], suback[5];
	memcpy(sub + 6, topic, tl);
	sub[6 + tl] = 0;
	int n = 0;
	if (SSL_write(ssl, sub, (int)(7 + tl)) <= 0 || (n = SSL_read(ssl, suback, 5)) != 5)
		return fprintf(stderr, "tls_client: no SUBACK\n"), 1;
	uint64_t *rtt = calloc(count, sizeof(*rtt));
	uint8_t pub[2 + 2 + 32 + PAYLOAD] = {0x30, (uint8_t)(2 + tl + PAYLOAD), 0, (uint8_t)tl};
	memcpy(pub + 4, topic, tl);
	size_t plen = 4 + tl + PAYLOAD, sent = 0, recvd = 0, blen = 0;
	uint64_t t0 = now_ns(), gap = rate > 0 ? (uint64_t)(1e9 / rate) : 0, last = t0;
	int fd = SSL_get_fd(ssl);
	while (recvd < count && now_ns() < last + 10000000000ULL) {
		uint64_t t = now_ns();
		while (sent < count && sent - recvd < window && (!gap || t >= t0 + sent * gap)) {
			memcpy(pub + 4 + tl, &t, 8);
			if (SSL_write(ssl, pub, (int)plen) <= 0)
				return fprintf(stderr, "tls_client: write failed\n"), 1;
			sent++;
			last = t = now_ns();
		}
		int wait_ms = 100;
		if (gap && sent < count && sent - recvd < window) {
			uint64_t next = t0 + sent * gap;
			wait_ms = next > t ? (int)((next - t) / 1000000) : 0;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (!SSL_pending(ssl) && poll(&p, 1, wait_ms) <= 0)
			continue;
		int r = SSL_read(ssl, buf + blen, (int)(sizeof(buf) - blen));
		if (r <= 0)
			break;
		blen += (size_t)r;
		recvd += take(buf, &blen, rtt, count, recvd);
	}
	double s = (double)(now_ns() - t0) / 1e9;
	size_t m = recvd < count ? recvd : count;
	qsort(rtt, m, sizeof(*rtt), cmp_u64);
	printf("sent %zu received %zu seconds %.3f rate %.0f p50 %llu p99 %llu\n", sent, recvd, s,
	       (double)recvd / s, m ? (unsigned long long)(rtt[m / 2] / 1000) : 0,
	       m ? (unsigned long long)(rtt[m * 99 / 100] / 1000) : 0);
	end(ssl);
	free(rtt);
	return recvd != count;
}

int main(int argc, char **argv)
{
	if (argc < 7 || (strcmp(argv[1], "hs") != 0 && strcmp(argv[1], "loop") != 0) ||
	    (strcmp(argv[1], "loop") == 0 && argc < 8)) {
		fprintf(stderr, "usage: tls_client hs HOST PORT CAFILE SECONDS PROCS\n"
				"       tls_client loop HOST PORT CAFILE COUNT WINDOW RATE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (SSL_CTX_load_verify_locations(ctx, argv[4], NULL) != 1) {
		fprintf(stderr, "tls_client: cannot load %s\n", argv[4]);
		return 2;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (argv[1][0] == 'h')
		return run_hs(ctx, argv[2], atoi(argv[3]), atof(argv[5]), atoi(argv[6]));
	return run_loop(ctx, argv[2], atoi(argv[3]), strtoul(argv[5], NULL, 10),
			strtoul(argv[6], NULL, 10), atof(argv[7]));
}
