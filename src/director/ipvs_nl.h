/* ipvs_nl.h — a small generic-netlink client for the kernel's IPVS family
 * ("IPVS" version 1, include/uapi/linux/ip_vs.h) on top of libmnl.
 *
 * It speaks exactly what mqlb's IPVS dataplane needs: one virtual service and
 * its destinations (add, edit, delete, get/dump with stats), and GET_INFO to
 * detect IPVS. It never flushes: an instance owns only its own service.
 *
 * Two layers:
 *   - pure builders/parsers (ipvs_nl_build_*, ipvs_nl_parse_*) that work on a
 *     caller's buffer and touch no socket: unit-tested in tests/unit/test_ipvs_nl.c;
 *   - a handle (struct ipvs_nl) that owns a NETLINK_GENERIC socket and runs
 *     request/ack and dump exchanges with them.
 *
 * Errors: every OS-facing function returns 0 or -errno and leaves a one-line
 * explanation in the handle (ipvs_nl_error) that says what is missing and what
 * to do (e.g. "no IPVS in this kernel ... use --dataplane nft or proxy").
 */
#ifndef MQLB_DIRECTOR_IPVS_NL_H
#define MQLB_DIRECTOR_IPVS_NL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/ip_vs.h>

struct nlmsghdr;
struct nlattr;

#define IPVS_NL_ERR_MAX	  256
#define IPVS_NL_SCHED_MAX IP_VS_SCHEDNAME_MAXLEN /* 16 incl. NUL */

/* Forwarding methods (IPVS_DEST_ATTR_FWD_METHOD), the kernel's own values. */
enum ipvs_nl_fwd {
	IPVS_NL_FWD_MASQ = IP_VS_CONN_F_MASQ,	    /* 0: NAT */
	IPVS_NL_FWD_LOCAL = IP_VS_CONN_F_LOCALNODE, /* 1 */
	IPVS_NL_FWD_TUNNEL = IP_VS_CONN_F_TUNNEL,   /* 2: IP-in-IP */
	IPVS_NL_FWD_DROUTE = IP_VS_CONN_F_DROUTE,   /* 3: direct routing */
	IPVS_NL_FWD_COUNT
};

/* IPVS_STATS_ATTR_*: totals since the service/dest was created, and rates
 * (per second) the kernel's estimator refreshes every 2 s on 6.1. */
struct ipvs_nl_stats {
	uint64_t conns, inpkts, outpkts, inbytes, outbytes;
	uint64_t cps, inpps, outpps, inbps, outbps;
};

/* A virtual service, identified by (af, protocol, addr, port). addr holds the
 * port too (network order inside the sockaddr, as everywhere in mqlb). */
struct ipvs_nl_service {
	struct sockaddr_storage addr;  /* AF_INET or AF_INET6 VIP:PORT */
	uint16_t protocol;	       /* IPPROTO_TCP / IPPROTO_UDP */
	char sched[IPVS_NL_SCHED_MAX]; /* "rr", "wrr", "lc", ... */
	uint32_t flags;		       /* IP_VS_SVC_F_* (persistent, sh-port, ...) */
	uint32_t timeout;	       /* persistence timeout, s (0 = none) */
	uint32_t netmask;	       /* persistence netmask (v4: 0xffffffff; v6: prefix len) */
	/* Filled by ipvs_nl_parse_service only. */
	struct ipvs_nl_stats stats;
	int has_stats64;
};

/* A destination (real server) of a service. */
struct ipvs_nl_dest {
	struct sockaddr_storage addr; /* backend ADDR:PORT */
	uint32_t fwd;		      /* enum ipvs_nl_fwd */
	uint32_t weight;	      /* 0 = quiescent: no new connections */
	uint32_t u_thresh, l_thresh;  /* connection thresholds (0 = none) */
	/* Filled by ipvs_nl_parse_dest only. */
	uint32_t active_conns, inact_conns, persist_conns;
	struct ipvs_nl_stats stats;
	int has_stats64;
};

/* ---- pure layer (no socket) ---- */

/* 1 when name is a scheduler the kernel ships (rr wrr lc wlc lblc lblcr dh sh
 * sed nq fo ovf mh twos), else 0. The module may still be missing at run time. */
int ipvs_nl_sched_known(const char *name);
/* "rr wrr lc ..." for help and error texts; static storage. */
const char *ipvs_nl_sched_list(void);

/* Builds CTRL_CMD_GETFAMILY for "IPVS" into buf (len bytes, at least
 * MNL_SOCKET_BUFFER_SIZE). Returns the message length. */
size_t ipvs_nl_build_getfamily(void *buf, size_t len, uint32_t seq);
/* Reads CTRL_ATTR_FAMILY_ID from a GETFAMILY reply. Returns 0 with *id set,
 * or -EPROTO when the reply has no id. */
int ipvs_nl_parse_family(const struct nlmsghdr *nlh, uint16_t *id);

