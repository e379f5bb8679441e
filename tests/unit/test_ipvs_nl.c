/* Unit tests for src/director/ipvs_nl.c: the IPVS generic netlink messages we
 * build (checked attribute by attribute with plain libmnl, not with our own
 * parser) and the replies we parse (canned messages laid out the way the
 * kernel's ip_vs_genl_fill_* functions write them, plus malformed ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <netinet/in.h>
#include <string.h>

#include "common/addr.h"
#include "director/ipvs_nl.h"

#define FAMILY 0x1d /* any family id: the builder just copies it */

static char buf[8192] __attribute__((aligned(8)));

/* ---- helpers: read a built message with libmnl only ---- */

struct tb {
	const struct nlattr *a[32];
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb *t = data;
	unsigned type = mnl_attr_get_type(a);
	assert_true(type < 32);
	assert_null(t->a[type]); /* every attribute at most once */
	t->a[type] = a;
	return MNL_CB_OK;
}

static struct nlmsghdr *check_header(size_t n, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	assert_true(n > 0);
	assert_int_equal(nlh->nlmsg_len, n);
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | flags);
	assert_int_equal(nlh->nlmsg_seq, 42);
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->cmd, cmd);
	assert_int_equal(g->version, IPVS_GENL_VERSION);
	return nlh;
}

static void top(const struct nlmsghdr *nlh, struct tb *t)
{
	memset(t, 0, sizeof *t);
	assert_true(mnl_attr_parse(nlh, sizeof(struct genlmsghdr), tb_cb, t) >= 0);
}

static void nested(const struct nlattr *a, struct tb *t)
{
	memset(t, 0, sizeof *t);
	assert_non_null(a);
	assert_true(mnl_attr_parse_nested(a, tb_cb, t) >= 0);
}

static struct ipvs_nl_service svc4(const char *sched)
{
	struct ipvs_nl_service s;
	memset(&s, 0, sizeof s);
	assert_int_equal(addr_parse("198.18.0.1:1883", 0, &s.addr), 0);
	s.protocol = IPPROTO_TCP;
	strcpy(s.sched, sched);
	return s;
}

static struct ipvs_nl_dest dest4(const char *a, uint32_t weight)
{
	struct ipvs_nl_dest d;
	memset(&d, 0, sizeof d);
	assert_int_equal(addr_parse(a, 0, &d.addr), 0);
	d.weight = weight;
	return d;
}

static void check_addr16(const struct nlattr *a, const char *host, int af)
{
	uint8_t want[16] = {0};
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), 16);
	assert_int_equal(inet_pton(af, host, want), 1);
	assert_memory_equal(mnl_attr_get_payload(a), want, 16);
}

/* ---- building ---- */

static void test_getfamily(void **state)
{
	size_t n = ipvs_nl_build_getfamily(buf, sizeof buf, 7);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_len, n);
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			 CTRL_CMD_GETFAMILY);
	struct tb t;
	top(nlh, &t);
	assert_string_equal(mnl_attr_get_str(t.a[CTRL_ATTR_FAMILY_NAME]), "IPVS");
	assert_int_equal(ipvs_nl_build_getfamily(buf, 16, 7), 0);
}

