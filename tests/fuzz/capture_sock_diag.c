/* capture_sock_diag.c — writes seeds for fuzz_sock_diag from real kernel
 * replies: opens a listener on 127.0.0.1 / ::1 port 18830 with K connected
 * clients, asks with the monitor's own request (monitor_diag_send) and saves
 * each recv'd buffer, prefixed as fuzz_sock_diag reads it (seq, two ports),
 * after checking that monitor_diag_parse counts K. Also one NLMSG_ERROR the
 * kernel really sends (an unknown family). Not built by the Makefile (it needs
 * a netns of its own, else every socket of the machine lands in the seed):
 *   cc -Isrc -o /tmp/cap tests/fuzz/capture_sock_diag.c build/rel/src/monitor/monitor_diag.o \
 *      build/rel/src/common/netns.o && unshare -n sh -c 'ip link set lo up && /tmp/cap DIR'
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor.h"

#define PORT 18830

static void save(const char *dir, const char *name, uint32_t seq, const void *buf, size_t len)
{
	char path[512];
	uint16_t ports[2] = {PORT, 1883};
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&seq, 4, 1, f) != 1 || fwrite(ports, 2, 2, f) != 2 ||
	    fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* k clients connected to a listener of family fam; fds leak until exit. */
static void connect_k(int fam, int k)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(PORT);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(PORT);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	int l = socket(fam, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ss, sl) || listen(l, 16)) {
		perror("listen");
		exit(1);
	}
	for (int i = 0; i < k; i++) {
		int c = socket(fam, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&ss, sl) || accept(l, NULL, NULL) < 0) {
			perror("connect");
			exit(1);
		}
	}
}

/* One dump of family: every buffer saved as name-N; checks the count. */
static void dump(struct monitor_diag *d, const char *dir, const char *name, int fam, uint64_t want)
{
	static uint8_t buf[32768] __attribute__((aligned(4)));
	uint16_t ports[2] = {PORT, 1883};
	uint64_t counts[2] = {0, 0};
	uint32_t seq;
	if (monitor_diag_send(d, fam, &seq)) {
		perror("send");
		exit(1);
	}
	for (int part = 0;; part++) {
		ssize_t len = recv(d->fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			perror("recv");
			exit(1);
		}
		char nm[128];
		snprintf(nm, sizeof(nm), "%s-%d", name, part);
		save(dir, nm, seq, buf, (size_t)len);
		int r = monitor_diag_parse(buf, (size_t)len, seq, ports, 2, counts);
		if (r < 0 && want != (uint64_t)-1) {
			fprintf(stderr, "%s: %s\n", name, strerror(-r));
			exit(1);
		}
		if (r != 0)
			break;
	}
	if (want != (uint64_t)-1 && counts[0] != want) {
		fprintf(stderr, "%s: counted %llu, want %llu\n", name,
			(unsigned long long)counts[0], (unsigned long long)want);
		exit(1);
	}
	printf("%s: %llu established on %d\n", name, (unsigned long long)counts[0], PORT);
}

int main(int argc, char **argv)
{
	struct monitor_diag d;
	if (argc != 2 || monitor_diag_open(&d, NULL)) {
		fprintf(stderr, "usage: capture_sock_diag DIR (needs NETLINK_SOCK_DIAG)\n");
		return 2;
	}
	dump(&d, argv[1], "v4-empty", AF_INET, 0);
	connect_k(AF_INET, 3);
	dump(&d, argv[1], "v4-three", AF_INET, 3); /* the accepted ends */
	connect_k(AF_INET6, 2);
	dump(&d, argv[1], "v6-two", AF_INET6, 2);
	dump(&d, argv[1], "error-family", 250, (uint64_t)-1);
	monitor_diag_close(&d);
	return 0;
}
