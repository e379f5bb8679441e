/* ipvs_owner.h — who made an IPVS service. IPVS services carry no comment or
 * owner, so the ipvs dataplane records its own in a file next to the control
 * socket ("<control>.ipvs": "owner PID START VIP:PORT", START = the process
 * start time from /proc/PID/stat). A director restarted after a SIGKILL finds
 * its service still in the kernel and, when this file names it and PID is
 * gone, takes it over instead of failing (as the nft dataplane does with its
 * table). A service without the file (ipvsadm, another tool) is left alone. */
#ifndef MQLB_DIRECTOR_IPVS_OWNER_H
#define MQLB_DIRECTOR_IPVS_OWNER_H

#include <sys/socket.h>

/* Records this process as the owner of svc. Returns 0 or -errno. */
int ipvs_owner_write(const char *control_path, const struct sockaddr_storage *svc);
/* Removes the record (after the service is deleted). */
void ipvs_owner_remove(const char *control_path);
/* 1 when the record names svc and its process is gone (or is another process
 * with that pid): a stale service of ours; 0 when there is no such record or
 * its owner lives. *pid: the recorded pid, 0 when none. */
int ipvs_owner_stale(const char *control_path, const struct sockaddr_storage *svc, long *pid);

#endif
