/* dataplane_nft.h — the nftables dataplane's rule text builders, exposed for
 * unit tests (pure: they write nft commands, they touch nothing). */
#ifndef MQLB_DIRECTOR_DATAPLANE_NFT_H
#define MQLB_DIRECTOR_DATAPLANE_NFT_H

#include <stdio.h>

#include "director/dataplane.h"

/* Largest weight sum for which wrr interleaves backends one connection at a
 * time (smooth weighted round robin); above it, plain weighted intervals. */
#define NFT_WRR_INTERLEAVE_MAX 4096

/* "ip" or "ip6" and "mqlb-<name>" for d. */
const char *director_nft_family(const struct director *d);
void director_nft_table(const struct director *d, char *buf, size_t len);

/* Writes the whole start transaction (table, counters, chains, counting rules,
 * balancing rules) to out. Returns 0 or -ENOMEM. */
int director_nft_start_cmds(const struct director *d, FILE *out);
/* Writes the transaction that replaces the balancing rules after a weight
 * change (flush lb + guard, add the new map), to out. */
int director_nft_lb_cmds(const struct director *d, FILE *out);

/* --snat ADDR (director run, --mode nat): SNAT our connections to ADDR instead
 * of masquerading to the outgoing interface's address. For an HA pair with
 * conntrackd: ADDR is a back-side VIP keepalived moves with the front VIP, so
 * the brokers answer an address the new master holds and the synced NAT
 * entries stay valid there. The rule is installed whether or not this host
 * holds ADDR yet (harmless until it does: a standby forwards nothing). Parses
 * and keeps s (an IPv4/IPv6 address, no port); NULL clears it. Returns 0 or
 * -EINVAL with a one-line reason in err. */
int director_nft_set_snat(const char *s, char *err, size_t errlen);
/* 1 when --snat was given. */
int director_nft_has_snat(void);

#endif