/* Builds an IPVS request: cmd (IPVS_CMD_*) for family id with nlmsg_flags
 * (NLM_F_REQUEST is always set; add NLM_F_ACK or NLM_F_DUMP). svc and dest are
 * borrowed and may be NULL (then the nested attribute is left out). The
 * "full entry" attributes the kernel requires are added by command: scheduler,
 * flags, timeout and netmask for NEW_/SET_SERVICE; forwarding method, weight
 * and thresholds for NEW_/SET_DEST; other commands carry only the identity
 * (af, protocol, address, port). Returns the message length, or 0 when buf is
 * too small or an address family is not AF_INET/AF_INET6. */
size_t ipvs_nl_build(void *buf, size_t len, uint16_t family, uint8_t cmd, uint16_t nlmsg_flags,
		     uint32_t seq, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest);

/* Parses a nested IPVS_CMD_ATTR_SERVICE / IPVS_CMD_ATTR_DEST / stats attribute.
 * Return 0, or -EPROTO on a malformed attribute (wrong length or missing
 * address). Dest parsing takes the address family from IPVS_DEST_ATTR_ADDR_FAMILY
 * or, when absent (kernels < 4.x), from default_af. */
int ipvs_nl_parse_service(const struct nlattr *nest, struct ipvs_nl_service *out);
int ipvs_nl_parse_dest(const struct nlattr *nest, int default_af, struct ipvs_nl_dest *out);
int ipvs_nl_parse_stats(const struct nlattr *nest, struct ipvs_nl_stats *out);

/* 1 when buf[0..len) is a run of netlink messages whose lengths each fit the
 * bytes left (a trailing partial header is refused), else 0. Checked before
 * libmnl walks a reply batch: its length check is signed (see ipvs_nl.c). */
int ipvs_nl_batch_ok(const void *buf, size_t len);

/* Whole-message parsers for replies (genl header + top-level attributes).
 * Return 0, -ENOENT when the message lacks the nested attribute, or -EPROTO. */
int ipvs_nl_parse_service_msg(const struct nlmsghdr *nlh, struct ipvs_nl_service *out);
int ipvs_nl_parse_dest_msg(const struct nlmsghdr *nlh, int default_af, struct ipvs_nl_dest *out);
/* GET_INFO reply: version (e.g. 0x010201 = 1.2.1) and connection table size. */
int ipvs_nl_parse_info_msg(const struct nlmsghdr *nlh, uint32_t *version, uint32_t *conn_tab_size);

/* ---- socket layer ---- */

struct ipvs_nl;

/* Opens a generic netlink socket and resolves the "IPVS" family. On failure
 * *out is NULL and err (errlen bytes) says why: -ENOENT "no IPVS in this
 * kernel (load the ip_vs module: modprobe ip_vs), or use --dataplane nft or
 * proxy"; other -errno from socket/bind. The handle is owned by the caller:
 * free it with ipvs_nl_close. */
int ipvs_nl_open(struct ipvs_nl **out, char *err, size_t errlen);
/* Closes the socket and frees h; NULL is fine. */
void ipvs_nl_close(struct ipvs_nl *h);
/* The explanation of the last failure on h (never NULL; "" when none). */
const char *ipvs_nl_error(const struct ipvs_nl *h);

/* GET_INFO. Returns 0 or -errno (-EPERM without CAP_NET_ADMIN). */
int ipvs_nl_info(struct ipvs_nl *h, uint32_t *version, uint32_t *conn_tab_size);

/* Service operations. NEW refuses an existing service (-EEXIST) and an
 * unknown scheduler module (-ENOENT, with "no kernel module ip_vs_<name>").
 * DEL/SET/GET of a missing service: -ESRCH. svc is borrowed. */
int ipvs_nl_service_add(struct ipvs_nl *h, const struct ipvs_nl_service *svc);
int ipvs_nl_service_set(struct ipvs_nl *h, const struct ipvs_nl_service *svc);
int ipvs_nl_service_del(struct ipvs_nl *h, const struct ipvs_nl_service *svc);
/* Looks up svc by (af, protocol, addr, port) and fills *out (sched, flags, stats). */
int ipvs_nl_service_get(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
			struct ipvs_nl_service *out);

/* Destination operations on service svc. NEW of an existing dest: -EEXIST;
 * SET/DEL of a missing one: -ENOENT. */
int ipvs_nl_dest_add(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest);
int ipvs_nl_dest_set(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest);
int ipvs_nl_dest_del(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		     const struct ipvs_nl_dest *dest);
/* Dumps the destinations of svc into out[0..cap-1]; *n gets how many the
 * kernel reported (may exceed cap: the rest are dropped). Returns 0 or -errno. */
int ipvs_nl_dest_dump(struct ipvs_nl *h, const struct ipvs_nl_service *svc,
		      struct ipvs_nl_dest *out, unsigned cap, unsigned *n);

#endif
