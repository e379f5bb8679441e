/* ipvs_nl.c — generic netlink client for the kernel's IPVS family (see ipvs_nl.h).
 * Attribute numbers and layouts come from the kernel's uapi header
 * <linux/ip_vs.h>; the kernel side is net/netfilter/ipvs/ip_vs_ctl.c
 * (ip_vs_genl_parse_service / _parse_dest / _fill_*). */
#include "director/ipvs_nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/addr.h"
#include "common/log.h"

#define IPVS_NL_BUF 32768 /* a full dump skb (the kernel caps them at 32 KiB) */

/* Every scheduler Linux ships (net/netfilter/ipvs/ip_vs_*.c). */
static const char *const sched_names[] = {
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
};

int ipvs_nl_sched_known(const char *name)
{
	for (size_t i = 0; i < sizeof sched_names / sizeof sched_names[0]; i++)
		if (strcmp(name, sched_names[i]) == 0)
			return 1;
	return 0;
}

const char *ipvs_nl_sched_list(void)
{
	return "rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos";
}

/* ---- building ---- */

static struct nlmsghdr *put_genl_header(void *buf, uint16_t type, uint8_t cmd, uint8_t version,
					uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

size_t ipvs_nl_build_getfamily(void *buf, size_t len, uint32_t seq)
{
	if (len < 128)
		return 0;
	struct nlmsghdr *nlh = put_genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME);
	return nlh->nlmsg_len;
}

/* The address as IPVS wants it: union nf_inet_addr (16 bytes, v4 in front). */
static int addr_to_nf(const struct sockaddr_storage *ss, uint8_t out[16], uint16_t *port_be)
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		memcpy(out, &a->sin_addr, 4);
		*port_be = a->sin_port;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		memcpy(out, &a->sin6_addr, 16);
		*port_be = a->sin6_port;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void nf_to_addr(int af, const void *nf, size_t nflen, uint16_t port_be,
		       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (af == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, nf, nflen < 16 ? nflen : 16);
		a->sin6_port = port_be;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, nf, nflen < 4 ? nflen : 4);
		a->sin_port = port_be;
	}
}

/* Room check before each nest: the largest nest we write is < 200 bytes. */
#define NEST_ROOM 256

static int put_service(struct nlmsghdr *nlh, size_t len, const struct ipvs_nl_service *svc,
		       int full)
{
	uint8_t nf[16];
	uint16_t port;
	if (addr_to_nf(&svc->addr, nf, &port) < 0)
		return -EAFNOSUPPORT;
	if (nlh->nlmsg_len + NEST_ROOM > len)
		return -ENOBUFS;
	struct nlattr *nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, svc->addr.ss_family);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, svc->protocol ? svc->protocol : IPPROTO_TCP);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, sizeof nf, nf);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, port); /* already network order */
	if (full) {
		struct ip_vs_flags fl = {.flags = svc->flags, .mask = ~0U};
		uint32_t netmask = svc->netmask;
		if (netmask == 0) /* ipvsadm's defaults: /32 for v4, /128 for v6 */
			netmask = svc->addr.ss_family == AF_INET6 ? 128 : 0xffffffffU;
		mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME,
				  svc->sched[0] ? svc->sched : "wlc");
		mnl_attr_put(nlh, IPVS_SVC_ATTR_FLAGS, sizeof fl, &fl);
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, svc->timeout);
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, netmask);
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int put_dest(struct nlmsghdr *nlh, size_t len, const struct ipvs_nl_dest *d, int full)
{
	uint8_t nf[16];
	uint16_t port;
	if (addr_to_nf(&d->addr, nf, &port) < 0)
		return -EAFNOSUPPORT;
	if (nlh->nlmsg_len + NEST_ROOM > len)
		return -ENOBUFS;
	struct nlattr *nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, sizeof nf, nf);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, port);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, d->addr.ss_family);
	if (full) {
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, d->fwd & IP_VS_CONN_F_FWD_MASK);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, d->weight);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_U_THRESH, d->u_thresh);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_L_THRESH, d->l_thresh);
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

