/* monitor_diag.c — counting established TCP connections per local port with
 * NETLINK_SOCK_DIAG (linux/inet_diag.h, SOCK_DIAG_BY_FAMILY with
 * inet_diag_req_v2, idiag_states = 1 << TCP_ESTABLISHED). One dump per family
 * per sample counts every port at once; netstat/ss would fork a process and
 * format text for the same figure. The reply walk (monitor_diag_parse) makes no
 * syscall and trusts no length in the reply: tests/fuzz/fuzz_sock_diag.c. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netns.h"
#include "monitor/monitor.h"

int monitor_diag_open(struct monitor_diag *d, const char *netns)
{
	d->seq = 1;
	d->fd = netns_socket(netns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return d->fd < 0 ? d->fd : 0;
}

void monitor_diag_close(struct monitor_diag *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int monitor_diag_send(struct monitor_diag *d, int family, uint32_t *seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	*seq = d->seq++;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = *seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1U << TCP_ESTABLISHED;
	if (sendto(d->fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -errno;
	return 0;
}

/* One message of our dump: counts it, or says the dump is over (1) or failed
 * (-errno). The caller has checked that h->nlmsg_len bytes are in the buffer. */
static int diag_message(const struct nlmsghdr *h, const uint16_t *ports, size_t n, uint64_t *counts)
{
	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EPROTO; /* too short to hold the error it announces */
		const struct nlmsgerr *e = NLMSG_DATA(h);
		/* 0 is an ACK, which a dump never sends; a positive code is no errno */
		return e->error < 0 ? e->error : -EIO;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return 0;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	uint16_t sport = ntohs(m->id.idiag_sport);
	for (size_t i = 0; i < n; i++)
		if (ports[i] == sport)
			counts[i]++;
	return 0;
}

int monitor_diag_parse(const void *buf, size_t len, uint32_t seq, const uint16_t *ports, size_t n,
		       uint64_t *counts)
{
	const uint8_t *p = buf;
	size_t off = 0;
	/* Unsigned offsets, never NLMSG_OK/NLMSG_NEXT: those take a signed length
	 * that an odd last nlmsg_len drove negative, and the walk then left the
	 * buffer. Every length is checked against what is left before use. */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
		if (h->nlmsg_len < sizeof(struct nlmsghdr) || h->nlmsg_len > len - off)
			return -EPROTO;
		if (h->nlmsg_seq == seq) {
			int r = diag_message(h, ports, n, counts);
			if (r != 0)
				return r;
		}
		size_t step = NLMSG_ALIGN((size_t)h->nlmsg_len);
		off = step < len - off ? off + step : len;
	}
	return off == len ? 0 : -EPROTO; /* a piece of a header: no kernel sends one */
}

int monitor_diag_count(struct monitor_diag *d, int family, const uint16_t *ports, size_t n,
		       uint64_t *counts)
{
	/* 32 KiB per recv: the kernel fills whole messages up to the buffer size. */
	static __thread uint8_t buf[32768] __attribute__((aligned(4)));
	uint32_t seq;

	for (size_t i = 0; i < n; i++)
		counts[i] = 0;
	int r = monitor_diag_send(d, family, &seq);
	if (r < 0)
		return r;
	for (;;) {
		ssize_t len = recv(d->fd, buf, sizeof(buf), 0);
		if (len == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (len == 0)
			return -EPROTO; /* netlink never sends an empty datagram */
		r = monitor_diag_parse(buf, (size_t)len, seq, ports, n, counts);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}
