/* fuzz_ipvs_nl.c — libFuzzer target for the IPVS generic netlink reply parsers
 * (ipvs_nl.h: family, service, dest, stats, info), fed the way the handle feeds
 * them: a batch of messages as recvfrom returns it, checked by
 * ipvs_nl_batch_ok and walked by libmnl's mnl_cb_run with every parser on every
 * data message (found here: libmnl's signed length check let a message length
 * of 2^31 or more walk off the batch; ipvs_nl_batch_ok refuses it now). A kernel we do not control (or a netlink peer in the same
 * namespace that answers first) writes these bytes. The batch is an exact-size
 * heap copy, so ASan catches a read past it. Invariants: a parsed service or
 * destination has family AF_INET or AF_INET6 and a NUL-terminated scheduler
 * name, and built again (ipvs_nl_build NEW_SERVICE / NEW_DEST) it parses back
 * to the same identity and settings. */
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "director/ipvs_nl.h"

static char out[8192] __attribute__((aligned(8)));

static void service_again(const struct ipvs_nl_service *s)
{
	struct ipvs_nl_service b;
	if (s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6)
		abort();
	if (strnlen(s->sched, sizeof(s->sched)) >= sizeof(s->sched))
		abort();
	size_t n = ipvs_nl_build(out, sizeof(out), 0x1d, IPVS_CMD_NEW_SERVICE, 0, 1, s, NULL);
	if (n == 0 || ipvs_nl_parse_service_msg((struct nlmsghdr *)out, &b) != 0)
		abort();
	if (!addr_equal(&b.addr, &s->addr) || b.protocol != (s->protocol ? s->protocol : 6) ||
	    strcmp(b.sched, s->sched[0] ? s->sched : "wlc") != 0 || b.flags != s->flags ||
	    b.timeout != s->timeout)
		abort();
}

static void dest_again(const struct ipvs_nl_dest *d)
{
	struct ipvs_nl_dest b;
	if (d->addr.ss_family != AF_INET && d->addr.ss_family != AF_INET6)
		abort();
	size_t n = ipvs_nl_build(out, sizeof(out), 0x1d, IPVS_CMD_NEW_DEST, 0, 1, NULL, d);
	if (n == 0 || ipvs_nl_parse_dest_msg((struct nlmsghdr *)out, AF_INET, &b) != 0)
		abort();
	if (!addr_equal(&b.addr, &d->addr) || b.fwd != (d->fwd & IP_VS_CONN_F_FWD_MASK) ||
	    b.weight != d->weight || b.u_thresh != d->u_thresh || b.l_thresh != d->l_thresh)
		abort();
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct ipvs_nl_service s;
	struct ipvs_nl_dest d;
	uint16_t id;
	uint32_t ver, size;
	(void)data;
	ipvs_nl_parse_family(nlh, &id);
	ipvs_nl_parse_info_msg(nlh, &ver, &size);
	if (ipvs_nl_parse_service_msg(nlh, &s) == 0)
		service_again(&s);
	if (ipvs_nl_parse_dest_msg(nlh, AF_INET, &d) == 0)
		dest_again(&d);
	if (ipvs_nl_parse_dest_msg(nlh, AF_INET6, &d) == 0)
		dest_again(&d);
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *buf = malloc(size ? size : 1); /* malloc: aligned for struct nlmsghdr */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (ipvs_nl_batch_ok(buf, size)) /* as exchange() does before libmnl walks it */
		mnl_cb_run(buf, size, 0, 0, on_msg, NULL);
	free(buf);
	return 0;
}