size_t ipvs_nl_build(void *buf, size_t len, uint16_t family, uint8_t cmd, uint16_t nlmsg_flags,
		     uint32_t seq, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest)
{
	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)) + NEST_ROOM)
		return 0;
	struct nlmsghdr *nlh =
	    put_genl_header(buf, family, cmd, IPVS_GENL_VERSION, nlmsg_flags, seq);
	int full_svc = cmd == IPVS_CMD_NEW_SERVICE || cmd == IPVS_CMD_SET_SERVICE;
	int full_dest = cmd == IPVS_CMD_NEW_DEST || cmd == IPVS_CMD_SET_DEST;
	if (svc && put_service(nlh, len, svc, full_svc) < 0)
		return 0;
	if (dest && put_dest(nlh, len, dest, full_dest) < 0)
		return 0;
	return nlh->nlmsg_len;
}

/* ---- parsing ---- */

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int collect_cb(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(a);
	if (type <= t->max)
		t->tb[type] = a; /* unknown (newer) attributes are skipped */
	return MNL_CB_OK;
}

/* 1 when attribute a is absent or carries exactly n payload bytes. */
static int len_is(const struct nlattr *a, size_t n)
{
	return !a || mnl_attr_get_payload_len(a) == n;
}

static uint64_t get_uint(const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);
	if (n == 8)
		return mnl_attr_get_u64(a);
	if (n == 4)
		return mnl_attr_get_u32(a);
	if (n == 2)
		return mnl_attr_get_u16(a);
	if (n == 1)
		return mnl_attr_get_u8(a);
	return 0;
}

int ipvs_nl_parse_stats(const struct nlattr *nest, struct ipvs_nl_stats *out)
{
	const struct nlattr *tb[IPVS_STATS_ATTR_MAX + 1] = {0};
	struct attr_table t = {tb, IPVS_STATS_ATTR_MAX};
	memset(out, 0, sizeof *out);
	if (mnl_attr_parse_nested(nest, collect_cb, &t) < 0)
		return -EPROTO;
	uint64_t *dst[] = {
	    [IPVS_STATS_ATTR_CONNS] = &out->conns,	 [IPVS_STATS_ATTR_INPKTS] = &out->inpkts,
	    [IPVS_STATS_ATTR_OUTPKTS] = &out->outpkts,	 [IPVS_STATS_ATTR_INBYTES] = &out->inbytes,
	    [IPVS_STATS_ATTR_OUTBYTES] = &out->outbytes, [IPVS_STATS_ATTR_CPS] = &out->cps,
	    [IPVS_STATS_ATTR_INPPS] = &out->inpps,	 [IPVS_STATS_ATTR_OUTPPS] = &out->outpps,
	    [IPVS_STATS_ATTR_INBPS] = &out->inbps,	 [IPVS_STATS_ATTR_OUTBPS] = &out->outbps,
	};
	for (unsigned i = IPVS_STATS_ATTR_CONNS; i <= IPVS_STATS_ATTR_OUTBPS; i++) {
		if (!tb[i])
			continue;
		size_t n = mnl_attr_get_payload_len(tb[i]);
		if (n != 4 && n != 8) /* STATS: u32 (bytes u64); STATS64: all u64 */
			return -EPROTO;
		*dst[i] = get_uint(tb[i]);
	}
	return 0;
}

