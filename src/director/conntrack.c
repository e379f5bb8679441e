/* conntrack.c — ctnetlink dump, filtered in user space (see conntrack.h).
 * Attribute layout: include/uapi/linux/netfilter/nfnetlink_conntrack.h:
 * CTA_TUPLE_ORIG / CTA_TUPLE_REPLY { CTA_TUPLE_IP { CTA_IP_V4_SRC/DST |
 * CTA_IP_V6_SRC/DST }, CTA_TUPLE_PROTO { CTA_PROTO_NUM, CTA_PROTO_SRC_PORT,
 * CTA_PROTO_DST_PORT } }, CTA_PROTOINFO { CTA_PROTOINFO_TCP { ..._TCP_STATE } }. */
#include "director/conntrack.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "director/ipvs_nl.h"

struct tuple {
	uint8_t addr_src[16], addr_dst[16];
	uint8_t proto;
	uint16_t sport, dport; /* network order */
	int have_ip, have_proto;
};

struct dump_ctx {
	const struct director *d;
	struct director_ct_count *counts;
	int family;
	uint8_t vip[16];
	uint16_t vport; /* network order */
	uint8_t be[DIRECTOR_MAX_BACKENDS][16];
	uint16_t be_port[DIRECTOR_MAX_BACKENDS];
};

static void addr_bytes(const struct sockaddr_storage *sa, uint8_t out[16], uint16_t *port)
{
	memset(out, 0, 16);
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(out, &in->sin_addr, 4);
		*port = in->sin_port;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		memcpy(out, &in6->sin6_addr, 16);
		*port = in6->sin6_port;
	}
}

static int parse_ip(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest)
	{
		unsigned type = mnl_attr_get_type(a);
		size_t len = mnl_attr_get_payload_len(a);
		if ((type == CTA_IP_V4_SRC || type == CTA_IP_V4_DST) && len >= 4)
			memcpy(type == CTA_IP_V4_SRC ? t->addr_src : t->addr_dst,
			       mnl_attr_get_payload(a), 4);
		else if ((type == CTA_IP_V6_SRC || type == CTA_IP_V6_DST) && len >= 16)
			memcpy(type == CTA_IP_V6_SRC ? t->addr_src : t->addr_dst,
			       mnl_attr_get_payload(a), 16);
	}
	t->have_ip = 1;
	return 0;
}

static int parse_proto(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest)
	{
		unsigned type = mnl_attr_get_type(a);
		size_t len = mnl_attr_get_payload_len(a);
		if (type == CTA_PROTO_NUM && len >= 1)
			t->proto = mnl_attr_get_u8(a);
		else if (type == CTA_PROTO_SRC_PORT && len >= 2)
			t->sport = mnl_attr_get_u16(a);
		else if (type == CTA_PROTO_DST_PORT && len >= 2)
			t->dport = mnl_attr_get_u16(a);
	}
	t->have_proto = 1;
	return 0;
}

static void parse_tuple(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *a;
	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == CTA_TUPLE_IP)
			parse_ip(a, t);
		else if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO)
			parse_proto(a, t);
	}
}

static int tcp_state(const struct nlattr *protoinfo)
{
	const struct nlattr *a, *b;
	mnl_attr_for_each_nested(a, protoinfo)
	{
		if (mnl_attr_get_type(a) != CTA_PROTOINFO_TCP)
			continue;
		mnl_attr_for_each_nested(b, a)
		{
			if (mnl_attr_get_type(b) == CTA_PROTOINFO_TCP_STATE &&
			    mnl_attr_get_payload_len(b) >= 1)
				return mnl_attr_get_u8(b);
		}
	}
	return -1;
}

static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct nlattr *a, *orig = NULL, *reply = NULL, *pinfo = NULL;
	struct tuple o, r;
	size_t alen = c->family == AF_INET ? 4 : 16;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		switch (mnl_attr_get_type(a)) {
		case CTA_TUPLE_ORIG:
			orig = a;
			break;
		case CTA_TUPLE_REPLY:
			reply = a;
			break;
		case CTA_PROTOINFO:
			pinfo = a;
			break;
		}
	}
	if (!orig || !reply)
		return MNL_CB_OK;
	parse_tuple(orig, &o);
	if (o.proto != IPPROTO_TCP || o.dport != c->vport || memcmp(o.addr_dst, c->vip, alen) != 0)
		return MNL_CB_OK;
	parse_tuple(reply, &r);
	for (unsigned i = 0; i < c->d->n_backends; i++) {
		if (r.sport != c->be_port[i] || memcmp(r.addr_src, c->be[i], alen) != 0)
			continue;
		if (pinfo && tcp_state(pinfo) == TCP_CONNTRACK_ESTABLISHED)
			c->counts[i].established++;
		else
			c->counts[i].other++;
		break;
	}
	return MNL_CB_OK;
}

/* The backends' and the VIP's addresses as ctnetlink writes them. */
static void ctx_init(struct dump_ctx *c, const struct director *d, struct director_ct_count *counts)
{
	memset(c, 0, sizeof(*c));
	c->d = d;
	c->counts = counts;
	c->family = d->cfg.listen.ss_family;
	addr_bytes(&d->cfg.listen, c->vip, &c->vport);
	for (unsigned i = 0; i < d->n_backends; i++)
		addr_bytes(&d->backends[i].addr, c->be[i], &c->be_port[i]);
}

int director_ct_parse(const struct director *d, const void *buf, size_t len, uint32_t seq,
		      uint32_t portid, struct director_ct_count *counts)
{
	struct dump_ctx *c = malloc(sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	ctx_init(c, d, counts);
	/* libmnl's own length check is signed: a huge nlmsg_len walks off buf */
	if (!ipvs_nl_batch_ok(buf, len)) {
		free(c);
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	int r = mnl_cb_run(buf, len, seq, portid, on_entry, c);
	free(c);
	return r;
}

/* Sends the dump request on nl. Returns 0 or -errno. */
static int ct_request(struct mnl_socket *nl, char *buf, int family, unsigned seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = (uint8_t)family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

int director_ct_count(const struct director *d, struct director_ct_count *counts)
{
	struct mnl_socket *nl = NULL;
	char *buf = NULL;
	size_t bufsz = 32768; /* a dump message batch fits */
	int rc = 0;
	unsigned seq = (unsigned)time(NULL), portid;

	memset(counts, 0, sizeof(*counts) * d->n_backends);
	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if ((rc = ct_request(nl, buf, d->cfg.listen.ss_family, seq)) < 0)
		goto out;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, bufsz);
		if (n < 0) {
			rc = -errno;
			break;
		}
		errno = 0;
		int r = director_ct_parse(d, buf, (size_t)n, seq, portid, counts);
		if (r == MNL_CB_ERROR) {
			rc = errno ? -errno : -EIO;
			break;
		}
		if (r <= MNL_CB_STOP)
			break;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return rc;
}
