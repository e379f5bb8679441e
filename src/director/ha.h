/* ha.h — a pair of directors sharing one virtual IP held by keepalived (VRRP):
 * the keepalived.conf `mqlb director ha render` writes (ha_render.c), the state
 * file keepalived's notify hook keeps and the director reports (ha_state.c),
 * connection sync with conntrackd (ha_sync.c) and the `ha` / `check`
 * subcommands (ha_cli.c).
 *
 * How the pieces meet: keepalived runs `mqlb director check --control SOCK`
 * as a vrrp_script; when the director process is dead or stuck the check fails,
 * the instance goes to FAULT (track_script weight 0), sends a priority-0 advert
 * and the peer takes the VIP at once. When the whole host dies the peer takes
 * it after 3 x advert_int + skew. keepalived writes every transition to a
 * FIFO that `mqlb director ha notify --state-file FILE --fifo` follows, writing
 * MASTER / BACKUP / FAULT / STOP to FILE in order; `director run --vrrp-state
 * FILE` shows it in status. */
#ifndef MQLB_DIRECTOR_HA_H
#define MQLB_DIRECTOR_HA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HA_PATH_MAX	 200  /* --control, --state-file, --mqlb */
#define HA_MAX_PEERS	 8    /* --unicast-peer, repeatable */
#define HA_ADVERT_MIN_CS 1    /* VRRP v3: centiseconds, 0.01 s */
#define HA_ADVERT_MAX_CS 4095 /* VRRP v3: 40.95 s (v2: 255 s, whole seconds) */

struct ha_config {
	char vip[64];		/* "ADDR/PLEN", normalized */
	int family;		/* AF_INET or AF_INET6 of the VIP */
	char interface[16];	/* IFNAMSIZ */
	unsigned priority;	/* 1-254 (255 is reserved for the address owner) */
	unsigned router_id;	/* virtual_router_id 1-255 */
	unsigned advert_cs;	/* advert_int in centiseconds */
	unsigned fall, rise;	/* vrrp_script fall / rise */
	const char *control;	/* the director's control socket (absolute) */
	const char *state_file; /* NULL = no notify hook */
	const char *netns;	/* NULL = keepalived's own namespace */
	const char *mqlb;	/* absolute path of the mqlb binary the scripts run */
	char peers[HA_MAX_PEERS][48];
	unsigned n_peers;
	int nopreempt;
	/* Connection sync (ha_sync.c): a back VIP that moves with the front one
	 * (the nft director SNATs to it: director run --snat) and conntrackd. */
	char back_vip[64];	 /* "ADDR/PLEN" or "" */
	char back_interface[16]; /* its device */
	const char *ct_dir;	 /* --conntrackd DIR, NULL = no sync */
	char sync_interface[16]; /* the link conntrackd's FTFW datagrams use */
	char sync_address[48];	 /* this host's address there */
	char sync_peer[48];	 /* the other host's address there */
};

/* Fills c with the defaults (priority 100, advert 1 s, fall 2, rise 2). */
void ha_config_defaults(struct ha_config *c);

/* Value checks for the render flags. Each returns 0, or -EINVAL with a
 * one-line reason in err (no "mqlb:" prefix). */
int ha_parse_vip(const char *s, struct ha_config *c, char *err, size_t errlen);
int ha_parse_advert(const char *s, unsigned *cs, char *err, size_t errlen);
int ha_check_ifname(const char *s, char *err, size_t errlen);
int ha_check_netns(const char *s, char *err, size_t errlen);
/* An absolute path keepalived can run unquoted: [A-Za-z0-9._/+@:=-] only. */
int ha_check_path(const char *what, const char *s, char *err, size_t errlen);
/* Adds a unicast peer of the VIP's family (call after ha_parse_vip). */
int ha_add_peer(struct ha_config *c, const char *s, char *err, size_t errlen);

/* The VRRP version the advert interval needs: 2 for whole seconds up to 255,
 * 3 for a fraction (keepalived's sub-second adverts exist only in v3). */
unsigned ha_vrrp_version(unsigned advert_cs);
/* The vrrp_script interval in whole seconds: keepalived 2.2 refuses anything
 * below 1 s or fractional, so a director death is seen after at most
 * interval x fall seconds however short advert_int is. */
unsigned ha_script_interval_s(unsigned advert_cs);

/* --back-vip ADDR/PLEN (same family as the VIP: call after ha_parse_vip). */
int ha_parse_back_vip(const char *s, struct ha_config *c, char *err, size_t errlen);
/* --sync-address / --sync-peer: an IPv4 address (conntrackd's UDP transport
 * here is IPv4 only) into out (48 bytes). */
int ha_parse_sync_addr(const char *what, const char *s, char *out, char *err, size_t errlen);
/* Checks that the sync flags go together: --conntrackd needs --sync-interface,
 * --sync-address and --sync-peer (two different addresses) and --back-vip;
 * --back-vip needs --back-interface; the sync flags need --conntrackd. */
int ha_sync_check(const struct ha_config *c, char *err, size_t errlen);
/* The files --conntrackd DIR holds: conntrackd.conf, the notify hook
 * primary-backup.sh, and conntrackd's control socket, lock file and log. */
void ha_sync_path(const struct ha_config *c, const char *file, char *buf, size_t len);
/* conntrackd.conf for c: FTFW over UDP unicast to the peer on the sync link,
 * TCP only, the host's own sync address ignored. */
void ha_render_conntrackd(const struct ha_config *c, FILE *f);
/* The notify hook keepalived runs on transitions (primary | backup | fault),
 * conntrackd's documented primary-backup.sh semantics: primary commits the
 * external cache to the kernel, flushes the caches, resyncs from the kernel and
 * bulk-sends to the peer; backup (re)starts conntrackd if it does not answer,
 * shortens the kernel timers of stale entries and asks the master for a
 * resync; fault shortens the timers. */
void ha_render_ct_hook(const struct ha_config *c, FILE *f);

/* Writes the keepalived.conf for c to f. */
void ha_render(const struct ha_config *c, FILE *f);

/* The states keepalived's notify hook reports for an instance. Returns 1 for
 * MASTER, BACKUP, FAULT, STOP, else 0. */
int ha_state_valid(const char *s);
/* Writes state + "\n" to path atomically (temporary file in the same
 * directory, then rename): a reader sees the old or the new state, never a
 * torn one. Returns 0 or -errno. */
int ha_state_write(const char *path, const char *state);
/* Reads the state in path into buf ("" when the file is absent or holds no
 * valid state). Returns 0 when a valid state was read, else -errno/-EINVAL. */
int ha_state_read(const char *path, char *buf, size_t len);
/* Follows keepalived's vrrp_notify_fifo: reads lines like
 * `INSTANCE "mqlb_vip" MASTER 150` from fifo until EOF (keepalived gone) and
 * writes each instance state to state_file in the order keepalived wrote them
 * (separate notify processes could land out of order). Other lines are
 * skipped. Returns 0 at EOF, or -errno when fifo cannot be opened. */
int ha_state_follow_fifo(const char *fifo, const char *state_file);
/* Entries in this network namespace's conntrack table
 * (/proc/sys/net/netfilter/nf_conntrack_count). Returns 0 or -errno (no
 * conntrack module loaded: -ENOENT). */
int ha_conntrack_count(uint64_t *out);

/* `mqlb director ha render|notify` and `mqlb director check` (ha_cli.c). */
int director_ha_main(int argc, char **argv);
int director_check_main(int argc, char **argv);

#endif