int ipvs_nl_parse_service(const struct nlattr *nest, struct ipvs_nl_service *out)
{
	const struct nlattr *tb[IPVS_SVC_ATTR_MAX + 1] = {0};
	struct attr_table t = {tb, IPVS_SVC_ATTR_MAX};
	memset(out, 0, sizeof *out);
	if (mnl_attr_parse_nested(nest, collect_cb, &t) < 0)
		return -EPROTO;
	const struct nlattr *addr = tb[IPVS_SVC_ATTR_ADDR];
	if (!tb[IPVS_SVC_ATTR_AF] || !len_is(tb[IPVS_SVC_ATTR_AF], 2) || !addr ||
	    mnl_attr_get_payload_len(addr) < 4 || mnl_attr_get_payload_len(addr) > 16 ||
	    !len_is(tb[IPVS_SVC_ATTR_PORT], 2) || !len_is(tb[IPVS_SVC_ATTR_PROTOCOL], 2) ||
	    !len_is(tb[IPVS_SVC_ATTR_FLAGS], sizeof(struct ip_vs_flags)) ||
	    !len_is(tb[IPVS_SVC_ATTR_TIMEOUT], 4) || !len_is(tb[IPVS_SVC_ATTR_NETMASK], 4))
		return -EPROTO;
	int af = mnl_attr_get_u16(tb[IPVS_SVC_ATTR_AF]);
	if (af != AF_INET && af != AF_INET6)
		return -EPROTO;
	if (af == AF_INET6 && mnl_attr_get_payload_len(addr) != 16)
		return -EPROTO;
	uint16_t port = tb[IPVS_SVC_ATTR_PORT] ? mnl_attr_get_u16(tb[IPVS_SVC_ATTR_PORT]) : 0;
	nf_to_addr(af, mnl_attr_get_payload(addr), mnl_attr_get_payload_len(addr), port,
		   &out->addr);
	if (tb[IPVS_SVC_ATTR_PROTOCOL])
		out->protocol = mnl_attr_get_u16(tb[IPVS_SVC_ATTR_PROTOCOL]);
	if (tb[IPVS_SVC_ATTR_SCHED_NAME]) {
		const char *s = mnl_attr_get_payload(tb[IPVS_SVC_ATTR_SCHED_NAME]);
		size_t n = strnlen(s, mnl_attr_get_payload_len(tb[IPVS_SVC_ATTR_SCHED_NAME]));
		if (n >= sizeof out->sched)
			return -EPROTO;
		memcpy(out->sched, s, n);
		out->sched[n] = '\0';
	}
	if (tb[IPVS_SVC_ATTR_FLAGS]) {
		struct ip_vs_flags fl;
		memcpy(&fl, mnl_attr_get_payload(tb[IPVS_SVC_ATTR_FLAGS]), sizeof fl);
		out->flags = fl.flags;
	}
	if (tb[IPVS_SVC_ATTR_TIMEOUT])
		out->timeout = mnl_attr_get_u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
	if (tb[IPVS_SVC_ATTR_NETMASK])
		out->netmask = mnl_attr_get_u32(tb[IPVS_SVC_ATTR_NETMASK]);
	/* STATS64 when the kernel has it (>= 4.1), else the 32-bit STATS. */
	const struct nlattr *st = tb[IPVS_SVC_ATTR_STATS64];
	out->has_stats64 = st != NULL;
	if (!st)
		st = tb[IPVS_SVC_ATTR_STATS];
	if (st && ipvs_nl_parse_stats(st, &out->stats) < 0)
		return -EPROTO;
	return 0;
}

