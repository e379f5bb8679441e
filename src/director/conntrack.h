/* conntrack.h — live connection counts per backend from the kernel's
 * connection tracking table (ctnetlink over libmnl, NETLINK_NETFILTER), for the
 * kernel dataplanes that do not count connections themselves (nft). */
#ifndef MQLB_DIRECTOR_CONNTRACK_H
#define MQLB_DIRECTOR_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "director/dataplane.h"

struct director_ct_count {
	uint64_t established; /* TCP ESTABLISHED: ipvsadm's ActiveConn */
	uint64_t other;	      /* SYN_SENT, FIN_WAIT, TIME_WAIT, ...: InActConn */
};

/* Dumps this network namespace's conntrack table (IPCTNL_MSG_CT_GET, NLM_F_DUMP)
 * and counts, for each backend i, the TCP entries whose original tuple goes to
 * d->cfg.listen and whose reply tuple comes from backends[i]. counts must hold
 * d->n_backends entries; it is zeroed first. Returns 0 or -errno. */
int director_ct_count(const struct director *d, struct director_ct_count *counts);

/* Adds the entries of one batch of ctnetlink dump replies, buf[0..len) as
 * recvfrom gave it, to counts (not zeroed: a dump comes in several batches).
 * seq and portid as sent (0 = not checked). Returns libmnl's verdict:
 * MNL_CB_OK (more batches follow), MNL_CB_STOP (NLMSG_DONE) or MNL_CB_ERROR
 * (errno set: a netlink error, a malformed batch). Exposed for the fuzz target. */
int director_ct_parse(const struct director *d, const void *buf, size_t len, uint32_t seq,
		      uint32_t portid, struct director_ct_count *counts);

#endif
