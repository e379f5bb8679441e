/* host.h — where a step of the lab runs. Every place in the lab that starts a
 * process names its host by one string (the `netns` argument of lab_spawn and
 * lab_run_cmd): NULL = this machine, the name of an SSH host registered here
 * (lab_host_add, from an inventory), else a network namespace. So the
 * orchestration above spawn is one code for namespaces and for SSH hosts:
 * spawn.c turns a step on an SSH host into a local `ssh` process whose exit
 * status is the remote command's, and kills it on the host by its PID.
 *
 * SSH: `ssh -T -o BatchMode=yes` over one multiplexed master connection per
 * host (ControlMaster, its socket in the lab's private state dir, ControlPersist
 * bounded so a forgotten master ends by itself), every argument quoted for the
 * remote shell. Each remote step runs as `echo $$ >WORK/pid.SEQ; exec ARGV`: sshd
 * gives every session its own session and process group, so that PID is also
 * the group the lab signals (kill -s SIG -- -PID) to end the step and its
 * children. Each host has a private work dir (mktemp -d) for the files its
 * steps write; lab_host_fetch copies them into the local results folder. */
#ifndef MQLB_LAB_HOST_H
#define MQLB_LAB_HOST_H

#include <stddef.h>
#include <stdint.h>

#define LAB_MAX_SSH_HOSTS 8
#define LAB_SSH_CMD_MAX	  8192

struct lab_host {
	char name[32];	/* role name: "brokers", "dir1", "client1" */
	char dest[128]; /* ssh destination, [user@]host */
	char addr[64];	/* the address the other parts reach it by */
	char rdir[256]; /* its private work dir, "" until lab_host_open */
	int master;	/* a master connection was started (close it at the end) */
};

/* Registers an SSH host under name (a later lab_spawn(name, ...) runs there).
 * Returns 0, -EEXIST (name taken) or -ENOSPC. */
int lab_host_add(const char *name, const char *dest, const char *addr);
/* The SSH host registered as name, or NULL (name NULL: NULL). */
struct lab_host *lab_host_find(const char *name);
/* Registered hosts in the order added; NULL past the end. */
struct lab_host *lab_host_at(int i);
int lab_host_count(void);
/* ssh_config file passed as `ssh -F` (NULL = the user's), and the mqlb the
 * hosts run (LAB_SELF in an argv becomes it; NULL = "mqlb" from PATH). */
void lab_ssh_config(const char *ssh_config, const char *remote_mqlb);
const char *lab_ssh_mqlb(void);

/* The local ssh command line that runs argv on h; pidfile_seq > 0 makes the
 * remote side record its PID under h->rdir (see above). sh_cmd != NULL runs
 * that shell text instead of argv. Strings live in *c. Returns 0 or
 * -E2BIG (the quoted command does not fit LAB_SSH_CMD_MAX). */
struct lab_ssh_cmd {
	char *argv[24];
	char cmd[LAB_SSH_CMD_MAX];
	char cpath[320], config[300];
};
int lab_ssh_build(struct lab_ssh_cmd *c, const struct lab_host *h, char *const argv[],
		  const char *sh_cmd, unsigned pidfile_seq);
/* Appends s quoted for a POSIX shell ('...', ' as '\'') to buf. Returns 0 or -E2BIG. */
int lab_sh_quote(char *buf, size_t len, const char *s);

/* Starts h's master connection and makes its work dir (mktemp -d, mode 0755
 * so brokers that drop to user mosquitto reach their store). log: local
 * file for ssh's messages. Returns 0, or -errno / ssh's exit code (255 =
 * unreachable, see log). */
int lab_host_open(struct lab_host *h, const char *log);
/* Removes h's work dir, deletes the directors' nft tables (ip mqlb-lab-d1,
 * -d2: a director killed hard leaves its table) when nft_tables, and ends the
 * master connection. Never interrupted by Ctrl-C. */
void lab_host_close(struct lab_host *h, int nft_tables);
/* Sends sig to the process group of remote step seq on h. Returns ssh's code. */
int lab_host_signal(const struct lab_host *h, unsigned seq, int sig);
/* Copies names (NULL-terminated; files or folders, relative to rsub under
 * h->rdir) into the local folder ldir, over the master (tar over ssh).
 * Missing names are skipped. Returns 0 or < 0 (logged). */
int lab_host_fetch(const struct lab_host *h, const char *rsub, const char *const names[],
		   const char *ldir);
/* Path of name under h's work dir: "<rdir>/<rsub>/<name>" (an empty rsub or
 * name is left out with its '/'). */
void lab_host_path(const struct lab_host *h, const char *rsub, const char *name, char *buf,
		   size_t len);

#endif