int ipvs_nl_parse_dest(const struct nlattr *nest, int default_af, struct ipvs_nl_dest *out)
{
	const struct nlattr *tb[IPVS_DEST_ATTR_MAX + 1] = {0};
	struct attr_table t = {tb, IPVS_DEST_ATTR_MAX};
	memset(out, 0, sizeof *out);
	if (mnl_attr_parse_nested(nest, collect_cb, &t) < 0)
		return -EPROTO;
	const struct nlattr *addr = tb[IPVS_DEST_ATTR_ADDR];
	static const unsigned u32s[] = {
	    IPVS_DEST_ATTR_FWD_METHOD,	  IPVS_DEST_ATTR_WEIGHT,       IPVS_DEST_ATTR_U_THRESH,
	    IPVS_DEST_ATTR_L_THRESH,	  IPVS_DEST_ATTR_ACTIVE_CONNS, IPVS_DEST_ATTR_INACT_CONNS,
	    IPVS_DEST_ATTR_PERSIST_CONNS,
	};
	for (size_t i = 0; i < sizeof u32s / sizeof u32s[0]; i++)
		if (!len_is(tb[u32s[i]], 4))
			return -EPROTO;
	if (!addr || mnl_attr_get_payload_len(addr) < 4 || mnl_attr_get_payload_len(addr) > 16 ||
	    !len_is(tb[IPVS_DEST_ATTR_PORT], 2) || !len_is(tb[IPVS_DEST_ATTR_ADDR_FAMILY], 2))
		return -EPROTO;
	int af = tb[IPVS_DEST_ATTR_ADDR_FAMILY] ? mnl_attr_get_u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY])
						: default_af;
	if (af != AF_INET && af != AF_INET6)
		return -EPROTO;
	if (af == AF_INET6 && mnl_attr_get_payload_len(addr) != 16)
		return -EPROTO;
	uint16_t port = tb[IPVS_DEST_ATTR_PORT] ? mnl_attr_get_u16(tb[IPVS_DEST_ATTR_PORT]) : 0;
	nf_to_addr(af, mnl_attr_get_payload(addr), mnl_attr_get_payload_len(addr), port,
		   &out->addr);
	uint32_t *dst[] = {&out->fwd,	       &out->weight,	   &out->u_thresh,
			   &out->l_thresh,     &out->active_conns, &out->inact_conns,
			   &out->persist_conns};
	for (size_t i = 0; i < sizeof u32s / sizeof u32s[0]; i++)
		if (tb[u32s[i]])
			*dst[i] = mnl_attr_get_u32(tb[u32s[i]]);
	const struct nlattr *st = tb[IPVS_DEST_ATTR_STATS64];
	out->has_stats64 = st != NULL;
	if (!st)
		st = tb[IPVS_DEST_ATTR_STATS];
	if (st && ipvs_nl_parse_stats(st, &out->stats) < 0)
		return -EPROTO;
	return 0;
}

/* The top-level attributes of a genl message into tb[0..max]. */
static int parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb, unsigned max)
{
	struct attr_table t = {tb, max};
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct genlmsghdr))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_cb, &t) < 0)
		return -EPROTO;
	return 0;
}

int ipvs_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {0};
	if (parse_top(nlh, tb, CTRL_ATTR_MAX) < 0)
		return -EPROTO;
	if (!tb[CTRL_ATTR_FAMILY_ID] || !len_is(tb[CTRL_ATTR_FAMILY_ID], 2))
		return -EPROTO;
	*id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

int ipvs_nl_parse_service_msg(const struct nlmsghdr *nlh, struct ipvs_nl_service *out)
{
	const struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1] = {0};
	if (parse_top(nlh, tb, IPVS_CMD_ATTR_MAX) < 0)
		return -EPROTO;
	if (!tb[IPVS_CMD_ATTR_SERVICE])
		return -ENOENT;
	return ipvs_nl_parse_service(tb[IPVS_CMD_ATTR_SERVICE], out);
}

int ipvs_nl_parse_dest_msg(const struct nlmsghdr *nlh, int default_af, struct ipvs_nl_dest *out)
{
	const struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1] = {0};
	if (parse_top(nlh, tb, IPVS_CMD_ATTR_MAX) < 0)
		return -EPROTO;
	if (!tb[IPVS_CMD_ATTR_DEST])
		return -ENOENT;
	return ipvs_nl_parse_dest(tb[IPVS_CMD_ATTR_DEST], default_af, out);
}

int ipvs_nl_parse_info_msg(const struct nlmsghdr *nlh, uint32_t *version, uint32_t *conn_tab_size)
{
	const struct nlattr *tb[IPVS_INFO_ATTR_MAX + 1] = {0};
	if (parse_top(nlh, tb, IPVS_INFO_ATTR_MAX) < 0)
		return -EPROTO;
	if (!tb[IPVS_INFO_ATTR_VERSION] || !len_is(tb[IPVS_INFO_ATTR_VERSION], 4) ||
	    !len_is(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE], 4))
		return -EPROTO;
	*version = mnl_attr_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
	*conn_tab_size = tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]
			     ? mnl_attr_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE])
			     : 0;
	return 0;
}