static void test_new_service(void **state)
{
	struct ipvs_nl_service s = svc4("wrr");
	size_t n =
	    ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_NEW_SERVICE, NLM_F_ACK, 42, &s, NULL);
	struct nlmsghdr *nlh = check_header(n, IPVS_CMD_NEW_SERVICE, NLM_F_ACK);
	struct tb t, sv;
	top(nlh, &t);
	assert_null(t.a[IPVS_CMD_ATTR_DEST]);
	nested(t.a[IPVS_CMD_ATTR_SERVICE], &sv);
	assert_int_equal(mnl_attr_get_u16(sv.a[IPVS_SVC_ATTR_AF]), AF_INET);
	assert_int_equal(mnl_attr_get_u16(sv.a[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_TCP);
	check_addr16(sv.a[IPVS_SVC_ATTR_ADDR], "198.18.0.1", AF_INET);
	assert_int_equal(mnl_attr_get_u16(sv.a[IPVS_SVC_ATTR_PORT]), htons(1883));
	assert_string_equal(mnl_attr_get_str(sv.a[IPVS_SVC_ATTR_SCHED_NAME]), "wrr");
	assert_int_equal(mnl_attr_get_payload_len(sv.a[IPVS_SVC_ATTR_FLAGS]),
			 sizeof(struct ip_vs_flags));
	const struct ip_vs_flags *fl = mnl_attr_get_payload(sv.a[IPVS_SVC_ATTR_FLAGS]);
	assert_int_equal(fl->flags, 0);
	assert_int_equal(fl->mask, 0xffffffffU);
	assert_int_equal(mnl_attr_get_u32(sv.a[IPVS_SVC_ATTR_TIMEOUT]), 0);
	assert_int_equal(mnl_attr_get_u32(sv.a[IPVS_SVC_ATTR_NETMASK]), 0xffffffffU);
	assert_null(sv.a[IPVS_SVC_ATTR_FWMARK]);
}

static void test_service_identity_only(void **state)
{
	/* DEL/GET carry the identity only; the kernel needs nothing else. */
	static const uint8_t cmds[] = {IPVS_CMD_DEL_SERVICE, IPVS_CMD_GET_SERVICE};
	for (size_t i = 0; i < sizeof cmds; i++) {
		struct ipvs_nl_service s = svc4("rr");
		size_t n = ipvs_nl_build(buf, sizeof buf, FAMILY, cmds[i], NLM_F_ACK, 42, &s, NULL);
		struct nlmsghdr *nlh = check_header(n, cmds[i], NLM_F_ACK);
		struct tb t, sv;
		top(nlh, &t);
		nested(t.a[IPVS_CMD_ATTR_SERVICE], &sv);
		assert_non_null(sv.a[IPVS_SVC_ATTR_ADDR]);
		assert_non_null(sv.a[IPVS_SVC_ATTR_PORT]);
		assert_null(sv.a[IPVS_SVC_ATTR_SCHED_NAME]);
		assert_null(sv.a[IPVS_SVC_ATTR_FLAGS]);
		assert_null(sv.a[IPVS_SVC_ATTR_NETMASK]);
	}
}

static void test_service_v6_and_flags(void **state)
{
	struct ipvs_nl_service s;
	memset(&s, 0, sizeof s);
	assert_int_equal(addr_parse("[2001:db8::5]:1883", 0, &s.addr), 0);
	strcpy(s.sched, "sh");
	s.flags = IP_VS_SVC_F_SCHED_SH_PORT;
	size_t n =
	    ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_SET_SERVICE, NLM_F_ACK, 42, &s, NULL);
	struct nlmsghdr *nlh = check_header(n, IPVS_CMD_SET_SERVICE, NLM_F_ACK);
	struct tb t, sv;
	top(nlh, &t);
	nested(t.a[IPVS_CMD_ATTR_SERVICE], &sv);
	assert_int_equal(mnl_attr_get_u16(sv.a[IPVS_SVC_ATTR_AF]), AF_INET6);
	/* protocol 0 means TCP: MQTT is TCP */
	assert_int_equal(mnl_attr_get_u16(sv.a[IPVS_SVC_ATTR_PROTOCOL]), IPPROTO_TCP);
	check_addr16(sv.a[IPVS_SVC_ATTR_ADDR], "2001:db8::5", AF_INET6);
	assert_int_equal(mnl_attr_get_u32(sv.a[IPVS_SVC_ATTR_NETMASK]), 128);
	const struct ip_vs_flags *fl = mnl_attr_get_payload(sv.a[IPVS_SVC_ATTR_FLAGS]);
	assert_int_equal(fl->flags, IP_VS_SVC_F_SCHED_SH_PORT);
}

