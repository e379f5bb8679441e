/* mqtt_conns.c — a tiny static MQTT connection opener for the IPVS microVM test
 * (tests/vm/build-initramfs.sh compiles it with -static; it runs inside the guest,
 * where there is no python and no mqlb bench).
 *
 *   mqtt_conns HOST PORT N [--bind SRC] [--hold-until FILE [--ping 1]] [--id PREFIX]
 *
 * Opens N MQTT 3.1.1 connections to HOST:PORT one after the other (optionally
 * from source address SRC), each waits for a CONNACK with return code 0 (3 s
 * deadline). Without --hold-until each connection sends DISCONNECT and closes
 * right after its CONNACK; with it, all stay open until FILE exists (polled
 * every 20 ms, at most 60 s), then they disconnect; with --ping 1 each first
 * sends PINGREQ and waits for PINGRESP (3 s), and a line "alive=X dead=Y"
 * follows (whether the connections survived what happened meanwhile, e.g. a
 * director failover). Prints one line
 * "connected=X failed=Y" (after the last CONNACK, before holding) and exits 0
 * when every connection succeeded, else 1. Bounded: N <= 1000. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_CONNS 1000

static int open_one(const struct sockaddr_in *dst, const char *bind_ip, const char *id)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		return -1;
	struct timeval tv = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (bind_ip) {
		struct sockaddr_in src = {.sin_family = AF_INET};
		if (inet_pton(AF_INET, bind_ip, &src.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&src, sizeof src) == -1)
			goto fail;
	}
	if (connect(fd, (const struct sockaddr *)dst, sizeof *dst) == -1)
		goto fail;
	/* CONNECT: protocol "MQTT" level 4, clean session, keepalive 60 s. */
	unsigned char pkt[128];
	size_t idlen = strlen(id), n = 0;
	if (idlen > 64)
		goto fail;
	pkt[n++] = 0x10;
	pkt[n++] = (unsigned char)(10 + 2 + idlen);
	memcpy(pkt + n, "\x00\x04MQTT\x04\x02\x00\x3c", 10);
	n += 10;
	pkt[n++] = 0;
	pkt[n++] = (unsigned char)idlen;
	memcpy(pkt + n, id, idlen);
	n += idlen;
	if (write(fd, pkt, n) != (ssize_t)n)
		goto fail;
	unsigned char ack[4];
	size_t got = 0;
	while (got < sizeof ack) {
		ssize_t r = read(fd, ack + got, sizeof ack - got);
		if (r <= 0)
			goto fail;
		got += (size_t)r;
	}
	if (ack[0] != 0x20 || ack[1] != 2 || ack[3] != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* PINGREQ, then PINGRESP within the socket's 3 s receive timeout: 1 or 0. */
static int ping(int fd)
{
	static const unsigned char req[2] = {0xc0, 0x00};
	unsigned char resp[2];
	size_t got = 0;
	if (write(fd, req, sizeof req) != (ssize_t)sizeof req)
		return 0;
	while (got < sizeof resp) {
		ssize_t r = read(fd, resp + got, sizeof resp - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return resp[0] == 0xd0 && resp[1] == 0;
}

static void disconnect(int fd)
{
	static const unsigned char d[2] = {0xe0, 0x00};
	if (write(fd, d, sizeof d) != (ssize_t)sizeof d)
		perror("write DISCONNECT");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *bind_ip = NULL, *hold = NULL, *prefix = "c";
	int do_ping = 0;
	/* a connection the peer reset (a failover without sync) fails its write:
	 * report it, do not die of SIGPIPE before the alive= line */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 4) {
		fprintf(
		    stderr,
		    "usage: %s HOST PORT N [--bind SRC] [--hold-until FILE [--ping 1]] [--id P]\n",
		    argv[0]);
		return 2;
	}
	for (int i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--bind") == 0)
			bind_ip = argv[i + 1];
		else if (strcmp(argv[i], "--hold-until") == 0)
			hold = argv[i + 1];
		else if (strcmp(argv[i], "--id") == 0)
			prefix = argv[i + 1];
		else if (strcmp(argv[i], "--ping") == 0)
			do_ping = atoi(argv[i + 1]) == 1;
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)atoi(argv[2]))};
	int n = atoi(argv[3]);
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 || n < 1 || n > MAX_CONNS) {
		fprintf(stderr, "bad HOST or N (1-%d)\n", MAX_CONNS);
		return 2;
	}
	static int fds[MAX_CONNS];
	int ok = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		char id[80];
		snprintf(id, sizeof id, "%s%d", prefix, i);
		int fd = open_one(&dst, bind_ip, id);
		if (fd < 0) {
			failed++;
			continue;
		}
		ok++;
		if (hold)
			fds[ok - 1] = fd;
		else
			disconnect(fd);
	}
	printf("connected=%d failed=%d\n", ok, failed);
	fflush(stdout);
	if (hold) {
		struct stat st;
		for (int t = 0; t < 3000 && stat(hold, &st) != 0; t++)
			poll(NULL, 0, 20);
		int alive = 0;
		for (int i = 0; i < ok && do_ping; i++)
			alive += ping(fds[i]);
		if (do_ping)
			printf("alive=%d dead=%d\n", alive, ok - alive);
		fflush(stdout);
		for (int i = 0; i < ok; i++)
			disconnect(fds[i]);
		if (do_ping && alive < ok)
			return 1;
	}
	return failed ? 1 : 0;
}