/* ---- socket layer ---- */

struct ipvs_nl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	char err[IPVS_NL_ERR_MAX];
	char buf[IPVS_NL_BUF] __attribute__((aligned(8)));
};

/* What to do with each data message of a reply. */
struct exch {
	int (*parse)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	int err; /* first parse failure */
};

static int exch_cb(const struct nlmsghdr *nlh, void *data)
{
	struct exch *x = data;
	if (x->parse && !x->err) {
		int r = x->parse(nlh, x->arg);
		if (r < 0)
			x->err = r;
	}
	return MNL_CB_OK;
}

int ipvs_nl_batch_ok(const void *buf, size_t len)
{
	const char *p = buf;
	/* unsigned lengths: libmnl's mnl_nlmsg_ok compares (int)nlmsg_len, so a
	 * length of 2^31 or more passes it and the walk jumps out of the buffer */
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		if (nlh->nlmsg_len < sizeof(struct nlmsghdr) || nlh->nlmsg_len > len)
			return 0;
		size_t step = MNL_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return 1;
		p += step;
		len -= step;
	}
	return len == 0;
}

/* One request: send nlh, read replies until the ack / NLMSG_DONE, passing
 * every data message to x->parse. Returns 0, the first parse failure, or
 * -errno (the kernel's error from the ack; -ETIMEDOUT when the kernel does not
 * answer within 3 s). */
static int exchange(struct ipvs_nl *h, struct nlmsghdr *nlh, struct exch *x)
{
	uint32_t seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(h->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(h->nl, h->buf, sizeof h->buf);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		if (!ipvs_nl_batch_ok(h->buf, (size_t)n))
			return -EPROTO;
		int r = mnl_cb_run(h->buf, (size_t)n, seq, h->portid, exch_cb, x);
		if (r < 0)
			return errno ? -errno : -EPROTO;
		if (r == MNL_CB_STOP)
			return x->err;
	}
}