static void test_new_and_set_dest(void **state)
{
	static const struct {
		uint8_t cmd;
		uint32_t fwd, weight;
	} rows[] = {
	    {IPVS_CMD_NEW_DEST, IPVS_NL_FWD_MASQ, 1},
	    {IPVS_CMD_NEW_DEST, IPVS_NL_FWD_DROUTE, 65535},
	    {IPVS_CMD_SET_DEST, IPVS_NL_FWD_MASQ, 0}, /* drain: quiescent */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct ipvs_nl_service s = svc4("rr");
		struct ipvs_nl_dest d = dest4("198.18.1.2:18830", rows[i].weight);
		d.fwd = rows[i].fwd;
		d.u_thresh = 100;
		size_t n =
		    ipvs_nl_build(buf, sizeof buf, FAMILY, rows[i].cmd, NLM_F_ACK, 42, &s, &d);
		struct nlmsghdr *nlh = check_header(n, rows[i].cmd, NLM_F_ACK);
		struct tb t, sv, dv;
		top(nlh, &t);
		/* the service travels as identity only: the kernel parses it non-full */
		nested(t.a[IPVS_CMD_ATTR_SERVICE], &sv);
		assert_null(sv.a[IPVS_SVC_ATTR_SCHED_NAME]);
		nested(t.a[IPVS_CMD_ATTR_DEST], &dv);
		check_addr16(dv.a[IPVS_DEST_ATTR_ADDR], "198.18.1.2", AF_INET);
		assert_int_equal(mnl_attr_get_u16(dv.a[IPVS_DEST_ATTR_PORT]), htons(18830));
		assert_int_equal(mnl_attr_get_u16(dv.a[IPVS_DEST_ATTR_ADDR_FAMILY]), AF_INET);
		assert_int_equal(mnl_attr_get_u32(dv.a[IPVS_DEST_ATTR_FWD_METHOD]), rows[i].fwd);
		assert_int_equal(mnl_attr_get_u32(dv.a[IPVS_DEST_ATTR_WEIGHT]), rows[i].weight);
		assert_int_equal(mnl_attr_get_u32(dv.a[IPVS_DEST_ATTR_U_THRESH]), 100);
		assert_int_equal(mnl_attr_get_u32(dv.a[IPVS_DEST_ATTR_L_THRESH]), 0);
	}
}

static void test_del_dest_and_dump(void **state)
{
	struct ipvs_nl_service s = svc4("rr");
	struct ipvs_nl_dest d = dest4("198.18.1.2:18830", 5);
	size_t n = ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_DEL_DEST, NLM_F_ACK, 42, &s, &d);
	struct nlmsghdr *nlh = check_header(n, IPVS_CMD_DEL_DEST, NLM_F_ACK);
	struct tb t, dv;
	top(nlh, &t);
	nested(t.a[IPVS_CMD_ATTR_DEST], &dv);
	assert_null(dv.a[IPVS_DEST_ATTR_WEIGHT]);
	assert_null(dv.a[IPVS_DEST_ATTR_FWD_METHOD]);

	/* GET_DEST is dump-only and names the service in a nested attribute */
	n = ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_GET_DEST, NLM_F_DUMP | NLM_F_ACK, 42,
			  &s, NULL);
	nlh = check_header(n, IPVS_CMD_GET_DEST, NLM_F_DUMP | NLM_F_ACK);
	top(nlh, &t);
	assert_non_null(t.a[IPVS_CMD_ATTR_SERVICE]);
	assert_null(t.a[IPVS_CMD_ATTR_DEST]);
}

static void test_build_refuses(void **state)
{
	struct ipvs_nl_service s = svc4("rr");
	struct ipvs_nl_dest d = dest4("198.18.1.2:18830", 1);
	/* buffer too small */
	assert_int_equal(ipvs_nl_build(buf, 64, FAMILY, IPVS_CMD_NEW_SERVICE, 0, 42, &s, NULL), 0);
	/* not an IP address family */
	s.addr.ss_family = AF_UNIX;
	assert_int_equal(
	    ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_NEW_SERVICE, 0, 42, &s, NULL), 0);
	s = svc4("rr");
	d.addr.ss_family = AF_UNSPEC;
	assert_int_equal(ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_NEW_DEST, 0, 42, &s, &d),
			 0);
	/* GET_INFO: no attributes at all */
	size_t n =
	    ipvs_nl_build(buf, sizeof buf, FAMILY, IPVS_CMD_GET_INFO, NLM_F_ACK, 42, NULL, NULL);
	assert_int_equal(n, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)));
}

