/* netns.h — network namespaces by name (/run/netns/NAME, as `ip netns` makes
 * them). Used by the cluster to start brokers inside a namespace and by probes
 * and the monitor to open sockets there. Needs CAP_SYS_ADMIN. */
#ifndef MQLB_NETNS_H
#define MQLB_NETNS_H

/* Moves the calling thread into namespace name (setns CLONE_NEWNET).
 * For a child between fork and exec. Returns 0 or -errno. */
int netns_enter(const char *name);
/* socket(domain, type, proto) created inside namespace name (NULL or "" = the
 * current one); the calling thread returns to its own namespace before this
 * returns. Returns the fd or -errno. */
int netns_socket(const char *name, int domain, int type, int proto);

#endif