int ipvs_nl_open(struct ipvs_nl **out, char *err, size_t errlen)
{
	*out = NULL;
	struct ipvs_nl *h = calloc(1, sizeof *h);
	if (!h) {
		errbuf_printf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int ret;
	h->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!h->nl) {
		ret = -errno;
		errbuf_printf(err, errlen, "generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		errbuf_printf(err, errlen, "generic netlink bind: %s", strerror(errno));
		goto fail;
	}
	/* A kernel that never answers must not hang the controller. */
	struct timeval tv = {.tv_sec = 3};
	setsockopt(mnl_socket_get_fd(h->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	h->portid = mnl_socket_get_portid(h->nl);
	h->seq = (uint32_t)time(NULL);

	uint16_t id = 0;
	struct nlmsghdr *nlh = (struct nlmsghdr *)h->buf;
	ipvs_nl_build_getfamily(h->buf, sizeof h->buf, ++h->seq);
	nlh->nlmsg_flags |= NLM_F_ACK;
	struct exch x = {(int (*)(const struct nlmsghdr *, void *))ipvs_nl_parse_family, &id, 0};
	ret = exchange(h, nlh, &x);
	if (ret == -ENOENT) {
		errbuf_printf(
		    err, errlen,
		    "no IPVS in this kernel: the generic netlink family \"IPVS\" is missing "
		    "(load the ip_vs module: modprobe ip_vs); or use --dataplane nft or proxy");
		goto fail;
	}
	if (ret < 0 || id == 0) {
		if (ret == 0)
			ret = -EPROTO;
		errbuf_printf(err, errlen, "resolving the IPVS netlink family: %s", strerror(-ret));
		goto fail;
	}
	h->family = id;
	*out = h;
	return 0;
fail:
	ipvs_nl_close(h);
	return ret;
}

void ipvs_nl_close(struct ipvs_nl *h)
{
	if (!h)
		return;
	if (h->nl)
		mnl_socket_close(h->nl);
	free(h);
}

const char *ipvs_nl_error(const struct ipvs_nl *h)
{
	return h ? h->err : "";
}

/* Sends one IPVS command and waits for its ack (and replies, to parse). */
static int request(struct ipvs_nl *h, uint8_t cmd, uint16_t flags,
		   const struct ipvs_nl_service *svc, const struct ipvs_nl_dest *dest,
		   struct exch *x)
{
	struct exch none = {0};
	size_t n = ipvs_nl_build(h->buf, sizeof h->buf, h->family, cmd, flags | NLM_F_ACK, ++h->seq,
				 svc, dest);
	if (n == 0)
		return -EAFNOSUPPORT;
	int r = exchange(h, (struct nlmsghdr *)h->buf, x ? x : &none);
	/* A dump interrupted by a concurrent change (NLM_F_DUMP_INTR): once more. */
	if (r == -EINTR && (flags & NLM_F_DUMP)) {
		n = ipvs_nl_build(h->buf, sizeof h->buf, h->family, cmd, flags | NLM_F_ACK,
				  ++h->seq, svc, dest);
		if (x)
			x->err = 0;
		r = exchange(h, (struct nlmsghdr *)h->buf, x ? x : &none);
	}
	return r;
}

/* Turns a kernel error into a sentence that says what to do. */
static int explain(struct ipvs_nl *h, int r, const char *what, const struct ipvs_nl_service *svc,
		   const struct ipvs_nl_dest *dest)
{
	char sa[ADDR_STRLEN] = "?", da[ADDR_STRLEN] = "?";
	if (r == 0) {
		h->err[0] = '\0';
		return 0;
	}
	if (svc)
		addr_format(&svc->addr, sa, sizeof sa);
	if (dest)
		addr_format(&dest->addr, da, sizeof da);
	switch (r) {
	case -EPERM:
		errbuf_printf(h->err, sizeof h->err,
			      "%s: permission denied: IPVS needs CAP_NET_ADMIN (run as root)",
			      what);
		break;
	case -ENOENT:
		if (dest)
			errbuf_printf(h->err, sizeof h->err,
				      "%s: no destination %s in IPVS service %s", what, da, sa);
		else
			errbuf_printf(
			    h->err, sizeof h->err,
			    "%s: scheduler \"%s\" is not available: no kernel module ip_vs_%s "
			    "(modprobe ip_vs_%s; known: %s)",
			    what, svc ? svc->sched : "?", svc ? svc->sched : "?",
			    svc ? svc->sched : "?", ipvs_nl_sched_list());
		break;
	case -EEXIST:
		if (dest)
			errbuf_printf(h->err, sizeof h->err,
				      "%s: destination %s is already in IPVS service %s", what, da,
				      sa);
		else
			errbuf_printf(
			    h->err, sizeof h->err,
			    "%s: IPVS service %s already exists (another mqlb instance or "
			    "ipvsadm owns it; see ipvsadm -Ln)",
			    what, sa);
		break;
	case -ESRCH:
		errbuf_printf(h->err, sizeof h->err, "%s: no IPVS service %s", what, sa);
		break;
	case -EINVAL:
		errbuf_printf(h->err, sizeof h->err,
			      "%s: the kernel refused it as invalid (service %s%s%s)", what, sa,
			      dest ? ", destination " : "", dest ? da : "");
		break;
	case -EAFNOSUPPORT:
		errbuf_printf(h->err, sizeof h->err,
			      "%s: address family not supported by IPVS here", what);
		break;
	case -ETIMEDOUT:
		errbuf_printf(h->err, sizeof h->err, "%s: the kernel did not answer within 3 s",
			      what);
		break;
	default:
		errbuf_printf(h->err, sizeof h->err, "%s: %s", what, strerror(-r));
	}
	return r;
}

struct info_out {
	uint32_t version, conn_tab_size;
};

static int info_parse(const struct nlmsghdr *nlh, void *arg)
{
	struct info_out *o = arg;
	return ipvs_nl_parse_info_msg(nlh, &o->version, &o->conn_tab_size);
}

int ipvs_nl_info(struct ipvs_nl *h, uint32_t *version, uint32_t *conn_tab_size)
{
	struct info_out o = {0};
	struct exch x = {info_parse, &o, 0};
	int r =
	    explain(h, request(h, IPVS_CMD_GET_INFO, 0, NULL, NULL, &x), "IPVS info", NULL, NULL);
	if (r == 0) {
		*version = o.version;
		*conn_tab_size = o.conn_tab_size;
	}
	return r;
}

int ipvs_nl_service_add(struct ipvs_nl *h, const struct ipvs_nl_service *svc)
{
	return explain(h, request(h, IPVS_CMD_NEW_SERVICE, 0, svc, NULL, NULL),
		       "adding IPVS service", svc, NULL);
}

int ipvs_nl_service_set(struct ipvs_nl *h, const struct ipvs_nl_service *svc)
{
	return explain(h, request(h, IPVS_CMD_SET_SERVICE, 0, svc, NULL, NULL),
		       "editing IPVS service", svc, NULL);
}

int ipvs_nl_service_del(struct ipvs_nl *h, const struct ipvs_nl_service *svc)
{
	return explain(h, request(h, IPVS_CMD_DEL_SERVICE, 0, svc, NULL, NULL),
		       "deleting IPVS service", svc, NULL);
}

static int service_parse(const struct nlmsghdr *nlh, void *arg)
{
	return ipvs_nl_parse_service_msg(nlh, arg);
}

int ipvs_nl_service_get(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
			struct ipvs_nl_service *out)
{
	struct ipvs_nl_service tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.addr.ss_family = AF_UNSPEC; /* stays so when no reply came */
	struct exch x = {service_parse, &tmp, 0};
	int r = request(h, IPVS_CMD_GET_SERVICE, 0, svc, NULL, &x);
	if (r == 0 && tmp.addr.ss_family == AF_UNSPEC)
		r = -EPROTO;
	if (r == 0)
		*out = tmp;
	/* A missing service is -ESRCH: the "scheduler" reading of -ENOENT does not apply. */
	return explain(h, r, "reading IPVS service", svc, NULL);
}

int ipvs_nl_dest_add(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest)
{
	return explain(h, request(h, IPVS_CMD_NEW_DEST, 0, svc, dest, NULL),
		       "adding IPVS destination", svc, dest);
}

int ipvs_nl_dest_set(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest)
{
	return explain(h, request(h, IPVS_CMD_SET_DEST, 0, svc, dest, NULL),
		       "editing IPVS destination", svc, dest);
}

int ipvs_nl_dest_del(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest)
{
	return explain(h, request(h, IPVS_CMD_DEL_DEST, 0, svc, dest, NULL),
		       "deleting IPVS destination", svc, dest);
}

struct dump_out {
	struct ipvs_nl_dest *out;
	unsigned cap, n;
	int af;
};

static int dest_parse(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_out *o = arg;
	struct ipvs_nl_dest d;
	int r = ipvs_nl_parse_dest_msg(nlh, o->af, &d);
	if (r < 0)
		return r;
	if (o->n < o->cap)
		o->out[o->n] = d;
	o->n++;
	return 0;
}

int ipvs_nl_dest_dump(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		      struct ipvs_nl_dest *out, unsigned cap, unsigned *n)
{
	struct dump_out o = {out, cap, 0, svc->addr.ss_family};
	struct exch x = {dest_parse, &o, 0};
	int r = request(h, IPVS_CMD_GET_DEST, NLM_F_DUMP, svc, NULL, &x);
	if (r == -EINTR) /* interrupted twice: give the caller a consistent "try later" */
		r = -EAGAIN;
	*n = r == 0 ? o.n : 0;
	/* -ENOENT here means a missing service, not a scheduler: say so. */
	if (r == -ENOENT)
		r = -ESRCH;
	return explain(h, r, "listing IPVS destinations", svc, NULL);
}