static void test_sched_names(void **state)
{
	static const struct {
		const char *name;
		int known;
	} rows[] = {
	    {"rr", 1},	   {"wrr", 1},	    {"lc", 1},
	    {"wlc", 1},	   {"lblc", 1},	    {"lblcr", 1},
	    {"dh", 1},	   {"sh", 1},	    {"sed", 1},
	    {"nq", 1},	   {"fo", 1},	    {"ovf", 1},
	    {"mh", 1},	   {"twos", 1},	    {"RR", 0},
	    {"", 0},	   {"r", 0},	    {"rrr", 0},
	    {"random", 0}, {"clientid", 0}, {"wlcwlcwlcwlcwlcwlc", 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(ipvs_nl_sched_known(rows[i].name), rows[i].known);
}

/* ---- parsing: canned replies as the kernel writes them ---- */

static struct nlmsghdr *reply_header(uint8_t cmd)
{
	memset(buf, 0, sizeof buf);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->cmd = cmd;
	g->version = IPVS_GENL_VERSION;
	return nlh;
}

/* ip_vs_genl_fill_stats: 32-bit rates and conns, 64-bit bytes. */
static void put_stats32(struct nlmsghdr *nlh, uint16_t type, uint32_t base)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_CONNS, base + 1);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_INPKTS, base + 2);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_OUTPKTS, base + 3);
	mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_INBYTES, base + 4);
	mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_OUTBYTES, base + 5);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_CPS, base + 6);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_INPPS, base + 7);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_OUTPPS, base + 8);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_INBPS, base + 9);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_OUTBPS, base + 10);
	mnl_attr_nest_end(nlh, n);
}

/* ip_vs_genl_fill_stats64: everything 64-bit (values above 2^32 here). */
static void put_stats64(struct nlmsghdr *nlh, uint16_t type, uint64_t base)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);
	for (uint16_t a = IPVS_STATS_ATTR_CONNS; a <= IPVS_STATS_ATTR_OUTBPS; a++)
		mnl_attr_put_u64(nlh, a, base + a);
	mnl_attr_nest_end(nlh, n);
}

static void put_reply_dest(struct nlmsghdr *nlh, int with_af, int with64)
{
	uint8_t a[16] = {198, 18, 1, 3};
	struct nlattr *n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, 16, a);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(18831));
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, 3);
	mnl_attr_put_u8(nlh, IPVS_DEST_ATTR_TUN_TYPE, 0);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_PORT, 0);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_TUN_FLAGS, 0);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_U_THRESH, 0);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_L_THRESH, 0);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_ACTIVE_CONNS, 11);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_INACT_CONNS, 4);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_PERSIST_CONNS, 0);
	if (with_af)
		mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
	put_stats32(nlh, IPVS_DEST_ATTR_STATS, 100);
	if (with64)
		put_stats64(nlh, IPVS_DEST_ATTR_STATS64, 1ULL << 33);
	mnl_attr_nest_end(nlh, n);
}

