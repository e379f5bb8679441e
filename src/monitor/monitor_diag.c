/* monitor_diag.c — counting established TCP connections per local port with
 * NETLINK_SOCK_DIAG (linux/inet_diag.h, SOCK_DIAG_BY_FAMILY with
 * inet_diag_req_v2, idiag_states = 1 << TCP_ESTABLISHED). One dump per family
 * per sample counts every port at once; netstat/ss would fork a process and
 * format text for the same figure. */
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

int monitor_diag_count(struct monitor_diag *d, int family, const uint16_t *ports, size_t n,
		       uint64_t *counts)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	/* 32 KiB per recv: the kernel fills whole messages up to the buffer size. */
	static __thread uint8_t buf[32768] __attribute__((aligned(4)));
	uint32_t seq = d->seq++;

	for (size_t i = 0; i < n; i++)
		counts[i] = 0;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1U << TCP_ESTABLISHED;
	if (sendto(d->fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -errno;
	for (;;) {
		ssize_t len = recv(d->fd, buf, sizeof(buf), 0);
		if (len == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			uint16_t sport = ntohs(m->id.idiag_sport);
			for (size_t i = 0; i < n; i++)
				if (ports[i] == sport)
					counts[i]++;
		}
	}
}