static void test_parse_dest(void **state)
{
	struct ipvs_nl_dest d;
	char s[ADDR_STRLEN];
	struct nlmsghdr *nlh = reply_header(IPVS_CMD_NEW_DEST);
	put_reply_dest(nlh, 1, 1);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET6, &d), 0);
	assert_string_equal(addr_format(&d.addr, s, sizeof s), "198.18.1.3:18831");
	assert_int_equal(d.weight, 3);
	assert_int_equal(d.fwd, IPVS_NL_FWD_MASQ);
	assert_int_equal(d.active_conns, 11);
	assert_int_equal(d.inact_conns, 4);
	assert_true(d.has_stats64); /* STATS64 preferred over STATS */
	assert_int_equal(d.stats.conns, (1ULL << 33) + IPVS_STATS_ATTR_CONNS);
	assert_int_equal(d.stats.outbytes, (1ULL << 33) + IPVS_STATS_ATTR_OUTBYTES);
	assert_int_equal(d.stats.outbps, (1ULL << 33) + IPVS_STATS_ATTR_OUTBPS);

	/* an old kernel: no STATS64, no ADDR_FAMILY (the service's family is used) */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	put_reply_dest(nlh, 0, 0);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), 0);
	assert_string_equal(addr_format(&d.addr, s, sizeof s), "198.18.1.3:18831");
	assert_false(d.has_stats64);
	assert_int_equal(d.stats.conns, 101);
	assert_int_equal(d.stats.inpkts, 102);
	assert_int_equal(d.stats.outpkts, 103);
	assert_int_equal(d.stats.inbytes, 104);
	assert_int_equal(d.stats.outbytes, 105);
	assert_int_equal(d.stats.cps, 106);
	assert_int_equal(d.stats.outbps, 110);
}

static void test_parse_service(void **state)
{
	struct nlmsghdr *nlh = reply_header(IPVS_CMD_NEW_SERVICE);
	uint8_t a[16] = {198, 18, 0, 1};
	struct ip_vs_flags fl = {IP_VS_SVC_F_HASHED, ~0U};
	struct nlattr *n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AF_INET);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, 16, a);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(1883));
	mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, "lc");
	mnl_attr_put(nlh, IPVS_SVC_ATTR_FLAGS, sizeof fl, &fl);
	mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, 0);
	mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, 0xffffffffU);
	put_stats32(nlh, IPVS_SVC_ATTR_STATS, 0);
	put_stats64(nlh, IPVS_SVC_ATTR_STATS64, 1000);
	mnl_attr_nest_end(nlh, n);

	struct ipvs_nl_service s;
	char str[ADDR_STRLEN];
	assert_int_equal(ipvs_nl_parse_service_msg(nlh, &s), 0);
	assert_string_equal(addr_format(&s.addr, str, sizeof str), "198.18.0.1:1883");
	assert_int_equal(s.protocol, IPPROTO_TCP);
	assert_string_equal(s.sched, "lc");
	assert_int_equal(s.flags, IP_VS_SVC_F_HASHED);
	assert_true(s.has_stats64);
	assert_int_equal(s.stats.conns, 1001);
	assert_int_equal(s.stats.inbytes, 1004);
}

static void test_parse_family_and_info(void **state)
{
	struct nlmsghdr *nlh = reply_header(CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IPVS");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x23);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	uint16_t id = 0;
	assert_int_equal(ipvs_nl_parse_family(nlh, &id), 0);
	assert_int_equal(id, 0x23);
	nlh = reply_header(CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IPVS");
	assert_int_equal(ipvs_nl_parse_family(nlh, &id), -EPROTO);

	nlh = reply_header(IPVS_CMD_SET_INFO);
	mnl_attr_put_u32(nlh, IPVS_INFO_ATTR_VERSION, IP_VS_VERSION_CODE);
	mnl_attr_put_u32(nlh, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
	uint32_t v = 0, c = 0;
	assert_int_equal(ipvs_nl_parse_info_msg(nlh, &v, &c), 0);
	assert_int_equal(v, 0x010201);
	assert_int_equal(c, 4096);
}

static void test_parse_malformed(void **state)
{
	struct ipvs_nl_dest d;
	struct ipvs_nl_service s;
	uint8_t a[16] = {198, 18, 1, 3};

	/* no nested attribute at all */
	struct nlmsghdr *nlh = reply_header(IPVS_CMD_NEW_DEST);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -ENOENT);
	assert_int_equal(ipvs_nl_parse_service_msg(nlh, &s), -ENOENT);

	/* weight as u16: wrong size */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	struct nlattr *n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, 16, a);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_WEIGHT, 1);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -EPROTO);

	/* no address */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, 1);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -EPROTO);

	/* IPv6 family with a 4-byte address */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, 4, a);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET6);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -EPROTO);

	/* a stats counter of 2 bytes */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, 16, a);
	struct nlattr *st = mnl_attr_nest_start(nlh, IPVS_DEST_ATTR_STATS64);
	mnl_attr_put_u16(nlh, IPVS_STATS_ATTR_CONNS, 1);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -EPROTO);

	/* service: unknown family, over-long scheduler name */
	nlh = reply_header(IPVS_CMD_NEW_SERVICE);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AF_UNIX);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, 16, a);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_service_msg(nlh, &s), -EPROTO);
	nlh = reply_header(IPVS_CMD_NEW_SERVICE);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AF_INET);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, 16, a);
	mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, "abcdefghijklmnopq");
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_nl_parse_service_msg(nlh, &s), -EPROTO);

	/* truncated message: shorter than the genl header */
	nlh = reply_header(IPVS_CMD_NEW_DEST);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET, &d), -EPROTO);
}

/* ---- replies captured from the real kernel ----
 * Debian 6.1.0-56-amd64 in the test microVM: service 198.18.0.1:1883 wrr with
 * destinations 198.18.1.2:1883 (weight 1) and 198.18.1.3:1883 (weight 3), after
 * four connection attempts; ipvsadm -Ln --stats --exact showed at the same time:
 *   TCP  198.18.0.1:1883     4  4  3  240  264
 *     -> 198.18.1.2:1883     1  1  1   60   88   (Masq 1, ActiveConn 1)
 *     -> 198.18.1.3:1883     3  3  2  180  176   (Masq 3, ActiveConn 3)
 * Bytes as the kernel sent them (GET_INFO, GET_SERVICE, GET_DEST dump; the dump
 * lists the newest destination first, so kernel_dest1 is 198.18.1.3). */
static const unsigned char kernel_info[36] __attribute__((aligned(4))) = {
    0x24, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x66, 0x00, 0x00, 0x00,
    0x6e, 0x00, 0x00, 0x00, 0x0e, 0x01, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00,
    0x01, 0x02, 0x01, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x10, 0x00, 0x00,
};

static const unsigned char kernel_service[320] __attribute__((aligned(4))) = {
    0x40, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x67, 0x00, 0x00, 0x00, 0x6e, 0x00, 0x00, 0x00,
    0x01, 0x01, 0x00, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00,
    0x06, 0x00, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00, 0xc6, 0x12, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00,
    0x07, 0x5b, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x77, 0x72, 0x72, 0x00, 0x0c, 0x00, 0x07, 0x00,
    0x02, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x09, 0x00, 0xff, 0xff, 0xff, 0xff, 0x5c, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x01, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x05, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x0a, 0x00,
    0x1b, 0x00, 0x00, 0x00, 0x7c, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00,
    0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x08, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x09, 0x00, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const unsigned char kernel_dest1[356] __attribute__((aligned(4))) = {
    0x64, 0x01, 0x00, 0x00, 0x20, 0x00, 0x02, 0x00, 0x68, 0x00, 0x00, 0x00, 0x6e, 0x00, 0x00, 0x00,
    0x05, 0x01, 0x00, 0x00, 0x50, 0x01, 0x02, 0x00, 0x14, 0x00, 0x01, 0x00, 0xc6, 0x12, 0x01, 0x03,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00,
    0x07, 0x5b, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00, 0x5c, 0x00, 0x0a, 0x00,
    0x08, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00, 0xb4, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0f, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x0a, 0x00, 0x10, 0x00, 0x00, 0x00, 0x7c, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x04, 0x00, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00,
    0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x09, 0x00,
    0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

static const unsigned char kernel_dest2[356] __attribute__((aligned(4))) = {
    0x64, 0x01, 0x00, 0x00, 0x20, 0x00, 0x02, 0x00, 0x68, 0x00, 0x00, 0x00, 0x6e, 0x00, 0x00, 0x00,
    0x05, 0x01, 0x00, 0x00, 0x50, 0x01, 0x02, 0x00, 0x14, 0x00, 0x01, 0x00, 0xc6, 0x12, 0x01, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00,
    0x07, 0x5b, 0x00, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x00, 0x00, 0x5c, 0x00, 0x0a, 0x00,
    0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x3c, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x7c, 0x00, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x04, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00,
    0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x0c, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x09, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
};

static void test_kernel_replies(void **state)
{
	struct nlmsghdr *nlh;
	char s[ADDR_STRLEN];
	uint32_t v = 0, c = 0;

	memcpy(buf, kernel_info, sizeof kernel_info);
	nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_len, sizeof kernel_info);
	assert_int_equal(ipvs_nl_parse_info_msg(nlh, &v, &c), 0);
	assert_int_equal(v, 0x010201); /* "IP Virtual Server version 1.2.1 (size=4096)" */
	assert_int_equal(c, 4096);

	struct ipvs_nl_service sv;
	memcpy(buf, kernel_service, sizeof kernel_service);
	assert_int_equal(ipvs_nl_parse_service_msg(nlh, &sv), 0);
	assert_string_equal(addr_format(&sv.addr, s, sizeof s), "198.18.0.1:1883");
	assert_int_equal(sv.protocol, IPPROTO_TCP);
	assert_string_equal(sv.sched, "wrr");
	assert_true(sv.has_stats64);
	assert_int_equal(sv.stats.conns, 4);
	assert_int_equal(sv.stats.inpkts, 4);
	assert_int_equal(sv.stats.outpkts, 3);
	assert_int_equal(sv.stats.inbytes, 240);
	assert_int_equal(sv.stats.outbytes, 264);

	static const struct {
		const unsigned char *msg;
		size_t len;
		const char *addr;
		uint32_t weight, active;
		uint64_t conns, inpkts, outpkts, inbytes, outbytes;
	} rows[] = {
	    {kernel_dest2, sizeof kernel_dest2, "198.18.1.2:1883", 1, 1, 1, 1, 1, 60, 88},
	    {kernel_dest1, sizeof kernel_dest1, "198.18.1.3:1883", 3, 3, 3, 3, 2, 180, 176},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct ipvs_nl_dest d;
		memcpy(buf, rows[i].msg, rows[i].len);
		assert_int_equal(nlh->nlmsg_len, rows[i].len);
		assert_int_equal(ipvs_nl_parse_dest_msg(nlh, AF_INET6, &d),
				 0); /* has ADDR_FAMILY */
		assert_string_equal(addr_format(&d.addr, s, sizeof s), rows[i].addr);
		assert_int_equal(d.fwd, IPVS_NL_FWD_MASQ);
		assert_int_equal(d.weight, rows[i].weight);
		assert_int_equal(d.active_conns, rows[i].active);
		assert_int_equal(d.inact_conns, 0);
		assert_true(d.has_stats64);
		assert_int_equal(d.stats.conns, rows[i].conns);
		assert_int_equal(d.stats.inpkts, rows[i].inpkts);
		assert_int_equal(d.stats.outpkts, rows[i].outpkts);
		assert_int_equal(d.stats.inbytes, rows[i].inbytes);
		assert_int_equal(d.stats.outbytes, rows[i].outbytes);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_getfamily),
	    cmocka_unit_test(test_new_service),
	    cmocka_unit_test(test_service_identity_only),
	    cmocka_unit_test(test_service_v6_and_flags),
	    cmocka_unit_test(test_new_and_set_dest),
	    cmocka_unit_test(test_del_dest_and_dump),
	    cmocka_unit_test(test_build_refuses),
	    cmocka_unit_test(test_sched_names),
	    cmocka_unit_test(test_parse_dest),
	    cmocka_unit_test(test_parse_service),
	    cmocka_unit_test(test_parse_family_and_info),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_kernel_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
